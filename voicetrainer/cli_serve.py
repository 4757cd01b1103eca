"""`voicetrainer serve`: the web app on uvicorn, loopback unless given a token."""

from __future__ import annotations

import ipaddress
import secrets
import socket
from pathlib import Path
from typing import Optional

import typer
from rich.text import Text

from .errors import DependencyMissingError, VoiceTrainerError
from .terminal import console

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything, so it counts as open


def access_token(host: str, token: str | None) -> str | None:
    """The token every request must carry: the one given, a new one when the server is
    reachable from other machines, none on loopback (only this machine can connect)."""
    if token is not None:
        if len(token) < 8:
            raise VoiceTrainerError("The access token is too short.", hint="use at least 8 characters, or leave out --token to get one")
        return token
    return None if is_loopback(host) else secrets.token_urlsafe(18)


def bind(host: str, port: int) -> socket.socket:
    """Our own listening socket, so a port already taken is one sentence, before anything loads."""
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror:
        raise VoiceTrainerError(f"The host name '{host}' is not known.", hint="use an address such as 127.0.0.1 or 0.0.0.0") from None
    sock = socket.socket(info[0], socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(info[4])
        sock.listen(64)
    except OSError as exc:
        sock.close()
        raise VoiceTrainerError(f"Cannot listen on {host}:{port} ({exc.strerror or exc}).",
                                hint="another program may use that port; choose another with --port") from None
    sock.set_inheritable(True)
    return sock


def check_tls(cert: Path, key: Path) -> None:
    """Load the certificate and key as uvicorn will, before the models load: a wrong file is
    one sentence at once, not a traceback after start-up."""
    import ssl

    for path in (cert, key):
        if not path.is_file():
            raise VoiceTrainerError(f"The file {path} does not exist.", hint="give the PEM files of your certificate and key")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(str(cert), str(key))
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise VoiceTrainerError(f"The TLS certificate {cert} or its key {key} cannot be used ({exc.args[-1] if exc.args else exc}).",
                                hint="give a PEM certificate with --tls-cert and its private key with --tls-key") from None


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; anything but loopback needs an access token."),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="Port to listen on (0: any free port)."),
    token: Optional[str] = typer.Option(None, "--token", envvar="VOICETRAINER_TOKEN",
                                        help="Access token every request must carry (generated when --host is not loopback)."),
    sessions: Optional[Path] = typer.Option(None, "--sessions", help="Sessions folder: each agent's calls go to SESSIONS/<name>/ (default: the config's sessions_dir)."),
    caller: str = typer.Option("auto", "--caller", help="Customer line generator: scripted, llm, or auto."),
    tls_cert: Optional[Path] = typer.Option(None, "--tls-cert", help="Certificate file (PEM): serve HTTPS, which browsers need for the microphone away from localhost."),
    tls_key: Optional[Path] = typer.Option(None, "--tls-key", help="Private key file (PEM) of --tls-cert."),
    personas_dir: Optional[Path] = typer.Option(None, "--personas", help="Folder of persona YAML files."),
    prompts_dir: Optional[Path] = typer.Option(None, "--prompts", help="Folder with prompts and rubric.yaml."),
) -> None:
    """Practise in the browser: a web app for spoken calls and the trainer's team view."""
    try:
        import uvicorn

        from .web.app import create_app
    except ImportError as exc:
        raise DependencyMissingError(f"The web app needs packages that are not installed ({exc.name}).",
                                     hint="pip install 'voicetrainer[serve]'") from None
    from .cli_personas import personas_dir as resolve_personas
    from .config import load_settings
    from .setup_call import choose_caller
    from .web.parts import load_parts

    if (tls_cert is None) != (tls_key is None):
        raise VoiceTrainerError("HTTPS needs both --tls-cert and --tls-key.", hint="give both files, or neither")
    if tls_cert is not None:
        check_tls(tls_cert, tls_key)
    the_token = access_token(host, token)
    settings = load_settings()
    root = (sessions or settings.sessions_dir).resolve()
    sock = bind(host, port)
    with console.status(Text(f"Loading Whisper {settings.stt_model} and the voice…")):
        parts = load_parts(settings, root, resolve_personas(personas_dir), prompts_dir, choose_caller(caller, settings), the_token)
    config = uvicorn.Config(create_app(parts), log_level="warning", access_log=False, ws_max_size=1 << 20, timeout_graceful_shutdown=3,
                            ssl_certfile=str(tls_cert) if tls_cert else None, ssl_keyfile=str(tls_key) if tls_key else None)
    bound = sock.getsockname()
    # 0.0.0.0 is where it listens, not an address to open: show the machine's name instead.
    shown_host = "localhost" if is_loopback(host) else socket.gethostname() if host in ("0.0.0.0", "::") else host
    address = f"{'https' if tls_cert else 'http'}://{shown_host}:{bound[1]}/" + (f"?token={the_token}" if the_token else "")
    console.print(Text.assemble("voicetrainer is at ", (address, "bold"), f"  (sessions in {root}; Ctrl+C stops it)"), soft_wrap=True)
    if not is_loopback(host) and not tls_cert:
        console.print(Text("Browsers allow the microphone only on localhost or HTTPS: for other machines, "
                           "start with --tls-cert and --tls-key.", style="yellow"), soft_wrap=True)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn has shut down cleanly and re-raises the Ctrl+C it caught
        pass
    console.print("Stopped. Every call is saved in its session folder.")
