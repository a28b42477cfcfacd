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


def _record_table(
    before: Any, after: Any, show_all: bool, colour: str, labels: tuple[str, str] = ("before", "after")
) -> None:
    rows = record_rows(before, after)
    if not show_all:
        rows = [r for r in rows if r["changed"]]
    frame = pd.DataFrame(
        [
            {"field": r["field"], labels[0]: _cell(r["before"]), labels[1]: _cell(r["after"]), "changed": r["changed"]}
            for r in rows
        ]
    )
    if frame.empty:
        st.caption("No field differs.")
        return
    styled = frame.style.apply(lambda row: [colour if row["changed"] else ""] * len(row), axis=1)
    st.dataframe(styled, hide_index=True, column_config={"changed": None}, height=min(38 + 35 * len(frame), 420))


STATE_CHANGE = {
    "added": "added",
    "changed": "changed",
    "removed": "removed",
    "same": "The state is unchanged: no record was added, changed or removed.",
}
EXPECTED_VS_ACTUAL = {
    "added": "only in actual",
    "changed": "differing",
    "removed": "only in expected",
    "same": "The agent's final state equals the expected one: every record matches.",
}


def state_diff_view(
    d: dict[str, dict[str, Any]],
    *,
    key: str,
    labels: tuple[str, str] = ("before", "after"),
    words: dict[str, str] | None = None,
) -> None:
    """Render ``fcstudio.envs.diff.diff(a, b)``: metrics, then each differing record field by field.

    ``labels`` name the two sides (before/after for a replay, expected/actual for an episode review) and
    ``words`` what added/changed/removed mean for them.
    """
    words = words or STATE_CHANGE
    if not d:
        st.success(words["same"])
        return
    n_added = sum(len(p["added"]) for p in d.values())
    n_changed = sum(len(p["changed"]) for p in d.values())
    n_removed = sum(len(p["removed"]) for p in d.values())
    cols = st.columns(4)
    cols[0].metric("Tables touched", len(d))
    cols[1].metric(f"Records {words['added']}", n_added)
    cols[2].metric(f"Records {words['changed']}", n_changed)
    cols[3].metric(f"Records {words['removed']}", n_removed)
    show_all = st.toggle("Show unchanged fields too", key=f"{key}_all")
    for table, parts in d.items():
        st.markdown(f"**{table}**")
        for rid, change in parts["changed"].items():
            n = len(change["fields"])
            with st.expander(f"{words['changed']} · {table}/{rid} · {n} field{'s' if n != 1 else ''}", expanded=True):
                _record_table(change["before"], change["after"], show_all, CHANGED, labels)
        for rid, record in parts["added"].items():
            with st.expander(f"{words['added']} · {table}/{rid}", expanded=True):
                _record_table(None, record, True, ADDED, labels)
        for rid, record in parts["removed"].items():
            with st.expander(f"{words['removed']} · {table}/{rid}", expanded=True):
                _record_table(record, None, True, REMOVED, labels)
