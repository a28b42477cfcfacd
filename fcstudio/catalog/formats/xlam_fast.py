"""xLAM files through DuckDB: the trajectory rows built in SQL, each distinct tool converted once in Python.

The exact reader (``xlam.read``) decodes every row in Python, re-encodes its messages as JSON, validates it
with pydantic and hashes every occurrence of every tool. Here DuckDB (an in-memory connection of its own, so
a parse error never touches the workspace's transaction) reads the file (JSON Lines, a JSON array as the hub
ships it, or Parquet), parses ``tools`` and ``answers`` (JSON text or JSON values) and writes every row's
messages JSON, tool-call ids, ``called`` and ``meta`` in one query. Arrow finds the distinct tool texts (in
order of first occurrence, as the exact reader meets them) and maps them back to rows; Python converts each
distinct tool once (type mapping, ToolSpec, ``tool_id``). The file's hash and byte checks run on a thread
beside the query, and the Arrow checks beside the tool conversion. (Overlapping the conversion with the query,
by a second query or by streaming batches, was tried: on two busy cores both are slower.)

Anything the exact reader would refuse, or that DuckDB reads differently from Python's ``json``, sends the
file back to the exact reader (``read`` returns None), whose error names ``PATH:LINE (record)``: a DuckDB
parse error (lone surrogates and invalid UTF-8 among them), a missing or ill-typed field, an id that is not
an integer or a string, answers that are not objects with a non-empty string name and object arguments,
``"arguments": null``, a duplicate key in an answer, NUL characters, trailing commas and ``nan``/``inf``
spellings (DuckDB accepts them, Python does not), or a tool the converter refuses.

What it produces equals the exact reader's rows: the same tools and tool ids, ``source_ref``, ``tool_ids``,
``called``, warnings and row order, and messages / meta that parse to the same values. The JSON *text*
differs in layout only: the tool-call ``arguments`` strings are DuckDB's compact JSON (``{"a":1}`` where the
exact path writes ``{"a": 1}``), and control characters in strings are escaped with upper-case hex. Every
reader of these columns parses them.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fcstudio.catalog.formats import xlam
from fcstudio.catalog.formats.reader import PARQUET_MAGIC
from fcstudio.catalog.formats.types import TypeMapper
from fcstudio.catalog.schemas import canonical_json
from fcstudio.models import ToolSpec

# DuckDB's JSON reader accepts a comma before a closing bracket; Python's json does not. The class allows
# whitespace, also escaped (JSON inside a JSON string); it over-matches (",nt]"), which only costs speed.
TRAILING_COMMA = re.compile(rb",[ \t\r\n\\nrt]*[\]}]")
# DuckDB also reads nan / inf spelled any way; Python reads only NaN, Infinity and -Infinity. In DuckDB's
# compact re-serialisation a number follows "[", ":" or ",". (A tool text Python cannot parse falls back.)
NON_FINITE = r"[\[:,]-?(?i:nan|inf)"
_CALLS = '[{"name": "JSON", "arguments": "JSON"}]'
_SCHEMA = pa.schema(
    [
        ("source_ref", pa.string()),
        ("messages", pa.string()),
        ("tool_ids", pa.list_(pa.string())),
        ("called", pa.list_(pa.string())),
        ("meta", pa.string()),
    ]
)


@dataclass
class FastRows:
    digest: str
    tools: dict[str, ToolSpec]  # id -> tool, in order of first occurrence in the file
    trajectories: pa.Table  # source_ref, messages, tool_ids, called, meta, in file order
    warnings: list[str]


class _Fallback(Exception):
    """The file needs the exact reader."""


def read(
    path: str, tool_id: Callable[[ToolSpec], str], progress: Callable[[float], None] | None = None
) -> FastRows | None:
    """The file's rows, or None when the exact reader must read it (it will name any error)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    if data.startswith(PARQUET_MAGIC):
        layout = "parquet"
    elif data.startswith(b"\xef\xbb\xbf"):
        return None
    else:
        layout = {b"[": "array", b"{": "newline_delimited"}.get(data.lstrip()[:1], "")
        if not layout:
            return None
    scan: dict[str, Any] = {}
    # Hashing and the byte checks run beside DuckDB's parse (hashlib and DuckDB release the GIL).
    scanner = threading.Thread(target=_scan, args=(data, layout != "parquet", scan), daemon=True)
    scanner.start()
    del data
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")  # rows come back in file order
        _step(progress, 0.05)
        table = _query(con, path, layout)
        _step(progress, 0.5)
        # The checks are Arrow kernels (no GIL): they run on a thread while this one converts the tools.
        checked: dict[str, BaseException | None] = {}
        checker = threading.Thread(target=_check_into, args=(table, layout, checked), daemon=True)
        checker.start()
        try:
            trajectories, tools, warnings = _tools_and_rows(path, table, tool_id)
        finally:
            checker.join()
        scanner.join()
        if scan.get("suspicious") or "digest" not in scan or checked.get("error", True) is not None:
            return None
        _step(progress, 1.0)
        return FastRows(digest=scan["digest"], tools=tools, trajectories=trajectories, warnings=warnings)
    except Exception:  # anything unexpected: the exact reader, which is always right, reads the file
        return None
    finally:
        scanner.join()
        con.close()


