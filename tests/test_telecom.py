"""τ²-bench telecom: fidelity to tau2 on every task and coverage sequence, each side's tools and their delayed
effects, set-up functions and env assertions, bad input, and the CLI."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli, shared_path
from fcstudio.envs.loading import StateError
from fcstudio.envs.replay import replay_task, validate
from fcstudio.envs.tasks import GoldTask, load_tasks
from fcstudio.envs.telecom.environment import EnvFunctionError, TelecomEnv
from fcstudio.envs.telecom.operator import draft_bill_id
from fcstudio.envs.telecom.records import USER, load_telecom

REFERENCE = json.loads((FIXTURES / "tau2_telecom_reference.json").read_text())
JOHN = {"name": "John Smith", "phone_number": "555-123-2001"}  # line L1001 of customer C1001, roaming off
JOHN_2002 = {"name": "John Smith", "phone_number": "555-123-2002"}  # line L1002 of C1001
PYDANTIC_URL = re.compile(r"errors\.pydantic\.dev/[0-9.]+/")  # the URL names the installed pydantic's version


@pytest.fixture(scope="module")
def loaded() -> TelecomEnv:
    folder = shared_path("tau2", "telecom")
    return TelecomEnv(load_telecom(folder / "db.toml", folder / "user_db.toml"))


@pytest.fixture
def env(loaded: TelecomEnv) -> TelecomEnv:
    loaded.reset()
    return loaded


def _sha(text: str) -> str:
    """As the fixture's: the pydantic version in error URLs replaced (tau2 ran another pydantic release)."""
    return hashlib.sha256(PYDANTIC_URL.sub("errors.pydantic.dev/V/", text).encode()).hexdigest()


def _user(env: TelecomEnv, who: dict | None = None, *more: tuple[str, dict]) -> None:
    """A task's set-up: the user's identity, then any further user-side set-up functions."""
    actions = [{"env_type": "user", "func_name": "set_user_info", "arguments": who or JOHN}]
    actions += [{"env_type": "user", "func_name": f, "arguments": a} for f, a in more]
    env.start_task({"initialization_actions": actions})


def _phone(env: TelecomEnv, name: str, **arguments: object) -> str:
    result = env.execute(name, arguments, side="user")
    assert not result.error, result.output
    return result.output


def _agent(env: TelecomEnv, name: str, **arguments: object) -> str:
    result = env.execute(name, arguments)
    assert not result.error, result.output
    return result.output


def _bar(env: TelecomEnv) -> str:
    return _phone(env, "check_status_bar")


# -- fidelity to tau2 ----------------------------------------------------------------------------------


def test_every_telecom_task_replays_as_tau2_with_its_env_assertions_met(env: TelecomEnv) -> None:
    """All 2,285 tasks: each gold action's output and error flag, both state hashes and every env assertion's
    verdict equal tau2's (tools/make_tau2_telecom_reference.py); no gold action fails, every assertion holds."""
    tasks = load_tasks(shared_path("tau2", "telecom", "tasks.json"))
    expected = REFERENCE["tasks"]
    assert len(tasks) == len(expected) == 2285
    mismatches, errors, unmet = [], 0, 0
    for task in tasks:
        ref = expected[task.task_id]
        line = replay_task(env, task)
        got = [(_sha(a["output"])[:16], a["error"]) for a in line["actions"]]
        verdicts = [a["met"] for a in line["env_assertions"]]
        if (got, line["final_hash"], line["final_user_hash"], verdicts) != (
            [tuple(o) for o in ref["outputs"]],
            ref["hash"],
            ref["user_hash"],
            ref["assertions"],
        ):
            mismatches.append(task.task_id)
        errors += sum(a["error"] for a in line["actions"])
        unmet += verdicts.count(False)
    assert mismatches == []
    assert (errors, unmet) == (0, 0)
    assert sum(len(t.actions) for t in tasks) == 13215
    assert sum(a.get("requestor") == "user" for t in tasks for a in t.actions) > 1000  # both sides act


