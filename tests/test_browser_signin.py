"""Real-browser sign-in on a shared workspace: a wrong password is refused; an annotator finds no admin action."""

from __future__ import annotations

import pytest
from browser_kit import App, _assert_no_exception, _idle, _open
from playwright.sync_api import Page, expect

from fcstudio.store import Workspace
from fcstudio.users import add_user

pytestmark = pytest.mark.browser


def _sign_in(page: Page, name: str, password: str) -> None:
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_an_annotator_signs_in_and_finds_no_admin_action(app: App, page: Page) -> None:
    with Workspace(app.workspace).open() as con:  # the app holds the file only while a rerun runs
        add_user(con, "ada", "admin", "admin-pass-1")
        add_user(con, "ann", "annotator", "annotator-pass-1")
    _open(page, app, "", page.get_by_role("heading", name="Sign in"))
    _sign_in(page, "ann", "wrong-password")
    _idle(page, page.get_by_text("Wrong name or password."))
    _sign_in(page, "ann", "annotator-pass-1")
    _idle(page, page.get_by_text("Signed in as ann (annotator)"))
    for link, ready in (("Catalog", "Every function in the workspace"), ("Leaderboard", "Compare models on tau-bench")):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=link).click()
        _idle(page, page.get_by_text(ready))
        expect(page.get_by_text("Import files")).to_have_count(0)
        expect(page.get_by_text("Import results or run an evaluation")).to_have_count(0)
        expect(page.get_by_role("button", name="Import")).to_have_count(0)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Catalog").click()
    _idle(page, page.get_by_text("Every function in the workspace"))
    page.get_by_role("tab", name="Edit").click()
    expect(page.get_by_text("Only an admin can edit tools. You are signed in as ann (annotator).")).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Export").click()
    _idle(page, page.get_by_text("Training sets a trainer can load"))
    expect(page.get_by_role("button", name="Export")).to_have_count(0)
    _assert_no_exception(page)
    page.get_by_role("button", name="Sign out").click()
    _idle(page, page.get_by_role("heading", name="Sign in"))
