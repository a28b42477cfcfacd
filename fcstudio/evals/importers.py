"""Importers for outside evaluation results: each file becomes runs (and episodes) in the workspace.

- ``tau2-results``: ``tau2 run`` output (``info``, ``tasks``, ``simulations``), one run with its episodes;
- ``tau-bench``: tau-bench v1 trajectory files (a list of ``task_id``/``trial``/``reward``/``info``/``traj``);
- ``tau2-leaderboard``: leaderboard submissions (a file or a folder of them), one published run each;
- ``bfcl-scores``: BFCL score CSVs (``data_overall.csv`` and friends), one run per model row;
- ``published``: fcstudio's own reference tables (``data/published/*.json``), one run per row.

Every import runs in one transaction, so a bad file leaves the workspace as it was; the error names
the file and the record. Text that cannot be stored (a lone surrogate or NUL, see ``formats.text``) is refused
with ``PATH:LINE (record ID): reason``, as an error that is both a ``FormatError`` and an ``EvalImportError``.
Importing the same file again returns the runs it created the first time.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from pydantic import BaseModel, ConfigDict, ValidationError

from fcstudio.catalog.formats import text as bad_text
from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.formats.reader import array_lines
from fcstudio.config import DATA_DIR
from fcstudio.envs.tasks import scenario_text
from fcstudio.evals import eval_store
from fcstudio.jobs import finish_job, record_failure, start_job
from fcstudio.store import rows, transaction
from fcstudio.validation import first_error

KINDS = ("tau2-results", "tau-bench", "tau2-leaderboard", "bfcl-scores", "published")
PUBLISHED_DIR = DATA_DIR / "published"
Progress = Callable[[float, str], object]  # whatever it returns is ignored (a page's lambda returns its progress bar)


class EvalImportError(ValueError):
    """A results file that is not what its kind says; the message names the file and the record."""


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise EvalImportError(f"{path}: cannot be read: {exc.strerror or exc}") from None


def _json(path: Path, data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
        value = json.loads(text)
    except UnicodeDecodeError:
        raise EvalImportError(f"{path}: not a UTF-8 text file") from None
    except json.JSONDecodeError as exc:
        raise EvalImportError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise EvalImportError(f"{path}: nesting is too deep to import") from None
    bad_text.check_document(str(path), text, value, error=EvalImportError)
    return value


def _element_line(data: bytes, index: int) -> int | None:
    """The line element ``index`` of a JSON list file starts on (asked for only to report an error)."""
    try:
        lines = array_lines(data.decode("utf-8"))
    except (UnicodeDecodeError, FormatError):
        return None
    return lines[index] if 0 <= index < len(lines) else None


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _existing(con: duckdb.DuckDBPyConnection, content_hash: str) -> list[int]:
    return [r["id"] for r in rows(con, "SELECT id FROM eval_runs WHERE content_hash = ? ORDER BY id", [content_hash])]


def import_results(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    path: str | Path,
    *,
    model: str | None = None,
    domain: str | None = None,
    progress: Progress | None = None,
    failures: list[tuple[str, str]] | None = None,
) -> list[int]:
    """Import ``path`` as ``kind``; returns the ids of the runs it holds (created now or before).

    A folder of submissions is imported file by file, each its own unit: a bad file is recorded (an
    ``eval_import`` job's failures) and the others go on. With ``failures`` the bad files are listed there;
    without it, an EvalImportError after the others were imported says which failed.
    """
    if kind not in KINDS:
        raise EvalImportError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    path = Path(path)
    if kind == "tau2-leaderboard" and path.is_dir():
        return _import_folder(con, kind, path, progress, failures)
    if not path.is_file():
        raise EvalImportError(f"{path}: no such file")
    data = _read_bytes(path)
    content_hash = _hash(data + kind.encode())
    done = _existing(con, content_hash)
    if done:
        return done
    with transaction(con):
        if kind == "tau-bench":
            ids = [_tau_bench(con, path, data, content_hash, model, domain, progress)]
        elif kind == "tau2-results":
            ids = [_tau2_results(con, path, data, content_hash, model, progress)]
        elif kind == "tau2-leaderboard":
            ids = [_tau2_submission(con, path, _json(path, data), content_hash)]
        elif kind == "bfcl-scores":
            ids = _bfcl_scores(con, path, data, content_hash)
        else:
            ids = _published(con, path, _json(path, data), content_hash)
    return ids


def _import_folder(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    folder: Path,
    progress: Progress | None,
    failures: list[tuple[str, str]] | None,
) -> list[int]:
    files = sorted(folder.glob("*.json"))
    if not files:
        raise EvalImportError(f"{folder}: no submission .json files in this folder")
    job_id = start_job(con, "eval_import", kind, None, {"path": str(folder)}, total=len(files))
    ids: list[int] = []
    bad: list[tuple[str, str]] = []
    for i, f in enumerate(files):
        if progress:
            progress(i / len(files), f.name)
        try:
            ids += import_results(con, kind, f)
        except Exception as exc:  # one bad submission never stops the others
            why: BaseException | str = str(exc) if isinstance(exc, EvalImportError) else exc  # names the place
            with transaction(con):
                bad.append((str(f), record_failure(con, job_id, str(f), why)))
    with transaction(con):
        finish_job(con, job_id, None, items=len(files) - len(bad))
    if failures is not None:
        failures.extend(bad)
    elif bad:
        raise EvalImportError(
            f"{len(bad)} of {len(files)} files could not be imported (job {job_id}), the others were: "
            + "; ".join(why for _, why in bad[:3])
        )
    return ids


def ensure_published(con: duckdb.DuckDBPyConnection, folder: Path = PUBLISHED_DIR) -> list[int]:
    """Load the reference tables shipped in ``data/published`` (idempotent)."""
    ids: list[int] = []
    for f in sorted(folder.glob("*.json")):
        ids += import_results(con, "published", f)
    if (folder / "tau2_leaderboard").is_dir():
        ids += import_results(con, "tau2-leaderboard", folder / "tau2_leaderboard")
    return ids


# -- tau-bench v1 ------------------------------------------------------------------------------------
class _V1Episode(BaseModel):
    model_config = ConfigDict(extra="allow")

    task_id: int | str
    reward: float
    trial: int = 0
    traj: list[dict[str, Any]]
    info: dict[str, Any] = {}


def _loose(value: Any) -> Any:
    """tau-bench v1 files hold some values as Python-repr strings: read them when we can."""
    if isinstance(value, str) and value[:1] in "[{(":
        for parse in (json.loads, ast.literal_eval):
            try:
                return parse(value)
            except (ValueError, SyntaxError):
                continue
    return value


def _check_messages(messages: list[Any], where: str) -> list[dict[str, Any]]:
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant", "tool"):
            raise EvalImportError(
                f"{where}: message {i} is not an OpenAI chat message (role system/user/assistant/tool)"
            )
        for j, tc in enumerate(m.get("tool_calls") or []):
            fn = tc.get("function") if isinstance(tc, dict) else None
            if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
                raise EvalImportError(f"{where}: message {i} tool call {j} has no function name")
            if not isinstance(fn.get("arguments", ""), str):
                fn["arguments"] = json.dumps(fn["arguments"])
    return messages


def termination_of(messages: list[dict[str, Any]]) -> str:
    """How a recorded conversation ended, for files that do not say: transfer, user stop, or unknown."""
    for m in messages:
        for tc in m.get("tool_calls") or []:
            if (tc.get("function") or {}).get("name") == "transfer_to_human_agents":
                return "transfer"
    last_user = next((m for m in reversed(messages) if m.get("role") == "user"), None)
    if last_user and "###STOP###" in str(last_user.get("content") or ""):
        return "user_stop"
    if messages and messages[-1].get("role") == "assistant" and not messages[-1].get("tool_calls"):
        return "agent_stop"
    return "max_steps"


def _v1_names(path: Path) -> tuple[str, str]:
    stem = path.stem
    for d in ("airline", "retail"):
        if d in stem:
            return stem.replace(f"-{d}", "").replace(f"_{d}", "").replace(d, "").strip("-_") or stem, d
    return stem, ""


def _tau_bench(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    data: bytes,
    content_hash: str,
    model: str | None,
    domain: str | None,
    progress: Progress | None,
) -> int:
    raw = _json(path, data)
    if not isinstance(raw, list):
        raise EvalImportError(f"{path}: a tau-bench trajectory file is a JSON list of episodes")
    guessed_model, guessed_domain = _v1_names(path)
    episodes = []
    for i, obj in enumerate(raw):
        where = f"{path}: episode {i}"
        try:
            ep = _V1Episode.model_validate(obj)
        except ValidationError as exc:
            loc, msg = first_error(exc)
            raise EvalImportError(f"{where}: {loc}: {msg}") from None

        def loose(value: Any, *at: str | int, i: int = i, ep: _V1Episode = ep) -> Any:
            """``_loose``, refusing text its escapes decode to that cannot be stored."""
            parsed = _loose(value)
            if parsed is not value and "\\" in value:
                found = bad_text.find_bad(parsed)
                if found:
                    raise bad_text.error_class(EvalImportError)(
                        str(path), found.reason((i, *at)), line=_element_line(data, i), record=str(ep.task_id)
                    )
            return parsed

        task = loose(ep.info.get("task"), "info", "task") or {}
        if not isinstance(task, dict):
            raise EvalImportError(f"{where}: info.task is not an object")
        actions = []
        for j, a in enumerate(loose(task.get("actions"), "info", "task", "actions") or []):
            a = loose(a, "info", "task", "actions", j)
            if not isinstance(a, dict) or not isinstance(a.get("name"), str):
                raise EvalImportError(f"{where}: info.task.actions[{j}] has no name")
            key = "kwargs" if "kwargs" in a else "arguments"
            args = loose(a.get(key, {}), "info", "task", "actions", j, key)
            actions.append({"name": a["name"], "arguments": args if isinstance(args, dict) else {}})
        messages = _check_messages(ep.traj, where)
        reward_info = loose(ep.info.get("reward_info"), "info", "reward_info") or {}
        episodes.append(
            {
                "task_id": str(ep.task_id),
                "trial": ep.trial,
                "domain": domain or guessed_domain,
                "reward": float(ep.reward),
                "reward_info": reward_info if isinstance(reward_info, dict) else {"raw": str(reward_info)},
                "termination": termination_of(messages),
                "messages": messages,
                "gold": {
                    "actions": actions,
                    "outputs": [str(o) for o in loose(task.get("outputs"), "info", "task", "outputs") or []],
                },
                "instruction": str(task.get("instruction") or ""),
                "cost": _float(ep.info.get("user_cost")),
            }
        )
    run_id = eval_store.create_run(
        con,
        benchmark="tau-bench",
        domain=domain or guessed_domain,
        model=model or guessed_model,
        source="import",
        origin=str(path),
        content_hash=content_hash,
    )
    _store_episodes(con, run_id, episodes, progress)
    return run_id


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _store_episodes(
    con: duckdb.DuckDBPyConnection, run_id: int, episodes: list[dict[str, Any]], progress: Progress | None
) -> None:
    for i, ep in enumerate(episodes):
        if progress and i % 20 == 0:
            progress(i / max(len(episodes), 1), f"episode {i + 1} of {len(episodes)}")
        eval_store.add_episode(con, run_id, ep)
    eval_store.recompute_scores(con, run_id)


# -- tau2 results ------------------------------------------------------------------------------------
def tau2_messages(messages: list[Any], where: str) -> list[dict[str, Any]]:
    """tau2's message objects as OpenAI chat messages (tool-call arguments as JSON text)."""
    out: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant", "tool"):
            raise EvalImportError(f"{where}: message {i} has no role system/user/assistant/tool")
        role = m["role"]
        if role == "tool":
            call_id = str(m.get("id") or m.get("tool_call_id") or "")
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": call_id,
                    "name": names.get(call_id, ""),
                    "content": str(m.get("content") or ""),
                }
            )
            continue
        msg: dict[str, Any] = {"role": role, "content": m.get("content")}
        calls: list[dict[str, Any]] = []
        for j, tc in enumerate(m.get("tool_calls") or []):
            if not isinstance(tc, dict) or not isinstance(tc.get("name"), str):
                raise EvalImportError(f"{where}: message {i} tool call {j} has no name")
            call_id = str(tc.get("id") or f"call_{i}_{j}")
            names[call_id] = tc["name"]
            args = tc.get("arguments") or {}
            calls.append(
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": tc["name"], "arguments": args if isinstance(args, str) else json.dumps(args)},
                }
            )
        if calls and role == "assistant":
            msg["tool_calls"] = calls
        elif calls:  # a user-side call (tau2's dual control): kept readable in the transcript
            msg["content"] = (msg.get("content") or "") + "".join(
                f"\n[user tool call] {c['function']['name']}({c['function']['arguments']})" for c in calls
            )
        out.append(msg)
    return out


