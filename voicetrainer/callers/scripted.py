"""The offline line generator: persona-authored lines chosen by situation and mood band.

Deterministic for a seed, and never repeats a line while fresh ones remain.
"""

from __future__ import annotations

import random
import re
from typing import Callable, Iterator

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

# Many "dismissed" lines answer one kind of brush-off ("Policy? ..."): prefer one that answers
# the brush-off the agent just used, and avoid one that answers a brush-off they did not.
BRUSH_OFF_WORDS = {
    "apologises": re.compile(r"\b(?:you're|everybody's|everyone's|so) sorry\b|\bsorry (?:again|for the)\b|\bapolog", re.I),
    "cites_policy": re.compile(r"\bpolic(?:y|ies)\b|\brules\b", re.I),
    "blames_others": re.compile(r"\bdepartment\b|\bwhose (?:team|department)\b|\bsomeone else\b", re.I),
    "says_cant": re.compile(r"\byou can't\b|\bcan't do\b|\bthere's nothing\b|\bnothing at all\b|\bwhat you can't\b", re.I),
    "dismissive": re.compile(r"\bcalm down\b|\brelax\b", re.I),
}


def brush_off_fit(ctx: ReplyContext) -> Callable[[str], int]:
    """Scores a dismissed line: 2 answers this turn's brush-off, 1 answers none, 0 another one."""
    used = {b for b, delta in (ctx.update.moved_by if ctx.update else ()) if delta > 0}

    def fit(line: str) -> int:
        answers = {b for b, words in BRUSH_OFF_WORDS.items() if words.search(line)}
        return 2 if answers & used else 0 if answers else 1
    return fit


class ScriptedGenerator:
    name = "scripted"

    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)
        self.used: set[str] = set()

    def _pick(self, lines: list[str], fit: Callable[[str], int] = lambda line: 0) -> str:
        fresh = [line for line in lines if line not in self.used] or lines
        best = max(fit(line) for line in fresh)
        line = self.rng.choice([line for line in fresh if fit(line) == best])
        self.used.add(line)
        return line

    def _line(self, ctx: ReplyContext, situation: str) -> str:
        lines = ctx.persona.lines_for(situation, ctx.band)
        while not lines and situation in FALLBACK_SITUATION:
            situation = FALLBACK_SITUATION[situation]
            lines = ctx.persona.lines_for(situation, ctx.band)
        if not lines:
            return "..."
        return self._pick(lines, brush_off_fit(ctx)) if situation == "dismissed" else self._pick(lines)

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
