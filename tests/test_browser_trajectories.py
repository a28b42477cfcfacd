"""Real browser: on the Trajectories page, edit a call, re-execute with regeneration unticked, and see the reply
that quoted the old result flagged stale (badge, reason, Accept disabled)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from browser_kit import App, _assert_no_exception, _idle, _metric, _open, _serve, run_cli
from playwright.sync_api import Page, expect

from conftest import copy_of, weather_template
from fcstudio.store import scalar
from fcstudio.synth.trajectories import get_trajectory

pytestmark = pytest.mark.browser


def test_an_edited_call_re_executed_flags_the_reply_that_quoted_the_old_result(
    app: App, page: Page, tmp_path: Path
) -> None:
    built = weather_template()
    with copy_of(built, tmp_path / "look.duckdb").connect() as con:
        tid = int(scalar(con, "SELECT id FROM trajectories WHERE origin = 'synth'"))
        t = get_trajectory(con, tid)
    assert t is not None
    i = next(k for k, m in enumerate(t["messages"]) if m.get("tool_calls"))
    args = json.loads(t["messages"][i]["tool_calls"][0]["function"]["arguments"])
    args["location"] = "Jaipur" if args["location"] != "Jaipur" else "Agra"
    _serve(app.workspace, built)

    _open(page, app, "trajectories", page.get_by_text("Multi-turn function-calling conversations"))
    page.get_by_label("Source").click()
    page.get_by_role("option", name="synth").click()
    _idle(page, page.get_by_text("1 matching", exact=True))
    page.get_by_role("tab", name="Edit a message").click()
    number = page.get_by_label("Message", exact=True)
    number.fill(str(i))
    number.press("Enter")
    arguments = page.get_by_label("Arguments (JSON)")
    _idle(page, arguments)
    arguments.fill(json.dumps(args))
    arguments.press("Control+Enter")  # a text area sends its value on Ctrl+Enter
    _idle(page)
    regenerate = page.get_by_text("Regenerate the replies that quote a changed result")
    regenerate.click()
    expect(page.get_by_role("checkbox", name="Regenerate the replies that quote a changed result")).not_to_be_checked()
    _idle(page)
    page.get_by_role("button", name="Save as a new version").click()
    _idle(page, page.get_by_text(re.compile(r"^1 reply quotes a tool result that changed")))

    page.get_by_role("tab", name="Conversation").click()
    bubble = page.get_by_test_id("stChatMessage").filter(has_text="stale: the result it quotes changed")
    expect(bubble).to_have_count(1)  # the one reply that quoted the old forecast, with the reason on it
    reply_at = len(t["messages"]) - 1
    expect(bubble).to_contain_text(f"assistant reply at turn 1 (message {reply_at}) quotes a tool result that changed")
    expect(bubble).to_contain_text(f"[{reply_at}]")
    expect(page.get_by_role("button", name="Accept")).to_be_disabled()
    expect(_metric(page, "Verification")).to_have_text("failed")
    expect(page.get_by_role("button", name="Regenerate 1 stale reply")).to_be_enabled()
    _assert_no_exception(page)
    page.screenshot(path=str(tmp_path / "trajectories.png"), full_page=True)
    stored = json.loads(run_cli("traj", "show", str(tid), workspace=app.workspace).stdout)
    assert [m["message"] for m in stored["stale"]] == [reply_at] and stored["verified"] is False
