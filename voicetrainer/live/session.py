"""Hold a live call: the headset as source and sink of the same call loop offline calls use."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..call import CallOptions, run_call
from ..clock import RealClock
from ..customer import Customer
from ..errors import AudioDeviceError
from ..incremental_stt import IncrementalTranscriber
from ..interfaces import Synthesizer, Transcriber
from ..personas import Persona
from .controls import Controls
from .headset import Headset, HeadsetOptions


def hold_live_call(persona: Persona, options: HeadsetOptions, transcriber: Transcriber, synthesizer: Synthesizer,
                   customer: Customer, out: str | Path, controls: Controls | None = None,
                   on_turn: Callable[[dict], None] | None = None, meta: dict | None = None,
                   on_open: Callable[[Headset], None] | None = None) -> dict:
    """Open the headset, run the call until it ends, and return the saved session.

    on_open gets the open headset before the first turn (the live view and the tests watch
    its state). A device that fails mid-call ends the call with the session so far saved.
    """
    stt = IncrementalTranscriber(transcriber)  # the headset feeds it each turn as the agent speaks
    headset = Headset(options, controls, stt, record_dir=out)
    with headset:
        if on_open:
            on_open(headset)
        try:
            return run_call(
                persona, headset, headset, stt, synthesizer, customer, out,
                RealClock(), CallOptions(agent_gap_s=0.0, mode="live", max_duration_s=options.max_duration_s),
                meta={"end_silence_ms": options.end_silence_ms, "end_of_turn": "smart" if options.smart_turn else "fixed",
                      "push_to_talk": options.push_to_talk, **(meta or {})},
                on_turn=on_turn,
            )
        except AudioDeviceError as exc:
            raise AudioDeviceError(exc.message, hint=f"{exc.hint}; the call so far is saved in {out}") from None
