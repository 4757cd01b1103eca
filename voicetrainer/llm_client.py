"""The one place an OpenAI-compatible client is made (the LLM caller and the LLM judge)."""

from __future__ import annotations

from contextlib import contextmanager

from .config import LLMSettings
from .errors import DependencyMissingError, LLMError


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


@contextmanager
def plain_llm_errors(who: str, settings: LLMSettings, way_out: str = ""):
    """Turn the client's timeout / connection / HTTP errors into one sentence and a hint.

    `who` names the speaker ("The LLM server", "The LLM judge"); `way_out` is what the user
    can do instead (e.g. "grade with --judge rules"), added to every hint.
    """
    openai = import_openai()
    also = f", or {way_out}" if way_out else ""
    try:
        yield
    except openai.APITimeoutError:
        raise LLMError(f"{who} at {settings.base_url} timed out.",
                       hint=f"raise llm.timeout_s or use a smaller model{also}") from None
    except openai.APIConnectionError:
        raise LLMError(f"{who} at {settings.base_url} cannot be reached.",
                       hint=f"start the server or check VOICETRAINER_LLM_BASE_URL{also}") from None
    except openai.APIStatusError as exc:
        raise LLMError(f"{who} answered with an error (HTTP {exc.status_code}).",
                       hint=f"check the model name and the server's log{also}") from None
