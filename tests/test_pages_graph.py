"""The Graph page under AppTest: ranges that fit the graph (the edge slider, integer chart axes), the overview's
structure-showing drawing, the neighbourhood's fitted drawing, and laying out a graph built before the force layout."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from conftest import copy_workspace, no_errors, open_page, template
from fcstudio.graph.build import build_graph
from fcstudio.graph.embed import TfidfEmbedder
from fcstudio.store import Workspace, rows, run


def _demo_graph(ws: Workspace) -> None:
    from conftest import demo_workspace

    demo_workspace(ws.path)
    with ws.connect() as con:
        build_graph(con, TfidfEmbedder(), threshold=0.4, top_k=5)


@pytest.fixture
def graph_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own copy of the demo workspace with its graph, made the app's workspace."""
    return copy_workspace(template("pages-demo-graph", _demo_graph), tmp_path, monkeypatch)


def _counts(path: Path) -> dict[str, int]:
    with Workspace(path).connect() as con:
        return dict(run(con, "SELECT kind, count(*) FROM graph_edges GROUP BY kind"))


def _chart(at: AppTest, key_part: str) -> dict[str, Any]:
    """The figure (plotly JSON) of the chart whose element id mentions ``key_part``."""
    found = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if key_part in c.proto.id]
    assert len(found) == 1, [c.proto.id for c in at.get("plotly_chart")]
    return found[0]


def _network_data(at: AppTest) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    (frame,) = at.get("iframe")
    page = frame.proto.srcdoc
    nodes = json.loads(re.search(r"var nodes = new vis\.DataSet\((.*?)\);\n", page).group(1))  # type: ignore[union-attr]
    edges = json.loads(re.search(r"var edges = new vis\.DataSet\((.*?)\);\n", page).group(1))  # type: ignore[union-attr]
    return nodes, edges, page


def _drawn_edges(figure: dict[str, Any]) -> int:
    """Edges in the overview's line traces: each is drawn as x0, x1, gap (a typed array in plotly's JSON)."""
    import base64

    import numpy as np

    total = 0
    for trace in figure["data"]:
        if trace.get("mode") == "lines":
            xs = trace["x"]
            values = np.frombuffer(base64.b64decode(xs["bdata"]), dtype=xs["dtype"]) if isinstance(xs, dict) else xs
            assert len(values) % 3 == 0
            total += len(values) // 3
    return total


def test_edge_slider_ranges_over_the_edges_of_the_chosen_kinds(graph_path: Path) -> None:
    counts = _counts(graph_path)
    at = open_page("graph")
    (slider,) = at.slider
    assert (slider.min, slider.max, slider.value, slider.step) == (0, counts["dependency"], counts["dependency"], 1)
    at.multiselect(key="ov_kinds").set_value(["dependency", "param", "label"]).run()
    no_errors(at)
    (slider,) = at.slider
    total = sum(counts.values())
    assert slider.max == total == 135 and slider.value == total
    drawn = _chart(at, "overview_chart")
    edge_traces = [t for t in drawn["data"] if t.get("mode") == "lines"]
    assert {t["line"]["color"] for t in edge_traces} == {"#e4572e", "#2e86ab", "#a0a0a0"}  # colour by kind
    assert _drawn_edges(drawn) == total
    slider.set_value(10).run()
    assert _drawn_edges(_chart(at, "overview_chart")) == 10
    assert any("10 of 135 edges drawn" in c.value for c in at.caption)
    at.multiselect(key="ov_kinds").set_value([]).run()
    no_errors(at)
    assert not at.slider and any("Choose edge kinds" in c.value for c in at.caption)


def test_overview_keeps_the_aspect_and_names_the_busiest_tools(graph_path: Path) -> None:
    at = open_page("graph")
    drawn = _chart(at, "overview_chart")
    assert drawn["layout"]["yaxis"]["scaleanchor"] == "x"  # one unit as long across as up: nothing squashed
    names = {"text": [a["text"] for a in drawn["layout"]["annotations"]]}
    with Workspace(graph_path).connect() as con:
        busiest = rows(con, "SELECT name FROM graph_nodes ORDER BY degree DESC, name LIMIT 1")[0]["name"]
    assert busiest in names["text"] and 5 <= len(names["text"]) <= 15


def test_degree_and_component_charts_have_whole_number_axes_that_fit(graph_path: Path) -> None:
    at = open_page("graph")
    with Workspace(graph_path).connect() as con:
        sizes = [r["n"] for r in rows(con, "SELECT count(*) AS n FROM graph_nodes GROUP BY component ORDER BY n DESC")]
        top_degree = rows(con, "SELECT max(degree) AS d FROM graph_nodes")[0]["d"]
    comp = _chart(at, "component_chart")
    assert comp["data"][0]["x"] == list(range(1, len(sizes) + 1)) and comp["data"][0]["y"] == sizes
    x, y = comp["layout"]["xaxis"], comp["layout"]["yaxis"]
    assert x["range"] == [0.4, len(sizes) + 0.6] and x["dtick"] == 1 and x["tickformat"] == ",d"
    assert y["tickformat"] == ",d" and isinstance(y["dtick"], int) and y["range"][0] == 0
    assert sizes[0] <= y["range"][1] <= sizes[0] * 1.1
    degree = _chart(at, "degree_chart")
    dx = degree["layout"]["xaxis"]
    assert dx["range"] == [-0.6, top_degree + 0.6] and isinstance(dx["dtick"], int) and dx["dtick"] >= 1


def test_neighbourhood_sends_a_fitted_drawing_with_arrows_for_dependencies(graph_path: Path) -> None:
    at = open_page("graph")
    at.text_input(key="nb_query").input("check_calendar").run()
    no_errors(at)
    nodes, edges, page = _network_data(at)
    caption = next(c.value for c in at.caption if "tools and" in c.value)
    assert caption.startswith(f"{len(nodes)} tools and {len(edges)} edges")
    assert all(isinstance(n["x"], float) and isinstance(n["y"], float) for n in nodes)
    centre = next(n for n in nodes if n["label"] == "check_calendar")
    assert centre["color"] == "#e4572e" and centre["size"] > max(n["size"] for n in nodes if n is not centre)
    dependency = [e for e in edges if e["color"] == "#e4572e"]
    assert dependency and all(e["arrows"]["to"]["enabled"] for e in dependency)
    assert all(not e["arrows"]["to"]["enabled"] for e in edges if e["color"] != "#e4572e")
    assert "network.fit(" in page and "ResizeObserver" in page  # fitted on first draw, and once the tab shows
    assert "cdn." not in page and "<h1>" not in page  # no network access, no stray heading


def test_a_graph_laid_out_before_the_force_layout_gets_it_from_a_button(graph_path: Path) -> None:
    with Workspace(graph_path).connect() as con:  # as an older build left it: no layout recorded, other positions
        run(con, "UPDATE graph_builds SET params = json_object('label_top_k', 3)")
        run(con, "UPDATE graph_nodes SET x = degree, y = degree")
    at = open_page("graph")
    assert any("built before the force-directed layout" in i.value for i in at.info)
    next(b for b in at.button if b.label == "Lay the graph out again").click().run()
    no_errors(at)
    assert not any("built before the force-directed layout" in i.value for i in at.info)
    with Workspace(graph_path).connect() as con:
        spread = rows(con, "SELECT count(DISTINCT round(x - y, 6)) AS n FROM graph_nodes")[0]["n"]
    assert spread > 20  # no longer on the diagonal x = y