@pytest.mark.parametrize("seq", REFERENCE["coverage"], ids=[c["label"] for c in REFERENCE["coverage"]])
def test_coverage_sequences_match_tau2_on_both_sides(env: TelecomEnv, seq: dict) -> None:
    """Every tool of both sides on its success and error paths, the delayed effects, set-up functions and
    assertions (met, unmet, raising): outputs, both hashes, the final databases and set-up errors as tau2's."""
    try:
        env.start_task({"initialization_actions": seq["init"]})
    except EnvFunctionError as exc:
        assert seq["init_error"], f"tau2 set the task up, fcstudio said: {exc}"
        assert _same_failure(seq["init_error"], str(exc)), (seq["init_error"], str(exc))
        return
    assert seq["init_error"] is None, f"tau2 failed the set-up: {seq['init_error']}"
    for call, ref in zip(seq["calls"], seq["outputs"], strict=True):
        result = env.execute(call["name"], call["arguments"], side=call["requestor"])
        assert (_sha(result.output), result.error) == (ref["sha256"], ref["error"]), (
            call,
            result.output[:200],
            ref["prefix"],
        )
    assert env.user_state_hash() == seq["user_hash"]
    assert env.state_hash() == seq["hash"]
    for spec, ref in zip(seq["assertions_spec"], seq["assertions"], strict=True):
        verdict = env.run_assertion(spec)
        if isinstance(ref, str):  # tau2 raised: "error: <Type>: <message>"
            assert verdict["error"] and _same_failure(ref.split(": ", 1)[1], verdict["error"]), (spec, verdict, ref)
        else:
            assert (verdict["error"], verdict["met"]) == (None, ref), spec


def _same_failure(tau2: str, ours: str) -> bool:
    """tau2's "<Type>: <message>" and fcstudio's error agree: the same message, except where tau2's is Python's
    own wording (a missing attribute, a repr of a type) and fcstudio names the function in plain words."""
    kind, message = tau2.split(": ", 1)
    if kind == "AttributeError" or message.startswith("Function "):
        name = re.search(r"'(\w+)'$|Function (\w+)", message)
        return name is not None and (name.group(1) or name.group(2)) in ours
    return message in ours


def test_every_tool_of_both_sides_is_tau2s_and_called_by_the_fixture() -> None:
    assert sorted(TelecomEnv.tool_names(side="assistant")) == REFERENCE["agent_tools"]
    assert sorted(TelecomEnv.tool_names(side="user")) == REFERENCE["user_tools"]
    called = {(c["requestor"], c["name"]) for s in REFERENCE["coverage"] for c in s["calls"]}
    assert {("assistant", t) for t in REFERENCE["agent_tools"]} <= called
    assert {("user", t) for t in REFERENCE["user_tools"]} <= called


def test_initial_hashes_are_tau2s(env: TelecomEnv) -> None:
    ref = next(c for c in REFERENCE["coverage"] if not c["init"] and c["label"].startswith("agent: get_customer"))
    assert env.state_hash() == ref["hash"]


# -- the agent's side ----------------------------------------------------------------------------------


def test_operator_reads_and_their_errors(env: TelecomEnv) -> None:
    before = env.state_hash()
    customer = json.loads(_agent(env, "get_customer_by_phone", phone_number="555-123-2001"))
    assert customer["customer_id"] == "C1001" and "L1001" in customer["line_ids"]
    assert env.execute("get_customer_by_phone", {"phone_number": "555-000-0000"}).output == (
        "Error: Customer with phone number 555-000-0000 not found"
    )
    bill = json.loads(_agent(env, "get_details_by_id", id="B1002"))
    assert bill["bill_id"] == "B1002" and bill["total_due"] == 150.0
    assert env.execute("get_details_by_id", {"id": "X1"}).error
    usage = json.loads(_agent(env, "get_data_usage", customer_id="C1001", line_id="L1001"))
    assert set(usage) >= {"line_id", "data_used_gb", "data_limit_gb", "data_refueling_gb"}
    wrong = env.execute("get_data_usage", {"customer_id": "C1001", "line_id": "L1004"})
    assert (wrong.error, wrong.output) == (True, "Error: Line L1004 not found for customer C1001")
    assert env.state_hash() == before  # reads leave the database alone


def test_suspend_and_resume_line_with_their_state_errors(env: TelecomEnv) -> None:
    before = env.state_hash()
    out = json.loads(_agent(env, "suspend_line", customer_id="C1001", line_id="L1001", reason="lost phone"))
    assert out["message"].startswith("Line suspended successfully") and out["line"]["status"] == "Suspended"
    again = env.execute("suspend_line", {"customer_id": "C1001", "line_id": "L1001", "reason": "again"})
    assert again.output == "Error: Line must be active to suspend"
    assert env.state_hash() != before
    assert json.loads(_agent(env, "resume_line", customer_id="C1001", line_id="L1001"))["line"]["status"] == "Active"
    assert env.execute("resume_line", {"customer_id": "C1001", "line_id": "L1001"}).error


