"""The progress page (`voicetrainer history --html FILE`): one self-contained HTML file.

Rendered from templates/history.html.j2 with the report's Jinja2 environment. Charts are
inline SVG (overall score per call, one small chart per criterion); each call links to its
own report.html by a path relative to the page, so the folder can be moved or mailed whole.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from .grading.report import clock, template_env
from .history import GOOD_SCORE, CallRecord, Progress
from .terminal import ENDINGS


def line_chart(values: list[float | None], low: float, high: float, ticks: list[float], width: int, height: int,
               pad: int = 28, mark: float | None = None) -> dict:
    """SVG coordinates of values spaced evenly left to right, `low` at the bottom; None leaves a gap."""
    plot_w, plot_h = width - 2 * pad, height - 2 * pad

    def x(i: int) -> float:
        return round(pad + (plot_w * i / (len(values) - 1) if len(values) > 1 else plot_w / 2), 1)

    def y(value: float) -> float:
        return round(pad + plot_h * (1 - (value - low) / (high - low)), 1)

    points = [{"x": x(i), "y": y(v), "value": v, "index": i} for i, v in enumerate(values) if v is not None]
    return {"width": width, "height": height, "left": pad, "right": width - pad, "top": pad, "bottom": height - pad,
            "points": points, "path": " ".join(f"{p['x']},{p['y']}" for p in points),
            "ticks": [{"y": y(t), "label": f"{t:g}"} for t in ticks], "mark": y(mark) if mark is not None else None}


def link(target: Path, page: Path) -> str:
    """`target` as a URL relative to the folder of `page`."""
    return quote(Path(os.path.relpath(target.resolve(), page.resolve().parent)).as_posix())


def render_history(calls: list[CallRecord], summary: Progress, page: Path, title: str) -> str:
    graded = [c for c in calls if c.grade]
    labels = [f"{c.started.astimezone():%Y-%m-%d %H:%M} · {c.persona or '?'}" for c in graded]
    days = [f"{c.started.astimezone():%b %d}" for c in graded]
    rows = [{"call": c, "when": f"{c.started.astimezone():%Y-%m-%d %H:%M}",
             "length": clock(c.duration_s) if c.duration_s is not None else "?",
             "ending": ENDINGS.get(c.ended_by or "", c.ended_by or "?"),
             "report": link(c.report, page) if c.report else None} for c in calls]
    criteria = [{"trend": t, "chart": line_chart([c.scores.get(t.id) for c in graded], 1, 5, [1, 3, 5], 300, 120)}
                for t in summary.criteria]
    return template_env().get_template("history.html.j2").render(
        title=title, rows=rows, summary=summary, labels=labels, days=days, good=GOOD_SCORE, criteria=criteria,
        overall=line_chart([c.overall for c in graded], 0, 100, [0, 25, 50, 75, 100], 720, 240, mark=GOOD_SCORE),
    )


def write_history(calls: list[CallRecord], summary: Progress, page: Path, title: str = "Your progress") -> Path:
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(render_history(calls, summary, page, title), encoding="utf-8")
    return page
