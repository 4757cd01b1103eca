"""The grading commands as a user runs them: `grade` on many sessions, `behaviours` on stdin."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import ROOT
from .grading_helpers import text_session
from .test_grading import GOOD

ENV = {"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}


def run(*args, stdin: str = ""):
    return subprocess.run([sys.executable, "-m", "voicetrainer", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, env=ENV, timeout=120)


def test_behaviours_reads_plain_text_and_json_lines():
    stdin = "\n".join([
        "I can help you with that today.",
        "I can't do anything about that.",
        json.dumps({"text": "So your refund never arrived, is that right?", "previous": "My refund never arrived."}),
        "We can't \"guarantee\" anything, \"that's our policy\" they say.",
    ]) + "\n"
    result = run("behaviours", stdin=stdin)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 4
    assert "says_cant" not in rows[0]["behaviours"] and rows[0]["behaviours"] == ["offers_alternative"]
    assert rows[1]["triggers"] == {"says_cant": "I can't"}
    assert "paraphrases" in rows[2]["behaviours"] and "asks_question" in rows[2]["behaviours"]
    assert "cites_policy" not in rows[3]["behaviours"]  # quoted, not said


def test_behaviours_rejects_a_broken_json_line_in_one_sentence():
    result = run("behaviours", stdin='{"txt": "hello"}\n')
    assert result.returncode == 1
    assert "Line 1 of the input is not a JSON object" in result.stderr and "Traceback" not in result.stderr


def test_grade_many_sessions_with_jobs(tmp_path):
    good = text_session(tmp_path / "good", GOOD)
    bad = text_session(tmp_path / "bad", GOOD[:2] + ["You need to calm down.", "I'm done."], ended_by="customer_hung_up")
    result = run("grade", str(good), str(bad), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    for d in (good, bad):
        assert (d / "grade.json").exists() and (d / "report.html").exists()
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.split()[:1] in (["good"], ["bad"])}
    assert int(rows["good"][1]) > int(rows["bad"][1])
    assert rows["bad"][2] == "customer_hung_up"


def test_grade_explains_a_missing_session_and_a_broken_rubric(tmp_path):
    result = run("grade", str(tmp_path / "nothing"))
    assert result.returncode == 1 and "is not a folder" in result.stderr and "Traceback" not in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("grade", str(empty))
    assert result.returncode == 1 and "is not a saved session" in result.stderr
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text("name: x\ncriteria: []\n")
    result = run("grade", str(text_session(tmp_path / "s", GOOD)), "--rubric", str(rubric))
    assert result.returncode == 1 and f"{rubric}:2: criteria" in result.stderr


def test_llm_judge_needs_an_endpoint(tmp_path):
    result = run("grade", str(text_session(tmp_path / "s", GOOD)), "--judge", "llm")
    assert result.returncode == 1 and "needs an endpoint" in result.stderr


HOSTILE = ["Crestway Car Rental, this is Alex. How can I help?", "Calm down, sir. That's our policy.",
           "Whatever. I can't do anything about that."]
FIRM = ["Crestway Car Rental, this is Alex. How can I help?",
        "I can hear how frustrating this is, and I want to help, but please don't call me names. "
        "If the language continues, I'll have to end the call.",
        "I'm going to take care of this myself. Could you give me the booking number?",
        "I've just removed the charge, and you'll see the refund within 3 to 5 business days.",
        "So, to sum up, the charge is gone. Is there anything else I can help you with?",
        "Thank you for calling, have a good day."]


def test_text_calls_with_the_abusive_caller_are_graded_on_boundaries(tmp_path):
    """`personas try --save` against the scripted abusive caller, then `grade`: boundaries
    apply to both calls, and the agent who set one calmly scores far higher."""
    from voicetrainer.grading import grade_session

    grades = {}
    for name, lines in (("hostile", HOSTILE), ("firm", FIRM)):
        saved = run("personas", "try", "abusive_caller", "--caller", "scripted", "--save", str(tmp_path / name),
                    stdin="\n".join(lines) + "\n")
        assert saved.returncode == 0, saved.stderr
        grades[name] = grade_session(tmp_path / name)
    scores = {name: {c["id"]: c["score"] for c in g["criteria"]} for name, g in grades.items()}
    assert grades["hostile"]["outcome"] == "customer_hung_up" and grades["hostile"]["suggestion"]
    assert scores["hostile"]["boundaries"] is not None and scores["firm"]["boundaries"] == 5
    assert scores["hostile"]["boundaries"] < scores["firm"]["boundaries"]
    assert grades["firm"]["overall"] >= grades["hostile"]["overall"] + 25
