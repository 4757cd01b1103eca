"""Has the agent finished speaking? The smart-turn v3.2 model, run on how the turn sounds.

The model file (`voicetrainer/data/smart-turn-v3.2-cpu.onnx`, 8.7 MB, BSD-2-Clause, from
the `pipecat-ai` 1.14.0 wheel; licence in `smart-turn-LICENSE.txt` beside it) is a Whisper-
tiny encoder with a classifier on top: it reads the last 8 s of 16 kHz audio as 80x800
Whisper log-mel features and gives the probability that the speaker has finished their
turn (intonation and rhythm, not words). pipecat's runtime is not used: the features are
faster-whisper's own `FeatureExtractor`, prepared the way pipecat prepares them
(pipecat/audio/turn/smart_turn/local_smart_turn_v3.py, _whisper_features.py):

- the turn's audio (with the pause so far) is cut to its last 8 s, or zero-padded at the
  *front* to 8 s;
- the waveform is normalised to zero mean and unit variance *before* the spectrogram;
- no extra padding at the end: 128 000 samples give 801 frames, the last is dropped.

The session is created on first use (onnxruntime is already loaded by faster-whisper's
VAD, the model adds about 60 MB) and runs on one thread: the other core is Whisper's.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from ..errors import DependencyMissingError

RATE = 16_000
WINDOW_S = 8
MODEL_PATH = Path(__file__).resolve().parent.parent / "data" / "smart-turn-v3.2-cpu.onnx"


def features(audio: np.ndarray) -> np.ndarray:
    """(80, 800) float32 log-mel features of the last 8 s of 16 kHz `audio`."""
    from faster_whisper.feature_extractor import FeatureExtractor

    n = WINDOW_S * RATE
    x = np.asarray(audio, dtype=np.float32)[-n:]
    x = np.pad(x, (n - len(x), 0))  # silence before the turn, as pipecat pads
    x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    return np.asarray(_extractor(FeatureExtractor)(x, padding=0), dtype=np.float32)


_EXTRACTOR = None


def _extractor(cls):
    global _EXTRACTOR
    if _EXTRACTOR is None:  # its mel filter bank is built once
        _EXTRACTOR = cls(feature_size=80, sampling_rate=RATE, hop_length=160, chunk_length=WINDOW_S, n_fft=400)
    return _EXTRACTOR


class SmartTurn:
    """probability(audio) -> chance the speaker has finished (0..1). Thread-safe; lazy."""

    def __init__(self, model_path: str | Path = MODEL_PATH, threads: int = 1):
        self.model_path, self.threads = Path(model_path), threads
        self._session = None
        self._lock = threading.Lock()

    def load(self) -> "SmartTurn":
        with self._lock:
            if self._session is None:
                try:
                    import onnxruntime as ort
                except ImportError as exc:
                    raise DependencyMissingError(f"onnxruntime is needed for the end-of-turn model ({exc}).",
                                                 hint="pip install onnxruntime (faster-whisper brings it)") from None
                if not self.model_path.is_file():
                    raise DependencyMissingError(f"The end-of-turn model {self.model_path} is missing.",
                                                 hint="reinstall voicetrainer, or use --end-silence for the fixed rule")
                options = ort.SessionOptions()
                options.intra_op_num_threads, options.inter_op_num_threads = self.threads, 1
                options.log_severity_level = 3  # onnxruntime's warnings are not the user's business
                self._session = ort.InferenceSession(str(self.model_path), sess_options=options,
                                                     providers=["CPUExecutionProvider"])
        return self

    def probability(self, audio: np.ndarray) -> float:
        """`audio`: the turn so far at 16 kHz, ending with the pause being judged."""
        session = self.load()._session
        out = session.run(None, {"input_features": features(audio)[None]})[0]
        return float(np.asarray(out).reshape(-1)[0])  # the graph ends in a sigmoid already


_SHARED: SmartTurn | None = None


def shared_model() -> SmartTurn:
    """One model per process (live headset, paced replay and benchmarks share it)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = SmartTurn()
    return _SHARED
