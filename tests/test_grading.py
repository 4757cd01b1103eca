"""The rules judge on short text-only sessions that isolate one behaviour each."""

from __future__ import annotations

import json

import pytest

from voicetrainer.grading import grade_session, write_grade
from voicetrainer.grading.rules import overall
from voicetrainer.rubric import load_rubric

from .grading_helpers import all_quotes_in_transcript, text_session

CALLER = "My refund for the espresso machine never arrived and I'm sick of calling."
GOOD = [
    "Thank you for calling Brightline Home, this is Alex. How can I help you today?",
    CALLER,
    "I'm so sorry, I can hear how frustrating this has been.",
    "It has been three weeks.",
    "So if I understand correctly, your refund for the espresso machine never arrived. Is that right?",
    "Yes, exactly.",
    "I'll take care of this myself. I've just reissued your refund.",
    "Okay.",
    # A second owned step: the rules score ownership per turn (the old detectors also counted
    # "anything else I can help you with" as an offer, which it is not).
    "It will reach you within 3 to 5 business days. I'll email you the confirmation today.",
    "Alright, that's fair.",
    "So, to sum up, your refund is on its way. Is there anything else I can help you with?",
    "No, that's everything.",
    "Thank you for your patience. Have a good evening.",
    "Bye.",
]


def cited(criterion: dict) -> list[dict]:
    """A criterion's evidence without the detector's confidence (which moves when the heads are retrained)."""
    return [{k: v for k, v in e.items() if k != "confidence"} for e in criterion["evidence"]]


def scores(grade: dict) -> dict:
    return {c["id"]: c["score"] for c in grade["criteria"]}


def grade_lines(tmp_path, lines, name="s", **kwargs) -> dict:
    return grade_session(text_session(tmp_path / name, lines, **kwargs))


def with_defect(line: str) -> list[str]:
    """The good call with one more agent line (and a caller reply) before the summary."""
    return GOOD[:10] + [line, "What?"] + GOOD[10:]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> dict:
    return grade_session(text_session(tmp_path_factory.mktemp("base") / "good", GOOD))


def test_good_text_call_scores_well_and_cites_its_lines(baseline):
    s = scores(baseline)
    assert s["empathy"] >= 4 and s["ownership"] >= 4 and s["expectations"] >= 4 and s["closing"] == 5
    assert s["escalation"] is None and s["boundaries"] is None
    assert baseline["judge"] == "rules" and 75 <= baseline["overall"] <= 100
    empathy = next(c for c in baseline["criteria"] if c["id"] == "empathy")
    assert {"turn": 2, "quote": "I'm so sorry, I can hear how frustrating this has been.",
            "behaviour": "acknowledges_feelings", "effect": "for"} in cited(empathy)


@pytest.mark.parametrize("line, behaviour, lowered", [
    ("You need to calm down.", "dismissive", ["empathy", "calm_tone"]),
    ("That's not my department.", "blames_others", ["positive_language", "ownership"]),
    ("I can't do anything about that.", "says_cant", ["positive_language", "ownership"]),
    ("That's our policy.", "cites_policy", ["positive_language"]),
    ("I promise it'll be in your account today.", "false_promise", ["expectations"]),
    ("Whatever, I have other calls waiting.", "rude", ["empathy", "calm_tone", "closing"]),
])
def test_each_defect_lowers_its_criterion_and_is_quoted(tmp_path, baseline, line, behaviour, lowered):
    grade = grade_lines(tmp_path, with_defect(line))
    for cid in lowered:
        assert scores(grade)[cid] < scores(baseline)[cid], cid
        criterion = next(c for c in grade["criteria"] if c["id"] == cid)
        assert {"turn": 10, "quote": line, "behaviour": behaviour, "effect": "against"} in cited(criterion)
    assert grade["overall"] < baseline["overall"]


def test_without_paraphrase_active_listening_drops(tmp_path, baseline):
    lines = list(GOOD)
    lines[4] = "Okay."
    assert scores(grade_lines(tmp_path, lines))["active_listening"] < scores(baseline)["active_listening"]


def test_dead_air_and_talk_over_lower_active_listening(tmp_path, baseline):
    dead = grade_lines(tmp_path, GOOD, "dead", extra={4: {"start_s": 30.0}})
    assert dead["metrics"]["dead_air"] and dead["metrics"]["dead_air"][0]["turn"] == 4
    assert scores(dead)["active_listening"] < scores(baseline)["active_listening"]
    over = grade_lines(tmp_path, GOOD, "over", extra={4: {"behaviours": ["interrupts"]}})
    assert over["metrics"]["talk_over_count"] == 1
    assert scores(over)["active_listening"] < scores(baseline)["active_listening"]


