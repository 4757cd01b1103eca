"""The benchmarks cannot rot: each bench script runs in its quick mode and must finish
cleanly with one JSON object as its last line. Figures are not asserted (they depend on the
machine's load); a crash, a changed signature or a missing file fails here, not in
`make bench` weeks later.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def run_bench(script: str, *extra: str, timeout: float = 300) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--quick", *extra], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{script} --quick failed:\n{done.stderr[-3000:]}"
    lines = done.stdout.strip().splitlines()
    assert lines, f"{script} printed nothing"
    figures = json.loads(lines[-1])  # `make bench` promises one JSON object last
    assert isinstance(figures, dict) and figures
    return figures


def test_latency_bench_runs():
    figures = run_bench("latency.py")
    assert "voice_to_voice_p50_ms" in figures and "llm_voice_to_voice_p50_ms" in figures


def test_grade_bench_runs():
    assert "grade_with_audio_ms" in run_bench("grade.py")


def test_behaviours_bench_runs():
    assert run_bench("behaviours.py")["lines"] == 40


def test_turn_ends_bench_runs():
    figures = run_bench("turn_ends.py")
    assert figures["smart"]["ends"] and figures["fixed"]["mid_turn_pauses"]


@pytest.mark.live
def test_live_latency_bench_runs():
    if any(shutil.which(tool) is None for tool in ("pulseaudio", "pactl", "paplay", "parec")):
        pytest.skip("PulseAudio is not installed (scripts/system-deps.sh test installs it)")
    assert "voice_to_voice_median_ms" in run_bench("live_latency.py")
