"""Sampling FSPs into the workspace, and reading/saving them with version history.

Every stored path carries its ``canonical`` key (``fsp.canonical_key``, indexed; migration 11 filled it in for
paths stored before): sampling skips a path, or a split copy, whose key is already stored or already drawn in
the same run, and reports how many it skipped, so one seed run twice or two walks that meet add nothing twice.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb

from fcstudio.paths.fsp import FSP, canonical_key
from fcstudio.paths.index import WalkIndex, load_walk_index
from fcstudio.paths.operations import insert, long_context, merge, split
from fcstudio.paths.sampling import random_walk_path
from fcstudio.store import check_version, rows, run, scalar, transaction

OPS = ("merge", "insert", "split", "long_context")
SAVE_BATCH = 1000  # paths stored per INSERT by sample_paths


def required_params(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Every tool's required parameters (decodes every tool's schema; a ``WalkIndex`` has them for the graph's)."""
    return {
        tool_id: list(json.loads(params).get("required") or [])
        for tool_id, params in run(con, "SELECT id, parameters FROM tools")
    }


def save_path(con: duckdb.DuckDBPyConnection, fsp: FSP, *, seed: int | None, parent: int | None = None) -> int:
    path_id = int(scalar(con, "SELECT nextval('fsp_seq')"))
    ops = [p["op"] for p in fsp.provenance]
    n_calls = len(fsp.calls())
    text = fsp.model_dump_json()
    run(
        con,
        """INSERT INTO fsp_paths (id, fsp, version, parent_id, seed, ops, n_turns, n_calls, canonical)
           VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?)""",
        [path_id, text, parent, seed, ops, len(fsp.turns), n_calls, canonical_key(fsp)],
    )
    run(con, "INSERT INTO fsp_versions (path_id, version, fsp, note) VALUES (?, 1, ?, 'sampled')", [path_id, text])
    return path_id


# one new path for save_paths: (path, seed, position in the batch of its parent, or the id of a stored parent)
NewPath = tuple[FSP, int | None, int | None, int | None]


def save_paths(con: duckdb.DuckDBPyConnection, batch: list[NewPath]) -> list[int]:
    """Store many new paths at once: (path, seed, parent's position in ``batch``, stored parent's id) each.

    Ids are taken from ``fsp_seq`` in the batch's order, and both tables are written by one INSERT each
    (``save_path`` costs four statements per path, most of a sampled path's time).
    """
    if not batch:
        return []
    import pyarrow as pa

    ids = sorted(int(i) for (i,) in run(con, "SELECT nextval('fsp_seq') FROM range(?)", [len(batch)]))
    texts = [fsp.model_dump_json() for fsp, _, _, _ in batch]
    parents = [ids[p] if p is not None else stored for _, _, p, stored in batch]
    paths = pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "fsp": texts,
            "parent_id": pa.array(parents, pa.int64()),
            "seed": pa.array([seed for _, seed, _, _ in batch], pa.int64()),
            "ops": [[r["op"] for r in fsp.provenance] for fsp, _, _, _ in batch],
            "n_turns": [len(fsp.turns) for fsp, _, _, _ in batch],
            "n_calls": [len(fsp.calls()) for fsp, _, _, _ in batch],
            "canonical": [canonical_key(fsp) for fsp, _, _, _ in batch],
        }
    )
    con.register("_new_paths", paths)
    try:
        run(
            con,
            """INSERT INTO fsp_paths (id, fsp, version, parent_id, seed, ops, n_turns, n_calls, canonical)
               SELECT id, fsp, 1, parent_id, seed, ops, n_turns, n_calls, canonical FROM _new_paths ORDER BY id""",
        )
        run(
            con,
            "INSERT INTO fsp_versions (path_id, version, fsp, note) SELECT id, 1, fsp, 'sampled' FROM _new_paths ORDER BY id",
        )
    finally:
        con.unregister("_new_paths")
    return ids


