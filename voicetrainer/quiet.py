"""Keep library chatter (warnings, progress bars, logging) out of the user's terminal."""

from __future__ import annotations

import logging
import os
import warnings


def quiet_libraries() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is ever fetched from a model hub
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ.setdefault("ORT_LOGGING_LEVEL", "3")
    warnings.filterwarnings("ignore")
    for name in ("faster_whisper", "ctranslate2", "httpx", "openai", "piper", "onnxruntime", "comtypes"):
        logging.getLogger(name).setLevel(logging.ERROR)
