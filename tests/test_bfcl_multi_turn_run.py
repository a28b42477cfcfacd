"""The BFCL multi-turn runner against the local OpenAI-protocol test server, and the pages that show its runs."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from openai_stub import StubServer
from scripted_bfcl import script

from conftest import no_errors, open_page, run_cli, shared_path, template
from fcstudio.envs.bfcl.entries import load_entries
from fcstudio.evals import eval_store
from fcstudio.evals.bfcl_multi_turn import ADDITIONAL_FUNCTIONS_PROMPT, run_multi_turn
from fcstudio.evals.importers import ensure_published
from fcstudio.llm import LLMConfig
from fcstudio.store import Workspace

IDS = {"multi_turn_base_0", "multi_turn_base_1", "multi_turn_miss_func_3"}
FAIL = frozenset({"multi_turn_base_1"})


def _entries() -> list[dict]:
    return load_entries(shared_path("bfcl_v4"), ["multi_turn_base", "multi_turn_miss_func"], ids=IDS)


def _build(ws: Workspace) -> None:
    """A workspace with MAGNET's published table, one scripted multi-turn run and the entries imported as tasks."""
    with StubServer(respond=script(_entries(), FAIL)) as stub, ws.connect() as con:
        ensure_published(con)
        config = LLMConfig(model="scripted-fc", base_url=stub.base_url, concurrency=2)
        run_multi_turn(
            con, shared_path("bfcl_v4"), config, categories=["multi_turn_base", "multi_turn_miss_func"], ids=IDS
        )
    for name in ("multi_turn_base", "multi_turn_miss_func"):
        assert (
            run_cli(
                "import", "bfcl", str(shared_path("bfcl_v4", f"BFCL_v4_{name}.json")), "-w", str(ws.path)
            ).returncode
            == 0
        )


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    built = template("bfcl_multi_turn_run", _build)
    path = tmp_path / "ws.duckdb"
    path.write_bytes(built.read_bytes())
    monkeypatch.setenv("FCSTUDIO_WORKSPACE", str(path))
    return path


def test_runner_plays_checks_and_stores_every_entry(tmp_path: Path) -> None:
    entries = _entries()
    ws = Workspace(tmp_path / "ws.duckdb")
    with StubServer(respond=script(entries, FAIL)) as stub, ws.connect() as con:
        config = LLMConfig(model="scripted-fc", base_url=stub.base_url, concurrency=2)
        summary = run_multi_turn(
            con, shared_path("bfcl_v4"), config, categories=["multi_turn_base", "multi_turn_miss_func"], ids=IDS
        )
        requests = list(stub.requests)
        assert summary.status == "done" and summary.cases == 3 and summary.failed == {}
        assert summary.accuracy == {"multi_turn_base": 0.5, "multi_turn_miss_func": 1.0, "multi_turn_acc": 0.75}
        run = eval_store.get_run(con, summary.run_id)
        assert run["benchmark"] == "bfcl-v3"
        episodes = {
            e["task_id"]: eval_store.get_episode(con, e["id"])
            for e in eval_store.list_episodes(con, run_id=summary.run_id, outcome=None)
        }
    passed, failed = episodes["multi_turn_base_0"], episodes["multi_turn_base_1"]
    assert passed["success"] and passed["reward_info"]["error"] is None
    info = failed["reward_info"]
    assert (
        not failed["success"] and info["error"] == "multi_turn:empty_turn_model_response" and info["failed_turn"] == 1
    )
    # the calls were really executed: the results the model saw are the executor's
    first_turn = passed["reward_info"]["turns"][0]["steps"][0]
    assert first_turn["results"][0] == '{"current_working_directory": "document"}'
    tool_messages = [m for m in passed["messages"] if m["role"] == "tool"]
    assert tool_messages[0]["content"] == first_turn["results"][0] and tool_messages[0]["tool_call_id"] == "call_0"
    # per turn and class, expected vs actual field by field
    review = passed["reward_info"]["review"]
    assert len(review) == 4 and all(r["equal"] for t in review for rows in t["state"].values() for r in rows)
    # miss_func: the held-back function is offered only from its turn on, with BFCL's message
    miss = next(e for e in entries if e["id"] == "multi_turn_miss_func_3")
    ((held_turn, names),) = miss["missed_function"].items()
    mine = [r["body"] for r in requests if r["body"]["messages"][0]["content"] == miss["question"][0][0]["content"]]
    for body in mine:
        offered = {t["function"]["name"] for t in body["tools"]}
        users = [m for m in body["messages"] if m["role"] == "user"]
        assert (set(names) <= offered) == (len(users) > int(held_turn))
        if len(users) > int(held_turn):
            assert users[int(held_turn)]["content"] == ADDITIONAL_FUNCTIONS_PROMPT


