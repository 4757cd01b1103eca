"""The local OpenAI-protocol server, exercised through the real `openai` client over a real socket."""

from __future__ import annotations

import json
import time
import urllib.request

import openai
import pytest

from voicetrainer.testing.openai_server import OpenAIServer, ScriptedReply, split_tokens

MESSAGES = [
    {"role": "system", "content": "You are an angry customer."},
    {"role": "user", "content": "Thank you for calling, how can I help?"},
]


def client_for(srv: OpenAIServer, timeout: float = 5.0) -> openai.OpenAI:
    return openai.OpenAI(base_url=srv.base_url, api_key="sk-test-secret", max_retries=0, timeout=timeout)


def ask(client: openai.OpenAI, **kwargs):
    return client.chat.completions.create(model="test-model", messages=MESSAGES, **kwargs)


def streamed(client: openai.OpenAI, **kwargs) -> list[str]:
    pieces = []
    for chunk in ask(client, stream=True, **kwargs):
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
    return pieces


def test_non_streaming_reply():
    with OpenAIServer(["I want my refund now."]) as srv:
        resp = ask(client_for(srv))
    assert resp.object == "chat.completion"
    assert resp.id.startswith("chatcmpl-")
    assert resp.model == "test-model"
    assert resp.choices[0].message.role == "assistant"
    assert resp.choices[0].message.content == "I want my refund now."
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage.completion_tokens == 5
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + 5


def test_streaming_deltas_concatenate_exactly():
    content = "  Look,  I've been waiting\n for three WEEKS — and nobody called back! "
    with OpenAIServer([content]) as srv:
        client = client_for(srv)
        pieces = streamed(client)
        finishes = [c.choices[0].finish_reason for c in ask(client, stream=True) if c.choices]
    assert "".join(pieces) == content
    assert len(pieces) > 1
    assert finishes[-1] == "stop"
    assert finishes.count("stop") == 1


def test_split_tokens_round_trips():
    for text in ["", " ", "word", "a b", " lead", "trail ", "x\n\ny\t z  "]:
        assert "".join(split_tokens(text)) == text
    assert split_tokens("one two three") == ["one", " two", " three"]


def test_stream_include_usage_chunk():
    with OpenAIServer(["Fine, go on."]) as srv:
        chunks = list(ask(client_for(srv), stream=True, stream_options={"include_usage": True}))
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == 3


def test_list_consumed_in_order_then_default():
    with OpenAIServer(["first", ScriptedReply(content="second")], default="fallback") as srv:
        client = client_for(srv)
        got = [ask(client).choices[0].message.content for _ in range(2)]
        got += streamed(client)  # a stream consumes a reply too
        got.append(ask(client).choices[0].message.content)
    assert got == ["first", "second", "fallback", "fallback"]


def test_callable_reply_sees_request():
    seen = []

    def reply(body: dict) -> str:
        seen.append(body)
        return f"You said: {body['messages'][-1]['content']}"

    with OpenAIServer(reply) as srv:
        resp = ask(client_for(srv))
    assert resp.choices[0].message.content == "You said: Thank you for calling, how can I help?"
    assert seen[0]["messages"] == MESSAGES


def test_server_error_raises_internal_server_error():
    crash = ScriptedReply(status=500, content="model crashed")
    with OpenAIServer([crash, crash]) as srv:
        client = client_for(srv)
        with pytest.raises(openai.InternalServerError) as info:
            ask(client)
        with pytest.raises(openai.InternalServerError):  # errors come before any stream starts
            streamed(openai.OpenAI(base_url=srv.base_url, api_key="k", max_retries=0, timeout=5))
        # The same server is still healthy afterwards (the list ran out: the default reply).
        assert ask(client).choices[0].message.content == "Okay."
    assert info.value.status_code == 500
    assert info.value.body["message"] == "model crashed"
    assert info.value.body["type"] == "server_error"
    assert len(srv.requests) == 3  # the failed request did not retry (max_retries=0)


def test_delay_beyond_client_timeout_raises_timeout():
    with OpenAIServer([ScriptedReply(content="too late", delay_s=3.0), "on time"]) as srv:
        client = client_for(srv, timeout=0.4)
        start = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            ask(client)
        assert time.monotonic() - start < 2.0
        # The abandoned slow request does not block the next one.
        assert ask(client).choices[0].message.content == "on time"
    assert len(srv.requests) == 2


def test_requests_recorded_without_the_key():
    with OpenAIServer(["a", "b"]) as srv:
        client = client_for(srv)
        ask(client, temperature=0.7)
        streamed(client, response_format={"type": "json_object"})
        urllib.request.urlopen(urllib.request.Request(
            srv.base_url + "/chat/completions", data=json.dumps({"model": "m", "messages": []}).encode(),
            headers={"Content-Type": "application/json"}), timeout=5).read()
    first, second, third = srv.requests
    assert first["model"] == "test-model" and first["messages"] == MESSAGES
    assert not first.get("stream") and first["temperature"] == 0.7
    assert second["stream"] is True
    assert second["response_format"] == {"type": "json_object"}
    assert first["_auth_present"] is True and second["_auth_present"] is True
    assert third["_auth_present"] is False
    assert "sk-test-secret" not in json.dumps(srv.requests)


def test_models_endpoint():
    with OpenAIServer(model="tiny-customer") as srv:
        models = client_for(srv).models.list()
        assert [m.id for m in models.data] == ["tiny-customer"]
        assert client_for(srv).models.retrieve("tiny-customer").id == "tiny-customer"
        with pytest.raises(openai.NotFoundError):
            client_for(srv).models.retrieve("other")


def test_paced_stream_first_token_delay():
    content = "one two three four five six seven eight nine ten"
    with OpenAIServer([ScriptedReply(content=content, first_token_delay_s=0.3, tokens_per_s=50)]) as srv:
        start = time.monotonic()
        stamps, pieces = [], []
        for chunk in ask(client_for(srv), stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                stamps.append(time.monotonic() - start)
                pieces.append(chunk.choices[0].delta.content)
    assert "".join(pieces) == content
    assert stamps[0] >= 0.25
    # 10 tokens at 50/s: about 0.18 s between the first and the last token.
    assert stamps[-1] - stamps[0] >= 0.15


def test_stop_is_prompt_even_with_a_sleeping_handler():
    srv = OpenAIServer([ScriptedReply(content="never", delay_s=30)]).start()
    client = client_for(srv, timeout=0.3)
    with pytest.raises(openai.APITimeoutError):
        ask(client)
    start = time.monotonic()
    srv.stop()
    assert time.monotonic() - start < 2.0
    assert not srv.running
    with pytest.raises(RuntimeError):
        srv.base_url


def test_not_found_path():
    with OpenAIServer() as srv:
        with pytest.raises(openai.NotFoundError):
            client_for(srv).completions.create(model="test-model", prompt="hi")


def test_server_without_json_schema_refuses_it_but_accepts_json_mode():
    schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
    with OpenAIServer(['{"a": 1}'], json_schema=False) as srv:
        client = client_for(srv)
        with pytest.raises(openai.BadRequestError, match="json_schema"):
            ask(client, response_format=schema)
        reply = ask(client, response_format={"type": "json_object"})
        assert json.loads(reply.choices[0].message.content) == {"a": 1}
        assert [r["response_format"]["type"] for r in srv.requests] == ["json_schema", "json_object"]
    with OpenAIServer(['{"a": 2}']) as srv:  # by default it takes json_schema like OpenAI
        assert json.loads(ask(client_for(srv), response_format=schema).choices[0].message.content) == {"a": 2}
