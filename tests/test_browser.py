"""Real-browser tests: ``streamlit run app.py`` driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import FIXTURES, ROOT, run_cli

pytestmark = pytest.mark.browser

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class App:
    def __init__(self, url: str, workspace: Path, proc: subprocess.Popen[bytes]):
        self.url, self.workspace, self.proc = url, workspace, proc


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    workspace = tmp_path_factory.mktemp("browser") / "ws.duckdb"
    port = _free_port()
    log = open(workspace.parent / "streamlit.log", "wb")
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
            raise RuntimeError("streamlit did not start: " + (workspace.parent / "streamlit.log").read_text()[-2000:])
        time.sleep(0.3)
    yield App(url, workspace, proc)
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (the README's test command does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, tmp_path: Path):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()


def _settle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit has finished the current run."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=30_000,
    )
    page.wait_for_timeout(300)


def _assert_no_exception(page) -> None:  # type: ignore[no-untyped-def]
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]'
    ).first.inner_text()


def _metric(page, label: str) -> str:  # type: ignore[no-untyped-def]
    box = page.locator('[data-testid="stMetric"]', has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _upload_as_xlam(page, app: App, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Open Catalog's import panel, pick xlam, upload ``path`` and press Import."""
    page.goto(f"{app.url}/catalog")
    _settle(page)
    page.get_by_text("Import files").click()
    page.get_by_label("Format").click()
    page.get_by_role("option", name=re.compile(r"^xlam")).click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.get_by_text(path.name).first.wait_for(timeout=20_000)
    page.get_by_role("button", name="Import").click()


def test_catalog_search_and_tool_detail(app: App, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{app.url}/catalog")
    _settle(page)
    page.get_by_text("Every function in the workspace").wait_for(timeout=30_000)
    search = page.get_by_role("textbox", name="Search")
    search.fill("check_cal")
    search.press("Enter")
    _settle(page)
    page.get_by_role("heading", name="check_calendar").wait_for(timeout=30_000)
    page.locator(
        '[data-testid="stMarkdownContainer"]', has_text="Events on the user's calendar for a day"
    ).first.wait_for()
    _settle(page)
    expect(page.get_by_role("tab", name="Schema")).to_have_count(1, timeout=15_000)  # the previous tool's tabs are gone
    page.get_by_role("tab", name="Schema").click()
    schema = page.locator('[data-testid="stJson"]:visible').first
    schema.wait_for(timeout=10_000)
    assert "Day to look at, YYYY-MM-DD." in schema.inner_text()
    page.get_by_role("tab", name="Used by").click()
    page.get_by_text("Trajectories offering it: 1").wait_for(timeout=10_000)
    _assert_no_exception(page)
    shot = tmp_path / "catalog.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_upload_of_a_broken_file_shows_the_place_and_imports_nothing(app: App, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "broken.jsonl"
    good = json.loads((FIXTURES / "xlam" / "xlam_sample.jsonl").read_text().splitlines()[0])
    bad.write_text(json.dumps(good) + "\n" + '{"id": 9, "query": \n')
    before = json.loads(run_cli("stats", "--json", workspace=app.workspace).stdout)
    _upload_as_xlam(page, app, bad)
    page.get_by_text("broken.jsonl:2: invalid JSON line").wait_for(timeout=30_000)
    page.get_by_text("the workspace is unchanged").wait_for()
    _assert_no_exception(page)
    after = json.loads(run_cli("stats", "--json", workspace=app.workspace).stdout)
    assert after == before


def test_upload_of_several_files_imports_the_good_ones_and_names_the_bad_one(app: App, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "good_upload.jsonl"
    row = json.loads((FIXTURES / "xlam" / "xlam_sample.jsonl").read_text().splitlines()[1])
    good.write_text(json.dumps({**row, "id": "upload-good"}) + "\n")
    bad = tmp_path / "bad_upload.jsonl"
    bad.write_text(json.dumps(row) + "\n" + '{"id": 9, "query": \n')
    before = json.loads(run_cli("stats", "--json", workspace=app.workspace).stdout)["tables"]["trajectories"]
    page.goto(f"{app.url}/catalog")
    _settle(page)
    page.get_by_text("Import files").click()
    page.get_by_label("Format").click()
    page.get_by_role("option", name=re.compile(r"^xlam")).click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(good), str(bad)])
    page.get_by_text(bad.name).first.wait_for(timeout=20_000)
    page.get_by_role("button", name="Import").click()
    page.get_by_text("good_upload.jsonl: added").wait_for(timeout=30_000)
    page.get_by_text("Could not import bad_upload.jsonl").wait_for(timeout=30_000)
    page.get_by_text("bad_upload.jsonl:2: invalid JSON line").first.wait_for()
    page.get_by_text("Nothing from this file was imported").wait_for()
    assert "fcstudio-upload-" not in page.content()  # the temporary folder is never shown
    _assert_no_exception(page)
    after = json.loads(run_cli("stats", "--json", workspace=app.workspace).stdout)["tables"]["trajectories"]
    assert after == before + 1


