"""What the terminal shows: the call as it happens and at the end (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

# Markup off: persona names, paths, transcripts and error messages are user text, and a
# `[/]` or `[bold]` in them must print as written, not raise MarkupError or restyle the
# line. Style with Text / style= instead of markup tags.
console = Console(highlight=False, markup=False)
err_console = Console(stderr=True, highlight=False, markup=False)

ENDINGS = {
    "customer_hung_up": "the customer hung up",
    "customer_satisfied": "the customer was satisfied",
    "agent_closed": "the agent closed the call",
    "audio_exhausted": "the agent's recorded turns ran out",
    "time_limit": "the time limit was reached",
    "agent_ended": "the agent ended the call",
    "error": "an error stopped the call",
    "in_progress": "still in progress",
    "interrupted": "stopped with Ctrl-C",
    "terminated": "stopped by a signal (SIGTERM)",
    "input_ended": "the agent's typed lines ended",
}


def print_problem(exc, label: str = "Error", style: str = "red", then: str = "") -> None:
    """A VoiceTrainerError as users see it: one sentence (and what happens next), a hint."""
    err_console.print(Text(f"{label}:", style=style) + Text(f" {exc.message}{' ' + then if then else ''}"))
    if exc.hint:
        err_console.print(Text(f"Hint: {exc.hint}", style="dim"))


def print_validation(paths, load) -> tuple[list, int]:
    """Check human-written files with `load`, one line per file or per problem.

    Plain text, never wrapped: problems quote YAML such as `[4, 7]`, which rich markup
    would swallow, and editors jump to `file:line` only when it stays on one line.
    Returns the loaded (path, model) pairs and how many files were invalid.
    """
    from .errors import FileValidationError

    loaded, bad = [], 0
    for path in paths:
        try:
            loaded.append((path, load(path)))
        except FileValidationError as exc:
            bad += 1
            for problem in exc.problems:
                console.print(Text("error ", style="red") + Text(str(problem)), soft_wrap=True)
            continue
        console.print(Text("ok    ", style="green") + Text(str(path)), soft_wrap=True)
    if bad:
        console.print(f"{bad} of {len(paths)} file{'s' if len(paths) != 1 else ''} invalid.")
    return loaded, bad


def mood_bar(mood: float) -> Text:
    filled = int(round(mood))
    colour = "red" if mood >= 7 else "yellow" if mood >= 4 else "green"
    return Text("█" * filled + "░" * (10 - filled), style=colour) + Text(f" {mood:4.1f}")


def print_turn(turn: dict, show_mood: bool = True) -> None:
    who = Text("Agent   ", style="bold cyan") if turn["speaker"] == "agent" else Text("Customer", style="bold magenta")
    line = Text(f"{turn['start_s']:6.1f}s ") + who + Text("  ") + Text(turn["text"] or "(silence)")
    console.print(line)
    if turn.get("caller_error"):
        console.print(Text("          (the LLM caller failed, so an authored line was used; the journal says why)",
                           style="dim"))
    if turn["speaker"] == "agent" and show_mood:
        detail = Text("          mood ") + mood_bar(turn["mood"])
        if turn.get("behaviours"):
            detail += Text("   " + ", ".join(turn["behaviours"]), style="dim")
        console.print(detail)


def print_summary(session: dict, out_dir: str) -> None:
    table = Table.grid(padding=(0, 2))
    table.add_row("Persona", f"{session.get('persona_name', '')} ({session.get('persona')})")
    table.add_row("Caller", str(session.get("caller")))
    table.add_row("Ended", ENDINGS.get(session["ended_by"], session["ended_by"]))
    turns = session["turns"]
    if turns:
        table.add_row("Mood", f"{session.get('mood_start', '?')} → {turns[-1]['mood']}")
    table.add_row("Saved", out_dir)
    console.print(table)
