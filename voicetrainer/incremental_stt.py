"""Transcribe the agent's turn while they are still speaking.

Whisper pads every call to 30 s, so a decode costs nearly the same for two seconds of
speech as for twenty: what makes the final transcript fast is having decoded the turn
already when it ends. The source feeds audio as it is captured, and a background thread

- decodes the speech so far as soon as the agent pauses (`pause_s` of silence): when the
  pause turns out to be the end of the turn, the endpointer is still waiting out its
  silence while this runs, and the transcript is ready, or nearly, when the turn ends;
- in a long turn (over `piece_s` undecoded), decodes and keeps the speech up to a pause,
  so that only the part after it is left. Cuts are made only in silence and pieces are
  long, so no word is split and Whisper keeps its context: the final transcript reads
  as well as a one-shot one.

At the end of the turn, `transcribe(audio)` uses what is decoded and decodes only what
was spoken after it. A pause-time decode that has gone stale (the agent spoke again, or the
turn ended) is cancelled at its next step (stt.WhisperTranscriber asks `cancelled` before
each native call): Whisper has one worker, and the final decode would otherwise queue
behind it. Meanwhile `decoded_text()` tells the source what the agent has said
when all of it is decoded: its end-of-turn rule waits less after a finished sentence.

    stt = IncrementalTranscriber(WhisperTranscriber())
    source = PacedFileSource(folder, stt=stt)   # or live.Headset(options, stt=stt)
    run_call(..., transcriber=stt, ...)
"""

from __future__ import annotations

import inspect
import threading
from dataclasses import dataclass

import numpy as np

from .audio import FRAME_S, Audio, quiet_frames
from .interfaces import Transcriber, Transcript, Word
from .stt import DecodeCancelled


@dataclass(frozen=True)
class _Decoded:
    start: int  # samples from the turn's start
    end: int
    rate: int
    transcript: Transcript


