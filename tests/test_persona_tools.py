"""Trainer tools: validate (every problem, located), show, schema."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from voicetrainer.cli import app
from voicetrainer.personas import DEFAULT_PERSONAS_DIR, SCHEMA_FILE, persona_json_schema

runner = CliRunner()
GOOD = (DEFAULT_PERSONAS_DIR / "angry_refund.yaml").read_text()
PROBLEM = re.compile(r"^error (?P<file>\S+):(?P<line>\d+): (?P<field>[\w.]+): (?P<what>.+) \((?P<expected>.+)\)$")

# Seven mistakes a trainer could make (field: original line -> broken line); each must come back.
MISTAKES = {
    "difficulty": ("difficulty: 3", "difficulty: hard"),
    "mood.start": ("  start: 8", "  start: 12"),
    "mood.satisfied_below": ("  satisfied_at: 3.5", "  satisfied_below: 3.5"),
    "mood.reactions.rudeness": ("    rude: 1.5", "    rudeness: 1.5"),
    "voice.volume": ("  volume: 0.75", "  volume: loud"),
    "scenario.facts.3.value": ('      value: "$189.99"', "      value: 189.99"),
    "lines.idel": ("  idle:", "  idel:"),
}


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_validate_reports_every_mistake_with_file_line_field_and_expectation(tmp_path):
    text = GOOD
    for old, new in MISTAKES.values():
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["personas", "validate", str(path), str(DEFAULT_PERSONAS_DIR / "angry_refund.yaml")])
    assert result.exit_code == 1
    problems = [PROBLEM.match(line) for line in result.stdout.splitlines() if line.startswith("error")]
    assert all(problems), result.stdout
    found = {m["field"]: m for m in problems}
    assert set(found) == set(MISTAKES)
    for m in problems:
        assert m["file"] == str(path)
        assert int(m["line"]) == _line_of(text, MISTAKES[m["field"]][1]), m.group(0)
    assert "expected a whole number from 1 to 5" in found["difficulty"]["expected"]
    assert "did you mean 'satisfied_at'" in found["mood.satisfied_below"]["expected"]
    assert "did you mean 'rude'" in found["mood.reactions.rudeness"]["what"] + found["mood.reactions.rudeness"]["expected"]
    assert "did you mean 'idle'" in found["lines.idel"]["expected"]
    assert "quotes" in found["scenario.facts.3.value"]["expected"]
    assert "ok" in result.stdout and "1 of 2 files invalid" in result.stdout


def test_validate_without_files_checks_the_personas_folder(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD.replace("id: angry_refund", "id: a"))
    assert runner.invoke(app, ["personas", "validate", "--personas", str(tmp_path)]).exit_code == 0
    (tmp_path / "b.yaml").write_text("id: b\n")
    result = runner.invoke(app, ["personas", "validate", "--personas", str(tmp_path)])
    assert result.exit_code == 1 and "b.yaml:1: name: required field is missing" in result.stdout


def test_duplicate_keys_are_reported_not_silently_merged(tmp_path):
    text = GOOD.replace("  interrupted:\n", "  venting:\n    calm: [Hm.]\n  interrupted:\n")
    path = tmp_path / "dup.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["personas", "validate", str(path)])
    assert result.exit_code == 1
    first, second = [i for i, t in enumerate(text.splitlines(), 1) if t == "  venting:"]
    assert f"dup.yaml:{second}: lines.venting: appears twice (first on line {first}" in result.stdout


def test_the_committed_schema_is_the_generated_one():
    assert SCHEMA_FILE.read_text() == persona_json_schema(), \
        "regenerate it: voicetrainer personas schema --out personas/persona.schema.json"


def test_schema_command_prints_json_that_lists_behaviours_for_editors():
    result = runner.invoke(app, ["personas", "schema"])
    schema = json.loads(result.stdout)
    reactions = schema["$defs"]["Mood"]["properties"]["reactions"]
    assert "acknowledges_feelings" in reactions["propertyNames"]["enum"]
    assert schema["additionalProperties"] is False


def test_shipped_personas_point_editors_at_the_schema():
    for path in DEFAULT_PERSONAS_DIR.glob("*.yaml"):
        assert path.read_text().startswith("# yaml-language-server: $schema=./persona.schema.json"), path


def test_show_lists_what_calms_and_angers_strongest_first():
    result = runner.invoke(app, ["personas", "show", "angry_refund"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Dana Whitaker" in out and "Brightline Home" in out
    calms = [line.split()[0] for line in out.splitlines() if re.match(r"^\s+\w+\s+-\d", line)]
    assert calms[:1] == ["acknowledges_feelings"] and calms[-1] == "asks_question"
    assert re.search(r"acknowledges_feelings\s+-1.5\s+dismissive\s+\+2", out)
    assert "at mood 3.5 or below" in out and "demands one at mood 9.5" in out


def test_show_and_validate_every_shipped_persona():
    from voicetrainer.personas import persona_files

    for path in persona_files():
        result = runner.invoke(app, ["personas", "show", path.stem], env={"COLUMNS": "200"})
        assert result.exit_code == 0 and "Calms them" in result.stdout, (path, result.output)
    result = runner.invoke(app, ["personas", "validate"])
    assert result.exit_code == 0 and result.stdout.count("ok") == len(persona_files())
