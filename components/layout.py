"""Page chrome: the header every page starts with, empty states and error boxes."""

from __future__ import annotations

import json
import re

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


# What an unexpected error is, in words, for the kinds a page can meet (never the class name).
_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (json.JSONDecodeError, "the text is not valid JSON"),
    (UnicodeDecodeError, "the file is not UTF-8 text"),
    (FileNotFoundError, "a file it needs is not there"),
    (PermissionError, "a file could not be read or written (permission denied)"),
    (TimeoutError, "it took too long and was stopped"),
    (ConnectionError, "the connection failed"),
    (MemoryError, "it ran out of memory"),
    (OSError, "a file could not be read or written"),
    (KeyError, "a field it needs is missing"),
    (ValueError, "a value is not what was expected"),
    (TypeError, "a value has the wrong type"),
)


def describe_error(exc: BaseException, names: dict[str, str] | None = None) -> str:
    """The cause in words, with each temporary path in ``names`` shown as the user's own file name."""
    text = str(exc).strip()
    for tmp_path, name in sorted((names or {}).items(), key=lambda kv: -len(kv[0])):
        text = text.replace(tmp_path, name)
    text = _TMP_DIR.sub("", text)  # any other temporary folder the user never saw
    if isinstance(exc, FormatError | EditConflict | WorkspaceBusy) or type(exc).__module__.startswith("fcstudio"):
        return text or "the input was refused"
    kind = next((words for cls, words in _KINDS if isinstance(exc, cls)), "something went wrong")
    if isinstance(exc, KeyError) and text:
        return f"{kind}: {text.strip(chr(39))}"
    return f"{kind}: {text}" if text else kind


_TMP_DIR = re.compile(r"/tmp/(?:fcstudio-upload-|tmp)[\w-]+/(?:\d+/)?")


def show_error(exc: BaseException, doing: str, names: dict[str, str] | None = None) -> None:
    """An error as a readable box with its cause in words; never a traceback or a class name."""
    why = describe_error(exc, names)
    if isinstance(exc, FormatError):
        st.error(f"Could not {doing}: {why}\n\nNothing was imported; the workspace is unchanged.")
    elif isinstance(exc, EditConflict):
        st.error(f"Edit refused: {why}")
    elif isinstance(exc, WorkspaceBusy):
        st.error(f"The workspace is busy: {why}. Try again in a moment.")
    else:
        st.error(f"Could not {doing}: {why}")
