"""Fault suite (issue 11): hostile or broken input gets one plain sentence naming the file,
fast and in little memory; never a traceback, never "Unexpected error".

The CLI runs as a real subprocess, under a memory cap and a timeout, so a regression fails
the test (MemoryError, timeout) instead of taking the machine down.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from voicetrainer.personas import DEFAULT_PERSONAS_DIR

ROOT = Path(__file__).resolve().parent.parent
GOOD = (DEFAULT_PERSONAS_DIR / "angry_refund.yaml").read_text()
# Address space for commands that only read files: Python, pydantic and rich fit easily; an
# alias bomb or /dev/zero does not. Calls (Whisper, onnxruntime: one malloc arena per thread)
# run without it, since their address space grows with the machine's cores.
MEMORY_CAP = 1536 * 2**20


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run(*args, stdin: str = "", timeout: float = 30, cwd: Path = ROOT,
        capped: bool | None = None) -> subprocess.CompletedProcess:
    """`voicetrainer ARGS` as a user runs it; a hang becomes a failed test, not a stuck suite."""
    if capped is None:
        capped = args[0] in ("personas", "rubric", "grade", "history") and "try" not in args[:2]
    try:
        return subprocess.run([sys.executable, "-m", "voicetrainer", *map(str, args)], cwd=cwd, input=stdin,
                              capture_output=True, text=True, timeout=timeout,
                              preexec_fn=_cap_memory if capped else None, env={**os.environ, "COLUMNS": "250"})
    except subprocess.TimeoutExpired:
        pytest.fail(f"voicetrainer {' '.join(map(str, args))} still running after {timeout} s")


def assert_clean(result: subprocess.CompletedProcess, *expected: str, code: int = 1) -> str:
    """Exit code as expected, no traceback or "Unexpected error", every expected text shown."""
    out = result.stdout + result.stderr
    assert "Traceback" not in out and "Unexpected error" not in out, out
    assert result.returncode == code, out
    for text in expected:
        assert text in out, out
    return out


# -- persona, rubric and config files: bounded ------------------------------------------------

def alias_bomb(levels: int = 9) -> str:
    """The 'billion laughs': each anchor is a list of nine aliases of the one before."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_fast_naming_file_and_line(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb())
    assert bomb.stat().st_size < 600
    started = time.perf_counter()
    out = assert_clean(run("personas", "validate", bomb, timeout=20), "bomb.yaml:", "aliases")
    assert time.perf_counter() - started < 10
    assert "values once its aliases are expanded" in out


def test_alias_bomb_in_a_call_is_refused_before_the_call(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb())
    assert_clean(run("call", "--persona", bomb, "--agent-audio", tmp_path, "--out", tmp_path / "out", timeout=20,
                     capped=True),  # refused before Whisper loads
                 "bomb.yaml:")
    assert not (tmp_path / "out").exists()


def test_line_index_does_not_walk_alias_paths():
    """Before: every path through the aliases got an entry (9**4 here); the index must stay
    the size of the file, whatever the aliases would expand to."""
    from voicetrainer.yamlfile import _line_index

    node = yaml.compose(alias_bomb(levels=4))
    assert len(_line_index(node)) < 100


def test_aliases_that_expand_a_little_still_work(tmp_path):
    """Aliases are allowed (a trainer may reuse lines); only their expansion is capped."""
    text = GOOD.replace("  venting:\n", "  venting: &vent\n", 1) + "  deflecting: *vent\n"
    assert text.count("&vent") == 1 and GOOD.endswith("\n")
    path = tmp_path / "aliased.yaml"
    path.write_text(text)
    assert_clean(run("personas", "validate", path), "ok", code=0)


