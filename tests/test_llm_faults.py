"""The fault suite: a text call and a grade against a local OpenAI-protocol server that
misbehaves in every way issue 11 found (a wrong-shaped 200, a refused key, a huge reply, a
drip, a slow body). Each must end as one plain sentence: the call goes on with authored
lines, the grade falls back to the rules with a flag, grade.json and report.html are written.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from voicetrainer.callers.llm import LLMGenerator
from voicetrainer.callers.scripted import ScriptedGenerator
from voicetrainer.cli_grade import grade_and_show
from voicetrainer.config import LLMSettings
from voicetrainer.customer import Customer
from voicetrainer.errors import LLMError
from voicetrainer.grading.judge import LLMJudge
from voicetrainer.personas import find_persona
from voicetrainer.rubric import load_rubric
from voicetrainer.testing.openai_server import FAULTS, OpenAIServer, ScriptedReply
from voicetrainer.text_call import run_text_call

from .conftest import ROOT

AGENT = ["Thank you for calling Brightline Home, this is Alex. How can I help you today?",
         "I'm so sorry, I can hear how frustrating this has been. Could you give me your order number?"]
LONG = "I have been waiting three weeks for my refund. " * 25_000  # ~1.2 MB
# Small deadlines so the slow cases take seconds, not minutes.
REPLY_DEADLINE_S, JUDGE_DEADLINE_S = 1.5, 2.0

NOT_OPENAI = "did not answer like an OpenAI-compatible server"
# fault -> (the reply, what the caller's error says (None: it answers), what the judge's flag says)
CASES = {
    "html": (ScriptedReply(fault="html"), NOT_OPENAI + ": it sent a web page", "it sent a web page"),
    "text": (ScriptedReply(fault="text"), NOT_OPENAI, "text/plain that is not JSON"),
    # a streamed request gets a proper stream; only the judge's plain request gets SSE back
    "sse": (ScriptedReply(fault="sse", content="Fine."), None, "a stream of events to a request that asked for one"),
    "empty_choices": (ScriptedReply(fault="empty_choices"), NOT_OPENAI, "a completion with no choices"),
    "no_choices": (ScriptedReply(fault="no_choices"), NOT_OPENAI, "a completion without choices"),
    "null_message": (ScriptedReply(fault="null_message"), NOT_OPENAI, "a choice without a message"),
    "json_list": (ScriptedReply(fault="json_list"), NOT_OPENAI, "a JSON list instead of a chat completion"),
    "null": (ScriptedReply(fault="null"), NOT_OPENAI, "JSON null instead of a chat completion"),
    "error": (ScriptedReply(fault="error"), "answered with an error: model is not loaded.",
              "answered with an error: model is not loaded"),
    "401": (ScriptedReply(status=401, content="Invalid API key"), "refused the API key (HTTP 401)",
            "refused the API key (HTTP 401)"),
    "403": (ScriptedReply(status=403, content="Forbidden"), "refused the API key (HTTP 403)",
            "refused the API key (HTTP 403)"),
    "huge": (ScriptedReply(content=LONG), None, "sent a reply longer than 256 kB"),
    # one line that never ends: refused by size, not held in memory until it ends
    "endless": (ScriptedReply(fault="endless"), "sent a reply longer than 4000 kB", "sent a reply longer than 256 kB"),
    "drip": (ScriptedReply(content="I want my refund. " * 20, tokens_per_s=1.0, byte_delay_s=0.5),
             f"did not finish its reply within {REPLY_DEADLINE_S:g} s", f"within {JUDGE_DEADLINE_S:g} s"),
    "slow_body": (ScriptedReply(content="I want my refund.", byte_delay_s=0.3),
                  f"did not finish its reply within {REPLY_DEADLINE_S:g} s", f"within {JUDGE_DEADLINE_S:g} s"),
}
SLOW = {"drip", "slow_body", "huge", "endless"}
assert set(FAULTS) <= set(CASES)


def settings_for(srv: OpenAIServer) -> LLMSettings:
    settings = LLMSettings(base_url=srv.base_url, model="m", api_key="sk-test-fault-key", max_retries=0, timeout_s=5)
    # set after validation, so the same test runs (and fails for what it tests) on code without deadlines
    return settings.model_copy(update={"reply_deadline_s": REPLY_DEADLINE_S, "judge_deadline_s": JUDGE_DEADLINE_S})


def one_sentence(text: str) -> bool:
    return "\n" not in text and "Traceback" not in text and "Error:" not in text and text.rstrip().endswith(".")


@pytest.mark.parametrize("fault", [pytest.param(f, marks=pytest.mark.slow) if f in SLOW else f for f in CASES])
def test_a_text_call_and_its_grade_survive_the_fault(fault, tmp_path):
    reply, caller_says, judge_says = CASES[fault]
    with OpenAIServer(default=reply) as srv:
        settings = settings_for(srv)
        customer = Customer(find_persona("angry_refund"), LLMGenerator(settings), fallback=ScriptedGenerator(0))
        started = time.monotonic()
        session = run_text_call(customer, AGENT, tmp_path / "call")
        call_s = time.monotonic() - started
        started = time.monotonic()
        grade = grade_and_show(tmp_path / "call", load_rubric(), LLMJudge(settings), audio=False, show=False)
        grade_s = time.monotonic() - started

    customer_turns = [t for t in session["turns"] if t["speaker"] == "customer"]
    assert len(customer_turns) == len(AGENT) and all(t["text"] for t in customer_turns)
    errors = [n for n in session["notes"] if n["event"] == "caller_error"]
    if caller_says is None:
        assert errors == []
    else:
        assert len(errors) == len(AGENT)
        assert all(caller_says in e["error"] and one_sentence(e["error"]) for e in errors), errors
        # each reply fell back to an authored line (the persona's: it names the order number asked for)
        assert "BR-48213" in customer_turns[1]["text"]
    # the deadline holds: two replies and the judge's requests, each stopped at its deadline
    assert call_s < len(AGENT) * (REPLY_DEADLINE_S + 1.0)
    assert grade_s < 2 * JUDGE_DEADLINE_S + 1.0

    assert grade["judge"] == "rules" and grade["criteria"]
    assert len(grade["flags"]) == 1 and judge_says in grade["flags"][0] and one_sentence(grade["flags"][0])
    assert grade["flags"][0].endswith("this grade is by the rules.")
    written = json.loads((tmp_path / "call" / "grade.json").read_text())
    assert written["overall"] == grade["overall"] and written["flags"] == grade["flags"]
    assert judge_says in (tmp_path / "call" / "report.html").read_text()


@pytest.mark.slow
def test_a_huge_reply_is_cut_at_a_sentence_end_and_the_cut_journaled(tmp_path):
    with OpenAIServer(default=ScriptedReply(content=LONG)) as srv:
        settings = settings_for(srv).model_copy(update={"max_reply_chars": 200})
        customer = Customer(find_persona("angry_refund"), LLMGenerator(settings), fallback=ScriptedGenerator(0))
        session = run_text_call(customer, AGENT[:1], tmp_path / "call")
    reply = next(t for t in session["turns"] if t["speaker"] == "customer")
    assert 0 < len(reply["text"]) <= 200 and reply["text"].endswith("refund.")
    cuts = [n for n in session["notes"] if n["event"] == "reply_cut"]
    assert len(cuts) == 1 and "200 characters" in cuts[0]["message"]


def test_a_reply_with_no_sentence_end_before_the_limit_falls_back(tmp_path):
    with OpenAIServer(default=ScriptedReply(content="word " * 500)) as srv:
        settings = settings_for(srv).model_copy(update={"max_reply_chars": 100})
        customer = Customer(find_persona("angry_refund"), LLMGenerator(settings), fallback=ScriptedGenerator(0))
        reply = customer.respond(AGENT[0])
    assert "word word" not in reply.text and reply.text
    assert "no sentence end in its first 100 characters" in reply.generator_error


@pytest.mark.parametrize("fault,says", [
    ("html", NOT_OPENAI + ": it sent a web page."), ("text", NOT_OPENAI), ("json_list", "JSON that is not an object"),
    ("401", "refused the API key (HTTP 401)."), ("403", "refused the API key (HTTP 403)."),
])
def test_warm_up_reports_a_refused_key_or_a_server_that_is_not_openai(fault, says):
    reply = CASES[fault][0]
    with OpenAIServer(default=reply, models=reply) as srv:
        with pytest.raises(LLMError) as caught:
            LLMGenerator(settings_for(srv)).warm_up()
    assert says in caught.value.message and one_sentence(caught.value.message) and caught.value.hint


def test_warm_up_passes_a_server_that_does_not_list_models():
    with OpenAIServer(models=ScriptedReply(status=404, content="no such route")) as srv:
        LLMGenerator(settings_for(srv)).warm_up()  # an OpenAI-compatible server without /models is fine


def test_a_key_in_the_base_url_is_never_shown_or_saved(tmp_path):
    """`personas try` then `grade`, with the key written into the URL, against a web page."""
    env = {"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "PYTHONPATH": str(ROOT)}
    session = tmp_path / "call"
    with OpenAIServer(default=ScriptedReply(fault="html"), models=ScriptedReply(fault="html")) as srv:
        url = srv.base_url.replace("http://", "http://trainer:sk-secret-in-url-123456@")
        held = subprocess.run([sys.executable, "-m", "voicetrainer", "personas", "try", "angry_refund", "--caller", "llm",
                               "--llm-base-url", url, "--save", str(session)], input="\n".join(AGENT) + "\n",
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                              timeout=120)
        graded = subprocess.run([sys.executable, "-m", "voicetrainer", "grade", str(session), "--no-audio",
                                 "--llm-base-url", url], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert held.returncode == 0 and graded.returncode == 0, held.stdout + graded.stderr
    shown = held.stdout + graded.stdout + graded.stderr
    assert "Warning: The LLM server at http://trainer:***@127.0.0.1" in held.stdout
    assert held.stdout.index("Warning") < held.stdout.index("Agent ")  # before the first turn
    assert NOT_OPENAI in held.stdout and "Unexpected error" not in shown
    saved = {name: (session / name).read_text() for name in ("grade.json", "report.html", "session.json", "journal.jsonl")}
    assert "trainer:***@" in saved["grade.json"] and "trainer:***@" in saved["report.html"]
    for where, text in {"output": shown, **saved}.items():
        assert "sk-secret-in-url" not in text, where


@pytest.mark.parametrize("url,shown", [
    ("http://user:sk-abc123456789@host:8080/v1", "http://user:***@host:8080/v1"),
    ("http://sk-abc123456789@host/v1", "http://***@host/v1"),  # a lone user part is often the key itself
    ("https://host/v1?api_key=sk-abc123456789&region=eu", "https://host/v1?api_key=***&region=eu"),
    ("https://host/openai?api-version=2024-06-01&key=0123abcd", "https://host/openai?api-version=2024-06-01&key=***"),
    ("http://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1"),
])
def test_urls_are_redacted(url, shown):
    from voicetrainer.redact import redact, redact_url

    assert redact_url(url) == shown
    assert redact(f"The LLM server at {url} failed.") == f"The LLM server at {shown} failed."


def test_an_llm_error_names_the_endpoint_without_its_key():
    from voicetrainer.llm_client import plain_llm_errors

    settings = LLMSettings(base_url="http://u:sk-hidden-999999@127.0.0.1:9/v1?api_key=sk-hidden-888888")
    with pytest.raises(LLMError) as caught, plain_llm_errors("The LLM judge", settings):
        from voicetrainer.llm_client import TooSlow

        raise TooSlow()
    assert "sk-hidden" not in str(caught.value) and "http://u:***@127.0.0.1:9/v1?api_key=***" in caught.value.message


class LongVoice:
    """A synthesizer behind the project's interface that makes 25 s of audio per sentence."""

    name = "long"

    def synthesize(self, text, style):
        import numpy as np

        from voicetrainer.audio import Audio

        return Audio(np.zeros(25 * 16000, dtype=np.float32), 16000)


