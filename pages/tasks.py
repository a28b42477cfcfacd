"""Tasks: benchmark tasks by domain, their user scenario and gold actions, and a gold replay with its state diff."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from components.db import cursor
from components.env_functions import env_function_table
from components.layout import empty_state, page_header, show_error
from components.multi_turn import gold_replay
from components.state_diff import state_diff_view
from fcstudio import store
from fcstudio.envs.bfcl.entries import entry_from_task
from fcstudio.envs.bfcl.replay import replay as replay_entry
from fcstudio.envs.diff import diff
from fcstudio.envs.registry import DOMAINS, open_env
from fcstudio.envs.replay import replay_task, validate
from fcstudio.envs.tasks import gold_task_from_row

PAGE_SIZE = 25

page_header(
    "Tasks",
    "Benchmark tasks with gold actions (tau2, tau-bench, BFCL, the travel demo): read the user scenario, "
    "replay the gold actions on a fresh copy of the domain's database, and see exactly which records change.",
)


@st.cache_resource(show_spinner="Loading the domain database…")
def _environment(domain: str):
    return open_env(domain)


with cursor() as con:
    groups = store.task_domains(con)
if not groups:
    empty_state(
        "No tasks in this workspace yet.",
        [
            "Import tau2 tasks: `python -m fcstudio import tau2-tasks path/to/tasks.json`.",
            "Or BFCL questions: `python -m fcstudio import bfcl BFCL_v4_simple_python.json`.",
            "Or build the demo workspace, whose travel domain has 22 executable tasks: `python -m fcstudio init --demo`.",
        ],
    )
    st.stop()

labels = [f"{g['benchmark']} · {g['domain'] or '(no domain)'} ({g['tasks']})" for g in groups]
f1, f2 = st.columns([2, 3])
choice = f1.selectbox("Benchmark and domain", range(len(groups)), format_func=labels.__getitem__, key="tasks_group")
text = f2.text_input("Search", key="tasks_text", placeholder="words from the scenario, or a task id")
group = groups[choice]

with cursor() as con:
    total = store.list_tasks(con, benchmark=group["benchmark"], domain=group["domain"], text=text, limit=0)[1]
pages = max(1, -(-total // PAGE_SIZE))
top = st.columns([2, 6])
page = int(top[0].number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1, key="tasks_page"))
top[1].markdown(f"**{total:,}** tasks")
with cursor() as con:
    rows, _ = store.list_tasks(
        con,
        benchmark=group["benchmark"],
        domain=group["domain"],
        text=text,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
if not rows:
    empty_state("No task matches.", ["Clear the search box or pick another benchmark."])
    st.stop()
st.dataframe(
    pd.DataFrame(rows)[["source_ref", "gold_calls", "instruction"]],
    hide_index=True,
    column_config={
        "source_ref": "task",
        "gold_calls": st.column_config.NumberColumn("gold calls"),
        "instruction": st.column_config.TextColumn(width="large"),
    },
    height=min(38 + 35 * len(rows), 320),
)
ids = [r["id"] for r in rows]
names = {r["id"]: f"{r['source_ref']}  ·  {r['instruction'][:70]}" for r in rows}
task_id = st.selectbox("Open a task", ids, format_func=names.__getitem__, key="tasks_open")
with cursor() as con:
    task = store.get_task(con, task_id)
if task is None:
    st.warning("That task was removed; pick another.")
    st.stop()

st.subheader(f"Task {task['source_ref']}")
m = st.columns(4)
m[0].metric("Gold actions", len(task["gold"]))
m[1].metric("Outputs to say", len(task["outputs"]))
m[2].metric("Tools offered", task["n_tools"])
m[3].metric("Domain", task["domain"] or "—")
left, right = st.columns([1, 1])
with left:
    st.markdown("**User scenario**")
    st.text(task["instruction"] or "(no scenario text)")
    if task["outputs"]:
        st.markdown("**Must be communicated:** " + ", ".join(f"`{o}`" for o in task["outputs"]))
    if task["meta"].get("reward_basis"):
        st.caption("Reward basis: " + ", ".join(task["meta"]["reward_basis"]))
dual = task["domain"] in DOMAINS and DOMAINS[task["domain"]].env.dual_control  # telecom: the user acts too
setup = (task["meta"].get("initial_state") or {}).get("initialization_actions") or []
checks = task["meta"].get("env_assertions") or []
with right:
    st.markdown("**Gold actions**" + (" — who does what" if dual else ""))
    if task["gold"]:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "#": i,
                        **({"by": "user" if g.get("requestor") == "user" else "agent"} if dual else {}),
                        "tool": g["name"],
                        "arguments": json.dumps(g.get("arguments") or {}, ensure_ascii=False),
                    }
                    for i, g in enumerate(task["gold"])
                ]
            ),
            hide_index=True,
        )
        if dual:
            by_user = sum(1 for g in task["gold"] if g.get("requestor") == "user")
            st.caption(
                f"{by_user} of {len(task['gold'])} gold actions are the user's own, on their phone; the agent can only "
                "ask for them."
            )
    else:
        st.caption("No gold action: success means the state stays as it is (and the right words are said).")
    if setup:
        with st.expander(f"Set-up: {len(setup)} initialization actions run before the conversation", expanded=False):
            env_function_table(setup, "function")
    if checks:
        st.markdown("**Env assertions** (what must hold at the end)")
        env_function_table(checks, "assertion")

st.divider()
entry = entry_from_task(task)
if entry is not None:  # a BFCL multi-turn entry: replayed on fcstudio's BFCL API classes, turn by turn
    st.markdown("### Turns and gold replay")
    st.caption(
        f"Classes: {', '.join(entry['involved_classes'])}. Each turn's ground-truth calls run on the entry's initial "
        "state with fcstudio's BFCL API classes (results byte-identical to bfcl-eval's executor); the state of every "
        "class is shown after each turn."
        + (f" Functions held back until their turn: {entry['missed_function']}." if entry["missed_function"] else "")
    )
    key = f"mt_replay_{task_id}"
    if st.button("Replay the ground truth", type="primary", key=f"mt_run_{task_id}"):
        bar = st.progress(0.0, text="Replaying…")
        try:
            st.session_state[key] = replay_entry(entry, states=True)
        except Exception as exc:
            show_error(exc, "replay the ground truth")
        bar.empty()
    replayed = st.session_state.get(key)
    if replayed is None:
        for n, (turn, calls) in enumerate(zip(entry["question"], entry["ground_truth"], strict=False)):
            said = " ".join(m.get("content") or "" for m in turn) or "(no message: held-back functions are offered)"
            st.markdown(f"**Turn {n}.** {said}")
            st.code("\n".join(calls) or "(no call is due)", language=None)
        st.caption("Press the button to run the ground truth and see each class's state after every turn.")
        st.stop()
    errors = sum(r.startswith("Error during execution") for t in replayed["turns"] for r in t["results"])
    c = st.columns(3)
    c[0].metric("Turns", len(replayed["turns"]))
    c[1].metric("Calls run", sum(len(t["calls"]) for t in replayed["turns"]))
    c[2].metric("Error results", errors)
    gold_replay(replayed, entry["question"])
    st.stop()
st.markdown("### Gold replay")
domain = task["domain"]
if domain not in DOMAINS:
    st.info(
        f"fcstudio has no executable environment for domain `{domain or '(none)'}`. "
        f"Executable domains: {', '.join(DOMAINS)}."
    )
    st.stop()
result_key = f"replay_{task_id}"
if st.button("Replay gold actions", type="primary", key=f"run_{task_id}"):
    try:
        shared_env = _environment(domain)
    except Exception as exc:  # no database for this domain on this machine
        show_error(exc, f"open the {domain} domain")
        st.stop()
    env = type(shared_env)(shared_env.initial, shared_env.policy)
    gold = gold_task_from_row(task)
    bar = st.progress(0.0, text="Replaying…")
    try:
        line = replay_task(env, gold, progress=lambda i, n: bar.progress(i / max(n, 1), text=f"action {i + 1} of {n}"))
    except Exception as exc:  # a set-up the domain cannot run
        bar.empty()
        show_error(exc, "replay the gold actions")
        st.stop()
    bar.empty()
    st.session_state[result_key] = {
        "line": line,
        "diff": diff(env.start, env.state),
        "problems": validate(gold, line, env),
    }
outcome = st.session_state.get(result_key)
if outcome is None:
    st.caption("Press the button to run the gold actions on a fresh copy of the database.")
    st.stop()

line = outcome["line"]
errors = sum(a["error"] for a in line["actions"])
metric_cols = list(st.columns(5 if dual else 3))
metric_cols[0].metric("Actions run", len(line["actions"]))
metric_cols[1].metric("Errors", errors)
metric_cols[2].metric("Operator state hash" if dual else "Final state hash", line["final_hash"][:12])
if dual:
    metric_cols[3].metric("Phone state hash", (line.get("final_user_hash") or "")[:12])
    held = sum(1 for a in line.get("env_assertions") or [] if a["met"])
    metric_cols[4].metric("Env assertions met", f"{held} of {len(line.get('env_assertions') or [])}")
for problem in outcome["problems"]:
    st.warning(f"Validator: {problem}")
for i, action in enumerate(line["actions"]):
    status = "error" if action["error"] else "ok"
    who = ("user · " if action.get("requestor") == "user" else "agent · ") if dual else ""
    with st.expander(f"{i}. {who}{action['name']} · {status}", expanded=False):
        st.code(json.dumps(action["arguments"], indent=2, ensure_ascii=False), language="json")
        (st.error if action["error"] else st.code)(action["output"][:5000])
if not dual:
    st.markdown("#### What the gold actions changed")
    state_diff_view(outcome["diff"], key=f"diff_{task_id}")
    st.stop()
st.markdown("#### What the gold actions changed, on each side")
st.caption("From the state after the task's set-up to the final one.")
left_state, right_state = st.columns(2)
with left_state:
    st.markdown("##### The operator's database (the agent's side)")
    state_diff_view({t: p for t, p in outcome["diff"].items() if t != "user_db"}, key=f"diff_op_{task_id}")
with right_state:
    st.markdown("##### The user's phone (the user's side)")
    state_diff_view({t: p for t, p in outcome["diff"].items() if t == "user_db"}, key=f"diff_phone_{task_id}")
