"""The offline test mode's ends of the call: recorded agent turns in, reply files out."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterable

from .audio import Audio, concatenate, read_audio, write_wav
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

