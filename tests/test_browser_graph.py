"""Real-browser test of the Graph page: the neighbourhood view draws every node and label inside the visible
canvas on its first draw (also when it was drawn inside the hidden tab), labels apart, dependency edges as
arrows, and names as text, never markup."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from browser_kit import WAIT_MS, App, _assert_no_exception, _idle, _open, _serve
from playwright.sync_api import Frame, Page, expect

import conftest
from fcstudio.catalog.ingest import import_files
from fcstudio.graph.build import build_graph
from fcstudio.graph.embed import TfidfEmbedder
from fcstudio.store import Workspace

pytestmark = pytest.mark.browser

# Every node's centre and its label's box, in the canvas element's own pixels, with the canvas's size.
# Read on the next animation frame: what the reader sees without touching the drawing.
_DRAWN = """() => new Promise((done) => requestAnimationFrame(() => {
    const canvas = document.querySelector('#network canvas');
    const out = {width: canvas.clientWidth, height: canvas.clientHeight, nodes: [], arrows: {}};
    const ids = network.body.data.nodes.getIds();
    const positions = network.getPositions(ids);
    for (const id of ids) {
        const box = network.getBoundingBox(id);
        const low = network.canvasToDOM({x: box.left, y: box.top});
        const high = network.canvasToDOM({x: box.right, y: box.bottom});
        out.nodes.push({id: id, centre: network.canvasToDOM(positions[id]),
                        box: [low.x, low.y, high.x, high.y], label: network.body.nodes[id].options.label});
    }
    for (const id of network.body.data.edges.getIds()) {
        out.arrows[id] = network.body.edges[id].options.arrows.to.enabled;
    }
    out.scale = network.getScale();
    out.text = document.body.innerText.trim();
    done(out);
}))"""


def _network(page: Page, index: int = 0) -> Frame:
    """The vis-network document inside the page's ``index``-th iframe, once its network has nodes."""
    handle = page.locator("iframe").nth(index).element_handle()
    content = handle.content_frame()
    assert content is not None
    content.wait_for_function(
        "() => typeof network !== 'undefined' && network.body.data.nodes.length > 0", timeout=WAIT_MS
    )
    return content


def _assert_all_inside(drawn: dict, expected_nodes: int) -> None:
    """Every node and its label inside the canvas, no two labels overlapping, readable at the fitted zoom."""
    width, height = drawn["width"], drawn["height"]
    assert width > 300 and height > 300, drawn
    assert len(drawn["nodes"]) == expected_nodes
    for node in drawn["nodes"]:
        x, y = node["centre"]["x"], node["centre"]["y"]
        assert 0 <= x <= width and 0 <= y <= height, (node, width, height)
        left, top, right, bottom = node["box"]
        assert left >= -1 and top >= -1 and right <= width + 1 and bottom <= height + 1, (node, width, height)
    boxes = [n["box"] for n in drawn["nodes"]]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap_x = min(a[2], b[2]) - max(a[0], b[0])
            overlap_y = min(a[3], b[3]) - max(a[1], b[1])
            assert overlap_x <= 0 or overlap_y <= 0, (a, b)
    assert drawn["scale"] >= 0.6  # 14 px labels drawn at 8.4 px or more
    assert drawn["text"] == ""  # nothing but the canvas: no stray text outside it


EVIL = {
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


def _demo_with_evil_tool_and_graph(ws: Workspace) -> None:
    """The demo plus a tool whose description is markup, and the graph built (in-process: no CLI start-ups)."""
    conftest.demo_workspace(ws.path)
    evil = ws.path.with_name("evil_tools.json")
    evil.write_text(json.dumps([EVIL]))
    with ws.connect() as con:
        import_files(con, "openai-tools", [evil], dataset="demo")
        build_graph(con, TfidfEmbedder())


def test_graph_neighbourhood_fits_every_node_on_first_draw_and_escapes_text(
    app: App, page: Page, tmp_path: Path
) -> None:
    _serve(app.workspace, conftest.template("browser-graph-evil", _demo_with_evil_tool_and_graph))
    _open(page, app, "graph", page.get_by_role("tab", name="Neighbourhood"))
    page.screenshot(path=str(tmp_path / "graph_overview.png"), full_page=True)
    # the neighbourhood was drawn inside the hidden tab (a frame with no size): shown, it must fit at once
    page.get_by_role("tab", name="Neighbourhood").click()
    caption = page.get_by_text(re.compile(r"\d+ tools and \d+ edges \(at most 40 tools"))
    expect(caption).to_be_visible()
    content = _network(page)
    _assert_all_inside(content.evaluate(_DRAWN), int(caption.inner_text().split()[0]))

    box = page.get_by_role("textbox", name="Find a tool")
    box.fill("get_event_location")
    box.press("Enter")
    # the centre box switches to the searched tool only once the rerun with the query has drawn
    expect(page.get_by_role("combobox", name="Centre tool")).to_have_value(
        re.compile(r"^get_event_location\s+·\s+demo$")
    )
    _idle(page)
    expected_nodes = int(caption.inner_text().split()[0])
    assert 2 <= expected_nodes <= 40
    content = _network(page)
    drawn = content.evaluate(_DRAWN)
    _assert_all_inside(drawn, expected_nodes)
    kinds = content.evaluate("() => Object.fromEntries(network.body.data.edges.get().map((e) => [e.id, e.color]))")
    assert drawn["arrows"] and all(drawn["arrows"][i] == (kinds[i] == "#e4572e") for i in drawn["arrows"])
    assert any(drawn["arrows"].values())  # the evil tool's location feeds navigate: a dependency arrow

    # hover and click the centre tool where the first draw put it: its tooltip shows the text as typed
    canvas = page.frame_locator("iframe").first.locator("canvas").first
    canvas.scroll_into_view_if_needed()
    centre = next(n for n in content.evaluate(_DRAWN)["nodes"] if n["label"] == "get_event_location")
    rect = canvas.bounding_box()
    assert rect is not None
    page.mouse.move(rect["x"] + centre["centre"]["x"], rect["y"] + centre["centre"]["y"])
    page.mouse.click(rect["x"] + centre["centre"]["x"], rect["y"] + centre["centre"]["y"])
    content.wait_for_function("() => network.getSelectedNodes().length === 1", timeout=WAIT_MS)
    tooltip = content.locator("div.vis-tooltip")
    expect(tooltip).to_contain_text("Where the event takes place <script>window.__xss = 1</script><img src=x")
    assert content.evaluate("() => window.__xss === undefined")
    assert page.evaluate("() => window.__xss === undefined")
    _assert_no_exception(page)
    page.screenshot(path=str(tmp_path / "graph.png"), full_page=True)
    assert (tmp_path / "graph.png").stat().st_size > 10_000
