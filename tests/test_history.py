"""Progress across calls: every call its own folder, `voicetrainer history` (table, JSON, HTML)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from voicetrainer.grading import grade_session, write_grade
from voicetrainer.grading.report import write_report
from voicetrainer.history import (CallRecord, collect, criterion_trends, improved_most, new_session_dir, next_persona,
                                  overall_trend, select, weakest)

from .conftest import FIXTURE_CALLS, ROOT
from .grading_helpers import text_session
from .test_grading import GOOD

ENV = {"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
NAMES = {"angry_refund": "Dana Whitaker", "billing_dispute": "Priya Raman"}
HUNG_UP = GOOD[:2] + ["You need to calm down. That's not my department.", "I'm done with this."]


def run(*args, cwd=ROOT, env=None):
    return subprocess.run([sys.executable, "-m", "voicetrainer", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, env={**ENV, **(env or {})}, timeout=300)


def saved_call(root: Path, name: str, started: str, lines=GOOD, persona="angry_refund", graded=True) -> Path:
    """A text-only session started at `started` (ISO, UTC), graded by the rules with its report."""
    d = text_session(root / name, lines, ended_by="customer_hung_up" if lines is HUNG_UP else "agent_closed")
    session = json.loads((d / "session.json").read_text())
    session.update(started_at=started, persona=persona, persona_name=NAMES[persona])
    (d / "session.json").write_text(json.dumps(session))
    if graded:
        grade = grade_session(d)
        write_grade(d, grade)
        write_report(d, grade)
    return d


@pytest.fixture(scope="module")
def sessions(tmp_path_factory) -> Path:
    """Four calls whose folder names sort differently from their dates; one not graded."""
    root = tmp_path_factory.mktemp("history") / "sessions"
    saved_call(root, "c_first", "2026-11-01T09:00:00+00:00", HUNG_UP)
    saved_call(root, "a_second", "2026-11-02T09:00:00+00:00", GOOD[:4] + GOOD[6:], persona="billing_dispute")
    saved_call(root, "d_third", "2026-11-03T09:00:00+00:00", GOOD)
    saved_call(root, "b_fourth", "2026-11-04T09:00:00+00:00", GOOD, graded=False)
    return root


def test_new_session_folders_are_dated_and_never_reused(tmp_path):
    now = datetime(2026, 11, 23, 14, 5, 9)
    first = new_session_dir(tmp_path, "angry_refund", now)
    assert first == tmp_path / "2026-11-23_140509_angry_refund"
    first.mkdir()
    second = new_session_dir(tmp_path, "angry_refund", now)
    assert second == tmp_path / "2026-11-23_140509_angry_refund-2"
    second.mkdir()
    assert new_session_dir(tmp_path, "angry_refund", now).name.endswith("-3")
    assert new_session_dir(tmp_path, "../odd id", now).name == "2026-11-23_140509_.._odd_id"  # stays inside the root


def test_sessions_dir_defaults_to_sessions_here_and_is_relative_to_the_config_file(tmp_path):
    from voicetrainer.config import load_settings

    config = tmp_path / "conf" / "config.yaml"
    config.parent.mkdir()
    config.write_text("tts: pyttsx3\n")
    assert load_settings(config, env={}).sessions_dir == Path("sessions")
    config.write_text("sessions_dir: ../calls\n")
    assert load_settings(config, env={}).sessions_dir == config.parent / "../calls"


def test_calls_are_ordered_by_date_not_folder_name(sessions):
    records = collect([sessions])
    assert [r.folder.name for r in records] == ["c_first", "a_second", "d_third", "b_fourth"]
    assert [r.grade is not None for r in records] == [True, True, True, False]
    assert records[-1].ungraded == "not graded" and records[0].ended_by == "customer_hung_up"


def test_filters_by_persona_and_last(sessions):
    records = collect([sessions])
    assert [r.folder.name for r in select(records, persona="billing_dispute")] == ["a_second"]
    assert [r.folder.name for r in select(records, persona="DANA WHITAKER")] == ["c_first", "d_third", "b_fourth"]
    assert [r.folder.name for r in select(records, last=2)] == ["d_third", "b_fourth"]
    assert [r.folder.name for r in select(records, persona="angry_refund", last=1)] == ["b_fourth"]


def test_json_holds_the_grade_json_figures(sessions):
    result = run("history", sessions, "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [Path(r["folder"]).name for r in rows] == ["c_first", "a_second", "d_third", "b_fourth"]
    for row in rows[:3]:
        grade = json.loads((Path(row["folder"]) / "grade.json").read_text())
        assert row["overall"] == grade["overall"] and row["judge"] == grade["judge"] == "rules"
        assert row["criteria"] == {c["id"]: c["score"] for c in grade["criteria"]}
        assert row["ended_by"] == grade["outcome"] and row["report"] == str(Path(row["folder"]) / "report.html")
    assert rows[0]["overall"] < rows[2]["overall"]  # the hung-up call scored lower than the good one
    assert rows[3]["graded"] is False and rows[3]["overall"] is None and rows[3]["not_graded_because"] == "not graded"
    assert rows[1]["started_at"] == "2026-11-02T09:00:00+00:00" and rows[1]["persona"] == "billing_dispute"
    filtered = json.loads(run("history", sessions, "--json", "--persona", "angry_refund", "--last", "2").stdout)
    assert [Path(r["folder"]).name for r in filtered] == ["d_third", "b_fourth"]


def record(day: int, persona: str, overall: int, **scores: int | None) -> CallRecord:
    grade = {"overall": overall, "criteria": [{"id": k, "name": k.title(), "score": v} for k, v in scores.items()]}
    return CallRecord(Path(f"/s/{day}"), datetime(2026, 11, day, tzinfo=timezone.utc), persona, grade=grade)


def test_trends_compare_the_later_calls_with_the_earlier_ones():
    calls = [record(1, "a", 40, empathy=2, closing=5, escalation=None),
             record(2, "a", 50, empathy=2, closing=5, escalation=3),
             record(3, "a", 60, empathy=3, closing=4, escalation=None),
             record(4, "a", 70, empathy=4, closing=3, escalation=None),
             record(5, "a", 80, empathy=5, closing=3, escalation=None)]
    trends = {t.id: t for t in criterion_trends(calls)}
    # the last 2 calls against the 2 before them (the oldest of an odd number counts in neither)
    assert trends["empathy"].scores == [2, 2, 3, 4, 5] and trends["empathy"].halves == (2.5, 4.5)
    assert trends["empathy"].change == 2 and trends["closing"].change == -1.5
    assert trends["escalation"].scores == [3] and trends["escalation"].halves is None  # scored once: no trend
    assert improved_most(list(trends.values())).id == "empathy"
    assert weakest([trends["empathy"], trends["closing"]]).id == "closing"  # 3.0 lately against 4.5
    assert overall_trend(calls).change == 75 - 55

    assert improved_most([trends["closing"]]) is None  # nothing rose
    all_fives = criterion_trends([record(1, "a", 100, empathy=5), record(2, "a", 100, empathy=5)])
    assert all_fives[0].lately == 5 and weakest(all_fives) is None  # nothing to practise

def test_after_many_calls_the_trend_compares_the_last_ten_with_the_ten_before():
    calls = [record(1 + i // 2, "a", 50, empathy=1 + 2 * (i // 10)) for i in range(30)]  # ten 1s, ten 3s, ten 5s
    empathy = criterion_trends(calls)[0]
    assert empathy.halves == (3, 5) and empathy.lately == 5


def test_next_persona_retries_a_lost_caller_then_meets_a_new_one():
    offered = [("angry_refund", 3), ("billing_dispute", 2), ("abusive_caller", 5)]
    lost = [record(1, "angry_refund", 90), record(2, "abusive_caller", 70), record(3, "angry_refund", 60)]
    assert next_persona(lost, offered)[0] == "angry_refund"  # 60 is the lowest latest score under 75
    good = [record(1, "angry_refund", 60), record(2, "angry_refund", 80)]
    pid, why = next_persona(good, offered)
    assert pid == "billing_dispute" and "not called" in why  # the easiest one not met yet
    all_met = good + [record(3, "billing_dispute", 95), record(4, "abusive_caller", 77)]
    assert next_persona(all_met, offered)[0] == "abusive_caller"


def test_broken_files_get_one_line_and_the_rest_is_listed(sessions, tmp_path):
    root = tmp_path / "sessions"
    shutil.copytree(sessions, root)
    (root / "c_first" / "session.json").write_text('{"persona": "angry_refund", "turns": [')
    (root / "d_third" / "grade.json").write_text("[]")
    (root / "listy").mkdir()
    (root / "listy" / "session.json").write_text('["not", "a", "call"]')
    (root / "gone").mkdir()
    (root / "gone" / "call.wav").write_bytes(b"RIFF")
    (root / "empty").mkdir()  # a call that failed before it started: nothing to say
    result = run("history", root)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    problems = sorted(result.stderr.strip().splitlines())
    assert len(problems) == 3, problems
    assert problems[0].endswith("c_first: session.json is not valid JSON (line 1, column 39)")
    assert problems[1].endswith("gone: no session.json or journal.jsonl")
    assert problems[2].endswith("listy: session.json does not hold a call")
    rows = [line for line in result.stdout.splitlines() if line.startswith(" 2026-")]
    assert len(rows) == 3, result.stdout
    assert "grade.json has no overall score and criteria: voicetrainer grade" in result.stdout
    assert f"not graded: voicetrainer grade {root / 'b_fourth'}" in result.stdout
    assert "Practise next:" in result.stdout and "Call next:" in result.stdout


def test_history_without_sessions_or_with_a_wrong_folder(tmp_path):
    nothing = run("history", cwd=tmp_path)
    assert nothing.returncode == 0 and "No calls in sessions yet" in nothing.stderr, nothing.stderr
    wrong = run("history", tmp_path / "nope")
    assert wrong.returncode == 1 and "is not a folder" in wrong.stderr and "Traceback" not in wrong.stderr


@pytest.mark.slow
def test_two_calls_in_a_row_get_two_folders_under_the_configured_root(tmp_path):
    """Two real offline calls (Whisper, scripted caller, pyttsx3), graded, without --out: two
    dated folders under the config file's sessions_dir, and history lists both."""
    turns = tmp_path / "turns"
    turns.mkdir()
    for wav in sorted((FIXTURE_CALLS / "angry_refund_good").glob("*.wav"))[:2]:
        shutil.copy(wav, turns / wav.name)
    config = tmp_path / "config" / "config.yaml"
    config.parent.mkdir()
    config.write_text("sessions_dir: ../calls\n")
    env = {"VOICETRAINER_CONFIG": str(config)}
    said = []
    for _ in range(2):
        result = run("call", "--persona", "angry_refund", "--caller", "scripted", "--agent-audio", turns, env=env)
        assert result.returncode == 0, result.stderr
        said.append(result.stdout)
    folders = sorted((tmp_path / "calls").iterdir())
    assert len(folders) == 2 and all(f.name.endswith("_angry_refund") or f.name.endswith("_angry_refund-2") for f in folders)
    for f in folders:
        assert (f / "session.json").exists() and (f / "grade.json").exists() and (f / "call.wav").exists()
    rows = json.loads(run("history", "--json", cwd=tmp_path, env=env).stdout)
    assert [Path(r["folder"]) for r in rows] == folders
    scores = [json.loads((f / "grade.json").read_text())["overall"] for f in folders]
    assert [r["overall"] for r in rows] == scores
    assert "Your first graded call with Dana Whitaker." in said[0]
    assert "Your last call with Dana Whitaker (" in said[1] and f"{scores[0]}/100; now {scores[1]}/100 (+0)" in said[1]


