"""Plotly figures of the Graph page: the whole graph at its stored layout, and the degree and component charts
with integer axes that fit what they count. No Streamlit here: the page draws what these return."""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

LEGEND_LABELS = 12  # labels with their own legend entry; the rest are drawn together
NAMED_NODES = 15  # the busiest tools get their name written next to them
EDGE_COLOURS = {"dependency": "#e4572e", "param": "#2e86ab", "label": "#a0a0a0"}
EDGE_NAMES = {"dependency": "feeds (dependency)", "param": "similar parameters", "label": "shared label"}


def tick_step(largest: float, ticks: int = 6) -> int:
    """A whole-number tick step (1, 2, 5, 10, 20, ...) giving at most about ``ticks`` ticks up to ``largest``."""
    if largest <= ticks:
        return 1
    raw = largest / ticks
    power = 10 ** math.floor(math.log10(raw))
    return int(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def slider_step(total: int) -> int:
    """Step of the "edges drawn" slider: 1 for a small graph, a round share of a big one (about 100 stops)."""
    return 1 if total <= 200 else tick_step(total, 100)


def named_nodes(frame: pd.DataFrame, limit: int = NAMED_NODES, width_px: int = 700, height_px: int = 600) -> list[int]:
    """Rows of ``frame`` (x, y, name, degree) whose names are written on the overview: the busiest first,
    skipping any whose name would overlap one already chosen at a figure of about ``width_px`` x ``height_px``
    (one data unit as long across as up, as the figure draws it)."""
    if frame.empty:
        return []
    span = max(float(np.ptp(frame["x"])) / width_px, float(np.ptp(frame["y"])) / height_px, 1e-9)  # units/pixel
    chosen: list[int] = []
    boxes: list[tuple[float, float, float]] = []  # x, y, half width (data units)
    candidates = frame[frame["degree"] > 0].sort_values(["degree", "name"], ascending=[False, True])
    for row, node in candidates.iterrows():
        half = len(str(node["name"])) * 3.6 * span + 4 * span  # 11 px text is about 7 px a character
        x, y = float(node["x"]), float(node["y"])
        if all(abs(x - bx) >= half + bh or abs(y - by) >= 16 * span for bx, by, bh in boxes):
            chosen.append(int(row))
            boxes.append((x, y, half))
            if len(chosen) == limit:
                break
    return chosen


def overview_figure(
    nodes: list[dict[str, Any]], segments: list[tuple[float, float, float, float, str]], height: int = 600
) -> go.Figure:
    """Every tool at its stored position (coloured by its first label, sized by degree), the chosen edges
    coloured by kind, and the names of the busiest tools; one unit is as long across as up."""
    fig = go.Figure()
    by_kind: dict[str, list[tuple[float, float, float, float]]] = {}
    for x0, y0, x1, y1, kind in segments:
        by_kind.setdefault(kind, []).append((x0, y0, x1, y1))
    for kind, ends_list in by_kind.items():
        ends = np.asarray(ends_list, dtype=float).reshape(-1, 4)
        gaps = np.full((len(ends), 1), np.nan)  # one NaN after each segment: a single trace draws them all
        fig.add_trace(
            go.Scattergl(
                x=np.hstack([ends[:, [0]], ends[:, [2]], gaps]).ravel(),
                y=np.hstack([ends[:, [1]], ends[:, [3]], gaps]).ravel(),
                mode="lines",
                line={"width": 0.8 if kind == "dependency" else 0.5, "color": EDGE_COLOURS.get(kind, "#888")},
                opacity=0.55,
                hoverinfo="skip",
                name=f"{EDGE_NAMES.get(kind, kind)} ({len(ends):,})",
                legendgroup="edges",
            )
        )
    frame = pd.DataFrame(nodes)
    if frame.empty:
        return fig
    small = 6 if len(frame) <= 1000 else 3  # marker size of an isolated tool: thousands of tools get small dots
    label_of = frame["label"].replace("", "(no label)")
    top = label_of.value_counts().index[:LEGEND_LABELS]
    frame["group"] = label_of.where(label_of.isin(top), "(other labels)")
    for label, part in frame.groupby("group"):
        fig.add_trace(
            go.Scattergl(
                x=part["x"].to_numpy(),
                y=part["y"].to_numpy(),
                mode="markers",
                name=str(label),
                marker={
                    "size": (small + part["degree"].clip(upper=30) / (3 if small > 4 else 8)).to_numpy(),
                    "line": {"width": 0},
                    "opacity": 0.9 if small > 4 else 0.7,
                },
                text=(
                    part["name"].map(html.escape)
                    + " · "
                    + label_of[part.index].map(html.escape)
                    + " · degree "
                    + part["degree"].astype(str)
                ).to_numpy(),
                hovertemplate="%{text}<extra></extra>",
            )
        )
    for _, node in frame.loc[named_nodes(frame)].iterrows():  # on a light box: readable over dense markers
        fig.add_annotation(
            x=float(node["x"]),
            y=float(node["y"]),
            text=html.escape(str(node["name"])),
            showarrow=False,
            yshift=11,
            font={"size": 11, "color": "#262730"},
            bgcolor="rgba(255,255,255,0.75)",
            borderpad=1,
        )
    fig.update_layout(
        height=height,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1},
        legend={"itemsizing": "constant"},
    )
    return fig


def _integer_axes(fig: go.Figure, x_largest: float, y_largest: float) -> go.Figure:
    fig.update_xaxes(tickformat=",d", tick0=0, dtick=tick_step(x_largest))
    fig.update_yaxes(tickformat=",d", tick0=0, dtick=tick_step(y_largest), range=[0, max(y_largest, 1) * 1.08])
    return fig


def degree_figure(distribution: dict[str, int], height: int = 260) -> go.Figure:
    """Tools per degree: whole-number axes from 0 to the largest degree and count."""
    degrees = [int(k) for k in distribution]
    counts = list(distribution.values())
    fig = go.Figure(go.Bar(x=degrees, y=counts, marker_color="#2e86ab", hovertemplate="degree %{x}: %{y} tools"))
    fig.update_layout(
        height=height, title="Degree distribution", margin={"l": 10, "r": 10, "t": 40, "b": 10}, bargap=0.1
    )
    fig.update_xaxes(title="degree", range=[-0.6, max(degrees, default=0) + 0.6])
    fig.update_yaxes(title="tools")
    return _integer_axes(fig, max(degrees, default=0), max(counts, default=0))


def components_figure(sizes: list[int], height: int = 260) -> go.Figure:
    """The largest components by size: ranked 1, 2, ... on the x axis (one bar each), tools on the y axis."""
    ranks = list(range(1, len(sizes) + 1))
    fig = go.Figure(go.Bar(x=ranks, y=sizes, marker_color="#e4572e", hovertemplate="component %{x}: %{y} tools"))
    fig.update_layout(
        height=height, title="Largest components", margin={"l": 10, "r": 10, "t": 40, "b": 10}, bargap=0.2
    )
    fig.update_xaxes(title="component (largest first)", range=[0.4, len(ranks) + 0.6])
    fig.update_yaxes(title="tools")
    return _integer_axes(fig, len(ranks), max(sizes, default=0))
