"""A table of a task's env functions (set-up actions, env assertions): which side, which function, arguments."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st


def env_function_table(calls: Sequence[Mapping[str, Any]], name: str, *, verdicts: bool = False) -> None:
    """One row per call; ``name`` heads the function column; ``verdicts`` adds each assertion's met and error."""
    rows = []
    for a in calls:
        row: dict[str, Any] = {
            "side": "user" if a.get("env_type") == "user" else "agent",
            name: a.get("func_name"),
            "arguments": json.dumps(a.get("arguments") or {}, ensure_ascii=False),
        }
        if verdicts:
            row |= {"met": bool(a.get("met")), "error": a.get("error") or ""}
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True)
