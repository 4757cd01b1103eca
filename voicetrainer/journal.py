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
    """The session document from a journal, complete or cut short."""
    events = read_events(path)
    start = next((e for e in events if e["event"] == "call_started"), {})
    end = next((e for e in events if e["event"] == "call_ended"), None)
    session = {k: v for k, v in start.items() if k != "event"}
    session["turns"] = [{k: v for k, v in e.items() if k != "event"} for e in events if e["event"] == "turn"]
    session["notes"] = [{k: v for k, v in e.items()} for e in events if e["event"] not in ("call_started", "turn", "call_ended")]
    session["ended_by"] = end["ended_by"] if end else "error"
    session["duration_s"] = end.get("duration_s") if end else (session["turns"][-1]["end_s"] if session["turns"] else 0.0)
    if not end:
        session["notes"].append({"event": "incomplete", "message": "the call stopped before it ended; rebuilt from the journal"})
    return session


def write_session(directory: str | Path) -> dict:
    directory = Path(directory)
    session = rebuild_session(directory / "journal.jsonl")
    tmp = directory / "session.json.tmp"
    tmp.write_text(json.dumps(session, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(directory / "session.json")
    return session


def load_session(directory: str | Path) -> dict:
    """session.json if present, else rebuilt from the journal."""
    directory = Path(directory)
    if (directory / "session.json").exists():
        return json.loads((directory / "session.json").read_text(encoding="utf-8"))
    if (directory / "journal.jsonl").exists():
        return rebuild_session(directory / "journal.jsonl")
    from .errors import NotFoundError

    raise NotFoundError(f"{directory} is not a saved session (no session.json or journal.jsonl).",
                        hint="pass the --out folder of a `voicetrainer call`")
