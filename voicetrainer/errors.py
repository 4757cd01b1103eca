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
        fields = any(p.field for p in problems)
        # One problem with the file as a whole (too big, not a file, an alias bomb) is one sentence.
        message = str(problems[0]) if n == 1 and not fields else (
            f"{file} has {n} problem{'s' if n != 1 else ''}:\n" + "\n".join(f"  {p}" for p in problems))
        super().__init__(
            message,
            hint=f"fix the {'fields' if fields else 'file'} named above; `voicetrainer personas validate FILE` "
                 "re-checks it",
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


class SessionFormatError(VoiceTrainerError):
    """A session file this version cannot read (not a call, broken, or a newer schema)."""


class CallStopped(BaseException):
    """SIGTERM arrived: like KeyboardInterrupt for SIGINT, a BaseException, so the call loop
    saves the session on its way out and nothing mistakes it for an error to recover from."""


# Why a call stopped when the agent (or the system) stopped it: the session says so, not "error".
STOPPED_BY: dict[type[BaseException], str] = {KeyboardInterrupt: "interrupted", CallStopped: "terminated"}


# Errors of the disk, not of the program: told as one sentence, never a traceback.
_WRITE_ERRNOS = {"ENOSPC": "the disk is full", "EDQUOT": "the disk quota is used up",
                 "EROFS": "the disk is read-only", "EIO": "the disk reported an input/output error"}
_PATH_ERRNOS = {"EACCES": "permission was denied", "EPERM": "permission was denied",
                "ENOTDIR": "a part of its path is a file, not a folder", "EISDIR": "it is a folder",
                "ENAMETOOLONG": "the name is too long"}


def disk_problem(exc: BaseException) -> VoiceTrainerError | None:
    """The OSError of a full, read-only or failing disk, or of a path the user gave that
    cannot be used, as one sentence (None for any other error: that one is a bug)."""
    import errno

    if not isinstance(exc, OSError) or exc.errno is None:
        return None
    for table, done in ((_WRITE_ERRNOS, "could not be written"), (_PATH_ERRNOS, "cannot be used")):
        why = next((text for name, text in table.items() if getattr(errno, name, None) == exc.errno), None)
        if why is not None:
            what = f"{exc.filename} {done}" if exc.filename else f"A file {done}"
            return VoiceTrainerError(f"{what}: {why}.",
                                     hint="free some space, or use a folder you can write to; a call's finished "
                                          "turns are kept in its journal.jsonl")
    return None
