"""The offline line generator: persona-authored lines chosen by situation and mood band.

Deterministic for a seed, and never repeats a line while fresh ones remain.
"""

from __future__ import annotations

import random
from typing import Iterator

from ..customer import ReplyContext
from ..sentences import split_sentences

# When a persona has no lines for a situation, use the nearest one that makes sense.
FALLBACK_SITUATION = {
    "answering": "venting", "dismissed": "venting", "acknowledged": "venting", "boundary": "venting",
    "supervisor": "venting", "escalated": "acknowledged", "satisfied": "accepting", "goodbye": "accepting",
    "idle": "venting", "interrupted": "venting", "opening": "venting", "deflecting": "venting",
    "demand": "venting",
}
CHATTY = {"opening", "venting", "dismissed", "acknowledged", "deflecting"}  # where a chatty caller says more


class ScriptedGenerator:
    name = "scripted"

    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)
        self.used: set[str] = set()

    def _pick(self, lines: list[str]) -> str:
        fresh = [line for line in lines if line not in self.used] or lines
        line = self.rng.choice(fresh)
        self.used.add(line)
        return line

    def _line(self, ctx: ReplyContext, situation: str) -> str:
        lines = ctx.persona.lines_for(situation, ctx.band)
        while not lines and situation in FALLBACK_SITUATION:
            situation = FALLBACK_SITUATION[situation]
            lines = ctx.persona.lines_for(situation, ctx.band)
        return self._pick(lines) if lines else "..."

    def generate(self, ctx: ReplyContext) -> str:
        line = self._line(ctx, ctx.situation)
        verbosity = ctx.persona.habits.verbosity
        if ctx.situation == "answering":
            facts = " ".join(f.say for f in ctx.facts)
            line = facts if verbosity == "terse" else \
                line.replace("{fact}", facts) if "{fact}" in line else f"{facts} {line}"
        elif verbosity == "terse":
            line = terse(line.replace("{fact}", ""))
        elif verbosity == "chatty" and ctx.situation in CHATTY:
            line = f"{line} {self._line(ctx, 'venting')}"
        if ctx.repeat_demand:
            line = f"{line} {self._line(ctx, 'demand')}"
        return line.replace("{fact}", "").strip()

    def sentences(self, ctx: ReplyContext) -> Iterator[str]:
        return iter(split_sentences(self.generate(ctx)))


def terse(line: str) -> str:
    """One sentence that says something: skip leading interjections such as "Hi." or "Okay."."""
    sentences = split_sentences(line) or ["..."]
    return next((s for s in sentences if len(s.split()) > 2), sentences[-1])
