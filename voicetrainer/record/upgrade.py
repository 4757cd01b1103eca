"""Sessions written before the record was typed (schema 1: no `schema_version`) still load.

What such a session did not record is reconstructed once, here, and the session says so in
an `upgraded` note:
- the persona snapshot: taken from the persona file of the same id in the shipped folder
  (where the grader used to look it up), or left out when there is none;
- the detections: a turn's recorded detections are kept (their spans found again in the
  text); a turn without any (a session written by hand) is read by today's detectors, as the
  grader used to do for every session;
- fields this version does not know are kept in the note, not dropped silently.

A newer schema than this version knows, or JSON that is not a call, is refused with one
sentence that says why.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..behaviours import detect, load_behaviours, normalise
from ..errors import SessionFormatError, VoiceTrainerError
from .models import SESSION_SCHEMA_VERSION, Session, Turn, detection_records, persona_snapshot


def upgrade(doc: Any, personas_dir: Path | None = None) -> dict:
    """A session document of any known schema as a current one (validation is the caller's)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("turns"), list):
        raise SessionFormatError("This file does not hold a call (no list of turns).",
                                 hint="pass the --out folder of a `voicetrainer call`")
    version = doc.get("schema_version", 1)
    if version == SESSION_SCHEMA_VERSION:
        return doc
    if version != 1:
        raise SessionFormatError(
            f"This session was written with session schema {version!r}, and this voicetrainer reads "
            f"schemas 1 to {SESSION_SCHEMA_VERSION}.", hint="upgrade voicetrainer to read it")
    return _from_v1(doc, personas_dir)


def _from_v1(doc: dict, personas_dir: Path | None) -> dict:
    known = set(Session.model_fields) - {"schema_version", "persona_snapshot", "persona_sha256", "rubric"}
    out: dict[str, Any] = {k: v for k, v in doc.items() if k in known and k not in ("turns", "notes")}
    unknown = {k: v for k, v in doc.items() if k not in known}
    what = []
    snapshot, path = _snapshot(str(doc.get("persona") or ""), personas_dir)
    if snapshot:
        out.update(snapshot)
        what.append(f"the persona snapshot was taken from {path} when it was read")
    else:
        what.append("no persona file was found for it, so nothing the persona cannot promise is checked")
    turns, redetected = _turns(doc["turns"], unknown)
    if redetected:
        what.append(f"turns {', '.join(map(str, redetected))} had no recorded detections and were read by "
                    "today's behaviour detectors")
    out["turns"] = turns
    note = {"event": "upgraded", "from_version": 1,
            "message": "written before sessions were versioned; " + "; ".join(what)}
    if unknown:
        note["unknown_fields"] = unknown
    out["notes"] = [*(doc.get("notes") or []), note]
    out["schema_version"] = SESSION_SCHEMA_VERSION
    out.setdefault("ended_by", "unknown")
    return out


def _snapshot(persona_id: str, personas_dir: Path | None) -> tuple[dict | None, Path | None]:
    from ..personas import DEFAULT_PERSONAS_DIR

    path = Path(personas_dir or DEFAULT_PERSONAS_DIR) / f"{persona_id}.yaml"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", persona_id) or not path.is_file():  # an id, never a path
        return None, None
    try:
        return dict(_cached_snapshot(str(path), path.stat().st_mtime_ns)), path
    except (OSError, VoiceTrainerError):
        return None, None


@lru_cache(maxsize=32)
def _cached_snapshot(path: str, mtime_ns: int) -> tuple:
    """Cached by file and modification time: validating a persona costs ~0.1 s of pure-Python YAML."""
    from ..personas import load_persona

    return tuple(persona_snapshot(load_persona(path)).items())


def _turns(turns: list, unknown: dict) -> tuple[list[dict], list[int]]:
    known = set(Turn.model_fields)
    timing = {b.id for b in load_behaviours().values() if b.timing}
    out, redetected, caller_so_far = [], [], []
    for position, raw in enumerate(turns):
        if not isinstance(raw, dict):
            raise SessionFormatError(f"Turn {position} of this session is not a JSON object.")
        turn = {k: v for k, v in raw.items() if k in known}
        extra = {k: v for k, v in raw.items() if k not in known}
        if extra:
            unknown.setdefault("turns", {})[str(raw.get("index", position))] = extra
        text = raw.get("text") or ""
        if raw.get("speaker") == "agent":
            if isinstance(raw.get("detections"), list):
                found = [_placed(d, text, timing) for d in raw["detections"] if isinstance(d, dict)]
            else:
                found = [] if not text else detection_records(detect(text, " ".join(caller_so_far)))
                found += [{"behaviour": b, "kind": "timing"} for b in raw.get("behaviours") or [] if b in timing]
                redetected.append(raw.get("index", position))
            turn["detections"] = found
            turn["behaviours"] = [d["behaviour"] for d in found]
        else:
            caller_so_far.append(text)
        out.append(turn)
    return out, redetected


def _placed(d: dict, text: str, timing: set[str]) -> dict:
    """A schema-1 detection ({behaviour, trigger}) with its span found again in the text."""
    trigger = str(d.get("trigger") or "")
    start = normalise(text).lower().find(trigger.lower()) if trigger else -1
    kind = "timing" if d.get("behaviour") in timing and not trigger else "words"
    return {"behaviour": d.get("behaviour"), "trigger": trigger, "start": start,
            "end": start + len(trigger) if start >= 0 else -1, "kind": kind}
