"""Who is using the app: the signed-in user of a shared server, or nobody when the workspace has no users."""

from __future__ import annotations

import streamlit as st

USER_KEY = "fcstudio_user"  # session state: {"name": ..., "role": ...} once signed in


def signed_in_name() -> str | None:
    """The signed-in user's name, or None when nobody signed in (a workspace without users)."""
    user = st.session_state.get(USER_KEY)
    return user["name"] if user else None
