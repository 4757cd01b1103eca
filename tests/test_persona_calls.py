"""Every shipped persona, called as text through the real Customer (mood engine + scripted
lines): a well-handled call calms the caller and ends accepted, a badly handled one ends in a
hang-up or a clearly angrier caller. The agent scripts are data, written as an agent would
speak them; each line is there for the behaviours it should trigger.
"""

from __future__ import annotations

import itertools
import json

import pytest

from voicetrainer.callers.scripted import ScriptedGenerator
from voicetrainer.customer import Customer
from voicetrainer.mood import MoodEngine
from voicetrainer.personas import Mood, find_persona, persona_files

from .test_customer import BAD as REFUND_BAD, GOOD as REFUND_GOOD, play

# Agent turns, in order. "good": greets, acknowledges, paraphrases, owns it, asks for facts,
# gives dates and options, sums up, closes. "bad": brushes off, "I can't", policy, blame.
SCRIPTS: dict[str, dict[str, list[str]]] = {
    "angry_refund": {"good": REFUND_GOOD, "bad": REFUND_BAD},  # the calls test_customer plays
    "passive_aggressive": {
        "good": [
            "Good morning, thank you for calling Hartwell Furniture, this is Jordan. How can I help you today?",
            "So you took two days off work, waited in for the sofa both times, and the van never turned up and nobody called you.",
            "Let me pull up your order. Could you give me the order number?",
            "Thank you. I can see both missed slots here, and that's not the experience you should have had. I'm going to take care of this myself.",
            "I've added you to the first slot on Thursday, seven to nine in the morning, and the driver will be with you no later than nine.",
            "I'm also refunding the seventy-nine dollar delivery fee, and you'll see it on your card within three to five business days.",
            "To recap: Thursday, first slot, a text the evening before, and the delivery fee back on your card. Is there anything else I can help with?",
            "Thank you for your patience, Margaret. Have a lovely day.",
        ],
        "bad": [
            "Hartwell Furniture, what's the order number?",
            "I do apologise for any inconvenience caused.",
            "Delivery windows are estimates, that's our policy.",
            "The delivery team handles that, it's not my department.",
            "I apologise, I can't book a specific time.",
            "Sorry about that.",
            "I understand your frustration, sorry again for the inconvenience.",
            "Is there anything else?",
        ],
    },
    "confused_demanding": {
        "good": [
            "Thank you for calling Nimbus Mobile, my name is Alex. How can I help you today?",
            "I can hear how confusing this bill has been, and I'm going to go through it with you step by step.",
            "Could you tell me your account number? It starts with N M.",
            "Thank you. Just to check I have this right: you were told forty-five a month, and the bill says a hundred and forty-two. Let's take it one line at a time.",
            "The forty-five is your plan, and the thirty-eight is the payment for your new phone. Does that part make sense?",
            "The other two are one-offs: a part month for October and a thirty-five dollar activation fee. I've credited the activation fee, so you won't pay that.",
            "To recap: from next month your bill will be eighty-three dollars, and you'll get a text summary of this within the next hour.",
            "Is there anything else I can help you with today?",
            "Thank you for calling, Gloria. Have a lovely afternoon.",
        ],
        "bad": [
            "Nimbus, account number?",
            "As I said, it's all itemised on the bill, ma'am.",
            "That's a pro-rata charge plus the device instalment and the activation fee, it's standard.",
            "Billing queries are another department, you'll have to call them.",
            "I can't change the bill, that's company policy.",
            "Look, I've already told you what it is.",
            "Whatever, it's on the bill.",
        ],
    },
    "abusive_caller": {
        "good": [
            "Thank you for calling Crestway Car Rental, this is Morgan. How can I help you today?",
            "Mr. Salazar, I'm here to help, but I need you to keep this respectful. I want to get this charge sorted for you.",
            "I understand why you're angry about a charge you don't think is yours, and I'm going to look into it right now.",
            "Could you give me your rental agreement number?",
            "Thank you. So the scratch was already on the bumper at pickup, you have photos from our lot, and we charged you three hundred and fifty dollars anyway.",
            "I've put the charge on hold, and I'll send you a link to upload your photos. The damage team will give you a decision within five business days.",
            "To recap: the charge is on hold, you'll get the upload link by email, and you'll have a decision within five business days. Is there anything else I can help with?",
            "Thank you for your patience, Mr. Salazar. Have a good evening.",
        ],
        "bad": [
            "Crestway.",
            "Sir, you need to calm down.",
            "Damage charges are final, that's company policy.",
            "I can't do anything about it, it's the damage team's decision.",
            "Whatever, you can email them again.",
        ],
    },
    "billing_dispute": {
        "good": [
            "Good afternoon, thank you for calling Lumen Energy, my name is Chris. How can I help you today?",
            "I can hear how worrying this is, and please don't apologise, you've done the right thing calling. I'm going to sort this out with you.",
            "Could you give me your account number?",
            "Thank you. So we took four hundred and eighty-six dollars instead of the usual seventy-two, and it's left you overdrawn with your rent due on the first.",
            "I've processed a refund of four hundred and fourteen dollars and twenty cents, and it will be back in your account within three business days, so well before the first.",
            "I can also spread the catch-up over twelve months, and I'll add a thirty-five dollar credit for the overdraft fee.",
            "To recap: the refund is back within three business days, you'll get an email today confirming it for your bank, and nothing else will be taken. Does that help?",
            "Thank you for calling, Priya. Take care.",
        ],
        "bad": [
            "Lumen Energy, account number please.",
            "The bill is correct as billed. That's how estimated readings work.",
            "Refunds aren't something we can do, it's our policy.",
            "You should have checked your statement, ma'am.",
            "Your bank fee is the bank's problem, you'll have to call them.",
            "Okay.",
        ],
    },
    "tech_meltdown": {
        "good": [
            "Thanks for calling Vantage Fiber, this is Riley. How can I help you today?",
            "That sounds really stressful with a client call at two. I'm going to take care of this with you right now.",
            "Can I take your account number, and what have you already tried?",
            "Thanks. So the LOS light is blinking red, you've power-cycled the ONT and router and swapped the patch lead, and it's still down.",
            "There's a fibre cut in your area. The repair crew is on site and expects to have it fixed by 6 p.m. today. Do you have a mobile line with us?",
            "In the meantime, I can add a free hundred gig data boost to your Vantage mobile line, so you can tether for the call. It'll be active within ten minutes.",
            "To recap: the data boost is on now, the crew expects the line back by 6 p.m., you'll get text updates every two hours, and you'll get a credit for today. Does that work for you?",
            "Thanks for your patience, Marcus. Good luck with the call, have a good afternoon.",
        ],
        "bad": [
            "Vantage Fiber.",
            "Have you tried turning the router off and on again?",
            "There's nothing I can do about outages, that's not my department.",
            "Okay, can you unplug it for thirty seconds and plug it back in?",
            "It'll get there when it gets there, sir.",
            "Is there anything else?",
        ],
    },
}


