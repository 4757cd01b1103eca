"""Persona files: who the difficult customer is, what they know, how their mood moves.

Personas are YAML written by trainers (`personas/*.yaml`); these pydantic models are the
single definition of the format (the JSON Schema in `personas/persona.schema.json` is
generated from them).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from .behaviours import BEHAVIOUR_IDS
from .errors import NotFoundError
from .shipped import shipped_dir
from .yamlfile import load_model

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PERSONAS_DIR = shipped_dir("personas")  # the repository's personas/, or the wheel's copy

Band = Literal["calm", "annoyed", "angry"]
BANDS: tuple[Band, ...] = ("calm", "annoyed", "angry")

# What the customer can be doing in a reply; the mood engine picks one per turn.
Situation = Literal[
    "opening",        # first reply, to the agent's greeting
    "venting",        # nothing the agent said helped or hurt much: keep pressing the problem
    "answering",      # the agent asked for a fact the customer knows
    "dismissed",      # the agent said "I can't", cited policy, blamed others, said "calm down"
    "acknowledged",   # the agent showed empathy or took ownership, not yet enough to settle
    "accepting",      # the customer accepts the resolution on offer
    "satisfied",      # after accepting: short, friendly replies until the agent closes
    "hanging_up",     # the customer has had enough and ends the call
    "boundary",       # the agent set a boundary about the customer's language
    "supervisor",     # the customer demands a supervisor
    "escalated",      # the agent offered to escalate / transfer
    "goodbye",        # the agent closed the call after the customer was satisfied
    "idle",           # the agent went silent ("Hello? Are you still there?")
    "interrupted",    # the agent talked over the customer
    "demand",         # habits.repeats_demand: the customer re-asks their main demand (added to a reply)
    "deflecting",     # a hidden fact is still kept back and the agent's question missed it
]
SITUATIONS: tuple[str, ...] = Situation.__args__  # type: ignore[attr-defined]


def _known_behaviour(value: str) -> str:
    if value not in BEHAVIOUR_IDS:
        import difflib

        close = difflib.get_close_matches(value, sorted(BEHAVIOUR_IDS), n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(sorted(BEHAVIOUR_IDS))}"
        raise ValueError(f"unknown behaviour '{value}' ({hint})")
    return value


BehaviourId = Annotated[str, AfterValidator(_known_behaviour)]
# Editors offer the behaviour ids as completions (the schema lists them).
_BEHAVIOUR_KEYS = {"propertyNames": {"enum": sorted(BEHAVIOUR_IDS)}}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fact(_Strict):
    """Something the customer knows and says when the agent asks for it."""

    key: str = Field(description="Short id, e.g. order_number.")
    value: str = Field(description="The fact itself, e.g. 'BR-48213'.")
    asked_by: list[str] = Field(
        min_length=1,
        description="Words or phrases in an agent question that make the customer say this fact.",
    )
    say: str = Field(description="How the customer says it aloud.")
    volunteers: bool = Field(False, description="Mentions it unprompted in venting (else only when asked).")
    hidden: bool = Field(
        False,
        description="Kept back until the agent asks with one of asked_by; other questions are dodged "
        "(situation 'deflecting') and the LLM caller is not told the value.",
    )


class Scenario(_Strict):
    company: str
    issue: str = Field(description="What went wrong, in one or two sentences.")
    history: str = Field("", description="What happened before this call (earlier calls, promises).")
    wants: str = Field(description="The resolution the customer will accept.")
    agent_may_offer: list[str] = Field(default_factory=list, description="What the agent is allowed to offer.")
    cannot_promise: list[str] = Field(
        default_factory=list,
        description="Promises that cannot be kept; an agent making them is making a false promise.",
    )
    facts: list[Fact] = Field(default_factory=list)


class Mood(_Strict):
    """The deterministic mood engine's settings; frustration runs 0 (calm) .. 10 (hangs up)."""

    start: float = Field(ge=0, le=10, description="Frustration when the call starts.")
    satisfied_at: float = Field(3, ge=0, le=10, description="At or below this, a resolution is accepted.")
    hang_up_at: float = Field(10, ge=0, le=10, description="At or above this, the customer hangs up.")
    supervisor_at: float | None = Field(
        None, ge=0, le=10, description="At or above this the customer demands a supervisor (null: never)."
    )
    drift_per_turn: float = Field(
        0.5, ge=0, le=3, description="Patience: mood rises by this after a turn that did nothing to help (0: endless patience)."
    )
    resistance: float = Field(
        1.0, ge=0.2, le=3, description="How much good handling it takes: calming effects are divided by this."
    )
    needs_resolution: list[BehaviourId] = Field(
        default_factory=lambda: ["gives_timeline"],
        json_schema_extra={"items": {"enum": sorted(BEHAVIOUR_IDS)}},
        description="Behaviours of which at least one must have happened before the customer accepts.",
    )
    reactions: dict[BehaviourId, float] = Field(
        description="Agent behaviour id -> change in frustration (negative calms, positive angers).",
        json_schema_extra=_BEHAVIOUR_KEYS,
    )
    hang_up_after_warnings: int | None = Field(
        None, ge=1,
        description="Abusive callers: once the agent has set this many boundaries (sets_boundary), a caller "
                    "still in the angry band keeps abusing and hangs up (null: never).",
    )
    bands: tuple[float, float] = Field(
        (4, 7), description="Mood at or above the first is 'annoyed', at or above the second 'angry'."
    )
    talks_over: bool = Field(False, description="Keeps talking for a moment when the agent barges in.")
    idle_after_s: float = Field(
        6.0, gt=0, description="Patience: seconds of agent silence before 'Hello? Are you still there?'."
    )

    # Field validators (not one model validator) so each problem points at its own line.
    @field_validator("hang_up_at")
    @classmethod
    def _above_satisfied(cls, value: float, info: ValidationInfo) -> float:
        satisfied = info.data.get("satisfied_at")
        if satisfied is not None and not satisfied < value:
            raise ValueError(f"{value:g} is not above satisfied_at {satisfied:g} (expected hang_up_at > satisfied_at)")
        return value

    @field_validator("bands")
    @classmethod
    def _increasing(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not value[0] <= value[1]:
            raise ValueError(f"{list(value)} is not increasing (expected [annoyed_from, angry_from], e.g. [4, 7])")
        return value

    def band(self, mood: float) -> Band:
        return "angry" if mood >= self.bands[1] else "annoyed" if mood >= self.bands[0] else "calm"


class Voice(_Strict):
    """Text-to-speech settings; rate and volume rise with frustration."""

    voice: str = Field("en-us", description="pyttsx3/espeak voice id or name fragment.")
    rate: int = Field(165, ge=80, le=400, description="Words per minute when calm.")
    rate_per_mood: float = Field(4.0, ge=0, le=20, description="Extra words per minute per frustration point.")
    volume: float = Field(0.8, ge=0.1, le=1.0)
    volume_per_mood: float = Field(0.02, ge=0, le=0.1)
    pitch: int = Field(50, ge=0, le=99, description="espeak pitch 0..99.")
    pitch_per_mood: float = Field(1.5, ge=0, le=5)


class Habits(_Strict):
    """Difficulty knobs about how the customer talks, whatever their mood."""

    verbosity: Literal["terse", "normal", "chatty"] = Field(
        "normal",
        description="terse: one sentence per reply; normal: the authored line; chatty: an extra "
        "venting line on top when pressing the problem.",
    )
    repeats_demand: int = Field(
        0, ge=0, le=5,
        description="Re-asks the main demand (a line from lines.demand) every N-th reply while "
        "pressing the problem, until the agent gives what needs_resolution asks for (0: never).",
    )
    abusive_in: list[Band] = Field(
        default_factory=list,
        description="Mood bands in which this caller insults the agent: the lines written for those bands are "
        "abuse, and the call records each one said as abusive (the boundaries criterion then applies).",
    )


Lines = dict[Situation, dict[Band, list[str]]]


class Persona(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(description="The customer's name.")
    archetype: str = Field(description="angry | passive_aggressive | confused_demanding | abusive | anxious | ...")
    difficulty: int = Field(ge=1, le=5)
    summary: str = Field(description="One line a trainer reads in `personas list`.")
    personality: str = Field(description="How they talk and what drives them (used by the LLM caller).")
    scenario: Scenario
    mood: Mood
    voice: Voice = Voice()
    habits: Habits = Habits()
    lines: Lines = Field(description="Authored lines per situation and mood band.")

    @field_validator("lines")
    @classmethod
    def _has_core_lines(cls, lines: Lines, info: ValidationInfo) -> Lines:
        needed = ["opening", "venting", "accepting", "hanging_up"]
        habits = info.data.get("habits")
        if habits is not None and habits.repeats_demand:
            needed.append("demand")
        missing = [s for s in needed if not any(lines.get(s, {}).values())]
        if missing:
            raise ValueError(f"no lines for {', '.join(missing)} (expected at least one line for each"
                             f"{'; demand because habits.repeats_demand is set' if 'demand' in missing else ''})")
        return lines

    def lines_for(self, situation: str, band: Band) -> list[str]:
        """Authored lines for a situation, falling back to the nearest band that has some."""
        by_band = self.lines.get(situation, {})  # type: ignore[call-overload]
        order = {"calm": ("calm", "annoyed", "angry"), "annoyed": ("annoyed", "angry", "calm"),
                 "angry": ("angry", "annoyed", "calm")}[band]
        return next((by_band[b] for b in order if by_band.get(b)), [])


def load_persona(path: str | Path) -> Persona:
    return load_model(path, Persona)


def persona_files(directory: Path = DEFAULT_PERSONAS_DIR) -> list[Path]:
    return sorted(p for p in Path(directory).glob("*.yaml"))


def find_persona(name_or_path: str, directory: Path = DEFAULT_PERSONAS_DIR) -> Persona:
    """A persona by id (in `directory`) or by file path."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml"):
        if candidate.exists() or candidate.name != name_or_path:  # a file path: a missing one is named
            return load_persona(candidate)
        name_or_path = candidate.stem  # `angry_refund.yaml`: that file in the personas folder
    if not re.fullmatch(r"[\w-]+", name_or_path):  # `../../x` or `/etc/x` would leave the personas folder
        raise NotFoundError(
            f"'{name_or_path}' is not a persona id (an id is a plain name such as angry_refund).",
            hint="pass an id from `voicetrainer personas list`, or the path of a persona file ending in .yaml",
        )
    path = Path(directory) / f"{name_or_path}.yaml"
    if not path.exists():
        known = ", ".join(p.stem for p in persona_files(directory)) or "none"
        raise NotFoundError(
            f"There is no persona called '{name_or_path}'.",
            hint=f"known personas: {known} (`voicetrainer personas list`)",
        )
    return load_persona(path)


SCHEMA_FILE = DEFAULT_PERSONAS_DIR / "persona.schema.json"


def persona_json_schema() -> str:
    """The JSON Schema editors use to autocomplete and check persona files (committed as SCHEMA_FILE)."""
    import json

    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **Persona.model_json_schema()}
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
