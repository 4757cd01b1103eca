"""When has the agent finished a turn? Voice activity per window in, turn boundaries out.

TurnDetector is pure logic (no devices, no model), tested with made-up probabilities: the
headset feeds it one speech probability per 32 ms window of microphone audio. How long a
pause must last to end the turn is a rule's answer, re-asked every window of the pause:

- FixedRule (the default; `--end-silence MS`): that silence, shortened after a finished
  sentence and doubled after a trailing "and"/"so"/"um" (hold_ms);
- SmartRule (opt-in, experimental: `--turn-end smart`): the smart-turn model's judgement of
  how the pause sounds (live.smart_turn), with the pause-time transcript as a veto or a
  tie-breaker. Not the default: it answered no sooner than the fixed rule on 2 busy cores
  and cut multi-sentence turns live (README, Performance).

TurnEnd runs a rule over one turn and keeps its reasons for the journal. The headset and
the paced replay (files.PacedFileSource) use it alike, and bench/turn_ends.py replays both
rules on a test set of real turn ends and mid-turn pauses (voicetrainer.testing.turn_ends).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from .vad import WINDOW

RATE = 16_000
WINDOW_MS = WINDOW * 1000 / RATE

# Words after which a speaker usually goes on: wait longer before taking the turn.
CONTINUING = {"and", "so", "but", "or", "because", "um", "uh", "er", "erm", "hmm", "then", "like", "if", "the", "a"}


def _trails_on(text: str) -> bool:
    """The transcript stops on "and", "so", "um", a comma or an ellipsis: they are going on."""
    last = text.split()[-1].strip(".,!?;:…-\"'").lower() if text.split() else ""
    return last in CONTINUING or text.endswith((",", "...", "…", "-"))


def hold_ms(partial_text: str | None, base_ms: float) -> float:
    """Silence that ends the turn, given what the agent has said so far (None: not known yet).

    A finished sentence ends sooner, a trailing "and", "so" or "um" waits twice as long.
    Whisper ends almost every segment with a full stop, so the last word is checked first.
    Live (headset) and paced offline turns (files.PacedFileSource) both end by this rule,
    with the text from IncrementalTranscriber.decoded_text().
    """
    text = (partial_text or "").strip()
    if not text:
        return base_ms
    if _trails_on(text):
        return base_ms * 2
    if text.endswith((".", "?", "!")):
        return base_ms * 0.7
    return base_ms


@dataclass(frozen=True)
class Hold:
    """How long a pause must last to end the turn, and why (journaled with the turn)."""

    hold_ms: float
    reason: str


class EndOfTurnRule:
    """hold(text, probability) -> Hold, re-asked every window of a pause as evidence arrives.

    text: the pause-time transcript (IncrementalTranscriber.decoded_text()), None until the
    background decode has caught up; probability: the end-of-turn model's answer for this
    pause (live.smart_turn), None until it is known or when the rule does not use it."""

    uses_model = False
    model_at_ms = 0.0  # silence after which the model is asked (once per pause)
    name = "rule"

    def hold(self, text: str | None, probability: float | None) -> Hold:
        raise NotImplementedError


@dataclass(frozen=True)
class FixedRule(EndOfTurnRule):
    """The default (`--end-silence`): a set silence, shortened after a finished sentence (hold_ms)."""

    base_ms: float = 600.0
    name = "fixed"

    def hold(self, text: str | None, probability: float | None = None) -> Hold:
        ms = hold_ms(text, self.base_ms)
        why = ("no transcript yet" if not (text or "").strip() else
               "finished sentence" if ms < self.base_ms else "trailing continuation" if ms > self.base_ms else "transcript")
        return Hold(ms, f"fixed {self.base_ms:.0f} ms rule: {why}")


@dataclass(frozen=True)
class SmartRule(EndOfTurnRule):
    """`--turn-end smart` (experimental): how the pause sounds (the smart-turn model) and what was said.

    The model is asked once per pause, at the first silent window. Asked later it hears
    more silence and calls more pauses finished, mid-sentence ones too: on the human speech
    of the turn-end test set (bench/turn_ends.py; the ask point was chosen on it, among 32,
    64, 96 and 192 ms) it cut 31 %, 33 %, 37 % and 47 % of mid-turn pauses. Its answer takes
    70-200 ms on one thread, so on an idle machine it is done about when the pause-time
    decode starts (0.12 s) and does not slow Whisper down, and it is there well before the
    transcript (0.5 s into the pause on an idle machine, 1 s on a busy one).

    - sounds finished (p >= `finished_p`): end after `quick_ms`; people take the turn
      200-300 ms after a finished sentence. A transcript that is already there and trails
      on ("and", "so", "um", a comma) vetoes it;
    - sounds unfinished: hold twice `base_ms`, as after a trailing "and"; a transcript
      ending in "?" ends it as the fixed rule would (agents' questions often rise, which
      the model hears as unfinished), one ending in a full stop does not (Whisper puts a
      full stop at nearly every pause, mid-sentence ones included);
    - no answer yet: the fixed rule, so a slow model never makes the call cut earlier.
    """

    base_ms: float = 600.0
    quick_ms: float = 288.0  # 9 windows of 32 ms
    finished_p: float = 0.5  # the model's own threshold (pipecat's)
    model_at_ms: float = 32.0  # one window of 32 ms
    uses_model = True
    name = "smart"

    def hold(self, text: str | None, probability: float | None) -> Hold:
        text = (text or "").strip() or None
        heard = "" if text is None else f', transcript ends "{" ".join(text.split()[-3:])}"'
        trails = text is not None and _trails_on(text)
        if probability is None:
            fixed = FixedRule(self.base_ms).hold(text)
            return Hold(fixed.hold_ms, f"end-of-turn model not answered yet, {fixed.reason}")
        sound = f"sounds {'finished' if probability >= self.finished_p else 'unfinished'} (p={probability:.2f})"
        if probability >= self.finished_p and not trails:
            return Hold(self.quick_ms, sound + heard)
        if probability < self.finished_p and text is not None and text.endswith("?"):
            return Hold(0.7 * self.base_ms, sound + heard + ": a question")
        return Hold(2 * self.base_ms, sound + heard + (": the words trail on" if trails else ""))


class TurnEnd:
    """Asks the rule, once per window of a pause, how long the pause must last, asking the
    end-of-turn model when the rule wants it; remembers why, for the journal.

    The model runs on a thread of its own (`background`): the microphone loop, and the
    paced replay, keep feeding the transcriber meanwhile, so the pause-time decode starts
    on time; the rule sees the answer from the first window after it arrives."""

    def __init__(self, rule: EndOfTurnRule, model=None, background: bool = True):
        self.rule = rule
        self.model = model
        self.background = background
        if rule.uses_model and model is None:
            from .smart_turn import shared_model

            self.model = shared_model()
        self.start_turn()

    def warm_up(self) -> "TurnEnd":
        """Load the model and run it once now, not in the agent's first pause (about 0.3 s)."""
        if self.rule.uses_model:
            self.model.probability(np.zeros(RATE, np.float32))
        return self

    def start_turn(self) -> None:
        self.pauses: list[dict] = []  # pauses the model judged that did not end the turn
        self._new_pause()

    def _new_pause(self) -> None:
        self.probability: float | None = None
        self.model_ms: float | None = None
        self.last = Hold(0.0, "")
        self._text: str | None = None
        self._asked: Future | None = None  # an answer for an earlier pause is never read

    def speech(self, pause_ms: float) -> None:
        """The agent spoke again after `pause_ms` of silence: that pause did not end the turn."""
        self._collect()
        if self.probability is not None:
            self.pauses.append({"pause_ms": round(pause_ms), "p": round(self.probability, 3),
                                "hold_ms": round(self.last.hold_ms), "why": self.last.reason})
        self._new_pause()

    def hold(self, silence_ms: float, text: str | None, heard) -> float:
        """The silence that ends the turn now; `heard()` gives the turn's audio so far."""
        if self.rule.uses_model and self._asked is None and silence_ms >= self.rule.model_at_ms:
            audio = heard()
            self._asked = _model_thread().submit(self._ask, audio) if self.background else _done(self._ask(audio))
        self._collect()
        self._text = text
        self.last = self.rule.hold(text, self.probability)
        return self.last.hold_ms

    def _ask(self, audio: np.ndarray) -> tuple[float | None, float]:
        started = time.perf_counter()
        try:
            p = self.model.probability(audio)
        except Exception:  # noqa: BLE001 - without the model the fixed rule decides; the journal says so
            p = None
        return p, (time.perf_counter() - started) * 1000

    def _collect(self) -> None:
        if self._asked is not None and self.model_ms is None and self._asked.done():
            self.probability, self.model_ms = self._asked.result()

    def decision(self, silence_ms: float) -> dict:
        """The journal's record of why this turn ended when it did."""
        self._collect()
        note = {"event": "end_of_turn", "rule": self.rule.name, "silence_ms": round(silence_ms),
                "hold_ms": round(self.last.hold_ms), "why": self.last.reason}
        if self.probability is not None:
            note["p"] = round(self.probability, 3)
        if self.model_ms is not None:
            note["model_ms"] = round(self.model_ms)
        if self._text:
            note["text_tail"] = " ".join(self._text.split()[-6:])
        if self.pauses:
            note["earlier_pauses"] = self.pauses
        return note


