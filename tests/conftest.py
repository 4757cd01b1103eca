"""Shared fixtures: real models loaded once per test session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voicetrainer.quiet import quiet_libraries

quiet_libraries()

ROOT = Path(__file__).resolve().parent.parent
SHARED_SPEECH = ROOT.parent / "shared" / "speech"
FIXTURE_CALLS = ROOT / "tests" / "fixtures" / "calls"


@pytest.fixture(scope="session")
def transcriber():
    from voicetrainer.stt import WhisperTranscriber

    return WhisperTranscriber("tiny.en")


@pytest.fixture(scope="session")
def synthesizer():
    from voicetrainer.tts import Pyttsx3Synthesizer

    return Pyttsx3Synthesizer()


@pytest.fixture(scope="session")
def fixture_manifest() -> dict:
    return json.loads((FIXTURE_CALLS / "manifest.json").read_text())


@pytest.fixture(scope="session")
def held_calls(tmp_path_factory, transcriber, synthesizer):
    """The recorded fixture calls, each held through the offline pipeline once (tests/fixture_calls.py)."""
    from .fixture_calls import HeldCalls

    return HeldCalls(tmp_path_factory.mktemp("held"), transcriber, synthesizer)


@pytest.fixture(scope="session")
def shared_speech() -> list[dict]:
    manifest = SHARED_SPEECH / "manifest.json"
    if not manifest.exists():
        pytest.skip(f"shared speech corpus not found at {SHARED_SPEECH}")
    return json.loads(manifest.read_text())
