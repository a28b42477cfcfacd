"""Sign-in for a shared server: users, their hashed passwords, and what an annotator may not do in the app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, copy_workspace, demo_template, no_errors, run_cli
from fcstudio.store import Workspace, rows
from fcstudio.users import (
    UserError,
    add_user,
    authenticate,
    can_administer,
    check_password,
    hash_password,
    list_users,
    remove_user,
    set_password,
    set_role,
)

ADMIN, ANNOTATOR = ("ada", "admin-pass-1"), ("ann", "annotator-pass-1")


def test_a_password_is_stored_as_an_scrypt_hash_and_checked(tmp_path: Path) -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$16384$8$1$") and "correct horse" not in stored
    assert check_password("correct horse", stored)
    assert not check_password("correct hors", stored)
    assert hash_password("correct horse") != stored  # a fresh salt each time
    assert not check_password("x", "not-a-hash") and not check_password("x", "md5$1$2$3$4$5")
    with Workspace(tmp_path / "ws.duckdb").open() as con:
        add_user(con, "ada", "admin", "correct horse")
        (row,) = rows(con, "SELECT * FROM users")
        assert "correct horse" not in json.dumps(row, default=str)
        assert row["password_hash"].startswith("scrypt$")


def test_authenticate_refuses_a_wrong_password_and_an_unknown_name(tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws.duckdb").open() as con:
        add_user(con, *ADMIN[:1], "admin", ADMIN[1])
        ok = authenticate(con, "ada", ADMIN[1])
        assert ok is not None and ok.role == "admin"
        assert authenticate(con, "ada", "admin-pass-2") is None
        assert authenticate(con, "bob", ADMIN[1]) is None
        set_password(con, "ada", "a-new-password")
        assert authenticate(con, "ada", ADMIN[1]) is None
        assert authenticate(con, "ada", "a-new-password") is not None


def test_user_rules_names_roles_passwords_and_the_last_admin(tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws.duckdb").open() as con:
        with pytest.raises(UserError, match="at least 8"):
            add_user(con, "ada", "admin", "short")
        with pytest.raises(UserError, match="choose one of admin, annotator"):
            add_user(con, "ada", "owner", "long enough")
        with pytest.raises(UserError, match="user name"):
            add_user(con, "ada lovelace", "admin", "long enough")
        add_user(con, "ada", "admin", "long enough")
        add_user(con, "ann", "annotator", "long enough")
        with pytest.raises(UserError, match="already exists"):
            add_user(con, "ann", "admin", "long enough")
        with pytest.raises(UserError, match="last admin"):
            remove_user(con, "ada")
        with pytest.raises(UserError, match="last admin"):
            set_role(con, "ada", "annotator")
        set_role(con, "ann", "admin")
        remove_user(con, "ada")
        assert [(u.name, u.role) for u in list_users(con)] == [("ann", "admin")]


def test_can_administer_is_open_without_users_and_admin_only_with_them(tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws.duckdb").open() as con:
        add_user(con, "ada", "admin", "long enough")
        add_user(con, "ann", "annotator", "long enough")
        ada, ann = authenticate(con, "ada", "long enough"), authenticate(con, "ann", "long enough")
    assert can_administer(None, workspace_has_users=False)
    assert can_administer(ada, workspace_has_users=True)
    assert not can_administer(ann, workspace_has_users=True)
    assert not can_administer(None, workspace_has_users=True)


def test_cli_users_add_list_and_a_refused_password(tmp_path: Path) -> None:
    ws = tmp_path / "ws.duckdb"
    added = run_cli("users", "add", "ada", "--role", "admin", "--password-stdin", workspace=ws, input="long enough\n")
    assert added.returncode == 0, added.stderr
    assert "added ada (admin)" in added.stdout
    short = run_cli("users", "add", "bob", "--password-stdin", workspace=ws, input="short\n")
    assert short.returncode == 1 and "at least 8 characters" in short.stderr
    listed = json.loads(run_cli("users", "list", "--json", workspace=ws).stdout)
    assert [(u["name"], u["role"]) for u in listed] == [("ada", "admin")]
    assert "hash" not in json.dumps(listed)
    last = run_cli("users", "remove", "ada", workspace=ws)
    assert last.returncode == 0 and "no users left" in last.stdout


@pytest.fixture
def shared_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo workspace with one admin and one annotator: a shared server's."""
    path = copy_workspace(demo_template(), tmp_path, monkeypatch)
    with Workspace(path).open() as con:
        add_user(con, ADMIN[0], "admin", ADMIN[1])
        add_user(con, ANNOTATOR[0], "annotator", ANNOTATOR[1])
    return path


def _sign_in(name: str, password: str) -> AppTest:
    # AppTest runs app.py once and then each page on its own, where the form's widgets have other ids (they
    # carry the running script's hash), so the form is filled in on the second run's (the home page's) copy
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run().run()
    assert [t.value for t in at.title] == ["Sign in"]
    at.text_input(key="auth_name").input(name)
    at.text_input(key="auth_password").input(password)
    at.button[0].click().run()
    return at


