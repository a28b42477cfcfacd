"""Shared fixtures: temporary workspaces, the CLI, and the public data in ../shared.

In CI (``FCSTUDIO_CI=1``, set by ``.ci/run``) a test that cannot run for want of data or Chromium fails
instead of skipping, and the session fails if anything was skipped; every run prints its skip count.
"""

from __future__ import annotations

import atexit
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from fcstudio.store import Workspace, stats

pytest_plugins = ["browser_kit"]  # the real-browser fixtures, one server and browser for the session

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("FCSTUDIO_SHARED_DATA") or ROOT.parent / "shared" / "data")
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws.duckdb")


IN_CI = os.environ.get("FCSTUDIO_CI") == "1"


def need(ok: bool, what: str) -> None:
    """Skip the test (saying why) when ``ok`` is false; in CI fail it instead: CI never skips silently."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{what} (FCSTUDIO_CI=1: CI runs every test)", pytrace=False)
    pytest.skip(what)


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data that the test needs (see ``need``)."""
    path = SHARED_DATA.joinpath(*parts)
    need(path.exists(), f"public data not found at {path}")
    return path


@pytest.fixture
def shared_data() -> Path:
    return shared_path()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    """Always say how many tests skipped; in CI any skip fails the run."""
    skipped = len(terminalreporter.stats.get("skipped", []))
    terminalreporter.write_line(f"skipped: {skipped}" + (" (must be 0 in CI)" if IN_CI and skipped else ""))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if IN_CI and reporter is not None and reporter.stats.get("skipped") and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@dataclass
class CliResult:
    """What a CLI run gave: the same three fields as ``subprocess.CompletedProcess``."""

    returncode: int
    stdout: str
    stderr: str


_APP = None


def run_cli(
    *args: str,
    workspace: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    process: bool = False,
    input: str | None = None,
) -> CliResult:
    """``python -m fcstudio ARGS``: in this process through Click's runner (the same commands, options and exit
    codes, without a start-up per call), or with ``process=True`` as a user's own subprocess, for what only a real
    process proves (the entry point, start-up imports, signals, two processes on one file)."""
    argv = [*args, *(["--workspace", str(workspace)] if workspace is not None else [])]
    if process:
        done = subprocess.run(
            [sys.executable, "-m", "fcstudio", *argv],
            cwd=ROOT,
            capture_output=True,
            text=True,
            input=input,
            timeout=timeout,
            env={**os.environ, "COLUMNS": "200", **(env or {})},
        )
        return CliResult(done.returncode, done.stdout, done.stderr)
    from typer.testing import CliRunner

    from fcstudio.cli.app import full_app

    global _APP
    if _APP is None:
        _APP = full_app()
    got = CliRunner().invoke(_APP, argv, input=input, env={"COLUMNS": "200", **(env or {})}, catch_exceptions=True)
    stderr = got.stderr
    if got.exc_info is not None and not isinstance(got.exception, SystemExit):
        buf = io.StringIO()
        traceback.print_exception(*got.exc_info, file=buf)
        stderr += buf.getvalue()  # as the interpreter would have printed it
    return CliResult(got.exit_code, got.stdout, stderr)


def workspace_counts(ws: Workspace) -> dict:
    with ws.connect() as con:
        return stats(con)


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


# -- workspaces built once per session and copied per test ------------------------------------------------
_TEMPLATE_DIR = Path(tempfile.mkdtemp(prefix="fcstudio-templates-"))
atexit.register(shutil.rmtree, _TEMPLATE_DIR, True)
_TEMPLATES: dict[str, Path] = {}


def template(key: str, build: Callable[[Workspace], object]) -> Path:
    """A workspace file built by ``build`` once per test session (per xdist worker), to be copied, never opened."""
    if key not in _TEMPLATES:
        path = _TEMPLATE_DIR / f"{key}.duckdb"
        build(Workspace(path))
        _TEMPLATES[key] = path
    return _TEMPLATES[key]


def copy_of(template_path: Path, path: Path) -> Workspace:
    """A test's own workspace: a byte copy of a template, so no test sees what another wrote."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template_path, path)
    return Workspace(path)


def _build_demo(ws: Workspace) -> None:
    from fcstudio.demo import build_demo

    with ws.connect() as con:
        build_demo(con)


def demo_template() -> Path:
    """The built-in demo workspace (``fcstudio.demo.build_demo``), built once per session: copy it, never open it."""
    return template("demo", _build_demo)


def _build_weather(ws: Workspace) -> None:
    import threading

    from fcstudio.paths.fsp import FSP, ArgSource, Call, Turn
    from fcstudio.paths.store import save_path
    from fcstudio.store import transaction
    from fcstudio.synth.job import run_synth

    copy_of(demo_template(), ws.path)
    with ws.connect() as con:
        (tool,) = con.execute("SELECT id FROM tools WHERE dataset = 'demo' AND name = 'get_weather'").fetchone()
        fsp = FSP(
            turns=[Turn(calls=[Call(tool_id=tool, name="get_weather", args={"location": ArgSource(kind="user")})])]
        )
        with transaction(con):
            pid = save_path(con, fsp, seed=None)
        # on a thread of its own: in a browser test Playwright's event loop owns this one, and synthesis runs its own
        made: list[int] = []
        worker = threading.Thread(
            target=lambda: made.extend(run_synth(con, path_ids=[pid], backend="template").created)
        )
        worker.start()
        worker.join()
    assert len(made) == 1


def weather_template() -> Path:
    """The demo with one template trajectory asking the weather (its path's only call): copy it, never open it."""
    return template("weather", _build_weather)


def demo_workspace(path: Path) -> Workspace:
    """A copy of the demo workspace at ``path``."""
    return copy_of(demo_template(), path)


def synthesised_workspace(path: Path, seed: int) -> Workspace:
    """The demo workspace with its tool graph, 8 sampled paths (merge, insert, split) and their template
    trajectories; built once per seed per session, copied to ``path``."""

    def build(ws: Workspace) -> None:
        from fcstudio.graph.build import build_graph
        from fcstudio.graph.embed import TfidfEmbedder
        from fcstudio.paths.store import sample_paths
        from fcstudio.synth.job import run_synth

        copy_of(demo_template(), ws.path)
        with ws.connect() as con:
            build_graph(con, TfidfEmbedder())
            sample_paths(con, n=8, steps=3, ops=["merge", "insert", "split"], seed=seed)
            run_synth(con, backend="template")

    return copy_of(template(f"synth-{seed}", build), path)


@pytest.fixture
def demo_ws(tmp_path: Path) -> Workspace:
    """This test's own copy of the demo workspace."""
    return demo_workspace(tmp_path / "demo.duckdb")


# -- AppTest helpers shared by the page tests ----------------------------------------------------------
APPTEST_TIMEOUT = 90


def open_page(name: str) -> AppTest:
    """app.py run once (as a browser's first visit), then switched to ``pages/NAME.py``, with no error shown."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APPTEST_TIMEOUT).run()
    at.switch_page(f"pages/{name}.py").run()
    no_errors(at)
    return at


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def copy_workspace(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A test's own copy of a prepared workspace (``copy_of``), made the app's workspace."""
    path = copy_of(built, tmp_path / "ws.duckdb").path
    monkeypatch.setenv("FCSTUDIO_WORKSPACE", str(path))
    return path
