"""Page chrome: the header every page starts with, empty states and error boxes."""

from __future__ import annotations

import streamlit as st

from components.entry import ensure_entrypoint
from fcstudio.catalog.formats.errors import FormatError
from fcstudio.store import EditConflict, WorkspaceBusy


def page_header(title: str, purpose: str) -> None:
    """The same header on every page: what it is and what it is for."""
    ensure_entrypoint()
    st.title(title)
    st.caption(purpose)
    st.divider()


def empty_state(message: str, next_steps: list[str]) -> None:
    """Say that there is nothing here yet, and what to do about it."""
    steps = "\n".join(f"- {s}" for s in next_steps)
    st.info(f"**{message}**\n\n{steps}")


def show_error(exc: BaseException, doing: str) -> None:
    """An error as a readable box with its cause; never a traceback."""
    if isinstance(exc, FormatError):
        st.error(f"Could not {doing}: `{exc}`\n\nNothing was imported; the workspace is unchanged.")
    elif isinstance(exc, EditConflict):
        st.error(f"Edit refused: {exc}")
    elif isinstance(exc, WorkspaceBusy):
        st.error(f"The workspace is busy: {exc}. Try again in a moment.")
    else:
        st.error(f"Could not {doing}: {type(exc).__name__}: {exc}")
