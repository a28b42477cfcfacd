"""Sampling FSPs into the workspace, and reading/saving them with version history."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import duckdb

from fcstudio.graph import load_graph
from fcstudio.paths import FSP, insert, long_context, merge, random_walk_path, split
from fcstudio.store import check_version, rows, run, scalar, transaction

OPS = ("merge", "insert", "split", "long_context")


def required_params(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
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
        "INSERT INTO fsp_paths (id, fsp, version, parent_id, seed, ops, n_turns, n_calls) VALUES (?, ?, 1, ?, ?, ?, ?, ?)",
        [path_id, text, parent, seed, ops, len(fsp.turns), n_calls],
    )
    run(con, "INSERT INTO fsp_versions (path_id, version, fsp, note) VALUES (?, 1, ?, 'sampled')", [path_id, text])
    return path_id


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
    progress: Callable[[float, str], None] | None = None,
) -> list[int]:
    """Sample ``n`` paths from the stored graph, apply ``ops``, save them (split copies as children)."""
    unknown = [o for o in ops if o not in OPS]
    if unknown:
        raise ValueError(f"unknown operation(s) {', '.join(unknown)}; known: {', '.join(OPS)}")
    g = load_graph(con)
    if g.number_of_nodes() == 0:
        raise ValueError("the workspace has no tool graph yet: run `fcstudio graph build` first")
    required = required_params(con)
    all_tools = sorted(g.nodes)
    ids: list[int] = []
    with transaction(con):
        for i in range(n):
            rng = random.Random(seed * 1_000_003 + i)
            fsp = random_walk_path(g, required, steps=steps, rng=rng, start=start, label=label)
            if "insert" in ops:
                fsp = insert(fsp, g, required, rng, nested=rng.random() < 0.5)
            if "merge" in ops:
                fsp = merge(fsp, rng, p=merge_p)
            if "long_context" in ops:
                fsp = long_context(fsp, all_tools, rng, n=distractors)
            parent = save_path(con, fsp, seed=seed * 1_000_003 + i)
            ids.append(parent)
            if "split" in ops:
                ids.append(
                    save_path(
                        con,
                        split(fsp, rng, kind=rng.choice(["miss_param", "miss_func"])),
                        seed=seed * 1_000_003 + i,
                        parent=parent,
                    )
                )
            if progress:
                progress((i + 1) / n, f"sampled {i + 1} of {n}")
    return ids


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
            "UPDATE fsp_paths SET fsp = ?, version = ?, ops = ?, n_turns = ?, n_calls = ?, updated_at = now() WHERE id = ?",
            [text, version + 1, [p["op"] for p in fsp.provenance], len(fsp.turns), len(fsp.calls()), path_id],
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
