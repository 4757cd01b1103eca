"""An agent's calls over time: where new sessions go, and what the saved ones say together.

Every call gets its own folder, `<sessions root>/<YYYY-MM-DD_HHMMSS>_<persona>/`, so no
call overwrites the last. `collect` reads session.json (or the journal) and grade.json of
every session under some folders; `progress` turns the graded ones into trends and
advice. Pure: no terminal, no HTML (cli_history.py and history_report.py show it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from statistics import mean

from .errors import VoiceTrainerError
from .grading import GRADE_FILE
from .journal import call_in_progress, load_session
from .session_file import SessionFileError

GOOD_SCORE = 75  # the report's "good" (green) overall score
RECENT = 10  # calls in "later calls" (and in "earlier calls") at most
MIN_GAIN = 0.1  # the smallest rise in a criterion's average (1-5) called an improvement
MAX_DEPTH = 3  # how far below a given folder sessions are looked for
# What a call leaves behind even when session.json and the journal are missing.
SESSION_TRACES = ("grade.json", "report.html", "call.wav", "session.json.tmp")


def new_session_dir(root: Path, persona_id: str, now: datetime | None = None) -> Path:
    """A folder name for a new call, in local time, not yet taken: `2026-11-23_145501_angry_refund`."""
    now = now or datetime.now()
    base = f"{now:%Y-%m-%d_%H%M%S}_{re.sub(r'[^A-Za-z0-9_.-]+', '_', persona_id)}"
    path, n = Path(root) / base, 1
    while path.exists():
        n += 1
        path = Path(root) / f"{base}-{n}"
    return path


def make_session_folder(path: Path) -> Path:
    """Create a call's folder before the call starts, so a path that cannot be one (under a
    file, in /proc, read-only) is one sentence up front, not an OSError from the journal."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VoiceTrainerError(f"The session folder {path} cannot be created ({exc.strerror or exc}).",
                                hint="choose another folder with --out (or --save)") from None
    return path


@dataclass(frozen=True)
class CallRecord:
    """One saved call: what session.json and grade.json say about it (or why they could not)."""

    folder: Path
    started: datetime  # timezone-aware
    persona: str | None = None
    persona_name: str | None = None
    duration_s: float | None = None
    ended_by: str | None = None
    grade: dict | None = None
    ungraded: str | None = None  # why there is no grade: "not graded" or what is wrong with grade.json
    problem: str | None = None  # the session itself could not be read: not a call

    @property
    def overall(self) -> int | None:
        return self.grade["overall"] if self.grade else None

    @property
    def scores(self) -> dict[str, int | None]:
        return {c["id"]: c["score"] for c in self.grade["criteria"]} if self.grade else {}

    @property
    def report(self) -> Path | None:
        path = self.folder / "report.html"
        return path if self.grade and path.exists() else None

    def as_row(self) -> dict:
        """The call as one flat-ish JSON object (`history --json`)."""
        return {
            "folder": str(self.folder), "started_at": self.started.isoformat(timespec="seconds"),
            "persona": self.persona, "persona_name": self.persona_name, "duration_s": self.duration_s,
            "ended_by": self.ended_by, "graded": self.grade is not None, "overall": self.overall,
            "judge": self.grade.get("judge") if self.grade else None,
            "criteria": self.scores, "report": str(self.report) if self.report else None,
            "not_graded_because": self.ungraded,
        }


def _has_session(folder: Path) -> bool:
    return (folder / "session.json").exists() or (folder / "journal.jsonl").exists()


def session_folders(root: Path, depth: int = MAX_DEPTH) -> list[Path]:
    """Sessions at or below `root`, and folders that look like a call whose files are gone."""
    if _has_session(root):
        return [root]
    if depth == 0:
        return []
    children = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    found = [s for child in children for s in session_folders(child, depth - 1)]
    if not found and any((root / name).exists() for name in SESSION_TRACES):
        return [root]
    return found


def _json_problem(path: Path, exc: Exception) -> str:
    if isinstance(exc, SessionFileError):
        return exc.what
    if isinstance(exc, json.JSONDecodeError):
        return f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno})"
    if isinstance(exc, VoiceTrainerError):
        return "no session.json or journal.jsonl"
    return f"{path.name} cannot be read ({exc.__class__.__name__}: {exc})"


def _started(session: dict, folder: Path) -> datetime:
    try:
        started = datetime.fromisoformat(str(session["started_at"]))
        return started if started.tzinfo else started.astimezone()
    except (KeyError, ValueError):  # a session written by hand: when its files were written
        newest = max((folder / n).stat().st_mtime for n in ("session.json", "journal.jsonl") if (folder / n).exists())
        return datetime.fromtimestamp(newest, timezone.utc)


def read_grade(folder: Path) -> tuple[dict | None, str | None]:
    """grade.json if it holds an overall score and criteria, else None and why not."""
    path = folder / GRADE_FILE
    if not path.exists():
        return None, "not graded"
    try:
        grade = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(grade["overall"], int) or not all(
                isinstance(c["id"], str) and (c["score"] is None or isinstance(c["score"], (int, float)))
                for c in grade["criteria"]):
            raise TypeError
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, _json_problem(path, exc)
    except (KeyError, TypeError):
        return None, f"{GRADE_FILE} has no overall score and criteria"
    return grade, None


