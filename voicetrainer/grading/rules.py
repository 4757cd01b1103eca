"""The rules judge: scores every criterion from layers 1-2 by the rules in the rubric file.

Each criterion gets its evidence (verbatim quotes with the turn index), a `reasoning` line
that shows the arithmetic, and, when it is not a 5, the rubric's advice and a better
phrasing. The arithmetic is described for trainers at the top of prompts/rubric.yaml.
"""

from __future__ import annotations

import math
import re

from ..behaviours import Detection
from ..rubric import Criterion, MetricRule, Rubric
from .evidence import Evidence, quote_for

# Metric -> the list in `metrics` that names the turns behind it, for quotes.
METRIC_TURNS = {"raised_voice_turns": "raised_voice", "dead_air_count": "dead_air", "talk_over_count": "talk_over"}


def round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def _label(behaviour: str) -> str:
    return behaviour.replace("_", " ")


def applies(criterion: Criterion, turns: list[dict], evidence: list[Evidence]) -> bool:
    rule = criterion.applies_when
    if rule.always:
        return True
    heard = {e.behaviour for e in evidence}
    if heard & set(rule.agent_behaviours):
        return True
    customer = [t for t in turns if t["speaker"] == "customer"]
    if any(t.get("situation") in rule.customer_situations for t in customer):
        return True
    if rule.customer_abusive and any(t.get("abusive") for t in customer):
        return True
    patterns = [re.compile(rf"(?<![\w']){p}(?![\w'])", re.IGNORECASE) for p in rule.customer_phrases]
    return any(p.search(t.get("text") or "") for p in patterns for t in customer)


def _metric_quotes(rule: MetricRule, metrics: dict, turns: list[dict]) -> list[dict]:
    key = METRIC_TURNS.get(rule.metric)
    by_index = {t["index"]: t for t in turns}
    out = []
    for item in metrics.get(key, []) if key else []:
        turn = by_index.get(item["turn"])
        if turn and turn.get("text"):
            out.append({"turn": item["turn"], "quote": quote_for(turn["text"], Detection(rule.metric, "")),
                        "behaviour": rule.metric, "effect": "for" if rule.points > 0 else "against"})
    return out


def score_criterion(criterion: Criterion, evidence: list[Evidence], metrics: dict, turns: list[dict]) -> dict:
    s = criterion.scoring
    score = s.start
    reasons = [f"starts at {s.start:g}"]
    cited: list[dict] = []
    first_against: Evidence | None = None
    heard_for = False
    for behaviour, points in s.for_.items():
        hits = _first_per_turn([e for e in evidence if e.behaviour == behaviour])[: s.max_turns]
        if hits:
            heard_for = True
            score += points * len(hits)
            reasons.append(f"+{points * len(hits):g} {_label(behaviour)} (turn {', '.join(str(h.turn) for h in hits)})")
            cited += [_cite(h, "for") for h in hits]
    for behaviour, points in s.against.items():
        hits = _first_per_turn([e for e in evidence if e.behaviour == behaviour])
        if hits:
            score -= points * len(hits)
            reasons.append(f"-{points * len(hits):g} {_label(behaviour)} (turn {', '.join(str(h.turn) for h in hits)})")
            cited += [_cite(h, "against") for h in hits]
            first_against = min([first_against, hits[0]] if first_against else [hits[0]], key=lambda e: e.turn)
    for rule in s.metrics:
        value = metrics.get(rule.metric)
        if value is None:
            reasons.append(f"not measured: {rule.note}")
            continue
        if not rule.holds(float(value)):
            continue
        delta = rule.points * (float(value) if rule.each else 1.0)
        if rule.limit is not None:
            delta = max(-rule.limit, min(rule.limit, delta))
        score += delta
        reasons.append(f"{delta:+g} {rule.note} ({rule.metric} {value:g})")
        cited += _metric_quotes(rule, metrics, turns)
    final = max(1, min(5, round_half_up(score)))
    reasons.append(f"= {score:g}, scored {final}")
    cited = sorted({(c["turn"], c["quote"], c["behaviour"]): c for c in cited}.values(), key=lambda c: (c["turn"], c["behaviour"]))
    return {
        "id": criterion.id,
        "name": criterion.name,
        "score": final,
        "weight": criterion.weight,
        "evidence": cited,
        "reasoning": "; ".join(reasons),
        "advice": criterion.advice if final < 5 else None,
        "better_phrasing": _better_phrasing(criterion, final, first_against, heard_for),
    }


def _first_per_turn(hits: list[Evidence]) -> list[Evidence]:
    seen: dict[int, Evidence] = {}
    for h in hits:
        seen.setdefault(h.turn, h)
    return [seen[t] for t in sorted(seen)]


def _cite(e: Evidence, effect: str) -> dict:
    cited = {"turn": e.turn, "quote": e.quote, "behaviour": e.behaviour, "effect": effect}
    return cited | {"confidence": round(e.confidence, 2)} if e.confidence < 1 else cited  # sure: nothing to say


def _better_phrasing(criterion: Criterion, score: int, against: Evidence | None, heard_for: bool) -> str | None:
    if score >= 5:
        return None
    templates = criterion.better_phrasing
    if against and against.behaviour in templates:
        return f'Instead of "{against.quote}", try: "{templates[against.behaviour]}"'
    if not heard_for and "missing" in templates:
        return f'Try: "{templates["missing"]}"'
    return None


def not_applicable(criterion: Criterion) -> dict:
    why = criterion.applies_when.not_applicable or "the call gave no occasion for it"
    return {"id": criterion.id, "name": criterion.name, "score": None, "weight": criterion.weight, "evidence": [],
            "reasoning": f"not applicable: {why}", "advice": None, "better_phrasing": None}


def score_rubric(rubric: Rubric, evidence: list[Evidence], metrics: dict, turns: list[dict]) -> list[dict]:
    return [score_criterion(c, evidence, metrics, turns) if applies(c, turns, evidence) else not_applicable(c)
            for c in rubric.criteria]


def overall(criteria: list[dict]) -> int:
    """0-100, re-weighted over the criteria that apply: a 1 is worth 0, a 5 is worth 100."""
    scored = [c for c in criteria if c["score"] is not None]
    total = sum(c["weight"] for c in scored)
    if not total:
        return 0
    return round_half_up(100 * sum(c["weight"] * (c["score"] - 1) / 4 for c in scored) / total)

