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
    "idle": "venting", "interrupted": "venting", "opening": "venting",
}


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

    def generate(self, ctx: ReplyContext) -> str:
        situation = ctx.situation
        lines = ctx.persona.lines_for(situation, ctx.band)
        while not lines and situation in FALLBACK_SITUATION:
            situation = FALLBACK_SITUATION[situation]
            lines = ctx.persona.lines_for(situation, ctx.band)
        line = self._pick(lines) if lines else "..."
        if ctx.situation == "answering":
            facts = " ".join(f.say for f in ctx.facts)
            line = line.replace("{fact}", facts) if "{fact}" in line else f"{facts} {line}"
        return line.replace("{fact}", "").strip()

    def sentences(self, ctx: ReplyContext) -> Iterator[str]:
        return iter(split_sentences(self.generate(ctx)))
