"""The rubric file: the shipped one is valid and complete; broken ones name file, line, field."""

from __future__ import annotations

import subprocess
import sys

import pytest

from voicetrainer.errors import FileValidationError
from voicetrainer.rubric import DEFAULT_RUBRIC, load_rubric

from .conftest import ROOT

REQUIRED = ["active_listening", "empathy", "calm_tone", "positive_language", "ownership", "expectations",
            "escalation", "boundaries", "closing"]


def test_shipped_rubric_has_every_criterion():
    rubric = load_rubric()
    assert [c.id for c in rubric.criteria] == REQUIRED
    for c in rubric.criteria:
        assert sorted(c.anchors) == [1, 2, 3, 4, 5] and c.weight > 0 and c.advice
    by_id = {c.id: c for c in rubric.criteria}
    assert not by_id["boundaries"].applies_when.always and not by_id["escalation"].applies_when.always


def broken(tmp_path, old: str, new: str):
    path = tmp_path / "rubric.yaml"
    text = DEFAULT_RUBRIC.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(FileValidationError) as info:
        load_rubric(path)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("old, new, expected", [
    ("    weight: 15\n", "    wieght: 15\n", "criteria.0.wieght: unknown field (did you mean 'weight'?)"),
    ("paraphrases: 1.5", "paraphrase: 1.5", "criteria.0.scoring.for.paraphrase: unknown behaviour 'paraphrase' (did you mean 'paraphrases'?)"),
    ("      5: Paraphrases", "      6: Paraphrases", "criteria.0.anchors"),
    ("customer_situations: [supervisor, escalated]", "customer_situations: [supervsor]", "unknown situation supervsor"),
    ("{metric: talk_ratio, above: 0.7,", "{metric: talk_ratios, above: 0.7,", "criteria.0.scoring.metrics.2.metric"),
    ("{metric: talk_ratio, above: 0.7,", "{metric: talk_ratio, above: 0.7, below: 0.1,", "exactly one of 'above' or 'below'"),
    ("      dismissive: \"I can hear how", "      shouting: \"I can hear how", "better_phrasing keys must be behaviours"),
])
def test_broken_rubrics_name_file_line_and_field(tmp_path, old, new, expected):
    problems = broken(tmp_path, old, new)
    assert any(expected in p for p in problems), problems
    assert all(p.startswith(f"{tmp_path / 'rubric.yaml'}:") for p in problems)
    line = int(problems[0].split(":")[1])
    assert 1 <= line <= len(DEFAULT_RUBRIC.read_text().splitlines())


def test_yaml_syntax_error_has_line_and_column(tmp_path):
    problems = broken(tmp_path, "name: Customer-handling basics", "name: [unclosed")
    assert "YAML syntax error" in problems[0] and "column" in problems[0]


def test_rubric_validate_command(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEFAULT_RUBRIC.read_text().replace("    weight: 15\n", "    wieght: 15\n", 1))
    run = subprocess.run([sys.executable, "-m", "voicetrainer", "rubric", "validate", str(DEFAULT_RUBRIC), str(bad)],
                         cwd=ROOT, capture_output=True, text=True, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 1
    assert ["ok", str(DEFAULT_RUBRIC)] in [line.split() for line in run.stdout.splitlines()]
    assert "did you mean 'weight'?" in run.stdout and "Traceback" not in run.stdout + run.stderr
