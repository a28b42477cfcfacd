"""Text that cannot be stored: lone surrogates and NUL characters, found where they are.

JSON may spell any code unit as a ``\\uXXXX`` escape, so a file that is valid UTF-8 can still decode to a
Python string holding a lone surrogate (``"\\ud800"``: no UTF-8 encoding exists for it, so hashing it or
handing it to Arrow fails) or a NUL (``"\\u0000"``: truncates text in C libraries and terminals). Every
importer refuses both with ``PATH:LINE (record ID): reason`` naming the field.

Clean files pay one regular-expression scan of their text (``SUSPECT``: a ``\\u`` escape in the surrogate
range or ``\\u0000``); only when it matches are the escapes looked at one by one (an escaped backslash or a
valid surrogate pair is fine), and only then are the affected records walked to name the field.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fcstudio.catalog.formats.errors import FormatError

# Any escape that might decode to bad text (a surrogate, paired or not, or NUL): the cheap first test.
SUSPECT = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
SUSPECT_BYTES = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_LOW = re.compile(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}")
# In decoded text every surrogate is a lone one (a valid pair decodes to one astral character).
BAD_CHAR = re.compile("[\x00\ud800-\udfff]")

# Keys that name a record in the formats fcstudio reads, in the order they are tried.
ID_KEYS = ("id", "task_id", "query_id", "tool_name", "Name", "name", "model_name")


@dataclass(frozen=True)
class BadText:
    """The first bad string in a value: where (keys and indexes from the value's root) and what."""

    parts: tuple[str | int, ...]
    char: str
    in_key: bool

    def where(self, prefix: Sequence[str | int] = ()) -> str:
        return field_path((*prefix, *self.parts))

    def reason(self, prefix: Sequence[str | int] = ()) -> str:
        what = describe(self.char)
        where = self.where(prefix)
        if self.in_key:
            return f"text holds {what} in a key of {where or 'the record'}"
        return f"text holds {what} at {where or 'the record'}"


def describe(char: str) -> str:
    if char == "\x00":
        return "a NUL character (\\u0000)"
    return f"a lone surrogate \\u{ord(char):04x}"


def field_path(parts: Sequence[str | int]) -> str:
    """``messages[1].content``; keys that are not plain names are quoted (``parameters["a b"]``)."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", p):
            out += f".{p}" if out else p
        else:
            out += f"[{json.dumps(p)}]"
    return out


def find_bad(value: Any) -> BadText | None:
    """The first string (key or value, depth first in document order) holding a lone surrogate or NUL."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        node, parts = stack.pop()
        if isinstance(node, str):
            m = BAD_CHAR.search(node)
            if m:
                return BadText(parts, m.group(), False)
        elif isinstance(node, dict):
            children = []
            for k, v in node.items():
                if isinstance(k, str):
                    m = BAD_CHAR.search(k)
                    if m:
                        return BadText(parts, m.group(), True)
                children.append((v, (*parts, k)))
            stack.extend(reversed(children))
        elif isinstance(node, (list, tuple)):
            stack.extend(reversed([(v, (*parts, i)) for i, v in enumerate(node)]))
    return None


def record_of(value: Any, parts: Sequence[str | int] = ()) -> str | None:
    """The id of the first object on the way to ``parts`` that has an id-like key (``id``, ``task_id``, ...)."""
    node = value
    for step in (None, *parts):
        if step is not None:
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                return None
        if isinstance(node, dict):
            for key in ID_KEYS:
                ident = node.get(key)
                if isinstance(ident, (str, int)) and not isinstance(ident, bool):
                    text = str(ident)
                    return None if BAD_CHAR.search(text) else text
    return None


def bad_escapes(text: str) -> Iterator[int]:
    """Offsets of the ``\\u`` escapes in JSON ``text`` that decode to a lone surrogate or NUL.

    A ``\\u`` after an escaped backslash (``\\\\u...``) is plain text, and a high surrogate followed by a
    low one is a valid pair (an emoji, say), so neither counts.
    """
    skip = -1
    for m in SUSPECT.finditer(text):
        i = m.start()
        if i < skip:
            continue
        j = i - 1
        while j >= 0 and text[j] == "\\":
            j -= 1
        if (i - 1 - j) % 2:  # an odd number of backslashes before it: this one is escaped
            continue
        code = int(text[i + 2 : i + 6], 16)
        if 0xD800 <= code <= 0xDBFF and _LOW.match(text, i + 6):
            skip = i + 12
            continue
        yield i


def line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def error_class(base: type[Exception]) -> type[FormatError]:
    """A FormatError that is also ``base``, so callers catching a module's own error still catch it."""
    if issubclass(base, FormatError):
        return base
    found = _ERROR_CLASSES.get(base)
    if found is None:
        found = type(
            base.__name__,
            (FormatError, base),
            {
                "__doc__": f"Bad text: a {base.__name__} that reads PATH:LINE (record ID): reason.",
                "__module__": base.__module__,
            },
        )
        _ERROR_CLASSES[base] = found
    return found


_ERROR_CLASSES: dict[type[Exception], type[FormatError]] = {}


def check_decoded(
    path: str,
    source: str,
    value: Any,
    *,
    line: int | None,
    record: Any = None,
    prefix: Sequence[str | int] = (),
    error: type[Exception] = FormatError,
) -> None:
    """Refuse ``value``, decoded from the JSON text ``source`` (a field that holds JSON as a string)."""
    if not SUSPECT.search(source):
        return
    check_value(path, value, line=line, record=record, prefix=prefix, error=error)


def check_literal(
    path: str,
    source: str,
    value: Any,
    *,
    line: int | None,
    record: Any = None,
    prefix: Sequence[str | int] = (),
    error: type[Exception] = FormatError,
) -> None:
    """Refuse ``value``, read from Python literal text ``source`` (escapes start with a backslash)."""
    if "\\" not in source:
        return
    check_value(path, value, line=line, record=record, prefix=prefix, error=error)


def check_value(
    path: str,
    value: Any,
    *,
    line: int | None,
    record: Any = None,
    prefix: Sequence[str | int] = (),
    error: type[Exception] = FormatError,
) -> None:
    """Walk ``value`` and raise at its first bad string."""
    found = find_bad(value)
    if found:
        raise error_class(error)(path, found.reason(prefix), line=line, record=None if record is None else str(record))


def check_document(path: str, text: str, value: Any, *, error: type[Exception] = FormatError) -> None:
    """Refuse a whole JSON document whose text spells a lone surrogate or NUL; LINE is the escape's line."""
    if not SUSPECT.search(text):
        return
    first = next(bad_escapes(text), None)
    if first is None:
        return
    found = find_bad(value)
    if found is None:  # the escape sat in a value a later duplicate key replaced
        return
    raise error_class(error)(path, found.reason(), line=line_at(text, first), record=record_of(value, found.parts))


def check_records(
    path: str, text: str, offsets: Sequence[int], lines: Sequence[int], values: Sequence[Any], *, line_of_escape: bool
) -> None:
    """Refuse the first record whose text spells bad text.

    ``offsets`` are where each record starts in ``text`` (ascending). LINE is the escape's own line when
    ``line_of_escape`` (a JSON array, whose records span lines), else the record's line (JSON Lines).
    """
    if not SUSPECT.search(text):
        return
    done: set[int] = set()
    for offset in bad_escapes(text):
        index = bisect.bisect_right(offsets, offset) - 1
        if index < 0 or index in done:
            continue
        done.add(index)
        found = find_bad(values[index])
        if found is None:
            continue
        record = record_of(values[index])  # the record's own id, not one of a nested object
        raise FormatError(
            path,
            found.reason(),
            line=line_at(text, offset) if line_of_escape else lines[index],
            record=record if record is not None else str(index),
        )
