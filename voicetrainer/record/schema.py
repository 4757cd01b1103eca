"""The JSON Schemas of the record, published in docs/schema/ for anything that reads sessions
(an LMS export, a trainer's script): `voicetrainer schema session|grade|persona`."""

from __future__ import annotations

import json
from pathlib import Path

from .models import Grade, Session

KINDS = ("session", "grade", "persona")
PUBLISHED_DIR = Path(__file__).resolve().parent.parent.parent / "docs" / "schema"  # in the repository


def json_schema(kind: str) -> str:
    """The schema of `kind` as JSON text (what docs/schema/<kind>.schema.json holds)."""
    if kind == "persona":
        from ..personas import persona_json_schema

        return persona_json_schema()
    model = {"session": Session, "grade": Grade}.get(kind)
    if model is None:
        from ..errors import VoiceTrainerError

        raise VoiceTrainerError(f"There is no schema called '{kind}'.", hint=f"use one of: {', '.join(KINDS)}")
    # mode="serialization": the shape of the files as written (what a reader gets)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **model.model_json_schema(mode="serialization")}
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