def check_ops(ops: list[str]) -> None:
    unknown = [o for o in ops if o not in OPS]
    if unknown:
        raise ValueError(f"unknown operation(s) {', '.join(unknown)}; known: {', '.join(OPS)}")


def sample_fsps(
    index: WalkIndex,
    *,
    n: int,
    steps: int,
    ops: list[str],
    merge_p: float = 0.3,
    seed: int = 0,
    start: str | None = None,
    label: str | None = None,
    distractors: int = 50,
) -> Iterator[tuple[int, FSP, FSP | None]]:
    """The sampling itself, nothing stored: (seed, path, its split copy or None) for each of ``n`` paths.

    Path ``i`` uses its own ``random.Random(seed * 1_000_003 + i)``, so a path depends only on the graph,
    the options and its number.
    """
    check_ops(ops)
    for i in range(n):
        path_seed = seed * 1_000_003 + i
        rng = random.Random(path_seed)
        fsp = random_walk_path(index, steps=steps, rng=rng, start=start, label=label)
        if "insert" in ops:
            fsp = insert(fsp, index, rng, nested=rng.random() < 0.5)
        if "merge" in ops:
            fsp = merge(fsp, rng, p=merge_p)
        if "long_context" in ops:
            fsp = long_context(fsp, index, rng, n=distractors)
        copy_ = split(fsp, rng, kind=rng.choice(["miss_param", "miss_func"])) if "split" in ops else None
        yield path_seed, fsp, copy_


def _chunks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk


@dataclass
class Sampled:
    """What one sampling run stored: the new paths' ids (split copies after their parent), and how many drawn
    paths it skipped because their canonical form was already stored or drawn earlier in the run."""

    ids: list[int] = field(default_factory=list)
    duplicates: int = 0
    split_copies: int = 0  # of ``ids``: the split operation's copies (a path asked for can store two)


def stored_keys(con: duckdb.DuckDBPyConnection, keys: list[str]) -> dict[str, int]:
    """canonical key -> the first stored path with it, for the keys among ``keys`` that are stored."""
    if not keys:
        return {}
    import pyarrow as pa

    con.register("_keys", pa.table({"canonical": pa.array(sorted(set(keys)), pa.string())}))
    try:
        found = run(con, "SELECT canonical, min(id) FROM fsp_paths SEMI JOIN _keys USING (canonical) GROUP BY ALL")
    finally:
        con.unregister("_keys")
    return {key: int(path_id) for key, path_id in found}


