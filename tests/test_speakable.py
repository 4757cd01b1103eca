"""Customer lines as a person reads them aloud: ids letter by letter, money in dollars and
cents; dates, times and ordinary numbers left to the speech engine, which says them right."""

from __future__ import annotations

import re

import pytest

from voicetrainer.personas import find_persona, persona_files
from voicetrainer.speakable import speakable
from voicetrainer.tts import style_for

SPELLED = {
    # every persona's id, as a caller reads it out
    "It's BR-48213.": "It's B R, 4 8 2 1 3.",
    "CR-5518-04": "C R, 5 5 1 8, 0 4",
    "LE-204-1187": "L E, 2 0 4, 1 1 8 7",
    "NM-33917": "N M, 3 3 9 1 7",
    "HW-70215": "H W, 7 0 2 1 5",
    "VF-88-20461": "V F, 8 8, 2 0 4 6 1",
    "order br-48213 please": "order B R, 4 8 2 1 3 please",
    "I get decent 5G here.": "I get decent 5 G here.",
    "an MP3": "an M P 3",
    # references and phone numbers, digit by digit
    "Your reference number is 55219.": "Your reference number is 5 5 2 1 9.",
    "Call me on 555-0172.": "Call me on 5 5 5, 0 1 7 2.",
    "(555) 123-4567": "5 5 5, 1 2 3, 4 5 6 7",
    # money, as said
    "a refund of $189.99": "a refund of 189 dollars and 99 cents",
    "$486.20 taken; usually $72": "486 dollars and 20 cents taken; usually 72 dollars",
    "$1,240 sofa, $79 delivery fee": "1240 dollars sofa, 79 dollars delivery fee",
    "$1 now, $0.50 later, $1.01 total": "1 dollar now, 50 cents later, 1 dollar and 1 cent total",
    "about $34.50 a month": "about 34 dollars and 50 cents a month",
    "$20.00 credit": "20 dollars credit",
    "a $1.5 million claim": "a 1.5 million dollars claim",
    "$48213": "48213 dollars",  # an amount, not a reference
    # ranges
    "within 3-5 business days": "within 3 to 5 business days",
    "8-12, both times": "8 to 12, both times",
}

LEFT_ALONE = [
    "October 28th", "November the 9th, and then November the 16th.", "on the 1st", "2 p.m.",
    "7:30 a.m.", "by 6 p.m. today", "the 1990s", "in 2026", "10,000 steps", "1.5 times", "30GB upload",
    "100 GB", "COVID-19", "dana.whitaker@mailbox.com", "2026-11-23", "24/7", "a 30 GB delivery",
    "Three hundred and fifty bucks.", "C R, fifty-five eighteen, oh four.", "Hello? Are you still there?",
]


@pytest.mark.parametrize("text, said", SPELLED.items())
def test_ids_money_and_phone_numbers_are_said_as_a_person_says_them(text, said):
    assert speakable(text) == said


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_dates_times_and_ordinary_numbers_are_left_to_the_engine(text):
    assert speakable(text) == text


# What espeak-ng misreads: "$" before a number, letters joined to digits (not "28th" or
# "30GB"), a bare run of five or more digits, a hyphen between numbers.
MISREAD = re.compile(r"\$\d|\b(?!\d+(?:st|nd|rd|th|s|am|pm|gb)\b)(?=\w*\d)(?=\w*[A-Za-z])\w+\b|\b\d{5,}\b|\d-\d",
                     re.IGNORECASE)


@pytest.mark.parametrize("persona_id", [p.stem for p in persona_files()])
def test_nothing_a_persona_says_is_left_to_be_misread(persona_id):
    """Every authored line and fact of every persona, and the facts' raw values (what an LLM
    caller is given and may well say as written), come out free of what espeak misreads."""
    persona = find_persona(persona_id)
    said = [line for by_band in persona.lines.values() for lines in by_band.values() for line in lines]
    said += [f.say for f in persona.scenario.facts] + [f.value for f in persona.scenario.facts]
    said += [persona.scenario.issue, persona.scenario.history, *persona.scenario.agent_may_offer]
    assert [(text, bad) for text in said for bad in MISREAD.findall(speakable(text))] == []
    assert MISREAD.search("BR-48213 for $189.99, ref 55219, 3-5 days"), "the check itself finds them"


@pytest.fixture(scope="module")
def piper():
    from voicetrainer.tts import PiperSynthesizer

    return PiperSynthesizer()


def _alnum(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


@pytest.mark.slow
def test_an_order_id_spoken_by_piper_is_heard_letter_by_letter(piper, transcriber):
    """Piper's voice says "B R, 4 8 2 1 3" and tiny.en writes it back: BR 48213. Unspelled,
    the same voice says "B R forty-eight thousand two hundred thirteen" and tiny.en hears 48,230."""
    style = style_for(find_persona("angry_refund").voice, 8.0)
    heard = transcriber.transcribe(piper.synthesize("My order number is BR-48213.", style)).text
    assert "br48213" in _alnum(heard), heard


@pytest.mark.slow
def test_an_order_id_spoken_by_espeak_comes_back_digit_by_digit(synthesizer, transcriber):
    """espeak-ng's letters are too unclear for tiny.en ("B R" comes back as "VR", "the R" or
    "the hour"), so only the digits are checked: said one by one, they come back in order and
    not as the number 48,213."""
    for mood in (3.0, 8.0):
        heard = transcriber.transcribe(synthesizer.synthesize("It's BR-48213.", style_for(
            find_persona("angry_refund").voice, mood))).text
        assert "48213" in re.sub(r"\D", "", heard) and "48,213" not in heard, (mood, heard)
