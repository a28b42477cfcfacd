"""Home: what the workspace holds and where to go next."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from components.db import cursor
from components.layout import empty_state, page_header
from fcstudio import store

page_header(
    "fcstudio",
    "A function-calling data studio: import tool catalogues and benchmarks, curate trajectories, "
    "build preference pairs for multi-turn DPO and review evaluations, all on one DuckDB workspace.",
)

with cursor() as con:
    counts = store.stats(con)
    pipeline = store.pipeline_stats(con)
    datasets = store.list_datasets(con)
    imports = store.list_imports(con, limit=10)

tables = counts["tables"]
metric_rows = [
    [
        ("Tools", tables["tools"]),
        ("Trajectories", tables["trajectories"]),
        ("Tasks", tables["tasks"]),
        ("Datasets", tables["datasets"]),
        ("Imports", tables["imports"]),
    ],
    [  # how far along synthesis -> curation -> evaluation
        ("Graph edges", pipeline["graph_edges"]),
        ("Function signature paths", pipeline["paths"]),
        ("Preference pairs", pipeline["pairs"]),
        ("Evaluation runs", pipeline["eval_runs"]),
        ("Failed episodes", pipeline["failed_episodes"]),
    ],
]
for metrics in metric_rows:
    for col, (label, value) in zip(st.columns(len(metrics)), metrics, strict=True):
        col.metric(label, f"{value:,}")

if not datasets:
    empty_state(
        "This workspace is empty.",
        [
            "Import a file on the **Catalog** page (OpenAI tools, BFCL, xLAM, ToolAlpaca, ToolBench, APIBench).",
            "Or from a terminal: `python -m fcstudio import bfcl path/to/BFCL_v4_simple_python.json`.",
            "Or load the demo catalogue: `python -m fcstudio init --demo`.",
        ],
    )
    st.page_link("pages/catalog.py", label="Open the Catalog", icon=":material/inventory_2:")
    st.stop()

left, right = st.columns([3, 2])
with left:
    st.subheader("What each dataset holds")
    frame = pd.DataFrame(datasets).melt(
        id_vars=["name", "format"], value_vars=["tools", "trajectories", "tasks"], var_name="kind", value_name="rows"
    )
    fig = px.bar(
        frame, x="rows", y="name", color="kind", orientation="h", barmode="group", height=max(260, 70 * len(datasets))
    )
    fig.update_layout(margin={"l": 0, "r": 0, "t": 10, "b": 0}, yaxis_title=None, legend_title=None)
    st.plotly_chart(fig)
with right:
    st.subheader("Next steps")
    st.page_link("pages/catalog.py", label="Browse and edit the tool catalogue", icon=":material/inventory_2:")
    st.page_link(
        "pages/tasks.py", label="Replay benchmark tasks and see their state changes", icon=":material/task_alt:"
    )
    st.page_link("pages/leaderboard.py", label="Compare models on the leaderboards", icon=":material/leaderboard:")
    st.page_link(
        "pages/episodes.py", label="Review failed episodes and make pairs from them", icon=":material/fact_check:"
    )
    st.markdown(
        "- Import more data on the Catalog page or with `python -m fcstudio import FORMAT PATH`.\n"
        "- See counts from a terminal: `python -m fcstudio stats --json`."
    )

st.subheader("Recent imports")
frame = pd.DataFrame(imports)
frame["file"] = frame["path"].map(lambda p: p.rsplit("/", 1)[-1])
st.dataframe(
    frame[["id", "dataset", "format", "file", "tools", "trajectories", "tasks", "imported_at"]],
    hide_index=True,
)