def sample_paths(
    con: duckdb.DuckDBPyConnection,
    *,
    n: int,
    steps: int,
    ops: list[str],
    merge_p: float = 0.3,
    seed: int = 0,
    start: str | None = None,
    label: str | None = None,
    distractors: int = 50,
    progress: Callable[[float, str], object] | None = None,
    index: WalkIndex | None = None,
) -> Sampled:
    """Sample ``n`` paths from the stored graph, apply ``ops``, save the new ones (split copies as children).

    A drawn path whose canonical form is stored already (or was drawn earlier in this run) is skipped and
    counted; its split copy is still stored when it is new, as a child of the stored path. ``index`` is the
    graph's ``WalkIndex`` when the caller keeps one (the app caches it); otherwise it is read once for this call.
    """
    check_ops(ops)
    if index is None:
        index = load_walk_index(con)
    if not index.nodes:
        raise ValueError("the workspace has no tool graph yet: run `fcstudio graph build` first")
    drawn = sample_fsps(
        index,
        n=n,
        steps=steps,
        ops=ops,
        merge_p=merge_p,
        seed=seed,
        start=start,
        label=label,
        distractors=distractors,
    )
    out = Sampled()
    count = itertools.count(1)

    def keyed() -> Iterator[tuple[int, FSP, str, FSP | None, str | None]]:
        for path_seed, fsp, copy_ in drawn:
            yield path_seed, fsp, canonical_key(fsp), copy_, None if copy_ is None else canonical_key(copy_)
            if progress:
                done = next(count)
                progress(done / n, f"sampled {done} of {n}")

    with transaction(con):  # all or nothing; written in batches so memory stays flat at any n
        for chunk in _chunks(keyed(), max(1, SAVE_BATCH // 2)):
            known = stored_keys(con, [k for _, _, key, _, copy_key in chunk for k in (key, copy_key) if k])
            batch: list[NewPath] = []
            at: dict[str, int] = {}  # key -> position in this batch
            for path_seed, fsp, key, copy_, copy_key in chunk:
                parent: tuple[int | None, int | None]  # (position in the batch, stored id)
                if key in known or key in at:
                    out.duplicates += 1
                    parent = (at.get(key), known.get(key))
                else:
                    at[key] = len(batch)
                    parent = (len(batch), None)
                    batch.append((fsp, path_seed, None, None))
                if copy_ is None or copy_key is None:
                    continue
                if copy_key in known or copy_key in at:
                    out.duplicates += 1
                else:
                    at[copy_key] = len(batch)
                    batch.append((copy_, path_seed, *parent))
                    out.split_copies += 1
            out.ids += save_paths(con, batch)
    return out


def get_path(con: duckdb.DuckDBPyConnection, path_id: int) -> dict[str, Any] | None:
    found = rows(
        con, "SELECT id, fsp, version, parent_id, seed, ops, n_turns, n_calls FROM fsp_paths WHERE id = ?", [path_id]
    )
    if not found:
        return None
    found[0]["fsp"] = FSP.model_validate_json(found[0]["fsp"])
    return found[0]


def list_paths(con: duckdb.DuckDBPyConnection, *, limit: int = 25, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    total = int(scalar(con, "SELECT count(*) FROM fsp_paths"))
    page = rows(
        con,
        "SELECT id, version, parent_id, ops, n_turns, n_calls, seed FROM fsp_paths ORDER BY id LIMIT ? OFFSET ?",
        [limit, offset],
    )
    return page, total


def save_edit(con: duckdb.DuckDBPyConnection, path_id: int, fsp: FSP, version: int, note: str = "") -> int:
    """Save an edited path if nobody saved since ``version``; keeps every version."""
    with transaction(con):
        check_version(con, "fsp_paths", path_id, version, f"path {path_id}")
        text = fsp.model_dump_json()
        run(
            con,
            """UPDATE fsp_paths SET fsp = ?, version = ?, ops = ?, n_turns = ?, n_calls = ?, canonical = ?,
               updated_at = now() WHERE id = ?""",
            [
                text,
                version + 1,
                [p["op"] for p in fsp.provenance],
                len(fsp.turns),
                len(fsp.calls()),
                canonical_key(fsp),
                path_id,
            ],
        )
        run(
            con,
            "INSERT INTO fsp_versions (path_id, version, fsp, note) VALUES (?, ?, ?, ?)",
            [path_id, version + 1, text, note],
        )
    return version + 1


def path_history(con: duckdb.DuckDBPyConnection, path_id: int) -> list[dict[str, Any]]:
    """Saved versions of a path, newest first."""
    return rows(
        con, "SELECT version, note, saved_at FROM fsp_versions WHERE path_id = ? ORDER BY version DESC", [path_id]
    )


def backfill_canonical(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 12's data step: the canonical key of every stored path (NULL for one whose JSON no longer
    parses: it matches nothing, and synthesis reports it as a failed item as before)."""
    import pyarrow as pa

    keys: dict[int, str | None] = {}
    for path_id, text in run(con, "SELECT id, fsp FROM fsp_paths"):
        try:
            keys[int(path_id)] = canonical_key(FSP.model_validate_json(text))
        except ValueError:
            keys[int(path_id)] = None
    if not keys:
        return
    con.register("_canonical", pa.table({"id": pa.array(list(keys), pa.int64()), "canonical": list(keys.values())}))
    try:
        run(con, "UPDATE fsp_paths SET canonical = c.canonical FROM _canonical c WHERE fsp_paths.id = c.id")
    finally:
        con.unregister("_canonical")
