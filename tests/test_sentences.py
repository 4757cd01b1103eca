"""Cutting streamed text into speakable sentences."""

from __future__ import annotations

import pytest

from voicetrainer.sentences import SentenceSplitter, split_sentences, stream_sentences

CASES = [
    ("Finally! I've been calling for three days. Where is my money?",
     ["Finally!", "I've been calling for three days.", "Where is my money?"]),
    ("Mr. Patel and Dr. Lee both said so. Mrs. Ortiz did too.",
     ["Mr. Patel and Dr. Lee both said so.", "Mrs. Ortiz did too."]),
    ("The refund of $189.99 takes 3.5 days. That's too long.",
     ["The refund of $189.99 takes 3.5 days.", "That's too long."]),
    ("I waited... and waited. Wait... Nothing happened.",
     ["I waited... and waited.", "Wait...", "Nothing happened."]),
    ("You can't?! Unbelievable! Really?", ["You can't?!", "Unbelievable!", "Really?"]),
    ("It's order No. 48213, e.g. the one from Oct. 28. No. I won't hold.",
     ["It's order No. 48213, e.g. the one from Oct. 28.", "No.", "I won't hold."]),
    ("Ask J. R. Smith at 9 a.m. tomorrow. Thanks.", ["Ask J. R. Smith at 9 a.m. tomorrow.", "Thanks."]),
    ('"Five to seven days." That\'s what they said.', ['"Five to seven days."', "That's what they said."]),
    ("Ugh (sighs. loudly) fine. Okay.", ["Ugh (sighs. loudly) fine.", "Okay."]),
    ("First line\nSecond line. Third", ["First line", "Second line.", "Third"]),
    ("no end punctuation", ["no end punctuation"]),
    ("", []),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_split(text, expected):
    assert split_sentences(text) == expected


@pytest.mark.parametrize("text, expected", CASES)
def test_streaming_gives_the_same_sentences_whatever_the_deltas(text, expected):
    assert list(stream_sentences(list(text))) == expected  # one character at a time
    assert list(stream_sentences([text[i:i + 3] for i in range(0, len(text), 3)])) == expected


def test_a_sentence_is_released_as_soon_as_the_next_one_starts():
    splitter = SentenceSplitter()
    assert splitter.feed("I want my money") == []
    assert splitter.feed(". ") == []  # could still be "... money. and" — wait for the next word
    assert splitter.feed("Now") == ["I want my money."]
    assert splitter.flush() == ["Now"]
