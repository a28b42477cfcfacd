"""explain_failure: every failed episode says why in words, whatever produced it (issue 16, deliverable 5).

Each kind on real data where there is some: the demo's own scripted run (travel), real GPT-4o episodes from
tau-bench (airline), tau2 results files on real retail tasks, a scripted telecom episode (dual control), a
BFCL multi-turn run on real BFCL v4 entries.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openai_stub import StubServer

import conftest
from conftest import ROOT, demo_workspace, run_cli
from fcstudio.evals import eval_store, review
from fcstudio.evals.importers import import_results
from fcstudio.store import Workspace

GPT4O = ("tau_bench_v1", "historical_trajectories", "gpt-4o-airline.json")


def _failed(ws: Workspace, run_id: int | None = None) -> dict[tuple[str, int], list[str]]:
    """(task, trial) → the explanation of every failed episode of the run (or of the workspace)."""
    with ws.connect() as con:
        found = eval_store.list_episodes(con, run_id=run_id, outcome="failed", limit=10_000)
        return {(e["task_id"], e["trial"]): review.explain_failure(review.ensure_review(con, e["id"])) for e in found}


@pytest.fixture(scope="module")
def demo_explained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, dict[tuple[str, int], list[str]]]:
    """The demo workspace (read only here) and its run's explained failures."""
    ws = demo_workspace(tmp_path_factory.mktemp("explain") / "demo.duckdb")
    return ws, _failed(ws)


def test_demo_run_fails_the_way_agents_fail(demo_explained: tuple[Workspace, dict]) -> None:
    """The demo's failures are plausible mistakes, each explained: a flight booked on the wrong date, another
    flight of the same trip booked, the wrong booking cancelled, a confirmation never said, a step forgotten."""
    _, explained = demo_explained
    assert len(explained) == 16 and all(explained.values())
    lines = [line for why in explained.values() for line in why]
    assert "bookings BK4: date is 2026-12-11, expected 2026-12-10; price is 107.5, expected 104.0." in lines
    assert any(line.startswith("bookings BK4: flight_number is UK851, expected 6E5312") for line in lines)
    assert explained[("travel_8", 0)][:2] == [  # the wrong reservation cancelled: before the seats it frees
        "bookings BK1: status is confirmed, expected cancelled.",
        "bookings BK3: status is cancelled, expected confirmed.",
    ]
    assert (
        "The agent called cancel_flight_booking with other arguments than the gold: booking_id is BK3, expected BK1."
    ) in lines
    assert explained[("travel_7", 3)] == ['The agent never said "6E5312", a required output.']  # no divergence
    assert any(line.startswith("The gold action navigate(") and "never called" in line for line in lines)
    text = (ROOT / "data" / "demo" / "eval" / "travel_scripted_run.json").read_text()
    assert "(changed)" not in text


def test_passed_episode_has_no_explanation(demo_explained: tuple[Workspace, dict]) -> None:
    ws, _ = demo_explained
    with ws.connect() as con:
        passed = eval_store.list_episodes(con, outcome="passed", limit=1)[0]
        assert review.explain_failure(review.ensure_review(con, passed["id"])) == []


def test_cli_review_prints_the_explanation_first(demo_explained: tuple[Workspace, dict], tmp_path: Path) -> None:
    ws, explained = demo_explained
    copy = conftest.copy_of(ws.path, tmp_path / "ws.duckdb")  # the CLI writes the stored review
    with copy.connect() as con:
        (ep,) = [e for e in eval_store.list_episodes(con, task_id="travel_14", outcome="failed") if e["trial"] == 2]
    done = run_cli("eval", "review", str(ep["id"]), workspace=copy.path)
    assert done.returncode == 0, done.stderr
    why = done.stdout.index("why it failed:")
    assert why < done.stdout.index("status") and "date is 2026-12-11, expected 2026-12-10" in done.stdout
    data = json.loads(run_cli("eval", "review", str(ep["id"]), "--json", workspace=copy.path).stdout)
    assert data["explanation"] == explained[("travel_14", ep["trial"])]


def test_real_gpt4o_failures_name_the_field_and_the_argument(ws: Workspace) -> None:
    """tau-bench v1: GPT-4o booked task 0 with a paid bag too many; the reservation and the call say so."""
    with ws.connect() as con:
        (run_id,) = import_results(con, "tau-bench", conftest.shared_path(*GPT4O))
        first = eval_store.list_episodes(con, run_id=run_id, outcome="failed", limit=8)
        explained = {e["id"]: review.explain_failure(review.ensure_review(con, e["id"])) for e in first}
    assert all(explained.values())
    why = explained[first[0]["id"]]
    assert "reservations HATHAT: payment_history[1].amount is 55, expected 5; nonfree_baggages is 1, expected 0." in why
    assert (
        "The agent called book_reservation with other arguments than the gold: nonfree_baggages is 1, expected 0."
        in why
    )
    assert not any("think" in line for line in why)  # tau-bench's think tool changes nothing
    lines = [line for w in explained.values() for line in w]
    assert "The gold action cancel_reservation(reservation_id=Z7GOZK) was never called by the agent." in lines


def _tau2_file(path: Path, domain: str, tasks: list[dict[str, Any]], sims: list[dict[str, Any]]) -> Path:
    """A results file in tau2's own layout (``tau2 run``'s output)."""
    info = {"environment_info": {"domain_name": domain}, "agent_info": {"llm": "some-model"}}
    path.write_text(json.dumps({"info": info, "tasks": tasks, "simulations": sims}))
    return path


