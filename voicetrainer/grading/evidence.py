"""Layer 2: behaviour evidence from the agent's words, through the call's own detectors.

Each detection becomes a quote: the sentence of the agent's turn that holds the words that
triggered it, taken verbatim from the transcript so every quote can be checked against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..behaviours import Detection, content_words, detect, normalise

SENTENCE = re.compile(r"\S.*?(?:[.!?]+(?=\s|$)|$)")  # "$189.99" does not end a sentence


@dataclass(frozen=True)
class Evidence:
    turn: int
    behaviour: str
    trigger: str
    quote: str


def sentences(text: str) -> list[tuple[int, int, str]]:
    """(start, end, sentence) spans of a transcript line, stripped of surrounding spaces."""
    return [(m.start(), m.end(), m.group(0)) for m in SENTENCE.finditer(text)]


def quote_for(text: str, detection: Detection) -> str:
    """The sentence holding the trigger, verbatim from `text` (the whole line if it cannot be placed)."""
    text = normalise(text)
    spans = sentences(text)
    if detection.start >= 0:
        # the sentence holding the trigger's start, or the next one if it starts on a space
        hit = next((s for a, b, s in spans if detection.start < b), None)
        if hit:
            return hit
    words = set(detection.trigger.lower().split())
    if words:  # paraphrase: the sentence sharing the most of the caller's words
        best = max(spans, key=lambda sp: len(words & set(content_words(sp[2]))), default=None)
        if best and words & set(content_words(best[2])):
            return best[2]
    return spans[0][2] if spans else text


def turn_evidence(turns: list[dict]) -> list[Evidence]:
    """Every behaviour heard in every agent turn, in call order.

    Words are re-read with the current phrase lists (so a re-grade uses today's detectors);
    the timing behaviours the call loop measured (interrupts, dead air) are kept as recorded.
    """
    found: list[Evidence] = []
    caller_so_far: list[str] = []
    for t in turns:
        text = t.get("text") or ""
        if t["speaker"] == "customer":
            caller_so_far.append(text)
            continue
        if not text:
            continue
        for d in detect(text, " ".join(caller_so_far)):
            found.append(Evidence(t["index"], d.behaviour, d.trigger, quote_for(text, d)))
        for timing in ("interrupts", "dead_air"):
            if timing in (t.get("behaviours") or []):
                found.append(Evidence(t["index"], timing, "", quote_for(text, Detection(timing, ""))))
    return found
