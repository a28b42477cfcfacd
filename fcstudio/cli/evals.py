"""``eval``: run, import, report and review evaluations (BFCL's own commands are in ``cli/bfcl.py``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from fcstudio.cli.common import (
    BaseUrlOpt,
    ConcurrencyOpt,
    JsonOpt,
    KeyEnvOpt,
    MaxTokensOpt,
    NoCacheOpt,
    WorkspaceOpt,
    bar_and_step,
    connect,
    dump,
    err,
    fail,
    llm_config,
    out,
    report_failures,
    write_out,
)
from fcstudio.envs.tasks import TaskFileError
from fcstudio.evals import eval_store, review
from fcstudio.evals.bfcl_multi_turn import multi_turn_review
from fcstudio.evals.importers import KINDS, EvalImportError, import_results
from fcstudio.evals.runner import RunError, RunSpec, create_run, default_tasks_file, execute_run
from fcstudio.evals.tau2_export import to_tau2_results
from fcstudio.llm import LLMConfig
from fcstudio.validation import first_error

eval_app = typer.Typer(
    help="Evaluate agents: run tau-style episodes, import results, report, review failures.", no_args_is_help=True
)


# -- eval ------------------------------------------------------------------------------------------------
@eval_app.command("import")
def eval_import(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.")],
    path: Annotated[
        Path,
        typer.Argument(
            help="The results file; for tau2-results also a results folder (results.json + simulations/), "
            "for tau2-leaderboard a folder of submissions (flat, or tau2-bench's submissions/<name>/submission.json)."
        ),
    ],
    model: Annotated[str | None, typer.Option(help="Model name (default: from the file).")] = None,
    domain: Annotated[str | None, typer.Option(help="Domain (tau-bench; default: from the file name).")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Import results; prints the id of each run, one per line."""
    if kind not in KINDS:
        raise fail(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}", 2)
    failures: list[tuple[str, str]] = []
    with connect(workspace) as con:
        bar, step = bar_and_step(f"importing {path.name}")
        try:
            with bar:
                ids = import_results(con, kind, path, model=model, domain=domain, progress=step, failures=failures)
        except EvalImportError as exc:
            raise fail(str(exc)) from None
    for run_id in ids:
        sys.stdout.write(f"{run_id}\n")
    for _, why in failures:  # a folder: each file its own unit, the others were imported
        err.print(f"error: {why}", markup=False, highlight=False)
    if failures:
        raise typer.Exit(1)


@eval_app.command("report")
def eval_report(
    run_id: Annotated[int, typer.Argument(metavar="RUN")], workspace: WorkspaceOpt = None, as_json: JsonOpt = False
) -> None:
    """pass^k and pass@k for k = 1..trials (from episodes, or the run's published scores)."""
    with connect(workspace) as con:
        try:
            rep = eval_store.run_report(con, run_id)
        except KeyError as exc:
            raise fail(str(exc).strip("'")) from None
        meta = eval_store.get_run(con, run_id)
    if as_json:
        dump(rep)
        return
    assert meta is not None
    out.print(f"run {run_id}: {meta['model']} on {meta['benchmark']} {meta['domain']} ({meta['source']})", markup=False)
    table = Table("k", "pass^k", "pass@k")
    for k in rep["pass_hat_k"]:
        at = rep["pass_at_k"].get(k)
        table.add_row(k, f"{rep['pass_hat_k'][k]:.3f}", "" if at is None else f"{at:.3f}")
    out.print(table)
    out.print(f"{rep['episodes']} episodes, {rep['tasks']} tasks, {rep['trials']} trials", markup=False)


