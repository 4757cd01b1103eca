"""Text as a person would read it aloud, for the speech synthesizers.

espeak-ng (under pyttsx3, and under Piper's phonemizer) reads "BR-48213" as "B R forty-eight
thousand two hundred thirteen", "$189.99" as "dollar one hundred eighty-nine point nine
nine" and "555-0172" as "five hundred fifty-five dash...". A caller reads ids, codes and
phone numbers character by character and says money in dollars and cents. Everything else
(dates such as "October 28th", times such as "2 p.m." or "7:30", ordinary numbers) the
engines already say as a person would, so it is left alone.
"""

from __future__ import annotations

import re

_MONEY = re.compile(
    r"\$\s?(?P<whole>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<cents>\d{1,2}))?(?!\d)"
    r"(?:\s(?P<scale>thousand|million|billion)\b)?"
)
_PHONE = re.compile(r"(?<![\w-])(?:\(?\d{3}\)?[-. ])?\d{3}-\d{4}(?![\w-])")
# Letters and digits, optionally in hyphen-joined groups: "BR-48213", "CR-5518-04", "5G", "A1".
_TOKEN = re.compile(r"(?<![\w$.,-])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*(?![\w-]|[.,]\d)")
# A number with its unit or ordinal ("28th", "1990s", "2pm", "30GB") is not a code.
_NUMBER_WITH_SUFFIX = re.compile(r"\d+(?:st|nd|rd|th|s|am|pm|k|kb|mb|gb|tb|kg|km|mph|ms)", re.IGNORECASE)
_LONG_NUMBER = 5  # a bare run of this many digits or more is a reference, not a quantity
_RANGE = re.compile(r"(?<![\w-])(\d{1,3})-(\d{1,3})(?![\w-])")  # "3-5 business days"


def speakable(text: str) -> str:
    """`text` with money, phone numbers, ids/codes and numeric ranges spelled out for speech."""
    text = _PHONE.sub(lambda m: _spell(m.group()), text)
    text = _TOKEN.sub(_say_token, text)  # before money: "$48213" is an amount, not a reference
    text = _MONEY.sub(_say_money, text)
    return _RANGE.sub(r"\1 to \2", text)


def _say_money(m: re.Match) -> str:
    whole, cents, scale = m.group("whole").replace(",", ""), m.group("cents"), m.group("scale")
    if scale:  # "$1.5 million" -> "1.5 million dollars"
        return f"{whole}{'.' + cents if cents else ''} {scale} dollars"
    cents = int(cents.ljust(2, "0")) if cents else 0
    dollars = f"{int(whole)} dollar{'' if int(whole) == 1 else 's'}"
    if not cents:
        return dollars
    cents_said = f"{cents} cent{'' if cents == 1 else 's'}"
    return cents_said if not int(whole) else f"{dollars} and {cents_said}"


def _say_token(m: re.Match) -> str:
    token = m.group()
    letters = re.findall(r"[A-Za-z]+", token)
    digits = re.findall(r"\d+", token)
    if not digits:
        return token  # a word (or hyphenated words)
    if not letters:
        long_run = "-" not in token and len(token) >= _LONG_NUMBER
        return _spell(token) if long_run else token  # "55219" is spelled; "1990", "3-5" are not
    if _NUMBER_WITH_SUFFIX.fullmatch(token) or any(len(run) > 3 for run in letters):
        return token  # "28th", "30GB"; "COVID-19" is a word with a number
    return _spell(token)


def _spell(code: str) -> str:
    """'BR-48213' -> 'B R, 4 8 2 1 3': a pause between groups, every character said alone."""
    groups = [g for g in re.split(r"[^A-Za-z0-9]+", code) if g]
    return ", ".join(" ".join(g.upper()) for g in groups)
