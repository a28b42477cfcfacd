"""Paths: sample function signature paths on the tool graph, read them turn by turn, reshape and save them."""

from __future__ import annotations

import random

import pandas as pd
import streamlit as st

from components.db import current_workspace_path, cursor
from components.fsp_diagram import draw_fsp
from components.layout import empty_state, page_header, show_error
from fcstudio.graph.read import GraphKey, graph_cache_key
from fcstudio.paths.fit import wiring_problems
from fcstudio.paths.fsp import ArgSource, PathError, validate
from fcstudio.paths.index import WalkIndex, load_walk_index, tool_shapes
from fcstudio.paths.operations import add_call, insert, long_context, merge, move_turn, remove_call, set_source, split
from fcstudio.paths.store import OPS, Sampled, get_path, list_paths, path_history, sample_paths, save_edit

PAGE_SIZE = 20
FLASH = "paths_flash"  # (kind, text) shown once after the rerun that follows a write


def _flash(kind: str, text: str) -> None:
    """Say it after the rerun, so everything drawn above (counts, table, version) already shows the write."""
    st.session_state[FLASH] = (kind, text)
    st.rerun()


def sampled_text(sampled: Sampled) -> tuple[str, str]:
    skipped = (
        f" Skipped {sampled.duplicates:,} duplicate{'s' if sampled.duplicates != 1 else ''} "
        "(same canonical form as a stored path)."
        if sampled.duplicates
        else ""
    )
    if not sampled.ids:
        return "info", f"No new path: every drawn path is stored already.{skipped} Try another seed or more steps."
    ids = sampled.ids
    copies = f", {sampled.split_copies:,} of them split copies of the others" if sampled.split_copies else ""
    return "success", f"Sampled {len(ids):,} new paths (ids {ids[0]}–{ids[-1]}){copies}.{skipped}"


@st.cache_resource(show_spinner="Reading the tool graph…", max_entries=2)
def walk_index(workspace: str, key: GraphKey) -> WalkIndex:
    """One index per workspace and graph state: a rebuild or a judge's drop changes ``key``, so it is read again."""
    with cursor() as con:
        return load_walk_index(con)


page_header(
    "Paths",
    "Function signature paths (MAGNET): random walks over the graph's dependency edges, one call per turn, then "
    "reshaped by merge (parallel calls), insert (a producer feeding a call) and split (a missing parameter or "
    "function). Each argument says where its value comes from.",
)

with cursor() as con:
    graph_key = graph_cache_key(con)
index = walk_index(str(current_workspace_path()), graph_key)
if not index.nodes:
    empty_state(
        "Paths are sampled on the tool graph, and there is none yet.",
        ["Build it on the **Graph** page or with `python -m fcstudio graph build`."],
    )
    st.page_link("pages/graph.py", label="Open the Graph page", icon=":material/hub:")
    st.stop()

if flash := st.session_state.pop(FLASH, None):
    {"success": st.success, "info": st.info, "warning": st.warning}[flash[0]](flash[1])

# enter_to_submit=False: Enter in a number box only commits the number; sampling starts from the button alone
with st.expander("Sample new paths", expanded=False), st.form("sample_form", enter_to_submit=False):
    c = st.columns(5)
    n = int(c[0].number_input("How many", 1, 500, 10))
    steps = int(c[1].number_input("Walk steps", 1, 8, 3))
    merge_p = float(c[2].slider("Merge probability", 0.0, 1.0, 0.3))
    seed = int(c[3].number_input("Seed", 0, 10**9, 0))
    ops = c[4].multiselect("Operations", OPS, default=["merge", "insert", "split"])
    if st.form_submit_button("Sample", type="primary"):
        bar = st.progress(0.0, text="Sampling…")
        sampled = None
        try:
            with cursor() as con:
                sampled = sample_paths(
                    con,
                    n=n,
                    steps=steps,
                    ops=ops,
                    merge_p=merge_p,
                    seed=seed,
                    progress=lambda f, label: bar.progress(f, text=label),
                    index=index,
                )
        except Exception as exc:
            show_error(exc, "sample paths")
        if sampled is not None:
            _flash(*sampled_text(sampled))

with cursor() as con:
    total = list_paths(con, limit=0)[1]
if total == 0:
    empty_state("No path yet.", ["Open **Sample new paths** above, or run `python -m fcstudio paths sample --n 10`."])
    st.stop()