def test_refuel_creates_the_pinned_draft_bill_then_adds_to_it(env: TelecomEnv) -> None:
    """tau2 names a new draft bill with a random uuid4; fcstudio pins the n-th one of an episode."""
    assert draft_bill_id(1) == "B9528d02f"  # the id tau2 gives under the fixture's pin
    out = json.loads(_agent(env, "refuel_data", customer_id="C1002", line_id="L1004", gb_amount=2.0))
    assert out["message"] == "Successfully added 2.0 GB of data for line L1004 for $0.20"
    _agent(env, "refuel_data", customer_id="C1002", line_id="L1004", gb_amount=1)
    bills = json.loads(_agent(env, "get_bills_for_customer", customer_id="C1002"))
    draft = [b for b in bills if b["status"] == "Draft"]
    assert [b["bill_id"] for b in draft] == ["B9528d02f"] and len(draft[0]["line_items"]) == 2
    for amount in (0, -1):
        bad = env.execute("refuel_data", {"customer_id": "C1002", "line_id": "L1004", "gb_amount": amount})
        assert bad.error and "positive" in bad.output.lower()
    env.reset()  # a new episode starts counting again
    _agent(env, "refuel_data", customer_id="C1003", line_id="L1009", gb_amount=0.5)
    assert json.loads(_agent(env, "get_bills_for_customer", customer_id="C1003", limit=1))[0]["bill_id"] == (
        "B9528d02f"
    )


def test_payment_request_reaches_the_phone_at_the_sync_and_payment_marks_the_bill_paid(env: TelecomEnv) -> None:
    _user(env, JOHN_2002)
    assert _phone(env, "check_payment_request") == "No payment request has been made."
    assert _phone(env, "make_payment") == "You do not have a payment request."
    _agent(env, "send_payment_request", customer_id="C1001", bill_id="B1002")
    second = env.execute("send_payment_request", {"customer_id": "C1001", "bill_id": "B1002"})
    assert second.error
    assert _phone(env, "check_payment_request") == "You have a payment request for bill B1002 of 150.0 USD."
    assert _phone(env, "make_payment") == "Payment of 150.0 USD has been made for bill B1002."
    assert json.loads(_agent(env, "get_details_by_id", id="B1002"))["status"] == "Paid"
    assert env.state[USER]["surroundings"]["payment_request"] is None
    met = env.run_assertion(
        {"env_type": "assistant", "func_name": "assert_no_overdue_bill", "arguments": {"overdue_bill_id": "B1002"}}
    )
    assert met["met"] and met["error"] is None


def test_roaming_toggles_on_the_operators_side(env: TelecomEnv) -> None:
    assert _agent(env, "enable_roaming", customer_id="C1001", line_id="L1001") == "Roaming enabled successfully"
    assert "already" in _agent(env, "enable_roaming", customer_id="C1001", line_id="L1001").lower()
    assert _agent(env, "disable_roaming", customer_id="C1001", line_id="L1001") == "Roaming disabled successfully"
    assert env.execute("enable_roaming", {"customer_id": "C9999", "line_id": "L1001"}).error


# -- the user's side and the delayed effects ----------------------------------------------------------------


def test_abroad_data_needs_roaming_on_both_the_phone_and_the_line(env: TelecomEnv) -> None:
    _user(env, JOHN, ("set_user_location", {"abroad": True}), ("turn_roaming_off", {}))
    assert _phone(env, "run_speed_test") == "Speed test failed: No Connection."
    assert _phone(env, "toggle_roaming").startswith("Data Roaming is now ON.")
    assert _phone(env, "run_speed_test") == "Speed test failed: No Connection."  # the line still refuses
    _agent(env, "enable_roaming", customer_id="C1001", line_id="L1001")
    assert _phone(env, "run_speed_test").startswith("Speed Test Result: 275.00 Mbps (Excellent)")
    _agent(env, "disable_roaming", customer_id="C1001", line_id="L1001")  # the sync carries it to the phone
    assert _phone(env, "run_speed_test") == "Speed test failed: No Connection."


