"""Layer 1a: what the turns' times and Whisper's word timestamps say about the agent.

Talk ratio, the response gap after each customer turn (dead air above the rubric's
threshold), talk-over, words per minute and filler words per minute. Needs no audio:
a text-only session with times still gets these; one without word timestamps gets None
for the speaking rate.
"""

from __future__ import annotations

import re
from statistics import median

from ..behaviours import normalise


def _talk_s(turns: list[dict]) -> float:
    return sum(max(0.0, t["end_s"] - t["start_s"]) for t in turns if "start_s" in t and "end_s" in t)


def _filler_pattern(fillers: list[str]) -> re.Pattern | None:
    if not fillers:
        return None
    alternatives = "|".join(re.escape(f).replace(r"\ ", r"\s+") for f in sorted(fillers, key=len, reverse=True))
    return re.compile(rf"(?<![\w'])(?:{alternatives})(?![\w'])", re.IGNORECASE)


def _speaking_s(turn: dict) -> float:
    """Seconds the agent was actually speaking in a turn: first word start to last word end."""
    words = turn.get("words") or []
    if words:
        return max(0.0, words[-1]["e"] - words[0]["s"])
    return max(0.0, turn.get("end_s", 0.0) - turn.get("start_s", 0.0))


def timing_metrics(turns: list[dict], fillers: list[str], dead_air_s: float) -> dict:
    agent = [t for t in turns if t["speaker"] == "agent"]
    customer = [t for t in turns if t["speaker"] == "customer"]
    timed = all("start_s" in t and "end_s" in t for t in turns) and any(_talk_s([t]) > 0 for t in turns)

    gaps, dead_air, talk_over = [], [], []
    for before, after in zip(turns, turns[1:]):
        if before["speaker"] == "customer" and after["speaker"] == "agent" and timed:
            gap = round(after["start_s"] - before["end_s"], 3)
            gaps.append({"turn": after["index"], "gap_s": gap})
            if gap > dead_air_s:
                dead_air.append({"turn": after["index"], "gap_s": gap})
            if gap < 0:
                talk_over.append({"turn": after["index"], "overlap_s": round(-gap, 3)})
    for t in agent:  # interruptions the call loop measured itself (barge-in)
        if "interrupts" in (t.get("behaviours") or []) and not any(o["turn"] == t["index"] for o in talk_over):
            talk_over.append({"turn": t["index"], "overlap_s": None})

    worded = [t for t in agent if t.get("words")]
    n_words = sum(len(t["words"]) for t in worded)
    speaking = sum(_speaking_s(t) for t in worded)
    wpm = round(60 * n_words / speaking, 1) if speaking > 0 else None

    pattern = _filler_pattern(fillers)
    filler_hits = [(t["index"], m.group(0)) for t in agent if pattern
                   for m in pattern.finditer(normalise(t.get("text") or ""))]
    agent_s, customer_s = _talk_s(agent), _talk_s(customer)
    agent_minutes = (speaking if worded else agent_s) / 60
    return {
        "duration_s": round(max((t.get("end_s", 0.0) for t in turns), default=0.0), 3),
        "agent_turns": len(agent),
        "customer_turns": len(customer),
        "agent_talk_s": round(agent_s, 3) if timed else None,
        "customer_talk_s": round(customer_s, 3) if timed else None,
        "talk_ratio": round(agent_s / (agent_s + customer_s), 3) if timed and agent_s + customer_s > 0 else None,
        "response_gaps": gaps,
        "median_response_gap_s": round(median(g["gap_s"] for g in gaps), 3) if gaps else None,
        "dead_air": dead_air,
        "dead_air_count": len(dead_air) if timed else None,
        "talk_over": talk_over,
        "talk_over_count": len(talk_over) if timed or talk_over else None,
        "words_per_minute": wpm,
        "words_per_minute_by_turn": [
            {"turn": t["index"], "wpm": round(60 * len(t["words"]) / _speaking_s(t), 1)}
            for t in worded if _speaking_s(t) > 0
        ],
        "fillers": [{"turn": i, "word": w} for i, w in filler_hits],
        "fillers_per_minute": round(len(filler_hits) / agent_minutes, 2) if agent_minutes > 0 else None,
    }
