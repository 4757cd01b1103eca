"""`personas try`: a text call. The trainer types the agent's lines; the customer answers.

The same Customer (mood engine + scripted or LLM lines) as a spoken call, without audio,
so a trainer can try a persona in a minute. Lines starting with `/` stand for what only
a voice call has: silence and talking over the customer. With a save folder the call is
journaled like a spoken one (times estimated from word counts) and can be graded.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from rich.text import Text

from .customer import Customer
from .errors import STOPPED_BY
from .record.models import detection_records
from .record.recorder import Recorder, call_started
from .terminal import console, mood_bar

WORDS_PER_S = 2.5  # 150 words a minute: a spoken turn's estimated length in a saved text call
GAP_S = 0.5
HELP = ("Type what you say as the agent and press Enter. An empty line or /wait SECONDS: you stay silent. "
        "/interrupt TEXT: you talk over the customer. /quit (or Ctrl-D): stop.")


class TextCall:
    """One text call; `turn(line)` takes a typed line and returns False once the call is over."""

    def __init__(self, customer: Customer, save: Path | None = None, echo: bool = False, meta: dict | None = None):
        self.customer, self.persona, self.echo = customer, customer.persona, echo
        self.turns: list[dict] = []
        self.clock = 0.0
        self.pending_timing: list[str] = []  # timing behaviours carried to the agent's next turn
        self.ended_by: str | None = None
        if save:
            save.mkdir(parents=True, exist_ok=True)
        # Saved or not, the call is recorded the same way; only a saved one is journaled to disk.
        self.recorder = Recorder(save, call_started(self.persona, customer.generator.name, None, None, "text",
                                                    **(meta or {})))
        self.session: dict | None = None

    # -- one typed line --------------------------------------------------------------
    def turn(self, raw: str) -> bool:
        line = raw.strip()
        command, _, rest = line.partition(" ")
        if line in ("/quit", "/end", "/exit"):
            return self._end("input_ended")
        if line == "/help":
            console.print(HELP, style="dim")
            return True
        if not line or command == "/wait":
            return self._silence(rest)
        if command == "/interrupt":
            return self._agent(rest.strip(), ["interrupts"]) if rest.strip() else self._unknown(line)
        if line.startswith("/"):
            return self._unknown(line)
        return self._agent(line, [])

    def finish(self, ended_by: str = "input_ended", stopping: bool = False) -> dict:
        """Close the call (if the customer has not) and return the session document. `stopping`:
        an exception is on its way out, so a failure to save (a full disk) is not raised over it."""
        if self.ended_by is None:
            self.ended_by = ended_by
        if self.session is None and not self.recorder.closed:
            self.session = self.recorder.finish(self.ended_by, self.clock, self.customer.mood, stopping=stopping)
        return self.session

    # -- what each kind of line does -------------------------------------------------
    def _agent(self, text: str, timing: list[str]) -> bool:
        if self.echo:
            console.print(Text("Agent     ", style="bold cyan") + Text(text))
        talks_over = "interrupts" in timing and self.persona.mood.talks_over
        if talks_over:  # a persona that keeps going for a moment before yielding
            self._customer_line(self.customer.aside("interrupted"), "interrupted", note="keeps talking over you")
        elif "interrupts" in timing:
            console.print(Text("          (the customer stops to let you speak)", style="dim"))
        reply = self.customer.respond(text, self.pending_timing + timing)
        self.pending_timing = []
        update = reply.update
        self._record("agent", text, mood=update.after, behaviours=[d.behaviour for d in reply.detections],
                     detections=detection_records(reply.detections),
                     moved_by=[list(m) for m in update.moved_by], mood_before=update.before, outcome=update.outcome)
        if reply.generator_error:  # the LLM failed; the scripted line stood in, as in a spoken call
            console.print(Text(f"          (the LLM caller failed: {reply.generator_error.rstrip('.')}; an authored line was used)",
                               style="yellow"))
            self.recorder.note("caller_error", turn=len(self.turns), error=reply.generator_error,
                               message="the LLM caller failed; a scripted line was used instead")
        if reply.cut:  # the LLM's reply was longer than allowed: what was kept is whole sentences
            self.recorder.note("reply_cut", turn=len(self.turns), message=reply.cut)
        self._customer_line(reply.text, reply.situation, abusive=reply.abusive)
        moved = ", ".join(f"{b} {d:+g}" for b, d in update.moved_by) or "nothing moved it"
        console.print(Text("          mood ") + mood_bar(update.after) + Text(f"  {update.band}", style="bold")
                      + Text(f"   {moved}", style="dim"))
        if reply.ends_call:
            return self._end(reply.ended_by or "agent_closed")
        return True

    def _silence(self, seconds: str) -> bool:
        idle_after = self.persona.mood.idle_after_s
        try:
            wait = float(seconds) if seconds.strip() else idle_after
        except ValueError:
            return self._unknown(f"/wait {seconds}")
        self.clock += wait
        if wait < idle_after:
            console.print(Text(f"          ({wait:g} s of silence; {self.persona.name} waits — "
                               f"their patience runs out at {idle_after:g} s)", style="dim"))
            return True
        if "dead_air" not in self.pending_timing:
            self.pending_timing.append("dead_air")  # counted with the agent's next turn, as in a spoken call
        self._customer_line(self.customer.idle_prompt(), "idle", note=f"after {wait:g} s of silence")
        return True

    def _unknown(self, line: str) -> bool:
        console.print(Text(f"          (not understood: {line!r}) ", style="yellow") + Text(HELP, style="dim"))
        return True

    def _end(self, ended_by: str) -> bool:
        self.ended_by = ended_by
        return False

    # -- output and journal ----------------------------------------------------------
    def _customer_line(self, text: str, situation: str, note: str = "", abusive: bool = False) -> None:
        label = Text("Customer  ", style="bold magenta")
        aside = Text(f"({note}) ", style="dim") if note else Text()
        console.print(label + aside + Text(text) + Text(f"   [{situation}]", style="dim"))
        self._record("customer", text, mood=self.customer.mood, situation=situation, behaviours=[],
                     **({"abusive": True} if abusive else {}))

    def _record(self, speaker: str, text: str, **fields) -> None:
        start = self.clock
        self.clock += max(0.5, len(re.findall(r"\w+", text)) / WORDS_PER_S)
        turn = {"index": len(self.turns), "speaker": speaker, "text": text, "start_s": round(start, 3),
                "end_s": round(self.clock, 3), **fields}
        self.clock += GAP_S
        self.turns.append(turn)
        self.recorder.turn(turn)


def run_text_call(customer: Customer, lines: Iterable[str], save: Path | None = None, echo: bool = False,
                  meta: dict | None = None) -> dict:
    """Play typed lines until the customer ends the call or the lines run out; return the session."""
    call = TextCall(customer, save, echo, meta)
    try:
        for line in lines:
            if not call.turn(line):
                break
    except KeyboardInterrupt:
        pass  # Ctrl-C at the prompt: stop like Ctrl-D, and keep what was said
    except BaseException as exc:
        # SIGTERM (CallStopped) is saved like Ctrl-C, as `terminated`, and any other error as
        # `error`: the journal says how it ended; the CLI says it stopped, or explains the error.
        call.finish(STOPPED_BY.get(type(exc), "error"), stopping=True)
        raise
    return call.finish()