class IncrementalTranscriber:
    """A Transcriber that is also fed the turn's audio as it is captured (see module doc)."""

    # pause_s: 0.12 s starts the decode 80 ms sooner than 0.2 s did; on the fixtures and the
    # shared speech the transcripts differ by a word either way (README, Performance).
    def __init__(self, transcriber: Transcriber, pause_s: float = 0.12, piece_s: float = 12.0,
                 cancel_stale: bool = True):
        self.inner = transcriber
        self.cancel_stale = cancel_stale  # False: stale decodes run to their end (the benchmark's "before")
        self.model_name = transcriber.model_name
        self.pause_s, self.piece_s = pause_s, piece_s
        self.last_tail_s = 0.0  # audio the last transcribe() still had to decode (0: none)
        self._cond = threading.Condition()
        self._buffer = np.zeros(0, dtype=np.float32)  # grows by doubling: feeding stays O(block)
        self._fed = 0
        self._rate: int | None = None
        self._pieces: list[_Decoded] = []  # kept: the turn up to _covered
        self._covered = 0
        self._speculative: _Decoded | None = None  # everything from _covered to a pause
        self._busy: tuple[int, int] | None = None  # (start, end) being decoded
        self._turn = 0  # bumped on reset: a decode of an older turn is dropped
        self._worker: threading.Thread | None = None
        self.cancelled = 0  # pause-time decodes stopped because they had gone stale (the benchmark counts them)

    # ------------------------------------------------------------------ feeding
    def feed(self, chunk: Audio) -> None:
        """The next block of the current turn's audio, as captured."""
        with self._cond:
            if self._rate not in (None, chunk.rate):
                self._reset_locked()
            self._rate = chunk.rate
            if self._fed + len(chunk.samples) > len(self._buffer):
                grown = np.zeros(max(2 * len(self._buffer), self._fed + len(chunk.samples), chunk.rate), np.float32)
                grown[: self._fed] = self._buffer[: self._fed]
                self._buffer = grown
            self._buffer[self._fed: self._fed + len(chunk.samples)] = chunk.samples
            self._fed += len(chunk.samples)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="incremental-stt", daemon=True)
                self._worker.start()
            self._cond.notify_all()

    def reset(self) -> None:
        """Forget what was fed (it will not become a turn)."""
        with self._cond:
            self._reset_locked()

    def settle(self) -> None:
        """Wait until the background has decoded all it would (as on an idle machine)."""
        with self._cond:
            while self._busy or self._next_job_locked() is not None:
                self._cond.wait()

    # ------------------------------------------------------------------ the end of a turn
    def transcribe(self, audio: Audio) -> Transcript:
        """The turn's transcript. One-shot when `audio` and what was fed do not begin alike.

        `audio` may end before what was fed (a live endpointer keeps feeding the silence it
        waits out, but returns only a short tail of it) or after it (the rest is decoded)."""
        with self._cond:
            fed = self._samples_locked()
            n = min(len(fed), len(audio.samples))
            if not (n and audio.rate == self._rate and np.array_equal(fed[:n], audio.samples[:n])):
                self._reset_locked()
                self.last_tail_s = audio.duration_s
                return self.inner.transcribe(audio)
            speech_end = self._covered + _speech_end(audio.samples[self._covered:], audio.rate)
            while self._busy and self._busy[1] >= speech_end:  # it reads the whole turn: worth waiting for
                self._cond.wait()
            done = self._decoded_locked(speech_end)
            covered, pieces = self._covered, list(self._pieces)
            self._reset_locked()
        if done is not None:
            self.last_tail_s = 0.0
            return join(done)
        rest = audio.samples[covered:]
        self.last_tail_s = len(rest) / audio.rate
        return join(pieces + [_Decoded(covered, len(audio.samples), audio.rate, self.inner.transcribe(Audio(rest, audio.rate)))])

    def decoded_text(self) -> str | None:
        """The text of everything said so far, if the background has decoded all of it
        (the agent is pausing and the pause-time decode is done); None while it has not."""
        with self._cond:
            if not self._fed:
                return None
            samples = self._samples_locked()
            done = self._decoded_locked(self._covered + _speech_end(samples[self._covered:], self._rate))
        return None if done is None else join(done).text

    def _decoded_locked(self, speech_end: int) -> list[_Decoded] | None:
        """The decoded pieces that cover the turn up to `speech_end`, or None if some is not decoded."""
        if self._covered >= speech_end:
            return list(self._pieces)
        spec = self._speculative
        if spec and spec.start == self._covered and spec.end >= speech_end:
            return self._pieces + [spec]
        return None

    # ------------------------------------------------------------------ background
    def _reset_locked(self) -> None:
        self._fed, self._pieces, self._covered, self._speculative = 0, [], 0, None
        self._turn += 1

    def _samples_locked(self) -> np.ndarray:
        return self._buffer[: self._fed]

    def _next_job_locked(self) -> tuple[int, int, bool] | None:
        """(start, end, keep) of the next decode worth doing, or None."""
        samples, rate = self._samples_locked(), self._rate
        if not rate or len(samples) - self._covered < rate * FRAME_S * 5:
            return None
        frame = int(rate * FRAME_S)
        quiet = quiet_frames(samples[self._covered:], rate)  # judged on what is not kept yet: bounded work
        loud = np.flatnonzero(~quiet)
        if len(loud) == 0:
            return None
        need = max(1, int(round(self.pause_s / FRAME_S)))
        pause = len(quiet) - 1 - loud[-1]  # silent frames since the last sound
        if pause >= need:  # the agent paused: decode everything so far, it may be the end
            end = self._covered + (loud[-1] + 1 + need) * frame
            if self._speculative is None or self._speculative.end < end:
                return self._covered, end, False
        if len(samples) - self._covered > self.piece_s * rate:  # a long turn: keep up to a pause
            for i in range(len(quiet) - need, loud[0], -1):
                if quiet[i:i + need].all():
                    return self._covered, self._covered + (i + need // 2) * frame, True
        return None

    def _stale(self, turn: int, end: int, keep: bool) -> bool:
        """Is a running decode no longer wanted? Its turn is over (the final decode has
        started, or the turn was dropped), or, for a pause-time decode, the agent has spoken
        again since its end: it cannot be the turn's transcript any more, and it would hold
        Whisper's only worker while the next pause's or the final decode waits."""
        with self._cond:
            if turn != self._turn:
                return True
            if keep:
                return False  # a kept piece of a long turn stays useful
            # judged on the undecoded part only, as _next_job_locked judges it: bounded work
            return self._covered + _speech_end(self._samples_locked()[self._covered:], self._rate) > end

    def _work(self) -> None:
        cancellable = self.cancel_stale and _takes_cancel(self.inner)
        while True:
            with self._cond:
                while (job := self._next_job_locked()) is None:
                    self._cond.wait()
                start, end, keep = job
                piece, turn = Audio(self._samples_locked()[start:end], self._rate), self._turn
                self._busy = (start, end)
            try:
                if cancellable:
                    transcript = self.inner.transcribe(piece, cancelled=lambda: self._stale(turn, end, keep))
                else:
                    transcript = self.inner.transcribe(piece)
            except DecodeCancelled:
                transcript = None
                self.cancelled += 1
            except Exception:  # noqa: BLE001 - transcribe() decodes this audio again at the end
                transcript = None
            with self._cond:
                if turn == self._turn and transcript is not None:
                    if keep:
                        self._pieces.append(_Decoded(start, end, piece.rate, transcript))
                        self._covered, self._speculative = end, None
                    else:
                        self._speculative = _Decoded(start, end, piece.rate, transcript)
                self._busy = None
                self._cond.notify_all()


def _takes_cancel(transcriber) -> bool:
    """Does transcriber.transcribe() accept `cancelled` (stt.WhisperTranscriber does)?"""
    try:
        return "cancelled" in inspect.signature(transcriber.transcribe).parameters
    except (TypeError, ValueError):
        return False


def _speech_end(samples: np.ndarray, rate: int) -> int:
    loud = np.flatnonzero(~quiet_frames(samples, rate))
    return int((loud[-1] + 1) * int(rate * FRAME_S)) if len(loud) else 0


def join(pieces: list[_Decoded]) -> Transcript:
    """One transcript from pieces decoded separately, word times on the turn's timeline."""
    text = " ".join(p.transcript.text for p in pieces if p.transcript.text)
    words = tuple(Word(w.text, round(w.start_s + p.start / p.rate, 3), round(w.end_s + p.start / p.rate, 3),
                       w.probability) for p in pieces for w in p.transcript.words)
    return Transcript(text, words)
