"""The LLM line generator: any OpenAI-compatible chat server through the `openai` client.

The system prompt is rendered from `prompts/customer.j2` with the persona, the current
mood and what just moved it, and the persona's authored lines as style examples. Replies
are streamed and sanitized. Errors surface as LLMError; the Customer falls back to a
scripted line and the call loop journals the failure.

Bounded: a reply is read within `reply_deadline_s` in all, and kept to `max_reply_chars`
(the request's max_tokens is only a wish the server may ignore); a longer reply is cut at
the last sentence end before the limit, the request is closed, and `last_cut` says so for
the journal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from ..config import LLMSettings
from ..customer import ReplyContext
from ..errors import LLMError
from ..llm_client import (WrongShape, chunk_text, describe_body, import_openai, make_client, plain_llm_errors,
                          pumped, read_body, sse_events)
from ..prompts import prompt_environment
from ..sentences import SentenceSplitter
from .sanitize import AGENT_LABEL, sanitize


# Raw bytes of one streamed reply: max_reply_chars of text come in a few tens of kB of
# events; far more is a server that does not stop (the cap keeps memory flat).
MAX_STREAM_BYTES = 4_000_000

SITUATION_GUIDE = {
    "opening": "Answer the agent's greeting by explaining why you are calling, in your current mood.",
    "venting": "Keep pressing your problem; nothing the agent said has helped yet.",
    "answering": "Answer the agent's question with the fact they asked for, in your current mood.",
    "dismissed": "React to being brushed off (an excuse, 'I can't', policy, blame or 'calm down').",
    "acknowledged": "The agent showed they listened or took charge; soften a little but still want it fixed.",
    "accepting": "Accept the resolution the agent offered; say what you are holding them to.",
    "satisfied": "You are satisfied; reply briefly and politely.",
    "hanging_up": "You have had enough: say so and end the call.",
    "boundary": "The agent asked you to mind your language; react in character.",
    "supervisor": "Demand a supervisor or manager.",
    "escalated": "The agent offered to escalate or transfer you; react and say what you expect.",
    "goodbye": "Say goodbye briefly.",
    "idle": "The agent has gone silent; check whether they are still there.",
    "interrupted": "The agent talked over you; react.",
    "deflecting": "The agent asked something, but not the question you are waiting for: dodge it and "
                  "keep back what you are hiding.",
}


class LLMGenerator:
    """Streams one customer reply per agent turn from a chat-completions endpoint."""

    def __init__(self, settings: LLMSettings, prompts_dir: Path | None = None, client=None):
        self.settings = settings
        self.name = f"llm:{settings.model_name}"
        self._client = client or make_client(settings)
        env = prompt_environment(prompts_dir, keep_trailing_newline=True)
        self._template = env.get_template("customer.j2")
        self.last_cut: str | None = None  # why the last reply was cut short, if it was

    def warm_up(self, timeout_s: float = 2.0) -> None:
        """Open the connection before the call; LLMError if nothing answers, if the key is
        refused (401/403), or if what answers is not an OpenAI-compatible server."""
        openai = import_openai()
        client = self._client.with_options(max_retries=0, timeout=timeout_s)

        def produce():
            with client.models.with_streaming_response.list() as response:
                yield response.headers.get("content-type", "")
                yield from response.iter_bytes()

        with plain_llm_errors("The LLM server", self.settings, deadline_s=2 * timeout_s):
            try:
                content_type, body = read_body(produce, 2 * timeout_s, 1_000_000)
            except (openai.APITimeoutError, openai.APIStatusError) as exc:
                if getattr(exc, "status_code", None) in (401, 403):
                    raise
                return  # slow, or it does not list models: it is there, the first turn will tell
            text = body.decode("utf-8", errors="replace")
            what = describe_body(content_type, text)
            if what is None and not isinstance(json.loads(text), dict):
                what = "JSON that is not an object"
            if what is not None:
                raise WrongShape(what)

    def messages(self, ctx: ReplyContext) -> list[dict]:
        examples = ctx.persona.lines_for(ctx.situation, ctx.band) or ctx.persona.lines_for("venting", ctx.band)
        system = self._template.render(
            persona=ctx.persona, mood=ctx.mood, band=ctx.band,
            moved_by=[(b, d) for b, d in (ctx.update.moved_by if ctx.update else ()) if b != "drift"],
            situation=ctx.situation, situation_guide=SITUATION_GUIDE.get(ctx.situation, ""),
            facts=ctx.facts, examples=[e.replace("{fact}", "...") for e in examples[:6]],
            repeat_demand=ctx.repeat_demand,
        )
        chat = [{"role": "system", "content": system}]
        for speaker, text in ctx.history:
            chat.append({"role": "user" if speaker == "agent" else "assistant", "content": text})
        return chat

    def stream(self, ctx: ReplyContext) -> Iterator[str]:
        """Raw text deltas as the server sends them, at most `max_reply_chars` in all.

        Sets `last_cut` when the limit was reached (the request is closed there)."""
        settings, messages = self.settings, self.messages(ctx)
        self.last_cut = None

        create = self._client.chat.completions.with_streaming_response.create

        def produce():
            with create(model=settings.model_name, messages=messages, stream=True,
                        temperature=settings.temperature, max_tokens=120) as response:
                kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if kind and kind != "text/event-stream":
                    raise WrongShape("a web page" if "html" in kind else f"{kind} instead of an event stream")
                # leaving the with block (barge-in, a cut, the deadline) closes the request
                yield from sse_events(response.iter_bytes(), MAX_STREAM_BYTES)

        room, events = settings.max_reply_chars, 0
        with plain_llm_errors("The LLM server", settings, deadline_s=settings.reply_deadline_s):
            chunks = pumped(produce, settings.reply_deadline_s)
            try:
                for chunk in chunks:
                    events += 1
                    text = chunk_text(chunk)
                    if len(text) >= room:
                        self.last_cut = f"the reply was cut at {settings.max_reply_chars} characters (llm.max_reply_chars)"
                        yield text[:room]
                        return
                    room -= len(text)
                    if text:
                        yield text
            finally:
                chunks.close()
            if not events:
                raise WrongShape("an empty event stream")
            if room == settings.max_reply_chars:  # events, but not one word in them
                raise WrongShape("a stream of chunks without any text")

    def sentences(self, ctx: ReplyContext) -> Iterator[str]:
        """Sanitized sentences as the tokens arrive; stops where the model starts the agent's line.

        A reply cut at the character limit loses its unfinished last sentence: the customer
        never says half a sentence."""
        splitter = SentenceSplitter()
        deltas = self.stream(ctx)
        said = False
        try:
            for delta in deltas:
                for raw in splitter.feed(delta):
                    if AGENT_LABEL.match(raw):
                        return
                    if clean := sanitize(raw, (ctx.persona.name,)):
                        said = True
                        yield clean
            if self.last_cut and not said:
                raise LLMError(f"The LLM server's reply had no sentence end in its first "
                               f"{self.settings.max_reply_chars} characters.", hint="try another model")
            for raw in ([] if self.last_cut else splitter.flush()):
                if AGENT_LABEL.match(raw):
                    return
                if clean := sanitize(raw, (ctx.persona.name,)):
                    yield clean
        finally:
            deltas.close()

    def generate(self, ctx: ReplyContext) -> str:
        text = sanitize(" ".join(self.sentences(ctx)), (ctx.persona.name,))
        if not text:
            raise LLMError("The LLM returned nothing speakable.", hint="try another model")
        return text