def _step(progress: Callable[[float], None] | None, frac: float) -> None:
    if progress:
        progress(frac)


def _scan(data: bytes, is_json: bool, out: dict[str, Any]) -> None:
    """The content hash, and whether the bytes hold what DuckDB would read differently from Python's json (a
    trailing comma) or text that cannot be stored (a NUL, raw or escaped, in any field; lone surrogates make
    DuckDB's parse fail)."""
    out["digest"] = hashlib.sha256(data).hexdigest()  # first: hashlib lets the parsing thread run meanwhile
    out["suspicious"] = is_json and (b"\x00" in data or b"\\u0000" in data or _has_trailing_comma(data))


def _has_trailing_comma(data: bytes, chunk: int = 1 << 20, overlap: int = 4096) -> bool:
    """``TRAILING_COMMA`` over ``data`` a megabyte at a time, so the thread waiting on DuckDB gets the GIL
    between pieces (a match needs fewer than ``overlap`` bytes of whitespace between comma and bracket).
    (The same search by RE2 in DuckDB, without the GIL, measured slower: it competes for the same two cores.)"""
    return any(TRAILING_COMMA.search(data, start, start + chunk + overlap) for start in range(0, len(data), chunk))


def _query(con: duckdb.DuckDBPyConnection, path: str, layout: str) -> pa.Table:
    """One pass over the file: every row's output columns, its tool texts, and what the checks need."""
    if layout == "parquet":
        source = _parquet_source(con, path)
    else:
        source = f"""SELECT id, query, tools, answers FROM read_json($path, format='{layout}', records=true,
                         columns={{id: 'JSON', query: 'JSON', tools: 'VARCHAR', answers: 'VARCHAR'}})"""
    tools_text = "tools_text" if layout == "parquet" else "NULL::VARCHAR AS tools_text"  # Parquet: text checks
    sql = rf"""
    WITH parsed AS (
      SELECT id, query, answers AS answers_text, tools AS tools_text,
             CASE WHEN starts_with(id::VARCHAR, '"') THEN id->>'$' ELSE id::VARCHAR END AS ref,
             from_json(tools, '["JSON"]') AS tools, from_json(answers, '{_CALLS}') AS calls
      FROM ({source})
    ), named AS (
      SELECT *, list_transform(calls, lambda c: json_extract_string(c.name, '$')) AS names FROM parsed
    )
    SELECT $fname || ':' || ref AS source_ref,
           '[{{"role": "user", "content": ' || query::VARCHAR || '}}'
           || CASE WHEN len(calls) > 0 THEN
                ', {{"role": "assistant", "tool_calls": ['
                || array_to_string(list_transform(calls, lambda c, i:
                       '{{"id": ' || to_json('call_' || ref || '_' || (i - 1)::VARCHAR)
                       || ', "type": "function", "function": {{"name": ' || c.name
                       || ', "arguments": ' || to_json(coalesce(c.arguments::VARCHAR, '{{}}')) || '}}}}'), ', ')
                || '], "content": null}}'
              ELSE '' END || ']' AS messages,
           list_filter(names, lambda x, i: list_position(names, x) = i) AS called,
           '{{"id": ' || id::VARCHAR || '}}' AS meta,
           tools,
           (id IS NULL OR query IS NULL OR tools IS NULL OR calls IS NULL
            OR NOT regexp_full_match(id::VARCHAR, '0|-?[1-9][0-9]*|".*"')
            OR NOT starts_with(query::VARCHAR, '"')) IS NOT FALSE AS bad,
           calls, answers_text, {tools_text}
    FROM named"""
    return con.sql(sql, params={"path": path, "fname": Path(path).name}).to_arrow_table()


