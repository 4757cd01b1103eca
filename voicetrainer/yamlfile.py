"""Load a human-written YAML file into a pydantic model, reporting every problem at once.

Each problem reads `file:line: field.path: what is wrong (what is expected)`; unknown
fields and values get a "did you mean" suggestion, so a trainer who is not a programmer
can fix a file alone.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from .errors import FileValidationError, ValidationProblem

M = TypeVar("M", bound=BaseModel)


def _line_index(node: yaml.Node, path: tuple = (), out: dict | None = None,
                duplicates: list | None = None, visited: set | None = None) -> dict[tuple, int]:
    """Map every field path (keys and list indices) to its 1-based line in the file.

    Repeated keys, which YAML silently resolves to the last one, go to `duplicates` as
    (path, line, first_line): a trainer who writes `venting:` twice would lose lines.
    A node reached a second time (through an alias) is not walked again: the paths below
    an alias have no line of their own and are reported at the alias, and an alias bomb
    cannot make this walk every expanded path.
    """
    out = {} if out is None else out
    visited = set() if visited is None else visited
    out.setdefault(path, node.start_mark.line + 1)
    if id(node) in visited:
        return out
    visited.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict = {}
        for key, value in node.value:
            child = path + (key.value,)
            line = key.start_mark.line + 1
            if isinstance(key, yaml.ScalarNode) and key.value in seen and duplicates is not None:
                duplicates.append((child, line, seen[key.value]))
            seen.setdefault(key.value, line)
            out[child] = line
            _line_index(value, child, out, duplicates, visited)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, path + (i,), out, duplicates, visited)
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
        char = chr(exc.character) if isinstance(exc.character, int) else exc.character  # PyYAML gives its code
        return ValidationProblem(file, line, "", f"YAML cannot contain the character {char!r} "
                                 "(expected plain text; retype or delete it)")
    if mark is None:
        return ValidationProblem(file, 1, "", f"YAML syntax error: {exc} (expected valid YAML)")
    what = getattr(exc, "problem", None) or getattr(exc, "context", None) or "invalid YAML"
    return ValidationProblem(file, mark.line + 1, "", f"YAML syntax error at column {mark.column + 1}: {what} "
                             "(expected `field: value` lines, indented with spaces, lists as `- item`)")


# Bounds on human-written files (persona, rubric, config), so a hostile or broken file is
# refused in well under a second instead of hanging the program or eating the memory.
# The shipped files are 10-13 KB, about 600 values, 7 levels deep: these leave ample room.
MAX_FILE_BYTES = 256 * 1024
MAX_VALUES = 20_000  # values after aliases are expanded (an alias counts its whole value again)
MAX_DEPTH = 16  # levels of nesting, aliases included


def _problem(file: str, line: int | None, what: str) -> FileValidationError:
    return FileValidationError(file, [ValidationProblem(file, line, "", what)])


def read_bounded(path: str | Path) -> str:
    """The text of a small regular file; anything else is refused without reading it.

    A FIFO would block `open`, and /dev/zero (or a symlink to it) never ends, so the file
    type is checked before opening, and again on the open file (it may have been swapped);
    at most MAX_FILE_BYTES + 1 bytes are read, whatever the size the file claims.
    """
    file = str(path)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            kind = "a folder" if Path(path).is_dir() else "a device, pipe or socket"
            raise _problem(file, None, f"is {kind}, not a regular file (expected a YAML file)")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise _problem(file, None, "is not a regular file (expected a YAML file)")
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise _problem(file, None, "file does not exist") from None
    except OSError as exc:
        raise _problem(file, None, f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _problem(file, None, f"is larger than {MAX_FILE_BYTES // 1024} KB (expected a small text file; "
                       "split it or remove the bulk)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise _problem(file, line, "is not UTF-8 text (expected a plain text YAML file)") from None


def _check_shape(root: yaml.Node, file: str) -> None:
    """Refuse alias bombs, aliases that contain themselves and deep nesting, before any
    value is built: sizes and heights are counted once per node (memoised), so this is
    fast however far the aliases would expand."""
    done: dict[int, tuple[int, int]] = {}  # node id -> (values, height) once counted
    open_: set[int] = set()  # nodes being counted: meeting one again is a cycle

    def count(node: yaml.Node, depth: int) -> tuple[int, int]:
        key, line = id(node), node.start_mark.line + 1
        if key in open_:
            raise _problem(file, line, "an alias refers to a value that contains it (expected no loops)")
        if key in done:
            values, height = done[key]
        else:
            if depth > MAX_DEPTH:
                raise _problem(file, line, f"nested more than {MAX_DEPTH} levels deep (expected a few levels)")
            open_.add(key)
            children = ([c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode)
                        else node.value if isinstance(node, yaml.SequenceNode) else [])
            values, height = 1, 1
            for child in children:
                v, h = count(child, depth + 1)
                values, height = values + v, max(height, h + 1)
                if values > MAX_VALUES:
                    raise _problem(file, line, f"holds more than {MAX_VALUES} values once its aliases are "
                                   "expanded (expected a small file; write the values out, or use fewer aliases)")
            open_.discard(key)
            done[key] = values, height
        if depth + height - 1 > MAX_DEPTH:  # an alias can put a deep value deeper still
            raise _problem(file, line, f"nested more than {MAX_DEPTH} levels deep (expected a few levels)")
        return values, height

    count(root, 1)


def parse_yaml(text: str, file: str, duplicates: list | None = None) -> tuple[object, dict[tuple, int]]:
    """Parse YAML text, returning the data and the field-path -> line index."""
    if len(text) > MAX_FILE_BYTES:
        raise _problem(file, None, f"is larger than {MAX_FILE_BYTES // 1024} KB (expected a small text file)")
    loader = None
    try:
        loader = yaml.SafeLoader(text)  # already reads the first characters: may raise ReaderError
        node = loader.get_single_node()  # composed once; the data is built from this node
        if node is None:
            return None, {}
        _check_shape(node, file)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise FileValidationError(file, [_syntax_problem(file, text, exc)]) from None
    except RecursionError:  # absurdly deep nesting, found while composing
        raise _problem(file, 1, "nested too deeply (expected a few levels)") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, _line_index(node, duplicates=duplicates)


def load_model(path: str | Path, model: type[M], text: str | None = None) -> M:
    """Read `path` (or the given text) and validate it; raise FileValidationError listing all problems."""
    file = str(path)
    if text is None:
        text = read_bounded(path)
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
