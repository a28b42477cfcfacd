"""Evaluation: importers, pass^k/pass@k, the runner against a local OpenAI-protocol server, review and pairs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from math import comb
from pathlib import Path

import pytest
from openai_stub import StubServer
from scripted_eval import reason_for_call, script
from scripted_eval import travel_tasks as _travel

from conftest import ROOT, demo_workspace, run_cli
from fcstudio.evals import eval_store, review
from fcstudio.evals.importers import EvalImportError, ensure_published, import_results
from fcstudio.evals.metrics import pass_at_k, pass_hat_k, report
from fcstudio.evals.rewards import EvalTask, action_matches, evaluate
from fcstudio.evals.runner import RunSpec, create_run, default_tasks_file, execute_run
from fcstudio.evals.tau2_export import to_tau2_results
from fcstudio.llm import LLMConfig
from fcstudio.prefs.export import dpo_rows
from fcstudio.prefs.labels import label_pair
from fcstudio.prefs.pairs import get_pair, list_pairs
from fcstudio.store import Workspace, rows, run, scalar

GPT4O = Path("tau_bench_v1") / "historical_trajectories" / "gpt-4o-airline.json"


# -- metrics ---------------------------------------------------------------------------------------------
def test_estimators_by_hand() -> None:
    assert pass_hat_k(4, 2, 2) == pytest.approx(1 / 6)
    assert pass_at_k(4, 2, 2) == pytest.approx(5 / 6)
    assert pass_hat_k(4, 4, 4) == 1.0 and pass_at_k(4, 0, 3) == 0.0
    rep = report([("a", True), ("a", False), ("b", True), ("b", True)])
    assert rep["trials"] == 2 and rep["pass_hat_k"]["2"] == pytest.approx(0.5)
    assert rep["pass_at_k"]["2"] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        pass_hat_k(2, 1, 3)


def test_gpt4o_airline_import_gives_published_reliability(ws: Workspace, shared_data: Path) -> None:
    path = shared_data / GPT4O
    raw = json.loads(path.read_text())
    per_task: dict[str, list[bool]] = defaultdict(list)
    for e in raw:
        per_task[str(e["task_id"])].append(e["reward"] >= 1)
    expected = {
        str(k): sum(comb(sum(v), k) / comb(len(v), k) for v in per_task.values()) / len(per_task) for k in range(1, 5)
    }
    proc = run_cli("eval", "import", "tau-bench", str(path), workspace=ws.path)
    assert proc.returncode == 0, proc.stderr
    run_id = int(proc.stdout.split()[0])
    rep = json.loads(run_cli("eval", "report", str(run_id), "--json", workspace=ws.path).stdout)
    assert rep["episodes"] == 200 and rep["tasks"] == 50 and rep["trials"] == 4
    assert rep["pass_hat_k"]["1"] == pytest.approx(0.42)
    for k in ("2", "3", "4"):
        assert rep["pass_hat_k"][k] == pytest.approx(expected[k])
        assert 0 <= rep["pass_at_k"][k] <= 1
    assert rep["pass_hat_k"]["4"] < rep["pass_hat_k"]["1"] < rep["pass_at_k"]["4"]
    # importing the same file again makes nothing new
    again = run_cli("eval", "import", "tau-bench", str(path), workspace=ws.path)
    assert again.stdout.split() == [str(run_id)]
    with ws.connect() as con:
        assert scalar(con, "SELECT count(*) FROM episodes") == 200
        run_info = eval_store.get_run(con, run_id)
        assert run_info["model"] == "gpt-4o" and run_info["domain"] == "airline"


def test_review_of_a_real_failed_episode(ws: Workspace, shared_data: Path) -> None:
    with ws.connect() as con:
        (run_id,) = import_results(con, "tau-bench", shared_data / GPT4O)
        failed = eval_store.list_episodes(con, run_id=run_id, outcome="failed")
        assert len(failed) == 116
        ep = review.ensure_review(con, failed[0]["id"])
        rev = ep["review"]
        # task 0: the agent booked with one paid bag too many; the states differ in that reservation
        at = rev["divergence"]
        assert rev["alignment"][at] | {} and rev["alignment"][at]["name"] == "book_reservation"
        assert rev["alignment"][at]["status"] == "mismatch"
        assert rev["executable"] and not rev["db_match"]
        changed = rev["diff"]["reservations"]["changed"]
        (rid,) = changed
        fields = changed[rid]["fields"]
        assert "nonfree_baggages" in fields and fields["nonfree_baggages"] == [0, 1]
        pair_id = review.make_episode_pair(con, failed[0]["id"])
        pair = get_pair(con, pair_id)
        assert pair["strategy"] == "failed_episode" and pair["episode_ref"].endswith(f"#{failed[0]['id']}")
        assert len(pair["prefix"]) == rev["divergence_message"]
        chosen_args = json.loads(pair["chosen"][0]["tool_calls"][0]["function"]["arguments"])
        rejected_args = json.loads(pair["rejected"][0]["tool_calls"][0]["function"]["arguments"])
        assert chosen_args["nonfree_baggages"] == 0 and rejected_args["nonfree_baggages"] == 1
        assert pair["chosen"][1]["role"] == "tool" and "Error" not in pair["chosen"][1]["content"]
        assert any(t["function"]["name"] == "book_reservation" for t in pair["tools"])
        # asked again (a second click), the same pair comes back; an edited chosen call is a pair of its own
        pairs_before = scalar(con, "SELECT count(*) FROM pairs")
        assert review.make_episode_pair(con, failed[0]["id"]) == pair_id
        assert scalar(con, "SELECT count(*) FROM pairs") == pairs_before
        edited = {"name": "book_reservation", "arguments": {**chosen_args, "nonfree_baggages": 2}}
        assert review.make_episode_pair(con, failed[0]["id"], chosen_call=edited) != pair_id
        # labelled, it leaves as DPO training data like any other pair
        label_pair(con, pair_id, "ana", "chosen")
        (row,) = [r for r in dpo_rows(con) if r["id"] == f"pair-{pair_id}"]
        assert row["strategy"] == "failed_episode" and row["prompt"][-1]["role"] in ("user", "tool")


def test_rebuilt_states_agree_with_tau_bench_on_every_episode(ws: Workspace, shared_data: Path) -> None:
    """Replaying gold and agent calls on the initial database gives tau-bench's own DB verdict (r_actions)."""
    with ws.connect() as con:
        (run_id,) = import_results(con, "tau-bench", shared_data / GPT4O)
        verdicts = []
        for e in eval_store.list_episodes(con, run_id=run_id, limit=1000):
            ep = review.ensure_review(con, e["id"])
            recorded = (ep["reward_info"].get("info") or {}).get("r_actions")
            if recorded is not None:
                verdicts.append((recorded == 1.0, ep["review"]["db_match"], e["success"]))
    assert len(verdicts) == 182
    assert [mine for _, mine, _ in verdicts] == [theirs for theirs, _, _ in verdicts]
    assert all(db for db, _, success in verdicts if success)  # no success without the right final state


