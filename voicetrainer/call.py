"""The call loop: agent turn in, customer reply out, every step journaled as it happens.

Live and offline calls run this same loop; only the source, sink and clock differ. It
never imports audio devices, Whisper, TTS engines or LLM clients: it gets them as
interfaces.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from . import __version__
from .audio import STT_RATE, Audio, mix_stereo, read_audio, write_wav
from .customer import Customer
from .interfaces import AudioSink, AudioSource, Clock, Synthesizer, Transcriber
from .journal import Journal, write_session
from .personas import Persona
from .tts import style_for


@dataclass(frozen=True)
class CallOptions:
    agent_gap_s: float = 0.5  # offline: silence between the customer's reply and the agent's next turn
    max_turns: int = 40  # agent turns
    max_duration_s: float | None = None
    mode: str = "offline"


def _ms(since: float) -> int:
    return int(round((time.perf_counter() - since) * 1000))


def run_call(
    persona: Persona,
    source: AudioSource,
    sink: AudioSink,
    transcriber: Transcriber,
    synthesizer: Synthesizer,
    customer: Customer,
    out_dir: str | Path,
    clock: Clock,
    options: CallOptions = CallOptions(),
    meta: dict | None = None,
    on_turn: Callable[[dict], None] | None = None,
) -> dict:
    """Hold one call and return the saved session document."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    journal = Journal(out / "journal.jsonl")
    journal.write(
        "call_started", persona=persona.id, persona_name=persona.name,
        started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        caller=customer.generator.name, stt_model=transcriber.model_name, tts=synthesizer.name,
        mood_start=persona.mood.start, mode=options.mode, voicetrainer=__version__, **(meta or {}),
    )
    index = 0

    def record(turn: dict) -> None:
        journal.write("turn", **turn)
        if on_turn:
            on_turn(turn)

    ended_by, error = "audio_exhausted", None
    try:
        for _ in range(options.max_turns):
            audio = source.next_turn()
            if audio is None:
                ended_by = "customer_satisfied" if customer.engine.accepted else "audio_exhausted"
                break
            start = clock.now()
            clock.sleep(audio.duration_s)
            end = clock.now()
            agent_file = f"agent_{index:02d}.wav"
            write_wav(out / agent_file, audio.samples, audio.rate)

            t0 = time.perf_counter()
            transcript = transcriber.transcribe(audio)
            stt_ms = _ms(t0)
            t0 = time.perf_counter()
            reply = customer.respond(transcript.text) if transcript.text else None
            if reply is None:  # the agent said nothing we could hear: the customer checks in
                text, situation, mood, detections = customer.idle_prompt(), "idle", customer.mood, ()
            else:
                text, situation, mood, detections = reply.text, reply.situation, reply.update.after, reply.detections
            caller_ms = _ms(t0)
            record({
                "index": index, "speaker": "agent", "text": transcript.text, "start_s": round(start, 3),
                "end_s": round(end, 3), "mood": mood, "behaviours": [d.behaviour for d in detections],
                "detections": [{"behaviour": d.behaviour, "trigger": d.trigger} for d in detections],
                "moved_by": [list(m) for m in reply.update.moved_by] if reply else [],
                "words": [{"w": w.text, "s": round(start + w.start_s, 3), "e": round(start + w.end_s, 3)}
                          for w in transcript.words],
                "audio": agent_file, "stt_ms": stt_ms,
            })
            index += 1
            if reply and reply.generator_error:
                journal.write("caller_error", turn=index, error=reply.generator_error,
                              message="the LLM caller failed; a scripted line was used instead")

            t0 = time.perf_counter()
            speech = synthesizer.synthesize(text, style_for(persona.voice, mood))
            tts_ms = _ms(t0)
            clock.sleep((caller_ms + tts_ms + stt_ms) / 1000)  # the customer answers once the reply is ready
            c_start = clock.now()
            sink.play(speech, index)
            clock.sleep(speech.duration_s)
            c_end = clock.now()
            record({
                "index": index, "speaker": "customer", "text": text, "start_s": round(c_start, 3),
                "end_s": round(c_end, 3), "mood": mood, "situation": situation, "behaviours": [],
                "audio": f"customer_{index:02d}.wav", "caller_ms": caller_ms, "tts_ms": tts_ms,
                "response_ms": stt_ms + caller_ms + tts_ms,
            })
            index += 1
            if reply and reply.ends_call:
                ended_by = reply.ended_by or "agent_closed"
                break
            if options.max_duration_s and clock.now() >= options.max_duration_s:
                ended_by = "time_limit"
                break
            clock.sleep(options.agent_gap_s)
        else:
            ended_by = "time_limit"
    except BaseException as exc:  # keep what happened, then let the CLI explain it
        ended_by, error = "error", f"{type(exc).__name__}: {exc}"
        raise
    finally:
        journal.write("call_ended", ended_by=ended_by, duration_s=round(clock.now(), 3),
                      final_mood=customer.mood, **({"error": error} if error else {}))
        journal.close()
        session = write_session(out)
        write_call_wav(out, session)
    return session


def write_call_wav(out: Path, session: dict, rate: int = STT_RATE) -> None:
    """call.wav: stereo, agent left, customer right, on the call's timeline."""
    sides: dict[str, list[tuple[float, Audio]]] = {"agent": [], "customer": []}
    for turn in session["turns"]:
        path = out / turn.get("audio", "")
        if turn.get("audio") and path.exists():
            sides[turn["speaker"]].append((turn["start_s"], read_audio(path, rate)))
    if sides["agent"] or sides["customer"]:
        write_wav(out / "call.wav", mix_stereo(sides["agent"], sides["customer"], rate), rate)
