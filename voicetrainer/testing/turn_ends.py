"""A test set of turn endings from real recorded speech, and a replay of end-of-turn rules on it.

Each *case* is the audio of a turn up to a pause, followed by digital silence (as the paced
replay feeds it):

- `end`: the whole recording: the speaker has finished;
- mid-turn pauses, made by cutting the recording at a word boundary (found with Whisper's
  word timestamps, moved to the quietest 10 ms nearby so no word is clipped) and splicing
  in silence: `comma` (Whisper or the reference wrote a comma there), `continuing` (after
  "and", "so", "but", "because", "um", …: the speaker is audibly going on), `mid_phrase`
  (any other boundary inside a sentence: a hesitation);
- `sentence`: a pause after a finished sentence inside a recording, when the speaker goes
  on with the next one. Reported on its own (SENTENCE), not counted with the mid-turn
  pauses: a listener may take the turn there, but a trainee saying "Thank you for calling.
  This is Alex. How can I help?" should not be cut after the first sentence.

`measure()` computes, once per case, what the live path would know during the pause: the
end-of-turn model's probability (taken, as live, at `model_at_ms` of silence) and the
pause-time transcript (Whisper on the audio up to `pause_s` into the pause), each with the
wall time it took. `replay()` then walks the pause in 32 ms windows with a rule from
`live.endpoint`, handing each piece of evidence over only once it would exist, and says
after how much silence the turn ends. A mid-turn pause of length D is cut prematurely
when the turn ends before D.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..audio import STT_RATE, Audio, read_audio, speech_end_s
from ..live.endpoint import CONTINUING, WINDOW_MS, EndOfTurnRule

RATE = STT_RATE
KINDS = ("end", "comma", "continuing", "mid_phrase", "sentence")
MID_TURN = ("comma", "continuing", "mid_phrase")
SENTENCE = "sentence"


@dataclass
class Case:
    name: str  # "<clip>@<seconds>"
    kind: str
    audio: np.ndarray  # the turn up to the pause (16 kHz), without the silence
    before: str  # the words said before the pause (Whisper's), for reading a report


@dataclass
class Measured:
    case: Case
    probability: float
    model_ms: float
    text: str
    decode_ms: float
    extra: dict = field(default_factory=dict)


def _boundary(samples: np.ndarray, lo_s: float, hi_s: float) -> int:
    """The quietest 10 ms between lo_s and hi_s: a cut there clips no word."""
    hop = RATE // 100
    lo, hi = max(0, int(lo_s * RATE)), min(len(samples) - hop, int(hi_s * RATE))
    if hi <= lo:
        return max(0, int(lo_s * RATE))
    energy = [float(np.mean(samples[i:i + hop] ** 2)) for i in range(lo, hi, hop)]
    return lo + hop * int(np.argmin(energy))


def cases_from_recording(name: str, audio: Audio, transcriber, rng: random.Random,
                         per_kind: int = 2, reference: str = "") -> list[Case]:
    """One `end` case and up to `per_kind` mid-turn pauses of each kind from one recording."""
    samples = audio.resampled(RATE).samples.astype(np.float32)
    end = int(speech_end_s(Audio(samples, RATE)) * RATE)
    samples = samples[:end]
    words = transcriber.transcribe(Audio(samples, RATE)).words
    out = [Case(f"{name}@end", "end", samples, " ".join(w.text for w in words[-6:]))]
    ref_commas = {_norm(w) for w in reference.split() if w.endswith(",")}
    by_kind: dict[str, list[Case]] = {k: [] for k in KINDS[1:]}
    for i in range(1, len(words) - 2):  # at least one word before, two after
        word, after = words[i], words[i + 1]
        bare = _norm(word.text)
        if word.text.rstrip().endswith((".", "?", "!")):
            kind = "sentence"
        elif word.text.rstrip().endswith(",") or (bare in ref_commas and bare):
            kind = "comma"
        elif bare in CONTINUING:
            kind = "continuing"
        else:
            kind = "mid_phrase"
        cut = _boundary(samples, word.end_s - 0.06, max(after.start_s, word.end_s) + 0.06)
        if cut < RATE // 2:
            continue  # under half a second of speech: not a turn yet
        before = " ".join(w.text for w in words[max(0, i - 5): i + 1])
        by_kind[kind].append(Case(f"{name}@{cut / RATE:.2f}", kind, _fade(samples[:cut]), before))
    for kind, found in by_kind.items():
        pick = random.Random(f"{name}/{kind}") if kind == "sentence" else rng  # (added later: the others stay as they were)
        out += pick.sample(found, min(per_kind, len(found)))
    return out


def _fade(samples: np.ndarray) -> np.ndarray:
    """A 5 ms fade-out: a hard cut would click, and a click is not how a pause sounds."""
    n = min(len(samples), RATE // 200)
    out = samples.copy()
    out[len(out) - n:] *= np.linspace(1.0, 0.0, n, dtype=np.float32)
    return out


def _norm(word: str) -> str:
    return word.strip(".,!?;:…-\"'").lower()


def shared_speech_cases(speech_dir: Path, transcriber, seed: int = 0, per_kind: int = 2,
                        limit: int | None = None) -> list[Case]:
    """Cases from the shared human-speech corpus (manifest.json beside the audio)."""
    manifest = json.loads((speech_dir / "manifest.json").read_text())[:limit]
    rng, out = random.Random(seed), []
    for entry in manifest:
        audio = read_audio(speech_dir / entry["file"])
        out += cases_from_recording(Path(entry["file"]).stem, audio, transcriber, rng, per_kind, entry["transcript"])
    return out


def fixture_call_cases(calls_dir: Path, calls: list[str], transcriber, seed: int = 0,
                       per_kind: int = 1) -> list[Case]:
    """Cases from recorded fixture calls (one folder of agent turns per call)."""
    manifest = json.loads((calls_dir / "manifest.json").read_text())
    rng, out = random.Random(seed), []
    for call in calls:
        for turn in manifest[call]["turns"]:
            audio = read_audio(calls_dir / call / turn["file"])
            out += cases_from_recording(f"{call}/{turn['file']}", audio, transcriber, rng, per_kind, turn["text"])
    return out


def measure(case: Case, model, transcriber, model_at_ms: float, pause_s: float = 0.12) -> Measured:
    """What the live path knows during this pause: the model's probability at `model_at_ms`
    of silence and the pause-time transcript, each with its real wall time."""
    silence = lambda ms: np.zeros(int(ms / 1000 * RATE), np.float32)  # noqa: E731
    t0 = time.perf_counter()
    p = model.probability(np.concatenate([case.audio, silence(model_at_ms)]))
    model_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    text = transcriber.transcribe(Audio(np.concatenate([case.audio, silence(pause_s * 1000)]), RATE)).text
    decode_ms = (time.perf_counter() - t0) * 1000
    return Measured(case, p, model_ms, text, decode_ms)


def replay(rule: EndOfTurnRule, m: Measured, model_at_ms: float, pause_s: float = 0.12,
           decode_ms: float | None = None, limit_ms: float = 4000.0) -> float:
    """Silence (ms) after which `rule` ends the turn, evidence arriving as it would live:
    the model's answer `model_ms` after it was asked, the transcript `pause_s` + the decode
    time into the pause (`decode_ms` replaces the measured decode time when given)."""
    text_at = pause_s * 1000 + (m.decode_ms if decode_ms is None else decode_ms)
    p_at = model_at_ms + m.model_ms
    silence = 0.0
    while silence < limit_ms:
        silence += WINDOW_MS
        text = m.text if silence >= text_at else None
        p = m.probability if (rule.uses_model and silence >= p_at) else None
        if silence >= rule.hold(text, p).hold_ms:
            return silence
    return limit_ms
