"""Layer 3: an LLM judge on any OpenAI-compatible server, checked as strictly as a person would.

Temperature 0; structured output with `response_format` json_schema, falling back to JSON
mode for servers without it; the answer validated by pydantic (scores 1-5, an entry per
criterion, null exactly for the criteria that do not apply) with one repair retry that
shows the model its mistakes; reasoning asked for before the score; the layers 1-2
evidence in the prompt (prompts/judge.j2 and judge_call.j2); every quote checked against
the transcript, fixed when nearly verbatim, dropped and flagged when invented. A score out
of range is rejected, never clipped.

Bounded by evidence (README, "Grading"): the transcript reaches the judge as quoted data it
is told never to obey, with anything that could pass for a delimiter or a new transcript
line neutralised; every score must rest on at least one quote found in the transcript; a
score may move at most one point from the rules' score, plus one point per agent turn of
new quoted evidence in the direction of the move (further is limited, with a flag). An
answer that breaks the contract twice is discarded and the rules' grade stands. The reply
itself is read within `judge_deadline_s` and MAX_REPLY_BYTES, and any shape that is not a
chat completion is an LLMError.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..config import LLMSettings
from ..errors import LLMError
from ..llm_client import completion_content, import_openai, make_client, plain_llm_errors, read_body
from ..prompts import prompt_environment
from ..rubric import Rubric
from ..terminal import ENDINGS
from .evidence import Evidence
from .quotes import match_quote
from .scorecard import metrics_line

# A judge's answer for a rubric of ten criteria is ~10 kB; a reply 20 times that is not one.
MAX_REPLY_BYTES = 256_000
# Words that address whoever grades the call rather than the customer: quoting them is no
# evidence of customer handling, and a turn holding them is flagged (it may be an injection).
TO_THE_GRADER = re.compile(
    r"\b(?:note|message|instructions?) (?:to|for) (?:the |any )?(?:grader|evaluator|judge|assessor|reviewer|ai|model|llm)\b"
    r"|\b(?:grader|evaluator|rubric)\b|\bignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier) instructions\b"
    r"|\bscore (?:me|this agent|this call|every|all|each)\b|\b(?:system|developer) prompt\b",
    re.IGNORECASE)
# What the transcript block must not contain, so agent words cannot close it or fake a line.
_LOOKALIKE = str.maketrans({"<": "‹", ">": "›", "\n": " ", "\r": " ", "[": "(", "]": ")"})


def as_data(text: str | None) -> str:
    """A turn's words made safe to place inside the transcript block: no angle brackets (the
    block's delimiters), no line breaks or square brackets (a fake "[7] AGENT:" line)."""
    return (text or "").translate(_LOOKALIKE)



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
        env.filters["as_data"] = as_data
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
        deadline = self.settings.judge_deadline_s
        with plain_llm_errors("The LLM judge", self.settings, way_out="grade with --judge rules", deadline_s=deadline):
            if self.json_schema_supported:
                try:
                    return self._complete(base, response_schema(), deadline)
                except openai.BadRequestError:  # no structured outputs here: JSON mode and our own checks
                    self.json_schema_supported = False
            return self._complete(base, {"type": "json_object"}, deadline)

    def _complete(self, base: dict, response_format: dict, deadline_s: float) -> str:
        """The reply's text, read as bytes within the deadline and size limit, then checked for shape
        (the client's own parsing trusts any 200 and crashes on a web page or `choices: []`)."""
        create = self._client.chat.completions.with_streaming_response.create

        def produce():
            with create(**base, response_format=response_format) as response:
                yield response.headers.get("content-type", "")
                yield from response.iter_bytes()

        return completion_content(*read_body(produce, deadline_s, MAX_REPLY_BYTES))

    def judge(self, session: dict, rubric: Rubric, evidence: list[Evidence], metrics: dict,
              rules: list[dict]) -> tuple[list[dict], list[str]]:
        turns = session.get("turns", [])
        messages = self.messages(session, rubric, evidence, metrics, rules)
        content = self._ask(messages)
        try:
            judgement, quotes, flags = accept(content, rules, turns)
        except ValueError as first:
            messages += [{"role": "assistant", "content": content},
                         {"role": "user", "content": f"That answer is invalid: {first}. Reply again with the whole "
                                                     "corrected JSON object only, scores as integers from 1 to 5, "
                                                     "each score resting on quotes copied word for word from the "
                                                     "transcript."}]
            content = self._ask(messages)
            try:
                judgement, quotes, flags = accept(content, rules, turns)
            except ValueError as second:
                raise LLMError(f"The LLM judge gave an invalid grade twice ({second}).",
                               hint="try a stronger model, or grade with --judge rules") from None
        criteria, limited = self._criteria(judgement, quotes, rubric, rules, turns)
        return criteria, grader_notes(turns) + flags + limited

    def _criteria(self, judgement: Judgement, quotes: dict[str, list[dict]], rubric: Rubric, rules: list[dict],
                  turns: list[dict]) -> tuple[list[dict], list[str]]:
        by_id = {c.id: c for c in judgement.criteria}
        by_rules = {c["id"]: c for c in rules}
        criteria, flags = [], []
        for spec in rubric.criteria:
            c = by_id[spec.id]
            score = c.score if c.applicable else None
            reasoning = c.reasoning
            if score is not None and by_rules[spec.id]["score"] is not None:
                limited, why = bounded_score(score, by_rules[spec.id], quotes[spec.id], turns)
                if limited != score:
                    flags.append(f"{spec.id}: the judge's {score} was limited to {limited}: {why}")
                    reasoning += f" (The judge scored {score}; limited to {limited}: {why}.)"
                    score = limited
            criteria.append({
                "id": spec.id, "name": spec.name, "score": score, "weight": spec.weight,
                "evidence": quotes[spec.id], "reasoning": reasoning,
                "advice": (c.advice or None) if c.applicable else None,
                "better_phrasing": c.better_phrasing if score is not None and score < 5 else None,
            })
        return criteria, flags