@eval_app.command("run")
def eval_run(
    domain: Annotated[
        str | None,
        typer.Option(help="travel, airline, retail or telecom (dual control: the user acts on the phone too)."),
    ] = None,
    tasks: Annotated[
        str | None, typer.Option(help="Task ids (comma-separated) or a tasks file (tau2 or tau-bench layout).")
    ] = None,
    tasks_file: Annotated[Path | None, typer.Option(help="Tasks file (default: the domain's tasks.json).")] = None,
    agent_model: Annotated[str | None, typer.Option(help="The agent's model.")] = None,
    user_model: Annotated[
        str | None, typer.Option(help="The user simulator's model (omit for the scripted user: tasks' user_turns).")
    ] = None,
    judge_model: Annotated[str | None, typer.Option(help="A model to judge NL assertions.")] = None,
    base_url: BaseUrlOpt = None,
    key_env: KeyEnvOpt = "OPENAI_API_KEY",
    trials: Annotated[int, typer.Option(help="Trials per task (pass^k needs k ≤ trials).")] = 1,
    concurrency: ConcurrencyOpt = 4,
    max_steps: Annotated[int, typer.Option(help="Agent steps before an episode is cut off.")] = 30,
    temperature: Annotated[float, typer.Option(help="Sampling temperature of agent and user.")] = 0.0,
    agent_price_in: Annotated[float, typer.Option(help="Agent: USD per million prompt tokens.")] = 0.0,
    agent_price_out: Annotated[float, typer.Option(help="Agent: USD per million completion tokens.")] = 0.0,
    user_price_in: Annotated[float, typer.Option(help="User simulator: USD per million prompt tokens.")] = 0.0,
    user_price_out: Annotated[float, typer.Option(help="User simulator: USD per million completion tokens.")] = 0.0,
    no_cache: NoCacheOpt = False,
    max_tokens: MaxTokensOpt = None,
    resume: Annotated[int | None, typer.Option(help="Finish an interrupted run (its own settings are used).")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Run agent × user × environment episodes; prints a JSON summary with pass^k."""
    with connect(workspace) as con:
        try:
            if resume is not None:
                run_id = resume
            else:
                if not domain or not agent_model:
                    raise fail("give --domain and --agent-model (or --resume RUN)", 2)
                file = tasks_file
                ids = None
                if tasks and Path(tasks).is_file():
                    file = Path(tasks)
                elif tasks:
                    ids = [t.strip() for t in tasks.split(",") if t.strip()]

                def model(name: str, price_in: float, price_out: float) -> LLMConfig:
                    return llm_config(
                        name,
                        base_url,
                        key_env,
                        concurrency,
                        no_cache,
                        max_tokens,
                        temperature=temperature,
                        price_in=price_in,
                        price_out=price_out,
                    )

                spec = RunSpec(
                    domain=domain,
                    tasks_file=str(file or default_tasks_file(domain)),
                    task_ids=ids,
                    trials=trials,
                    max_steps=max_steps,
                    agent=model(agent_model, agent_price_in, agent_price_out),
                    user=model(user_model, user_price_in, user_price_out) if user_model else None,
                    judge=llm_config(judge_model, base_url, key_env, concurrency, no_cache, max_tokens)
                    if judge_model
                    else None,
                )
                run_id = create_run(con, spec)
            err.print(f"run {run_id}", markup=False)
            bar, step = bar_and_step("episodes")
            with bar:
                summary = execute_run(con, run_id, progress=step)
        except (RunError, TaskFileError, KeyError, FileNotFoundError) as exc:
            raise fail(str(exc).strip("'")) from None
        except ValidationError as exc:
            raise fail("{}: {}".format(*first_error(exc)), 2) from None
    dump(
        {
            "run": summary.run_id,
            "job": summary.job_id,
            "status": summary.status,
            "episodes": summary.episodes,
            "resumed_past": summary.skipped,
            "failed": summary.failed,
            "report": summary.report,
            "usage": summary.usage,
            "seconds": round(summary.seconds, 2),
        }
    )
    total = summary.episodes + len(summary.failed)
    code = report_failures(summary.job_id, summary.status, summary.failed, total, "episodes or tasks")
    if code:
        raise typer.Exit(code)


@eval_app.command("runs")
def eval_runs(
    benchmark: Annotated[str | None, typer.Option(help="Only this benchmark.")] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Runs in the workspace: own, imported and published."""
    with connect(workspace) as con:
        found = eval_store.list_runs(con, benchmark)
    if as_json:
        dump(found)
        return
    table = Table("run", "benchmark", "domain", "model", "source", "episodes", "failed", "status")
    for r in found:
        table.add_row(
            str(r["id"]),
            r["benchmark"],
            r["domain"],
            r["model"],
            r["source"],
            str(r["episodes"]),
            str(r["failed"]),
            r["status"],
        )
    out.print(table)


@eval_app.command("leaderboard")
def eval_leaderboard(
    benchmark: Annotated[str, typer.Option(help="tau2, tau-bench, bfcl-v3, bfcl-v4, toolalpaca, fcstudio, ...")],
    domain: Annotated[str, typer.Option(help="Domain ('' for benchmark-wide scores).")] = "",
    metric: Annotated[str, typer.Option(help="pass^1, pass@2, overall_acc, ...")] = "pass^1",
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Runs ranked by one metric, published figures and own runs together."""
    with connect(workspace) as con:
        found = eval_store.leaderboard(con, benchmark, domain, metric)
    if as_json:
        dump(found)
        return
    table = Table("#", "model", "source", metric, "run")
    for i, r in enumerate(found, 1):
        table.add_row(str(i), r["model"], r["source"], f"{r['value']:.3f}", str(r["run_id"]))
    out.print(table)


@eval_app.command("episodes")
def eval_episodes(
    run_id: Annotated[int, typer.Argument(metavar="RUN")],
    failed: Annotated[bool, typer.Option("--failed", help="Only failed episodes.")] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A run's episodes (task, trial, reward, how it ended)."""
    with connect(workspace) as con:
        found = eval_store.list_episodes(con, run_id=run_id, outcome="failed" if failed else None)
    if as_json:
        dump(found)
        return
    table = Table("episode", "task", "trial", "reward", "termination", "tags")
    for e in found:
        table.add_row(
            str(e["id"]),
            e["task_id"],
            str(e["trial"]),
            f"{e['reward'] or 0:.2f}",
            e["termination"],
            ", ".join(e["tags"] or []),
        )
    out.print(table)


@eval_app.command("review")
def eval_review(
    episode_id: Annotated[int, typer.Argument(metavar="EPISODE")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Why the episode failed in words, then gold vs actual actions, the first divergence and the expected →
    actual state diff (a BFCL multi-turn episode: the turn it failed at and, per turn and class, the fields that
    differ from the ground truth's). --json: the same, the words in ``explanation``."""
    with connect(workspace) as con:
        raw = eval_store.get_episode(con, episode_id)
        if raw is not None and multi_turn_review(raw) is not None:
            _print_multi_turn(raw, as_json)
            return
        try:
            ep = review.ensure_review(con, episode_id)
        except KeyError as exc:
            raise fail(str(exc).strip("'")) from None
    rev = ep["review"]
    why = review.explain_failure(ep)
    if as_json:
        dump(
            {"episode": episode_id, "reward": ep["reward"], "termination": ep["termination"], **rev, "explanation": why}
        )
        return
    _print_explanation(why)
    dual = any(row.get("requestor") == "user" for row in rev["alignment"])
    table = Table(
        "",
        *(["by"] if dual else []),
        "status",
        "kind",
        "function",
        "gold arguments",
        "arguments made" if dual else "agent arguments",
    )
    for i, row in enumerate(rev["alignment"]):
        mark = "→" if i == rev["divergence"] else ""
        by = ["user" if row.get("requestor") == "user" else "agent"] if dual else []
        table.add_row(
            mark,
            *by,
            row["status"],
            row["kind"],
            row["name"],
            json.dumps(row.get("gold_arguments", ""))[:60],
            json.dumps(row.get("arguments", ""))[:60],
        )
    out.print(table)
    user_at = rev.get("user_divergence")
    if rev["divergence"] is None and user_at is not None:
        row = rev["alignment"][user_at]
        did = (
            f"called {row['name']} on the phone with other arguments than the gold"
            if row["status"] == "mismatch"
            else f"never called {row['name']} on the phone, which the gold needs"
        )
        out.print(f"no divergence of the agent's; at step {user_at + 1} the user {did}", markup=False)
    elif rev["divergence"] is None:
        out.print("no divergence: the agent's calls match the gold actions", markup=False)
    if rev.get("executable"):
        changed = {t: {k: len(v) for k, v in parts.items() if k != "table"} for t, parts in rev["diff"].items()}
        out.print(f"state diff (expected → actual): {json.dumps(changed) if changed else 'none'}", markup=False)


def _print_explanation(why: list[str]) -> None:
    """Why the episode failed, in words, before any table."""
    if why:
        out.print("why it failed:", markup=False)
        for line in why:
            out.print(f"  - {line}", markup=False)


def _print_multi_turn(ep: dict, as_json: bool) -> None:
    summary = multi_turn_review(ep)
    assert summary is not None
    why = review.explain_failure(ep)
    if as_json:
        dump({**summary, "explanation": why})
        return
    _print_explanation(why)
    out.print(
        f"episode {ep['id']} · {ep['task_id']}: {'valid' if summary['valid'] else summary['error']}"
        + ("" if summary["failed_turn"] is None else f" at turn {summary['failed_turn']}"),
        markup=False,
    )
    table = Table("turn", "class", "field", "expected", "actual")
    for turn in summary["turns"]:
        for cls, fields in turn["differing"].items():
            for f in fields:
                table.add_row(
                    str(turn["turn"]), cls, f["field"], json.dumps(f["expected"])[:60], json.dumps(f["actual"])[:60]
                )
    out.print(table)


@eval_app.command("pair")
def eval_pair(
    episode_id: Annotated[int, typer.Argument(metavar="EPISODE")],
    chosen: Annotated[
        str | None, typer.Option(help='Chosen call as JSON {"name", "arguments"} (default: the gold).')
    ] = None,
    annotators: Annotated[int, typer.Option(help="Labels each pair needs.")] = 1,
    workspace: WorkspaceOpt = None,
) -> None:
    """A preference pair at the episode's first divergence (rejected = the agent's action, chosen = gold)."""
    try:
        call = json.loads(chosen) if chosen else None
    except json.JSONDecodeError as exc:
        raise fail(f"--chosen is not JSON: {exc.msg}", 2) from None
    with connect(workspace) as con:
        try:
            pair_id = review.make_episode_pair(con, episode_id, chosen_call=call, annotators=annotators)
        except (review.ReviewError, KeyError) as exc:
            raise fail(str(exc).strip("'")) from None
    sys.stdout.write(f"{pair_id}\n")


@eval_app.command("tag")
def eval_tag(
    episode_id: Annotated[int, typer.Argument(metavar="EPISODE")],
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="A tag (repeat for several); replaces the tags.")
    ] = None,
    note: Annotated[str | None, typer.Option(help="A review note.")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Tag an episode and leave a note."""
    with connect(workspace) as con:
        if eval_store.get_episode(con, episode_id) is None:
            raise fail(f"no episode {episode_id}")
        eval_store.annotate(con, episode_id, tag or [], note)


@eval_app.command("export")
def eval_export(
    run_id: Annotated[int, typer.Argument(metavar="RUN")],
    out_path: Annotated[Path, typer.Option("--out", help="The JSON file to write (tau2's results layout).")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Write a run with its episodes in tau2's results layout (readable by tau2 and by `eval import tau2-results`)."""
    with connect(workspace) as con:
        try:
            data = to_tau2_results(con, run_id)
        except KeyError as exc:
            raise fail(str(exc).strip("'")) from None
    write_out(json.dumps(data, ensure_ascii=False, indent=1), out_path)
    err.print(f"{len(data['simulations'])} episodes written to {out_path}", markup=False)