@pytest.mark.browser
@pytest.mark.slow
def test_progress_page_in_a_real_browser(sessions, tmp_path):
    """Chromium opens the page: one row per call, the overall chart with a point per graded call,
    one chart per criterion, report links that lead to each call's report; no network."""
    from voicetrainer.testing.chromium import Chromium, find_chromium

    if not find_chromium():
        pytest.skip("Chromium is not installed (scripts/system-deps.sh test installs it)")
    page_path = tmp_path / "progress" / "index.html"
    result = run("history", sessions, "--html", page_path)
    assert result.returncode == 0 and page_path.exists(), result.stderr
    graded = [r for r in collect([sessions]) if r.grade]
    with Chromium() as browser:
        page = browser.open(page_path.as_uri())
        assert page.evaluate("document.querySelectorAll('#calls tr.call').length") == 4
        assert page.evaluate("document.querySelectorAll('#overall-chart circle.point').length") == 3
        assert page.evaluate("document.getElementById('overall-line').getTotalLength()") > 100
        assert page.evaluate("document.querySelectorAll('.criterion-chart').length") == len(criterion_trends(graded))
        links = page.evaluate("Array.from(document.querySelectorAll('#calls a')).map(a => a.href)")
        assert links == [(r.folder / "report.html").as_uri() for r in graded]
        assert page.evaluate("document.querySelector('#calls tr.call:last-child').innerText").count("not graded") == 1
        assert "Practise next" in page.evaluate("document.body.innerText")
        page.click("#calls a", 2)
        page.wait_until("location.href.endsWith('d_third/report.html') && !!document.getElementById('mood-chart')")
    assert browser.requests[0] == page_path.as_uri()
    assert all(url.startswith("file:") for url in browser.requests), browser.requests
