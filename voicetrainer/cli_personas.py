"""`voicetrainer personas ...`: what trainers use to write, check and try customers.

list, show, validate, new (scaffold from an archetype), try (a text call) and schema.
Heavy modules are imported inside the commands so `--help` stays instant.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table
from rich.text import Text

from .config import load_settings
from .errors import FileValidationError
from .terminal import console, err_console, print_validation

app = typer.Typer(help="Write, check, show and try customer personas.", no_args_is_help=True)

PersonasDir = typer.Option(
    None, "--personas", file_okay=False,
    help="Folder of persona YAML files (default: personas_dir in the config file, else the shipped personas/).",
)
PromptsDir = typer.Option(
    None, "--prompts", exists=True, file_okay=False,
    help="Folder of prompt templates and the rubric; files missing there come from the shipped prompts/.",
)


def personas_dir(option: Optional[Path]) -> Path:
    """--personas, else the config file's personas_dir, else the shipped folder."""
    from .personas import DEFAULT_PERSONAS_DIR

    return option or load_settings().personas_dir or DEFAULT_PERSONAS_DIR


@app.command("list")
def personas_list(personas: Optional[Path] = PersonasDir) -> None:
    """List the personas you can call."""
    from .personas import load_persona, persona_files

    table = Table(box=None)
    table.add_column("id", no_wrap=True, min_width=18)  # never cut short: it is what users type
    for column in ("name", "archetype", "difficulty", "summary"):
        table.add_column(column, overflow="fold")
    problems = []
    for path in persona_files(personas_dir(personas)):
        try:
            p = load_persona(path)
        except FileValidationError as exc:
            problems.append(exc)
            continue
        table.add_row(p.id, p.name, p.archetype, "★" * p.difficulty, p.summary)
    console.print(table)
    for exc in problems:
        err_console.print(Text("skipped", style="yellow") + Text(f" {exc.file}: {len(exc.problems)} problem(s); "
                          f"`voicetrainer personas validate {exc.file}` lists them"))


@app.command("validate")
def personas_validate(
    files: Optional[list[Path]] = typer.Argument(
        None, help="Persona YAML files to check (default: every persona in the personas folder).", show_default=False
    ),
    personas: Optional[Path] = PersonasDir,
) -> None:
    """Check persona files; print every problem as file:line: field: what is wrong (what is expected).

    The exit code is 0 when every file is valid, 1 otherwise.
    """
    from .personas import load_persona, persona_files

    paths = files or persona_files(personas_dir(personas))
    if not paths:
        console.print("No persona files found.")
    loaded, bad = print_validation(paths, load_persona)
    for path, persona in loaded:
        if persona.id != Path(path).stem:
            console.print(Text(f"note  {path}: id '{persona.id}' differs from the file name; "
                               f"`--persona {Path(path).stem}` finds it by file name", style="yellow"), soft_wrap=True)
    if bad:
        raise typer.Exit(1)


@app.command("show")
def personas_show(
    name: str = typer.Argument(..., help="Persona id (see `personas list`) or a persona YAML file."),
    personas: Optional[Path] = PersonasDir,
) -> None:
    """Summarise a persona: who they are, what they want, what calms and what angers them."""
    from .persona_view import render_persona
    from .personas import find_persona

    console.print(render_persona(find_persona(name, personas_dir(personas))))


@app.command("schema")
def personas_schema(
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the schema to this file instead of printing it."),
) -> None:
    """Print the JSON Schema of persona files (editors use it to autocomplete and check them)."""
    from .personas import persona_json_schema

    schema = persona_json_schema()
    if out:
        out.write_text(schema, encoding="utf-8")
        err_console.print(f"Wrote {out}")
    else:
        sys.stdout.write(schema)


