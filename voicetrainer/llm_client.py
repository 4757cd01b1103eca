"""The one place an OpenAI-compatible client is made and its replies are bounded.

Whatever the server sends is data from outside: a reply is read within a total deadline (a
server that drips a byte every few seconds never trips a read timeout, so the reading runs
in a pump thread and the caller stops waiting at the deadline), within a size limit, and
checked for shape. Every way it can go wrong ends as one LLMError sentence, with the
endpoint's URL redacted.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from .config import LLMSettings
from .errors import DependencyMissingError, LLMError
from .redact import redact, redact_url

NOT_OPENAI_HINT = ("check that the base URL is the server's OpenAI-compatible API "
                   "(it usually ends in /v1, e.g. http://localhost:11434/v1)")


class WrongShape(Exception):
    """A 200 reply that is not a chat completion; `what` says what came instead."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


class ServerSaid(Exception):
    """A 200 reply whose body is an error object (`{"error": ...}`), as some servers send mid-stream."""


def _error_message(doc) -> str | None:
    """The message of an `{"error": ...}` body without choices, else None."""
    if not isinstance(doc, dict) or "choices" in doc or not isinstance(doc.get("error"), (dict, str)):
        return None
    error = doc["error"]
    return str(error.get("message") if isinstance(error, dict) else error)[:160]


class TooSlow(Exception):
    """The total deadline for one reply passed."""


class TooLong(Exception):
    """A non-streamed reply larger than the limit."""


def import_openai():
    """The openai package, or a clear error with the install hint."""
    try:
        import openai
    except ImportError:
        raise DependencyMissingError("The openai package is not installed.", hint="pip install openai") from None
    return openai


def make_client(settings: LLMSettings):
    """A client for the configured endpoint; local servers need no key, so a placeholder is sent."""
    return import_openai().OpenAI(
        base_url=settings.base_url,
        api_key=settings.api_key.get_secret_value() if settings.api_key else "not-needed",
        timeout=settings.timeout_s,
        max_retries=settings.max_retries,
    )