def _parquet_source(con: duckdb.DuckDBPyConnection, path: str) -> str:
    """Parquet with plain columns (integer or string ids, string query/tools/answers), as JSON-typed rows."""
    types = {row[0]: row[1] for row in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [path]).fetchall()}
    integer = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
    if types.get("id") not in integer | {"VARCHAR"} or any(
        types.get(k) != "VARCHAR" for k in ("query", "tools", "answers")
    ):
        raise _Fallback
    return "SELECT to_json(id) AS id, to_json(query) AS query, tools, answers FROM read_parquet($path)"


def _check_into(table: pa.Table, layout: str, out: dict[str, BaseException | None]) -> None:
    try:
        _check(table, layout)
        out["error"] = None
    except (_Fallback, ValueError, pa.ArrowException) as exc:
        out["error"] = exc


def _check(table: pa.Table, layout: str) -> None:
    """Refuse (fall back on) anything the exact reader would read otherwise or refuse."""
    if not table.num_rows or pc.any(table.column("bad")).as_py():
        raise _Fallback
    _check_answers(table)
    if layout == "parquet":
        _check_parquet_text(table)


def _tools_and_rows(
    path: str, table: pa.Table, tool_id: Callable[[ToolSpec], str]
) -> tuple[pa.Table, dict[str, ToolSpec], list[str]]:
    """Each distinct tool text converted once, as the exact reader converts it; each row's tool ids."""
    column = table.column("tools")
    encoded = pc.dictionary_encode(pc.list_flatten(column))  # one dictionary for every chunk
    if not encoded.num_chunks:
        raise _Fallback
    # the distinct texts in order of first occurrence, the order the exact reader meets them
    distinct = encoded.chunks[0].dictionary
    codes = np.concatenate([c.indices.to_numpy() for c in encoded.chunks]).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(pc.fill_null(pc.list_value_length(column), 0).to_numpy())]).astype(
        np.int64
    )
    # codes are numbered in order of first occurrence, so a code first occurs where it exceeds all before it
    first = np.flatnonzero(np.concatenate([[True], codes[1:] > np.maximum.accumulate(codes)[:-1]]))
    first_row = np.searchsorted(offsets, first, side="right") - 1
    fname = Path(path).name
    refs = [r[len(fname) + 1 :] for r in table.column("source_ref").take(pa.array(first_row)).to_pylist()]

    mapper = TypeMapper("python")
    tools: dict[str, ToolSpec] = {}
    id_index: dict[str, int] = {}
    id_of_code = np.empty(len(distinct), dtype=np.int64)
    warned: set[str] = set()  # canonical JSON of the tools whose conversion warned
    for code, (text, ref) in enumerate(zip(distinct.to_pylist(), refs, strict=True)):
        raw = json.loads(text)
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise _Fallback
        before = len(mapper.warnings)
        spec = xlam.convert_tool(path, None, ref, raw, mapper, fname)
        if len(mapper.warnings) > before:
            # The exact reader converts a tool once per canonical JSON; two texts of one tool (keys in another
            # order) would otherwise warn twice. (Their specs are equal, and the first one's is kept below.)
            key = canonical_json(raw)
            if key in warned:
                del mapper.warnings[before:]
            warned.add(key)
        tid = tool_id(spec)
        tools.setdefault(tid, spec)
        id_of_code[code] = id_index.setdefault(tid, len(id_index))

    id_of_elem = id_of_code[codes]
    all_ids = pa.array(list(tools), pa.string())  # tool ids in index order (tools is ordered by first mention)
    tool_ids = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), all_ids.take(pa.array(id_of_elem)))
    tool_ids = _dedupe_rows(tool_ids, offsets, id_of_elem)
    rows = pa.table(
        {
            "source_ref": table.column("source_ref"),
            "messages": table.column("messages"),
            "tool_ids": tool_ids,
            "called": table.column("called"),
            "meta": table.column("meta"),
        }
    ).cast(_SCHEMA)
    return rows, tools, list(mapper.warnings)


