"""Layer 3: an LLM judge on any OpenAI-compatible server, checked as strictly as a person would.

Temperature 0; structured output with `response_format` json_schema, falling back to JSON
mode for servers without it; the answer validated by pydantic (scores 1-5, an entry per
criterion, null exactly for the criteria that do not apply) with one repair retry that
shows the model its mistakes; reasoning asked for before the score; the layers 1-2
evidence in the prompt (prompts/judge.j2 and judge_call.j2); every quote checked against
the transcript, fixed when nearly verbatim, dropped and flagged when invented. A score out
of range is rejected, never clipped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..config import LLMSettings
from ..errors import LLMError
from ..llm_client import import_openai, make_client, plain_llm_errors
from ..prompts import prompt_environment
from ..rubric import Rubric
from ..terminal import ENDINGS
from .evidence import Evidence
from .quotes import match_quote
from .scorecard import metrics_line



class JudgedQuote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    turn: int
    quote: str
    effect: Literal["for", "against"]


class JudgedCriterion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    reasoning: str = Field(description="Weigh the evidence first, then score.")
    applicable: bool
    score: int | None = Field(ge=1, le=5)
    evidence: list[JudgedQuote]
    advice: str
    better_phrasing: str | None


class Judgement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    criteria: list[JudgedCriterion]


def response_schema() -> dict:
    return {"type": "json_schema",
            "json_schema": {"name": "call_grade", "strict": True, "schema": Judgement.model_json_schema()}}


def check_judgement(judgement: Judgement, rules: list[dict]) -> list[str]:
    """What is wrong beyond the JSON schema: missing or unknown ids, n/a mismatches."""
    problems = []
    expected = [c["id"] for c in rules]
    got = [c.id for c in judgement.criteria]
    if sorted(got) != sorted(expected):
        problems.append(f"criteria ids must be exactly {', '.join(expected)} (once each); got {', '.join(got)}")
    applies = {c["id"]: c["score"] is not None for c in rules}
    for c in judgement.criteria:
        if c.id in applies and applies[c.id] != c.applicable:
            problems.append(f"{c.id}: applicable must be {str(applies[c.id]).lower()} for this call")
        if c.applicable and c.score is None:
            problems.append(f"{c.id}: an applicable criterion needs a score from 1 to 5")
        if not c.applicable and c.score is not None:
            problems.append(f"{c.id}: a criterion that does not apply must have score null")
    return problems


def parse_judgement(content: str, rules: list[dict]) -> Judgement:
    """The model's reply as a Judgement, or ValueError saying everything that is wrong."""
    text = re.sub(r"^\s*```(?:json)?\s*|\s*```\s*$", "", content or "")
    try:
        judgement = Judgement.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise ValueError(f"the reply is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except ValidationError as exc:
        raise ValueError("; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())) from None
    problems = check_judgement(judgement, rules)
    if problems:
        raise ValueError("; ".join(problems))
    return judgement



class LLMJudge:
    """Grades a call with a chat-completions model; see the module docstring for the checks."""

    def __init__(self, settings: LLMSettings, prompts_dir: Path | None = None, client=None):
        self.settings = settings
        self.name = f"llm:{settings.model_name}"
        self._client = client or make_client(settings)
        env = prompt_environment(prompts_dir, trim_blocks=True, lstrip_blocks=True)
        self._system = env.get_template("judge.j2")
        self._call = env.get_template("judge_call.j2")
        self.json_schema_supported = True  # learnt from the first refusal, for the other sessions

    def messages(self, session: dict, rubric: Rubric, evidence: list[Evidence], metrics: dict,
                 rules: list[dict]) -> list[dict]:
        measured = [p for p in metrics_line(metrics).split(" · ") if p]
        user = self._call.render(
            session=session, turns=session.get("turns", []), mood=metrics["customer_mood"], measured=measured,
            evidence=evidence, rules=rules, ending=ENDINGS.get(session.get("ended_by", ""), session.get("ended_by", "")),
        )
        return [{"role": "system", "content": self._system.render(rubric=rubric)}, {"role": "user", "content": user}]

    def _ask(self, messages: list[dict]) -> str:
        openai = import_openai()
        base = {"model": self.settings.model_name, "messages": messages, "temperature": 0}
        with plain_llm_errors("The LLM judge", self.settings, way_out="grade with --judge rules"):
            if self.json_schema_supported:
                try:
                    reply = self._client.chat.completions.create(**base, response_format=response_schema())
                    return reply.choices[0].message.content or ""
                except openai.BadRequestError:  # no structured outputs here: JSON mode and our own checks
                    self.json_schema_supported = False
            reply = self._client.chat.completions.create(**base, response_format={"type": "json_object"})
            return reply.choices[0].message.content or ""

    def judge(self, session: dict, rubric: Rubric, evidence: list[Evidence], metrics: dict,
              rules: list[dict]) -> tuple[list[dict], list[str]]:
        messages = self.messages(session, rubric, evidence, metrics, rules)
        content = self._ask(messages)
        try:
            judgement = parse_judgement(content, rules)
        except ValueError as first:
            messages += [{"role": "assistant", "content": content},
                         {"role": "user", "content": f"That answer is invalid: {first}. Reply again with the whole "
                                                     "corrected JSON object only, scores as integers from 1 to 5."}]
            content = self._ask(messages)
            try:
                judgement = parse_judgement(content, rules)
            except ValueError as second:
                raise LLMError(f"The LLM judge gave an invalid grade twice ({second}).",
                               hint="try a stronger model, or grade with --judge rules") from None
        return self._criteria(judgement, rubric, session.get("turns", []))

    def _criteria(self, judgement: Judgement, rubric: Rubric, turns: list[dict]) -> tuple[list[dict], list[str]]:
        by_id = {c.id: c for c in judgement.criteria}
        criteria, flags = [], []
        for spec in rubric.criteria:
            c = by_id[spec.id]
            evidence = []
            for q in c.evidence:
                found = match_quote(q.quote, q.turn, turns)
                if found is None:
                    flags.append(f"{spec.id}: dropped a quote that is not in the transcript: \"{q.quote}\" (turn {q.turn})")
                    continue
                evidence.append({"turn": found[0], "quote": found[1], "behaviour": None, "effect": q.effect})
            criteria.append({
                "id": spec.id, "name": spec.name, "score": c.score if c.applicable else None, "weight": spec.weight,
                "evidence": evidence, "reasoning": c.reasoning,
                "advice": (c.advice or None) if c.applicable else None,
                "better_phrasing": c.better_phrasing if c.applicable and c.score is not None and c.score < 5 else None,
            })
        return criteria, flags
