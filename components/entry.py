"""Make sure every page runs inside ``app.py`` (its page config, first-run demo and shared cursor).

Streamlit still has its legacy ``pages/`` mode: on a freshly started server, the very first request
for a deep link (``/catalog``) runs the page script on its own, before ``app.py`` has ever called
``st.navigation``. A page that finds itself outside ``app.py`` switches that legacy mode off (a
documented-by-source class flag of Streamlit's PagesManager) and reruns, which goes through
``app.py`` and lands on the same page.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

_state = threading.local()


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
        return
    st.rerun()
