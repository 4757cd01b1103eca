"""Audio at the edges: read any WAV/FLAC into mono float32 at a target rate, write WAVs.

Inside the project audio is always a mono float32 numpy array in [-1, 1] plus its
sample rate; this module is the only place that knows about files and formats.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from .errors import AudioFileError

STT_RATE = 16_000  # what Whisper wants


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray  # mono float32
    rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate

    def resampled(self, rate: int) -> "Audio":
        if rate == self.rate:
            return self
        out = soxr.resample(self.samples, self.rate, rate).astype(np.float32)
        return Audio(out, rate)


def audio_length_s(path: str | Path) -> float:
    """How long a WAV/FLAC/OGG file says it is, from its header (nothing decoded)."""
    path = Path(path)
    if not path.is_file():
        raise AudioFileError(f"Audio file {path} does not exist.", hint="check the path")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, ValueError) as exc:
        raise AudioFileError(f"Audio file {path} cannot be read as audio ({exc}).",
                             hint="use WAV or FLAC; re-export or re-record the file") from None
    return info.frames / info.samplerate if info.samplerate else 0.0


def read_audio(path: str | Path, rate: int | None = STT_RATE, max_s: float | None = None) -> Audio:
    """Read a WAV/FLAC/OGG file, mix to mono and resample (None keeps the file's rate).

    `max_s` reads only the first seconds: a long file is never decoded whole into memory.
    """
    path = Path(path)
    if not path.is_file():  # libsndfile would only say "System error"
        raise AudioFileError(f"Audio file {path} does not exist.", hint="check the path")
    try:
        frames = -1
        if max_s is not None:
            frames = int(max_s * sf.info(str(path)).samplerate)
        data, file_rate = sf.read(str(path), frames=frames, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError) as exc:
        raise AudioFileError(
            f"Audio file {path} cannot be read as audio ({exc}).",
            hint="use WAV or FLAC; re-export or re-record the file",
        ) from None
    if data.size == 0:
        raise AudioFileError(f"Audio file {path} holds no samples.", hint="re-record the file")
    audio = Audio(data.mean(axis=1).astype(np.float32), int(file_rate))
    return audio.resampled(rate) if rate else audio


def write_wav(path: str | Path, samples: np.ndarray, rate: int) -> None:
    """Write 16-bit PCM WAV (mono 1-D or multi-channel 2-D frames x channels).

    Encoded in memory, then written under a temporary name and renamed: a full disk
    leaves no truncated WAV that would later fail grading, no temporary file, and raises
    an OSError that names the file and its errno (libsndfile would only say "System error").
    """
    path = Path(path)
    encoded = io.BytesIO()
    sf.write(encoded, np.clip(samples, -1.0, 1.0), rate, subtype="PCM_16", format="WAV")
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_bytes(encoded.getbuffer())
        tmp.replace(path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and not exc.filename:
            exc.filename = str(path)
        raise


def concatenate(parts: list[Audio]) -> Audio:
    """One clip from consecutive pieces (a reply's sentences), at the first one's rate."""
    if not parts:
        return Audio(np.zeros(0, dtype=np.float32), STT_RATE)
    rate = parts[0].rate
    return Audio(np.concatenate([p.resampled(rate).samples for p in parts]).astype(np.float32), rate)


FRAME_S = 0.02  # loudness is judged in 20 ms frames


def quiet_frames(samples: np.ndarray, rate: int, relative: float = 0.1, floor: float = 1e-4) -> np.ndarray:
    """Which 20 ms frames are silence: quieter than a tenth of the clip's loud level
    (its 95th-percentile frame), so quiet recordings and loud ones are judged alike."""
    frame = max(1, int(rate * FRAME_S))
    n = len(samples) // frame
    if n == 0:
        return np.zeros(0, dtype=bool)
    rms = np.sqrt(np.mean(samples[: n * frame].reshape(n, frame) ** 2, axis=1))
    return rms <= max(floor, relative * float(np.percentile(rms, 95)))


def speech_end_s(audio: Audio) -> float:
    """Where the last sound ends: the start of the trailing silence, in seconds."""
    loud = np.flatnonzero(~quiet_frames(audio.samples, audio.rate))
    return float((loud[-1] + 1) * max(1, int(audio.rate * FRAME_S)) / audio.rate) if len(loud) else 0.0


def mix_stereo(agent: list[tuple[float, Audio]], customer: list[tuple[float, Audio]], rate: int) -> np.ndarray:
    """Place clips on one timeline: agent on the left channel, customer on the right."""
    sides = [[(int(t * rate), a.resampled(rate).samples) for t, a in side] for side in (agent, customer)]
    end = max((i + len(s) for side in sides for i, s in side), default=0)
    out = np.zeros((end, 2), dtype=np.float32)
    for channel, side in enumerate(sides):
        for i, s in side:
            out[i : i + len(s), channel] += s
    return out
