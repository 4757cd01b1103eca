"""Labelled agent lines and the precision/recall of the behaviour detectors on them.

A corpus is JSON lines, one agent line each: {"text", "previous" (the caller's line before
it), "behaviours": [the ids a person expects], "split": "dev"|"heldout", "note"}. Phrases are
tuned on the dev split; the held-out split checks that the tuning generalises.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .behaviours import load_behaviours
from .errors import FileValidationError, ValidationProblem

SPLITS = ("dev", "heldout")
FIELDS = {"text", "previous", "behaviours", "split", "note", "source", "style", "persona"}


@dataclass(frozen=True)
class LabelledLine:
    text: str
    previous: str
    behaviours: frozenset[str]
    split: str
    line: int  # in the corpus file, for messages
    source: str = ""  # where the line came from (e.g. the authoring round)
    style: str = ""  # the voice it was written in (warm, brisk, formal, casual, non_native, rambling, asr)
    persona: str = ""  # the persona whose call it belongs to


def word_behaviour_ids() -> list[str]:
    """The ids the detectors find from words (timing ones come from the call loop), in file order."""
    return [b.id for b in load_behaviours().values() if not b.timing]


def load_corpus(path: Path) -> list[LabelledLine]:
    """Read and check a corpus; every problem is reported with its line and field."""
    known = set(word_behaviour_ids())
    problems: list[ValidationProblem] = []
    lines: list[LabelledLine] = []
    seen: dict[str, int] = {}

    def problem(number: int, field: str, text: str) -> None:
        problems.append(ValidationProblem(str(path), number, field, text))

    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except json.JSONDecodeError as exc:
            problem(number, "", f"not JSON ({exc.msg})")
            continue
        if not isinstance(item, dict):
            problem(number, "", "not a JSON object")
            continue
        for field in sorted(set(item) - FIELDS):
            problem(number, field, f"unknown field (expected {', '.join(sorted(FIELDS))})")
        text, previous, ids, split = item.get("text"), item.get("previous", ""), item.get("behaviours"), item.get("split")
        if not isinstance(text, str) or not text.strip():
            problem(number, "text", "must be a non-empty string")
            continue
        if not isinstance(previous, str):
            problem(number, "previous", "must be a string (may be empty)")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            problem(number, "behaviours", "must be a list of behaviour ids")
            ids = []
        for i in ids:
            if i not in known:
                problem(number, "behaviours", f"unknown behaviour id {i!r}")
        source = item.get("source", "")
        if not isinstance(source, str):
            problem(number, "source", "must be a string")
        if len(set(ids)) != len(ids):
            problem(number, "behaviours", "lists an id twice")
        if split not in SPLITS:
            problem(number, "split", f"must be one of {', '.join(SPLITS)}")
        key = " ".join(text.lower().split())
        if key in seen:
            problem(number, "text", f"duplicates line {seen[key]}")
        seen.setdefault(key, number)
        extra = {k: item[k] for k in ("style", "persona") if isinstance(item.get(k), str)}
        for k in ("style", "persona"):
            if k in item and not isinstance(item[k], str):
                problem(number, k, "must be a string")
        lines.append(LabelledLine(text, previous if isinstance(previous, str) else "", frozenset(ids), split, number,
                                  source if isinstance(source, str) else "", **extra))
    if problems:
        raise FileValidationError(str(path), problems)
    return lines


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        # Nothing predicted: perfect only when there was nothing to find.
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float(not self.fn)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {"precision": round(self.precision, 3), "recall": round(self.recall, 3), "f1": round(self.f1, 3),
                "support": self.support, "tp": self.tp, "fp": self.fp, "fn": self.fn}


def score(expected: list[frozenset[str]], predicted: list[set[str]], ids: list[str]) -> dict[str, Score]:
    """Per behaviour id: true positives, false positives, false negatives over the lines."""
    counts = {}
    for b in ids:
        tp = sum(b in e and b in p for e, p in zip(expected, predicted, strict=True))
        fp = sum(b not in e and b in p for e, p in zip(expected, predicted, strict=True))
        fn = sum(b in e and b not in p for e, p in zip(expected, predicted, strict=True))
        counts[b] = Score(tp, fp, fn)
    return counts


def averages(scores: dict[str, Score]) -> dict[str, float]:
    """Micro (pooled over every label) and macro (mean over ids with support) F1, P and R."""
    pooled = Score(*(sum(getattr(s, f) for s in scores.values()) for f in ("tp", "fp", "fn")))
    present = [s for s in scores.values() if s.support]
    mean = lambda f: sum(getattr(s, f) for s in present) / len(present) if present else 0.0  # noqa: E731
    return {"micro_precision": round(pooled.precision, 3), "micro_recall": round(pooled.recall, 3),
            "micro_f1": round(pooled.f1, 3), "macro_precision": round(mean("precision"), 3),
            "macro_recall": round(mean("recall"), 3), "macro_f1": round(mean("f1"), 3)}
