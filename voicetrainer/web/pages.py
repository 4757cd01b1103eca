"""What the server's pages show: the persona cards, the call page, the trainer's team view.

Pure functions from the sessions folder and personas to HTML (templates/serve_*.html.j2,
the report's Jinja2 environment: autoescaped, strict). The team view reads the same files
as `voicetrainer history`: sessions/<agent>/<call>/session.json and grade.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from urllib.parse import quote

from ..grading.report import template_env
from ..history import GOOD_SCORE, CallRecord, collect, criterion_trends, weakest
from ..personas import Persona
from ..terminal import ENDINGS

NO_NAME = "(no name)"  # sessions saved straight under the sessions folder, by the CLI
WEAKEST_SHOWN = 3


def home_page(personas: list[Persona], agent: str) -> str:
    return template_env().get_template("serve_home.html.j2").render(personas=personas, agent=agent)


def call_page(persona: Persona, agent: str) -> str:
    return template_env().get_template("serve_call.html.j2").render(persona=persona, agent=agent)


@dataclass(frozen=True)
class AgentSummary:
    name: str
    calls: list[CallRecord]

    @property
    def graded(self) -> list[CallRecord]:
        return [c for c in self.calls if c.grade]

    @property
    def average(self) -> float | None:
        return round(mean(c.overall for c in self.graded), 1) if self.graded else None

    @property
    def latest(self) -> int | None:
        return self.graded[-1].overall if self.graded else None

    @property
    def weakest(self):
        return weakest(criterion_trends(self.calls))


def agent_of(record: CallRecord, root: Path) -> str:
    """The sub-folder of sessions/ a call is in: the agent who held it."""
    try:
        rel = record.folder.resolve().relative_to(root.resolve())
    except ValueError:
        return NO_NAME
    return rel.parts[0] if len(rel.parts) > 1 else NO_NAME


def team(root: Path) -> tuple[list[AgentSummary], list, list[tuple[str, CallRecord]]]:
    """Per-agent summaries, the team's weakest criteria (lowest average first) and every
    readable call with its agent, newest first."""
    calls = [r for r in collect([root]) if r.problem is None] if root.exists() else []
    by_agent: dict[str, list[CallRecord]] = {}
    for call in calls:
        by_agent.setdefault(agent_of(call, root), []).append(call)
    agents = [AgentSummary(name, found) for name, found in sorted(by_agent.items(), key=lambda kv: kv[0].casefold())]
    weak = sorted(criterion_trends(calls), key=lambda t: (t.average, t.name))[:WEAKEST_SHOWN]
    return agents, weak, [(agent_of(c, root), c) for c in reversed(calls)]


def report_url(record: CallRecord, root: Path) -> str | None:
    if record.report is None:
        return None
    rel = record.report.resolve().relative_to(root.resolve())
    return "/sessions/" + quote(rel.as_posix())


def team_page(root: Path) -> str:
    agents, weak, calls = team(root)
    rows = [{"agent": agent, "call": c, "when": f"{c.started.astimezone():%Y-%m-%d %H:%M}",
             "ending": ENDINGS.get(c.ended_by or "", c.ended_by or "?"), "report": report_url(c, root)}
            for agent, c in calls]
    return template_env().get_template("serve_team.html.j2").render(
        agents=agents, weak=weak, rows=rows, good=GOOD_SCORE, root=str(root))
