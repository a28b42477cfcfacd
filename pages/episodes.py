"""Episodes: review failed benchmark episodes and turn the agent's mistake into a preference pair."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from components.chat import render_messages
from components.db import cursor
from components.env_functions import env_function_table
from components.episode_charts import endings, per_task_success
from components.layout import empty_state, page_header, show_error
from components.multi_turn import episode_review
from components.state_diff import EXPECTED_VS_ACTUAL, state_diff_view
from fcstudio.envs.registry import DOMAINS
from fcstudio.evals import eval_store
from fcstudio.evals.review import ReviewError, ensure_review, episode_pair, explain_failure

STATUS_COLOURS = {
    "match": "",
    "mismatch": "background-color: rgba(255, 196, 0, 0.28)",
    "missing": "background-color: rgba(255, 75, 75, 0.22)",
    "extra": "background-color: rgba(120, 120, 120, 0.15)",
}
DIVERGENCE = "background-color: rgba(255, 75, 75, 0.45); font-weight: 600"

page_header(
    "Episodes",
    "Review evaluation episodes, failed ones first: the transcript, the gold actions against the agent's with the "
    "first divergence marked, and the final database the agent left against the expected one. Tag what went wrong, "
    "and make the divergence a chosen/rejected pair for multi-turn DPO in one click.",
)

with cursor() as con:
    runs = [r for r in eval_store.list_runs(con) if r["episodes"]]
if not runs:
    empty_state(
        "No episodes to review yet.",
        [
            "Import real episodes: `python -m fcstudio eval import tau-bench ../shared/data/tau_bench_v1/historical_trajectories/gpt-4o-airline.json`.",
            "Or run an evaluation from the **Leaderboard** page, or `python -m fcstudio eval run --domain travel ...`.",
        ],
    )
    st.stop()

run_ids = [r["id"] for r in runs]
if st.session_state.get("ep_run") not in run_ids:
    st.session_state["ep_run"] = next((r["id"] for r in runs if r["failed"]), run_ids[0])
labels = {
    r["id"]: f"run {r['id']} · {r['model']} · {r['benchmark']} {r['domain']} ({r['failed']} failed)" for r in runs
}
f = st.columns([3, 2, 2, 2, 2])
run_id = f[0].selectbox("Run", run_ids, format_func=labels.__getitem__, key="ep_run")
with cursor() as con:
    facets = eval_store.episode_facets(con, run_id)
domain = f[1].selectbox("Domain", ["", *facets["domains"]], format_func=lambda d: d or "all", key="ep_domain")
task = f[2].selectbox("Task", ["", *facets["tasks"]], format_func=lambda t: t or "all", key="ep_task")
outcome = f[3].selectbox("Reward", ["failed", "passed", "all"], key="ep_outcome")
termination = f[4].selectbox(
    "Ended by", ["", *facets["terminations"]], format_func=lambda t: t or "any", key="ep_termination"
)
with cursor() as con:
    episodes = eval_store.list_episodes(
        con,
        run_id=run_id,
        domain=domain or None,
        task_id=task or None,
        outcome=None if outcome == "all" else outcome,
        termination=termination or None,
    )
    counts = eval_store.list_episodes(con, run_id=run_id, limit=100_000)
total = len(counts)
failed = sum(1 for e in counts if not e["success"])
m = st.columns(4)
m[0].metric("Episodes in run", total)
m[1].metric("Failed", failed)
m[2].metric("Success rate", f"{(total - failed) / total:.0%}" if total else "—")
m[3].metric("Shown", len(episodes))
if not episodes:
    empty_state("No episode matches these filters.", ["Set Reward to 'all' or clear the task filter."])
    st.stop()

with st.expander("Run at a glance: which tasks fail, and how episodes end", expanded=False):
    g1, g2 = st.columns([3, 2])
    g1.plotly_chart(per_task_success(counts), key="ep_glance_tasks")
    g2.plotly_chart(endings(counts, "How episodes ended", height=320), key="ep_glance_ends")

table = pd.DataFrame(episodes)
table["tags"] = table["tags"].map(lambda t: ", ".join(t or []))
table["note"] = table["note"].fillna("")
st.dataframe(
    table[["id", "task_id", "trial", "reward", "termination", "tags", "note"]],
    hide_index=True,
    height=min(38 + 35 * len(table), 260),
    column_config={"id": "episode", "reward": st.column_config.NumberColumn(format="%.2f")},
)
episode_id = st.selectbox(
    "Open episode",
    [e["id"] for e in episodes],
    format_func=lambda i: next(
        f"episode {i} · task {e['task_id']} · trial {e['trial']} · reward {e['reward'] or 0:.2f}"
        for e in episodes
        if e["id"] == i
    ),
    key="ep_open",
)


def tags_form(ep: dict) -> None:
    with st.form(f"ep_tags_{ep['id']}"):
        tags = st.text_input(
            "Tags (comma-separated)", value=", ".join(ep.get("tags") or []), key=f"ep_tags_in_{ep['id']}"
        )
        note = st.text_area("Note", value=ep.get("note") or "", key=f"ep_note_{ep['id']}", height=100)
        if st.form_submit_button("Save tags and note"):
            with cursor() as con:
                eval_store.annotate(con, ep["id"], tags.split(","), note)
            st.toast("Saved.")
            st.rerun()


_MARKDOWN_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]$<>#|~"})


def why_it_failed(ep: dict) -> None:
    """The failure in words, first: which output was never said, which record differs, which action is wrong."""
    lines = explain_failure(ep)
    if not lines:
        return
    with st.container(key="ep_why"):
        st.warning(
            "**Why this episode failed**\n\n" + "\n".join(f"- {line.translate(_MARKDOWN_SPECIAL)}" for line in lines),
            icon=":material/report:",
        )


with cursor() as con:
    raw = eval_store.get_episode(con, episode_id)
if raw is not None and "review" in (raw.get("reward_info") or {}) and "ground_truth" in (raw.get("gold") or {}):
    # a BFCL multi-turn episode: the checker's turn-by-turn view instead of the gold-action alignment
    why_it_failed(raw)
    tab_check, tab_transcript, tab_reward = st.tabs(
        ["Turn by turn: expected vs actual", "Transcript", "Checker output"]
    )
    with tab_check:
        episode_review(raw)
    with tab_transcript:
        render_messages(raw["messages"], show_system=True)
    with tab_reward:
        st.json(raw.get("reward_info") or {}, expanded=False)
    st.markdown("#### Review")
    tags_form(raw)
    st.stop()
try:
    with cursor() as con:
        ep = ensure_review(con, episode_id)
except Exception as exc:
    show_error(exc, f"review episode {episode_id}")
    st.stop()
rev = ep["review"]
rows = rev["alignment"]
at = rev["divergence"]
why_it_failed(ep)

dual = any(r.get("requestor") == "user" for r in rows)  # telecom: the user acts on their phone too
two_sides = dual or (ep.get("domain") in DOMAINS and DOMAINS[ep["domain"]].env.dual_control)
h = st.columns(6 if dual else 5)
h[0].metric("Reward", f"{ep['reward'] or 0:.2f}")
h[1].metric("Ended by", ep["termination"])
h[2].metric("Agent calls", sum(1 for r in rows if r["call"] is not None and r.get("requestor") != "user"))
if dual:
    h[-3].metric("User calls", sum(1 for r in rows if r["call"] is not None and r.get("requestor") == "user"))
h[-2].metric("Gold actions", sum(1 for r in rows if r["gold"] is not None))
user_at = rev.get("user_divergence")
h[-1].metric(
    "First divergence",
    f"step {at + 1}" if at is not None else f"user, step {user_at + 1}" if user_at is not None else "none",
)
if ep.get("instruction"):
    with st.expander("User scenario", expanded=False):
        st.markdown(ep["instruction"])

tab_actions, tab_transcript, tab_state, tab_reward = st.tabs(
    ["Gold vs agent actions", "Transcript", "Final state: expected vs actual", "Reward"]
)
with tab_actions:
    if not rows:
        st.caption("Neither the gold nor the agent made a call.")
    else:
        frame = pd.DataFrame(
            [
                {
                    "step": i + 1,
                    **({"by": "user" if r.get("requestor") == "user" else "agent"} if dual else {}),
                    "status": r["status"],
                    "kind": r["kind"],
                    "function": r["name"],
                    "gold arguments": json.dumps(r.get("gold_arguments"), ensure_ascii=False)
                    if r["gold"] is not None
                    else "",
                    ("arguments made" if dual else "agent arguments"): json.dumps(
                        r.get("arguments"), ensure_ascii=False
                    )
                    if r["call"] is not None
                    else "",
                    "message": r.get("message"),
                }
                for i, r in enumerate(rows)
            ]
        )

        def colour(row: pd.Series) -> list[str]:
            style = DIVERGENCE if at is not None and row["step"] == at + 1 else STATUS_COLOURS[row["status"]]
            return [style] * len(row)

        st.dataframe(frame.style.apply(colour, axis=1), hide_index=True, height=min(38 + 35 * len(frame), 420))
        if at is None and user_at is not None:
            r = rows[user_at]
            did = {
                "mismatch": f"called **{r['name']}** on the phone with other arguments than the gold",
                "missing": f"never called **{r['name']}** on the phone, which the gold needs",
            }[r["status"]]
            st.warning(
                f"The agent's calls match the gold, but the user's own do not: at step {user_at + 1} the user "
                f"{did}. The agent made no wrong call to pair against.",
                icon=":material/smartphone:",
            )
        elif at is None:
            st.success(
                "No divergence: every gold action was made and no unasked write happened."
                + ("" if ep.get("success") else " The episode failed for the reasons given above.")
            )
        else:
            r = rows[at]
            what = {
                "mismatch": f"called **{r['name']}** with other arguments than the gold",
                "missing": f"never called **{r['name']}**, which the gold requires",
                "extra": f"called **{r['name']}** (a {r['kind']} tool) although no gold action asks for it",
            }[r["status"]]
            st.warning(
                f"First divergence at step {at + 1}: the agent {what} (message {rev['divergence_message']}).",
                icon=":material/call_split:",
            )
with tab_transcript:
    render_messages(ep["messages"], show_system=True)
with tab_state:
    if not rev.get("executable"):
        st.info(
            f"The {ep['domain'] or 'unknown'} domain's database is not on this machine, so the final states cannot "
            "be rebuilt. fcstudio executes travel, airline, retail and telecom."
        )
    elif two_sides:
        st.caption(
            "Both sides are rebuilt from the task's set-up: expected = the gold actions replayed (each on its side), "
            "actual = the recorded calls replayed, the agent's on the operator's database and the user's on the phone."
        )
        operator = {t: p for t, p in rev["diff"].items() if t != "user_db"}
        phone = {t: p for t, p in rev["diff"].items() if t == "user_db"}
        left_state, right_state = st.columns(2)
        with left_state:
            st.markdown("##### The operator's database (the agent's side)")
            state_diff_view(
                operator, key=f"ep_diff_op_{episode_id}", labels=("expected", "actual"), words=EXPECTED_VS_ACTUAL
            )
        with right_state:
            st.markdown("##### The user's phone (the user's side)")
            state_diff_view(
                phone, key=f"ep_diff_phone_{episode_id}", labels=("expected", "actual"), words=EXPECTED_VS_ACTUAL
            )
    else:
        st.caption(
            "Both states are rebuilt on the initial database: expected = the gold actions replayed, actual = the "
            "agent's recorded calls replayed."
        )
        state_diff_view(
            rev["diff"], key=f"ep_diff_{episode_id}", labels=("expected", "actual"), words=EXPECTED_VS_ACTUAL
        )
with tab_reward:
    info = ep.get("reward_info") or {}
    if info.get("breakdown"):
        st.dataframe(
            pd.DataFrame(
                [
                    {"part": k, "score": v, "counted": k in (info.get("used") or [])}
                    for k, v in info["breakdown"].items()
                ]
            ),
            hide_index=True,
        )
    if info.get("env_assertions"):
        st.markdown("**Env assertions** (run on the final state; ENV_ASSERTION is 1 only when all hold)")
        env_function_table(info["env_assertions"], "assertion", verdicts=True)
    for note in info.get("notes") or []:
        st.caption(note)
    st.json(info, expanded=False)

st.markdown("#### Review")
left, right = st.columns(2)
with left:
    tags_form(ep)
with right:
    if at is None:
        st.caption("A preference pair needs a divergence: this episode has none.")
    else:
        r = rows[at]
        default = {"name": r["name"], "arguments": r.get("gold_arguments") or {}} if r["gold"] is not None else None
        st.markdown(
            "**Make a preference pair** from the divergence: prefix up to it, rejected = the agent's action there, chosen = the gold call (edit it below if needed)."
        )
        edited = st.text_area(
            "Chosen call (JSON)",
            value=json.dumps(default, ensure_ascii=False, indent=1) if default else '{"name": "", "arguments": {}}',
            key=f"ep_chosen_{episode_id}",
            height=160,
        )
        if st.button("Make a preference pair", type="primary", key=f"ep_pair_{episode_id}"):
            try:
                call = json.loads(edited)
                with cursor() as con:
                    pair_id, new = episode_pair(con, episode_id, chosen_call=call)
                if new:
                    st.success(f"Pair {pair_id} is in the queue of the **Preferences** page.")
                else:
                    st.info(
                        f"This pair is already in the queue as pair {pair_id} (made before from the same turn and "
                        "chosen call); nothing new was added. Edit the chosen call to make another."
                    )
            except json.JSONDecodeError as exc:
                st.error(f"The chosen call is not JSON: {exc.msg} (line {exc.lineno}).")
            except ReviewError as exc:
                st.error(f"No pair made: {exc}")
            except Exception as exc:
                show_error(exc, "make the pair")
