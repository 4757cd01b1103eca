"""The offline test mode's ends of the call: recorded agent turns in, reply files out."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

import numpy as np

from .audio import Audio, audio_length_s, concatenate, read_audio, speech_end_s, write_wav
from .errors import AudioFileError
from .interfaces import Playback
from .live.endpoint import EndOfTurnRule, FixedRule, TurnEnd

if TYPE_CHECKING:
    from .incremental_stt import IncrementalTranscriber

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
# An agent turn longer than this is cut to it, with a warning: nobody speaks five minutes
# without a pause on a call, and a 20-minute (or 2 GB) file must not be decoded whole,
# transcribed for minutes or held in memory. The README's "Limits" lists it.
MAX_TURN_S = 300.0


class FileSource:
    """The agent's turns as audio files in a folder, played in name order."""

    def __init__(self, directory: str | Path, on_warning: Callable[[str], None] | None = None,
                 max_turn_s: float = MAX_TURN_S):
        self.on_warning, self.max_turn_s = on_warning, max_turn_s
        self.notes: list[dict] = []  # journaled by the call loop after the turn (a trimmed file)
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
        length = audio_length_s(path)
        if length > self.max_turn_s:
            message = (f"{path.name} is {length / 60:.1f} minutes long; only its first {self.max_turn_s / 60:g} "
                       "minutes are used as this agent turn")
            self.notes.append({"event": "agent_audio_trimmed", "file": path.name, "length_s": round(length, 1),
                               "kept_s": self.max_turn_s, "message": message})
            if self.on_warning:
                self.on_warning(message + ".")
        return read_audio(path, max_s=self.max_turn_s)


class PacedFileSource(FileSource):
    """The recorded turns spoken in real time, like the live headset delivers them.

    Each file's speech is fed to `stt` (an IncrementalTranscriber) in small blocks at speaking
    speed, then silence, block by block, until the pause is as long as the live headset would
    wait: `rule` (live.endpoint: FixedRule(`end_silence_ms`) unless given, SmartRule for the
    end-of-turn model) judged on what has been decoded so far, as the headset judges it.
    The recording's own trailing silence is dropped. Each turn's decision and its reasons
    go to `notes` (the call journals them).
    """

    paced = True

    def __init__(self, directory: str | Path, stt: "IncrementalTranscriber | None" = None,
                 end_silence_ms: float = 600.0, block_s: float = 0.02, rule: EndOfTurnRule | None = None,
                 on_warning: Callable[[str], None] | None = None):
        super().__init__(directory, on_warning)
        self.stt, self.end_silence_ms, self.block_s = stt, end_silence_ms, block_s
        self.turn_end = TurnEnd(rule or FixedRule(end_silence_ms)).warm_up()
        self.last_endpoint_ms: float | None = None
        self.last_speech_end_at: float | None = None  # self.notes (FileSource) also gets each turn's end_of_turn

    def next_turn(self) -> Audio | None:
        recorded = super().next_turn()
        if recorded is None:
            return None
        rate = recorded.rate
        speech = recorded.samples[: int(speech_end_s(recorded) * rate)]
        block = max(1, int(self.block_s * rate))
        t0 = time.perf_counter()
        self.last_speech_end_at = t0 + len(speech) / rate

        def spoken(samples: np.ndarray, at: int) -> None:  # like a microphone: a block arrives once it has been spoken
            time.sleep(max(0.0, t0 + (at + len(samples)) / rate - time.perf_counter()))
            if self.stt is not None:
                self.stt.feed(Audio(samples, rate))

        for i in range(0, len(speech), block):
            spoken(speech[i:i + block], i)
        silence, judge = 0, self.turn_end
        judge.start_turn()

        def heard() -> np.ndarray:  # the turn's audio with the pause so far (16 kHz, as the model wants)
            return Audio(np.concatenate([speech, np.zeros(silence, np.float32)]), rate).resampled(16_000).samples

        while True:  # the rule is asked every block, as the headset asks it every VAD window
            text = self.stt.decoded_text() if self.stt is not None else None
            if silence >= judge.hold(1000 * silence / rate, text, heard) / 1000 * rate:
                break
            spoken(np.zeros(block, np.float32), len(speech) + silence)
            silence += block
        self.last_endpoint_ms = 1000 * silence / rate
        self.notes.append(judge.decision(self.last_endpoint_ms))
        return Audio(np.concatenate([speech, np.zeros(silence, np.float32)]), rate)


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

