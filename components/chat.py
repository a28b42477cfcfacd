"""A conversation drawn as chat bubbles: tool calls and tool results in expanders (Trajectories, Preferences).

In a dual-control episode (telecom) the user's own tool use is drawn on the user's side and marked as the
user's phone, so who did what is plain; the agent never saw those messages."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

AVATARS = {"user": ":material/person:", "assistant": ":material/smart_toy:", "tool": ":material/build:"}
PHONE = ":material/smartphone:"


def _pretty(text: str | None) -> str:
    try:
        return json.dumps(json.loads(text or ""), indent=2, ensure_ascii=False)
    except (json.JSONDecodeError, TypeError):
        return text or ""


STALE_BADGE = "stale: the result it quotes changed"


def render_messages(
    messages: list[dict[str, Any]],
    *,
    start: int = 0,
    expand_calls: bool = False,
    show_system: bool = False,
    stale: dict[int, str] | None = None,
) -> None:
    """Each message as a bubble numbered by its index (``start`` offsets the numbers of a slice).

    Tool results stay folded unless they are errors; ``expand_calls`` opens the calls' arguments. ``stale``: the
    replies (by index) that quote a tool result which changed, badged with the reason."""
    names = {tc["id"]: tc["function"]["name"] for m in messages for tc in m.get("tool_calls") or []}
    dual = any(m.get("requestor") == "user" for m in messages)
    for i, m in enumerate(messages, start=start):
        role = m.get("role", "?")
        if role == "system":
            if show_system:
                with st.expander(f"[{i}] system", expanded=False):
                    st.markdown(m.get("content") or "")
            continue
        users = m.get("requestor") == "user"
        bubble = "user" if users else role if role in ("user", "assistant") else "tool"
        avatar = PHONE if users else AVATARS.get(role)
        with st.chat_message(bubble, avatar=avatar):
            if role == "tool":
                label = names.get(m.get("tool_call_id") or "", "result")
                error = (m.get("content") or "").startswith("Error")
                who = "user's phone · " if users else ""
                with st.expander(f"[{i}] {'⚠ ' if error else ''}{who}{label} → result", expanded=error):
                    st.code(_pretty(m.get("content")), language="json")
                continue
            if stale and i in stale:
                st.badge(STALE_BADGE, icon=":material/warning:", color="orange")
                st.caption(stale[i])
            if m.get("content"):
                st.markdown(f"`[{i}]` {m['content']}")
            for tc in m.get("tool_calls") or []:
                fn = tc.get("function") or {}
                caller = "user calls on the phone" if users else "agent calls" if dual else "calls"
                with st.expander(f"[{i}] {caller} **{fn.get('name')}**", expanded=expand_calls):
                    st.code(_pretty(fn.get("arguments")), language="json")
