"""Check a judge's quotes against the transcript: found (possibly fuzzily) or dropped.

An LLM often quotes almost word for word (a dropped "so", a changed comma); such a quote is
replaced by the transcript's own words. A quote that is not there at all is invented and
is dropped, and the grade says so.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from ..behaviours import normalise

MIN_RATIO = 0.85
WORD = re.compile(r"[\w']+")


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0).lower(), m.start(), m.end()) for m in WORD.finditer(text)]


def _best_span(quote: list[str], text: str) -> tuple[float, str]:
    """The transcript span (verbatim) most like the quote, and how alike (0..1)."""
    words = _words(text)
    n = len(quote)
    best, span = 0.0, ""
    for size in {max(1, n - 2), max(1, n - 1), n, n + 1, n + 2}:
        for i in range(0, max(1, len(words) - size + 1)):
            window = words[i : i + size]
            if not window:
                continue
            ratio = SequenceMatcher(None, quote, [w for w, _, _ in window]).ratio()
            if ratio > best:
                best, span = ratio, text[window[0][1] : window[-1][2]]
    return best, span


def match_quote(quote: str, turn: int | None, turns: list[dict]) -> tuple[int, str] | None:
    """(turn index, verbatim quote) for a quote found in the transcript, else None.

    The turn the judge named is tried first, then every other turn.
    """
    wanted = [w for w, _, _ in _words(normalise(quote))]
    if not wanted:
        return None
    ordered = sorted(turns, key=lambda t: t["index"] != turn)
    for t in ordered:
        text = normalise(t.get("text") or "")
        if normalise(quote).strip() and normalise(quote).strip() in text:
            return t["index"], normalise(quote).strip()
    best: tuple[float, int, str] = (0.0, -1, "")
    for t in ordered:
        ratio, span = _best_span(wanted, normalise(t.get("text") or ""))
        if ratio > best[0]:
            best = (ratio, t["index"], span)
    return (best[1], best[2]) if best[0] >= MIN_RATIO else None
