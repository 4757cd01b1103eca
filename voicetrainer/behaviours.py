"""Detect agent behaviours in a transcribed turn: the one module the mood engine and the
evaluator share, so the customer's reactions and the grade always agree.

Two readers, one answer (`detect`): phrase families in `data/behaviours.yaml` (trainers can
extend them; paraphrase is also found by content-word overlap with the caller's words), and
the learned heads of `detector.py`, which read the turn by meaning and take the rules as
evidence. A behaviour either one finds is detected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import yaml

DEFAULT_PHRASES = Path(__file__).parent / "data" / "behaviours.yaml"

# Words that carry no content for paraphrase overlap.
STOPWORDS = frozenset(
    """a an the and or but so if then to of in on at for from by with about as is are was were be
    been being am i me my mine you your yours we our us it its this that these those he she they
    them his her their there here what which who whom when where why how do does did done have has
    had having will would shall should can could may might must not no yes just really very okay ok
    oh um uh well yeah right now still also too all any some get got go going gonna want need like
    know think say said tell told call called calling one time times thing things let make sure
    please thank thanks sorry hi hello im youre dont cant ive thats its whats""".split()
)


# How a restatement usually starts (or addresses the caller); with it, two content words
# shared with the caller are enough, without it four are needed.
PARAPHRASE_LEAD = re.compile(
    r"^(?:(?:okay|ok|right|alright),? )?(?:so\b|just to (?:confirm|check|make sure)|if i(?:'ve)? understand"
    r"|(?:it )?sounds like|what i'm hearing|you(?:'re|'ve|'d| are| were| have| had| need| want)\b)",
    re.IGNORECASE,
)
# An agent contradicting the caller is not restating them.
CONTRADICTS = re.compile(r"\b(?:is|was|are) (?:right|correct|accurate)\b|\bwas never\b|\bour records show\b", re.IGNORECASE)
# Lines with these are refusals or brush-offs, whatever words they share with the caller.
NOT_A_RESTATEMENT = frozenset({"says_cant", "cites_policy", "blames_others", "dismissive", "rude"})
# "..., right?" / "..., okay?": a tag asks for agreement, not for the caller to explain.
TAG_QUESTION = re.compile(
    r",\s*(?:right|okay|ok|alright|all right|yeah|yes|no|correct|fair|got it|understood"
    r"|(?:is|was|do|did|does|are|were|will|won't|can|isn't|wasn't|don't|didn't|doesn't|aren't|weren't|can't) (?:it|i|you|we|they|he|she|that))\s*\?$",
    re.IGNORECASE,
)
# "So your refund never arrived, is that right?" restates, then checks: a statement for paraphrase.
CHECKED = re.compile(r",\s*(?:is that|was that|have i got that|did i get that) (?:right|correct)\s*\?$", re.IGNORECASE)


@dataclass(frozen=True)
class Behaviour:
    id: str
    description: str
    polarity: str  # positive | negative | neutral
    patterns: tuple[re.Pattern, ...] = ()
    unless: tuple[re.Pattern, ...] = ()
    timing: bool = False


@dataclass(frozen=True)
class Detection:
    behaviour: str
    trigger: str  # the words that triggered it, as they appear in the (normalised) text
    start: int = -1  # character span in the normalised text; -1 when not from words
    end: int = -1
    confidence: float = 1.0  # the learned head's probability (1.0 for timing and rules-only detection)
    source: str = "rules"  # rules | model | rules+model | timing


def _compile(phrases: list[str]) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(rf"(?<![\w']){p}(?![\w'])", re.IGNORECASE) for p in phrases)


@lru_cache(maxsize=8)
def load_behaviours(path: Path = DEFAULT_PHRASES) -> dict[str, Behaviour]:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return {
        bid: Behaviour(
            id=bid,
            description=spec.get("description", ""),
            polarity=spec.get("polarity", "neutral"),
            patterns=_compile(spec.get("phrases", [])),
            unless=_compile(spec.get("unless", [])),
            timing=bool(spec.get("timing", False)),
        )
        for bid, spec in raw.items()
    }


BEHAVIOUR_IDS = frozenset(load_behaviours())


def normalise(text: str) -> str:
    """Straight quotes and single spaces, so phrases match what Whisper writes."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip()


