"""The call record: typed, versioned, self-contained; grading is a pure function of it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from voicetrainer.cli import app
from voicetrainer.grading import grade, grade_session, write_grade
from voicetrainer.personas import DEFAULT_PERSONAS_DIR
from voicetrainer.record import SessionFormatError, read_session
from voicetrainer.record.schema import KINDS, PUBLISHED_DIR, json_schema
from voicetrainer.rubric import load_rubric

from .conftest import ROOT

runner = CliRunner()
V1 = ROOT / "tests" / "fixtures" / "sessions" / "v1_text_call"  # written by the code before schema 2
SHIPPED = (DEFAULT_PERSONAS_DIR / "angry_refund.yaml").read_text()
SHIPPED_PROMISE = "money in the account today (bank transfers take 3 to 5 business days)"
CUSTOM_PROMISE = "a new espresso machine delivered tomorrow"
BREAKS_SHIPPED = "Don't worry, it'll be in your account today."
BREAKS_CUSTOM = "A new espresso machine will be delivered to you tomorrow."
SCRIPT = ["Thank you for calling Brightline Home, this is Sam. How can I help you today?",
          "I'm so sorry, I can hear how frustrating this has been.", BREAKS_SHIPPED, BREAKS_CUSTOM,
          "That's our policy.", "Is there anything else I can help you with?"]


def custom_persona_dir(tmp_path: Path, promise: str = CUSTOM_PROMISE) -> Path:
    """A trainer's folder with their own angry_refund: same id as the shipped one, another promise."""
    folder = tmp_path / "team"
    folder.mkdir(exist_ok=True)
    assert SHIPPED_PROMISE in SHIPPED
    (folder / "angry_refund.yaml").write_text(SHIPPED.replace(SHIPPED_PROMISE, promise))
    return folder


def text_call(tmp_path: Path, personas: Path, name: str = "session") -> Path:
    out = tmp_path / name
    result = runner.invoke(app, ["personas", "try", "angry_refund", "--personas", str(personas), "--save", str(out)],
                           input="\n".join(SCRIPT) + "\n")
    assert result.exit_code == 0, result.output
    return out


def promises(grade_doc: dict) -> list[str]:
    return sorted({e["quote"] for c in grade_doc["criteria"] for e in c["evidence"] if e["behaviour"] == "false_promise"})


def test_a_custom_persona_is_graded_against_itself_not_the_shipped_one(tmp_path):
    out = text_call(tmp_path, custom_persona_dir(tmp_path))
    graded = grade_session(out, audio=False)
    assert promises(graded) == [BREAKS_CUSTOM]
    assert graded["found_by_grader"] == [{"turn": 6, "behaviour": "false_promise", "quote": BREAKS_CUSTOM,
                                          "why": f"commits to what the persona says cannot be promised: {CUSTOM_PROMISE}"}]


def test_regrading_after_the_persona_file_changed_or_was_deleted_gives_the_same_grade(tmp_path, monkeypatch):
    folder = custom_persona_dir(tmp_path)
    # The persona is also where the grader used to look for it (the shipped folder).
    monkeypatch.setattr("voicetrainer.personas.DEFAULT_PERSONAS_DIR", folder)
    out = text_call(tmp_path, folder)
    first = write_grade(out, grade_session(out)).read_bytes()
    custom_persona_dir(tmp_path, promise="a voucher for the trouble")
    assert write_grade(out, grade_session(out)).read_bytes() == first
    (folder / "angry_refund.yaml").unlink()
    assert write_grade(out, grade_session(out)).read_bytes() == first
    assert promises(json.loads(first)) == [BREAKS_CUSTOM]


def test_the_session_holds_the_persona_as_used_and_what_each_turn_did(tmp_path):
    out = text_call(tmp_path, custom_persona_dir(tmp_path))
    session = read_session(out)
    assert session.schema_version == 2 and session.persona == "angry_refund"
    assert session.cannot_promise == [CUSTOM_PROMISE] and len(session.persona_sha256) == 64
    assert (session.rubric.name, session.caller, session.mode) == ("Customer-handling basics", "scripted", "text")
    agent = [t for t in session.turns if t.speaker == "agent"]
    policy = next(t for t in agent if t.text == "That's our policy.")
    [d] = policy.detections
    assert (d.behaviour, d.trigger, d.kind) == ("cites_policy", "That's our policy", "words")
    assert d.confidence > 0.5 and d.found_by in ("rules", "rules+model")
    assert policy.text[d.start:d.end] == d.trigger and policy.behaviours == ["cites_policy"]
    assert policy.mood_before < policy.mood and ("cites_policy", 1.0) in policy.moved_by and policy.outcome == "continue"
    assert all(t.situation for t in session.turns if t.speaker == "customer")


def test_the_grade_scores_what_the_call_detected_and_detects_nothing_again(tmp_path):
    out = text_call(tmp_path, DEFAULT_PERSONAS_DIR)
    before = grade_session(out, audio=False)
    doc = json.loads((out / "session.json").read_text())
    policy = next(t for t in doc["turns"] if t["text"] == "That's our policy.")
    policy["detections"], policy["behaviours"] = [], []  # as if the call had heard nothing in it
    (out / "session.json").write_text(json.dumps(doc))
    after = grade_session(out, audio=False)
    cited = lambda g: {e["behaviour"] for c in g["criteria"] for e in c["evidence"]}  # noqa: E731
    assert "cites_policy" in cited(before) and "cites_policy" not in cited(after)