SHIPPED = [p.stem for p in persona_files()]


def test_every_shipped_persona_has_agent_scripts():
    assert sorted(SCRIPTS) == sorted(SHIPPED)


@pytest.mark.parametrize("persona_id", SHIPPED)
def test_well_handled_call_calms_the_caller_and_ends_accepted(persona_id):
    customer, replies = play(persona_id, SCRIPTS[persona_id]["good"])
    mood = customer.persona.mood
    situations = [r.situation for r in replies]
    # only a satisfied caller may end the call before the agent's script does
    ended_early = len(replies) < len(SCRIPTS[persona_id]["good"])
    assert not ended_early or replies[-1].ended_by == "customer_satisfied", f"ended early: {situations}"
    assert "accepting" in situations
    assert not {"dismissed", "hanging_up", "supervisor"} & set(situations), situations
    assert replies[-1].ended_by in ("agent_closed", "customer_satisfied")
    assert replies[-1].update.after <= mood.satisfied_at < mood.start


@pytest.mark.parametrize("persona_id", SHIPPED)
def test_badly_handled_call_ends_in_a_hang_up_or_a_much_angrier_caller(persona_id):
    customer, replies = play(persona_id, SCRIPTS[persona_id]["bad"])
    situations = [r.situation for r in replies]
    assert "accepting" not in situations and "acknowledged" not in situations, situations
    angered_by_words = [b for r in replies for b, d in r.update.moved_by if d > 0 and b != "drift"]
    assert angered_by_words, "the agent's own words made it worse, not just the waiting"
    hung_up = replies[-1].ended_by == "customer_hung_up"
    assert hung_up or replies[-1].update.after >= customer.persona.mood.start + 2, situations


