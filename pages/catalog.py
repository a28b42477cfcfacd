"""Catalog: search the tools, read a tool's schema and where it is used, edit its description and labels."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.auth import admin_only, person_name
from components.db import cursor
from components.importer import import_panel
from components.layout import empty_state, page_header, show_error
from fcstudio import store
from fcstudio.models import ToolEdit

PAGE_SIZE = 25

page_header(
    "Catalog",
    "Every function in the workspace: search by name, description, dataset, label or parameter; open one to see "
    "its JSON Schema and the trajectories and tasks that offer it; fix its description and labels.",
)
import_panel()

with cursor() as con:
    datasets = [d["name"] for d in store.list_datasets(con)]
    labels = store.tool_labels(con)

f1, f2, f3, f4 = st.columns([3, 2, 2, 2])
text = f1.text_input("Search", key="cat_text", placeholder="name or description, e.g. weather")
dataset = f2.selectbox("Dataset", ["(all)", *datasets], key="cat_dataset")
label = f3.selectbox("Label", ["(all)", *labels], key="cat_label")
param = f4.text_input("Parameter name", key="cat_param", placeholder="e.g. location")
filters = {
    "dataset": None if dataset == "(all)" else dataset,
    "label": None if label == "(all)" else label,
    "param": param or None,
}

with cursor() as con:
    total = store.count_tools(con, text, **filters)
pages = max(1, -(-total // PAGE_SIZE))
top = st.columns([2, 6])
page = int(top[0].number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1, key="cat_page"))
top[1].markdown(f"**{total:,}** tools match")
with cursor() as con:
    rows, total = store.search_tools(con, text, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, **filters)

if not rows:
    if total == 0 and not (text or param or filters["dataset"] or filters["label"]):
        empty_state(
            "No tools yet.", ["Use **Import files** above, or `python -m fcstudio import openai-tools tools.json`."]
        )
    else:
        empty_state("No tool matches these filters.", ["Clear the search box or pick another dataset or label."])
    st.stop()

frame = pd.DataFrame(rows)
frame["labels"] = frame["labels"].map(lambda xs: ", ".join(xs))
st.dataframe(
    frame[["name", "dataset", "n_params", "labels", "description", "version"]],
    hide_index=True,
    column_config={
        "n_params": st.column_config.NumberColumn("params"),
        "description": st.column_config.TextColumn(width="large"),
    },
    height=min(38 + 35 * len(frame), 420),
)

options = [r["id"] for r in rows]
names = {r["id"]: f"{r['name']}  ·  {r['dataset']}" for r in rows}
wanted = st.query_params.get("tool")
index = options.index(wanted) if wanted in options else 0
tool_id = st.selectbox("Open a tool", options, index=index, format_func=names.__getitem__, key="cat_tool")
st.query_params["tool"] = tool_id

with cursor() as con:
    tool = store.get_tool(con, tool_id)
    history = store.tool_history(con, tool_id)
if tool is None:
    st.warning("That tool was removed; pick another.")
    st.stop()

st.subheader(tool["name"])
params = store.parameter_table(tool["parameters"])
with cursor() as con:
    n_traj = store.tool_usage(con, tool_id, "trajectories", limit=0)[1]
    n_task = store.tool_usage(con, tool_id, "tasks", limit=0)[1]
m = st.columns(5)
m[0].metric("Parameters", len(params))
m[1].metric("Required", sum(p["required"] for p in params))
m[2].metric("In trajectories", n_traj)
m[3].metric("In tasks", n_task)
m[4].metric("Version", tool["version"])
st.markdown(tool["description"] or "_no description_")
if tool["labels"]:
    st.caption("Labels: " + ", ".join(f"`{x}`" for x in tool["labels"]))


def edit_form(tool_id: str, tool: dict) -> None:
    """Description and labels, saved as a new version (refused if someone saved after this form was loaded)."""
    version_key = f"edit_version_{tool_id}"
    if version_key not in st.session_state:
        st.session_state[version_key] = tool["version"]
        st.session_state[f"edit_desc_{tool_id}"] = tool["description"]
        st.session_state[f"edit_labels_{tool_id}"] = ", ".join(tool["labels"])
    if flash := st.session_state.pop(f"flash_{tool_id}", None):
        st.success(flash)
    base = st.session_state[version_key]
    if base != tool["version"]:
        st.warning(f"Someone saved version {tool['version']} after you started editing version {base}.")
    with st.form(f"edit_{tool_id}"):
        description = st.text_area("Description", key=f"edit_desc_{tool_id}", height=120)
        labels_text = st.text_input("Labels (comma-separated)", key=f"edit_labels_{tool_id}")
        editor = person_name("Your name (kept in the history)", key="tool_editor")
        saved = st.form_submit_button("Save", type="primary")
    if saved:
        try:
            edit = ToolEdit(tool_id=tool_id, version=base, description=description, labels=labels_text.split(","))
            with cursor() as con:
                new_version = store.edit_tool(con, edit, editor=editor or None)
        except Exception as exc:
            show_error(exc, "save the edit")
        else:
            st.session_state[version_key] = new_version
            st.session_state[f"flash_{tool_id}"] = f"Saved as version {new_version}."
            st.rerun()
    if st.button("Discard my edit and reload", key=f"reload_{tool_id}"):
        for k in (version_key, f"edit_desc_{tool_id}", f"edit_labels_{tool_id}"):
            st.session_state.pop(k, None)
        st.rerun()


tab_params, tab_schema, tab_used, tab_edit = st.tabs(["Parameters", "Schema", "Used by", "Edit"])
with tab_params:
    if params:
        st.dataframe(pd.DataFrame(params), hide_index=True)
    else:
        st.caption("This function takes no parameters.")
    if tool["returns"]:
        st.markdown("**Returns**")
        st.json(tool["returns"], expanded=False)
with tab_schema:
    st.json(
        {
            "type": "function",
            "function": {"name": tool["name"], "description": tool["description"], "parameters": tool["parameters"]},
        }
    )
    st.caption(
        f"id `{tool['id']}` · dataset `{tool['dataset']}` · import #{tool['import_id']} · source `{tool['source_ref']}`"
    )
with tab_used:
    for kind in ("trajectories", "tasks"):
        with cursor() as con:
            n_used = store.tool_usage(con, tool_id, kind, limit=0)[1]
        n_pages = max(1, -(-n_used // PAGE_SIZE))
        left, right = st.columns([1, 5])
        used_page = int(left.number_input(f"Page (of {n_pages})", 1, n_pages, 1, key=f"used_{kind}_{tool_id}"))
        right.markdown(f"**{kind.capitalize()}** offering it: {n_used:,}")
        with cursor() as con:
            used, _ = store.tool_usage(con, tool_id, kind, limit=PAGE_SIZE, offset=(used_page - 1) * PAGE_SIZE)
        if used:
            st.dataframe(pd.DataFrame(used), hide_index=True)
with tab_edit:
    if admin_only("edit tools"):
        edit_form(tool_id, tool)
    if history:
        st.markdown("**History**")
        st.dataframe(pd.DataFrame(history), hide_index=True)
