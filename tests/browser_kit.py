"""The real-browser harness: one ``streamlit run app.py`` for the whole session, Debian's Chromium, and waits.

Registered in ``conftest.py`` as a plugin so every ``tests/test_browser*.py`` module shares the one server (the
browser is per module, see ``browser``). No helper sleeps: every wait is on page state. ``_idle`` waits for what the caller's action must draw and
then for Streamlit's script run to end (the app root's ``data-test-script-state`` and no stale element left); a
keyboard shortcut is pressed only once its listener is bound (``_shortcut_ready``). Every test gets a fresh copy
of the demo workspace (``app``), so the tests run in any order.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

import conftest
from conftest import ROOT, demo_template
from fcstudio.store import open_connection


def run_cli(*args: str, **kwargs: object) -> conftest.CliResult:
    """The CLI as its own process, beside the app (Playwright's event loop owns this thread)."""
    return conftest.run_cli(*args, process=True, **kwargs)  # type: ignore[arg-type]


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 30_000  # how long a page may take to reach a state (a loaded machine is slow, never this slow)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class App:
    def __init__(self, url: str, workspace: Path):
        self.url, self.workspace = url, workspace


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    """One ``streamlit run app.py`` for the module, and the pristine demo workspace each test starts from."""
    folder = tmp_path_factory.mktemp("browser")
    pristine, workspace = demo_template(), folder / "ws.duckdb"  # the demo, as the app's first visit builds it
    shutil.copyfile(pristine, workspace)
    port = _free_port()
    log = open(folder / "streamlit.log", "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            "--",
            "--workspace",
            str(workspace),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "FCSTUDIO_WORKSPACE": ""},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("streamlit did not start: " + (folder / "streamlit.log").read_text()[-2000:])
        time.sleep(0.3)
    yield url, workspace, pristine
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def app(server: tuple[str, Path, Path]) -> App:
    """The module's server on a fresh copy of the demo workspace.

    The copy replaces the file under the server's feet, which is safe because the app holds no connection
    between reruns: a read-only open waits until no rerun (of the previous test's session) or CLI holds the
    file, and while it is held no rerun can open the old file either; the next open gets the new one.
    """
    url, workspace, pristine = server
    _serve(workspace, pristine)
    return App(url, workspace)


def _serve(workspace: Path, source: Path) -> None:
    """Put a copy of ``source`` where the server reads its workspace (see ``app`` for why this is safe)."""
    fresh = workspace.with_name("fresh.duckdb")
    shutil.copyfile(source, fresh)
    held = open_connection(workspace, read_only=True, timeout=60)
    try:
        os.replace(fresh, workspace)
        workspace.with_name(workspace.name + ".wal").unlink(missing_ok=True)
    finally:
        held.close()


# per module: Playwright's sync API runs an event loop in this thread while it is open, and the tests of other
# modules on this worker call asyncio.run (jobs, the runner), which refuses to start inside a running loop
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (the README's test command does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(autouse=True, scope="session")
def _expect_timeout() -> Iterator[None]:
    expect.set_options(timeout=WAIT_MS)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def page(browser) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    pg = context.new_page()
    yield pg
    try:  # a run still going would open the workspace the next test's copy replaces
        _idle(pg)
    except AssertionError:
        pass
    context.close()


def _idle(page: Page, *drawn: Locator) -> None:
    """Wait until ``drawn`` are visible, then until Streamlit's script run has finished.

    After a click or a key, the app root still says ``notRunning`` until the server's answer arrives, so the
    caller names what its action makes the new run draw; once that is there the run has started, and it is over
    when the root says ``notRunning`` again, the "Running" indicator is gone and no element of the previous run
    is left stale (Streamlit removes those when a run completes).
    """
    for locator in drawn:
        expect(locator).to_be_visible()
    expect(page.locator('[data-testid="stApp"][data-test-connection-state="CONNECTED"]')).to_have_count(1)
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_have_count(1)
    expect(page.get_by_test_id("stStatusWidget").filter(has_text="Running")).to_have_count(0)
    expect(page.locator('[data-stale="true"]')).to_have_count(0)


def _open(page: Page, app: App, path: str, *drawn: Locator) -> None:
    page.goto(f"{app.url}/{path}")
    _idle(page, *drawn)


# Streamlit binds a button's ``shortcut=`` with hotkeys-js (exposed as ``window.hotkeys``) in an effect that runs
# after the button is drawn. One task of the queue React's scheduler runs effects on (MessageChannel) lets an
# effect committed with the drawn button run first, so the binding counted is the drawn button's, not the one of
# a button it replaced.
_BOUND = """async (key) => {
    await new Promise((done) => { const c = new MessageChannel(); c.port1.onmessage = done; c.port2.postMessage(0); });
    return !!window.hotkeys && window.hotkeys.getAllKeyCodes().filter((k) => k.shortcut === key).length === 1;
}"""


def _shortcut_ready(page: Page, button: Locator, shortcut: str) -> None:
    """Wait until pressing ``shortcut`` reaches ``button``: it is drawn and enabled, the run is over, the focus is
    on no text box (hotkeys ignores keys typed into one) and the key is bound once."""
    expect(button).to_be_enabled()
    _idle(page)
    page.wait_for_function(
        "() => !['INPUT', 'TEXTAREA', 'SELECT'].includes(document.activeElement && document.activeElement.tagName)",
        timeout=WAIT_MS,
    )
    page.wait_for_function(_BOUND, arg=shortcut, timeout=WAIT_MS)


def _assert_no_exception(page: Page) -> None:
    assert page.get_by_test_id("stException").count() == 0, page.get_by_test_id("stException").first.inner_text()


def _metric(page: Page, label: str) -> Locator:
    """The value of the metric labelled exactly ``label``."""
    box = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return box.get_by_test_id("stMetricValue")


def _expand(page: Page, label: str) -> None:
    """Open the expander ``label`` and wait until it has finished growing.

    Streamlit animates the height for half a second (inline ``height``/``overflow`` on the ``details`` until the
    animation's end); a click meanwhile can land on content that is still moving (a select box then takes the
    focus without opening its list).
    """
    details = page.get_by_test_id("stExpander").filter(has_text=label).locator("details")
    details.locator("summary").click()
    page.wait_for_function(
        "(d) => d.open && !d.style.height && d.getAnimations().length === 0",
        arg=details.element_handle(),
        timeout=WAIT_MS,
    )


def _upload_as_xlam(page: Page, app: App, *paths: Path) -> None:
    """Open Catalog's import panel, pick xlam, upload ``paths`` and press Import."""
    _open(page, app, "catalog", page.get_by_text("Every function in the workspace"))
    _expand(page, "Import files")
    page.get_by_label("Format").click()
    page.get_by_role("option", name=re.compile(r"^xlam")).click()
    _idle(page, page.get_by_placeholder("default: xlam"))  # the rerun with the new format has drawn
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(p) for p in paths])
    go = page.get_by_role("button", name="Import")
    # the uploader sends its value once every file is uploaded, and only the rerun with files enables Import
    expect(go).to_be_enabled()
    _idle(page)
    go.click()
