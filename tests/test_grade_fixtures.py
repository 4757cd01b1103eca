"""Validity on the recorded fixture calls, held through the real call loop (Whisper, mood
engine, scripted caller, pyttsx3) and graded by the rules judge with audio metrics: for every
persona with a good and a bad recorded call, the good one wins, and by the right criterion.
The report, audio-metric and command checks use angry_refund's calls."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from voicetrainer.behaviours import load_behaviours
from voicetrainer.grading import grade_session, write_grade
from voicetrainer.rubric import load_rubric

from .conftest import ROOT
from .fixture_calls import MANIFEST, PAIRED
from .grading_helpers import all_quotes_in_transcript

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def calls(held_calls):
    """angry_refund's good call, its bad call as Dana plays it (she hangs up early), and the
    bad agent heard out by a Dana who never reacts."""
    return {"good": held_calls["angry_refund_good"], "bad": held_calls["angry_refund_bad"],
            "bad_heard_out": held_calls.heard_out("angry_refund_bad")}


@pytest.mark.parametrize("persona", PAIRED)
def test_good_call_scores_25_points_above_the_bad_one(persona, held_calls):
    good, bad = held_calls[f"{persona}_good"], held_calls[f"{persona}_bad"]
    assert good.grade["overall"] >= bad.grade["overall"] + 25, (good.grade["overall"], bad.grade["overall"])
    assert good.grade["outcome"] in ("agent_closed", "customer_satisfied")
    assert bad.grade["outcome"] == "customer_hung_up"
    assert bad.grade["suggestion"]  # a break after a hang-up, and after a good call only if it got that hot
    peak = max(t["mood"] for t in good.session["turns"])
    assert bool(good.grade["suggestion"]) == (peak >= load_rubric().hard_call_mood), peak
    assert any(w.startswith("You brought the caller from") for w in good.grade["wins"])


# What each persona is about: the criterion its good call must win, both calls scored.
DECIDING_CRITERION = {"angry_refund": "empathy", "abusive_caller": "boundaries", "billing_dispute": "expectations",
                      "tech_meltdown": "positive_language", "passive_aggressive": "active_listening",
                      "confused_demanding": "closing"}


@pytest.mark.parametrize("persona", PAIRED)
def test_the_criterion_the_persona_is_about_is_scored_and_won(persona, held_calls):
    criterion = DECIDING_CRITERION[persona]
    good, bad = held_calls[f"{persona}_good"].scores(), held_calls[f"{persona}_bad"].scores()
    assert good[criterion] is not None and bad[criterion] is not None, (good, bad)
    assert good[criterion] > bad[criterion], (criterion, good, bad)


@pytest.mark.parametrize("persona", PAIRED)
def test_every_designed_defect_lowers_its_criterion(persona, held_calls):
    """Each negative behaviour designed into the bad call's turns is heard, cited against every
    criterion the rubric counts it against, and leaves that criterion below the good call's."""
    rubric = load_rubric()
    negative = {b.id for b in load_behaviours().values() if b.polarity == "negative"}
    bad_heard_out = held_calls.heard_out(f"{persona}_bad")
    designed = {b for t in bad_heard_out.manifest["turns"] for b in t["designed_behaviours"]} & negative
    assert len(designed) >= 4, designed
    heard = {b for t in bad_heard_out.agent_turns() for b in t["behaviours"]}
    assert designed <= heard, designed - heard
    good, bad = held_calls[f"{persona}_good"].scores(), bad_heard_out.grade
    for behaviour in sorted(designed):
        criteria = [c.id for c in rubric.criteria if behaviour in c.scoring.against]
        assert criteria, behaviour
        for criterion in (c for c in bad["criteria"] if c["id"] in criteria and c["score"] is not None):
            cited = [e for e in criterion["evidence"] if e["behaviour"] == behaviour and e["effect"] == "against"]
            assert cited, (behaviour, criterion["id"])
            assert criterion["score"] < good[criterion["id"]], (behaviour, criterion["id"])


