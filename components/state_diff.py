"""The state-diff view: per table, per record, which fields changed (shared by Tasks and Episodes)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from fcstudio.envs.diff import record_rows

CHANGED = "background-color: rgba(255, 196, 0, 0.28)"
ADDED = "background-color: rgba(33, 195, 84, 0.22)"
REMOVED = "background-color: rgba(255, 75, 75, 0.22)"


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _record_table(before: Any, after: Any, show_all: bool, colour: str) -> None:
    rows = record_rows(before, after)
    if not show_all:
        rows = [r for r in rows if r["changed"]]
    frame = pd.DataFrame(
        [
            {"field": r["field"], "before": _cell(r["before"]), "after": _cell(r["after"]), "changed": r["changed"]}
            for r in rows
        ]
    )
    if frame.empty:
        st.caption("No field differs.")
        return
    styled = frame.style.apply(lambda row: [colour if row["changed"] else ""] * len(row), axis=1)
    st.dataframe(styled, hide_index=True, column_config={"changed": None}, height=min(38 + 35 * len(frame), 420))


def state_diff_view(d: dict[str, dict[str, Any]], *, key: str) -> None:
    """Render ``fcstudio.envs.diff.diff(before, after)``: metrics, then each changed record's fields."""
    if not d:
        st.success("The state is unchanged: no record was added, changed or removed.")
        return
    n_added = sum(len(p["added"]) for p in d.values())
    n_changed = sum(len(p["changed"]) for p in d.values())
    n_removed = sum(len(p["removed"]) for p in d.values())
    cols = st.columns(4)
    cols[0].metric("Tables touched", len(d))
    cols[1].metric("Records added", n_added)
    cols[2].metric("Records changed", n_changed)
    cols[3].metric("Records removed", n_removed)
    show_all = st.toggle("Show unchanged fields too", key=f"{key}_all")
    for table, parts in d.items():
        st.markdown(f"**{table}**")
        for rid, change in parts["changed"].items():
            n = len(change["fields"])
            with st.expander(f"changed · {table}/{rid} · {n} field{'s' if n != 1 else ''}", expanded=True):
                _record_table(change["before"], change["after"], show_all, CHANGED)
        for rid, record in parts["added"].items():
            with st.expander(f"added · {table}/{rid}", expanded=True):
                _record_table(None, record, True, ADDED)
        for rid, record in parts["removed"].items():
            with st.expander(f"removed · {table}/{rid}", expanded=True):
                _record_table(record, None, True, REMOVED)