def _sim(task_id: str, n: int, calls: list[dict[str, Any]], said: str, reward_info: dict[str, Any]) -> dict:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Hi, I need help with an order."}]
    for i, c in enumerate(calls):
        messages.append({"role": "assistant", "tool_calls": [{"id": f"c{i}", **c, "requestor": "assistant"}]})
        messages.append({"role": "tool", "id": f"c{i}", "content": "{}", "requestor": "assistant"})
    messages.append({"role": "assistant", "content": said})
    return {"id": f"s{n}", "task_id": task_id, "trial": 0, "termination_reason": "user_stop", "reward_info": reward_info,
            "messages": messages}  # fmt: skip


def test_tau2_results_on_real_retail_tasks(ws: Workspace, tmp_path: Path) -> None:
    """tau2's own result fields (action_checks, communicate_checks, nl_assertions) and the rebuilt retail state."""
    tasks = {t["id"]: t for t in json.loads(conftest.shared_path("tau2", "retail", "tasks.json").read_text())}
    gold = [{"name": a["name"], "arguments": a["arguments"]} for a in tasks["17"]["evaluation_criteria"]["actions"]]
    typo = [*gold[:-1], {**gold[-1], "arguments": {**gold[-1]["arguments"], "address2": "Suite 614"}}]
    nl = tasks["24"]["evaluation_criteria"]["nl_assertions"][0]
    sims = [
        _sim("17", 0, typo, "Your order will now go to Suite 614.", {
            "reward": 0.0, "db_check": {"db_match": False, "db_reward": 0.0},
            "action_checks": [{"action": gold[-1], "action_match": False, "action_reward": 0.0}]}),
        _sim("24", 1, [], "Your t-shirts are made of polyester.", {
            "reward": 0.0, "db_check": {"db_match": True, "db_reward": 1.0},
            "communicate_checks": [{"info": "polyester", "met": True}, {"info": "cotton", "met": False}],
            "nl_assertions": [{"nl_assertion": nl, "met": False, "justification": "Cotton is never named."}]}),
    ]  # fmt: skip
    with ws.connect() as con:
        (run_id,) = import_results(
            con, "tau2-results", _tau2_file(tmp_path / "r.json", "retail", [tasks["17"], tasks["24"]], sims)
        )
    explained = _failed(ws, run_id)
    assert "orders #W8665881: address.address2 is Suite 614, expected Suite 641." in explained[("17", 0)]
    assert (
        "The agent called modify_pending_order_address with other arguments than the gold: "
        "address2 is Suite 614, expected Suite 641."
    ) in explained[("17", 0)]
    assert explained[("24", 0)] == [
        'The agent never said "cotton", a required output.',
        f'The assertion "{nl}" does not hold: Cotton is never named.',
    ]


def test_tau2_results_of_a_domain_not_on_this_machine(ws: Workspace, tmp_path: Path) -> None:
    """Without the domain's database only the file's own checks speak; with none, what is known is said."""
    sims = [
        _sim("a", 0, [{"name": "close_account", "arguments": {"id": "7"}}], "Closed.",
             {"reward": 0.0, "db_check": {"db_match": False, "db_reward": 0.0}}),
        _sim("b", 1, [], "Goodbye.", {"reward": 0.0}),
    ]  # fmt: skip
    with ws.connect() as con:
        (run_id,) = import_results(con, "tau2-results", _tau2_file(tmp_path / "b.json", "banking", [], sims))
    explained = _failed(ws, run_id)
    assert explained[("a", 0)] == [
        "The final database differs from the expected one (the recorded DB check failed); the banking database "
        "is not on this machine to say which record."
    ]
    assert explained[("b", 0)] == [
        "Reward 0.00, ended by user_stop; no recorded check says why (the result records only the reward)."
    ]


def test_telecom_failure_names_the_phone_and_its_checks(tmp_path: Path) -> None:
    """Dual control: the user never turned mobile data on; the phone's field, the user's missing call and the
    failed env assertions are each said."""
    from scripted_telecom import DATA_OFF, build_telecom

    built = conftest.template("telecom", lambda w: build_telecom(w, conftest.shared_path()))
    explained = _failed(conftest.copy_of(built, tmp_path / "t.duckdb"))
    why = explained[(DATA_OFF, 0)]
    assert why[:2] == [
        "user_db device: data_enabled is false, expected true.",
        "The gold action toggle_data() was never called by the user on the phone.",
    ]
    assert any(line.startswith("The check assert_mobile_data_status(") and "user's phone" in line for line in why)


def test_bfcl_multi_turn_failure_names_the_turn_and_the_field(ws: Workspace) -> None:
    """A scripted model leaves out turn 0's last call of a real BFCL v4 entry."""
    from scripted_bfcl import script

    from fcstudio.envs.bfcl.entries import load_entries

    data = conftest.shared_path("bfcl_v4")
    entries = load_entries(data, ["multi_turn_base"], ids={"multi_turn_base_0"})
    with StubServer(respond=script(entries, drop_last=frozenset({"multi_turn_base_0"}))) as stub:
        done = run_cli(
            "bfcl", "run", "--data", str(data), "--model", "m", "--base-url", stub.base_url,
            "--categories", "multi_turn_base", "--ids", "multi_turn_base_0", workspace=ws.path,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with ws.connect() as con:
        (ep,) = eval_store.list_episodes(con, outcome="failed")
        stored = eval_store.get_episode(con, ep["id"])
        assert stored is not None
        why = review.explain_failure(stored)
    assert why[0].startswith("The checker failed the episode at turn 0: multi_turn:instance_state_mismatch")
    assert any(line.startswith("Turn 0, GorillaFileSystem.") and ", expected " in line for line in why[1:])
    shown = json.loads(run_cli("eval", "review", str(ep["id"]), "--json", workspace=ws.path).stdout)
    assert shown["explanation"] == why
    assert run_cli("eval", "review", str(ep["id"]), workspace=ws.path).stdout.startswith("why it failed:")
