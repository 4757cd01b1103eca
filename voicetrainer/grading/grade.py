"""Grade a saved session: measure (layer 1), gather evidence (layer 2), score (rules or LLM).

`grade(session, rubric)` is a pure function of the record: it reads no persona file (the
session holds the persona as used) and detects nothing again (it scores the detections the
call recorded), so a session can be re-graded later, elsewhere, with another rubric or
model, after its persona file changed or was deleted. The only files it reads are the
session's own recordings, for the voice metrics. Without an LLM the result is
deterministic: the same session and rubric give byte-identical grade.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

from ..errors import LLMError
from ..record.models import GRADE_SCHEMA_VERSION, Grade, Session
from ..record.store import read_session
from ..rubric import Rubric, load_rubric
from .evidence import Evidence, grader_findings, turn_evidence
from .rules import overall, score_rubric
from .timing import timing_metrics
from .voice import voice_metrics
from .wins import break_suggestion, find_wins

GRADE_FILE = "grade.json"


class Judge(Protocol):
    """Scores the criteria from the transcript and the layers 1-2 evidence (the LLM judge)."""

    name: str

    def judge(self, session: dict, rubric: Rubric, evidence: list[Evidence], metrics: dict,
              rules_criteria: list[dict]) -> tuple[list[dict], list[str]]:
        """Criteria in the rules' shape, and flags (e.g. dropped invented quotes)."""


def mood_track(session: dict) -> dict:
    """The customer's frustration over the call: at the start, then after each turn."""
    turns = session.get("turns", [])
    start = session.get("mood_start", turns[0]["mood"] if turns else None)
    points = [{"turn": None, "t": 0.0, "mood": start}] if start is not None else []
    points += [{"turn": t["index"], "t": t.get("end_s", 0.0), "mood": t["mood"]} for t in turns if "mood" in t]
    moods = [p["mood"] for p in points]
    return {"start": start, "end": moods[-1] if moods else None, "peak": max(moods) if moods else None,
            "track": points}


def measure(audio_dir: Path | None, session: dict, rubric: Rubric) -> dict:
    """Layer 1; the voice from the turns' recordings in `audio_dir` (None: not measured)."""
    turns = session.get("turns", [])
    metrics = timing_metrics(turns, rubric.fillers, rubric.dead_air_s)
    metrics.update(voice_metrics(audio_dir or Path("."), turns if audio_dir else [],
                                 rubric.raised_voice_db, rubric.raised_pitch_st))
    metrics["customer_hung_up"] = 1 if session.get("ended_by") == "customer_hung_up" else 0
    metrics["customer_mood"] = mood_track(session)
    return metrics


def grade(session: Session, rubric: Rubric, judge: Judge | None = None, audio_dir: Path | None = None) -> dict:
    """The grade document for one call record (see README, "Grading"); `audio_dir` is the
    session folder holding its recordings, or None to leave the voice unmeasured."""
    doc = session.document()
    turns = doc["turns"]
    metrics = measure(audio_dir, doc, rubric)
    evidence = turn_evidence(turns, session.cannot_promise)
    criteria = score_rubric(rubric, evidence, metrics, turns)
    flags: list[str] = []
    judge_name = "rules"
    if judge is not None:
        try:
            criteria, flags = judge.judge(doc, rubric, evidence, metrics, criteria)
            judge_name = judge.name
        except LLMError as exc:  # the rules' scorecard stands, and says why
            flags = [f"{exc.message.rstrip('.')}; this grade is by the rules."]
        except Exception as exc:  # noqa: BLE001 - a judge's bug must not cost the rules' grade
            flags = [f"The LLM judge failed unexpectedly ({type(exc).__name__}); this grade is by the rules."]
    ended_by = doc.get("ended_by", "unknown")
    mood = metrics["customer_mood"]
    result = {
        "schema_version": GRADE_SCHEMA_VERSION,
        "overall": overall(criteria),
        "outcome": ended_by,
        "judge": judge_name,
        "rubric": {"name": rubric.name, "version": rubric.version},
        "persona": doc.get("persona"),
        "criteria": criteria,
        "metrics": metrics,
        "wins": find_wins(mood, evidence, metrics, criteria, ended_by),
        "suggestion": break_suggestion(mood, ended_by, rubric.hard_call_mood),
        "flags": flags,
        "found_by_grader": grader_findings(turns, session.cannot_promise),
    }
    Grade.model_validate(result)  # the published shape (docs/schema/grade.schema.json), checked every time
    return result


def grade_session(session_dir: str | Path, rubric: Rubric | None = None, judge: Judge | None = None,
                  audio: bool = True) -> dict:
    """Read a saved session folder (upgrading an old session) and grade it."""
    session_dir = Path(session_dir)
    return grade(read_session(session_dir), rubric or load_rubric(), judge, session_dir if audio else None)


def write_grade(session_dir: str | Path, grade: dict) -> Path:
    path = Path(session_dir) / GRADE_FILE
    tmp = path.with_suffix(".json.tmp")
    try:
        tmp.write_text(json.dumps(grade, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)
    except BaseException as exc:  # a full disk: no half-written temporary file left behind
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and not exc.filename:
            exc.filename = str(path)
        raise
    return path