def test_reward_rules_follow_tau2() -> None:
    gold = {"name": "f", "arguments": {"a": 1, "b": 2}, "compare_args": None}
    assert action_matches(gold, {"name": "f", "arguments": {"a": 1}})  # only the call's own arguments compare
    assert not action_matches(gold, {"name": "f", "arguments": {"a": 2}})
    assert action_matches({**gold, "compare_args": ["b"]}, {"name": "f", "arguments": {"a": 9, "b": 2}})
    task = EvalTask("t", "travel", [gold], outputs=["1,234"], reward_basis=("DB", "COMMUNICATE"))
    said = [{"role": "assistant", "content": "It costs 1,234 dollars"}]
    assert evaluate(task, said, "user_stop", db={"match": True})["reward"] == 0.0  # "1,234" vs "1234"
    task.outputs = ["1234"]
    assert evaluate(task, said, "user_stop", db={"match": True})["reward"] == 1.0
    assert evaluate(task, said, "max_steps", db={"match": True})["reward"] == 0.0
    assert evaluate(task, said, "user_stop", db={"match": False})["reward"] == 0.0


# -- the runner ---------------------------------------------------------------------------------------------
def _spec(base_url: str, tasks: list[str], trials: int = 2) -> RunSpec:
    config = {"base_url": base_url, "concurrency": 4, "api_key_env": "FCSTUDIO_TEST_KEY"}
    return RunSpec(
        domain="travel",
        tasks_file=str(default_tasks_file("travel")),
        task_ids=tasks,
        trials=trials,
        agent=LLMConfig(model="agent", **config),
        user=LLMConfig(model="user", **config),
    )