def test_a_suspended_line_shows_on_the_phone_only_after_the_next_network_search(env: TelecomEnv) -> None:
    _user(env, JOHN)
    connected = "Status Bar: 📶³ Good | 5G | 📱 Data Enabled | 🔋 80%"
    assert _bar(env) == connected
    _agent(env, "suspend_line", customer_id="C1001", line_id="L1001", reason="customer request")
    assert _bar(env) == connected  # the phone has not searched the network yet
    assert _phone(env, "run_speed_test").startswith("Speed Test Result: 220.00 Mbps")
    out = _phone(env, "set_network_mode_preference", mode="4g_only")  # a mode change searches
    assert out.endswith("Status Bar: 📵 No Signal | 📵 Data Disabled | 🔋 80%")
    _agent(env, "resume_line", customer_id="C1001", line_id="L1001")
    assert _bar(env).startswith("Status Bar: 📵 No Signal")  # resumed, but not searched again
    assert _phone(env, "reboot_device").endswith("Status Bar: 📶³ Good | 4G | 📱 Data Enabled | 🔋 80%")


def test_apn_reset_takes_effect_at_reboot(env: TelecomEnv) -> None:
    _user(env, JOHN_2002, ("break_apn_settings", {}))
    assert _phone(env, "check_apn_settings").startswith("Current APN Name: broken")
    assert _phone(env, "reset_apn_settings").startswith("APN settings will reset at reboot.")
    assert _phone(env, "check_apn_settings").startswith("Current APN Name: broken")
    assert _phone(env, "reboot_device").startswith("Resetting APN settings...\nRestarting network services...")
    assert _phone(env, "check_apn_settings").startswith("Current APN Name: internet")
    assert _phone(env, "run_speed_test").startswith("Speed Test Result: 275.00 Mbps")
    for name, arguments in [
        ("assert_service_status", {"expected_status": "connected"}),
        ("assert_internet_speed", {"expected_speed": 200, "expected_desc": "excellent"}),
    ]:
        assert env.run_assertion({"env_type": "user", "func_name": name, "arguments": arguments})["met"]


def test_airplane_mode_blocks_wifi_and_the_connection(env: TelecomEnv) -> None:
    _user(env, JOHN_2002)
    assert _phone(env, "toggle_airplane_mode") == "Airplane Mode is now ON.\nStatus Bar: ✈️ Airplane Mode | 🔋 80%"
    refused = env.execute("toggle_wifi", {}, side="user")
    assert not refused.error  # tau2 answers in words, not with an error
    assert refused.output.startswith("Cannot change Wi-Fi settings while Airplane Mode is ON.")
    assert _phone(env, "can_send_mms") == "Your messaging app cannot send MMS messages."
    assert _phone(env, "toggle_airplane_mode").startswith("Airplane Mode is now OFF.\nStatus Bar: 📶⁴ Excellent")


def test_grant_app_permission_reports_failures_in_words_not_as_errors(env: TelecomEnv) -> None:
    _user(env, JOHN_2002)
    ok = _phone(env, "grant_app_permission", app_name="messaging", permission="NETWORK")
    assert ok.startswith("Success. Permission 'network' granted to app 'messaging'.")
    for app, permission, text in [
        ("camera", "sms", "Error. App 'camera' not found. Cannot grant permission."),
        ("messaging", "location", "Error. Permission 'location' not tracked for app 'messaging'"),
    ]:
        result = env.execute("grant_app_permission", {"app_name": app, "permission": permission}, side="user")
        assert not result.error and result.output.startswith(text)
    assert _phone(env, "check_app_permissions", app_name="messaging") == (
        "App 'messaging' has permission for: sms, storage, phone, network."
    )


def test_data_over_the_limit_until_refuelled(env: TelecomEnv) -> None:
    seq = next(c for c in REFERENCE["coverage"] if c["label"] == "data usage exceeded at initialization, refuelled")
    env.start_task({"initialization_actions": seq["init"]})
    assert env.state[USER]["surroundings"]["mobile_data_usage_exceeded"] is True
    assert _phone(env, "run_speed_test") == "Speed test failed: No Connection."
    refuel = next(c for c in seq["calls"] if c["name"] == "refuel_data")
    _agent(env, "refuel_data", **refuel["arguments"])
    assert env.state[USER]["surroundings"]["mobile_data_usage_exceeded"] is False  # synced after the call


