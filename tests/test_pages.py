"""Each page under streamlit.testing's AppTest, against real temporary workspaces."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, copy_workspace, demo_template, no_errors
from fcstudio import store
from fcstudio.models import ToolEdit
from fcstudio.store import Workspace

TIMEOUT = 60


@pytest.fixture
def first_run_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "demo.duckdb"  # does not exist: the app's first run builds the demo here
    monkeypatch.setenv("FCSTUDIO_WORKSPACE", str(path))
    return path


@pytest.fixture
def demo_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own copy of the demo workspace, as the app's first run would have built it."""
    return copy_workspace(demo_template(), tmp_path, monkeypatch)


@pytest.fixture
def empty_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "empty.duckdb"
    Workspace(path).open().close()
    monkeypatch.setenv("FCSTUDIO_WORKSPACE", str(path))
    return path


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)


def test_first_run_builds_the_demo_and_home_shows_it(first_run_path: Path) -> None:
    at = _app().run()
    no_errors(at)
    assert first_run_path.exists()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "Tools": "30",
        "Trajectories": "8",
        "Tasks": "34",
        "Datasets": "1",
        "Imports": "4",
        # the pipeline so far: nothing synthesised yet; the shipped scripted run and 33 published tables
        "Graph edges": "0",
        "Function signature paths": "0",
        "Preference pairs": "0",
        "Evaluation runs": "34",
        "Failed episodes": "16",
    }
    assert at.title[0].value.endswith("fcstudio")
    assert any("Recent imports" in s.value for s in at.subheader)


def test_home_on_an_empty_workspace_says_what_to_do(empty_path: Path) -> None:
    at = _app().run()
    no_errors(at)
    assert any("This workspace is empty" in i.value for i in at.info)


def test_catalog_search_filter_and_detail(demo_path: Path) -> None:
    at = _app().run()
    at.switch_page("pages/catalog.py").run()
    no_errors(at)
    assert at.title[0].value.endswith("Catalog")
    at.text_input(key="cat_text").input("navig").run()
    options = at.selectbox(key="cat_tool").options
    assert options == ["navigate  ·  demo", "set_navigation  ·  demo"]
    assert at.subheader[0].value == "navigate"
    at.selectbox(key="cat_tool").select_index(1).run()
    assert at.subheader[0].value == "set_navigation"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Parameters"] == "2" and metrics["Required"] == "1" and metrics["In trajectories"] == "2"
    # parameter-name filter
    at.text_input(key="cat_text").input("").run()
    at.text_input(key="cat_param").input("airport").run()
    assert at.selectbox(key="cat_tool").options == ["get_flight_by_airport  ·  demo"]
    no_errors(at)


def test_catalog_edit_saves_and_refuses_a_stale_edit(demo_path: Path) -> None:
    at = _app().run()
    at.switch_page("pages/catalog.py").run()
    at.text_input(key="cat_text").input("get_weather").run()
    tool_id = at.selectbox(key="cat_tool").value
    # a form submits its fields together with the button
    at.text_area(key=f"edit_desc_{tool_id}").input("Weather for a place and day.")
    at.text_input(key=f"edit_labels_{tool_id}").input("travel, weather, demo")
    at.button[[b.label for b in at.button].index("Save")].click().run()
    no_errors(at)
    assert any("Saved as version 2" in s.value for s in at.success)
    with Workspace(demo_path).connect() as con:
        tool = store.get_tool(con, tool_id)
        assert tool["description"] == "Weather for a place and day." and tool["labels"] == ["travel", "weather", "demo"]
        # someone else saves version 3 while this session still edits version 2
        store.edit_tool(con, ToolEdit(tool_id=tool_id, version=2, description="Theirs.", labels=[]), editor="other")
    at.text_area(key=f"edit_desc_{tool_id}").input("Mine, on top of version 2.")
    at.button[[b.label for b in at.button].index("Save")].click().run()
    assert any("Edit refused" in e.value and "changed by someone else" in e.value for e in at.error)
    with Workspace(demo_path).connect() as con:
        assert store.get_tool(con, tool_id)["description"] == "Theirs."


