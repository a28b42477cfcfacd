"""Reading records out of JSON, JSONL and Parquet files, keeping the line each record starts on.

Every importer goes through here, so every error can name ``PATH:LINE``: for a JSON array the
line of each element is tracked while decoding; for JSONL it is the physical line; for Parquet
the row number. Text that cannot be stored (a lone surrogate or NUL spelled as a ``\\u`` escape, or a NUL
in a Parquet string) is refused here for every format (see ``text``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fcstudio.catalog.formats import text as bad_text
from fcstudio.catalog.formats.errors import FormatError

RecordProgress = Callable[[float], None]

PARQUET_MAGIC = b"PAR1"


@dataclass(frozen=True)
class Record:
    line: int
    value: Any
    offset: int = -1  # where the record starts in the file's text (-1: not tracked)


@dataclass(frozen=True)
class FileData:
    path: str
    kind: str  # "json-array" | "json-object" | "jsonl" | "parquet"
    records: list[Record]
    content_hash: str


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decode_text(path: str, data: bytes) -> str:
    if not data.strip():
        raise FormatError(path, "file is empty")
    if data.startswith(PARQUET_MAGIC):
        raise FormatError(path, "is a Parquet file, but this format reads JSON or JSONL")
    if b"\x00" in data[:65536]:
        raise FormatError(path, "is a binary file, not JSON or JSONL text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FormatError(path, f"is not UTF-8 text (byte {exc.start})", line=line) from None
    return text


def _array_records(path: str, text: str, start: int) -> list[Record]:
    """Decode ``[a, b, ...]`` element by element so each record knows its starting line."""
    decoder = json.JSONDecoder()
    records: list[Record] = []
    pos = start + 1
    line = text.count("\n", 0, pos) + 1
    counted = pos
    n = len(text)

    def skip_ws(i: int) -> int:
        while i < n and text[i] in " \t\r\n":
            i += 1
        return i

    pos = skip_ws(pos)
    if pos < n and text[pos] == "]":
        return records
    while True:
        pos = skip_ws(pos)
        line += text.count("\n", counted, pos)
        counted = pos
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise FormatError(path, f"invalid JSON: {exc.msg}", line=exc.lineno) from None
        records.append(Record(line, value, pos))
        pos = skip_ws(end)
        if pos >= n:
            raise FormatError(path, "invalid JSON: unterminated array", line=text.count("\n") + 1)
        if text[pos] == ",":
            pos += 1
            continue
        if text[pos] == "]":
            rest = text[pos + 1 :].strip()
            if rest:
                raise FormatError(path, "invalid JSON: extra data after the array", line=text.count("\n", 0, pos) + 1)
            return records
        raise FormatError(path, "invalid JSON: expected ',' or ']'", line=text.count("\n", 0, pos) + 1)


_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")


def _physical_lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(line number, offset, line) split at CR/LF only: a JSON string may hold U+2028 or U+0085 unescaped,
    which ``str.splitlines`` would wrongly treat as line ends."""
    if "\r" not in text:
        offset = 0
        for number, raw in enumerate(text.split("\n"), start=1):
            yield number, offset, raw
            offset += len(raw) + 1
        return
    pieces = _LINE_BREAK.split(text)
    offset = 0
    for number, i in enumerate(range(0, len(pieces), 2), start=1):
        raw = pieces[i]
        yield number, offset, raw
        offset += len(raw) + (len(pieces[i + 1]) if i + 1 < len(pieces) else 0)


def array_lines(text: str) -> list[int]:
    """The line each element of the JSON array ``text`` starts on."""
    stripped = text.lstrip()
    if not stripped.startswith("["):
        return []
    return [r.line for r in _array_records("", text, len(text) - len(stripped))]


def _jsonl_records(path: str, text: str) -> list[Record]:
    records = []
    for number, offset, raw in _physical_lines(text):
        if not raw.strip():
            continue
        try:
            records.append(Record(number, json.loads(raw), offset))
        except json.JSONDecodeError as exc:
            raise FormatError(path, f"invalid JSON line: {exc.msg} (column {exc.colno})", line=number) from None
    return records


def _check_text(path: str, text: str, kind: str, records: list[Record]) -> None:
    """Refuse a record whose text spells a lone surrogate or NUL (one regex scan when the file is clean)."""
    if kind == "json-object":
        bad_text.check_document(path, text, records[0].value)
        return
    bad_text.check_records(
        path,
        text,
        [r.offset for r in records],
        [r.line for r in records],
        [r.value for r in records],
        line_of_escape=kind == "json-array",
    )


