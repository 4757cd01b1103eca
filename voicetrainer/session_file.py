"""Reading a saved session.json or journal.jsonl that may be broken, huge or not a call.

Sessions are read back by `grade`, `history` and the report, maybe on another machine, from
folders anyone can edit. Whatever is in them, the reader gives the session document or one
`SessionFileError` naming the file; it never lets a UnicodeDecodeError, JSONDecodeError or a
KeyError from a wrong type reach the user.

The shape check is loose on purpose: it checks the fields and types the grader, the report
and history read (extra fields are kept and ignored), so a session of any schema passes it;
it does not re-define the session record. The record's own models (record/models.py) then
validate and upgrade what passed (record/store.py reads through here), so a file that is not
a call is named here in plain words, and one of a shape this version cannot read is named there.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import SessionFormatError

# A 40-turn call's session.json is about 100 KB; a file a thousand times larger is not a call.
MAX_SESSION_BYTES = 64 * 2**20


class SessionFileError(SessionFormatError):
    """session.json or journal.jsonl cannot be read as a call. `what` is the short reason
    (`session.json is not valid JSON (line 1, column 39)`), shown per folder by history."""

    def __init__(self, path: Path, what: str, detail: str = ""):
        self.path, self.what = Path(path), f"{Path(path).name} {what}"
        super().__init__(f"{path} {what}{f' ({detail})' if detail else ''}.",
                         hint="this folder's call cannot be read; hold the call again, or restore the file")


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class _Word(_Loose):
    w: str
    s: float
    e: float


class _Turn(_Loose):
    index: int
    speaker: Literal["agent", "customer"]
    text: str = ""
    start_s: float = 0.0
    end_s: float = 0.0
    mood: Optional[float] = None  # where present, a number (the mood track reads it)
    behaviours: list[str] = []
    detections: Optional[list[dict]] = None
    words: Optional[list[_Word]] = None
    audio: Optional[str] = None
    situation: Optional[str] = None


class _Session(_Loose):
    turns: list[_Turn] = []
    notes: list[dict] = []
    persona: Optional[str] = None
    persona_name: Optional[str] = None
    ended_by: str = "unknown"
    duration_s: Optional[float] = None
    mood_start: Optional[float] = None


def read_bytes(path: Path, limit: int = MAX_SESSION_BYTES) -> bytes:
    """A regular file's bytes, refusing pipes, devices and files over `limit` without reading them."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise SessionFileError(path, "is not a regular file")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise SessionFileError(path, "cannot be read", exc.strerror or str(exc)) from None
    if len(raw) > limit:
        raise SessionFileError(path, f"is larger than {limit // 2**20} MB", "a call's session is far smaller")
    return raw


def check_session(session: object, path: Path) -> dict:
    """The session as read, if it has the shape a call has; else SessionFileError naming the field."""
    if not isinstance(session, dict):
        raise SessionFileError(path, "does not hold a call", f"a JSON {type(session).__name__}, not an object")
    try:
        _Session.model_validate(session)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise SessionFileError(path, "does not hold a call", f"{where}: {err['msg'].lower()}") from None
    return session


def read_session_json(path: Path) -> dict:
    raw = read_bytes(path)
    try:
        session = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SessionFileError(path, "is not text", "it holds binary data") from None
    except json.JSONDecodeError as exc:
        raise SessionFileError(path, f"is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise SessionFileError(path, "does not hold a call", "nested too deeply") from None
    return check_session(session, path)


def read_journal_events(path: Path) -> list[dict]:
    """Every complete event. A torn last line (killed mid-write), binary junk or a line that is
    not an event is skipped, so every finished turn around it stays readable."""
    events = []
    for raw in read_bytes(path).splitlines():
        try:
            event = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            continue
        if isinstance(event, dict) and isinstance(event.get("event"), str):
            events.append(event)
    return events
