"""Grade a saved session: measure (layer 1), gather evidence (layer 2), score (rules or LLM).

The evaluator reads only the saved session folder and never touches audio devices, so a
session can be re-graded later, elsewhere, with another rubric or model. Without an LLM
the result is deterministic: the same session and rubric give byte-identical grade.json.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from ..errors import LLMError, VoiceTrainerError
from ..journal import load_session
from ..rubric import Rubric, load_rubric
from .evidence import Evidence, turn_evidence
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


def measure(session_dir: Path, session: dict, rubric: Rubric, audio: bool = True) -> dict:
    turns = session.get("turns", [])
    metrics = timing_metrics(turns, rubric.fillers, rubric.dead_air_s)
    if audio:
        metrics.update(voice_metrics(session_dir, turns, rubric.raised_voice_db, rubric.raised_pitch_st))
    else:
        metrics.update(voice_metrics(session_dir, [], rubric.raised_voice_db, rubric.raised_pitch_st))
    metrics["customer_hung_up"] = 1 if session.get("ended_by") == "customer_hung_up" else 0
    metrics["customer_mood"] = mood_track(session)
    return metrics


def cannot_promise(session: dict, personas_dir: Path | None) -> list[str]:
    """What the call's persona says cannot be promised ([] when the persona file is gone)."""
    from ..personas import DEFAULT_PERSONAS_DIR

    persona = session.get("persona")
    if not isinstance(persona, str) or not re.fullmatch(r"[\w-]+", persona):  # a session names a persona
        return []  # by id; `../..` in a saved (or edited) session.json must not read files elsewhere
    path = Path(personas_dir or DEFAULT_PERSONAS_DIR) / f"{persona}.yaml"
    try:
        return list(_cannot_promise(str(path), path.stat().st_mtime_ns))
    except (OSError, VoiceTrainerError):
        return []


@lru_cache(maxsize=32)
def _cannot_promise(path: str, mtime_ns: int) -> tuple[str, ...]:
    """Cached by file and modification time: validating a persona costs ~0.1 s of pure-Python YAML."""
    from ..personas import load_persona

    return tuple(load_persona(path).scenario.cannot_promise)


def grade_session(session_dir: str | Path, rubric: Rubric | None = None, judge: Judge | None = None,
                  audio: bool = True, personas_dir: Path | None = None) -> dict:
    """The grade document for one saved session (see README, "Grading")."""
    session_dir = Path(session_dir)
    session = load_session(session_dir)
    rubric = rubric or load_rubric()
    turns = session.get("turns", [])
    metrics = measure(session_dir, session, rubric, audio)
    evidence = turn_evidence(turns, cannot_promise(session, personas_dir))
    criteria = score_rubric(rubric, evidence, metrics, turns)
    flags: list[str] = []
    judge_name = "rules"
    if judge is not None:
        try:
            criteria, flags = judge.judge(session, rubric, evidence, metrics, criteria)
            judge_name = judge.name
        except LLMError as exc:  # the rules' scorecard stands, and says why
            flags = [f"The LLM judge failed ({exc.message}); this grade is by the rules."]
    ended_by = session.get("ended_by", "unknown")
    mood = metrics["customer_mood"]
    return {
        "overall": overall(criteria),
        "outcome": ended_by,
        "judge": judge_name,
        "rubric": {"name": rubric.name, "version": rubric.version},
        "persona": session.get("persona"),
        "criteria": criteria,
        "metrics": metrics,
        "wins": find_wins(mood, evidence, metrics, criteria, ended_by),
        "suggestion": break_suggestion(mood, ended_by, rubric.hard_call_mood),
        "flags": flags,
    }


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
