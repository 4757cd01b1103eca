"""Load a human-written YAML file into a pydantic model, reporting every problem at once.

Each problem names the file, the line and the field path, and unknown fields get a
"did you mean" suggestion, so a trainer who is not a programmer can fix a file alone.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import FileValidationError, ValidationProblem

M = TypeVar("M", bound=BaseModel)


def _line_index(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    """Map every field path (keys and list indices) to its 1-based line in the file."""
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = path + (key.value,)
            out[child] = key.start_mark.line + 1
            _line_index(value, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, path + (i,), out)
            out[path + (i,)] = item.start_mark.line + 1
    return out


def _allowed_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names valid at `loc` (the parent of an unknown key), for suggestions."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None or isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        for arg in list(candidates):
            candidates += list(getattr(arg, "__args__", ()))
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return list(current.model_fields) if current else []


def _describe(model: type[BaseModel], err: dict) -> str:
    loc = err["loc"]
    if err["type"] == "extra_forbidden":
        allowed = _allowed_fields(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed here: {', '.join(allowed)}"
        return f"unknown field ({hint})"
    if err["type"] == "missing":
        return "required field is missing"
    msg = err["msg"]
    if "input" in err and err["type"] not in ("value_error", "assertion_error"):
        shown = repr(err["input"])
        msg += f" (got {shown if len(shown) < 60 else shown[:57] + '...'})"
    return msg


def parse_yaml(text: str, file: str) -> tuple[object, dict[tuple, int]]:
    """Parse YAML text, returning the data and the field-path -> line index."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = f", column {mark.column + 1}" if mark else ""
        problem = f"YAML syntax error{col}: {exc.problem or exc.context}"
        raise FileValidationError(file, [ValidationProblem(file, line, "", problem)]) from None
    except yaml.YAMLError as exc:
        raise FileValidationError(file, [ValidationProblem(file, None, "", f"YAML error: {exc}")]) from None
    return data, (_line_index(node) if node is not None else {})


def load_model(path: str | Path, model: type[M], text: str | None = None) -> M:
    """Read `path` (or the given text) and validate it; raise FileValidationError listing all problems."""
    file = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise FileValidationError(file, [ValidationProblem(file, None, "", "file does not exist")]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise FileValidationError(file, [ValidationProblem(file, None, "", f"cannot be read ({exc})")]) from None
    data, lines = parse_yaml(text, file)
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise FileValidationError(
            file, [ValidationProblem(file, 1, "", f"the file is {kind}; expected a mapping of fields")]
        )
    try:
        return model.model_validate(data, context={"file": file, "lines": lines})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if p != "[key]")
            line = next((lines[loc[:i]] for i in range(len(loc), -1, -1) if loc[:i] in lines), None)
            field = ".".join(str(p) for p in loc)
            problems.append(ValidationProblem(file, line, field, _describe(model, err)))
        raise FileValidationError(file, problems) from None
