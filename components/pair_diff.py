"""What differs between the two sides of a pair, drawn above them with the differing calls, arguments and
words marked (``fcstudio.prefs.diff`` computes it; this only draws it, escaping every piece of data)."""

from __future__ import annotations

import html
import json
from typing import Any

import streamlit as st

from fcstudio.prefs.diff import CallChange, PairDiff, Segments

MARK = '<mark class="fc-diff" style="background:#fcd34d;color:#111;border-radius:3px;padding:0 2px">{}</mark>'
GONE = '<span class="fc-diff-none" style="opacity:.6;font-style:italic">{}</span>'
KEEP = 60  # characters of unchanged text kept around each difference; the rest is elided


def _esc(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "<br>")


def _value(value: Any) -> str:
    return _esc(json.dumps(value, ensure_ascii=False))


def _call(change: CallChange, side: str) -> str:
    """One side's view of a matched call: the name, then its arguments, those that differ marked."""
    mine = change.a_args if side == "a" else change.b_args
    if mine is None:  # the call exists only on the other side
        return GONE.format(f"(no {_esc(change.name)} call)")
    if change.kind in ("only_a", "only_b"):
        args = ", ".join(f"{_esc(k)}={_value(v)}" for k, v in mine.items())
        return MARK.format(f"{_esc(change.name)}({args})")
    differs = {a.name for a in change.args}
    parts = []
    for k, v in mine.items():
        text = f"{_esc(k)}={_value(v)}"
        parts.append(MARK.format(text) if k in differs else text)
    missing = [a.name for a in change.args if (a.kind == "only_b" if side == "a" else a.kind == "only_a")]
    parts += [MARK.format(GONE.format(f"no {_esc(k)}")) for k in missing]
    return f"<code>{_esc(change.name)}</code>(" + ", ".join(parts) + ")"


def _elide(text: str, first: bool, last: bool) -> str:
    """Unchanged text, shortened to its ends when long (the whole side is drawn below anyway)."""
    if len(text) <= 2 * KEEP + 5:
        return text
    head = "" if first else text[:KEEP]
    tail = "" if last else text[-KEEP:]
    return f"{head} … {tail}"


def _text(segments: Segments) -> str:
    out = []
    for i, (text, differs) in enumerate(segments):
        if differs:
            out.append(MARK.format(_esc(text)))
        else:
            out.append(_esc(_elide(text, i == 0, i == len(segments) - 1)))
    return "".join(out)


def side_html(diff: PairDiff, side: str) -> str:
    """One side's differences as one HTML block (no blank line, so markdown leaves it whole)."""
    calls = [c for c in diff.calls if c.kind != "same"]
    same = len(diff.calls) - len(calls)
    rows = [f"<div>{_call(c, side)}</div>" for c in calls]
    if same:
        rows.append(GONE.format(f"{same} call(s) identical on both sides"))
    if not diff.same_text:
        rows.append(f'<div class="fc-diff-text">{_text(diff.text_a if side == "a" else diff.text_b)}</div>')
    return '<div class="fc-pair-diff">' + "".join(rows) + "</div>"


def render_pair_diff(diff: PairDiff, names: tuple[str, str] = ("Left", "Right")) -> None:
    """The differences of both sides in two columns, under the names the page gives its sides."""
    with st.container(border=True, key="pair_diff"):
        if not diff.summary():
            st.caption("The two sides make the same calls and say the same; only tool results differ.")
            return
        st.markdown("**What differs**")
        cols = st.columns(2)
        for col, side, name in zip(cols, ("a", "b"), names, strict=True):
            with col:
                st.caption(name)
                st.markdown(side_html(diff, side), unsafe_allow_html=True)
