"""Spoken calls through the page, in real Chromium, against a real server.

Chromium's fake microphone speaks a recording of the agent's side (the recorded turns of
tests/fixtures/calls/angry_refund_good with silences between them, looped); the page's
AudioWorklet sends it to the server over the WebSocket, the server holds the call with
the real Whisper, Silero VAD, mood engine, scripted caller and pyttsx3, and sends the
customer's voice back for the page to play. Playwright drives the system chromium
(executable_path: nothing is downloaded).

Set VOICETRAINER_SCREENSHOTS=docs to keep the call page and team view screenshots for
the README.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")
playwright = pytest.importorskip("playwright.sync_api")

from tests.conftest import FIXTURE_CALLS, ROOT  # noqa: E402
from voicetrainer.testing.chromium import CHROMIUM_FLAGS, find_chromium  # noqa: E402
from voicetrainer.testing.wer import wer  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOKEN = "browser-test-token"
CALL = "angry_refund_good"
TURNS = 3  # agent turns held before hanging up
GAP_S = 8.0  # silence after each agent turn: the customer's reply is spoken in it
TURN_WER_BOUND = 0.30  # the offline tests' bound (tests/test_offline_call.py)
STEP_S = 90.0


@pytest.fixture(scope="module")
def server(tmp_path_factory, transcriber, synthesizer):
    """The app on uvicorn on a free loopback port, with a token, sharing the test session's models."""
    import uvicorn

    from voicetrainer.cli_grade import resolve_rubric
    from voicetrainer.cli_serve import bind
    from voicetrainer.config import Settings
    from voicetrainer.web.app import create_app
    from voicetrainer.web.parts import ServeParts

    sessions = tmp_path_factory.mktemp("serve") / "sessions"
    parts = ServeParts(Settings(), sessions, ROOT / "personas", None, resolve_rubric(None), token=TOKEN,
                       caller="scripted", transcriber=transcriber, synthesizer=synthesizer,
                       # The page's pipeline is under test, not the end-of-turn rule: a longer
                       # silence keeps a sentence gap (0.25 s in the recordings) from being taken
                       # for the end of a turn when a loaded machine delivers the mic in bursts.
                       end_silence_ms=1200.0)
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(parts), log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", sessions
    server.should_exit = True
    thread.join(timeout=15)
    sock.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory, fixture_manifest):
    from voicetrainer.testing.agent_track import write_agent_track

    binary = find_chromium()
    if not binary:
        pytest.skip("Chromium is not installed (scripts/system-deps.sh test)")
    files = [FIXTURE_CALLS / CALL / t["file"] for t in fixture_manifest[CALL]["turns"][:TURNS + 1]]
    track = write_agent_track(tmp_path_factory.mktemp("mic") / "agent.wav", files, GAP_S)
    flags = [f for f in CHROMIUM_FLAGS if f not in ("--headless", "--remote-debugging-pipe")]  # Playwright's own
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=binary, headless=True, args=[
            *flags, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={track}"])
        yield chromium
        chromium.close()


def open_call(browser, base: str, agent: str):
    """The agent's way in: the address with the token, their name, a persona card, Start."""
    page = browser.new_page(viewport={"width": 1000, "height": 1100})
    page.goto(f"{base}/?token={TOKEN}")
    page.fill("#agent", agent)
    page.click("#persona-angry_refund")
    page.wait_for_selector("#start-call")
    page.click("#start-call")
    page.wait_for_function("() => window.voicetrainer.session", timeout=STEP_S * 1000)
    return page, page.evaluate("() => window.voicetrainer.session")


def lines(page, speaker: str) -> list[str]:
    return page.eval_on_selector_all(f"#transcript li.{speaker}", "els => els.map(e => e.textContent)")


def wait_for_session(folder: Path, timeout_s: float = STEP_S) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (folder / "grade.json").exists():
            return json.loads((folder / "session.json").read_text())
        time.sleep(0.2)
    raise AssertionError(f"no graded session in {folder}")


def screenshot(page, name: str) -> None:
    where = os.environ.get("VOICETRAINER_SCREENSHOTS")
    if where:
        page.screenshot(path=str(ROOT / where / name), full_page=True)


def test_a_page_closed_mid_call_leaves_its_finished_turns_saved(server, browser, fixture_manifest):
    base, sessions = server
    page, session_name = open_call(browser, base, "Cara")
    page.wait_for_function("() => document.querySelectorAll('#transcript li.customer').length >= 1", timeout=STEP_S * 1000)
    shown = lines(page, "agent")
    page.close()  # no hang-up: the page is simply gone

    session = wait_for_session(sessions / session_name)
    agent = [t for t in session["turns"] if t["speaker"] == "agent"]
    customer = [t for t in session["turns"] if t["speaker"] == "customer"]
    assert session["ended_by"] == "agent_ended" and session["mode"] == "browser"
    assert len(agent) >= len(shown) >= 1 and customer
    reference = fixture_manifest[CALL]["turns"][0]["text"]
    assert wer(reference, agent[0]["text"]) <= TURN_WER_BOUND, agent[0]["text"]
    assert (sessions / session_name / customer[0]["audio"]).exists()


def test_a_whole_call_through_the_page(server, browser, fixture_manifest):
    base, sessions = server
    page, session_name = open_call(browser, base, "Ana")
    assert session_name.startswith("Ana/")
    page.wait_for_function(f"() => document.querySelectorAll('#transcript li.customer').length >= {TURNS}",
                           timeout=STEP_S * 1000)
    screenshot(page, "serve-call.png")
    played = page.evaluate("() => window.voicetrainer.framesPlayed")
    page.click("#hang-up")
    page.wait_for_selector("#report-box:not([hidden])", timeout=STEP_S * 1000)
    report = page.frame_locator("#report")
    assert "Dana Whitaker" in report.locator("body").inner_text(timeout=10_000)

    folder = sessions / session_name
    session = wait_for_session(folder)
    agent = [t for t in session["turns"] if t["speaker"] == "agent"]
    customer = [t for t in session["turns"] if t["speaker"] == "customer"]
    assert session["ended_by"] == "agent_ended" and len(agent) >= TURNS and len(customer) >= TURNS
    for script, turn in zip(fixture_manifest[CALL]["turns"][:TURNS], agent):  # one turn per recording
        assert wer(script["text"], turn["text"]) <= TURN_WER_BOUND, (script["file"], turn["text"])
    assert [t["text"] for t in agent[:TURNS]] == lines(page, "agent")[:TURNS]
    assert [t["text"] for t in customer[:TURNS]] == lines(page, "customer")[:TURNS]
    # The customer's replies went down the socket and were scheduled in the page.
    import soundfile as sf

    spoken_s = sum(sf.info(str(folder / t["audio"])).duration for t in customer[:TURNS - 1])
    assert played * 0.04 >= spoken_s * 0.9, (played, spoken_s)  # frames of 40 ms
    assert (folder / "report.html").exists() and (folder / "call.wav").exists()

    page.goto(f"{base}/team")
    calls = page.inner_text("#calls")
    assert "Ana" in calls and "Cara" in calls and "Dana Whitaker" in calls
    screenshot(page, "serve-team.png")
    page.close()


def test_the_real_server_refuses_a_socket_without_the_token(server):
    from websockets import InvalidStatus
    from websockets.sync.client import connect  # sync: Playwright's loop owns this thread

    base, _ = server
    url = base.replace("http", "ws") + "/ws/call?agent=Eve&persona=angry_refund"

    def first_message(address: str) -> str:
        try:
            with connect(address, open_timeout=10) as ws:
                return json.loads(ws.recv(timeout=10))["type"]
        except InvalidStatus as exc:
            return str(exc.response.status_code)

    assert first_message(url) == "403"
    assert first_message(url + "&token=wrong") == "403"
    assert first_message(url + "&agent=&token=" + TOKEN) == "error"  # through the gate; no name given
