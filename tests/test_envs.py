"""Executable environments: tau2 fidelity, per-tool behaviour and error paths, hashing and diffs."""

from __future__ import annotations

import copy
import hashlib
import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT, run_cli, shared_path
from fcstudio.catalog.schemas import check_json_schema
from fcstudio.envs.airline import AirlineEnv, load_airline
from fcstudio.envs.base import ToolResult, state_hash
from fcstudio.envs.diff import apply_diff, db_diff, diff
from fcstudio.envs.hashing import HashBase
from fcstudio.envs.loading import StateError, normalise_state
from fcstudio.envs.registry import open_env
from fcstudio.envs.replay import replay_task, validate
from fcstudio.envs.retail import RECORD_MODELS as RETAIL_MODELS
from fcstudio.envs.retail import RetailEnv, load_retail
from fcstudio.envs.tasks import GoldTask, TaskFileError, load_tasks
from fcstudio.envs.travel import TravelEnv, load_travel

REFERENCE = json.loads((FIXTURES / "tau2_reference_outputs.json").read_text())


@pytest.fixture(scope="module")
def loaded_retail() -> RetailEnv:
    path = shared_path("tau2", "retail", "db.json")
    return RetailEnv(load_retail(str(path)), policy=(path.parent / "policy.md").read_text())


@pytest.fixture(scope="module")
def loaded_airline() -> AirlineEnv:
    path = shared_path("tau2", "airline", "db.json")
    return AirlineEnv(load_airline(str(path)))


@pytest.fixture
def retail(loaded_retail: RetailEnv) -> RetailEnv:
    """The retail database loaded once per module, back at its initial state for each test."""
    loaded_retail.reset()
    return loaded_retail


@pytest.fixture
def airline(loaded_airline: AirlineEnv) -> AirlineEnv:
    loaded_airline.reset()
    return loaded_airline


@pytest.fixture
def travel() -> TravelEnv:
    return TravelEnv(load_travel(str(ROOT / "data" / "travel" / "db.json")))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _check_sequence(env, expected: dict) -> None:  # type: ignore[no-untyped-def]
    env.reset()
    for call in expected["calls"]:
        result = env.execute(call["name"], call["arguments"])
        assert (result.error, _sha(result.output)) == (call["error"], call["output_sha256"]), (
            call["name"],
            call["arguments"],
            result.output[:200],
            call["output_prefix"],
        )
    assert env.state_hash() == expected["final_hash"]


# -- fidelity to tau2 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("domain", ["retail", "airline"])
def test_every_gold_task_matches_tau2_output_for_output_and_hash(domain: str, request: pytest.FixtureRequest) -> None:
    env = request.getfixturevalue(domain)
    initial = state_hash(env.initial)  # from scratch: the incremental hash trusts the loaded records
    gold = REFERENCE["domains"][domain]["gold"]
    assert len(gold) == {"retail": 114, "airline": 50}[domain]
    for task_id, expected in gold.items():
        try:
            _check_sequence(env, expected)
        except AssertionError as exc:
            raise AssertionError(f"task {task_id}: {exc}") from None
    env.reset()
    assert state_hash(env.initial) == initial == env.state_hash()  # nothing leaked into the loaded database


@pytest.mark.parametrize("domain", ["retail", "airline"])
def test_perturbed_call_sequences_match_tau2_including_errors(domain: str, request: pytest.FixtureRequest) -> None:
    env = request.getfixturevalue(domain)
    sequences = REFERENCE["domains"][domain]["perturbed"]
    assert sum(c["error"] for s in sequences for c in s["calls"]) > 20  # the error paths are exercised
    for expected in sequences:
        _check_sequence(env, expected)


# tools whose every well-typed call succeeds in tau2 (no lookup that can fail), so no error case is recorded
NEVER_FAIL = {
    "list_all_product_types",
    "list_all_airports",
    "search_direct_flight",
    "search_onestop_flight",
    "transfer_to_human_agents",
}