def test_the_real_bad_call_is_marked_down_for_what_it_said(calls):
    good, bad = calls["good"].scores(), calls["bad"].grade
    empathy = next(c for c in bad["criteria"] if c["id"] == "empathy")
    assert empathy["score"] < good["empathy"]
    assert any(e["behaviour"] == "dismissive" and "calm down" in e["quote"] for e in empathy["evidence"])
    assert empathy["better_phrasing"].startswith('Instead of "You need to calm down')


@pytest.mark.parametrize("name", list(MANIFEST))
def test_every_quote_occurs_in_the_transcript(name, held_calls):
    for held in (held_calls[name], held_calls.heard_out(name)) if name.endswith("_bad") else (held_calls[name],):
        assert all_quotes_in_transcript(held.grade, held.session) == []


def test_audio_metrics_are_measured(calls):
    m = calls["good"].grade["metrics"]
    assert m["voice_measured"] and m["raised_voice_turns"] == 0
    assert 70 < m["pitch_median_hz"] < 200  # the fixture voice is a man's
    assert 120 < m["words_per_minute"] < 240
    assert len(m["loudness_by_turn"]) == m["agent_turns"] == 9
    assert 0.4 < m["talk_ratio"] < 0.8 and m["dead_air_count"] == 0


def test_regrading_with_audio_is_byte_identical(calls):
    out, grade = calls["good"].out, calls["good"].grade
    first = write_grade(out, grade).read_bytes()
    assert write_grade(out, grade_session(out)).read_bytes() == first


def test_grade_command_prints_a_scorecard(calls):
    out = calls["bad"].out
    run = subprocess.run([sys.executable, "-m", "voicetrainer", "grade", str(out)], cwd=ROOT,
                         capture_output=True, text=True, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    on_disk = json.loads((out / "grade.json").read_text())
    assert f"Overall {on_disk['overall']}/100" in run.stdout and "Empathy" in run.stdout
    assert "break" in run.stdout


@pytest.mark.browser
def test_report_in_a_real_browser(calls, tmp_path):
    """Chromium opens report.html: score, one row per criterion, the mood chart and the
    transcript render; clicking a transcript line seeks the call's audio there; nothing
    is requested from the network."""
    from voicetrainer.grading.report import write_report
    from voicetrainer.testing.chromium import Chromium, find_chromium

    if not find_chromium():
        pytest.skip("Chromium is not installed (scripts/system-deps.sh test installs it)")
    out, session, grade = calls["good"].out, calls["good"].session, calls["good"].grade
    report = write_report(out, grade)
    with Chromium() as browser:
        page = browser.open(report.as_uri())
        assert page.evaluate("document.getElementById('overall').textContent.trim()") == str(grade["overall"])
        assert page.evaluate("document.querySelectorAll('#criteria tr.criterion').length") == 9
        assert page.evaluate("document.getElementById('mood-line').getTotalLength()") > 100  # drawn, not empty
        assert page.evaluate("document.querySelectorAll('#mood-chart circle').length") == len(session["turns"]) + 1
        lines = page.evaluate("Array.from(document.querySelectorAll('#transcript .line')).map(l => l.innerText)")
        assert len(lines) == len(session["turns"]) and session["turns"][4]["text"] in lines[4]
        page.wait_until("document.getElementById('player').readyState >= 1")  # call.wav loaded
        target = session["turns"][6]["start_s"]
        page.click("#transcript .line", 6)
        now = page.wait_until(f"(t => t >= {target} - 0.05 && t)(document.getElementById('player').currentTime)")
        assert target - 0.05 <= now < target + 2.0
        page.click("#transcript .line", 2)
        now = page.evaluate("document.getElementById('player').currentTime")
        assert abs(now - session["turns"][2]["start_s"]) < 2.0
        png = page.screenshot()
        (tmp_path / "report.png").write_bytes(png)
        assert png.startswith(b"\x89PNG") and len(png) > 20_000
    assert browser.requests and all(url.startswith(("file:", "data:")) for url in browser.requests), browser.requests
    assert report.as_uri() in browser.requests and (out / "call.wav").as_uri() in browser.requests
