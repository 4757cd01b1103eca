"""When has the agent finished a turn? Voice activity per window in, turn boundaries out.

Pure logic (no devices, no model), so it is tested with made-up probabilities. The headset
feeds it one speech probability per 32 ms window of microphone audio.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .vad import WINDOW

RATE = 16_000
WINDOW_MS = WINDOW * 1000 / RATE

# Words after which a speaker usually goes on: wait longer before taking the turn.
CONTINUING = {"and", "so", "but", "or", "because", "um", "uh", "er", "erm", "hmm", "then", "like", "if", "the", "a"}


def hold_ms(partial_text: str | None, base_ms: float) -> float:
    """Silence that ends the turn, given what the agent has said so far (None: not known yet).

    A finished sentence ends sooner, a trailing "and", "so" or "um" waits twice as long.
    Whisper ends almost every segment with a full stop, so the last word is checked first.
    Live (headset) and paced offline turns (files.PacedFileSource) both end by this rule,
    with the text from IncrementalTranscriber.decoded_text().
    """
    text = (partial_text or "").strip()
    if not text:
        return base_ms
    last = text.split()[-1].strip(".,!?;:…-\"'").lower()
    if last in CONTINUING or text.endswith((",", "...", "…", "-")):
        return base_ms * 2
    if text.endswith((".", "?", "!")):
        return base_ms * 0.7
    return base_ms


@dataclass
class TurnDetector:
    """Collects one agent turn from 32 ms windows and says when it has ended.

    Before speech it keeps a short pre-roll (so the first syllable is not cut); speech
    starts after `start_ms` of voiced windows; the turn ends after `hold` ms of silence.
    The returned audio keeps at most `tail_ms` of the trailing silence (the rest of the
    wait becomes the next turn's pre-roll).
    """

    base_hold_ms: float = 600.0
    threshold: float = 0.5
    start_ms: float = 96.0
    preroll_ms: float = 320.0
    tail_ms: float = 160.0
    min_turn_ms: float = 250.0  # less speech than this (a cough, a click) is not a turn
    hold: float = field(init=False)
    in_speech: bool = field(init=False, default=False)
    voiced_ms: float = field(init=False, default=0.0)  # in a row, before speech has started
    silence_ms: float = field(init=False, default=0.0)  # trailing, once speech has started
    speech_ms: float = field(init=False, default=0.0)
    _windows: list = field(init=False, default_factory=list)
    _tail_windows: int = field(init=False, default=0)  # windows kept up to the end of the tail

    def __post_init__(self) -> None:
        self.hold = self.base_hold_ms

    def reset(self) -> None:
        """Start listening for a new turn (keep the pre-roll already heard)."""
        self.in_speech, self.voiced_ms, self.silence_ms, self.speech_ms = False, 0.0, 0.0, 0.0
        self.hold = self.base_hold_ms
        self._trim_preroll()

    def push(self, window: np.ndarray, probability: float) -> bool:
        """Add one window; True when the turn has just ended."""
        self._windows.append(window)
        voiced = probability >= self.threshold
        if not self.in_speech:
            self.voiced_ms = self.voiced_ms + WINDOW_MS if voiced else 0.0
            if self.voiced_ms >= self.start_ms:
                self.in_speech, self.silence_ms = True, 0.0
                self.speech_ms = self.voiced_ms
                self._tail_windows = len(self._windows)  # audio() is the pre-roll and the onset
            else:
                self._trim_preroll()
            return False
        if voiced:
            self.silence_ms, self.hold = 0.0, self.base_hold_ms  # a new phrase: any earlier guess is stale
            self.speech_ms += WINDOW_MS
        else:
            self.silence_ms += WINDOW_MS
        if self.silence_ms <= self.tail_ms:
            self._tail_windows = len(self._windows)
        if self.silence_ms >= self.hold and self.speech_ms < self.min_turn_ms:
            self.reset()  # too short to be speech: keep listening
            return False
        return self.silence_ms >= self.hold

    def audio(self) -> np.ndarray:
        """The turn so far: pre-roll, speech and at most `tail_ms` of trailing silence."""
        kept = self._windows[: self._tail_windows] if self.in_speech else self._windows
        return np.concatenate(kept) if kept else np.zeros(0, dtype=np.float32)

    def take(self) -> np.ndarray:
        """The finished turn's audio; the detector starts over for the next turn."""
        audio = self.audio()
        self._windows = self._windows[self._tail_windows:] if self.in_speech else []
        self._tail_windows = 0
        self.reset()
        return audio

    @property
    def buffered_ms(self) -> float:
        return len(self._windows) * WINDOW_MS

    def _trim_preroll(self) -> None:
        keep = max(1, round((self.preroll_ms + self.voiced_ms) / WINDOW_MS))  # pre-roll before the onset
        if len(self._windows) > keep:
            del self._windows[:-keep]