@pytest.mark.parametrize("env_class", [RetailEnv, AirlineEnv], ids=["retail", "airline"])
def test_every_tool_has_tau2_reference_outputs(env_class: type) -> None:
    """A tool added to a domain without tau2 outputs in the fixture fails here: regenerate it with
    tools/make_tau2_reference.py (which also calls every tool tau2 has, successfully and on its error paths)."""
    fixture = REFERENCE["domains"][env_class.name]
    sequences = [*fixture["gold"].values(), *fixture["perturbed"]]
    calls = [c for s in sequences for c in s["calls"]]
    succeeded = {c["name"] for c in calls if not c["error"]}
    failed = {c["name"] for c in calls if c["error"]}
    tools = set(env_class.tool_names())
    assert tools - succeeded == set(), "tools without a successful tau2 reference call"
    assert tools - NEVER_FAIL - failed == set(), "tools without a failing tau2 reference call"
    # the perturbed comparison above runs all three kinds of sequence the generator writes
    assert {s.get("set") for s in fixture["perturbed"]} == {"legacy", "coverage", "random"}


def test_initial_hash_equals_tau2_db_hash(retail: RetailEnv) -> None:
    assert retail.state_hash() == "b25c9cb211f5efcaee5dd646054a73c4a9f43f4f5acc32c10713cd9f9ac20e9c"


@pytest.mark.parametrize("domain", ["retail", "airline"])
def test_replay_of_all_tau2_tasks_has_no_unexpected_errors(domain: str, request: pytest.FixtureRequest) -> None:
    env = request.getfixturevalue(domain)
    tasks = load_tasks(shared_path("tau2", domain, "tasks.json"))
    expected_errors = {
        (tid, i)
        for tid, seq in REFERENCE["domains"][domain]["gold"].items()
        for i, c in enumerate(seq["calls"])
        if c["error"]
    }
    seen_errors = set()
    for task in tasks:
        line = replay_task(env, task)
        seen_errors |= {(task.task_id, i) for i, a in enumerate(line["actions"]) if a["error"]}
        assert line["final_hash"] == REFERENCE["domains"][domain]["gold"][task.task_id]["final_hash"]
    assert seen_errors == expected_errors  # only tau2's deliberate failures (e.g. a user who does not exist)
    assert len(expected_errors) == {"retail": 18, "airline": 0}[domain]


# -- per-tool behaviour and error paths ----------------------------------------------------------------


def test_retail_tools_read_write_and_errors(retail: RetailEnv) -> None:
    retail.reset()
    user_id = retail.execute("find_user_id_by_email", {"email": "NOAH.BROWN7922@example.com"}).output
    assert user_id == "noah_brown_6181"
    assert (
        retail.execute("find_user_id_by_name_zip", {"first_name": "noah", "last_name": "BROWN", "zip": "80279"}).output
        == user_id
    )
    assert retail.execute("find_user_id_by_email", {"email": "nobody@example.com"}) == ToolResult(
        "Error: User not found", True
    )
    order_id = json.loads(retail.execute("get_user_details", {"user_id": user_id}).output)["orders"][0]
    order = json.loads(retail.execute("get_order_details", {"order_id": order_id}).output)
    assert list(order)[:5] == ["order_id", "user_id", "address", "items", "status"] and order["cancel_reason"] is None
    before = retail.state_hash()
    for tool in ("get_order_details", "get_product_details", "get_item_details", "list_all_product_types"):
        retail.execute(
            tool,
            {"order_id": order_id}
            if tool == "get_order_details"
            else {"product_id": "6086499569"}
            if tool == "get_product_details"
            else {"item_id": order["items"][0]["item_id"]}
            if tool == "get_item_details"
            else {},
        )
    assert retail.state_hash() == before  # read tools leave the state alone
    assert json.loads(retail.execute("list_all_product_types", {}).output)["T-Shirt"] == "9523456873"
    assert retail.execute("get_order_details", {"order_id": "W0000000"}).output == "Error: Order not found"
    assert retail.execute("get_product_details", {"product_id": "1"}).output == "Error: Product not found"
    assert retail.execute("get_item_details", {"item_id": "1"}).output == "Error: Item not found"
    assert retail.execute("calculate", {"expression": "(2 + 3) * 4 / 3"}).output == "6.67"
    assert retail.execute("calculate", {"expression": "import os"}).output == "Error: Invalid characters in expression"
    assert retail.execute("calculate", {"expression": "1/0"}).output == "Error: division by zero"
    assert retail.execute("transfer_to_human_agents", {"summary": "x"}).output == "Transfer successful"
    # a write: cancel a pending order, refund to a gift card at once
    pending = next(o for o in retail.state["orders"].values() if o["status"] == "pending")
    bad_reason = retail.execute("cancel_pending_order", {"order_id": pending["order_id"], "reason": "too slow"})
    assert bad_reason.output == "Error: Invalid reason" and retail.state_hash() == before
    done = retail.execute("cancel_pending_order", {"order_id": pending["order_id"], "reason": "ordered by mistake"})
    assert not done.error and json.loads(done.output)["status"] == "cancelled"
    assert retail.execute(
        "cancel_pending_order", {"order_id": pending["order_id"], "reason": "no longer needed"}
    ).output == ("Error: Non-pending order cannot be cancelled")
    delivered = next(o for o in retail.state["orders"].values() if o["status"] == "delivered")
    assert (
        retail.execute(
            "return_delivered_order_items",
            {
                "order_id": delivered["order_id"],
                "item_ids": ["nope"],
                "payment_method_id": delivered["payment_history"][0]["payment_method_id"],
            },
        ).output
        == "Error: Some item not found"
    )
    assert (
        retail.execute(
            "modify_pending_order_address",
            {
                "order_id": delivered["order_id"],
                "address1": "a",
                "address2": "",
                "city": "c",
                "state": "s",
                "country": "US",
                "zip": "1",
            },
        ).output
        == "Error: Non-pending order cannot be modified"
    )
    assert (
        retail.execute(
            "modify_user_address",
            {
                "user_id": "ghost",
                "address1": "a",
                "address2": "",
                "city": "c",
                "state": "s",
                "country": "US",
                "zip": "1",
            },
        ).output
        == "Error: User not found"
    )
    retail.reset()
    assert retail.state_hash() == before


