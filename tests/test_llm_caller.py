"""The LLM caller through the real `openai` client against a real local HTTP server
speaking the OpenAI chat-completions protocol (SSE streaming, errors, timeouts)."""

from __future__ import annotations

import json
import os

import pytest

from voicetrainer.call import CallOptions, run_call
from voicetrainer.callers.sanitize import sanitize
from voicetrainer.clock import VirtualClock
from voicetrainer.config import LLMSettings, Settings
from voicetrainer.files import FileSink, FileSource
from voicetrainer.personas import find_persona
from voicetrainer.setup_call import choose_caller, make_customer
from voicetrainer.testing.openai_server import OpenAIServer, ScriptedReply

from .conftest import FIXTURE_CALLS

SECRET = "sk-test-0123456789abcdef"


@pytest.fixture(scope="module")
def llm_call(tmp_path_factory, transcriber, synthesizer):
    replies = [
        "*sighs heavily* Customer: Finally. My refund for the espresso machine never came.",
        ScriptedReply(status=500, content="model crashed"),
        ScriptedReply(content="too late", delay_s=3.0),
        "(angrily) Dana: It's BR-48213.\nAgent: Thank you, let me check.",
        "As an AI language model, I can't feel frustration. Okay, that sounds better.",
    ]
    with OpenAIServer(replies=replies, default="Okay. Thank you for sorting it out.") as server:
        settings = Settings(llm=LLMSettings(base_url=server.base_url, model="test-model", api_key=SECRET,
                                            timeout_s=1.0, max_retries=0))
        persona = find_persona("angry_refund")
        out = tmp_path_factory.mktemp("llm") / "call"
        customer = make_customer(persona, choose_caller("auto", settings), settings)
        session = run_call(persona, FileSource(FIXTURE_CALLS / "angry_refund_good"), FileSink(out), transcriber,
                           synthesizer, customer, out, VirtualClock(), CallOptions())
        yield session, out, list(server.requests)


@pytest.mark.slow
def test_auto_uses_the_llm_when_configured_and_says_so(llm_call):
    session, _, requests = llm_call
    assert session["caller"] == "llm:test-model"
    assert len(requests) >= 5 and all(r["stream"] is True for r in requests)


@pytest.mark.slow
def test_requests_carry_persona_mood_and_history(llm_call):
    session, _, requests = llm_call
    first, later = requests[0], requests[3]
    system = first["messages"][0]["content"]
    assert first["messages"][0]["role"] == "system"
    assert "Dana Whitaker" in system and "Brightline Home" in system and "BR-48213" in system
    agent_turns = [t for t in session["turns"] if t["speaker"] == "agent"]
    assert f"{agent_turns[0]['mood']:.1f} out of 10" in system
    # the conversation so far goes along: agent turns as user, the customer's as assistant
    assert later["messages"][-1] == {"role": "user", "content": agent_turns[3]["text"]}
    assert [m["role"] for m in later["messages"][1:]] == ["user", "assistant"] * 3 + ["user"]
    assert all(r["_auth_present"] for r in requests)


@pytest.mark.slow
def test_replies_are_sanitized(llm_call):
    session, _, _ = llm_call
    customer = [t["text"] for t in session["turns"] if t["speaker"] == "customer"]
    assert customer[0] == "Finally. My refund for the espresso machine never came."
    assert customer[3] == "It's BR-48213."
    assert customer[4] == "Okay, that sounds better."


@pytest.mark.slow
def test_server_error_and_timeout_fall_back_to_scripted_lines_and_are_journaled(llm_call):
    session, out, _ = llm_call
    errors = [n for n in session["notes"] if n["event"] == "caller_error"]
    assert len(errors) == 2
    assert "HTTP 500" in errors[0]["error"] and "timed out" in errors[1]["error"]
    customer = [t for t in session["turns"] if t["speaker"] == "customer"]
    persona = find_persona("angry_refund")
    authored = {line for by_band in persona.lines.values() for lines in by_band.values() for line in lines}
    assert customer[1]["text"] in authored or "BR-48213" in customer[1]["text"]
    assert len(customer) >= 5, "the call went on after both failures"


@pytest.mark.slow
def test_the_api_key_is_never_written(llm_call):
    _, out, _ = llm_call
    for path in out.iterdir():
        if path.suffix in (".json", ".jsonl"):
            assert SECRET not in path.read_text()


def test_choose_caller_defaults_and_errors():
    from voicetrainer.errors import VoiceTrainerError

    assert choose_caller("auto", Settings()) == "scripted"
    with pytest.raises(VoiceTrainerError, match="needs an OpenAI-compatible endpoint"):
        choose_caller("llm", Settings())


def test_unreachable_server_is_one_plain_error():
    from voicetrainer.callers.llm import LLMGenerator
    from voicetrainer.customer import ReplyContext
    from voicetrainer.errors import LLMError

    persona = find_persona("angry_refund")
    gen = LLMGenerator(LLMSettings(base_url="http://127.0.0.1:9/v1", model="m", timeout_s=1, max_retries=0))
    ctx = ReplyContext(persona, "opening", "angry", 8.0, None, "Hello", (("agent", "Hello"),))
    with pytest.raises(LLMError, match="cannot be reached"):
        gen.generate(ctx)


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("Customer: Where is my money?", "Where is my money?"),
        ("*sighs* [frustrated] Fine.", "Fine."),
        ("Dana Whitaker: Okay.", "Okay."),
        ("Okay.\nAgent: Great, anything else?", "Okay."),
        ('"I want my refund."', "I want my refund."),
        ("I'm not an AI. As an AI model I must say this. Refund me!", "I'm not an AI. Refund me!"),
    ],
)
def test_sanitize(raw, clean):
    assert sanitize(raw, ("Dana Whitaker",)) == clean


def test_warm_up_tells_an_unreachable_server_from_a_present_one():
    from voicetrainer.callers.llm import LLMGenerator
    from voicetrainer.errors import LLMError

    with OpenAIServer(replies=[]) as server:  # answers, whether or not it lists models
        LLMGenerator(LLMSettings(base_url=server.base_url, model="m", max_retries=0)).warm_up()
    with pytest.raises(LLMError, match="cannot be reached"):
        LLMGenerator(LLMSettings(base_url=f"http://127.0.0.1:{closed_port()}/v1", model="m")).warm_up()


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_an_unreachable_server_is_a_warning_and_the_call_goes_on(tmp_path):
    import shutil
    import subprocess
    import sys

    from .conftest import ROOT

    turns = tmp_path / "turns"
    turns.mkdir()
    for name in ("01.wav", "02.wav"):
        shutil.copy(FIXTURE_CALLS / "angry_refund_good" / name, turns / name)
    out = tmp_path / "call"
    run = subprocess.run([sys.executable, "-m", "voicetrainer", "call", "--persona", "angry_refund", "--caller", "llm",
                          "--llm-base-url", f"http://127.0.0.1:{closed_port()}/v1", "--agent-audio", str(turns),
                          "--out", str(out), "--no-grade"],
                         cwd=ROOT, capture_output=True, text=True, timeout=180, env={**os.environ, "COLUMNS": "200"})
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("Warning: The LLM server at") == 1 and "cannot be reached" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert run.stdout.count("the LLM caller failed, so an authored line was used") == 2
    session = json.loads((out / "session.json").read_text())
    customer = [t for t in session["turns"] if t["speaker"] == "customer"]
    assert len(customer) == 2 and all("cannot be reached" in t["caller_error"] for t in customer)
