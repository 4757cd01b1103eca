"""The project's exceptions: one plain sentence for the user, plus a hint.

Errors are raised with what went wrong and translated to a message once, at the CLI
boundary, so no user ever sees a traceback for bad input.
"""

from __future__ import annotations


class VoiceTrainerError(Exception):
    """Base class: `message` is one plain sentence, `hint` says what to do about it."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message + (f"\nHint: {self.hint}" if self.hint else "")


class ValidationProblem:
    """One problem in a human-written file, located by file, line and field path."""

    def __init__(self, file: str, line: int | None, field: str, problem: str):
        self.file, self.line, self.field, self.problem = file, line, field, problem

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.problem}" if self.field else f"{where}: {self.problem}"

    def __repr__(self) -> str:
        return f"ValidationProblem({str(self)!r})"


class FileValidationError(VoiceTrainerError):
    """A persona, rubric or config file is malformed; carries every problem found."""

    def __init__(self, file: str, problems: list[ValidationProblem]):
        self.file = file
        self.problems = problems
        n = len(problems)
        super().__init__(
            f"{file} has {n} problem{'s' if n != 1 else ''}:\n"
            + "\n".join(f"  {p}" for p in problems),
            hint="fix the fields named above; `voicetrainer personas validate FILE` re-checks it",
        )


class AudioFileError(VoiceTrainerError):
    """An audio file cannot be read (missing, corrupt, not audio)."""


class NotFoundError(VoiceTrainerError):
    """A named thing (persona, session, model) does not exist."""


class LLMError(VoiceTrainerError):
    """The OpenAI-compatible server failed, timed out or could not be reached."""


class DependencyMissingError(VoiceTrainerError):
    """An optional dependency is not installed; the hint names the install command."""


class AudioDeviceError(VoiceTrainerError):
    """No microphone/headset, PortAudio missing, or a device vanished."""