def test_airline_tools_read_write_and_errors(airline: AirlineEnv) -> None:
    airline.reset()
    before = airline.state_hash()
    airports = json.loads(airline.execute("list_all_airports", {}).output)
    assert {"iata": "SFO", "city": "San Francisco"} in airports and len(airports) == 20
    direct = json.loads(
        airline.execute("search_direct_flight", {"origin": "JFK", "destination": "SEA", "date": "2024-05-20"}).output
    )
    assert direct and all(f["origin"] == "JFK" and f["date"] is None for f in direct)
    onestop = json.loads(
        airline.execute("search_onestop_flight", {"origin": "JFK", "destination": "SEA", "date": "2024-05-20"}).output
    )
    assert all(a["destination"] == b["origin"] for a, b in onestop)
    assert airline.execute("get_flight_status", {"flight_number": "HAT001", "date": "2024-05-01"}).output == "landed"
    assert airline.execute("get_flight_status", {"flight_number": "HAT001", "date": "1999-01-01"}).output == (
        "Error: Flight HAT001 not found on date 1999-01-01"
    )
    assert airline.execute("get_user_details", {"user_id": "ghost"}).output == "Error: User ghost not found"
    assert (
        airline.execute("get_reservation_details", {"reservation_id": "NOPE"}).output
        == "Error: Reservation NOPE not found"
    )
    assert airline.state_hash() == before
    cert = airline.execute("send_certificate", {"user_id": "mia_li_3668", "amount": 100})
    assert cert.output == "Certificate certificate_3221322 added to user mia_li_3668 with amount 100."
    assert airline.state["users"]["mia_li_3668"]["payment_methods"]["certificate_3221322"]["amount"] == 100.0
    res_id = airline.state["users"]["mia_li_3668"]["reservations"][0]
    wrong = airline.execute("update_reservation_passengers", {"reservation_id": res_id, "passengers": []})
    assert wrong.output == "Error: Number of passengers does not match"
    cancelled = json.loads(airline.execute("cancel_reservation", {"reservation_id": res_id}).output)
    assert cancelled["status"] == "cancelled" and cancelled["payment_history"][-1]["amount"] < 0
    bad = airline.execute("book_reservation", {"user_id": "mia_li_3668"})
    assert bad.error and "origin" in bad.output  # missing arguments come back as an error, not an exception


