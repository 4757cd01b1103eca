"""report.html rendered from a grade: self-contained, escaped, every part present."""

from __future__ import annotations

import re

from voicetrainer.grading import grade_session
from voicetrainer.grading.report import mood_chart, write_report

from .grading_helpers import text_session
from .test_grading import GOOD


def test_report_of_a_text_session_has_every_part(tmp_path):
    lines = list(GOOD)
    lines[1] = "<script>alert('x')</script> My refund never came & I'm angry."
    d = text_session(tmp_path / "s", lines)
    grade = grade_session(d)
    html = write_report(d, grade).read_text()
    assert html.count('<tr class="criterion"') == len(grade["criteria"]) == 9
    assert f'<div id="overall" class="' in html and f">{grade['overall']}</div>" in html
    assert html.count('<li class="line"') == len(lines)
    assert "<polyline id=\"mood-line\"" in html and html.count('class="mood-point"') == len(lines) + 1
    assert "&lt;script&gt;alert" in html and "<script>alert" not in html  # the transcript is escaped
    assert 'id="no-audio"' in html and "<audio" not in html  # no call.wav beside it
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "nothing may be fetched from the network"
    assert "Content-Security-Policy" in html


def test_mood_chart_maps_frustration_to_height():
    chart = mood_chart([{"turn": None, "t": 0.0, "mood": 10}, {"turn": 0, "t": 60.0, "mood": 0}], 60.0)
    top, bottom = chart["points"]
    assert top["y"] == chart["top"] and bottom["y"] == chart["bottom"]
    assert top["x"] == chart["left"] and bottom["x"] == chart["right"]
    assert [t["label"] for t in chart["x_ticks"]] == ["0:00", "0:10", "0:20", "0:30", "0:40", "0:50", "1:00"]


def test_audio_is_linked_or_embedded(tmp_path):
    import base64
    import io

    import numpy as np
    import soundfile as sf

    from voicetrainer.audio import write_wav

    d = text_session(tmp_path / "s", GOOD)
    t = np.arange(16_000 * 2) / 16_000
    write_wav(d / "call.wav", np.stack([0.3 * np.sin(2 * np.pi * 220 * t), 0 * t], axis=1), 16_000)
    grade = grade_session(d)
    assert '<audio id="player" controls preload="auto" src="call.wav">' in write_report(d, grade).read_text()
    html = write_report(d, grade, embed_audio=True).read_text()
    uri = re.search(r'src="data:audio/ogg;base64,([^"]+)"', html)
    assert uri and 'src="call.wav"' not in html
    data, rate = sf.read(io.BytesIO(base64.b64decode(uri.group(1))))
    assert rate == 16_000 and data.shape == (32_000, 2)
