"""The call record: what a session folder's session.json and grade.json hold, as pydantic models.

The session is the spine of the tool: written once by the call loop, read by the grader, the
report and history, and by anything outside (an LMS export, a trainer's script) through the
JSON Schemas in docs/schema/. It is self-contained: the persona as used (a snapshot and its
hash), the parts that made the call, and every turn with what was detected in it and what
the customer side did about it. `schema_version` says which shape a file has; older shapes
are upgraded on load (record/upgrade.py).

Fields that are None are left out of the written JSON (a text call has no audio, a customer
turn no detections), so readers test for presence, as they always have.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SESSION_SCHEMA_VERSION = 2  # 1: the unversioned session.json written before the record was typed
GRADE_SCHEMA_VERSION = 1


class _Record(BaseModel):
    # Machine-written, but read back from disk: a misspelt or unknown field is an error, not
    # something silently carried along.
    model_config = ConfigDict(extra="forbid")


class DetectionRecord(_Record):
    """One behaviour heard in an agent turn, as the call decided it (the grader uses these)."""

    behaviour: str = Field(description="Behaviour id (voicetrainer/data/behaviours.yaml).")
    trigger: str = Field("", description="The words that triggered it, as in the normalised turn text; "
                                         "for paraphrase the caller's words the agent repeated.")
    start: int = Field(-1, description="Character span of the trigger in the normalised text; -1 when not placed.")
    end: int = Field(-1)
    confidence: float = Field(1.0, ge=0, le=1, description="The learned head's probability for this behaviour "
                                                         "(1 for timing, and for rules when no heads are installed).")
    found_by: Literal["rules", "model", "rules+model", "timing"] = Field(
        "rules", description="Which reader heard it: the phrase rules, the learned heads, or both.")
    kind: Literal["words", "timing"] = Field(
        "words", description="words: heard in what the agent said; timing: measured by the call loop "
                             "(talking over the customer, dead air).")


class WordRecord(_Record):
    """A transcribed word on the call's timeline (seconds)."""

    w: str
    s: float
    e: float


class Turn(_Record):
    index: int = Field(ge=0)
    speaker: Literal["agent", "customer"]
    text: str
    start_s: float
    end_s: float
    mood: float | None = Field(None, description="The customer's frustration (0-10) after this turn.")
    behaviours: list[str] = Field(default_factory=list, description="The ids of `detections`, in order.")
    # -- agent turns ----------------------------------------------------------------------
    detections: list[DetectionRecord] | None = None
    mood_before: float | None = Field(None, description="Frustration before the customer heard this agent turn.")
    moved_by: list[tuple[str, float]] | None = Field(
        None, description="What moved the mood on this turn and by how much: (behaviour id or 'drift', change).")
    outcome: str | None = Field(None, description="What the mood engine decided: continue, accept, satisfied, "
                                                   "goodbye, supervisor or hang_up.")
    words: list[WordRecord] | None = None
    audio: str | None = Field(None, description="The turn's recording, relative to the session folder.")
    stt_ms: int | None = None
    stt_tail_s: float | None = None
    endpoint_ms: int | None = None
    # -- customer turns -------------------------------------------------------------------
    situation: str | None = Field(None, description="What the customer was doing (personas.Situation).")
    abusive: bool | None = Field(None, description="The line was abusive (from the persona's line tags), when known.")
    caller_first_sentence_ms: int | None = None
    caller_ms: int | None = None
    tts_first_audio_ms: int | None = None
    tts_ms: int | None = None
    response_ms: int | None = None
    voice_to_voice_ms: int | None = None
    caller_error: str | None = None
    reply_cut: str | None = Field(None, description="Why the customer's reply was cut short (too long a reply from the LLM, or its audio).")
    interrupted_at_s: float | None = None

    @model_validator(mode="after")
    def _behaviours_are_the_detections(self) -> "Turn":
        # One source of truth: the tags shown and the evidence graded are the same detections.
        if self.detections is not None and self.behaviours != [d.behaviour for d in self.detections]:
            raise ValueError(f"turn {self.index}: behaviours {self.behaviours} differ from its detections "
                             f"{[d.behaviour for d in self.detections]}")
        return self


class Note(BaseModel):
    """Something that happened besides a turn (caller_error, interrupted, incomplete, upgraded, a
    source's own notes such as a replayed line); sources add their own fields."""

    model_config = ConfigDict(extra="allow")
    event: str


class RubricRef(_Record):
    name: str
    version: int


