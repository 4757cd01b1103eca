"""Loudness and pitch measured from agent recordings: right on known signals, and a raised
voice in a real recording lowers calm tone."""

from __future__ import annotations

import json

import numpy as np
import pytest

from voicetrainer.audio import read_audio, write_wav
from voicetrainer.grading import grade_session
from voicetrainer.grading.voice import loudness_db, pitch_hz

from .conftest import FIXTURE_CALLS
from .grading_helpers import text_session
from .test_grading import GOOD

RATE = 16_000


def voiced(f0: float, seconds: float = 1.0) -> np.ndarray:
    """A voice-like signal: a fundamental with decaying harmonics."""
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.3 * sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))).astype(np.float32)


@pytest.mark.parametrize("f0", [95.0, 140.0, 220.0])
def test_pitch_of_a_known_voice(f0):
    assert np.median(pitch_hz(voiced(f0), RATE)) == pytest.approx(f0, rel=0.01)


def test_silence_has_no_pitch_and_no_loudness():
    silence = np.zeros(RATE, dtype=np.float32)
    assert pitch_hz(silence, RATE).size == 0 and loudness_db(silence, RATE) is None


def test_loudness_ignores_pauses_and_follows_gain():
    speech = voiced(120.0)
    padded = np.concatenate([np.zeros(RATE * 2, dtype=np.float32), speech])
    assert loudness_db(padded, RATE) == pytest.approx(loudness_db(speech, RATE), abs=0.2)
    assert loudness_db(2 * speech, RATE) - loudness_db(speech, RATE) == pytest.approx(6.02, abs=0.05)


def graded_with_recordings(directory, change_turn_4=lambda clip: clip.samples) -> dict:
    """The GOOD text call graded with the recorded fixture turns as the agent's audio;
    turn 4's recording passed through `change_turn_4` first."""
    d = text_session(directory, GOOD)
    doc = json.loads((d / "session.json").read_text())
    for t in doc["turns"]:
        if t["speaker"] == "agent":
            clip = read_audio(FIXTURE_CALLS / "angry_refund_good" / f"{t['index'] // 2 + 1:02d}.wav")
            samples = change_turn_4(clip) if t["index"] == 4 else clip.samples
            write_wav(d / f"agent_{t['index']:02d}.wav", samples, clip.rate)
            t["audio"] = f"agent_{t['index']:02d}.wav"
    (d / "session.json").write_text(json.dumps(doc))
    return grade_session(d)


def calm_tone(grade: dict) -> dict:
    return next(c for c in grade["criteria"] if c["id"] == "calm_tone")


def test_a_raised_voice_in_a_recording_lowers_calm_tone(tmp_path):
    even = graded_with_recordings(tmp_path / "even")
    raised = graded_with_recordings(tmp_path / "raised", lambda clip: np.clip(clip.samples * 3.0, -1, 1))
    assert even["metrics"]["voice_measured"] and even["metrics"]["raised_voice_turns"] == 0
    assert [r["turn"] for r in raised["metrics"]["raised_voice"]] == [4]
    assert raised["metrics"]["raised_voice"][0]["relative_db"] > 6  # the rubric threshold (clipping eats some)
    assert calm_tone(raised)["score"] < calm_tone(even)["score"] == 5
    assert any(e["turn"] == 4 and e["behaviour"] == "raised_voice_turns" for e in calm_tone(raised)["evidence"])
    assert 70 < even["metrics"]["pitch_median_hz"] < 200


def test_a_voice_pitched_up_counts_as_raised_though_no_louder(tmp_path):
    """Turn 4 played back faster, every frequency 6 semitones up, at the same level."""
    up = 2 ** (6 / 12)
    even = graded_with_recordings(tmp_path / "even")
    higher = graded_with_recordings(tmp_path / "higher", lambda clip: clip.resampled(round(clip.rate / up)).samples)
    assert even["metrics"]["raised_voice_turns"] == 0
    (raised,) = higher["metrics"]["raised_voice"]
    assert raised["turn"] == 4 and raised["signs"] == ["higher pitch"]
    assert 4 < raised["pitch_relative_st"] < 7 and abs(raised["relative_db"]) < 2
    assert calm_tone(higher)["score"] < calm_tone(even)["score"]
