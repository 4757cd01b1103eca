"""The compact scorecard printed in the terminal after grading (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..terminal import ENDINGS


def score_dots(score: int | None) -> Text:
    if score is None:
        return Text("n/a  ", style="dim")
    colour = "green" if score >= 4 else "yellow" if score == 3 else "red"
    return Text("●" * score, style=colour) + Text("○" * (5 - score), style="dim")


def overall_style(overall: int) -> str:
    return "bold green" if overall >= 75 else "bold yellow" if overall >= 50 else "bold red"


def metrics_line(m: dict) -> str:
    """The voice and timing figures in one line; what was not measured is left out."""
    parts = []
    if m.get("talk_ratio") is not None:
        parts.append(f"you talked {m['talk_ratio']:.0%}")
    if m.get("words_per_minute") is not None:
        parts.append(f"{m['words_per_minute']:.0f} words/min")
    if m.get("median_response_gap_s") is not None:
        parts.append(f"answer gap {m['median_response_gap_s']:.1f} s")
    for key, label in (("dead_air_count", "dead air"), ("talk_over_count", "talk-over"),
                       ("raised_voice_turns", "raised voice")):
        if m.get(key) is not None:
            parts.append(f"{label} {m[key]}")
    if m.get("fillers_per_minute") is not None:
        parts.append(f"fillers {m['fillers_per_minute']:g}/min")
    if m.get("pitch_median_hz"):
        span = f", range {m['pitch_range_semitones']:g} st" if m.get("pitch_range_semitones") else ""
        parts.append(f"pitch {m['pitch_median_hz']:.0f} Hz{span}")
    return " · ".join(parts)


def print_scorecard(grade: dict, console: Console, report: str | None = None) -> None:
    ending = ENDINGS.get(grade["outcome"], grade["outcome"])
    console.print(Text.assemble(("Overall ", "bold"), (f"{grade['overall']}/100", overall_style(grade["overall"])),
                                f"  ({ending}; judged by {grade['judge']})"))
    table = Table(box=None, show_header=False, padding=(0, 1))
    for c in grade["criteria"]:
        if c["score"] is None:
            note = Text(c["reasoning"].removeprefix("not applicable: "), style="dim")
        elif c.get("better_phrasing"):
            note = Text(c["better_phrasing"], style="yellow")
        else:
            # the surest example: grade.json gives a confidence only when the detector was unsure
            cited = max((e for e in c["evidence"] if e.get("effect") != "against"),
                        key=lambda e: e.get("confidence", 1.0), default=None)
            note = Text(f"turn {cited['turn']}: “{cited['quote']}”", style="dim") if cited else Text("")
        table.add_row(c["name"], score_dots(c["score"]), note)
    console.print(table)
    line = metrics_line(grade["metrics"])
    if line:
        console.print(Text(line, style="dim"))
    for win in grade["wins"]:
        console.print(Text("✓ ", style="green") + Text(win))
    if grade.get("suggestion"):
        console.print(Text(grade["suggestion"], style="cyan"))
    for flag in grade.get("flags", []):
        console.print(Text(f"! {flag}", style="yellow"))
    if report:
        console.print(f"Report: {report}")
