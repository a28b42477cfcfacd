"""LLM log: every model call the jobs made, with tokens, cost, cache hits, retries and failures."""

from __future__ import annotations

import json

import pandas as pd
import plotly.express as px
import streamlit as st

from components.db import cursor
from components.layout import empty_state, page_header
from fcstudio.jobs import list_jobs
from fcstudio.llm import get_call, list_calls

page_header(
    "LLM log",
    "Jobs (synthesis, pairs, judges) and each call they made to a model: purpose, outcome (ok, cached, error), "
    "attempts, seconds, tokens and cost. A cached call was answered from the workspace and cost nothing.",
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
m = st.columns(5)
m[0].metric("Jobs", len(frame))
m[1].metric("Model calls", f"{int(frame['calls'].sum()):,}")
m[2].metric("Cache hits", f"{int(frame['cached'].sum()):,}")
m[3].metric("Tokens", f"{int(frame['prompt_tokens'].sum() + frame['completion_tokens'].sum()):,}")
m[4].metric("Cost (USD)", f"{frame['cost'].sum():.4f}")
st.dataframe(frame, hide_index=True, height=min(38 + 35 * len(frame), 280))

job = st.selectbox("Calls of job", [j["id"] for j in jobs], key="log_job")
with cursor() as con:
    calls = list_calls(con, job_id=job, limit=5000)
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
