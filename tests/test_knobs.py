"""Each difficulty knob has a visible effect on the call (text only: mood engine + scripted lines)."""

from __future__ import annotations

import re

from voicetrainer.callers.scripted import ScriptedGenerator
from voicetrainer.customer import Customer
from voicetrainer.personas import Fact, Habits, Persona, find_persona

from .test_customer import BAD, GOOD

BASE = find_persona("angry_refund")
NEUTRAL = ["Hello, Brightline Home.", "Okay.", "Right.", "I see.", "Okay then."]


def variant(mood: dict | None = None, habits: dict | None = None, facts=None, lines: dict | None = None) -> Persona:
    """angry_refund with some knobs turned (validated, as if a trainer wrote it)."""
    data = BASE.model_dump()
    data["mood"].update(mood or {})
    data["habits"] = {**data["habits"], **(habits or {})}
    if facts is not None:
        data["scenario"]["facts"] = facts
    data["lines"].update(lines or {})
    return Persona.model_validate(data)


def play(persona: Persona, script: list[str], seed: int = 0):
    customer = Customer(persona, ScriptedGenerator(seed))
    replies = []
    for line in script:
        replies.append(customer.respond(line))
        if replies[-1].ends_call:
            break
    return replies


def sentences(text: str) -> int:
    return len(re.findall(r"[.!?](?=\s|$)", text))


def test_patience_drift_sets_how_fast_mood_rises_when_nothing_helps():
    for drift in (0.0, 0.5, 1.5):
        replies = play(variant(mood={"drift_per_turn": drift, "start": 2, "supervisor_at": None}), NEUTRAL)
        moods = [r.update.after for r in replies]
        assert moods == [2 + drift * (i + 1) for i in range(len(NEUTRAL))], (drift, moods)


def test_resistance_divides_calming_and_slows_acceptance():
    def turns_to_accept(resistance: float) -> tuple[float, int | None]:
        replies = play(variant(mood={"resistance": resistance}), GOOD)
        situations = [r.situation for r in replies]
        accepted = situations.index("accepting") if "accepting" in situations else None
        return replies[1].update.after, accepted

    easy, normal, hard = turns_to_accept(0.5), turns_to_accept(1.0), turns_to_accept(3.0)
    assert easy[0] < normal[0] < hard[0], "the same empathy calms a resistant caller less"
    assert easy[1] is not None and normal[1] is not None and easy[1] <= normal[1]
    assert hard[1] is None, "a very resistant caller is not won over by the same short call"


def test_verbosity_sets_how_much_is_said_per_reply():
    script = NEUTRAL[:4]
    terse = play(variant(habits={"verbosity": "terse"}, mood={"supervisor_at": None}), script)
    normal = play(variant(mood={"supervisor_at": None}), script)
    chatty = play(variant(habits={"verbosity": "chatty"}, mood={"supervisor_at": None}), script)
    assert all(sentences(r.text) == 1 for r in terse), [r.text for r in terse]
    assert sum(sentences(r.text) for r in chatty) > sum(sentences(r.text) for r in normal) > len(script)
    answer = play(variant(habits={"verbosity": "terse"}), ["Hello.", "Could you give me your order number?"])[1]
    assert answer.situation == "answering" and answer.text == "It's BR-48213."


def test_repeats_demand_every_nth_reply_until_a_resolution_is_offered():
    demand = {"angry": ["I want my money back, that's all."], "annoyed": ["So when do I get my refund?"]}
    persona = variant(habits={"repeats_demand": 2}, lines={"demand": demand}, mood={"supervisor_at": None, "start": 6})
    replies = play(persona, NEUTRAL)
    said = [any(d in r.text for d in demand["angry"] + demand["annoyed"]) for r in replies]
    assert said == [False, False, True, False, True], [r.text for r in replies]
    after = play(persona, ["Hello.", "You'll have it within 3 to 5 business days.", "Okay.", "Right.", "Okay then."])
    assert not any(d in r.text for r in after for d in demand["annoyed"] + demand["angry"])
    never = play(variant(mood={"supervisor_at": None, "start": 6}, lines={"demand": demand}), NEUTRAL)
    assert not any(d in r.text for r in never for d in demand["annoyed"] + demand["angry"])


