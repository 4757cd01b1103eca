"""One recording of an agent's side of a call: recorded turns with silences between them.

A browser under test speaks it as its microphone (Chromium's
--use-file-for-fake-audio-capture), and a WebSocket client can stream it frame by frame:
either way the server hears a person who talks, pauses for the customer, and talks again.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..audio import STT_RATE, read_audio, speech_end_s, write_wav


def agent_track(turns: list[Path], gap_s: float, lead_s: float = 1.5, rate: int = STT_RATE) -> np.ndarray:
    """lead_s of silence (the page is still connecting), then each turn's speech followed
    by gap_s of silence (the customer's reply). Each recording's own trailing silence is cut,
    so the gaps are exactly what is asked for."""
    parts = [np.zeros(int(lead_s * rate), np.float32)]
    for path in turns:
        audio = read_audio(path, rate)
        parts.append(audio.samples[: int(speech_end_s(audio) * rate)])
        parts.append(np.zeros(int(gap_s * rate), np.float32))
    return np.concatenate(parts)


def write_agent_track(path: Path, turns: list[Path], gap_s: float, lead_s: float = 1.5, rate: int = STT_RATE) -> Path:
    write_wav(path, agent_track(turns, gap_s, lead_s, rate), rate)
    return path