def _parquet_records(path: str, data: bytes) -> list[Record]:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise FormatError(path, f"unreadable Parquet file: {exc}") from None
    try:
        rows = table.to_pylist()
    except UnicodeDecodeError as exc:
        raise FormatError(path, f"holds a string that is not UTF-8: {exc.reason}") from None
    if _parquet_may_hold_nul(table):
        for i, row in enumerate(rows):
            bad_text.check_value(path, row, line=i + 1, record=bad_text.record_of(row) or i)
    return [Record(i + 1, row) for i, row in enumerate(rows)]


def _parquet_may_hold_nul(table: Any) -> bool:
    """True when a string column holds a NUL (nested columns are walked row by row instead)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for column in table.columns:
        kind = column.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            if pc.any(pc.match_substring(column, "\x00")).as_py():
                return True
        elif pa.types.is_nested(kind) or pa.types.is_dictionary(kind):
            return True
    return False


def read_file(path: str | Path, *, parquet: bool = False) -> FileData:
    """Read ``path`` into records; raise FormatError naming the place when it is not JSON/JSONL(/Parquet)."""
    p = str(path)
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise FormatError(p, "is a directory, not a file") from None
    except OSError as exc:
        raise FormatError(p, f"cannot be read: {exc.strerror or exc}") from None
    digest = content_hash(data)
    if parquet and data.startswith(PARQUET_MAGIC):
        return FileData(p, "parquet", _parquet_records(p, data), digest)
    text = _decode_text(p, data)
    stripped = text.lstrip()
    start = len(text) - len(stripped)
    if stripped.startswith("["):
        kind, records = "json-array", _array_records(p, text, start)
    elif stripped.startswith("{"):
        # One JSON object (pretty-printed or not) or JSON Lines: try the whole text first.
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            kind, records = "jsonl", _jsonl_records(p, text)
        else:
            kind, records = "json-object", [Record(text.count("\n", 0, start) + 1, value, start)]
    else:
        kind, records = "", []
    if kind:
        _check_text(p, text, kind, records)
        return FileData(p, kind, records, digest)
    first_line = text.count("\n", 0, start) + 1
    raise FormatError(p, "is not JSON or JSON Lines (expected '[' or '{')", line=first_line)


def expect_dict(path: str, rec: Record, what: str = "record") -> dict[str, Any]:
    if not isinstance(rec.value, dict):
        raise FormatError(path, f"{what} must be a JSON object, got {type(rec.value).__name__}", line=rec.line)
    return rec.value


def require(
    path: str, rec: Record, obj: dict[str, Any], key: str, kinds: type | tuple[type, ...], record_id: Any = None
) -> Any:
    """``obj[key]``, checked for presence and type, else a FormatError naming line and record."""
    ref = None if record_id is None else str(record_id)
    if key not in obj:
        raise FormatError(path, f"missing field {key!r}", line=rec.line, record=ref)
    value = obj[key]
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _as_tuple(kinds)):
        names = " or ".join(k.__name__ for k in _as_tuple(kinds))
        raise FormatError(path, f"field {key!r} must be {names}, got {type(value).__name__}", line=rec.line, record=ref)
    return value


def _as_tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def json_field(path: str, rec: Record, obj: dict[str, Any], key: str, record_id: Any = None) -> Any:
    """A field that may hold JSON directly or as a JSON string (xLAM stores tools/answers as strings)."""
    value = require(path, rec, obj, key, (str, list, dict), record_id)
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError as exc:
            raise FormatError(
                path,
                f"field {key!r} holds a string that is not JSON: {exc.msg}",
                line=rec.line,
                record=None if record_id is None else str(record_id),
            ) from None
        except RecursionError:
            raise FormatError(
                path, f"field {key!r}: nesting is too deep to import", line=rec.line, record=_ref(record_id)
            ) from None
        bad_text.check_decoded(path, value, decoded, line=rec.line, record=record_id, prefix=(key,))
        return decoded
    return value


def _ref(record_id: Any) -> str | None:
    return None if record_id is None else str(record_id)


def tracked(records: list[Record], progress: RecordProgress | None, every: int = 2000) -> Iterator[tuple[int, Record]]:
    """``enumerate(records)`` that reports the fraction done every ``every`` records (large files)."""
    n = len(records)
    for i, rec in enumerate(records):
        if progress and i % every == 0:
            progress(i / max(n, 1))
        yield i, rec
