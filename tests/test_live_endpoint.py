"""End-of-turn detection and device errors, without audio devices."""

from __future__ import annotations

import builtins
import sys

import numpy as np
import pytest

from voicetrainer.errors import AudioDeviceError
from voicetrainer.live.controls import Controls
from voicetrainer.live.endpoint import WINDOW_MS, FixedRule, SmartRule, TurnDetector, TurnEnd, hold_ms
from voicetrainer.live.player import Player
from voicetrainer.live.vad import WINDOW


def feed(detector: TurnDetector, pattern: str, turns: list | None = None) -> list[int]:
    """Push one window per character ('#' speech, '.' silence); the windows where a turn ended
    (each turn is taken at once, as the headset does, into `turns`)."""
    ends = []
    for i, c in enumerate(pattern):
        window = np.full(WINDOW, i, dtype=np.float32)  # each window marked with its position
        if detector.push(window, 0.9 if c == "#" else 0.05):
            ends.append(i)
            audio = detector.take()
            if turns is not None:
                turns.append(audio.reshape(-1, WINDOW)[:, 0].astype(int).tolist())
    return ends


@pytest.mark.parametrize("text, factor", [
    ("I can refund that today.", 0.7),
    ("Can I take your order number?", 0.7),
    ("I'll check the order and", 2.0),
    ("So, um", 2.0),
    ("Let me see, so", 2.0),
    ("the refund was sent on the", 2.0),
    ("I understand", 1.0),
    ("", 1.0),
])
def test_hold_follows_how_the_words_so_far_end(text, factor):
    assert hold_ms(text, 600) == pytest.approx(600 * factor)


def test_a_turn_ends_after_the_hold_silence_and_keeps_preroll_and_a_short_tail():
    d = TurnDetector(base_hold_ms=320, preroll_ms=96, tail_ms=64)
    turns = []
    assert feed(d, "......" + "#" * 10 + "." * 20 + "#" * 10 + "." * 10, turns) == [25, 55]  # 320 ms = 10 windows
    assert turns[0] == list(range(3, 6 + 10 + 2))  # 3 windows of pre-roll, the speech, 2 of the tail
    assert turns[1] == list(range(33, 36 + 10 + 2))  # the next turn starts from its own pre-roll


def test_a_pause_shorter_than_the_hold_does_not_split_the_turn():
    d = TurnDetector(base_hold_ms=320)
    assert feed(d, "#" * 10 + "." * 8 + "#" * 10 + "." * 12) == [37]


def test_a_click_is_not_a_turn():
    d = TurnDetector(base_hold_ms=320, min_turn_ms=250)
    assert feed(d, "...####" + "." * 30) == []  # 128 ms of "speech"
    assert not d.in_speech


def test_a_finished_sentence_can_end_the_turn_sooner():
    d = TurnDetector(base_hold_ms=640)
    feed(d, "#" * 10 + "." * 6)
    assert d.silence_ms == pytest.approx(6 * WINDOW_MS)
    d.hold = hold_ms("That is all.", d.base_hold_ms)  # 448 ms
    assert feed(d, "." * 10)[0] == 7  # 14 windows = 448 ms


def test_new_speech_drops_an_earlier_guess_about_the_hold():
    d = TurnDetector(base_hold_ms=640)
    feed(d, "#" * 10 + "...")
    d.hold = 100.0
    feed(d, "##")
    assert d.hold == 640


@pytest.mark.parametrize("text, p, hold", [
    (None, None, 600),  # no evidence yet: the fixed rule
    ("That is all.", None, 420),  # the fixed rule's finished sentence, until the model answers
    (None, 0.9, 288),  # sounds finished: end soon
    ("That is all.", 0.9, 288),
    ("I'll check the order and", 0.9, 1200),  # the words trail on: the sound is overruled
    ("So, um", 0.9, 1200),
    (None, 0.2, 1200),  # sounds unfinished: hold as after "and"
    ("the refund was sent on.", 0.2, 1200),  # Whisper's full stop does not shorten it
    ("Could you give me the order number?", 0.2, 420),  # a question (they often rise)
])
def test_the_smart_rule_weighs_how_the_pause_sounds_and_what_was_said(text, p, hold):
    decided = SmartRule(600).hold(text, p)
    assert decided.hold_ms == pytest.approx(hold) and decided.reason


class CountingModel:
    """Stands in for live.smart_turn.SmartTurn: answers `p`, records what it heard."""

    def __init__(self, *answers: float):
        self.answers, self.heard = list(answers), []

    def probability(self, audio: np.ndarray) -> float:
        self.heard.append(len(audio))
        return self.answers.pop(0)


def run_turn(detector: TurnDetector, judge: TurnEnd, pattern: str) -> int | None:
    """Feed windows as the headset does (the judge sets the hold in each pause); the window
    where the turn ended, or None."""
    for i, c in enumerate(pattern):
        if detector.in_speech and detector.silence_ms > 0:
            detector.hold = judge.hold(detector.silence_ms, None, detector.heard)
        was, paused = detector.in_speech, detector.silence_ms
        ended = detector.push(np.zeros(WINDOW, np.float32), 0.9 if c == "#" else 0.05)
        if detector.in_speech and not was:
            judge.start_turn()
        if detector.in_speech and detector.silence_ms == 0 and paused > 0:
            judge.speech(paused)
        if ended:
            return i
    return None


