"""SIGTERM stops a call the way Ctrl-C does.

A `kill`, a service manager or a closing terminal session sends SIGTERM; by default the
process just dies, leaving no session.json and no call.wav. While a call runs, SIGTERM
raises CallStopped instead: it unwinds through the call loop, which saves the session
(`ended_by: terminated`) and call.wav, and the CLI says it stopped. Only while a call runs:
elsewhere (a batch `grade`) SIGTERM keeps its default and ends the process at once.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Iterator

from .errors import CallStopped


@contextmanager
def stop_call_on_sigterm() -> Iterator[None]:
    def stop(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the saving short
        raise CallStopped("stopped by SIGTERM")

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (embedded use): leave SIGTERM as it is
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
