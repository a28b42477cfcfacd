"""Real-browser tests: ``streamlit run app.py`` driven by Playwright in Debian's Chromium.

The harness (one server for the session, a fresh demo workspace per test, waits on page state) is in
``browser_kit.py``.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from browser_kit import (
    App,
    _assert_no_exception,
    _expand,
    _idle,
    _metric,
    _open,
    _serve,
    _shortcut_ready,
    _upload_as_xlam,
    run_cli,
)
from playwright.sync_api import Page, expect

import conftest
from conftest import FIXTURES

pytestmark = pytest.mark.browser


def test_catalog_search_and_tool_detail(app: App, page: Page, tmp_path: Path) -> None:
    _open(page, app, "catalog", page.get_by_text("Every function in the workspace"))
    search = page.get_by_role("textbox", name="Search")
    search.fill("check_cal")
    search.press("Enter")
    _idle(page, page.get_by_text("1 tools match", exact=True), page.get_by_role("heading", name="check_calendar"))
    expect(
        page.get_by_test_id("stMarkdownContainer").filter(has_text="Events on the user's calendar for a day").first
    ).to_be_visible()
    expect(page.get_by_role("tab", name="Schema")).to_have_count(1)  # the previous tool's tabs are gone
    page.get_by_role("tab", name="Schema").click()
    expect(page.locator('[data-testid="stJson"]:visible').first).to_contain_text("Day to look at, YYYY-MM-DD.")
    page.get_by_role("tab", name="Used by").click()
    expect(page.get_by_text("Trajectories offering it: 1")).to_be_visible()
    _assert_no_exception(page)
    shot = tmp_path / "catalog.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_upload_of_a_broken_file_shows_the_place_and_imports_nothing(app: App, page: Page, tmp_path: Path) -> None:
    bad = tmp_path / "broken.jsonl"
    good = json.loads((FIXTURES / "xlam" / "xlam_sample.jsonl").read_text().splitlines()[0])
    bad.write_text(json.dumps(good) + "\n" + '{"id": 9, "query": \n')
    before = json.loads(run_cli("stats", "--json", workspace=app.workspace).stdout)
    _upload_as_xlam(page, app, bad)
    _idle(page, page.get_by_text("broken.jsonl:2: invalid JSON line"))
    expect(page.get_by_text("the workspace is unchanged")).to_be_visible()
    # the broken file is cleared from the uploader, so it cannot go in again with the next upload
    expect(page.get_by_test_id("stFileUploader").get_by_text("broken.jsonl", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Import")).to_be_disabled()
    _assert_no_exception(page)
    after = json.loads(run_cli("stats", "--json", workspace=app.workspace).stdout)
    assert after == before


def test_leaderboard_upload_error_names_the_file_in_words(app: App, page: Page, tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text(json.dumps({"info": {}, "simulations": []}))
    _open(page, app, "leaderboard", page.get_by_text("Compare models on tau-bench"))
    _expand(page, "Import results or run an evaluation")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(bad))
    listed = page.get_by_test_id("stFileUploader").get_by_text("broken.json", exact=True)
    expect(listed).to_have_count(1)
    _idle(page)
    page.get_by_role("button", name="Import").click()
    _idle(page, page.get_by_text("Could not import broken.json: broken.json: no simulations to import"))
    content = page.content()
    assert "EvalImportError" not in content and "/tmp/tmp" not in content  # no class name, no temporary path
    expect(listed).to_have_count(0)
    _assert_no_exception(page)


def test_upload_of_several_files_imports_the_good_ones_and_names_the_bad_one(
    app: App, page: Page, tmp_path: Path
) -> None:
    good = tmp_path / "good_upload.jsonl"
    row = json.loads((FIXTURES / "xlam" / "xlam_sample.jsonl").read_text().splitlines()[1])
    good.write_text(json.dumps({**row, "id": "upload-good"}) + "\n")
    bad = tmp_path / "bad_upload.jsonl"
    bad.write_text(json.dumps(row) + "\n" + '{"id": 9, "query": \n')
    before = json.loads(run_cli("stats", "--json", workspace=app.workspace).stdout)["tables"]["trajectories"]
    _upload_as_xlam(page, app, good, bad)
    _idle(page, page.get_by_text("good_upload.jsonl: added"), page.get_by_text("Could not import bad_upload.jsonl"))
    expect(page.get_by_text("bad_upload.jsonl:2: invalid JSON line").first).to_be_visible()
    expect(page.get_by_text("Nothing from this file was imported")).to_be_visible()
    assert "fcstudio-upload-" not in page.content()  # the temporary folder is never shown
    _assert_no_exception(page)
    after = json.loads(run_cli("stats", "--json", workspace=app.workspace).stdout)["tables"]["trajectories"]
    assert after == before + 1


def test_upload_with_auto_tells_each_files_format(app: App, page: Page, tmp_path: Path) -> None:
    """The default format is auto: a Glaive file and a file no format fits, uploaded together."""
    glaive = FIXTURES / "outside" / "glaive_toolcall_en_demo.head6.json"
    odd = tmp_path / "notes.json"
    odd.write_text(json.dumps({"query": "q", "tools": []}))
    _open(page, app, "catalog", page.get_by_text("Every function in the workspace"))
    _expand(page, "Import files")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(glaive), str(odd)])
    go = page.get_by_role("button", name="Import")
    expect(go).to_be_enabled()
    _idle(page)
    go.click()
    _idle(page, page.get_by_text("glaive_toolcall_en_demo.head6.json: added 3 tools, 6 trajectories"))
    expect(page.get_by_text("format sharegpt")).to_be_visible()
    expect(page.get_by_text("closest is xlam, which needs 'answers'")).to_be_visible()
    assert "fcstudio-upload-" not in page.content()
    _assert_no_exception(page)


def test_cli_import_while_the_app_runs_then_the_app_shows_the_new_rows(app: App, page: Page) -> None:
    _open(page, app, "", _metric(page, "Trajectories"))
    before = int(_metric(page, "Trajectories").inner_text().replace(",", ""))
    # the app process is serving (and re-opening the workspace on every rerun) while the CLI writes
    page.reload()
    result = run_cli("import", "xlam", str(FIXTURES / "xlam" / "xlam_sample.jsonl"), workspace=app.workspace)
    assert result.returncode == 0, result.stderr
    assert "added" in result.stdout
    page.reload()
    expect(_metric(page, "Trajectories")).to_have_text(f"{before + 2:,}")
    _idle(page)
    _assert_no_exception(page)


def test_cli_import_waits_while_the_app_is_writing_and_then_succeeds(app: App, page: Page, tmp_path: Path) -> None:
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
    expect(page.get_by_test_id("stProgress").first).to_be_visible()  # the app is importing now

    result = run_cli("import", "xlam", str(small), workspace=app.workspace, env={"FCSTUDIO_LOCK_TIMEOUT": "120"})
    assert result.returncode == 0, result.stderr
    assert "busy" in result.stderr, "the CLI should have found the workspace held by the app and waited"
    expect(page.get_by_text("big_upload.jsonl: added")).to_be_visible(timeout=120_000)
    _idle(page)
    _assert_no_exception(page)

    after = json.loads(run_cli("stats", "--json", workspace=app.workspace).stdout)["tables"]["trajectories"]
    assert after == before + 30_000 + 1
    _open(page, app, "", _metric(page, "Trajectories"))
    expect(_metric(page, "Trajectories")).to_have_text(f"{after:,}")


def test_tasks_page_gold_replay_shows_the_state_diff(app: App, page: Page, tmp_path: Path) -> None:
    _open(page, app, "tasks", page.get_by_text("Benchmark tasks with gold actions"))
    page.get_by_label("Benchmark and domain").click()
    page.get_by_role("option", name=re.compile(r"travel")).click()
    task_box = page.get_by_role("combobox", name="Open a task")
    expect(task_box).to_have_value(re.compile(r"^travel_"))  # the rerun for the domain listed its tasks
    _idle(page)
    task_box.click()
    page.get_by_role("option", name=re.compile(r"^travel_19 ")).click()
    _idle(page, page.get_by_role("heading", name="Task travel_19"))
    page.get_by_role("button", name="Replay gold actions").click()
    _idle(page, page.get_by_text("What the gold actions changed"))
    expect(page.get_by_text("removed · calendar/ev2")).to_be_visible()
    expect(page.get_by_text(re.compile(r"added · calendar/ev\d+")).first).to_be_visible()
    _assert_no_exception(page)
    page.screenshot(path=str(tmp_path / "tasks.png"), full_page=True)


def test_pipeline_pages_label_a_pair_with_the_keyboard(app: App, page: Page, tmp_path: Path) -> None:
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

    _open(page, app, "preferences", page.get_by_text("Pairs for multi-turn DPO"))
    expect(_metric(page, "Labels")).to_have_text(re.compile(r"^0 of "))
    name = page.get_by_role("textbox", name="You are")
    name.fill("kb-ana")
    name.press("Enter")
    heading = page.get_by_role("heading", name=re.compile(r"^Pair \d+$"))
    _idle(page, heading)
    first_id = int(heading.inner_text().split()[1])
    heading.click()  # focus leaves the name box: the keys now go to the page's shortcuts
    _shortcut_ready(page, page.locator(f".st-key-pick_left_{first_id} button"), "left")
    page.keyboard.press("ArrowLeft")
    _idle(page, page.get_by_text(f"Pair {first_id} labelled.", exact=True))
    expect(_metric(page, "Labels")).to_have_text(re.compile(r"^1 of "))
    second_id = int(heading.inner_text().split()[1])
    assert second_id != first_id
    heading.click()
    _shortcut_ready(page, page.locator(f".st-key-pick_tie_{second_id} button"), "t")
    page.keyboard.press("t")
    _idle(page, page.get_by_text(f"Pair {second_id} labelled.", exact=True))
    expect(_metric(page, "Labels")).to_have_text(re.compile(r"^2 of "))
    _assert_no_exception(page)
    page.screenshot(path=str(tmp_path / "preferences.png"), full_page=True)
    stored = json.loads(run_cli("pairs", "agreement", workspace=app.workspace).stdout)
    assert stored["progress"]["labels"] == 2 and stored["annotators"] == ["kb-ana"]

    synthesised = json.loads(
        run_cli("traj", "list", "--origin", "synth", "--limit", "1000", workspace=app.workspace).stdout
    )
    assert synthesised["total"] > 0
    _open(page, app, "trajectories", page.get_by_text("Multi-turn function-calling conversations"))
    page.get_by_label("Source").click()
    page.get_by_role("option", name="synth").click()
    _idle(page, page.get_by_text(f"{synthesised['total']:,} matching", exact=True))
    expect(page.get_by_test_id("stChatMessage").first).to_be_visible()
    page.get_by_role("button", name="Accept").click()
    expect(_metric(page, "Status")).to_have_text("accepted")
    _idle(page)
    _assert_no_exception(page)

    _open(page, app, "export", page.get_by_role("textbox", name="Folder"))
    page.get_by_role("textbox", name="Folder").fill(str(tmp_path / "exports"))
    page.get_by_role("button", name="Export").click()
    _idle(page, page.get_by_text("Wrote 1 rows"))
    assert (tmp_path / "exports" / "sft.jsonl").is_file()
    _assert_no_exception(page)


def test_episodes_page_reviews_a_failed_episode_and_makes_a_pair(app: App, page: Page, tmp_path: Path) -> None:
    # the demo workspace ships a scripted travel run
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

    line = next(w for w in rev["explanation"] if '"' not in w)  # one of the reasons, as the CLI words it

    _open(page, app, "episodes", page.get_by_text("Review evaluation episodes, failed ones first"))
    page.get_by_label("Open episode").click()
    page.get_by_role("option", name=re.compile(rf"^episode {target['id']} ")).click()
    make_pair = page.locator(f".st-key-ep_pair_{target['id']}").get_by_role("button")  # keyed by the episode
    _idle(page, make_pair, page.get_by_text(re.compile(r"First divergence at step \d+: the agent")))
    why = page.locator(".st-key-ep_why")  # the failure in words, above the tabs, visible without a click
    expect(why.get_by_text("Why this episode failed")).to_be_visible()
    expect(why.get_by_text(line, exact=True)).to_be_visible()
    assert why.bounding_box()["y"] < page.get_by_role("tab", name="Transcript").bounding_box()["y"]  # type: ignore[index]
    page.get_by_role("tab", name="Final state: expected vs actual").click()
    expect(page.get_by_text(re.compile(r"(only in expected|differing|only in actual) · \w+/")).first).to_be_visible()
    _assert_no_exception(page)
    page.screenshot(path=str(tmp_path / "episodes.png"), full_page=True)
    make_pair.click()
    _idle(page, page.get_by_text(re.compile(r"Pair \d+ is in the queue")))
    _assert_no_exception(page)
    pairs = json.loads(run_cli("pairs", "list", workspace=app.workspace).stdout)
    made = [p for p in pairs if p["strategy"] == "failed_episode" and p["episode_ref"].endswith(f"#{target['id']}")]
    assert len(made) == 1
    make_pair.click()  # a second click: the same pair, said so
    _idle(page, page.get_by_text(f"already in the queue as pair {made[0]['id']}"))  # nothing added: AppTest checks
    _assert_no_exception(page)


def test_episodes_page_reviews_a_failed_bfcl_multi_turn_episode(app: App, page: Page, tmp_path: Path) -> None:
    """A scripted model misses turn 0's last call of one entry: the review shows that turn and the differing field."""
    from openai_stub import StubServer
    from scripted_bfcl import script

    from fcstudio.envs.bfcl.entries import load_entries

    data = conftest.shared_path("bfcl_v4")
    ids = {"multi_turn_base_0", "multi_turn_base_1"}
    entries = load_entries(data, ["multi_turn_base"], ids=ids)
    with StubServer(respond=script(entries, drop_last=frozenset({"multi_turn_base_0"}))) as stub:
        proc = run_cli(
            "bfcl", "run", "--data", str(data), "--model", "scripted-fc", "--base-url", stub.base_url,
            "--categories", "multi_turn_base", "--ids", ",".join(sorted(ids)), workspace=app.workspace,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    run_id = json.loads(proc.stdout)["run"]

    _open(page, app, "episodes", page.get_by_text("Review evaluation episodes, failed ones first"))
    page.get_by_label("Run").click()
    page.get_by_role("option", name=re.compile(rf"^run {run_id} · scripted-fc · bfcl-v3")).click()
    _idle(page, _metric(page, "Failed at turn"))
    expect(_metric(page, "Failed at turn")).to_contain_text("0")
    why = page.locator(".st-key-ep_why")  # the turn and the differing field in words, before the checker's JSON
    expect(why.get_by_text(re.compile(r"^The checker failed the episode at turn 0: "))).to_be_visible()
    expect(why.get_by_text(re.compile(r"^Turn 0, GorillaFileSystem\.\S+: is .*, expected ")).first).to_be_visible()
    expect(page.get_by_text("multi_turn:instance_state_mismatch").first).to_be_visible()
    expect(page.get_by_text("Turn 0 · failed here")).to_be_visible()
    expect(page.get_by_text("GorillaFileSystem: expected vs actual after turn 0").first).to_be_visible()
    expect(page.locator("[data-testid='stDataFrame']").first).to_be_visible()
    _assert_no_exception(page)
    page.screenshot(path=str(tmp_path / "multi_turn_review.png"), full_page=True)


def test_episodes_page_reviews_a_telecom_episode_on_both_sides(app: App, page: Page, tmp_path: Path) -> None:
    """Dual control: the user's phone calls are marked as the user's, and both states' diffs are shown."""
    from scripted_telecom import DATA_OFF, build_telecom

    shared = conftest.shared_path()
    with ThreadPoolExecutor(1) as pool:  # the runner's asyncio loop cannot start in Playwright's thread
        built = pool.submit(conftest.template, "telecom", lambda ws: build_telecom(ws, shared)).result()
    _serve(app.workspace, built)
    _open(page, app, "episodes", page.get_by_text("Review evaluation episodes, failed ones first"))
    page.get_by_label("Open episode").click()
    page.get_by_role("option", name=re.compile(re.escape(DATA_OFF))).first.click()
    _idle(page, _metric(page, "User calls"))
    expect(_metric(page, "Reward")).to_contain_text("0.00")
    why = page.locator(".st-key-ep_why")  # the phone's field and the user's missing call, in words
    expect(why.get_by_text("user_db device: data_enabled is false, expected true.", exact=True)).to_be_visible()
    expect(why.get_by_text("The gold action toggle_data() was never called by the user on the phone.")).to_be_visible()
    expect(_metric(page, "User calls")).to_contain_text(re.compile(r"[1-9]"))
    page.get_by_role("tab", name="Transcript").click()
    expect(page.get_by_text("user calls on the phone").first).to_be_visible()
    page.get_by_role("tab", name="Final state: expected vs actual").click()
    expect(page.get_by_text("The user's phone (the user's side)")).to_be_visible()
    expect(page.get_by_text("The operator's database (the agent's side)")).to_be_visible()
    expect(page.get_by_text(re.compile(r"differing · user_db/device")).first).to_be_visible()
    _assert_no_exception(page)
    page.screenshot(path=str(tmp_path / "telecom_review.png"), full_page=True)
