"""Preferences: make chosen/rejected pairs, label them side by side from the keyboard (what differs marked
above the two sides, single assistant turns markable good or bad), watch agreement."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from components.auth import can_admin, person_name
from components.chat import render_messages
from components.db import cursor
from components.layout import empty_state, page_header, show_error
from components.llm_form import llm_settings
from components.pair_diff import render_pair_diff
from fcstudio.prefs.diff import pair_diff
from fcstudio.prefs.labels import (
    REASONS,
    TURN_LABELS,
    LabelRefused,
    agreement,
    label_pair,
    label_turn,
    left_is_chosen,
    next_pair,
    progress,
    skip_pair,
)
from fcstudio.prefs.pairs import STRATEGIES, explain_none_made, get_pair, list_pairs, make_pairs

page_header(
    "Preferences",
    "Pairs for multi-turn DPO: the same conversation up to a user turn, then two assistant continuations. "
    "Pick the better one (← / →, T for a tie, S to skip); each pair needs its set number of annotators, and "
    "agreement between annotators is tracked as Cohen's kappa.",
)

if can_admin():  # making pairs runs a job (a model's, for some strategies): for admins of a shared workspace
    with st.expander("Make pairs from verified trajectories", expanded=False):
        with st.form("pairs_form"):
            c = st.columns(3)
            strategy = c[0].selectbox(
                "How the rejected side is made",
                STRATEGIES,
                index=2,
                help="perturb: controlled errors · misleading_hint: a wrong call planted as the hint · no_hint: a model "
                "continues without the path (needs a model)",
            )
            required = int(c[1].number_input("Annotators per pair", 1, 9, 1))
            seed = int(c[2].number_input("Seed", 0, 10**9, 0))
            keep_trivial = st.checkbox(
                "Keep trivial pairs",
                help="A pair whose sides make the same calls and differ only in an id a tool returned teaches "
                "nothing; by default it is not made.",
            )
            llm = llm_settings("pairs")
            go = st.form_submit_button("Make pairs", type="primary")
        if go:
            bar = st.progress(0.0, text="Making pairs…")
            try:
                with cursor() as con:
                    made = make_pairs(
                        con,
                        strategy,
                        llm=llm,
                        annotators=required,
                        seed=seed,
                        progress=lambda f, label: bar.progress(min(f, 1.0), text=label),
                        keep_trivial=keep_trivial,
                    )
                if not made.created:
                    st.warning(explain_none_made(made).capitalize() + ".")
                else:
                    st.success(
                        f"{len(made.created)} pairs made; {made.same_as_chosen} negatives came out equal to the "
                        f"positive, {made.skipped_trivial} differed only in a returned id (skipped as trivial), "
                        f"{made.not_applicable} trajectories had no turn this strategy applies to."
                    )
            except Exception as exc:
                show_error(exc, "make pairs")

with cursor() as con:
    done = progress(con)
    agree = agreement(con)
if done["pairs"] == 0:
    empty_state(
        "No pair yet.",
        [
            "Synthesise trajectories on the **Trajectories** page, then open **Make pairs** above.",
            "Or run `python -m fcstudio pairs make --strategy perturb`.",
        ],
    )
    st.stop()

m = st.columns(5)
m[0].metric("Pairs", f"{done['pairs']:,}")
m[1].metric("Fully labelled", f"{done['complete']:,}")
m[2].metric("Labels", f"{done['labels']:,} of {done['labels_needed']:,}")
m[3].metric("Annotators", len(agree["annotators"]))
m[4].metric("Cohen's kappa", "—" if agree["mean_kappa"] is None else f"{agree['mean_kappa']:.2f}")
st.progress(
    done["labels"] / done["labels_needed"] if done["labels_needed"] else 1.0,
    text=f"{done['labels']} of {done['labels_needed']} labels",
)

n1, n2 = st.columns([3, 1], vertical_alignment="bottom")
with n1:
    annotator = person_name("You are", key="annotator", placeholder="your name: each pair counts you once")
with_trivial = n2.toggle("Include trivial pairs", key="with_trivial", help="Pairs that differ only in a returned id")
if msg := st.session_state.pop("pref_flash", None):
    (st.success if msg[0] == "ok" else st.warning)(msg[1])
if not annotator:
    st.info("Enter your name to start labelling.")
else:
    with cursor() as con:
        pair_id = next_pair(con, annotator, include_trivial=with_trivial)
        pair = get_pair(con, pair_id) if pair_id is not None else None
    if pair is None:
        st.success(f"Nothing left for {annotator}: every pair has its labels or was labelled or skipped by you.")
    else:
        left_chosen = left_is_chosen(pair["id"], annotator)
        left, right = (pair["chosen"], pair["rejected"]) if left_chosen else (pair["rejected"], pair["chosen"])
        st.subheader(f"Pair {pair['id']}")
        st.caption(
            f"Turn {pair['turn']} of "
            + (f"trajectory #{pair['trajectory_id']}" if pair["trajectory_id"] else f"episode {pair['episode_ref']}")
            + (" · **trivial**: the sides differ only in an id a tool returned" if pair.get("trivial") else "")
        )
        prefix = pair["prefix"]
        with st.expander(f"Earlier conversation ({len(prefix) - 1} messages)", expanded=False):
            render_messages(prefix[:-1])
        render_messages(prefix[-1:], start=len(prefix) - 1)
        render_pair_diff(pair_diff(left, right))
        marks: dict[str, list[tuple[int, str]]] = {"L": [], "R": []}  # shown side -> (message, widget key)
        for col, shown, name, messages in zip(st.columns(2), "LR", ("Left", "Right"), (left, right), strict=True):
            with col, st.container(border=True):
                st.markdown(f"**{name}**")
                render_messages(messages, start=len(prefix), expand_calls=True)
                turns = [i for i, m in enumerate(messages) if m.get("role") == "assistant"]
                with st.expander("Mark single turns (optional)", expanded=False):
                    for i in turns:
                        key = f"turn_{pair['id']}_{shown}_{i}"
                        t1, t2 = st.columns([1, 2])
                        t1.segmented_control(f"[{len(prefix) + i}]", TURN_LABELS, key=key)
                        t2.text_input("Reason", key=f"{key}_why", placeholder="optional")
                        marks[shown].append((i, key))
        r1, r2 = st.columns([2, 3])
        reasons = r1.multiselect("Why (optional)", REASONS, key=f"reasons_{pair['id']}")
        note = r2.text_input("Note (optional)", key=f"note_{pair['id']}")
        b = st.columns(4)
        picked = None
        if b[0].button("← Left is better", key=f"pick_left_{pair['id']}", shortcut="Left", type="primary"):
            picked = "chosen" if left_chosen else "rejected"
        if b[1].button("Right is better →", key=f"pick_right_{pair['id']}", shortcut="Right", type="primary"):
            picked = "rejected" if left_chosen else "chosen"
        if b[2].button("Tie (T)", key=f"pick_tie_{pair['id']}", shortcut="T"):
            picked = "tie"
        if b[3].button("Skip (S)", key=f"pick_skip_{pair['id']}", shortcut="S"):
            with cursor() as con:
                skip_pair(con, pair["id"], annotator)
            st.session_state["pref_flash"] = ("ok", f"Skipped pair {pair['id']}.")
            st.rerun()
        if picked is not None:
            try:
                with cursor() as con:
                    label_pair(con, pair["id"], annotator, picked, reasons, note)
                    for shown, keyed in marks.items():
                        side = "chosen" if (shown == "L") == left_chosen else "rejected"
                        for i, key in keyed:
                            if st.session_state.get(key):
                                why = st.session_state.get(f"{key}_why") or ""
                                label_turn(con, pair["id"], annotator, side, i, st.session_state[key], why)
                st.session_state["pref_flash"] = ("ok", f"Pair {pair['id']} labelled.")
            except LabelRefused as exc:  # someone else took the last slot a moment ago
                st.session_state["pref_flash"] = ("warn", f"Not counted: {exc}")
            st.rerun()

st.divider()
shown_pairs = st.segmented_control("Pairs listed", ["all", "not trivial", "trivial"], default="all", key="pairs_filter")
with cursor() as con:
    table = pd.DataFrame(
        list_pairs(con, limit=10_000, trivial={"trivial": True, "not trivial": False}.get(shown_pairs or "all"))
    )
c1, c2 = st.columns([3, 2])
with c1:
    st.markdown("#### All pairs")
    if table.empty:
        st.caption(f"No {shown_pairs} pair.")
    else:
        st.dataframe(table, hide_index=True, height=min(38 + 35 * len(table), 320))
if not table.empty:
    with c2:
        counts = table.groupby(["error_type", "strategy"]).size().reset_index(name="pairs")
        st.plotly_chart(
            px.bar(
                counts, x="pairs", y="error_type", color="strategy", orientation="h", title="Error types", height=320
            )
        )
if agree["pairs"]:
    st.markdown("#### Agreement between annotators")
    st.dataframe(pd.DataFrame(agree["pairs"]), hide_index=True)
