"""The Paths page's FSP diagram: ``fcstudio.paths.diagram``'s DOT drawn by Graphviz WASM in the browser."""

from __future__ import annotations

import streamlit as st

from fcstudio.paths.diagram import flows, fsp_dot
from fcstudio.paths.fsp import FSP

LEGEND = (
    "Lanes are turns, boxes are calls; an arrow runs from the output field a call returns to the argument it "
    "fills. A red row is a withheld argument (split: missing parameter, the assistant must ask); a grey dashed "
    "box is a function that is not offered (split: absent function, the assistant must say it cannot)."
)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def draw_fsp(fsp: FSP) -> None:
    """The path as a diagram, with a one-line count of what it shows and the legend."""
    withheld = sum(s.kind == "withheld" for _, _, call in fsp.calls() for s in call.args.values())
    absent = sum(len(t.calls) for t in fsp.turns if t.kind == "miss_func")
    st.graphviz_chart(fsp_dot(fsp))
    counts = [
        _count(len(fsp.turns), "turn", "turns"),
        _count(len(fsp.calls()), "call", "calls"),
        _count(len(flows(fsp)), "data flow", "data flows"),
        _count(withheld, "withheld argument", "withheld arguments"),
        _count(absent, "absent function", "absent functions"),
    ]
    st.caption(" · ".join(counts) + f". {LEGEND}")
