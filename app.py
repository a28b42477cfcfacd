"""fcstudio's web app: ``streamlit run app.py [-- --workspace PATH]``.

Registers the pages, builds the demo workspace on first run, and holds one workspace cursor for
the rerun so that all of a page's queries share one open connection.
"""

from __future__ import annotations

import streamlit as st

from components.db import current_workspace_path, cursor
from components.entry import entrypoint
from components.layout import show_error
from fcstudio.demo import build_demo

st.set_page_config(page_title="fcstudio", page_icon=":material/construction:", layout="wide")


def _first_run() -> None:
    """A workspace that does not exist yet is created and filled with the demo data."""
    path = current_workspace_path()
    if path.exists():
        return
    bar = st.progress(0.0, text="Building the demo workspace…")
    with cursor() as con:
        build_demo(
            con, progress=lambda f, label: bar.progress(min(f, 1.0), text=f"Building the demo workspace: {label}")
        )
    bar.empty()


pages = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/catalog.py", title="Catalog", icon=":material/inventory_2:"),
]
nav = st.navigation(pages)
with st.sidebar:
    st.caption(f"Workspace: `{current_workspace_path()}`")
try:
    _first_run()
    with entrypoint(), cursor():
        nav.run()
except Exception as exc:  # the last line of defence: a page error is shown, never a traceback
    show_error(exc, "show this page")
