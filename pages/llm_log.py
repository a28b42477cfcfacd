"""LLM log: every model call the jobs made, with tokens, cost, cache hits, retries and failures."""

from __future__ import annotations

import json

import pandas as pd
import plotly.express as px
import streamlit as st

from components.db import cursor
from components.layout import empty_state, page_header
from fcstudio.jobs import job_failures, list_jobs
from fcstudio.llm import get_call, list_calls

page_header(
    "LLM log",
    "Jobs (synthesis, pairs, judges, evaluations, imports) with their outcome and the items that failed, and each "
    "call they made to a model: purpose, outcome (ok, cached, error), attempts, seconds, tokens and cost. A job is "
    "done only when none of its items failed; a failed item is recorded with its error and the job went on.",
)

with cursor() as con:
    jobs = list_jobs(con)
if not jobs:
    empty_state(
        "No job has run yet.",
        ["Synthesise on the **Trajectories** page or make pairs on the **Preferences** page."],
    )
    st.stop()
frame = pd.DataFrame(jobs)
m = st.columns(6)
m[0].metric("Jobs", len(frame))
m[1].metric("Jobs with failed items", int((frame["items_failed"].fillna(0) > 0).sum()))
m[2].metric("Model calls", f"{int(frame['calls'].sum()):,}")
m[3].metric("Cache hits", f"{int(frame['cached'].sum()):,}")
m[4].metric("Tokens", f"{int(frame['prompt_tokens'].sum() + frame['completion_tokens'].sum()):,}")
m[5].metric("Cost (USD)", f"{frame['cost'].sum():.4f}")
COLUMNS = ["id", "kind", "status", "items", "items_total", "items_failed", "model", "calls", "cached"]
COLUMNS += ["failed_calls", "prompt_tokens", "completion_tokens", "cost", "started_at", "finished_at"]
shown = frame[COLUMNS].rename(columns={"items": "done", "items_total": "of", "items_failed": "failed items"})
st.dataframe(shown, hide_index=True, height=min(38 + 35 * len(frame), 280))

job = st.selectbox(
    "Job",
    [j["id"] for j in jobs],
    format_func=lambda i: next(f"#{j['id']} {j['kind']} · {j['status_text']}" for j in jobs if j["id"] == i),
    key="log_job",
)
with cursor() as con:
    failures = job_failures(con, job, limit=5000)
    calls = list_calls(con, job_id=job, limit=5000)
if failures:
    st.markdown(f"**{len(failures):,} failed item{'s' if len(failures) != 1 else ''}** (the job went on without them)")
    st.dataframe(
        pd.DataFrame(failures).rename(columns={"detail": "raised at"}),
        hide_index=True,
        height=min(38 + 35 * len(failures), 280),
    )
if not calls:
    st.caption("This job made no model call (the template translator and the rule judge need none).")
    st.stop()
cframe = pd.DataFrame(calls)
c1, c2 = st.columns([3, 2])
c1.dataframe(cframe, hide_index=True, height=min(38 + 35 * len(cframe), 320))
by = cframe.groupby(["purpose", "status"]).size().reset_index(name="calls")
c2.plotly_chart(px.bar(by, x="calls", y="purpose", color="status", orientation="h", title="Calls", height=320))
call_id = st.selectbox("Open a call", [c["id"] for c in calls], key="log_call")
with cursor() as con:
    call = get_call(con, call_id)
if call:
    r1, r2 = st.columns(2)
    r1.markdown("**Request**")
    r1.json(json.loads(call["request"]), expanded=False)
    r2.markdown("**Response**" if call["response"] else f"**Error**: {call['error']}")
    if call["response"]:
        r2.json(json.loads(call["response"]), expanded=True)
