"""Benchmark: time and peak memory to grade a long session with the rules judge.

Holds one real offline call (the good fixture: Whisper, scripted caller, pyttsx3), then
tiles its turns, audio and word timestamps into a session of --minutes (default 10) and
grades it --repeat times: without audio metrics (target: under 1 s), with them, and with
the HTML report. Prints per-stage figures and, last, one JSON line.

    .venv/bin/python bench/grade.py [--minutes 10] [--repeat 3] [--session DIR]
    .venv/bin/python bench/grade.py --quick   # a 1-minute session graded once: checks it runs (make test)
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicetrainer.quiet import quiet_libraries  # noqa: E402

quiet_libraries()

from voicetrainer.grading import grade_session, write_grade  # noqa: E402
from voicetrainer.grading.evidence import turn_evidence  # noqa: E402
from voicetrainer.grading.report import write_report  # noqa: E402
from voicetrainer.grading.rules import score_rubric  # noqa: E402
from voicetrainer.grading.timing import timing_metrics  # noqa: E402
from voicetrainer.grading.voice import voice_metrics  # noqa: E402
from voicetrainer.journal import load_session  # noqa: E402
from voicetrainer.rubric import load_rubric  # noqa: E402


def hold_fixture_call(out: Path) -> None:
    from voicetrainer.call import CallOptions, run_call
    from voicetrainer.clock import VirtualClock
    from voicetrainer.config import Settings
    from voicetrainer.files import FileSink, FileSource
    from voicetrainer.personas import find_persona
    from voicetrainer.setup_call import make_customer
    from voicetrainer.stt import WhisperTranscriber
    from voicetrainer.tts import Pyttsx3Synthesizer

    persona = find_persona("angry_refund")
    run_call(persona, FileSource(ROOT / "tests/fixtures/calls/angry_refund_good"), FileSink(out),
             WhisperTranscriber("tiny.en"), Pyttsx3Synthesizer(), make_customer(persona, "scripted", Settings(), 0),
             out, VirtualClock(), CallOptions())


def tile(base: Path, out: Path, minutes: float) -> dict:
    """A session of `minutes` made of the base call's turns repeated on one timeline."""
    session = load_session(base)
    turns, shift, index = [], 0.0, 0
    length = session["turns"][-1]["end_s"] + 0.5
    while shift < minutes * 60:
        for t in session["turns"]:
            copy = dict(t, index=index, start_s=round(t["start_s"] + shift, 3), end_s=round(t["end_s"] + shift, 3))
            if t.get("words"):
                copy["words"] = [{"w": w["w"], "s": round(w["s"] + shift, 3), "e": round(w["e"] + shift, 3)}
                                 for w in t["words"]]
            turns.append(copy)
            index += 1
        shift += length
    out.mkdir(parents=True, exist_ok=True)
    for wav in base.glob("*.wav"):
        shutil.copy(wav, out / wav.name)
    tiled = dict(session, turns=turns, duration_s=turns[-1]["end_s"])
    (out / "session.json").write_text(json.dumps(tiled))
    return tiled


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the tiled session")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is printed)")
    parser.add_argument("--session", type=Path, help="a saved session to tile (default: hold the good fixture call)")
    parser.add_argument("--quick", action="store_true", help="a 1-minute session, one run per figure (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.minutes, args.repeat = 1.0, 1

    work = Path(tempfile.mkdtemp(prefix="vt-bench-grade-"))
    try:
        base = args.session
        if base is None:
            base = work / "base"
            print("Holding the good fixture call once (Whisper, scripted caller, pyttsx3)...", flush=True)
            hold_fixture_call(base)
        long = work / "long"
        session = tile(base, long, args.minutes)
        turns = session["turns"]
        agent = sum(1 for t in turns if t["speaker"] == "agent")
        print(f"Session: {session['duration_s'] / 60:.1f} min, {len(turns)} turns ({agent} agent turns with audio)")
        rubric = load_rubric()

        figures = {}
        figures["timing_metrics_ms"], _ = timed(lambda: timing_metrics(turns, rubric.fillers, rubric.dead_air_s), args.repeat)
        figures["evidence_ms"], evidence = timed(lambda: turn_evidence(turns), args.repeat)
        figures["voice_metrics_ms"], voice = timed(lambda: voice_metrics(long, turns, rubric.raised_voice_db, rubric.raised_pitch_st), args.repeat)
        metrics = {**timing_metrics(turns, rubric.fillers, rubric.dead_air_s), **voice}
        figures["scoring_ms"], _ = timed(lambda: score_rubric(rubric, evidence, metrics, turns), args.repeat)

        t0 = time.perf_counter()
        grade_session(long, rubric, audio=False)  # cold: includes the first validation of the record
        figures["first_grade_without_audio_ms"] = (time.perf_counter() - t0) * 1000
        figures["grade_without_audio_ms"], _ = timed(lambda: grade_session(long, rubric, audio=False), args.repeat)
        figures["grade_with_audio_ms"], grade = timed(lambda: grade_session(long, rubric), args.repeat)
        for audio in (False, True):  # memory separately: tracemalloc slows Python code down
            tracemalloc.start()
            grade_session(long, rubric, audio=audio)
            figures[f"grade_{'with' if audio else 'without'}_audio_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        figures["write_grade_and_report_ms"], _ = timed(
            lambda: (write_grade(long, grade), write_report(long, grade)), args.repeat)
        figures["report_kb"] = (long / "report.html").stat().st_size / 1024
        figures["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        figures = {k: round(v, 1) for k, v in figures.items()}

        print(f"{'stage (peak = Python allocations)':34} {'median of ' + str(args.repeat):>14}")
        for key, value in figures.items():
            unit = "ms" if key.endswith("_ms") else "MB" if key.endswith("_mb") else "kB"
            print(f"{key.rsplit('_', 1)[0].replace('_', ' '):34} {value:>11} {unit}")
        target = figures["grade_without_audio_ms"] < 1000
        print(f"Target (10-minute session without audio metrics under 1 s): {'met' if target else 'NOT met'}; "
              f"overall {grade['overall']}/100")
        print(json.dumps({"minutes": round(session["duration_s"] / 60, 2), "turns": len(turns), **figures}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
