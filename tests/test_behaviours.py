"""Behaviour detection: phrase families, negation, quoting, paraphrase overlap."""

from __future__ import annotations

import pytest

from voicetrainer.behaviours import BEHAVIOUR_IDS, detect


def ids(text: str, previous: str = "") -> set[str]:
    return {d.behaviour for d in detect(text, previous)}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("I'm so sorry, I can hear how frustrating this has been.", {"apologises", "acknowledges_feelings"}),
        ("I do apologise for any inconvenience caused.", {"apologises"}),
        ("The crew expects to have it fixed by 6 p.m. today.", {"gives_timeline"}),
        ("You'll have it back before noon.", {"gives_timeline"}),
        ("I'll take care of this myself.", {"takes_ownership"}),
        ("I'll put the charge on hold today.", {"takes_ownership"}),
        ("I've waived the activation fee.", {"takes_ownership"}),
        ("You'll see the refund within 3 to 5 business days.", {"gives_timeline", "summarises"}),
        ("I can't do anything about that.", {"says_cant"}),
        ("That's our policy.", {"cites_policy"}),
        ("That's not my department.", {"blames_others"}),
        ("You need to calm down.", {"dismissive"}),
        ("I promise it'll be in your account today.", {"false_promise"}),
        ("Could you tell me your order number?", {"asks_question"}),
        ("Please don't use that language, or I will have to end this call.", {"sets_boundary"}),
        ("Let me transfer you to my supervisor, who can approve that.", {"escalates"}),
        ("Is there anything else I can help you with?", {"checks_needs", "asks_question"}),
        ("Thank you for your patience, Dana. Have a good evening.", {"closes_call"}),
    ],
)
def test_phrase_families(text, expected):
    assert expected <= ids(text)


@pytest.mark.parametrize(
    "text, absent",
    [
        ("I can help you with that.", "says_cant"),  # "I can" is not "I can't"
        ("I can't wait to get this sorted for you.", "says_cant"),
        ("I'll take care of it right away.", "closes_call"),  # "take care of" is not "take care"
        ("Have a good evening.", "greeting"),
        ('You said the last agent told you "that\'s our policy".', "cites_policy"),  # quoting
        ("I can't accept that kind of language.", "says_cant"),
        ("Let me look into the scanner issue.", "rude"),  # word boundaries, not substrings
        ("That's not the experience you should have had.", "blames_others"),
        ("I'll put you on hold for a moment.", "takes_ownership"),
        ("We'll go through it one by one.", "gives_timeline"),
    ],
)
def test_negation_quoting_and_word_boundaries(text, absent):
    assert absent not in ids(text)


def test_paraphrase_by_overlap_with_the_callers_words():
    caller = "I returned the espresso machine on October 28th and the refund never arrived."
    agent = "So the espresso machine went back on October 28th and the refund still hasn't arrived."
    assert "paraphrases" in ids(agent, caller)
    assert "paraphrases" not in ids("Okay, let me check.", caller)


def test_every_id_used_by_detection_is_declared():
    text = "Hello, I'm sorry, I can't, that's policy, not my department, calm down, I promise."
    assert ids(text) <= BEHAVIOUR_IDS


def test_paraphrase_needs_a_restatement_not_just_the_callers_words():
    caller = "I want a refund for the espresso machine, it arrived with the water tank cracked."
    assert "paraphrases" in ids("Okay, so the machine arrived with a cracked tank and you'd like your money back.", caller)
    for lead in ("So if I understand correctly,", "Just to make sure I've got this right:", "What I'm hearing is"):
        assert "paraphrases" in ids(f"{lead} the refund still hasn't arrived.")  # the lead alone is enough
    # the same words in a refusal, a question or a contradiction restate nothing
    assert "paraphrases" not in ids("I can't refund the espresso machine, the return window closed.", caller)
    assert "paraphrases" not in ids("So is the espresso machine refund for the cracked water tank?", caller)
    assert "paraphrases" not in ids("The espresso machine refund is correct, the water tank was fine.", caller)


@pytest.mark.parametrize("text, expected", [
    ("The refund's been processed, okay?", False),  # a tag asks for agreement
    ("You'll get the email by tonight, alright?", False),
    ("You got the text, didn't you?", False),
    ("Are you even listening to me?", False),  # rhetorical and rude
    ("So your refund never arrived, is that right?", True),  # checks understanding
    ("Which day suits you best?", True),
    ("What's the best number to reach you on", True),  # Whisper often drops the '?'
])
def test_tag_and_hostile_questions_are_not_asks_question(text, expected):
    assert ("asks_question" in ids(text)) is expected


@pytest.mark.parametrize("text", ["This is ridiculous.", "I'll stay on until this is resolved.", "Generally speaking, no."])
def test_greeting_needs_a_name_or_an_opening(text):
    assert "greeting" not in ids(text)
    assert "greeting" in ids("Hi, this is Sam.")
