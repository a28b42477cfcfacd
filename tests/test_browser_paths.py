"""The Paths page in a real browser: an FSP is drawn as a diagram (Graphviz WASM, offline), boxes and arrows in
the DOM, and an edit redraws it."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_kit import App, _assert_no_exception, _idle, _open, _serve
from playwright.sync_api import Page, expect

from conftest import copy_of, demo_template, template
from fcstudio.paths.store import get_path
from fcstudio.store import Workspace

pytestmark = pytest.mark.browser


def _demo_with_a_path(ws: Workspace) -> None:
    """The demo with its graph and two paths sampled with insert (so the first has an arrow to draw)."""
    from fcstudio.graph.build import build_graph
    from fcstudio.graph.embed import TfidfEmbedder
    from fcstudio.paths.store import sample_paths

    copy_of(demo_template(), ws.path)
    with ws.connect() as con:
        build_graph(con, TfidfEmbedder())
        sample_paths(con, n=2, steps=3, ops=["insert"], seed=4)


def test_a_path_is_drawn_as_a_diagram_and_redrawn_after_an_edit(app: App, page: Page, tmp_path: Path) -> None:
    _serve(app.workspace, template("browser-paths", _demo_with_a_path))
    with Workspace(app.workspace).connect() as con:  # no page is open yet: the server holds no connection
        found = get_path(con, 1)  # the first path, which the page opens
    assert found is not None
    fsp = found["fsp"].model_dump()
    calls = sum(len(turn["calls"]) for turn in fsp["turns"])
    fed = sum(s["kind"] == "output" for turn in fsp["turns"] for c in turn["calls"] for s in c["args"].values())
    assert fed >= 1  # insert wires a producer into a call: at least one arrow to see

    chart = page.get_by_test_id("stGraphVizChart")
    _open(page, app, "paths", chart.locator("svg g.fsp-call").first)
    expect(chart.locator("svg g.fsp-call")).to_have_count(calls)
    expect(chart.locator("svg g.fsp-flow")).to_have_count(fed)
    expect(chart.locator("svg g.fsp-flow path").first).to_be_visible()  # an arrow is drawn, not only declared
    expect(chart.locator(f"svg g#fsp-turn-{len(fsp['turns']) - 1}")).to_have_count(1)  # one lane per turn
    expect(chart.locator("svg g.fsp-call").first).to_contain_text(fsp["turns"][0]["calls"][0]["name"])
    expect(chart.locator("svg g.fsp-turn-miss_param")).to_have_count(0)

    page.get_by_role("button", name="Split: miss param").click()
    _idle(page, chart.locator("svg g.fsp-turn-miss_param"))  # the new lane: the withheld argument's turn
    expect(chart.locator("svg g.fsp-call")).to_have_count(calls + 1)
    expect(chart.locator("svg g.fsp-turn-miss_param")).to_contain_text("split: missing parameter")
    expect(chart.locator("svg g.fsp-call").filter(has_text="WITHHELD: ask the user")).to_have_count(1)
    _assert_no_exception(page)
    page.screenshot(path=str(tmp_path / "paths.png"), full_page=True)