def test_runner_end_to_end_with_a_failing_episode(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FCSTUDIO_TEST_KEY", "x")
    counter: dict[str, int] = {}
    with StubServer(respond=script({"travel_7"}, counter)) as stub, ws.connect() as con:
        summary = execute_run(con, create_run(con, _spec(stub.base_url, ["travel_0", "travel_7", "travel_10"])))
    assert summary.episodes == 6
    assert summary.report["pass_hat_k"] == {"1": pytest.approx(2 / 3), "2": pytest.approx(2 / 3)}
    assert counter == {"agent": 12, "user": 12}  # per episode: request + answer, and user start + stop
    with ws.connect() as con:
        eps = {(e["task_id"], e["trial"]): e for e in eval_store.list_episodes(con, run_id=summary.run_id)}
        bad = review.ensure_review(con, eps[("travel_7", 0)]["id"])
        good = review.ensure_review(con, eps[("travel_10", 1)]["id"])
        job = rows(con, "SELECT calls, prompt_tokens FROM jobs WHERE id = ?", [summary.job_id])[0]
    assert bad["reward"] == 0 and bad["termination"] == "user_stop"
    assert bad["reward_info"]["breakdown"]["DB"] == 0.0
    assert bad["review"]["diff"]  # the booking the gold makes is missing, the seat count differs
    assert set(bad["review"]["diff"]) == {"bookings", "flights"}
    row = bad["review"]["alignment"][bad["review"]["divergence"]]
    assert row["status"] == "mismatch" and row["name"] == "book_flight" and row["kind"] == "write"
    assert good["reward"] == 1 and good["review"]["diff"] == {} and good["review"]["divergence"] is None
    assert good["messages"][0]["role"] == "system" and "<policy>" in good["messages"][0]["content"]
    assert any(m.get("role") == "tool" for m in good["messages"])
    assert job["calls"] == 24 and job["prompt_tokens"] == 240


def _by_scenario(agent_turn, judge=None):  # type: ignore[no-untyped-def]
    """A server whose user states the scenario's first line and then stops; the agent is ``agent_turn``.

    ``agent_turn(reason, messages)`` gets the user's opening (the scenario's reason for calling)."""

    def respond(body: dict) -> object:
        messages = body["messages"]
        if body.get("tools"):
            opening = next(m["content"] for m in messages if m["role"] == "user")
            return agent_turn(opening, messages)
        if messages[0]["role"] == "user":  # the NL-assertion judge: one prompt, no system message
            return judge(messages[0]["content"]) if judge else "{}"
        said = [m for m in messages if m["role"] == "user"]  # the agent's texts, as the user simulator sees them
        if len(said) > 1:
            return "Thanks. ###STOP###"
        return reason_for_call(messages[0]["content"])

    return respond


def _call(name: str, arguments: str, n: int = 0) -> dict:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": f"c{n}", "type": "function", "function": {"name": name, "arguments": arguments}}],
    }


