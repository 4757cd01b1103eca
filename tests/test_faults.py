"""Fault suite (issue 11): hostile or broken input gets one plain sentence naming the file,
fast and in little memory; never a traceback, never "Unexpected error".

The CLI runs as a real subprocess, under a memory cap and a timeout, so a regression fails
the test (MemoryError, timeout) instead of taking the machine down.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from voicetrainer.personas import DEFAULT_PERSONAS_DIR

ROOT = Path(__file__).resolve().parent.parent
GOOD = (DEFAULT_PERSONAS_DIR / "angry_refund.yaml").read_text()
MEMORY_CAP = 1536 * 2**20  # address space: Python, pydantic and rich fit easily; an alias bomb does not


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run(*args, stdin: str = "", timeout: float = 30, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`voicetrainer ARGS` as a user runs it; a hang becomes a failed test, not a stuck suite."""
    try:
        return subprocess.run([sys.executable, "-m", "voicetrainer", *map(str, args)], cwd=cwd, input=stdin,
                              capture_output=True, text=True, timeout=timeout, preexec_fn=_cap_memory,
                              env={**os.environ, "COLUMNS": "250"})
    except subprocess.TimeoutExpired:
        pytest.fail(f"voicetrainer {' '.join(map(str, args))} still running after {timeout} s")


def assert_clean(result: subprocess.CompletedProcess, *expected: str, code: int = 1) -> str:
    """Exit code as expected, no traceback or "Unexpected error", every expected text shown."""
    out = result.stdout + result.stderr
    assert "Traceback" not in out and "Unexpected error" not in out, out
    assert result.returncode == code, out
    for text in expected:
        assert text in out, out
    return out


# -- persona, rubric and config files: bounded ------------------------------------------------

def alias_bomb(levels: int = 9) -> str:
    """The 'billion laughs': each anchor is a list of nine aliases of the one before."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_fast_naming_file_and_line(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb())
    assert bomb.stat().st_size < 600
    started = time.perf_counter()
    out = assert_clean(run("personas", "validate", bomb, timeout=20), "bomb.yaml:", "aliases")
    assert time.perf_counter() - started < 10
    assert "values once its aliases are expanded" in out


def test_alias_bomb_in_a_call_is_refused_before_the_call(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb())
    assert_clean(run("call", "--persona", bomb, "--agent-audio", tmp_path, "--out", tmp_path / "out", timeout=20),
                 "bomb.yaml:")
    assert not (tmp_path / "out").exists()


def test_line_index_does_not_walk_alias_paths():
    """Before: every path through the aliases got an entry (9**4 here); the index must stay
    the size of the file, whatever the aliases would expand to."""
    from voicetrainer.yamlfile import _line_index

    node = yaml.compose(alias_bomb(levels=4))
    assert len(_line_index(node)) < 100


def test_aliases_that_expand_a_little_still_work(tmp_path):
    """Aliases are allowed (a trainer may reuse lines); only their expansion is capped."""
    text = GOOD.replace("  venting:\n", "  venting: &vent\n", 1) + "  deflecting: *vent\n"
    assert text.count("&vent") == 1 and GOOD.endswith("\n")
    path = tmp_path / "aliased.yaml"
    path.write_text(text)
    assert_clean(run("personas", "validate", path), "ok", code=0)


def test_alias_that_contains_itself_is_refused(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text(GOOD.replace("lines:\n", "lines: &all\n  loop: *all\n", 1))
    assert_clean(run("personas", "validate", path), "loop.yaml:", "refers to a value that contains it")


def test_deep_nesting_is_refused_with_its_line(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text(GOOD + "extra: " + "[" * 40 + "]" * 40 + "\n")
    line = GOOD.count("\n") + 1
    assert_clean(run("personas", "validate", path), f"deep.yaml:{line}: nested more than 16 levels deep")


@pytest.mark.parametrize("megabytes", [1, 20])
def test_oversized_file_is_refused_without_parsing_it(tmp_path, megabytes):
    path = tmp_path / "huge.yaml"
    with path.open("w") as f:
        f.write(GOOD.replace("summary: ", "summary: >-\n  " + "x" * (megabytes * 2**20) + "\n  ", 1))
    started = time.perf_counter()
    assert_clean(run("personas", "validate", path, timeout=20), "huge.yaml:", "larger than 256 KB")
    assert time.perf_counter() - started < 10


def test_symlink_to_dev_zero_is_refused_without_reading(tmp_path):
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    assert_clean(run("personas", "validate", link, timeout=15), "zero.yaml:", "not a regular file")


def test_fifo_is_refused_without_opening(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert_clean(run("personas", "validate", fifo, timeout=15), "pipe.yaml:", "not a regular file")


def test_config_and_rubric_files_are_bounded_too(tmp_path):
    bomb = tmp_path / "rubric.yaml"
    bomb.write_text(alias_bomb())
    assert_clean(run("rubric", "validate", bomb, timeout=20), "rubric.yaml:", "aliases")
    config = tmp_path / "config.yaml"
    config.symlink_to("/dev/zero")
    result = subprocess.run([sys.executable, "-m", "voicetrainer", "personas", "list"], cwd=ROOT, capture_output=True,
                            text=True, timeout=15, preexec_fn=_cap_memory,
                            env={**os.environ, "VOICETRAINER_CONFIG": str(config)})
    assert_clean(result, "config.yaml:", "not a regular file")


@pytest.mark.parametrize("persona_id", ["../../tmp/evil", "../outside", "/tmp/evil", "..", "a/b"])
def test_persona_id_cannot_leave_the_personas_folder(tmp_path, persona_id):
    outside = tmp_path / "outside.yaml"
    outside.write_text(GOOD)
    personas = tmp_path / "personas"
    personas.mkdir()
    (tmp_path / "evil.yaml").write_text(GOOD)
    result = run("personas", "show", persona_id, "--personas", personas, cwd=tmp_path)
    assert_clean(result, "is not a persona id")
    assert "Dana Whitaker" not in result.stdout


def test_persona_file_path_still_works(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD)
    assert_clean(run("personas", "show", path), "Dana Whitaker", code=0)


# -- rich markup in user text is printed as written --------------------------------------------

def test_markup_in_a_missing_persona_path_gives_the_real_error(tmp_path):
    folder = tmp_path / "m[/]x"  # two folders, `m[` and `]x`: the path reads m[/]x
    folder.mkdir(parents=True)
    assert_clean(run("personas", "show", folder / "nope[bold].yaml"), "m[/]x/nope[bold].yaml", "does not exist")


def test_markup_in_a_persona_name_is_shown_as_written(tmp_path):
    (tmp_path / "x[/]y").mkdir(parents=True)
    path = tmp_path / "x[/]y" / "[red]odd.yaml"
    path.write_text(GOOD.replace("name: Dana Whitaker", 'name: "Dana [/] [bold]Whitaker"', 1))
    assert "[/]" in path.read_text()
    out = assert_clean(run("personas", "try", path, stdin="Hello, how can I help?\n/quit\n"),
                       "Dana [/] [bold]Whitaker", code=0)
    out = assert_clean(run("personas", "show", path), "Dana [/] [bold]Whitaker", code=0)
    save = tmp_path / "s[/]ved"
    save.parent.mkdir()
    out = assert_clean(run("personas", "try", path, "--save", save, stdin="Hello [/] [bold]there.\n/quit\n"),
                       "Hello [/] [bold]there.", str(save), code=0)
    assert "[bold]" in out
