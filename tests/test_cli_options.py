"""Option names agree across commands: every command that talks to a model (it has --base-url) takes its key from --api-key-env
(the evaluation commands' old --key-env still works)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer

from fcstudio.cli.app import full_app


def _commands(group: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if hasattr(group, "commands"):  # a group (typer ships its own click, so no isinstance)
        for name, sub in group.commands.items():
            yield from _commands(sub, f"{prefix} {name}".strip())
    else:
        yield prefix, group


def _flags(command: Any) -> set[str]:
    return {flag for p in command.params for flag in getattr(p, "opts", [])}


def test_every_model_command_takes_api_key_env_and_the_old_name() -> None:
    root = typer.main.get_command(full_app())
    model_commands = {name: cmd for name, cmd in _commands(root) if "--base-url" in _flags(cmd)}
    assert {"synth", "pairs make", "eval run", "bfcl run", "graph judge", "traj regenerate"} <= set(model_commands)
    for name, cmd in model_commands.items():
        flags = _flags(cmd)
        assert "--api-key-env" in flags, name
        assert "--key-env" in flags, name  # kept as an alias, so yesterday's scripts still run
