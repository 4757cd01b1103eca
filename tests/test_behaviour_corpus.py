"""The labelled corpus of agent lines and how well the behaviour detectors do on it.

`bench/behaviours.py` prints the full precision/recall table; here the corpus must be valid
and the detectors must not fall below floors set from the measured figures.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT
from voicetrainer.behaviour_corpus import Score, averages, load_corpus, score, word_behaviour_ids
from voicetrainer.behaviours import detect
from voicetrainer.errors import FileValidationError

FIXTURES = ROOT / "tests" / "fixtures" / "behaviours"
CORPUS = FIXTURES / "labelled.jsonl"


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CORPUS)


def test_corpus_is_valid_and_covers_every_word_behaviour_in_both_splits(corpus):
    assert len(corpus) >= 200
    for split in ("dev", "heldout"):
        labelled = {b for x in corpus if x.split == split for b in x.behaviours}
        assert labelled == set(word_behaviour_ids()), split
    heldout = sum(x.split == "heldout" for x in corpus) / len(corpus)
    assert 0.2 <= heldout <= 0.4
    assert sum(not x.behaviours for x in corpus) >= 20  # lines that should trigger nothing


def test_a_bad_corpus_names_line_and_field(tmp_path):
    bad = tmp_path / "bad.jsonl"
    rows = [
        {"text": "I'm so sorry.", "behaviours": ["apologises"], "split": "dev"},
        {"text": "I'm so  SORRY.", "behaviours": ["apologizes"], "split": "test"},
        {"text": "", "behaviours": [], "split": "dev"},
        {"text": "Hi", "behaviours": ["interrupts"], "split": "dev", "speaker": "agent"},
    ]
    bad.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n")
    with pytest.raises(FileValidationError) as err:
        load_corpus(bad)
    message = str(err.value)
    assert f"{bad}:2: behaviours: unknown behaviour id 'apologizes'" in message
    assert f"{bad}:2: split: must be one of dev, heldout" in message
    assert f"{bad}:2: text: duplicates line 1" in message
    assert f"{bad}:3: text: must be a non-empty string" in message
    assert f"{bad}:4: behaviours: unknown behaviour id 'interrupts'" in message  # timing ids are not from words
    assert f"{bad}:4: speaker: unknown field" in message
    assert f"{bad}:5: not JSON" in message


def test_scores_count_hits_misses_and_false_alarms():
    expected = [frozenset({"apologises"}), frozenset({"apologises", "rude"}), frozenset()]
    predicted = [{"apologises"}, {"rude"}, {"apologises"}]
    scores = score(expected, predicted, ["apologises", "rude", "greeting"])
    assert scores["apologises"] == Score(tp=1, fp=1, fn=1)
    assert scores["rude"] == Score(tp=1, fp=0, fn=0)
    assert (scores["greeting"].precision, scores["greeting"].recall) == (1.0, 1.0)  # nothing to find, nothing found
    assert Score(0, 0, 3).precision == 0.0  # found nothing of three
    avg = averages(scores)
    assert avg["micro_precision"] == round(2 / 3, 3) and avg["micro_recall"] == round(2 / 3, 3)
    assert avg["macro_recall"] == round((0.5 + 1.0) / 2, 3)  # ids without support are left out


def predicted(lines):
    return [{d.behaviour for d in detect(x.text, x.previous)} for x in lines]


# Floors, from the figures measured when the phrases were last tuned (bench/behaviours.py):
# held-out micro-F1 0.834 (precision 0.93, recall 0.75; 207 labels on 185 lines). The margin
# of 0.03 (about six held-out labels) lets a trainer's new phrase trade a line or two for
# better coverage elsewhere; a broken phrase family or code path costs far more.
HELDOUT_MICRO_F1_FLOOR = 0.80
# Held-out recall of the behaviours that move the caller's mood most, measured then, each
# allowed to lose about one line (their supports are small: 7 to 32 lines). Low floors are
# honest ones: rude and dismissive phrasing varies most and is found least.
RECALL_FLOORS = {
    "acknowledges_feelings": 0.80,  # measured 17/19
    "takes_ownership": 0.75,  # 25/32
    "gives_timeline": 0.60,  # 10/14
    "says_cant": 0.60,  # 10/15
    "cites_policy": 0.55,  # 5/7
    "blames_others": 0.60,  # 8/11
    "dismissive": 0.35,  # 4/8
    "rude": 0.20,  # 3/9
}


def test_heldout_micro_f1_stays_above_its_floor(corpus):
    heldout = [x for x in corpus if x.split == "heldout"]
    avg = averages(score([x.behaviours for x in heldout], predicted(heldout), word_behaviour_ids()))
    assert avg["micro_f1"] >= HELDOUT_MICRO_F1_FLOOR, avg


@pytest.mark.parametrize("behaviour", sorted(RECALL_FLOORS))
def test_recall_of_the_behaviours_the_mood_engine_relies_on(corpus, behaviour):
    heldout = [x for x in corpus if x.split == "heldout"]
    s = score([x.behaviours for x in heldout], predicted(heldout), [behaviour])[behaviour]
    assert s.recall >= RECALL_FLOORS[behaviour], (s, [x.text for x, p in zip(heldout, predicted(heldout))
                                                      if behaviour in x.behaviours and behaviour not in p])


ROUND4 = FIXTURES / "round4.jsonl"


def test_the_learned_heads_find_more_on_wording_never_tuned_on():
    """Round 4 was written after the heads were frozen and is never trained or tuned on.
    Measured at freezing: rules alone micro P 0.74 R 0.55 F1 0.63; rules + heads P 0.70
    R 0.78 F1 0.74. Floors a little under, so a retrain on more lines can trade a few."""
    lines = load_corpus(ROUND4)
    ids = word_behaviour_ids()
    expected = [x.behaviours for x in lines]
    rules = averages(score(expected, [{d.behaviour for d in detect(x.text, x.previous, model=False)} for x in lines], ids))
    heads = averages(score(expected, predicted(lines), ids))
    assert heads["micro_f1"] >= 0.70 and heads["micro_precision"] >= 0.65, heads
    assert heads["micro_recall"] >= rules["micro_recall"] + 0.15, (rules, heads)


@pytest.mark.slow
def test_training_is_seeded_and_reproducible(tmp_path):
    """Two trainings on the same lines write the same file, byte for byte."""
    from voicetrainer.detector_training import train

    corpus = FIXTURES / "train" / "tech_meltdown.jsonl"  # one persona's lines: every id, quick to read
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    summary = train([corpus], first)
    train([corpus], second)
    assert first.read_bytes() == second.read_bytes()
    heads = json.loads(first.read_text())["heads"]
    assert set(heads) == set(word_behaviour_ids()) and summary["lines"] == len(load_corpus(corpus))
    assert all(0.3 <= h["threshold"] <= 0.95 and len(h["weights"]) == 384 + len(heads) + 3 for h in heads.values())


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("**/*.jsonl")), ids=lambda p: p.name)
def test_every_corpus_file_is_valid_and_labels_only_known_behaviours(path):
    lines = load_corpus(path)  # raises with file, line and field on any problem
    assert lines and all(x.behaviours <= set(word_behaviour_ids()) for x in lines)
