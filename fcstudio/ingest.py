"""Importing files into a workspace: read every file first, then write all of them in one transaction.

A file whose format and content hash were imported before is skipped and reported, so importing
the same file twice adds nothing. Any error leaves the workspace exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from fcstudio.formats import get_reader
from fcstudio.formats.common import called_names
from fcstudio.formats.errors import FormatError
from fcstudio.models import ImportBatch, ImportResult, ToolSpec
from fcstudio.schemas import canonical_json
from fcstudio.store import find_import, run, scalar, transaction

Progress = Callable[[float, str], None]


def tool_id(dataset: str, tool: ToolSpec) -> str:
    """Stable id: the same callable interface (name, description, parameters) in a dataset is one entry.

    ``returns`` and labels are annotations, not identity: a chat file's copy of a tool (OpenAI tools carry
    no return schema) is the catalogue's tool, not a second one.
    """
    spec = canonical_json({"name": tool.name, "description": tool.description, "parameters": tool.parameters})
    return "t" + hashlib.sha256(f"{dataset}\x00{spec}".encode()).hexdigest()[:19]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=repr)


def read_files(
    fmt: str, paths: Sequence[str | Path], progress: Progress | None = None
) -> list[tuple[str, ImportBatch, str]]:
    """Parse every file (no writes). Raises FormatError at the first bad one."""
    reader = get_reader(fmt)
    out = []
    n = max(len(paths), 1)
    for i, path in enumerate(paths):
        label = f"reading {Path(path).name}"

        def within(frac: float, i: int = i, label: str = label) -> None:
            if progress:
                progress((i + frac) / n * 0.6, label)

        within(0.0)
        try:
            batch, digest = reader(str(path), progress=within)
        except FormatError:
            raise
        except RecursionError:
            raise FormatError(str(path), "nesting is too deep to import") from None
        out.append((str(path), batch, digest))
    return out


def import_files(
    con: duckdb.DuckDBPyConnection,
    fmt: str,
    paths: Sequence[str | Path],
    *,
    dataset: str | None = None,
    progress: Progress | None = None,
) -> list[ImportResult]:
    """Import ``paths`` as ``fmt`` into dataset ``dataset`` (default: the format's name), atomically."""
    if not paths:
        raise ValueError("no files given")
    dataset = dataset or fmt
    parsed = read_files(fmt, paths, progress)
    results: list[ImportResult] = []
    with transaction(con):
        for i, (path, batch, digest) in enumerate(parsed):
            if progress:
                progress(0.6 + i / len(parsed) * 0.4, f"writing {Path(path).name}")
            previous = find_import(con, fmt, digest)
            already = next((r for r in results if r.content_hash == digest and not r.skipped), None)
            if previous or already:
                where = (
                    f"import #{previous['id']} into dataset {previous['dataset']!r}"
                    if previous
                    else "earlier in this run"
                )
                results.append(
                    ImportResult(
                        path=path,
                        format=fmt,
                        dataset=dataset,
                        content_hash=digest,
                        skipped=True,
                        message=f"already imported ({where}); nothing added",
                    )
                )
                continue
            results.append(_write_batch(con, fmt, dataset, path, digest, batch))
    if progress:
        progress(1.0, "done")
    return results


def _write_batch(
    con: duckdb.DuckDBPyConnection, fmt: str, dataset: str, path: str, digest: str, batch: ImportBatch
) -> ImportResult:
    run(con, "INSERT INTO datasets (name, format) VALUES (?, ?) ON CONFLICT DO NOTHING", [dataset, fmt])
    import_id = int(scalar(con, "SELECT nextval('import_seq')"))

    # Every tool the batch mentions (catalogue entries and tools offered), once per id.
    tools: dict[str, ToolSpec] = {}
    ids_by_obj: dict[int, str] = {}

    def tid(tool: ToolSpec) -> str:
        key = id(tool)
        if key not in ids_by_obj:
            ids_by_obj[key] = tool_id(dataset, tool)
            tools.setdefault(ids_by_obj[key], tool)
        return ids_by_obj[key]

    for tool in batch.tools:
        tid(tool)
    traj_cols: dict[str, list[Any]] = {k: [] for k in ("source_ref", "messages", "tool_ids", "called", "meta")}
    for t in batch.trajectories:
        traj_cols["source_ref"].append(t.source_ref)
        traj_cols["messages"].append(_dumps([m.openai() for m in t.messages]))
        traj_cols["tool_ids"].append(list(dict.fromkeys(tid(x) for x in t.tools)))
        traj_cols["called"].append(called_names(t.messages))
        traj_cols["meta"].append(_dumps(t.meta))
    task_cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "source_ref",
            "benchmark",
            "category",
            "domain",
            "instruction",
            "turns",
            "tool_ids",
            "called",
            "gold",
            "outputs",
            "meta",
        )
    }
    for k in batch.tasks:
        task_cols["source_ref"].append(k.source_ref)
        task_cols["benchmark"].append(k.benchmark)
        task_cols["category"].append(k.category)
        task_cols["domain"].append(k.domain)
        task_cols["instruction"].append(k.instruction)
        task_cols["turns"].append(_dumps([[m.openai() for m in turn] for turn in k.turns]))
        task_cols["tool_ids"].append(list(dict.fromkeys(tid(x) for x in k.tools)))
        task_cols["called"].append(list(dict.fromkeys(g.name for g in k.gold)))
        task_cols["gold"].append(_dumps([g.model_dump(exclude_none=True) for g in k.gold]))
        task_cols["outputs"].append(_dumps(k.outputs))
        task_cols["meta"].append(_dumps(k.meta))

    tools_before = int(scalar(con, "SELECT count(*) FROM tools"))
    if tools:
        items = list(tools.items())
        tool_table = pa.table(
            {
                "id": [i for i, _ in items],
                "name": [t.name for _, t in items],
                "description": [t.description for _, t in items],
                "parameters": [_dumps(t.parameters) for _, t in items],
                "returns": [None if t.returns is None else _dumps(t.returns) for _, t in items],
                "labels": [t.labels for _, t in items],
                "source_ref": [t.source_ref for _, t in items],
            },
            schema=pa.schema(
                [
                    ("id", pa.string()),
                    ("name", pa.string()),
                    ("description", pa.string()),
                    ("parameters", pa.string()),
                    ("returns", pa.string()),
                    ("labels", pa.list_(pa.string())),
                    ("source_ref", pa.string()),
                ]
            ),
        )
        con.register("_import_tools", tool_table)
        run(
            con,
            """INSERT INTO tools (id, dataset, import_id, name, description, parameters, returns, labels, source_ref, version)
               SELECT id, ?, ?, name, description, parameters, returns, labels, source_ref, 1 FROM _import_tools
               WHERE id NOT IN (SELECT id FROM tools)""",
            [dataset, import_id],
        )
        con.unregister("_import_tools")
    tools_added = int(scalar(con, "SELECT count(*) FROM tools")) - tools_before

    if batch.trajectories:
        con.register("_import_traj", pa.table(traj_cols, schema=_schema(traj_cols)))
        run(
            con,
            """INSERT INTO trajectories (id, dataset, import_id, source_ref, messages, tool_ids, called, meta)
               SELECT nextval('trajectory_seq'), ?, ?, source_ref, messages, tool_ids, called, meta FROM _import_traj""",
            [dataset, import_id],
        )
        con.unregister("_import_traj")
    if batch.tasks:
        con.register("_import_tasks", pa.table(task_cols, schema=_schema(task_cols)))
        run(
            con,
            """INSERT INTO tasks (id, dataset, import_id, source_ref, benchmark, category, domain, instruction, turns,
                                  tool_ids, called, gold, outputs, meta)
               SELECT nextval('task_seq'), ?, ?, source_ref, benchmark, category, domain, instruction, turns,
                      tool_ids, called, gold, outputs, meta FROM _import_tasks""",
            [dataset, import_id],
        )
        con.unregister("_import_tasks")
    run(
        con,
        """INSERT INTO imports (id, dataset, format, path, content_hash, tools, trajectories, tasks, row_count, warnings)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            import_id,
            dataset,
            fmt,
            str(Path(path).resolve()),
            digest,
            tools_added,
            len(batch.trajectories),
            len(batch.tasks),
            batch.rows,
            _dumps(batch.warnings),
        ],
    )
    return ImportResult(
        path=path,
        format=fmt,
        dataset=dataset,
        content_hash=digest,
        import_id=import_id,
        message=f"added {tools_added} tools, {len(batch.trajectories)} trajectories, {len(batch.tasks)} tasks",
        tools_added=tools_added,
        trajectories_added=len(batch.trajectories),
        tasks_added=len(batch.tasks),
        warnings=batch.warnings,
    )


def _schema(cols: dict[str, list[Any]]) -> pa.Schema:
    list_cols = {"tool_ids", "called"}
    return pa.schema([(k, pa.list_(pa.string()) if k in list_cols else pa.string()) for k in cols])