def test_a_session_from_before_schema_2_loads_and_grades_as_it_did(tmp_path):
    old = tmp_path / "old"
    shutil.copytree(V1, old)
    session = read_session(old)
    assert session.schema_version == 2 and session.cannot_promise == [SHIPPED_PROMISE]
    [note] = [n for n in session.notes if n.event == "upgraded"]
    assert "personas/angry_refund.yaml" in note.message and "read by today's" not in note.message
    policy = next(t for t in session.turns if t.text == "That's our policy.")
    assert [(d.behaviour, d.start, d.end) for d in policy.detections] == [("cites_policy", 0, 17)]
    assert any(d.kind == "timing" and d.behaviour == "interrupts" for t in session.turns for d in t.detections or [])
    graded = grade_session(old, audio=False)
    expected = json.loads((V1 / "grade_by_v1.json").read_text())
    assert {k: v for k, v in graded.items() if k not in ("schema_version", "found_by_grader")} == expected
    assert [f["quote"] for f in graded["found_by_grader"]] == [BREAKS_SHIPPED]


def test_a_hand_written_session_without_detections_is_read_by_todays_detectors(tmp_path):
    (tmp_path / "session.json").write_text(json.dumps({
        "persona": "no_such_persona", "ended_by": "agent_closed",
        "turns": [{"index": 0, "speaker": "agent", "text": "That's our policy.", "start_s": 0, "end_s": 1,
                   "behaviours": ["interrupts"], "colour": "red"}]}))
    session = read_session(tmp_path)
    assert [(d.behaviour, d.kind) for d in session.turns[0].detections] == [("cites_policy", "words"), ("interrupts", "timing")]
    assert session.persona_snapshot is None and session.cannot_promise == []
    [note] = session.notes
    assert "no persona file" in note.message and "turns 0" in note.message
    assert note.unknown_fields == {"turns": {"0": {"colour": "red"}}}


@pytest.mark.parametrize("doc, says", [
    (["not", "a", "call"], "does not hold a call"),
    ({"schema_version": 99, "turns": []}, "written with session schema 99, and this voicetrainer reads schemas 1 to 2"),
    ({"schema_version": 2, "persona": "x", "ended_by": "e", "turns": [], "mood": 3}, "mood: Extra inputs are not permitted"),
])
def test_what_cannot_be_read_is_refused_in_one_sentence(tmp_path, doc, says):
    (tmp_path / "session.json").write_text(json.dumps(doc))
    with pytest.raises(SessionFormatError) as caught:
        read_session(tmp_path)
    assert says in caught.value.message and "\n" not in caught.value.message


def test_a_persona_snapshot_edited_after_the_call_is_refused(tmp_path):
    out = text_call(tmp_path, DEFAULT_PERSONAS_DIR)
    doc = json.loads((out / "session.json").read_text())
    doc["persona_snapshot"]["scenario"]["cannot_promise"] = []
    (out / "session.json").write_text(json.dumps(doc))
    result = runner.invoke(app, ["grade", str(out), "--judge", "rules", "--no-audio", "--no-report"])
    assert result.exit_code != 0 and "does not match its sha256" in result.exception.message


def test_grade_is_pure_it_needs_only_the_record_and_a_rubric(tmp_path):
    out = text_call(tmp_path, DEFAULT_PERSONAS_DIR)
    session = read_session(out)
    shutil.rmtree(out)
    assert grade(session, load_rubric())["overall"] == grade(session, load_rubric())["overall"] > 0


def test_the_published_schemas_are_the_generated_ones_and_describe_the_files(tmp_path):
    for kind in KINDS:
        assert (PUBLISHED_DIR / f"{kind}.schema.json").read_text() == json_schema(kind), \
            f"regenerate it: voicetrainer schema {kind} --out docs/schema/{kind}.schema.json"
    printed = runner.invoke(app, ["schema", "session"])
    assert printed.exit_code == 0 and json.loads(printed.stdout)["properties"]["schema_version"]["const"] == 2
    out = text_call(tmp_path, DEFAULT_PERSONAS_DIR)
    write_grade(out, grade_session(out, audio=False))
    for kind, name in (("session", "session.json"), ("grade", "grade.json")):
        jsonschema.validate(json.loads((out / name).read_text()), json.loads(json_schema(kind)))
    assert "no schema called 'sessions'" in runner.invoke(app, ["schema", "sessions"]).exception.message


def test_a_text_call_saved_or_not_is_recorded_the_same_way(tmp_path):
    from voicetrainer.callers.scripted import ScriptedGenerator
    from voicetrainer.customer import Customer
    from voicetrainer.personas import find_persona
    from voicetrainer.text_call import run_text_call

    def call(save):
        return run_text_call(Customer(find_persona("angry_refund"), ScriptedGenerator(0)), SCRIPT + ["/wait 9"], save)

    saved, unsaved = call(tmp_path / "saved"), call(None)
    assert json.loads((tmp_path / "saved" / "session.json").read_text()) == saved
    assert {**unsaved, "started_at": None} == {**saved, "started_at": None} and len(saved["turns"]) >= 12
    assert not any(tmp_path.glob("*/*.tmp"))


def test_a_persona_with_a_key_like_word_still_loads_after_the_journal_redacted_it(tmp_path):
    out = text_call(tmp_path, custom_persona_dir(tmp_path, promise="a refund to card sk-live-12345678 today"))
    assert read_session(out).cannot_promise == ["a refund to card <redacted> today"]


def test_an_old_call_that_left_only_its_journal_is_rebuilt_and_upgraded(tmp_path):
    old = tmp_path / "old"
    shutil.copytree(V1, old)
    (old / "session.json").unlink()
    session = read_session(old)
    assert session.schema_version == 2 and session.cannot_promise == [SHIPPED_PROMISE]
    assert session.document()["turns"] == read_session(V1).document()["turns"]
