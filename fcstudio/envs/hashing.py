"""tau2's database hash without re-encoding the whole database after every task.

tau2 hashes ``json.dumps(db, sort_keys=True)`` (default separators) with sha256. Encoding an airline
database takes ~50 ms, and gold replay did it once per task. With copy-on-write states (``Environment``),
a record that was not written in an episode *is* the loaded record, so its text is already known.

``HashBase`` encodes an initial state once, record by record, into exactly the text ``json.dumps`` gives
(the encoder writes a nested value the same way as that value alone), remembering where each record's
``"key": {...}`` entry lies in it. The hash of a later state is that text with edits: records that are
not the very object of the initial state (written, inserted) are encoded afresh on every call (so a
record changed after an earlier hash is never stale), removed keys are cut out, and everything else is
byte ranges of the initial text. sha256 is sequential, so hashing resumes from a saved digest state at
the last 32 KiB boundary before the first edit; the rest is fed from the initial bytes without copying.

What is trusted: records shared with the initial state are not changed in place (the copy-on-write rule
every tool follows: ``record_for_write`` before a change). The tables' own dicts may change freely.
A state whose tables differ from the initial state's, or with non-string keys, is hashed in full.
"""

from __future__ import annotations

import hashlib
import json
import threading
from bisect import bisect_left
from itertools import compress
from operator import is_, is_not
from typing import Any

_ENCODE = json.JSONEncoder(sort_keys=True, default=str).encode  # what json.dumps(..., sort_keys=True, default=str) uses
_CHUNK = 32 * 1024
_MISSING = object()
_MAX_BASES = 8

State = dict[str, dict[str, Any]]


def full_state_hash(state: State) -> str:
    """sha256 of the key-sorted JSON of the whole state: tau2's DB hash, computed from scratch."""
    return hashlib.sha256(_ENCODE(state).encode()).hexdigest()  # == base.state_hash (json.dumps)


class _Table:
    __slots__ = ("body", "ends", "index", "keys", "starts")

    def __init__(self) -> None:
        self.keys: list[str] = []  # sorted, as json.dumps orders them
        self.index: dict[str, int] = {}
        self.starts: list[int] = []  # byte offset of each record's '"key": ' entry
        self.ends: list[int] = []  # byte offset just past its record
        self.body = (0, 0)  # the table's '{...}' in the initial text


class _Pieces:
    """The new text as byte ranges of the initial text and literal bytes; adjacent ranges merge."""

    def __init__(self, text: bytes):
        self.text = text
        self.items: list[list[int] | bytes] = [[0, 0]]

    def span(self, start: int, end: int) -> None:
        last = self.items[-1]
        if isinstance(last, list) and last[1] == start:
            last[1] = end
        elif start < end:
            self.items.append([start, end])

    def literal(self, data: bytes) -> None:
        last = self.items[-1]
        if isinstance(last, list) and self.text[last[1] : last[1] + len(data)] == data:
            last[1] += len(data)  # the same bytes as the initial text here: keep it one range
        else:
            self.items.append(data)


def _changed_keys(records: dict[str, Any], snap: dict[str, Any]) -> list[str]:
    """Keys whose record is not the initial state's object (written or inserted ones)."""
    if len(records) == len(snap) and all(map(is_, records, snap)):  # same keys in the same order: compare in C
        return list(compress(records, map(is_not, records.values(), snap.values())))
    return [k for k, v in records.items() if snap.get(k, _MISSING) is not v]


