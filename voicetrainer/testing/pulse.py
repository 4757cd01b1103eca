"""A private PulseAudio daemon with virtual devices, so the live path runs without hardware.

Two null sinks: `agent_mic`, whose monitor is the default source (what PortAudio records:
the agent's "microphone"; `paplay` speaks a recorded turn into it), and `headset`, the
default sink (what PortAudio plays to; its monitor is recorded to check what came out).
PortAudio reaches the daemon through ALSA's pulse plugin (Debian: libasound2-plugins),
which routes ALSA's `default` device to the server named by PULSE_SERVER.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

MIC, HEADSET = "agent_mic", "headset"
TOOLS = ("pulseaudio", "pactl", "paplay", "parec")

CONFIG = """\
load-module module-native-protocol-unix auth-anonymous=1 socket={socket}
load-module module-null-sink sink_name={mic} rate=16000 channels=1 sink_properties=device.description=Agent_microphone
load-module module-null-sink sink_name={headset} rate=48000 channels=1 sink_properties=device.description=Headset
set-default-source {mic}.monitor
set-default-sink {headset}
"""


class PulseUnavailable(RuntimeError):
    """PulseAudio cannot run here (the reason says why)."""


class VirtualAudio:
    """Start with `start()` (or as a context manager); `env` is what clients need."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.socket = self.root / "native"
        self.env = {"PULSE_SERVER": f"unix:{self.socket}"}
        self._daemon: subprocess.Popen | None = None

    def start(self, timeout_s: float = 15.0) -> "VirtualAudio":
        missing = [t for t in TOOLS if shutil.which(t) is None]
        if missing:
            raise PulseUnavailable(f"not installed: {', '.join(missing)} (scripts/system-deps.sh test installs them)")
        runtime, home = self.root / "run", self.root / "home"
        for d in (runtime, home):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
        config = self.root / "default.pa"
        config.write_text(CONFIG.format(socket=self.socket, mic=MIC, headset=HEADSET))
        env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(home)}
        env.pop("PULSE_SERVER", None)
        self._log = open(self.root / "pulseaudio.log", "wb")
        # -n: no system default.pa; as root PulseAudio warns but runs a per-user daemon.
        self._daemon = subprocess.Popen(
            ["pulseaudio", "-n", "-F", str(config), "--daemonize=no", "--exit-idle-time=-1",
             "--disallow-exit", "--use-pid-file=no", "--log-target=stderr"],
            env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._daemon.poll() is not None:
                raise PulseUnavailable(f"pulseaudio exited with {self._daemon.returncode}: {self.log_tail()}")
            if self.pactl("info", check=False).returncode == 0:
                return self
            time.sleep(0.1)
        self.stop()
        raise PulseUnavailable(f"pulseaudio did not answer within {timeout_s:.0f} s: {self.log_tail()}")

    def stop(self) -> None:
        if self._daemon and self._daemon.poll() is None:
            self._daemon.terminate()
            try:
                self._daemon.wait(5)
            except subprocess.TimeoutExpired:
                self._daemon.kill()
        self._daemon = None

    def __enter__(self) -> "VirtualAudio":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def log_tail(self, lines: int = 5) -> str:
        path = self.root / "pulseaudio.log"
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:]) if path.exists() else ""

    def _client_env(self) -> dict:
        return {**os.environ, **self.env}

    def pactl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["pactl", *args], env=self._client_env(), capture_output=True, text=True,
                              check=check, timeout=10)

    def speak_into_mic(self, wav: str | Path) -> subprocess.Popen:
        """Play a recorded turn into the agent's microphone, in real time (returns at once)."""
        return subprocess.Popen(["paplay", f"--device={MIC}", str(wav)], env=self._client_env())

    def record_headset(self, wav: str | Path, rate: int = 16_000) -> subprocess.Popen:
        """Record what the headset plays until the process is terminated."""
        return subprocess.Popen(["parec", f"--device={HEADSET}.monitor", f"--rate={rate}", "--channels=1",
                                 "--format=s16le", "--file-format=wav", str(wav)], env=self._client_env())