def test_fillers_lower_calm_tone(tmp_path, baseline):
    lines = list(GOOD)
    lines[6] = "Um, uh, so, um, I'll, uh, take care of this, um, you know, myself, uh."
    grade = grade_lines(tmp_path, lines)
    assert grade["metrics"]["fillers_per_minute"] > 6
    assert scores(grade)["calm_tone"] < scores(baseline)["calm_tone"]


@pytest.mark.parametrize("abuse", ["You're an idiot, all of you.", "That's bullshit and you know it."])
def test_boundaries_apply_only_when_the_caller_is_abusive(tmp_path, abuse):
    abusive = list(GOOD)
    abusive[3] = abuse
    unanswered = grade_lines(tmp_path, abusive, "unanswered")
    assert scores(unanswered)["boundaries"] is not None
    abusive[4] = "I want to help, but please don't speak to me like that. " + GOOD[4]
    answered = grade_lines(tmp_path, abusive, "answered")
    assert scores(answered)["boundaries"] > scores(unanswered)["boundaries"]


def test_escalation_applies_when_a_supervisor_is_demanded(tmp_path):
    lines = list(GOOD)
    lines[5] = "I want to talk to your supervisor."
    grade = grade_lines(tmp_path, lines, extra={5: {"situation": "supervisor"}})
    assert scores(grade)["escalation"] is not None


def test_overall_reweights_over_the_criteria_that_apply():
    criteria = [{"score": 5, "weight": 10}, {"score": 1, "weight": 30}, {"score": None, "weight": 60}]
    assert overall(criteria) == 25
    assert overall([{"score": 3, "weight": 1}]) == 50
    assert overall([{"score": None, "weight": 1}]) == 0


def test_a_hung_up_call_suggests_a_break_and_a_calmed_caller_is_a_win(tmp_path, baseline):
    assert any("from 8 to" in w for w in baseline["wins"]) is False  # text session: mood never moved
    calmed = grade_lines(tmp_path, GOOD, "calmed", extra={12: {"mood": 2.0}, 13: {"mood": 2.0}})
    assert "You brought the caller from 8 to 2 out of 10." in calmed["wins"]
    assert calmed["suggestion"] is None
    hung = grade_lines(tmp_path, GOOD[:4], "hung", ended_by="customer_hung_up")
    assert hung["suggestion"] and "break" in hung["suggestion"]
    assert scores(hung)["closing"] == 1


def test_audio_metrics_degrade_without_audio(baseline):
    m = baseline["metrics"]
    assert m["voice_measured"] is False and m["raised_voice_turns"] is None and m["pitch_median_hz"] is None
    assert m["words_per_minute"] is None  # no word timestamps in a typed call
    assert m["talk_ratio"] is not None and m["median_response_gap_s"] == 0.5
    calm = next(c for c in baseline["criteria"] if c["id"] == "calm_tone")
    assert "not measured: voice stayed even" in calm["reasoning"]


@pytest.mark.parametrize("defect", ["You need to calm down.", "I can't do anything about that.",
                                    "Fine. I promise it'll be in your account today, okay?"])
def test_quotes_come_from_the_transcript(tmp_path, defect):
    d = text_session(tmp_path / "s", with_defect(defect))
    grade = grade_session(d)
    assert sum(len(c["evidence"]) for c in grade["criteria"]) >= 10
    assert all_quotes_in_transcript(grade, json.loads((d / "session.json").read_text())) == []


def test_regrading_is_byte_identical(tmp_path):
    d = text_session(tmp_path / "s", with_defect("That's our policy."))
    first = write_grade(d, grade_session(d)).read_bytes()
    second = write_grade(d, grade_session(d)).read_bytes()
    assert first == second and json.loads(first)["overall"] > 0


def test_another_rubric_changes_the_grade(tmp_path):
    custom = tmp_path / "rubric.yaml"
    from voicetrainer.rubric import DEFAULT_RUBRIC

    custom.write_text(DEFAULT_RUBRIC.read_text().replace("for: {acknowledges_feelings: 1.5, apologises: 0.5}",
                                                         "for: {apologises: 0.5}"))
    d = text_session(tmp_path / "s", GOOD)
    assert scores(grade_session(d, load_rubric(custom)))["empathy"] < scores(grade_session(d))["empathy"]


def test_a_promise_the_persona_cannot_keep_is_a_false_promise(tmp_path, baseline):
    line = "Don't worry, it'll be in your account today."  # no "promise" in it
    grade = grade_lines(tmp_path, with_defect(line))
    expectations = next(c for c in grade["criteria"] if c["id"] == "expectations")
    assert {"turn": 10, "quote": line, "behaviour": "false_promise", "effect": "against"} in cited(expectations)
    assert expectations["score"] < scores(baseline)["expectations"]
    honest = grade_lines(tmp_path, with_defect("The credit will be on your account, and I'll email you today."), "honest")
    assert scores(honest)["expectations"] >= scores(baseline)["expectations"]  # not a false promise
