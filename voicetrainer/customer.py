"""The simulated customer: mood engine + line generator.

The mood engine decides *what* the customer does next (the situation); a line generator
(scripted or LLM) decides the words. Both see the same ReplyContext.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Protocol

from .behaviours import Detection, content_words, detect
from .errors import LLMError
from .mood import MoodEngine, MoodUpdate
from .redact import redact
from .personas import Band, Fact, Persona

NEGATIVE = {"says_cant", "cites_policy", "blames_others", "dismissive", "rude", "false_promise", "interrupts"}
POSITIVE = {"acknowledges_feelings", "apologises", "paraphrases", "takes_ownership", "gives_timeline",
            "offers_alternative", "summarises"}
PRESSING = {"venting", "dismissed", "acknowledged", "deflecting"}  # still pushing the problem
CIVIL = {"answering", "accepting", "satisfied", "goodbye", "idle"}  # lines that give, agree or check in
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
    repeat_demand: bool = False  # habits.repeats_demand: end the reply by re-asking the main demand


class LineGenerator(Protocol):
    name: str  # "scripted" or "llm:<model>"

    def generate(self, ctx: ReplyContext) -> str: ...

    def sentences(self, ctx: ReplyContext) -> Iterator[str]:
        """The same reply, sanitized, one sentence at a time as soon as each is ready."""


@dataclass(frozen=True)
class CustomerReply:
    text: str
    situation: str
    update: MoodUpdate
    detections: tuple[Detection, ...]
    ends_call: bool
    ended_by: str | None  # customer_hung_up | customer_satisfied | agent_closed
    generator_error: str | None = None
    cut: str | None = None  # why the generator cut the reply short (too long), for the journal
    abusive: bool = False  # the simulation's own tag: an insulting line (persona habits.abusive_in)


class ReplyStream:
    """A reply whose course is decided (mood, situation, whether the call ends) and whose
    words arrive sentence by sentence. Iterate it once; `text` is the whole reply after.
    Stopping early (barge-in) records only what was generated."""

    def __init__(self, customer: "Customer", ctx: ReplyContext | None, situation: str,
                 update: MoodUpdate | None, detections: tuple[Detection, ...], ended_by: str | None):
        self.situation, self.update, self.detections, self.ended_by = situation, update, detections, ended_by
        # The simulation knows when its caller is abusive: a pressing line in a band the persona insults in.
        band = ctx.band if ctx is not None else customer.engine.band
        self.abusive = situation not in CIVIL and band in customer.persona.habits.abusive_in
        self.ends_call = ended_by is not None
        self.text = ""
        self.generator_error: str | None = None
        self.cut: str | None = None  # the LLM's reply was longer than allowed and was cut
        self._customer, self._ctx = customer, ctx
        self._spoken: list[str] = []
        self._recorded = False
        self._sentences = self._generate()

    def __iter__(self) -> "ReplyStream":
        return self

    def __next__(self) -> str:
        return next(self._sentences)

    def close(self) -> None:
        self._sentences.close()
        self._record()  # also when it was closed before it started

    def _record(self) -> None:
        if not self._recorded:
            self._recorded = True
            self.text = " ".join(self._spoken)
            self._customer.history.append(("customer", self.text))

    def _generate(self) -> Iterator[str]:
        customer, spoken = self._customer, self._spoken
        try:
            if self._ctx is None:  # the idle check-in: always an authored line
                yield from _collect(spoken, (customer.fallback or customer.generator).sentences(self._idle_ctx()))
                return
            try:
                yield from _collect(spoken, customer.generator.sentences(self._ctx))
                self.cut = getattr(customer.generator, "last_cut", None)
                if not spoken:
                    raise LLMError("The LLM returned nothing speakable.", hint="try another model")
            except Exception as exc:  # noqa: BLE001 - any generator failure falls back; it is journaled
                if customer.fallback is None:
                    raise
                # one sentence for the journal and the report (an LLMError's own; anything else by name)
                self.generator_error = exc.message if isinstance(exc, LLMError) else redact(f"{type(exc).__name__}: {exc}")
                if not spoken:  # nothing said yet: say an authored line instead
                    yield from _collect(spoken, customer.fallback.sentences(self._ctx))
        finally:
            self._record()

    def _idle_ctx(self) -> ReplyContext:
        c = self._customer
        return ReplyContext(c.persona, "idle", c.engine.band, c.mood, None, "", tuple(c.history))


def _collect(spoken: list[str], sentences: Iterator[str]) -> Iterator[str]:
    for sentence in sentences:
        spoken.append(sentence)
        yield sentence


def asked_facts(persona: Persona, agent_text: str, behaviours: list[str]) -> tuple[Fact, ...]:
    """Facts whose trigger words the agent used while asking a question."""
    if "asks_question" not in behaviours:
        return ()
    text = agent_text.lower()
    return tuple(
        f for f in persona.scenario.facts
        if any(re.search(rf"(?<!\w){re.escape(k.lower())}(?!\w)", text) for k in f.asked_by)
    )


def choose_situation(update: MoodUpdate, behaviours: list[str], facts: tuple[Fact, ...], first: bool,
                     hiding: bool = False) -> str:
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
    if hiding and "asks_question" in behaviours:
        return "deflecting"  # a hidden fact is still kept back and this question missed it
    # A behaviour counts the way this caller felt it: a persona that bristles at apologies
    # (reaction > 0) hears one as a brush-off, not as acknowledgement.
    felt = dict(update.moved_by)
    judged = [b for b in behaviours if b in NEGATIVE | POSITIVE]
    if any(felt[b] > 0 if b in felt else b in NEGATIVE for b in judged):
        return "dismissed"
    if judged:
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
        self.revealed: set[str] = set()  # keys of facts already given
        self.pressing_replies = 0  # replies that pushed the problem, for habits.repeats_demand

    @property
    def mood(self) -> float:
        return self.engine.mood

    def reply(self, agent_text: str, timing_behaviours: list[str] = ()) -> ReplyStream:
        """React to an agent turn now; the words follow as the returned stream is read."""
        caller_so_far = " ".join(t for s, t in self.history if s == "customer")
        detections = tuple(detect(agent_text, caller_so_far)) + tuple(Detection(b, "") for b in timing_behaviours)
        behaviours = [d.behaviour for d in detections]
        first = not any(s == "customer" for s, _ in self.history)
        facts = asked_facts(self.persona, agent_text, behaviours)
        update = self.engine.react(behaviours, progress=self._moves_on(behaviours, agent_text))
        self.revealed.update(f.key for f in facts)
        hiding = any(f.hidden and f.key not in self.revealed for f in self.persona.scenario.facts)
        situation = choose_situation(update, behaviours, facts, first, hiding)
        self.history.append(("agent", agent_text))
        ctx = ReplyContext(self.persona, situation, update.band, update.after, update, agent_text,
                           tuple(self.history), facts, self._repeats_demand(situation))
        ended_by = {"hanging_up": "customer_hung_up", "goodbye": "customer_satisfied"}.get(situation)
        if situation == "goodbye" and "closes_call" in behaviours:
            ended_by = "agent_closed"
        if situation == "hanging_up" and update.outcome != "hang_up":
            ended_by = "agent_closed"
        return ReplyStream(self, ctx, situation, update, detections, ended_by)

    def respond(self, agent_text: str, timing_behaviours: list[str] = ()) -> CustomerReply:
        """The whole reply at once (the streamed reply, read to the end)."""
        stream = self.reply(agent_text, timing_behaviours)
        for _ in stream:
            pass
        return CustomerReply(stream.text, stream.situation, stream.update, stream.detections,
                             stream.ends_call, stream.ended_by, stream.generator_error, stream.cut, stream.abusive)

    def idle_reply(self) -> ReplyStream:
        """The customer checks whether the agent is still there (the agent said nothing)."""
        return ReplyStream(self, None, "idle", None, (), None)

    def idle_prompt(self) -> str:
        stream = self.idle_reply()
        for _ in stream:
            pass
        return stream.text

    def aside(self, situation: str) -> str:
        """A line that answers none of the agent's words (e.g. interrupted): the mood does not move."""
        ctx = ReplyContext(self.persona, situation, self.engine.band, self.mood, None, "", tuple(self.history))
        stream = ReplyStream(self, ctx, situation, None, (), None)
        for _ in stream:
            pass
        return stream.text

    def _moves_on(self, behaviours: list[str], agent_text: str) -> bool:
        """A question moves the call on unless it repeats one the agent already asked
        (asking again is stalling). Fact trigger words are too coarse to judge that:
        "what time do you need it by?" is not "since what time has it been down?"."""
        if "asks_question" not in behaviours:
            return False
        asked = set(content_words(agent_text))
        return not asked or not any(asked <= set(content_words(text)) for speaker, text in self.history
                                    if speaker == "agent")

    def _repeats_demand(self, situation: str) -> bool:
        """Every N-th pressing reply re-asks the main demand, until the agent has offered a resolution."""
        every = self.persona.habits.repeats_demand
        if not every or situation not in PRESSING or self.engine.resolution_seen or self.engine.accepted:
            return False
        self.pressing_replies += 1
        return self.pressing_replies % every == 0
