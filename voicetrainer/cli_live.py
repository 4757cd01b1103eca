"""The live side of the command line: `voicetrainer devices` and `call` without --agent-audio."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from .errors import VoiceTrainerError
from .terminal import console

InputDevice = typer.Option(None, "--input-device", help="Live mode: microphone by index or (part of its) name; see `voicetrainer devices`.")
OutputDevice = typer.Option(None, "--output-device", help="Live mode: headset/speaker by index or (part of its) name.")
PushToTalk = typer.Option(False, "--ptt", help="Live mode: push-to-talk; press space to start and again to end your turn.")
Exam = typer.Option(False, "--exam", help="Live mode: hide the customer's mood meter and the detected behaviours.")
EndSilence = typer.Option(600, "--end-silence", min=200, max=5000,
                          help="Live and --realtime mode: milliseconds of silence that end your turn (less after "
                               "a finished sentence, double after 'and', 'so', 'um'). With --turn-end smart: the "
                               "wait when the end-of-turn model cannot be asked, and the base of an unfinished pause.")
TurnEndRule = typer.Option("fixed", "--turn-end", case_sensitive=False,
                           help="Live and --realtime mode: how the end of your turn is found. fixed (the default): "
                                "the --end-silence silence. smart (experimental): the smart-turn model judges how "
                                "each pause sounds, about 0.3 s after a finished-sounding sentence, longer when you "
                                "sound unfinished; it can cut a multi-sentence turn short.")
TURN_END_RULES = ("fixed", "smart")
DEFAULT_END_SILENCE_MS = 600.0  # --end-silence; also the smart rule's fallback and "unfinished" base (endpoint.SmartRule)


def check_turn_end(rule: str) -> str:
    """`--turn-end`, lower-cased; anything but fixed/smart is one sentence at the CLI boundary."""
    name = (rule or "").strip().lower()
    if name not in TURN_END_RULES:
        raise VoiceTrainerError(f"--turn-end must be fixed or smart, not {rule!r}.",
                                hint="fixed (the default) waits --end-silence; smart asks the end-of-turn model (experimental)")
    return name


def devices() -> None:
    """List the microphones and headsets (outputs) you can use in a live call."""
    from rich.table import Table

    from .errors import AudioDeviceError
    from .live.devices import list_devices

    found = list_devices()
    if not found:
        raise AudioDeviceError("No audio devices were found.",
                               hint="plug in a headset; on Linux check that PulseAudio or PipeWire is running (`pactl info`)")
    table = Table("index", "name", "in", "out", "rate", "default", box=None)
    for d in found:
        marks = " ".join(m for m, on in (("input", d.default_input), ("output", d.default_output)) if on)
        table.add_row(str(d.index), d.name, str(d.inputs), str(d.outputs), f"{d.default_rate:.0f}", marks)
    console.print(table)
    console.print("Choose with --input-device / --output-device (index or name) on `voicetrainer call`.")


def live_call(persona, settings, caller: str, seed: int, prompts_dir: Path | None, out: Path,
              input_device: str | None, output_device: str | None, push_to_talk: bool, exam: bool,
              max_duration: float | None, end_silence_ms: float, rubric: dict | None = None,
              turn_end: str = "fixed") -> dict:
    """Hold a live call at the headset and return the saved session."""
    from .live.controls import Controls, KeyReader, has_terminal
    from .live.devices import choose_device, native_stderr_muted
    from .live.headset import HeadsetOptions
    from .live.session import hold_live_call
    from .live.view import LiveView
    from .setup_call import load_call_parts

    if push_to_talk and not has_terminal():
        raise VoiceTrainerError("Push-to-talk needs a terminal to read the space bar.",
                                hint="run in a terminal, or leave out --ptt so voice detection ends your turns")
    options = HeadsetOptions(
        input_device=choose_device(input_device, "input"), output_device=choose_device(output_device, "output"),
        end_silence_ms=end_silence_ms, smart_turn=check_turn_end(turn_end) == "smart",
        idle_after_s=persona.mood.idle_after_s, talks_over=persona.mood.talks_over,
        push_to_talk=push_to_talk, max_duration_s=max_duration,
    )
    console.print(Text.assemble("Calling ", (persona.name, "bold"), f" ({persona.id}) live with the ", (caller, "bold"), " caller."))
    transcriber, synthesizer, customer = load_call_parts(
        persona, caller, settings, seed, prompts_dir, f"Loading Whisper {settings.stt_model}, the voice detector and the voice…")
    controls = Controls()
    view = LiveView(persona.name, controls, exam=exam, push_to_talk=push_to_talk, keys=has_terminal(),
                    mood=persona.mood.start)
    with KeyReader(controls), view, native_stderr_muted():
        return hold_live_call(persona, options, transcriber, synthesizer, customer, out, controls,
                              on_turn=view.add_turn, meta={"seed": seed, "exam": exam, "rubric": rubric},
                              on_open=lambda headset: setattr(view, "headset", headset))
