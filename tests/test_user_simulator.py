"""A simulated user that echoes the agent, repeats itself or says nothing ends the episode as user_error with the
reason, after one round (a small model once echoed ~20 times until max steps); only the stop tokens are a stop."""

from __future__ import annotations

from typing import Any

import pytest
from openai_stub import StubServer

from fcstudio.evals import eval_store
from fcstudio.evals.runner import GREETING, RunSpec, create_run, default_tasks_file, execute_run, user_turn_problem
from fcstudio.llm import LLMConfig
from fcstudio.store import Workspace


def _said(*turns: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"role": "system", "content": "policy"}] + [{"role": r, "content": c} for r, c in turns]


def test_user_turn_problems_in_words() -> None:
    assert user_turn_problem(_said(("assistant", "Hi, how can I help?"), ("user", "Book me a flight."))) is None
    assert user_turn_problem(_said(("assistant", "Hi!"), ("user", "  "))) == "the simulated user said nothing"
    echo = user_turn_problem(
        _said(("assistant", "Hello! How can I assist you today?"), ("user", "hello! how can i assist you today"))
    )
    assert echo == "the simulated user echoed the agent: 'hello! how can i assist you today'"
    again = _said(("assistant", "Hi"), ("user", "My id is 7."), ("assistant", "Which date?"), ("user", "My id is 7."))
    assert user_turn_problem(again) == "the simulated user repeated its previous turn: 'My id is 7.'"
    assert user_turn_problem(_said(("assistant", "Done."), ("user", "Thanks. ###STOP###"))) is None


@pytest.mark.parametrize(
    ("user_says", "reason"),
    [(lambda agent_text: agent_text, "echoed the agent"), (lambda agent_text: "", "said nothing")],
)
def test_an_echoing_or_silent_user_ends_the_episode_as_user_error(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, user_says: Any, reason: str
) -> None:
    monkeypatch.setenv("FCSTUDIO_TEST_KEY", "x")
    calls = {"user": 0, "agent": 0}

    def respond(body: dict[str, Any]) -> object:
        if body.get("tools"):
            calls["agent"] += 1
            return "Hello! How can I assist you today?"
        calls["user"] += 1
        last_agent = [m["content"] for m in body["messages"] if m["role"] == "user"]  # the agent, from the user's seat
        return user_says(last_agent[-1] if last_agent else GREETING)

    config = {"concurrency": 1, "api_key_env": "FCSTUDIO_TEST_KEY"}
    ws = Workspace(tmp_path / "ws.duckdb")
    with StubServer(respond=respond) as stub, ws.connect() as con:
        spec = RunSpec(
            domain="travel",
            tasks_file=str(default_tasks_file("travel")),
            task_ids=["travel_1"],
            trials=1,
            max_steps=30,
            agent=LLMConfig(model="agent", base_url=stub.base_url, **config),
            user=LLMConfig(model="user", base_url=stub.base_url, **config),
        )
        summary = execute_run(con, create_run(con, spec))
        (episode,) = eval_store.list_episodes(con, run_id=summary.run_id)
        full = eval_store.get_episode(con, episode["id"])
    assert full is not None and full["termination"] == "user_error"
    assert calls["user"] == 1 and calls["agent"] == 0  # ended at the first bad turn, not after 30 steps
    assert reason in str(full["reward_info"]) + str(full.get("error") or "") + str(full.get("note") or "")
