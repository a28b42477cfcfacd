"""The runner on telecom's dual control, against the local OpenAI-protocol server: a scripted user LLM that
calls its own phone tools, an agent that only hears what the user says, and tau2's ENV_ASSERTION reward."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openai_stub import StubServer
from scripted_telecom import ABROAD, DATA_OFF, USER_TOOL_NAMES, respond, run_spec

from conftest import run_cli
from fcstudio.evals import eval_store, review
from fcstudio.evals.runner import create_run, execute_run
from fcstudio.store import Workspace


@pytest.fixture
def played(ws: Workspace, shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("FCSTUDIO_TEST_KEY", "x")
    with StubServer(respond=respond) as stub, ws.connect() as con:
        spec = run_spec(stub.base_url, shared_data / "tau2" / "telecom" / "tasks_small.json")
        summary = execute_run(con, create_run(con, spec))
        episodes = {
            e["task_id"]: review.ensure_review(con, e["id"])
            for e in eval_store.list_episodes(con, run_id=summary.run_id)
        }
        requests = [r["body"] for r in stub.requests if r["path"].endswith("/chat/completions")]
    return {"summary": summary, "episodes": episodes, "requests": requests, "workspace": ws.path}


def test_the_user_acts_on_the_phone_and_the_agent_only_hears_about_it(played: dict) -> None:
    assert played["summary"].episodes == 2 and not played["summary"].failed
    ep = played["episodes"][ABROAD]
    user_calls = [m for m in ep["messages"] if m.get("requestor") == "user" and m["role"] == "user"]
    assert [c["tool_calls"][0]["function"]["name"] for c in user_calls] == ["toggle_roaming", "run_speed_test"]
    results = [m["content"] for m in ep["messages"] if m.get("requestor") == "user" and m["role"] == "tool"]
    assert results[0].startswith("Data Roaming is now ON.")
    assert results[1].startswith("Speed Test Result: 275.00 Mbps (Excellent)")  # roaming allowed by the agent's call
    agent_requests = [b for b in played["requests"] if not b["messages"][0]["content"].startswith("You play")]
    user_requests = [b for b in played["requests"] if b["messages"][0]["content"].startswith("You play")]
    seen_by_agent = json.dumps([b["messages"][1:] for b in agent_requests])  # past the policy, which names tools
    assert "Data Roaming is now" not in seen_by_agent and "toggle_roaming" not in seen_by_agent
    assert {t["function"]["name"] for t in agent_requests[0]["tools"]} >= {"enable_roaming", "get_customer_by_phone"}
    offered = {t["function"]["name"] for t in user_requests[0]["tools"]}
    assert USER_TOOL_NAMES <= offered and "enable_roaming" not in offered and len(offered) == 30
    assert "enable_roaming" not in json.dumps([b["messages"] for b in user_requests])  # the agent's tools stay hidden


def test_rewards_are_tau2s_env_assertions(played: dict) -> None:
    good, bad = played["episodes"][ABROAD], played["episodes"][DATA_OFF]
    assert good["reward"] == 1.0 and good["reward_info"]["used"] == ["ENV_ASSERTION"]
    assert [c["met"] for c in good["reward_info"]["env_assertions"]] == [True, True]
    assert good["reward_info"]["breakdown"]["ENV_ASSERTION"] == 1.0
    assert {(a["name"], a["requestor"], a["matched"]) for a in good["reward_info"]["actions"]} == {
        ("enable_roaming", "assistant", True),
        ("toggle_roaming", "user", True),
    }
    assert bad["reward"] == 0.0 and bad["termination"] == "user_stop"
    assert [c["func_name"] for c in bad["reward_info"]["env_assertions"] if not c["met"]] == [
        "assert_mobile_data_status",
        "assert_internet_speed",
    ]


def test_review_marks_whose_call_and_diffs_both_states(played: dict) -> None:
    good, bad = played["episodes"][ABROAD], played["episodes"][DATA_OFF]
    rows = {(r["name"], r["requestor"], r["status"]) for r in good["review"]["alignment"]}
    assert ("toggle_roaming", "user", "match") in rows and ("enable_roaming", "assistant", "match") in rows
    assert ("run_speed_test", "user", "extra") in rows
    assert good["review"]["diff"] == {}  # both states as the gold leaves them
    # the user never turned data on: the phone's state differs from the gold's, the operator's does not
    assert set(bad["review"]["diff"]) == {"user_db"}
    fields = bad["review"]["diff"]["user_db"]["changed"]["device"]["fields"]
    assert fields["data_enabled"] == [True, False] or fields["data_enabled"] == (True, False)
    rows = [(r["name"], r["requestor"], r["status"]) for r in bad["review"]["alignment"]]
    assert rows == [("check_status_bar", "user", "extra"), ("toggle_data", "user", "missing")]
    assert bad["review"]["divergence"] is None  # no agent action was due: the miss is the user's
    assert bad["review"]["user_divergence"] == 1 and good["review"]["user_divergence"] is None
    printed = run_cli("eval", "review", str(bad["id"]), workspace=played["workspace"])
    assert printed.returncode == 0, printed.stderr
    assert "at step 2 the user never called toggle_data on the phone, which the gold needs" in printed.stdout
    assert "│ user │ missing │" in printed.stdout
