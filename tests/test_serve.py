"""`voicetrainer serve` over HTTP: the pages, the session files, and the access token.

The app is the real Starlette app (through its ASGI test client), without the speech
models: no page needs them, and the WebSocket is only checked at its gate here
(tests/test_serve_browser.py holds whole calls through a real browser and server).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from tests.conftest import ROOT  # noqa: E402
from tests.test_history import GOOD, HUNG_UP, saved_call  # noqa: E402
from voicetrainer.cli_grade import resolve_rubric  # noqa: E402
from voicetrainer.cli_serve import access_token, is_loopback  # noqa: E402
from voicetrainer.config import Settings  # noqa: E402
from voicetrainer.errors import VoiceTrainerError  # noqa: E402
from voicetrainer.web.app import TOKEN_COOKIE, create_app  # noqa: E402
from voicetrainer.web.parts import ServeParts, agent_folder_name  # noqa: E402

TOKEN = "s3cret-token-for-tests"


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    """Two agents' graded calls, and one call saved by the CLI straight under sessions/."""
    root = tmp_path_factory.mktemp("serve") / "sessions"
    saved_call(root / "Ana", "a1", "2026-11-01T09:00:00+00:00", HUNG_UP)
    saved_call(root / "Ana", "a2", "2026-11-02T09:00:00+00:00", GOOD)
    saved_call(root / "Ben", "b1", "2026-11-03T09:00:00+00:00", GOOD, persona="billing_dispute")
    saved_call(root, "cli_call", "2026-11-04T09:00:00+00:00", GOOD, graded=False)
    return root


def client(sessions, token=None) -> TestClient:
    parts = ServeParts(Settings(), sessions, ROOT / "personas", None, resolve_rubric(None), token=token)
    return TestClient(create_app(parts), base_url="http://localhost:8765")


def test_the_home_page_has_a_card_for_every_persona_and_asks_for_a_name(sessions):
    page = client(sessions).get("/")
    assert page.status_code == 200
    personas = ServeParts(Settings(), sessions, ROOT / "personas", None, None).personas()
    assert len(personas) >= 6
    for p in personas:
        card = re.search(rf'<button class="card persona"[^>]*value="{p.id}".*?</button>', page.text, re.S)
        assert card, p.id
        assert p.name in card.group(0) and f"difficulty {p.difficulty} of 5" in card.group(0)
        assert p.archetype.replace("_", " ") in card.group(0)
    assert 'name="agent"' in page.text and "required" in page.text


def test_every_asset_is_served_by_the_app(sessions):
    c = client(sessions)
    for path in ("/", "/call?agent=Ana&persona=angry_refund", "/team"):
        page = c.get(path)
        assert "Content-Security-Policy" in page.headers
        links = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert links and not [u for u in links if "//" in u], links  # nothing from another host
        for url in links:
            if url.startswith("/static/"):
                assert c.get(url).status_code == 200, url
    assert "AudioWorkletProcessor" in c.get("/static/mic-worklet.js").text


def test_the_call_page_needs_a_name_and_a_known_persona(sessions):
    c = client(sessions)
    page = c.get("/call", params={"agent": "Ana María", "persona": "angry_refund"})
    assert page.status_code == 200 and 'data-agent="Ana_María"' in page.text and "Dana Whitaker" in page.text
    assert page.cookies.get("vt_agent") or "vt_agent" in page.headers.get("set-cookie", "")
    nameless = c.get("/call", params={"agent": "  ", "persona": "angry_refund"})
    assert nameless.status_code == 400 and "Say who you are first" in nameless.text
    unknown = c.get("/call", params={"agent": "Ana", "persona": "nobody"})
    assert unknown.status_code == 400 and "nobody" in unknown.text and "Traceback" not in unknown.text


def test_an_agent_name_never_leaves_the_sessions_folder():
    assert agent_folder_name("../../etc") == "etc"
    assert agent_folder_name("a/b\\c") == "a_b_c"
    assert agent_folder_name(" Ana ") == "Ana"
    for bad in ("", "..", "/", "  "):
        with pytest.raises(VoiceTrainerError):
            agent_folder_name(bad)


