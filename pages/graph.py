"""Graph: the whole tool graph at a glance, and any tool's neighbourhood with the evidence behind each edge."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st
from pyvis.network import Network

from components.db import cursor
from components.layout import empty_state, page_header, show_error
from fcstudio import store
from fcstudio.graph.build import build_graph
from fcstudio.graph.embed import TfidfEmbedder
from fcstudio.graph.read import EDGE_KINDS, graph_stats, neighbourhood, overview

LEGEND_LABELS = 12
EDGE_COLOURS = {"dependency": "#e4572e", "param": "#2e86ab", "label": "#a0a0a0"}

page_header(
    "Graph",
    "Tools are nodes; an arrow means a return value of one plausibly feeds a parameter of the other, a blue line "
    "that two tools take similar parameters, a grey one that they share a label. Hover an edge to see why.",
)

with cursor() as con:
    stats = graph_stats(con)
if stats["nodes"] == 0:
    empty_state(
        "No tool graph yet.",
        ["Build it here (offline TF-IDF similarity), or from a terminal: `python -m fcstudio graph build`."],
    )
    if st.button("Build the graph now", type="primary"):
        bar = st.progress(0.0, text="Building the graph…")
        try:
            with cursor() as con:
                build_graph(
                    con,
                    TfidfEmbedder(),
                    top_k=5,
                    progress=lambda f, label: bar.progress(min(f, 1.0), text=label),
                )
        except Exception as exc:
            show_error(exc, "build the graph")
            st.stop()
        st.rerun()
    st.stop()

m = st.columns(5)
m[0].metric("Tools", f"{stats['nodes']:,}")
m[1].metric("Dependency edges", f"{stats['edges_by_kind']['dependency']:,}")
m[2].metric("Parameter edges", f"{stats['edges_by_kind']['param']:,}")
m[3].metric("Label edges", f"{stats['edges_by_kind']['label']:,}")
m[4].metric("Components", f"{stats['components']:,}")
build = stats["build"] or {}
st.caption(
    f"Built with `{build.get('embedder')}` at threshold {build.get('threshold')} and top-k {build.get('top_k')} in {build.get('seconds')} s."
)

tab_overview, tab_local = st.tabs(["Whole graph", "Neighbourhood"])
with tab_overview:
    c1, c2 = st.columns([1, 1])
    kinds = c1.multiselect("Edge kinds", EDGE_KINDS, default=["dependency"], key="ov_kinds")
    max_edges = c2.slider("Strongest edges drawn", 0, 50_000, 5_000, step=1_000, key="ov_edges")
    with cursor() as con:
        nodes, segments = overview(con, kinds=tuple(kinds), max_edges=max_edges)
    left, right = st.columns([3, 1])
    with left:
        fig = go.Figure()
        ends = np.asarray(segments, dtype=float).reshape(-1, 4)
        gaps = np.full((len(ends), 1), np.nan)  # one NaN after each segment: a single trace draws them all
        xs = np.hstack([ends[:, [0]], ends[:, [2]], gaps]).ravel()
        ys = np.hstack([ends[:, [1]], ends[:, [3]], gaps]).ravel()
        fig.add_trace(
            go.Scattergl(
                x=xs,
                y=ys,
                mode="lines",
                line={"width": 0.5, "color": "rgba(120,120,120,0.35)"},
                hoverinfo="skip",
                name="edges",
            )
        )
        frame = pd.DataFrame(nodes)
        # one trace (and legend entry) per label for the busiest labels, the rest together
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
                    marker={"size": (5 + part["degree"].clip(upper=30) / 3).to_numpy()},
                    text=(part["name"].map(html.escape) + " · " + label_of[part.index].map(html.escape)).to_numpy(),
                    hovertemplate="%{text}<extra></extra>",
                )
            )
        fig.update_layout(
            height=560, margin={"l": 0, "r": 0, "t": 10, "b": 0}, xaxis={"visible": False}, yaxis={"visible": False}
        )
        st.plotly_chart(fig, key="overview_chart")
    with right:
        degree = pd.DataFrame(
            {
                "degree": [int(k) for k in stats["degree_distribution"]],
                "tools": list(stats["degree_distribution"].values()),
            }
        )
        st.plotly_chart(
            px.bar(degree, x="degree", y="tools", height=260, title="Degree distribution"), key="degree_chart"
        )
        sizes = pd.DataFrame({"component": range(1, 1 + min(stats["components"], 20))})
        with cursor() as con:
            comp = store.rows(
                con,
                "SELECT component, count(*) AS tools FROM graph_nodes GROUP BY component ORDER BY tools DESC LIMIT 20",
            )
        st.plotly_chart(
            px.bar(pd.DataFrame(comp), x="component", y="tools", height=260, title="Largest components"),
            key="component_chart",
        )
        st.caption(f"{stats['isolated']:,} isolated tools; the largest component holds {stats['largest_component']:,}.")

with tab_local:
    f1, f2, f3, f4 = st.columns([3, 1, 1, 2])
    query = f1.text_input("Find a tool", key="nb_query", placeholder="name contains…")
    depth = int(f2.number_input("Depth", 1, 3, 1, key="nb_depth"))
    max_nodes = int(f3.number_input("Max nodes", 2, 1000, 40, key="nb_max"))
    local_kinds = f4.multiselect("Edge kinds", EDGE_KINDS, default=list(EDGE_KINDS), key="nb_kinds")
    with cursor() as con:
        matches, _ = store.search_tools(con, query, limit=50)
    if not matches:
        st.info("No tool matches that name.")
        st.stop()
    names = {t["id"]: f"{t['name']}  ·  {t['dataset']}" for t in matches}
    centre = st.selectbox("Centre tool", list(names), format_func=names.__getitem__, key="nb_centre")
    with cursor() as con:
        nodes, edges = neighbourhood(con, centre, depth=depth, max_nodes=max_nodes, kinds=tuple(local_kinds))
    net = Network(height="560px", width="100%", directed=True, cdn_resources="in_line")
    net.toggle_physics(False)
    for n in nodes:
        # names and descriptions are text, never markup: escaped before they reach the browser
        net.add_node(
            n["tool_id"],
            label=html.escape(n["name"]),
            title=html.escape(f"{n['name']}: {n['description'] or ''}"),
            x=float(n["x"]) * 300,
            y=float(n["y"]) * 300,
            color="#e4572e" if n["tool_id"] == centre else "#2e86ab",
            size=18 if n["tool_id"] == centre else 10,
        )
    for e in edges:
        why = "; ".join(
            f"{ev.get('from', ev.get('label', ''))} → {ev.get('to', '')} ({ev['score']})" for ev in e["evidence"]
        )
        net.add_edge(
            e["src"],
            e["dst"],
            title=html.escape(f"{e['kind']} {e['score']}: {why}"),
            color=EDGE_COLOURS[e["kind"]],
            arrows="to" if e["kind"] == "dependency" else "",
            width=1 + 2 * float(e["score"]),
        )
    st.caption(f"{len(nodes)} tools and {len(edges)} edges (at most {max_nodes} tools are sent to the browser).")
    st.iframe(net.generate_html(notebook=False), height=580)
    table = [
        {
            "from": next((n["name"] for n in nodes if n["tool_id"] == e["src"]), e["src"]),
            "to": next((n["name"] for n in nodes if n["tool_id"] == e["dst"]), e["dst"]),
            "kind": e["kind"],
            "score": e["score"],
            "evidence": "; ".join(
                f"{ev.get('from', ev.get('label', ''))} → {ev.get('to', '')}" for ev in e["evidence"]
            ),
        }
        for e in edges
    ]
    if table:
        st.dataframe(pd.DataFrame(table), hide_index=True, height=min(38 + 35 * len(table), 320))
