"""The Starlette app: routes, the session files, and the access-token gate.

The token gate sits in front of everything (pages, static files, session files, the call
socket): a request passes with `?token=` (the address printed at start-up), then a cookie
set from it, so links and the page's WebSocket carry it without putting it in every URL.
"""

from __future__ import annotations

import hmac
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from ..errors import VoiceTrainerError
from .call_socket import call_socket
from .pages import call_page, home_page, team_page
from .parts import ServeParts, agent_folder_name

STATIC = Path(__file__).resolve().parent / "static"
TOKEN_COOKIE, AGENT_COOKIE = "vt_token", "vt_agent"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
REFUSED = "This server needs its access token: open the address `voicetrainer serve` printed (it ends in ?token=...)."
# Pages load only what the app serves: no CDN, no fonts, no third-party anything.
CSP = "default-src 'self'; connect-src 'self'; media-src 'self' blob:; img-src 'self' data:; style-src 'self' 'unsafe-inline'"


class TokenGate:
    """ASGI middleware: with a token set, every HTTP and WebSocket request must carry it."""

    def __init__(self, app, token: str | None):
        self.app, self.token = app, token

    def _given(self, scope) -> tuple[str, bool]:
        """The token the request carries, and whether it came in the query string."""
        query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
        if query:
            return query[0], True
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                morsel = SimpleCookie(value.decode("latin-1")).get(TOKEN_COOKIE)
                if morsel:
                    return morsel.value, False
            if name == b"authorization" and value.lower().startswith(b"bearer "):
                return value[7:].decode("latin-1").strip(), False
        return "", False

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not _same_origin(scope):
            # A browser opens sockets to any site, whatever page it shows: a call is only
            # started from the app's own page (cross-site WebSocket hijacking).
            return await send({"type": "websocket.close", "code": 1008})
        if self.token is None or scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        given, from_query = self._given(scope)
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            if scope["type"] == "websocket":  # closed before the handshake: the browser sees 403
                return await send({"type": "websocket.close", "code": 1008})
            return await PlainTextResponse(REFUSED, status_code=403)(scope, receive, send)
        if not from_query or scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_cookie(message):  # remember the token for the links and the socket
            if message["type"] == "http.response.start":
                cookie = f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
                message.setdefault("headers", []).append((b"set-cookie", cookie.encode()))
            await send(message)

        return await self.app(scope, receive, with_cookie)


def _same_origin(scope) -> bool:
    """No Origin (not a browser), or the Origin's host:port is the Host the request was sent to."""
    headers = dict(scope.get("headers", []))
    origin, host = headers.get(b"origin"), headers.get(b"host")
    if origin is None:
        return True
    return host is not None and origin.split(b"://", 1)[-1].rstrip(b"/") == host


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"})


def _problem(message: str, status: int) -> HTMLResponse:
    from ..grading.report import template_env

    return _html(template_env().get_template("serve_problem.html.j2").render(message=message), status)


async def home(request: Request) -> Response:
    parts: ServeParts = request.app.state.parts
    return _html(home_page(parts.personas(), request.cookies.get(AGENT_COOKIE, "")))


async def call(request: Request) -> Response:
    parts: ServeParts = request.app.state.parts
    try:
        agent = agent_folder_name(request.query_params.get("agent", ""))
        persona = parts.persona(request.query_params.get("persona", ""))
    except VoiceTrainerError as exc:
        return _problem(exc.message, 400)
    response = _html(call_page(persona, agent))
    response.set_cookie(AGENT_COOKIE, agent, max_age=365 * 86400, samesite="strict")  # next time, the name is there
    return response


async def team(request: Request) -> Response:
    return _html(team_page(request.app.state.parts.sessions_dir))


async def session_file(request: Request) -> Response:
    """A file of a saved call (report.html, call.wav, ...), never anything outside sessions/."""
    root = request.app.state.parts.sessions_dir.resolve()
    path = (root / request.path_params["path"]).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return PlainTextResponse("There is no such file in the sessions folder.", status_code=404)
    return FileResponse(path, headers={"Cache-Control": "no-store"})


async def favicon(request: Request) -> Response:
    return Response(status_code=204)  # no icon: and no 404 line for it


def create_app(parts: ServeParts) -> TokenGate:
    app = Starlette(routes=[
        Route("/", home), Route("/call", call), Route("/team", team),
        Route("/sessions/{path:path}", session_file), Route("/favicon.ico", favicon),
        WebSocketRoute("/ws/call", call_socket),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ])
    app.state.parts = parts
    if parts.token is None:
        # Without a token the server is on loopback: refuse requests addressed to another name,
        # so a web page whose domain is re-pointed at 127.0.0.1 (DNS rebinding) cannot read it.
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(LOCAL_HOSTS))
    return TokenGate(app, parts.token)


