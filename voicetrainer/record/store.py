"""Reading and writing the record: session.json from the journal, and back as a typed Session.

Every reader that grades or reports goes through `read_session`, so an old session is
upgraded and a broken one refused in one place, with one sentence. Files are read bounded
and checked first (session_file.py: a binary, huge or non-call file is named in plain
words), and session.json is written through a temporary file that never outlives a failure.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from ..errors import NotFoundError
from ..session_file import SessionFileError, check_session, read_session_json
from .models import Session
from .upgrade import SessionFormatError, upgrade

SESSION_FILE = "session.json"
JOURNAL_FILE = "journal.jsonl"


def rebuild(events: list[dict]) -> dict:
    """The session document from a journal's events, complete or cut short (not yet validated)."""
    start = next((e for e in events if e.get("event") == "call_started"), {})
    end = next((e for e in events if e.get("event") == "call_ended"), None)
    session = {k: v for k, v in start.items() if k != "event"}
    session["turns"] = [{k: v for k, v in e.items() if k != "event"} for e in events if e.get("event") == "turn"]
    session["notes"] = [dict(e) for e in events if e.get("event") not in ("call_started", "turn", "call_ended")]
    session["ended_by"] = end.get("ended_by", "error") if end else "error"
    session["duration_s"] = end.get("duration_s") if end else (session["turns"][-1].get("end_s", 0.0) if session["turns"] else 0.0)
    for key in ("final_mood", "error"):
        if end and end.get(key) is not None:
            session[key] = end[key]
    if not end:
        session["notes"].append({"event": "incomplete", "message": "the call stopped before it ended; rebuilt from the journal"})
    return session


def validated(doc, source: str | Path, personas_dir: Path | None = None) -> Session:
    """Any known session document as the current Session, or SessionFormatError in one sentence."""
    try:
        return Session.model_validate(upgrade(doc, personas_dir))
    except SessionFormatError as exc:
        raise SessionFormatError(f"{source}: {exc.message}", hint=exc.hint) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the document"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise SessionFormatError(f"{source} is not a session this version can read: {where}: {first['msg']}{more}.",
                                 hint="it may have been edited by hand; the journal.jsonl beside it holds the call as it happened") from None


def journal_document(path: str | Path) -> dict:
    """The session document rebuilt from a journal as it is (not yet validated or upgraded);
    SessionFileError naming the journal when no event in it could be read (empty, binary
    junk) or what it holds is not shaped like a call."""
    from ..journal import read_events

    path = Path(path)
    events = read_events(path)
    if not events:
        raise SessionFileError(path, "does not hold a call", "no journal event in it could be read")
    return check_session(rebuild(events), path)


def session_from_journal(path: str | Path, personas_dir: Path | None = None) -> Session:
    return validated(journal_document(path), path, personas_dir)


def write_session(directory: str | Path) -> Session:
    """session.json from the journal, validated, written atomically: through a temporary file
    that is removed if the write fails (a full disk leaves no session.json.tmp behind)."""
    directory = Path(directory)
    session = session_from_journal(directory / JOURNAL_FILE)
    path, tmp = directory / SESSION_FILE, directory / (SESSION_FILE + ".tmp")
    try:
        tmp.write_text(json.dumps(session.document(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and not exc.filename:  # the message names the file, not the temp
            exc.filename = str(path)
        raise
    return session


def read_session(directory: str | Path, personas_dir: Path | None = None) -> Session:
    """The saved call in a session folder: session.json if present, else rebuilt from the journal.
    Read bounded and checked (SessionFileError), then validated and upgraded (SessionFormatError)."""
    directory = Path(directory)
    path = directory / SESSION_FILE
    if path.exists():
        return validated(read_session_json(path), path, personas_dir)
    if (directory / JOURNAL_FILE).exists():
        return session_from_journal(directory / JOURNAL_FILE, personas_dir)
    raise NotFoundError(f"{directory} is not a saved session (no session.json or journal.jsonl).",
                        hint="pass the --out folder of a `voicetrainer call`")
