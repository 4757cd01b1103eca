"""A customer reply turned into audio one sentence at a time, ahead of playback.

A worker thread pulls the reply's sentences (generated as the LLM streams, or split from
a scripted line) and synthesizes each into a small bounded queue; the sink plays from
that queue, so sentence N+1 is generated and synthesized while sentence N plays. A
barge-in cancels the reply: the worker stops between sentences, closes the sentence
stream (which ends the LLM request) and the queue is emptied.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Iterable, Iterator

from .audio import Audio
from .interfaces import Synthesizer, VoiceStyle

_DONE = object()


class ReplySpeech:
    def __init__(self, sentences: Iterable[str], synthesizer: Synthesizer, style: VoiceStyle, ahead: int = 2,
                 max_audio_s: float | None = None):
        self.started_at = time.perf_counter()
        self.first_sentence_at: float | None = None  # when the first sentence's text was ready
        self.first_audio_at: float | None = None  # when its audio was ready
        self.caller_s = 0.0  # time spent waiting for text
        self.tts_s = 0.0  # time spent synthesizing
        self.first_tts_s = 0.0
        self.spoken: list[str] = []  # sentences handed to the queue
        self.error: BaseException | None = None
        self.max_audio_s = max_audio_s  # the reply's audio stops here (the rest is not synthesized)
        self.audio_s = 0.0
        self.audio_cut = False
        self._sentences = iter(sentences)
        self._synthesizer, self._style = synthesizer, style
        self._queue: queue.Queue = queue.Queue(maxsize=ahead)
        self._cancelled = threading.Event()
        self._worker = threading.Thread(target=self._work, name="reply-speech", daemon=True)
        self._worker.start()

    def chunks(self) -> Iterator[Audio]:
        """The reply's audio, sentence by sentence, as it becomes ready (for AudioSink.play)."""
        while (item := self._queue.get()) is not _DONE:
            yield item
        if self.error is not None:
            raise self.error

    def cancel(self) -> None:
        """Stop generating and synthesizing, drop whatever was queued, wait for the worker."""
        self._cancelled.set()
        while self._worker.is_alive():
            self._drain()
            self._worker.join(timeout=0.05)
        self._drain()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def _drain(self) -> None:
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass

    def _work(self) -> None:
        try:
            while not self._cancelled.is_set():
                t0 = time.perf_counter()
                sentence = next(self._sentences, None)
                self.caller_s += time.perf_counter() - t0
                if sentence is None or self._cancelled.is_set():
                    break
                self.first_sentence_at = self.first_sentence_at or time.perf_counter()
                t0 = time.perf_counter()
                audio = self._synthesizer.synthesize(sentence, self._style)
                if self.max_audio_s is not None and self.audio_s + audio.duration_s > self.max_audio_s:
                    keep = max(0, int((self.max_audio_s - self.audio_s) * audio.rate))
                    audio = Audio(audio.samples[:keep], audio.rate)
                    self.audio_cut = True
                self.audio_s += audio.duration_s
                took = time.perf_counter() - t0
                self.tts_s += took
                if self.first_audio_at is None:
                    self.first_audio_at, self.first_tts_s = time.perf_counter(), took
                if not self._put(audio):
                    break
                self.spoken.append(sentence)
                if self.audio_cut:
                    break
        except BaseException as exc:  # noqa: BLE001 - handed to the playing thread
            self.error = exc
        finally:
            close = getattr(self._sentences, "close", None)
            if close:
                close()  # a generator's cleanup runs now: the LLM request ends, the reply is recorded
            self._put(_DONE)

    def _put(self, item) -> bool:
        """Queue an item unless the reply is cancelled meanwhile."""
        while not self._cancelled.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False
