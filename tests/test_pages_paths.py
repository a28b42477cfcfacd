"""The Paths page under AppTest: the FSP diagram and its redraw after an edit, duplicate-free sampling, a sample
form Enter does not submit, and a version and counts that are current right after a save."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import copy_of, copy_workspace, demo_template, no_errors, open_page, template
from fcstudio.paths.diagram import fsp_dot
from fcstudio.paths.fsp import FSP
from fcstudio.paths.operations import remove_call, split
from fcstudio.paths.store import get_path
from fcstudio.store import Workspace, scalar


def _graph_only(ws: Workspace) -> None:
    from fcstudio.graph.build import build_graph
    from fcstudio.graph.embed import TfidfEmbedder

    copy_of(demo_template(), ws.path)
    with ws.connect() as con:
        build_graph(con, TfidfEmbedder())


def _with_paths(ws: Workspace) -> None:
    from fcstudio.paths.store import sample_paths

    copy_of(template("paths-page-graph", _graph_only), ws.path)
    with ws.connect() as con:
        sample_paths(con, n=3, steps=3, ops=["merge", "insert"], seed=0)


@pytest.fixture
def graph_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo workspace with its tool graph and no path yet, as the app's workspace."""
    return copy_workspace(template("paths-page-graph", _graph_only), tmp_path, monkeypatch)


@pytest.fixture
def paths_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo workspace with its graph and three sampled paths, as the app's workspace."""
    return copy_workspace(template("paths-page-paths", _with_paths), tmp_path, monkeypatch)


def _dot(at: AppTest) -> str:
    charts = at.get("graphviz_chart")
    assert len(charts) == 1
    return str(charts[0].proto.spec)


def _stored(path: Path, path_id: int) -> FSP:
    with Workspace(path).connect() as con:
        found = get_path(con, path_id)
    assert found is not None
    return found["fsp"]


def _metric(at: AppTest, label: str) -> str:
    return next(str(m.value) for m in at.metric if m.label == label)


def test_the_open_path_is_a_diagram_redrawn_by_every_edit(paths_path: Path) -> None:
    at = open_page("paths")
    path_id = at.selectbox(key="paths_open").value
    stored = _stored(paths_path, path_id)
    assert _dot(at) == fsp_dot(stored)  # the stored path, boxes and arrows
    assert f'id="fsp-call-{len(stored.turns) - 1}-0"' in _dot(at)
    assert any("data flow" in c.value for c in at.caption)

    at.button(key=f"op_sp_p_{path_id}").click().run()  # split: a turn with a withheld argument
    no_errors(at)
    withheld = split(stored, random.Random(len(stored.provenance)), kind="miss_param")
    assert withheld.turns != stored.turns
    assert _dot(at) == fsp_dot(withheld) and "split: missing parameter" in _dot(at)
    assert _metric(at, "Turns") == str(len(withheld.turns))

    at.button(key=f"rm_{path_id}").click().run()  # remove the first call: its box and its arrows go
    no_errors(at)
    removed = remove_call(withheld, 0, 0)
    assert _dot(at) == fsp_dot(removed) and _dot(at).count('class="fsp-call"') == len(removed.calls())

    at.button(key=f"discard_{path_id}").click().run()
    assert _dot(at) == fsp_dot(stored)


def test_sampling_the_same_seed_again_stores_nothing_and_says_so(graph_path: Path) -> None:
    at = open_page("paths")
    sample = next(b.key for b in at.button if b.label == "Sample")
    at.number_input(key=next(n.key for n in at.number_input if n.label == "How many")).set_value(4)
    at.button(key=sample).click().run()
    no_errors(at)
    with Workspace(graph_path).connect() as con:
        stored = int(scalar(con, "SELECT count(*) FROM fsp_paths"))
    assert stored == 8  # 4 paths and their split copies, none alike
    assert any(s.value.startswith(f"Sampled {stored} new paths") for s in at.success)
    assert any(m.value == f"**{stored}** paths" for m in at.markdown)  # the count below is current

    at.button(key=sample).click().run()
    no_errors(at)
    assert not at.success
    assert any("No new path" in i.value and f"Skipped {stored} duplicates" in i.value for i in at.info), [
        i.value for i in at.info
    ]
    with Workspace(graph_path).connect() as con:
        assert int(scalar(con, "SELECT count(*) FROM fsp_paths")) == stored


def test_enter_in_the_sample_form_does_not_submit_it(graph_path: Path) -> None:
    at = open_page("paths")
    (form,) = [f for f in at.form if f.proto.form.form_id == "sample_form"]
    assert form.proto.form.enter_to_submit is False  # the browser submits only on the button
    at.number_input(key=next(n.key for n in at.number_input if n.label == "Seed")).set_value(7).run()
    no_errors(at)
    with Workspace(graph_path).connect() as con:
        assert int(scalar(con, "SELECT count(*) FROM fsp_paths")) == 0


def test_after_a_save_the_page_shows_the_new_version_and_counts(paths_path: Path) -> None:
    at = open_page("paths")
    path_id = at.selectbox(key="paths_open").value
    stored = _stored(paths_path, path_id)
    assert _metric(at, "Version") == "1"
    at.button(key=f"op_sp_f_{path_id}").click().run()  # split: a turn whose function is not offered
    no_errors(at)
    edited = split(stored, random.Random(len(stored.provenance)), kind="miss_func")
    assert len(edited.turns) == len(stored.turns) + 1
    at.button(key=f"save_{path_id}").click().run()
    no_errors(at)
    assert any(s.value == f"Saved as version 2 (path {path_id})." for s in at.success)
    assert _metric(at, "Version") == "2" and _metric(at, "Turns") == str(len(edited.turns))
    table = at.dataframe[0].value
    row = table[table["id"] == path_id].iloc[0]
    assert row["version"] == 2 and row["n_turns"] == len(edited.turns) and row["ops"].endswith("split")
    assert _dot(at) == fsp_dot(_stored(paths_path, path_id)) == fsp_dot(edited)
    at.button(key=f"save_{path_id}").click().run()  # saving again: version 3, not a conflict with version 1
    no_errors(at)
    assert _metric(at, "Version") == "3"


def test_a_stored_path_with_a_wiring_that_does_not_fit_is_flagged(paths_path: Path) -> None:
    """A path saved before the sampler checked fit (or wired by hand) says which argument it fills wrongly."""
    from fcstudio.paths.fsp import ArgSource, Call, Turn
    from fcstudio.paths.store import save_path

    with Workspace(paths_path).connect() as con:
        tools = dict(con.execute("SELECT name, id FROM tools WHERE name IN ('book_hotel', 'reserve_table')").fetchall())
        fed = {"time": ArgSource(kind="output", turn=0, call=0, field="reservation_id")}
        bad = FSP(
            turns=[
                Turn(calls=[Call(tool_id=tools["book_hotel"], name="book_hotel")]),
                Turn(calls=[Call(tool_id=tools["reserve_table"], name="reserve_table", args=fed)]),
            ]
        )
        bad_id = save_path(con, bad, seed=None)
    at = open_page("paths")
    assert not any("Does not fit" in w.value for w in at.warning)  # sampled paths fit
    at.selectbox(key="paths_open").select(bad_id).run()
    no_errors(at)
    (warning,) = [w.value for w in at.warning if "Does not fit" in w.value]
    assert "reserve_table" in warning and "book_hotel.reservation_id" in warning and "date or time" in warning
    assert "fsp-flow-0-0-1-0-time" in _dot(at)  # the diagram still draws it, so it can be seen and fixed