def test_travel_tools(travel: TravelEnv) -> None:
    travel.reset()
    before = travel.state_hash()
    assert json.loads(travel.execute("get_weather", {"location": "Delhi"}).output)["location"] == "New Delhi"
    fahrenheit = json.loads(
        travel.execute("get_weather", {"location": "Goa", "date": "2026-12-20", "unit": "fahrenheit"}).output
    )
    assert fahrenheit["unit"] == "fahrenheit" and fahrenheit["temperature"] > 70
    assert travel.execute("get_weather", {"location": "Atlantis"}).output == "Error: Unknown place: Atlantis"
    assert travel.execute("get_weather", {"location": "Goa", "date": "2030-01-01"}).error
    near = json.loads(travel.execute("get_airport_symbol_by_city", {"city": "Agra", "range_in_kms": 50}).output)
    assert [a["airport_symbol"] for a in near["airports"]] == ["AGR"]
    assert travel.execute("get_airport_symbol_by_city", {"city": "Agra", "range_in_kms": 1}).error
    arrivals = json.loads(travel.execute("get_flight_by_airport", {"airport_symbol": "DEL"}).output)["flights"]
    assert "AI202" in {f["flight_number"] for f in arrivals}
    assert travel.execute("get_flight_by_airport", {"airport_symbol": "XXX"}).output == "Error: Unknown airport XXX"
    meetings = json.loads(travel.execute("check_calendar", {"date": "2026-11-24"}).output)["events"]
    assert [e["location"] for e in meetings] == ["Khan Market", "IIT Delhi, Hauz Khas"]
    km = json.loads(travel.execute("get_distance", {"from_loc": "Jaipur", "to_loc": "Agra"}).output)["distance"]
    assert 200 < km < 320
    assert travel.state_hash() == before  # reads change nothing
    # writes
    route = json.loads(travel.execute("set_navigation", {"destination": "Agra", "distance": km}).output)
    assert travel.state["routes"][route["route_id"]]["distance"] == km
    travel.execute("navigate", {"location": "IIT Delhi, Hauz Khas"})
    event = json.loads(
        travel.execute("create_calendar_event", {"title": "x", "date": "2026-12-05", "start_time": "19:30"}).output
    )
    clash = travel.execute("create_calendar_event", {"title": "y", "date": "2026-12-05", "start_time": "19:30"})
    assert clash.error and "already an event" in clash.output
    assert json.loads(travel.execute("delete_calendar_event", {"event_id": event["event_id"]}).output) == {
        "deleted": True
    }
    assert travel.execute("delete_calendar_event", {"event_id": "ev999"}).output == "Error: Event ev999 not found"
    seats = travel.state["flights"]["AI471@2026-12-10"]["seats"]["economy"]
    booking = json.loads(
        travel.execute(
            "book_flight",
            {
                "flight_number": "AI471",
                "passenger_name": "A",
                "destination": "Udaipur",
                "payment_method_id": "tc_100",
                "date": "2026-12-10",
            },
        ).output
    )
    assert travel.state["flights"]["AI471@2026-12-10"]["seats"]["economy"] == seats - 1
    assert travel.state["payment_methods"]["tc_100"]["balance"] == round(200 - booking["total_price"], 2)
    poor = travel.execute(
        "book_flight",
        {
            "flight_number": "AI471",
            "passenger_name": "B",
            "destination": "Udaipur",
            "payment_method_id": "tc_30",
            "date": "2026-12-10",
        },
    )
    assert poor.error and "Travel credit tc_30" in poor.output
    assert (
        travel.execute(
            "book_flight",
            {
                "flight_number": "AI471",
                "passenger_name": "B",
                "destination": "Goa",
                "payment_method_id": "pm_visa_42",
                "date": "2026-12-10",
            },
        ).output
        == "Error: Flight AI471 does not go to Goa"
    )
    refund = json.loads(travel.execute("cancel_flight_booking", {"booking_id": booking["booking_id"]}).output)
    assert (
        refund["refund_amount"] == booking["total_price"]
        and travel.state["payment_methods"]["tc_100"]["balance"] == 200.0
    )
    assert (
        travel.execute("cancel_flight_booking", {"booking_id": "BK2"}).output
        == "Error: Flights departing today or earlier cannot be cancelled"
    )
    travel.reset()
    assert travel.state_hash() == before


