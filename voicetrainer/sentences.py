"""Cut streamed text into speakable sentences as it arrives.

The customer starts speaking after the first sentence, so a sentence is handed on as soon
as what follows it proves it complete: end punctuation, then a space, then the start of a
new sentence. Not ends: abbreviations ("Mr.", "Dr.", "e.g."), single initials, decimals
("$189.99", "3.5"), an ellipsis before a lower-case word, and anything inside brackets or
asterisks (stage directions the sanitizer removes whole).
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "e.g", "i.e", "a.m", "p.m",
    "inc", "ltd", "co", "corp", "dept", "approx", "min", "max", "ext", "tel", "mt", "ave",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}
NUMBER_ABBREVIATIONS = {"no", "nos"}  # "No. 5", but "No. I won't."
CLOSERS = "\"'”’)]"
OPENERS = {"(": ")", "[": "]", "*": "*", "<": ">"}
# End punctuation (a run: "?!", "...", "…"), closing quotes, then whitespace.
END = re.compile(r"([.!?…]+)([" + re.escape(CLOSERS) + r"]*)(\s+)")


class SentenceSplitter:
    """feed() text deltas, get back the sentences they completed; flush() the rest."""

    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, delta: str) -> list[str]:
        self._buffer += delta
        out = []
        while (cut := self._find_end()) is not None:
            sentence, self._buffer = self._buffer[:cut].strip(), self._buffer[cut:].lstrip()
            if sentence:
                out.append(sentence)
        return out

    def flush(self) -> list[str]:
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if rest else []

    def _find_end(self) -> int | None:
        text = self._buffer
        newline = text.find("\n")
        for match in END.finditer(text):
            if 0 <= newline < match.start():
                break
            following = text[match.end():match.end() + 1]
            if not following:  # the next word has not arrived: wait for it
                return None
            if _inside_brackets(text[:match.start()]):
                continue
            if _is_end(text[:match.start()], match.group(1), following):
                return match.end()
        if newline >= 0 and not _inside_brackets(text[:newline]):
            return newline + 1
        return None


def _inside_brackets(text: str) -> bool:
    depth: list[str] = []
    for ch in text:
        if depth and ch == depth[-1]:
            depth.pop()
        elif ch in OPENERS:
            depth.append(OPENERS[ch])
    return bool(depth)


def _is_end(before: str, punct: str, following: str) -> bool:
    if punct != ".":
        # "?", "!", "?!" always end; an ellipsis ends only before a new sentence.
        return not ("." in punct or "…" in punct) or not following.islower()
    word = re.search(r"([\w.]+)$", before)
    word = word.group(1).lower() if word else ""
    if word in ABBREVIATIONS or (word in NUMBER_ABBREVIATIONS and following.isdigit()):
        return False
    if len(word) == 1 and before[-1:].isupper():  # an initial: "J. Smith"
        return False
    return not following.islower()  # "etc. and", "approx. ten": not an end


def split_sentences(text: str) -> list[str]:
    """A whole text as sentences (the same rules as streaming)."""
    return list(stream_sentences([text]))


def stream_sentences(deltas: Iterable[str]) -> Iterator[str]:
    splitter = SentenceSplitter()
    for delta in deltas:
        yield from splitter.feed(delta)
    yield from splitter.flush()
