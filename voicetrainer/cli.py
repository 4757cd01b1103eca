"""The `voicetrainer` command: hold, grade and inspect mock calls; check personas.

Errors from anywhere below are translated here, once, into one plain sentence and a hint.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from .quiet import quiet_libraries

quiet_libraries()

from . import __version__  # noqa: E402
from .cli_live import (  # noqa: E402
    EndSilence, Exam, InputDevice, OutputDevice, PushToTalk, TurnEndRule, check_turn_end, devices,
)
from .cli_personas import PersonasDir, PromptsDir, app as personas_app, personas_dir as _personas_dir  # noqa: E402
from .config import load_settings  # noqa: E402
from .errors import CallStopped, VoiceTrainerError, disk_problem  # noqa: E402
from .terminal import console, err_console, print_problem  # noqa: E402
from .cli_grade import register as register_grading  # noqa: E402
from .cli_history import history  # noqa: E402
from .cli_behaviours import app as behaviours_app  # noqa: E402
from .cli_schema import register as register_schema  # noqa: E402
from .cli_serve import serve  # noqa: E402

app = typer.Typer(
    help="Practise spoken calls with a difficult customer, then get graded.\n\n"
    "Start with `voicetrainer personas list`, then `voicetrainer call --persona angry_refund`.",
    no_args_is_help=True, add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False,
)
app.add_typer(personas_app, name="personas")
register_grading(app)
app.add_typer(behaviours_app, name="behaviours")
register_schema(app)


@app.command()
def call(
    persona: str = typer.Option(..., "--persona", "-p", help="Persona id (see `personas list`) or a persona YAML file."),
    agent_audio: Optional[Path] = typer.Option(
        None, "--agent-audio", help="Offline mode: folder of the agent's turns as WAV/FLAC files, played in name order."
    ),
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Folder for the session: journal, session.json, audio "
        "(default: a new sessions/<date>_<time>_<persona>/ for every call; the config file's sessions_dir moves it)."),
    caller: str = typer.Option("auto", "--caller", help="Customer line generator: scripted, llm, or auto (llm when an endpoint is configured)."),
    llm_base_url: Optional[str] = typer.Option(None, "--llm-base-url", help="OpenAI-compatible endpoint (overrides VOICETRAINER_LLM_BASE_URL)."),
    llm_model: Optional[str] = typer.Option(None, "--llm-model", help="Model name on that endpoint (overrides VOICETRAINER_LLM_MODEL)."),
    stt_model: Optional[str] = typer.Option(None, "--stt-model", help="faster-whisper model name or local folder (default tiny.en, bundled)."),
    tts: Optional[str] = typer.Option(None, "--tts", help="Speech synthesizer: pyttsx3 (default) or piper."),
    seed: int = typer.Option(0, "--seed", help="Seed for the scripted caller's line choice (same seed, same call)."),
    realtime: bool = typer.Option(False, "--realtime", help="Offline mode: speak the recorded turns in real time (transcribed while they play) instead of as fast as possible."),
    agent_gap: float = typer.Option(0.5, "--agent-gap", help="Offline mode: seconds between the customer's reply and the agent's next turn."),
    max_duration: Optional[float] = typer.Option(None, "--max-duration", help="End the call after this many seconds."),
    personas_dir: Optional[Path] = PersonasDir,
    prompts_dir: Optional[Path] = PromptsDir,
    grade: bool = typer.Option(True, "--grade/--no-grade", help="Grade the call when it ends (grade.json, report.html, scorecard)."),
    input_device: Optional[str] = InputDevice,
    output_device: Optional[str] = OutputDevice,
    ptt: bool = PushToTalk,
    exam: bool = Exam,
    end_silence: int = EndSilence,
    turn_end: str = TurnEndRule,
) -> None:
    """Hold a mock call: live at your headset, or offline from recorded turns with --agent-audio."""
    from .history import new_session_dir
    from .personas import find_persona
    from .setup_call import choose_caller
    from .signals import stop_call_on_sigterm
    from .terminal import print_summary

    turn_end = check_turn_end(turn_end)  # a misspelt rule is one sentence before anything loads
    settings = load_settings().with_llm(llm_base_url, llm_model)
    settings = settings.model_copy(update={**({"stt_model": stt_model} if stt_model else {}),
                                           **({"tts": tts} if tts else {})})
    the_persona = find_persona(persona, _personas_dir(personas_dir))
    out = out or new_session_dir(settings.sessions_dir, the_persona.id)  # every call its own folder
    which = choose_caller(caller, settings)
    from .cli_grade import resolve_rubric

    the_rubric = resolve_rubric(None, prompts_dir)  # the session records which rubric it is meant for
    rubric = {"name": the_rubric.name, "version": the_rubric.version}
    with stop_call_on_sigterm():  # saved like Ctrl-C (signals.py)
        if agent_audio is None:
            from .cli_live import live_call
            from .history import make_session_folder

            make_session_folder(out)  # a path that cannot be a folder: one sentence before the devices open
            session = live_call(the_persona, settings, which, seed, prompts_dir, out, input_device, output_device,
                                ptt, exam, max_duration, end_silence, rubric=rubric, turn_end=turn_end)
        else:
            session = _offline_call(the_persona, settings, which, seed, prompts_dir, out, agent_audio, realtime,
                                    agent_gap, max_duration, end_silence, rubric=rubric,
                                    turn_end=turn_end)
    console.print()
    print_summary(session, str(out))
    if grade:
        from .cli_grade import grade_and_show, make_judge

        console.print()
        grade_and_show(out, the_rubric, make_judge("auto", llm_base_url, llm_model, prompts_dir))
        from .cli_history import print_since_last

        print_since_last(out, settings.sessions_dir)


def _offline_call(the_persona, settings, which, seed, prompts_dir, out, agent_audio, realtime, agent_gap,
                  max_duration, end_silence_ms, rubric: dict | None = None, turn_end: str = "fixed") -> dict:
    """The call from recorded agent turns (FileSource), replies written to files."""
    from rich.text import Text

    from .call import CallOptions, run_call
    from .clock import RealClock, VirtualClock
    from .files import FileSink, FileSource
    from .history import make_session_folder
    from .setup_call import load_call_parts
    from .terminal import print_turn

    def warn(message: str) -> None:
        err_console.print(Text("Warning: ", style="yellow") + Text(message), soft_wrap=True)

    source = FileSource(agent_audio, on_warning=warn)
    make_session_folder(out)  # once the recordings are found: no empty folder for a mistyped --agent-audio
    console.print(Text.assemble("Calling ", (the_persona.name, "bold"), f" ({the_persona.id}) with the ", (which, "bold"),
                                f" caller{' (' + settings.llm.model_name + ')' if which == 'llm' else ''}."))
    transcriber, synthesizer, customer = load_call_parts(
        the_persona, which, settings, seed, prompts_dir, f"Loading Whisper {settings.stt_model} and the voice…",
        speech_only=True)  # recorded turns: silence must stay silence (see stt.WhisperTranscriber)
    if realtime:  # spoken at real speed: transcribe while the agent is still talking
        from .files import PacedFileSource
        from .incremental_stt import IncrementalTranscriber

        transcriber = IncrementalTranscriber(transcriber)
        from .live.endpoint import FixedRule, SmartRule

        rule = SmartRule(end_silence_ms) if turn_end == "smart" else FixedRule(end_silence_ms)
        source = PacedFileSource(agent_audio, stt=transcriber, end_silence_ms=end_silence_ms, rule=rule,
                                 on_warning=warn)
    return run_call(
        the_persona, source, FileSink(out), transcriber, synthesizer, customer, out,
        RealClock() if realtime else VirtualClock(),
        CallOptions(agent_gap_s=agent_gap, max_duration_s=max_duration),
        meta={"seed": seed, "agent_audio": str(agent_audio), "rubric": rubric,
              **({"end_silence_ms": end_silence_ms, "end_of_turn": turn_end} if realtime else {})},
        on_turn=print_turn,
    )


@app.command()
def version() -> None:
    """Print the version."""
    console.print(f"voicetrainer {__version__}")


app.command()(devices)  # live calls: cli_live.py
app.command()(history)  # progress across calls: cli_history.py
app.command()(serve)  # practise in the browser: cli_serve.py, web/


def main() -> None:
    try:
        app()
    except VoiceTrainerError as exc:
        print_problem(exc)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("Stopped. Every finished turn is saved in the session's journal.jsonl.")
        sys.exit(130)
    except CallStopped:
        err_console.print("Stopped by SIGTERM. Every finished turn is saved in the session's journal.jsonl.")
        sys.exit(143)
    except Exception as exc:  # a bug, not bad input: one line, the traceback only on request
        problem = disk_problem(exc)  # a full or read-only disk is not a bug
        if problem is not None:
            print_problem(problem)
            sys.exit(1)
        if os.environ.get("VOICETRAINER_DEBUG"):
            raise
        err_console.print(f"Unexpected error: {type(exc).__name__}: {exc}", style="red")
        err_console.print("Hint: run again with VOICETRAINER_DEBUG=1 to see where it happened, and report it.", style="dim")
        sys.exit(2)
