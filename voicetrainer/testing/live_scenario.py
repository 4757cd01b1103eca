"""A scripted live call over virtual PulseAudio devices: recorded agent turns are spoken
into the virtual microphone in real time while the real live call loop runs.

The agent (1) answers, (2) answers again after the reply, (3) talks over the customer's
reply, (4) stays silent until the customer checks in, (5) answers once more, then presses
the end-call key. Used by tests/test_live_call.py and bench/live_latency.py.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..interfaces import Synthesizer, Transcriber
from ..live.controls import Controls
from ..live.headset import Headset, HeadsetOptions
from ..live.session import hold_live_call
from ..personas import Persona
from .pulse import VirtualAudio

STEP_TIMEOUT_S = 45.0


@dataclass
class ScenarioResult:
    session: dict
    out: Path
    headset_wav: Path  # what the virtual headset played, recorded from its monitor
    spoken: list[str]  # the agent fixture files spoken, in order
    problems: list[str] = field(default_factory=list)  # steps that timed out


def run_live_scenario(pulse: VirtualAudio, turns: list[Path], persona: Persona, transcriber: Transcriber,
                      synthesizer: Synthesizer, customer, out: Path, end_silence_ms: float = 900.0,
                      smart_turn: bool = False,
                      barge_in_after_s: float = 0.8) -> ScenarioResult:
    """turns: four recorded agent turns (the third is spoken over the customer's reply)."""
    assert len(turns) >= 4, "the scenario speaks four agent turns"
    controls, ready = Controls(), threading.Event()
    box: dict = {}
    problems: list[str] = []

    def on_open(headset: Headset) -> None:
        box["headset"] = headset
        ready.set()

    def wait(event_test, what: str) -> bool:
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while not event_test():
            if time.monotonic() > deadline or controls.end.is_set():
                problems.append(f"timed out waiting for {what}")
                return False
            time.sleep(0.02)
        return True

    def reply_played(what: str) -> bool:
        h = box["headset"]
        return wait(h.playing.is_set, f"{what} to start") and \
            wait(lambda: not h.playing.is_set() and h.listening.is_set(), f"{what} to end")

    def speak(wav: Path) -> None:
        pulse.speak_into_mic(wav).wait(timeout=STEP_TIMEOUT_S)

    def drive() -> None:
        try:
            if not wait(ready.is_set, "the headset to open"):
                return
            h = box["headset"]
            if not wait(h.listening.is_set, "the call to listen"):
                return
            time.sleep(0.3)
            speak(turns[0])
            if not reply_played("the reply to turn 1"):
                return
            speak(turns[1])
            if not wait(h.playing.is_set, "the reply to turn 2"):
                return
            time.sleep(barge_in_after_s)
            speak(turns[2])  # over the customer's reply: barge-in
            if not reply_played("the reply to turn 3"):
                return
            # silence: the customer should check in after the persona's idle time
            if not reply_played("the idle prompt"):
                return
            speak(turns[3])
            reply_played("the reply to turn 4")
        finally:
            controls.end.set()  # the end-call key

    recording = out.parent / f"{out.name}-headset.wav"
    recorder = pulse.record_headset(recording)
    driver = threading.Thread(target=drive, name="scenario", daemon=True)
    driver.start()
    try:
        options = HeadsetOptions(end_silence_ms=end_silence_ms, smart_turn=smart_turn, idle_after_s=persona.mood.idle_after_s,
                                 talks_over=persona.mood.talks_over, max_duration_s=240)
        session = hold_live_call(persona, options, transcriber, synthesizer, customer, out, controls,
                                 on_open=on_open, meta={"scenario": "pulseaudio"})
    finally:
        controls.end.set()
        driver.join(timeout=STEP_TIMEOUT_S)
        time.sleep(0.3)
        recorder.terminate()
        recorder.wait(timeout=10)
    return ScenarioResult(session, out, recording, [t.name for t in turns[:4]], problems)