pages = max(1, -(-total // PAGE_SIZE))
top = st.columns([2, 6])
page = int(top[0].number_input(f"Page (of {pages})", 1, pages, 1, key="paths_page"))
top[1].markdown(f"**{total:,}** paths")
with cursor() as con:
    page_rows = list_paths(con, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)[0]
frame = pd.DataFrame(page_rows)
frame["ops"] = frame["ops"].map(lambda xs: " → ".join(xs))
st.dataframe(frame, hide_index=True, height=min(38 + 35 * len(frame), 320))
path_id = st.selectbox("Open a path", [r["id"] for r in page_rows], key="paths_open")
with cursor() as con:
    found = get_path(con, path_id)
    history = path_history(con, path_id)
if found is None:
    st.warning("That path was removed.")
    st.stop()

draft_key, base_key = f"draft_{path_id}", f"base_{path_id}"
if draft_key not in st.session_state:
    st.session_state[draft_key] = found["fsp"]
    st.session_state[base_key] = found["version"]
draft = st.session_state[draft_key]

st.subheader(f"Path {path_id}" + (f" (split copy of {found['parent_id']})" if found["parent_id"] else ""))
m = st.columns(4)
m[0].metric("Turns", len(draft.turns))
m[1].metric("Calls", len(draft.calls()))
m[2].metric("Version", st.session_state[base_key])
m[3].metric("Distractor tools", len(draft.distractor_tools))
for problem in validate(draft):
    st.error(f"Invalid: {problem}")
with cursor() as con:
    shapes = tool_shapes(con, sorted({c.tool_id for _, _, c in draft.calls()}))
for problem in wiring_problems(draft, shapes):
    st.warning(f"Does not fit: {problem}")

draw_fsp(draft)
with st.expander("As text"):
    for t, turn in enumerate(draft.turns):
        badge = {"normal": "", "miss_param": " · miss param", "miss_func": " · miss func"}[turn.kind]
        st.markdown(f"**Turn {t}**{badge}" + (f" — {turn.note}" if turn.note else ""))
        for call in turn.calls:
            args = ", ".join(
                f"{a}="
                + {
                    "user": "from the user",
                    "withheld": "WITHHELD (ask)",
                    "output": f"turn {s.turn}.{s.call} → {s.field}",
                }[s.kind]
                for a, s in call.args.items()
            )
            st.markdown(f"`{call.name}`({args})")

st.markdown("#### Reshape")


def _apply(fn, label: str) -> None:
    try:
        st.session_state[draft_key] = fn(st.session_state[draft_key])
    except (PathError, IndexError, ValueError) as exc:
        st.session_state[f"flash_{path_id}"] = f"{label} refused: {exc}"
    st.rerun()


if msg := st.session_state.pop(f"flash_{path_id}", None):
    st.warning(msg)
rng = random.Random(len(draft.provenance))
b = st.columns(6)
if b[0].button("Merge (p=0.5)", key=f"op_merge_{path_id}"):
    _apply(lambda f: merge(f, rng, p=0.5), "Merge")
if b[1].button("Insert nested", key=f"op_ins_n_{path_id}"):
    _apply(lambda f: insert(f, index, rng, nested=True), "Insert")
if b[2].button("Insert long", key=f"op_ins_l_{path_id}"):
    _apply(lambda f: insert(f, index, rng, nested=False), "Insert")
if b[3].button("Split: miss param", key=f"op_sp_p_{path_id}"):
    _apply(lambda f: split(f, rng, kind="miss_param"), "Split")
if b[4].button("Split: miss func", key=f"op_sp_f_{path_id}"):
    _apply(lambda f: split(f, rng, kind="miss_func"), "Split")
if b[5].button("Long context", key=f"op_lc_{path_id}"):
    _apply(lambda f: long_context(f, index, rng, n=50), "Long context")

positions = [(t, c) for t, turn in enumerate(draft.turns) for c in range(len(turn.calls))]
labels = {p: f"turn {p[0]} · {draft.turns[p[0]].calls[p[1]].name}" for p in positions}
e1, e2, e3 = st.columns(3)
with e1:
    target = st.selectbox("Call", positions, format_func=labels.__getitem__, key=f"sel_call_{path_id}")
    if st.button("Remove this call", key=f"rm_{path_id}"):
        _apply(lambda f: remove_call(f, *target), "Remove")
with e2:
    turn_no = int(st.number_input("Turn", 0, max(len(draft.turns) - 1, 0), 0, key=f"sel_turn_{path_id}"))
    up, down = st.columns(2)
    if up.button("Move up", key=f"up_{path_id}"):
        _apply(lambda f: move_turn(f, turn_no, -1), "Move")
    if down.button("Move down", key=f"down_{path_id}"):
        _apply(lambda f: move_turn(f, turn_no, 1), "Move")
with e3:
    call = draft.turns[target[0]].calls[target[1]]
    if call.args:
        arg = st.selectbox("Argument", list(call.args), key=f"sel_arg_{path_id}")
        kind = st.selectbox("Comes from", ["user", "withheld", "output"], key=f"sel_kind_{path_id}")
        earlier = [p for p in positions if p < target]
        producer = (
            st.selectbox("Output of", earlier, format_func=labels.__getitem__, key=f"sel_prod_{path_id}")
            if kind == "output" and earlier
            else None
        )
        if st.button("Set source", key=f"set_{path_id}"):
            field = None
            if producer:  # the output the graph links to this argument, else one named like it
                link = index.link(draft.turns[producer[0]].calls[producer[1]].tool_id, call.tool_id)
                field = link[0] if link and link[1] == arg else arg
            src = ArgSource(
                kind=kind,
                turn=producer[0] if producer else None,
                call=producer[1] if producer else None,
                field=field,
            )
            _apply(lambda f: set_source(f, target[0], target[1], arg, src), "Set source")

a1, a2, a3 = st.columns([3, 1, 1])
new_tool = a1.selectbox("Add a signature", index.by_name, format_func=index.name, key=f"add_tool_{path_id}")
add_turn = int(a2.number_input("to turn", 0, len(draft.turns), len(draft.turns), key=f"add_turn_{path_id}"))
if a3.button("Add", key=f"add_{path_id}"):
    _apply(lambda f: add_call(f, add_turn, new_tool, index.name(new_tool), list(index.required_of(new_tool))), "Add")

s1, s2 = st.columns([1, 1])
note = s1.text_input("Note for this version", key=f"note_{path_id}")
if s2.button("Save", type="primary", key=f"save_{path_id}"):
    new_version = None
    try:
        with cursor() as con:
            new_version = save_edit(con, path_id, st.session_state[draft_key], st.session_state[base_key], note)
    except Exception as exc:
        show_error(exc, "save the path")
    if new_version is not None:
        st.session_state[base_key] = new_version
        _flash("success", f"Saved as version {new_version} (path {path_id}).")
if st.button("Discard changes", key=f"discard_{path_id}"):
    st.session_state.pop(draft_key, None)
    st.rerun()

with st.expander("Provenance and history"):
    st.json(draft.provenance, expanded=False)
    if history:
        st.dataframe(pd.DataFrame(history), hide_index=True)
