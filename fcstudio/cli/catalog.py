"""``init``, ``stats``, ``formats``, ``import`` and ``tools``: the workspace and its catalogue (fcstudio.catalog)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fcstudio.catalog.formats import FORMATS
from fcstudio.cli.common import JsonOpt, WorkspaceOpt, connect, dump, err, out, progress_bar, workspace_of

tools_app = typer.Typer(help="Browse and edit the tool catalogue.", no_args_is_help=True)


def init(
    workspace: WorkspaceOpt = None,
    demo: Annotated[bool, typer.Option("--demo", help="Fill it with the demo catalogue from data/demo.")] = False,
) -> None:
    """Create (or upgrade) a workspace; with --demo, import the built-in demo data."""
    from fcstudio import store
    from fcstudio.demo import build_demo

    ws = workspace_of(workspace)
    with connect(ws) as con, progress_bar() as bar:
        version = store.schema_version(con)
        if demo:
            task = bar.add_task("building demo", total=1.0)
            results = build_demo(con, progress=lambda f, label: bar.update(task, completed=f, description=label))
            for r in results:
                out.print(f"{Path(r.path).name}: {r.message}", markup=False, highlight=False)
    out.print(f"workspace {ws.path} ready (schema version {version})")


def stats(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Counts per table and per dataset."""
    from rich.table import Table

    from fcstudio import store

    with connect(workspace) as con:
        result = store.stats(con)
    if as_json:
        dump(result)
        return
    table = Table("dataset", "imports", "tools", "trajectories", "tasks", title="workspace")
    for name, counts in result["datasets"].items():
        table.add_row(name, *(str(counts[k]) for k in ("imports", "tools", "trajectories", "tasks")))
    t = result["tables"]
    table.add_row("[bold]total", str(t["imports"]), str(t["tools"]), str(t["trajectories"]), str(t["tasks"]))
    out.print(table)


def formats_cmd() -> None:
    """The formats `import` reads."""
    for name, fmt in FORMATS.items():
        out.print(f"[bold]{name:14}[/] {fmt.summary}")


DATA_SUFFIXES = (".json", ".jsonl", ".parquet")


def expand_paths(paths: list[Path]) -> list[str]:
    """Files as given; a folder stands for the data files under it (.json, .jsonl, .parquet), sorted."""
    files: list[str] = []
    for p in paths:
        if p.is_dir():
            files.extend(str(f) for f in sorted(p.rglob("*")) if f.is_file() and f.suffix in DATA_SUFFIXES)
        else:
            files.append(str(p))
    return files