@app.command("new")
def personas_new(
    name: str = typer.Argument(..., help="Id of the new persona; also its file name (lowercase, digits, _)."),
    archetype: str = typer.Option(
        ..., "--archetype", "-a",
        help="Starting point: angry, passive_aggressive, confused_demanding, abusive, anxious or technical.",
    ),
    customer_name: Optional[str] = typer.Option(None, "--name", help="The customer's name (default: the archetype's)."),
    personas: Optional[Path] = PersonasDir,
    force: bool = typer.Option(False, "--force", help="Overwrite the file if it exists."),
) -> None:
    """Write a commented persona file to fill in, valid as written (PERSONAS_DIR/NAME.yaml)."""
    from .scaffold import write_new_persona

    path = write_new_persona(name, archetype, personas_dir(personas), customer_name, force)
    console.print(Text.assemble("Wrote ", (str(path), "bold"), ". Edit it, then:"))
    folder = f" --personas {personas}" if personas else ""
    for step in (f"validate {path}", f"show {name}{folder}", f"try {name}{folder}"):
        console.print(f"  voicetrainer personas {step}", markup=False)


@app.command("try")
def personas_try(
    name: str = typer.Argument(..., help="Persona id (see `personas list`) or a persona YAML file."),
    caller: str = typer.Option("scripted", "--caller", help="Customer line generator: scripted, llm, or auto (llm when an endpoint is configured)."),
    llm_base_url: Optional[str] = typer.Option(None, "--llm-base-url", help="OpenAI-compatible endpoint (overrides VOICETRAINER_LLM_BASE_URL)."),
    llm_model: Optional[str] = typer.Option(None, "--llm-model", help="Model name on that endpoint (overrides VOICETRAINER_LLM_MODEL)."),
    seed: int = typer.Option(0, "--seed", help="Seed for the scripted caller's line choice (same seed, same call)."),
    save: Optional[Path] = typer.Option(None, "--save", help="Save the call as a session in this folder (journal.jsonl, session.json); `voicetrainer grade` can grade it.", file_okay=False),
    personas: Optional[Path] = PersonasDir,
    prompts: Optional[Path] = PromptsDir,
) -> None:
    """Hold a text call: you type as the agent; see the customer's reply, mood and what moved it.

    Reads your lines from the keyboard or from piped stdin (one line per agent turn). An empty
    line or `/wait SECONDS` is silence, `/interrupt TEXT` talks over the customer, `/quit` or
    Ctrl-D stops. The call ends when the customer hangs up or is satisfied, or you close it.
    """
    from .personas import find_persona
    from .setup_call import choose_caller, make_customer, warm_up_caller
    from .signals import stop_call_on_sigterm
    from .terminal import print_problem, print_summary
    from .text_call import HELP, run_text_call

    settings = load_settings().with_llm(llm_base_url, llm_model)
    persona = find_persona(name, personas_dir(personas))
    if save:
        from .history import make_session_folder

        make_session_folder(save)
    which = choose_caller(caller, settings)
    customer = make_customer(persona, which, settings, seed, prompts)
    if llm_down := warm_up_caller(customer):  # said before the first line, as in a spoken call
        print_problem(llm_down, "Warning", "yellow",
                      then="The call goes on; until it answers, the customer speaks the persona's authored lines.")
    console.print(Text.assemble("Text call with ", (persona.name, "bold"), f" ({persona.id}), {customer.generator.name} caller. "
                                f"Mood starts at {persona.mood.start:g}."))
    interactive = sys.stdin.isatty()
    if interactive:
        console.print(HELP, style="dim")
    meta: dict = {"seed": seed}
    if save:  # a saved call records the rubric it is meant to be graded with
        from .cli_grade import resolve_rubric

        the_rubric = resolve_rubric(None, prompts)
        meta["rubric"] = {"name": the_rubric.name, "version": the_rubric.version}
    with stop_call_on_sigterm():  # saved like Ctrl-C (signals.py)
        session = run_text_call(customer, _typed_lines() if interactive else sys.stdin, save, echo=not interactive,
                                meta=meta)
    console.print()
    print_summary(session, str(save) if save else "not saved (--save FOLDER keeps it)")


def _typed_lines():
    while True:
        try:
            yield console.input(Text("Agent>", style="bold cyan") + Text("    "))
        except EOFError:
            return
