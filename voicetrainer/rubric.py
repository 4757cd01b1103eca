"""The grading rubric: a data file trainers edit (prompts/rubric.yaml), checked by pydantic.

Criteria, weights, 1-5 anchors, the behaviours that count for and against each criterion,
when a criterion applies, and the rules that score it without an LLM. How the rules work is
written at the top of the shipped rubric file, for trainers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .personas import SITUATIONS, BehaviourId
from .shipped import shipped_dir
from .yamlfile import load_model

DEFAULT_RUBRIC = shipped_dir("prompts") / "rubric.yaml"

# What the metric rules can test; grading/metrics.py computes them (None when not measured).
MetricName = Literal[
    "talk_ratio", "dead_air_count", "talk_over_count", "words_per_minute", "fillers_per_minute",
    "raised_voice_turns", "pitch_range_semitones", "customer_hung_up",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class MetricRule(_Strict):
    """Points added when a measured metric is above or below a threshold."""

    metric: MetricName
    above: float | None = Field(None, description="The rule holds when the metric is above this.")
    below: float | None = Field(None, description="The rule holds when the metric is below this.")
    points: float = Field(description="Added to the score when the rule holds (negative lowers it).")
    each: bool = Field(False, description="Multiply the points by the metric's value (for counts).")
    limit: float | None = Field(None, gt=0, description="At most this many points, up or down, from this rule.")
    note: str = Field(description="What the rule means, shown as evidence, e.g. 'raised voice'.")

    @model_validator(mode="after")
    def _one_threshold(self) -> "MetricRule":
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of 'above' or 'below'")
        return self

    def holds(self, value: float) -> bool:
        return value > self.above if self.above is not None else value < self.below  # type: ignore[operator]


class Scoring(_Strict):
    start: float = Field(ge=1, le=5, description="The score before any evidence.")
    for_: dict[BehaviourId, float] = Field(default_factory=dict, alias="for",
                                           description="Behaviour -> points added per turn it is heard in.")
    against: dict[BehaviourId, float] = Field(default_factory=dict,
                                              description="Behaviour -> points subtracted per turn it is heard in.")
    max_turns: int = Field(2, ge=1, description="A behaviour in `for` counts in at most this many turns.")
    metrics: list[MetricRule] = Field(default_factory=list)

    @field_validator("for_", "against")
    @classmethod
    def _positive(cls, points: dict[str, float]) -> dict[str, float]:
        bad = [b for b, p in points.items() if p <= 0]
        if bad:
            raise ValueError(f"points must be positive (they are added for 'for', subtracted for 'against'): {', '.join(bad)}")
        return points


class AppliesWhen(_Strict):
    """A criterion applies when `always`, or when any of the listed things happened in the call."""

    always: bool = False
    agent_behaviours: list[BehaviourId] = Field(default_factory=list)
    customer_situations: list[str] = Field(default_factory=list)
    customer_abusive: bool = Field(False, description="Applies when the call recorded a customer line as abusive "
                                                      "(the persona's habits.abusive_in).")
    customer_phrases: list[str] = Field(default_factory=list,
                                        description="Regular expressions matched on whole words of the caller's lines "
                                                    "(for calls recorded before lines were tagged, and LLM lines).")
    not_applicable: str = Field("", description="Why the criterion did not apply, shown in the report.")

    @field_validator("customer_situations")
    @classmethod
    def _known_situations(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in SITUATIONS]
        if unknown:
            raise ValueError(f"unknown situation {', '.join(unknown)} (known: {', '.join(SITUATIONS)})")
        return values

    @field_validator("customer_phrases")
    @classmethod
    def _valid_regex(cls, values: list[str]) -> list[str]:
        for v in values:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"'{v}' is not a valid regular expression ({exc})") from None
        return values

    @model_validator(mode="after")
    def _some_condition(self) -> "AppliesWhen":
        if not (self.always or self.agent_behaviours or self.customer_situations or self.customer_phrases
                or self.customer_abusive):
            raise ValueError("say when the criterion applies: always: true, or agent_behaviours, "
                             "customer_situations or customer_phrases")
        return self


class Criterion(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    weight: float = Field(gt=0)
    description: str
    applies_when: AppliesWhen
    anchors: dict[Literal[1, 2, 3, 4, 5], str] = Field(description="What a 1, 2, 3, 4 and 5 look like.")
    scoring: Scoring
    advice: str = Field(description="One tip, shown when the score is below 5.")
    better_phrasing: dict[str, str] = Field(
        default_factory=dict,
        description="Behaviour id in `against` (or 'missing') -> what to say instead.",
    )

    @field_validator("anchors")
    @classmethod
    def _all_anchors(cls, anchors: dict[int, str]) -> dict[int, str]:
        missing = [str(k) for k in range(1, 6) if k not in anchors]
        if missing:
            raise ValueError(f"anchors needed for every score 1-5; missing {', '.join(missing)}")
        return anchors

    @model_validator(mode="after")
    def _phrasing_keys(self) -> "Criterion":
        unknown = [k for k in self.better_phrasing if k != "missing" and k not in self.scoring.against]
        if unknown:
            raise ValueError(f"better_phrasing keys must be behaviours in scoring.against or 'missing': {', '.join(unknown)}")
        return self


class Rubric(_Strict):
    name: str
    version: int = 1
    fillers: list[str] = Field(default_factory=list, description="Filler words and phrases, counted per minute.")
    dead_air_s: float = Field(3.0, gt=0)
    raised_voice_db: float = Field(6.0, gt=0)
    raised_pitch_st: float = Field(4.0, gt=0)
    hard_call_mood: float = Field(9.0, ge=0, le=10)
    criteria: list[Criterion] = Field(min_length=1)

    @field_validator("criteria")
    @classmethod
    def _unique_ids(cls, criteria: list[Criterion]) -> list[Criterion]:
        ids = [c.id for c in criteria]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"criterion ids must be unique: {', '.join(dupes)}")
        return criteria


def load_rubric(path: str | Path | None = None) -> Rubric:
    """The rubric at `path` (default: the shipped prompts/rubric.yaml)."""
    return load_model(path or DEFAULT_RUBRIC, Rubric)
