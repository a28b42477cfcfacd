"""``bfcl``: check decoded answers (single-turn AST rules, the multi-turn checker), execute multi-turn ground
truth, and run a model on BFCL's single- and multi-turn categories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from fcstudio.cli.common import (
    BaseUrlOpt,
    ConcurrencyOpt,
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
    parse_names,
    report_failures,
    write_out,
)
from fcstudio.envs.bfcl.entries import MULTI_TURN, load_entries
from fcstudio.evals.bfcl_data import BfclDataError, _json_lines, read_check_file
from fcstudio.evals.bfcl_run import BfclRunSummary, check_file_lines, run_bfcl, to_jsonl

bfcl_app = typer.Typer(
    help="BFCL: check decoded answers, execute multi-turn ground truth, or run a model on BFCL.", no_args_is_help=True
)
DataOpt = Annotated[Path, typer.Option(help="A BFCL data folder (question files + possible_answer/).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write here (default: stdout).")]


@bfcl_app.command("check")
def bfcl_check(
    cases: Annotated[
        Path,
        typer.Argument(
            metavar="CASES.jsonl",
            help='Lines {"id","category","language","functions","possible_answer","model_output"}.',
        ),
    ],
    out_path: OutOpt = None,
    detail: Annotated[bool, typer.Option("--detail", help="Add a human-readable 'detail' to each line.")] = False,
) -> None:
    """Score decoded model answers with BFCL's AST rules: one {"id","valid","error"} line per case."""
    try:
        lines = check_file_lines(read_check_file(cases))
    except BfclDataError as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:
        raise fail(f"{cases}: {exc}") from None
    write_out(to_jsonl(lines, detail), out_path)
    valid = sum(1 for line in lines if line["valid"])
    err.print(f"{valid} of {len(lines)} valid", markup=False)


@bfcl_app.command("exec")
def bfcl_exec(
    data: DataOpt,
    ids: Annotated[
        str | None, typer.Option(help="Comma-separated entry ids (default: every multi-turn entry).")
    ] = None,
    categories: Annotated[str | None, typer.Option(help="Comma-separated multi-turn categories.")] = None,
    states: Annotated[bool, typer.Option("--states", help="Add each class's state after every turn.")] = False,
    out_path: OutOpt = None,
) -> None:
    """Execute every multi-turn entry's ground truth turn by turn: one {"id","turns":[{"calls","results"}]} line each."""
    from fcstudio.envs.bfcl.replay import errors_in, replay

    bad: list[tuple[str, str]] = []
    wanted = set(parse_names(ids) or []) or None
    cats = parse_names(categories)
    try:
        entries = load_entries(data, cats, ids=wanted, bad=bad)
    except BfclDataError as exc:
        raise fail(str(exc)) from None
    lines, with_errors = [], 0
    for entry in entries:
        try:
            got = replay(entry, states=states)
        except Exception as exc:  # one entry that cannot run never stops the others
            bad.append((entry["id"], f"{type(exc).__name__}: {exc}"))
            continue
        with_errors += bool(errors_in(got))
        lines.append(json.dumps(got) + "\n")
    write_out("".join(lines), out_path)
    for item, why in bad:
        err.print(f"{item}: {why}", markup=False)
    err.print(
        f"{len(lines)} entries executed, {with_errors} with an error result, {len(bad)} could not be read or run",
        markup=False,
    )
    if bad:
        raise typer.Exit(1)


def _read_multi_cases(path: Path) -> list[dict[str, Any]]:
    """The lines of a check-multi file; a line that is not a case names PATH:LINE and nothing is checked."""
    if not path.is_file():
        raise BfclDataError(f"{path}: no such file")
    cases = []
    for n, obj in _json_lines(path):
        if not isinstance(obj, dict):
            raise BfclDataError(f"{path}:{n}: expected an object")
        for key in ("id", "entry_id"):
            if not isinstance(obj.get(key), str):
                raise BfclDataError(f"{path}:{n}: '{key}' must be a string")
        if "model_output" not in obj:
            raise BfclDataError(f"{path}:{n}: no 'model_output'")
        output = obj["model_output"]
        if isinstance(output, list) and not all(
            isinstance(turn, list)
            and all(isinstance(step, list) and all(isinstance(c, str) for c in step) for step in turn)
            for turn in output
        ):
            raise BfclDataError(f"{path}:{n}: 'model_output' must be, per turn, a list of steps of call strings")
        cases.append({"line": n, **obj})
    return cases


