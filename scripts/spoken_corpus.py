"""Speak labelled training lines and label what Whisper hears: transcription noise as this
pipeline really produces it ("is there anything else I can tell you with").

Every third `dev` line of the written training files is spoken by one of several voices
(espeak-ng accents through pyttsx3, and the Piper voice when installed), transcribed by the
bundled tiny.en, and written with the written line's labels to
tests/fixtures/behaviours/train/spoken.jsonl. A transcript identical to its line (after
case and punctuation) teaches nothing new and is skipped; one that lost more than MAX_WER of
its words may no longer mean what its label says, and is skipped too. Deterministic: the same lines,
voices and models give the same file.

    .venv/bin/python scripts/spoken_corpus.py [--every 3]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicetrainer.quiet import quiet_libraries  # noqa: E402

quiet_libraries()

from voicetrainer.behaviour_corpus import load_corpus  # noqa: E402
from voicetrainer.interfaces import VoiceStyle  # noqa: E402

TRAIN = ROOT / "tests" / "fixtures" / "behaviours" / "train"
OUT = TRAIN / "spoken.jsonl"
MAX_WER = 0.3
ESPEAK_VOICES = ("en-us", "en-gb-scotland", "en-029", "en-gb-x-gbcwmd", "en-us-nyc", "en-gb-x-rp")


def plain(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def word_error_rate(reference: str, heard: str) -> float:
    import jiwer  # the test extra's WER; case and punctuation removed first

    return jiwer.wer(plain(reference) or "-", plain(heard) or "-")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=3, help="speak every N-th written line")
    args = parser.parse_args()

    from voicetrainer.stt import WhisperTranscriber
    from voicetrainer.tts import Pyttsx3Synthesizer

    espeak = Pyttsx3Synthesizer()
    voices = [(f"espeak-ng {v}", espeak, v) for v in ESPEAK_VOICES]
    try:
        from voicetrainer.tts import PiperSynthesizer

        voices.append(("piper joe", PiperSynthesizer(), ""))
    except Exception:  # noqa: BLE001 - Piper is an optional extra
        pass
    stt = WhisperTranscriber("tiny.en")
    lines = [x for f in sorted(TRAIN.glob("*.jsonl")) if f != OUT for x in load_corpus(f) if x.split == "dev"]
    picked = lines[:: args.every]
    rows, seen = [], set()
    for i, x in enumerate(picked):
        name, synth, voice = voices[i % len(voices)]
        audio = synth.synthesize(x.text, VoiceStyle(voice=voice, rate_wpm=170 + 10 * (i % 4), volume=0.9, pitch=50))
        heard = stt.transcribe(audio.resampled(16000)).text.strip()
        if not heard or plain(heard) == plain(x.text) or plain(heard) in seen or word_error_rate(x.text, heard) > MAX_WER:
            continue
        seen.add(plain(heard))
        rows.append({"text": heard, "previous": x.previous, "behaviours": sorted(x.behaviours), "split": "dev",
                     "source": f"training: spoken by {name}, transcribed by tiny.en", "style": "asr",
                     "persona": x.persona, "note": f"spoken from: {x.text}"})
        if i % 50 == 0:
            print(f"{i}/{len(picked)} {name}: {heard[:70]}", flush=True)
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} transcribed lines (of {len(picked)} spoken) to {OUT}")


if __name__ == "__main__":
    main()