def transport_errors() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """(timeouts, other transport errors) of the HTTP library under the openai client.

    The client wraps these only while sending; reading a streamed body raises them bare
    (a read timeout mid-reply, a connection dropped mid-body). Which library that is
    depends on the openai version (httpx, or httpx2 in newer ones), so both are looked up.
    """
    import importlib

    timeouts, others = [], []
    for name in ("httpx2", "httpx"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        timeouts.append(module.TimeoutException)
        others.append(module.HTTPError)
        others.append(module.StreamError)
    return tuple(timeouts), tuple(others)


@contextmanager
def plain_llm_errors(who: str, settings: LLMSettings, way_out: str = "", deadline_s: float | None = None):
    """Turn every failure of a request into one sentence and a hint (an LLMError).

    `who` names the speaker ("The LLM server", "The LLM judge"); `way_out` is what the user
    can do instead (e.g. "grade with --judge rules"), added to every hint.
    """
    openai = import_openai()
    timeouts, broken = transport_errors()
    also = f", or {way_out}" if way_out else ""
    where = f"{who} at {redact_url(settings.base_url) or 'api.openai.com'}"
    try:
        yield
    except TooSlow:
        within = f"within {deadline_s:g} s" if deadline_s else "in time"
        raise LLMError(f"{where} did not finish its reply {within}.",
                       hint=f"raise the deadline in the config file's llm section or use a faster model{also}") from None
    except TooLong as exc:
        raise LLMError(f"{where} sent a reply longer than {exc.args[0] // 1000} kB.",
                       hint=f"check the model and the server's log{also}") from None
    except ServerSaid as exc:
        said = redact(str(exc)).rstrip(".")
        raise LLMError(f"{where} answered with an error: {said}.",
                       hint=f"check the model name and the server's log{also}") from None
    except WrongShape as exc:
        raise LLMError(f"{where} did not answer like an OpenAI-compatible server: it sent {exc.what}.",
                       hint=NOT_OPENAI_HINT + also) from None
    except openai.APITimeoutError:
        raise LLMError(f"{where} timed out.", hint=f"raise llm.timeout_s or use a smaller model{also}") from None
    except openai.APIConnectionError:
        raise LLMError(f"{where} cannot be reached.",
                       hint=f"start the server or check VOICETRAINER_LLM_BASE_URL{also}") from None
    except openai.APIStatusError as exc:
        if exc.status_code in (401, 403):
            raise LLMError(f"{where} refused the API key (HTTP {exc.status_code}).",
                           hint="set VOICETRAINER_LLM_API_KEY (or OPENAI_API_KEY) to a key this server "
                                f"accepts{also}") from None
        raise LLMError(f"{who} answered with an error (HTTP {exc.status_code}).",
                       hint=f"check the model name and the server's log{also}") from None
    except timeouts:
        raise LLMError(f"{where} stopped sending in the middle of its reply (timed out).",
                       hint=f"raise llm.timeout_s or use a smaller model{also}") from None
    except broken:
        raise LLMError(f"{where} broke off its reply.", hint=f"check the server's log{also}") from None
    except openai.OpenAIError as exc:  # anything else the client raises (a malformed response…)
        raise LLMError(f"{where} failed ({type(exc).__name__}).",
                       hint=f"check the server's log{also}") from None


_END = object()


def pumped(produce: Callable[[], Iterator], deadline_s: float) -> Iterator:
    """Items of `produce()`, read in a daemon thread, until the deadline (then TooSlow).

    The deadline is the total time spent waiting for the server: the request and all its
    reading happen in the thread, so nothing blocks the caller longer than that. Time the
    caller spends between items (speaking a sentence before it wants the next) is its own
    and is not counted, so a long reply played in real time is not cut by it. The caller
    stopping (deadline, barge-in, a cut) tells the thread to stop, and it closes the
    response itself as soon as its current read returns (at most one read timeout later).
    """
    items: queue.Queue = queue.Queue(maxsize=16)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        source = None
        try:
            source = produce()
            for item in source:
                if not put(item):
                    break
            else:
                put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread
            put(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:  # noqa: BLE001 - the connection is going away anyway
                    pass

    waited = 0.0
    threading.Thread(target=run, name="llm-reply", daemon=True).start()
    try:
        while True:
            if waited >= deadline_s:
                raise TooSlow()
            started = time.monotonic()
            try:
                item = items.get(timeout=deadline_s - waited)
            except queue.Empty:
                raise TooSlow() from None
            finally:
                waited += time.monotonic() - started
            if item is _END:
                return
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        stop.set()


def read_body(produce: Callable[[], Iterator], deadline_s: float, max_bytes: int) -> tuple[str, bytes]:
    """(content type, body) of a non-streamed reply: `produce` yields the content type, then
    the body's bytes; read within the deadline, refused past `max_bytes`."""
    parts = pumped(produce, deadline_s)
    try:
        content_type = next(parts, "") or ""
        body, size = [], 0
        for chunk in parts:
            size += len(chunk)
            if size > max_bytes:
                raise TooLong(max_bytes)
            body.append(chunk)
    finally:
        parts.close()
    return content_type, b"".join(body)


def describe_body(content_type: str, text: str) -> str | None:
    """What a 200 body is when it is plainly not JSON (a web page, an event stream, text)."""
    kind = content_type.split(";")[0].strip().lower()
    head = text.lstrip()[:200].lower()
    if kind in ("text/html", "application/xhtml+xml") or head.startswith(("<!doctype html", "<html")):
        return "a web page"
    if kind == "text/event-stream" or head.startswith(("data:", "event:")):
        return "a stream of events to a request that asked for one reply"
    try:
        json.loads(text)
    except ValueError:
        return f"{kind or 'a body'} that is not JSON" if kind else "a body that is not JSON"
    return None


def completion_content(content_type: str, body: bytes) -> str:
    """The assistant's text from a non-streamed chat completion, or WrongShape."""
    text = body.decode("utf-8", errors="replace")
    if (what := describe_body(content_type, text)) is not None:
        raise WrongShape(what)
    doc = json.loads(text)
    if not isinstance(doc, dict):
        what = "JSON null" if doc is None else f"a JSON {type(doc).__name__}"
        raise WrongShape(f"{what} instead of a chat completion")
    if (said := _error_message(doc)) is not None:
        raise ServerSaid(said)
    choices = doc.get("choices")
    if not isinstance(choices, list):
        raise WrongShape("a completion without choices")
    if not choices:
        raise WrongShape("a completion with no choices")
    message = choices[0].get("message") if isinstance(choices[0], dict) else None
    if not isinstance(message, dict):
        raise WrongShape("a choice without a message")
    content = message.get("content")
    if isinstance(content, str):
        return content
    if message.get("refusal"):
        raise WrongShape(f"a refusal ({str(message['refusal'])[:120]})")
    raise WrongShape("a message without text")


def sse_events(byte_chunks: Iterator[bytes], max_bytes: int) -> Iterator:
    """The JSON payload of each `data:` event of a server-sent-event stream, until [DONE].

    Parsed here rather than by the openai client, whose decoder holds an event in memory
    until its end arrives: a server sending one endless line would fill the memory. Here
    the whole stream is refused past `max_bytes` (TooLong).
    """
    buffer, seen = b"", 0
    for chunk in byte_chunks:
        seen += len(chunk)
        if seen > max_bytes:
            raise TooLong(max_bytes)
        buffer += chunk
        if b"\n" not in chunk:
            continue  # the line goes on (and is bounded by max_bytes)
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            line = line.rstrip(b"\r")
            if not line.startswith(b"data:"):
                continue  # blank lines end events; `event:`, `id:` and `:` comments carry no text
            data = line[5:].strip()
            if data == b"[DONE]":
                return
            try:
                yield json.loads(data)
            except ValueError:
                raise WrongShape("an event whose data is not JSON") from None


def chunk_text(chunk) -> str:
    """The text delta of one streamed chunk ('' for role/usage/finish chunks), or WrongShape."""
    if (said := _error_message(chunk)) is not None:
        raise ServerSaid(said)
    choices = chunk.get("choices") if isinstance(chunk, dict) else _END
    if choices is _END or not (choices is None or isinstance(choices, list)):
        what = "null" if chunk is None else type(chunk).__name__
        raise WrongShape(f"an event that is not a chat-completion chunk (JSON {what})")
    if not choices or not isinstance(choices[0], dict):
        return ""
    delta = choices[0].get("delta")
    content = delta.get("content") if isinstance(delta, dict) else None
    return content if isinstance(content, str) else ""