def verified_quotes(judgement: Judgement, turns: list[dict]) -> tuple[dict[str, list[dict]], list[str]]:
    """Each criterion's quotes that exist in the transcript (as its words), and flags for the
    ones dropped: invented, or words addressed to the grader rather than the customer."""
    quotes: dict[str, list[dict]] = {}
    flags = []
    for c in judgement.criteria:
        kept = quotes.setdefault(c.id, [])
        for q in c.evidence:
            found = match_quote(q.quote, q.turn, turns)
            if found is None:
                flags.append(f"{c.id}: dropped a quote that is not in the transcript: \"{q.quote}\" (turn {q.turn})")
                continue
            if TO_THE_GRADER.search(found[1]):
                flags.append(f"{c.id}: dropped a quote that speaks to the grader, not the customer: "
                             f"\"{found[1]}\" (turn {found[0]})")
                continue
            kept.append({"turn": found[0], "quote": found[1], "behaviour": None, "effect": q.effect})
    return quotes, flags


def accept(content: str, rules: list[dict], turns: list[dict]) -> tuple[Judgement, dict[str, list[dict]], list[str]]:
    """A judge's reply that keeps the contract: (judgement, verified quotes, flags), else
    ValueError saying what breaks it (the schema, the ids, or a score no quote supports)."""
    judgement = parse_judgement(content, rules)
    quotes, flags = verified_quotes(judgement, turns)
    unsupported = [c.id for c in judgement.criteria if c.applicable and c.score is not None and not quotes[c.id]]
    if unsupported:
        raise ValueError(f"no quote found in the transcript supports the score of {', '.join(unsupported)}; "
                         "every score needs at least one quote copied word for word from a turn")
    return judgement, quotes, flags


def bounded_score(score: int, rules: dict, quotes: list[dict], turns: list[dict]) -> tuple[int, str]:
    """The judge's score, kept within reach of the evidence (README, "Grading").

    One point either way from the rules' score is free: the judge reads tone and context the
    phrase rules cannot. Each further point needs one more agent turn, quoted (and verified)
    with the effect of the move ("for" to raise, "against" to lower), that the rules did not
    already count for this criterion: new evidence, not a louder opinion.
    """
    base = rules["score"]
    if abs(score - base) <= 1:
        return score, ""
    effect = "for" if score > base else "against"
    agent = {t["index"] for t in turns if t.get("speaker") == "agent"}
    counted = {e["turn"] for e in rules.get("evidence", []) if e.get("effect") == effect}
    new = {q["turn"] for q in quotes if q["effect"] == effect and q["turn"] in agent} - counted
    reach = 1 + len(new)
    limited = base + reach if score > base else base - reach
    if (score > base and limited >= score) or (score < base and limited <= score):
        return score, ""
    return limited, (f"the rules gave {base}, and each point beyond one needs a quoted agent turn with effect "
                     f"\"{effect}\" that the rules did not count ({len(new)} given)")


def grader_notes(turns: list[dict]) -> list[str]:
    """A flag for each agent turn that speaks to the grader: graded as words said, never obeyed."""
    return [f"Turn {t['index']} speaks to the grader (\"{TO_THE_GRADER.search(t['text']).group(0)}\"); "
            "the LLM judge was told to treat it as words said on the call, never as an instruction."
            for t in turns if t.get("speaker") == "agent" and t.get("text") and TO_THE_GRADER.search(t["text"])]
