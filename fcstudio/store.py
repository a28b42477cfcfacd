"""The DuckDB workspace: schema and migrations, lock-aware connections, typed queries.

DuckDB lets one process at a time open a database file for writing, so nobody (the app included)
keeps the file open while idle: connections are short-lived, and opening retries while another
process (a CLI import, the app mid-rerun) holds the lock. The app shares one connection between
the reruns that overlap in time (``SharedConnection``) and takes a cursor per rerun.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from fcstudio.config import lock_timeout

if TYPE_CHECKING:
    from fcstudio.models import ToolEdit
from fcstudio.catalog.schemas import SchemaDocument, Unresolvable

# Each migration moves the schema from version N-1 to N. Never edit a shipped one: append.
# A step is SQL, or a function of the connection for what SQL cannot do (it runs in the same transaction).
MigrationStep = str | Callable[[duckdb.DuckDBPyConnection], None]
MIGRATIONS: list[tuple[int, str, list[MigrationStep]]] = [
    (
        1,
        "core tables: datasets, imports, tools, trajectories, tasks",
        [
            "CREATE SEQUENCE import_seq START 1",
            "CREATE SEQUENCE trajectory_seq START 1",
            "CREATE SEQUENCE task_seq START 1",
            """CREATE TABLE datasets (
                name VARCHAR PRIMARY KEY,
                format VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL DEFAULT now()
            )""",
            """CREATE TABLE imports (
                id BIGINT PRIMARY KEY,
                dataset VARCHAR NOT NULL,
                format VARCHAR NOT NULL,
                path VARCHAR NOT NULL,
                content_hash VARCHAR NOT NULL,
                tools INTEGER NOT NULL,
                trajectories INTEGER NOT NULL,
                tasks INTEGER NOT NULL,
                row_count INTEGER NOT NULL,
                warnings JSON,
                imported_at TIMESTAMP NOT NULL DEFAULT now()
            )""",
            """CREATE TABLE tools (
                id VARCHAR PRIMARY KEY,
                dataset VARCHAR NOT NULL,
                import_id BIGINT NOT NULL,
                name VARCHAR NOT NULL,
                description VARCHAR NOT NULL,
                parameters JSON NOT NULL,
                returns JSON,
                labels VARCHAR[] NOT NULL,
                source_ref VARCHAR
            )""",
            """CREATE TABLE trajectories (
                id BIGINT PRIMARY KEY,
                dataset VARCHAR NOT NULL,
                import_id BIGINT NOT NULL,
                source_ref VARCHAR NOT NULL,
                messages JSON NOT NULL,
                tool_ids VARCHAR[] NOT NULL,
                called VARCHAR[] NOT NULL,
                meta JSON NOT NULL,
                created_at TIMESTAMP NOT NULL DEFAULT now()
            )""",
            """CREATE TABLE tasks (
                id BIGINT PRIMARY KEY,
                dataset VARCHAR NOT NULL,
                import_id BIGINT NOT NULL,
                source_ref VARCHAR NOT NULL,
                benchmark VARCHAR NOT NULL,
                category VARCHAR NOT NULL,
                domain VARCHAR NOT NULL,
                instruction VARCHAR NOT NULL,
                turns JSON NOT NULL,
                tool_ids VARCHAR[] NOT NULL,
                called VARCHAR[] NOT NULL,
                gold JSON NOT NULL,
                outputs JSON NOT NULL,
                meta JSON NOT NULL
            )""",
        ],
    ),
    (
        2,
        "versioned tool edits: tools.version/updated_at and an edit history",
        [
            "ALTER TABLE tools ADD COLUMN version INTEGER DEFAULT 1",
            "UPDATE tools SET version = 1 WHERE version IS NULL",
            "ALTER TABLE tools ADD COLUMN updated_at TIMESTAMP",
            """CREATE TABLE tool_edits (
                tool_id VARCHAR NOT NULL,
                version INTEGER NOT NULL,
                description VARCHAR NOT NULL,
                labels VARCHAR[] NOT NULL,
                editor VARCHAR,
                edited_at TIMESTAMP NOT NULL DEFAULT now()
            )""",
        ],
    ),
    (
        3,
        "tool graph: nodes with stored positions, edges with evidence, build history",
        [
            """CREATE TABLE graph_builds (
                id BIGINT PRIMARY KEY,
                embedder VARCHAR NOT NULL,
                threshold DOUBLE NOT NULL,
                top_k INTEGER NOT NULL,
                params JSON,
                nodes INTEGER NOT NULL,
                edges INTEGER NOT NULL,
                seconds DOUBLE NOT NULL,
                created_at TIMESTAMP NOT NULL DEFAULT now()
            )""",
            """CREATE TABLE graph_nodes (
                tool_id VARCHAR PRIMARY KEY,
                name VARCHAR NOT NULL,
                dataset VARCHAR NOT NULL,
                label VARCHAR NOT NULL,
                x DOUBLE NOT NULL,
                y DOUBLE NOT NULL,
                degree INTEGER NOT NULL,
                component INTEGER NOT NULL
            )""",
            """CREATE TABLE graph_edges (
                src VARCHAR NOT NULL,
                dst VARCHAR NOT NULL,
                kind VARCHAR NOT NULL,
                score DOUBLE NOT NULL,
                method VARCHAR NOT NULL,
                evidence JSON NOT NULL,
                judge VARCHAR,
                judge_reason VARCHAR
            )""",
            "CREATE INDEX graph_edges_src ON graph_edges (src)",
            "CREATE INDEX graph_edges_dst ON graph_edges (dst)",
        ],
    ),
    (
        4,
        "function signature paths with version history",
        [
            "CREATE SEQUENCE fsp_seq START 1",
            """CREATE TABLE fsp_paths (
                id BIGINT PRIMARY KEY,
                fsp JSON NOT NULL,
                version INTEGER NOT NULL DEFAULT 1,
                parent_id BIGINT,
                seed BIGINT,
                ops VARCHAR[] NOT NULL,
                n_turns INTEGER NOT NULL,
                n_calls INTEGER NOT NULL,
                created_at TIMESTAMP NOT NULL DEFAULT now(),
                updated_at TIMESTAMP
            )""",
            """CREATE TABLE fsp_versions (
                path_id BIGINT NOT NULL,
                version INTEGER NOT NULL,
                fsp JSON NOT NULL,
                note VARCHAR,
                saved_at TIMESTAMP NOT NULL DEFAULT now()
            )""",
        ],
    ),
    (
        5,
        "synthesis: LLM call log and cache, jobs, trajectory status/versions/verdicts, preference pairs and labels",
        [
            "CREATE SEQUENCE job_seq START 1",
            "CREATE SEQUENCE llm_call_seq START 1",
            "CREATE SEQUENCE pair_seq START 1",
            """CREATE TABLE jobs (
                id BIGINT PRIMARY KEY,
                kind VARCHAR NOT NULL,
                backend VARCHAR NOT NULL,
                model VARCHAR,
                params JSON NOT NULL,
                status VARCHAR NOT NULL,
                items INTEGER NOT NULL DEFAULT 0,
                calls INTEGER NOT NULL DEFAULT 0,
                cached INTEGER NOT NULL DEFAULT 0,
                failed INTEGER NOT NULL DEFAULT 0,
                prompt_tokens BIGINT NOT NULL DEFAULT 0,
                completion_tokens BIGINT NOT NULL DEFAULT 0,
                cost DOUBLE NOT NULL DEFAULT 0,
                started_at TIMESTAMP NOT NULL DEFAULT now(),
                finished_at TIMESTAMP
            )""",
            """CREATE TABLE llm_cache (
                key VARCHAR PRIMARY KEY,
                model VARCHAR NOT NULL,
                response JSON NOT NULL,
                prompt_tokens INTEGER NOT NULL,
                completion_tokens INTEGER NOT NULL,
                created_at TIMESTAMP NOT NULL DEFAULT now()
            )""",
            """CREATE TABLE llm_calls (
                id BIGINT PRIMARY KEY,
                job_id BIGINT,
                purpose VARCHAR NOT NULL,
                model VARCHAR NOT NULL,
                key VARCHAR NOT NULL,
                status VARCHAR NOT NULL,
                attempts INTEGER NOT NULL,
                seconds DOUBLE NOT NULL,
                prompt_tokens INTEGER NOT NULL,
                completion_tokens INTEGER NOT NULL,
                cost DOUBLE NOT NULL,
                error VARCHAR,
                request JSON NOT NULL,
                response JSON,
                created_at TIMESTAMP NOT NULL DEFAULT now()
            )""",
            "CREATE INDEX llm_calls_job ON llm_calls (job_id)",
            "ALTER TABLE trajectories ALTER COLUMN import_id DROP NOT NULL",
            "ALTER TABLE trajectories ADD COLUMN origin VARCHAR DEFAULT 'import'",
            "UPDATE trajectories SET origin = 'import' WHERE origin IS NULL",
            "ALTER TABLE trajectories ADD COLUMN status VARCHAR DEFAULT 'pending'",
            "UPDATE trajectories SET status = 'pending' WHERE status IS NULL",
            "ALTER TABLE trajectories ADD COLUMN version INTEGER DEFAULT 1",
            "UPDATE trajectories SET version = 1 WHERE version IS NULL",
            "ALTER TABLE trajectories ADD COLUMN path_id BIGINT",
            "ALTER TABLE trajectories ADD COLUMN job_id BIGINT",
            "ALTER TABLE trajectories ADD COLUMN domain VARCHAR",
            "ALTER TABLE trajectories ADD COLUMN verdict JSON",
            "ALTER TABLE trajectories ADD COLUMN verified BOOLEAN",
            "ALTER TABLE trajectories ADD COLUMN tags VARCHAR[]",
            "ALTER TABLE trajectories ADD COLUMN updated_at TIMESTAMP",
            "CREATE INDEX trajectories_path ON trajectories (path_id)",
            """CREATE TABLE trajectory_versions (
                trajectory_id BIGINT NOT NULL,
                version INTEGER NOT NULL,
                messages JSON NOT NULL,
                note VARCHAR,
                editor VARCHAR,
                saved_at TIMESTAMP NOT NULL DEFAULT now(),
                PRIMARY KEY (trajectory_id, version)
            )""",
            """CREATE TABLE pairs (
                id BIGINT PRIMARY KEY,
                trajectory_id BIGINT,
                episode_ref VARCHAR,
                turn INTEGER NOT NULL,
                prefix JSON NOT NULL,
                chosen JSON NOT NULL,
                rejected JSON NOT NULL,
                tools JSON NOT NULL,
                strategy VARCHAR NOT NULL,
                perturbation VARCHAR,
                error_type VARCHAR NOT NULL,
                judge VARCHAR NOT NULL,
                judge_reason VARCHAR,
                annotators_required INTEGER NOT NULL DEFAULT 1,
                job_id BIGINT,
                created_at TIMESTAMP NOT NULL DEFAULT now()
            )""",
            """CREATE TABLE pair_labels (
                pair_id BIGINT NOT NULL,
                slot INTEGER NOT NULL,
                annotator VARCHAR NOT NULL,
                choice VARCHAR NOT NULL CHECK (choice IN ('chosen', 'rejected', 'tie')),
                reasons VARCHAR[] NOT NULL,
                note VARCHAR,
                created_at TIMESTAMP NOT NULL DEFAULT now(),
                PRIMARY KEY (pair_id, slot),
                UNIQUE (pair_id, annotator)
            )""",
            """CREATE TABLE pair_skips (
                pair_id BIGINT NOT NULL,
                annotator VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL DEFAULT now(),
                PRIMARY KEY (pair_id, annotator)
            )""",
        ],
    ),
    (
        6,
        "evaluation: runs (own, imported, published), episodes with rewards and review notes, per-run scores",
        [
            "CREATE SEQUENCE eval_run_seq START 1",
            "CREATE SEQUENCE episode_seq START 1",
            """CREATE TABLE eval_runs (
                id BIGINT PRIMARY KEY,
                benchmark VARCHAR NOT NULL,
                domain VARCHAR NOT NULL DEFAULT '',
                model VARCHAR NOT NULL,
                user_model VARCHAR,
                source VARCHAR NOT NULL,
                origin VARCHAR,
                citation VARCHAR,
                content_hash VARCHAR,
                config JSON,
                status VARCHAR NOT NULL DEFAULT 'done',
                trials INTEGER,
                job_id BIGINT,
                created_at TIMESTAMP NOT NULL DEFAULT now()
            )""",
            """CREATE TABLE episodes (
                id BIGINT PRIMARY KEY,
                run_id BIGINT NOT NULL,
                task_id VARCHAR NOT NULL,
                trial INTEGER NOT NULL,
                domain VARCHAR NOT NULL DEFAULT '',
                category VARCHAR,
                reward DOUBLE,
                success BOOLEAN NOT NULL,
                reward_info JSON,
                termination VARCHAR NOT NULL,
                messages JSON NOT NULL,
                gold JSON,
                instruction VARCHAR,
                review JSON,
                cost DOUBLE,
                tokens_in BIGINT,
                tokens_out BIGINT,
                duration DOUBLE,
                tags VARCHAR[],
                note VARCHAR,
                created_at TIMESTAMP NOT NULL DEFAULT now(),
                UNIQUE (run_id, task_id, trial)
            )""",
            "CREATE INDEX episodes_run ON episodes (run_id)",
            """CREATE TABLE run_scores (
                run_id BIGINT NOT NULL,
                domain VARCHAR NOT NULL DEFAULT '',
                metric VARCHAR NOT NULL,
                k INTEGER NOT NULL DEFAULT 0,
                value DOUBLE,
                PRIMARY KEY (run_id, domain, metric, k)
            )""",
        ],
    ),
]
MIGRATIONS.append(
    (
        7,
        "job outcomes: how many items a job had and which failed, with the error and where it was raised",
        [
            "ALTER TABLE jobs ADD COLUMN items_total INTEGER",
            "ALTER TABLE jobs ADD COLUMN items_failed INTEGER DEFAULT 0",
            "UPDATE jobs SET items_failed = 0 WHERE items_failed IS NULL",
            "CREATE SEQUENCE job_failure_seq START 1",
            """CREATE TABLE job_failures (
                id BIGINT PRIMARY KEY,
                job_id BIGINT NOT NULL,
                item VARCHAR NOT NULL,
                error VARCHAR NOT NULL,
                detail VARCHAR,
                created_at TIMESTAMP NOT NULL DEFAULT now()
            )""",
            "CREATE INDEX job_failures_job ON job_failures (job_id)",
        ],
    )
)
MIGRATIONS.append(
    (
        8,
        "the annotator cap in the schema: a label's slot is checked against the pair's required count it carries",
        [
            "ALTER TABLE pairs ADD CONSTRAINT pairs_id_required UNIQUE (id, annotators_required)",
            # the old table is renamed out of the way first: DuckDB keeps a foreign key's table name as created
            "ALTER TABLE pair_labels RENAME TO pair_labels_v5",
            """CREATE TABLE pair_labels (
                pair_id BIGINT NOT NULL,
                slot INTEGER NOT NULL,
                required INTEGER NOT NULL,
                annotator VARCHAR NOT NULL,
                choice VARCHAR NOT NULL CHECK (choice IN ('chosen', 'rejected', 'tie')),
                reasons VARCHAR[] NOT NULL,
                note VARCHAR,
                created_at TIMESTAMP NOT NULL DEFAULT now(),
                CHECK (slot >= 1 AND slot <= required),
                PRIMARY KEY (pair_id, slot),
                UNIQUE (pair_id, annotator),
                FOREIGN KEY (pair_id, required) REFERENCES pairs (id, annotators_required)
            )""",
            """INSERT INTO pair_labels
               SELECT l.pair_id, l.slot, p.annotators_required, l.annotator, l.choice, l.reasons, l.note, l.created_at
               FROM pair_labels_v5 l JOIN pairs p ON p.id = l.pair_id""",
            "DROP TABLE pair_labels_v5",
        ],
    )
)


def _repair_environment_tool_schemas(con: duckdb.DuckDBPyConnection) -> None:
    """Environment tools stored before their schemas kept ``$defs`` (tau2 airline's ``book_reservation`` and two
    more) hold ``$ref``s that point nowhere; each gets the schema its environment derives now. Its id stays, so
    the tasks and trajectories that offer it keep pointing at it."""
    from fcstudio.catalog.schemas import dangling_refs
    from fcstudio.envs.registry import DOMAINS

    for tool_id, name, params, labels in run(con, "SELECT id, name, parameters, labels FROM tools"):
        if "$ref" not in params or not dangling_refs(json.loads(params)):
            continue
        for domain in (d for d in DOMAINS.values() if d.env.name in (labels or [])):
            spec = next((t for t in domain.env.tool_specs() if t.name == name), None)
            if spec is not None:
                run(con, "UPDATE tools SET parameters = ? WHERE id = ?", [json.dumps(spec.parameters), tool_id])
                break


MIGRATIONS.append(
    (
        9,
        "environment tools stored with dangling $refs get their schemas (with $defs) from the environment",
        [_repair_environment_tool_schemas],
    )
)
MIGRATIONS.append(
    (
        10,
        "users of a shared server: name, role and an scrypt password hash (never the password)",
        [
            """CREATE TABLE users (
                name VARCHAR PRIMARY KEY,
                role VARCHAR NOT NULL CHECK (role IN ('admin', 'annotator')),
                password_hash VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL DEFAULT now()
            )""",
        ],
    )
)


def _mark_trivial_pairs(con: duckdb.DuckDBPyConnection) -> None:
    """Pairs made before the flag existed get it: same calls, text differing only in a returned identifier."""
    from fcstudio.prefs.diff import is_trivial

    for pair_id, chosen, rejected in run(con, "SELECT id, chosen, rejected FROM pairs"):
        if is_trivial(json.loads(chosen), json.loads(rejected)):
            run(con, "UPDATE pairs SET trivial = true WHERE id = ?", [pair_id])


MIGRATIONS.append(
    (
        13,
        "preference pairs: a trivial flag (backfilled), and labels on single assistant turns of either side",
        [
            "ALTER TABLE pairs ADD COLUMN trivial BOOLEAN DEFAULT false",
            _mark_trivial_pairs,
            """CREATE TABLE pair_turn_labels (
                pair_id BIGINT NOT NULL,
                annotator VARCHAR NOT NULL,
                side VARCHAR NOT NULL CHECK (side IN ('chosen', 'rejected')),
                message INTEGER NOT NULL CHECK (message >= 0),
                label VARCHAR NOT NULL CHECK (label IN ('good', 'bad')),
                reason VARCHAR,
                created_at TIMESTAMP NOT NULL DEFAULT now(),
                PRIMARY KEY (pair_id, annotator, side, message)
            )""",
        ],
    )
)


def _path_canonical_keys(con: duckdb.DuckDBPyConnection) -> None:
    from fcstudio.paths.store import backfill_canonical

    backfill_canonical(con)


MIGRATIONS.append(
    (
        11,
        "paths: each path's canonical form (sampling skips one already stored), backfilled and indexed",
        [
            "ALTER TABLE fsp_paths ADD COLUMN canonical VARCHAR",
            # the index first: DuckDB cannot create one over rows updated in the same transaction
            "CREATE INDEX fsp_paths_canonical ON fsp_paths (canonical)",
            _path_canonical_keys,
        ],
    )
)
MIGRATIONS.append(
    (
        12,
        "trajectories: stale replies (assistant messages quoting a tool result that a re-execution changed)",
        ["ALTER TABLE trajectories ADD COLUMN stale JSON"],
    )
)
MIGRATIONS.sort(key=lambda m: m[0])  # each feature appends its own numbered block; applied in number order
LATEST_VERSION = MIGRATIONS[-1][0]
COUNTED_TABLES = ("datasets", "imports", "tools", "trajectories", "tasks")


class WorkspaceBusy(RuntimeError):
    """Another process held the workspace for longer than the lock timeout."""


class EditConflict(RuntimeError):
    """Someone saved the record after the editor loaded it: the edit is refused, not merged."""


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def open_connection(
    path: Path,
    *,
    read_only: bool = False,
    timeout: float | None = None,
    on_wait: Callable[[float], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open ``path``, retrying with backoff while another process holds its lock."""
    deadline = time.monotonic() + (lock_timeout() if timeout is None else timeout)
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkspaceBusy(
                    f"workspace {path} is held by another process (gave up after waiting): {exc}"
                ) from None
            if on_wait:
                on_wait(remaining)
            time.sleep(min(delay, max(remaining, 0.01)))
            delay = min(delay * 1.6, 1.0)