def test_vpn_details_alias_within_an_episode_and_not_across(env: TelecomEnv) -> None:
    """tau2's connect_vpn puts a shared default on the device which break_vpn mutates: after a broken VPN, a
    reconnect in the same episode reports the poor server again; a new episode starts from a fresh one."""
    _user(env, JOHN_2002, ("break_vpn", {}))
    assert _phone(env, "run_speed_test").startswith("Speed Test Result: 22.00 Mbps (Fair)")
    _phone(env, "disconnect_vpn")
    _phone(env, "connect_vpn")
    assert _phone(env, "run_speed_test").startswith("Speed Test Result: 22.00 Mbps (Fair)")
    env.reset()
    _user(env, JOHN_2002)
    _phone(env, "connect_vpn")
    assert "EXCELLENT" in _phone(env, "check_vpn_status").upper()


def test_wrong_side_unknown_tools_and_argument_errors(env: TelecomEnv) -> None:
    _user(env, JOHN)
    assert env.execute("toggle_airplane_mode", {}).error  # a phone tool is not the agent's
    assert env.execute("suspend_line", {"customer_id": "C1001", "line_id": "L1001", "reason": "x"}, side="user").error
    assert env.execute("fix_everything", {}, side="user").error
    missing = env.execute("suspend_line", {"customer_id": "C1001"})
    assert missing.output == (
        "Error: TelecomTools.suspend_line() missing 2 required positional arguments: 'line_id' and 'reason'"
    )
    extra = env.execute("toggle_wifi", {"now": True}, side="user")
    assert extra.output == "Error: TelecomUserTools.toggle_wifi() got an unexpected keyword argument 'now'"
    mode = env.execute("set_network_mode_preference", {"mode": "6g"}, side="user")  # refused in words
    assert not mode.error and mode.output.startswith("Failed to set network mode: '6g' is not a valid option.")


def test_reset_restores_both_sides_and_leaves_the_loaded_state_alone(loaded: TelecomEnv) -> None:
    loaded.reset()
    start = (loaded.state_hash(), loaded.user_state_hash())
    _user(loaded, JOHN)
    _phone(loaded, "toggle_airplane_mode")
    _agent(loaded, "suspend_line", customer_id="C1001", line_id="L1001", reason="x")
    assert (loaded.state_hash(), loaded.user_state_hash()) != start
    assert loaded.initial[USER]["device"]["airplane_mode"] is False  # copy-on-write: the loaded record untouched
    loaded.reset()
    assert (loaded.state_hash(), loaded.user_state_hash()) == start


# -- set-up functions, assertions and bad input ---------------------------------------------------------------


def test_a_bad_initialization_action_names_its_index_and_function(env: TelecomEnv) -> None:
    with pytest.raises(EnvFunctionError, match=r"initialization action 1: .*fix_everything"):
        env.start_task(
            {
                "initialization_actions": [
                    {"env_type": "user", "func_name": "set_user_info", "arguments": JOHN},
                    {"env_type": "user", "func_name": "fix_everything", "arguments": {}},
                ]
            }
        )
    with pytest.raises(EnvFunctionError, match="initialization action 0 must be an object"):
        env.start_task({"initialization_actions": ["set_user_info"]})
    with pytest.raises(EnvFunctionError, match="Line with phone number 555-000-0000 not found"):
        env.start_task(
            {
                "initialization_actions": [
                    {
                        "env_type": "user",
                        "func_name": "set_user_info",
                        "arguments": {"name": "X", "phone_number": "555-000-0000"},
                    }
                ]
            }
        )


def test_assertions_that_raise_or_do_not_return_a_bool_are_reported(env: TelecomEnv) -> None:
    _user(env, JOHN)
    odd = env.run_assertion({"env_type": "user", "func_name": "check_status_bar", "arguments": {}})
    assert odd["error"] == "Function check_status_bar returned str instead of bool" and not odd["met"]
    unknown = env.run_assertion({"env_type": "assistant", "func_name": "assert_nothing", "arguments": {}})
    assert "assert_nothing" in unknown["error"]
    inverted = env.run_assertion(
        {
            "env_type": "user",
            "func_name": "assert_airplane_mode_status",
            "arguments": {"expected_status": True},
            "assert_value": False,
        }
    )
    assert inverted["met"] is True


