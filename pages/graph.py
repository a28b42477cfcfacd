"""Graph: the whole tool graph at a glance, and any tool's neighbourhood with the evidence behind each edge."""

from __future__ import annotations

import streamlit as st

from components.auth import admin_only, can_admin
from components.db import cursor
from components.graph_charts import EDGE_COLOURS, components_figure, degree_figure, overview_figure, slider_step
from components.graph_network import network_html
from components.layout import empty_state, page_header, show_error
from fcstudio import store
from fcstudio.graph.build import build_graph, relayout_graph
from fcstudio.graph.embed import TfidfEmbedder
from fcstudio.graph.layout import neighbourhood_layout, short_label
from fcstudio.graph.read import EDGE_KINDS, graph_stats, neighbourhood, overview

CANVAS_PX = 560

page_header(
    "Graph",
    "Tools are nodes. A dependency edge (red) means a return value of one tool plausibly feeds a parameter of "
    "the other, and is drawn as an arrow in a neighbourhood; a blue edge joins tools that take similar "
    "parameters, a grey one tools that share a label. Hover an edge in a neighbourhood to see why it is there.",
)
with cursor() as con:
    stats = graph_stats(con)
if stats["nodes"] == 0:
    empty_state(
        "No tool graph yet.",
        ["Build it here (offline TF-IDF similarity), or from a terminal: `python -m fcstudio graph build`."],
    )
    if admin_only("build the graph") and st.button("Build the graph now", type="primary"):
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
    f"Built with `{build.get('embedder')}` at threshold {build.get('threshold')} and top-k {build.get('top_k')} "
    f"in {build.get('seconds')} s."
)
if build and build.get("layout") is None:
    st.info(
        "This graph was built before the force-directed layout: its positions are a projection of the tools' "
        "vectors. Lay it out again (edges stay as they are), or from a terminal: `python -m fcstudio graph layout`."
    )
    if can_admin() and st.button("Lay the graph out again", key="ov_relayout"):
        try:
            with cursor() as con:
                relayout_graph(con)
        except Exception as exc:
            show_error(exc, "lay the graph out")
            st.stop()
        st.rerun()

tab_overview, tab_local = st.tabs(["Whole graph", "Neighbourhood"])
with tab_overview:
    c1, c2 = st.columns([1, 1])
    kinds = c1.multiselect("Edge kinds", EDGE_KINDS, default=["dependency"], key="ov_kinds")
    available = sum(stats["edges_by_kind"][k] for k in kinds)
    if available:
        # the key carries the range: a slider made for another edge count starts again at its own default
        max_edges = c2.slider(
            "Strongest edges drawn",
            0,
            available,
            min(available, 5_000),
            step=slider_step(available),
            key=f"ov_edges_{available}",
        )
    else:
        max_edges = 0
        c2.caption("No edges of the chosen kinds." if kinds else "Choose edge kinds to draw edges.")
    with cursor() as con:
        nodes, segments = overview(con, kinds=tuple(kinds), max_edges=max_edges)
    left, right = st.columns([3, 1])
    with left:
        st.plotly_chart(overview_figure(nodes, segments), key="overview_chart")
        st.caption(
            f"{len(segments):,} of {available:,} edges drawn, coloured by kind; the names shown are the busiest "
            "tools. Positions are a force-directed layout computed when the graph was built."
        )
    with right:
        st.plotly_chart(degree_figure(stats["degree_distribution"]), key="degree_chart")
        st.plotly_chart(components_figure(stats["component_sizes"]), key="component_chart")
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
    sizes = [18.0 if n["tool_id"] == centre else 10.0 for n in nodes]
    labels = [short_label(n["name"]) for n in nodes]
    where = neighbourhood_layout(
        [n["tool_id"] for n in nodes], labels, sizes, [(e["src"], e["dst"]) for e in edges], centre=centre
    )
    # names and descriptions are text, never markup: vis-network draws labels on the canvas and sets tooltips
    # as text, and network_html escapes everything that goes into its script
    vis_nodes = [
        {
            "id": n["tool_id"],
            "label": label,
            "title": f"{n['name']}: {n['description'] or ''}",
            "x": where[n["tool_id"]][0],
            "y": where[n["tool_id"]][1],
            "color": "#e4572e" if n["tool_id"] == centre else "#2e86ab",
            "size": size,
        }
        for n, label, size in zip(nodes, labels, sizes, strict=True)
    ]
    vis_edges = [
        {
            "from": e["src"],
            "to": e["dst"],
            "title": f"{e['kind']} {e['score']}: "
            + "; ".join(
                f"{ev.get('from', ev.get('label', ''))} → {ev.get('to', '')} ({ev['score']})" for ev in e["evidence"]
            ),
            "color": EDGE_COLOURS[e["kind"]],
            "arrows": {"to": {"enabled": e["kind"] == "dependency"}},
            "width": 1 + 2 * float(e["score"]),
        }
        for e in edges
    ]
    st.caption(
        f"{len(nodes)} tools and {len(edges)} edges (at most {max_nodes} tools are sent to the browser). "
        "Red arrows: a return value feeds a parameter; blue: similar parameters; grey: a shared label."
    )
    st.iframe(network_html(vis_nodes, vis_edges, CANVAS_PX), height=CANVAS_PX + 8)
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
        st.dataframe(table, hide_index=True, height=min(38 + 35 * len(table), 320))
