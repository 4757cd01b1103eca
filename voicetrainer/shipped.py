"""Where the shipped personas and prompts live, in a checkout and in an installed wheel.

Trainers find `personas/` and `prompts/` at the top of the repository and edit them there,
so a source checkout (editable install, `make demo`, the tests) reads those folders. A wheel
(pip, pipx) has no repository around it: setup.py copies both folders into the package, as
`voicetrainer/_shipped/`, when the wheel is built.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT = PACKAGE_DIR.parent  # the repository, when this package sits in one
SHIPPED_FOLDERS = ("personas", "prompts")


def shipped_dir(name: str) -> Path:
    """The folder of shipped `name` (personas or prompts): the repository's own when this is a
    checkout (pyproject.toml beside it), else the copy inside the installed package."""
    top = CHECKOUT / name
    if (CHECKOUT / "pyproject.toml").is_file() and top.is_dir():
        return top
    return PACKAGE_DIR / "_shipped" / name
