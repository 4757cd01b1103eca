"""The streamed reply: sentence by sentence, the same words as the whole reply, and a
barge-in that stops generation, synthesis and the playback queue."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from voicetrainer.audio import Audio, concatenate, write_wav
from voicetrainer.call import CallOptions, run_call
from voicetrainer.callers.llm import LLMGenerator
from voicetrainer.callers.sanitize import sanitize
from voicetrainer.callers.scripted import ScriptedGenerator
from voicetrainer.clock import VirtualClock
from voicetrainer.config import LLMSettings, Settings
from voicetrainer.customer import Customer
from voicetrainer.files import FileSource
from voicetrainer.interfaces import Playback, VoiceStyle
from voicetrainer.journal import read_events
from voicetrainer.personas import find_persona
from voicetrainer.reply_speech import ReplySpeech
from voicetrainer.setup_call import make_customer
from voicetrainer.testing.openai_server import OpenAIServer, ScriptedReply

from .conftest import FIXTURE_CALLS
from .test_customer import BAD, GOOD

STYLE = VoiceStyle("en-us", 170, 1.0, 50)
LLM_REPLIES = [
    "*sighs* Customer: Finally. Mr. Patel promised me $189.99 back in 3.5 days... nothing. Where is it?!",
    "(angrily) I've called 4 times, e.g. on Oct. 28 and Nov. 2. Fix it.\nAgent: Thank you, let me check.",
    "As an AI language model, I can't feel frustration. Okay... that sounds better. Thanks, Dr. Lee.",
]


@pytest.mark.parametrize("script", [GOOD, BAD])
def test_scripted_streamed_reply_equals_the_whole_reply(script):
    whole = Customer(find_persona("angry_refund"), ScriptedGenerator(3))
    streamed = Customer(find_persona("angry_refund"), ScriptedGenerator(3))
    for line in script:
        expected = whole.respond(line)
        reply = streamed.reply(line)
        sentences = list(reply)
        assert sentences and " ".join(sentences) == reply.text == expected.text
        assert (reply.situation, reply.ended_by) == (expected.situation, expected.ended_by)
        if expected.ends_call:
            break
    assert streamed.history == whole.history


def test_llm_sentences_equal_the_sanitized_whole_reply():
    persona = find_persona("angry_refund")
    with OpenAIServer(replies=LLM_REPLIES * 2) as server:
        llm = LLMGenerator(LLMSettings(base_url=server.base_url, model="m", api_key="sk-test-x", max_retries=0))
        customer = Customer(persona, llm)
        for raw in LLM_REPLIES:
            ctx_reply = customer.reply("Hello, how can I help?")
            sentences = list(ctx_reply)
            assert len(sentences) >= 2
            assert " ".join(sentences) == sanitize(raw, (persona.name,))
        whole = [customer.respond("Hello?").text for _ in LLM_REPLIES]
    assert whole == [sanitize(raw, (persona.name,)) for raw in LLM_REPLIES]
    assert "Agent" not in " ".join(whole) and "*" not in " ".join(whole)


class CountingSynthesizer:
    """A synthesizer behind the project's interface that records what it was asked."""

    name = "counting"

    def __init__(self, seconds: float = 0.0):
        self.calls: list[str] = []
        self.seconds = seconds

    def synthesize(self, text: str, style: VoiceStyle) -> Audio:
        self.calls.append(text)
        time.sleep(self.seconds)
        return Audio(np.full(16_000, 0.1, dtype=np.float32), 16_000)


class InterruptingSink:
    """A sink behind AudioSink where the agent barges in during the first sentence."""

    def __init__(self, directory=None, at_s: float = 0.05):
        self.directory, self.at_s = directory, at_s

    def play(self, chunks, turn_index):
        first = next(iter(chunks))
        played = Audio(first.samples[: int(self.at_s * first.rate)], first.rate)
        if self.directory:
            write_wav(self.directory / f"customer_{turn_index:02d}.wav", played.samples, played.rate)
        return Playback(played, time.perf_counter(), interrupted_at_s=self.at_s)


def test_cancelling_a_reply_stops_synthesis_and_the_playback_queue():
    closed = []

    def endless():
        try:
            for i in itertools.count():
                yield f"Sentence number {i}."
        finally:
            closed.append(True)

    synthesizer = CountingSynthesizer(seconds=0.01)
    speech = ReplySpeech(endless(), synthesizer, STYLE, ahead=2)
    playback = InterruptingSink().play(speech.chunks(), 1)
    speech.cancel()
    made = len(synthesizer.calls)
    time.sleep(0.2)
    assert playback.interrupted_at_s == 0.05
    assert len(synthesizer.calls) == made <= 4  # one played, two queued, at most one in progress
    assert closed == [True]  # the sentence source was closed: no more generation
    assert speech.cancelled and not speech._worker.is_alive() and speech._queue.empty()


def test_a_played_reply_streams_every_sentence_in_order():
    synthesizer = CountingSynthesizer()
    speech = ReplySpeech(iter(["One.", "Two.", "Three."]), synthesizer, STYLE, ahead=1)
    chunks = list(speech.chunks())
    speech.cancel()
    assert synthesizer.calls == ["One.", "Two.", "Three."] == speech.spoken
    assert concatenate(chunks).duration_s == pytest.approx(3.0)
    assert speech.first_audio_at is not None and speech.first_sentence_at <= speech.first_audio_at


def test_barge_in_ends_the_llm_request_and_records_only_what_was_said():
    persona = find_persona("angry_refund")
    long_reply = " ".join(f"This is complaint number {i}." for i in range(40))
    slow = ScriptedReply(content=long_reply, tokens_per_s=50)
    with OpenAIServer(replies=[slow]) as server:
        llm = LLMGenerator(LLMSettings(base_url=server.base_url, model="m", api_key="sk-test-x", max_retries=0))
        customer = Customer(persona, llm)
        reply = customer.reply("Hello, how can I help?")
        speech = ReplySpeech(reply, CountingSynthesizer(), STYLE)
        t0 = time.perf_counter()
        InterruptingSink().play(speech.chunks(), 1)
        speech.cancel()
        took = time.perf_counter() - t0
    assert took < 3.0  # the whole reply at 50 tokens/s would take over 4 s
    assert reply.text and len(reply.text) < len(long_reply) / 2
    assert customer.history[-1] == ("customer", reply.text)


def test_an_interrupted_reply_is_journaled_and_the_customer_reacts(tmp_path, transcriber):
    persona = find_persona("angry_refund")
    out = tmp_path / "call"
    out.mkdir()
    session = run_call(persona, FileSource(FIXTURE_CALLS / "angry_refund_good"), InterruptingSink(out, 0.3),
                       transcriber, CountingSynthesizer(), make_customer(persona, "scripted", Settings()), out,
                       VirtualClock(), CallOptions(max_turns=2))
    customer_turns = [t for t in session["turns"] if t["speaker"] == "customer"]
    assert all(t["interrupted_at_s"] == 0.3 for t in customer_turns)
    assert any(e["event"] == "interrupted" for e in read_events(out / "journal.jsonl"))
    second_agent = [t for t in session["turns"] if t["speaker"] == "agent"][1]
    assert "interrupts" in second_agent["behaviours"]
    for t in customer_turns:
        assert t["end_s"] - t["start_s"] == pytest.approx(0.3, abs=0.01)
        for key in ("caller_first_sentence_ms", "caller_ms", "tts_first_audio_ms", "tts_ms", "voice_to_voice_ms"):
            assert t[key] >= 0
