"""The session journal: one JSON event per line, flushed and fsynced as it happens.

A call killed at any moment keeps every finished turn; `session.json` is rebuilt from the
journal (`rebuild_session`). API keys never reach it: events carry only what the call
loop puts in them, and `redact` strips anything key-like as a second line of defence.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from .errors import VoiceTrainerError

SECRET_KEYS = re.compile(r"(api_?key|authorization|token|secret|password)", re.IGNORECASE)


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("<redacted>" if SECRET_KEYS.search(k) else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return re.sub(r"\bsk-[A-Za-z0-9_\-]{6,}", "<redacted>", value)
    return value


class Journal:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:  # a new call never writes into another call's journal, nor replaces it
            self._file = open(self.path, "x", encoding="utf-8")  # noqa: SIM115 - kept open for the call
        except FileExistsError:
            raise VoiceTrainerError(f"{self.path.parent} already holds a call.",
                                    hint="choose another --out folder, or delete that one first") from None

    def write(self, event: str, **fields: Any) -> None:
        line = json.dumps(redact({"event": event, **fields}), ensure_ascii=False)
        self._file.write(line + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


def read_events(path: str | Path) -> list[dict]:
    """Every complete event; a torn last line (killed mid-write) is skipped."""
    events = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events


def rebuild_session(path: str | Path) -> dict:
    """The session document from a journal, complete or cut short, validated (record/store.py)."""
    from .record.store import session_from_journal

    return session_from_journal(path).document()


def write_session(directory: str | Path) -> dict:
    """session.json from the journal (record/store.py), returned as its document."""
    from .record.store import write_session as write

    return write(directory).document()


def load_session(directory: str | Path) -> dict:
    """session.json as it is on disk (raw JSON), else rebuilt from the journal.

    Grading and reports read the typed, upgraded record instead: record.read_session."""
    directory = Path(directory)
    if (directory / "session.json").exists():
        return json.loads((directory / "session.json").read_text(encoding="utf-8"))
    if (directory / "journal.jsonl").exists():
        from .record.store import rebuild

        return rebuild(read_events(directory / "journal.jsonl"))
    from .errors import NotFoundError

    raise NotFoundError(f"{directory} is not a saved session (no session.json or journal.jsonl).",
                        hint="pass the --out folder of a `voicetrainer call`")