def test_a_replys_audio_is_capped():
    from voicetrainer.interfaces import VoiceStyle
    from voicetrainer.reply_speech import ReplySpeech

    speech = ReplySpeech(iter(["One.", "Two.", "Three.", "Four."]), LongVoice(), VoiceStyle("default", 170, 1.0, 50),
                         max_audio_s=60.0)
    total = sum(chunk.duration_s for chunk in speech.chunks())
    speech.cancel()
    assert total == pytest.approx(60.0) and speech.audio_cut and speech.spoken == ["One.", "Two.", "Three."]


@pytest.mark.slow
def test_a_spoken_call_against_a_server_that_never_stops_stays_small(tmp_path):
    """`call` on recorded turns, each reply 1.2 MB and the judge's too: the replies are cut,
    the audio stays short, the grade falls back, and the whole process stays far below 1 GB."""
    out = tmp_path / "call"
    measure = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")
    env = {"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "PYTHONPATH": str(ROOT)}
    with OpenAIServer(default=ScriptedReply(content=LONG)) as srv:
        run = subprocess.run([sys.executable, "-c", measure, sys.executable, "-m", "voicetrainer", "call",
                              "--persona", "angry_refund", "--agent-audio",
                              str(ROOT / "tests" / "fixtures" / "calls" / "angry_refund_good"), "--out", str(out),
                              "--llm-base-url", srv.base_url, "--llm-model", "m"],
                             cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    peak_mb = int(run.stdout.strip().splitlines()[-1]) / 1024
    assert peak_mb < 1024, peak_mb
    session = json.loads((out / "session.json").read_text())
    customer = [t for t in session["turns"] if t["speaker"] == "customer"]
    assert customer and all("reply_cut" in t and len(t["text"]) <= 600 for t in customer)
    assert all(t["end_s"] - t["start_s"] <= 60.5 for t in customer)
    grade = json.loads((out / "grade.json").read_text())
    assert grade["judge"] == "rules" and "longer than 256 kB" in grade["flags"][0]
    assert (out / "report.html").exists() and "Unexpected error" not in run.stdout + run.stderr


def test_a_body_that_stalls_past_the_read_timeout_is_one_sentence(tmp_path):
    """Mid-body, the HTTP library's own ReadTimeout reaches us unwrapped by the openai client."""
    with OpenAIServer(default=ScriptedReply(content="I want my refund.", byte_delay_s=1.0)) as srv:
        settings = settings_for(srv).model_copy(update={"timeout_s": 0.3, "reply_deadline_s": 30.0,
                                                         "judge_deadline_s": 30.0})
        customer = Customer(find_persona("angry_refund"), LLMGenerator(settings), fallback=ScriptedGenerator(0))
        session = run_text_call(customer, AGENT[:1], tmp_path / "call")
        grade = grade_and_show(tmp_path / "call", load_rubric(), LLMJudge(settings), audio=False, show=False)
    error = next(n for n in session["notes"] if n["event"] == "caller_error")["error"]
    assert "stopped sending in the middle of its reply (timed out)." in error and one_sentence(error)
    assert grade["judge"] == "rules" and "stopped sending in the middle of its reply" in grade["flags"][0]


def test_the_deadline_counts_the_servers_time_not_the_time_spent_speaking():
    """A reply read slowly (each sentence spoken before the next is wanted) is not cut."""
    with OpenAIServer(default="One. Two. Three. Four.") as srv:
        settings = settings_for(srv).model_copy(update={"reply_deadline_s": 1.0})
        customer = Customer(find_persona("angry_refund"), LLMGenerator(settings), fallback=ScriptedGenerator(0))
        reply = customer.reply(AGENT[0])
        heard = []
        for sentence in reply:
            heard.append(sentence)
            time.sleep(0.5)  # as if it were being played
    assert heard == ["One.", "Two.", "Three.", "Four."] and reply.generator_error is None
