"""Who is using the app: the signed-in user of a shared server, or nobody when the workspace has no users.

With no users (the demo, a laptop) the app is open and every action is offered. Once ``python -m fcstudio
users add`` has made one, every page first asks for a name and password (``require_sign_in``), labels and
edits carry the signed-in name (``person_name``), and the admin-only actions (import, delete, edit tools,
build the graph, run jobs, export files on the server) are drawn only for admins (``admin_only``).
The sign-in lasts for the browser session (a reload asks again).
"""

from __future__ import annotations

import streamlit as st

from components.db import cursor
from fcstudio.users import User, authenticate, can_administer, get_user, has_users

USER_KEY = "fcstudio_user"  # session state: {"name": ..., "role": ...} once signed in


def _workspace_has_users() -> bool:
    with cursor() as con:
        return has_users(con)


def current_user() -> User | None:
    """The signed-in user, checked against the workspace on every rerun (a removed user is signed out)."""
    saved = st.session_state.get(USER_KEY)
    if not saved:
        return None
    with cursor() as con:
        user = get_user(con, saved["name"])
    if user is None:
        st.session_state.pop(USER_KEY, None)
        return None
    if user.role != saved["role"]:
        st.session_state[USER_KEY] = {"name": user.name, "role": user.role}
    return user


def require_sign_in() -> None:
    """Every page's gate: open without users; else the sign-in form until a name and password match."""
    if not _workspace_has_users():
        st.session_state.pop(USER_KEY, None)
        return
    user = current_user()
    if user is not None:
        with st.sidebar:
            st.caption(f"Signed in as **{user.name}** ({user.role})")
            if st.button("Sign out", key="auth_sign_out"):
                st.session_state.pop(USER_KEY, None)
                st.rerun()
        return
    st.title("Sign in")
    st.caption("This workspace is shared: sign in with the name and password an admin gave you.")
    with st.form("auth_sign_in"):
        name = st.text_input("Name", key="auth_name")
        password = st.text_input("Password", type="password", key="auth_password")
        go = st.form_submit_button("Sign in", type="primary")
    if go:
        with cursor() as con:
            found = authenticate(con, name, password)
        if found is None:
            st.error("Wrong name or password.")
        else:
            st.session_state[USER_KEY] = {"name": found.name, "role": found.role}
            st.rerun()
    st.stop()


def can_admin() -> bool:
    """Whether this session may use the admin-only actions."""
    return can_administer(current_user(), _workspace_has_users())


def admin_only(what: str) -> bool:
    """True when the admin-only action ``what`` may be drawn; otherwise say who may do it, and draw nothing."""
    user = current_user()
    if can_administer(user, _workspace_has_users()):
        return True
    who = f"You are signed in as {user.name} (annotator)" if user else "You are not signed in"
    st.info(f"Only an admin can {what}. {who}.", icon=":material/lock:")
    return False


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
