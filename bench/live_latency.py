"""Per-turn latency of a live call over virtual PulseAudio devices (no hardware needed).

Runs the scripted live scenario (voicetrainer/testing/live_scenario.py: four recorded agent
turns spoken into a virtual microphone, one barge-in, one idle prompt) and prints the
median and worst of each stage. Needs pulseaudio + pulseaudio-utils + libasound2-plugins.

    .venv/bin/python bench/live_latency.py [--runs N] [--tts pyttsx3|piper] [--end-silence MS] [--rule smart|fixed]
    .venv/bin/python bench/live_latency.py --quick   # one call with the four shortest turns (make test)

The last line printed is one JSON object (medians and worst cases in ms).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = [  # (label, speaker, field)
    ("endpoint wait (silence before the turn closed)", "agent", "endpoint_ms"),
    ("STT after the endpoint", "agent", "stt_ms"),
    ("caller, first sentence", "customer", "caller_first_sentence_ms"),
    ("caller, whole reply", "customer", "caller_ms"),
    ("TTS, first sentence", "customer", "tts_first_audio_ms"),
    ("TTS, whole reply", "customer", "tts_ms"),
    ("end of turn -> first customer sound", "customer", "response_ms"),
    ("voice-to-voice (last word -> first sound)", "customer", "voice_to_voice_ms"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="scripted calls to hold (about a minute each)")
    parser.add_argument("--tts", default="pyttsx3", help="pyttsx3 or piper")
    parser.add_argument("--end-silence", type=float, default=900.0, help="base end-of-turn silence, ms")
    parser.add_argument("--rule", choices=("fixed", "smart"), default="fixed",
                        help="end of turn: the fixed --end-silence rule (default, as the live tests) or the model")
    parser.add_argument("--quick", action="store_true", help="one call spoken with the four shortest turns (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.runs = 1

    from voicetrainer.quiet import quiet_libraries

    quiet_libraries()
    from voicetrainer.testing.pulse import VirtualAudio

    work = Path(tempfile.mkdtemp(prefix="live-bench-"))
    with VirtualAudio(work / "pulse") as pulse:
        os.environ.update(pulse.env)
        from voicetrainer.callers.scripted import ScriptedGenerator
        from voicetrainer.customer import Customer
        from voicetrainer.personas import find_persona
        from voicetrainer.stt import WhisperTranscriber
        from voicetrainer.testing.live_scenario import run_live_scenario
        from voicetrainer.tts import make_synthesizer

        persona = find_persona("angry_refund", ROOT / "personas")
        persona = persona.model_copy(update={"mood": persona.mood.model_copy(update={"idle_after_s": 3.0})})
        transcriber, synthesizer = WhisperTranscriber("tiny.en"), make_synthesizer(args.tts)
        turns = sorted((ROOT / "tests/fixtures/calls/angry_refund_good").glob("*.wav"))
        if args.quick:
            import soundfile as sf

            turns = sorted(sorted(turns, key=lambda p: sf.info(p).duration)[:4])
        sessions = []
        for run in range(args.runs):
            result = run_live_scenario(pulse, turns, persona, transcriber, synthesizer,
                                       Customer(persona, ScriptedGenerator(run)), work / f"call{run}",
                                       end_silence_ms=args.end_silence, smart_turn=args.rule == "smart")
            if result.problems:
                print(f"run {run}: {result.problems}")
            sessions.append(result.session)

    print(f"{args.runs} live call(s), tts={args.tts}, {args.rule} end-of-turn rule, base end silence {args.end_silence:.0f} ms; "
          "idle prompts and interrupted replies included; silent agent turns left out")
    print(f"{'stage':48} {'n':>3} {'median ms':>10} {'worst ms':>9}")
    figures = {"runs": args.runs, "rule": args.rule, "end_silence_ms": args.end_silence, "load_average": round(os.getloadavg()[0], 2)}
    for label, speaker, key in STAGES:
        values = [t[key] for s in sessions for t in s["turns"]
                  if t["speaker"] == speaker and t.get(key) is not None and t.get("text", "x") != ""]
        if values:
            print(f"{label:48} {len(values):3d} {statistics.median(values):10.0f} {max(values):9.0f}")
            short = key.removesuffix("_ms")
            figures[f"{short}_median_ms"], figures[f"{short}_worst_ms"] = round(statistics.median(values)), round(max(values))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
