"""`voicetrainer history`: every saved call in one table, and what the calls say together."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table
from rich.text import Text

from .cli_personas import PersonasDir, personas_dir as _personas_dir
from .errors import VoiceTrainerError
from .terminal import ENDINGS, console, err_console

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], low: float, high: float, width: int = 40) -> str:
    """One block per value (the last `width`) on a fixed scale: a line of 5s looks full, of 1s empty."""
    line = "".join(BLOCKS[round((v - low) / (high - low) * (len(BLOCKS) - 1))] for v in values[-width:])
    return ("…" if len(values) > width else "") + line


def shown(path: Path) -> str:
    """A folder as the user would type it: relative to here when it is below here."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def history(
    folders: Optional[list[Path]] = typer.Argument(
        None, help="Session folders, or folders holding them (default: sessions/, or the config file's sessions_dir)."),
    persona: Optional[str] = typer.Option(None, "--persona", "-p", help="Only the calls with this persona (id or name)."),
    last: Optional[int] = typer.Option(None, "--last", "-n", min=1, help="Only the last N calls (after --persona)."),
    as_json: bool = typer.Option(False, "--json", help="Print the calls as a JSON list, one object per call, for spreadsheets and scripts."),
    html: Optional[Path] = typer.Option(None, "--html", help="Also write a self-contained progress page (charts, links to each call's report) to this file."),
    personas: Optional[Path] = PersonasDir,
) -> None:
    """Your calls over time: score per call, each criterion's trend, what to practise and whom to call next."""
    from .config import load_settings
    from .history import collect, progress, select

    roots = folders or [load_settings().sessions_dir]
    missing = [f for f in roots if not f.is_dir()]
    if missing and folders:
        raise VoiceTrainerError(f"{missing[0]} is not a folder.",
                                hint="pass session folders or the folder that holds them (default: sessions/)")
    records = collect([r for r in roots if r.is_dir()])
    for bad in (r for r in records if r.problem):
        err_console.print(Text("! ", style="yellow") + Text(f"{shown(bad.folder)}: {bad.problem}"), soft_wrap=True)
    calls = select(records, persona, last)
    if as_json:
        sys.stdout.write(json.dumps([c.as_row() for c in calls], indent=2, ensure_ascii=False) + "\n")
    if not calls:
        where = ", ".join(shown(r.resolve()) for r in roots)
        err_console.print(f"No calls{' with ' + persona if persona else ''} in {where} yet.", markup=False)
        err_console.print(f"Hint: hold one with `voicetrainer call --persona {persona or 'angry_refund'}`.",
                          style="dim", markup=False)
        return
    summary = progress(calls, _persona_levels(personas))
    if not as_json:
        print_history(calls, summary)
    if html:
        from .history_report import write_history

        page = write_history(calls, summary, html)
        (err_console if as_json else console).print(f"Progress page: {page}")


def print_since_last(session_dir: Path, root: Path) -> None:
    """After a graded call under the sessions root: its score against the last call with that persona."""
    from .history import collect

    if not root.is_dir() or not session_dir.resolve().is_relative_to(root.resolve()):
        return
    calls = [c for c in collect([root]) if c.grade]
    this = next((c for c in calls if c.folder == session_dir.resolve()), None)
    if this is None:
        return
    before = [c for c in calls[:calls.index(this)] if c.persona == this.persona]
    name = this.persona_name or this.persona
    if before:
        last = before[-1]
        console.print(f"Your last call with {name} ({last.started.astimezone():%Y-%m-%d %H:%M}): {last.overall}/100; "
                      f"now {this.overall}/100 ({this.overall - last.overall:+d}).")
    else:
        console.print(f"Your first graded call with {name}.")
    console.print(Text("All your calls, what improved and what to practise: voicetrainer history", style="dim"))


def _persona_levels(option: Optional[Path]) -> list[tuple[str, int]]:
    """(id, difficulty) of every valid persona on offer; invalid files are `personas validate`'s business."""
    from .personas import load_persona, persona_files

    levels = []
    for path in persona_files(_personas_dir(option)):
        try:
            p = load_persona(path)
        except VoiceTrainerError:
            continue
        levels.append((p.id, p.difficulty))
    return levels


def print_history(calls, summary) -> None:
    from .grading.report import clock
    from .grading.scorecard import overall_style

    table = Table("date", "persona", "length", "ended", "score", box=None)
    for c in calls:
        if c.grade:
            tenths = round(c.overall / 10)
            score = Text("█" * tenths + "░" * (10 - tenths) + f" {c.overall:3d}", style=overall_style(c.overall))
        else:
            score = Text(f"{c.ungraded}: voicetrainer grade {shown(c.folder)}", style="dim")
        table.add_row(f"{c.started.astimezone():%Y-%m-%d %H:%M}", c.persona or "?",
                      clock(c.duration_s) if c.duration_s is not None else "?",
                      ENDINGS.get(c.ended_by or "", c.ended_by or "?"), score)
    console.print(table)
    o = summary.overall
    if not o.scores:
        return
    line = f"Overall {sparkline(o.scores, 0, 100)}  latest {o.scores[-1]}, average {o.average:.0f}"
    if o.halves:
        line += f"; earlier calls {o.halves[0]:.0f} → later calls {o.halves[1]:.0f} ({o.change:+.0f})"
    console.print()
    console.print(line)
    criteria = Table("criterion", "per call", "average", "earlier → later", box=None)
    for t in summary.criteria:
        change = Text(f"{t.halves[0]:.1f} → {t.halves[1]:.1f} ({t.change:+.1f})",
                      style="green" if t.change > 0 else "red" if t.change < 0 else "") if t.halves else Text("")
        criteria.add_row(t.name, sparkline(t.scores, 1, 5), f"{t.average:.1f}", change)
    console.print(criteria)
    if summary.improved:
        console.print(Text.assemble(("Improved most: ", "bold green"), f"{summary.improved.name} ({summary.improved.change:+.1f})."))
    elif o.halves:
        console.print(Text("No criterion rose from your earlier calls to your later ones yet.", style="dim"))
    else:
        console.print(Text("Grade one more call to see what improves.", style="dim"))
    if summary.weakest:
        tip = f" {summary.weakest_tip}" if summary.weakest_tip else ""
        console.print(Text.assemble(("Practise next: ", "bold yellow"),
                                    f"{summary.weakest.name} ({summary.weakest.lately:.1f} of 5 lately).{tip}"))
    else:
        console.print(Text.assemble(("Practise next: ", "bold yellow"), "nothing: every criterion scored 5 lately."))
    if summary.next_call:
        pid, why = summary.next_call
        console.print(Text.assemble(("Call next: ", "bold cyan"), f"{pid}: {why}."))
        console.print(Text(f"  voicetrainer call --persona {pid}", style="dim"), soft_wrap=True)
