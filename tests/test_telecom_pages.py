"""AppTest of telecom's dual control on the pages: who does what in a task and its gold replay's two diffs;
an episode's calls marked as the agent's or the user's, both states' diffs, and the env assertions."""

from __future__ import annotations

from pathlib import Path

import pytest
from scripted_telecom import ABROAD, DATA_OFF, build_telecom
from streamlit.testing.v1 import AppTest

from conftest import copy_workspace, no_errors, open_page, shared_path, template


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shared = shared_path()
    built = template("telecom", lambda ws: build_telecom(ws, shared))
    return copy_workspace(built, tmp_path, monkeypatch)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_tasks_page_shows_who_does_what_and_both_diffs(workspace: Path) -> None:
    at = open_page("tasks")
    group = at.selectbox(key="tasks_group")
    group.select_index(next(i for i, o in enumerate(group.options) if "telecom" in o)).run()
    opener = at.selectbox(key="tasks_open")
    opener.select_index(next(i for i, o in enumerate(opener.options) if o.startswith(ABROAD))).run()
    no_errors(at)
    gold = at.dataframe[1].value
    assert list(gold["by"]) == ["agent", "user"] and list(gold["tool"]) == ["enable_roaming", "toggle_roaming"]
    assert any("1 of 2 gold actions are the user's own" in c.value for c in at.caption)
    assert any(e.label.startswith("Set-up: 5 initialization actions") for e in at.expander)
    at.button(key=next(b.key for b in at.button if b.label == "Replay gold actions")).click().run()
    no_errors(at)
    m = _metrics(at)
    assert m["Actions run"] == "2" and m["Errors"] == "0" and m["Env assertions met"] == "2 of 2"
    assert len(m["Phone state hash"]) == 12 and len(m["Operator state hash"]) == 12
    labels = [e.label for e in at.expander]
    assert "0. agent · enable_roaming · ok" in labels and "1. user · toggle_roaming · ok" in labels
    assert "changed · lines/L1002 · 1 field" in labels  # the agent's side: roaming on the line
    assert any(x.startswith("changed · user_db/device") for x in labels)  # the user's side: roaming on the phone
    headings = [md.value for md in at.markdown]
    assert "##### The operator's database (the agent's side)" in headings
    assert "##### The user's phone (the user's side)" in headings


def test_episodes_page_marks_the_users_calls_and_diffs_both_states(workspace: Path) -> None:
    at = open_page("episodes")
    at.selectbox(key="ep_outcome").select("all").run()
    opener = at.selectbox(key="ep_open")
    labels = {i: label for i, label in zip(opener.options, opener.options, strict=True)}
    good = next(o for o in labels if ABROAD in o)
    opener.select(good).run()
    no_errors(at)
    m = _metrics(at)
    assert m["Reward"] == "1.00" and m["Agent calls"] == "2" and m["User calls"] == "2"
    steps = at.dataframe[1].value
    assert list(steps["by"]) == ["agent", "agent", "user", "user"]
    assert list(steps["function"]) == ["get_customer_by_phone", "enable_roaming", "toggle_roaming", "run_speed_test"]
    calls = [e.label for e in at.expander]
    assert any("user calls on the phone **toggle_roaming**" in c for c in calls)
    assert any("agent calls **enable_roaming**" in c for c in calls)
    assert any("user's phone · toggle_roaming → result" in c for c in calls)
    assert any("every record matches" in s.value for s in at.success)
    env_checks = next(d.value for d in at.dataframe if "assertion" in d.value.columns)
    assert list(env_checks["met"]) == [True, True] and set(env_checks["side"]) == {"user"}

    bad = next(o for o in opener.options if DATA_OFF in o)
    at.selectbox(key="ep_open").select(bad).run()
    no_errors(at)
    assert _metrics(at)["Reward"] == "0.00" and _metrics(at)["First divergence"] == "user, step 2"
    assert any("the user never called **toggle_data** on the phone" in w.value for w in at.warning)
    assert not any(s.value.startswith("No divergence") for s in at.success)
    assert any(e.label.startswith("differing · user_db/device") for e in at.expander)
    env_checks = next(d.value for d in at.dataframe if "assertion" in d.value.columns)
    assert list(env_checks["met"]) == [False, False]
