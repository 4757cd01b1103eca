"""Whole offline calls with every part real: recorded agent audio, Whisper, mood engine,
scripted caller, pyttsx3, journal, session.json, call.wav. Every recorded fixture call is
held; the file and timeline checks use angry_refund_good."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from voicetrainer.audio import read_audio
from voicetrainer.journal import rebuild_session
from voicetrainer.testing.wer import wer

from .conftest import FIXTURE_CALLS, ROOT
from .fixture_calls import MANIFEST, calls

pytestmark = pytest.mark.slow
TURN_WER_BOUND = 0.30  # tiny.en on clean synthetic speech; a broken pipeline gives ~1.0


@pytest.fixture(scope="module")
def good(held_calls):
    held = held_calls["angry_refund_good"]
    return held.persona, held.out, held.session


@pytest.mark.parametrize("name", calls("good"))
def test_good_call_calms_the_customer(name, held_calls):
    held = held_calls[name]
    turns = held.session["turns"]
    situations = [t.get("situation") for t in turns]
    assert held.session["ended_by"] in ("customer_satisfied", "agent_closed"), situations
    assert "accepting" in situations, situations
    assert turns[-1]["mood"] < held.persona.mood.start


@pytest.mark.parametrize("name", calls("bad"))
def test_bad_call_makes_it_worse(name, held_calls):
    held = held_calls[name]
    assert held.session["ended_by"] == "customer_hung_up" or held.session["turns"][-1]["mood"] > held.persona.mood.start
    assert "accepting" not in [t.get("situation") for t in held.session["turns"]]


def test_the_manifest_is_what_the_scripts_say():
    """A script edited without rebuilding its audio (make_fixtures.py CALL) is caught here."""
    spec = importlib.util.spec_from_file_location("fixture_scripts", FIXTURE_CALLS / "scripts.py")
    scripts = sys.modules[spec.name] = importlib.util.module_from_spec(spec)  # dataclasses look it up
    spec.loader.exec_module(scripts)
    assert list(MANIFEST) == list(scripts.CALLS)
    for name, call in scripts.CALLS.items():
        recorded = MANIFEST[name]
        assert (recorded["persona"], recorded["expect"]) == (call.persona, call.expect), name
        assert [(t["text"], t["designed_behaviours"]) for t in recorded["turns"]] == [(t, list(b)) for t, b in call.turns]
        files = sorted(p.name for p in (FIXTURE_CALLS / name).iterdir())
        assert files == [t["file"] for t in recorded["turns"]], name
        assert len(files) >= 8, name


@pytest.mark.parametrize("name", list(MANIFEST))
def test_agent_turns_transcribed_match_the_fixture_manifest(name, held_calls):
    held = held_calls[name]
    agent_turns = held.agent_turns()
    assert agent_turns and all(t["audio"] for t in agent_turns)
    for turn, script in zip(agent_turns, held.manifest["turns"]):  # a call the customer ended stops early
        assert wer(script["text"], turn["text"]) <= TURN_WER_BOUND, (script["file"], turn["text"])


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


def test_a_call_into_a_folder_that_holds_one_is_refused_and_the_first_kept(good, transcriber, synthesizer):
    from voicetrainer.call import CallOptions, run_call
    from voicetrainer.clock import VirtualClock
    from voicetrainer.config import Settings
    from voicetrainer.errors import VoiceTrainerError
    from voicetrainer.files import FileSink, FileSource
    from voicetrainer.setup_call import make_customer

    persona, out, _ = good
    before = (out / "journal.jsonl").read_bytes()
    with pytest.raises(VoiceTrainerError, match="already holds a call"):
        run_call(persona, FileSource(FIXTURE_CALLS / "angry_refund_bad"), FileSink(out), transcriber, synthesizer,
                 make_customer(persona, "scripted", Settings()), out, VirtualClock(), CallOptions())
    assert (out / "journal.jsonl").read_bytes() == before


def test_what_a_source_notes_between_turns_is_journaled(tmp_path, transcriber, synthesizer):
    """A source's `notes` (the live headset's replayed lines) land in the journal and session."""
    import shutil

    from voicetrainer.call import CallOptions, run_call
    from voicetrainer.clock import VirtualClock
    from voicetrainer.config import Settings
    from voicetrainer.files import FileSink, FileSource
    from voicetrainer.personas import find_persona
    from voicetrainer.setup_call import make_customer

    class NotingSource(FileSource):
        def __init__(self, directory):
            super().__init__(directory)
            self.notes = []

        def next_turn(self):
            self.notes.append({"event": "repeated", "seconds": 1.5, "message": "the agent replayed a line"})
            return super().next_turn()

    turns = tmp_path / "turns"
    turns.mkdir()
    shutil.copy(FIXTURE_CALLS / "angry_refund_good" / "01.wav", turns / "01.wav")
    persona, out = find_persona("angry_refund"), tmp_path / "call"
    session = run_call(persona, NotingSource(turns), FileSink(out), transcriber, synthesizer,
                       make_customer(persona, "scripted", Settings()), out, VirtualClock(), CallOptions())
    repeats = [n for n in session["notes"] if n["event"] == "repeated"]
    assert repeats == [{"event": "repeated", "seconds": 1.5, "message": "the agent replayed a line"}] * 2


def test_realtime_ends_turns_by_the_fixed_rule_unless_asked_and_journals_why(tmp_path):
    """`call --realtime` without --turn-end: the fixed --end-silence rule (the default since
    the model rule cut multi-sentence turns live); each turn's end_of_turn note and the
    session's end_of_turn field read back through the typed record."""
    import shutil

    from voicetrainer.record.store import read_session

    turns = tmp_path / "turns"
    turns.mkdir()
    for name in ("01.wav", "02.wav"):
        shutil.copy(FIXTURE_CALLS / "angry_refund_good" / name, turns / name)
    out = tmp_path / "call"
    cmd = [sys.executable, "-m", "voicetrainer", "call", "--persona", "angry_refund", "--caller", "scripted",
           "--agent-audio", str(turns), "--out", str(out), "--realtime", "--no-grade", "--end-silence", "700"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    session = read_session(out)
    assert session.end_of_turn == "fixed" and session.end_silence_ms == 700
    ends = [n.model_dump() for n in session.notes if n.event == "end_of_turn"]
    assert len(ends) == 2 and all(n["rule"] == "fixed" and "p" not in n for n in ends)
    assert all(n["silence_ms"] >= n["hold_ms"] for n in ends)
