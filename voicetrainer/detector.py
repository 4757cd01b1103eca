"""The learned half of behaviour detection: one logistic head per behaviour over a sentence
encoder's reading of the agent's words.

Phrase rules (`behaviours.py`) catch the phrasings their authors thought of; agents speak in
their own words, through Whisper's errors. Each head reads, for every sentence of the turn
(and the whole turn):
  - its MiniLM vector (meaning),
  - which phrase rules fired on it (the rules as evidence, not as the only door),
  - how close it comes to what the caller said (cosine to the caller's nearest sentence,
    caller words restated): a paraphrase is judged by content, not by a lead phrase,
  - whether it is a question.
A behaviour is detected when a rule fires on the turn or its head's probability on any
sentence reaches the threshold set on the training corpus (`data/detector/heads.json`,
rebuilt by `voicetrainer behaviours train`).
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

HEADS = Path(__file__).parent / "data" / "detector" / "heads.json"
MAX_UNITS = 16  # sentences read per turn; a longer turn's tail is read in larger pieces
CALLER_SENTENCES = 24  # the caller's most recent sentences compared for a restatement
CONTEXT_FEATURES = ("caller_similarity", "caller_words_restated", "is_question")


MIN_UNIT_WORDS = 4  # "Good morning." alone reads like a goodbye: a fragment is read with its neighbour


def units(text: str) -> list[str]:
    """The turn's sentences (short ones joined to the next), and the whole turn when it has more than one."""
    sentences: list[str] = []
    carry = ""
    for s in re.findall(r"[^.!?]+[.!?]*", text):
        s = f"{carry} {s.strip()}".strip()
        carry = s if len(s.split()) < MIN_UNIT_WORDS else ""
        if not carry and s.strip(" .!?,"):
            sentences.append(s)
    if carry.strip(" .!?,"):
        if sentences:
            sentences[-1] = f"{sentences[-1]} {carry}"
        else:
            sentences.append(carry)
    if len(sentences) > MAX_UNITS:  # bounded cost: fold the rest into the last unit
        sentences = sentences[: MAX_UNITS - 1] + [" ".join(sentences[MAX_UNITS - 1:])]
    return sentences + [text.strip()] if len(sentences) > 1 else [text.strip()]


def caller_sentences(previous: str) -> list[str]:
    return [s.strip() for s in re.findall(r"[^.!?]+[.!?]*", previous) if len(s.split()) >= 2][-CALLER_SENTENCES:]


@dataclass(frozen=True)
class Heads:
    behaviours: tuple[str, ...]
    weights: np.ndarray  # (behaviours, features)
    bias: np.ndarray
    thresholds: np.ndarray
    rule_ids: tuple[str, ...]  # the rule-hit features, in order
    meta: dict

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """(units, features) -> (units, behaviours)."""
        return 1.0 / (1.0 + np.exp(-(features @ self.weights.T + self.bias)))


def load_heads(path: Path = HEADS) -> Heads | None:
    if not Path(path).is_file():
        return None
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    ids = tuple(raw["heads"])
    return Heads(
        behaviours=ids,
        weights=np.array([raw["heads"][b]["weights"] for b in ids], dtype=np.float32),
        bias=np.array([raw["heads"][b]["bias"] for b in ids], dtype=np.float32),
        thresholds=np.array([raw["heads"][b]["threshold"] for b in ids], dtype=np.float32),
        rule_ids=tuple(raw["rule_features"]),
        meta={k: v for k, v in raw.items() if k != "heads"},
    )


class Featurizer:
    """Turns (text, what the caller said) into one feature row per unit: shared by training
    and detection so the heads always read what they were trained on."""

    def __init__(self, encoder, rule_ids: tuple[str, ...]):
        self.encoder = encoder
        self.rule_ids = rule_ids
        self._caller_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def rows(self, text: str, previous: str) -> tuple[list[str], np.ndarray]:
        from .behaviours import _overlap, detect_rules

        pieces = units(text)
        vectors = self.encoder.encode(pieces)
        said = caller_sentences(previous)
        similarity = (vectors @ self._caller_vectors(said).T).max(axis=1) if said else np.zeros(len(pieces))
        rows = []
        for piece, vector, sim in zip(pieces, vectors, similarity):
            fired = {d.behaviour for d in detect_rules(piece, previous)}
            rules = [float(b in fired) for b in self.rule_ids]
            restated = min(len(_overlap(piece, previous)), 6) / 4.0 if previous else 0.0
            context = [float(sim), restated, float(piece.rstrip().endswith("?"))]
            rows.append(np.concatenate([vector, np.array(rules + context, dtype=np.float32)]))
        return pieces, np.vstack(rows).astype(np.float32)

    def _caller_vectors(self, sentences: list[str]) -> np.ndarray:
        # The caller's sentences recur turn after turn: encode each once. One model serves
        # every call in a process (the web app holds several), hence the lock.
        with self._lock:
            cache = self._caller_cache
            missing = list(dict.fromkeys(s for s in sentences if s not in cache))
            vectors = dict(zip(missing, self.encoder.encode(missing)))
            rows = np.vstack([vectors[s] if s in vectors else cache[s] for s in sentences])
            cache.update(vectors)
            while len(cache) > 256:
                cache.popitem(last=False)
            return rows


@dataclass(frozen=True)
class ModelHit:
    behaviour: str
    confidence: float  # the head's probability on its best unit
    unit: str  # the sentence that says it most (the evidence a report quotes)
    detected: bool  # confidence reached the head's threshold


class BehaviourModel:
    def __init__(self, heads: Heads, encoder=None):
        from .encoder import shared_encoder

        self.heads = heads
        self.featurizer = Featurizer(encoder or shared_encoder(), heads.rule_ids)

    def read(self, text: str, previous: str = "") -> dict[str, ModelHit]:
        """Every head's best unit and probability for one agent turn."""
        if not text.strip():
            return {}
        pieces, rows = self.featurizer.rows(text, previous)
        probs = self.heads.probabilities(rows)
        top = probs.max(axis=0)
        # The quote is the sentence that says it most, not the whole turn (the last piece).
        said_in = probs[:-1].argmax(axis=0) if len(pieces) > 1 else np.zeros(len(top), dtype=int)
        return {
            b: ModelHit(b, float(top[i]), pieces[said_in[i]], bool(top[i] >= self.heads.thresholds[i]))
            for i, b in enumerate(self.heads.behaviours)
        }


@lru_cache(maxsize=1)
def shared_model() -> BehaviourModel | None:
    """The committed heads with the shared encoder; None when no heads are installed."""
    heads = load_heads()
    return BehaviourModel(heads) if heads else None