@pytest.mark.parametrize("env_cls", [RetailEnv, AirlineEnv, TravelEnv])
def test_tool_schemas_are_derived_and_valid(env_cls) -> None:  # type: ignore[no-untyped-def]
    specs = env_cls.tool_specs()
    assert specs and all(s.description for s in specs)
    for s in specs:
        check_json_schema(s.parameters)
        assert env_cls.tool_kind(s.name) in ("read", "write", "generic")
        props = s.parameters["properties"]
        assert all(p.get("description") for p in props.values()), s.name  # docstring Args reached the schema
    if env_cls is AirlineEnv:
        book = next(s for s in specs if s.name == "book_reservation")
        assert book.parameters["properties"]["cabin"]["enum"] == ["business", "economy", "basic_economy"]
    if env_cls is RetailEnv:
        assert {s.name for s in specs if env_cls.tool_kind(s.name) == "write"} == {
            "cancel_pending_order",
            "exchange_delivered_order_items",
            "modify_pending_order_address",
            "modify_pending_order_items",
            "modify_pending_order_payment",
            "modify_user_address",
            "return_delivered_order_items",
        }


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from([*TravelEnv.tool_names(), "nope", ""]),
    arguments=st.one_of(
        st.none(),
        st.lists(st.integers()),
        st.dictionaries(
            st.sampled_from(
                [
                    "location",
                    "date",
                    "city",
                    "range_in_kms",
                    "flight_number",
                    "booking_id",
                    "event_id",
                    "distance",
                    "unit",
                    "x",
                ]
            ),
            st.one_of(
                st.text(max_size=10),
                st.integers(),
                st.floats(allow_nan=False),
                st.none(),
                st.lists(st.text(max_size=3)),
            ),
            max_size=5,
        ),
    ),
)
def test_execute_never_raises(name: str, arguments: object) -> None:
    env = TravelEnv(load_travel(str(ROOT / "data" / "travel" / "db.json")))
    result = env.execute(name, arguments)  # type: ignore[arg-type]
    assert isinstance(result, ToolResult) and isinstance(result.output, str)
    if result.error:
        assert result.output.startswith("Error: ")


# -- hashing and diffs ---------------------------------------------------------------------------------

records = st.dictionaries(
    st.sampled_from(["a", "b", "c", "d"]),
    st.recursive(
        st.integers() | st.text(max_size=4) | st.none(),
        lambda x: st.lists(x, max_size=3) | st.dictionaries(st.sampled_from(["p", "q", "r"]), x, max_size=3),
        max_leaves=6,
    ),
    max_size=4,
)
states = st.dictionaries(
    st.sampled_from(["t1", "t2", "t3"]),
    st.dictionaries(st.text(min_size=1, max_size=3), records, max_size=4),
    max_size=3,
)


@settings(max_examples=200, deadline=None)
@given(a=states, b=states)
def test_diff_properties(a: dict, b: dict) -> None:
    assert diff(a, a) == {}
    assert diff(a, copy.deepcopy(a)) == {}
    assert apply_diff(a, diff(a, b)) == b
    assert (state_hash(a) == state_hash(b)) == (json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True))
    reordered = {t: dict(reversed(list(rows.items()))) for t, rows in reversed(list(a.items()))}
    assert state_hash(reordered) == state_hash(a)  # canonical: dict order does not matter
    # the replay format names the same records as the full diff, whether or not b shares a's records
    from_diff = {
        t: dict(
            sorted(
                {
                    **dict.fromkeys(p["removed"]),
                    **p["added"],
                    **{k: c["after"] for k, c in p["changed"].items()},
                }.items()
            )
        )
        for t, p in diff(a, b).items()
    }
    assert db_diff(a, b) == from_diff
    shared = {t: {**rows, **{k: v for k, v in b.get(t, {}).items() if k in rows}} for t, rows in a.items()}
    assert db_diff(a, shared) == {
        t: dict(sorted({k: v for k, v in rows.items() if v != a[t][k]}.items()))
        for t, rows in shared.items()
        if any(v != a[t][k] for k, v in rows.items())
    }


@settings(max_examples=300, deadline=None)
@given(
    initial=states,
    edits=st.lists(
        st.tuples(
            st.sampled_from(["write", "insert", "delete", "same", "clear"]),
            st.sampled_from(["t1", "t2", "t3"]),
            st.text(min_size=1, max_size=3),
            records,
        ),
        max_size=8,
    ),
)
def test_incremental_hash_equals_full_hash_on_any_edits(initial: dict, edits: list) -> None:
    base = HashBase(initial)
    assert base.hash(initial) == state_hash(initial)
    state = {t: dict(rows) for t, rows in initial.items()}
    for op, table, key, record in edits:
        rows = state.get(table)
        if rows is None:
            continue
        existing = sorted(rows)
        target = existing[len(key) % len(existing)] if existing else key
        if op == "write" and existing:
            rows[target] = record
        elif op == "insert":
            rows[key] = record
        elif op == "delete" and existing:
            del rows[target]
        elif op == "same" and existing:
            rows[target] = copy.deepcopy(rows[target])  # a new object with the same text
        elif op == "clear":
            rows.clear()
        assert base.hash(state) == state_hash(state)
    assert base.hash(initial) == state_hash(initial)