def test_the_model_is_asked_once_per_pause_and_a_finished_sound_ends_the_turn_in_288_ms():
    model = CountingModel(0.1, 0.95)
    d, judge = TurnDetector(base_hold_ms=600), TurnEnd(SmartRule(600), model, background=False)
    # speech, a 640 ms pause the model calls unfinished (held: 1.2 s), speech, a finished pause
    ended = run_turn(d, judge, "#" * 20 + "." * 20 + "#" * 20 + "." * 40)
    assert ended == 60 + 9 - 1  # 9 windows = 288 ms into the second pause
    assert len(model.heard) == 2  # once per pause, at its first silent window
    assert model.heard[0] == (20 + 1) * WINDOW  # the whole turn so far, with the pause so far (no pre-roll here)
    note = judge.decision(d.silence_ms)
    assert note["rule"] == "smart" and note["p"] == 0.95 and note["hold_ms"] == 288
    assert "finished" in note["why"]
    (pause,) = note["earlier_pauses"]  # the pause that did not end the turn, and why it was held
    assert pause["p"] == 0.1 and pause["hold_ms"] == 1200 and pause["pause_ms"] == pytest.approx(20 * WINDOW_MS, abs=1)


def test_an_unfinished_sound_holds_the_turn_past_the_fixed_silence():
    d, judge = TurnDetector(base_hold_ms=600), TurnEnd(SmartRule(600), CountingModel(0.05), background=False)
    assert run_turn(d, judge, "#" * 20 + "." * 60) == 20 + 38 - 1  # 1200 ms = 37.5 windows
    fixed = TurnDetector(base_hold_ms=600)
    assert run_turn(fixed, TurnEnd(FixedRule(600)), "#" * 20 + "." * 60) == 20 + 19 - 1  # 600 ms


def test_a_failing_model_leaves_the_fixed_rule_in_charge():
    class Broken:
        def probability(self, audio):
            raise RuntimeError("no model")

    d, judge = TurnDetector(base_hold_ms=600), TurnEnd(SmartRule(600), Broken(), background=False)
    assert run_turn(d, judge, "#" * 20 + "." * 60) == 20 + 19 - 1
    assert "not answered" in judge.decision(d.silence_ms)["why"]


def test_the_model_answers_on_its_own_thread_and_the_rule_uses_the_answer_once_it_is_there():
    import threading

    release = threading.Event()

    class Slow(CountingModel):
        def probability(self, audio):
            release.wait(5)
            return super().probability(audio)

    judge = TurnEnd(SmartRule(600), Slow(0.9))
    heard = lambda: np.zeros(WINDOW, np.float32)  # noqa: E731
    assert judge.hold(32, None, heard) == 600  # asked, not answered: the fixed rule meanwhile, without waiting
    assert judge.hold(64, None, heard) == 600
    release.set()
    judge._asked.result(timeout=5)
    assert judge.hold(96, None, heard) == 288 and judge.decision(96)["p"] == 0.9


def test_player_cut_reports_what_was_played():
    p = Player(rate=1000)
    p.start_reply()
    p.add(np.ones(3000, dtype=np.float32))
    out = np.zeros((500, 1), dtype=np.float32)
    p.callback(out, 500, None, None)
    assert out[:, 0].sum() == 500 and p.first_sound_at is not None
    assert p.cut() == pytest.approx(0.5)
    p.callback(out, 500, None, None)
    assert out.sum() == 0  # cut: silence from now on


def test_push_to_talk_and_mute_keys_toggle():
    c = Controls()
    c.press(" "), c.press("m")
    assert c.talk.is_set() and c.muted.is_set()
    c.press(" "), c.press("m"), c.press("q")
    assert not c.talk.is_set() and not c.muted.is_set() and c.end.is_set()


def test_missing_sounddevice_is_one_sentence_with_a_hint(monkeypatch):
    from voicetrainer.live import devices

    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import fails
    with pytest.raises(AudioDeviceError) as err:
        devices.sounddevice()
    assert "not installed" in err.value.message and "pip install sounddevice" in err.value.hint


def test_missing_portaudio_is_one_sentence_with_a_hint(monkeypatch):
    from voicetrainer.live import devices

    real_import = builtins.__import__

    def no_portaudio(name, *args, **kwargs):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    with pytest.raises(AudioDeviceError) as err:
        devices.sounddevice()
    assert "PortAudio" in err.value.message and "libportaudio2" in err.value.hint


def fake_devices(monkeypatch, devices):
    from voicetrainer.live import devices as module

    monkeypatch.setattr(module, "list_devices", lambda: devices)


