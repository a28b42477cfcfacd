"""A vis-network drawing of a few hundred nodes as one self-contained HTML document for ``st.iframe``.

Written here rather than through pyvis's template: pyvis adds a CDN stylesheet and script and an empty heading,
and leaves the view where vis-network first put it, which inside a hidden tab (a zero-sized frame) is off the
canvas. This page fits the view whenever the frame changes size until the reader moves it, with no network
access. vis-network itself is the copy shipped inside the pyvis package."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pyvis

VIS_JS = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2" / "vis-network.min.js"


@cache
def _vis_source() -> str:
    return VIS_JS.read_text(encoding="utf-8")


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element: no ``<``, ``>`` or ``&`` survives to end it early."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


OPTIONS = {
    "physics": {"enabled": False},
    "interaction": {"hover": True, "tooltipDelay": 150, "dragNodes": True},
    "nodes": {"shape": "dot", "font": {"size": 14, "face": "sans-serif", "color": "#262730"}},
    "edges": {"smooth": False, "arrows": {"to": {"enabled": False, "scaleFactor": 0.6}}},
}


def network_html(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], height: int) -> str:
    """The whole page: ``nodes``/``edges`` are vis-network DataSet items (plain text, never markup: labels are
    drawn on the canvas and tooltips are set as text by vis-network)."""
    return f"""<!doctype html>
<html><head><meta charset="utf-8">
<style>
  html, body {{ margin: 0; padding: 0; overflow: hidden; background: #fff; }}
  #network {{ width: 100%; height: {int(height)}px; border: 1px solid #e6e6e6; box-sizing: border-box; }}
  div.vis-tooltip {{
    position: absolute; visibility: hidden; padding: 6px 8px; max-width: 420px; white-space: pre-wrap;
    font: 13px sans-serif; color: #262730; background: #fffbe6; border: 1px solid #d9d0a6; border-radius: 4px;
    box-shadow: 2px 2px 6px rgba(0, 0, 0, 0.15); pointer-events: none; z-index: 5;
  }}
</style>
<script>{_vis_source()}</script>
</head><body>
<div id="network"></div>
<script>
  var nodes = new vis.DataSet({_script_json(nodes)});
  var edges = new vis.DataSet({_script_json(edges)});
  var container = document.getElementById("network");
  var network = new vis.Network(container, {{nodes: nodes, edges: edges}}, {_script_json(OPTIONS)});
  var moved = false;  // once the reader drags or zooms, the view is theirs
  network.on("dragStart", function () {{ moved = true; }});
  network.on("zoom", function () {{ moved = true; }});
  function fitAll() {{ network.fit({{animation: false, maxZoomLevel: 1.5}}); }}
  // a frame drawn inside a hidden tab has no size yet: fit again whenever it gets one (vis-network itself
  // notices a new size only once a second); redraw() takes the canvas's new size and emits "resize"
  network.on("resize", function () {{ if (!moved) {{ fitAll(); }} }});
  new ResizeObserver(function () {{ if (!moved) {{ network.redraw(); fitAll(); }} }}).observe(container);
  network.once("afterDrawing", fitAll);
  fitAll();
</script>
</body></html>"""