def test_catalog_empty_states(empty_path: Path) -> None:
    at = _app().run()
    at.switch_page("pages/catalog.py").run()
    no_errors(at)
    assert any("No tools yet" in i.value for i in at.info)


def test_tasks_page_replays_gold_actions_and_shows_the_diff(demo_path: Path) -> None:
    at = _app().run()
    at.switch_page("pages/tasks.py").run()
    no_errors(at)
    group = at.selectbox(key="tasks_group")
    group.select_index(next(i for i, o in enumerate(group.options) if "travel" in o)).run()
    opener = at.selectbox(key="tasks_open")
    opener.select_index(next(i for i, o in enumerate(opener.options) if o.startswith("travel_8 "))).run()
    assert at.subheader[0].value == "Task travel_8"
    at.button(key=next(b.key for b in at.button if b.label == "Replay gold actions")).click().run()
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Actions run"] == "1" and metrics["Errors"] == "0" and metrics["Records changed"] == "2"
    labels = [e.label for e in at.expander]
    assert "changed · bookings/BK1 · 1 field" in labels and "changed · flights/UK851@2026-12-20 · 1 field" in labels


def test_tasks_page_for_a_domain_without_an_environment(demo_path: Path) -> None:
    at = _app().run()
    at.switch_page("pages/tasks.py").run()
    group = at.selectbox(key="tasks_group")
    group.select_index(next(i for i, o in enumerate(group.options) if o.startswith("bfcl"))).run()
    no_errors(at)
    assert any("no executable environment" in i.value for i in at.info)


def test_tasks_page_empty_state(empty_path: Path) -> None:
    at = _app().run()
    at.switch_page("pages/tasks.py").run()
    no_errors(at)
    assert any("No tasks in this workspace yet" in i.value for i in at.info)


def test_graph_page_builds_the_graph_and_shows_a_neighbourhood(demo_path: Path) -> None:
    at = _app().run()
    at.switch_page("pages/graph.py").run()
    no_errors(at)
    assert any("No tool graph yet" in i.value for i in at.info)
    at.button(key=next(b.key for b in at.button if b.label == "Build the graph now")).click().run()
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Tools"] == "30" and int(metrics["Dependency edges"]) > 0
    at.text_input(key="nb_query").input("check_calendar").run()
    at.number_input(key="nb_max").set_value(5).run()
    no_errors(at)
    caption = next(c.value for c in at.caption if "tools and" in c.value)
    assert caption.startswith("5 tools and") and "at most 5 tools" in caption


def test_paths_page_samples_reshapes_and_saves(demo_path: Path) -> None:
    at = _app().run()
    at.switch_page("pages/paths.py").run()
    no_errors(at)
    assert any("there is none yet" in i.value for i in at.info)
    with Workspace(demo_path).connect() as con:
        from fcstudio.graph.build import build_graph
        from fcstudio.graph.embed import TfidfEmbedder

        build_graph(con, TfidfEmbedder(), threshold=0.4, top_k=5)
    at.run()
    assert any("No path yet" in i.value for i in at.info)
    at.button(key=next(b.key for b in at.button if b.label == "Sample")).click().run()
    no_errors(at)
    assert any("Sampled" in s.value for s in at.success)
    path_id = at.selectbox(key="paths_open").value
    turns_before = int(next(m.value for m in at.metric if m.label == "Turns"))
    at.button(key=f"op_sp_p_{path_id}").click().run()
    no_errors(at)
    turns_after = int(next(m.value for m in at.metric if m.label == "Turns"))
    assert turns_after in (turns_before, turns_before + 1)
    at.button(key=f"save_{path_id}").click().run()
    no_errors(at)
    assert any("Saved as version 2" in s.value for s in at.success)