_THREAD: ThreadPoolExecutor | None = None
_THREAD_LOCK = threading.Lock()


def _model_thread() -> ThreadPoolExecutor:
    """One thread for the end-of-turn model in this process, started when first needed."""
    global _THREAD
    with _THREAD_LOCK:
        if _THREAD is None:
            _THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="end-of-turn")
        return _THREAD


def _done(value) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


@dataclass
class TurnDetector:
    """Collects one agent turn from 32 ms windows and says when it has ended.

    Before speech it keeps a short pre-roll (so the first syllable is not cut); speech
    starts after `start_ms` of voiced windows; the turn ends after `hold` ms of silence.
    The returned audio keeps at most `tail_ms` of the trailing silence (the rest of the
    wait becomes the next turn's pre-roll).
    """

    base_hold_ms: float = 600.0
    threshold: float = 0.5
    start_ms: float = 96.0
    preroll_ms: float = 320.0
    tail_ms: float = 160.0
    min_turn_ms: float = 250.0  # less speech than this (a cough, a click) is not a turn
    hold: float = field(init=False)
    in_speech: bool = field(init=False, default=False)
    voiced_ms: float = field(init=False, default=0.0)  # in a row, before speech has started
    silence_ms: float = field(init=False, default=0.0)  # trailing, once speech has started
    speech_ms: float = field(init=False, default=0.0)
    _windows: list = field(init=False, default_factory=list)
    _tail_windows: int = field(init=False, default=0)  # windows kept up to the end of the tail

    def __post_init__(self) -> None:
        self.hold = self.base_hold_ms

    def reset(self) -> None:
        """Start listening for a new turn (keep the pre-roll already heard)."""
        self.in_speech, self.voiced_ms, self.silence_ms, self.speech_ms = False, 0.0, 0.0, 0.0
        self.hold = self.base_hold_ms
        self._trim_preroll()

    def push(self, window: np.ndarray, probability: float) -> bool:
        """Add one window; True when the turn has just ended."""
        self._windows.append(window)
        voiced = probability >= self.threshold
        if not self.in_speech:
            self.voiced_ms = self.voiced_ms + WINDOW_MS if voiced else 0.0
            if self.voiced_ms >= self.start_ms:
                self.in_speech, self.silence_ms = True, 0.0
                self.speech_ms = self.voiced_ms
                self._tail_windows = len(self._windows)  # audio() is the pre-roll and the onset
            else:
                self._trim_preroll()
            return False
        if voiced:
            self.silence_ms, self.hold = 0.0, self.base_hold_ms  # a new phrase: any earlier guess is stale
            self.speech_ms += WINDOW_MS
        else:
            self.silence_ms += WINDOW_MS
        if self.silence_ms <= self.tail_ms:
            self._tail_windows = len(self._windows)
        if self.silence_ms >= self.hold and self.speech_ms < self.min_turn_ms:
            self.reset()  # too short to be speech: keep listening
            return False
        return self.silence_ms >= self.hold

    def heard(self) -> np.ndarray:
        """Everything held, the whole pause so far included (what the end-of-turn model hears)."""
        return np.concatenate(self._windows) if self._windows else np.zeros(0, dtype=np.float32)

    def audio(self) -> np.ndarray:
        """The turn so far: pre-roll, speech and at most `tail_ms` of trailing silence."""
        kept = self._windows[: self._tail_windows] if self.in_speech else self._windows
        return np.concatenate(kept) if kept else np.zeros(0, dtype=np.float32)

    def take(self) -> np.ndarray:
        """The finished turn's audio; the detector starts over for the next turn."""
        audio = self.audio()
        self._windows = self._windows[self._tail_windows:] if self.in_speech else []
        self._tail_windows = 0
        self.reset()
        return audio

    @property
    def buffered_ms(self) -> float:
        return len(self._windows) * WINDOW_MS

    def _trim_preroll(self) -> None:
        keep = max(1, round((self.preroll_ms + self.voiced_ms) / WINDOW_MS))  # pre-roll before the onset
        if len(self._windows) > keep:
            del self._windows[:-keep]