def test_runner_termination_rules(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """max steps, broken tool calls (too many errors), a model that cannot answer: each named, each reward 0."""
    from openai_stub import Status

    monkeypatch.setenv("FCSTUDIO_TEST_KEY", "x")
    reasons = {t.task_id: t.raw["user_scenario"]["instructions"]["reason_for_call"] for t in _travel().values()}

    def agent(opening: str, messages: list[dict]) -> object:
        n = sum(1 for m in messages if m["role"] == "assistant")
        if opening == reasons["travel_0"]:  # loops on a read tool forever
            return _call("get_flight_by_airport", '{"airport_symbol": "DEL", "direction": "arrivals"}', n)
        if opening == reasons["travel_1"]:  # emits broken JSON, then a tool that does not exist
            return _call("get_weather", '{"location": "Paris",', n) if n % 2 else _call("teleport", "{}", n)
        return Status(400)  # travel_2: the endpoint refuses (a 4xx is not retried)

    spec = _spec("", ["travel_0", "travel_1", "travel_2"], trials=1).model_copy(
        update={"max_steps": 5, "max_errors": 3}
    )
    with StubServer(respond=_by_scenario(agent)) as stub, ws.connect() as con:
        spec.agent.base_url = spec.user.base_url = stub.base_url  # type: ignore[union-attr]
        summary = execute_run(con, create_run(con, spec))
        eps = {e["task_id"]: eval_store.get_episode(con, e["id"]) for e in eval_store.list_episodes(con)}
    assert summary.episodes == 3 and summary.report["pass_hat_k"]["1"] == 0.0
    loop, broken, refused = eps["travel_0"], eps["travel_1"], eps["travel_2"]
    assert loop["termination"] == "max_steps" and loop["reward"] == 0
    assert sum(1 for m in loop["messages"] if m.get("tool_calls")) == 5
    assert "ended early (max_steps): reward 0" in loop["reward_info"]["notes"]
    assert broken["termination"] == "too_many_errors"
    errors = [m["content"] for m in broken["messages"] if m["role"] == "tool"]
    assert len(errors) == 3 and all(e.startswith("Error") for e in errors)
    assert any("get_weather" in e and "JSON" in e for e in errors), errors  # the broken call is named
    assert refused["termination"] == "agent_error" and refused["reward"] == 0
    assert any("model error" in n and "400" in n for n in refused["reward_info"]["notes"])


def test_runner_transfer_ends_an_airline_episode(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, shared_data: Path
) -> None:
    monkeypatch.setenv("FCSTUDIO_TEST_KEY", "x")

    def agent(opening: str, messages: list[dict]) -> object:
        return _call("transfer_to_human_agents", '{"summary": "The user wants a refund we cannot give."}')

    config = {"concurrency": 2, "api_key_env": "FCSTUDIO_TEST_KEY"}
    with StubServer(respond=_by_scenario(agent)) as stub, ws.connect() as con:
        spec = RunSpec(
            domain="airline",
            tasks_file=str(default_tasks_file("airline")),
            task_ids=["0"],
            agent=LLMConfig(model="agent", base_url=stub.base_url, **config),
            user=LLMConfig(model="user", base_url=stub.base_url, **config),
        )
        summary = execute_run(con, create_run(con, spec))
        (ep,) = [eval_store.get_episode(con, e["id"]) for e in eval_store.list_episodes(con, run_id=summary.run_id)]
        run_info = eval_store.get_run(con, summary.run_id)
    assert ep["termination"] == "transfer" and ep["messages"][-1]["role"] == "tool"
    assert ep["messages"][-1]["content"] == "Transfer successful"
    assert run_info["benchmark"] == "tau2"  # own airline runs sit beside the published tau2 rows
    # airline task 0 wants a refused cancellation: no gold action, so the untouched DB passes the check
    assert ep["reward_info"]["breakdown"]["DB"] == 1.0


def test_runner_judges_nl_assertions(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FCSTUDIO_TEST_KEY", "x")
    tasks = json.loads(default_tasks_file("travel").read_text())[:2]
    for t in tasks:
        t["evaluation_criteria"]["nl_assertions"] = ["The agent names the flight number."]
        t["evaluation_criteria"]["reward_basis"] = ["DB", "NL_ASSERTION"]
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks))
    gold = {t["user_scenario"]["instructions"]["reason_for_call"]: t for t in tasks}
    prompts: list[str] = []

    def agent(opening: str, messages: list[dict]) -> object:
        return "Flight AI202 lands at 10:00." if "DEL" in opening else "I cannot tell."

    def judge(prompt: str) -> str:
        prompts.append(prompt)
        met = "AI202" in prompt
        return json.dumps({"results": [{"assertion": "x", "met": met, "reason": "AI202 said" if met else "no"}]})

    with StubServer(respond=_by_scenario(agent, judge)) as stub, ws.connect() as con:
        config = {"base_url": stub.base_url, "concurrency": 2, "api_key_env": "FCSTUDIO_TEST_KEY"}
        spec = RunSpec(
            domain="travel",
            tasks_file=str(path),
            agent=LLMConfig(model="agent", **config),
            user=LLMConfig(model="user", **config),
            judge=LLMConfig(model="judge", **config),
        )
        summary = execute_run(con, create_run(con, spec))
        eps = {e["task_id"]: eval_store.get_episode(con, e["id"]) for e in eval_store.list_episodes(con)}
    assert len(prompts) == 2 and all("The agent names the flight number." in p for p in prompts)
    said, silent = eps[tasks[0]["id"]], eps[tasks[1]["id"]]
    assert "DEL" in next(iter(gold))  # travel_0 asks about DEL
    # travel_0's gold is a read: the DB matches whatever was said; the judge decides
    assert said["reward"] == 1.0 and said["reward_info"]["nl"][0] == {
        "assertion": "The agent names the flight number.",
        "met": True,
        "reason": "AI202 said",
    }
    assert said["reward_info"]["used"] == ["DB", "NL_ASSERTION"]
    assert silent["reward"] == 0.0 and silent["reward_info"]["breakdown"]["NL_ASSERTION"] == 0.0
    assert summary.report["pass_hat_k"]["1"] == 0.5


