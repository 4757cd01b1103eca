"""`personas show`: a persona as a trainer reads it, not as YAML."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from .personas import Persona
from .terminal import mood_bar


def _ordinal(n: int) -> str:
    return {1: "reply", 2: "2nd reply", 3: "3rd reply"}.get(n, f"{n}th reply")


def reaction_lists(persona: Persona) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """(calms, angers): behaviours with their effective change, strongest first.

    Calming effects are shown after resistance, as the mood engine applies them.
    """
    m = persona.mood
    calms = sorted(((b, round(d / m.resistance, 2)) for b, d in m.reactions.items() if d < 0), key=lambda x: x[1])
    angers = sorted(((b, d) for b, d in m.reactions.items() if d > 0), key=lambda x: -x[1])
    return calms, angers


def knobs(persona: Persona) -> list[tuple[str, str]]:
    """The difficulty knobs in plain words (docs/PERSONAS.md explains each)."""
    m, h = persona.mood, persona.habits
    hidden = [f.key for f in persona.scenario.facts if f.hidden]
    return [
        ("patience", f"mood +{m.drift_per_turn:g} after each reply that does not help; "
                     f"\"are you there?\" after {m.idle_after_s:g} s of silence"),
        ("resistance", f"{m.resistance:g} (calming effects are divided by it)"),
        ("verbosity", h.verbosity),
        ("talks over you", "yes, for a moment when you barge in" if m.talks_over else "no, stops when you barge in"),
        ("repeats demand", f"every {_ordinal(h.repeats_demand)} until resolved" if h.repeats_demand else "no"),
        ("hides facts", ", ".join(hidden) + " (until asked the right question)" if hidden else "no"),
        ("supervisor", f"demands one at mood {m.supervisor_at:g}" if m.supervisor_at is not None else "never asks"),
    ]


def render_persona(p: Persona) -> Group:
    m, s = p.mood, p.scenario
    head = Text(p.name, style="bold") + Text(f"  ({p.id}) · {p.archetype} · ") + \
        Text("★" * p.difficulty + "☆" * (5 - p.difficulty), style="yellow")

    who = Table.grid(padding=(0, 2))
    who.add_column(style="bold", no_wrap=True)
    who.add_row("Who", p.personality.strip())
    who.add_row("Calling", s.company)
    who.add_row("Problem", s.issue)
    if s.history:
        who.add_row("Before", s.history)
    who.add_row("Wants", s.wants)
    if s.agent_may_offer:
        who.add_row("You may offer", "\n".join(f"• {o}" for o in s.agent_may_offer))
    if s.cannot_promise:
        who.add_row("Never promise", "\n".join(f"• {o}" for o in s.cannot_promise))
    for f in s.facts:
        tags = "".join(t for t, on in ((" [hidden]", f.hidden), (" [volunteers]", f.volunteers)) if on)
        who.add_row("Fact" if f is s.facts[0] else "", f"{f.key} = {f.value}{tags}   asked by: {', '.join(f.asked_by)}")

    mood = Table.grid(padding=(0, 2))
    mood.add_column(style="bold", no_wrap=True)
    mood.add_row("Starts at", mood_bar(m.start) + Text(f"  {m.band(m.start)}"))
    resolution = f" once you have done one of: {', '.join(m.needs_resolution)}" if m.needs_resolution else ""
    mood.add_row("Accepts", f"at mood {m.satisfied_at:g} or below{resolution}")
    warnings = f", or when still angry after {m.hang_up_after_warnings} boundary warnings" \
        if m.hang_up_after_warnings else ""
    mood.add_row("Hangs up", f"at mood {m.hang_up_at:g}{warnings}")
    mood.add_row("Bands", f"calm below {m.bands[0]:g} · annoyed from {m.bands[0]:g} · angry from {m.bands[1]:g}")

    calms, angers = reaction_lists(p)
    reactions = Table("Calms them", "", "Angers them", "", box=None, padding=(0, 1))
    for i in range(max(len(calms), len(angers))):
        c = calms[i] if i < len(calms) else ("", None)
        a = angers[i] if i < len(angers) else ("", None)
        reactions.add_row(c[0], Text(f"{c[1]:+g}", style="green") if c[1] is not None else "",
                          a[0], Text(f"{a[1]:+g}", style="red") if a[1] is not None else "")

    knob_table = Table.grid(padding=(0, 2))
    knob_table.add_column(style="bold", no_wrap=True)
    for knob, value in knobs(p):
        knob_table.add_row(knob, value)

    counts = " · ".join(f"{sit} {sum(len(v) for v in bands.values())}" for sit, bands in p.lines.items())
    return Group(head, Text(p.summary, style="dim"), Text(), who, Text(), Text("Mood (0 calm … 10 hangs up)", style="bold underline"),
                 mood, Text(), reactions, Text(), Text("Difficulty knobs", style="bold underline"), knob_table, Text(),
                 Text("Lines: ", style="bold") + Text(counts))
