"""The simulated customer: mood engine + line generator.

The mood engine decides *what* the customer does next (the situation); a line generator
(scripted or LLM) decides the words. Both see the same ReplyContext.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from .behaviours import Detection, detect
from .mood import MoodEngine, MoodUpdate
from .personas import Band, Fact, Persona

NEGATIVE = {"says_cant", "cites_policy", "blames_others", "dismissive", "rude", "false_promise", "interrupts"}
POSITIVE = {"acknowledges_feelings", "apologises", "paraphrases", "takes_ownership", "gives_timeline",
            "offers_alternative", "summarises"}
OUTCOME_SITUATION = {"hang_up": "hanging_up", "accept": "accepting", "satisfied": "satisfied",
                     "goodbye": "goodbye", "supervisor": "supervisor"}


@dataclass(frozen=True)
class ReplyContext:
    persona: Persona
    situation: str
    band: Band
    mood: float
    update: MoodUpdate | None
    agent_text: str
    history: tuple[tuple[str, str], ...]  # (speaker, text), oldest first, ending with the agent's turn
    facts: tuple[Fact, ...] = ()  # facts the agent just asked for


class LineGenerator(Protocol):
    name: str  # "scripted" or "llm:<model>"

    def generate(self, ctx: ReplyContext) -> str: ...


@dataclass(frozen=True)
class CustomerReply:
    text: str
    situation: str
    update: MoodUpdate
    detections: tuple[Detection, ...]
    ends_call: bool
    ended_by: str | None  # customer_hung_up | customer_satisfied | agent_closed
    generator_error: str | None = None


def asked_facts(persona: Persona, agent_text: str, behaviours: list[str]) -> tuple[Fact, ...]:
    """Facts whose trigger words the agent used while asking a question."""
    if "asks_question" not in behaviours:
        return ()
    text = agent_text.lower()
    return tuple(
        f for f in persona.scenario.facts
        if any(re.search(rf"(?<!\w){re.escape(k.lower())}(?!\w)", text) for k in f.asked_by)
    )


def choose_situation(update: MoodUpdate, behaviours: list[str], facts: tuple[Fact, ...], first: bool) -> str:
    if update.outcome in OUTCOME_SITUATION:
        return OUTCOME_SITUATION[update.outcome]
    if "closes_call" in behaviours:
        return "hanging_up"  # the agent is ending the call before anything was resolved
    if "sets_boundary" in behaviours:
        return "boundary"
    if first:
        return "opening"
    if "escalates" in behaviours:
        return "escalated"
    if facts:
        return "answering"
    if NEGATIVE & set(behaviours):
        return "dismissed"
    if POSITIVE & set(behaviours):
        return "acknowledged"
    return "venting"


class Customer:
    """Reacts to each agent turn: updates the mood, picks a situation, gets the words."""

    def __init__(self, persona: Persona, generator: LineGenerator, fallback: LineGenerator | None = None):
        self.persona = persona
        self.generator = generator
        self.fallback = fallback  # the scripted generator, used when the LLM fails
        self.engine = MoodEngine(persona.mood)
        self.history: list[tuple[str, str]] = []

    @property
    def mood(self) -> float:
        return self.engine.mood

    def respond(self, agent_text: str, timing_behaviours: list[str] = ()) -> CustomerReply:
        caller_so_far = " ".join(t for s, t in self.history if s == "customer")
        detections = tuple(detect(agent_text, caller_so_far)) + tuple(Detection(b, "") for b in timing_behaviours)
        behaviours = [d.behaviour for d in detections]
        first = not any(s == "customer" for s, _ in self.history)
        update = self.engine.react(behaviours)
        facts = asked_facts(self.persona, agent_text, behaviours)
        situation = choose_situation(update, behaviours, facts, first)
        self.history.append(("agent", agent_text))
        ctx = ReplyContext(self.persona, situation, update.band, update.after, update, agent_text,
                           tuple(self.history), facts)
        error = None
        try:
            text = self.generator.generate(ctx)
        except Exception as exc:  # noqa: BLE001 - any generator failure falls back; it is journaled
            if self.fallback is None:
                raise
            error = f"{type(exc).__name__}: {exc}"
            text = self.fallback.generate(ctx)
        self.history.append(("customer", text))
        ended_by = {"hanging_up": "customer_hung_up", "goodbye": "customer_satisfied"}.get(situation)
        if situation == "goodbye" and "closes_call" in behaviours:
            ended_by = "agent_closed"
        if situation == "hanging_up" and update.outcome != "hang_up":
            ended_by = "agent_closed"
        return CustomerReply(text, situation, update, detections, ended_by is not None, ended_by, error)

    def idle_prompt(self) -> str:
        ctx = ReplyContext(self.persona, "idle", self.engine.band, self.mood, None, "", tuple(self.history))
        text = (self.fallback or self.generator).generate(ctx)
        self.history.append(("customer", text))
        return text
