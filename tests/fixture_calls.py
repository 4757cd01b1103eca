"""The recorded fixture calls (tests/fixtures/calls/manifest.json), held through the whole
offline pipeline: recorded agent audio -> Whisper -> mood engine + scripted caller ->
pyttsx3 -> journal and session.json, then graded by the rules with audio metrics.

Each call is held at most once per test session (the `held_calls` fixture in conftest), so
the modules that check the call and the ones that check its grade share it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from voicetrainer.audio import Audio
from voicetrainer.call import CallOptions, run_call
from voicetrainer.clock import VirtualClock
from voicetrainer.config import Settings
from voicetrainer.files import FileSink, FileSource
from voicetrainer.grading import grade_session
from voicetrainer.interfaces import Transcript
from voicetrainer.personas import Persona, find_persona
from voicetrainer.setup_call import make_customer

from .conftest import FIXTURE_CALLS

MANIFEST: dict = json.loads((FIXTURE_CALLS / "manifest.json").read_text())


def calls(expect: str) -> list[str]:
    """Names of the fixture calls designed as `expect` ("good" or "bad")."""
    return [name for name, call in MANIFEST.items() if call["expect"] == expect]


# Personas with a recorded good and bad call.
PAIRED = sorted({MANIFEST[n]["persona"] for n in calls("good")} & {MANIFEST[n]["persona"] for n in calls("bad")})


def patient(persona: Persona) -> Persona:
    """The persona as a caller who never reacts: stays on the line to hear every agent turn."""
    return persona.model_copy(update={"mood": persona.mood.model_copy(
        update={"reactions": {}, "drift_per_turn": 0.0, "supervisor_at": None})})


@dataclass
class Held:
    persona: Persona
    out: Path
    session: dict
    manifest: dict = field(repr=False)

    @cached_property
    def grade(self) -> dict:
        return grade_session(self.out)

    def scores(self) -> dict[str, int | None]:
        return {c["id"]: c["score"] for c in self.grade["criteria"]}

    def agent_turns(self) -> list[dict]:
        return [t for t in self.session["turns"] if t["speaker"] == "agent"]


class _RememberingTranscriber:
    """The real transcriber, asked once per recording: a call heard out replays the turns the
    same call held normally has already transcribed (Whisper is the suite's slowest part)."""

    def __init__(self, transcriber):
        self._transcriber, self.model_name = transcriber, transcriber.model_name
        self._heard: dict[tuple[int, bytes], Transcript] = {}

    def transcribe(self, audio: Audio) -> Transcript:
        key = (audio.rate, hashlib.sha1(audio.samples.tobytes()).digest())
        if key not in self._heard:
            self._heard[key] = self._transcriber.transcribe(audio)
        return self._heard[key]


class HeldCalls:
    """held_calls["billing_dispute_good"], or .heard_out(name) against a patient caller."""

    def __init__(self, base: Path, transcriber, synthesizer):
        self._base, self._synthesizer = base, synthesizer
        self._transcriber = _RememberingTranscriber(transcriber)
        self._held: dict[tuple[str, bool], Held] = {}

    def __getitem__(self, name: str) -> Held:
        return self._hold(name, heard_out=False)

    def heard_out(self, name: str) -> Held:
        return self._hold(name, heard_out=True)

    def _hold(self, name: str, heard_out: bool) -> Held:
        if (name, heard_out) not in self._held:
            persona = find_persona(MANIFEST[name]["persona"])
            if heard_out:
                persona = patient(persona)
            out = self._base / (name + ("_heard_out" if heard_out else ""))
            customer = make_customer(persona, "scripted", Settings(), 0)
            session = run_call(persona, FileSource(FIXTURE_CALLS / name), FileSink(out), self._transcriber,
                               self._synthesizer, customer, out, VirtualClock(), CallOptions())
            self._held[name, heard_out] = Held(persona, out, session, MANIFEST[name])
        return self._held[name, heard_out]
