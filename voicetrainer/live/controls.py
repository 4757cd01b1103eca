"""The agent's keys during a live call: end the call, mute, repeat, push-to-talk.

Keys are read from a terminal in cbreak mode on a background thread; with no terminal
(stdin closed or a pipe, e.g. under a test or a service) nothing is read and the call is
ended by the customer, --max-duration or Ctrl+C.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field

KEYS = {"q": "end call", "m": "mute", "r": "repeat", " ": "talk (push-to-talk)"}


@dataclass
class Controls:
    end: threading.Event = field(default_factory=threading.Event)
    muted: threading.Event = field(default_factory=threading.Event)
    repeat: threading.Event = field(default_factory=threading.Event)
    talk: threading.Event = field(default_factory=threading.Event)  # push-to-talk: set while talking

    def press(self, key: str) -> None:
        if key in ("q", "Q"):
            self.end.set()
        elif key in ("m", "M"):
            (self.muted.clear if self.muted.is_set() else self.muted.set)()
        elif key in ("r", "R"):
            self.repeat.set()
        elif key == " ":
            (self.talk.clear if self.talk.is_set() else self.talk.set)()


def has_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):  # stdin closed
        return False


class KeyReader:
    """Feeds key presses into Controls while the call runs (a no-op without a terminal)."""

    def __init__(self, controls: Controls):
        self.controls = controls
        self.active = has_terminal()
        self._saved = None
        self._stop = threading.Event()

    def __enter__(self) -> "KeyReader":
        if self.active:
            import termios
            import tty

            fd = sys.stdin.fileno()
            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd)
            threading.Thread(target=self._read, args=(fd,), daemon=True, name="keys").start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._saved is not None:
            import termios

            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self._saved)

    def _read(self, fd: int) -> None:
        import select

        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                key = os.read(fd, 1).decode(errors="ignore")
                if key:
                    self.controls.press(key)
