"""The wheel installs anywhere: built from the source, installed into a fresh venv, run from a
folder outside the repository, it lists the shipped personas and holds an offline call."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from .conftest import FIXTURE_CALLS, ROOT

pytestmark = pytest.mark.slow

SOURCE = ("pyproject.toml", "setup.py", "README.md", "voicetrainer", "personas", "prompts")
SHIPPED_PERSONAS = {"abusive_caller", "angry_refund", "billing_dispute", "confused_demanding", "passive_aggressive",
                    "tech_meltdown"}


def run(*args, cwd: Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin/ folder of a fresh venv with the wheel installed."""
    tmp = tmp_path_factory.mktemp("install")
    # Built from a clean copy of what the wheel is made of: never from the worktree's stale build/.
    src = tmp / "src"
    src.mkdir()
    for name in SOURCE:
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(
            ROOT / name, src / name, **({"ignore": shutil.ignore_patterns("__pycache__")} if (ROOT / name).is_dir() else {}))
    # No build isolation: offline, with this venv's setuptools (the network is not a test's business).
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
        "-w", tmp / "dist", src, cwd=tmp)
    [wheel] = (tmp / "dist").glob("voicetrainer-*.whl")
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    python = venv / "bin" / "python"
    # The dependencies (Whisper, onnxruntime, pyttsx3 ...) come from this venv's site-packages,
    # appended after the fresh venv's own: the voicetrainer imported is the wheel's.
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp).stdout.strip())
    (site / "_deps_from_test_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel, cwd=tmp)
    return venv / "bin"


def clean_env(tmp: Path) -> dict:
    """No PYTHONPATH (the tests' own points at the checkout), no user config."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp), "COLUMNS": "200"}


def test_the_installed_wheel_lists_the_personas_and_holds_an_offline_call(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = clean_env(tmp_path)
    where = run(installed / "python", "-c", "import voicetrainer; print(voicetrainer.__file__)", cwd=elsewhere, env=env)
    assert Path(where.stdout.strip()).is_relative_to(installed.parent), where.stdout
    listed = run(installed / "voicetrainer", "personas", "list", cwd=elsewhere, env=env)
    assert {line.split()[0] for line in listed.stdout.splitlines()[1:] if line.strip()} == SHIPPED_PERSONAS, listed.stdout
    out = elsewhere / "call"
    run(installed / "voicetrainer", "call", "--persona", "angry_refund", "--caller", "scripted",
        "--agent-audio", FIXTURE_CALLS / "angry_refund_good", "--out", out, cwd=elsewhere, env=env, timeout=600)
    session = json.loads((out / "session.json").read_text())
    assert session["ended_by"] in ("customer_satisfied", "agent_closed")  # as when held from the checkout
    assert session["persona_snapshot"]["id"] == "angry_refund" and session["rubric"]["version"] == 1
    grade = json.loads((out / "grade.json").read_text())
    assert grade["overall"] >= 75 and (out / "report.html").exists()
