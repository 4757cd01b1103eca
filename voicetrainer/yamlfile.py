"""Load a human-written YAML file into a pydantic model, reporting every problem at once.

Each problem reads `file:line: field.path: what is wrong (what is expected)`; unknown
fields and values get a "did you mean" suggestion, so a trainer who is not a programmer
can fix a file alone.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from .errors import FileValidationError, ValidationProblem

M = TypeVar("M", bound=BaseModel)


def _line_index(node: yaml.Node, path: tuple = (), out: dict | None = None,
                duplicates: list | None = None, ancestors: frozenset = frozenset()) -> dict[tuple, int]:
    """Map every field path (keys and list indices) to its 1-based line in the file.

    Repeated keys, which YAML silently resolves to the last one, go to `duplicates` as
    (path, line, first_line): a trainer who writes `venting:` twice would lose lines.
    """
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if id(node) in ancestors:  # an alias to its own parent (`&a [*a]`): the data is reported as invalid
        return out
    ancestors = ancestors | {id(node)}
    if isinstance(node, yaml.MappingNode):
        seen: dict = {}
        for key, value in node.value:
            child = path + (key.value,)
            line = key.start_mark.line + 1
            if isinstance(key, yaml.ScalarNode) and key.value in seen and duplicates is not None:
                duplicates.append((child, line, seen[key.value]))
            seen.setdefault(key.value, line)
            out[child] = line
            _line_index(value, child, out, duplicates, ancestors)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, path + (i,), out, duplicates, ancestors)
            out[path + (i,)] = item.start_mark.line + 1
    return out


def _model_in(annotation) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as `Fact`, `list[Fact]` or `Voice | None`."""
    candidates = [annotation]
    for arg in candidates:
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        candidates.extend(getattr(arg, "__args__", ()))
    return None


def _walk(model: type[BaseModel], loc: tuple) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """The model that holds `loc`'s last field, and that field (None where loc leaves the models)."""
    current: type[BaseModel] | None = model
    holder, field = model, None
    for part in loc:
        if isinstance(part, int):
            continue
        if current is None:
            return None, None
        holder, field = current, current.model_fields.get(part)
        if field is None:
            return holder, None
        current = _model_in(field.annotation)
    return holder, field


def _shown(value) -> str:
    shown = repr(value) if isinstance(value, str) else "empty" if value is None else \
        yaml.safe_dump(value, default_flow_style=True, width=1000).strip().removesuffix("...").strip()
    return shown if len(shown) < 60 else shown[:57] + "..."