def test_runner_resumes_without_replaying_done_episodes(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FCSTUDIO_TEST_KEY", "x")
    counter: dict[str, int] = {}
    with StubServer(respond=script(set(), counter)) as stub, ws.connect() as con:
        run_id = create_run(con, _spec(stub.base_url, ["travel_0", "travel_1"], trials=3))
        execute_run(con, run_id)
        where = "run_id = ? AND task_id = 'travel_1' AND trial = 2"
        (lost,) = run(con, f"SELECT messages FROM episodes WHERE {where}", [run_id])[0]
        run(con, f"DELETE FROM episodes WHERE {where}", [run_id])
        before = dict(counter)
        again = execute_run(con, run_id)
        (remade,) = run(con, f"SELECT messages FROM episodes WHERE {where}", [run_id])[0]
    assert again.episodes == 1 and again.skipped == 5
    # the interrupted episode is played again from the cache: same conversation, nothing paid twice
    assert counter == before and json.loads(remade) == json.loads(lost)
    assert again.report["episodes"] == 6
    # each trial is its own request (the trial salts the cache key): 3 trials x 2 tasks x 2 agent turns
    assert before["agent"] == 12


def test_runner_cli_and_tau2_round_trip(tmp_path: Path) -> None:
    wsp = tmp_path / "ws.duckdb"
    with StubServer(respond=script({"travel_14"})) as stub:
        proc = run_cli(
            "eval", "run", "--domain", "travel", "--tasks", "travel_0,travel_14", "--agent-model", "a",
            "--user-model", "u", "--base-url", stub.base_url, "--trials", "2", "--concurrency", "2",
            "--agent-price-in", "2", "--agent-price-out", "8", "--user-price-in", "1", "--user-price-out", "1",
            workspace=wsp, env={"OPENAI_API_KEY": "x"},
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["report"]["pass_hat_k"]["1"] == 0.5 and summary["episodes"] == 4
    # every call is 10 prompt + 5 completion tokens; an episode is 2 agent and 2 user calls
    per_episode = 2 * (10 * 2 + 5 * 8) / 1e6 + 2 * (10 * 1 + 5 * 1) / 1e6
    assert summary["usage"]["cost"] == pytest.approx(4 * per_episode)
    with Workspace(wsp).connect() as con:
        costs = [e["cost"] for e in map(lambda e: eval_store.get_episode(con, e["id"]), eval_store.list_episodes(con))]
    assert costs == [pytest.approx(per_episode)] * 4
    out = tmp_path / "results.json"
    assert run_cli("eval", "export", str(summary["run"]), "--out", str(out), workspace=wsp).returncode == 0
    other = tmp_path / "other.duckdb"
    imported = run_cli("eval", "import", "tau2-results", str(out), workspace=other)
    assert imported.returncode == 0, imported.stderr
    rep = json.loads(run_cli("eval", "report", imported.stdout.strip(), "--json", workspace=other).stdout)
    assert rep["pass_hat_k"] == summary["report"]["pass_hat_k"]
    with Workspace(other).connect() as con:
        ep = eval_store.list_episodes(con, outcome="failed")[0]
        rev = review.ensure_review(con, ep["id"])["review"]
        assert rev["executable"] and rev["diff"]  # re-executed from the imported calls
    pair = run_cli("eval", "pair", str(ep["id"]), workspace=other)
    assert pair.returncode == 0, pair.stderr
    with Workspace(other).connect() as con:
        assert list_pairs(con)[0]["episode_ref"].endswith(f"#{ep['id']}")


def test_runner_killed_mid_run_resumes_from_the_cli(tmp_path: Path) -> None:
    """SIGKILL while episodes are in flight; ``--resume`` finishes the run with no duplicate and no lost trial."""
    wsp = tmp_path / "ws.duckdb"
    counter: dict[str, int] = {}
    tasks = ",".join(f"travel_{i}" for i in range(6))
    with StubServer(respond=script(set(), counter), latency=0.15) as stub:
        cmd = [sys.executable, "-m", "fcstudio", "eval", "run", "--domain", "travel", "--tasks", tasks,
               "--agent-model", "a", "--user-model", "u", "--base-url", stub.base_url, "--trials", "2",
               "--concurrency", "2", "--workspace", str(wsp)]  # fmt: skip
        env = {**os.environ, "OPENAI_API_KEY": "x"}
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 60
        while sum(counter.values()) < 14 and time.monotonic() < deadline:  # 3 of 12 episodes are done by then
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        paid_before = sum(counter.values())
        with Workspace(wsp).connect() as con:
            (run_id,) = [r["id"] for r in eval_store.list_runs(con)]
            kept = scalar(con, "SELECT count(*) FROM episodes")
            assert eval_store.get_run(con, run_id)["status"] == "running"
        assert 1 <= kept < 12
        resumed = run_cli("eval", "run", "--resume", str(run_id), workspace=wsp, env={"OPENAI_API_KEY": "x"})
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["resumed_past"] == kept and summary["episodes"] == 12 - kept
    assert summary["report"]["episodes"] == 12 and summary["report"]["pass_hat_k"] == {"1": 1.0, "2": 1.0}
    with Workspace(wsp).connect() as con:
        keys = run(con, "SELECT task_id, trial FROM episodes WHERE run_id = ?", [run_id])
        assert len(keys) == len(set(keys)) == 12
        assert eval_store.get_run(con, run_id)["status"] == "done"
    # no request of a stored episode is made again: 4 per episode, for the missing ones at most
    assert sum(counter.values()) - paid_before <= 4 * (12 - kept)


def test_runner_refuses_bad_requests(ws: Workspace) -> None:
    keyless = {"OPENAI_API_KEY": ""}
    proc = run_cli("eval", "run", "--domain", "travel", "--agent-model", "a", workspace=ws.path, env=keyless)
    assert proc.returncode == 2 and "no API key" in proc.stderr  # said before anything starts
    key = {"OPENAI_API_KEY": "sk-test"}
    proc = run_cli(
        "eval",
        "run",
        "--domain",
        "travel",
        "--tasks",
        "nope",
        "--agent-model",
        "a",
        "--user-model",
        "u",
        workspace=ws.path,
        env=key,
    )
    assert proc.returncode == 1 and "no task(s) nope" in proc.stderr
    proc = run_cli("eval", "run", "--domain", "travel", "--agent-model", "a", workspace=ws.path, env=key)
    assert proc.returncode == 1 and "user_turns" in proc.stderr  # a scripted user needs scripted turns
    with ws.connect() as con:
        assert scalar(con, "SELECT count(*) FROM eval_runs") == 0


# -- importers ------------------------------------------------------------------------------------------------
def test_leaderboard_and_published_tables(ws: Workspace, shared_data: Path) -> None:
    proc = run_cli("eval", "import", "tau2-leaderboard", str(shared_data / "tau2" / "leaderboard"), workspace=ws.path)
    assert proc.returncode == 0, proc.stderr
    ids = proc.stdout.split()
    assert len(ids) == len(list((shared_data / "tau2" / "leaderboard").glob("*.json")))
    with ws.connect() as con:
        gpt41 = next(r for r in eval_store.leaderboard(con, "tau2", "airline", "pass^4") if r["model"] == "GPT-4.1")
        assert gpt41["value"] == pytest.approx(0.381) and gpt41["source"] == "published"
        rep = eval_store.run_report(con, gpt41["run_id"])
        assert rep["pass_hat_k"]["1"] == pytest.approx((0.74 + 0.56 + 0.34) / 3)
        assert list(rep["pass_hat_k"]) == ["1", "2", "3", "4"]  # in k order, as a reader expects
        published = ensure_published(con)
        assert ensure_published(con) == published  # idempotent
        magnet = {r["model"]: r["value"] for r in eval_store.leaderboard(con, "bfcl-v3", "", "multi_turn_acc")}
        assert magnet["MAGNET-14B-mDPO"] == pytest.approx(0.3788) and magnet[
            "Qwen2.5-Coder-14B-Instruct"
        ] == pytest.approx(0.0538)
        cited = eval_store.get_run(con, eval_store.leaderboard(con, "toolalpaca", "", "overall")[0]["run_id"])
        assert "ToolFlow" in cited["citation"] and cited["model"].startswith("ToolFlow")


def test_bfcl_score_csv(ws: Workspace, tmp_path: Path) -> None:
    csv = tmp_path / "data_overall.csv"
    csv.write_text(
        "Rank,Overall Acc,Model,Model Link,Total Cost ($),Non-Live AST Acc,Multi Turn Acc,Organization\n"
        "1,85.20%,Model A (FC),https://a,12.5,90.00%,N/A,Org A\n"
        "2,70.00%,Model B,https://b,3.1,80.50%,40.25%,Org B"
    )
    proc = run_cli("eval", "import", "bfcl-scores", str(csv), workspace=ws.path)
    assert proc.returncode == 0, proc.stderr
    with ws.connect() as con:
        board = eval_store.leaderboard(con, "bfcl-v4", "", "overall_acc")
        assert [(r["model"], r["value"]) for r in board] == [
            ("Model A (FC)", pytest.approx(0.852)),
            ("Model B", pytest.approx(0.7)),
        ]
        assert [r["model"] for r in eval_store.leaderboard(con, "bfcl-v4", "", "multi_turn_acc")] == ["Model B"]
        assert eval_store.leaderboard(con, "bfcl-v4", "", "total_cost_usd")[0]["value"] == 12.5
    bad = tmp_path / "bad.csv"
    bad.write_text("Rank,Overall Acc,Model\n1,lots,Model C\n")
    proc = run_cli("eval", "import", "bfcl-scores", str(bad), workspace=ws.path)
    assert proc.returncode == 1 and "bad.csv:2" in proc.stderr and "Overall Acc" in proc.stderr


@pytest.mark.parametrize(
    ("kind", "content", "message"),
    [
        ("tau-bench", '[{"task_id": 0, "reward": 1.0, "traj": [{"role": "robot"}]}]', "episode 0: message 0"),
        ("tau-bench", '{"not": "a list"}', "JSON list of episodes"),
        ("tau-bench", '[{"task_id": 0, "traj": []}]', "episode 0: reward"),
        (
            "tau2-results",
            '{"simulations": [{"messages": []}]}',
            "simulations[0]: needs 'task_id' and a 'messages' list",
        ),
        (
            "tau2-results",
            '{"simulations": [{"task_id": "1", "messages": [{"role": "assistant", "tool_calls": [{"id": 1}]}]}]}',
            "simulations[0]: message 0 tool call 0 has no name",
        ),
        ("tau2-leaderboard", '{"model_name": "x", "results": {"airline": {"pass_1": 250}}}', "not a percentage"),
        ("tau-bench", '[{"task_id": 0,', "not JSON"),
    ],
)
def test_bad_results_files_are_named_and_leave_nothing(
    ws: Workspace, tmp_path: Path, kind: str, content: str, message: str
) -> None:
    with ws.connect() as con:
        ensure_published(con)
        before = scalar(con, "SELECT count(*) FROM eval_runs")
    path = tmp_path / "bad.json"
    path.write_text(content)
    with ws.connect() as con, pytest.raises(EvalImportError) as info:
        import_results(con, kind, path)
    assert str(path) in str(info.value) and message in str(info.value)
    with ws.connect() as con:
        assert scalar(con, "SELECT count(*) FROM eval_runs") == before
        assert scalar(con, "SELECT count(*) FROM episodes") == 0


def test_demo_workspace_has_a_run_to_review(tmp_path: Path) -> None:
    ws = demo_workspace(tmp_path / "demo.duckdb")
    with ws.connect() as con:
        demo = next(r for r in eval_store.list_runs(con) if r["episodes"])
        assert demo["domain"] == "travel" and demo["episodes"] == 88 and demo["failed"] > 0
        data = to_tau2_results(con, demo["id"])
        assert len(data["simulations"]) == 88
        assert json.loads((ROOT / "data" / "demo" / "eval" / "travel_scripted_run.json").read_text())["info"]["note"]


def test_tau2_results_in_tau2s_own_layout(ws: Workspace, tmp_path: Path) -> None:
    """A file as `tau2 run` writes it: tau2 message objects, costs, no trial field on older versions."""

    def sim(n: int, reward: float) -> dict:
        return {
            "id": f"sim-{n}",
            "task_id": "7",
            "start_time": "2025-06-01T10:00:00",
            "end_time": "2025-06-01T10:01:00",
            "duration": 60.0,
            "termination_reason": "user_stop",
            "agent_cost": 0.01,
            "user_cost": 0.002,
            "reward_info": {
                "reward": reward,
                "db_check": {"db_match": reward == 1.0, "db_reward": reward},
                "reward_basis": ["DB"],
            },
            "messages": [
                {"role": "assistant", "content": "Hi! How can I help you today?", "turn_idx": 0, "timestamp": "t"},
                {"role": "user", "content": "Cancel reservation ABC123.", "turn_idx": 1},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "name": "cancel_reservation",
                            "arguments": {"reservation_id": "ABC123"},
                            "requestor": "assistant",
                        }
                    ],
                    "turn_idx": 2,
                },
                {
                    "role": "tool",
                    "id": "c1",
                    "content": '{"status": "cancelled"}',
                    "requestor": "assistant",
                    "error": False,
                    "turn_idx": 3,
                },
                {"role": "user", "content": "Thanks ###STOP###", "turn_idx": 4},
            ],
        }

    data = {
        "timestamp": "2025-06-01",
        "info": {
            "agent_info": {"implementation": "llm_agent", "llm": "gpt-4.1"},
            "user_info": {"implementation": "user_simulator", "llm": "gpt-4.1"},
            "environment_info": {"domain_name": "airline"},
            "num_trials": 2,
        },
        "tasks": [
            {
                "id": "7",
                "user_scenario": {"instructions": {"reason_for_call": "cancel"}},
                "evaluation_criteria": {
                    "actions": [
                        {"action_id": "7_0", "name": "cancel_reservation", "arguments": {"reservation_id": "ABC123"}}
                    ],
                    "communicate_info": [],
                },
            }
        ],
        "simulations": [sim(0, 1.0), sim(1, 0.0)],
    }
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data))
    with ws.connect() as con:
        (run_id,) = import_results(con, "tau2-results", path)
        meta = eval_store.get_run(con, run_id)
        assert (meta["benchmark"], meta["model"], meta["user_model"], meta["domain"]) == (
            "tau2",
            "gpt-4.1",
            "gpt-4.1",
            "airline",
        )
        eps = eval_store.list_episodes(con, run_id=run_id)
        assert [(e["trial"], e["success"]) for e in eps] == [(0, True), (1, False)]
        ep = eval_store.get_episode(con, eps[0]["id"])
        call = ep["messages"][2]["tool_calls"][0]
        assert call["function"] == {"name": "cancel_reservation", "arguments": '{"reservation_id": "ABC123"}'}
        assert ep["messages"][3] == {
            "role": "tool",
            "tool_call_id": "c1",
            "name": "cancel_reservation",
            "content": '{"status": "cancelled"}',
        }
        assert ep["cost"] == pytest.approx(0.012)
        assert eval_store.run_report(con, run_id)["pass_hat_k"] == {"1": 0.5, "2": 0.0}
        rev = review.ensure_review(con, eps[0]["id"])["review"]
        assert rev["alignment"][0]["status"] == "match" and rev["divergence"] is None
