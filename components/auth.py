"""Who is using the app: the signed-in user of a shared server, or nobody when the workspace has no users."""

from __future__ import annotations

import streamlit as st

USER_KEY = "fcstudio_user"  # session state: {"name": ..., "role": ...} once signed in


def signed_in_name() -> str | None:
    """The signed-in user's name, or None when nobody signed in (a workspace without users)."""
    user = st.session_state.get(USER_KEY)
    return user["name"] if user else None


NAME_KEY = "fcstudio_name"  # session state: the name typed on any page, kept when the page's widget is gone


def person_name(label: str = "Your name", key: str = "name", placeholder: str = "") -> str:
    """The name an edit or label records: the signed-in user's, else one typed box that every page shares.

    Streamlit forgets a widget's value when its page is left, so the typed name lives under a plain
    session key and seeds the box each time it is drawn.
    """
    name = signed_in_name()
    if name:
        st.caption(f"Signed in as **{name}**")
        return name
    widget = f"{NAME_KEY}_{key}"
    if widget not in st.session_state:
        st.session_state[widget] = st.session_state.get(NAME_KEY, "")
    typed = st.text_input(label, key=widget, placeholder=placeholder).strip()
    st.session_state[NAME_KEY] = typed
    return typed
