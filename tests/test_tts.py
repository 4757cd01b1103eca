"""pyttsx3 for real: audio comes out, mood changes the voice, and the terminal stays clean."""

from __future__ import annotations

import threading
import time

import numpy as np

from voicetrainer.interfaces import VoiceStyle
from voicetrainer.personas import find_persona
from voicetrainer.tts import style_for

LINE = "I have called three times about this refund and nobody has called me back."


def test_speech_has_sound_and_a_plausible_length(synthesizer):
    audio = synthesizer.synthesize(LINE, VoiceStyle("en-us", 170, 0.9, 50))
    assert 2.0 < audio.duration_s < 8.0
    assert float(np.sqrt(np.mean(audio.samples**2))) > 0.01


def test_an_angrier_customer_speaks_faster_and_louder(synthesizer):
    voice = find_persona("angry_refund").voice
    calm, angry = style_for(voice, 1.0), style_for(voice, 9.0)
    assert angry.rate_wpm > calm.rate_wpm and angry.volume > calm.volume and angry.pitch > calm.pitch
    calm_audio, angry_audio = synthesizer.synthesize(LINE, calm), synthesizer.synthesize(LINE, angry)
    assert angry_audio.duration_s < calm_audio.duration_s * 0.9
    assert np.abs(angry_audio.samples).max() > np.abs(calm_audio.samples).max()


def test_synthesis_prints_nothing_and_swallows_no_one_elses_output(synthesizer, capsys):
    """pyttsx3 prints "Audio saved to ..."; other threads print the call meanwhile."""
    done = threading.Event()
    count = [0]

    def talk():
        while not done.is_set():
            print(f"line {count[0]}")
            count[0] += 1
            time.sleep(0.001)

    printer = threading.Thread(target=talk)
    printer.start()
    synthesized = 0
    while synthesized < 3 or count[0] < 30:  # the printing overlaps the synthesis, however fast it is
        synthesizer.synthesize(LINE, VoiceStyle("en-us", 170, 0.9, 50))
        synthesized += 1
    done.set()
    printer.join()
    out = capsys.readouterr().out
    assert "Audio saved" not in out
    printed = [line for line in out.splitlines() if line.startswith("line ")]
    assert len(printed) >= 30
    assert printed == [f"line {i}" for i in range(len(printed))]  # none lost in between
