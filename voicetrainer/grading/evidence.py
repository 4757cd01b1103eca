"""Layer 2: behaviour evidence from the agent's words, as the call detected it.

The grader does not detect again: each agent turn records what the call's detectors heard
(what the customer reacted to), and that is what is scored. The grader adds only what needs
the whole call and the persona as used: promises the persona says cannot be kept.

Each detection becomes a quote: the sentence of the agent's turn that holds the words that
triggered it, taken verbatim from the transcript so every quote can be checked against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..behaviours import Detection, content_words, normalise

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
    confidence: float = 1.0  # the detector's, as recorded during the call


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
    """Sentences that commit to something the persona says cannot be promised."""
    return [d for d, _ in promise_breaches(text, cannot_promise)]


def promise_breaches(text: str, cannot_promise: list[str]) -> list[tuple[Detection, str]]:
    """(detection, the cannot_promise item) for each sentence that commits to such a thing.

    A commitment word in the sentence, and two content words of one `cannot_promise` item in
    one clause of it ("It'll be in your account today" against "money in the account
    today"; not "the credit will be on your account, and I'll email you today").
    """
    found = []
    items = [(item, set(content_words(item.split("(")[0]))) for item in cannot_promise]
    text = normalise(text)
    for start, _, sentence in sentences(text):
        clauses = [set(content_words(c)) for c in CLAUSE.split(sentence)]
        if not COMMITMENT.search(sentence):
            continue
        broken = next((item for item, words in items if any(len(c & words) >= 2 for c in clauses)), None)
        if broken is not None:
            found.append((Detection("false_promise", sentence, start, start + len(sentence)), broken))
    return found


def recorded(turn: dict) -> list[tuple[Detection, str]]:
    """The turn's detections as the call recorded them, with their kind (words or timing)."""
    return [(Detection(d["behaviour"], d.get("trigger", ""), d.get("start", -1), d.get("end", -1),
                       d.get("confidence", 1.0)), d.get("kind", "words")) for d in turn.get("detections") or []]


def turn_evidence(turns: list[dict], cannot_promise: list[str] | None = None) -> list[Evidence]:
    """Every behaviour heard in every agent turn, in call order.

    What the call detected in the words (recorded in the turn: one source of truth for the
    customer's reactions, the report and the grade), then the promises the persona says
    cannot be kept, then the timing behaviours the call loop measured (interrupts, dead air).
    """
    found: list[Evidence] = []
    for t in turns:
        text = t.get("text") or ""
        if t["speaker"] != "agent" or not text:
            continue
        heard = recorded(t)
        words = [d for d, kind in heard if kind == "words"]
        for d in words + broken_promises(text, cannot_promise or []):
            found.append(Evidence(t["index"], d.behaviour, d.trigger, quote_for(text, d), d.confidence))
        timed = {d.behaviour for d, kind in heard if kind == "timing"}
        for timing in ("interrupts", "dead_air"):
            if timing in timed:
                found.append(Evidence(t["index"], timing, "", quote_for(text, Detection(timing, ""))))
    return found


def grader_findings(turns: list[dict], cannot_promise: list[str]) -> list[dict]:
    """What the grader found itself (not heard during the call), recorded as such in grade.json."""
    return [{"turn": t["index"], "behaviour": d.behaviour, "quote": d.trigger,
             "why": f"commits to what the persona says cannot be promised: {item}"}
            for t in turns if t["speaker"] == "agent" and t.get("text")
            for d, item in promise_breaches(t["text"], cannot_promise)]