def test_validate_flags_a_task_whose_env_assertions_fail(env: TelecomEnv) -> None:
    task = GoldTask(
        task_id="t",
        actions=[],
        initial_state={
            "initialization_actions": [{"env_type": "user", "func_name": "set_user_info", "arguments": JOHN}]
        },
        env_assertions=[
            {"env_type": "user", "func_name": "assert_airplane_mode_status", "arguments": {"expected_status": True}}
        ],
    )
    line = replay_task(env, task)
    assert [a["met"] for a in line["env_assertions"]] == [False]
    assert any("assert_airplane_mode_status" in p for p in validate(task, line, env))


def test_bad_database_files_name_the_place(tmp_path: Path) -> None:
    folder = shared_path("tau2", "telecom")
    broken = tmp_path / "db.toml"
    broken.write_text("[[plans]\nname = 1", encoding="utf-8")
    with pytest.raises(StateError, match=r"db\.toml"):
        load_telecom(broken, folder / "user_db.toml")
    text = (folder / "db.toml").read_text(encoding="utf-8")
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(text.replace("data_limit_gb = 5.0", 'data_limit_gb = "five"', 1), encoding="utf-8")
    with pytest.raises(StateError, match=r"plans.*data_limit_gb"):
        load_telecom(wrong, folder / "user_db.toml")
    extra = tmp_path / "extra.toml"
    extra.write_text(text + '\n[[gadgets]]\nid = "G1"\n', encoding="utf-8")
    with pytest.raises(StateError, match="gadgets"):
        load_telecom(extra, folder / "user_db.toml")
    state = load_telecom(folder / "db.toml", tmp_path / "absent.toml")  # no user database: tau2's defaults
    assert state[USER]["device"]["airplane_mode"] is False and state[USER]["surroundings"]["phone_number"] is None


# -- the CLI ----------------------------------------------------------------------------------------


def test_cli_replay_of_every_telecom_task(tmp_path: Path) -> None:
    shared_path("tau2", "telecom")
    out = tmp_path / "replay.jsonl"
    done = run_cli("env", "replay", "--domain", "telecom", "--out", str(out))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 2285
    keys = {"task_id", "actions", "db_diff", "user_db_diff", "final_hash", "final_user_hash"}
    assert all(keys <= set(line) for line in lines)
    assert all(set(a) >= {"name", "arguments", "requestor", "output", "error"} for a in lines[0]["actions"])
    assert not any(a["error"] for line in lines for a in line["actions"])
    assert "validator flagged 0 task(s)" in done.stdout + done.stderr
    by_id = {line["task_id"]: line for line in lines}
    for task_id, ref in list(REFERENCE["tasks"].items())[:50]:
        assert (by_id[task_id]["final_hash"], by_id[task_id]["final_user_hash"]) == (ref["hash"], ref["user_hash"])


def test_cli_replay_with_copies_of_both_databases_and_the_small_task_file(tmp_path: Path) -> None:
    folder = shared_path("tau2", "telecom")
    db, user_db = tmp_path / "db.toml", tmp_path / "user.toml"
    shutil.copy(folder / "db.toml", db)
    shutil.copy(folder / "user_db.toml", user_db)
    out = tmp_path / "small.jsonl"
    done = run_cli(
        "env",
        "replay",
        "--domain",
        "telecom",
        "--db",
        str(db),
        "--user-db",
        str(user_db),
        "--tasks",
        str(folder / "tasks_small.json"),
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert lines and all(line["final_hash"] == REFERENCE["tasks"][line["task_id"]]["hash"] for line in lines)
    assert any(a["requestor"] == "user" for line in lines for a in line["actions"])
    assert any(line["user_db_diff"] for line in lines)

    bad = tmp_path / "bad.toml"
    bad.write_text("not = [toml", encoding="utf-8")
    failed = run_cli("env", "replay", "--domain", "telecom", "--user-db", str(bad), "--out", str(tmp_path / "x"))
    assert failed.returncode == 1 and "bad.toml" in failed.stderr and "Traceback" not in failed.stderr


def test_cli_lists_and_calls_the_users_tools(tmp_path: Path) -> None:
    shared_path("tau2", "telecom")
    listed = run_cli("env", "tools", "--domain", "telecom", "--side", "user")
    assert listed.returncode == 0, listed.stderr
    assert all(name in listed.stdout for name in REFERENCE["user_tools"])
    assert "suspend_line" not in listed.stdout
    called = run_cli("env", "call", "--domain", "telecom", "--side", "user", "toggle_airplane_mode")
    assert called.returncode == 0, called.stderr
    assert "Airplane Mode is now ON." in called.stdout
