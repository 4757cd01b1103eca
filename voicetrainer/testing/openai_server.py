"""A real local HTTP server speaking the OpenAI chat-completions protocol, with scripted replies.

Used by the tests and the benchmarks to exercise the `llm` caller and the LLM judge through
the genuine `openai` client, over a genuine socket, without any network or model.

    with OpenAIServer(["Hello.", ScriptedReply(status=500)]) as srv:
        client = openai.OpenAI(base_url=srv.base_url, api_key="sk-test", max_retries=0)
        ...
        srv.requests  # every chat-completions request body, in order (never the API key)

    OpenAIServer(..., json_schema=False) answers a `response_format` of type json_schema with
    HTTP 400, as servers without structured outputs do (JSON mode, json_object, is accepted).

Fault modes, for the tests that a misbehaving server cannot crash or hang the program:
`ScriptedReply(fault=...)` answers HTTP 200 with a body of the wrong shape (see FAULTS);
`byte_delay_s` writes the body one byte at a time (a slow body); `status=401` etc. are plain
error replies; `OpenAIServer(models=ScriptedReply(...))` answers GET /v1/models that way too
(a web page or a 401 at the base URL, seen at warm-up).

Standard library only: http.server.ThreadingHTTPServer, json, threading.

Endpoints:
  POST /v1/chat/completions  non-streaming JSON, or `stream: true` as SSE over chunked encoding
  GET  /v1/models            the one configured model
  GET  /v1/models/{id}       that model
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Union

__all__ = ["ScriptedReply", "OpenAIServer", "split_tokens", "FAULTS"]

_DISCONNECTS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, socket.timeout)


@dataclass
class ScriptedReply:
    content: str = ""                  # text the assistant returns (or the error message if status >= 400)
    status: int = 200                  # e.g. 500 to simulate a server error (JSON error body like OpenAI's)
    delay_s: float = 0.0               # sleep before answering at all (to trigger client timeouts)
    first_token_delay_s: float = 0.0   # streaming: wait before the first chunk
    tokens_per_s: float | None = None  # streaming: pace content chunks (None = as fast as possible)
    fault: str | None = None           # a 200 body of the wrong shape: one of FAULTS
    byte_delay_s: float = 0.0          # write the body one byte at a time, this far apart (a slow body)


# What a fault mode sends with HTTP 200, for a non-streaming request (body, content type).
# A streaming request gets the same wrong shape inside SSE events where that makes sense.
FAULTS = {
    "html": "a web page (text/html), as a reverse proxy or a web server at the wrong URL sends",
    "text": "a text/plain sentence",
    "sse": "an SSE stream to a non-streaming request",
    "empty_choices": "a completion with `choices: []`",
    "no_choices": "a completion without `choices`",
    "null_message": "a completion whose choice has `message: null` (`delta: null` when streaming)",
    "json_list": "a JSON list instead of an object",
    "null": "the JSON value null",
    "error": "an error object (`{\"error\": {...}}`) with status 200, as some servers send mid-stream",
    "endless": "8 MB of one line that never ends (one SSE event, or one JSON string)",
}
ENDLESS_BYTES = 8_000_000
HTML_PAGE = b"<!DOCTYPE html><html><head><title>Welcome</title></head><body><h1>It works!</h1></body></html>\n"


ReplyLike = Union[ScriptedReply, str]
ReplySource = Union[list, Callable[[dict], ReplyLike], None]

_TOKEN_RE = re.compile(r"\s*\S+|\s+")


def split_tokens(text: str) -> list[str]:
    """Split into small word-ish tokens (leading whitespace attached); "".join(result) == text."""
    return _TOKEN_RE.findall(text)


def _as_reply(value: ReplyLike) -> ScriptedReply:
    if isinstance(value, ScriptedReply):
        return value
    if isinstance(value, str):
        return ScriptedReply(content=value)
    raise TypeError(f"a scripted reply must be a ScriptedReply or a str, not {type(value).__name__}")


def _rough_token_count(value: Any) -> int:
    """A crude token estimate for `usage`: words in every string inside the value."""
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, dict):
        return sum(_rough_token_count(v) for v in value.values())
    if isinstance(value, list):
        return sum(_rough_token_count(v) for v in value)
    return 0


class _Aborted(Exception):
    """The server is stopping: drop the request without answering."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, owner: "OpenAIServer"):
        self.owner = owner
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request, client_address) -> None:  # quiet: no tracebacks on stderr
        import sys

        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, _DISCONNECTS):
            self.owner.errors.append(repr(exc))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "voicetrainer-openai-test-server/1.0"
    sys_version = ""
    timeout = 60  # socket timeout, so idle keep-alive handlers cannot hang forever
    server: _Server

    # ------------------------------------------------------------------ plumbing
    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.open_connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except _DISCONNECTS:
            pass
        finally:
            with self.server.connections_lock:
                self.server.open_connections.discard(self.connection)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except _DISCONNECTS:
            self.close_connection = True
        except _Aborted:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    @property
    def owner(self) -> "OpenAIServer":
        return self.server.owner

    def _path(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/")

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                size_line = self.rfile.readline()
                if not size_line:
                    break
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send_json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_error_json(self, status: int, message: str, type_: str | None = None) -> None:
        if type_ is None:
            type_ = "server_error" if status >= 500 else "invalid_request_error"
        self._send_json(status, {"error": {"message": message, "type": type_, "param": None, "code": None}})

    def _wait(self, seconds: float) -> None:
        if seconds > 0 and self.owner._stopping.wait(seconds):
            raise _Aborted()

    # ------------------------------------------------------------------ endpoints
    def do_GET(self) -> None:
        path = self._path()
        if self.owner.models is not None:  # the base URL misbehaves for every request, not only chat
            reply = self.owner.models
            if reply.status >= 400:
                self._send_error_json(reply.status, reply.content or f"Scripted error {reply.status}")
            else:
                self._send_fault(reply, {"object": "list", "data": []})
            return
        model = self.owner.model
        card = {"id": model, "object": "model", "created": self.owner.created, "owned_by": "voicetrainer"}
        if path in ("/v1/models", "/models"):
            self._send_json(200, {"object": "list", "data": [card]})
        elif path in (f"/v1/models/{model}", f"/models/{model}"):
            self._send_json(200, card)
        elif path.startswith(("/v1/models/", "/models/")):
            self._send_error_json(404, f"The model '{path.rsplit('/', 1)[-1]}' does not exist", "invalid_request_error")
        else:
            self._send_error_json(404, f"Unknown path {path}", "invalid_request_error")

    def do_POST(self) -> None:
        path = self._path()
        raw = self._read_body()
        if path not in ("/v1/chat/completions", "/chat/completions"):
            self._send_error_json(404, f"Unknown path {path}", "invalid_request_error")
            return
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._send_error_json(400, f"Request body is not valid JSON: {exc}")
            return
        if not isinstance(body, dict):
            self._send_error_json(400, "Request body must be a JSON object")
            return

        auth_present = bool(self.headers.get("Authorization"))
        self.owner._record(body, auth_present)
        response_format = body.get("response_format")
        if (not self.owner.json_schema and isinstance(response_format, dict)
                and response_format.get("type") == "json_schema"):
            self._send_error_json(400, "response_format type 'json_schema' is not supported by this server")
            return
        try:
            reply = self.owner._next_reply(body)
        except Exception as exc:  # a faulty callable becomes a 500, visible to the client
            self._send_error_json(500, f"Scripted reply failed: {exc!r}")
            return

        self._wait(reply.delay_s)
        if reply.status >= 400:
            self._send_error_json(reply.status, reply.content or f"Scripted error {reply.status}")
            return
        model = body.get("model") or self.owner.model
        if body.get("stream"):
            self._stream(body, reply, model)
        else:
            self._complete(body, reply, model)

    def _usage(self, body: dict, content: str) -> dict:
        prompt = _rough_token_count(body.get("messages", []))
        completion = len(split_tokens(content))
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def _send_bytes(self, status: int, content_type: str, data: bytes, byte_delay_s: float = 0.0) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if byte_delay_s > 0:
            self.wfile.flush()
            for i in range(len(data)):
                if i:
                    self._wait(byte_delay_s)
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
        else:
            self.wfile.write(data)
        self.wfile.flush()

    def _send_fault(self, reply: ScriptedReply, good: Any) -> None:
        """A 200 whose body is `good` (JSON), or the wrong shape named by reply.fault."""
        fault = reply.fault
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")
        if fault == "html":
            self._send_bytes(200, "text/html; charset=utf-8", HTML_PAGE, reply.byte_delay_s)
        elif fault == "text":
            self._send_bytes(200, "text/plain; charset=utf-8", b"Service is up.\n", reply.byte_delay_s)
        elif fault == "endless":
            self._send_bytes(200, "application/json", b'{"choices": "' + b"a" * ENDLESS_BYTES)
        elif fault == "sse":
            chunk = {"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 0, "model": "m",
                     "choices": [{"index": 0, "delta": {"content": reply.content}, "finish_reason": None}]}
            data = b"data: " + json.dumps(chunk).encode() + b"\n\ndata: [DONE]\n\n"
            self._send_bytes(200, "text/event-stream", data, reply.byte_delay_s)
        else:
            if isinstance(good, dict) and fault in ("empty_choices", "no_choices", "null_message"):
                good = dict(good)
                if fault == "empty_choices":
                    good["choices"] = []
                elif fault == "no_choices":
                    good.pop("choices", None)
                else:
                    good["choices"] = [{"index": 0, "message": None, "finish_reason": "stop"}]
            elif fault == "json_list":
                good = [{"content": reply.content}]
            elif fault == "error":
                good = {"error": {"message": "model is not loaded", "type": "server_error"}}
            elif fault == "null":
                good = None
            data = json.dumps(good).encode("utf-8")
            self._send_bytes(200, "application/json", data, reply.byte_delay_s)

    def _complete(self, body: dict, reply: ScriptedReply, model: str) -> None:
        self._send_fault(reply, {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": reply.content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }],
            "usage": self._usage(body, reply.content),
            "system_fingerprint": "fp_voicetrainer",
        })

    def _stream_fault(self, reply: ScriptedReply, completion_id: str, model: str) -> bool:
        """A streamed reply of the wrong shape; False when the fault has no streaming form."""
        if reply.fault in ("html", "text"):  # the server ignores `stream` and sends a page
            self._send_fault(reply, None)
            return True
        if reply.fault == "endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._write_chunk(b'data: {"choices": [{"index": 0, "delta": {"content": "')
            for _ in range(ENDLESS_BYTES // 65536):
                self._write_chunk(b"a" * 65536)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return True
        if reply.fault in (None, "sse"):
            return False
        if reply.fault not in FAULTS:
            raise ValueError(f"unknown fault {reply.fault!r}; one of {', '.join(FAULTS)}")
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        base = {"id": completion_id, "object": "chat.completion.chunk", "created": 0, "model": model}
        events = {"empty_choices": {**base, "choices": []}, "no_choices": base,
                  "null_message": {**base, "choices": [{"index": 0, "delta": None, "finish_reason": None}]},
                  "json_list": [{"content": reply.content}], "null": None,
                  "error": {"error": {"message": "model is not loaded", "type": "server_error"}}}[reply.fault]
        for _ in range(3):
            self._write_chunk(b"data: " + json.dumps(events).encode("utf-8") + b"\n\n")
        self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        return True

    def _write_chunk(self, data: bytes, byte_delay_s: float = 0.0) -> None:
        if byte_delay_s > 0:  # a slow body: the event arrives one byte at a time
            for i in range(len(data)):
                if i:
                    self._wait(byte_delay_s)
                self.wfile.write(b"1\r\n%s\r\n" % data[i:i + 1])
                self.wfile.flush()
            return
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _stream(self, body: dict, reply: ScriptedReply, model: str) -> None:
        if self._stream_fault(reply, f"chatcmpl-{uuid.uuid4().hex[:24]}", model):
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())

        def event(choices: list, **extra: Any) -> None:
            payload = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
                       "model": model, "system_fingerprint": "fp_voicetrainer", "choices": choices, **extra}
            self._write_chunk(b"data: " + json.dumps(payload).encode("utf-8") + b"\n\n", reply.byte_delay_s)

        def choice(delta: dict, finish_reason: str | None = None) -> list:
            return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]

        self._wait(reply.first_token_delay_s)
        event(choice({"role": "assistant", "content": "", "refusal": None}))
        gap = 1.0 / reply.tokens_per_s if reply.tokens_per_s and reply.tokens_per_s > 0 else 0.0
        for i, token in enumerate(split_tokens(reply.content)):
            if i and gap:
                self._wait(gap)
            event(choice({"content": token}))
        event(choice({}, "stop"))
        stream_options = body.get("stream_options") or {}
        if isinstance(stream_options, dict) and stream_options.get("include_usage"):
            event([], usage=self._usage(body, reply.content))
        self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class OpenAIServer:
    """A scripted OpenAI-compatible chat server on 127.0.0.1 (random free port), in a daemon thread.

    `replies` is a list consumed in order (then `default` for every later request), or a callable
    that receives each request body (parsed JSON) and returns the reply. A reply is a str (the
    assistant's content) or a ScriptedReply (status, delays, streaming pace).
    """

    def __init__(self, replies: list[ReplyLike] | Callable[[dict], ReplyLike] | None = None,
                 default: ReplyLike = "Okay.", model: str = "test-model", json_schema: bool = True,
                 models: ReplyLike | None = None):
        if replies is not None and not callable(replies):
            replies = [_as_reply(r) for r in replies]
        self._replies = replies
        self.default = _as_reply(default)
        self.model = model
        self.json_schema = json_schema  # False: refuse response_format json_schema with a 400, like older servers
        self.models = None if models is None else _as_reply(models)  # GET /v1/models answers this (a fault)
        self.created = int(time.time())
        self.requests: list[dict] = []
        self.errors: list[str] = []  # unexpected handler exceptions (kept instead of printed)
        self._lock = threading.Lock()
        self._index = 0
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "OpenAIServer":
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"OpenAIServer:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()  # wakes handlers sleeping in delays
        server.shutdown()
        server.server_close()
        with server.connections_lock:
            connections = list(server.open_connections)
        for conn in connections:  # unblock keep-alive handlers waiting for another request
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> "OpenAIServer":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("OpenAIServer is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # ------------------------------------------------------------------ scripting
    def _record(self, body: dict, auth_present: bool) -> None:
        entry = dict(body)
        entry["_auth_present"] = auth_present
        with self._lock:
            self.requests.append(entry)

    def _next_reply(self, body: dict) -> ScriptedReply:
        replies = self._replies
        if callable(replies):
            return _as_reply(replies(body))
        with self._lock:
            if replies and self._index < len(replies):
                reply = replies[self._index]
                self._index += 1
                return reply
        return self.default
