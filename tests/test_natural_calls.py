"""Calls in wording nobody tuned the detectors on (tests/fixtures/calls/natural_scripts.py,
written apart from the training corpus), played as text through the real Customer: a good
agent calms every persona, a patient agent who only asks relevant questions is never hung up
on, and a poor agent never gets an accepting customer."""

from __future__ import annotations

import pytest

from voicetrainer.personas import find_persona

from .fixtures.calls.natural_scripts import NATURAL_CALLS
from .test_customer import play

PERSONAS = sorted(NATURAL_CALLS)


@pytest.mark.parametrize("persona_id", PERSONAS)
def test_a_good_agent_in_their_own_words_calms_the_caller(persona_id):
    customer, replies = play(persona_id, NATURAL_CALLS[persona_id]["good"])
    situations = [r.situation for r in replies]
    assert "accepting" in situations, situations
    assert not {"hanging_up", "supervisor"} & set(situations) or replies[-1].ended_by == "agent_closed", situations
    assert replies[-1].ended_by != "customer_hung_up"
    assert replies[-1].update.after <= customer.persona.mood.satisfied_at


@pytest.mark.parametrize("persona_id", PERSONAS)
def test_relevant_questions_are_progress_not_stalling(persona_id):
    customer, replies = play(persona_id, NATURAL_CALLS[persona_id]["questions"])
    start = find_persona(persona_id).mood.start
    assert all(r.ended_by != "customer_hung_up" for r in replies), [r.situation for r in replies]
    assert max(r.update.after for r in replies) <= start + 0.5, [r.update.after for r in replies]


def test_asking_the_same_question_again_is_stalling():
    script = ["What's your account number?", "What's your account number?"]
    _, replies = play("tech_meltdown", script)
    assert not any(b == "drift" for b, _ in replies[0].update.moved_by)
    assert any(b == "drift" for b, _ in replies[1].update.moved_by)


@pytest.mark.parametrize("persona_id", PERSONAS)
def test_a_poor_agent_in_their_own_words_is_not_accepted(persona_id):
    customer, replies = play(persona_id, NATURAL_CALLS[persona_id]["bad"])
    assert "accepting" not in [r.situation for r in replies]
    assert replies[-1].ended_by == "customer_hung_up" or replies[-1].update.after >= customer.persona.mood.start + 2