class Session(_Record):
    """One call, as saved in session.json."""

    schema_version: Literal[2] = SESSION_SCHEMA_VERSION
    persona: str = Field(description="The persona's id.")
    persona_name: str = ""
    persona_snapshot: dict[str, Any] | None = Field(
        None, description="The persona as used in the call (persona.schema.json); None only for a session "
                          "upgraded from before snapshots whose persona file could not be found.")
    persona_sha256: str | None = Field(None, description="sha256 of the snapshot's canonical JSON.")
    started_at: str | None = None
    caller: str | None = Field(None, description="scripted, or llm:<model>.")
    stt_model: str | None = None
    tts: str | None = None
    mood_start: float | None = None
    mode: str | None = Field(None, description="offline, live (headset), browser (voicetrainer serve) or text.")
    voicetrainer: str | None = Field(None, description="The version that held the call.")
    rubric: RubricRef | None = Field(None, description="The rubric the call was set up to be graded with "
                                                       "(a re-grade may use another; grade.json says which).")
    seed: int | None = None
    agent_audio: str | None = None
    end_silence_ms: int | None = None
    end_of_turn: Literal["fixed", "smart"] | None = Field(
        None, description="How the agent's turns were ended (live and --realtime): fixed, --end-silence; "
                          "smart, the end-of-turn model (--turn-end smart). Each turn's decision is an "
                          "end_of_turn note.")
    push_to_talk: bool | None = None
    exam: bool | None = None
    scenario: str | None = None
    turns: list[Turn] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)
    ended_by: str
    duration_s: float = 0.0
    final_mood: float | None = None
    error: str | None = None

    @model_validator(mode="after")
    def _snapshot_matches_its_hash(self) -> "Session":
        if self.persona_snapshot is not None and persona_hash(self.persona_snapshot) != self.persona_sha256:
            raise ValueError("the persona snapshot does not match its sha256 (the file was edited after the call)")
        return self

    def document(self) -> dict:
        """The JSON document (what session.json holds and the grader, report and history read)."""
        return self.model_dump(mode="json", exclude_none=True)

    @property
    def cannot_promise(self) -> list[str]:
        """What the persona as used says cannot be promised ([] without a snapshot)."""
        return list(((self.persona_snapshot or {}).get("scenario") or {}).get("cannot_promise") or [])


def persona_hash(snapshot: dict) -> str:
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def persona_snapshot(persona) -> dict:
    """{persona_snapshot, persona_sha256} for the call_started event of a call with `persona`."""
    from ..journal import redact

    # Hashed as the journal will hold it: the journal redacts anything key-like, and a hash of
    # the unredacted text would then never match again.
    snapshot = redact(persona.model_dump(mode="json"))
    return {"persona_snapshot": snapshot, "persona_sha256": persona_hash(snapshot)}


# -- grade.json ---------------------------------------------------------------------------

class Cited(_Record):
    turn: int
    quote: str
    behaviour: str | None = None
    effect: Literal["for", "against"] = "for"
    confidence: float | None = Field(None, description="The detector's confidence in the behaviour, when it came from words.")


class GradedCriterion(_Record):
    id: str
    name: str
    score: int | None = Field(ge=1, le=5, description="1-5, or None when the criterion does not apply.")
    weight: float
    evidence: list[Cited]
    reasoning: str
    advice: str | None
    better_phrasing: str | None


class GraderFinding(_Record):
    """Evidence only the whole call shows, found by the grader, not heard during the call."""

    turn: int
    behaviour: str
    quote: str
    why: str


class Grade(_Record):
    """One grading of a session, as saved in grade.json."""

    schema_version: Literal[1] = GRADE_SCHEMA_VERSION
    overall: int = Field(ge=0, le=100)
    outcome: str = Field(description="How the call ended (the session's ended_by).")
    judge: str = Field(description="rules, or llm:<model>.")
    rubric: RubricRef
    persona: str | None
    criteria: list[GradedCriterion]
    metrics: dict[str, Any] = Field(description="Layer 1: timing and voice figures, and the customer's mood track.")
    wins: list[str]
    suggestion: str | None
    flags: list[str]
    found_by_grader: list[GraderFinding] = Field(default_factory=list)


def detection_records(detections) -> list[dict]:
    """behaviours.Detection values as the turn records them. A detection with no words whose
    behaviour is measured from timing (interrupts, dead air) came from the call loop's clock."""
    from ..behaviours import load_behaviours

    timing = {b.id for b in load_behaviours().values() if b.timing}
    return [{"behaviour": d.behaviour, "trigger": d.trigger, "start": d.start, "end": d.end,
             # the detector's confidence when it has one (rules: 1.0)
             "confidence": float(getattr(d, "confidence", 1.0)),
             "found_by": "timing" if d.behaviour in timing and not d.trigger else getattr(d, "source", "rules"),
             "kind": "timing" if d.behaviour in timing and not d.trigger else "words"}
            for d in detections]
