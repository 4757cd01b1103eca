"""How fast the customer answers: offline calls over the recorded fixtures, spoken in real time.

Each agent turn is fed at speaking speed, followed by the silence the live headset would
wait for (--rule fixed, the default as in `voicetrainer call`: --end-silence, shortened after a
finished sentence; --rule smart: the end-of-turn model, live.endpoint.SmartRule); Whisper transcribes while the agent speaks, and the reply is
synthesized sentence by sentence. --compare also runs the other rule (keys prefixed with its name). Two runs: the scripted
caller, then the LLM caller against the local OpenAI-protocol server streaming at a set
first-token delay and token rate. Prints median and 95th percentile per stage and end to
end, peak RSS and the time from start to ready; the last line is one JSON object.

    python bench/latency.py                # after: streaming + incremental STT
    python bench/latency.py --before       # also the one-shot path (whole reply, STT after the turn)
    python bench/latency.py --compare      # both end-of-turn rules, one after the other in this run
    python bench/latency.py --quick        # two turns of one call per caller: checks it runs (make test)
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before any heavy import: start-to-ready counts them

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

LOAD_AT_START = os.getloadavg()[0]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicetrainer.quiet import quiet_libraries  # noqa: E402

quiet_libraries()

FIXTURES = ROOT / "tests" / "fixtures" / "calls"
STAGES = [  # (label, key, speaker)
    ("endpoint wait", "endpoint_ms", "agent"),
    ("final STT", "stt_ms", "agent"),
    ("caller first sentence", "caller_first_sentence_ms", "customer"),
    ("TTS first audio", "tts_first_audio_ms", "customer"),
    ("voice-to-voice", "voice_to_voice_ms", "customer"),
]


class WholeReply:
    """The one-shot path for comparison: the reply arrives and is synthesized as one piece."""

    def __init__(self, inner):
        self.inner, self.name = inner, inner.name

    def generate(self, ctx):
        return self.inner.generate(ctx)

    def sentences(self, ctx):
        yield " ".join(self.inner.sentences(ctx))


def hold_calls(args, parts, caller: str, settings, streaming: bool, rule: str = "fixed") -> list[dict]:
    from voicetrainer.call import CallOptions, run_call
    from voicetrainer.clock import RealClock
    from voicetrainer.files import FileSink, PacedFileSource
    from voicetrainer.incremental_stt import IncrementalTranscriber
    from voicetrainer.live.endpoint import FixedRule, SmartRule
    from voicetrainer.setup_call import make_customer

    persona, whisper, synthesizer = parts
    turns = []
    for name in args.calls:
        customer = make_customer(persona, caller, settings, seed=0)
        stt = IncrementalTranscriber(whisper, **({"pause_s": args.pause} if args.pause else {}),
                                     cancel_stale=not args.no_cancel) if streaming else whisper
        if hasattr(customer.generator, "warm_up"):
            customer.generator.warm_up()  # the LLM connection, as `voicetrainer call` does
        if not streaming:
            customer.generator = WholeReply(customer.generator)
        end_rule = SmartRule(args.end_silence) if rule == "smart" else FixedRule(args.end_silence)
        source = PacedFileSource(FIXTURES / name, stt=stt if streaming else None, rule=end_rule)
        if args.max_turns:
            source.files = source.files[: args.max_turns]
        with tempfile.TemporaryDirectory() as out:
            session = run_call(persona, source, FileSink(out), stt, synthesizer, customer, out, RealClock(),
                               CallOptions(agent_gap_s=args.agent_gap))
        turns += session["turns"]
        turns += [{"speaker": "note", **n} for n in session.get("notes", []) if n.get("event") == "end_of_turn"]
        if streaming:
            turns.append({"speaker": "note", "event": "cancelled", "n": stt.cancelled})
        errors = [n for n in session.get("notes", []) if n.get("event") == "caller_error"]
        print(f"  {caller:8s} {name}: {len(session['turns'])} turns, ended by {session['ended_by']}"
              + (f", {len(errors)} caller errors" if errors else ""), file=sys.stderr)
    return turns


def human_call(n: int) -> Path:
    """A folder of n shared human-speech clips (2-8 s, as agent turns are), linked in name order."""
    speech = ROOT.parent / "shared" / "speech"
    entries = [e for e in json.loads((speech / "manifest.json").read_text()) if 2.0 <= e["duration_s"] <= 8.0]
    folder = Path(tempfile.mkdtemp(prefix="vt-human-call-"))
    for i, e in enumerate(sorted(entries, key=lambda e: e["file"])[:n]):
        src = speech / e["file"]
        (folder / f"{i + 1:02d}{src.suffix}").symlink_to(src)
    return folder


def summarise(turns: list[dict], prefix: str) -> tuple[dict, list[str]]:
    figures, lines = {}, []
    for label, key, speaker in STAGES:
        values = [t[key] for t in turns if t["speaker"] == speaker and key in t]
        if not values:
            continue
        p50, p95 = (int(round(float(np.percentile(values, q)))) for q in (50, 95))
        short = key.removesuffix("_ms")
        figures[f"{prefix}{short}_p50_ms"], figures[f"{prefix}{short}_p95_ms"] = p50, p95
        lines.append(f"  {label:24s} {p50:6d} {p95:6d} {len(values):4d}")
    tails = [t["stt_tail_s"] for t in turns if t["speaker"] == "agent" and "stt_tail_s" in t]
    if tails:  # the pause-time decode is the final transcript when nothing was left to decode
        lines.append(f"  pause-time decode reused for {tails.count(0.0)} of {len(tails)} agent turns")
    cancelled = sum(t["n"] for t in turns if t.get("event") == "cancelled")
    ends = [t for t in turns if t.get("event") == "end_of_turn" and t.get("rule") == "smart"]
    if cancelled:
        lines.append(f"  {cancelled} stale pause-time decodes cancelled")
        figures[f"{prefix}stale_decodes_cancelled"] = cancelled
    if ends:
        quick = sum(1 for t in ends if "sounds finished" in t["why"])
        lines.append(f"  end-of-turn model: {quick} of {len(ends)} turn ends sounded finished")
        figures[f"{prefix}turns_sounding_finished"] = quick
    return figures, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", nargs="+", default=["angry_refund_good", "angry_refund_bad"],
                        help="fixture calls to replay (folders under tests/fixtures/calls)")
    parser.add_argument("--end-silence", type=float, default=600.0,
                        help="base end-of-turn silence in ms, as `voicetrainer call --end-silence` (default 600)")
    parser.add_argument("--pause", type=float, default=None,
                        help="silence in seconds before the background decode starts (default: IncrementalTranscriber's)")
    parser.add_argument("--agent-gap", type=float, default=0.3, help="agent's pause after each reply (s)")
    parser.add_argument("--first-token", type=float, default=0.3, help="LLM server first-token delay (s)")
    parser.add_argument("--tokens-per-s", type=float, default=50.0, help="LLM server token rate")
    parser.add_argument("--before", action="store_true", help="also run the one-shot path, keys prefixed before_")
    parser.add_argument("--no-llm", action="store_true", help="skip the LLM-server run")
    parser.add_argument("--rule", choices=("fixed", "smart"), default="fixed",
                        help="end-of-turn rule: the fixed --end-silence rule (default, as `voicetrainer call`) "
                             "or the model (--turn-end smart, experimental)")
    parser.add_argument("--compare", action="store_true", help="also run the other rule (keys prefixed fixed_/smart_)")
    parser.add_argument("--no-cancel", action="store_true", help="let stale pause-time decodes run on (the old way)")
    parser.add_argument("--human", type=int, default=0, metavar="N",
                        help="replay N clips of the shared human speech (../shared/speech, 2-8 s each) as one call's "
                             "agent turns instead of the fixture calls (their voice is synthetic)")
    parser.add_argument("--max-turns", type=int, default=None, help="agent turns to replay per call (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="one call, two turns per caller: a smoke run whose figures mean little")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.max_turns = args.calls[:1], 2
    if args.human:
        args.calls = [str(human_call(args.human))]

    from voicetrainer.config import Settings
    from voicetrainer.personas import find_persona
    from voicetrainer.setup_call import make_customer, warm_up
    from voicetrainer.stt import WhisperTranscriber
    from voicetrainer.tts import Pyttsx3Synthesizer

    persona = find_persona("angry_refund")
    whisper, synthesizer = WhisperTranscriber("tiny.en"), Pyttsx3Synthesizer()
    warm_up(whisper, synthesizer, make_customer(persona, "scripted", Settings()), persona)
    if args.rule == "smart" or args.compare:  # the end-of-turn model is loaded before the call, as live
        from voicetrainer.live.endpoint import SmartRule, TurnEnd

        TurnEnd(SmartRule()).warm_up()
    start_to_ready = int(round((time.perf_counter() - STARTED) * 1000))
    parts = (persona, whisper, synthesizer)
    figures = {"endpoint_silence_ms": int(args.end_silence), "start_to_ready_ms": start_to_ready}
    report = [f"start to ready (imports, Whisper tiny.en, pyttsx3, warm-up): {start_to_ready} ms"]

    other = "fixed" if args.rule == "smart" else "smart"
    runs = [("", "scripted", True, args.rule)]
    if not args.no_llm:
        runs.append(("llm_", "llm", True, args.rule))
    if args.compare:  # interleaved with the main rule's runs would be fairer; one after the other is simpler
        runs += [(f"{other}_", "scripted", True, other)] + ([] if args.no_llm else [(f"{other}_llm_", "llm", True, other)])
    if args.before:
        runs += [("before_", "scripted", False, "fixed")] + ([] if args.no_llm else [("before_llm_", "llm", False, "fixed")])
    figures["rule"] = args.rule
    for prefix, caller, streaming, rule in runs:
        title = (f"{caller} caller, {'streaming + incremental STT' if streaming else 'one-shot (before)'}, "
                 f"{rule} end-of-turn rule" + ("" if streaming and not args.no_cancel else ", stale decodes not cancelled"))
        print(f"running: {title}", file=sys.stderr)
        if caller == "llm":
            turns = run_with_server(args, parts, streaming, rule)
            title += f", server {int(args.first_token * 1000)} ms first token, {args.tokens_per_s:g} tokens/s"
        else:
            turns = hold_calls(args, parts, "scripted", Settings(), streaming, rule)
        stage_figures, lines = summarise(turns, prefix)
        figures.update(stage_figures)
        report += ["", title, f"  {'stage':24s} {'p50':>6s} {'p95':>6s} {'n':>4s}  (ms)"] + lines

    figures["peak_rss_mb"] = int(round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
    figures["load_average"] = [round(LOAD_AT_START, 2), round(os.getloadavg()[0], 2)]
    report += ["", f"peak RSS: {figures['peak_rss_mb']} MB   machine: {os.cpu_count()} CPUs, load average "
               f"{LOAD_AT_START:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (a shared machine inflates every figure)"]
    print("\n".join(report))
    print(json.dumps(figures))


def run_with_server(args, parts, streaming: bool, rule: str) -> list[dict]:
    from voicetrainer.config import LLMSettings, Settings
    from voicetrainer.testing.openai_server import OpenAIServer, ScriptedReply

    persona = parts[0]
    lines = [line for by_band in persona.lines.values() for band in by_band.values() for line in band
             if "{fact}" not in line]
    counter = iter(range(10**6))

    def reply(_body: dict) -> ScriptedReply:  # the persona's own lines, two at a time, streamed at a set pace
        i = next(counter)
        text = f"{lines[(2 * i) % len(lines)]} {lines[(2 * i + 1) % len(lines)]}"
        return ScriptedReply(content=text, first_token_delay_s=args.first_token, tokens_per_s=args.tokens_per_s)

    with OpenAIServer(replies=reply) as server:
        settings = Settings(llm=LLMSettings(base_url=server.base_url, model="bench", api_key="sk-bench-local",
                                            timeout_s=10, max_retries=0))
        return hold_calls(args, parts, "llm", settings, streaming, rule)


if __name__ == "__main__":
    main()