def test_cli_import_while_the_app_runs_then_the_app_shows_the_new_rows(app: App, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(app.url)
    _settle(page)
    before = int(_metric(page, "Trajectories").replace(",", ""))
    # the app process is serving (and re-opening the workspace on every rerun) while the CLI writes
    page.reload()
    result = run_cli("import", "xlam", str(FIXTURES / "xlam" / "xlam_sample.jsonl"), workspace=app.workspace)
    assert result.returncode == 0, result.stderr
    assert "added" in result.stdout
    page.reload()
    _settle(page)
    page.wait_for_function(
        "n => [...document.querySelectorAll('[data-testid=stMetric]')].some(m => m.innerText.includes('Trajectories') && m.innerText.includes(String(n)))",
        arg=before + 2,
        timeout=30_000,
    )
    assert int(_metric(page, "Trajectories")) == before + 2
    _assert_no_exception(page)


def test_cli_import_waits_while_the_app_is_writing_and_then_succeeds(app: App, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The app holds the workspace through a long upload-import; a CLI import meanwhile retries, then lands."""
    row = json.loads((FIXTURES / "xlam" / "xlam_sample.jsonl").read_text().splitlines()[1])
    big = tmp_path / "big_upload.jsonl"
    # rows without ids take the exact reader (seconds for 30k rows, where the DuckDB fast path takes a fraction
    # of one), so the app holds the workspace while the CLI tries
    anonymous = {k: v for k, v in row.items() if k != "id"}
    big.write_text("".join(json.dumps({**anonymous, "query": f"{row['query']} #{i}"}) + "\n" for i in range(30_000)))
    small = tmp_path / "small_cli.jsonl"
    small.write_text(json.dumps({**row, "id": "cli-1", "query": "from the CLI"}) + "\n")
    before = json.loads(run_cli("stats", "--json", workspace=app.workspace).stdout)["tables"]["trajectories"]

    _upload_as_xlam(page, app, big)
    page.locator('[data-testid="stProgress"]').first.wait_for(timeout=20_000)  # the app is importing now

    result = run_cli("import", "xlam", str(small), workspace=app.workspace, env={"FCSTUDIO_LOCK_TIMEOUT": "120"})
    assert result.returncode == 0, result.stderr
    assert "busy" in result.stderr, "the CLI should have found the workspace held by the app and waited"
    page.get_by_text("big_upload.jsonl: added").wait_for(timeout=120_000)
    _assert_no_exception(page)

    after = json.loads(run_cli("stats", "--json", workspace=app.workspace).stdout)["tables"]["trajectories"]
    assert after == before + 30_000 + 1
    page.goto(app.url)
    _settle(page)
    assert int(_metric(page, "Trajectories").replace(",", "")) == after


def test_tasks_page_gold_replay_shows_the_state_diff(app: App, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{app.url}/tasks")
    _settle(page)
    page.get_by_text("Benchmark tasks with gold actions").wait_for(timeout=30_000)
    page.get_by_label("Benchmark and domain").click()
    page.get_by_role("option", name=re.compile(r"travel")).click()
    _settle(page)
    page.get_by_label("Open a task").click()
    page.get_by_role("option", name=re.compile(r"^travel_19 ")).click()
    _settle(page)
    page.get_by_role("heading", name="Task travel_19").wait_for(timeout=30_000)
    page.get_by_role("button", name="Replay gold actions").click()
    page.get_by_text("What the gold actions changed").wait_for(timeout=30_000)
    page.get_by_text("removed · calendar/ev2").wait_for()
    page.get_by_text(re.compile(r"added · calendar/ev\d+")).first.wait_for()
    _assert_no_exception(page)
    page.screenshot(path=str(tmp_path / "tasks.png"), full_page=True)


def test_graph_page_neighbourhood_draws_the_chosen_nodes_and_escapes_text(app: App, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(app.url)  # the first visit builds the demo workspace
    _settle(page)
    evil = tmp_path / "evil_tools.json"
    evil.write_text(
        json.dumps(
            [
                {
                    "name": "get_event_location",
                    "description": 'Where the event takes place <script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">',
                    "parameters": {
                        "type": "object",
                        "properties": {"date": {"type": "string", "description": "Day to look at, YYYY-MM-DD."}},
                    },
                    "returns": {
                        "type": "object",
                        "properties": {"location": {"type": "string", "description": "Address or place to go to."}},
                    },
                }
            ]
        )
    )
    assert run_cli("import", "openai-tools", str(evil), "--dataset", "demo", workspace=app.workspace).returncode == 0
    built = run_cli("graph", "build", workspace=app.workspace)
    assert built.returncode == 0, built.stderr
    page.goto(f"{app.url}/graph")
    _settle(page)
    page.get_by_role("tab", name="Neighbourhood").click()
    box = page.get_by_role("textbox", name="Find a tool")
    box.fill("get_event_location")
    box.press("Enter")
    # the centre box switches to the searched tool only once the rerun with the query has drawn: before that,
    # the caption still describes the previous centre
    expect(page.get_by_role("combobox", name="Centre tool")).to_have_value(
        re.compile(r"^get_event_location\s+·\s+demo$"), timeout=30_000
    )
    _settle(page)
    page.get_by_text(re.compile(r"\d+ tools and \d+ edges \(at most 40 tools")).wait_for(timeout=30_000)
    caption = page.get_by_text(re.compile(r"\d+ tools and \d+ edges")).inner_text()
    expected_nodes = int(caption.split()[0])
    assert 2 <= expected_nodes <= 40
    frame = page.frame_locator("iframe").first
    frame.locator("canvas").first.wait_for(timeout=30_000)
    handle = page.locator("iframe").first.element_handle()
    content = handle.content_frame()
    assert content is not None
    content.wait_for_function(
        "() => typeof network !== 'undefined' && network.body.data.nodes.length > 0", timeout=30_000
    )
    assert content.evaluate("() => network.body.data.nodes.length") == expected_nodes
    # hover and click the centre tool
    frame.locator("canvas").first.scroll_into_view_if_needed()
    content.evaluate("() => network.fit({animation: false})")
    page.wait_for_timeout(300)
    pos = content.evaluate(
        "() => { const ids = network.body.data.nodes.getIds(); const p = network.getPositions([ids[0]])[ids[0]]; return network.canvasToDOM(p); }"
    )
    box_rect = frame.locator("canvas").first.bounding_box()  # page coordinates of the vis.js canvas
    page.mouse.move(box_rect["x"] + pos["x"], box_rect["y"] + pos["y"])
    page.mouse.click(box_rect["x"] + pos["x"], box_rect["y"] + pos["y"])
    page.wait_for_timeout(800)
    assert content.evaluate("() => network.getSelectedNodes().length") == 1
    tooltip = content.locator("div.vis-tooltip")
    tooltip.wait_for(state="attached", timeout=10_000)
    shown = tooltip.inner_text()
    assert (
        "Where the event takes place" in shown and "script" in shown and "window.__xss = 1" in shown
    )  # text, not markup
    assert content.evaluate("() => window.__xss === undefined")
    assert page.evaluate("() => window.__xss === undefined")
    _assert_no_exception(page)
    page.screenshot(path=str(tmp_path / "graph.png"), full_page=True)


def test_pipeline_pages_label_a_pair_with_the_keyboard(app: App, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(app.url)  # the first visit builds the demo workspace
    _settle(page)
    for args in (
        ("graph", "build"),
        ("paths", "sample", "--n", "4", "--steps", "3", "--ops", "merge,insert,split", "--seed", "2"),
        ("synth",),
        ("pairs", "make", "--strategy", "perturb", "--annotators", "2"),
    ):
        done = run_cli(*args, workspace=app.workspace)
        assert done.returncode == 0, done.stderr
    made = json.loads(run_cli("pairs", "list", workspace=app.workspace).stdout)
    assert made

    page.goto(f"{app.url}/preferences")
    _settle(page)
    page.get_by_text("Pairs for multi-turn DPO").wait_for(timeout=30_000)
    needed = _metric(page, "Labels")
    assert needed.startswith("0 of ")
    name = page.get_by_role("textbox", name="You are")
    name.fill("kb-ana")
    name.press("Enter")
    _settle(page)
    first = page.get_by_role("heading", name=re.compile(r"^Pair \d+$")).first
    first.wait_for(timeout=30_000)
    first_id = int(first.inner_text().split()[1])
    page.get_by_text("Left", exact=True).first.wait_for()
    first.click()  # focus leaves the name box: the keys now go to the page's shortcuts
    page.keyboard.press("ArrowLeft")
    page.get_by_text(f"Pair {first_id} labelled.").wait_for(timeout=30_000)
    _settle(page)
    assert _metric(page, "Labels").startswith("1 of ")
    page.get_by_role("heading", name=re.compile(r"^Pair \d+$")).first.click()
    page.keyboard.press("t")
    page.get_by_text(re.compile(r"Pair \d+ labelled\.")).wait_for(timeout=30_000)
    _settle(page)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMetric]')].some(m => m.innerText.includes('2 of '))",
        timeout=30_000,
    )
    _assert_no_exception(page)
    page.screenshot(path=str(tmp_path / "preferences.png"), full_page=True)
    stored = json.loads(run_cli("pairs", "agreement", workspace=app.workspace).stdout)
    assert stored["progress"]["labels"] == 2 and stored["annotators"] == ["kb-ana"]

    page.goto(f"{app.url}/trajectories")
    _settle(page)
    page.get_by_label("Source").click()
    page.get_by_role("option", name="synth").click()
    _settle(page)
    page.locator('[data-testid="stChatMessage"]').first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Accept").click()
    _settle(page)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMetric]')].some(m => m.innerText.includes('accepted'))",
        timeout=30_000,
    )
    _assert_no_exception(page)

    page.goto(f"{app.url}/export")
    _settle(page)
    page.get_by_role("textbox", name="Folder").fill(str(tmp_path / "exports"))
    page.get_by_role("button", name="Export").click()
    page.get_by_text("Wrote 1 rows").wait_for(timeout=30_000)
    assert (tmp_path / "exports" / "sft.jsonl").is_file()
    _assert_no_exception(page)


def test_episodes_page_reviews_a_failed_episode_and_makes_a_pair(app: App, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(app.url)  # the first visit builds the demo workspace (it ships a scripted travel run)
    _settle(page)
    runs = json.loads(run_cli("eval", "runs", "--json", workspace=app.workspace).stdout)
    run_id = next(r["id"] for r in runs if r["episodes"])
    failed = json.loads(run_cli("eval", "episodes", str(run_id), "--failed", "--json", workspace=app.workspace).stdout)
    target = None
    for e in failed:  # a failure that left the database different from the gold one
        rev = json.loads(run_cli("eval", "review", str(e["id"]), "--json", workspace=app.workspace).stdout)
        if rev["diff"] and rev["divergence"] is not None:
            target = e
            break
    assert target is not None

    page.goto(f"{app.url}/episodes")
    _settle(page)
    page.get_by_text("Review evaluation episodes, failed ones first").wait_for(timeout=30_000)
    page.get_by_label("Open episode").click()
    page.get_by_role("option", name=re.compile(rf"^episode {target['id']} ")).click()
    _settle(page)
    page.get_by_text(re.compile(r"First divergence at step \d+: the agent")).wait_for(timeout=30_000)
    page.get_by_role("tab", name="Final state: expected vs actual").click()
    page.get_by_text(re.compile(r"(only in expected|differing|only in actual) · \w+/")).first.wait_for(timeout=30_000)
    _assert_no_exception(page)
    page.screenshot(path=str(tmp_path / "episodes.png"), full_page=True)
    page.get_by_role("button", name="Make a preference pair").click()
    page.get_by_text(re.compile(r"Pair \d+ is in the queue")).wait_for(timeout=30_000)
    _assert_no_exception(page)
    pairs = json.loads(run_cli("pairs", "list", workspace=app.workspace).stdout)
    assert any(p["strategy"] == "failed_episode" and p["episode_ref"].endswith(f"#{target['id']}") for p in pairs)
