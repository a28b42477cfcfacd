"""Pages normally run inside ``app.py`` (page config, first-run demo, one cursor per rerun).

Streamlit still has its legacy ``pages/`` mode: on a freshly started server the first request for a
deep link (``/catalog``) runs the page script on its own, before ``app.py`` ever called
``st.navigation`` (Streamlit's AppTest does the same on every run). A page that finds itself outside
``app.py`` does app.py's setup itself and switches the legacy mode off for later runs, without a
rerun, so the clicks of the current run are not lost.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal, TypedDict

import streamlit as st

from components.db import ensure_workspace

_state = threading.local()


class PageConfig(TypedDict):
    """``st.set_page_config``'s keyword arguments, as app.py and a page run on its own both pass them."""

    page_title: str
    page_icon: str
    layout: Literal["centered", "wide"]


PAGE_CONFIG: PageConfig = {"page_title": "fcstudio", "page_icon": ":material/construction:", "layout": "wide"}


@contextmanager
def entrypoint() -> Iterator[None]:
    """app.py runs the selected page inside this (pages run in app.py's thread)."""
    _state.inside_app = True
    try:
        yield
    finally:
        _state.inside_app = False


def ensure_entrypoint() -> None:
    if getattr(_state, "inside_app", False):
        return
    try:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
    except ImportError:  # a Streamlit without the legacy flag has no legacy mode either
        pass
    st.set_page_config(**PAGE_CONFIG)
    ensure_workspace()
    from components.auth import require_sign_in  # auth reads the workspace that ensure_workspace makes

    require_sign_in()
