"""The call loop: agent turn in, customer reply out, every step journaled as it happens.

Live and offline calls run this same loop; only the source, sink and clock differ. It
never imports audio devices, Whisper, TTS engines or LLM clients: it gets them as
interfaces.

The reply streams: the customer's first sentence is synthesized and handed to the sink
while the next is still being generated (ReplySpeech), so the customer starts speaking
after one sentence, not the whole reply. Each turn journals where the time went.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .audio import STT_RATE, Audio, mix_stereo, read_audio, speech_end_s, write_wav
from .customer import Customer
from .errors import STOPPED_BY
from .interfaces import AudioSink, AudioSource, Clock, Synthesizer, Transcriber, Transcript
from .personas import Persona
from .record.models import detection_records
from .record.recorder import Recorder, call_started
from .reply_speech import ReplySpeech
from .tts import style_for


@dataclass(frozen=True)
class CallOptions:
    agent_gap_s: float = 0.5  # offline: silence between the customer's reply and the agent's next turn (live: 0)
    max_turns: int = 40  # agent turns
    max_duration_s: float | None = None
    mode: str = "offline"
    # The longest customer reply spoken, whatever the generator produced (an LLM that ignores
    # its token limit must not fill the disk and the memory with one reply's audio).
    max_reply_audio_s: float = 60.0


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))


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
    recorder = Recorder(out, call_started(persona, customer.generator.name, transcriber.model_name,
                                          synthesizer.name, options.mode, **(meta or {})))
    index = 0

    def record(turn: dict) -> None:
        recorder.turn(turn)
        if on_turn:
            on_turn(turn)

    ended_by, error = "audio_exhausted", None
    timing: list[str] = []  # timing behaviours for the next reply (the agent talked over the customer)
    try:
        for _ in range(options.max_turns):
            audio = source.next_turn()
            heard_at = time.perf_counter()  # the turn has ended (endpointed) and is ours
            notes = getattr(source, "notes", [])
            while notes:
                note = notes.pop(0)
                recorder.note(note.pop("event"), **note)
            if audio is None:
                ended_by = getattr(source, "ended_by", None) or (  # a live source: end key or time limit
                    "customer_satisfied" if customer.engine.accepted else "audio_exhausted")
                break
            if getattr(source, "paced", False):  # the source took as long as the turn did (mic, paced replay)
                end = clock.now()
                start = max(0.0, end - audio.duration_s)
            else:
                start = clock.now()
                clock.sleep(audio.duration_s)
                end = clock.now()
            # The agent's last word: the source may know; else the start of the audio's trailing silence.
            last_word_at = getattr(source, "last_speech_end_at", None) or (
                heard_at - (audio.duration_s - speech_end_s(audio)))

            silent = getattr(source, "last_turn_silent", False)  # its voice detector heard no speech
            transcript = Transcript("") if silent else transcriber.transcribe(audio)
            stt_s = time.perf_counter() - heard_at
            reply = customer.reply(transcript.text, timing) if transcript.text else customer.idle_reply()
            timing = []
            mood = customer.mood
            speech = ReplySpeech(reply, synthesizer, style_for(persona.voice, mood),
                                 max_audio_s=options.max_reply_audio_s)

            agent_file = f"agent_{index:02d}.wav"
            write_wav(out / agent_file, audio.samples, audio.rate)
            agent_turn = {
                "index": index, "speaker": "agent", "text": transcript.text, "start_s": round(start, 3),
                "end_s": round(end, 3), "mood": mood, "behaviours": [d.behaviour for d in reply.detections],
                "detections": detection_records(reply.detections),
                "moved_by": [list(m) for m in reply.update.moved_by] if reply.update else [],
                "words": [{"w": w.text, "s": round(start + w.start_s, 3), "e": round(start + w.end_s, 3)}
                          for w in transcript.words],
                "audio": agent_file, "stt_ms": _ms(stt_s),
            }
            if reply.update:  # the customer's side of this turn: where the mood was, what the engine decided
                agent_turn.update(mood_before=reply.update.before, outcome=reply.update.outcome)
            if getattr(transcriber, "last_tail_s", None) is not None:  # incremental: what was left to decode
                agent_turn["stt_tail_s"] = round(transcriber.last_tail_s, 2)
            if getattr(source, "last_endpoint_ms", None) is not None:
                agent_turn["endpoint_ms"] = round(source.last_endpoint_ms)
            record(agent_turn)
            index += 1

            try:
                playback = sink.play(speech.chunks(), index)
            finally:
                speech.cancel()  # a no-op when the reply was played to the end
            if reply.generator_error:
                recorder.note("caller_error", turn=index, error=reply.generator_error,
                              message="the LLM caller failed; a scripted line was used instead")
            gap_s = playback.first_sound_at - heard_at
            clock.catch_up(gap_s, since=heard_at)  # a virtual clock moves on by the processing time
            c_start = end + gap_s
            clock.catch_up(playback.audio.duration_s, since=playback.first_sound_at)
            customer_turn = {
                "index": index, "speaker": "customer", "text": reply.text, "start_s": round(c_start, 3),
                "end_s": round(c_start + playback.audio.duration_s, 3), "mood": mood,
                "situation": reply.situation, "behaviours": [],
                "caller_first_sentence_ms": _ms((speech.first_sentence_at or speech.started_at) - speech.started_at),
                "caller_ms": _ms(speech.caller_s),
                "tts_first_audio_ms": _ms(speech.first_tts_s), "tts_ms": _ms(speech.tts_s),
                "response_ms": _ms(gap_s), "voice_to_voice_ms": _ms(playback.first_sound_at - last_word_at),
            }
            if playback.audio.duration_s > 0:
                customer_turn["audio"] = f"customer_{index:02d}.wav"
            if reply.abusive:  # the simulation knows its caller insulted the agent (persona habits.abusive_in)
                customer_turn["abusive"] = reply.abusive
            if reply.generator_error:  # the turn says so too: the terminal and the report show it
                customer_turn["caller_error"] = reply.generator_error
            cut = reply.cut or (f"the reply's audio was cut at {options.max_reply_audio_s:g} s" if speech.audio_cut else None)
            if cut:
                customer_turn["reply_cut"] = cut
                recorder.note("reply_cut", turn=index, message=cut)
            if playback.interrupted_at_s is not None:
                customer_turn["interrupted_at_s"] = round(playback.interrupted_at_s, 3)
                recorder.note("interrupted", turn=index, at_s=customer_turn["interrupted_at_s"],
                              message="the agent talked over the customer; the rest of the reply was dropped")
                timing = ["interrupts"]
            record(customer_turn)
            index += 1
            if reply.ends_call:
                ended_by = reply.ended_by or "agent_closed"
                break
            if options.max_duration_s and clock.now() >= options.max_duration_s:
                ended_by = "time_limit"
                break
            clock.sleep(options.agent_gap_s)
        else:
            ended_by = "time_limit"
    except BaseException as exc:  # keep what happened, then let the CLI explain it
        ended_by, error = STOPPED_BY.get(type(exc), "error"), f"{type(exc).__name__}: {exc}"
        raise
    finally:
        # Error-tolerant: on a full disk every step is still tried, and the error the call is
        # already stopping with (if any) is the one the user is told (Recorder.finish).
        session = recorder.finish(ended_by, clock.now(), customer.mood, error, stopping=error is not None,
                                  then=lambda session: write_call_wav(out, session))
    return session  # type: ignore[return-value] - None only when an exception is on its way out


def write_call_wav(out: Path, session: dict, rate: int = STT_RATE) -> None:
    """call.wav: stereo, agent left, customer right, on the call's timeline."""
    sides: dict[str, list[tuple[float, Audio]]] = {"agent": [], "customer": []}
    for turn in session["turns"]:
        path = out / turn.get("audio", "")
        if turn.get("audio") and path.exists():
            sides[turn["speaker"]].append((turn["start_s"], read_audio(path, rate)))
    if sides["agent"] or sides["customer"]:
        write_wav(out / "call.wav", mix_stereo(sides["agent"], sides["customer"], rate), rate)
