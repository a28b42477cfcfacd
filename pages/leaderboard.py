"""Leaderboard: published figures and your own runs side by side, reliability curves, and a run's details."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import plotly.express as px
import streamlit as st

from components.auth import can_admin
from components.db import cursor
from components.episode_charts import endings
from components.importer import show_report
from components.layout import describe_error, empty_state, page_header, show_error
from components.llm_form import llm_settings
from fcstudio.envs.registry import DOMAINS
from fcstudio.evals import eval_store
from fcstudio.evals.importers import KINDS, ensure_published, import_results
from fcstudio.evals.runner import RunSpec, create_run, default_tasks_file, execute_run

BENCHMARKS = {
    "tau2": "τ²-bench",
    "tau-bench": "τ-bench (v1)",
    "bfcl-v3": "BFCL v3",
    "bfcl-v4": "BFCL v4",
    "toolalpaca": "ToolAlpaca",
    "fcstudio": "fcstudio runs",
}
SOURCE_COLOURS = {"published": "#8c8c8c", "import": "#1f77b4", "run": "#ff7f0e"}

page_header(
    "Leaderboard",
    "Compare models on tau-bench, τ²-bench, BFCL and ToolAlpaca: published figures (with their citation) next to "
    "results you imported or ran here. Pick a benchmark, domain and metric; the curves show how reliability "
    "(pass^k) falls as k grows; open a run to see its scores and review its failed episodes.",
)

if can_admin():  # importing and running are for admins of a shared workspace
    with st.expander("Import results or run an evaluation", expanded=bool(st.session_state.get("lb_report"))):
        tab_import, tab_run = st.tabs(["Import a results file", "Run agent × user × environment"])
        with tab_import, st.form("lb_import"):
            kind = st.selectbox("Kind", KINDS, key="lb_kind")
            nonce = int(st.session_state.get("lb_file_nonce", 0))
            upload = st.file_uploader("File", type=["json", "csv"], key=f"lb_file_{nonce}")
            go = st.form_submit_button("Import", type="primary")
        if go:
            if upload is None:
                st.session_state["lb_report"] = [("warning", "Choose a file first.")]
            else:
                names: dict[str, str] = {}
                try:
                    with tempfile.TemporaryDirectory() as tmp:
                        path = Path(tmp) / upload.name
                        names = {str(path): upload.name, tmp + "/": ""}
                        path.write_bytes(upload.getvalue())
                        bar = st.progress(0.0, text="Importing…")
                        with cursor() as con:
                            ids = import_results(
                                con, kind, path, progress=lambda f, t: bar.progress(min(f, 1.0), text=t)
                            )
                        bar.empty()
                    st.session_state["lb_report"] = [("success", f"Imported run(s) {', '.join(map(str, ids))}.")]
                except Exception as exc:  # shown, never a traceback
                    why = describe_error(exc, names)
                    st.session_state["lb_report"] = [("error", f"Could not import **{upload.name}**: {why}")]
                st.session_state["lb_file_nonce"] = nonce + 1  # the uploader starts empty again
            st.rerun()
        with tab_import:
            show_report(st.session_state.get("lb_report") or [])
        with tab_run:
            st.caption(
                "Each episode: the agent (your model, the domain's tools and policy) talks to a simulated user (a model "
                "given the task's scenario); the final database is compared with the gold one."
            )
            runnable = [d for d in DOMAINS if default_tasks_file(d).is_file()]
            r1, r2, r3, r4 = st.columns(4)
            domain = r1.selectbox("Run on domain", runnable, key="lb_run_domain")
            task_ids = r2.text_input("Task ids (comma-separated, empty = all)", key="lb_run_tasks")
            trials = int(r3.number_input("Trials", 1, 16, 1, key="lb_run_trials"))
            max_steps = int(r4.number_input("Max agent steps", 1, 200, 30, key="lb_run_steps"))
            st.markdown("**Agent model**")
            agent = llm_settings("lb_agent", required=True)
            st.markdown("**User simulator model**")
            user = llm_settings("lb_user", required=True)
            if st.button("Run", type="primary", key="lb_run_go", disabled=agent is None or user is None):
                try:
                    spec = RunSpec(
                        domain=domain,
                        tasks_file=str(default_tasks_file(domain)),
                        task_ids=[t.strip() for t in task_ids.split(",") if t.strip()] or None,
                        trials=trials,
                        max_steps=max_steps,
                        agent=agent,
                        user=user,
                    )
                    bar = st.progress(0.0, text="Running episodes…")
                    with cursor() as con:
                        summary = execute_run(
                            con, create_run(con, spec), progress=lambda f, t: bar.progress(min(f, 1.0), text=t)
                        )
                    bar.empty()
                    st.success(
                        f"Run {summary.run_id}: {summary.episodes} episodes, "
                        f"pass^1 = {summary.report['pass_hat_k'].get('1', 0):.2f}, "
                        f"{summary.usage['prompt_tokens'] + summary.usage['completion_tokens']:,} tokens, "
                        f"${summary.usage['cost']:.4f}. Review its failures on the **Episodes** page."
                    )
                except Exception as exc:
                    show_error(exc, "run the evaluation")

with cursor() as con:
    benches = eval_store.benchmarks(con)
if not benches:
    empty_state(
        "No results in this workspace yet.",
        [
            "Load the published reference tables (MAGNET's BFCL-v3, ToolFlow's ToolAlpaca, τ²-bench submissions) with the button below.",
            "Import results: `python -m fcstudio eval import tau-bench gpt-4o-airline.json`.",
            "Or run an evaluation above, or `python -m fcstudio eval run --domain travel --agent-model M --user-model M`.",
        ],
    )
    if can_admin() and st.button("Load published tables", type="primary", key="lb_load_published"):
        with cursor() as con:
            ensure_published(con)
        st.rerun()
    st.stop()

s1, s2, s3 = st.columns(3)
bench = s1.selectbox("Benchmark", benches, format_func=lambda b: BENCHMARKS.get(b, b), key="lb_bench")
with cursor() as con:
    axes = eval_store.score_axes(con, bench)
if not axes["metrics"]:
    empty_state("No scores for this benchmark yet.", ["Runs still in progress score when they finish."])
    st.stop()
domain = s2.selectbox("Domain", axes["domains"], format_func=lambda d: d or "all", key="lb_domain")
metrics = axes["metrics"]
preferred = next((m for m in ("pass^1", "overall_acc", "overall") if m in metrics), metrics[0])
metric = s3.selectbox("Metric", metrics, index=metrics.index(preferred), key="lb_metric")

with cursor() as con:
    board = eval_store.leaderboard(con, bench, domain, metric)
if not board:
    empty_state(f"No run has {metric} for {domain or 'all domains'}.", ["Pick another domain or metric."])
    st.stop()
frame = pd.DataFrame(board)
frame.insert(0, "rank", range(1, len(frame) + 1))
is_fraction = metric.startswith("pass") or frame["value"].between(0, 1).all()

m = st.columns(4)
m[0].metric("Models", frame["model"].nunique())
m[1].metric(f"Best {metric}", f"{frame['value'].iloc[0]:.1%}" if is_fraction else f"{frame['value'].iloc[0]:.3f}")
m[2].metric("Your runs", int((frame["source"] != "published").sum()))
m[3].metric("Published", int((frame["source"] == "published").sum()))

left, right = st.columns([3, 2])
shown = ["rank", "model", "source", "value", "episodes", "trials", "run_id", "origin", "citation"]
if not (frame["episodes"] > 0).any():  # only published or score-only rows: no episodes or trials to show
    shown = [c for c in shown if c not in ("episodes", "trials")]
left.dataframe(
    frame[shown].apply(lambda col: col.fillna("") if col.dtype == object else col),
    hide_index=True,
    column_config={
        "value": st.column_config.ProgressColumn(metric, min_value=0.0, max_value=1.0, format="percent")
        if is_fraction
        else st.column_config.NumberColumn(metric, format="%.3f"),
        "run_id": st.column_config.NumberColumn("run"),
        "citation": st.column_config.TextColumn(width="medium"),
    },
    height=min(38 + 35 * len(frame), 460),
    key="lb_table",
)
top = frame.head(15).iloc[::-1]
right.plotly_chart(
    px.bar(
        top,
        x="value",
        y="model",
        color="source",
        orientation="h",
        color_discrete_map=SOURCE_COLOURS,
        labels={"value": metric, "model": ""},
        title=f"{metric} · {BENCHMARKS.get(bench, bench)} · {domain or 'all'}",
        height=460,
    ).update_layout(margin={"l": 10, "r": 10, "t": 40, "b": 10}, xaxis_tickformat=".0%" if is_fraction else None),
    key="lb_bar",
)

with cursor() as con:
    wide, column_names = eval_store.score_table(con, bench, domain)
if len(metrics) > 1 and wide:
    with st.expander("Every metric, one row per run (the published table's columns)", expanded=bench == "bfcl-v3"):
        wide_frame = pd.DataFrame(wide)
        metric_cols = [c for c in wide_frame.columns if c not in ("run_id", "model", "source")]
        ordered = [c for c in column_names if c in metric_cols] + [c for c in metric_cols if c not in column_names]
        wide_frame = wide_frame[["model", "source", *ordered, "run_id"]]
        if metric in wide_frame.columns:
            wide_frame = wide_frame.sort_values(metric, ascending=False, na_position="last")
        st.dataframe(
            wide_frame,
            hide_index=True,
            column_config={
                c: st.column_config.NumberColumn(
                    column_names.get(c, c),
                    format="percent" if wide_frame[c].dropna().between(0, 1).all() else "%.3f",
                )
                for c in ordered
            }
            | {"run_id": st.column_config.NumberColumn("run")},
            height=min(38 + 35 * len(wide_frame), 460),
            key="lb_wide",
        )

with cursor() as con:
    points = eval_store.curves(con, [r["run_id"] for r in board], domain)
if points:
    pts = pd.DataFrame(points)
    has_k = pts.groupby("run_id")["k"].nunique()
    pts = pts[pts["run_id"].isin(has_k[has_k > 1].index)]
    if not pts.empty:
        st.markdown("#### Reliability: pass^k (solid) and pass@k (dotted) as k grows")
        pts["series"] = pts["model"] + " · run " + pts["run_id"].astype(str)
        fig = px.line(
            pts,
            x="k",
            y="value",
            color="series",
            line_dash="metric",
            line_dash_map={"pass^k": "solid", "pass@k": "dot"},
            markers=True,
            height=420,
            labels={"value": "success rate", "series": "model · run"},
        )
        fig.update_layout(yaxis_tickformat=".0%", xaxis_dtick=1, margin={"l": 10, "r": 10, "t": 10, "b": 10})
        st.plotly_chart(fig, key="lb_curves")

st.markdown("#### Run details")
choice = st.selectbox(
    "Open a run",
    [r["run_id"] for r in board],
    format_func=lambda rid: next(f"run {rid} · {r['model']} ({r['source']})" for r in board if r["run_id"] == rid),
    key="lb_run",
)
with cursor() as con:
    detail = eval_store.get_run(con, choice)
    scores = eval_store.run_scores(con, choice)
    episodes = eval_store.list_episodes(con, run_id=choice, limit=100_000) if detail and detail["episodes"] else []
table = pd.DataFrame(scores)  # the run's scores with readable metric names, for its table and chart
if not table.empty:
    table["metric"] = [eval_store.metric_label(m_, k) for m_, k in zip(table["metric"], table["k"], strict=True)]
if detail:
    d1, d2 = st.columns([2, 3])
    with d1:
        st.markdown(
            f"**{detail['model']}** on {BENCHMARKS.get(detail['benchmark'], detail['benchmark'])} "
            f"{detail['domain'] or ''}  \nsource: `{detail['source']}` · status: `{detail['status']}`  \n"
            f"origin: {detail['origin'] or '—'}"
            + (f"  \nuser simulator: `{detail['user_model']}`" if detail.get("user_model") else "")
        )
        if detail.get("citation"):
            st.caption(f"Citation: {detail['citation']}")
        if not table.empty:
            st.dataframe(
                table.pivot_table(index="metric", columns="domain", values="value").rename(columns={"": "all"}),
                height=min(38 + 35 * len(table), 360),
            )
    with d2:
        if episodes:
            st.plotly_chart(endings(episodes, f"{len(episodes)} episodes by how they ended"), key="lb_outcomes")
            failed = sum(1 for e in episodes if not e["success"])
            if failed and st.button(f"Review the {failed} failed episodes", type="primary", key="lb_review"):
                st.session_state["ep_run"] = choice
                st.session_state["ep_outcome"] = "failed"
                st.switch_page("pages/episodes.py")
        else:
            st.caption("A published or score-only run: it has scores but no episodes to review.")
            shares = table[table["value"].between(0, 1)].copy() if not table.empty else table
            if not shares.empty:
                shares["domain"] = shares["domain"].replace("", "all")
                st.plotly_chart(
                    px.bar(
                        shares,
                        x="value",
                        y="metric",
                        color="domain",
                        barmode="group",
                        orientation="h",
                        title=f"{detail['model']}: every score of the run",
                        height=max(260, 28 * len(shares) + 80),
                    ).update_layout(xaxis_tickformat=".0%", margin={"t": 40, "b": 10}),
                    key="lb_run_scores",
                )