def _random_edit(env, rng: random.Random, gold: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """One change to ``env``'s state the way tools make them (or harder): a gold write call, an in-place
    change of a record obtained with ``record_for_write`` (possibly one already hashed), an insert with a key
    sorting anywhere, a deletion, a record replaced by an equal copy."""
    table = rng.choice(sorted(env.state))
    keys = sorted(env.state[table])
    key = rng.choice(keys) if keys else "k"
    op = rng.randrange(7)
    if op <= 1 and gold:
        action = rng.choice(gold)
        env.execute(
            action["name"], action["arguments"], side="user" if action.get("requestor") == "user" else "assistant"
        )
    elif op == 2 and keys:
        record = env.record_for_write(table, key)
        field = rng.choice(sorted(record)) if isinstance(record, dict) and record else None
        if field is not None:
            value = record[field]
            if isinstance(value, list):
                value.append({"added": rng.randint(0, 9), "note": 'é\u2028"x"'})
            elif isinstance(value, dict):
                value[f"new_{rng.randint(0, 9)}"] = [1.5, None, True]
            else:
                record[field] = rng.choice([0, -1, 2.25, "changed", None, "ünï"])
    elif op == 3:
        new_key = rng.choice(["", "!", "0", "zzzz", "~", "ä", key + "_b", key[:-1] if key else "a"])
        if new_key not in env.state[table]:
            env.insert(table, new_key, {"inserted": new_key, "n": rng.random()})
    elif op == 4 and keys:
        del env.state[table][key]
    elif op == 5 and keys:
        env.state[table][key] = copy.deepcopy(env.state[table][key])
    elif keys:  # change a record this episode already owns, after its text went into an earlier hash
        record = env.record_for_write(table, key)
        env.state_hash()
        if isinstance(record, dict):
            record["after_hash"] = rng.randint(0, 1000)


@pytest.mark.parametrize("domain", ["retail", "airline"])
def test_incremental_hash_equals_full_hash_after_random_write_sequences(
    domain: str, request: pytest.FixtureRequest
) -> None:
    env = request.getfixturevalue(domain)
    tasks = load_tasks(shared_path("tau2", domain, "tasks.json"))
    gold = [a for t in tasks for a in t.actions if env.tool_kind(a["name"]) == "write"]
    initial = state_hash(env.initial)
    rng = random.Random(f"hash-{domain}")
    checked = 0
    for _ in range(25):
        env.reset()
        assert env.state_hash() == initial
        for _ in range(rng.randint(1, 6)):
            _random_edit(env, rng, gold)
            if rng.random() < 0.6:
                assert env.state_hash() == state_hash(env.state)
                checked += 1
        assert env.state_hash() == state_hash(env.state)
        assert env.state_hash(full=True) == state_hash(env.state)
    assert checked > 30
    env.reset()
    assert state_hash(env.initial) == initial  # no edit reached the loaded database
    env.state["extra"] = {"x": {}}  # tables the initial state lacks: hashed in full, same value
    assert env.state_hash() == state_hash(env.state)
    env.reset()


def test_field_level_changes_and_replay_diff_format(travel: TravelEnv) -> None:
    task = GoldTask(
        "t",
        [
            {"name": "cancel_flight_booking", "arguments": {"booking_id": "BK1"}},
            {"name": "delete_calendar_event", "arguments": {"event_id": "ev4"}},
        ],
    )
    line = replay_task(travel, task)
    assert set(line) == {"task_id", "actions", "db_diff", "final_hash"}
    assert line["db_diff"]["bookings"]["BK1"]["status"] == "cancelled"
    assert line["db_diff"]["calendar"] == {"ev4": None}
    assert set(line["db_diff"]) == {"bookings", "calendar", "flights"}
    d = diff(travel.initial, travel.state)
    assert d["bookings"]["changed"]["BK1"]["fields"] == {"status": ("confirmed", "cancelled")}
    assert d["flights"]["changed"]["UK851@2026-12-20"]["fields"] == {
        "seats.economy": (
            travel.initial["flights"]["UK851@2026-12-20"]["seats"]["economy"],
            travel.initial["flights"]["UK851@2026-12-20"]["seats"]["economy"] + 1,
        )
    }
    assert d["calendar"]["removed"] == {"ev4": travel.initial["calendar"]["ev4"]}
    assert db_diff(travel.initial, travel.initial) == {}


# -- loading: bad databases and tasks ------------------------------------------------------------------


def test_database_that_does_not_match_the_schema_names_the_record(tmp_path: Path) -> None:
    good = json.loads((ROOT / "data" / "travel" / "db.json").read_text())
    broken = copy.deepcopy(good)
    broken["bookings"]["BK1"]["status"] = "lost"
    path = tmp_path / "db.json"
    path.write_text(json.dumps(broken))
    with pytest.raises(StateError, match=r"bookings\['BK1'\]\.status"):
        load_travel(str(path))
    with pytest.raises(StateError, match="unknown table"):
        normalise_state({"products": {}, "users": {}, "orders": {}, "extra": {}}, RETAIL_MODELS)
    with pytest.raises(StateError, match="table 'orders' is missing"):
        normalise_state({"products": {}, "users": {}}, RETAIL_MODELS)
    path.write_text("{ not json")
    with pytest.raises(StateError, match="not JSON"):
        load_travel(str(path))
    # the CLI says the same and exits 1
    result = run_cli("env", "replay", "--domain", "travel", "--db", str(path))
    assert result.returncode == 1 and "not JSON" in result.stderr and "Traceback" not in result.stderr


def test_tasks_naming_unknown_tools_or_bad_arguments_are_reported(tmp_path: Path, travel: TravelEnv) -> None:
    tasks = [
        {
            "id": "a",
            "user_scenario": {"instructions": "x"},
            "evaluation_criteria": {"actions": [{"name": "teleport", "arguments": {}}], "communicate_info": ["42"]},
        },
        {
            "id": "b",
            "user_scenario": {"instructions": "x"},
            "evaluation_criteria": {"actions": [{"name": "get_distance", "arguments": {"from_loc": 5, "to_loc": []}}]},
        },
    ]
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks))
    loaded = load_tasks(path)
    problems_a = validate(loaded[0], replay_task(travel, loaded[0]), travel)
    assert problems_a == ["action 0 calls unknown tool 'teleport'", "output '42' is never produced by the gold actions"]
    problems_b = validate(loaded[1], replay_task(travel, loaded[1]), travel)
    assert problems_b and "invalid argument from_loc" in problems_b[0]
    result = run_cli("env", "replay", "--domain", "travel", "--tasks", str(path), "--strict")
    assert result.returncode == 1 and "task a: action 0 calls unknown tool 'teleport'" in result.stderr
    path.write_text(json.dumps([{"nonsense": 1}]))
    with pytest.raises(TaskFileError, match="task 0 is neither"):
        load_tasks(path)
    # the CLI replays the readable tasks and reports the unreadable one instead of stopping
    path.write_text(json.dumps([{"nonsense": 1}, tasks[0]]))
    result = run_cli("env", "replay", "--domain", "travel", "--tasks", str(path))
    assert result.returncode == 0 and [json.loads(x)["task_id"] for x in result.stdout.splitlines()] == ["a"]
    assert "task 0: unreadable:" in result.stderr and "flagged 2 task(s)" in result.stderr