def _num(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def _bounds(field: FieldInfo | None) -> str:
    words = {"ge": "at least", "gt": "above", "le": "at most", "lt": "below"}
    limits = {k: getattr(m, k) for m in getattr(field, "metadata", ()) for k in words if hasattr(m, k)}
    if set(limits) == {"ge", "le"}:
        return f" from {_num(limits['ge'])} to {_num(limits['le'])}"
    return "".join(f" {'and ' if i else ''}{words[k]} {_num(v)}" for i, (k, v) in enumerate(limits.items()))


PATTERNS = {r"^[a-z][a-z0-9_]*$": "lowercase letters, digits and _, starting with a letter, e.g. angry_refund"}


def _describe(model: type[BaseModel], err: dict) -> str:
    """One problem as `what is wrong (what is expected)`."""
    kind, ctx, loc = err["type"], err.get("ctx", {}), err["loc"]
    holder, field = _walk(model, loc)
    got = _shown(err.get("input"))
    about = f": {field.description}" if field is not None and field.description else ""
    if kind == "extra_forbidden":
        allowed = list(holder.model_fields) if holder else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        return f"unknown field ({f'did you mean {close[0]!r}?' if close else 'allowed here: ' + ', '.join(allowed)})"
    if kind == "missing":
        return f"required field is missing (add `{loc[-1]}:`{about.replace(':', ';', 1)})"
    if kind in ("literal_error", "enum"):
        options = [o.strip("'") for o in re.split(r", | or ", ctx.get("expected", "")) if o]
        close = difflib.get_close_matches(str(err.get("input")), options, n=1)
        return f"{got} is not allowed ({f'did you mean {close[0]!r}? ' if close else ''}expected one of: {', '.join(options)})"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", err["msg"]))
    if err.get("input") is None and kind.endswith(("_type", "_parsing")):
        return f"is empty (expected {_expected(kind, field)})"
    simple = {
        "int_parsing": "is not a whole number", "int_type": "is not a whole number",
        "int_from_float": "is not a whole number", "float_parsing": "is not a number",
        "float_type": "is not a number", "bool_parsing": "is not true or false", "bool_type": "is not true or false",
        "string_type": "is not text", "list_type": "is not a list", "tuple_type": "is not a list",
        "dict_type": "is not a group of fields", "model_type": "is not a group of fields",
        "model_attributes_type": "is not a group of fields",
    }
    if kind in simple:
        return f"{got} {simple[kind]} (expected {_expected(kind, field)})"
    limits = {"less_than_equal": ("too high", "at most", "le"), "less_than": ("too high", "less than", "lt"),
              "greater_than_equal": ("too low", "at least", "ge"), "greater_than": ("too low", "more than", "gt")}
    if kind in limits:
        what, word, key = limits[kind]
        return f"{got} is {what} (expected {word} {_num(ctx[key])})"
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        n = ctx.get("actual_length", len(err.get("input") or ()))
        bound = ctx.get("min_length") if "short" in kind else ctx.get("max_length")
        unit = "characters" if kind.startswith("string") else "items"
        return f"has {n} {unit} (expected {'at least' if 'short' in kind else 'at most'} {bound})"
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        return f"{got} is not valid here (expected {PATTERNS.get(pattern, 'text matching ' + pattern)})"
    return f"{err['msg']} (got {got})"


def _expected(kind: str, field: FieldInfo | None) -> str:
    if kind.startswith("int"):
        return "a whole number" + _bounds(field)
    if kind.startswith("float"):
        return "a number" + _bounds(field)
    if kind.startswith("bool"):
        return "true or false"
    if kind.startswith("string"):
        return "text; put numbers and dates in quotes, e.g. \"189.99\""
    if kind.startswith(("list", "tuple")):
        return "a list: one `- item` per line, or [a, b]"
    return "indented `field: value` lines below it"


def _syntax_problem(file: str, text: str, exc: yaml.YAMLError) -> ValidationProblem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML cannot hold
        line = text.count("\n", 0, exc.position) + 1
        return ValidationProblem(file, line, "", f"YAML cannot contain the character {exc.character!r} "
                                 "(expected plain text; retype or delete it)")
    if mark is None:
        return ValidationProblem(file, 1, "", f"YAML syntax error: {exc} (expected valid YAML)")
    what = getattr(exc, "problem", None) or getattr(exc, "context", None) or "invalid YAML"
    return ValidationProblem(file, mark.line + 1, "", f"YAML syntax error at column {mark.column + 1}: {what} "
                             "(expected `field: value` lines, indented with spaces, lists as `- item`)")


def parse_yaml(text: str, file: str, duplicates: list | None = None) -> tuple[object, dict[tuple, int]]:
    """Parse YAML text, returning the data and the field-path -> line index."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FileValidationError(file, [_syntax_problem(file, text, exc)]) from None
    except RecursionError:  # absurdly deep nesting
        raise FileValidationError(file, [ValidationProblem(file, 1, "", "nested too deeply (expected a few levels)")]) from None
    return data, (_line_index(node, duplicates=duplicates) if node is not None else {})


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
    duplicates: list = []
    data, lines = parse_yaml(text, file, duplicates)
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise FileValidationError(
            file, [ValidationProblem(file, 1, "", f"the file is {kind} (expected a mapping of `field: value` lines)")]
        )
    problems = [ValidationProblem(file, line, ".".join(map(str, loc)), f"appears twice (first on line {first}; "
                                  "expected once: merge the two)") for loc, line, first in duplicates]
    try:
        result = model.model_validate(data, context={"file": file, "lines": lines})
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if p != "[key]")
            line = next((lines[loc[:i]] for i in range(len(loc), -1, -1) if loc[:i] in lines), 1)
            problems.append(ValidationProblem(file, line, ".".join(str(p) for p in loc), _describe(model, err)))
    if problems:
        raise FileValidationError(file, sorted(problems, key=lambda p: p.line or 0))
    return result