def test_the_team_page_shows_every_agent_their_scores_and_the_weakest_criteria(sessions):
    c = client(sessions)
    page = c.get("/team").text
    agents = re.search(r'<table id="agents">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td><td>(\d+)</td>", agents)
    assert rows == [("(no name)", "1", "0"), ("Ana", "2", "2"), ("Ben", "1", "1")]
    assert len(re.findall(r"<li><strong>", re.search(r'<ul id="weakest".*?</ul>', page, re.S).group(0))) == 3
    calls = re.search(r'<table id="calls">(.*?)</table>', page, re.S).group(1)
    assert calls.count("<tr>") == 5  # a header and four calls
    reports = re.findall(r'href="(/sessions/[^"]+)"', calls)
    assert len(reports) == 3
    for url in reports:
        report = c.get(url)
        assert report.status_code == 200 and "<html" in report.text


def test_session_files_stay_inside_the_sessions_folder(sessions):
    c = client(sessions)
    assert c.get("/sessions/Ana/a1/session.json").status_code == 200
    for path in ("/sessions/../../etc/passwd", "/sessions/%2e%2e/%2e%2e/etc/passwd", "/sessions/Ana", "/sessions/nope.html"):
        response = c.get(path)
        assert response.status_code == 404 and "root:" not in response.text, path


@pytest.mark.parametrize("path", ["/", "/team", "/call?agent=Ana&persona=angry_refund", "/static/call.js",
                                  "/sessions/Ana/a1/report.html"])
def test_without_the_token_every_request_is_refused(sessions, path):
    c = client(sessions, TOKEN)
    for cookies in ({}, {TOKEN_COOKIE: "wrong"}, {TOKEN_COOKIE: TOKEN[:-1]}):
        c.cookies.clear()
        for name, value in cookies.items():
            c.cookies.set(name, value)
        response = c.get(path)
        assert response.status_code == 403, (path, cookies)
        assert "access token" in response.text and "Dana" not in response.text
    c.cookies.clear()
    assert c.get(path + ("&" if "?" in path else "?") + "token=nope").status_code == 403


def test_the_token_in_the_address_opens_the_pages_and_is_remembered(sessions):
    c = client(sessions, TOKEN)
    first = c.get(f"/?token={TOKEN}")
    assert first.status_code == 200 and "Dana Whitaker" in first.text
    assert f"{TOKEN_COOKIE}={TOKEN}" in first.headers["set-cookie"] and "HttpOnly" in first.headers["set-cookie"]
    assert c.get("/team").status_code == 200  # the cookie carries it now
    c.cookies.clear()
    assert c.get("/team").status_code == 403
    assert c.get("/team", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_the_call_socket_is_refused_without_the_token(sessions):
    c = client(sessions, TOKEN)
    for query in ("", "&token=wrong"):
        c.cookies.clear()
        with pytest.raises(WebSocketDisconnect) as refused:
            with c.websocket_connect(f"/ws/call?agent=Ana&persona=angry_refund{query}"):
                pass
        assert refused.value.code == 1008
    # With the token the socket opens; a call without a name is refused in one sentence.
    with c.websocket_connect(f"/ws/call?agent=&persona=angry_refund&token={TOKEN}") as ws:
        assert ws.receive_json() == {"type": "error", "message": "Say who you are first: type your name."}


def test_a_token_is_needed_off_loopback_only():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.20") and not is_loopback("myhost")
    assert access_token("127.0.0.1", None) is None
    made = access_token("0.0.0.0", None)
    assert made and len(made) >= 20 and made != access_token("0.0.0.0", None)
    assert access_token("127.0.0.1", "given-token") == "given-token"
    with pytest.raises(VoiceTrainerError):
        access_token("0.0.0.0", "short")


def test_serve_explains_bad_options_in_one_sentence(tmp_path):
    def serve(*args):
        return subprocess.run([sys.executable, "-c", "from voicetrainer.cli import main; main()", "serve", *args],
                              capture_output=True, text=True, timeout=60, cwd=tmp_path,
                              env={**os.environ, "COLUMNS": "400", "PYTHONPATH": str(ROOT)})  # one line per message

    half = serve("--tls-cert", str(tmp_path / "cert.pem"))
    assert half.returncode == 1 and "HTTPS needs both --tls-cert and --tls-key." in half.stderr
    missing = serve("--tls-cert", str(tmp_path / "c.pem"), "--tls-key", str(tmp_path / "k.pem"))
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = serve("--port", str(taken.getsockname()[1]))
    assert busy.returncode == 1 and "Cannot listen on 127.0.0.1" in busy.stderr and "--port" in busy.stderr
    (tmp_path / "bad.pem").write_text("not a certificate\n")
    bad = serve("--tls-cert", str(tmp_path / "bad.pem"), "--tls-key", str(tmp_path / "bad.pem"))
    assert bad.returncode == 1 and "bad.pem" in bad.stderr and "cannot be used" in bad.stderr
    for run in (half, missing, busy, bad):
        assert "Traceback" not in run.stderr + run.stdout


@pytest.mark.slow
def test_serve_over_https_prints_one_line_and_stops_quietly(tmp_path):
    """The command as a user runs it: a self-signed certificate, the address printed, a page
    served over HTTPS, Ctrl+C; nothing else on the terminal."""
    import shutil
    import signal
    import ssl
    import urllib.request

    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from voicetrainer.cli import main; main()", "serve", "--port", "0",
         "--tls-cert", str(cert), "--tls-key", str(key), "--sessions", str(tmp_path / "sessions"), "--caller", "scripted"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "400", "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})
    try:
        line = proc.stdout.readline()  # after the models have loaded
        address = re.search(r"https://localhost:\d+/", line)
        assert address, line
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False  # the certificate names localhost; urllib connects to it by that name anyway
        with urllib.request.urlopen(address.group(0), context=context, timeout=20) as page:
            assert page.status == 200 and "Dana Whitaker" in page.read().decode()
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Stopped." in out and err.strip() == "", (out, err)


def test_a_socket_from_another_site_and_a_page_under_another_name_are_refused(sessions):
    c = client(sessions)
    with pytest.raises(WebSocketDisconnect) as refused:
        with c.websocket_connect("/ws/call?agent=Ana&persona=angry_refund", headers={"origin": "http://evil.example"}):
            pass
    assert refused.value.code == 1008
    with c.websocket_connect("/ws/call?agent=&persona=angry_refund", headers={"host": "localhost:8765", "origin": "http://localhost:8765"}) as ws:
        assert ws.receive_json()["type"] == "error"  # its own page: through (and refused only for the missing name)
    assert c.get("/team", headers={"host": "evil.example"}).status_code == 400  # DNS rebinding
    assert c.get("/team", headers={"host": "127.0.0.1:8765"}).status_code == 200