@pytest.mark.parametrize("persona_id", SHIPPED)
def test_every_fact_is_given_when_the_agent_asks_for_it(persona_id):
    persona = find_persona(persona_id)
    for fact in persona.scenario.facts:
        for words in fact.asked_by:
            customer = Customer(persona, ScriptedGenerator(0))
            customer.respond(SCRIPTS[persona_id]["good"][0])
            reply = customer.respond(f"I'll take care of this for you. Could you tell me about the {words}, please?")
            assert reply.situation == "answering", (fact.key, words)
            assert fact.say in reply.text, (fact.key, words)
            assert "{" not in reply.text


@pytest.mark.parametrize("persona_id", SHIPPED)
def test_a_long_middling_call_never_repeats_a_line(persona_id):
    # Neither good nor bad handling: the caller stays in the call for many turns.
    script = ["Hello, thanks for calling, how can I help?"] + [
        "I see.", "I understand.", "Okay.", "I hear you.", "Right.", "I can see that.", "Mm-hm.",
        "I understand how you feel.", "Okay, I see.", "I get it.", "Sure.", "I hear what you're saying.",
    ]
    for seed in range(5):
        _, replies = play(persona_id, script[:10], seed=seed)
        texts = [r.text for r in replies]
        assert len(replies) >= 6, [r.situation for r in replies]
        assert len(set(texts)) == len(texts), seed


# The abusive caller: a calm boundary gets the boundary response; abuse after warnings ends it.

BOUNDARY = "Mr. Salazar, I'm here to help, but I need you to keep this respectful."
FINAL_WARNING = "If you continue to swear at me, I will end this call."


def test_a_boundary_statement_gets_the_boundary_response():
    customer, replies = play("abusive_caller", [SCRIPTS["abusive_caller"]["good"][0], BOUNDARY])
    reply = replies[-1]
    assert "sets_boundary" in [d.behaviour for d in reply.detections]
    assert reply.situation == "boundary" and not reply.ends_call
    assert reply.text in customer.persona.lines_for("boundary", reply.update.band)
    assert reply.update.after < reply.update.before, "a calm boundary takes some heat out of him"


def test_a_boundary_then_real_help_wins_the_abusive_caller_over():
    _, replies = play("abusive_caller", SCRIPTS["abusive_caller"]["good"])
    assert replies[1].situation == "boundary"  # he answers the warning before anything else
    assert replies[2].update.band != "angry" and replies[-1].ended_by == "agent_closed"


def test_abuse_that_goes_on_after_two_warnings_ends_the_call():
    greeting = SCRIPTS["abusive_caller"]["good"][0]
    customer, replies = play("abusive_caller", [greeting, BOUNDARY, "Okay.", FINAL_WARNING, "Sir?"])
    first_warning, _, second_warning = replies[1:]
    assert first_warning.situation == "boundary" and not first_warning.ends_call
    assert first_warning.text in customer.persona.lines_for("boundary", "angry"), "the abuse goes on"
    assert second_warning.ends_call and second_warning.ended_by == "customer_hung_up"
    assert second_warning.situation == "hanging_up"
    assert second_warning.update.after < customer.persona.mood.hang_up_at, "ended by the warnings, not the threshold"


def test_one_warning_alone_does_not_end_the_call():
    greeting = SCRIPTS["abusive_caller"]["good"][0]
    _, replies = play("abusive_caller", [greeting, BOUNDARY, "Okay.", "Okay."])
    assert not any(r.ends_call for r in replies)


# The engine features these personas needed.

def _mood(**kw) -> Mood:
    return Mood(**{"start": 8, "drift_per_turn": 0, "reactions": {"sets_boundary": 0}, **kw})


def test_engine_hangs_up_after_the_set_number_of_warnings_only_while_still_angry():
    engine = MoodEngine(_mood(hang_up_after_warnings=2))
    assert engine.react(["sets_boundary"]).outcome == "continue"
    assert engine.react(["sets_boundary"]).outcome == "hang_up"
    never = MoodEngine(_mood())
    assert all(never.react(["sets_boundary"]).outcome == "continue" for _ in range(5))
    calmed = MoodEngine(_mood(hang_up_after_warnings=2, reactions={"sets_boundary": -1.0}))
    assert [calmed.react(["sets_boundary"]).outcome for _ in range(3)] == ["continue"] * 3  # 7, 6, 5: not angry


def test_a_behaviour_reads_the_way_this_caller_feels_it():
    # An apology calms the angry refund caller but is a brush-off to the passive-aggressive one.
    apology = "I do apologise for any inconvenience caused."
    for persona_id, situation in (("angry_refund", "acknowledged"), ("passive_aggressive", "dismissed")):
        _, replies = play(persona_id, [SCRIPTS[persona_id]["good"][0], apology])
        assert replies[-1].situation == situation, persona_id


