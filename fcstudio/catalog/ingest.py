"""Importing files into a workspace, recorded as an ``import`` job.

Two ways to import several files:

- ``import_each`` (the CLI's and the Catalog page's default): every file is its own unit, read and written in
  its own transaction. A bad file is recorded in ``job_failures`` with its error (``PATH:LINE: reason``) and
  the others are imported; the job ends ``done`` when no file failed, else ``partial``.
- ``import_files`` (``import --atomic``): all or nothing, one transaction; the first error aborts and the
  workspace is left exactly as it was.

A single file behaves the same either way: it imports, or fails with a FormatError leaving the workspace
unchanged (its job row is written in the file's own transaction, so a failure leaves no trace either).

A file whose format and content hash were imported before is skipped and reported, so importing the same
file twice adds nothing. xLAM files go through a DuckDB fast path (``formats.xlam_fast``) that builds the
same rows in SQL; anything unusual in the file sends it back to the exact Python reader, whose errors name
the place.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from pydantic import BaseModel, Field

from fcstudio import jobs
from fcstudio.catalog.formats import get_reader, xlam_fast
from fcstudio.catalog.formats import text as bad_text
from fcstudio.catalog.formats.common import called_names
from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.schemas import canonical_json
from fcstudio.models import ImportBatch, ImportResult, ToolSpec
from fcstudio.store import find_import, run, scalar, transaction

Progress = Callable[[float, str], object]  # whatever it returns is ignored (a page's lambda returns its progress bar)


class ImportFailure(BaseModel):
    """A file of an import job that could not be imported, and why (``PATH:LINE (record ID): reason``)."""

    path: str
    label: str
    error: str


class ImportRun(BaseModel):
    """The outcome of ``import_each``: what each file added (or why it was skipped), and which files failed."""

    job_id: int | None
    status: str
    total: int
    results: list[ImportResult] = Field(default_factory=list)
    failures: list[ImportFailure] = Field(default_factory=list)

    @property
    def imported(self) -> int:
        return sum(1 for r in self.results if not r.skipped)

    @property
    def skipped(self) -> int:
        return sum(1 for r in self.results if r.skipped)

    def summary(self) -> str:
        """``imported 1,599 of 1,600 files; 1 failed (job 7): PATH:LINE: reason``."""
        text = f"imported {self.imported:,} of {self.total:,} file{'s' if self.total != 1 else ''}"
        if self.skipped:
            text += f" ({self.skipped:,} imported before, skipped)"
        if self.failures:
            job = f" (job {self.job_id})" if self.job_id is not None else ""
            text += f"; {len(self.failures):,} failed{job}: {self.failures[0].error}"
            if len(self.failures) > 1:
                text += f" (and {len(self.failures) - 1:,} more)"
        return text


def tool_id(dataset: str, tool: ToolSpec) -> str:
    """Stable id: the same callable interface (name, description, parameters) in a dataset is one entry.

    ``returns`` and labels are annotations, not identity: a chat file's copy of a tool (OpenAI tools carry
    no return schema) is the catalogue's tool, not a second one.
    """
    spec = canonical_json({"name": tool.name, "description": tool.description, "parameters": tool.parameters})
    return "t" + hashlib.sha256(f"{dataset}\x00{spec}".encode()).hexdigest()[:19]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=repr)


@dataclass
class _Rows:
    """What one file adds, as rows ready to insert: built from an ImportBatch, or by a fast path in DuckDB."""

    digest: str
    tools: dict[str, ToolSpec]  # id -> tool, in order of first mention
    trajectories: pa.Table | None = None
    tasks: pa.Table | None = None
    n_trajectories: int = 0
    n_tasks: int = 0
    rows: int = 0
    warnings: list[str] = field(default_factory=list)


# -- reading -------------------------------------------------------------------------------------------------
def _read(fmt: str, dataset: str, path: str, progress: Callable[[float], None] | None, *, fast: bool = True) -> _Rows:
    """Parse one file into rows (no writes). Raises FormatError naming the place.

    ``fast=False`` skips the DuckDB fast path (the tests compare both ways of reading a file).
    """
    if fmt == "xlam" and fast:
        quick = xlam_fast.read(path, lambda tool: tool_id(dataset, tool), progress)
        if quick is not None:
            return _Rows(
                digest=quick.digest,
                tools=quick.tools,
                trajectories=quick.trajectories,
                n_trajectories=quick.trajectories.num_rows,
                rows=quick.trajectories.num_rows,
                warnings=quick.warnings,
            )
    try:
        batch, digest = get_reader(fmt)(path, progress=progress)
    except RecursionError:
        raise FormatError(path, "nesting is too deep to import") from None
    return _rows_of(path, dataset, batch, digest)


def read_files(
    fmt: str, paths: Sequence[str | Path], progress: Progress | None = None
) -> list[tuple[str, ImportBatch, str]]:
    """Parse every file with the exact reader (no writes). Raises FormatError at the first bad one."""
    reader = get_reader(fmt)
    out = []
    for i, path in enumerate(paths):
        try:
            batch, digest = reader(str(path), progress=_within(progress, i, len(paths), 0.0, 1.0, path))
        except RecursionError:
            raise FormatError(str(path), "nesting is too deep to import") from None
        out.append((str(path), batch, digest))
    return out


def _within(
    progress: Progress | None, i: int, n: int, lo: float, hi: float, path: str | Path
) -> Callable[[float], None] | None:
    """Progress inside file ``i`` of ``n``, mapped onto [lo, hi] of the whole."""
    if progress is None:
        return None
    label = f"reading {Path(path).name}"

    def report(frac: float) -> None:
        progress(lo + (i + frac) / max(n, 1) * (hi - lo), label)

    report(0.0)
    return report


def _rows_of(path: str, dataset: str, batch: ImportBatch, digest: str) -> _Rows:
    """An ImportBatch as rows; text no reader refused but Arrow cannot encode still names its record."""
    try:
        return _build_rows(dataset, batch, digest)
    except UnicodeEncodeError:
        raise _unstorable(path, batch) from None


def _build_rows(dataset: str, batch: ImportBatch, digest: str) -> _Rows:
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
    return _Rows(
        digest=digest,
        tools=tools,
        trajectories=pa.table(traj_cols, schema=_schema(traj_cols)) if batch.trajectories else None,
        tasks=pa.table(task_cols, schema=_schema(task_cols)) if batch.tasks else None,
        n_trajectories=len(batch.trajectories),
        n_tasks=len(batch.tasks),
        rows=batch.rows,
        warnings=list(batch.warnings),
    )


def _unstorable(path: str, batch: ImportBatch) -> FormatError:
    """The record holding text Arrow cannot encode (a backstop: the readers refuse such text first)."""
    items: list[tuple[str | None, Any]] = [(t.source_ref, t.model_dump()) for t in batch.tools]
    items += [(t.source_ref, t.model_dump()) for t in batch.trajectories]
    items += [(t.source_ref, t.model_dump()) for t in batch.tasks]
    for ref, value in items:
        found = bad_text.find_bad(value)
        if found:
            return FormatError(path, found.reason(), record=ref)
    return FormatError(path, "holds text that cannot be encoded as UTF-8")


def _as_json(table: pa.Table, columns: Sequence[str]) -> pa.Table:
    """``columns`` typed as Arrow's JSON extension, which DuckDB takes as JSON without parsing it again: the text
    was written by ``json.dumps`` or assembled in SQL from JSON DuckDB itself serialised, so it is valid."""
    for name in columns:
        i = table.schema.get_field_index(name)
        storage = table.column(i).cast(pa.string())
        chunks = [pa.ExtensionArray.from_storage(pa.json_(pa.string()), c) for c in storage.chunks]
        table = table.set_column(
            i, pa.field(name, pa.json_(pa.string())), pa.chunked_array(chunks, pa.json_(pa.string()))
        )
    return table


def _schema(cols: dict[str, list[Any]]) -> pa.Schema:
    list_cols = {"tool_ids", "called"}
    return pa.schema([(k, pa.list_(pa.string()) if k in list_cols else pa.string()) for k in cols])


# -- writing -------------------------------------------------------------------------------------------------
def _write_file(
    con: duckdb.DuckDBPyConnection, fmt: str, dataset: str, path: str, rows: _Rows, earlier: list[ImportResult]
) -> ImportResult:
    """Write one file's rows (in the caller's transaction), or report it as imported before."""
    previous = find_import(con, fmt, rows.digest)
    already = next((r for r in earlier if r.content_hash == rows.digest and not r.skipped), None)
    if previous or already:
        where = f"import #{previous['id']} into dataset {previous['dataset']!r}" if previous else "earlier in this run"
        return ImportResult(
            path=path,
            format=fmt,
            dataset=dataset,
            content_hash=rows.digest,
            skipped=True,
            message=f"already imported ({where}); nothing added",
        )
    return _write_rows(con, fmt, dataset, path, rows)


def _write_rows(con: duckdb.DuckDBPyConnection, fmt: str, dataset: str, path: str, rows: _Rows) -> ImportResult:
    run(con, "INSERT INTO datasets (name, format) VALUES (?, ?) ON CONFLICT DO NOTHING", [dataset, fmt])
    import_id = int(scalar(con, "SELECT nextval('import_seq')"))
    tools_before = int(scalar(con, "SELECT count(*) FROM tools"))
    if rows.tools:
        items = list(rows.tools.items())
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

    if rows.trajectories is not None:
        con.register("_import_traj", _as_json(rows.trajectories, ("messages", "meta")))
        run(
            con,
            """INSERT INTO trajectories (id, dataset, import_id, source_ref, messages, tool_ids, called, meta)
               SELECT nextval('trajectory_seq'), ?, ?, source_ref, messages, tool_ids, called, meta FROM _import_traj""",
            [dataset, import_id],
        )
        con.unregister("_import_traj")
    if rows.tasks is not None:
        con.register("_import_tasks", rows.tasks)
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
            rows.digest,
            tools_added,
            rows.n_trajectories,
            rows.n_tasks,
            rows.rows,
            _dumps(rows.warnings),
        ],
    )
    return ImportResult(
        path=path,
        format=fmt,
        dataset=dataset,
        content_hash=rows.digest,
        import_id=import_id,
        message=f"added {tools_added} tools, {rows.n_trajectories} trajectories, {rows.n_tasks} tasks",
        tools_added=tools_added,
        trajectories_added=rows.n_trajectories,
        tasks_added=rows.n_tasks,
        warnings=rows.warnings,
    )


# -- the two ways to import ----------------------------------------------------------------------------------
def _job_params(fmt: str, dataset: str, paths: Sequence[str | Path], atomic: bool) -> dict[str, Any]:
    shown = [str(p) for p in paths[:20]]
    return {"format": fmt, "dataset": dataset, "files": len(paths), "paths": shown, "atomic": atomic}


def _import_atomic(
    con: duckdb.DuckDBPyConnection,
    fmt: str,
    paths: Sequence[str | Path],
    dataset: str,
    progress: Progress | None,
) -> tuple[int, list[ImportResult]]:
    parsed = [
        (str(p), _read(fmt, dataset, str(p), _within(progress, i, len(paths), 0.0, 0.6, p)))
        for i, p in enumerate(paths)
    ]
    results: list[ImportResult] = []
    with transaction(con):
        job_id = jobs.start_job(con, "import", fmt, None, _job_params(fmt, dataset, paths, True), total=len(paths))
        for i, (path, rows) in enumerate(parsed):
            if progress:
                progress(0.6 + i / len(parsed) * 0.4, f"writing {Path(path).name}")
            results.append(_write_file(con, fmt, dataset, path, rows, results))
        jobs.finish_job(con, job_id, None, items=len(parsed))
    if progress:
        progress(1.0, "done")
    return job_id, results


def import_files(
    con: duckdb.DuckDBPyConnection,
    fmt: str,
    paths: Sequence[str | Path],
    *,
    dataset: str | None = None,
    progress: Progress | None = None,
) -> list[ImportResult]:
    """Import ``paths`` as ``fmt`` into dataset ``dataset`` (default: the format's name), all or nothing.

    The first bad file raises FormatError and nothing is written (not even the job).
    """
    if not paths:
        raise ValueError("no files given")
    return _import_atomic(con, fmt, paths, dataset or fmt, progress)[1]


def import_each(
    con: duckdb.DuckDBPyConnection,
    fmt: str,
    paths: Sequence[str | Path],
    *,
    dataset: str | None = None,
    progress: Progress | None = None,
    labels: Sequence[str] | None = None,
) -> ImportRun:
    """Import ``paths`` one file per transaction; failures are recorded on the job, never raised.

    ``labels`` name the files in errors and in the job's failures (an upload's own name, not its temporary
    path). A single file is all or nothing, as with ``import_files``: a failure leaves no job behind.
    """
    if not paths:
        raise ValueError("no files given")
    dataset = dataset or fmt
    names = [str(x) for x in labels] if labels is not None else [str(p) for p in paths]
    if len(paths) == 1:
        try:
            job_id, results = _import_atomic(con, fmt, paths, dataset, progress)
        except FormatError as exc:
            return ImportRun(job_id=None, status="failed", total=1, failures=[_failure(str(paths[0]), names[0], exc)])
        return ImportRun(job_id=job_id, status="done", total=1, results=results)

    with transaction(con):
        job_id = jobs.start_job(con, "import", fmt, None, _job_params(fmt, dataset, paths, False), total=len(paths))
    out = ImportRun(job_id=job_id, status="running", total=len(paths))
    done = 0
    try:
        for i, p in enumerate(paths):
            path = str(p)
            try:
                rows = _read(fmt, dataset, path, _within(progress, i, len(paths), 0.0, 1.0, p))
                with transaction(con):
                    out.results.append(_write_file(con, fmt, dataset, path, rows, out.results))
                    jobs.update_job(con, job_id, None, items=i + 1)
            except Exception as exc:  # one file that breaks never stops the others
                failure = _failure(path, names[i], exc)
                with transaction(con):
                    jobs.record_failure(con, job_id, item=names[i], error=_relabelled(exc, path, names[i]))
                    jobs.update_job(con, job_id, None, items=i + 1)
                out.failures.append(failure)
            done = i + 1
    finally:
        with transaction(con):
            out.status = jobs.finish_job(con, job_id, None, items=done, finished=done == len(paths))
    if progress:
        progress(1.0, "done")
    return out


def _relabelled(exc: Exception, path: str, label: str) -> Exception:
    """``exc`` naming ``label`` instead of ``path`` (the file's name as the user knows it)."""
    if isinstance(exc, FormatError) and exc.path == path and label != path:
        exc.path = label
    return exc


def _failure(path: str, label: str, exc: Exception) -> ImportFailure:
    exc = _relabelled(exc, path, label)
    text = str(exc) if isinstance(exc, FormatError) else f"{label}: {jobs.error_text(exc)}"
    return ImportFailure(path=path, label=label, error=text)
