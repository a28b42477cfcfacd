"""Reading records out of JSON, JSONL and Parquet files, keeping the line each record starts on.

Every importer goes through here, so every error can name ``PATH:LINE``: for a JSON array the
line of each element is tracked while decoding; for JSONL it is the physical line; for Parquet
the row number.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fcstudio.formats.errors import FormatError

RecordProgress = Callable[[float], None]

PARQUET_MAGIC = b"PAR1"


@dataclass(frozen=True)
class Record:
    line: int
    value: Any


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
        records.append(Record(line, value))
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


def _jsonl_records(path: str, text: str) -> list[Record]:
    records = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            records.append(Record(number, json.loads(raw)))
        except json.JSONDecodeError as exc:
            raise FormatError(path, f"invalid JSON line: {exc.msg} (column {exc.colno})", line=number) from None
    return records


def _parquet_records(path: str, data: bytes) -> list[Record]:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise FormatError(path, f"unreadable Parquet file: {exc}") from None
    return [Record(i + 1, row) for i, row in enumerate(table.to_pylist())]


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
        return FileData(p, "json-array", _array_records(p, text, start), digest)
    if stripped.startswith("{"):
        # One JSON object (pretty-printed or not) or JSON Lines: try the whole text first.
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return FileData(p, "jsonl", _jsonl_records(p, text), digest)
        return FileData(p, "json-object", [Record(text.count("\n", 0, start) + 1, value)], digest)
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
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise FormatError(
                path,
                f"field {key!r} holds a string that is not JSON: {exc.msg}",
                line=rec.line,
                record=None if record_id is None else str(record_id),
            ) from None
    return value


def tracked(records: list[Record], progress: RecordProgress | None, every: int = 2000) -> Iterator[tuple[int, Record]]:
    """``enumerate(records)`` that reports the fraction done every ``every`` records (large files)."""
    n = len(records)
    for i, rec in enumerate(records):
        if progress and i % every == 0:
            progress(i / max(n, 1))
        yield i, rec
