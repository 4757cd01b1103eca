"""Build short text-only sessions for grading tests: the agent's and the caller's lines,
timed on a simple timeline, no audio and no word timestamps (as a typed call would be)."""

from __future__ import annotations

import json
from pathlib import Path

from voicetrainer.behaviours import normalise


def text_session(directory: Path, lines: list[str], ended_by: str = "agent_closed", mood_start: float = 8.0,
                 gap_s: float = 0.5, extra: dict[int, dict] | None = None) -> Path:
    """A session.json from alternating lines (agent first). `extra` updates turn fields by index."""
    directory.mkdir(parents=True, exist_ok=True)
    turns, t, mood = [], 0.0, mood_start
    for index, text in enumerate(lines):
        speaker = "agent" if index % 2 == 0 else "customer"
        length = max(1.0, len(text.split()) / 2.5)  # about 150 words a minute
        turn = {"index": index, "speaker": speaker, "text": text, "start_s": round(t, 3),
                "end_s": round(t + length, 3), "mood": mood, "behaviours": []}
        if speaker == "customer":
            turn["situation"] = "venting"
        turn.update((extra or {}).get(index, {}))
        turns.append(turn)
        t += length + gap_s
    session = {"persona": "angry_refund", "persona_name": "Dana Whitaker", "caller": "scripted",
               "mood_start": mood_start, "turns": turns, "notes": [], "ended_by": ended_by,
               "duration_s": turns[-1]["end_s"]}
    (directory / "session.json").write_text(json.dumps(session, indent=2))
    return directory


def all_quotes_in_transcript(grade: dict, session: dict) -> list[str]:
    """Evidence quotes that do not occur in the text of the turn they cite (should be none)."""
    text = {t["index"]: normalise(t["text"]) for t in session["turns"]}
    return [f"turn {e['turn']}: {e['quote']!r}" for c in grade["criteria"] for e in c["evidence"]
            if e["quote"] not in text.get(e["turn"], "")]