def test_cli_replay_of_the_travel_domain(tmp_path: Path) -> None:
    out = tmp_path / "replay.jsonl"
    result = run_cli("env", "replay", "--domain", "travel", "--out", str(out))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    tasks = json.loads((ROOT / "data" / "travel" / "tasks.json").read_text())
    assert len(tasks) >= 20 and len(lines) == len(tasks)
    assert all(set(line) == {"task_id", "actions", "db_diff", "final_hash"} for line in lines)
    assert not any(a["error"] for line in lines for a in line["actions"])
    assert "validator flagged 0 task(s)" in result.stderr
    writes = [line for line in lines if line["db_diff"]]
    assert len(writes) >= 8  # real write tasks: bookings, cancellations, calendar, navigation


def test_tau_bench_v1_tasks_from_trajectories_replay_on_tau2_airline(airline: AirlineEnv) -> None:
    tasks = load_tasks(shared_path("tau_bench_v1", "historical_trajectories", "gpt-4o-airline.json"))
    assert len(tasks) == 50 and all(t.instruction for t in tasks)
    errors = 0
    for task in tasks:
        line = replay_task(airline, task)
        errors += sum(a["error"] for a in line["actions"])
    assert errors == 0


def test_open_env_without_data_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="pass --db"):
        open_env("retail", tmp_path / "missing.json")
