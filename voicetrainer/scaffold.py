"""`personas new`: a commented persona file to fill in, started from an archetype.

The archetypes (data/archetypes.yaml) are complete customers, so the file is valid and
can hold a call as written; the template (templates/persona.yaml.j2) explains each field.
"""

from __future__ import annotations

import os
import re
import textwrap
from functools import lru_cache
from pathlib import Path

import jinja2
import yaml

from .errors import VoiceTrainerError
from .personas import PACKAGE_ROOT, SCHEMA_FILE

HERE = Path(__file__).resolve().parent
ID = re.compile(r"^[a-z][a-z0-9_]*$")


@lru_cache(maxsize=1)
def _data() -> dict:
    return yaml.safe_load((HERE / "data" / "archetypes.yaml").read_text(encoding="utf-8"))


def archetype_names() -> list[str]:
    return list(_data()["archetypes"])


def archetype(name: str) -> dict:
    """An archetype merged over the common defaults (its reactions and lines override theirs)."""
    data = _data()
    if name not in data["archetypes"]:
        raise VoiceTrainerError(f"There is no archetype called '{name}'.", hint=f"choose one of: {', '.join(archetype_names())}")
    common, own = data["common"], data["archetypes"][name]
    mood = {**common["mood"], **own.get("mood", {})}
    mood["reactions"] = {**common["mood"]["reactions"], **own.get("reactions", {})}
    return {
        **own,
        "mood": mood,
        "habits": {**common["habits"], **own.get("habits", {})},
        "voice": {**common["voice"], **own.get("voice", {})},
        "lines": {**own["lines"], **{s: b for s, b in common["lines"].items() if s not in own["lines"]}},
    }


def _flow(value) -> str:
    """A value as one line of YAML (quoted only where YAML needs it)."""
    return yaml.safe_dump(value, default_flow_style=True, width=10_000, allow_unicode=True).strip().removesuffix("\n...").removesuffix(" ...")


def _block(text: str, indent: int = 2) -> str:
    """Long text as a folded block, wrapped for reading."""
    return ">-\n" + textwrap.indent(textwrap.fill(" ".join(text.split()), 88 - indent), " " * indent)


def _schema_reference(file: Path) -> str:
    """Relative to the file inside this project (it moves with it), else an absolute file URI."""
    folder = file.resolve().parent
    if folder.is_relative_to(PACKAGE_ROOT):
        return "./" + Path(os.path.relpath(SCHEMA_FILE, folder)).as_posix()
    return SCHEMA_FILE.as_uri()


def render(persona_id: str, archetype_name: str, file: Path, name: str | None = None) -> str:
    if not ID.match(persona_id):
        raise VoiceTrainerError(f"'{persona_id}' cannot be a persona id.",
                                hint="use lowercase letters, digits and _, starting with a letter, e.g. late_parcel")
    p = archetype(archetype_name)
    if name:
        p["name"] = name
    schema = _schema_reference(file)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    env.filters.update(y=_flow, block=_block)
    template = env.from_string((HERE / "templates" / "persona.yaml.j2").read_text(encoding="utf-8"))
    return template.render(id=persona_id, archetype=archetype_name, p=p, file=file, schema=schema)


def write_new_persona(persona_id: str, archetype_name: str, directory: Path, name: str | None = None,
                      force: bool = False) -> Path:
    path = Path(directory) / f"{persona_id}.yaml"
    if path.exists() and not force:
        raise VoiceTrainerError(f"{path} already exists.", hint="choose another name, or pass --force to overwrite it")
    text = render(persona_id, archetype_name, path, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
