"""The headset's output: one stream that runs for the whole call, fed from a buffer.

Starting a stream per reply costs up to a second and a half through PulseAudio's ALSA
plugin, so the stream stays open and plays silence between replies; a reply is queued
into the buffer and can be cut off at once (barge-in) by emptying it.
"""

from __future__ import annotations

import threading
import time

import numpy as np


class Player:
    def __init__(self, rate: int):
        self.rate = rate
        self._lock = threading.Lock()
        self._buffer = np.zeros(0, dtype=np.float32)
        self.emitted = 0  # samples of the current reply sent to the device
        self.first_sound_at: float | None = None  # perf_counter() when the reply's first sample is heard

    def callback(self, outdata, frames, time_info, status) -> None:  # PortAudio's thread
        with self._lock:
            n = min(frames, len(self._buffer))
            outdata[:n, 0] = self._buffer[:n]
            outdata[n:, 0] = 0.0
            self._buffer = self._buffer[n:]
            if n and self.first_sound_at is None:
                delay = max(0.0, time_info.outputBufferDacTime - time_info.currentTime) if time_info else 0.0
                self.first_sound_at = time.perf_counter() + delay
            self.emitted += n

    def start_reply(self) -> None:
        with self._lock:
            self._buffer = np.zeros(0, dtype=np.float32)
            self.emitted, self.first_sound_at = 0, None

    def add(self, samples: np.ndarray) -> None:
        with self._lock:
            self._buffer = np.concatenate([self._buffer, samples.astype(np.float32)])

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._buffer)

    def cut(self) -> float:
        """Stop the reply now; seconds of it that were played."""
        with self._lock:
            self._buffer = np.zeros(0, dtype=np.float32)
            return self.emitted / self.rate
