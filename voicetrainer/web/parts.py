"""What one server holds for all its calls: settings, folders, and the heavy parts loaded once.

Whisper and the voice are loaded at start-up and shared by every call (each call wraps the
transcriber in its own IncrementalTranscriber; the synthesizer serializes itself with a
lock). The customer is per call: its mood engine has the call's state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Settings
from ..errors import VoiceTrainerError
from ..personas import Persona, find_persona, load_persona, persona_files

AGENT_MAX = 40


def agent_folder_name(name: str) -> str:
    """The agent's name as a folder under sessions/: letters, digits, '-', '_' and '.' kept,
    everything else (slashes included) made '_', so a name can never leave the sessions folder."""
    cleaned = re.sub(r"[^\w.-]+", "_", name.strip())[:AGENT_MAX].strip("._")
    if not cleaned:
        raise VoiceTrainerError("Say who you are first: type your name.", hint="letters and digits are enough")
    return cleaned


@dataclass
class ServeParts:
    settings: Settings
    sessions_dir: Path
    personas_dir: Path
    prompts_dir: Path | None
    rubric: object  # rubric.Rubric
    token: str | None = None
    caller: str = "scripted"
    transcriber: object = None  # WhisperTranscriber, loaded once
    synthesizer: object = None
    judge: object = None
    end_silence_ms: float = 600.0  # the headset's end-of-turn silence (cli_live.EndSilence)
    _personas: list[Persona] | None = field(default=None, repr=False)

    def personas(self) -> list[Persona]:
        if self._personas is None:  # read once: personas are files a trainer edits between runs
            self._personas = sorted((load_persona(p) for p in persona_files(self.personas_dir)),
                                    key=lambda p: (p.difficulty, p.name))
        return self._personas

    def persona(self, persona_id: str) -> Persona:
        for p in self.personas():
            if p.id == persona_id:
                return p
        return find_persona(persona_id, self.personas_dir)  # raises NotFoundError with the ids on offer


def load_parts(settings: Settings, sessions_dir: Path, personas_dir: Path, prompts_dir: Path | None,
               caller: str, token: str | None) -> ServeParts:
    """Everything a call needs, the models loaded and run once (setup_call.warm_up)."""
    from ..cli_grade import make_judge, resolve_rubric
    from ..setup_call import make_synthesizer, make_transcriber, warm_up

    parts = ServeParts(settings, sessions_dir, personas_dir, prompts_dir, resolve_rubric(None, prompts_dir),
                       token=token, caller=caller)
    personas = parts.personas()
    if not personas:
        raise VoiceTrainerError(f"There are no personas in {personas_dir}.", hint="point --personas at a folder of persona YAML files")
    parts.transcriber = make_transcriber(settings)
    parts.synthesizer = make_synthesizer(settings)
    from ..setup_call import make_customer

    warm_up(parts.transcriber, parts.synthesizer, make_customer(personas[0], "scripted", settings), personas[0])
    parts.judge = make_judge("auto", None, None, prompts_dir)
    return parts
