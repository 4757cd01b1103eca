"""Commands for grading: `grade`, `rubric validate` and `behaviours`.

Registered on the main app by cli.py (`register(app)`), so this file owns its commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .errors import VoiceTrainerError, disk_problem
from .terminal import console, err_console

rubric_app = typer.Typer(help="Check the grading rubric file.", no_args_is_help=True)

RubricOption = typer.Option(None, "--rubric", help="Rubric YAML file (default: prompts/rubric.yaml, or the one in --prompts).")


def register(app: typer.Typer) -> None:
    app.command("grade")(grade)
    app.add_typer(rubric_app, name="rubric")


def resolve_rubric(rubric: Optional[Path], prompts_dir: Optional[Path] = None):
    from .config import load_settings
    from .rubric import load_rubric

    prompts_dir = prompts_dir or load_settings().prompts_dir
    if rubric is None and prompts_dir and (Path(prompts_dir) / "rubric.yaml").exists():
        rubric = Path(prompts_dir) / "rubric.yaml"
    return load_rubric(rubric)


def grade_and_show(session_dir: Path, rubric, judge=None, audio: bool = True, report: bool = True,
                   show: bool = True, embed_audio: bool = False) -> dict:
    """Grade one session, write grade.json (and report.html), print the scorecard."""
    from .grading import grade_session, write_grade
    from .grading.scorecard import print_scorecard

    result = grade_session(session_dir, rubric, judge, audio=audio)
    write_grade(session_dir, result)
    report_path = None
    if report:
        from .grading.report import write_report

        try:
            report_path = str(write_report(session_dir, result, embed_audio))
        except OSError as exc:  # a full disk: the message names the page
            exc.filename = exc.filename or str(session_dir / "report.html")
            raise
    if show:
        print_scorecard(result, console, report_path)
    return result


def grade(
    sessions: list[Path] = typer.Argument(..., help="Session folders (the --out of `voicetrainer call`)."),
    rubric: Optional[Path] = RubricOption,
    prompts_dir: Optional[Path] = typer.Option(None, "--prompts", help="Folder of prompt templates and the rubric."),
    judge: str = typer.Option("auto", "--judge", help="rules, llm, or auto (llm when an endpoint is configured)."),
    llm_base_url: Optional[str] = typer.Option(None, "--llm-base-url", help="OpenAI-compatible endpoint for the LLM judge."),
    llm_model: Optional[str] = typer.Option(None, "--llm-model", help="Model name on that endpoint."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, max=32, help="Sessions graded at once (useful with the LLM judge)."),
    audio: bool = typer.Option(True, "--audio/--no-audio", help="Measure loudness and pitch from the recordings."),
    report: bool = typer.Option(True, "--report/--no-report", help="Write report.html beside grade.json."),
    embed_audio: bool = typer.Option(False, "--embed-audio", help="Put the call's audio inside report.html (Ogg Vorbis), to mail it alone."),
) -> None:
    """Grade saved sessions: writes grade.json and report.html into each and prints a scorecard."""
    from concurrent.futures import ThreadPoolExecutor

    from rich.progress import Progress

    the_rubric = resolve_rubric(rubric, prompts_dir)
    the_judge = make_judge(judge, llm_base_url, llm_model, prompts_dir)
    sessions = list(dict.fromkeys(sessions))  # a folder named twice is graded once
    if len(sessions) == 1:
        _check_folder(sessions[0])
        grade_and_show(sessions[0], the_rubric, the_judge, audio, report, embed_audio=embed_audio)
        return
    # A batch grades every folder it can: one broken folder is named in the table, and the
    # exit code (1) says some failed, only after all the others are graded.
    results: dict[Path, dict | Exception] = {}
    with Progress(console=err_console, transient=True) as progress, ThreadPoolExecutor(jobs) as pool:
        task = progress.add_task("Grading", total=len(sessions))

        def one(path: Path) -> None:
            try:
                _check_folder(path)
                results[path] = grade_and_show(path, the_rubric, the_judge, audio, report, False, embed_audio)
            except VoiceTrainerError as exc:
                results[path] = exc
            except Exception as exc:  # noqa: BLE001 - a bug on one folder must not lose the others' grades
                results[path] = disk_problem(exc) or VoiceTrainerError(
                    f"Unexpected error grading {path}: {type(exc).__name__}: {exc}")
            progress.advance(task)

        list(pool.map(one, sessions))
    print_many(sessions, results)
    failed = [p for p in sessions if isinstance(results[p], Exception)]
    if failed:
        err_console.print(f"{len(failed)} of {len(sessions)} sessions could not be graded: "
                          f"{', '.join(str(p) for p in failed)}", style="red", soft_wrap=True)
        raise typer.Exit(1)


def _check_folder(path: Path) -> None:
    if not path.is_dir():
        raise VoiceTrainerError(f"{path} is not a folder.", hint="pass the --out folder of a `voicetrainer call`")


def print_many(sessions: list[Path], results: dict) -> None:
    """One row per session: overall, outcome and each criterion's score (- when not applicable)."""
    from rich.table import Table
    from rich.text import Text

    first = next((r for r in results.values() if isinstance(r, dict)), None)
    ids = [c["id"] for c in first["criteria"]] if first else []
    codes = ["".join(w[0] for w in i.split("_"))[:2].upper().ljust(2, i[1].upper()) for i in ids]
    table = Table("session", "overall", "outcome", " ".join(codes), box=None)
    for path in sessions:
        r = results[path]
        if isinstance(r, Exception):  # the whole path: a batch may hold folders of the same name
            table.add_row(str(path), Text("error", style="red"), r.message)
            continue
        scores = {c["id"]: c["score"] for c in r["criteria"]}
        table.add_row(path.name, str(r["overall"]), r["outcome"],
                      " ".join(("-" if scores.get(i) is None else str(scores[i])).ljust(2) for i in ids))
    console.print(table)
    console.print(" ".join(f"{code}={i}" for code, i in zip(codes, ids)), style="dim")


def make_judge(which: str, base_url: Optional[str], model: Optional[str], prompts_dir: Optional[Path]):
    """None for the rules judge; the LLM judge when asked for, or when `auto` finds an endpoint."""
    if which not in ("auto", "rules", "llm"):
        raise VoiceTrainerError(f"Unknown judge '{which}'.", hint="use --judge rules, llm or auto")
    if which == "rules":
        return None
    from .config import load_settings

    settings = load_settings()
    llm = settings.with_llm(base_url, model).llm
    if not llm.configured:
        if which == "llm":
            raise VoiceTrainerError("The LLM judge needs an endpoint, and none is configured.",
                                    hint="set VOICETRAINER_LLM_BASE_URL (and VOICETRAINER_LLM_MODEL), or pass --llm-base-url")
        return None
    try:
        from .grading.judge import LLMJudge
    except ImportError:
        return None
    return LLMJudge(llm, prompts_dir or settings.prompts_dir)


@rubric_app.command("validate")
def rubric_validate(files: list[Path] = typer.Argument(..., help="Rubric YAML files to check.")) -> None:
    """Check rubric files and report every problem with file, line and field."""
    from .rubric import load_rubric

    from .terminal import print_validation

    if print_validation(files, load_rubric)[1]:
        raise typer.Exit(1)

