"""BFCL multi-turn views: an episode's turn-by-turn check (Episodes) and an entry's gold replay (Tasks)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from components.state_diff import CHANGED

ERROR_WORDS = {
    "multi_turn:instance_state_mismatch": "a class's state differs from the ground truth's",
    "multi_turn:execution_response_mismatch": "a result the ground truth produced is missing from the model's",
    "multi_turn:empty_turn_model_response": "the model made no call in a turn that needs calls",
    "multi_turn:force_terminated": "the model was stopped (too many steps) before the last turn",
    "multi_turn:inference_error": "the model's output was not a list of turns",
}


def _short(value: Any, limit: int = 400) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"


def class_fields(rows: list[dict[str, Any]], *, key: str) -> None:
    """One class's fields, expected vs actual; differing fields first and highlighted."""
    differing = [r for r in rows if not r["equal"]]
    show_all = st.toggle(f"Show the {len(rows) - len(differing)} equal fields too", key=key)
    shown = differing + ([r for r in rows if r["equal"]] if show_all else [])
    if not shown:
        st.caption("Every field equals the ground truth's.")
        return
    frame = pd.DataFrame(
        [
            {
                "field": r["field"],
                "expected": _short(r.get("expected")) if not r["equal"] else "(equal)",
                "actual": _short(r.get("actual")) if not r["equal"] else "(equal)",
                "equal": r["equal"],
            }
            for r in shown
        ]
    )
    styled = frame.style.apply(lambda row: ["" if row["equal"] else CHANGED] * len(row), axis=1)
    st.dataframe(styled, hide_index=True, column_config={"equal": None}, height=min(38 + 35 * len(frame), 360))
    for r in differing:
        with st.expander(f"`{r['field']}` in full", expanded=False):
            st.markdown("**expected**")
            st.json(r.get("expected"), expanded=False)
            st.markdown("**actual**")
            st.json(r.get("actual"), expanded=False)


def episode_review(ep: dict[str, Any]) -> None:
    """The checker's view of a multi-turn episode: where it failed, and each class's state at every turn."""
    info = ep.get("reward_info") or {}
    turns = info.get("review") or []
    failed_turn = info.get("failed_turn")
    m = st.columns(4)
    m[0].metric("Verdict", "valid" if info.get("valid") else "invalid")
    m[1].metric("Failed at turn", "—" if failed_turn is None else str(failed_turn))
    m[2].metric("Turns checked", len(turns))
    m[3].metric("Model calls", sum(len(s["calls"]) for t in info.get("turns") or [] for s in t.get("steps", [])))
    if info.get("valid"):
        st.success("Every turn's state and results match the ground truth's.")
    else:
        error = info.get("error") or "unknown"
        st.warning(
            f"`{error}`: {ERROR_WORDS.get(error, error)}. {info.get('error_message') or ''}", icon=":material/rule:"
        )
    if info.get("reply_error"):
        st.warning(f"The model endpoint failed: {info['reply_error']}")
    played = {t["turn"]: t for t in info.get("turns") or []}
    for t in turns:
        n = t["turn"]
        mark = " · failed here" if n == failed_turn else ""
        bad = sum(1 for rows in t["state"].values() for r in rows if not r["equal"])
        with st.expander(f"Turn {n}{mark} · {bad} differing field{'s' if bad != 1 else ''}", expanded=n == failed_turn):
            left, right = st.columns(2)
            with left:
                st.markdown("**Ground truth calls → results**")
                gt = t.get("ground_truth_calls") or []
                if not gt:
                    st.caption("No call is due in this turn (it is not checked).")
                for call, result in zip(gt, t["ground_truth_results"], strict=False):
                    st.code(f"{call}\n→ {_short(result, 600)}", language=None)
            with right:
                st.markdown("**Model calls → results**")
                steps = played.get(n, {}).get("steps", [])
                if not steps:
                    st.caption("The model made no call in this turn.")
                for i, step in enumerate(steps):
                    for call, result in zip(step["calls"], step["results"], strict=False):
                        st.code(f"[step {i}] {call}\n→ {_short(result, 600)}", language=None)
            for cls, rows in t["state"].items():
                st.markdown(f"**{cls}**: expected vs actual after turn {n}")
                class_fields(rows, key=f"mt_{ep['id']}_{n}_{cls}")


def gold_replay(replayed: dict[str, Any], question: list[list[dict[str, Any]]]) -> None:
    """An entry's gold replay: per turn the user's words, the calls with their results, and each class's state."""
    before = replayed.get("initial_state") or {}
    for n, turn in enumerate(replayed["turns"]):
        said = " ".join(m.get("content") or "" for m in (question[n] if n < len(question) else []))
        changed = {
            cls: sorted(k for k in state if before.get(cls, {}).get(k) != state[k])
            for cls, state in turn["state"].items()
        }
        n_changed = sum(len(v) for v in changed.values())
        with st.expander(f"Turn {n} · {len(turn['calls'])} calls · {n_changed} fields changed", expanded=n == 0):
            st.markdown(f"**User:** {said or '(no message: the held-back functions are offered now)'}")
            for call, result in zip(turn["calls"], turn["results"], strict=True):
                bad = result.startswith("Error during execution")
                st.code(f"{call}\n→ {_short(result, 800)}", language=None)
                if bad:
                    st.error("This call failed.")
            for cls, state in turn["state"].items():
                st.markdown(
                    f"**{cls}** after turn {n}"
                    + (f": changed {', '.join(changed[cls])}" if changed[cls] else ": unchanged")
                )
                rows = [
                    {
                        "field": k,
                        "before": _short(before.get(cls, {}).get(k)),
                        "after": _short(v),
                        "changed": k in changed[cls],
                    }
                    for k, v in state.items()
                ]
                frame = pd.DataFrame(rows)
                styled = frame.style.apply(lambda row: [CHANGED if row["changed"] else ""] * len(row), axis=1)
                st.dataframe(
                    styled, hide_index=True, column_config={"changed": None}, height=min(38 + 35 * len(rows), 300)
                )
        before = turn["state"]