def read_call(folder: Path) -> CallRecord:
    source = folder / ("session.json" if (folder / "session.json").exists() else "journal.jsonl")
    try:
        session = load_session(folder)
        text = {k: str(session[k]) if session.get(k) is not None else None for k in ("persona", "persona_name", "ended_by")}
        if source.name == "journal.jsonl" and call_in_progress(source):  # not "an error stopped the call"
            text["ended_by"] = "in_progress"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, VoiceTrainerError) as exc:
        problem = _json_problem(source, exc)
    except (KeyError, TypeError, AttributeError):  # JSON, but not a call's
        problem = f"{source.name} does not hold a call"
    else:
        grade, ungraded = read_grade(folder)
        duration = session.get("duration_s")
        return CallRecord(folder, _started(session, folder), text["persona"], text["persona_name"],
                          duration if isinstance(duration, (int, float)) else None, text["ended_by"], grade, ungraded)
    return CallRecord(folder, datetime.fromtimestamp(folder.stat().st_mtime, timezone.utc), problem=problem)


def collect(roots: list[Path]) -> list[CallRecord]:
    """Every session under these folders, oldest first (problems included, with `problem` set)."""
    folders = dict.fromkeys(f.resolve() for root in roots for f in session_folders(Path(root)))
    records = [read_call(f) for f in folders]
    return sorted(records, key=lambda r: (r.started, r.folder.name))


def select(records: list[CallRecord], persona: str | None = None, last: int | None = None) -> list[CallRecord]:
    """The readable calls, of one persona (id or name, any case) if given, the last N if given."""
    calls = [r for r in records if r.problem is None]
    if persona:
        wanted = persona.casefold()
        calls = [r for r in calls if wanted in ((r.persona or "").casefold(), (r.persona_name or "").casefold())]
    return calls[-last:] if last else calls


@dataclass(frozen=True)
class Trend:
    """Scores in call order, and the later calls' average against the earlier ones'."""

    id: str
    name: str
    scores: list[float] = field(default_factory=list)

    @property
    def average(self) -> float:
        return mean(self.scores)

    @property
    def halves(self) -> tuple[float, float] | None:
        """(earlier, later) averages: the last k scores against the k before them, k being half
        the scores but at most RECENT, so that "later" stays recent after many calls."""
        k = min(len(self.scores) // 2, RECENT)
        return (mean(self.scores[-2 * k:-k]), mean(self.scores[-k:])) if k else None

    @property
    def change(self) -> float:
        """Later minus earlier, rounded so float noise is no trend (and never -0.0)."""
        return round(self.halves[1] - self.halves[0], 1) + 0.0 if self.halves else 0.0

    @property
    def lately(self) -> float:
        return self.halves[1] if self.halves else self.average


def overall_trend(calls: list[CallRecord]) -> Trend:
    return Trend("overall", "Overall", [c.overall for c in calls if c.grade])


def criterion_trends(calls: list[CallRecord]) -> list[Trend]:
    """One trend per criterion scored at least once, in rubric order (the latest grade's first)."""
    graded = [c for c in calls if c.grade]
    names: dict[str, str] = {}
    for call in reversed(graded):
        for c in call.grade["criteria"]:
            names.setdefault(c["id"], c.get("name") or c["id"])
    trends = [Trend(cid, name, [c.scores[cid] for c in graded if c.scores.get(cid) is not None]) for cid, name in names.items()]
    return [t for t in trends if t.scores]


def improved_most(trends: list[Trend]) -> Trend | None:
    rising = [t for t in trends if t.change >= MIN_GAIN]
    return max(rising, key=lambda t: t.change) if rising else None


def weakest(trends: list[Trend]) -> Trend | None:
    """The criterion to practise next: the lowest lately (the later calls, or all when few),
    then the lowest over all calls; None when every criterion scored 5 lately."""
    weak = min(trends, key=lambda t: (t.lately, t.average)) if trends else None
    return weak if weak and weak.lately < 5 else None


def next_persona(calls: list[CallRecord], personas: list[tuple[str, int]]) -> tuple[str, str] | None:
    """(persona id, why) to call next, from the calls so far and the (id, difficulty) on offer.

    Practise again whoever last beat you (the lowest latest score under GOOD_SCORE); once
    every caller you met is handled well, meet the easiest one you have not called yet;
    when you have met them all, go back to your lowest latest score.
    """
    latest = {c.persona: c.overall for c in calls if c.grade and c.persona}
    struggling = sorted((score, pid) for pid, score in latest.items() if score < GOOD_SCORE)
    if struggling:
        score, pid = struggling[0]
        return pid, f"your last call with them scored {score}/100; call again until it is {GOOD_SCORE} or more"
    met = {c.persona for c in calls}
    new = sorted((difficulty, pid) for pid, difficulty in personas if pid not in met)
    if new:
        difficulty, pid = new[0]
        return pid, f"you have not called them yet (difficulty {difficulty} of 5)"
    if latest:
        score, pid = min((score, pid) for pid, score in latest.items())
        return pid, f"you handle every caller well; your lowest latest score, {score}/100, is with them"
    return None


def latest_advice(calls: list[CallRecord], criterion: str) -> str | None:
    """The rubric's tip for this criterion from the latest grade that gave one."""
    for call in reversed(calls):
        tip = next((c.get("advice") for c in (call.grade or {}).get("criteria", []) if c["id"] == criterion), None)
        if tip:
            return tip
    return None


@dataclass(frozen=True)
class Progress:
    """What the calls say together: shown in the terminal and on the history page."""

    overall: Trend
    criteria: list[Trend]
    improved: Trend | None
    weakest: Trend | None
    weakest_tip: str | None
    next_call: tuple[str, str] | None  # (persona id, why)


def progress(calls: list[CallRecord], personas: list[tuple[str, int]]) -> Progress:
    trends = criterion_trends(calls)
    weak = weakest(trends)
    return Progress(overall_trend(calls), trends, improved_most(trends), weak,
                    latest_advice(calls, weak.id) if weak else None, next_persona(calls, personas))
