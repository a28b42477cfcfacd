"""Trajectories: synthesise from paths, filter, read as a chat, edit a turn, re-execute, compare versions, review."""

from __future__ import annotations

import json
from typing import TypedDict

import pandas as pd
import plotly.express as px
import streamlit as st

from components.auth import can_admin, person_name
from components.chat import render_messages
from components.db import cursor
from components.layout import empty_state, page_header, show_error
from components.llm_form import llm_settings
from fcstudio.synth.edits import apply_edit, regenerate_stale
from fcstudio.synth.job import pending_paths, run_synth
from fcstudio.synth.trajectories import (
    STATUSES,
    diff_versions,
    get_trajectory,
    list_trajectories,
    set_status,
    trajectory_counts,
    trajectory_facets,
    trajectory_history,
    trajectory_version,
)
from fcstudio.synth.verify import CHECKS

PAGE_SIZE = 25


class TrajectoryFilters(TypedDict):
    """``list_trajectories``' filter arguments, as the controls below set them."""

    origin: str | None
    status: str | None
    verified: bool | None
    tool: str | None
    tag: str | None
    text: str
    stale: bool | None


page_header(
    "Trajectories",
    "Multi-turn function-calling conversations: imported ones, and ones synthesised from paths (back-translation "
    "to user turns, forth-translation to calls, real tool results) with their verification. Read, correct, "
    "re-execute and accept or reject each one before it goes into a training set.",
)

with cursor() as con:
    todo = pending_paths(con)[0]
if can_admin():  # synthesis runs a job (a model's, with that backend): for admins of a shared workspace
    with st.expander(f"Synthesise from paths ({len(todo)} without a trajectory)", expanded=False):
        with st.form("synth_form"):
            c = st.columns(3)
            backend = c[0].selectbox("Translator", ["template", "openai"], help="template: offline, no model needed")
            env = c[1].selectbox("Environment", ["auto", "none", "travel", "retail", "airline"])
            judge = c[2].checkbox("LLM semantic check", help="needs a model")
            llm = llm_settings("synth")
            go = st.form_submit_button("Synthesise", type="primary", disabled=not todo)
        if not todo:
            st.caption("Every path has its trajectory. Sample more on the **Paths** page.")
        if go:
            bar = st.progress(0.0, text="Synthesising…")
            try:
                with cursor() as con:
                    summary = run_synth(
                        con,
                        backend=backend,
                        llm=llm,
                        env=env,
                        judge=judge,
                        progress=lambda f, label: bar.progress(min(f, 1.0), text=label),
                    )
                st.success(
                    f"Job {summary.job_id}: {len(summary.created)} trajectories, {summary.verified} verified"
                    + (f", {len(summary.failed)} failed" if summary.failed else "")
                )
                for pid, why in summary.failed.items():
                    st.warning(f"path {pid}: {why}")
            except Exception as exc:
                show_error(exc, "synthesise")

with cursor() as con:
    counts = trajectory_counts(con)
    facets = trajectory_facets(con)
if counts["total"] == 0:
    empty_state(
        "No trajectory yet.",
        [
            "Sample paths on the **Paths** page, then open **Synthesise from paths** above.",
            "Or import conversations: `python -m fcstudio import openai-chat FILE.jsonl`.",
        ],
    )
    st.stop()

m = st.columns(7)
for col, (label, key) in zip(
    m,
    [
        ("Trajectories", "total"),
        ("Synthesised", "synthesised"),
        ("Verified", "verified"),
        ("Failed checks", "failed"),
        ("Accepted", "accepted"),
        ("Rejected", "rejected"),
        ("Stale replies", "stale"),
    ],
    strict=True,
):
    col.metric(label, f"{counts[key]:,}")

f = st.columns([1, 1, 1, 1, 2, 2, 3])
origin = f[0].selectbox("Source", ["any", "synth", "import"], key="traj_origin")
status = f[1].selectbox("Status", ["any", *STATUSES], key="traj_status")
verdict = f[2].selectbox("Verification", ["any", "passed", "failed"], key="traj_verdict")
replies = f[3].selectbox("Replies", ["any", "stale", "fresh"], key="traj_stale", help="stale: quoting a changed result")
tool = f[4].selectbox("Calls", ["any", *facets["tools"]], key="traj_tool")
tag = f[5].selectbox("Operation", ["any", *facets["tags"]], key="traj_tag")
text = f[6].text_input("Search", key="traj_text", placeholder="words in the conversation")
filters: TrajectoryFilters = {
    "origin": None if origin == "any" else origin,
    "status": None if status == "any" else status,
    "verified": {"any": None, "passed": True, "failed": False}[verdict],
    "tool": None if tool == "any" else tool,
    "tag": None if tag == "any" else tag,
    "text": text,
    "stale": {"any": None, "stale": True, "fresh": False}[replies],
}
with cursor() as con:
    total = list_trajectories(con, **filters, limit=0)[1]
