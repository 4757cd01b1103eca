"""Settings, read from the environment and an optional config file in one place.

Precedence: command-line option > environment > config file > default. The API key is
held only in memory: it is never written to a session, journal or log.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from .yamlfile import load_model


class LLMSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(None, description="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1")
    model: str | None = Field(None, description="Model name on that server.")
    api_key: SecretStr | None = Field(None, description="API key; prefer the environment over the file.")
    timeout_s: float = Field(20.0, gt=0, description="Connect and read timeout in seconds (each wait for bytes).")
    # Bounds on what comes back, whatever the server does (a read timeout alone lets a server
    # that drips a token every few seconds hold a turn, or the grade, for ever).
    reply_deadline_s: float = Field(30.0, gt=0, description="Total time spent waiting for the server during one customer reply.")
    judge_deadline_s: float = Field(180.0, gt=0, description="Total time for one LLM judge request.")
    max_reply_chars: int = Field(600, ge=40, le=20000,
                                 description="Longest customer reply kept; a longer one is cut at a sentence end.")
    max_retries: int = Field(1, ge=0, le=5)
    temperature: float = Field(0.8, ge=0, le=2)

    @property
    def configured(self) -> bool:
        return bool(self.base_url or self.api_key)

    @property
    def model_name(self) -> str:
        return self.model or ("gpt-4o-mini" if not self.base_url else "default")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    llm: LLMSettings = LLMSettings()
    stt_model: str = Field("tiny.en", description="faster-whisper model name or local path.")
    tts: str = Field("pyttsx3", description="pyttsx3 or piper.")
    personas_dir: Path | None = Field(None, description="Folder of persona files (relative to this file).")
    prompts_dir: Path | None = Field(None, description="Folder of prompt templates and the rubric (relative to this file).")
    sessions_dir: Path = Field(Path("sessions"), description="Where each call gets its own folder (relative to this file; default sessions/ where you run the call).")


    def with_llm(self, base_url: str | None = None, model: str | None = None) -> "Settings":
        """These settings with command-line LLM options (where given) taking precedence."""
        update = {k: v for k, v in {"base_url": base_url, "model": model}.items() if v}
        return self.model_copy(update={"llm": self.llm.model_copy(update=update)}) if update else self


def config_path() -> Path:
    if os.environ.get("VOICETRAINER_CONFIG"):
        return Path(os.environ["VOICETRAINER_CONFIG"])
    base = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    return base / "voicetrainer" / "config.yaml"


def load_settings(path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    path = path or config_path()
    settings = load_model(path, Settings) if path.exists() else Settings()
    # Folders in the config file are relative to the file, not to wherever the command runs.
    folders = {k: path.parent / Path(v).expanduser() for k in ("personas_dir", "prompts_dir", "sessions_dir")
               if k in settings.model_fields_set and (v := getattr(settings, k)) is not None}
    settings = settings.model_copy(update=folders)
    llm = settings.llm.model_dump()
    for field, names in {
        "base_url": ("VOICETRAINER_LLM_BASE_URL", "OPENAI_BASE_URL"),
        "model": ("VOICETRAINER_LLM_MODEL",),
        "api_key": ("VOICETRAINER_LLM_API_KEY", "OPENAI_API_KEY"),
    }.items():
        value = next((env[n] for n in names if env.get(n)), None)
        if value:
            llm[field] = value
    if llm.get("api_key") is not None and not isinstance(llm["api_key"], str):
        llm["api_key"] = llm["api_key"].get_secret_value()
    stt = env.get("VOICETRAINER_STT_MODEL")
    return settings.model_copy(update={"llm": LLMSettings(**llm), **({"stt_model": stt} if stt else {})})
