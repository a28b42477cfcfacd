"""Trajectories in the workspace: storing synthesised ones, filtering, editing with versions, review status."""

from __future__ import annotations

import difflib
import json
from typing import Any

import duckdb

from fcstudio.catalog.formats.common import reason_of
from fcstudio.models import ToolSpec
from fcstudio.store import check_version, rows, run, scalar, transaction, where_sql

SYNTH_DATASET = "synth"
STATUSES = ("pending", "accepted", "rejected")


def tool_specs(
    con: duckdb.DuckDBPyConnection, ids: list[str] | None = None, *, invalid: dict[str, str] | None = None
) -> dict[str, ToolSpec]:
    """ToolSpecs by tool id (all tools when ``ids`` is None).

    A stored tool that no longer passes validation (a workspace written by an older fcstudio) is left out and,
    when ``invalid`` is given, reported there with the reason, so one bad tool fails only the items using it.
    """
    sql = "SELECT id, name, description, parameters, returns, labels FROM tools"
    found = rows(
        con, sql + (" WHERE list_contains(?, id)" if ids is not None else ""), [ids] if ids is not None else []
    )
    specs: dict[str, ToolSpec] = {}
    for r in found:
        try:
            specs[r["id"]] = ToolSpec(
                name=r["name"],
                description=r["description"],
                parameters=json.loads(r["parameters"]),
                returns=json.loads(r["returns"]) if r["returns"] else None,
                labels=list(r["labels"]),
            )
        except ValueError as exc:  # pydantic's ValidationError and json's JSONDecodeError are ValueErrors
            if invalid is not None:
                invalid[r["id"]] = f"tool {r['name']} ({r['id']}) has an invalid stored schema: {reason_of(exc)}"
    return specs


def tags_of(meta: dict[str, Any]) -> list[str]:
    """Operation tags for filtering: the path's operations and its special turns."""
    tags = [op for op in meta.get("ops") or [] if op and op != "sample"]
    tags += [t["kind"] for t in meta.get("plan") or [] if t["kind"] != "normal"]
    if any(len(t["calls"]) > 1 for t in meta.get("plan") or []):
        tags.append("parallel")
    return sorted(set(tags))


def called_names(messages: list[dict[str, Any]]) -> list[str]:
    return sorted({tc["function"]["name"] for m in messages for tc in m.get("tool_calls") or []})


def store_synthesised(
    con: duckdb.DuckDBPyConnection,
    *,
    path_id: int,
    job_id: int | None,
    result: dict[str, Any],
    verdict: dict[str, Any],
) -> int | None:
    """Insert one synthesised trajectory unless its path already has one (then None): resumable jobs never duplicate."""
    if scalar(con, "SELECT count(*) FROM trajectories WHERE path_id = ?", [path_id]):
        return None
    run(con, "INSERT INTO datasets (name, format) VALUES (?, 'synth') ON CONFLICT DO NOTHING", [SYNTH_DATASET])
    tid = int(scalar(con, "SELECT nextval('trajectory_seq')"))
    meta = result["meta"]
    messages = json.dumps(result["messages"])
    run(
        con,
        """INSERT INTO trajectories (id, dataset, import_id, source_ref, messages, tool_ids, called, meta, origin, status,
                                     version, path_id, job_id, domain, verdict, verified, tags)
           VALUES (?, ?, NULL, ?, ?, ?, ?, ?, 'synth', 'pending', 1, ?, ?, ?, ?, ?, ?)""",
        [
            tid,
            SYNTH_DATASET,
            f"path:{path_id}",
            messages,
            result["tool_ids"],
            called_names(result["messages"]),
            json.dumps(meta),
            path_id,
            job_id,
            meta.get("env"),
            json.dumps(verdict),
            verdict["passed"],
            tags_of(meta),
        ],
    )
    run(
        con,
        "INSERT INTO trajectory_versions (trajectory_id, version, messages, note, editor) VALUES (?, 1, ?, ?, ?)",
        [tid, messages, f"synthesised ({meta.get('backend')})", None],
    )
    return tid


