"""Benchmark: precision, recall and F1 of the behaviour detectors on labelled corpora.

Feeds each corpus to `voicetrainer behaviours --json` (the command trainers use, so the
figures are for exactly what it prints), once with the phrase rules alone (`--rules-only`)
and once as a call reads (rules OR the learned heads), then scores each behaviour id per
split and per authoring round (`source`). The rounds written after a model was frozen and
never tuned on are the honest estimate of how it does on new wording; the training lines
(`train/`) are measured out of fold by `voicetrainer behaviours train`, not here. Also
prints the time per agent turn. The last line printed is one JSON object.

    .venv/bin/python bench/behaviours.py [--corpus FILE ...] [--errors] [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "behaviours"
DEFAULT_CORPORA = [FIXTURES / "labelled.jsonl", FIXTURES / "round4.jsonl"]
sys.path.insert(0, str(ROOT))

from voicetrainer.behaviour_corpus import SPLITS, averages, load_corpus, score, word_behaviour_ids  # noqa: E402

READERS = {"rules": ["--rules-only"], "rules+model": []}


def run_command(lines, flags: list[str]) -> tuple[list[dict], float]:
    """One `voicetrainer behaviours --json` process over every line, in order; seconds per line."""
    cli = Path(sys.executable).with_name("voicetrainer")
    stdin = "".join(json.dumps({"text": x.text, "previous": x.previous}) + "\n" for x in lines)
    started = time.perf_counter()
    done = subprocess.run([str(cli), "behaviours", "--json", *flags], input=stdin, capture_output=True, text=True,
                          check=False)
    elapsed = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"voicetrainer behaviours failed:\n{done.stderr}")
    out = [json.loads(row) for row in done.stdout.splitlines()]
    if len(out) != len(lines):
        sys.exit(f"voicetrainer behaviours answered {len(out)} lines for {len(lines)}")
    return out, elapsed


def time_per_turn(lines) -> dict:
    """Milliseconds per agent turn in this process, model loaded and warm: what a call pays."""
    from voicetrainer.behaviours import detect

    started = time.perf_counter()
    detect("Warm-up line.", "")  # loads the encoder and heads
    load_s = time.perf_counter() - started
    sample = lines[:200]
    out = {"model_load_s": round(load_s, 2)}
    for reader, model in (("rules", False), ("rules+model", True)):
        started = time.perf_counter()
        for x in sample:
            detect(x.text, x.previous, model=model)
        out[reader] = round(1000 * (time.perf_counter() - started) / max(len(sample), 1), 1)
    return out


def table(title: str, scores: dict, avg: dict) -> None:
    print(f"\n{title}")
    print(f"  {'behaviour':24} {'prec':>6} {'recall':>6} {'F1':>6} {'support':>7}   fp  fn")
    for b, s in scores.items():
        print(f"  {b:24} {s.precision:6.2f} {s.recall:6.2f} {s.f1:6.2f} {s.support:7}  {s.fp:3} {s.fn:3}")
    print(f"  {'micro':24} {avg['micro_precision']:6.2f} {avg['micro_recall']:6.2f} {avg['micro_f1']:6.2f}")
    print(f"  {'macro':24} {avg['macro_precision']:6.2f} {avg['macro_recall']:6.2f} {avg['macro_f1']:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, nargs="*", default=DEFAULT_CORPORA, help="labelled JSON lines files")
    parser.add_argument("--errors", action="store_true", help="list the lines the detectors got wrong (held-out too: read, don't tune)")
    parser.add_argument("--quick", action="store_true", help="the first 40 lines only (a smoke test)")
    args = parser.parse_args()

    lines = [x for f in args.corpus if f.exists() for x in load_corpus(f)]
    lines = lines[:40] if args.quick else lines
    ids = word_behaviour_ids()
    summary: dict = {"corpora": [str(f) for f in args.corpus], "lines": len(lines)}
    answers = {}
    for reader, flags in READERS.items():
        answers[reader], elapsed = run_command(lines, flags)
        summary[f"ms_per_line_{reader}"] = round(1000 * elapsed / max(len(lines), 1), 1)
    summary["ms_per_turn"] = per_turn = time_per_turn(lines)
    print(f"{len(lines)} labelled agent lines; per agent turn, warm: rules {per_turn['rules']} ms, "
          f"rules + heads {per_turn['rules+model']} ms (encoder and heads load in {per_turn['model_load_s']} s)")

    for split in SPLITS:
        summary[split] = {}
        for reader in READERS:
            picked = [(x, a) for x, a in zip(lines, answers[reader]) if x.split == split]
            if not picked:
                continue
            scores = score([x.behaviours for x, _ in picked], [set(a["behaviours"]) for _, a in picked], ids)
            avg = averages(scores)
            if reader == "rules+model":
                table(f"{split} ({len(picked)} lines), rules + learned heads", scores, avg)
            summary[split][reader] = {"lines": len(picked), **avg,
                                      "per_behaviour": {b: s.as_dict() for b, s in scores.items()}, "by_source": {}}
        print(f"\n  {split} by round: micro P / R / F1, rules alone -> rules + heads")
        for source in sorted({x.source for x in lines if x.split == split}):
            subs = {}
            for reader in READERS:
                part = [(x, a) for x, a in zip(lines, answers[reader]) if x.split == split and x.source == source]
                subs[reader] = averages(score([x.behaviours for x, _ in part], [set(a["behaviours"]) for _, a in part], ids))
                summary[split][reader]["by_source"][source or "round 1"] = {"lines": len(part), **subs[reader]}
            r, m = subs["rules"], subs["rules+model"]
            print(f"  {len(part):4} {source or 'round 1':62} {r['micro_precision']:.2f} {r['micro_recall']:.2f} "
                  f"{r['micro_f1']:.2f} -> {m['micro_precision']:.2f} {m['micro_recall']:.2f} {m['micro_f1']:.2f}")
    if args.errors:
        print("\n  lines with a wrong label (+ found but not expected, - expected but missed):")
        for x, a in zip(lines, answers["rules+model"]):
            got = set(a["behaviours"])
            if got != x.behaviours:
                diff = sorted(f"+{b}" for b in got - x.behaviours) + sorted(f"-{b}" for b in x.behaviours - got)
                print(f"  {x.split:7} {x.line:4} {' '.join(diff):40} {x.text}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
