"""The browser's microphone and speaker as one AudioSource + AudioSink.

It is the headset (live/headset.py) with the sound card replaced by a WebSocket: the page
sends 16 kHz mono PCM frames, which go into the same queue PortAudio's callback fills, so
end-of-turn (TurnDetector + Silero VAD + hold_ms), idle prompts, barge-in and incremental
transcription are the headset's own code. The output side is the headset's Player, pulled
by a thread at real-time pace (as PortAudio would) and sent to the page as PCM frames; the
page schedules them with Web Audio.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..audio import STT_RATE, Audio
from ..incremental_stt import IncrementalTranscriber
from ..interfaces import Playback
from ..live.controls import Controls
from ..live.headset import Headset, HeadsetOptions
from ..live.player import Player

OUT_RATE = 16_000  # the customer's voice goes down at the rate it comes up: small frames, any browser plays it
BLOCK_S = 0.04  # output frame length: short enough that barge-in stops the voice at once
MAX_FRAME_SAMPLES = STT_RATE  # one second: a page sending more in one frame is not a microphone


class _Line:
    """Stands in for a PortAudio stream: the headset asks whether it is active and its latency."""

    active = True
    latency = 0.1  # the page schedules each frame a little ahead to ride over network jitter


class BrowserPhone(Headset):
    """AudioSource + AudioSink over one WebSocket (see module doc)."""

    def __init__(self, options: HeadsetOptions, send_audio: Callable[[bytes], None],
                 send_event: Callable[[dict], None], controls: Controls | None = None,
                 stt: IncrementalTranscriber | None = None, record_dir: str | Path | None = None):
        super().__init__(options, controls, stt, record_dir)
        self._send_audio, self._send_event = send_audio, send_event
        self._pump: threading.Thread | None = None
        self._player: Player | None = None
        self._closed = threading.Event()

    # -- the "streams" ---------------------------------------------------------------------

    def open(self) -> "BrowserPhone":
        self._input = self._output = _Line()
        self._out_rate = OUT_RATE
        self._player = Player(OUT_RATE)
        self._pump = threading.Thread(target=self._pump_output, name="browser-speaker", daemon=True)
        self._pump.start()
        return self

    def close(self) -> None:
        self._closed.set()
        if self._pump is not None:
            self._pump.join(timeout=2)

    def feed(self, pcm16: bytes) -> None:
        """One frame from the page's microphone (16 kHz mono signed 16-bit little-endian)."""
        usable = min(len(pcm16), 2 * MAX_FRAME_SAMPLES) & ~1  # whole samples, at most a second
        samples = np.frombuffer(pcm16[:usable], dtype="<i2")
        if len(samples):
            self._blocks.put((time.perf_counter(), samples.astype(np.float32) / 32768.0))

    def hang_up(self) -> None:
        """The agent pressed hang-up or closed the page: the customer stops at once and the
        call ends (the call loop sees it when it next waits for the agent)."""
        self.controls.end.set()
        if self._player is not None:
            self._player.cut()

    def _pump_output(self) -> None:
        """Pull the Player like a sound card would, BLOCK_S at a time on a steady clock, and
        send what it gives to the page (silence is not sent: the page plays nothing then)."""
        frames = int(BLOCK_S * OUT_RATE)
        out = np.zeros((frames, 1), dtype=np.float32)
        next_at = time.perf_counter()
        while not self._closed.is_set():
            next_at += BLOCK_S
            time.sleep(max(0.0, next_at - time.perf_counter()))
            if next_at < time.perf_counter() - 1.0:  # fell far behind (a stalled machine): do not burst
                next_at = time.perf_counter()
            if not self._player.pending:
                continue
            self._player.callback(out, frames, None, None)
            self._send_audio((np.clip(out[:, 0], -1.0, 1.0) * 32767).astype("<i2").tobytes())

    def _repeat_last(self) -> None:
        super()._repeat_last()
        if self.notes and self.notes[-1].get("event") == "repeated":  # the journal says how it was asked for
            self.notes[-1]["message"] = "the agent replayed the customer's last line (Repeat button)"

    # -- AudioSink -------------------------------------------------------------------------

    def play(self, chunks: Iterable[Audio], turn_index: int) -> Playback:
        def until_hung_up():  # no more of the reply once the agent has hung up
            for chunk in chunks:
                if self.controls.end.is_set():
                    return
                yield chunk

        playback = super().play(until_hung_up(), turn_index)
        if playback.interrupted_at_s is not None:
            self._send_event({"type": "stop"})  # drop what the page has scheduled but not yet played
        return playback
