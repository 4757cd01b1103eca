"""Whole offline calls with every part real: recorded agent audio, Whisper, mood engine,
scripted caller, pyttsx3, journal, session.json, call.wav."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from voicetrainer.audio import read_audio
from voicetrainer.call import CallOptions, run_call
from voicetrainer.clock import VirtualClock
from voicetrainer.files import FileSink, FileSource
from voicetrainer.journal import rebuild_session
from voicetrainer.personas import find_persona
from voicetrainer.setup_call import make_customer
from voicetrainer.config import Settings
from voicetrainer.testing.wer import wer

from .conftest import FIXTURE_CALLS, ROOT

pytestmark = pytest.mark.slow
TURN_WER_BOUND = 0.30  # tiny.en on clean synthetic speech; a broken pipeline gives ~1.0


def hold_call(name, tmp_path, transcriber, synthesizer, seed=0):
    persona = find_persona("angry_refund")
    out = tmp_path / name
    session = run_call(persona, FileSource(FIXTURE_CALLS / name), FileSink(out), transcriber, synthesizer,
                       make_customer(persona, "scripted", Settings(), seed), out, VirtualClock(), CallOptions())
    return persona, out, session


@pytest.fixture(scope="module")
def good(tmp_path_factory, transcriber, synthesizer):
    return hold_call("angry_refund_good", tmp_path_factory.mktemp("calls"), transcriber, synthesizer)


@pytest.fixture(scope="module")
def bad(tmp_path_factory, transcriber, synthesizer):
    return hold_call("angry_refund_bad", tmp_path_factory.mktemp("calls"), transcriber, synthesizer)


def test_good_call_calms_the_customer(good):
    persona, _, session = good
    assert session["ended_by"] in ("customer_satisfied", "agent_closed")
    assert any(t.get("situation") == "accepting" for t in session["turns"])
    assert session["turns"][-1]["mood"] < persona.mood.start


def test_bad_call_makes_it_worse(bad):
    persona, _, session = bad
    assert session["ended_by"] == "customer_hung_up" or session["turns"][-1]["mood"] > persona.mood.start


@pytest.mark.parametrize("which", ["good", "bad"])
def test_agent_turns_transcribed_match_the_fixture_manifest(which, good, bad, fixture_manifest):
    _, _, session = good if which == "good" else bad
    script = {t["file"]: t["text"] for t in fixture_manifest[f"angry_refund_{which}"]["turns"]}
    agent_turns = [t for t in session["turns"] if t["speaker"] == "agent"]
    files = sorted(script)[: len(agent_turns)]
    for turn, name in zip(agent_turns, files):
        assert wer(script[name], turn["text"]) <= TURN_WER_BOUND, (name, turn["text"])


def test_session_files_and_shape(good):
    _, out, session = good
    on_disk = json.loads((out / "session.json").read_text())
    assert on_disk == session
    for key in ("persona", "started_at", "caller", "stt_model", "ended_by", "turns"):
        assert key in session
    assert session["caller"] == "scripted" and session["stt_model"] == "tiny.en"
    turns = session["turns"]
    assert [t["index"] for t in turns] == list(range(len(turns)))
    assert [t["speaker"] for t in turns[:2]] == ["agent", "customer"]  # the agent greets first
    for a, b in zip(turns, turns[1:]):
        assert a["end_s"] <= b["start_s"]
    for t in turns:
        assert 0 <= t["mood"] <= 10 and t["text"]
        if t["speaker"] == "customer":
            clip = read_audio(out / t["audio"], rate=None)
            assert clip.duration_s > 0.5
    assert "takes_ownership" in {b for t in turns for b in t["behaviours"]}


def test_call_wav_is_stereo_on_one_timeline(good):
    import soundfile as sf

    _, out, session = good
    data, rate = sf.read(out / "call.wav", always_2d=True)
    assert data.shape[1] == 2
    assert abs(len(data) / rate - session["turns"][-1]["end_s"]) < 0.5
    first_customer = next(t for t in session["turns"] if t["speaker"] == "customer")
    i = int(first_customer["start_s"] * rate)
    j = int(first_customer["end_s"] * rate)
    assert abs(data[i:j, 1]).max() > 0.05  # the customer is on the right...
    assert abs(data[i:j, 0]).max() < 0.01  # ...and the agent is silent while they speak


def test_journal_rebuilds_the_session(good):
    _, out, session = good
    assert rebuild_session(out / "journal.jsonl") == session


def test_a_killed_call_keeps_every_finished_turn(tmp_path):
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "voicetrainer", "call", "--persona", "angry_refund", "--caller", "scripted",
           "--agent-audio", str(FIXTURE_CALLS / "angry_refund_good"), "--out", str(out), "--realtime"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = out / "journal.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if journal.exists() and journal.read_text().count('"event": "turn"') >= 3:
            break
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "session.json").exists(), "killed before the end"
    session = rebuild_session(journal)
    assert len(session["turns"]) >= 3 and session["ended_by"] == "error"
    assert session["turns"][0]["speaker"] == "agent" and session["turns"][0]["text"]
    assert (out / session["turns"][1]["audio"]).exists()
