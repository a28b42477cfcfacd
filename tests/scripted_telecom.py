"""A scripted telecom episode pair for the runner, the pages and the browser, served by ``openai_stub.StubServer``.

The user is the request whose system prompt casts a customer (it is offered the phone's tools), the rest is
the agent. On ABROAD the agent enables roaming and asks the user to turn data roaming on; the user does
it on the phone and runs a speed test: reward 1. On DATA_OFF the user only looks at the status bar and
never turns mobile data back on: the env assertions fail, reward 0, and the phone's state differs.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from openai_stub import StubServer

from fcstudio.catalog.ingest import import_files
from fcstudio.evals.runner import RunSpec, create_run, execute_run
from fcstudio.llm import LLMConfig
from fcstudio.store import Workspace

ABROAD = "[mobile_data_issue]user_abroad_roaming_disabled_off[PERSONA:Hard]"  # agent enable_roaming + user toggle
DATA_OFF = "[mobile_data_issue]data_mode_off[PERSONA:None]"  # the user must toggle data on; this user never does
USER_TOOL_NAMES = {"toggle_roaming", "run_speed_test", "check_status_bar", "toggle_data"}


def _user_call(name: str, n: int) -> dict:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": f"u{n}", "type": "function", "function": {"name": name, "arguments": "{}"}}],
    }


def _agent_call(name: str, arguments: dict, n: int) -> dict:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": f"a{n}", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
        ],
    }


def respond(body: dict) -> object:
    """The user is the request whose system prompt casts a customer; everything else is the agent."""
    messages = body["messages"]
    system = messages[0]["content"]
    if system.startswith("You play a customer"):
        abroad = "abroad in France" in system
        # the agent's words from the user's seat (after the greeting)
        heard = [m["content"] for m in messages if m["role"] == "user"][1:]
        results = [m["content"] for m in messages if m["role"] == "tool"]
        if not heard:
            return re.search(r"Known info: (.*)", system).group(1)  # type: ignore[union-attr]
        last = heard[-1]
        if "roaming on your phone" in last and abroad:
            if not any("Data Roaming is now" in r for r in results):
                return _user_call("toggle_roaming", len(messages))
            if not any("Speed Test Result" in r for r in results):
                return _user_call("run_speed_test", len(messages))
            return "I turned data roaming on and the speed test says Excellent. ###STOP###"
        if "mobile data" in last:  # the unhelpful user: looks at the status bar, changes nothing
            if not results:
                return _user_call("check_status_bar", len(messages))
            return "The status bar says data is disabled. I'd rather not change anything. ###STOP###"
        return "Thanks. ###STOP###"
    said = [m["content"] for m in messages if m["role"] == "user"]
    assert not any(m.get("requestor") for m in messages), "the agent must not see the user's tool use"
    done = [m for m in messages if m["role"] == "tool"]
    if "abroad in France" in said[0]:
        if not done:
            return _agent_call("get_customer_by_phone", {"phone_number": "555-123-2002"}, len(messages))
        if len(done) == 1:
            return _agent_call("enable_roaming", {"customer_id": "C1001", "line_id": "L1002"}, len(messages))
        return "I enabled roaming on your line. Please turn on data roaming on your phone and run a speed test."
    return "Please turn your mobile data on in your phone's settings."


def run_spec(base_url: str, tasks_file: Path, trials: int = 1) -> RunSpec:
    config = {"concurrency": 2, "api_key_env": "FCSTUDIO_TEST_KEY", "base_url": base_url}
    return RunSpec(
        domain="telecom",
        tasks_file=str(tasks_file),
        task_ids=[ABROAD, DATA_OFF],
        trials=trials,
        agent=LLMConfig(model="agent", **config),
        user=LLMConfig(model="user-sim", **config),
    )


def build_telecom(ws: Workspace, shared: Path) -> None:
    """A workspace with telecom's 20 small tasks imported and one scripted run of ABROAD and DATA_OFF."""
    os.environ.setdefault("FCSTUDIO_TEST_KEY", "x")
    tasks_file = shared / "tau2" / "telecom" / "tasks_small.json"
    with StubServer(respond=respond) as stub, ws.connect() as con:
        import_files(con, "tau2-tasks", [tasks_file], dataset="telecom")
        execute_run(con, create_run(con, run_spec(stub.base_url, tasks_file)))
