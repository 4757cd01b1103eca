"""The one place an OpenAI-compatible client is made (the LLM caller and the LLM judge)."""

from __future__ import annotations

from .config import LLMSettings
from .errors import DependencyMissingError


def import_openai():
    """The openai package, or a clear error with the install hint."""
    try:
        import openai
    except ImportError:
        raise DependencyMissingError("The openai package is not installed.", hint="pip install openai") from None
    return openai


def make_client(settings: LLMSettings):
    """A client for the configured endpoint; local servers need no key, so a placeholder is sent."""
    return import_openai().OpenAI(
        base_url=settings.base_url,
        api_key=settings.api_key.get_secret_value() if settings.api_key else "not-needed",
        timeout=settings.timeout_s,
        max_retries=settings.max_retries,
    )
