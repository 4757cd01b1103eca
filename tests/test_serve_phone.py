"""The browser's microphone and speaker (web/phone.py) without a browser: PCM frames in as
the page sends them, the real Silero voice detector and the headset's endpointing, the
customer's voice out as frames at real-time pace."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from tests.conftest import FIXTURE_CALLS
from voicetrainer.audio import STT_RATE, Audio, read_audio, speech_end_s
from voicetrainer.live.headset import HeadsetOptions
from voicetrainer.web.phone import BLOCK_S, OUT_RATE, BrowserPhone

FRAME = 512  # what the page's worklet sends


def pcm(samples: np.ndarray) -> list[bytes]:
    data = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    return [data[i:i + FRAME].tobytes() for i in range(0, len(data), FRAME)]


@pytest.fixture
def phone():
    sent, events = [], []
    p = BrowserPhone(HeadsetOptions(end_silence_ms=600, idle_after_s=5.0), sent.append, events.append)
    p.sent, p.events = sent, events
    with p:
        yield p


def test_a_spoken_turn_ends_after_the_silence_that_follows_it(phone):
    turn = read_audio(FIXTURE_CALLS / "angry_refund_good" / "01.wav", STT_RATE)
    speech = turn.samples[: int(speech_end_s(turn) * STT_RATE)]
    for frame in pcm(np.concatenate([np.zeros(8000, np.float32), speech, np.zeros(2 * STT_RATE, np.float32)])):
        phone.feed(frame)
    audio = phone.next_turn()
    assert audio is not None and not phone.last_turn_silent
    assert abs(audio.duration_s - len(speech) / STT_RATE) < 0.8, (audio.duration_s, len(speech) / STT_RATE)
    assert 600 * 0.7 - 40 <= phone.last_endpoint_ms <= 600 * 2 + 40


def test_odd_and_oversized_frames_are_taken_whole_samples_at_most_a_second(phone):
    phone.feed(b"\x01")
    phone.feed(b"\x00\x40" * (3 * STT_RATE) + b"\x01")
    _, block = phone._blocks.get_nowait()
    assert len(block) == STT_RATE and abs(block[0] - 0.5) < 1e-3
    assert phone._blocks.empty()


def test_the_reply_goes_to_the_page_at_speaking_pace(phone):
    tone = Audio((0.3 * np.sin(np.arange(OUT_RATE) * 2 * np.pi * 220 / OUT_RATE)).astype(np.float32), OUT_RATE)
    started = time.perf_counter()
    playback = phone.play([tone], 1)
    took = time.perf_counter() - started
    sent = sum(len(b) for b in phone.sent) // 2
    assert abs(sent - OUT_RATE) <= BLOCK_S * OUT_RATE, sent
    assert 0.9 <= took <= 2.0, took  # real time, not as fast as the socket takes it
    assert playback.audio.duration_s == pytest.approx(1.0) and playback.interrupted_at_s is None


def test_hanging_up_stops_the_customer_at_once_and_ends_the_call(phone):
    long = Audio(np.full(5 * OUT_RATE, 0.1, np.float32), OUT_RATE)
    threading.Timer(0.5, phone.hang_up).start()
    started = time.perf_counter()
    phone.play([long, long], 1)
    assert time.perf_counter() - started < 1.5
    assert sum(len(b) for b in phone.sent) // 2 < 1.2 * OUT_RATE
    assert phone.next_turn() is None and phone.ended_by == "agent_ended"


def test_muted_speech_is_not_heard(phone):
    turn = read_audio(FIXTURE_CALLS / "angry_refund_good" / "01.wav", STT_RATE)
    phone.controls.muted.set()
    for frame in pcm(np.concatenate([turn.samples, np.zeros(6 * STT_RATE, np.float32)])):
        phone.feed(frame)
    audio = phone.next_turn()  # the persona's idle time passes: a silent turn, not the speech
    assert audio is not None and phone.last_turn_silent


def test_repeat_plays_the_last_reply_again_and_notes_it(phone):
    tone = Audio(np.full(OUT_RATE // 2, 0.2, np.float32), OUT_RATE)
    phone.play([tone], 1)
    first = sum(len(b) for b in phone.sent)
    phone.controls.repeat.set()
    phone.feed(pcm(np.zeros(FRAME, np.float32))[0])  # the page's microphone keeps sending
    threading.Timer(3.0, phone.hang_up).start()  # the repeat drains what was sent: end the wait
    assert phone.next_turn() is None
    assert sum(len(b) for b in phone.sent) - first == pytest.approx(first, abs=2 * BLOCK_S * OUT_RATE)
    assert [n["event"] for n in phone.notes] == ["repeated"] and "Repeat button" in phone.notes[0]["message"]