def run(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Execute and drain a statement (DuckDB wants every result consumed before the next statement)."""
    return con.execute(sql, params or []).fetchall()


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> tuple[Any, ...] | None:
    """The first row of a query (the rest drained), or None."""
    result = run(con, sql, params)
    return result[0] if result else None


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The first column of the first row, or None."""
    row = one(con, sql, params)
    return row[0] if row else None


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction: committed when the block ends, rolled back (and the error re-raised) when it fails."""
    con.begin()
    try:
        yield con
    except BaseException:
        con.rollback()
        raise
    con.commit()  # a commit that fails (a conflict with a concurrent transaction) has rolled back already


def check_version(con: duckdb.DuckDBPyConnection, table: str, key: Any, version: int, what: str) -> None:
    """Refuse an edit of ``table`` row ``key`` made on ``version`` when someone saved since (optimistic locking)."""
    current = scalar(con, f"SELECT coalesce(version, 1) FROM {table} WHERE id = ?", [key])
    if current is None:
        raise EditConflict(f"{what} no longer exists")
    if int(current) != version:
        raise EditConflict(f"{what} was saved by someone else (now version {current}, you edited {version})")


def where_sql(clauses: list[str]) -> str:
    """`` WHERE a AND b`` for filter clauses, or nothing."""
    return (" WHERE " + " AND ".join(f"({c})" for c in clauses)) if clauses else ""


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = one(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'")
    if not exists or not exists[0]:
        return 0
    row = one(con, "SELECT max(version) FROM schema_version")
    return int(row[0] or 0) if row else 0


def migrate(con: duckdb.DuckDBPyConnection, target: int = LATEST_VERSION) -> int:
    """Apply the missing migrations up to ``target`` in one transaction; returns the new version."""
    current = schema_version(con)
    if current > LATEST_VERSION:
        raise RuntimeError(
            f"workspace schema version {current} is newer than this fcstudio ({LATEST_VERSION}): upgrade fcstudio"
        )
    if current >= target:
        return current
    with transaction(con):
        if current == 0:
            run(
                con,
                "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, note VARCHAR, applied_at TIMESTAMP DEFAULT now())",
            )
        for version, note, statements in MIGRATIONS:
            if current < version <= target:
                for step in statements:
                    if callable(step):
                        step(con)
                    else:
                        run(con, step)
                run(con, "INSERT INTO schema_version (version, note) VALUES (?, ?)", [version, note])
    return target


@dataclass(frozen=True)
class Workspace:
    """A workspace file. Cheap to create; every ``connect`` is a short-lived, migrated connection."""

    path: Path

    @contextmanager
    def connect(
        self, *, timeout: float | None = None, on_wait: Callable[[float], None] | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self.open(timeout=timeout, on_wait=on_wait)
        try:
            yield con
        finally:
            con.close()

    def open(
        self, *, timeout: float | None = None, on_wait: Callable[[float], None] | None = None
    ) -> duckdb.DuckDBPyConnection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = open_connection(self.path, timeout=timeout, on_wait=on_wait)
        try:
            migrate(con)
        except Exception:
            con.close()
            raise
        return con


class SharedConnection:
    """One connection shared by the reruns that overlap in time; each takes its own cursor.

    DuckDB connection objects must not be used from two threads at once, cursors may. The
    connection closes when the last cursor is returned, so the file is free for the CLI whenever
    no page is rendering.
    """

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._users = 0

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            if self._con is None:
                self._con = self.workspace.open()
            self._users += 1
            cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()
            with self._lock:
                self._users -= 1
                if self._users == 0 and self._con is not None:
                    self._con.close()
                    self._con = None


# ---------------------------------------------------------------------------------------------
# Typed queries. Each takes a connection (or cursor) so that callers decide the transaction.


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


_DATASET_TABLES = ("imports", "tools", "trajectories", "tasks")
_STATS_SQL = " UNION ALL ".join(
    [f"SELECT true, '{t}', NULL, count(*) FROM {t}" for t in COUNTED_TABLES]
    + [f"SELECT false, '{t}', dataset, count(*) FROM {t} GROUP BY dataset" for t in _DATASET_TABLES]
)


def stats(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Counts per table and per dataset (no timestamps, so two runs compare equal), in one query: the app's
    Home page and every import's before/after check ask for it."""
    tables: dict[str, int] = {}
    per_dataset: dict[str, dict[str, int]] = {}
    for whole, table, dataset, n in con.execute(_STATS_SQL).fetchall():
        if whole:
            tables[table] = int(n)
        else:
            per_dataset.setdefault(dataset, {t: 0 for t in _DATASET_TABLES})[table] = int(n)
    return {"tables": {t: tables.get(t, 0) for t in COUNTED_TABLES}, "datasets": dict(sorted(per_dataset.items()))}


PIPELINE_COUNTS = {
    "graph_edges": "SELECT count(*) FROM graph_edges",
    "paths": "SELECT count(*) FROM fsp_paths",
    "pairs": "SELECT count(*) FROM pairs",
    "eval_runs": "SELECT count(*) FROM eval_runs",
    "failed_episodes": "SELECT count(*) FROM episodes WHERE NOT success",
}


def pipeline_stats(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How far the workspace is along synthesis → curation → evaluation (the Home page's second row)."""
    return {name: int(scalar(con, sql)) for name, sql in PIPELINE_COUNTS.items()}


def list_datasets(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return rows(
        con,
        """SELECT d.name, d.format,
                  (SELECT count(*) FROM tools t WHERE t.dataset = d.name) AS tools,
                  (SELECT count(*) FROM trajectories r WHERE r.dataset = d.name) AS trajectories,
                  (SELECT count(*) FROM tasks k WHERE k.dataset = d.name) AS tasks
           FROM datasets d ORDER BY d.name""",
    )


def list_imports(con: duckdb.DuckDBPyConnection, limit: int = 50) -> list[dict[str, Any]]:
    return rows(
        con,
        """SELECT id, dataset, format, path, content_hash, tools, trajectories, tasks, row_count, imported_at
           FROM imports ORDER BY id DESC LIMIT ?""",
        [limit],
    )


def find_import(con: duckdb.DuckDBPyConnection, fmt: str, content_hash: str) -> dict[str, Any] | None:
    found = rows(
        con,
        "SELECT id, dataset, path, imported_at FROM imports WHERE format = ? AND content_hash = ? ORDER BY id LIMIT 1",
        [fmt, content_hash],
    )
    return found[0] if found else None


def _tool_filter(
    text: str = "", dataset: str | None = None, label: str | None = None, param: str | None = None
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if text.strip():
        clauses.append("(name ILIKE ? OR description ILIKE ?)")
        like = f"%{text.strip()}%"
        params += [like, like]
    if dataset:
        clauses.append("dataset = ?")
        params.append(dataset)
    if label:
        clauses.append("list_contains(labels, ?)")
        params.append(label)
    if param and param.strip():
        clauses.append(
            "EXISTS (SELECT 1 FROM unnest(json_keys(parameters, '$.properties')) AS k(key) WHERE key ILIKE ?)"
        )
        params.append(f"%{param.strip()}%")
    return where_sql(clauses), params


def count_tools(
    con: duckdb.DuckDBPyConnection,
    text: str = "",
    *,
    dataset: str | None = None,
    label: str | None = None,
    param: str | None = None,
) -> int:
    where, params = _tool_filter(text, dataset, label, param)
    return int(scalar(con, f"SELECT count(*) FROM tools{where}", params))


def search_tools(
    con: duckdb.DuckDBPyConnection,
    text: str = "",
    *,
    dataset: str | None = None,
    label: str | None = None,
    param: str | None = None,
    limit: int = 25,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """One page of tools matching the filters, and the total number of matches."""
    where, params = _tool_filter(text, dataset, label, param)
    total = count_tools(con, text, dataset=dataset, label=label, param=param)
    page = rows(
        con,
        f"""SELECT id, name, dataset, description, labels,
                   coalesce(json_array_length(json_keys(parameters, '$.properties')), 0) AS n_params, version
            FROM tools{where} ORDER BY name, dataset, id LIMIT ? OFFSET ?""",
        [*params, limit, offset],
    )
    return page, total


def tool_labels(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT DISTINCT unnest(labels) AS l FROM tools ORDER BY l").fetchall()]


def get_tool(con: duckdb.DuckDBPyConnection, tool_id: str) -> dict[str, Any] | None:
    found = rows(
        con,
        """SELECT id, dataset, import_id, name, description, parameters, returns, labels, source_ref,
                  version, updated_at FROM tools WHERE id = ?""",
        [tool_id],
    )
    if not found:
        return None
    tool = found[0]
    tool["parameters"] = json.loads(tool["parameters"])
    tool["returns"] = json.loads(tool["returns"]) if tool["returns"] else None
    return tool


def find_tools_by_name(con: duckdb.DuckDBPyConnection, name: str) -> list[dict[str, Any]]:
    return rows(con, "SELECT id, name, dataset, version FROM tools WHERE name = ? ORDER BY dataset, id", [name])


def parameter_table(parameters: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per top-level parameter: name, type, required, default, description.

    A ``$ref`` shows as the definition's name (``Passenger``, ``array<Passenger>``), and a parameter
    with no description of its own shows its definition's.
    """
    required = set(parameters.get("required") or [])
    doc = SchemaDocument(parameters) if "$ref" in json.dumps(parameters) else None
    out = []
    for name, spec in (parameters.get("properties") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        target = _ref_target(doc, spec)
        out.append(
            {
                "parameter": name,
                "type": _type_name(doc, spec),
                "required": name in required,
                "default": json.dumps(spec["default"]) if "default" in spec else "",
                "enum": ", ".join(map(str, spec["enum"])) if isinstance(spec.get("enum"), list) else "",
                "description": spec.get("description") or target.get("description", ""),
            }
        )
    return out


def _ref_target(doc: SchemaDocument | None, spec: dict[str, Any]) -> dict[str, Any]:
    if doc is None or not isinstance(spec.get("$ref"), str):
        return {}
    try:
        target, _ = doc.lookup(spec["$ref"])
    except Unresolvable:
        return {}
    return target if isinstance(target, dict) else {}


def _type_name(doc: SchemaDocument | None, spec: Any, depth: int = 0) -> str:
    """A short readable type: ``string``, ``integer | null``, ``array<number>``, ``Passenger``."""
    if not isinstance(spec, dict) or depth > 4:
        return "any"
    if isinstance(spec.get("$ref"), str):
        ref = spec["$ref"]
        label = ref.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~") or "schema"
        return label if _ref_target(doc, spec) or doc is None else f"{label} (unresolved)"
    kind = spec.get("type", spec.get("x-original-type"))
    if kind == "array" and isinstance(spec.get("items"), dict):
        inner = _type_name(doc, spec["items"], depth + 1)
        return f"array<{inner}>" if inner != "any" else "array"
    if kind is None:
        branches = spec.get("anyOf") or spec.get("oneOf")
        if isinstance(branches, list) and branches:
            return " | ".join(_type_name(doc, b, depth + 1) for b in branches)
        return "any"
    return kind if isinstance(kind, str) else " | ".join(map(str, kind))


def tool_usage(
    con: duckdb.DuckDBPyConnection, tool_id: str, kind: str, *, limit: int = 20, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """Trajectories or tasks that offer this tool (``kind`` is 'trajectories' or 'tasks')."""
    if kind not in ("trajectories", "tasks"):
        raise ValueError(f"unknown kind {kind!r}")
    tool = rows(con, "SELECT name FROM tools WHERE id = ?", [tool_id])
    name = tool[0]["name"] if tool else ""
    total = int(scalar(con, f"SELECT count(*) FROM {kind} WHERE list_contains(tool_ids, ?)", [tool_id]))
    if kind == "trajectories":
        sql = """SELECT id, dataset, source_ref, list_contains(called, ?) AS called,
                        json_array_length(messages) AS messages
                 FROM trajectories WHERE list_contains(tool_ids, ?) ORDER BY id LIMIT ? OFFSET ?"""
    else:
        sql = """SELECT id, dataset, source_ref, benchmark, category, list_contains(called, ?) AS called
                 FROM tasks WHERE list_contains(tool_ids, ?) ORDER BY id LIMIT ? OFFSET ?"""
    return rows(con, sql, [name, tool_id, limit, offset]), total


def edit_tool(con: duckdb.DuckDBPyConnection, edit: ToolEdit, editor: str | None = None) -> int:
    """Save a description/labels edit if nobody saved since ``edit.version``; returns the new version."""
    try:
        with transaction(con):
            current = one(con, "SELECT version FROM tools WHERE id = ?", [edit.tool_id])
            if current is None:
                raise EditConflict(f"tool {edit.tool_id} no longer exists")
            if int(current[0]) != edit.version:
                raise EditConflict(
                    f"tool {edit.tool_id} was changed by someone else (now version {current[0]}, "
                    f"you edited version {edit.version}); reload it and apply your edit again"
                )
            new_version = edit.version + 1
            run(
                con,
                "UPDATE tools SET description = ?, labels = ?, version = ?, updated_at = now() WHERE id = ? AND version = ?",
                [edit.description, edit.labels, new_version, edit.tool_id, edit.version],
            )
            run(
                con,
                "INSERT INTO tool_edits (tool_id, version, description, labels, editor) VALUES (?, ?, ?, ?, ?)",
                [edit.tool_id, new_version, edit.description, edit.labels, editor],
            )
    except duckdb.TransactionException as exc:
        raise EditConflict(
            f"tool {edit.tool_id} was being changed at the same moment; reload and retry ({exc})"
        ) from None
    return new_version


def tool_history(con: duckdb.DuckDBPyConnection, tool_id: str) -> list[dict[str, Any]]:
    return rows(
        con,
        "SELECT version, description, labels, editor, edited_at FROM tool_edits WHERE tool_id = ? ORDER BY version DESC",
        [tool_id],
    )


def task_domains(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """(benchmark, domain, count) groups of the tasks table, for selectors."""
    return rows(
        con,
        "SELECT benchmark, domain, count(*) AS tasks FROM tasks GROUP BY benchmark, domain ORDER BY benchmark, domain",
    )


def _task_filter(benchmark: str | None, domain: str | None, text: str) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if benchmark:
        clauses.append("benchmark = ?")
        params.append(benchmark)
    if domain is not None:
        clauses.append("domain = ?")
        params.append(domain)
    if text.strip():
        clauses.append("(instruction ILIKE ? OR source_ref ILIKE ?)")
        params += [f"%{text.strip()}%"] * 2
    return where_sql(clauses), params


def list_tasks(
    con: duckdb.DuckDBPyConnection,
    *,
    benchmark: str | None = None,
    domain: str | None = None,
    text: str = "",
    limit: int = 25,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of tasks (id, reference, benchmark, domain, gold count, instruction start) and the total."""
    where, params = _task_filter(benchmark, domain, text)
    total = int(scalar(con, f"SELECT count(*) FROM tasks{where}", params))
    page = rows(
        con,
        f"""SELECT id, source_ref, benchmark, domain, category, json_array_length(gold) AS gold_calls,
                   left(replace(instruction, chr(10), ' '), 140) AS instruction
            FROM tasks{where} ORDER BY benchmark, domain, id LIMIT ? OFFSET ?""",
        [*params, limit, offset],
    )
    return page, total


def get_task(con: duckdb.DuckDBPyConnection, task_id: int) -> dict[str, Any] | None:
    found = rows(
        con,
        """SELECT id, dataset, source_ref, benchmark, category, domain, instruction, turns, gold, outputs, meta,
                  len(tool_ids) AS n_tools FROM tasks WHERE id = ?""",
        [task_id],
    )
    if not found:
        return None
    task = found[0]
    for key in ("turns", "gold", "outputs", "meta"):
        task[key] = json.loads(task[key])
    return task