class HashBase:
    """The canonical text of one initial state and where each record's entry lies in it."""

    def __init__(self, initial: State):
        self.source = initial
        self.snapshot: State = {t: dict(records) for t, records in initial.items()}
        self.names = sorted(initial)
        self.supported = all(type(t) is str for t in initial) and all(
            type(records) is dict and all(type(k) is str for k in records) for records in initial.values()
        )
        self.tables: dict[str, _Table] = {}
        self.heads: list[tuple[int, int]] = []  # '{"t": ' / ', "t": ' before each table's body
        if not self.supported:
            self.text = b""
            self.hexdigest = ""
            self.checkpoints: list[Any] = []
            return
        parts: list[bytes] = []
        pos = 0

        def put(data: bytes) -> None:
            nonlocal pos
            parts.append(data)
            pos += len(data)

        put(b"{")
        for j, name in enumerate(self.names):
            head_start = pos
            put((b", " if j else b"") + _ENCODE(name).encode() + b": ")
            self.heads.append((head_start, pos))
            table = _Table()
            records = self.snapshot[name]
            table.keys = sorted(records)
            table.index = {k: i for i, k in enumerate(table.keys)}
            body_start = pos
            put(b"{")
            for i, key in enumerate(table.keys):
                if i:
                    put(b", ")
                table.starts.append(pos)
                put(_ENCODE(key).encode() + b": " + _ENCODE(records[key]).encode())
                table.ends.append(pos)
            put(b"}")
            table.body = (body_start, pos)
            self.tables[name] = table
        put(b"}")
        self.text = b"".join(parts)
        view = memoryview(self.text)
        digest = hashlib.sha256()
        self.checkpoints = []  # checkpoints[i]: the digest state after the first i * _CHUNK bytes
        for offset in range(0, len(self.text) + 1, _CHUNK):
            self.checkpoints.append(digest.copy())
            digest.update(view[offset : offset + _CHUNK])
        self.hexdigest = digest.hexdigest()

    def hash(self, state: State) -> str:
        """The hash of ``state`` (a copy-on-write descendant of the initial state); equal to ``full_state_hash``."""
        pieces = self._pieces(state)
        if pieces is None:
            return full_state_hash(state)
        items = pieces.items
        first = items[0]
        assert isinstance(first, list)
        if len(items) == 1 and first[1] == len(self.text):
            return self.hexdigest
        view = memoryview(self.text)
        chunk = first[1] // _CHUNK
        digest = self.checkpoints[chunk].copy()
        digest.update(view[chunk * _CHUNK : first[1]])
        for item in items[1:]:
            digest.update(view[item[0] : item[1]] if isinstance(item, list) else item)
        return digest.hexdigest()

    def _pieces(self, state: State) -> _Pieces | None:
        if not self.supported or state.keys() != self.snapshot.keys():
            return None
        pieces = _Pieces(self.text)
        pieces.span(0, 1)
        for j, name in enumerate(self.names):
            records = state[name]
            if type(records) is not dict:
                return None
            snap = self.snapshot[name]
            pieces.span(*self.heads[j])
            changed = _changed_keys(records, snap)
            if not changed and len(records) == len(snap):
                pieces.span(*self.tables[name].body)
            elif not self._table(pieces, self.tables[name], snap, records, changed):
                return None
        pieces.span(len(self.text) - 1, len(self.text))
        return pieces

    def _table(
        self, pieces: _Pieces, table: _Table, snap: dict[str, Any], records: dict[str, Any], changed: list[str]
    ) -> bool:
        """Emit one table's body: runs of unchanged entries as ranges, written/inserted records encoded."""
        index = table.index
        inserted = [k for k in changed if k not in index]
        if any(type(k) is not str for k in inserted):
            return False
        replaced = {index[k] for k in changed if k in index}
        removed = set()
        if len(records) - len(inserted) != len(snap):
            removed = {index[k] for k in snap if k not in records}
        before: dict[int, list[str]] = {}
        for key in sorted(inserted):
            before.setdefault(bisect_left(table.keys, key), []).append(key)
        pieces.span(table.body[0], table.body[0] + 1)
        first = True

        def entry(key: str) -> None:
            nonlocal first
            if not first:
                pieces.literal(b", ")
            first = False
            pieces.literal(_ENCODE(key).encode() + b": ")
            pieces.literal(_ENCODE(records[key]).encode())

        def run(i: int, j: int) -> None:  # unchanged entries i..j-1, contiguous in the initial text
            nonlocal first
            if i < j:
                if not first:
                    pieces.literal(b", ")
                first = False
                pieces.span(table.starts[i], table.ends[j - 1])

        cursor = 0
        for position in sorted(replaced | removed | set(before)):
            run(cursor, position)
            for key in before.get(position, ()):
                entry(key)
            if position in replaced:
                entry(table.keys[position])
                cursor = position + 1
            elif position in removed:
                cursor = position + 1
            else:
                cursor = position
        run(cursor, len(table.keys))
        pieces.literal(b"}")
        return True


_bases: dict[int, HashBase] = {}
_lock = threading.Lock()


def hash_base(initial: State) -> HashBase:
    """The (shared) HashBase of an initial state, built on first use; a few are kept, the oldest dropped."""
    with _lock:
        base = _bases.get(id(initial))
        if base is not None and base.source is initial:
            return base
    base = HashBase(initial)
    with _lock:
        _bases[id(initial)] = base
        while len(_bases) > _MAX_BASES:
            del _bases[next(iter(_bases))]
    return base


def state_hash_from(initial: State, state: State) -> str:
    """tau2's hash of ``state``, reusing the encoded ``initial`` state it was copied from."""
    return hash_base(initial).hash(state)
