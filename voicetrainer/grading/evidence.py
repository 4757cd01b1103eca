"""Layer 2: behaviour evidence from the agent's words, through the call's own detectors.

Each detection becomes a quote: the sentence of the agent's turn that holds the words that
triggered it, taken verbatim from the transcript so every quote can be checked against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..behaviours import Detection, content_words, detect, normalise

# A sentence that commits to something ("it'll", "I will", "promise", "definitely"...).
COMMITMENT = re.compile(r"(?<![\w'])(?:will|won't|promise|guarantee\w*|definitely|certainly|for sure)(?![\w'])"
                        r"|'ll(?![\w'])", re.IGNORECASE)
CLAUSE = re.compile(r"[,;:]|\s(?:and|but|or|so)\s", re.IGNORECASE)
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


def broken_promises(text: str, cannot_promise: list[str]) -> list[Detection]:
    """Sentences that commit to something the persona says cannot be promised.

    A commitment word in the sentence, and two content words of one `cannot_promise` item in
    one clause of it ("It'll be in your account today" against "money in the account
    today"; not "the credit will be on your account, and I'll email you today").
    """
    found = []
    items = [set(content_words(item.split("(")[0])) for item in cannot_promise]
    text = normalise(text)
    for start, _, sentence in sentences(text):
        clauses = [set(content_words(c)) for c in CLAUSE.split(sentence)]
        if COMMITMENT.search(sentence) and any(len(c & item) >= 2 for c in clauses for item in items):
            found.append(Detection("false_promise", sentence, start, start + len(sentence)))
    return found


def turn_evidence(turns: list[dict], cannot_promise: list[str] | None = None) -> list[Evidence]:
    """Every behaviour heard in every agent turn, in call order.

    Words are re-read with the current phrase lists (so a re-grade uses today's detectors);
    the timing behaviours the call loop measured (interrupts, dead air) are kept as recorded;
    promises the persona says cannot be kept count as false promises.
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
        for d in detect(text, " ".join(caller_so_far)) + broken_promises(text, cannot_promise or []):
            found.append(Evidence(t["index"], d.behaviour, d.trigger, quote_for(text, d)))
        for timing in ("interrupts", "dead_air"):
            if timing in (t.get("behaviours") or []):
                found.append(Evidence(t["index"], timing, "", quote_for(text, Detection(timing, ""))))
    return found
