"""The LLM line generator: any OpenAI-compatible chat server through the `openai` client.

The system prompt is rendered from `prompts/customer.j2` with the persona, the current
mood and what just moved it, and the persona's authored lines as style examples. Replies
are streamed and sanitized. Errors surface as LLMError; the Customer falls back to a
scripted line and the call loop journals the failure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..config import LLMSettings
from ..customer import ReplyContext
from ..errors import LLMError
from ..llm_client import import_openai, make_client, plain_llm_errors
from ..prompts import prompt_environment
from ..sentences import stream_sentences
from .sanitize import AGENT_LABEL, sanitize


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

    def warm_up(self) -> None:
        """Open the connection before the call; raise LLMError only if nothing answers."""
        openai = import_openai()
        with plain_llm_errors("The LLM server", self.settings):
            try:
                self._client.with_options(max_retries=0, timeout=2.0).models.list()
            except (openai.APITimeoutError, openai.APIStatusError):
                pass  # slow, or it does not list models: it is there, the first turn will tell

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
        """Raw text deltas as the server sends them."""
        with plain_llm_errors("The LLM server", self.settings):
            response = self._client.chat.completions.create(
                model=self.settings.model_name, messages=self.messages(ctx), stream=True,
                temperature=self.settings.temperature, max_tokens=120,
            )
            try:
                for chunk in response:
                    if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
            finally:  # a cancelled reply (barge-in) ends the request now, not when the model finishes
                response.close()

    def sentences(self, ctx: ReplyContext) -> Iterator[str]:
        """Sanitized sentences as the tokens arrive; stops where the model starts the agent's line."""
        for raw in stream_sentences(self.stream(ctx)):
            if AGENT_LABEL.match(raw):
                return
            if clean := sanitize(raw, (ctx.persona.name,)):
                yield clean

    def generate(self, ctx: ReplyContext) -> str:
        text = sanitize("".join(self.stream(ctx)), (ctx.persona.name,))
        if not text:
            raise LLMError("The LLM returned nothing speakable.", hint="try another model")
        return text
