"""Transcribing while the agent speaks: as good as one-shot, with the work done early."""

from __future__ import annotations

import numpy as np
import pytest

from voicetrainer.audio import Audio, read_audio, speech_end_s
from voicetrainer.incremental_stt import IncrementalTranscriber
from voicetrainer.testing.wer import corpus_wer, wer

from .conftest import FIXTURE_CALLS

pytestmark = pytest.mark.slow
WER_MARGIN = 0.02  # measured (pause_s 0.12): 1.1 % vs 0.85 % one-shot on all 18 fixture turns, 5.9 % vs 5.6 % on the shared speech


def spoken(stt: IncrementalTranscriber, audio: Audio, block_s: float = 0.02) -> None:
    """Feed a turn as a microphone would, letting the background keep up (an idle machine)."""
    block = int(audio.rate * block_s)
    for i in range(0, len(audio.samples), block):
        stt.feed(Audio(audio.samples[i:i + block], audio.rate))
        stt.settle()


def test_incremental_transcripts_match_one_shot(transcriber, fixture_manifest):
    stt = IncrementalTranscriber(transcriber)
    one_shot, incremental, tails = [], [], []
    for turn in fixture_manifest["angry_refund_good"]["turns"][:5]:
        audio = read_audio(FIXTURE_CALLS / "angry_refund_good" / turn["file"])
        one_shot.append((turn["text"], transcriber.transcribe(audio).text))
        spoken(stt, audio)
        transcript = stt.transcribe(audio)
        incremental.append((turn["text"], transcript.text))
        tails.append(stt.last_tail_s)
        assert transcript.words and transcript.words[-1].end_s <= audio.duration_s + 0.1
    assert corpus_wer(incremental) <= corpus_wer(one_shot) + WER_MARGIN, incremental
    assert tails.count(0.0) >= len(tails) - 1, tails  # decoded during the trailing pause, not after


def test_a_long_turn_is_decoded_in_pieces_cut_in_pauses(transcriber, fixture_manifest):
    turns = fixture_manifest["angry_refund_good"]["turns"][2:4]  # 11 s + 5 s of speech
    clips = [read_audio(FIXTURE_CALLS / "angry_refund_good" / t["file"]) for t in turns]
    audio = Audio(np.concatenate([c.samples for c in clips]), clips[0].rate)
    reference = " ".join(t["text"] for t in turns)
    stt = IncrementalTranscriber(transcriber, piece_s=6.0)
    spoken(stt, audio)
    kept = len(stt._pieces)
    transcript = stt.transcribe(audio)
    assert kept >= 1
    assert wer(reference, transcript.text) <= wer(reference, transcriber.transcribe(audio).text) + 0.05
    starts = [w.start_s for w in transcript.words]
    assert starts == sorted(starts) and starts[-1] > clips[0].duration_s  # word times on the turn's timeline


def test_audio_that_was_not_fed_is_transcribed_one_shot(transcriber, fixture_manifest):
    stt = IncrementalTranscriber(transcriber)
    first = read_audio(FIXTURE_CALLS / "angry_refund_bad" / "01.wav")
    other = read_audio(FIXTURE_CALLS / "angry_refund_bad" / "02.wav")
    spoken(stt, first)
    assert stt.transcribe(other).text == transcriber.transcribe(other).text
    assert stt.last_tail_s == pytest.approx(other.duration_s)
    spoken(stt, first)
    stt.reset()  # e.g. push-to-talk released without a turn
    assert stt.transcribe(first).text == transcriber.transcribe(first).text


def test_a_paced_call_transcribes_while_the_agent_speaks(tmp_path, transcriber, synthesizer, fixture_manifest):
    """The real-time path the live headset uses: audio fed block by block at speaking speed."""
    from voicetrainer.call import CallOptions, run_call
    from voicetrainer.clock import RealClock
    from voicetrainer.config import Settings
    from voicetrainer.files import FileSink, PacedFileSource
    from voicetrainer.personas import find_persona
    from voicetrainer.setup_call import make_customer

    persona = find_persona("angry_refund")
    stt = IncrementalTranscriber(transcriber)
    source = PacedFileSource(FIXTURE_CALLS / "angry_refund_bad", stt=stt, end_silence_ms=500)
    out = tmp_path / "paced"
    session = run_call(persona, source, FileSink(out), stt, synthesizer, make_customer(persona, "scripted", Settings()),
                       out, RealClock(), CallOptions(max_turns=2, agent_gap_s=0))
    agent = [t for t in session["turns"] if t["speaker"] == "agent"]
    script = fixture_manifest["angry_refund_bad"]["turns"]
    assert len(agent) == 2
    for turn, expected in zip(agent, script):
        assert wer(expected["text"], turn["text"]) <= 0.3, turn["text"]
        assert 0.7 * 500 <= turn["endpoint_ms"] <= 2 * 500 + 20 and "stt_tail_s" in turn  # live.endpoint.hold_ms
    last = read_audio(out / agent[-1]["audio"])
    assert last.duration_s == pytest.approx(agent[-1]["end_s"] - agent[-1]["start_s"], abs=0.05)
    silence = int(agent[-1]["endpoint_ms"] / 1000 * last.rate)
    assert np.count_nonzero(last.samples[-silence:]) == 0  # the endpoint silence
    customer = [t for t in session["turns"] if t["speaker"] == "customer"]
    assert all(t["voice_to_voice_ms"] >= 0.7 * 500 for t in customer)  # the endpoint silence is part of it


