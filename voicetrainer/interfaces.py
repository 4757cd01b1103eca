"""The seams of the call loop: one small Protocol per role.

The call loop knows only these; adapters (files, microphone, Whisper, pyttsx3, Piper,
OpenAI-compatible servers) implement them, and only adapters import vendor libraries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .audio import Audio


@dataclass(frozen=True)
class Word:
    text: str
    start_s: float
    end_s: float
    probability: float = 1.0


@dataclass(frozen=True)
class Transcript:
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class VoiceStyle:
    """How the customer sounds for one reply (follows their mood)."""

    voice: str
    rate_wpm: int
    volume: float
    pitch: int


class AudioSource(Protocol):
    """Where the agent's turns come from: recorded files, or a microphone."""

    def next_turn(self) -> Audio | None:
        """The agent's next turn as audio, or None when there are no more."""


class AudioSink(Protocol):
    """Where the customer's replies go: files, or the headset."""

    def play(self, audio: Audio, turn_index: int) -> None: ...


class Transcriber(Protocol):
    model_name: str

    def transcribe(self, audio: Audio) -> Transcript: ...


class Synthesizer(Protocol):
    name: str

    def synthesize(self, text: str, style: VoiceStyle) -> Audio: ...


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...
