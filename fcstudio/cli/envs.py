"""``python -m fcstudio env ...``: executable domains from the terminal (tools, single calls, gold replay).

BFCL's API classes are domains ``bfcl:<Class>``; their ``--db`` is a start state file, and ``--entry ID``
starts them from a BFCL multi-turn entry instead of the shipped default."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from fcstudio.cli.common import DataOpt, EntryOpt, bfcl_start_of, err, progress_bar
from fcstudio.envs.base import Environment
from fcstudio.envs.bfcl.environment import StartError, is_bfcl, open_bfcl
from fcstudio.envs.loading import StateError
from fcstudio.envs.registry import DOMAINS, get_domain, open_env
from fcstudio.envs.replay import replay_task, to_jsonl, validate
from fcstudio.envs.tasks import TaskFileError, load_tasks

env_app = typer.Typer(help="Executable domains: list tools, call one, replay gold actions.", no_args_is_help=True)

DomainOpt = Annotated[
    str, typer.Option("--domain", "-d", help=f"One of: {', '.join(DOMAINS)} (bfcl:A+B: several BFCL classes).")
]
DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db", help="Domain database (tau2 db.json layout; a BFCL start state file); default: the domain's own."
    ),
]


UserDbOpt = Annotated[
    Path | None,
    typer.Option(
        "--user-db",
        help="Dual-control domains (telecom): the user's phone database (tau2's user_db.toml); "
        "default: user_db.toml beside --db.",
    ),
]


def _open(
    domain: str, db: Path | None, entry: str | None = None, data: Path | None = None, user_db: Path | None = None
) -> Environment:
    try:
        if entry is not None or data is not None:
            if not is_bfcl(domain):
                raise KeyError(f"--entry starts BFCL domains (bfcl:<Class>), not {domain}")
            return open_bfcl(domain, start=bfcl_start_of(db, entry, data))
        return open_env(domain, db, user_db=user_db)
    except (KeyError, FileNotFoundError, StateError, StartError) as exc:
        err.print(f"error: {_why(exc)}", markup=False)
        raise typer.Exit(1) from None


def _why(exc: Exception) -> str:
    return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)


SideOpt = Annotated[
    str, typer.Option("--side", help="assistant (the agent's tools) or user (a dual-control domain's user tools).")
]


def _side(side: str) -> str:
    if side not in ("assistant", "user"):
        err.print(f"error: --side is assistant or user, not {side!r}", markup=False)
        raise typer.Exit(2)
    return side


@env_app.command("tools")
def tools_cmd(
    domain: DomainOpt, as_json: Annotated[bool, typer.Option("--json")] = False, side: SideOpt = "assistant"
) -> None:
    """The domain's tools (OpenAI function specs, derived from the code or BFCL's function docs), with their kind."""
    try:
        dom = get_domain(domain)
    except KeyError as exc:
        err.print(f"error: {_why(exc)}", markup=False)
        raise typer.Exit(1) from None
    specs = dom.env.tool_specs(_side(side))
    if as_json:
        sys.stdout.write(json.dumps([s.openai() | {"kind": dom.env.tool_kind(s.name)} for s in specs], indent=2) + "\n")
        return
    for s in specs:
        purpose = s.description.split("Tool description:")[-1].strip()  # BFCL's docs open with the class's blurb
        sys.stdout.write(f"{s.name:34} {dom.env.tool_kind(s.name):8} {purpose[:90]}\n")


@env_app.command("call")
def call_cmd(
    domain: DomainOpt,
    name: Annotated[str, typer.Argument(help="Tool name.")],
    args: Annotated[str, typer.Option("--args", help="Arguments as a JSON object.")] = "{}",
    db: DbOpt = None,
    entry: EntryOpt = None,
    data: DataOpt = None,
    side: SideOpt = "assistant",
    user_db: UserDbOpt = None,
) -> None:
    """Run one tool call on a fresh state and print what the caller (the agent, or the user) would see."""
    try:
        arguments = json.loads(args)
    except json.JSONDecodeError as exc:
        err.print(f"error: --args is not JSON: {exc}", markup=False)
        raise typer.Exit(2) from None
    result = _open(domain, db, entry, data, user_db).execute(name, arguments, side=_side(side))
    sys.stdout.write(result.output + "\n")
    raise typer.Exit(1 if result.error else 0)


@env_app.command("replay")
def replay_cmd(
    domain: DomainOpt,
    db: DbOpt = None,
    user_db: UserDbOpt = None,
    tasks: Annotated[
        Path | None, typer.Option("--tasks", help="tau2 tasks.json or tau-bench v1 tasks; default: the domain's.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the JSON lines here instead of stdout.")] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when the validator finds problems (or a task cannot be read).")
    ] = False,
) -> None:
    """Replay every task's gold actions on a fresh state: one JSON line per task, then the validator's report.

    A task's set-up (tau2's initial_state) runs first; each gold action runs on the side its requestor names
    (the agent's or, in telecom, the user's phone), and the line carries both states' diffs and hashes."""
    env = _open(domain, db, user_db=user_db)
    task_path = tasks or get_domain(domain).default_file("tasks.json")
    unreadable: list[tuple[str, str]] = []  # a malformed task is reported; the others are replayed
    try:
        gold = load_tasks(task_path, bad=unreadable)
    except TaskFileError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from None
    sink = out.open("w") if out else sys.stdout
    flagged: list[tuple[str, list[str]]] = [
        (ref.removeprefix("task "), [f"unreadable: {why}"]) for ref, why in unreadable
    ]
    try:
        with progress_bar() as bar:
            job = bar.add_task(f"replaying {domain}", total=len(gold))
            for task in gold:
                try:
                    line = replay_task(env, task)
                    problems = validate(task, line, env)
                except Exception as exc:  # one task that breaks the replay never stops the others
                    flagged.append((task.task_id, [f"replay failed: {type(exc).__name__}: {exc}"]))
                    bar.advance(job)
                    continue
                sink.write(to_jsonl(line) + "\n")
                if problems:
                    flagged.append((task.task_id, problems))
                bar.advance(job)
    finally:
        if out:
            sink.close()
    n_actions = sum(len(t.actions) for t in gold)
    err.print(
        f"replayed {len(gold)} tasks ({n_actions} gold actions) on {domain}; validator flagged {len(flagged)} task(s)",
        markup=False,
    )
    for task_id, problems in flagged:
        for p in problems:
            err.print(f"  task {task_id}: {p}", markup=False)
    if strict and flagged:
        raise typer.Exit(1)