def test_a_model_that_never_stops_calling_is_force_terminated(tmp_path: Path) -> None:
    entry = copy.deepcopy(next(e for e in _entries() if e["id"] == "multi_turn_base_0"))

    def respond(body: dict) -> dict:
        return {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c", "type": "function", "function": {"name": "pwd", "arguments": "{}"}}],
        }

    ws = Workspace(tmp_path / "ws.duckdb")
    with StubServer(respond=respond) as stub, ws.connect() as con:
        config = LLMConfig(model="loop", base_url=stub.base_url)
        summary = run_multi_turn(
            con, shared_path("bfcl_v4"), config, ids={entry["id"]}, categories=["multi_turn_base"], max_steps=3
        )
        ep = eval_store.get_episode(con, eval_store.list_episodes(con, run_id=summary.run_id, outcome=None)[0]["id"])
    assert ep["termination"] == "max_steps" and ep["reward_info"]["error"] == "multi_turn:force_terminated"
    assert len(ep["reward_info"]["turns"]) == 1 and len(ep["reward_info"]["turns"][0]["steps"]) == 4


def test_cli_run_dispatches_multi_turn_categories_and_review_shows_the_differing_field(tmp_path: Path) -> None:
    """base_0 leaves out turn 0's last call (its file is never moved), base_1 answers turn 1 with no call."""
    with StubServer(respond=script(_entries(), FAIL, drop_last=frozenset({"multi_turn_base_0"}))) as stub:
        proc = run_cli(
            "bfcl",
            "run",
            "--data",
            str(shared_path("bfcl_v4")),
            "--model",
            "scripted-fc",
            "--base-url",
            stub.base_url,
            "--categories",
            "multi_turn_base",
            "--ids",
            "multi_turn_base_0,multi_turn_base_1",
            "-w",
            str(tmp_path / "ws.duckdb"),
        )
    assert proc.returncode == 0, proc.stderr
    run = json.loads(proc.stdout)
    assert run["accuracy"] == {"multi_turn_base": 0.0, "multi_turn_acc": 0.0}
    ws = ["-w", str(tmp_path / "ws.duckdb")]
    failed = json.loads(run_cli("eval", "episodes", str(run["run"]), "--failed", "--json", *ws).stdout)
    by_task = {e["task_id"]: e["id"] for e in failed}
    got = json.loads(run_cli("eval", "review", str(by_task["multi_turn_base_0"]), "--json", *ws).stdout)
    assert got["error"] == "multi_turn:instance_state_mismatch" and got["failed_turn"] == 0
    (turn,) = got["turns"]
    assert [f["field"] for f in turn["differing"]["GorillaFileSystem"]] == ["root"]
    assert turn["ground_truth_calls"][-1] not in turn["model_calls"]
    text = run_cli("eval", "review", str(by_task["multi_turn_base_1"]), *ws).stdout
    assert "multi_turn:empty_turn_model_response at turn 1" in text


# -- pages -----------------------------------------------------------------------------------------------------
def test_leaderboard_shows_the_run_beside_magnets_rows(workspace: Path) -> None:
    at = open_page("leaderboard")
    at.selectbox(key="lb_bench").select("bfcl-v3").run()
    at.selectbox(key="lb_metric").select("multi_turn_base").run()
    no_errors(at)
    table = at.dataframe[0].value
    assert "scripted-fc" in set(table["model"]) and "MAGNET-14B-mDPO" in set(table["model"])
    assert set(table["source"]) == {"published", "run"}
    wide = next(d.value for d in at.dataframe if "multi_turn_miss_param" in d.value.columns)  # MAGNET's columns
    ours = wide[wide["model"] == "scripted-fc"].iloc[0]
    assert ours["multi_turn_base"] == 0.5 and ours["multi_turn_miss_func"] == 1.0
    assert wide[wide["model"] == "MAGNET-14B-mDPO"].iloc[0]["overall_acc"] > 0


def test_episodes_page_reviews_a_failed_multi_turn_episode(workspace: Path) -> None:
    at = open_page("episodes")
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Failed at turn"] == "1" and metrics["Verdict"] == "invalid"
    assert any("empty_turn_model_response" in w.value for w in at.warning)
    assert any("Turn 1 · failed here" in x.label for x in at.expander)


def test_tasks_page_replays_a_multi_turn_entry_turn_by_turn(workspace: Path) -> None:
    at = open_page("tasks")
    groups = at.selectbox(key="tasks_group")
    at.selectbox(key="tasks_group").select_index(
        next(i for i, o in enumerate(groups.options) if "GorillaFileSystem" in o)
    ).run()
    no_errors(at)
    at.button(key=next(b.key for b in at.button if b.key and b.key.startswith("mt_run_"))).click().run()
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Error results"] == "0" and int(metrics["Calls run"]) > 0
    assert any(x.label.startswith("Turn 0 ·") for x in at.expander)