if total == 0:
    st.info("No trajectory matches these filters.")
    st.stop()
pages = max(1, -(-total // PAGE_SIZE))
top = st.columns([2, 6])
page = int(top[0].number_input(f"Page (of {pages})", 1, pages, 1, key="traj_page"))
top[1].markdown(f"**{total:,}** matching")
with cursor() as con:
    page_rows = list_trajectories(con, **filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)[0]
frame = pd.DataFrame(page_rows)
for column in ("tags", "called"):
    frame[column] = frame[column].map(lambda xs: ", ".join(xs))
st.dataframe(frame, hide_index=True, height=min(38 + 35 * len(frame), 320))

tid = st.selectbox("Open a trajectory", [r["id"] for r in page_rows], format_func=lambda i: f"#{i}", key="traj_open")
with cursor() as con:
    t = get_trajectory(con, tid)
    history = trajectory_history(con, tid)
if t is None:
    st.warning("That trajectory was removed.")
    st.stop()

st.subheader(f"Trajectory #{tid} · {t['source_ref']}")
h = st.columns(5)
h[0].metric("Status", t["status"])
h[1].metric("Verification", {True: "passed", False: "failed", None: "—"}[t["verified"]])
h[2].metric("Version", t["version"])
h[3].metric("Messages", len(t["messages"]))
h[4].metric("Environment", t["domain"] or "simulated")

stale = {m["message"]: m["reason"] for m in t["stale"]}
b = st.columns([1, 1, 1, 5])
for col, (label, new) in zip(b, [("Accept", "accepted"), ("Reject", "rejected"), ("Reset", "pending")], strict=False):
    blocked = bool(stale) and new == "accepted"
    if col.button(
        label,
        key=f"status_{new}_{tid}",
        type="primary" if new == "accepted" else "secondary",
        disabled=blocked,
        help="a stale reply must be regenerated or edited first" if blocked else None,
    ):
        try:
            with cursor() as con:
                set_status(con, tid, new)
            st.rerun()
        except Exception as exc:
            show_error(exc, f"mark the trajectory {new}")

editor = person_name("Your name", key="trajectories", placeholder="recorded with your edits")
if stale:
    count = len(stale)
    calls = sum(1 for m in t["stale"] if m.get("call"))
    said = [
        f"{n} repl{'y quotes' if n == 1 else 'ies quote'}"
        if what == "reply"
        else f"{n} call{'' if n == 1 else 's'} use"
        for what, n in (("reply", count - calls), ("call", calls))
        if n
    ]
    st.warning(
        f"{' and '.join(said)} a tool result that changed: verification fails, and the trajectory cannot be "
        f"accepted or exported until {'it is' if count == 1 else 'they are'} regenerated or edited by hand.",
        icon=":material/warning:",
    )
    model_job = t["meta"].get("backend") == "openai"
    with st.container(border=True):
        st.caption(
            "A model job's replies are written again by a model: name one below."
            if model_job
            else "The template translator writes them again from the new results."
        )
        regen_llm = llm_settings(f"regen_{tid}") if model_job else None
        if st.button(
            f"Regenerate {count} stale repl{'y' if count == 1 else 'ies'}"
            if not calls
            else f"Regenerate {count} stale message{'' if count == 1 else 's'}",
            key=f"regen_{tid}",
            type="primary",
            disabled=model_job and regen_llm is None,
        ):
            try:
                with cursor() as con:
                    regenerate_stale(con, tid, t["version"], llm=regen_llm, editor=editor or None)
                st.rerun()
            except Exception as exc:
                show_error(exc, "regenerate the stale replies")

if t["verdict"]:
    checks = t["verdict"]["checks"]
    v = st.columns(len(checks) + 1)
    for col, (name, check) in zip(v, checks.items(), strict=False):
        col.markdown(f"{':green[:material/check_circle:]' if check['ok'] else ':red[:material/cancel:]'} **{name}**")
    semantic = t["verdict"].get("semantic")
    if not semantic:
        mark = ":gray[:material/remove_circle_outline:]"
    else:
        mark = {True: ":green[:material/check_circle:]", False: ":red[:material/cancel:]"}.get(
            semantic["ok"], ":material/help:"
        )
    v[-1].markdown(
        f"{mark} **semantic** (not judged)" if not semantic else f"{mark} **semantic**: {semantic['reason']}"
    )
    for name, check in checks.items():
        for problem in check["problems"]:
            st.warning(f"{name}: {problem}")

conversation, edit, versions, plan_tab = st.tabs(["Conversation", "Edit a message", "Versions", "Plan"])
with conversation:
    render_messages(t["messages"], show_system=True, stale=stale)

with edit:
    index = int(st.number_input("Message", 0, len(t["messages"]) - 1, 0, key=f"edit_idx_{tid}"))
    message = dict(t["messages"][index])
    st.caption(f"role: **{message['role']}**")
    new_content = st.text_area("Text", message.get("content") or "", key=f"edit_text_{tid}_{index}")
    new_calls = []
    for k, tc in enumerate(message.get("tool_calls") or []):
        c1, c2 = st.columns([1, 3])
        names = sorted(s.name for s in t["tools"].values())
        name = c1.selectbox(
            f"Call {k}",
            names,
            index=names.index(tc["function"]["name"]) if tc["function"]["name"] in names else 0,
            key=f"edit_name_{tid}_{index}_{k}",
        )
        args = c2.text_area("Arguments (JSON)", tc["function"]["arguments"], key=f"edit_args_{tid}_{index}_{k}")
        new_calls.append({**tc, "function": {"name": name, "arguments": args}})
    rerun = st.checkbox(
        "Re-execute tool results from this message on",
        value=bool(new_calls),
        key=f"edit_rerun_{tid}_{index}",
        help="earlier calls rebuild the environment's state; every later call runs again",
    )
    regenerate = st.checkbox(
        "Regenerate the replies that quote a changed result",
        value=True,
        key=f"edit_regen_{tid}_{index}",
        disabled=not rerun,
        help="by the trajectory's own translator (a model job's need a model: use the button above); "
        "unticked, they are marked stale for review",
    )
    note = st.text_input("Note for this version", key=f"edit_note_{tid}")
    if st.button("Save as a new version", type="primary", key=f"edit_save_{tid}"):
        edited = [dict(x) for x in t["messages"]]
        edited[index] = {**message, "content": new_content or None}
        if new_calls:
            edited[index]["tool_calls"] = new_calls
        try:
            with cursor() as con:
                new_version = apply_edit(
                    con,
                    tid,
                    edited,
                    t["version"],
                    reexecute_from=index if rerun else None,
                    note=note,
                    editor=editor or None,
                    regenerate_replies=regenerate,
                )
            st.success(f"Saved as version {new_version}.")
            st.rerun()
        except Exception as exc:
            show_error(exc, "save the edit")

with versions:
    if len(history) < 2:
        st.caption("Only one version so far: edits appear here, each with a diff against any other.")
    numbers = [h["version"] for h in history]
    st.dataframe(pd.DataFrame(history), hide_index=True)
    if len(numbers) >= 2:
        c1, c2 = st.columns(2)
        old = c1.selectbox("From", numbers, index=1, key=f"diff_a_{tid}")
        new = c2.selectbox("To", numbers, index=0, key=f"diff_b_{tid}")
        with cursor() as con:
            a, b2 = trajectory_version(con, tid, old), trajectory_version(con, tid, new)
        text_diff = diff_versions(a or [], b2 or [], f"version {old}", f"version {new}")
        st.code(text_diff or "(no difference)", language="diff")

with plan_tab:
    plan = t["meta"].get("plan")
    if not plan:
        st.caption("Imported trajectories carry no path plan.")
    else:
        problems = {
            u["turn"]: sum(len(u.get(k, [])) for k in (*CHECKS, "replies"))
            for u in (t["verdict"] or {}).get("turns", [])
        }
        per_turn = pd.DataFrame(
            [
                {
                    "turn": p["turn"],
                    "kind": p["kind"],
                    "calls": ", ".join(c["name"] for c in p["calls"]),
                    "messages": f"{p['start']}–{p['end'] - 1}",
                    "problems": problems.get(p["turn"], 0),
                }
                for p in plan
            ]
        )
        st.dataframe(per_turn, hide_index=True)
        st.plotly_chart(
            px.bar(per_turn, x="turn", y="problems", color="kind", title="Verification problems per turn", height=260),
        )
        st.code(json.dumps(plan, indent=2, ensure_ascii=False)[:20000], language="json")
