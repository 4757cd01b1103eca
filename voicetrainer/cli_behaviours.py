"""`voicetrainer behaviours`: what the detectors hear in agent lines, and retraining them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from .errors import VoiceTrainerError
from .terminal import console

app = typer.Typer(
    help="See which behaviours a line shows (lines on stdin), or retrain the learned detector.",
    invoke_without_command=True, add_completion=False, rich_markup_mode=None,
)


@app.callback()
def behaviours(
    ctx: typer.Context,
    json_lines: bool = typer.Option(False, "--json", help="Input is JSON lines {\"text\": ..., \"previous\": ...} (auto-detected per line otherwise)."),
    rules_only: bool = typer.Option(False, "--rules-only", help="Phrase rules alone, without the learned heads (to compare)."),
) -> None:
    """Detect agent behaviours in lines read from stdin; print one JSON line per input line.

    Input: plain text, one agent line per line, or JSON lines {"text": ..., "previous": "what
    the caller said before it"}. Output: {"text", "behaviours": [ids], "triggers": {id: words},
    "confidence": {id: the learned head's probability}}.
    """
    if ctx.invoked_subcommand:
        return
    from .behaviours import detect

    for number, raw in enumerate(sys.stdin, 1):
        line = raw.strip()
        if not line:
            continue
        text, previous = line, ""
        if json_lines or line.startswith("{"):
            try:
                item = json.loads(line)
                text, previous = str(item["text"]), str(item.get("previous") or "")
            except (json.JSONDecodeError, KeyError, TypeError):
                raise VoiceTrainerError(f"Line {number} of the input is not a JSON object with a \"text\" field.",
                                        hint='use {"text": "...", "previous": "..."} per line, or plain text') from None
        found = detect(text, previous, model=not rules_only)
        out = {"text": text, "behaviours": [d.behaviour for d in found],
               "triggers": {d.behaviour: d.trigger for d in found},
               "confidence": {d.behaviour: d.confidence for d in found}}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()


@app.command("train")
def train(
    corpus: Optional[list[Path]] = typer.Option(
        None, "--corpus", help="Labelled JSON-lines files or folders of them (default: the project's corpus, "
        "tests/fixtures/behaviours/labelled.jsonl and train/). Only `dev` lines are trained on."),
    add: Optional[list[Path]] = typer.Option(None, "--add", help="More labelled files (your company's phrasing), trained on with the default corpus."),
    out: Optional[Path] = typer.Option(None, "--out", help="Where to write the heads (default: the ones the detector uses)."),
) -> None:
    """Rebuild the learned behaviour heads from labelled lines (seeded: the same corpus gives the same file)."""
    from .detector import HEADS
    from .detector_training import DEFAULT_CORPORA, train as train_heads

    paths = list(corpus or DEFAULT_CORPORA) + list(add or [])
    for p in paths:
        if not p.exists():
            raise VoiceTrainerError(f"{p} does not exist.", hint="pass a labelled .jsonl file or a folder of them")
    with console.status("Reading the corpus with the sentence encoder…") as status:
        summary = train_heads(paths, out or HEADS,
                              progress=lambda i, n: status.update(f"Reading the corpus… {i}/{n} lines"))
    console.print(f"Trained {len(summary['heads'])} heads on {summary['lines']} lines; wrote {out or HEADS}.")
    console.print("Out-of-fold figures on the training lines (measure new wording with bench/behaviours.py):")
    for b, s in summary["heads"].items():
        console.print(f"  {b:22} threshold {s['threshold']:.2f}  P {s['precision']:.2f}  R {s['recall']:.2f}  "
                      f"F1 {s['f1']:.2f}  ({s['positives']} lines)")
