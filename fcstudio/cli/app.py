"""The root command: ``python -m fcstudio`` (or ``fcstudio``), with one command group per pipeline stage.

Each stage's commands live in their own module of this package. A module is imported only when the command
line names one of its commands (every one for the full ``--help``), so a command pays the start-up of its own
engine modules and no one else's.
"""

from __future__ import annotations

import importlib
import sys

import typer

HELP = "fcstudio: function-calling data studio (workspace, importers, catalogue)."


def root() -> None:
    """A group even when the command line needs only one of its commands (typer runs a lone command as the app)."""


def new_app() -> typer.Typer:
    """An empty root command; ``register`` adds what a command line needs."""
    fresh = typer.Typer(help=HELP, no_args_is_help=True)
    fresh.callback()(root)
    return fresh


app = new_app()


# command groups and single commands: name -> (module, attribute)
GROUPS: dict[str, tuple[str, str]] = {
    "tools": ("fcstudio.cli.catalog", "tools_app"),
    "env": ("fcstudio.cli.envs", "env_app"),
    "graph": ("fcstudio.cli.graph", "graph_app"),
    "paths": ("fcstudio.cli.paths", "paths_app"),
    "traj": ("fcstudio.cli.synth", "traj_app"),
    "pairs": ("fcstudio.cli.prefs", "pairs_app"),
    "jobs": ("fcstudio.cli.jobs", "jobs_app"),
    "llm": ("fcstudio.cli.jobs", "llm_app"),
    "eval": ("fcstudio.cli.evals", "eval_app"),
    "bfcl": ("fcstudio.cli.bfcl", "bfcl_app"),
    "users": ("fcstudio.cli.users", "users_app"),
}
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("fcstudio.cli.catalog", "init"),
    "stats": ("fcstudio.cli.catalog", "stats"),
    "formats": ("fcstudio.cli.catalog", "formats_cmd"),
    "import": ("fcstudio.cli.catalog", "import_cmd"),
    "synth": ("fcstudio.cli.synth", "synth_cmd"),
    "export": ("fcstudio.cli.prefs", "export_cmd"),
}


def register(argv: list[str], into: typer.Typer = app) -> typer.Typer:
    """Add what the command line needs: the group or command it names, or all of them (help, typos)."""
    first = next((a for a in argv if not a.startswith("-")), None)
    wanted = [first] if first in GROUPS or first in COMMANDS else [*COMMANDS, *GROUPS]
    for name in wanted:
        if name in GROUPS:
            module, attr = GROUPS[name]
            into.add_typer(getattr(importlib.import_module(module), attr), name=name)
        else:
            module, attr = COMMANDS[name]
            into.command(name)(getattr(importlib.import_module(module), attr))
    return into


def full_app() -> typer.Typer:
    """Every command registered on a fresh root: for running the CLI inside another program (the tests)."""
    return register([], into=new_app())


def main() -> None:
    register(sys.argv[1:])
    app()