def import_cmd(
    fmt: Annotated[
        str,
        typer.Argument(metavar="FORMAT", help=f"One of: {', '.join(FORMATS)}; or auto, to tell each file's own."),
    ],
    paths: Annotated[
        list[Path], typer.Argument(metavar="PATH...", help="Files or folders to import (each file its own unit).")
    ],
    workspace: WorkspaceOpt = None,
    dataset: Annotated[str | None, typer.Option(help="Dataset name (default: the format name).")] = None,
    atomic: Annotated[
        bool, typer.Option("--atomic", help="All or nothing: one transaction, the first bad file imports none.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import files. Each file is its own unit: a bad one is reported (and kept on the import job) while the
    others are imported; exit 1 if any failed. Files imported before are skipped and reported. With format
    `auto` each file's format is told from its first record and said; a file no format fits is reported with
    the closest format and the fields it lacks."""
    from fcstudio.catalog.formats import AUTO, FormatError
    from fcstudio.catalog.ingest import import_each, import_files

    if fmt not in FORMATS and fmt != AUTO:
        err.print(f"[red]error:[/] unknown format {fmt!r}; known: {', '.join(FORMATS)}, or auto")
        raise typer.Exit(2)
    ws = workspace_of(workspace)
    files = expand_paths(paths)
    if not files:
        err.print("error: no data files (.json, .jsonl, .parquet) in the folder(s) given", markup=False)
        raise typer.Exit(1)
    groups, unfit = _groups(fmt, files, as_json)
    if atomic and unfit:
        err.print("nothing was imported; the workspace is unchanged", markup=False)
        raise typer.Exit(1)
    if atomic and len(groups) > 1:  # one transaction per format would not be all or nothing
        err.print(
            f"error: --atomic imports files of one format in one transaction; these are {', '.join(groups)}: "
            "import each format on its own",
            markup=False,
        )
        raise typer.Exit(2)
    runs: list[Any] = []
    try:
        with connect(ws) as con, progress_bar() as bar:
            task = bar.add_task("importing", total=1.0)

            def step(f: float, label: str) -> None:
                bar.update(task, completed=f, description=label)

            for group_fmt, group_files in groups.items():
                if atomic:
                    runs.append(
                        (group_files, None, import_files(con, group_fmt, group_files, dataset=dataset, progress=step))
                    )
                else:
                    run = import_each(con, group_fmt, group_files, dataset=dataset, progress=step)
                    runs.append((group_files, run, run.results))
    except FormatError as exc:  # --atomic: the first bad file
        err.print(f"error: {exc}", markup=False, highlight=False)
        err.print("nothing was imported; the workspace is unchanged", markup=False)
        raise typer.Exit(1) from None
    if as_json:
        payload = [
            run.model_dump() if run is not None else [r.model_dump() for r in results] for _, run, results in runs
        ]
        dump(payload[0] if len(payload) == 1 and fmt != AUTO else {"runs": payload, "unrecognised": unfit})
    else:
        for group_files, run, results in runs:
            _print_outcomes(results, run, group_files, alone=len(runs) == 1 and not unfit)
    if unfit or any(run is not None and run.failures for _, run, _ in runs):
        raise typer.Exit(1)


def _groups(fmt: str, files: list[str], quiet: bool) -> tuple[dict[str, list[str]], list[dict[str, str]]]:
    """Files per format: all under ``fmt``, or with ``auto`` each under its sniffed one (said as chosen)."""
    from fcstudio.catalog.formats.sniff import group_files

    grouping = group_files(fmt, files)
    if not quiet:
        for path, found in grouping.chosen:
            out.print(f"{path}: format {found.format} ({found.reason})", markup=False, highlight=False)
        for path, why in grouping.companions:
            out.print(f"{path}: skipped, {why}", markup=False, highlight=False)
    for _, error in grouping.unfit:
        err.print(f"error: {error}", markup=False, highlight=False)
    return grouping.groups, [{"path": p, "error": e} for p, e in grouping.unfit]


def _print_outcomes(results: list[Any], run: Any, files: list[str], *, alone: bool = True) -> None:
    """Each file's outcome in the order given (failures on stderr), then the summary when there were several."""
    if run is None:
        pending, failures = list(results), []
    else:
        pending, failures = list(run.results), list(run.failures)
    for path in files:
        r = next((x for x in pending if x.path == path), None)
        if r is not None:
            pending.remove(r)
            out.print(f"{r.path}: {r.message}", markup=False, highlight=False)
            if r.warnings:
                out.print(f"  {len(r.warnings)} warning(s), first: {r.warnings[0]}", markup=False, highlight=False)
            continue
        f = next((x for x in failures if x.path == path), None)
        if f is not None:
            failures.remove(f)
            err.print(f"error: {f.error}", markup=False, highlight=False)
    if run is None:
        return
    if run.total == 1 and run.failures and alone:
        err.print("nothing was imported; the workspace is unchanged", markup=False)
    elif run.total > 1:
        (err if run.failures else out).print(run.summary(), markup=False, highlight=False)


@tools_app.command("search")
def tools_search(
    text: Annotated[str, typer.Argument(help="Matches name or description (case-insensitive).")] = "",
    workspace: WorkspaceOpt = None,
    dataset: Annotated[str | None, typer.Option(help="Only this dataset.")] = None,
    label: Annotated[str | None, typer.Option(help="Only tools with this label.")] = None,
    param: Annotated[str | None, typer.Option(help="Only tools with a parameter whose name contains this.")] = None,
    limit: int = 25,
    offset: int = 0,
    as_json: JsonOpt = False,
) -> None:
    """Search the catalogue, a page at a time."""
    from rich.table import Table

    from fcstudio import store

    with connect(workspace) as con:
        page, total = store.search_tools(
            con, text, dataset=dataset, label=label, param=param, limit=limit, offset=offset
        )
    if as_json:
        dump({"total": total, "tools": page})
        return
    table = Table("id", "name", "dataset", "params", "labels", "description", title=f"{total} tools match")
    for t in page:
        table.add_row(
            t["id"], t["name"], t["dataset"], str(t["n_params"]), ", ".join(t["labels"]), (t["description"] or "")[:60]
        )
    out.print(table)


def _resolve_tool(con: Any, ref: str) -> dict[str, Any]:
    from fcstudio import store

    tool = store.get_tool(con, ref)
    if tool:
        return tool
    matches = store.find_tools_by_name(con, ref)
    if len(matches) == 1:
        return store.get_tool(con, matches[0]["id"]) or {}
    if matches:
        ids = ", ".join(f"{m['id']} ({m['dataset']})" for m in matches[:10])
        err.print(f"error: {len(matches)} tools are named {ref!r}; pick an id: {ids}", markup=False)
    else:
        err.print(f"error: no tool with id or name {ref!r}", markup=False)
    raise typer.Exit(1)


@tools_app.command("show")
def tools_show(
    ref: Annotated[str, typer.Argument(metavar="TOOL", help="Tool id, or a name that is unique.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A tool's schema, parameters and where it is used."""
    from rich.table import Table

    from fcstudio import store

    with connect(workspace) as con:
        tool = _resolve_tool(con, ref)
        _, n_traj = store.tool_usage(con, tool["id"], "trajectories", limit=10)
        _, n_task = store.tool_usage(con, tool["id"], "tasks", limit=10)
    tool["used_by"] = {"trajectories": n_traj, "tasks": n_task}
    if as_json:
        dump(tool)
        return
    out.print(f"[bold]{tool['name']}[/]  id={tool['id']}  dataset={tool['dataset']}  version={tool['version']}")
    out.print(tool["description"], markup=False)
    table = Table("parameter", "type", "required", "default", "description")
    for p in store.parameter_table(tool["parameters"]):
        table.add_row(p["parameter"], p["type"], "yes" if p["required"] else "", p["default"], p["description"][:70])
    out.print(table)
    out.print(f"offered in {n_traj} trajectories and {n_task} tasks")


@tools_app.command("edit")
def tools_edit(
    ref: Annotated[str, typer.Argument(metavar="TOOL_ID")],
    version: Annotated[
        int, typer.Option(help="The version you are editing (see `tools show`); a newer one refuses the edit.")
    ],
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    labels: Annotated[str | None, typer.Option(help="Comma-separated labels (replaces the current ones).")] = None,
    editor: Annotated[str | None, typer.Option(help="Who is editing (kept in the history).")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Edit a tool's description and labels, refusing if someone saved a newer version."""
    from fcstudio import store

    with connect(workspace) as con:
        tool = _resolve_tool(con, ref)
        from fcstudio.models import ToolEdit

        edit = ToolEdit(
            tool_id=tool["id"],
            version=version,
            description=tool["description"] if description is None else description,
            labels=tool["labels"] if labels is None else labels.split(","),
        )
        try:
            new_version = store.edit_tool(con, edit, editor=editor)
        except store.EditConflict as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(4) from None
    out.print(f"saved {tool['id']} as version {new_version}")


@tools_app.command("history")
def tools_history(ref: Annotated[str, typer.Argument(metavar="TOOL")], workspace: WorkspaceOpt = None) -> None:
    """Past edits of a tool, newest first."""
    from fcstudio import store

    with connect(workspace) as con:
        tool = _resolve_tool(con, ref)
        dump(store.tool_history(con, tool["id"]))
