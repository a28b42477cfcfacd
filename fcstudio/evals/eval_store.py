"""Evaluation runs, episodes and scores in the workspace.

A run is one model on one benchmark: our own (``source='run'``), imported from a results file
(``'import'``), or a published figure (``'published'``: a paper's table or a leaderboard). Runs with
episodes get their scores recomputed from them, so every leaderboard row is one query away.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from fcstudio.evals.metrics import is_success, report
from fcstudio.store import rows, run, scalar, transaction, where_sql

SOURCES = ("run", "import", "published")


def create_run(
    con: duckdb.DuckDBPyConnection,
    *,
    benchmark: str,
    model: str,
    source: str,
    domain: str = "",
    user_model: str | None = None,
    origin: str | None = None,
    citation: str | None = None,
    content_hash: str | None = None,
    config: dict[str, Any] | None = None,
    status: str = "done",
    trials: int | None = None,
    job_id: int | None = None,
) -> int:
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}")
    run_id = int(scalar(con, "SELECT nextval('eval_run_seq')"))
    run(
        con,
        """INSERT INTO eval_runs (id, benchmark, domain, model, user_model, source, origin, citation, content_hash,
                                  config, status, trials, job_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            run_id,
            benchmark,
            domain,
            model,
            user_model,
            source,
            origin,
            citation,
            content_hash,
            json.dumps(config or {}),
            status,
            trials,
            job_id,
        ],
    )
    return run_id


def find_run(con: duckdb.DuckDBPyConnection, content_hash: str, model: str) -> int | None:
    found = scalar(con, "SELECT id FROM eval_runs WHERE content_hash = ? AND model = ? LIMIT 1", [content_hash, model])
    return int(found) if found is not None else None


def set_status(con: duckdb.DuckDBPyConnection, run_id: int, status: str) -> None:
    run(con, "UPDATE eval_runs SET status = ? WHERE id = ?", [status, run_id])


