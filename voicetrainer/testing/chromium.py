"""Drive a real headless Chromium over the DevTools protocol on a pipe (no extra packages).

Used by the tests to open report.html as a person would: load it, click, read the DOM,
take a screenshot, and see every request the page made.

    with Chromium() as browser:
        page = browser.open("file:///.../report.html")
        page.evaluate("document.title")
        page.click("#transcript .line")
        browser.requests  # every URL the page asked for

`--remote-debugging-pipe` makes Chromium read DevTools commands from fd 3 and write replies
to fd 4, as NUL-terminated JSON; bash maps our pipe ends onto those numbers.
(/usr/bin/chromium on Debian is a shell wrapper that keeps both open for the browser.)
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from typing import Any

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--no-default-browser-check", "--mute-audio",
    "--autoplay-policy=no-user-gesture-required", "--remote-debugging-pipe",
]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class ChromiumError(RuntimeError):
    pass


class Chromium:
    def __init__(self, binary: str | None = None, timeout_s: float = 30.0, window: tuple[int, int] = (1000, 1400)):
        self.binary = binary or find_chromium()
        if not self.binary:
            raise ChromiumError("Chromium is not installed (apt-get install chromium)")
        self.timeout_s = timeout_s
        self.window = window
        self.events: list[dict] = []
        self._buffer = b""
        self._next_id = 0

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> "Chromium":
        self._profile = tempfile.mkdtemp(prefix="vt-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        args = [self.binary, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile}",
                f"--window-size={self.window[0]},{self.window[1]}", "about:blank"]
        # via spare numbers, since our pipe ends may themselves be 3 or 4
        script = (f'exec 100<&{to_browser_r} 101>&{from_browser_w} {to_browser_r}<&- {from_browser_w}>&-; '
                  'exec "$@" 3<&100 4>&101 100<&- 101>&-')
        self._proc = subprocess.Popen(["bash", "-c", script, "chromium", *args], pass_fds=(to_browser_r, from_browser_w),
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.send("Browser.close", timeout_s=5)
        except (ChromiumError, OSError):
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)

    # ------------------------------------------------------------------ protocol
    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChromiumError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 16)
                if not chunk:
                    raise ChromiumError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout_s: float | None = None) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise ChromiumError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for_event(self, method: str, timeout_s: float | None = None) -> dict:
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        seen = len(self.events)
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method:
                    return event
            seen = len(self.events)
            self.events.append(self._read_message(deadline))

    @property
    def requests(self) -> list[str]:
        """URLs of every request any page made (Network.requestWillBeSent)."""
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def open(self, url: str) -> "Page":
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        for domain in ("Page", "Network", "Runtime"):
            page.send(f"{domain}.enable")
        page.send("Page.navigate", {"url": url})
        self.wait_for_event("Page.loadEventFired")
        return page


class Page:
    def __init__(self, browser: Chromium, session: str):
        self.browser, self.session = browser, session

    def send(self, method: str, params: dict | None = None) -> dict:
        return self.browser.send(method, params, self.session)

    def evaluate(self, expression: str, await_promise: bool = False) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": await_promise})
        if "exceptionDetails" in result:
            raise ChromiumError(f"{expression}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_until(self, expression: str, timeout_s: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.05)
        raise ChromiumError(f"timed out waiting for {expression}")

    def click(self, selector: str, index: int = 0) -> None:
        """A real mouse click (pressed and released) at the middle of the element."""
        box = self.evaluate(
            f"(() => {{ const el = document.querySelectorAll({json.dumps(selector)})[{index}];"
            " if (!el) return null; el.scrollIntoView({block: 'center'});"
            " const r = el.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()")
        if box is None:
            raise ChromiumError(f"nothing matches {selector} [{index}]")
        x, y = box
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})

    def screenshot(self) -> bytes:
        return base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])
