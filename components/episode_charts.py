"""Charts of a run's episodes, shared by the Leaderboard's drill-down and the Episodes page."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.express as px
from plotly.graph_objects import Figure

OUTCOME_COLOURS = {"passed": "#21c354", "failed": "#ff4b4b"}


def endings(episodes: list[dict[str, Any]], title: str, height: int = 300) -> Figure:
    """Episodes per termination reason, split into passed and failed."""
    frame = pd.DataFrame(episodes)
    frame["outcome"] = frame["success"].map({True: "passed", False: "failed"})
    counts = frame.groupby(["termination", "outcome"]).size().reset_index(name="episodes")
    return px.bar(
        counts,
        x="episodes",
        y="termination",
        color="outcome",
        orientation="h",
        color_discrete_map=OUTCOME_COLOURS,
        title=title,
        height=height,
    ).update_layout(margin={"t": 40, "b": 10})


def per_task_success(episodes: list[dict[str, Any]], height: int = 320) -> Figure:
    """Each task's success rate over its trials, worst first: where a model is unreliable."""
    frame = pd.DataFrame(episodes)
    per_task = frame.groupby("task_id")["success"].agg(["mean", "size"]).reset_index()
    per_task = per_task.sort_values(["mean", "task_id"]).rename(columns={"mean": "success rate", "size": "trials"})
    return (
        px.bar(
            per_task,
            x="task_id",
            y="success rate",
            hover_data=["trials"],
            color="success rate",
            color_continuous_scale=[OUTCOME_COLOURS["failed"], "#ffbd45", OUTCOME_COLOURS["passed"]],
            range_color=(0, 1),
            title=f"Success rate per task over its trials ({len(per_task)} tasks)",
            height=height,
        )
        .update_layout(yaxis_tickformat=".0%", coloraxis_showscale=False, margin={"t": 40, "b": 10})
        .update_xaxes(type="category", title="task")
    )
