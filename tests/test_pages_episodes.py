"""AppTest for the Episodes page: a failure explains itself above the tabs; a repeated pair says it exists."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from conftest import copy_workspace, demo_template, no_errors, open_page
from fcstudio.evals import eval_store
from fcstudio.store import Workspace, scalar

WHY = "Why this episode failed"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return copy_workspace(demo_template(), tmp_path, monkeypatch)


def _episode(workspace: Path, task: str, trial: int) -> int:
    with Workspace(workspace).connect() as con:
        (ep,) = [e for e in eval_store.list_episodes(con, task_id=task, outcome="failed") if e["trial"] == trial]
    return int(ep["id"])


def _walk(node: Any) -> Iterator[Any]:
    """Every element of the page in the order it is drawn."""
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _open(workspace: Path, task: str, trial: int) -> AppTest:
    at = open_page("episodes")
    at.selectbox(key="ep_open").select(_episode(workspace, task, trial)).run()
    no_errors(at)
    return at


def test_a_failure_without_divergence_explains_itself_above_the_tabs(workspace: Path) -> None:
    """travel_7 trial 3: every call right, the flight number never said. The reason comes first, in words."""
    at = _open(workspace, "travel_7", 3)
    (why,) = [w for w in at.warning if WHY in w.value]
    assert 'The agent never said "6E5312", a required output.' in why.value
    order = list(_walk(at.main))
    first_tab = next(i for i, n in enumerate(order) if n.type == "tab")
    assert order.index(why) < first_tab
    assert any("The episode failed for the reasons given above" in s.value for s in at.success)


def test_a_wrong_date_is_named_and_a_second_pair_click_says_it_is_queued(workspace: Path) -> None:
    at = _open(workspace, "travel_14", 2)
    (why,) = [w for w in at.warning if WHY in w.value]
    assert "bookings BK4: date is 2026-12-11, expected 2026-12-10" in why.value
    assert "book\\_flight with other arguments than the gold" in why.value  # escaped markdown: shown as typed
    button = next(b for b in at.button if b.label == "Make a preference pair")
    button.click().run()
    (made,) = [s.value for s in at.success if "is in the queue" in s.value]
    pair_id = int(made.split()[1])
    with Workspace(workspace).connect() as con:
        before = scalar(con, "SELECT count(*) FROM pairs")
    next(b for b in at.button if b.label == "Make a preference pair").click().run()
    no_errors(at)
    assert any(f"already in the queue as pair {pair_id}" in i.value for i in at.info)
    assert not any("is in the queue of the" in s.value for s in at.success)
    with Workspace(workspace).connect() as con:
        assert scalar(con, "SELECT count(*) FROM pairs") == before
