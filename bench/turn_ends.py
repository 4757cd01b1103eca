"""Benchmark: does the end-of-turn rule cut the agent off, and how long does it make them wait?

Builds the turn-end test set (voicetrainer/testing/turn_ends.py) from the shared human
speech (../shared/speech) and recorded fixture calls: the true end of each recording and
mid-turn pauses spliced in at word boundaries (after a comma, after "and"/"so"/"um"…, and
mid-phrase). For each case it runs the real end-of-turn model and the real pause-time
Whisper decode once, then replays both rules over the pause in 32 ms windows, with the
evidence arriving when it would live:

- wait: silence after the true end of a turn until the rule ends it (median, p90);
- premature cuts: the share of mid-turn pauses the rule ends, for pauses of 0.5, 0.75 and
  1.0 s (a hesitation), before the speaker would have gone on; pauses between two sentences
  of one recording are reported on their own ("between sentences").

The transcript arrives 0.12 s + the decode time into the pause: as measured in this run
("measured", moves with the machine's load) and at a 0.45 s decode (an idle machine here).
The last line is one JSON object.

    .venv/bin/python bench/turn_ends.py [--per-kind 2] [--calls angry_refund_good ...]
    .venv/bin/python bench/turn_ends.py --quick   # three recordings: checks it runs (make test)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicetrainer.quiet import quiet_libraries  # noqa: E402

quiet_libraries()

SPEECH = ROOT.parent / "shared" / "speech"
CALLS = ROOT / "tests" / "fixtures" / "calls"
PAUSES_MS = (500, 750, 1000)
IDLE_DECODE_MS = 450.0


def score(rule, measured, decode_ms=None) -> dict:
    """Wait on true ends and premature cuts on mid-turn pauses for one rule."""
    from voicetrainer.testing.turn_ends import MID_TURN, SENTENCE, replay

    ends = [replay(rule, m, rule.model_at_ms, decode_ms=decode_ms) for m in measured if m.case.kind == "end"]
    out: dict = {"ends": len(ends)}
    if ends:
        ends.sort()
        out["wait_median_ms"] = round(statistics.median(ends))
        out["wait_p90_ms"] = round(ends[min(len(ends) - 1, int(0.9 * len(ends)))])
    mids = [m for m in measured if m.case.kind in MID_TURN]
    ended_at = [replay(rule, m, rule.model_at_ms, decode_ms=decode_ms) for m in mids]
    cuts = [t < d for t in ended_at for d in PAUSES_MS]
    out["mid_turn_pauses"] = len(mids)
    out["premature_cut_rate"] = round(sum(cuts) / len(cuts), 3) if cuts else None
    for d in PAUSES_MS:
        out[f"cut_rate_{d}ms"] = round(sum(t < d for t in ended_at) / len(ended_at), 3) if ended_at else None
    for kind in MID_TURN:
        times = [t for m, t in zip(mids, ended_at) if m.case.kind == kind]
        if times:
            out[f"cut_rate_{kind}"] = round(sum(t < d for t in times for d in PAUSES_MS) / (len(times) * len(PAUSES_MS)), 3)
    between = [replay(rule, m, rule.model_at_ms, decode_ms=decode_ms) for m in measured if m.case.kind == SENTENCE]
    if between:  # a pause between two sentences of one turn: reported apart from the mid-turn pauses
        out["cut_rate_between_sentences"] = round(sum(t < d for t in between for d in PAUSES_MS) / (len(between) * len(PAUSES_MS)), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=2, help="mid-turn pauses of each kind per recording")
    parser.add_argument("--calls", nargs="*", default=["angry_refund_good", "angry_refund_bad", "tech_meltdown_good",
                                                       "billing_dispute_bad"], help="fixture calls to take turns from")
    parser.add_argument("--end-silence", type=float, default=600.0, help="the fixed rule's silence (ms)")
    parser.add_argument("--quick", action="store_true", help="three recordings, one fixture call's first turns")
    parser.add_argument("--list", action="store_true", help="print every case with the model's answer")
    args = parser.parse_args()

    from voicetrainer.live.endpoint import FixedRule, SmartRule
    from voicetrainer.live.smart_turn import shared_model
    from voicetrainer.stt import WhisperTranscriber
    from voicetrainer.testing import turn_ends as te

    whisper, model = WhisperTranscriber("tiny.en"), shared_model()
    smart, fixed = SmartRule(args.end_silence), FixedRule(args.end_silence)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    sets = {}
    if SPEECH.is_dir():
        sets["human speech"] = te.shared_speech_cases(SPEECH, whisper, per_kind=args.per_kind,
                                                      limit=3 if args.quick else None)
    else:
        print(f"(no shared speech at {SPEECH}: fixture calls only)", file=sys.stderr)
    calls = args.calls[:1] if args.quick else args.calls
    if calls:
        cases = te.fixture_call_cases(CALLS, calls, whisper, per_kind=1)
        sets["fixture calls (synthetic voice)"] = cases[:6] if args.quick else cases
    model.probability(__import__("numpy").zeros(16000, "float32"))  # load it before anything is timed

    figures: dict = {"rules": {"fixed": f"{args.end_silence:.0f} ms, text-shortened (--end-silence)",
                               "smart": f"model at {smart.model_at_ms:.0f} ms, {smart.quick_ms:.0f} ms when finished"},
                     "pauses_ms": list(PAUSES_MS)}
    for label, cases in sets.items():
        measured = [te.measure(c, model, whisper, smart.model_at_ms) for c in cases]
        if args.list:
            for m in measured:
                print(f"  {m.case.kind:10} p={m.probability:.2f} {m.case.name:40} ...{m.case.before[-40:]}")
        kinds = {k: sum(m.case.kind == k for m in measured) for k in te.KINDS}
        decode = statistics.median(m.decode_ms for m in measured)
        model_ms = statistics.median(m.model_ms for m in measured)
        print(f"\n{label}: {len(measured)} cases {kinds}; model {model_ms:.0f} ms, pause-time decode {decode:.0f} ms (medians)")
        print(f"  {'rule':6} {'decode':>9} {'wait p50':>9} {'p90':>6} {'cut rate':>9}  " +
              " ".join(f"{d / 1000:.2f}s" for d in PAUSES_MS) + "   comma  continuing  mid_phrase  between sentences")
        block = {"cases": kinds, "model_ms_median": round(model_ms), "decode_ms_median": round(decode)}
        for decode_label, decode_ms in (("measured", None), ("idle", IDLE_DECODE_MS)):
            for rule in (fixed, smart):
                s = score(rule, measured, decode_ms)
                block[f"{rule.name}_{decode_label}"] = s
                kinds_line = "  ".join(f"{s.get(f'cut_rate_{k}', float('nan')):6.2f}" for k in te.MID_TURN) + \
                    f"  {s.get('cut_rate_between_sentences', float('nan')):6.2f}"
                print(f"  {rule.name:6} {decode_label:>9} {s.get('wait_median_ms', 0):9d} {s.get('wait_p90_ms', 0):6d} "
                      f"{s['premature_cut_rate'] or 0:9.2f}  " +
                      " ".join(f"{s[f'cut_rate_{d}ms'] or 0:5.2f}" for d in PAUSES_MS) + f"   {kinds_line}")
        figures[label] = block
    for name in ("fixed", "smart"):  # the headline: human speech, measured decode times
        head = figures.get("human speech", next(iter(figures.values())) if sets else {})
        figures[name] = head.get(f"{name}_measured", {}) if isinstance(head, dict) else {}
    figures["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    figures["seconds"] = round(time.perf_counter() - started, 1)
    print(f"\nload average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, "
          f"{os.cpu_count()} CPUs; {figures['seconds']:.0f} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
