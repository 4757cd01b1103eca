"""Detect agent behaviours in a transcribed turn: the one module the mood engine and the
evaluator share, so the customer's reactions and the grade always agree.

Phrase families live in `data/behaviours.yaml` (trainers can extend them); paraphrase is
also found by content-word overlap with the caller's previous turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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


# How a paraphrase usually starts; with it, two shared content words are enough.
PARAPHRASE_LEAD = re.compile(r"^(?:okay,? |right,? |alright,? )?(?:so|just to confirm|if i understand)\b", re.IGNORECASE)


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


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """Spans inside quotation marks: the agent quoting someone is not saying it."""
    return [m.span() for m in re.finditer(r'"[^"]*"', text)]


def detect(text: str, previous: str = "", behaviours: dict[str, Behaviour] | None = None) -> list[Detection]:
    """All behaviours in one agent turn, in behaviour-file order, first trigger each.

    `previous` is what the caller has said so far (for paraphrase overlap).
    """
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
        if b.id == "asks_question" and not any(d.behaviour == b.id for d in found) and "?" in text:
            q = next(m for m in re.finditer(r"[^.!?]*\?", text))
            found.append(Detection(b.id, q.group(0).strip(), q.start(), q.end()))
        if b.id == "paraphrases" and previous and not any(d.behaviour == b.id for d in found):
            shared = _overlap(text, previous)
            if len(shared) >= 3 or (len(shared) >= 2 and PARAPHRASE_LEAD.match(text)):
                found.append(Detection(b.id, " ".join(shared)))
    return found


def behaviour_ids(detections: list[Detection]) -> list[str]:
    return [d.behaviour for d in detections]
