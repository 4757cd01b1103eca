"""Silent wins worth celebrating, and a break after a very hard call.

The customer-handling guides say to name what went well, specifically; these come from the
same evidence as the scores, so a win is never invented.
"""

from __future__ import annotations

from .evidence import Evidence

NEGATIVE_LANGUAGE = {"says_cant", "cites_policy", "blames_others"}
HOSTILE = {"rude", "dismissive"}


def _num(x: float) -> str:
    return f"{x:g}"


def find_wins(mood: dict, evidence: list[Evidence], metrics: dict, criteria: list[dict], ended_by: str) -> list[str]:
    heard = {e.behaviour for e in evidence}
    wins = []
    start, end, peak = mood.get("start"), mood.get("end"), mood.get("peak")
    if start is not None and end is not None and end <= start - 2:
        wins.append(f"You brought the caller from {_num(start)} to {_num(end)} out of 10.")
    if peak is not None and peak >= 7 and not heard & HOSTILE and not metrics.get("raised_voice_turns"):
        even = " and your voice stayed even" if metrics.get("raised_voice_turns") == 0 else ""
        wins.append(f"You stayed calm while the caller was angry (frustration {_num(peak)}/10){even}.")
    if metrics.get("agent_turns", 0) >= 3 and not heard & NEGATIVE_LANGUAGE:
        wins.append("You never said \"I can't\", hid behind policy or blamed another department.")
    if "gives_timeline" in heard and ended_by in ("customer_satisfied", "agent_closed"):
        wins.append("You gave the caller a real timeline, and they accepted it.")
    if metrics.get("dead_air_count") == 0 and metrics.get("talk_over_count") == 0 and metrics.get("agent_turns", 0) >= 3:
        wins.append("No dead air and no talking over the caller.")
    top = [c["name"] for c in criteria if c["score"] == 5]
    if top:
        wins.append("Full marks for " + ", ".join(top) + ".")
    return wins


def break_suggestion(mood: dict, ended_by: str, hard_call_mood: float) -> str | None:
    peak = mood.get("peak")
    if ended_by == "customer_hung_up" or (peak is not None and peak >= hard_call_mood):
        return ("That was a very hard call. Take a short break before the next one: stand up, "
                "breathe out slowly, get some water. Difficult callers are not about you.")
    return None
