"""The offline test mode's ends of the call: recorded agent turns in, reply files out."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .audio import Audio, concatenate, read_audio, speech_end_s, write_wav
from .errors import AudioFileError
from .interfaces import Playback

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")


class FileSource:
    """The agent's turns as audio files in a folder, played in name order."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise AudioFileError(f"Agent audio folder {self.directory} does not exist.",
                                 hint="pass a folder of WAV/FLAC files, one per agent turn")
        self.files = sorted(p for p in self.directory.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
        if not self.files:
            raise AudioFileError(f"Agent audio folder {self.directory} holds no WAV or FLAC files.",
                                 hint="name the files in turn order: 01.wav, 02.wav, ...")
        self._next = 0

    def next_turn(self) -> Audio | None:
        if self._next >= len(self.files):
            return None
        path = self.files[self._next]
        self._next += 1
        return read_audio(path)


class PacedFileSource(FileSource):
    """The recorded turns spoken in real time, like a microphone with a VAD would deliver them.

    Each file is fed to `on_audio` in small blocks at speaking speed (for an
    IncrementalTranscriber); its own trailing silence is replaced by `endpoint_s` of silence,
    the pause a live endpointer waits for before it ends the turn.
    """

    paced = True

    def __init__(self, directory: str | Path, on_audio: Callable[[Audio], None] | None = None,
                 endpoint_s: float = 0.5, block_s: float = 0.02):
        super().__init__(directory)
        self.on_audio, self.endpoint_s, self.block_s = on_audio, endpoint_s, block_s
        self.last_endpoint_ms: float | None = None
        self.last_speech_end_at: float | None = None

    def next_turn(self) -> Audio | None:
        recorded = super().next_turn()
        if recorded is None:
            return None
        speech = recorded.samples[: int(speech_end_s(recorded) * recorded.rate)]
        samples = np.concatenate([speech, np.zeros(int(self.endpoint_s * recorded.rate), np.float32)])
        block = max(1, int(self.block_s * recorded.rate))
        t0 = time.perf_counter()
        self.last_speech_end_at = t0 + len(speech) / recorded.rate
        for i in range(0, len(samples), block):  # like a microphone: a block arrives once it has been spoken
            time.sleep(max(0.0, t0 + min(i + block, len(samples)) / recorded.rate - time.perf_counter()))
            if self.on_audio:
                self.on_audio(Audio(samples[i:i + block], recorded.rate))
        self.last_endpoint_ms = self.endpoint_s * 1000
        return Audio(samples, recorded.rate)


class FileSink:
    """Writes each customer reply to OUT/customer_NN.wav."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def play(self, chunks: Iterable[Audio], turn_index: int) -> Playback:
        """Collects the whole reply (never interrupted); its first sound is the first chunk's arrival."""
        first_sound_at, parts = None, []
        for chunk in chunks:
            first_sound_at = first_sound_at or time.perf_counter()
            parts.append(chunk)
        audio = concatenate(parts)
        write_wav(self.directory / f"customer_{turn_index:02d}.wav", audio.samples, audio.rate)
        return Playback(audio, first_sound_at or time.perf_counter())