def test_a_shared_workspace_shows_nothing_until_a_sign_in(shared_path: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert not at.metric  # none of the home page's figures
    at.switch_page("pages/catalog.py").run()  # a deep link is gated too
    assert [t.value for t in at.title] == ["Sign in"]


def test_a_wrong_password_is_refused(shared_path: Path) -> None:
    at = _sign_in(ANNOTATOR[0], "not-the-password")
    assert [e.value for e in at.error] == ["Wrong name or password."]
    assert [t.value for t in at.title] == ["Sign in"]
    assert "fcstudio_user" not in at.session_state


def test_an_annotator_reaches_no_admin_action(shared_path: Path) -> None:
    at = _sign_in(*ANNOTATOR)
    no_errors(at)
    assert any("Signed in as **ann** (annotator)" in c.value for c in at.sidebar.caption)
    at.switch_page("pages/catalog.py").run()
    no_errors(at)
    assert not [e for e in at.expander if e.label == "Import files"]
    assert not [b for b in at.button if b.label == "Import"]
    assert not [b for b in at.button if b.label == "Save"]  # the tool edit form
    assert any("Only an admin can edit tools" in i.value for i in at.info)
    at.switch_page("pages/leaderboard.py").run()
    no_errors(at)
    assert not [e for e in at.expander if e.label.startswith("Import results")]
    at.switch_page("pages/export.py").run()
    no_errors(at)
    assert not [b for b in at.button if b.label == "Export"]
    assert any("Only an admin can export" in i.value for i in at.info)
    at.switch_page("pages/graph.py").run()  # the demo has no graph yet: only an admin may build it
    no_errors(at)
    assert not [b for b in at.button if b.label == "Build the graph now"]
    assert any("Only an admin can build the graph" in i.value for i in at.info)
    at.switch_page("pages/preferences.py").run()
    no_errors(at)
    assert not [e for e in at.expander if e.label.startswith("Make pairs")]
    assert not [t for t in at.text_input if t.label == "You are"]  # labels carry the signed-in name
    at.switch_page("pages/trajectories.py").run()
    no_errors(at)
    assert not [e for e in at.expander if e.label.startswith("Synthesise")]


def test_an_admin_reaches_the_admin_actions_and_edits_carry_the_name(shared_path: Path) -> None:
    at = _sign_in(*ADMIN)
    no_errors(at)
    at.switch_page("pages/catalog.py").run()
    assert [e for e in at.expander if e.label == "Import files"]
    assert not [t for t in at.text_input if t.label.startswith("Your name")]  # the name is the signed-in one
    at.text_area(key=next(t.key for t in at.text_area if t.key.startswith("edit_desc_"))).input("Edited by Ada.")
    next(b for b in at.button if b.label == "Save").click().run()
    no_errors(at)
    with Workspace(shared_path).open() as con:
        (edit,) = rows(con, "SELECT editor, description FROM tool_edits")
    assert edit == {"editor": "ada", "description": "Edited by Ada."}


def test_without_users_the_app_opens_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy_workspace(demo_template(), tmp_path, monkeypatch)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    no_errors(at)
    assert "Sign in" not in [t.value for t in at.title]
    at.switch_page("pages/catalog.py").run()
    assert [e for e in at.expander if e.label == "Import files"]


def test_no_export_carries_a_user_or_a_password_hash(shared_path: Path, tmp_path: Path) -> None:
    from fcstudio.prefs.export import KINDS, export
    from fcstudio.synth.trajectories import set_status

    with Workspace(shared_path).open() as con:
        for (tid,) in con.execute("SELECT id FROM trajectories ORDER BY id LIMIT 3").fetchall():
            set_status(con, tid, "accepted")
        written = [export(con, kind, tmp_path / f"{kind}.jsonl", include_all=True) for kind in KINDS]
    assert sum(w["rows"] for w in written) > 0  # something went out, and none of it is about users
    for w in written:
        text = Path(w["path"]).read_text()
        assert "scrypt$" not in text and ANNOTATOR[1] not in text and ADMIN[1] not in text


def _paired(ws: Workspace) -> None:
    from conftest import synthesised_workspace
    from fcstudio.prefs.pairs import make_pairs

    synthesised_workspace(ws.path, seed=11)
    with ws.connect() as con:
        assert make_pairs(con, "perturb", annotators=1, seed=1).created
        add_user(con, ANNOTATOR[0], "annotator", ANNOTATOR[1])


def test_a_label_carries_the_signed_in_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import template

    path = copy_workspace(template("users_paired", _paired), tmp_path, monkeypatch)
    at = _sign_in(*ANNOTATOR)
    at.switch_page("pages/preferences.py").run()
    no_errors(at)
    pid = int(at.subheader[0].value.split()[1])
    at.button(key=f"pick_tie_{pid}").click().run()
    no_errors(at)
    with Workspace(path).open() as con:
        assert rows(con, "SELECT annotator, choice FROM pair_labels") == [{"annotator": "ann", "choice": "tie"}]
