"""The customer as text: mood engine + scripted lines, no audio."""

from __future__ import annotations

from voicetrainer.callers.scripted import ScriptedGenerator
from voicetrainer.customer import Customer
from voicetrainer.personas import find_persona

GOOD = [
    "Thank you for calling Brightline Home, this is Sam. How can I help you today?",
    "I'm so sorry, I can hear how frustrating this has been.",
    "So you returned the espresso machine on October 28th and the refund still hasn't reached you.",
    "Could you give me your order number?",
    "Thank you. I'm going to take care of this myself.",
    "I've reissued the refund and you'll see it within 3 to 5 business days.",
    "Is there anything else I can help you with?",
    "Thank you for your patience, Dana. Have a good evening.",
]
BAD = [
    "Brightline.",
    "You need to calm down.",
    "That's not my department.",
    "I can't do anything about that.",
    "That's our policy.",
    "Look, I don't know what you want me to do.",
    "It'll get there when it gets there.",
]


def play(persona_id: str, script: list[str], seed: int = 0):
    """A text call with the scripted caller; stops when the customer ends it."""
    customer = Customer(find_persona(persona_id), ScriptedGenerator(seed))
    replies = []
    for line in script:
        replies.append(customer.respond(line))
        if replies[-1].ends_call:
            break
    return customer, replies


def test_good_handling_calms_the_customer_and_ends_well():
    customer, replies = play("angry_refund", GOOD)
    start = customer.persona.mood.start
    assert replies[-1].update.after < start - 3
    assert "accepting" in [r.situation for r in replies]
    assert replies[-1].ended_by in ("agent_closed", "customer_satisfied")


def test_bad_handling_makes_the_customer_hang_up():
    customer, replies = play("angry_refund", BAD)
    assert replies[-1].ended_by == "customer_hung_up"
    moods = [r.update.after for r in replies]
    assert moods == sorted(moods), "every bad turn makes it worse"


def test_asking_for_a_fact_gets_it_answered():
    _, replies = play("angry_refund", GOOD[:4])
    assert replies[3].situation == "answering"
    assert "BR-48213" in replies[3].text


def test_scripted_lines_are_deterministic_and_do_not_repeat():
    _, a = play("angry_refund", BAD, seed=7)
    _, b = play("angry_refund", BAD, seed=7)
    assert [r.text for r in a] == [r.text for r in b]
    texts = [r.text for r in a]
    assert len(set(texts)) == len(texts)


def test_mood_moves_are_explained():
    _, replies = play("angry_refund", GOOD[:3])
    moved = dict(replies[1].update.moved_by)
    assert moved["acknowledges_feelings"] < 0 and moved["apologises"] < 0
    assert "drift" in dict(play("angry_refund", ["Okay."])[1][0].update.moved_by)
