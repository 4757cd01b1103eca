"""Streaming voice activity detection with the Silero VAD model bundled in faster-whisper.

faster-whisper runs the model over a whole file at once; a live call needs one speech
probability per 32 ms window as audio arrives, so this keeps the model's state between calls.
"""

from __future__ import annotations

import numpy as np

from ..errors import DependencyMissingError

WINDOW = 512  # samples at 16 kHz (32 ms): the window Silero is trained on
_CONTEXT = 64  # samples of the previous window the model sees before each new one


class SileroVAD:
    def __init__(self) -> None:
        try:
            from faster_whisper.vad import get_vad_model
            self._session = get_vad_model().session
        except (ImportError, RuntimeError, AttributeError) as exc:
            raise DependencyMissingError(
                f"The Silero voice detector bundled with faster-whisper cannot load ({exc}).",
                hint="pip install 'faster-whisper>=1.1' onnxruntime",
            ) from None
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)

    def probability(self, window: np.ndarray) -> float:
        """Speech probability of the next WINDOW samples (16 kHz mono float32)."""
        x = np.concatenate([self._context, window.astype(np.float32)])[None, :]
        out, self._h, self._c = self._session.run(None, {"input": x, "h": self._h, "c": self._c})
        self._context = window[-_CONTEXT:].astype(np.float32)
        return float(np.asarray(out).reshape(-1)[0])
