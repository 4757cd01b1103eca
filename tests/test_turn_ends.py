"""The end-of-turn model on real speech: its input is pipecat's, and the rule built on it cuts
the agent off no more often than the fixed silence did (bench/turn_ends.py has the figures)."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

from tests.conftest import SHARED_SPEECH
from voicetrainer.audio import read_audio

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model():
    from voicetrainer.live.smart_turn import SmartTurn

    return SmartTurn()


def test_features_and_answer_match_pipecats_preprocessing(shared_speech, model):
    """Reference: pipecat-ai 1.14.0's own numpy features (_whisper_features.py) and session
    on the JFK clip followed by 0.2 s of silence gave 0.8111; an input prepared differently
    (no normalisation, padding at the end, 30 s frames) moves it by far more than 0.01."""
    jfk = read_audio(SHARED_SPEECH / "audio" / "fasterwhisper_jfk.flac").samples
    from voicetrainer.live.smart_turn import features

    feats = features(jfk)
    assert feats.shape == (80, 800) and feats.dtype == np.float32
    assert model.probability(np.concatenate([jfk, np.zeros(3200, np.float32)])) == pytest.approx(0.8111, abs=0.01)


@pytest.fixture(scope="module")
def measured(shared_speech, transcriber, model):
    from voicetrainer.live.endpoint import SmartRule
    from voicetrainer.testing import turn_ends as te

    cases = te.shared_speech_cases(SHARED_SPEECH, transcriber, per_kind=2, limit=12)
    return [te.measure(c, model, transcriber, SmartRule().model_at_ms) for c in cases]


@pytest.mark.parametrize("decode_ms", [None, 450.0], ids=["measured-decode", "idle-decode"])
def test_the_smart_rule_cuts_mid_turn_pauses_no_more_often_and_answers_finished_turns_sooner(measured, decode_ms):
    from voicetrainer.live.endpoint import FixedRule, SmartRule
    from voicetrainer.testing.turn_ends import MID_TURN, replay

    smart, fixed = SmartRule(600), FixedRule(600)
    mids = [m for m in measured if m.case.kind in MID_TURN]
    ends = [m for m in measured if m.case.kind == "end"]
    assert len(mids) >= 30 and len(ends) == 12

    def cut_rate(rule) -> float:  # mid-turn hesitations of 0.5, 0.75 and 1 s
        ended = [replay(rule, m, rule.model_at_ms, decode_ms=decode_ms) for m in mids]
        return float(np.mean([t < d for t in ended for d in (500, 750, 1000)]))

    def wait(rule) -> float:
        return statistics.median(replay(rule, m, rule.model_at_ms, decode_ms=decode_ms) for m in ends)

    assert cut_rate(smart) <= cut_rate(fixed)
    assert wait(smart) < wait(fixed)
    assert wait(smart) <= 400  # a finished human sentence: answered in about 0.3 s


def test_a_paced_replay_ends_each_turn_by_the_model_and_notes_why(shared_speech, tmp_path):
    """The path `voicetrainer call --realtime` and the benchmark take: real speech fed in real
    time, the model asked in the pause on its own thread, the decision kept for the journal."""
    from voicetrainer.files import PacedFileSource
    from voicetrainer.live.endpoint import SmartRule

    for i, entry in enumerate(e for e in shared_speech if e["duration_s"] <= 4.0):
        if i == 2:
            break
        src = SHARED_SPEECH / entry["file"]
        (tmp_path / f"{i + 1:02d}{src.suffix}").symlink_to(src)
    source = PacedFileSource(tmp_path, rule=SmartRule(600))  # no transcriber: the sound alone decides
    for _ in range(2):
        assert source.next_turn() is not None
        note = source.notes.pop()
        assert note["event"] == "end_of_turn" and note["rule"] == "smart" and 0 <= note["p"] <= 1
        finished = note["p"] >= 0.5
        assert note["hold_ms"] == (288 if finished else 1200)
        assert ("sounds finished" if finished else "sounds unfinished") in note["why"]
        assert note["hold_ms"] <= source.last_endpoint_ms <= note["hold_ms"] + 40
