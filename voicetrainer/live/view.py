"""What the agent sees during a live call: elapsed time, the transcript as it grows, the
customer's mood (hidden in exam mode) and the keys. Without a terminal it prints plain
lines, one per turn, so it also runs under a test, a pipe or a service.
"""

from __future__ import annotations

import time

from rich.console import Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..terminal import console, mood_bar, print_turn
from .controls import Controls

SHOWN_TURNS = 12


class LiveView:
    def __init__(self, persona_name: str, controls: Controls, exam: bool = False, push_to_talk: bool = False,
                 keys: bool = True, mood: float = 5.0, headset=None):
        self.persona_name, self.controls, self.headset = persona_name, controls, headset
        self.exam, self.push_to_talk, self.keys = exam, push_to_talk, keys
        self.mood = mood
        self.turns: list[dict] = []
        self.fancy = console.is_terminal
        self._started = time.monotonic()
        self._live: Live | None = None

    def __enter__(self) -> "LiveView":
        self._started = time.monotonic()
        if self.fancy:
            self._live = Live(console=console, get_renderable=self.render, refresh_per_second=4, transient=False)
            self._live.__enter__()
        else:
            console.print(f"Live call with {self.persona_name}: speak when you are ready. The call ends when "
                          "the customer ends it, at --max-duration, or with Ctrl+C.")
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)

    def add_turn(self, turn: dict) -> None:
        self.turns.append(turn)
        self.mood = turn.get("mood", self.mood)
        if not self.fancy:
            print_turn(turn, show_mood=not self.exam)

    @property
    def state(self) -> str:
        if self.headset is None:
            return ""
        if self.headset.playing.is_set():
            return "customer speaking"
        return "listening" if self.headset.listening.is_set() else "customer thinking"

    def render(self) -> Panel:
        elapsed = int(time.monotonic() - self._started)
        header = Text(f"{self.persona_name}   {elapsed // 60:02d}:{elapsed % 60:02d}   ", style="bold")
        if self.controls.muted.is_set():
            header += Text("MUTED ", style="bold red")
        if self.push_to_talk and self.controls.talk.is_set():
            header += Text("TALKING ", style="bold green")
        header += Text(self.state, style="dim")
        transcript = Table.grid(padding=(0, 1))
        for turn in self.turns[-SHOWN_TURNS:]:
            who = Text("Agent", style="bold cyan") if turn["speaker"] == "agent" else Text("Customer", style="bold magenta")
            text = turn["text"] or "(silence)"
            if turn.get("interrupted_at_s") is not None:
                text += "  [cut off]"
            transcript.add_row(who, Text(text))
        parts = [header, transcript]
        if not self.exam:
            parts.append(Text("mood ") + mood_bar(self.mood))
        if self.keys:
            hints = "q end call · m mute · r repeat last line" + (" · space talk / stop" if self.push_to_talk else "")
            parts.append(Text(hints, style="dim"))
        return Panel(Group(*parts), title="voicetrainer live call", border_style="cyan")