def _object(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (an optional section of an imported file)."""
    return value if isinstance(value, dict) else {}


def _tau2_results(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    data: bytes,
    content_hash: str,
    model: str | None,
    progress: Progress | None,
) -> int:
    raw = _json(path, data)
    if not isinstance(raw, dict) or not isinstance(raw.get("simulations"), list):
        raise EvalImportError(f"{path}: a tau2 results file is an object with a 'simulations' list")
    info = _object(raw.get("info"))
    agent = info.get("agent_info") or {}
    user = info.get("user_info") or {}
    domain = str((info.get("environment_info") or {}).get("domain_name") or "")
    tasks = {}
    for t in raw.get("tasks") or []:
        if isinstance(t, dict) and "id" in t:
            tasks[str(t["id"])] = t
    episodes = []
    trials_seen: dict[str, int] = {}
    for i, sim in enumerate(raw["simulations"]):
        where = f"{path}: simulations[{i}]"
        if not isinstance(sim, dict) or "task_id" not in sim or not isinstance(sim.get("messages") or [], list):
            raise EvalImportError(f"{where}: needs 'task_id' and a 'messages' list")
        task_key = str(sim["task_id"])
        trial = sim.get("trial")
        if not isinstance(trial, int):  # older files: the n-th simulation of a task is its n-th trial
            trial = trials_seen.get(task_key, 0)
        trials_seen[task_key] = max(trials_seen.get(task_key, 0), trial) + 1
        reward_info = sim.get("reward_info") or {}
        if not isinstance(reward_info, dict):
            raise EvalImportError(f"{where}: reward_info must be an object")
        task = tasks.get(str(sim["task_id"])) or {}
        criteria = task.get("evaluation_criteria") or {}
        scenario = task.get("user_scenario") or {}
        episodes.append(
            {
                "task_id": str(sim["task_id"]),
                "trial": trial,
                "domain": domain,
                "reward": _float(reward_info.get("reward")),
                "reward_info": reward_info,
                "termination": str(sim.get("termination_reason") or "unknown"),
                "messages": tau2_messages(sim.get("messages") or [], where),
                "gold": {
                    "actions": [
                        {
                            "name": a.get("name"),
                            "arguments": a.get("arguments") or {},
                            "requestor": a.get("requestor", "assistant"),
                        }
                        for a in criteria.get("actions") or []
                        if isinstance(a, dict)
                    ],
                    "outputs": [str(x) for x in criteria.get("communicate_info") or []],
                },
                "instruction": scenario_text(scenario) if scenario else "",
                "cost": (_float(sim.get("agent_cost")) or 0.0) + (_float(sim.get("user_cost")) or 0.0),
                "duration": _float(sim.get("duration")),
            }
        )
    source = _object(info.get("source"))
    run_id = eval_store.create_run(
        con,
        benchmark=str(source.get("benchmark") or "tau2"),
        domain=domain,
        model=model or str(agent.get("llm") or path.stem),
        user_model=str(user.get("llm")) if user.get("llm") else None,
        source="import",
        origin=str(path),
        content_hash=content_hash,
        config={"info": info},
    )
    _store_episodes(con, run_id, episodes, progress)
    return run_id


# -- tau2 leaderboard ----------------------------------------------------------------------------------
def _tau2_submission(con: duckdb.DuckDBPyConnection, path: Path, raw: Any, content_hash: str) -> int:
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("model_name"), str)
        or not isinstance(raw.get("results"), dict)
    ):
        raise EvalImportError(f"{path}: a tau2 leaderboard submission has 'model_name' and a 'results' object")
    methodology = _object(raw.get("methodology"))
    refs = [r for r in raw.get("references") or [] if isinstance(r, dict)]
    citation = "; ".join(f"{r.get('title', '')} {r.get('url', '')}".strip() for r in refs) or None
    submitter = raw.get("submitting_organization") or raw.get("model_organization") or ""
    run_id = eval_store.create_run(
        con,
        benchmark="tau2",
        model=raw["model_name"],
        user_model=methodology.get("user_simulator"),
        source="published",
        origin=f"tau2-bench leaderboard: {submitter}, {raw.get('submission_date', '')} ({path.name})",
        citation=citation,
        content_hash=content_hash,
        config={
            "organization": raw.get("model_organization"),
            "submitted_by": submitter,
            "submission_date": raw.get("submission_date"),
            "methodology": methodology,
            "trajectories_available": raw.get("trajectories_available"),
        },
    )
    for domain, result in raw["results"].items():
        if not isinstance(result, dict):
            continue
        for key, value in result.items():
            m = re.fullmatch(r"pass_(\d+)", key)
            if m and isinstance(value, (int, float)):
                if not 0 <= value <= 100:
                    raise EvalImportError(f"{path}: results.{domain}.{key} = {value} is not a percentage")
                eval_store.set_score(con, run_id, "pass^k", value / 100, domain=domain, k=int(m.group(1)))
            elif key == "cost" and isinstance(value, (int, float)):
                eval_store.set_score(con, run_id, "cost", float(value), domain=domain)
    return run_id


# -- BFCL score CSVs -----------------------------------------------------------------------------------
SKIP_COLUMNS = {"rank", "model", "model_link", "organization", "license"}


def metric_slug(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.lower().replace("($)", "usd").replace("(s)", "s")).strip("_")


def _bfcl_scores(con: duckdb.DuckDBPyConnection, path: Path, data: bytes, content_hash: str) -> list[int]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EvalImportError(f"{path}: not a UTF-8 text file") from None
    if "\x00" in text:  # CSV text is UTF-8, so NUL is the one character it can hold that cannot be stored
        reason, line = _nul_place(text)
        raise bad_text.error_class(EvalImportError)(str(path), reason, line=line)
    table = list(csv.reader(text.splitlines()))
    if not table or "Model" not in table[0]:
        raise EvalImportError(f"{path}: a BFCL score CSV starts with a header row that has a 'Model' column")
    header = table[0]
    version = re.search(r"v(\d)", path.name.lower())
    benchmark = f"bfcl-v{version.group(1)}" if version else "bfcl-v4"
    ids = []
    for n, row in enumerate(table[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise EvalImportError(f"{path}:{n}: {len(row)} cells, the header has {len(header)}")
        record = dict(zip(header, row, strict=True))
        run_id = eval_store.create_run(
            con,
            benchmark=benchmark,
            model=record["Model"],
            source="import",
            origin=f"{path.name}:{n}",
            content_hash=content_hash,
            config={k: v for k, v in record.items() if metric_slug(k) in ("organization", "license", "model_link")},
        )
        for column, cell in record.items():
            slug = metric_slug(column)
            cell = cell.strip()
            if slug in SKIP_COLUMNS or not cell or cell.upper() == "N/A":
                continue
            try:
                value = float(cell.rstrip("%")) / (100 if cell.endswith("%") else 1)
            except ValueError:
                raise EvalImportError(f"{path}:{n}: column {column!r} holds {cell!r}, not a number") from None
            eval_store.set_score(con, run_id, slug, value)
        ids.append(run_id)
    if not ids:
        raise EvalImportError(f"{path}: no model rows under the header")
    return ids


def _nul_place(text: str) -> tuple[str, int]:
    """(reason naming the column, line) of the first NUL in CSV ``text``."""
    line = text.count("\n", 0, text.index("\x00")) + 1
    lines = text.splitlines()
    header = next(csv.reader(lines[:1]), [])
    cells = next(csv.reader([lines[line - 1]]), []) if line <= len(lines) else []
    column = next((header[i] for i, c in enumerate(cells) if "\x00" in c and i < len(header)), None)
    where = f" in column {column!r}" if column and "\x00" not in column else ""
    return f"text holds {bad_text.describe(chr(0))}{where}", line


# -- fcstudio's reference tables -----------------------------------------------------------------------
class _Table(BaseModel):
    benchmark: str
    domain: str = ""
    title: str = ""
    citation: str
    url: str | None = None
    scale: float = 1.0
    metrics: dict[str, str] = {}
    rows: list[dict[str, Any]]


def _published(con: duckdb.DuckDBPyConnection, path: Path, raw: Any, content_hash: str) -> list[int]:
    try:
        table = _Table.model_validate(raw)
    except ValidationError as exc:
        loc, msg = first_error(exc)
        raise EvalImportError(f"{path}: {loc}: {msg}") from None
    ids = []
    for i, row in enumerate(table.rows):
        scores = row.get("scores")
        if not isinstance(row.get("model"), str) or not isinstance(scores, dict):
            raise EvalImportError(f"{path}: rows[{i}] needs a 'model' and a 'scores' object")
        run_id = eval_store.create_run(
            con,
            benchmark=table.benchmark,
            domain=table.domain,
            model=row["model"],
            source="published",
            origin=table.title or path.name,
            citation=table.citation + (f" {table.url}" if table.url else ""),
            content_hash=content_hash,
            config={"group": row.get("group"), "metrics": table.metrics},
        )
        for metric, value in scores.items():
            if not isinstance(value, (int, float)):
                raise EvalImportError(f"{path}: rows[{i}].scores.{metric} is not a number")
            eval_store.set_score(con, run_id, metric, value / table.scale, domain=table.domain)
        ids.append(run_id)
    return ids
