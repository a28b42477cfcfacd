"""fcstudio's web app: ``streamlit run app.py [-- --workspace PATH]``.

Registers the pages, builds the demo workspace on first run, asks for a sign-in when the workspace has
users, and holds one workspace cursor for the rerun so that all of a page's queries share one open
connection.
"""

from __future__ import annotations

import streamlit as st

from components.auth import require_sign_in
from components.db import current_workspace_path, cursor, ensure_workspace
from components.entry import PAGE_CONFIG, entrypoint
from components.layout import show_error

st.set_page_config(**PAGE_CONFIG)

pages = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/catalog.py", title="Catalog", icon=":material/inventory_2:"),
    st.Page("pages/graph.py", title="Graph", icon=":material/hub:"),
    st.Page("pages/paths.py", title="Paths", icon=":material/route:"),
    st.Page("pages/trajectories.py", title="Trajectories", icon=":material/forum:"),
    st.Page("pages/preferences.py", title="Preferences", icon=":material/thumbs_up_down:"),
    st.Page("pages/export.py", title="Export", icon=":material/download:"),
    st.Page("pages/tasks.py", title="Tasks", icon=":material/task_alt:"),
    st.Page("pages/leaderboard.py", title="Leaderboard", icon=":material/leaderboard:"),
    st.Page("pages/episodes.py", title="Episodes", icon=":material/fact_check:"),
    st.Page("pages/llm_log.py", title="LLM log", icon=":material/receipt_long:"),
]
nav = st.navigation(pages)
with st.sidebar:
    st.caption(f"Workspace: `{current_workspace_path()}`")
try:
    ensure_workspace()
    with entrypoint(), cursor():
        require_sign_in()  # a shared workspace (one with users) shows nothing until a sign-in
        nav.run()
except Exception as exc:  # the last line of defence: a page error is shown, never a traceback
    show_error(exc, "show this page")
