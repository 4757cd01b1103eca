"""Persona files: every shipped one validates; broken ones name file, line and field."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from voicetrainer.errors import FileValidationError
from voicetrainer.personas import BANDS, DEFAULT_PERSONAS_DIR, SITUATIONS, load_persona, persona_files

SHIPPED = ["angry_refund", "passive_aggressive", "confused_demanding", "abusive_caller", "billing_dispute",
           "tech_meltdown"]
GOOD = (DEFAULT_PERSONAS_DIR / "angry_refund.yaml").read_text()


def test_the_six_shipped_personas_exist():
    have = {p.stem for p in persona_files()}
    assert [p for p in SHIPPED if p not in have] == []


def test_shipped_personas_are_six_different_callers():
    personas = [load_persona(p) for p in persona_files()]
    for attribute in (lambda p: p.scenario.company, lambda p: p.archetype, lambda p: p.name,
                      lambda p: p.voice.voice):
        values = [attribute(p) for p in personas]
        assert len(set(values)) == len(values), values


@pytest.mark.parametrize("path", persona_files(), ids=lambda p: p.stem)
def test_shipped_persona_has_lines_for_every_situation_at_every_mood(path):
    persona = load_persona(path)
    assert path.read_text().startswith("# yaml-language-server: $schema=./persona.schema.json\n")
    reachable = [s for s in SITUATIONS if s != "demand" or persona.habits.repeats_demand]
    reachable = [s for s in reachable if s != "deflecting" or any(f.hidden for f in persona.scenario.facts)]
    thin = [(s, b) for s in reachable for b in BANDS if len(persona.lines.get(s, {}).get(b, [])) < 2]
    assert thin == [], "at least two lines per situation and mood band, so the caller does not repeat itself"
    lines = [line for by_band in persona.lines.values() for band_lines in by_band.values() for line in band_lines]
    assert len(lines) == len(set(lines)), "a line appears twice"
    assert not [line for line in lines if re.search(r"[*(\[]", line)], "stage directions are not spoken"
    assert 3 <= len(persona.scenario.facts) <= 5


def test_shipped_persona_voices_are_installed_espeak_voices():
    # pyttsx3 matches a voice id as part of an installed voice's id or name; an unknown one
    # silently keeps the previous voice, and the callers would stop sounding different.
    installed = subprocess.run(["espeak-ng", "--voices=en"], capture_output=True, text=True, check=True).stdout
    for path in persona_files():
        voice = load_persona(path).voice.voice
        assert voice.lower() in installed.lower(), f"{path.name}: voice {voice!r} is not an installed espeak-ng voice"


@pytest.mark.parametrize("path", persona_files(), ids=lambda p: p.stem)
def test_shipped_persona_validates_and_can_hold_a_call(path):
    persona = load_persona(path)
    assert persona.id == path.stem
    for situation in ("opening", "venting", "accepting", "hanging_up"):
        for band in ("calm", "annoyed", "angry"):
            assert persona.lines_for(situation, band), (situation, band)
    venting = sum(len(v) for v in persona.lines["venting"].values())
    assert venting >= 5, "enough lines for a 10-turn call"
    assert set(persona.lines) <= set(SITUATIONS)
    assert persona.scenario.facts, "facts to reveal when asked"


def _broken(tmp_path: Path, old: str, new: str) -> FileValidationError:
    assert old in GOOD
    path = tmp_path / "broken.yaml"
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(FileValidationError) as info:
        load_persona(path)
    return info.value


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_unknown_field_names_line_and_suggests(tmp_path):
    err = _broken(tmp_path, "  satisfied_at: 3.5", "  satisfied_below: 3.5")
    [problem] = err.problems
    assert problem.file.endswith("broken.yaml")
    assert problem.line == _line_of(GOOD, "satisfied_at: 3.5")
    assert problem.field == "mood.satisfied_below"
    assert "did you mean 'satisfied_at'" in problem.problem


def test_wrong_type_and_out_of_range_are_all_reported(tmp_path):
    text = GOOD.replace("difficulty: 3", "difficulty: hard").replace("  start: 8", "  start: 12")
    path = tmp_path / "two.yaml"
    path.write_text(text)
    with pytest.raises(FileValidationError) as info:
        load_persona(path)
    fields = {p.field: p for p in info.value.problems}
    assert set(fields) == {"difficulty", "mood.start"}
    assert fields["difficulty"].line == _line_of(text, "difficulty: hard")
    assert fields["mood.start"].line == _line_of(text, "  start: 12")
    assert fields["mood.start"].problem == "12 is too high (expected at most 10)"


def test_unknown_behaviour_in_reactions(tmp_path):
    err = _broken(tmp_path, "    rude: 1.5", "    rudeness: 1.5")
    [problem] = err.problems
    assert problem.field == "mood.reactions.rudeness"
    assert problem.line == _line_of(GOOD, "    rude: 1.5")
    assert "did you mean 'rude'" in problem.problem


def test_yaml_syntax_error_gives_line_and_column(tmp_path):
    err = _broken(tmp_path, "name: Dana Whitaker", "name: [Dana Whitaker")
    [problem] = err.problems
    assert problem.line is not None and "column" in problem.problem


def test_missing_file_and_empty_file(tmp_path):
    with pytest.raises(FileValidationError, match="does not exist"):
        load_persona(tmp_path / "nope.yaml")
    (tmp_path / "empty.yaml").write_text("")
    with pytest.raises(FileValidationError, match="empty"):
        load_persona(tmp_path / "empty.yaml")


def test_personas_list_shows_every_id_in_full_on_a_narrow_terminal():
    import sys

    out = subprocess.run([sys.executable, "-m", "voicetrainer", "personas", "list"], capture_output=True,
                         text=True, env={"COLUMNS": "80", "PATH": "/usr/bin:/bin"}, check=True).stdout
    for persona_id in SHIPPED:
        assert persona_id in out
