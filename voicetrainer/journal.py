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
        _lock(self._file, exclusive=True)  # held until close: `history` tells a running call from a crashed one

    def write(self, event: str, **fields: Any) -> None:
        line = json.dumps(redact({"event": event, **fields}), ensure_ascii=False)
        try:
            self._file.write(line + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:  # a full disk: the message names the journal
            exc.filename = exc.filename or str(self.path)
            raise

    def close(self) -> None:
        try:
            self._file.close()
        except OSError as exc:  # the unwritten rest of a line that did not fit: the journal stays readable
            exc.filename = exc.filename or str(self.path)
            raise


def _lock(file, exclusive: bool) -> bool:
    """An advisory lock on the open journal (False when another process holds it). The
    kernel drops it when the process ends, however it ends; where there is no flock
    (Windows) every call counts as finished."""
    try:
        import fcntl
    except ImportError:
        return True
    try:
        fcntl.flock(file.fileno(), (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # a filesystem without locks: no way to tell
        return True
    return True


def call_in_progress(journal: str | Path) -> bool:
    """Whether a call is still writing this journal (its process holds the journal's lock)."""
    try:  # non-blocking: a pipe named journal.jsonl must not hang `history`
        with os.fdopen(os.open(journal, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as file:
            return not _lock(file, exclusive=False)
    except OSError:
        return False


def read_events(path: str | Path) -> list[dict]:
    """Every complete event; a torn last line (killed mid-write) or junk is skipped."""
    from .session_file import read_journal_events

    return read_journal_events(Path(path))


def rebuild_session(path: str | Path) -> dict:
    """The session document from a journal, complete or cut short, validated (record/store.py);
    SessionFileError in one sentence when the journal does not hold a call."""
    from .record.store import session_from_journal

    return session_from_journal(path).document()


def write_session(directory: str | Path) -> dict:
    """session.json from the journal (record/store.py), returned as its document."""
    from .record.store import write_session as write

    return write(directory).document()


def load_session(directory: str | Path) -> dict:
    """session.json as it is on disk, else rebuilt from the journal: read bounded and checked
    for a call's shape (session_file.py), SessionFileError naming the file if it is not one.

    Grading and reports read the typed, upgraded record instead: record.read_session."""
    from .record.store import journal_document
    from .session_file import read_session_json

    directory = Path(directory)
    if (directory / "session.json").exists():
        return read_session_json(directory / "session.json")
    if (directory / "journal.jsonl").exists():
        return journal_document(directory / "journal.jsonl")
    from .errors import NotFoundError

    raise NotFoundError(f"{directory} is not a saved session (no session.json or journal.jsonl).",
                        hint="pass the --out folder of a `voicetrainer call`")
