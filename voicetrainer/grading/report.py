"""report.html: one self-contained page a trainer can open or mail (no network, no assets).

Rendered from templates/report.html.j2 (Jinja2, autoescaped). The mood chart is inline
SVG; clicking a transcript line or a quoted turn seeks the call's audio to that moment.
The audio is call.wav beside the report, or, with `embed_audio`, the call itself inside
the page as compressed Ogg Vorbis (about 5 kB per second).
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import jinja2

from ..record.store import read_session
from ..terminal import ENDINGS

REPORT_FILE = "report.html"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CHART_W, CHART_H, PAD = 720, 220, 36


def mood_chart(track: list[dict], duration: float) -> dict:
    """Coordinates for the SVG chart: frustration 0 (bottom) .. 10 (top) over call time."""
    points = [p for p in track if p["mood"] is not None]
    span = max(duration, max((p["t"] for p in points), default=0.0), 1.0)
    plot_w, plot_h = CHART_W - 2 * PAD, CHART_H - 2 * PAD

    def x(t: float) -> float:
        return round(PAD + plot_w * t / span, 1)

    def y(mood: float) -> float:
        return round(PAD + plot_h * (1 - mood / 10), 1)

    step = next(s for s in (10, 15, 30, 60, 120, 300, 600, 1e9) if span / s <= 8)
    return {
        "width": CHART_W, "height": CHART_H, "left": PAD, "right": CHART_W - PAD, "top": PAD, "bottom": CHART_H - PAD,
        "points": [{"x": x(p["t"]), "y": y(p["mood"]), "mood": p["mood"], "t": p["t"], "turn": p["turn"]} for p in points],
        "path": " ".join(f"{x(p['t'])},{y(p['mood'])}" for p in points),
        "y_ticks": [{"y": y(m), "label": m} for m in (0, 2, 4, 6, 8, 10)],
        "x_ticks": [{"x": x(t), "label": clock(t)} for t in range(0, int(span) + 1, int(step))],
        "bands": [{"y": y(10), "h": y(7) - y(10), "name": "angry"}, {"y": y(7), "h": y(4) - y(7), "name": "annoyed"},
                  {"y": y(4), "h": y(0) - y(4), "name": "calm"}],
    }


def clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60}:{s % 60:02d}"


def embedded_audio(path: Path) -> str | None:
    """call.wav as a data: URI of Ogg Vorbis, or None if it cannot be encoded here."""
    import soundfile as sf

    try:
        data, rate = sf.read(str(path), dtype="float32")
        buffer = io.BytesIO()
        sf.write(buffer, data, rate, format="OGG", subtype="VORBIS")
    except (sf.LibsndfileError, RuntimeError, ValueError, TypeError):
        return None
    return "data:audio/ogg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def template_env() -> jinja2.Environment:
    """The environment of the HTML pages (this report, the history page): autoescaped, strict."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["clock"] = clock
    return env


def render_report(session: dict, grade: dict, audio_src: str | None) -> str:
    env = template_env()
    metrics = grade["metrics"]
    turns = session.get("turns", [])
    return env.get_template("report.html.j2").render(
        session=session, grade=grade, metrics=metrics, turns=turns, audio_src=audio_src,
        ending=ENDINGS.get(grade["outcome"], grade["outcome"]),
        chart=mood_chart(metrics["customer_mood"]["track"], metrics.get("duration_s") or 0.0),
        starts={t["index"]: t.get("start_s", 0.0) for t in turns},
        loudness={r["turn"]: r for r in metrics.get("loudness_by_turn", [])},
    )


def write_report(session_dir: str | Path, grade: dict, embed_audio: bool = False) -> Path:
    session_dir = Path(session_dir)
    session = read_session(session_dir).document()
    wav = session_dir / "call.wav"
    audio_src = None
    if wav.exists():
        audio_src = (embedded_audio(wav) if embed_audio else None) or "call.wav"
    path = session_dir / REPORT_FILE
    path.write_text(render_report(session, grade, audio_src), encoding="utf-8")
    return path
