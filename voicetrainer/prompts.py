"""Where prompt templates come from: a trainer's folder (--prompts, prompts_dir) first, then
the shipped prompts/, so a trainer's folder need hold only the files they changed."""

from __future__ import annotations

from pathlib import Path

import jinja2

from .shipped import shipped_dir

DEFAULT_PROMPTS_DIR = shipped_dir("prompts")  # the repository's prompts/, or the wheel's copy


def prompt_loader(prompts_dir: Path | None = None) -> jinja2.BaseLoader:
    folders = [d for d in (prompts_dir, DEFAULT_PROMPTS_DIR) if d]
    return jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in folders])


def prompt_environment(prompts_dir: Path | None = None, **options) -> jinja2.Environment:
    """Templates render plain text, and a misspelt variable is an error, not an empty string."""
    return jinja2.Environment(loader=prompt_loader(prompts_dir), undefined=jinja2.StrictUndefined,
                              autoescape=False, **options)
