"""The agent's headset: microphone turns in (VAD endpointing or push-to-talk), replies out
with barge-in. One object is both the call's AudioSource and its AudioSink, because the
same microphone stream decides when a turn ends and when the agent talks over the customer.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from ..audio import STT_RATE, Audio, write_wav
from ..errors import AudioDeviceError
from ..incremental_stt import IncrementalTranscriber
from ..interfaces import Playback
from .controls import Controls
from .devices import sounddevice
from .endpoint import WINDOW_MS, FixedRule, SmartRule, TurnDetector, TurnEnd
from .player import Player
from .vad import WINDOW, SileroVAD

BARGE_IN_MS = 200  # agent speech during a reply that counts as talking over it (not a cough)
TALK_OVER_S = 1.5  # how long a persona with `talks_over` keeps going after the agent barges in
AHEAD_S = 0.3  # queue the next sentence when this much of the current one is left to play
DEVICE_TIMEOUT_S = 2.0  # no microphone audio for this long: the device is gone
UNPLUGGED_HINT = "plug the headset back in and start a new call"


@dataclass(frozen=True)
class HeadsetOptions:
    input_device: int | None = None
    output_device: int | None = None
    end_silence_ms: float = 600.0  # base end-of-turn silence; see endpoint.hold_ms
    smart_turn: bool = False  # end turns by the end-of-turn model (endpoint.SmartRule), else the fixed rule
    idle_after_s: float = 6.0  # the persona's mood.idle_after_s
    talks_over: bool = False  # the persona's mood.talks_over
    push_to_talk: bool = False
    max_duration_s: float | None = None


class Headset:
    """AudioSource + AudioSink over one microphone stream and one output stream."""

    paced = True  # next_turn() takes as long as the agent speaks: the call loop must not wait again

    def __init__(self, options: HeadsetOptions, controls: Controls | None = None,
                 stt: IncrementalTranscriber | None = None, record_dir: str | Path | None = None):
        self.options = options
        self.record_dir = record_dir  # customer_NN.wav of what was actually played goes here
        self.controls = controls or Controls()
        self.detector = TurnDetector(base_hold_ms=options.end_silence_ms)
        rule = SmartRule(options.end_silence_ms) if options.smart_turn else FixedRule(options.end_silence_ms)
        self.turn_end = TurnEnd(rule).warm_up()  # sets detector.hold in each pause; its reasons go to the journal
        self.vad = SileroVAD()
        self.playing = threading.Event()  # set while a reply is heard (tests and the view watch it)
        self.listening = threading.Event()  # set while waiting for the agent's turn
        # What the call loop reads after next_turn() (see interfaces.AudioSource):
        self.turn_started_at: float | None = None  # perf_counter() of the turn's first sample
        self.last_endpoint_ms: float | None = None  # trailing silence waited before closing the turn
        self.last_speech_end_at: float | None = None  # perf_counter() of the agent's last voiced sample
        self.ended_by: str | None = None  # agent_ended | time_limit, when next_turn() returns None
        self.last_turn_silent = False  # the agent said nothing (an idle turn): nothing to transcribe
        self.notes: list[dict] = []  # events for the journal, e.g. a replayed line
        # The call's transcriber, fed each turn as it is heard: it decodes during the agent's
        # pauses, and the text it has decoded sets how long a pause ends the turn (hold_ms).
        self.stt = stt
        self._started = time.perf_counter()
        self._blocks: queue.Queue = queue.Queue()
        self._input = self._output = None
        self._out_rate = 0
        self._resample = None
        self._status_error: str | None = None
        self._window_at = 0.0  # perf_counter() at the end of the last window read
        self._last_reply: np.ndarray | None = None
        self._barge_in_at: float | None = None
        self._interrupted = False
        self._pending = np.zeros(0, dtype=np.float32)
        self._talked_over: list[np.ndarray] = []  # push-to-talk: what the agent said over a reply

    # -- streams ---------------------------------------------------------------------------

    def open(self) -> "Headset":
        sd = sounddevice()
        try:
            self._input = sd.InputStream(samplerate=STT_RATE, channels=1, dtype="float32", blocksize=WINDOW,
                                         device=self.options.input_device, callback=self._on_audio)
        except sd.PortAudioError:  # some hardware only records at its own rate: resample ourselves
            import soxr

            rate = int(sd.query_devices(self.options.input_device, "input")["default_samplerate"])
            self._resample = soxr.ResampleStream(rate, STT_RATE, 1, dtype="float32")
            self._input = self._open(lambda: sd.InputStream(
                samplerate=rate, channels=1, dtype="float32", device=self.options.input_device,
                callback=self._on_audio), "microphone")
        self._start(self._input, "microphone")
        self._out_rate = int(self._open(lambda: sd.query_devices(self.options.output_device, "output"),
                                        "headset")["default_samplerate"])
        self._player = Player(self._out_rate)
        self._output = self._open(lambda: sd.OutputStream(
            samplerate=self._out_rate, channels=1, dtype="float32", device=self.options.output_device,
            callback=self._player.callback), "headset")
        self._start(self._output, "headset")
        return self

    def close(self) -> None:
        for stream in (self._input, self._output):
            if stream is not None:
                try:
                    stream.abort()
                    stream.close()
                except Exception:  # noqa: BLE001 - a vanished device cannot be closed twice
                    pass
        self._input = self._output = None

    def __enter__(self) -> "Headset":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    def _open(self, make, what: str):
        sd = sounddevice()
        try:
            return make()
        except (sd.PortAudioError, ValueError) as exc:
            raise AudioDeviceError(f"The {what} cannot be opened ({exc}).",
                                   hint="check `voicetrainer devices` and pick one with --input-device / "
                                        "--output-device") from None

    def _start(self, stream, what: str) -> None:
        self._open(stream.start, what)

    def _on_audio(self, data, frames, time_info, status) -> None:  # PortAudio's thread
        samples = data[:, 0].copy()
        if self._resample is not None:
            samples = self._resample.resample_chunk(samples)
        self._blocks.put((time.perf_counter(), samples))

    def _windows(self, timeout: float):
        """Microphone windows (WINDOW samples each) as they arrive, with their speech probability."""
        while True:
            try:
                arrived, block = self._blocks.get(timeout=timeout)
            except queue.Empty:
                yield None, 0.0  # let the caller check keys and clocks
                if self._input is None or not self._input.active:
                    raise AudioDeviceError("The microphone stopped sending audio (was it unplugged?).",
                                           hint=UNPLUGGED_HINT) from None
                continue
            if self.controls.muted.is_set():
                block = np.zeros_like(block)
            self._pending = np.concatenate([self._pending, block])
            while len(self._pending) >= WINDOW:
                window, self._pending = self._pending[:WINDOW], self._pending[WINDOW:]
                self._window_at = arrived - len(self._pending) / STT_RATE
                yield window, self.vad.probability(window)

    def _drain(self):
        """Windows already captured, without waiting (used between output blocks)."""
        while not self._blocks.empty():
            for window, p in self._windows(timeout=0):
                if window is None:
                    return
                yield window, p

    # -- AudioSource -----------------------------------------------------------------------

    def next_turn(self) -> Audio | None:
        """The agent's next turn: speech up to the end-of-turn silence, or the silence itself
        once the persona's idle time has passed; None when the call is over."""
        self.listening.set()
        try:
            return self._push_to_talk() if self.options.push_to_talk else self._endpointed()
        finally:
            self.listening.clear()

    def _endpointed(self) -> Audio | None:
        det, waited, idle_windows = self.detector, 0.0, []
        for window, p in self._windows(timeout=DEVICE_TIMEOUT_S / 4):
            if self._over():
                return None
            if self.controls.repeat.is_set():
                self._repeat_last()
                waited, idle_windows = 0.0, []
            if window is None:
                continue
            ended = self._hear(window, p)
            if not det.in_speech:
                waited += WINDOW_MS / 1000
                idle_windows.append(window)
                if waited >= self.options.idle_after_s:
                    return self._turn(np.concatenate(idle_windows), silent=True, endpoint_ms=waited * 1000)
                continue
            if ended:
                waited_ms = det.silence_ms
                self.notes.append(self.turn_end.decision(waited_ms))
                return self._turn(det.take(), endpoint_ms=waited_ms)
        return None  # not reached: _windows only ends by raising

    def _push_to_talk(self) -> Audio | None:
        """Space starts the turn, space again ends it; the persona's idle time still applies."""
        talk, collected, waited = self.controls.talk, self._talked_over, 0.0
        self._talked_over = []
        if collected and self.stt is not None:  # the turn began over the customer's reply
            self.stt.reset()
            self.stt.feed(Audio(np.concatenate(collected), STT_RATE))
        for window, _ in self._windows(timeout=DEVICE_TIMEOUT_S / 4):
            if self._over():
                return None
            if self.controls.repeat.is_set() and not collected:
                self._repeat_last()
                waited = 0.0
            if window is None:
                continue
            if talk.is_set():
                if self.stt is not None:
                    if not collected:
                        self.stt.reset()
                    self.stt.feed(Audio(window, STT_RATE))
                collected.append(window)
            elif collected:
                return self._turn(np.concatenate(collected), endpoint_ms=0.0)
            else:
                waited += WINDOW_MS / 1000
                if waited >= self.options.idle_after_s:
                    return self._turn(np.zeros(int(waited * STT_RATE), np.float32), silent=True,
                                      endpoint_ms=waited * 1000)
        return None

    def _over(self) -> bool:
        limit = self.options.max_duration_s
        if self.controls.end.is_set():
            self.ended_by = "agent_ended"
        elif limit and time.perf_counter() - self._started >= limit:
            self.ended_by = "time_limit"
        return self.ended_by is not None

    def _turn(self, samples: np.ndarray, endpoint_ms: float, silent: bool = False) -> Audio:
        audio = Audio(samples.astype(np.float32), STT_RATE)
        # The audio ends where the kept tail of silence ends, before the rest of the wait.
        waited_after = 0.0 if silent else max(0.0, endpoint_ms - self.detector.tail_ms) / 1000
        self.turn_started_at = self._window_at - waited_after - audio.duration_s
        self.last_speech_end_at = self._window_at - (0.0 if silent else endpoint_ms / 1000)
        self.last_endpoint_ms = round(endpoint_ms, 1)
        self.last_turn_silent = silent
        if silent and self.stt is not None:
            self.stt.reset()
        return audio

    def _hear(self, window: np.ndarray, probability: float) -> bool:
        """One microphone window to the turn detector, and the turn's audio to the transcriber
        as it is heard; True when the turn has just ended."""
        det, stt, judge = self.detector, self.stt, self.turn_end
        if det.in_speech and det.silence_ms > 0:  # pausing: how long may this pause last?
            det.hold = judge.hold(det.silence_ms, stt.decoded_text() if stt is not None else None, det.heard)
        was_speech, paused_ms = det.in_speech, det.silence_ms
        ended = det.push(window, probability)
        if det.in_speech and det.silence_ms == 0 and paused_ms > 0:  # speaking again: that pause was not the end
            judge.speech(paused_ms)
        if det.in_speech and not was_speech:
            judge.start_turn()
        if stt is not None:
            if det.in_speech and not was_speech:  # speech began: the turn so far is pre-roll + onset
                stt.reset()
                stt.feed(Audio(det.audio(), STT_RATE))
            elif det.in_speech:
                stt.feed(Audio(window, STT_RATE))
            elif was_speech:  # too short to be a turn (a cough, a click)
                stt.reset()
        return ended

    # -- AudioSink -------------------------------------------------------------------------

    def play(self, chunks: Iterable[Audio], turn_index: int) -> Playback:
        """Play the reply's sentences as they arrive; stop when the agent talks over it.

        Each sentence is queued once the one before has almost played out, so the next
        sentence's synthesis overlaps playback and a barge-in leaves the rest unpulled.
        """
        player, played = self._player, []
        player.start_reply()
        self._barge_in_at = None
        try:
            for chunk in chunks:
                samples = chunk.resampled(self._out_rate).samples
                played.append(samples)
                player.add(samples)
                if self._watch(until_pending_s=AHEAD_S):
                    break
            else:
                self._watch(until_pending_s=0.0)
            interrupted_at = player.cut() if self._interrupted else None
            if interrupted_at is None:
                time.sleep(self._output.latency)  # let the last buffered samples reach the ear
        finally:
            self.playing.clear()
        audio = np.concatenate(played) if played else np.zeros(0, np.float32)
        if interrupted_at is not None:
            audio = audio[: int(interrupted_at * self._out_rate)]
        self._last_reply = audio
        if self.record_dir is not None and turn_index >= 0 and len(audio):
            write_wav(Path(self.record_dir) / f"customer_{turn_index:02d}.wav", audio, self._out_rate)
        return Playback(Audio(audio, self._out_rate), player.first_sound_at or time.perf_counter(),
                        round(interrupted_at, 3) if interrupted_at is not None else None)

    def _watch(self, until_pending_s: float) -> bool:
        """Listen every 20 ms while the reply plays down to `until_pending_s` seconds of
        buffered audio; True when the agent has talked over it long enough to stop it."""
        player, self._interrupted = self._player, False
        while player.pending > until_pending_s * self._out_rate:
            time.sleep(0.02)
            self._check_output()
            talking = self._agent_talking()
            if player.first_sound_at is None:
                continue  # nothing heard yet, nothing to interrupt
            self.playing.set()
            elapsed = time.perf_counter() - player.first_sound_at
            if talking and self._barge_in_at is None:
                self._barge_in_at = elapsed
            if self._barge_in_at is not None and elapsed >= self._barge_in_at + (
                    TALK_OVER_S if self.options.talks_over else 0.0):
                self._interrupted = True
                return True
        return False

    def _agent_talking(self) -> bool:
        """Feed what the microphone heard meanwhile to the turn detector (it becomes the start
        of the agent's next turn) and say whether the agent is talking over the reply."""
        talk = self.controls.talk
        for window, p in self._drain():
            self._hear(window, p)
            if self.options.push_to_talk and talk.is_set():
                self._talked_over.append(window)  # the start of the next push-to-talk turn
        if self.options.push_to_talk:
            return talk.is_set()
        return self.detector.in_speech and self.detector.speech_ms >= BARGE_IN_MS

    def _check_output(self) -> None:
        if self._output is None or not self._output.active:
            raise AudioDeviceError("The headset stopped playing audio (was it unplugged?).", hint=UNPLUGGED_HINT)

    def _repeat_last(self) -> None:
        self.controls.repeat.clear()
        if self._last_reply is not None and len(self._last_reply):
            self.notes.append({"event": "repeated", "seconds": round(len(self._last_reply) / self._out_rate, 2),
                               "message": "the agent replayed the customer's last line (r key)"})
            self.play([Audio(self._last_reply, self._out_rate)], -1)
