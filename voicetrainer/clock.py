"""Clocks: real time for live calls and paced replays, virtual time for fast offline runs."""

from __future__ import annotations

import time


class RealClock:
    def __init__(self) -> None:
        self._t0 = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._t0

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def catch_up(self, seconds: float, since: float) -> None:
        self.sleep(since + seconds - time.perf_counter())


class VirtualClock:
    """Time passes only when slept: an offline call runs as fast as the machine allows."""

    def __init__(self) -> None:
        self._t = 0.0

    def now(self) -> float:
        return self._t

    def sleep(self, seconds: float) -> None:
        self._t += max(0.0, seconds)

    def catch_up(self, seconds: float, since: float) -> None:
        self.sleep(seconds)