# What makes each archetype itself.

def test_a_concrete_date_calms_the_anxious_caller_most():
    timeline = "That will be done within three business days."
    calmed = {}
    for persona_id in SHIPPED:
        _, replies = play(persona_id, [SCRIPTS[persona_id]["good"][0], timeline])
        calmed[persona_id] = dict(replies[-1].update.moved_by)["gives_timeline"]
    assert min(calmed, key=calmed.get) == "billing_dispute", calmed


def test_the_confused_caller_keeps_repeating_her_demand_until_someone_sums_it_up():
    persona = find_persona("confused_demanding")
    demands = {line for by_band in persona.lines["demand"].values() for line in by_band}
    _, replies = play("confused_demanding", SCRIPTS["confused_demanding"]["bad"])
    assert any(d in r.text for r in replies for d in demands)


def test_the_tech_caller_only_mentions_his_mobile_line_when_asked_about_it():
    greeting = SCRIPTS["tech_meltdown"]["good"][0]
    _, replies = play("tech_meltdown", [greeting, "I'm going to sort this out. Which package are you on at the moment?",
                                        "Do you have a mobile line with us?"])
    assert replies[1].situation == "deflecting" and "Vantage mobile" not in replies[1].text
    assert replies[2].situation == "answering" and "Vantage mobile" in replies[2].text


@pytest.mark.slow
def test_the_grader_agrees_with_every_caller(tmp_path):
    """Graded by the rules (no audio), each well-handled call scores above its badly handled
    twin, and no good script trips the persona's cannot_promise list."""
    from voicetrainer.grading.grade import grade_session

    from .grading_helpers import text_session

    for persona_id in SHIPPED:
        overall = {}
        for kind in ("good", "bad"):
            customer, replies = play(persona_id, SCRIPTS[persona_id][kind])
            lines = [line for agent, reply in zip(SCRIPTS[persona_id][kind], replies) for line in (agent, reply.text)]
            moods = {2 * i + 1: {"mood": r.update.after} for i, r in enumerate(replies)}
            folder = text_session(tmp_path / persona_id / kind, lines, ended_by=replies[-1].ended_by or "audio_exhausted",
                                  mood_start=customer.persona.mood.start, extra=moods)
            session = json.loads((folder / "session.json").read_text())
            (folder / "session.json").write_text(json.dumps({**session, "persona": persona_id}))
            grade = grade_session(folder, audio=False)
            overall[kind] = grade["overall"]
            if kind == "good":
                promises = [e["quote"] for c in grade["criteria"] for e in c["evidence"] if e["behaviour"] == "false_promise"]
                assert promises == [], (persona_id, promises)
        assert overall["good"] > overall["bad"], (persona_id, overall)


BRUSH_OFFS = {
    "cites_policy": "That's our policy.",
    "blames_others": "That's not my department.",
    "says_cant": "I can't do anything about that.",
    "dismissive": "You need to calm down.",
    "apologises": "I do apologise for any inconvenience caused.",
}


@pytest.mark.parametrize("persona_id", SHIPPED)
def test_a_brushed_off_caller_answers_the_brush_off_the_agent_used(persona_id):
    from voicetrainer.callers.scripted import BRUSH_OFF_WORDS

    persona = find_persona(persona_id)
    dismissed = 0
    for brush_off, sentence in BRUSH_OFFS.items():
        for seed, mood in itertools.product(range(3), (persona.mood.bands[0], persona.mood.bands[1] - 1)):
            customer = Customer(persona, ScriptedGenerator(seed))
            customer.respond(SCRIPTS[persona_id]["good"][0])
            customer.engine.mood = mood  # annoyed, or nearly angry: the brush-off lands, the call goes on
            reply = customer.respond(sentence)
            if reply.situation != "dismissed":
                continue  # an apology that calms this caller, or a brush-off that ended the call
            dismissed += 1
            answers = {b for b, words in BRUSH_OFF_WORDS.items() if words.search(reply.text)}
            assert answers <= {brush_off}, (sentence, reply.text)
            apt = [line for line in persona.lines_for("dismissed", reply.update.band) if BRUSH_OFF_WORDS[brush_off].search(line)]
            assert not apt or brush_off in answers, (sentence, reply.text)
    assert dismissed >= 3
