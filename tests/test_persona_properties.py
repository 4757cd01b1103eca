"""Property tests: however a valid persona is broken, the loader answers with located problems.

Mutations: drop a field or list item, give it a value of another type, rename a key, or
break the YAML text itself. The loader may accept the result (dropping an optional field
is fine) but must never raise anything except FileValidationError, and every problem it
reports carries the file and a line inside the file.
"""

from __future__ import annotations

import copy

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voicetrainer.errors import FileValidationError
from voicetrainer.personas import DEFAULT_PERSONAS_DIR, Persona
from voicetrainer.yamlfile import load_model

FILE = "trainer/broken.yaml"
TEXT = (DEFAULT_PERSONAS_DIR / "angry_refund.yaml").read_text()
DATA = yaml.safe_load(TEXT)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def paths(node, prefix=()):
    """Every key / list index path in the data, parents before children."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield prefix + (key,)
        yield from paths(value, prefix + (key,))


ALL_PATHS = list(paths(DATA))
OTHER_VALUES = st.sampled_from([None, 0, -3, 7.5, 1e9, True, "", "text", "12", [], {}, ["a", 2], {"x": 1},
                                {"calm": ["Hi."]}, "2024-01-01", [[1]]])
KEYS = st.from_regex(r"[a-z_]{1,14}", fullmatch=True) | st.text(min_size=1, max_size=8)


def parent_and_key(data, path):
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    return parent, path[-1]


@st.composite
def mutated(draw):
    data = copy.deepcopy(DATA)
    for _ in range(draw(st.integers(1, 4))):
        live = list(paths(data))
        if not live:
            break
        parent, key = parent_and_key(data, draw(st.sampled_from(live)))
        action = draw(st.sampled_from(["drop", "retype", "rename"]))
        if action == "drop":
            del parent[key]
        elif action == "retype":
            parent[key] = draw(OTHER_VALUES)
        elif isinstance(parent, dict):
            new = draw(KEYS)
            if new not in parent:
                parent[new] = parent.pop(key)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@st.composite
def broken_text(draw):
    lines = TEXT.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["insert", "delete", "indent", "dedent", "duplicate", "truncate", "tab"]))
        if action == "insert":
            at = draw(st.integers(0, len(lines[i])))
            junk = draw(st.text(alphabet=":-[]{}#&*!|>'\"%@`, \t\x07\x00é?", min_size=1, max_size=4))
            lines[i] = lines[i][:at] + junk + lines[i][at:]
        elif action == "delete":
            del lines[i]
        elif action == "indent":
            lines[i] = " " * draw(st.integers(1, 3)) + lines[i]
        elif action == "dedent":
            lines[i] = lines[i].lstrip(" ")
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "truncate":
            lines = lines[:i]
        else:
            lines[i] = "\t" + lines[i]
        if not lines:
            break
    return "".join(lines)


def assert_located_or_valid(text: str) -> None:
    n_lines = max(1, len(text.splitlines()) + 1)
    try:
        persona = load_model(FILE, Persona, text=text)
    except FileValidationError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file == FILE
            assert isinstance(problem.line, int) and 1 <= problem.line <= n_lines, (problem, text)
            assert str(problem).startswith(f"{FILE}:{problem.line}: ")
            assert problem.problem.strip()
    else:
        assert isinstance(persona, Persona)


@pytest.mark.slow  # ~15 s: 60 mutated persona files
@FAST
@given(mutated())
def test_mutated_personas_fail_only_with_located_problems(text):
    assert_located_or_valid(text)


@FAST
@given(broken_text())
def test_broken_yaml_fails_only_with_located_problems(text):
    assert_located_or_valid(text)


def test_the_unmutated_persona_loads():
    assert_located_or_valid(TEXT)
    assert load_model(FILE, Persona, text=yaml.safe_dump(DATA)).id == "angry_refund"


def test_self_referencing_yaml_is_a_problem_not_a_crash():
    text = TEXT.replace("  agent_may_offer:\n", "  agent_may_offer: &loop [*loop]\n  unused:\n", 1)
    assert_located_or_valid(text)
