"""AppTest for the data-pipeline pages: Trajectories, Preferences, Export and the LLM log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import copy_workspace, no_errors, open_page, synthesised_workspace, template
from fcstudio.prefs.pairs import make_pairs
from fcstudio.store import Workspace, rows, scalar


def _make_built(ws: Workspace) -> None:
    synthesised_workspace(ws.path, seed=7)
    with ws.connect() as con:
        make_pairs(con, "perturb", annotators=2, seed=3)


@pytest.fixture
def built() -> Path:
    """The synthesised demo (seed 7) with perturb pairs for 2 annotators: a template, copied by ``workspace``."""
    return template("pages-built", _make_built)


@pytest.fixture
def workspace(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return copy_workspace(built, tmp_path, monkeypatch)


@pytest.fixture
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "empty.duckdb"
    Workspace(path).open().close()
    monkeypatch.setenv("FCSTUDIO_WORKSPACE", str(path))
    return path


def _button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return at.button(key=next(b.key for b in at.button if b.label == label))


def test_trajectories_filter_review_edit_and_diff(workspace: Path) -> None:
    at = open_page("trajectories")
    metrics = {m.label: m.value for m in at.metric}
    with Workspace(workspace).connect() as con:
        synth = int(scalar(con, "SELECT count(*) FROM trajectories WHERE origin = 'synth'"))
    assert metrics["Synthesised"] == str(synth) and metrics["Trajectories"] == str(synth + 8)
    at.selectbox(key="traj_origin").select("synth").run()
    at.selectbox(key="traj_verdict").select("passed").run()
    tid = at.selectbox(key="traj_open").value
    no_errors(at)
    assert any(f"Trajectory #{tid}" in s.value for s in at.subheader)
    assert len(at.chat_message) > 3  # the conversation is drawn as chat bubbles
    _button(at, "Accept").click().run()
    with Workspace(workspace).connect() as con:
        assert scalar(con, "SELECT status FROM trajectories WHERE id = ?", [tid]) == "accepted"
    # edit the first user message (index 1) and save a version; the versions tab then shows the diff. The edit
    # fails re-verification (the user no longer states the values), so the "passed" filter is lifted first.
    at.selectbox(key="traj_verdict").select("any").run()
    at.selectbox(key="traj_open").select(tid).run()
    at.number_input(key=f"edit_idx_{tid}").set_value(1).run()
    at.text_area(key=f"edit_text_{tid}_1").input("A rewritten request, please.").run()
    _button(at, "Save as a new version").click().run()
    no_errors(at)
    with Workspace(workspace).connect() as con:
        assert scalar(con, "SELECT version FROM trajectories WHERE id = ?", [tid]) == 2
    at.run()
    assert any("A rewritten request, please." in c.value and c.language == "diff" for c in at.code)
    assert any("coverage: the user never says" in w.value for w in at.warning)  # re-verified on save


def test_trajectories_refuses_a_call_that_breaks_its_schema(workspace: Path) -> None:
    with Workspace(workspace).connect() as con:
        tid, messages = rows(
            con,
            "SELECT id, messages FROM trajectories WHERE origin = 'synth' AND verified ORDER BY id LIMIT 1",
        )[0].values()
    index = next(i for i, m in enumerate(json.loads(messages)) if m.get("tool_calls"))
    at = open_page("trajectories")
    at.selectbox(key="traj_origin").select("synth").run()
    at.selectbox(key="traj_open").select(tid).run()
    at.number_input(key=f"edit_idx_{tid}").set_value(index).run()
    at.text_area(key=f"edit_args_{tid}_{index}_0").input("{not json").run()
    _button(at, "Save as a new version").click().run()
    assert any(
        f"message {index} (tool_calls.0.function.arguments): tool-call arguments are not JSON" in e.value
        for e in at.error
    )
    with Workspace(workspace).connect() as con:
        assert scalar(con, "SELECT version FROM trajectories WHERE id = ?", [tid]) == 1


def test_preferences_label_counts_and_refuses_nothing_twice(workspace: Path) -> None:
    at = open_page("preferences")
    assert any("Enter your name" in i.value for i in at.info)
    needed = next(m.value for m in at.metric if m.label == "Labels")
    assert needed.startswith("0 of ")
    at.text_input(key="fcstudio_name_annotator").input("ana").run()
    no_errors(at)
    pair_id = int(next(s.value for s in at.subheader if s.value.startswith("Pair ")).split()[1])
    _button(at, "← Left is better").click().run()
    no_errors(at)
    assert any(f"Pair {pair_id} labelled" in s.value for s in at.success)
    assert next(m.value for m in at.metric if m.label == "Labels").startswith("1 of ")
    with Workspace(workspace).connect() as con:
        assert rows(con, "SELECT pair_id, annotator FROM pair_labels") == [{"pair_id": pair_id, "annotator": "ana"}]
    # the queue moved on for ana; ben still sees that pair (it needs two annotators)
    assert not any(s.value == f"Pair {pair_id}" for s in at.subheader)
    at.text_input(key="fcstudio_name_annotator").input("ben").run()
    assert any(s.value == f"Pair {pair_id}" for s in at.subheader)
    _button(at, "Tie (T)").click().run()
    with Workspace(workspace).connect() as con:
        assert scalar(con, "SELECT count(*) FROM pair_labels WHERE pair_id = ?", [pair_id]) == 2
    assert next(m.value for m in at.metric if m.label == "Fully labelled") == "1"


def test_export_writes_the_reviewed_data(workspace: Path, tmp_path: Path) -> None:
    with Workspace(workspace).connect() as con:
        con.execute(
            "UPDATE trajectories SET status = 'accepted' WHERE id = (SELECT min(id) FROM trajectories WHERE verified)"
        )
    at = open_page("export")
    assert next(m.value for m in at.metric if m.label == "Accepted trajectories") == "1"
    next(t for t in at.text_input if t.label == "Folder").input(str(tmp_path / "out"))
    next(b for b in at.button if b.label == "Export").click().run()
    no_errors(at)
    assert any("Wrote 1 rows" in s.value for s in at.success)
    assert (tmp_path / "out" / "sft.jsonl").is_file()


def test_llm_log_lists_jobs(workspace: Path) -> None:
    at = open_page("llm_log")
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Jobs"]) >= 2 and metrics["Model calls"] == "0"
    assert any("made no model call" in c.value for c in at.caption)


@pytest.mark.parametrize(
    "name,text",
    [("trajectories", "No trajectory yet"), ("preferences", "No pair yet"), ("llm_log", "No job has run yet")],
)
def test_empty_states(empty: Path, name: str, text: str) -> None:
    at = open_page(name)
    assert any(text in i.value for i in at.info)