def add_episode(con: duckdb.DuckDBPyConnection, run_id: int, ep: dict[str, Any]) -> int | None:
    """Store one episode; an episode already stored for (run, task, trial) is kept (resumable runs)."""
    exists = scalar(
        con,
        "SELECT id FROM episodes WHERE run_id = ? AND task_id = ? AND trial = ?",
        [run_id, str(ep["task_id"]), int(ep["trial"])],
    )
    if exists is not None:
        return None
    eid = int(scalar(con, "SELECT nextval('episode_seq')"))
    reward = ep.get("reward")
    run(
        con,
        """INSERT INTO episodes (id, run_id, task_id, trial, domain, category, reward, success, reward_info,
                                 termination, messages, gold, instruction, review, cost, tokens_in, tokens_out,
                                 duration, tags, note)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            eid,
            run_id,
            str(ep["task_id"]),
            int(ep["trial"]),
            ep.get("domain") or "",
            ep.get("category"),
            reward,
            is_success(reward),
            json.dumps(ep.get("reward_info") or {}, default=str),
            ep.get("termination") or "unknown",
            json.dumps(ep.get("messages") or [], default=str),
            json.dumps(ep.get("gold") or {}, default=str),
            ep.get("instruction"),
            json.dumps(ep["review"], default=str) if ep.get("review") is not None else None,
            ep.get("cost"),
            ep.get("tokens_in"),
            ep.get("tokens_out"),
            ep.get("duration"),
            ep.get("tags") or [],
            ep.get("note"),
        ],
    )
    return eid


def done_keys(con: duckdb.DuckDBPyConnection, run_id: int) -> set[tuple[str, int]]:
    return {(t, int(n)) for t, n in run(con, "SELECT task_id, trial FROM episodes WHERE run_id = ?", [run_id])}


# -- scores ------------------------------------------------------------------------------------------
def set_score(
    con: duckdb.DuckDBPyConnection, run_id: int, metric: str, value: float | None, *, domain: str = "", k: int = 0
) -> None:
    run(
        con,
        "INSERT OR REPLACE INTO run_scores (run_id, domain, metric, k, value) VALUES (?, ?, ?, ?, ?)",
        [run_id, domain, metric, k, value],
    )


def episode_report(con: duckdb.DuckDBPyConnection, run_id: int, domain: str | None = None) -> dict[str, Any]:
    clauses = ["run_id = ?"]
    params: list[int | str] = [run_id]
    if domain:
        clauses.append("domain = ?")
        params.append(domain)
    found = run(con, f"SELECT task_id, success, reward FROM episodes{where_sql(clauses)}", params)
    return report(((t, s) for t, s, _ in found), (r or 0.0 for _, _, r in found))


def recompute_scores(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, Any]:
    """pass^k, pass@k and average reward from the run's episodes, overall and per domain.

    Runs inside the caller's transaction (importers and the runner commit scores with their episodes).
    """
    overall = episode_report(con, run_id)
    domains = [d for (d,) in run(con, "SELECT DISTINCT domain FROM episodes WHERE run_id = ? ORDER BY 1", [run_id])]
    run(con, "DELETE FROM run_scores WHERE run_id = ?", [run_id])
    targets = [("", overall)]
    if len(domains) == 1 and domains[0]:
        targets.append((domains[0], overall))
    elif len(domains) > 1:
        targets += [(d, episode_report(con, run_id, d)) for d in domains if d]
    for domain, rep in targets:
        for k, v in rep["pass_hat_k"].items():
            set_score(con, run_id, "pass^k", v, domain=domain, k=int(k))
        for k, v in rep["pass_at_k"].items():
            set_score(con, run_id, "pass@k", v, domain=domain, k=int(k))
        if "average_reward" in rep:
            set_score(con, run_id, "average_reward", rep["average_reward"], domain=domain)
    cost = scalar(con, "SELECT sum(cost) FROM episodes WHERE run_id = ?", [run_id])
    if cost is not None:
        set_score(con, run_id, "cost", float(cost))
    run(con, "UPDATE eval_runs SET trials = ? WHERE id = ?", [overall["trials"] or None, run_id])
    return overall


def run_report(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, Any]:
    """The report of ``eval report``: from episodes when the run has them, else from its stored scores."""
    if get_run(con, run_id) is None:
        raise KeyError(f"no run {run_id}")
    if scalar(con, "SELECT count(*) FROM episodes WHERE run_id = ?", [run_id]):
        return episode_report(con, run_id)
    scores = rows(
        con, "SELECT metric, k, value FROM run_scores WHERE run_id = ? AND domain = '' ORDER BY metric, k", [run_id]
    )
    if not scores:  # a published run scored per domain only: average its domains
        scores = rows(
            con,
            "SELECT metric, k, avg(value) AS value FROM run_scores WHERE run_id = ? GROUP BY metric, k ORDER BY metric, k",
            [run_id],
        )
    out: dict[str, Any] = {"episodes": 0, "tasks": 0, "trials": 0, "pass_hat_k": {}, "pass_at_k": {}, "scores": {}}
    for s in scores:
        if s["metric"] == "pass^k":
            out["pass_hat_k"][str(s["k"])] = s["value"]
        elif s["metric"] == "pass@k":
            out["pass_at_k"][str(s["k"])] = s["value"]
        else:
            out["scores"][s["metric"]] = s["value"]
    out["trials"] = max((int(k) for k in out["pass_hat_k"]), default=0)
    return out


# -- queries for pages and the CLI ---------------------------------------------------------------------
def get_run(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, Any] | None:
    found = rows(con, "SELECT * FROM eval_runs WHERE id = ?", [run_id])
    if not found:
        return None
    r = found[0]
    r["config"] = json.loads(r["config"]) if r.get("config") else {}
    r["episodes"] = int(scalar(con, "SELECT count(*) FROM episodes WHERE run_id = ?", [run_id]))
    return r


def list_runs(con: duckdb.DuckDBPyConnection, benchmark: str | None = None) -> list[dict[str, Any]]:
    clauses, params = [], []
    if benchmark:
        clauses.append("r.benchmark = ?")
        params.append(benchmark)
    return rows(
        con,
        f"""SELECT r.id, r.benchmark, r.domain, r.model, r.source, r.status, r.trials, r.created_at, r.origin,
                   (SELECT count(*) FROM episodes e WHERE e.run_id = r.id) AS episodes,
                   (SELECT count(*) FILTER (WHERE NOT success) FROM episodes e WHERE e.run_id = r.id) AS failed
            FROM eval_runs r{where_sql(clauses)} ORDER BY r.id""",
        params,
    )


def benchmarks(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [b for (b,) in run(con, "SELECT DISTINCT benchmark FROM eval_runs ORDER BY 1")]


def score_axes(con: duckdb.DuckDBPyConnection, benchmark: str) -> dict[str, list[Any]]:
    """The domains and metrics a benchmark's runs have scores for (the Leaderboard's selectors)."""
    found = run(
        con,
        """SELECT DISTINCT s.domain, s.metric, s.k FROM run_scores s JOIN eval_runs r ON r.id = s.run_id
           WHERE r.benchmark = ? ORDER BY 1, 2, 3""",
        [benchmark],
    )
    domains = sorted({d for d, _, _ in found})
    metrics = []
    for _, m, k in found:
        label = metric_label(m, k)
        if label not in metrics:
            metrics.append(label)
    return {"domains": domains, "metrics": metrics}


def metric_label(metric: str, k: int) -> str:
    return metric.replace("k", str(k)) if metric in ("pass^k", "pass@k") else metric


def parse_metric(label: str) -> tuple[str, int]:
    for base in ("pass^", "pass@"):
        if label.startswith(base) and label[len(base) :].isdigit():
            return base + "k", int(label[len(base) :])
    return label, 0


def leaderboard(
    con: duckdb.DuckDBPyConnection, benchmark: str, domain: str, metric_label_: str
) -> list[dict[str, Any]]:
    """One row per run with a score for the metric in the domain, best first; published and own runs mixed."""
    metric, k = parse_metric(metric_label_)
    return rows(
        con,
        """SELECT r.id AS run_id, r.model, r.source, r.citation, r.origin, r.trials, s.value,
                  (SELECT count(*) FROM episodes e WHERE e.run_id = r.id) AS episodes, r.created_at
           FROM run_scores s JOIN eval_runs r ON r.id = s.run_id
           WHERE r.benchmark = ? AND s.domain = ? AND s.metric = ? AND s.k = ? AND s.value IS NOT NULL
           ORDER BY s.value DESC, r.model""",
        [benchmark, domain, metric, k],
    )


def curves(con: duckdb.DuckDBPyConnection, run_ids: list[int], domain: str) -> list[dict[str, Any]]:
    """pass^k and pass@k by k for the given runs (the Leaderboard's reliability chart)."""
    if not run_ids:
        return []
    marks = ", ".join("?" for _ in run_ids)
    return rows(
        con,
        f"""SELECT r.id AS run_id, r.model, r.source, s.metric, s.k, s.value
            FROM run_scores s JOIN eval_runs r ON r.id = s.run_id
            WHERE s.run_id IN ({marks}) AND s.domain = ? AND s.metric IN ('pass^k', 'pass@k') AND s.value IS NOT NULL
            ORDER BY r.id, s.metric, s.k""",
        [*run_ids, domain],
    )


def run_scores(con: duckdb.DuckDBPyConnection, run_id: int) -> list[dict[str, Any]]:
    return rows(
        con, "SELECT domain, metric, k, value FROM run_scores WHERE run_id = ? ORDER BY domain, metric, k", [run_id]
    )


EPISODE_COLUMNS = (
    "id, run_id, task_id, trial, domain, category, reward, success, termination, tags, note, cost, duration"
)


def _episode_filter(
    run_id: int | None,
    domain: str | None,
    task_id: str | None,
    outcome: str | None,
    termination: str | None,
) -> tuple[list[str], list[Any]]:
    clauses, params = [], []
    for column, value in (("run_id", run_id), ("domain", domain), ("task_id", task_id), ("termination", termination)):
        if value not in (None, ""):
            clauses.append(f"{column} = ?")
            params.append(value)
    if outcome == "failed":
        clauses.append("NOT success")
    elif outcome == "passed":
        clauses.append("success")
    return clauses, params


def list_episodes(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: int | None = None,
    domain: str | None = None,
    task_id: str | None = None,
    outcome: str | None = None,
    termination: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    clauses, params = _episode_filter(run_id, domain, task_id, outcome, termination)
    return rows(
        con,
        f"SELECT {EPISODE_COLUMNS} FROM episodes{where_sql(clauses)} ORDER BY run_id, task_id, trial LIMIT ?",
        [*params, limit],
    )


def episode_facets(con: duckdb.DuckDBPyConnection, run_id: int | None) -> dict[str, list[Any]]:
    clauses, params = _episode_filter(run_id, None, None, None, None)
    where = where_sql(clauses)
    return {
        "domains": [d for (d,) in run(con, f"SELECT DISTINCT domain FROM episodes{where} ORDER BY 1", params)],
        "tasks": [t for (t,) in run(con, f"SELECT DISTINCT task_id FROM episodes{where} ORDER BY 1", params)],
        "terminations": [
            t for (t,) in run(con, f"SELECT DISTINCT termination FROM episodes{where} ORDER BY 1", params)
        ],
    }


def get_episode(con: duckdb.DuckDBPyConnection, episode_id: int) -> dict[str, Any] | None:
    found = rows(con, "SELECT * FROM episodes WHERE id = ?", [episode_id])
    if not found:
        return None
    e = found[0]
    for key in ("reward_info", "messages", "gold", "review"):
        e[key] = json.loads(e[key]) if e.get(key) else ({} if key != "messages" else [])
    return e


def save_review(con: duckdb.DuckDBPyConnection, episode_id: int, review: dict[str, Any]) -> None:
    run(con, "UPDATE episodes SET review = ? WHERE id = ?", [json.dumps(review, default=str), episode_id])


def annotate(con: duckdb.DuckDBPyConnection, episode_id: int, tags: list[str], note: str | None) -> None:
    clean = sorted({t.strip() for t in tags if t.strip()})
    run(con, "UPDATE episodes SET tags = ?, note = ? WHERE id = ?", [clean, note or None, episode_id])


def delete_run(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    with transaction(con):
        run(con, "DELETE FROM run_scores WHERE run_id = ?", [run_id])
        run(con, "DELETE FROM episodes WHERE run_id = ?", [run_id])
        run(con, "DELETE FROM eval_runs WHERE id = ?", [run_id])


def score_table(
    con: duckdb.DuckDBPyConnection, benchmark: str, domain: str
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every run of the benchmark with all its scores as columns, named as the Metric box names them (MAGNET's
    table layout for BFCL), and the readable column titles the runs' configs give (a published table's headers,
    a runner's own)."""
    found = rows(
        con,
        """SELECT r.id AS run_id, r.model, r.source, r.config, s.metric, s.k, s.value
           FROM run_scores s JOIN eval_runs r ON r.id = s.run_id
           WHERE r.benchmark = ? AND s.domain = ? AND s.value IS NOT NULL
           ORDER BY r.id, s.metric, s.k""",
        [benchmark, domain],
    )
    by_run: dict[int, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for r in found:
        row = by_run.setdefault(r["run_id"], {"run_id": r["run_id"], "model": r["model"], "source": r["source"]})
        row[metric_label(r["metric"], r["k"])] = r["value"]
        config = json.loads(r["config"]) if isinstance(r["config"], str) else (r["config"] or {})
        names.update({k: v for k, v in (config.get("metrics") or {}).items() if isinstance(v, str)})
    return list(by_run.values()), names
