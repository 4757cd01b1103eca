"""Layer 1b: the agent's voice, measured from each agent turn's recording.

Loudness per turn relative to the agent's own median turn (a raised voice stands out
against the speaker's baseline, whatever the microphone gain), and pitch level and range
with Praat (praat-parselmouth), the field's standard pitch tracker. A turn is a raised
voice when it is much louder than that baseline, or pitched well above the agent's own
median: a voice rises in pitch as well as level under stress, and a headset's automatic
gain can flatten the level. A session without
agent audio gets None for all of these, and the rubric rules that need them are skipped.
"""

from __future__ import annotations

from pathlib import Path
from statistics import median

import numpy as np

from ..audio import read_audio
from ..errors import AudioFileError, DependencyMissingError

FRAME_S = 0.03
ACTIVE_DB = 30.0  # frames within this of the turn's loudest frame count as speech


def _parselmouth():
    try:
        import parselmouth
    except ImportError:
        raise DependencyMissingError("praat-parselmouth is not installed, so pitch cannot be measured.",
                                     hint="pip install praat-parselmouth") from None
    return parselmouth


def loudness_db(samples: np.ndarray, rate: int) -> float | None:
    """RMS level in dBFS over the frames that carry speech (silence would drag it down)."""
    n = int(FRAME_S * rate)
    frames = samples[: len(samples) // n * n].reshape(-1, n) if len(samples) >= n else samples.reshape(1, -1)
    energy = (frames.astype(np.float64) ** 2).mean(axis=1)
    if energy.max() <= 1e-12:
        return None
    db = 10 * np.log10(np.maximum(energy, 1e-12))
    active = energy[db >= db.max() - ACTIVE_DB]
    return float(10 * np.log10(active.mean()))


def pitch_hz(samples: np.ndarray, rate: int) -> np.ndarray:
    """Voiced F0 values (Hz), one per 10 ms, from Praat's autocorrelation tracker."""
    parselmouth = _parselmouth()
    sound = parselmouth.Sound(samples.astype(np.float64), sampling_frequency=rate)
    f0 = sound.to_pitch(time_step=0.01, pitch_floor=75.0, pitch_ceiling=500.0).selected_array["frequency"]
    return f0[f0 > 0]


def _semitones(a: float, b: float) -> float:
    return 12 * float(np.log2(a / b))


def voice_metrics(session_dir: Path, turns: list[dict], raised_voice_db: float, raised_pitch_st: float) -> dict:
    per_turn = []
    all_f0: list[np.ndarray] = []
    for t in turns:
        if t["speaker"] != "agent" or not t.get("audio"):
            continue
        try:
            audio = read_audio(session_dir / t["audio"])
        except AudioFileError:
            continue
        f0 = pitch_hz(audio.samples, audio.rate)
        all_f0.append(f0)
        per_turn.append({"turn": t["index"], "loudness_db": loudness_db(audio.samples, audio.rate),
                         "pitch_hz": float(np.median(f0)) if f0.size else None})
    loud = [p["loudness_db"] for p in per_turn if p["loudness_db"] is not None]
    if not loud:
        return {"voice_measured": False, "loudness_by_turn": [], "raised_voice": [], "raised_voice_turns": None,
                "pitch_median_hz": None, "pitch_range_semitones": None}
    baseline = median(loud)
    f0 = np.concatenate(all_f0) if all_f0 else np.array([])
    pitch_median = float(np.median(f0)) if f0.size else None
    turn_pitches = [p["pitch_hz"] for p in per_turn if p["pitch_hz"] is not None]
    pitch_baseline = median(turn_pitches) if turn_pitches else None  # the usual turn, as for loudness
    rows = []
    for p in per_turn:
        rel = None if p["loudness_db"] is None else p["loudness_db"] - baseline
        pitch_rel = None if p["pitch_hz"] is None else _semitones(p["pitch_hz"], pitch_baseline)
        rows.append({"turn": p["turn"], "loudness_db": _r(p["loudness_db"]), "relative_db": _r(rel),
                     "pitch_hz": _r(p["pitch_hz"]), "pitch_relative_st": _r(pitch_rel)})
    raised = []
    for r in rows:
        signs = [sign for sign, value, limit in (("louder", r["relative_db"], raised_voice_db),
                                                 ("higher pitch", r["pitch_relative_st"], raised_pitch_st))
                 if value is not None and value > limit]
        if signs:
            raised.append({"turn": r["turn"], "relative_db": r["relative_db"],
                           "pitch_relative_st": r["pitch_relative_st"], "signs": signs})
    lo, hi = (np.percentile(f0, [10, 90]) if f0.size >= 10 else (None, None))
    return {
        "voice_measured": True,
        "loudness_median_db": _r(baseline),
        "loudness_by_turn": rows,
        "raised_voice": raised,
        "raised_voice_turns": len(raised),
        "pitch_median_hz": _r(pitch_median),
        "pitch_range_semitones": _r(_semitones(hi, lo)) if lo else None,
    }


def _r(x: float | None, places: int = 2) -> float | None:
    return None if x is None else round(float(x), places)
