"""The deterministic mood engine: how the customer's frustration moves, and what they do.

Frustration runs 0 (calm) to 10 (hangs up). Each agent turn's detected behaviours move it
by the persona's reactions (calming effects divided by the persona's resistance); a turn
that does nothing to help lets it drift up (patience). A relevant question is progress,
not stalling: it holds the drift (the customer's reaction to questions still applies). The engine, not the line generator,
decides when the customer hangs up, accepts, or demands a supervisor, so behaviour is the
same whichever generator speaks the lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .personas import Band, Mood

POSITIVE_HELP = {"acknowledges_feelings", "apologises", "paraphrases", "takes_ownership", "gives_timeline",
                 "offers_alternative", "summarises", "escalates"}


@dataclass(frozen=True)
class MoodUpdate:
    before: float
    after: float
    moved_by: tuple[tuple[str, float], ...]  # (behaviour id or "drift", change)
    band: Band
    outcome: str  # continue | hang_up | accept | satisfied | goodbye | supervisor


@dataclass
class MoodEngine:
    settings: Mood
    mood: float = field(init=False)
    accepted: bool = field(init=False, default=False)
    supervisor_demanded: bool = field(init=False, default=False)
    resolution_seen: set[str] = field(init=False, default_factory=set)
    turns_since_accept: int = field(init=False, default=0)
    warnings: int = field(init=False, default=0)  # boundaries the agent has set about the caller's language

    def __post_init__(self) -> None:
        self.mood = self.settings.start

    @property
    def band(self) -> Band:
        return self.settings.band(self.mood)

    def react(self, behaviours: list[str], progress: bool = False) -> MoodUpdate:
        """Move the mood for one agent turn. `progress`: the turn moved the problem on without
        any of the helping behaviours (e.g. asked for a fact not given yet): no drift."""
        s = self.settings
        before = self.mood
        moved: list[tuple[str, float]] = []
        for b in dict.fromkeys(behaviours):  # each behaviour counts once per turn
            delta = s.reactions.get(b, 0.0)
            if delta < 0:
                delta /= s.resistance
            if delta:
                moved.append((b, round(delta, 2)))
        if not progress and not any(b in POSITIVE_HELP for b in behaviours) and not self.accepted:
            moved.append(("drift", s.drift_per_turn))
        self.mood = round(min(10.0, max(0.0, before + sum(d for _, d in moved))), 2)
        self.resolution_seen.update(b for b in behaviours if b in s.needs_resolution)
        self.warnings += "sets_boundary" in behaviours
        return MoodUpdate(before, self.mood, tuple(moved), self.band, self._outcome(behaviours))

    def _outcome(self, behaviours: list[str]) -> str:
        s = self.settings
        if self.mood >= s.hang_up_at:
            # A caller who would ask for a supervisor does so before walking away, even when one
            # bad turn jumps past supervisor_at: the agent gets that one last chance.
            if s.supervisor_at is not None and not self.supervisor_demanded and not self.accepted:
                self.supervisor_demanded = True
                return "supervisor"
            return "hang_up"
        if s.hang_up_after_warnings and self.warnings >= s.hang_up_after_warnings and self.band == "angry":
            return "hang_up"  # warned enough times and still abusive: the call ends
        if self.accepted:
            self.turns_since_accept += 1
            return "goodbye" if "closes_call" in behaviours or self.turns_since_accept >= 3 else "satisfied"
        if self.mood <= s.satisfied_at and (not s.needs_resolution or self.resolution_seen):
            self.accepted = True
            return "accept"
        if s.supervisor_at is not None and self.mood >= s.supervisor_at and not self.supervisor_demanded:
            self.supervisor_demanded = True
            return "supervisor"
        return "continue"
