"""Build the parts of a call from settings: caller, transcriber, synthesizer.

The CLI and the tests use the same functions, so what is tested is what users run.
"""

from __future__ import annotations

from pathlib import Path

from .callers.scripted import ScriptedGenerator
from .config import Settings
from .customer import Customer
from .errors import LLMError, VoiceTrainerError
from .personas import Persona


def choose_caller(requested: str | None, settings: Settings) -> str:
    """`llm` when an endpoint or key is configured, else `scripted`, unless asked."""
    if requested in (None, "auto"):
        return "llm" if settings.llm.configured else "scripted"
    if requested not in ("scripted", "llm"):
        raise VoiceTrainerError(f"Unknown caller '{requested}'.", hint="use --caller scripted or --caller llm")
    if requested == "llm" and not settings.llm.configured:
        raise VoiceTrainerError(
            "The llm caller needs an OpenAI-compatible endpoint or an API key.",
            hint="set VOICETRAINER_LLM_BASE_URL (and VOICETRAINER_LLM_MODEL), or OPENAI_API_KEY",
        )
    return requested


def make_customer(persona: Persona, caller: str, settings: Settings, seed: int = 0,
                  prompts_dir: Path | None = None) -> Customer:
    scripted = ScriptedGenerator(seed)
    if caller == "scripted":
        return Customer(persona, scripted)
    from .callers.llm import LLMGenerator

    return Customer(persona, LLMGenerator(settings.llm, prompts_dir or settings.prompts_dir), fallback=scripted)


def make_transcriber(settings: Settings, speech_only: bool = False):
    # No hotwords or initial prompt: on the recorded fixtures they doubled decode time and
    # made tiny.en invent trailing words ("Thank you.") in silence (corpus WER 0.9% -> 2.9%).
    from .stt import WhisperTranscriber

    return WhisperTranscriber(settings.stt_model, speech_only=speech_only)


def make_synthesizer(settings: Settings):
    from .tts import make_synthesizer as make

    return make(settings.tts)


def warm_up(transcriber, synthesizer, customer: Customer, persona: Persona) -> LLMError | None:
    """Run each model once before the call, so the first turn is as fast as the rest
    (first-call costs: Whisper's kernels and buffers, the TTS voice, the behaviour detector's
    encoder, the LLM connection).

    Returns the LLM server's failure to answer, if it did not: the call can still go on
    (every reply falls back to an authored line), but the agent should know before it starts.
    """
    from .tts import style_for

    # Whisper hears the voice's own words: noise or silence would send it looping on
    # invented text for seconds.
    hello = synthesizer.synthesize("Hello, thank you for calling.", style_for(persona.voice, persona.mood.start))
    heard = transcriber.transcribe(hello)
    from .behaviours import detect

    detect(heard.text or "Hello, thank you for calling.")  # loads the sentence encoder and the heads
    return warm_up_caller(customer)


def warm_up_caller(customer: Customer) -> LLMError | None:
    """The LLM server's failure to answer before the first turn (none for the scripted caller):
    nothing there, a refused key (401/403), or something that is not an OpenAI-compatible server."""
    warm = getattr(customer.generator, "warm_up", None)
    try:
        if warm:
            warm()
    except LLMError as exc:
        return exc
    return None


def load_call_parts(persona: Persona, caller: str, settings: Settings, seed: int, prompts_dir: Path | None,
                    loading: str, speech_only: bool = False):
    """Transcriber, synthesizer and customer for a spoken call, loaded under a progress line
    and run once. An LLM server that does not answer is a warning, not an error: the call
    can go on with the persona's authored lines."""
    from rich.text import Text

    from .terminal import console, print_problem

    with console.status(Text(loading)):  # a Spinner parses str as markup whatever the console says
        transcriber = make_transcriber(settings, speech_only)
        synthesizer = make_synthesizer(settings)
        customer = make_customer(persona, caller, settings, seed, prompts_dir)
        llm_down = warm_up(transcriber, synthesizer, customer, persona)
    if llm_down:
        print_problem(llm_down, "Warning", "yellow",
                      then="The call goes on; until it answers, the customer speaks the persona's authored lines.")
    return transcriber, synthesizer, customer
