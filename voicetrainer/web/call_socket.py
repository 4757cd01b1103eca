"""One spoken call over a WebSocket: the page's microphone in, the customer's voice out.

The call loop (call.run_call) blocks, so it runs on a thread of its own; the socket's
coroutine reads frames into the BrowserPhone, and one sender task writes everything the
call thread hands it, in order (a WebSocket must not be written by two tasks at once).

Messages to the page (JSON text): started {session}, turn {speaker, text, mood}, stop
(barge-in: drop scheduled audio), ended {ended_by, message}, grading, report {url},
error {message}. Binary messages either way are 16 kHz mono 16-bit PCM.
Messages from the page: binary microphone frames; {"type": "hangup" | "repeat"};
{"type": "mute", "on": bool}.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from urllib.parse import quote

from starlette.websockets import WebSocket, WebSocketDisconnect

from ..call import CallOptions, run_call
from ..clock import RealClock
from ..errors import VoiceTrainerError
from ..history import make_session_folder, new_session_dir
from ..incremental_stt import IncrementalTranscriber
from ..live.controls import Controls
from ..live.headset import HeadsetOptions
from ..setup_call import make_customer
from ..terminal import ENDINGS
from .parts import ServeParts, agent_folder_name
from .phone import BrowserPhone

log = logging.getLogger("voicetrainer.serve")


def _turn_message(turn: dict) -> dict:
    return {"type": "turn", "speaker": turn["speaker"], "text": turn.get("text", ""), "mood": turn.get("mood")}


async def call_socket(ws: WebSocket) -> None:
    parts: ServeParts = ws.app.state.parts
    await ws.accept()
    try:
        agent = agent_folder_name(ws.query_params.get("agent", ""))
        persona = parts.persona(ws.query_params.get("persona", ""))
        out = make_session_folder(new_session_dir(parts.sessions_dir / agent, persona.id))
    except VoiceTrainerError as exc:
        await ws.send_json({"type": "error", "message": exc.message})
        await ws.close()
        return

    loop = asyncio.get_running_loop()
    outbox: asyncio.Queue = asyncio.Queue()

    def send(message) -> None:  # from the call thread: in order, through the sender task
        try:
            loop.call_soon_threadsafe(outbox.put_nowait, message)
        except RuntimeError:
            pass  # the server has shut down (its loop is closed): nobody is listening

    controls = Controls()
    stt = IncrementalTranscriber(parts.transcriber)
    options = HeadsetOptions(end_silence_ms=parts.end_silence_ms, idle_after_s=persona.mood.idle_after_s,
                             talks_over=persona.mood.talks_over)
    phone = BrowserPhone(options, send_audio=send, send_event=send, controls=controls, stt=stt, record_dir=out)
    report_url = f"/sessions/{quote(agent)}/{quote(out.name)}/report.html"

    def hold() -> None:
        """The call, then its grade; the session is saved whatever happens to the page."""
        customer = make_customer(persona, parts.caller, parts.settings, 0, parts.prompts_dir)
        try:
            with phone:
                session = run_call(persona, phone, phone, stt, parts.synthesizer, customer, out, RealClock(),
                                   CallOptions(agent_gap_s=0.0, mode="browser"),  # the agent is the folder's name
                                   meta={"end_silence_ms": parts.end_silence_ms,
                                         "rubric": {"name": parts.rubric.name, "version": parts.rubric.version}},
                                   on_turn=lambda turn: send(_turn_message(turn)))
            send({"type": "ended", "ended_by": session["ended_by"],
                  "message": ENDINGS.get(session["ended_by"], session["ended_by"])})
            send({"type": "grading"})
            from ..cli_grade import grade_and_show

            grade_and_show(out, parts.rubric, parts.judge, show=False)
            send({"type": "report", "url": report_url})
        except VoiceTrainerError as exc:
            send({"type": "error", "message": exc.message})
        except Exception as exc:  # noqa: BLE001 - a bug: one line in the page and the log, the server goes on
            log.error("The call in %s stopped: %s: %s", out, type(exc).__name__, exc)
            send({"type": "error", "message": f"The call stopped unexpectedly ({type(exc).__name__}); "
                                              f"the finished turns are saved."})
        finally:
            send(None)  # the sender's end

    async def sender() -> None:
        while (message := await outbox.get()) is not None:
            try:
                if isinstance(message, bytes):
                    await ws.send_bytes(message)
                else:
                    await ws.send_json(message)
            except (WebSocketDisconnect, RuntimeError, OSError):
                pass  # the page is gone; the call thread still finishes and grades

    await ws.send_json({"type": "started", "session": f"{agent}/{out.name}", "persona": persona.name})
    thread = threading.Thread(target=hold, name=f"call-{out.name}", daemon=True)
    thread.start()
    sending = asyncio.create_task(sender())

    async def close_when_done() -> None:  # the call is over and graded: nothing more to say
        await asyncio.shield(sending)
        try:
            await ws.close()
        except RuntimeError:
            pass  # the page closed it first

    closing = asyncio.create_task(close_when_done())
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            if message.get("bytes"):
                phone.feed(message["bytes"])
            elif message.get("text"):
                _control(message["text"], phone, controls)
    except (WebSocketDisconnect, RuntimeError):
        pass  # the connection dropped, or we closed it ourselves: either way the call is ending
    finally:
        phone.hang_up()  # page closed or hung up: the call loop ends at its next turn and saves
        await closing


def _control(text: str, phone: BrowserPhone, controls: Controls) -> None:
    try:
        message = json.loads(text)
        kind = message.get("type")
    except (ValueError, AttributeError):
        return  # not ours: ignored
    if kind == "hangup":
        phone.hang_up()
    elif kind == "repeat":
        controls.repeat.set()
    elif kind == "mute":  # the page says which state it shows, so the two cannot drift apart
        (controls.muted.set if message.get("on") else controls.muted.clear)()