def test_devices_are_chosen_by_index_or_name(monkeypatch):
    from voicetrainer.live.devices import Device, choose_device

    fake_devices(monkeypatch, [
        Device(0, "HDA Intel PCH: ALC257 Analog", 2, 2, 48000, True, True),
        Device(3, "Jabra Evolve2 40", 1, 2, 16000, False, False),
        Device(4, "HDMI 0", 0, 8, 48000, False, False),
    ])
    assert choose_device(None, "input") is None  # the system default
    assert choose_device("3", "input") == 3
    assert choose_device("jabra", "output") == 3
    with pytest.raises(AudioDeviceError, match="No microphone matches 'HDMI'") as err:
        choose_device("HDMI", "input")  # an output only
    assert "3 (Jabra Evolve2 40)" in err.value.hint
    with pytest.raises(AudioDeviceError, match="Several output devices"):
        choose_device("a", "output")


def test_no_device_at_all_is_one_sentence_with_a_hint(monkeypatch):
    from voicetrainer.live.devices import choose_device

    fake_devices(monkeypatch, [])
    with pytest.raises(AudioDeviceError, match="No microphone was found") as err:
        choose_device(None, "input")
    assert "voicetrainer devices" in err.value.hint


def test_printing_while_a_reply_is_synthesized_is_not_swallowed(synthesizer, capsys):
    """Replies are synthesized on a worker thread while the live view prints turns."""
    import threading

    from voicetrainer.interfaces import VoiceStyle

    style = VoiceStyle("en-us", 170, 0.9, 50)
    worker = threading.Thread(target=lambda: [synthesizer.synthesize("A sentence for the worker.", style)
                                              for _ in range(3)])
    worker.start()
    printed = 0
    while worker.is_alive():
        print("view line")
        printed += 1
        worker.join(0.01)
    out = capsys.readouterr().out
    assert out.count("view line") == printed and "Audio saved" not in out


@pytest.mark.parametrize("exam", [False, True])
def test_live_view_shows_transcript_and_hides_the_mood_in_exam_mode(exam):
    from rich.console import Console

    from voicetrainer.live.view import LiveView

    view = LiveView("Dana Whitaker", Controls(), exam=exam, mood=8.0)
    view.turns = [{"speaker": "agent", "text": "Thank you for calling.", "mood": 7.5},
                  {"speaker": "customer", "text": "Finally!", "mood": 7.5, "interrupted_at_s": 0.4}]
    view.controls.muted.set()
    screen = Console(record=True, width=100)
    screen.print(view.render())
    text = screen.export_text()
    assert "Thank you for calling." in text and "Finally!  [cut off]" in text and "MUTED" in text
    assert "q end call" in text
    assert ("mood" in text) is not exam


def test_the_fixed_rule_is_the_default_and_smart_is_opt_in():
    """The model rule cut multi-sentence turns live and answered no sooner on 2 cores
    (README, "When is your turn over?"): live calls and --realtime wait the fixed silence
    unless `--turn-end smart` is given."""
    from typer.testing import CliRunner

    from voicetrainer.cli import app
    from voicetrainer.cli_live import check_turn_end
    from voicetrainer.errors import VoiceTrainerError
    from voicetrainer.live.headset import HeadsetOptions

    assert HeadsetOptions().smart_turn is False
    assert check_turn_end("fixed") == "fixed" and check_turn_end(" Smart ") == "smart"
    with pytest.raises(VoiceTrainerError, match="--turn-end must be fixed or smart"):
        check_turn_end("model")
    import inspect

    from voicetrainer import cli, cli_live

    assert inspect.signature(cli.call).parameters["turn_end"].default.default == "fixed"
    assert inspect.signature(cli._offline_call).parameters["turn_end"].default == "fixed"
    assert inspect.signature(cli_live.live_call).parameters["turn_end"].default == "fixed"
    shown = CliRunner().invoke(app, ["call", "--help"], env={"COLUMNS": "200"}).output
    assert "--turn-end" in shown and "experimental" in shown


def test_end_of_turn_notes_of_both_rules_are_valid_session_notes():
    """What TurnEnd journals (call.py passes a source's notes to Recorder.note) reads back as
    part of a typed Session, and the session says which rule the call used."""
    from voicetrainer.record.models import Note, Session

    fixed = TurnEnd(FixedRule(600), background=False)
    fixed.start_turn()
    fixed.hold(0.0, "Thank you for calling.", None)
    smart = TurnEnd(SmartRule(600), CountingModel(0.1, 0.95), background=False)
    d = TurnDetector(base_hold_ms=600)
    run_turn(d, smart, "#" * 20 + "." * 20 + "#" * 20 + "." * 40)
    notes = [fixed.decision(420), smart.decision(d.silence_ms)]
    assert notes[1]["earlier_pauses"] and notes[0]["rule"] == "fixed"
    for note in notes:
        assert Note.model_validate(note).model_dump() == note
    for rule in ("fixed", "smart"):
        session = Session.model_validate({"persona": "angry_refund", "ended_by": "agent_closed", "turns": [],
                                          "end_silence_ms": 600, "end_of_turn": rule, "notes": notes})
        assert session.end_of_turn == rule and [n.event for n in session.notes] == ["end_of_turn"] * 2
    with pytest.raises(ValueError):
        Session.model_validate({"persona": "angry_refund", "ended_by": "agent_closed", "end_of_turn": "model"})