@bfcl_app.command("check-multi")
def bfcl_check_multi(
    cases: Annotated[
        Path, typer.Argument(metavar="CASES.jsonl", help='Lines {"id","entry_id","category","model_output"}.')
    ],
    data: DataOpt,
    out_path: OutOpt = None,
) -> None:
    """Score decoded multi-turn results with BFCL's multi-turn checker: one {"id","valid","error"} line per case."""
    from fcstudio.envs.bfcl.checker import check_entry

    try:
        todo = _read_multi_cases(cases)
        entries = {e["id"]: e for e in load_entries(data, ids={c["entry_id"] for c in todo})}
    except BfclDataError as exc:
        raise fail(str(exc)) from None
    lines = []
    for case in todo:
        entry = entries[case["entry_id"]]
        verdict = check_entry(case["model_output"], entry["ground_truth"], entry)
        lines.append(json.dumps({"id": case["id"], **verdict.line()}) + "\n")
    write_out("".join(lines), out_path)
    valid = sum(1 for line in lines if '"valid": true' in line)
    err.print(f"{valid} of {len(lines)} valid", markup=False)


@bfcl_app.command("run")
def bfcl_run_cmd(
    data: DataOpt,
    model: Annotated[str, typer.Option(help="Model name at the endpoint.")],
    categories: Annotated[
        str | None, typer.Option(help="Comma-separated categories, single- or multi-turn (default: all single-turn).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many cases per category.")] = None,
    ids: Annotated[str | None, typer.Option(help="Only these multi-turn entry ids (comma-separated).")] = None,
    max_steps: Annotated[int, typer.Option(help="Multi-turn: steps per turn before the model is forced to quit.")] = 20,
    base_url: BaseUrlOpt = None,
    key_env: KeyEnvOpt = "OPENAI_API_KEY",
    concurrency: ConcurrencyOpt = 8,
    no_cache: NoCacheOpt = False,
    max_tokens: MaxTokensOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Ask a model every case (multi-turn: play every entry), check it, store runs with accuracy per category.

    Single-turn categories make a ``bfcl-v4`` run; multi-turn ones a ``bfcl-v3`` run shown beside MAGNET's table."""
    from fcstudio.evals.bfcl_multi_turn import run_multi_turn

    config = llm_config(model, base_url, key_env, concurrency, no_cache, max_tokens)
    cats = parse_names(categories)
    multi = [c for c in cats or [] if c in MULTI_TURN]
    single = [c for c in cats or [] if c not in MULTI_TURN] if cats else None
    wanted = set(parse_names(ids) or []) or None
    summaries: list[BfclRunSummary] = []
    with connect(workspace) as con:
        try:
            if single is None or single:
                bar, step = bar_and_step("BFCL cases")
                with bar:
                    summaries.append(run_bfcl(con, data, config, categories=single, limit=limit, progress=step))
            if multi:
                bar, step = bar_and_step("BFCL multi-turn entries")
                with bar:
                    summaries.append(
                        run_multi_turn(
                            con,
                            data,
                            config,
                            categories=multi,
                            limit=limit,
                            ids=wanted,
                            max_steps=max_steps,
                            progress=step,
                        )
                    )
        except BfclDataError as exc:
            raise fail(str(exc)) from None
    code = 0
    for summary in summaries:
        dump(
            {
                "run": summary.run_id,
                "job": summary.job_id,
                "status": summary.status,
                "cases": summary.cases,
                "failed": summary.failed,
                "accuracy": summary.accuracy,
                "usage": summary.usage,
                "seconds": round(summary.seconds, 2),
            }
        )
        code = code or report_failures(
            summary.job_id, summary.status, summary.failed, summary.cases + len(summary.failed), "cases"
        )
    if code:
        raise typer.Exit(code)
