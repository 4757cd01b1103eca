"""`personas new` and `personas try`: scaffolded personas validate and hold a call; text calls over stdin."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from voicetrainer.cli import app
from voicetrainer.personas import DEFAULT_PERSONAS_DIR, load_persona
from voicetrainer.scaffold import archetype_names

from .test_customer import BAD, GOOD

runner = CliRunner()
WIDE = {"COLUMNS": "300"}
HOSTILE = ["Hello.", "You need to calm down.", "That's not my department.", "I can't do anything about that.",
           "That's our policy.", "Look, I don't know what you want me to do.", "Whatever.", "Not my problem.",
           "You need to calm down.", "That's our policy."]


def try_call(*args: str, script: list[str], tmp_path=None) -> tuple[str, dict | None]:
    save = ["--save", str(tmp_path / "session")] if tmp_path else []
    result = runner.invoke(app, ["personas", "try", *args, *save], input="\n".join(script) + "\n", env=WIDE)
    assert result.exit_code == 0, result.output
    session = json.loads((tmp_path / "session" / "session.json").read_text()) if tmp_path else None
    return result.stdout, session


@pytest.mark.slow
def test_every_archetype_scaffolds_a_valid_commented_persona_that_holds_a_call(tmp_path):
    assert set(archetype_names()) >= {"angry", "passive_aggressive", "confused_demanding", "abusive", "anxious", "technical"}
    for archetype in archetype_names():
        result = runner.invoke(app, ["personas", "new", f"new_{archetype}", "--archetype", archetype,
                                     "--personas", str(tmp_path)])
        assert result.exit_code == 0, result.output
        path = tmp_path / f"new_{archetype}.yaml"
        text = path.read_text()
        assert text.startswith("# yaml-language-server: $schema=") and text.count("#") > 30
        persona = load_persona(path)
        assert (persona.id, persona.archetype) == (f"new_{archetype}", archetype)
        for situation in ("opening", "venting", "accepting", "hanging_up"):
            assert all(persona.lines_for(situation, band) for band in ("calm", "annoyed", "angry")), situation
        out, session = try_call(persona.id, "--personas", str(tmp_path), script=HOSTILE, tmp_path=tmp_path / archetype)
        assert session["ended_by"] == "customer_hung_up", (archetype, out)
    validate = runner.invoke(app, ["personas", "validate", "--personas", str(tmp_path)])
    assert validate.exit_code == 0 and validate.stdout.count("ok") == len(archetype_names())


def test_new_refuses_to_overwrite_and_rejects_bad_names(tmp_path):
    args = ["personas", "new", "mine", "--archetype", "anxious", "--personas", str(tmp_path), "--name", "Lee Park"]
    assert runner.invoke(app, args).exit_code == 0
    assert load_persona(tmp_path / "mine.yaml").name == "Lee Park"
    again = runner.invoke(app, args)
    assert again.exit_code != 0 and "already exists" in str(again.exception)
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    bad = runner.invoke(app, ["personas", "new", "Not-An-Id", "--archetype", "angry", "--personas", str(tmp_path)])
    assert "cannot be a persona id" in str(bad.exception)
    unknown = runner.invoke(app, ["personas", "new", "x", "--archetype", "grumpy", "--personas", str(tmp_path)])
    assert "no archetype called 'grumpy'" in str(unknown.exception) and "passive_aggressive" in unknown.exception.hint


def test_try_a_good_call_ends_with_acceptance(tmp_path):
    out, session = try_call("angry_refund", script=GOOD, tmp_path=tmp_path)
    situations = [t.get("situation") for t in session["turns"] if t["speaker"] == "customer"]
    assert "accepting" in situations and session["ended_by"] in ("agent_closed", "customer_satisfied")
    assert session["mode"] == "text" and session["turns"][-1]["mood"] < 3.5
    assert "acknowledges_feelings -1.5" in out, "the trainer sees what moved the mood"
    agent = [t for t in session["turns"] if t["speaker"] == "agent"]
    assert agent[0]["text"] == GOOD[0] and all(t["end_s"] > t["start_s"] for t in session["turns"])


def test_try_a_hostile_call_ends_with_a_hang_up(tmp_path):
    out, session = try_call("angry_refund", script=BAD, tmp_path=tmp_path)
    assert session["ended_by"] == "customer_hung_up"
    assert "the customer hung up" in out and "dismissive +2" in out


def test_try_over_a_real_pipe():
    script = "\n".join(BAD) + "\n"
    proc = subprocess.run([sys.executable, "-m", "voicetrainer", "personas", "try", "angry_refund"], input=script,
                          capture_output=True, text=True, timeout=60, env={"COLUMNS": "300", "PATH": ""})
    assert proc.returncode == 0, proc.stderr
    assert "the customer hung up" in proc.stdout and "Traceback" not in proc.stderr


def test_try_stops_cleanly_when_input_ends_or_on_quit(tmp_path):
    out, session = try_call("angry_refund", script=GOOD[:2], tmp_path=tmp_path)
    assert session["ended_by"] == "input_ended" and len(session["turns"]) == 4
    out, _ = try_call("angry_refund", script=[GOOD[0], "/quit", GOOD[1]])
    assert GOOD[1] not in out and "typed lines ended" in out


def persona_dir_with(tmp_path, **mood) -> str:
    """angry_refund in its own folder with mood settings changed (exercises --personas)."""
    text = (DEFAULT_PERSONAS_DIR / "angry_refund.yaml").read_text()
    extra = "".join(f"  {k}: {json.dumps(v)}\n" for k, v in mood.items())
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "angry_refund.yaml").write_text(text.replace("mood:\n", "mood:\n" + extra, 1))
    return str(folder)


def test_patience_idle_after_s_decides_when_silence_gets_a_prompt(tmp_path):
    script = [GOOD[0], "/wait 3", GOOD[1]]
    out, session = try_call("angry_refund", script=script, tmp_path=tmp_path / "a")
    assert "3 s of silence" in out and not any(t.get("situation") == "idle" for t in session["turns"])
    impatient = persona_dir_with(tmp_path, idle_after_s=2)
    out, session = try_call("angry_refund", "--personas", impatient, script=script, tmp_path=tmp_path / "b")
    idle = [t for t in session["turns"] if t.get("situation") == "idle"]
    assert len(idle) == 1 and "Hello?" in idle[0]["text"]
    after = [t for t in session["turns"] if t["speaker"] == "agent"][-1]
    assert ["dead_air", 0.5] in after["moved_by"], "the silence counts against the agent's next turn"


@pytest.mark.parametrize("talks_over", [False, True])
def test_talks_over_keeps_talking_when_the_agent_barges_in(tmp_path, talks_over):
    folder = persona_dir_with(tmp_path, talks_over=talks_over)
    out, session = try_call("angry_refund", "--personas", folder,
                            script=[GOOD[0], "/interrupt Could you give me your order number?"], tmp_path=tmp_path)
    interrupted = [t for t in session["turns"] if t.get("situation") == "interrupted"]
    assert bool(interrupted) is talks_over
    assert ("keeps talking over you" in out) is talks_over and ("stops to let you speak" in out) is not talks_over
    agent = [t for t in session["turns"] if t["speaker"] == "agent"][-1]
    assert "interrupts" in agent["behaviours"]


def test_try_with_the_llm_caller_and_a_trainers_prompts_folder(tmp_path):
    from voicetrainer.testing.openai_server import OpenAIServer

    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "customer.j2").write_text("You are {{ persona.name }}. TRAINER-PROMPT mood {{ mood }} {{ situation }}"
                                         "{% if repeat_demand %}{% endif %}{{ facts | length }}{{ examples | length }}"
                                         "{{ moved_by | length }}{{ band }}{{ situation_guide | length }}")
    with OpenAIServer(replies=["I want my refund. Now.", "Fine, that works."], default="Okay.") as server:
        out, session = try_call("angry_refund", "--caller", "llm", "--llm-base-url", server.base_url,
                                "--llm-model", "test-model", "--prompts", str(prompts), script=GOOD[:2],
                                tmp_path=tmp_path)
        system = server.requests[0]["messages"][0]["content"]
    assert system.startswith("You are Dana Whitaker. TRAINER-PROMPT mood 7.75 opening")  # asking how to help holds the drift
    assert session["caller"] == "llm:test-model" and "I want my refund. Now." in out


def test_a_prompts_folder_needs_only_the_files_a_trainer_changed(tmp_path):
    from voicetrainer.callers.llm import LLMGenerator
    from voicetrainer.config import LLMSettings
    from voicetrainer.grading.judge import LLMJudge

    (tmp_path / "judge.j2").write_text("TRAINER JUDGE")
    settings = LLMSettings(base_url="http://127.0.0.1:9/v1")
    assert LLMJudge(settings, tmp_path)._system.render() == "TRAINER JUDGE"
    assert "You are role-playing a customer" in LLMGenerator(settings, tmp_path)._template.render(
        persona=load_persona(DEFAULT_PERSONAS_DIR / "angry_refund.yaml"), mood=8, band="angry",
        moved_by=[], situation="venting", situation_guide="", facts=(), examples=[], repeat_demand=False)


def test_a_saved_text_call_can_be_graded(tmp_path):
    try_call("angry_refund", script=GOOD, tmp_path=tmp_path)
    result = runner.invoke(app, ["grade", str(tmp_path / "session"), "--judge", "rules", "--no-audio", "--no-report"],
                           env=WIDE)
    assert result.exit_code == 0, result.output
    grade = json.loads((tmp_path / "session" / "grade.json").read_text())
    assert grade["overall"] >= 70 and grade["judge"] == "rules"


def test_folders_from_the_config_file_are_relative_to_it(tmp_path, monkeypatch):
    config = tmp_path / "conf"
    (config / "team").mkdir(parents=True)
    (config / "config.yaml").write_text("personas_dir: team\n")
    monkeypatch.setenv("VOICETRAINER_CONFIG", str(config / "config.yaml"))
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["personas", "new", "ours", "--archetype", "angry"]).exit_code == 0
    assert (config / "team" / "ours.yaml").exists()
    listed = runner.invoke(app, ["personas", "list"], env=WIDE)
    assert "ours" in listed.stdout and "angry_refund" not in listed.stdout
    out, _ = try_call("ours", script=HOSTILE[:2])
    assert "Chris Morgan" in out


def test_a_failing_llm_caller_falls_back_to_authored_lines_and_says_so(tmp_path):
    from voicetrainer.testing.openai_server import OpenAIServer, ScriptedReply

    with OpenAIServer(replies=[], default=ScriptedReply(status=500, content="boom")) as server:
        out, session = try_call("angry_refund", "--caller", "llm", "--llm-base-url", server.base_url,
                                "--llm-model", "m", script=GOOD[:1], tmp_path=tmp_path)
    assert "the LLM caller failed" in out
    assert session["turns"][1]["situation"] == "opening" and session["turns"][1]["text"]
    assert any(n.get("event") == "caller_error" for n in session["notes"])


def test_the_simulation_tags_its_own_abuse_and_the_boundaries_criterion_applies(tmp_path):
    """The abusive caller's angry lines are abuse whatever their words ("Think again, genius."
    is in no word list): the session records them, and grading judges boundaries."""
    from voicetrainer.grading import grade_session

    script = ["Yeah, Crestway, what do you want?", "Whatever, that's policy.", "Not my problem, mate."]
    _, session = try_call("abusive_caller", "--caller", "scripted", script=script, tmp_path=tmp_path)
    customer = [t for t in session["turns"] if t["speaker"] == "customer"]
    assert any(t.get("abusive") for t in customer), customer
    assert all(not t.get("abusive") for t in customer if t["situation"] in ("answering", "accepting"))
    boundaries = next(c for c in grade_session(tmp_path / "session", audio=False)["criteria"] if c["id"] == "boundaries")
    assert boundaries["score"] is not None, boundaries
