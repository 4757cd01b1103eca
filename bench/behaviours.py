"""Benchmark: precision, recall and F1 of the behaviour detectors on a labelled corpus.

Feeds the corpus to `voicetrainer behaviours --json` (the command trainers use, so the
figures are for exactly what it prints), then scores each behaviour id on the dev and
held-out splits, with micro and macro averages. With --errors it lists the lines it got
wrong on the dev split (tune on dev; the held-out split is for checking), and the figures
per authoring round (`source`): the lines written after a tuning round and never tuned on
are the honest estimate of how the phrases do on new wording. The last line printed is
one JSON object.

    .venv/bin/python bench/behaviours.py [--corpus FILE] [--errors]
    .venv/bin/python bench/behaviours.py --quick   # 20 lines per split: checks it runs (make test)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / "tests" / "fixtures" / "behaviours" / "labelled.jsonl"
sys.path.insert(0, str(ROOT))

from voicetrainer.behaviour_corpus import SPLITS, averages, load_corpus, score, word_behaviour_ids  # noqa: E402


def run_command(lines) -> list[dict]:
    """One `voicetrainer behaviours --json` process over every line, in order."""
    cli = Path(sys.executable).with_name("voicetrainer")
    stdin = "".join(json.dumps({"text": x.text, "previous": x.previous}) + "\n" for x in lines)
    done = subprocess.run([str(cli), "behaviours", "--json"], input=stdin, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"voicetrainer behaviours failed:\n{done.stderr}")
    out = [json.loads(row) for row in done.stdout.splitlines()]
    if len(out) != len(lines):
        sys.exit(f"voicetrainer behaviours answered {len(out)} lines for {len(lines)}")
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
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="labelled JSON lines file")
    parser.add_argument("--errors", action="store_true", help="list the dev lines the detectors got wrong")
    parser.add_argument("--quick", action="store_true", help="the first 20 lines of each split (a smoke run)")
    args = parser.parse_args()

    lines = load_corpus(args.corpus)
    if args.quick:
        lines = [x for split in SPLITS for x in [x for x in lines if x.split == split][:20]]
    started = time.perf_counter()
    answers = run_command(lines)
    elapsed = time.perf_counter() - started
    ids = word_behaviour_ids()
    print(f"{len(lines)} labelled agent lines from {args.corpus}; `voicetrainer behaviours` took {elapsed:.2f} s")

    summary: dict = {"corpus": str(args.corpus), "lines": len(lines), "seconds": round(elapsed, 2)}
    for split in SPLITS:
        picked = [(x, a) for x, a in zip(lines, answers) if x.split == split]
        scores = score([x.behaviours for x, _ in picked], [set(a["behaviours"]) for _, a in picked], ids)
        avg = averages(scores)
        table(f"{split} ({len(picked)} lines)", scores, avg)
        summary[split] = {"lines": len(picked), **avg, "per_behaviour": {b: s.as_dict() for b, s in scores.items()}}
        for source in sorted({x.source for x, _ in picked}):
            part = [(x, a) for x, a in picked if x.source == source]
            sub = averages(score([x.behaviours for x, _ in part], [set(a["behaviours"]) for _, a in part], ids))
            print(f"  {len(part):3} lines from {source or 'round 1'}: micro P {sub['micro_precision']:.2f} "
                  f"R {sub['micro_recall']:.2f} F1 {sub['micro_f1']:.2f}")
            summary[split].setdefault("by_source", {})[source or "round 1"] = {"lines": len(part), **sub}
        if args.errors and split == "dev":
            print("\n  dev lines with a wrong label (+ found but not expected, - expected but missed):")
            for x, a in picked:
                got = set(a["behaviours"])
                if got != x.behaviours:
                    diff = sorted(f"+{b}" for b in got - x.behaviours) + sorted(f"-{b}" for b in x.behaviours - got)
                    print(f"  {x.line:4} {' '.join(diff):40} {x.text}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