def content_words(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+(?:'[a-z]+)?", normalise(text).lower())
    return [w for w in words if w.replace("'", "") not in STOPWORDS and len(w) > 2]


def _stem(word: str) -> str:
    return re.sub(r"(ing|ed|es|s)$", "", word) if len(word) > 4 else word


def _overlap(text: str, previous: str) -> list[str]:
    prev = {_stem(w) for w in content_words(previous)}
    seen: list[str] = []
    for w in content_words(text):
        if _stem(w) in prev and w not in seen:
            seen.append(w)
    return seen


def _sentences(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"[^.!?]+[.!?]*", text)]


def _restates(text: str, previous: str) -> list[str]:
    """Content words of the caller's that the agent's statements (not questions) repeat,
    when they amount to a restatement; empty otherwise."""
    statements = " ".join(s for s in (text[a:b].rstrip() for a, b in _sentences(text))
                          if not s.endswith("?") or TAG_QUESTION.search(s) or CHECKED.search(s))
    if not statements or CONTRADICTS.search(statements):
        return []
    shared = _overlap(statements, previous)
    needed = 2 if PARAPHRASE_LEAD.match(statements.strip()) else 4
    return shared if len(shared) >= needed else []


def _questions(text: str) -> list[tuple[int, int]]:
    """Spans of real questions: sentences ending in '?' that are not tag questions."""
    asked = [(a, b) for a, b in _sentences(text) if text[a:b].rstrip().endswith("?")]
    return [(a, b) for a, b in asked if not TAG_QUESTION.search(text[a:b].rstrip())]


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """Spans inside quotation marks: the agent quoting someone is not saying it."""
    return [m.span() for m in re.finditer(r'"[^"]*"', text)]


def detect(text: str, previous: str = "", model: bool = True) -> list[Detection]:
    """All behaviours in one agent turn, in behaviour-file order: what the phrase rules find
    or the learned heads find (`model=False`: the rules alone).

    `previous` is what the caller has said so far (for paraphrase). Measured against
    labelled lines by bench/behaviours.py (docs/BEHAVIOURS.md).
    """
    found = detect_rules(text, previous)
    reader = _shared_model() if model else None
    if reader is None:
        return found
    hits = reader.read(text, previous)
    text = normalise(text)
    merged = []
    for d in found:
        hit = hits.get(d.behaviour)
        merged.append(replace(d, confidence=round(hit.confidence, 3), source="rules+model" if hit.detected else "rules")
                      if hit else d)
    heard = {d.behaviour for d in found}
    for b, hit in hits.items():
        if hit.detected and b not in heard:
            start = text.find(normalise(hit.unit))
            merged.append(Detection(b, normalise(hit.unit), start, start + len(normalise(hit.unit)) if start >= 0 else -1,
                                    round(hit.confidence, 3), "model"))
    order = list(load_behaviours())
    return sorted(_veto(merged, text), key=lambda d: order.index(d.behaviour))


def _shared_model():
    from .detector import shared_model

    return shared_model()


def _veto(found: list[Detection], text: str) -> list[Detection]:
    """What one detection says about another, whoever found them: a refusal, brush-off or
    contradiction restates nothing; a question inside a rude sentence asks nothing."""
    heard = {d.behaviour for d in found}
    spans = _sentences(text)

    def sentence_of(d: Detection) -> tuple[int, int]:
        return next(((a, b) for a, b in spans if a <= d.start < b), (-1, -1))

    # only a rude phrase pins the question down; the heads' "rude" reads a whole sentence's tone
    rude = [d for d in found if d.behaviour == "rude" and "rules" in d.source]
    return [d for d in found
            if not (d.behaviour == "paraphrases" and (NOT_A_RESTATEMENT & heard or CONTRADICTS.search(text)
                                                      or (d.source == "model" and _asks(d.trigger))))
            and not (d.behaviour == "asks_question" and d.start >= 0
                     and any(sentence_of(r) == sentence_of(d) for r in rude if r.start >= 0))]


def _asks(sentence: str) -> bool:
    """A real question (not a tag or a restate-then-check): it asks, it does not restate."""
    s = sentence.rstrip()
    return s.endswith("?") and not TAG_QUESTION.search(s) and not CHECKED.search(s)


def detect_rules(text: str, previous: str = "", behaviours: dict[str, Behaviour] | None = None) -> list[Detection]:
    """What the phrase rules alone find: behaviour-file order, first trigger each."""
    behaviours = behaviours or load_behaviours()
    text = normalise(text)
    quoted = _quoted_spans(text)
    found: list[Detection] = []
    for b in behaviours.values():
        if b.timing:
            continue
        for pattern in b.patterns:
            hit = next(
                (
                    m
                    for m in pattern.finditer(text)
                    if not any(qs <= m.start() < qe for qs, qe in quoted)
                    and not any(u.search(text[max(0, m.start() - 20) : m.end() + 30]) for u in b.unless)
                ),
                None,
            )
            if hit:
                found.append(Detection(b.id, hit.group(0), hit.start(), hit.end()))
                break
        if b.id == "asks_question" and not any(d.behaviour == b.id for d in found):
            q = next(iter(_questions(text)), None)
            if q:
                found.append(Detection(b.id, text[q[0]:q[1]].strip(), *q))
    return _settle(found, text, previous, list(behaviours))


def _settle(found: list[Detection], text: str, previous: str, order: list[str]) -> list[Detection]:
    """What one detection says about another: a hostile question ("Are you even listening?")
    asks nothing; words shared with the caller only restate them outside a refusal."""
    hostile = [d for d in found if d.behaviour == "rude"]
    spans = _sentences(text)

    def sentence_of(d: Detection) -> tuple[int, int]:
        return next(((a, b) for a, b in spans if a <= d.start < b), (-1, -1))

    found = [d for d in found if not (d.behaviour == "asks_question" and d.start >= 0
                                      and any(sentence_of(r) == sentence_of(d) for r in hostile))]
    heard = {d.behaviour for d in found}
    if previous and "paraphrases" in order and "paraphrases" not in heard and not NOT_A_RESTATEMENT & heard:
        shared = _restates(text, previous)
        if shared:
            found.append(Detection("paraphrases", " ".join(shared)))
            found.sort(key=lambda d: order.index(d.behaviour))
    return found


def behaviour_ids(detections: list[Detection]) -> list[str]:
    return [d.behaviour for d in detections]
