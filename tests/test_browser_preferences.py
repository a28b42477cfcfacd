"""Real browser: a pair opened on the Preferences page shows what differs between its sides, marked."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from browser_kit import App, _assert_no_exception, _idle, _open
from playwright.sync_api import Page, expect

from components.pair_diff import side_html
from fcstudio.prefs.diff import pair_diff
from fcstudio.prefs.labels import left_is_chosen
from fcstudio.prefs.pairs import get_pair, store_pair
from fcstudio.store import Workspace

pytestmark = pytest.mark.browser


def _call(name: str, arguments: str) -> dict:
    return {"id": "c1", "type": "function", "function": {"name": name, "arguments": arguments}}


def _side(party: int, confirmation: str, text: str) -> list[dict]:
    return [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [_call("reserve_table", f'{{"party_size": {party}, "time": "14:00"}}')],
        },
        {"role": "tool", "tool_call_id": "c1", "content": f'{{"confirmation": "{confirmation}"}}'},
        {"role": "assistant", "content": text},
    ]


PAIR = {  # the shape pairs make stores: a prefix through a user turn, two continuations
    "turn": 0,
    "prefix": [{"role": "user", "content": "Book a table for four at 14:00, please."}],
    "chosen": _side(4, "confirmation 19", "Your table for four at 14:00 is booked: confirmation 19."),
    "rejected": _side(2, "confirmation 9", "Your table for two at 14:00 is booked: confirmation 9."),
    "tools": [],
    "error_type": "missed_function_or_parameters",
    "judge": "rule",
}


def test_an_opened_pair_shows_its_difference_marked(app: App, page: Page, tmp_path: Path) -> None:
    with Workspace(app.workspace).connect() as con:  # before the page opens: the server holds no connection
        store_pair(con, None, PAIR, "perturb", 1, None)

    _open(page, app, "preferences", page.get_by_text("Pairs for multi-turn DPO"))
    name = page.get_by_role("textbox", name="You are")
    name.fill("diff-ana")
    name.press("Enter")
    heading = page.get_by_role("heading", name=re.compile(r"^Pair \d+$"))
    _idle(page, heading)
    pid = int(heading.inner_text().split()[1])

    with Workspace(app.workspace).connect() as con:
        pair = get_pair(con, pid)
    assert pair is not None
    sides = (pair["chosen"], pair["rejected"])
    left, right = sides if left_is_chosen(pid, "diff-ana") else sides[::-1]
    diff = pair_diff(left, right)
    expected = [
        html.unescape(re.sub(r"<[^>]+>", "", piece.split(">", 1)[1].split("</mark>", 1)[0]))
        for side in ("a", "b")
        for piece in side_html(diff, side).split('<mark class="fc-diff"')[1:]
    ]
    assert expected

    marks = page.locator(".st-key-pair_diff mark.fc-diff")
    expect(marks).to_have_count(len(expected))
    expect(marks.first).to_be_visible()
    expect(marks.first).to_have_text(expected[0])
    expect(marks.last).to_have_text(expected[-1])
    # the argument and the words that differ are marked on both sides
    expect(marks.filter(has_text=re.compile(r"^party_size=(2|4)$"))).to_have_count(2)
    expect(marks.filter(has_text=re.compile(r"^(four|two)$"))).to_have_count(2)
    colour = marks.first.evaluate("m => getComputedStyle(m).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")  # visibly marked, not just tagged
    _assert_no_exception(page)
    page.screenshot(path=str(tmp_path / "preferences.png"), full_page=True)
    assert (tmp_path / "preferences.png").stat().st_size > 10_000