def _filters(
    origin: str | None,
    status: str | None,
    verified: bool | None,
    tool: str | None,
    tag: str | None,
    text: str,
    stale: bool | None = None,
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if stale is not None:
        clauses.append(f"coalesce(json_array_length(stale), 0) {'>' if stale else '='} 0")
    if origin:
        clauses.append("coalesce(origin, 'import') = ?")
        params.append(origin)
    if status:
        clauses.append("coalesce(status, 'pending') = ?")
        params.append(status)
    if verified is not None:
        clauses.append("verified = ?")
        params.append(verified)
    if tool:
        clauses.append("list_contains(called, ?)")
        params.append(tool)
    if tag:
        clauses.append("list_contains(coalesce(tags, []::VARCHAR[]), ?)")
        params.append(tag)
    if text.strip():
        clauses.append("(source_ref ILIKE ? OR CAST(messages AS VARCHAR) ILIKE ?)")
        params += [f"%{text.strip()}%"] * 2
    return where_sql(clauses), params


def list_trajectories(
    con: duckdb.DuckDBPyConnection,
    *,
    origin: str | None = None,
    status: str | None = None,
    verified: bool | None = None,
    tool: str | None = None,
    tag: str | None = None,
    text: str = "",
    stale: bool | None = None,
    limit: int = 25,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    where, params = _filters(origin, status, verified, tool, tag, text, stale)
    total = int(scalar(con, f"SELECT count(*) FROM trajectories{where}", params))
    page = rows(
        con,
        f"""SELECT id, dataset, source_ref, coalesce(origin, 'import') AS origin, coalesce(status, 'pending') AS status,
                   verified, coalesce(tags, []::VARCHAR[]) AS tags, called, json_array_length(messages) AS messages,
                   version, path_id, coalesce(json_array_length(stale), 0) AS stale
            FROM trajectories{where} ORDER BY id LIMIT ? OFFSET ?""",
        [*params, limit, offset],
    )
    return page, total


def trajectory_facets(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    return {
        "tools": [r[0] for r in run(con, "SELECT DISTINCT unnest(called) AS n FROM trajectories ORDER BY n")],
        "tags": [r[0] for r in run(con, "SELECT DISTINCT unnest(tags) AS t FROM trajectories ORDER BY t")],
    }


def get_trajectory(con: duckdb.DuckDBPyConnection, tid: int) -> dict[str, Any] | None:
    found = rows(
        con,
        """SELECT id, dataset, source_ref, messages, tool_ids, called, meta, coalesce(origin, 'import') AS origin,
                  coalesce(status, 'pending') AS status, coalesce(version, 1) AS version, path_id, job_id, domain,
                  verdict, verified, coalesce(tags, []::VARCHAR[]) AS tags, stale
           FROM trajectories WHERE id = ?""",
        [tid],
    )
    if not found:
        return None
    t = found[0]
    t["messages"] = json.loads(t["messages"])
    t["meta"] = json.loads(t["meta"])
    t["verdict"] = json.loads(t["verdict"]) if t["verdict"] else None
    t["stale"] = json.loads(t["stale"]) if t["stale"] else []
    t["tools"] = tool_specs(con, list(t["tool_ids"]))
    return t


def save_trajectory(
    con: duckdb.DuckDBPyConnection,
    tid: int,
    messages: list[dict[str, Any]],
    version: int,
    *,
    note: str = "",
    editor: str | None = None,
    verdict: dict[str, Any] | None = None,
    stale: list[dict[str, Any]] | None = None,
    clear_verdict: bool = False,
) -> int:
    """Save edited messages if nobody saved since ``version``; every version is kept.

    ``stale``: the replies left quoting a changed result (None keeps the stored ones); a stale trajectory that was
    accepted goes back to pending. ``clear_verdict``: an imported trajectory's replies-only verdict is dropped."""
    with transaction(con):
        check_version(con, "trajectories", tid, version, f"trajectory {tid}")
        if not scalar(con, "SELECT count(*) FROM trajectory_versions WHERE trajectory_id = ?", [tid]):
            run(  # an imported trajectory's first edit keeps its original as version 1
                con,
                """INSERT INTO trajectory_versions (trajectory_id, version, messages, note)
                   SELECT id, ?, messages, 'as imported' FROM trajectories WHERE id = ?""",
                [version, tid],
            )
        text = json.dumps(messages)
        run(
            con,
            """UPDATE trajectories SET messages = ?, called = ?, version = ?, updated_at = now(),
                      verdict = coalesce(?, verdict), verified = coalesce(?, verified) WHERE id = ?""",
            [
                text,
                called_names(messages),
                version + 1,
                json.dumps(verdict) if verdict else None,
                verdict["passed"] if verdict else None,
                tid,
            ],
        )
        if clear_verdict:
            run(con, "UPDATE trajectories SET verdict = NULL, verified = NULL WHERE id = ?", [tid])
        if stale is not None:
            run(con, "UPDATE trajectories SET stale = ? WHERE id = ?", [json.dumps(stale) if stale else None, tid])
            if stale:
                run(con, "UPDATE trajectories SET status = 'pending' WHERE id = ? AND status = 'accepted'", [tid])
        run(
            con,
            "INSERT INTO trajectory_versions (trajectory_id, version, messages, note, editor) VALUES (?, ?, ?, ?, ?)",
            [tid, version + 1, text, note, editor],
        )
    return version + 1


class StaleTrajectory(ValueError):
    """A trajectory with replies quoting a changed tool result cannot be accepted."""


def stale_reasons(con: duckdb.DuckDBPyConnection, tid: int) -> list[str]:
    text = scalar(con, "SELECT stale FROM trajectories WHERE id = ?", [tid])
    return [m["reason"] for m in json.loads(text)] if text else []


def set_status(con: duckdb.DuckDBPyConnection, tid: int, status: str) -> None:
    """Review a trajectory; accepting one with stale replies is refused (StaleTrajectory, with the reasons)."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
    with transaction(con):
        if not scalar(con, "SELECT count(*) FROM trajectories WHERE id = ?", [tid]):
            raise KeyError(f"no trajectory {tid}")
        reasons = stale_reasons(con, tid) if status == "accepted" else []
        if reasons:
            raise StaleTrajectory(
                f"trajectory {tid} cannot be accepted while a reply is stale: {'; '.join(reasons)}. "
                "Regenerate the stale replies or edit them by hand first."
            )
        run(con, "UPDATE trajectories SET status = ?, updated_at = now() WHERE id = ?", [status, tid])


def trajectory_history(con: duckdb.DuckDBPyConnection, tid: int) -> list[dict[str, Any]]:
    return rows(
        con,
        """SELECT version, note, editor, saved_at, json_array_length(messages) AS messages
           FROM trajectory_versions WHERE trajectory_id = ? ORDER BY version DESC""",
        [tid],
    )


def trajectory_version(con: duckdb.DuckDBPyConnection, tid: int, version: int) -> list[dict[str, Any]] | None:
    text = scalar(
        con, "SELECT messages FROM trajectory_versions WHERE trajectory_id = ? AND version = ?", [tid, version]
    )
    return json.loads(text) if text else None


def render_messages(messages: list[dict[str, Any]]) -> list[str]:
    """One readable line per message part, for diffs."""
    lines = []
    for i, m in enumerate(messages):
        if m.get("content"):
            lines.append(f"[{i}] {m['role']}: {m['content']}")
        for tc in m.get("tool_calls") or []:
            lines.append(f"[{i}] {m['role']} calls {tc['function']['name']}({tc['function']['arguments']})")
        if not m.get("content") and not m.get("tool_calls"):
            lines.append(f"[{i}] {m['role']}: (empty)")
    return lines


def diff_versions(old: list[dict[str, Any]], new: list[dict[str, Any]], a: str = "old", b: str = "new") -> str:
    return "\n".join(
        difflib.unified_diff(render_messages(old), render_messages(new), fromfile=a, tofile=b, lineterm="", n=1)
    )


def trajectory_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Totals for the page's metrics: all, synthesised, verified, failed verification, accepted, rejected, stale."""
    row = rows(
        con,
        """SELECT count(*) AS total,
                  count(*) FILTER (WHERE origin = 'synth') AS synthesised,
                  count(*) FILTER (WHERE verified) AS verified,
                  count(*) FILTER (WHERE verified = false) AS failed,
                  count(*) FILTER (WHERE status = 'accepted') AS accepted,
                  count(*) FILTER (WHERE status = 'rejected') AS rejected,
                  count(*) FILTER (WHERE coalesce(json_array_length(stale), 0) > 0) AS stale
           FROM trajectories""",
    )[0]
    return {k: int(v) for k, v in row.items()}
