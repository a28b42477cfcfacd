"""Regenerate the README's screenshots (``docs/<page>.png``): every page of the app, in Debian's Chromium.

The workspace is the built-in demo plus what a user's first session adds from the CLI (a graph, sampled
paths, template-synthesised trajectories, perturbation pairs), so each page shows real content. Each page is
opened the way a user would (the same waits as the browser tests: on page state, never on time).

    .venv/bin/python tools/make_screenshots.py            # writes docs/*.png
    .venv/bin/python tools/make_screenshots.py --out /tmp/shots
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from playwright.sync_api import Locator, Page, expect, sync_playwright  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from fcstudio.demo import build_demo  # noqa: E402
from fcstudio.store import Workspace  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
WAIT_MS = 60_000
PIPELINE = (
    ("graph", "build"),
    ("paths", "sample", "--n", "8", "--steps", "3", "--ops", "merge,insert,split", "--seed", "2"),
    ("synth",),
    ("pairs", "make", "--strategy", "perturb"),
)


def cli(workspace: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fcstudio", *args, "--workspace", str(workspace)],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode not in (0, 5):  # 5: a job finished with some failed items, which the pages show
        raise SystemExit(f"fcstudio {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")


def idle(page: Page, *drawn: object) -> None:
    for locator in drawn:
        expect(locator).to_be_visible()  # type: ignore[arg-type]
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_have_count(1)
    expect(page.get_by_test_id("stStatusWidget").filter(has_text="Running")).to_have_count(0)
    expect(page.locator('[data-stale="true"]')).to_have_count(0)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)  # elements still loading their frontend code
    try:  # a shown data frame is drawn on a canvas once its grid has loaded (one in a hidden tab never is)
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=stDataFrame]')]"
            ".filter((d) => d.offsetParent !== null).every((d) => d.querySelector('canvas'))",
            timeout=15_000,
        )
    except PlaywrightTimeout:
        print(f"note: a data frame on {page.url} drew no canvas in 15 s; taking the picture as it is")


def pick(page: Page, label: str, option: str) -> None:
    """Choose ``option`` (a regular expression on its text) in the select box ``label``."""
    page.get_by_label(label).click()
    page.get_by_role("option", name=re.compile(option)).first.click()
    idle(page)


def _graph(page: Page) -> None:
    tabs = page.get_by_role("tab")
    if tabs.filter(has_text="Neighbourhood").count():
        tabs.filter(has_text="Neighbourhood").first.click()
        idle(page)
        page.wait_for_timeout(1500)  # vis-network's own fit animation, inside its iframe (a picture, not a test)


def _top(page: Page, locator: Locator) -> None:
    """Scroll the main area so ``locator`` is at the top of the picture (what the page is about, not its filters)."""
    locator.first.evaluate("(e) => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)  # the scroll settles (a picture, not a test)


def _paths(page: Page) -> None:
    expect(page.get_by_test_id("stGraphVizChart").first).to_be_visible()
    _top(page, page.get_by_role("heading", name=re.compile(r"^Path \d+")))


def _trajectories(page: Page) -> None:
    pick(page, "Source", "^synth$")  # a synthesised conversation, with its verification
    _top(page, page.get_by_text("Open a trajectory"))


def _preferences(page: Page) -> None:
    name = page.get_by_role("textbox", name="You are")
    name.fill("demo")
    name.press("Enter")
    idle(page, page.get_by_role("heading", name=re.compile(r"^Pair \d+$")))
    _top(page, page.get_by_role("heading", name=re.compile(r"^Pair \d+$")))


def _tasks(page: Page) -> None:
    button = page.get_by_role("button", name="Replay gold actions")
    if button.count():
        button.click()
        idle(page, page.get_by_text(re.compile("Gold replay|gold replay|matches the gold")).first)


def _episodes(page: Page) -> None:
    _top(page, page.get_by_text("Open episode"))


# page path -> (file name, what to wait for, extra steps)
PAGES: list[tuple[str, str, str, Callable[[Page], None] | None]] = [
    ("", "home", "fcstudio", None),
    ("catalog", "catalog", "Catalog", None),
    ("graph", "graph", "Graph", _graph),
    ("paths", "paths", "Paths", _paths),
    ("trajectories", "trajectories", "Trajectories", _trajectories),
    ("preferences", "preferences", "Preferences", _preferences),
    ("export", "export", "Export", None),
    ("tasks", "tasks", "Tasks", _tasks),
    ("leaderboard", "leaderboard", "Leaderboard", None),
    ("episodes", "episodes", "Episodes", _episodes),
    ("llm_log", "llm_log", "LLM log", None),
]


def serve(workspace: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", "--client.toolbarMode", "viewer",
         "--", "--workspace", str(workspace)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "FCSTUDIO_WORKSPACE": ""},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("streamlit did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fcstudio-shots-") as tmp:
        workspace = Path(tmp) / "demo.duckdb"
        with Workspace(workspace).open() as con:
            build_demo(con)
        for step in PIPELINE:
            cli(workspace, *step)
        proc, url = serve(workspace)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_context(viewport={"width": 1440, "height": 1100}).new_page()
                page.set_default_timeout(WAIT_MS)
                expect.set_options(timeout=WAIT_MS)
                for path, name, ready, extra in PAGES:
                    page.goto(f"{url}/{path}")
                    idle(page, page.get_by_role("heading", name=ready).first)
                    if extra:
                        extra(page)
                    if page.get_by_test_id("stException").count():
                        raise SystemExit(f"{name}: the page shows an exception")
                    page.screenshot(path=str(args.out / f"{name}.png"))
                    print(f"wrote {args.out / f'{name}.png'}")
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
