"""The seams of the call loop: one small Protocol per role.

The call loop knows only these; adapters (files, microphone, Whisper, pyttsx3, Piper,
OpenAI-compatible servers) implement them, and only adapters import vendor libraries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

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
    """Where the agent's turns come from: recorded files, or a microphone.

    Optional attributes the call loop reads when a source has them:
      paced: bool — next_turn() took as long as the turn was spoken (microphone, real-time
        replay); the loop then does not add the turn's duration to the clock itself.
      last_endpoint_ms: float — how long the source waited in silence before ending the turn.
      last_speech_end_at: float — time.perf_counter() of the agent's last voiced sample; without
        it the loop takes the start of the returned audio's trailing silence.
      last_turn_silent: bool — the source's voice detector heard no speech in this turn (the
        agent stayed silent): the loop does not transcribe it and the customer checks in.
      notes: list[dict] — what happened while waiting for the turn (e.g. the agent replayed
        the customer's last line), each {"event": name, **fields}; the loop journals and
        empties it after each turn.
    """

    def next_turn(self) -> Audio | None:
        """The agent's next turn as audio, or None when there are no more."""


@dataclass(frozen=True)
class Playback:
    """What a sink did with one reply."""

    audio: Audio  # everything that was played, concatenated
    first_sound_at: float  # time.perf_counter() when the first sample went out (or was ready to)
    interrupted_at_s: float | None = None  # seconds into the reply where barge-in stopped it


class AudioSink(Protocol):
    """Where the customer's replies go: files, or the headset."""

    def play(self, chunks: Iterable[Audio], turn_index: int) -> Playback:
        """Play a reply given as its sentences, synthesized one by one while earlier ones play.

        A sink that stops early (the agent barged in) simply stops iterating: the call loop
        then cancels the rest of the reply's generation and synthesis.
        """


class Transcriber(Protocol):
    model_name: str

    def transcribe(self, audio: Audio) -> Transcript: ...


class Synthesizer(Protocol):
    name: str

    def synthesize(self, text: str, style: VoiceStyle) -> Audio: ...


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    def catch_up(self, seconds: float, since: float) -> None:
        """Let `seconds` pass after the time.perf_counter() instant `since`: a real clock
        sleeps whatever is left of them, a virtual one moves on by all of them."""
