"""Clean what an LLM says before the customer speaks it.

Models add stage directions ("*sighs*", "(angrily)"), speaker labels ("Customer:"),
continue with the agent's next line, or fall out of character ("As an AI ..."). None of
that may reach the TTS.
"""

from __future__ import annotations

import re

STAGE = re.compile(r"\*[^*]{0,80}\*|\([^)]{0,80}\)|\[[^\]]{0,80}\]|<[^>]{0,80}>")
LABEL = re.compile(r"^\s*(?:customer|caller|client|user|assistant|[A-Z][a-z]+(?: [A-Z][a-z]+)?)\s*:\s*", re.IGNORECASE)
AGENT_LABEL = re.compile(r"\s*(?:agent|representative|rep|support|assistant)\s*:", re.IGNORECASE)
AGENT_TURN = re.compile(r"\n" + AGENT_LABEL.pattern + ".*", re.IGNORECASE | re.DOTALL)
OUT_OF_CHARACTER = re.compile(
    r"[^.!?]*\b(?:as an ai|language model|i'?m an ai|i am an ai|role-?play|this simulation)\b[^.!?]*[.!?]?",
    re.IGNORECASE,
)


def sanitize(text: str, known_names: tuple[str, ...] = ()) -> str:
    """The spoken words only; empty when nothing speakable remains."""
    text = AGENT_TURN.sub("", text)
    text = STAGE.sub(" ", text)
    text = OUT_OF_CHARACTER.sub(" ", text)
    lines = [LABEL.sub("", line) if _is_label(line, known_names) else line for line in text.splitlines()]
    text = " ".join(line.strip() for line in lines if line.strip())
    text = text.strip().strip('"').strip()
    return re.sub(r"\s+([,.!?])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()


def _is_label(line: str, known_names: tuple[str, ...]) -> bool:
    match = LABEL.match(line)
    if not match:
        return False
    label = match.group(0).rstrip(": ").strip().lower()
    generic = {"customer", "caller", "client", "user", "assistant"}
    return label in generic or label in {n.lower() for n in known_names} or any(
        label == n.split()[0].lower() for n in known_names
    )
