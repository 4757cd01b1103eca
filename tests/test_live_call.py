"""Live calls over a real audio path without hardware: a private PulseAudio daemon with a
virtual microphone and a virtual headset, PortAudio reaching it through ALSA's pulse plugin.
One scripted call (about a minute) is held once and checked from several sides.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import FIXTURE_CALLS, ROOT
from voicetrainer.journal import read_events
from voicetrainer.testing.pulse import PulseUnavailable, VirtualAudio
from voicetrainer.testing.wer import corpus_wer

pytestmark = [pytest.mark.live, pytest.mark.slow]

CALL = "angry_refund_good"


@pytest.fixture(scope="module")
def pulse(tmp_path_factory):
    audio = VirtualAudio(tmp_path_factory.mktemp("pulse"))
    try:
        audio.start()
    except PulseUnavailable as exc:
        pytest.skip(f"PulseAudio cannot run here: {exc}")
    saved = {k: os.environ.get(k) for k in audio.env}
    os.environ.update(audio.env)
    if "sounddevice" in sys.modules:  # PortAudio lists devices once, when it starts: restart it
        sd = sys.modules["sounddevice"]
        sd._terminate()
        sd._initialize()
    yield audio
    for k, v in saved.items():
        os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    audio.stop()


@pytest.fixture(scope="module")
def live_call(pulse, transcriber, synthesizer, tmp_path_factory):
    from voicetrainer.callers.scripted import ScriptedGenerator
    from voicetrainer.customer import Customer
    from voicetrainer.personas import find_persona
    from voicetrainer.testing.live_scenario import run_live_scenario

    persona = find_persona("angry_refund", ROOT / "personas")
    persona = persona.model_copy(update={"mood": persona.mood.model_copy(update={"idle_after_s": 3.0})})
    turns = sorted((FIXTURE_CALLS / CALL).glob("*.wav"))
    out = tmp_path_factory.mktemp("live") / "session"
    return run_live_scenario(pulse, turns, persona, transcriber, synthesizer,
                             Customer(persona, ScriptedGenerator(0)), out)


def agent_turns(session):
    return [t for t in session["turns"] if t["speaker"] == "agent"]


def test_the_scripted_call_ran_every_step(live_call):
    assert live_call.problems == []
    assert live_call.session["ended_by"] == "agent_ended"
    assert (live_call.out / "call.wav").exists() and (live_call.out / "session.json").exists()


def test_agent_turns_were_transcribed_from_the_microphone(live_call, fixture_manifest):
    reference = {t["file"]: t["text"] for t in fixture_manifest[CALL]["turns"]}
    spoken = [t["text"] for t in agent_turns(live_call.session) if t["text"]]
    assert len(spoken) == 4, spoken  # one turn per recording: no turn split at a pause, none merged
    error = corpus_wer([(reference[f], text) for f, text in zip(live_call.spoken, spoken)])
    assert error <= 0.15, (error, spoken)


def test_customer_audio_came_out_of_the_headset(live_call):
    samples, rate = sf.read(str(live_call.headset_wav), dtype="float32")
    frames = samples[: len(samples) // 320 * 320].reshape(-1, 320)  # 20 ms at 16 kHz
    loud_s = float((np.sqrt((frames ** 2).mean(axis=1)) > 0.01).sum()) * 0.02
    replies = [t for t in live_call.session["turns"] if t["speaker"] == "customer"]
    played_s = sum(t["end_s"] - t["start_s"] for t in replies)
    assert len(replies) >= 4
    assert loud_s >= 0.5 * played_s, (loud_s, played_s)  # speech has pauses, the replies were heard


def test_talking_over_the_customer_stopped_the_reply_and_was_journaled(live_call):
    turns = live_call.session["turns"]
    cut = [t for t in turns if t["speaker"] == "customer" and t.get("interrupted_at_s") is not None]
    assert len(cut) == 1, [(t["text"], t.get("interrupted_at_s")) for t in turns]
    played, _ = sf.read(str(live_call.out / cut[0]["audio"]))
    assert 0.3 < cut[0]["interrupted_at_s"] < 4.0
    events = [e for e in read_events(live_call.out / "journal.jsonl") if e["event"] == "interrupted"]
    assert [e["turn"] for e in events] == [cut[0]["index"]]
    after = turns[cut[0]["index"] + 1]  # the barge-in is the start of the agent's next turn
    assert after["speaker"] == "agent" and "espresso machine" in after["text"].lower()
    assert "interrupts" in after["behaviours"]


def test_silence_brought_an_idle_prompt(live_call):
    turns = live_call.session["turns"]
    idle = [t for t in turns if t["speaker"] == "customer" and t.get("situation") == "idle"]
    assert len(idle) == 1
    silent = turns[idle[0]["index"] - 1]
    assert silent["speaker"] == "agent" and silent["text"] == ""
    assert silent["end_s"] - silent["start_s"] >= 2.9  # the persona's idle time, 3 s here


def test_latency_is_journaled_for_every_turn(live_call):
    for turn in live_call.session["turns"]:
        if turn["speaker"] == "agent":
            assert turn["endpoint_ms"] > 0 and turn["stt_ms"] >= 0
        else:
            assert turn["voice_to_voice_ms"] > 0 and turn["tts_ms"] > 0


VOICETRAINER = str(ROOT / ".venv/bin/voicetrainer") if (ROOT / ".venv/bin/voicetrainer").exists() else "voicetrainer"


def test_devices_lists_the_virtual_devices(pulse):
    done = subprocess.run([VOICETRAINER, "devices"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **pulse.env, "COLUMNS": "200"}, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "default" in done.stdout and "input" in done.stdout and "output" in done.stdout


def test_a_device_lost_mid_call_ends_it_with_one_sentence_and_keeps_the_session(tmp_path):
    """The command line's live call with no terminal; the sound server dies after one exchange."""
    audio = VirtualAudio(tmp_path / "pulse")
    try:
        audio.start()
    except PulseUnavailable as exc:
        pytest.skip(f"PulseAudio cannot run here: {exc}")
    out = tmp_path / "session"
    call = subprocess.Popen(
        [VOICETRAINER, "call", "--persona", "angry_refund", "--caller", "scripted", "--no-grade", "--out", str(out)],
        env={**os.environ, **audio.env, "COLUMNS": "200"}, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (out / "journal.jsonl").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        audio.speak_into_mic(FIXTURE_CALLS / CALL / "01.wav").wait(timeout=30)
        while time.monotonic() < deadline and not any(
                e.get("speaker") == "customer" for e in read_events(out / "journal.jsonl")):
            time.sleep(0.2)
    finally:
        audio.stop()  # the device is gone
    stdout, stderr = call.communicate(timeout=30)
    assert call.returncode == 1, stderr
    assert stderr.startswith("Error: The ") and "stopped" in stderr and "Traceback" not in stderr, stderr
    assert f"saved in {out}" in stderr.replace("\n", "")
    assert "Agent" in stdout and "Customer" in stdout  # the plain view, no terminal needed
    session = json.loads((out / "session.json").read_text())
    assert session["ended_by"] == "error"
    assert session["turns"][0]["text"].startswith("Thank you for calling")


def test_push_to_talk_and_a_caller_who_talks_over_the_agent(pulse, transcriber):
    """Push-to-talk: the turn is exactly what was said between the presses, including what
    was said over the customer. A persona with talks_over keeps talking for TALK_OVER_S
    after the agent barges in."""
    import threading

    from voicetrainer.audio import read_audio
    from voicetrainer.live.headset import TALK_OVER_S, Headset, HeadsetOptions

    wav = FIXTURE_CALLS / CALL / "01.wav"
    with Headset(HeadsetOptions(push_to_talk=True, talks_over=True, idle_after_s=30)) as headset:
        talk = headset.controls.talk

        def agent() -> None:
            time.sleep(0.5)
            talk.set()
            pulse.speak_into_mic(wav).wait(timeout=30)
            talk.clear()

        threading.Thread(target=agent, daemon=True).start()
        turn = headset.next_turn()
        assert "brightline home" in transcriber.transcribe(turn).text.lower()

        reply = read_audio(FIXTURE_CALLS / CALL / "03.wav", None)  # 11 s of speech as the "customer"
        pressed_at = []

        def barge_in_1_s_into_the_reply() -> None:  # counted from the first sound: a loaded machine starts late
            if headset.playing.wait(timeout=30):
                time.sleep(1.0)
                pressed_at.append(time.perf_counter())
                talk.set()
                pulse.speak_into_mic(wav).wait(timeout=30)  # over the reply, and on after it stops
                talk.clear()

        threading.Thread(target=barge_in_1_s_into_the_reply, daemon=True).start()
        playback = headset.play([reply], 1)
        stopped_at = time.perf_counter()
        after = headset.next_turn()
    # What the agent said while the caller talked over them opens their next turn.
    assert transcriber.transcribe(after).text.lower().startswith("thank you for calling")
    assert playback.interrupted_at_s is not None and pressed_at
    # The caller kept talking TALK_OVER_S after the agent cut in, by the clock. How much of
    # the reply that was is what the sound card took: on a loaded machine the stream can
    # stall (once 1.3 s of audio in 2.5 s), so it is bounded from above only.
    assert TALK_OVER_S - 0.2 <= stopped_at - pressed_at[0] <= TALK_OVER_S + 1.0
    assert 0.5 <= playback.interrupted_at_s <= 1.0 + TALK_OVER_S + 1.0
    assert abs(playback.audio.duration_s - playback.interrupted_at_s) < 0.05


def test_the_live_view_and_keys_in_a_terminal(pulse, tmp_path):
    """In a (pseudo-)terminal: the panel with the keys; m mutes, q ends the call."""
    import pty
    import select

    out = tmp_path / "session"
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real command, in the terminal
        os.execve(VOICETRAINER, [VOICETRAINER, "call", "--persona", "angry_refund", "--caller", "scripted",
                                 "--no-grade", "--out", str(out)],
                  {**os.environ, **pulse.env, "COLUMNS": "100", "LINES": "30", "TERM": "xterm"})
    screen = b""

    def read_for(seconds: float) -> str:
        nonlocal screen
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    screen += os.read(fd, 65536)
                except OSError:  # the terminal is closed: the command is exiting
                    time.sleep(0.1)
        return screen.decode(errors="replace")

    deadline = time.monotonic() + 60
    while "q end call" not in read_for(0.5) and time.monotonic() < deadline:
        pass
    os.write(fd, b"m")
    while "MUTED" not in read_for(0.3) and time.monotonic() < deadline:
        pass
    os.write(fd, b"q")
    ended = time.monotonic()
    while time.monotonic() - ended < 30:  # exiting can take a while on a loaded machine
        read_for(0.5)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the q key did not end the call: " + screen.decode(errors="replace")[-3000:])
    text = screen.decode(errors="replace")
    print(f"the CLI exited {time.monotonic() - ended:.1f} s after the q key")
    assert os.waitstatus_to_exitcode(status) == 0, text[-2000:]
    assert "voicetrainer live call" in text and "MUTED" in text and "the agent ended the call" in text
    assert json.loads((out / "session.json").read_text())["ended_by"] == "agent_ended"


def test_the_repeat_key_replays_the_last_line_and_notes_it(pulse):
    import threading

    from voicetrainer.audio import read_audio
    from voicetrainer.live.headset import Headset, HeadsetOptions

    reply = read_audio(FIXTURE_CALLS / CALL / "01.wav", None)  # a recorded line as the customer's
    with Headset(HeadsetOptions(idle_after_s=2.0)) as headset:
        headset.play([reply], 1)
        heard_again = []
        listener = threading.Thread(target=lambda: heard_again.append(headset.playing.wait(timeout=30)))
        listener.start()
        headset.controls.repeat.set()
        turn = headset.next_turn()  # nobody speaks: the line again, then the idle turn
        listener.join()
    assert heard_again == [True] and turn is not None and headset.last_turn_silent
    (note,) = headset.notes
    assert note["event"] == "repeated" and note["seconds"] == pytest.approx(reply.duration_s, abs=0.05)
