"""`voicetrainer schema session|grade|persona`: the JSON Schemas of what voicetrainer writes and reads.

Registered on the main app by cli.py (`register(app)`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from .terminal import err_console


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)


def schema(
    kind: str = typer.Argument(..., help="session (session.json), grade (grade.json) or persona (persona YAML files)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the schema to this file instead of printing it."),
) -> None:
    """Print the JSON Schema of a session, a grade or a persona file (also in docs/schema/)."""
    from .record.schema import json_schema

    text = json_schema(kind)
    if out:
        out.write_text(text, encoding="utf-8")
        err_console.print(f"Wrote {out}")
    else:
        sys.stdout.write(text)