def test_alias_that_contains_itself_is_refused(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text(GOOD.replace("lines:\n", "lines: &all\n  loop: *all\n", 1))
    assert_clean(run("personas", "validate", path), "loop.yaml:", "refers to a value that contains it")


def test_deep_nesting_is_refused_with_its_line(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text(GOOD + "extra: " + "[" * 40 + "]" * 40 + "\n")
    line = GOOD.count("\n") + 1
    assert_clean(run("personas", "validate", path), f"deep.yaml:{line}: nested more than 16 levels deep")


@pytest.mark.parametrize("megabytes", [1, 20])
def test_oversized_file_is_refused_without_parsing_it(tmp_path, megabytes):
    path = tmp_path / "huge.yaml"
    with path.open("w") as f:
        f.write(GOOD.replace("summary: ", "summary: >-\n  " + "x" * (megabytes * 2**20) + "\n  ", 1))
    started = time.perf_counter()
    assert_clean(run("personas", "validate", path, timeout=20), "huge.yaml:", "larger than 256 KB")
    assert time.perf_counter() - started < 10


def test_symlink_to_dev_zero_is_refused_without_reading(tmp_path):
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    assert_clean(run("personas", "validate", link, timeout=15), "zero.yaml:", "not a regular file")


def test_fifo_is_refused_without_opening(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert_clean(run("personas", "validate", fifo, timeout=15), "pipe.yaml:", "not a regular file")


def test_config_and_rubric_files_are_bounded_too(tmp_path):
    bomb = tmp_path / "rubric.yaml"
    bomb.write_text(alias_bomb())
    assert_clean(run("rubric", "validate", bomb, timeout=20), "rubric.yaml:", "aliases")
    config = tmp_path / "config.yaml"
    config.symlink_to("/dev/zero")
    result = subprocess.run([sys.executable, "-m", "voicetrainer", "personas", "list"], cwd=ROOT, capture_output=True,
                            text=True, timeout=15, preexec_fn=_cap_memory,
                            env={**os.environ, "VOICETRAINER_CONFIG": str(config)})
    assert_clean(result, "config.yaml:", "not a regular file")


@pytest.mark.parametrize("persona_id", ["../../tmp/evil", "../outside", "/tmp/evil", "..", "a/b"])
def test_persona_id_cannot_leave_the_personas_folder(tmp_path, persona_id):
    outside = tmp_path / "outside.yaml"
    outside.write_text(GOOD)
    personas = tmp_path / "personas"
    personas.mkdir()
    (tmp_path / "evil.yaml").write_text(GOOD)
    result = run("personas", "show", persona_id, "--personas", personas, cwd=tmp_path)
    assert_clean(result, "is not a persona id")
    assert "Dana Whitaker" not in result.stdout


def test_persona_file_path_still_works(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD)
    assert_clean(run("personas", "show", path), "Dana Whitaker", code=0)


# -- rich markup in user text is printed as written --------------------------------------------

def test_markup_in_a_missing_persona_path_gives_the_real_error(tmp_path):
    folder = tmp_path / "m[/]x"  # two folders, `m[` and `]x`: the path reads m[/]x
    folder.mkdir(parents=True)
    assert_clean(run("personas", "show", folder / "nope[bold].yaml"), "m[/]x/nope[bold].yaml", "does not exist")


def test_markup_in_a_persona_name_is_shown_as_written(tmp_path):
    (tmp_path / "x[/]y").mkdir(parents=True)
    path = tmp_path / "x[/]y" / "[red]odd.yaml"
    path.write_text(GOOD.replace("name: Dana Whitaker", 'name: "Dana [/] [bold]Whitaker"', 1))
    assert "[/]" in path.read_text()
    out = assert_clean(run("personas", "try", path, stdin="Hello, how can I help?\n/quit\n"),
                       "Dana [/] [bold]Whitaker", code=0)
    out = assert_clean(run("personas", "show", path), "Dana [/] [bold]Whitaker", code=0)
    save = tmp_path / "s[/]ved"
    save.parent.mkdir()
    out = assert_clean(run("personas", "try", path, "--save", save, stdin="Hello [/] [bold]there.\n/quit\n"),
                       "Hello [/] [bold]there.", str(save), code=0)
    assert "[bold]" in out


# -- broken sessions and journals: one sentence naming the file ---------------------------------

def _good_session(folder: Path) -> Path:
    from .grading_helpers import text_session

    return text_session(folder, ["Hello, thanks for calling, how can I help?", "My refund never came.",
                                 "I'm sorry about that, I'll check it now and call you back by Friday.", "Fine."])


BROKEN_SESSIONS = {
    "binary": (b"\x00\xff\xfe\x89PNG\r\n\x1a\n" * 20, "session.json is not text"),
    "not_json": (b'{"persona": "angry_refund", "turns": [', "session.json is not valid JSON (line 1, column 39)"),
    "a_list": (b'["not", "a", "call"]', "session.json does not hold a call"),
    "turns_not_a_list": (b'{"turns": "hello"}', "session.json does not hold a call (turns:"),
    "turn_not_an_object": (b'{"turns": [5]}', "session.json does not hold a call (turns.0:"),
    "text_a_number": (b'{"turns": [{"index": 0, "speaker": "agent", "text": 5, "start_s": 0, "end_s": 1}]}',
                      "(turns.0.text:"),
    "time_as_text": (b'{"turns": [{"index": 0, "speaker": "agent", "text": "hi", "start_s": "soon", "end_s": 1}]}',
                     "(turns.0.start_s:"),
    "mood_as_text": (b'{"turns": [{"index": 0, "speaker": "agent", "text": "hi", "mood": "cross"}]}',
                     "(turns.0.mood:"),
    "words_wrong": (b'{"turns": [{"index": 0, "speaker": "agent", "text": "hi", "words": [{"w": 1}]}]}',
                    "(turns.0.words.0"),
    "speaker_unknown": (b'{"turns": [{"index": 0, "speaker": "robot", "text": "hi"}]}', "(turns.0.speaker:"),
}


@pytest.mark.parametrize("case", BROKEN_SESSIONS, ids=str)
def test_broken_session_json_is_one_sentence_naming_the_file(tmp_path, case):
    raw, expected = BROKEN_SESSIONS[case]
    folder = tmp_path / "call"
    folder.mkdir()
    (folder / "session.json").write_bytes(raw)
    out = assert_clean(run("grade", folder), f"{folder / 'session.json'}", expected)
    assert not (folder / "grade.json").exists()
    assert out.count("Error:") == 1


def test_journal_of_binary_junk_without_session_is_named(tmp_path):
    folder = tmp_path / "call"
    folder.mkdir()
    (folder / "journal.jsonl").write_bytes(os.urandom(4096).replace(b"\n", b" "))
    assert_clean(run("grade", folder), f"{folder / 'journal.jsonl'} does not hold a call")
    assert_clean(run("history", folder), "journal.jsonl does not hold a call", code=0)


def test_junk_between_journal_events_loses_no_finished_turn(tmp_path):
    folder = _good_session(tmp_path / "call")
    session = json.loads((folder / "session.json").read_text())
    (folder / "session.json").unlink()
    events = [{"event": "call_started", "persona": "angry_refund", "mood_start": 8.0}]
    events += [{"event": "turn", **t} for t in session["turns"]]
    lines = [json.dumps(e).encode() for e in events]
    lines.insert(2, b"\xff\xfe\x00 binary junk")
    lines.insert(4, b"[1, 2, 3]")  # JSON, but not an event
    (folder / "journal.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    assert_clean(run("grade", folder, "--no-report"), "Overall", code=0)
    assert len(json.loads((folder / "grade.json").read_text())["criteria"]) > 0


def test_grade_batch_grades_every_folder_it_can_and_names_the_rest(tmp_path):
    first, last = _good_session(tmp_path / "first"), _good_session(tmp_path / "last")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "session.json").write_bytes(b"\x00\xff" * 100)
    listy = tmp_path / "listy"
    listy.mkdir()
    (listy / "session.json").write_text("[1, 2]")
    missing = tmp_path / "missing"
    result = run("grade", first, broken, missing, listy, last, "--no-report")
    out = assert_clean(result, str(broken), str(missing), str(listy), "3 of 5 sessions could not be graded")
    assert (first / "grade.json").exists() and (last / "grade.json").exists()
    assert not (broken / "grade.json").exists()
    assert "is not a folder" in out and "is not text" in out and "does not hold a call" in out


@pytest.mark.parametrize("stopping", [False, True], ids=["ending", "already_stopping"])
def test_the_recorder_finishes_what_it_can_on_a_full_disk_and_leaves_no_temp_file(tmp_path, monkeypatch, stopping):
    """Recorder.finish: every step is tried (the last event, the journal's close, session.json,
    then call.wav); a failure is raised unless the call is already stopping with another one."""
    import errno

    from voicetrainer.personas import find_persona
    from voicetrainer.record.recorder import Recorder, call_started

    out = tmp_path / "call"
    recorder = Recorder(out, call_started(find_persona("angry_refund"), "scripted", None, None, "text"))
    recorder.turn({"index": 0, "speaker": "agent", "text": "Hello.", "start_s": 0.0, "end_s": 1.0,
                   "behaviours": [], "detections": []})
    write_text = Path.write_text

    def disk_full(self, data, *args, **kwargs):
        if self.name.endswith(".tmp"):
            write_text(self, data[:10], *args, **kwargs)  # half written, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return write_text(self, data, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", disk_full)
    saved: list[dict] = []
    if stopping:
        assert recorder.finish("terminated", 1.0, 8.0, "CallStopped: stopped by SIGTERM", stopping=True,
                               then=saved.append) is None
    else:
        with pytest.raises(OSError) as caught:
            recorder.finish("customer_hung_up", 1.0, 8.0, then=saved.append)
        assert caught.value.filename == str(out / "session.json")  # named as the file, not its temp
    assert not list(out.glob("*.tmp")) and not (out / "session.json").exists() and saved == []
    journal = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    assert journal[-1]["event"] == "call_ended" and recorder.journal._file.closed


# -- history: a call still running is not "an error" --------------------------------------------

def test_history_shows_a_running_call_as_in_progress(tmp_path):
    from voicetrainer.journal import Journal

    folder = tmp_path / "sessions" / "2026-12-01_120000_angry_refund"
    journal = Journal(folder / "journal.jsonl")  # held open, as by a call still running
    try:
        journal.write("call_started", persona="angry_refund", persona_name="Dana Whitaker",
                      started_at="2026-12-01T12:00:00+00:00", mood_start=8.0)
        journal.write("turn", index=0, speaker="agent", text="Hello, how can I help?", start_s=0.0, end_s=2.0,
                      mood=8.0)
        out = assert_clean(run("history", tmp_path / "sessions"), "still in progress", code=0)
        assert "an error stopped the call" not in out
    finally:
        journal.close()
    # The call's process is gone and it never ended: that is not "in progress" any more.
    out = assert_clean(run("history", tmp_path / "sessions"), "an error stopped the call", code=0)
    assert "still in progress" not in out


# -- a full disk and SIGTERM stop a call cleanly -------------------------------------------------

FIXTURE_CALL = ROOT / "tests" / "fixtures" / "calls" / "angry_refund_good"


@pytest.fixture
def small_disk(tmp_path):
    """A real 1 MB filesystem (tmpfs): room for a turn or two of a call, then ENOSPC."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


@pytest.mark.slow
def test_a_full_disk_stops_the_call_with_one_sentence_and_keeps_every_finished_turn(small_disk):
    from voicetrainer.audio import read_audio
    from voicetrainer.journal import load_session

    out = small_disk / "call"
    result = run("call", "--persona", "angry_refund", "--caller", "scripted", "--agent-audio", FIXTURE_CALL,
                 "--out", out, "--no-grade", timeout=180)
    err = assert_clean(result, "could not be written: the disk is full.")
    assert err.count("the disk is full") == 1 and "OSError" not in err
    assert not list(out.glob("*.tmp")), list(out.iterdir())
    session = load_session(out)  # session.json, or rebuilt from the journal when even that did not fit
    assert session["turns"] and session["turns"][0]["text"].startswith("Thank you for calling")
    for turn in session["turns"]:
        if turn.get("audio"):
            assert read_audio(out / turn["audio"]).duration_s > 0.5


@pytest.mark.slow
def test_sigterm_saves_the_session_like_ctrl_c(tmp_path):
    import signal

    out = tmp_path / "call"
    proc = subprocess.Popen([sys.executable, "-m", "voicetrainer", "call", "--persona", "angry_refund", "--caller",
                             "scripted", "--agent-audio", str(FIXTURE_CALL), "--out", str(out), "--realtime",
                             "--no-grade"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    journal = out / "journal.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_text().count('"event": "turn"') >= 3:
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert "Traceback" not in stderr and "Unexpected error" not in stderr, stderr
    assert proc.returncode == 143, stderr
    assert "Stopped by SIGTERM" in stderr
    session = json.loads((out / "session.json").read_text())
    assert session["ended_by"] == "terminated" and len(session["turns"]) >= 3
    assert (out / "call.wav").exists() and not list(out.glob("*.tmp"))


# -- silence is silence; agent audio is bounded ---------------------------------------------------

def test_a_long_agent_file_is_trimmed_with_a_warning_and_a_journal_note(tmp_path):
    import numpy as np
    import soundfile as sf

    from voicetrainer.files import MAX_TURN_S, FileSource

    folder = tmp_path / "agent"
    folder.mkdir()
    sf.write(folder / "01.wav", np.zeros(int(16_000 * (MAX_TURN_S + 60)), np.int16), 16_000, subtype="PCM_16")
    warnings: list[str] = []
    source = FileSource(folder, on_warning=warnings.append)
    audio = source.next_turn()
    assert audio.duration_s == pytest.approx(MAX_TURN_S, abs=0.1)
    assert warnings == ["01.wav is 6.0 minutes long; only its first 5 minutes are used as this agent turn."]
    assert source.notes[0]["event"] == "agent_audio_trimmed" and source.notes[0]["length_s"] == MAX_TURN_S + 60


@pytest.mark.slow
def test_twenty_minutes_of_silence_is_silence_not_you_you_you(tmp_path):
    import shutil

    import numpy as np
    import soundfile as sf

    folder = tmp_path / "agent"
    folder.mkdir()
    shutil.copy(FIXTURE_CALL / "01.wav", folder / "01.wav")
    sf.write(folder / "02.wav", np.zeros(16_000 * 20 * 60, np.int16), 16_000, subtype="PCM_16")
    out = tmp_path / "call"
    started = time.perf_counter()
    err = assert_clean(run("call", "--persona", "angry_refund", "--caller", "scripted", "--agent-audio", folder,
                           "--out", out, "--no-grade", timeout=300), "02.wav is 20.0 minutes long", code=0)
    assert time.perf_counter() - started < 120, "silence should not be decoded minute by minute"
    session = json.loads((out / "session.json").read_text())
    silent = session["turns"][2]
    assert silent["speaker"] == "agent" and silent["text"] == "" and silent["words"] == [], silent["text"][:200]
    assert session["turns"][3]["situation"] == "idle"  # the customer heard silence: "Hello? Are you there?"
    assert any(n["event"] == "agent_audio_trimmed" for n in session["notes"])
    assert "you you" not in err.lower()


def test_a_session_naming_a_persona_outside_the_folder_reads_no_file_there(tmp_path):
    """Grading reads the persona snapshot a session holds; only an old session (schema 1, no
    snapshot) is upgraded from a persona file, and that file is looked up by a plain id only."""
    from voicetrainer.record import read_session

    personas = tmp_path / "personas"
    personas.mkdir()
    (tmp_path / "outside.yaml").write_text(GOOD)  # a valid persona with promises, one folder up
    turns = [{"index": 0, "speaker": "agent", "text": "Hello.", "start_s": 0, "end_s": 1, "detections": []}]

    def upgraded(persona: str, personas_dir: Path):
        folder = tmp_path / f"call{len(list(tmp_path.glob('call*')))}"
        folder.mkdir()
        (folder / "session.json").write_text(json.dumps({"persona": persona, "ended_by": "x", "turns": turns}))
        return read_session(folder, personas_dir)

    assert upgraded("outside", tmp_path).cannot_promise  # inside its folder it is read...
    assert upgraded("../outside", personas).cannot_promise == []  # ...through `..` it is not
    assert upgraded(str(tmp_path / "outside"), personas).cannot_promise == []


@pytest.mark.parametrize("where", ["under_a_file", "in_proc"])
def test_a_session_folder_that_cannot_be_made_is_one_sentence(tmp_path, where):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    out = a_file / "call" if where == "under_a_file" else Path("/proc/voicetrainer-call")
    assert_clean(run("call", "--persona", "angry_refund", "--agent-audio", FIXTURE_CALL, "--out", out, "--no-grade"),
                 f"The session folder {out} cannot be created")
    assert_clean(run("personas", "try", "angry_refund", "--save", out, stdin="Hello.\n"),
                 f"The session folder {out} cannot be created")


@pytest.mark.slow
def test_markup_in_a_spoken_call_persona_and_folder_is_shown_as_written(tmp_path):
    import shutil

    agent = tmp_path / "agent"
    agent.mkdir()
    shutil.copy(FIXTURE_CALL / "01.wav", agent / "01.wav")
    persona = tmp_path / "odd.yaml"
    persona.write_text(GOOD.replace("name: Dana Whitaker", 'name: "Dana [/] [bold]Whitaker"', 1))
    out = tmp_path / "x[" / "]call[bold]"
    out.parent.mkdir()
    result = run("call", "--persona", persona, "--agent-audio", agent, "--out", out, timeout=180)
    assert_clean(result, "Calling Dana [/] [bold]Whitaker", f"Saved    {out}", code=0)
    assert (out / "grade.json").exists() and (out / "report.html").exists()


def test_sigterm_saves_a_text_call_too(tmp_path):
    import signal

    save = tmp_path / "typed"
    proc = subprocess.Popen([sys.executable, "-m", "voicetrainer", "personas", "try", "angry_refund", "--save",
                             str(save)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdin.write("Hello, thanks for calling, how can I help?\n")
    proc.stdin.flush()  # stdin stays open: the call waits for the next line, as at a keyboard
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
            (save / "journal.jsonl").exists() and '"speaker": "customer"' in (save / "journal.jsonl").read_text()):
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 143 and "Stopped by SIGTERM" in stderr and "Traceback" not in stderr, stderr
    session = json.loads((save / "session.json").read_text())
    assert session["ended_by"] == "terminated" and len(session["turns"]) == 2

