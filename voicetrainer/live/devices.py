"""Audio devices through sounddevice (PortAudio): import it lazily, list and choose devices."""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass

from ..errors import AudioDeviceError

INSTALL_HINT = ("install PortAudio (Debian/Ubuntu: apt-get install libportaudio2; macOS: brew install "
                "portaudio) and the Python package: pip install sounddevice")


def sounddevice():
    """The sounddevice module, or one clear error when it or PortAudio is missing."""
    _quiet_alsa()
    try:
        import sounddevice as sd
    except ImportError:
        raise AudioDeviceError("The sounddevice package is not installed.", hint=INSTALL_HINT) from None
    except OSError:  # sounddevice raises this when the PortAudio library itself is missing
        raise AudioDeviceError("PortAudio, the audio device library, is not installed.",
                               hint=INSTALL_HINT) from None
    return sd


_alsa_handler = None


def _quiet_alsa() -> None:
    """ALSA prints xrun and plugin notices straight to stderr from C; keep the terminal quiet."""
    global _alsa_handler
    if _alsa_handler is not None:
        return
    import ctypes
    import ctypes.util

    handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p)
    _alsa_handler = handler_type(lambda *args: None)  # kept referenced: ALSA holds the pointer
    name = ctypes.util.find_library("asound")
    try:
        if name:
            ctypes.CDLL(name).snd_lib_error_set_handler(_alsa_handler)
    except (OSError, AttributeError):
        pass


@contextlib.contextmanager
def native_stderr_muted():
    """PortAudio's ALSA backend prints "Expression ... failed" lines from C when a device
    vanishes; the user gets one sentence from us instead. Python's own errors are printed
    after this ends. VOICETRAINER_DEBUG=1 keeps everything."""
    if os.environ.get("VOICETRAINER_DEBUG"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (e.g. captured): nothing to mute
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    inputs: int
    outputs: int
    default_rate: float
    default_input: bool
    default_output: bool


def list_devices() -> list[Device]:
    sd = sounddevice()
    try:
        found = sd.query_devices()
        default_in, default_out = sd.default.device
    except sd.PortAudioError as exc:
        raise AudioDeviceError(f"The audio devices cannot be listed ({exc}).",
                               hint="check that your sound system (PulseAudio, PipeWire, ALSA) is running") from None
    return [Device(d["index"], d["name"], d["max_input_channels"], d["max_output_channels"],
                   d["default_samplerate"], d["index"] == default_in, d["index"] == default_out)
            for d in found]


def choose_device(spec: str | int | None, kind: str) -> int | None:
    """A device index from an index or (part of) a name; None means the system default.

    kind is "input" or "output". Raises AudioDeviceError when nothing fits or none exists.
    """
    devices = list_devices()
    usable = [d for d in devices if (d.inputs if kind == "input" else d.outputs) > 0]
    what = "microphone" if kind == "input" else "headset (output device)"
    if not usable:
        raise AudioDeviceError(f"No {what} was found.",
                               hint="plug in a headset, then check `voicetrainer devices`")
    if spec is None or spec == "":
        return None
    text = str(spec).strip()
    if text.isdigit():
        match = [d for d in usable if d.index == int(text)]
    else:
        match = [d for d in usable if d.name.lower() == text.lower()] or \
                [d for d in usable if text.lower() in d.name.lower()]
    if len(match) == 1:
        return match[0].index
    choices = ", ".join(f"{d.index} ({d.name})" for d in usable)
    if not match:
        raise AudioDeviceError(f"No {what} matches '{spec}'.", hint=f"use an index or name from: {choices}")
    raise AudioDeviceError(f"Several {kind} devices match '{spec}'.",
                           hint="use the index: " + ", ".join(f"{d.index} ({d.name})" for d in match))