def _dedupe_rows(tool_ids: pa.LargeListArray, offsets: np.ndarray, id_of_elem: np.ndarray) -> pa.Array:
    """Each row's tool ids once, in order (a row may offer one tool twice); rebuilt only when some row repeats."""
    lengths = np.diff(offsets)
    if not len(id_of_elem) or lengths.max() < 2:
        return tool_ids
    row_of_elem = np.repeat(np.arange(len(lengths)), lengths)
    for lag in range(1, int(lengths.max())):  # rows are short: compare each id with the few before it
        if np.any((id_of_elem[lag:] == id_of_elem[:-lag]) & (row_of_elem[lag:] == row_of_elem[:-lag])):
            return pa.array([list(dict.fromkeys(x)) for x in tool_ids.to_pylist()], pa.large_list(pa.string()))
    return tool_ids


def _check_answers(table: pa.Table) -> None:
    """Every answer an object with a non-empty string name and object (or no) arguments, read as Python would."""
    flat = pc.list_flatten(table.column("calls"))
    if flat.null_count:
        raise _Fallback
    names = pc.struct_field(flat, "name")
    args = pc.struct_field(flat, "arguments")
    if names.null_count or not pc.all(pc.starts_with(names, '"')).as_py() or pc.any(pc.equal(names, '""')).as_py():
        raise _Fallback
    if len(args) - args.null_count:
        given = pc.drop_null(args)
        if (
            not pc.all(pc.starts_with(given, "{")).as_py()
            or pc.any(pc.match_substring_regex(given, NON_FINITE)).as_py()
        ):
            raise _Fallback
    # DuckDB keeps the first of duplicate keys and reads "arguments": null as no arguments; Python keeps the
    # last and refuses null. Rows that may hold either are read again with Python's json.
    text = table.column("answers_text")
    count = pc.list_value_length(table.column("calls"))
    maybe = pc.or_(
        pc.or_(
            pc.greater(pc.count_substring(text, '"name"'), count),
            pc.greater(pc.count_substring(text, '"arguments"'), count),
        ),
        pc.or_(pc.match_substring(text, "null"), pc.match_substring(text, "\\u")),
    )
    for answers in pc.filter(text, maybe).to_pylist():
        if _python_reads_differently(answers):
            raise _Fallback


def _python_reads_differently(text: str) -> bool:
    repeated = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeated
        keys = [k for k, _ in items]
        if len(set(keys)) < len(keys) and ("name" in keys or "arguments" in keys):
            repeated = True
        return dict(items)

    value = json.loads(text, object_pairs_hook=pairs)
    if repeated or not isinstance(value, list):
        return True
    return any(not isinstance(a, dict) or ("arguments" in a and a["arguments"] is None) for a in value)


def _check_parquet_text(table: pa.Table) -> None:
    for name in ("tools_text", "answers_text"):
        column = table.column(name)
        if pc.any(pc.match_substring_regex(column, TRAILING_COMMA.pattern.decode())).as_py():
            raise _Fallback
    for name in ("source_ref", "messages", "meta", "tools_text", "answers_text"):
        column = table.column(name)
        if pc.any(pc.match_substring(column, "\x00")).as_py() or pc.any(pc.match_substring(column, "\\u0000")).as_py():
            raise _Fallback