def test_repeats_demand_needs_demand_lines():
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="demand because habits.repeats_demand is set"):
        variant(habits={"repeats_demand": 2})
    assert Habits().repeats_demand == 0


def test_hidden_fact_is_kept_back_until_the_right_question():
    facts = [f.model_dump() for f in BASE.scenario.facts] + [
        Fact(key="used_it", value="used it twice", asked_by=["use it", "used it"], hidden=True,
             say="Okay, fine, I used it twice before it cracked.").model_dump()]
    persona = variant(facts=facts)
    replies = play(persona, ["Hello, Brightline Home.", "Is there anything else I should know?",
                             "Did you use it before it cracked?", "Is there anything else I should know?"])
    assert [r.situation for r in replies[1:3]] == ["deflecting", "answering"]
    assert "used it twice" not in replies[1].text and "used it twice" in replies[2].text
    assert replies[3].situation != "deflecting", "once told, nothing is hidden any more"
    plain = play(BASE, ["Hello, Brightline Home.", "Is there anything else I should know?"])
    assert plain[1].situation != "deflecting"


def test_llm_caller_is_not_told_a_hidden_value():
    from voicetrainer.callers.llm import LLMGenerator
    from voicetrainer.config import LLMSettings
    from voicetrainer.customer import ReplyContext

    facts = [Fact(key="used_it", value="used it twice", asked_by=["use it"], hidden=True, say="I used it twice.")]
    persona = variant(facts=[f.model_dump() for f in facts], habits={"verbosity": "terse"})
    llm = LLMGenerator(LLMSettings(base_url="http://127.0.0.1:9/v1"))
    ctx = ReplyContext(persona, "deflecting", "angry", 8, None, "Anything else?", (("agent", "Anything else?"),))
    system = llm.messages(ctx)[0]["content"]
    assert "used it twice" not in system and "keeping this back" in system and "a single short sentence" in system
    asked = ReplyContext(persona, "answering", "angry", 8, None, "Did you use it?", (), tuple(facts))
    assert "I used it twice." in llm.messages(asked)[0]["content"]
    demand = ReplyContext(persona, "venting", "angry", 8, None, "Okay.", (), repeat_demand=True)
    assert f"repeating your main demand in your own words: {persona.scenario.wants}" in llm.messages(demand)[0]["content"]


def test_supervisor_is_demanded_once_at_its_threshold_and_never_without_one():
    replies = play(variant(mood={"supervisor_at": 9, "start": 7}), NEUTRAL + ["Hm."])
    situations = [r.situation for r in replies]
    assert situations == ["opening", "venting", "venting", "supervisor", "venting", "hanging_up"]
    assert replies[3].update.after >= 9 > replies[3].update.before
    assert "supervisor" not in [r.situation for r in play(variant(mood={"supervisor_at": None, "start": 8}), BAD)]


def test_a_bad_turn_that_jumps_past_supervisor_at_still_gets_the_demand_before_the_hang_up():
    replies = play(variant(mood={"supervisor_at": 9.5, "start": 8}), BAD)
    assert replies[1].update.after >= 10 and replies[1].situation == "supervisor"
    assert [r.situation for r in replies].count("supervisor") == 1
    assert replies[-1].ended_by == "customer_hung_up"
    escalated = play(variant(mood={"supervisor_at": 9.5, "start": 8}), BAD[:2] + [
        "I understand. I'm transferring you to my supervisor now, and I'll give them a summary so you don't have to repeat it."])
    assert escalated[-1].situation == "escalated" and not escalated[-1].ends_call
