"""Importers for outside evaluation results: each file becomes runs (and episodes) in the workspace.

- ``tau2-results``: ``tau2 run`` output, one run with its episodes: a results file (``info``, ``tasks``,
  ``simulations``) or a results folder as newer tau2 saves voice runs (``results.json`` with the metadata and
  a ``simulation_index``, one ``simulations/<id>.json`` per simulation; a bad simulation file is recorded and
  the others are imported). A results file or folder with no simulations is refused;
- ``tau-bench``: tau-bench v1 trajectory files (a list of ``task_id``/``trial``/``reward``/``info``/``traj``);
- ``tau2-leaderboard``: leaderboard submissions, one published run each: a file, a folder of them, or the
  upstream layout (``submissions/<name>/submission.json``, given that folder or its parent). Voice submissions
  (``"modality": "voice"``) are kept apart from text ones: their model is labelled ``NAME (voice)`` and the
  run's config says ``modality`` (voice tau2 results folders likewise);
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
        return _import_folder(con, kind, _submission_files(path), path, progress, failures)
    if kind == "tau2-results":
        meta = _tau2_results_meta(path)
        if meta is not None:
            return [_tau2_results_folder(con, meta, model, progress, failures)]
    if path.is_dir():
        raise EvalImportError(f"{path}: is a folder; {kind} imports a file")
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


UPSTREAM_FILES = ("manifest.json", "schema.json")  # tau2-bench's submissions/ folder: the list and the schema


def _submission_files(folder: Path) -> list[Path]:
    """The submissions in ``folder``: its ``*.json`` files (the flat layout) and, as tau2-bench keeps them,
    ``<name>/submission.json`` (``folder`` may be the parent of ``submissions/``); its example submissions
    (``A_EXAMPLE_*``), ``manifest.json`` and ``schema.json`` are not submissions."""
    if (folder / "submissions").is_dir() and not any(folder.glob("*/submission.json")):
        folder = folder / "submissions"
    flat = [f for f in folder.glob("*.json") if f.name not in UPSTREAM_FILES and f.is_file()]
    nested = [f for f in folder.glob("*/submission.json") if not f.parent.name.startswith("A_EXAMPLE_")]
    files = sorted(flat + nested)
    if not files:
        raise EvalImportError(
            f"{folder}: no submissions in this folder (expected *.json files or <name>/submission.json, "
            "as in tau2-bench's web/leaderboard/public/submissions)"
        )
    return files


def _import_folder(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    files: list[Path],
    folder: Path,
    progress: Progress | None,
    failures: list[tuple[str, str]] | None,
) -> list[int]:
    job_id = start_job(con, "eval_import", kind, None, {"path": str(folder)}, total=len(files))
    ids: list[int] = []
    bad: list[tuple[str, str]] = []
    for i, f in enumerate(files):
        if progress:
            progress(i / len(files), _submission_name(f))
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


SIMULATIONS_DIR = "simulations"  # tau2's dir format: results.json + simulations/<simulation id>.json


class _Tau2Run:
    """What a tau2 results file's metadata says about its run, and its simulations as episodes."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.info = _object(raw.get("info"))
        self.domain = str(_object(self.info.get("environment_info")).get("domain_name") or "")
        self.tasks = {str(t["id"]): t for t in raw.get("tasks") or [] if isinstance(t, dict) and "id" in t}
        self.trials_seen: dict[str, int] = {}
        self.voice = bool(self.info.get("audio_native_config"))  # tau-voice runs: an audio-native agent

    def episode(self, sim: Any, where: str) -> dict[str, Any]:
        if not isinstance(sim, dict) or "task_id" not in sim or not isinstance(sim.get("messages") or [], list):
            raise EvalImportError(f"{where}: needs 'task_id' and a 'messages' list")
        task_key = str(sim["task_id"])
        trial = sim.get("trial")
        if not isinstance(trial, int):  # older files: the n-th simulation of a task is its n-th trial
            trial = self.trials_seen.get(task_key, 0)
        self.trials_seen[task_key] = max(self.trials_seen.get(task_key, 0), trial) + 1
        reward_info = sim.get("reward_info") or {}
        if not isinstance(reward_info, dict):
            raise EvalImportError(f"{where}: reward_info must be an object")
        if sim.get("messages") is None and sim.get("ticks") is not None:  # full duplex: the messages are in ticks
            if not isinstance(sim["ticks"], list):
                raise EvalImportError(f"{where}: ticks must be a list")
            messages = tau2_messages(_tick_messages(sim["ticks"], where), where)
        else:
            messages = tau2_messages(sim.get("messages") or [], where)
        if sim.get("mode") == "full_duplex":
            self.voice = True
        task = _object(self.tasks.get(task_key))
        criteria = _object(task.get("evaluation_criteria"))
        scenario = task.get("user_scenario") or {}
        return {
            "task_id": task_key,
            "trial": trial,
            "domain": self.domain,
            "reward": _float(reward_info.get("reward")),
            "reward_info": reward_info,
            "termination": str(sim.get("termination_reason") or "unknown"),
            "messages": messages,
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

    def create_run(
        self, con: duckdb.DuckDBPyConnection, path: Path, content_hash: str, model: str | None, default_model: str
    ) -> int:
        agent = _object(self.info.get("agent_info"))
        user = _object(self.info.get("user_info"))
        source = _object(self.info.get("source"))
        modality = "voice" if self.voice else "text"
        name = str(agent.get("llm") or default_model)
        return eval_store.create_run(
            con,
            benchmark=str(source.get("benchmark") or "tau2"),
            domain=self.domain,
            model=model or modality_label(name, modality),
            user_model=str(user.get("llm")) if user.get("llm") else None,
            source="import",
            origin=str(path),
            content_hash=content_hash,
            config={"info": self.info, "modality": modality},
        )


def modality_label(model: str, modality: str) -> str:
    """A model's name as the Leaderboard shows it: a voice run is ``NAME (voice)``, apart from the text runs."""
    return f"{model} (voice)" if modality == "voice" and not model.endswith("(voice)") else model


def _tick_messages(ticks: list[Any], where: str) -> list[dict[str, Any]]:
    """A full-duplex simulation's ticks as tau2 messages, in tau2's order (each tick: the agent's chunk and tool
    calls, their results, then the user's), streamed chunks of one speaker merged into one message as tau2 merges
    them (text joined, a space between chunks of different utterances)."""
    out: list[dict[str, Any]] = []
    last_utterances: set[str] = set()
    for n, tick in enumerate(ticks):
        if not isinstance(tick, dict):
            raise EvalImportError(f"{where}: ticks[{n}] is not an object")
        for side, role in (("agent", "assistant"), ("user", "user")):
            chunk = _object(tick.get(f"{side}_chunk"))
            calls = tick.get(f"{side}_tool_calls") or []
            results = tick.get(f"{side}_tool_results") or []
            if not isinstance(calls, list) or not isinstance(results, list):
                raise EvalImportError(f"{where}: ticks[{n}].{side}_tool_calls and _tool_results must be lists")
            text = chunk.get("content") if isinstance(chunk.get("content"), str) else ""
            utterances = {str(u) for u in chunk.get("utterance_ids") or [] if isinstance(u, (str, int))}
            prev = out[-1] if out else None
            if text and not calls and prev and prev["role"] == role and not prev.get("tool_calls"):
                gap = " " if utterances and last_utterances and utterances.isdisjoint(last_utterances) else ""
                prev["content"] = (prev.get("content") or "") + gap + text
            elif text or calls:
                out.append({"role": role, "content": text or None, "tool_calls": calls})
            if text:
                last_utterances = utterances
            out.extend(results)
    return out


def _tau2_results(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    data: bytes,
    content_hash: str,
    model: str | None,
    progress: Progress | None,
) -> int:
    raw = _json(path, data)
    if isinstance(raw, dict) and "simulations" not in raw and "simulation_index" in raw:
        raise EvalImportError(
            f"{path}: the metadata of a tau2 results folder, without its {SIMULATIONS_DIR}/ folder beside it"
        )
    if not isinstance(raw, dict) or not isinstance(raw.get("simulations"), list):
        raise EvalImportError(f"{path}: a tau2 results file is an object with a 'simulations' list")
    if not raw["simulations"]:
        raise EvalImportError(f"{path}: no simulations to import (its 'simulations' list is empty)")
    tau2 = _Tau2Run(raw)
    episodes = [tau2.episode(sim, f"{path}: simulations[{i}]") for i, sim in enumerate(raw["simulations"])]
    run_id = tau2.create_run(con, path, content_hash, model, path.stem)
    _store_episodes(con, run_id, episodes, progress)
    return run_id


def _simulation_files(meta: Path) -> list[Path]:
    """The simulation files beside a results folder's ``results.json`` (not tau2's half-written ``.sim_*``)."""
    folder = meta.parent / SIMULATIONS_DIR
    if not folder.is_dir():
        return []
    return sorted(f for f in folder.glob("*.json") if not f.name.startswith(".") and f.is_file())


def _tau2_results_meta(path: Path) -> Path | None:
    """The ``results.json`` of a tau2 results folder that ``path`` is (or is the ``results.json`` of), else None:
    as tau2 reads it, a folder, or a file with a ``simulations/`` folder of simulation files beside it."""
    if path.is_dir():
        meta = path / "results.json"
        if not meta.is_file():
            raise EvalImportError(
                f"{path}: no results.json in this folder (a tau2 results folder holds results.json and "
                f"{SIMULATIONS_DIR}/)"
            )
        return meta
    return path if path.is_file() and _simulation_files(path) else None


def _tau2_results_folder(
    con: duckdb.DuckDBPyConnection,
    meta: Path,
    model: str | None,
    progress: Progress | None,
    failures: list[tuple[str, str]] | None,
) -> int:
    """One run from ``results.json`` and its ``simulations/*.json``, each file its own unit: a bad one is
    recorded (an ``eval_import`` job's failure) and the others are imported. A results.json with its simulations
    inline (tau2's single-file layout, in a run's folder) is imported as a file."""
    files = _simulation_files(meta)
    meta_data = _read_bytes(meta)
    raw = _json(meta, meta_data)
    if not isinstance(raw, dict):
        raise EvalImportError(f"{meta}: a tau2 results.json is a JSON object (info, tasks, simulation_index)")
    if not files:
        if isinstance(raw.get("simulations"), list) and raw["simulations"]:
            return import_results(con, "tau2-results", meta, model=model, progress=progress)[0]
        raise EvalImportError(
            f"{meta.parent}: no simulations to import (no {SIMULATIONS_DIR}/*.json files, and results.json lists none)"
        )
    digest = hashlib.sha256(b"tau2-results folder\0" + meta_data)
    for f in files:
        digest.update(f"\0{f.name}\0".encode() + _read_bytes(f))
    done = _existing(con, digest.hexdigest())
    if done:
        return done[0]
    tau2 = _Tau2Run(raw)
    episodes: list[dict[str, Any]] = []
    bad: list[tuple[str, BaseException | str]] = []
    for i, f in enumerate(files):
        if progress and i % 20 == 0:
            progress(i / len(files) / 2, f"reading {SIMULATIONS_DIR}/{f.name}")
        try:
            episodes.append(tau2.episode(_json(f, _read_bytes(f)), f"{f}"))
        except Exception as exc:  # one bad simulation never stops the others
            bad.append((str(f), str(exc) if isinstance(exc, EvalImportError) else exc))
    index = raw.get("simulation_index")
    on_disk = {f.stem for f in files}
    for entry in index if isinstance(index, list) else []:
        sim_id = str(entry.get("id")) if isinstance(entry, dict) else None
        if sim_id and sim_id not in on_disk:
            missing = meta.parent / SIMULATIONS_DIR / f"{sim_id}.json"
            bad.append((str(missing), f"{missing}: listed in {meta.name}'s simulation_index but not there"))
    if not episodes:
        raise EvalImportError(
            f"{meta.parent}: none of its {len(files)} simulation files could be imported: "
            + "; ".join(str(why) for _, why in bad[:3])
        )
    with transaction(con):
        run_id = tau2.create_run(con, meta.parent, digest.hexdigest(), model, meta.parent.name)
        _store_episodes(con, run_id, episodes, progress and (lambda f, t: progress(0.5 + f / 2, t)))
    if bad:
        total = len(files) + sum(1 for f, _ in bad if not Path(f).is_file())
        with transaction(con):
            job_id = start_job(con, "eval_import", "tau2-results", None, {"path": str(meta.parent)}, total=total)
            recorded = [(f, record_failure(con, job_id, f, why)) for f, why in bad]
            finish_job(con, job_id, None, items=len(episodes))
        if failures is not None:
            failures.extend(recorded)
        else:
            raise EvalImportError(
                f"{len(recorded)} simulation file(s) of {meta.parent} could not be imported (job {job_id}), the "
                f"other {len(episodes)} were, as run {run_id}: " + "; ".join(why for _, why in recorded[:3])
            )
    return run_id


# -- tau2 leaderboard ----------------------------------------------------------------------------------
def _submission_name(path: Path) -> str:
    """How a submission file is named in an origin or a progress line: ``NAME/submission.json`` in tau2-bench's
    layout (every file there has the same name), else the file's name."""
    return f"{path.parent.name}/{path.name}" if path.name == "submission.json" else path.name


def _modality(path: Path, raw: dict[str, Any]) -> str:
    """``text`` or ``voice``: the submission's ``modality`` (tau2-bench's schema; ``text`` when absent), or for a
    file without one in tau2-bench's layout, whether ``manifest.json`` lists it among the voice submissions."""
    declared = raw.get("modality")
    if declared is not None:
        if declared not in ("text", "voice"):
            raise EvalImportError(f"{path}: modality {declared!r} is not 'text' or 'voice'")
        return str(declared)
    manifest = path.parent.parent / "manifest.json"
    if path.name == "submission.json" and manifest.is_file():
        try:
            voice = json.loads(manifest.read_text(encoding="utf-8")).get("voice_submissions") or []
        except (OSError, ValueError, AttributeError):
            voice = []
        if isinstance(voice, list) and path.parent.name in voice:
            return "voice"
    return "text"


def _tau2_submission(con: duckdb.DuckDBPyConnection, path: Path, raw: Any, content_hash: str) -> int:
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("model_name"), str)
        or not isinstance(raw.get("results"), dict)
    ):
        raise EvalImportError(f"{path}: a tau2 leaderboard submission has 'model_name' and a 'results' object")
    modality = _modality(path, raw)
    methodology = _object(raw.get("methodology"))
    refs = [r for r in raw.get("references") or [] if isinstance(r, dict)]
    citation = "; ".join(f"{r.get('title', '')} {r.get('url', '')}".strip() for r in refs) or None
    submitter = raw.get("submitting_organization") or raw.get("model_organization") or ""
    run_id = eval_store.create_run(
        con,
        benchmark="tau2",
        model=modality_label(raw["model_name"], modality),
        user_model=methodology.get("user_simulator"),
        source="published",
        origin=f"tau2-bench leaderboard: {submitter}, {raw.get('submission_date', '')} ({_submission_name(path)})",
        citation=citation,
        content_hash=content_hash,
        config={
            "organization": raw.get("model_organization"),
            "submitted_by": submitter,
            "submission_date": raw.get("submission_date"),
            "methodology": methodology,
            "trajectories_available": raw.get("trajectories_available"),
            "modality": modality,
            "submission_type": raw.get("submission_type", "standard"),
            "voice_config": raw.get("voice_config"),
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