def test_decoded_text_is_known_in_the_pause_and_reused_when_the_turn_ends_in_it(transcriber):
    """The live headset's case: it keeps feeding the silence it waits out, reads the decoded
    text to decide how long to wait, and returns the turn with only a short tail of silence."""
    speech = read_audio(FIXTURE_CALLS / "angry_refund_good" / "02.wav")
    speech = Audio(speech.samples[: int(speech_end_s(speech) * speech.rate)], speech.rate)
    stt = IncrementalTranscriber(transcriber)
    spoken(stt, speech)
    assert stt.decoded_text() is None  # no pause yet: nothing decoded
    pause = Audio(np.zeros(int(0.6 * speech.rate), np.float32), speech.rate)
    spoken(stt, pause)
    text = stt.decoded_text()
    assert text and wer(text, transcriber.transcribe(speech).text) <= 0.05
    more = read_audio(FIXTURE_CALLS / "angry_refund_good" / "01.wav")
    stt.feed(Audio(more.samples[: int(0.5 * more.rate)], more.rate))
    assert stt.decoded_text() is None  # they went on talking: the text is stale
    stt.reset()
    spoken(stt, speech)
    spoken(stt, pause)
    turn = Audio(np.concatenate([speech.samples, pause.samples[: int(0.16 * speech.rate)]]), speech.rate)
    assert stt.transcribe(turn).text == text and stt.last_tail_s == 0.0


def test_a_whisper_decode_stops_when_its_caller_no_longer_wants_it(transcriber, fixture_manifest):
    from voicetrainer.stt import DecodeCancelled

    audio = read_audio(FIXTURE_CALLS / "angry_refund_good" / "03.wav")
    asked = []
    with pytest.raises(DecodeCancelled):
        transcriber.transcribe(audio, cancelled=lambda: asked.append(1) or True)
    assert len(asked) == 1  # stopped before its first step (the encoder)
    assert transcriber.transcribe(audio, cancelled=lambda: False).text == transcriber.transcribe(audio).text


class SlowTranscriber:
    """A decode that takes `seconds`, in small steps that ask `cancelled` as Whisper's do, on
    one worker: two decodes run one after the other, as on faster-whisper's single worker."""

    def __init__(self, seconds: float):
        import threading

        self.seconds, self.model_name, self.calls, self.stopped = seconds, "slow", [], 0
        self.worker = threading.Lock()

    def transcribe(self, audio: Audio, cancelled=None):
        import time

        from voicetrainer.interfaces import Transcript
        from voicetrainer.stt import DecodeCancelled

        self.calls.append(audio.duration_s)
        with self.worker:
            for _ in range(int(self.seconds / 0.02)):
                if cancelled is not None and cancelled():
                    self.stopped += 1
                    raise DecodeCancelled("stale")
                time.sleep(0.02)
        return Transcript(f"{audio.duration_s:.2f} s")


def tone(seconds: float, rate: int = 16_000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def test_the_final_decode_does_not_wait_behind_a_stale_pause_time_decode():
    import time

    rate, slow = 16_000, SlowTranscriber(seconds=2.0)
    stt = IncrementalTranscriber(slow)
    turn = np.concatenate([tone(1.0), np.zeros(int(0.3 * rate), np.float32), tone(0.5)])
    for i in range(0, int(1.3 * rate), 320):  # speech, then a pause: the pause-time decode starts
        stt.feed(Audio(turn[i:i + 320], rate))
    deadline = time.monotonic() + 2
    while not slow.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    assert slow.calls, "no decode started in the pause"
    stt.feed(Audio(turn[int(1.3 * rate):], rate))  # the agent goes on: that decode is stale
    started = time.monotonic()
    transcript = stt.transcribe(Audio(turn, rate))
    took = time.monotonic() - started
    assert transcript.text == f"{len(turn) / rate:.2f} s"  # the whole turn, decoded once at the end
    assert slow.stopped == 1 and stt.cancelled == 1
    assert took < 2.0 + 0.5  # the final decode alone, not queued behind the stale one's remaining ~1.9 s
