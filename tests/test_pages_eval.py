"""AppTest for the evaluation pages: Leaderboard and Episodes, on the demo workspace and an empty one."""

from __future__ import annotations

from pathlib import Path

import pytest
from openai_stub import StubServer
from scripted_eval import script
from streamlit.testing.v1 import AppTest

from conftest import copy_workspace, demo_template, no_errors, open_page
from fcstudio.store import Workspace, scalar


@pytest.fixture
def built() -> Path:
    return demo_template()


@pytest.fixture
def workspace(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return copy_workspace(built, tmp_path, monkeypatch)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_leaderboard_mixes_published_and_own_runs(workspace: Path) -> None:
    at = open_page("leaderboard")
    at.selectbox(key="lb_bench").select("tau2").run()
    at.selectbox(key="lb_domain").select("airline").run()
    no_errors(at)
    m = _metrics(at)
    assert m["Published"] == "9" and m["Best pass^1"] == "73.0%"  # Gemini 3.0 Pro on airline
    table = at.dataframe[0].value
    assert table["model"].iloc[0] == "Gemini 3.0 Pro" and set(table["source"]) == {"published"}
    at.selectbox(key="lb_metric").select("pass^4").run()
    assert "Best pass^4" in _metrics(at)
    # the demo's own run: a reliability curve and a drill-down that leads to its failed episodes
    at.selectbox(key="lb_bench").select("fcstudio").run()
    no_errors(at)
    assert _metrics(at)["Your runs"] == "1"
    assert len(at.get("plotly_chart")) >= 3  # bar, pass^k curves, outcomes
    review = next(b for b in at.button if b.label.startswith("Review the"))
    review.click().run()
    no_errors(at)
    assert at.session_state["ep_outcome"] == "failed"


def test_leaderboard_runs_an_evaluation_against_a_local_server(workspace: Path) -> None:
    """The page's run form: agent and user models at a real local OpenAI-protocol endpoint, priced."""
    with StubServer(respond=script({"travel_7"})) as stub:
        at = open_page("leaderboard")
        at.selectbox(key="lb_run_domain").select("travel").run()
        at.text_input(key="lb_run_tasks").input("travel_0, travel_7")
        for side in ("lb_agent", "lb_user"):
            at.text_input(key=f"{side}_model").input(side)
            at.text_input(key=f"{side}_url").input(stub.base_url)
        at.number_input(key="lb_agent_price_in").set_value(2.0)
        at.number_input(key="lb_agent_price_out").set_value(8.0).run()
        next(b for b in at.button if b.key == "lb_run_go").click().run()
    no_errors(at)
    (done,) = [s.value for s in at.success]
    # 2 episodes x 4 calls of 10 prompt + 5 completion tokens; only the agent's are priced ($2 / $8 per million)
    assert "2 episodes, pass^1 = 0.50, 120 tokens, $0.0002." in done, done
    at.selectbox(key="lb_bench").select("fcstudio").run()
    assert _metrics(at)["Your runs"] == "2"  # the demo's scripted run and this one
    with Workspace(workspace).connect() as con:
        assert scalar(con, "SELECT count(*) FROM episodes WHERE NOT success AND task_id = 'travel_7'") >= 1


def test_leaderboard_bfcl_v3_published_table(workspace: Path) -> None:
    at = open_page("leaderboard")
    at.selectbox(key="lb_bench").select("bfcl-v3").run()
    at.selectbox(key="lb_metric").select("multi_turn_acc").run()
    no_errors(at)
    table = at.dataframe[0].value
    assert table["model"].iloc[0] == "WATT-TOOL-70B (FC)" and "MAGNET-14B-mDPO" in set(table["model"])
    assert all("Magnet: Multi-turn Tool-use Data Synthesis" in c for c in table["citation"])
    assert "episodes" not in table.columns  # published rows have none: no column of zeros
    # a published run's drill-down charts every score it has
    at.selectbox(key="lb_run").select(table["run_id"].iloc[0]).run()
    no_errors(at)
    (chart,) = [c for c in at.get("plotly_chart") if "every score of the run" in c.proto.spec]
    assert "multi_turn_miss_param" in chart.proto.spec


def test_episodes_review_and_pair(workspace: Path) -> None:
    at = open_page("episodes")
    m = _metrics(at)
    assert m["Episodes in run"] == "88" and int(m["Failed"]) > 0
    assert m["First divergence"] != "none"
    charts = " ".join(c.proto.spec for c in at.get("plotly_chart"))
    assert "Success rate per task over its trials (22 tasks)" in charts and "How episodes ended" in charts
    assert any("First divergence at step" in w.value for w in at.warning)
    with Workspace(workspace).connect() as con:
        before = scalar(con, "SELECT count(*) FROM pairs")
    # open each failed episode until one has a state diff, then make a pair from it
    for episode in at.selectbox(key="ep_open").options:
        at.selectbox(key="ep_open").select(episode).run()
        if "Records only in expected" in _metrics(at) and _metrics(at)["Records only in expected"] != "0":
            break
    no_errors(at)
    assert "Records differing" in _metrics(at)
    pair = next(b for b in at.button if b.label == "Make a preference pair")
    pair.click().run()
    assert any("is in the queue of the **Preferences** page" in s.value for s in at.success), [
        e.value for e in at.error
    ]
    with Workspace(workspace).connect() as con:
        assert scalar(con, "SELECT count(*) FROM pairs") == before + 1
        assert scalar(con, "SELECT strategy FROM pairs ORDER BY id DESC LIMIT 1") == "failed_episode"


def test_episodes_tags_and_a_bad_chosen_call(workspace: Path) -> None:
    at = open_page("episodes")
    eid = at.selectbox(key="ep_open").value
    at.text_input(key=f"ep_tags_in_{eid}").input("wrong flight, policy")
    at.text_area(key=f"ep_note_{eid}").input("booked before confirming")
    next(b for b in at.button if b.label == "Save tags and note").click().run()
    no_errors(at)
    with Workspace(workspace).connect() as con:
        assert scalar(con, "SELECT tags FROM episodes WHERE id = ?", [eid]) == ["policy", "wrong flight"]
    at.text_area(key=f"ep_chosen_{eid}").input("{not json").run()
    next(b for b in at.button if b.label == "Make a preference pair").click().run()
    assert any("The chosen call is not JSON" in e.value for e in at.error)
    assert not at.exception


def test_empty_states(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "empty.duckdb"
    Workspace(path).open().close()
    monkeypatch.setenv("FCSTUDIO_WORKSPACE", str(path))
    at = open_page("leaderboard")
    assert any("No results in this workspace yet" in i.value for i in at.info)
    next(b for b in at.button if b.label == "Load published tables").click().run()
    at.run()
    no_errors(at)
    assert _metrics(at)["Published"] != "0"
    at = open_page("episodes")
    assert any("No episodes to review yet" in i.value for i in at.info)
