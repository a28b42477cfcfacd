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


def test_every_chat_model_command_takes_max_tokens() -> None:
    root = typer.main.get_command(full_app())
    chat = {name: cmd for name, cmd in _commands(root) if "--base-url" in _flags(cmd) and name != "graph build"}
    missing = sorted(name for name, cmd in chat.items() if "--max-tokens" not in _flags(cmd))
    assert not missing, f"model commands without --max-tokens: {missing}"


def test_max_tokens_reaches_the_request_only_when_set(ws) -> None:  # type: ignore[no-untyped-def]
    from openai_stub import StubServer

    from fcstudio.llm import LLMClient, LLMConfig, run_async

    seen: list[dict[str, Any]] = []

    def respond(body: dict[str, Any]) -> str:
        seen.append(body)
        return "ok"

    with StubServer(respond=respond) as server, ws.connect() as con:
        for cap in (7, None):
            config = LLMConfig(model="m", base_url=server.base_url, max_tokens=cap, backoff_base=0.01)
            client = LLMClient(config, con)
            run_async(client.chat([{"role": "user", "content": f"cap {cap}"}]), client)
    assert seen[0]["max_tokens"] == 7 and "max_tokens" not in seen[1]


def test_a_long_command_off_a_terminal_prints_progress_lines(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """stderr is a pipe here, as in a log or CI: the bar becomes a line at the start, every few seconds, the end."""
    import re

    from conftest import run_cli
    from fcstudio.cli.common import LineProgress

    ws = tmp_path / "ws.duckdb"
    assert run_cli("init", "--demo", workspace=ws).returncode == 0
    built = run_cli("graph", "build", workspace=ws, process=True)
    assert built.returncode == 0, built.stderr
    lines = [line for line in built.stderr.splitlines() if re.search(r": \d+% \(\d+ s\)$", line)]
    assert len(lines) >= 2 and lines[0].endswith(": 0% (0 s)") and "100%" in lines[-1]

    bar = LineProgress(every=3600)  # within the interval only the start and the end are printed
    with bar:
        task = bar.add_task("counting", total=4)
        for _ in range(4):
            bar.advance(task)
    assert bar.tasks[0]["shown"] == 4
