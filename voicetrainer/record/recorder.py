"""One recorder for every kind of call: spoken (files, headset) and typed (`personas try`).

It journals each event as it happens (one JSON line, flushed and fsynced: a call killed at any
moment keeps every finished turn), and at the end writes session.json from the journal and
returns the validated session document. Without a folder (a text call not saved) it keeps
the same events in memory and returns the same document, so every caller gets one shape.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from .. import __version__
from ..errors import VoiceTrainerError
from ..journal import Journal, redact
from .models import SESSION_SCHEMA_VERSION, persona_snapshot
from .store import rebuild, validated, write_session


def call_started(persona, caller: str, stt_model: str | None, tts: str | None, mode: str, **meta: Any) -> dict:
    """The fields every call starts with: the persona as used, the parts, when and by what."""
    return {"schema_version": SESSION_SCHEMA_VERSION, "persona": persona.id, "persona_name": persona.name,
            **persona_snapshot(persona),
            "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "caller": caller, "stt_model": stt_model, "tts": tts, "mood_start": persona.mood.start, "mode": mode,
            "voicetrainer": __version__, **meta}


class Recorder:
    def __init__(self, out: str | Path | None, started: dict):
        self.out = Path(out) if out is not None else None
        self.journal = Journal(self.out / "journal.jsonl") if self.out is not None else None
        self.events: list[dict] = []  # the same events, for a call that is not saved
        self.closed = False
        self.write("call_started", **started)

    def write(self, event: str, **fields: Any) -> None:
        if self.journal:
            self.journal.write(event, **fields)
        else:
            self.events.append(redact({"event": event, **fields}))

    def turn(self, turn: dict) -> None:
        self.write("turn", **turn)

    def note(self, event: str, **fields: Any) -> None:
        """Something that happened besides a turn (caller_error, interrupted, a source's note)."""
        self.write(event, **fields)

    def finish(self, ended_by: str, duration_s: float, final_mood: float | None = None,
               error: str | None = None, stopping: bool = False,
               then: Callable[[dict], None] | None = None) -> dict | None:
        """End the journal and return the session document (written to session.json when saved).

        Every step is tried even when one before it failed (a full disk): the last event, the
        journal's close, session.json, then `then` (what else the call saves from the session,
        such as call.wav), so whatever can still be written is. The first failure is raised
        afterwards, unless the call is already `stopping` for another reason (an error, Ctrl-C,
        SIGTERM): that one is what the user is told, once, and None is returned when the
        session could not be written."""
        if self.closed:
            raise RuntimeError("this call has already been recorded to the end")
        self.closed = True
        ended = {"ended_by": ended_by, "duration_s": round(duration_s, 3), "final_mood": final_mood,
                 **({"error": error} if error else {})}
        if not self.journal:
            self.write("call_ended", **ended)
            return validated(rebuild(self.events), "the call").document()
        first: Exception | None = None
        for step in (lambda: self.journal.write("call_ended", **ended), self.journal.close):
            try:
                step()
            except OSError as exc:
                first = first or exc
        session = None
        try:
            session = write_session(self.out).document()
            if then is not None:
                then(session)
        except (OSError, VoiceTrainerError) as exc:
            first = first or exc
        if first is not None and not stopping:
            raise first
        return session
