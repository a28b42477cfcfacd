"""Regenerate tests/fixtures/tau2_telecom_reference.json from tau2-bench's own telecom environment.

    python tools/make_tau2_telecom_reference.py --source /path/to/tau2-bench.git --venv /tmp/tau2-telecom-venv
    python tools/make_tau2_telecom_reference.py --venv /tmp/tau2-telecom-venv --time   # time tau2, write nothing

fcstudio's telecom environment (written independently) must give tau2's outputs, errors, both DB hashes and
env-assertion results; the fixture is tau2's side of that comparison. This script never runs in CI and no test
needs it.

What it does:
1. Builds the job, with the standard library only: every task of ``../shared/data/tau2/telecom/tasks.json`` by
   id (the driver reads the initialization actions, gold actions and env assertions from tasks.json itself),
   and *coverage* sequences written out in full (initialization actions, calls with their requestor, env
   assertions), with ids picked from ``db.toml`` by fixed rules. Together they call every agent and every user
   tool on its success path and on each of its error paths (unknown ids of every prefix, a line the customer
   does not own, suspend/resume in the wrong state, a second payment request, refuels that create a draft bill
   and that add to one, roaming already on/off, invalid network modes and APN settings, unknown apps and
   permissions, Wi-Fi in airplane mode, VPN twice, payment with no request, unknown tools, a tool called by
   the wrong side, wrong arguments), the delayed effects (a suspended or resumed line shows on the phone only
   after the next network search: reboot, airplane mode off and on, a mode change; APN reset applies at
   reboot; a paid payment request marks the bill paid at the next sync), every initialization function the
   tasks use, and env assertions of both sides (met, not met, raising).
2. Creates a venv (``python -m venv``; ``--venv DIR`` keeps it and reuses it on the next run) with Python 3.12,
   installs tau2-bench at ``TAU2_COMMIT`` (helpers shared with ``tools/make_tau2_reference.py``), and runs
   ``tools/tau2_telecom_reference_driver.py`` in it with ``TAU2_DATA_DIR`` pointing at the shared data. The
   driver only imports and calls tau2 (fresh environment per sequence, ``set_state`` for the initialization,
   ``get_response`` per call, both hashes, ``run_env_assertion``) with two pins, stated in its docstring and
   in the fixture's ``pinning``: the n-th draft bill a sequence creates is named from ``uuid5(NAMESPACE_URL,
   "fcstudio:telecom:draft-bill:<n>")`` instead of a random uuid4, and ``TelecomUserTools.default_vpn_details``
   (which ``break_vpn`` mutates in place) is reset before every sequence.
3. Writes the fixture: per task the sha256 (first 16 hex digits) and error flag of every gold call's output,
   both hashes, the assertion results and the initialization error if any; per coverage sequence its
   specification, the full sha256 and a 100-character prefix of every output (the sha256 is taken after the
   pydantic version in error URLs, ``errors.pydantic.dev/<version>/``, is replaced by ``V``), both hashes, both final
   databases (``model_dump(mode="json")``, for reading diffs) and the assertion results. Prints a summary
   (tasks, sequences, calls, errors, assertion failures) and the tools no sequence calls from their own side:
   there must be none, else it exits 1 without writing.

``--time`` runs the driver's timing mode instead (every task replayed with tau2's default ``get_environment()``,
which loads the TOML files each time) and prints its ``seconds=... tasks=...`` line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_tau2_reference import TAU2_COMMIT, find_python, tau2_requirement

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "tau2_telecom_reference.json"
DRIVER = Path(__file__).resolve().parent / "tau2_telecom_reference_driver.py"
DATA = ROOT.parent / "shared" / "data" / "tau2" / "telecom"
PREFIX = 100
TASK_SHA_DIGITS = 16

# What tau2 has at TAU2_COMMIT (the driver reports tau2's own lists; a difference is printed)
AGENT_TOOLS = sorted(
    "get_customer_by_phone get_customer_by_id get_customer_by_name get_details_by_id suspend_line resume_line "
    "get_bills_for_customer send_payment_request get_data_usage enable_roaming disable_roaming "
    "transfer_to_human_agents refuel_data".split()
)
USER_TOOLS = sorted(
    "check_status_bar check_network_status check_network_mode_preference set_network_mode_preference "
    "run_speed_test toggle_airplane_mode check_sim_status reseat_sim_card toggle_data toggle_roaming "
    "check_data_restriction_status toggle_data_saver_mode check_apn_settings set_apn_settings reset_apn_settings "
    "check_wifi_status toggle_wifi check_wifi_calling_status toggle_wifi_calling check_vpn_status connect_vpn "
    "disconnect_vpn check_installed_apps check_app_status check_app_permissions grant_app_permission "
    "can_send_mms reboot_device check_payment_request make_payment".split()
)
PINNING = (
    "1. Draft bills: tau2 names the draft bill refuel_data creates (customer without a Draft bill) "
    'f"B{uuid.uuid4().hex[:8]}" (random); here the uuid module inside tau2.domains.telecom.tools is replaced by '
    'an object whose uuid4() returns uuid.uuid5(uuid.NAMESPACE_URL, f"fcstudio:telecom:draft-bill:{n}"), '
    "n = 1, 2, ... counting its calls since the sequence started (reset per sequence). "
    "2. VPN details: TelecomUserTools.default_vpn_details is a class attribute that connect_vpn puts on the "
    "device and break_vpn mutates in place (server_performance POOR, leaking into every later environment of "
    'the process); it is reset to a fresh VpnDetails(server_address="192.168.1.1", protocol="OpenVPN", '
    "server_performance=EXCELLENT) before each sequence (per-episode semantics; within one sequence the "
    "aliasing stays: after break_vpn, a later connect_vpn again reports the POOR server)."
)

Spec = dict[str, Any]


# -- building blocks of a coverage sequence -----------------------------------------------------------------


def agent(tool: str, /, **arguments: Any) -> Spec:
    return {"name": tool, "arguments": arguments, "requestor": "assistant"}


def user(tool: str, /, **arguments: Any) -> Spec:
    return {"name": tool, "arguments": arguments, "requestor": "user"}


def init_agent(func_name: str, /, **arguments: Any) -> Spec:
    return {"env_type": "assistant", "func_name": func_name, "arguments": arguments}


def init_user(func_name: str, /, **arguments: Any) -> Spec:
    return {"env_type": "user", "func_name": func_name, "arguments": arguments}


def check_agent(func_name: str, /, assert_value: bool = True, **arguments: Any) -> Spec:
    return {"env_type": "assistant", "func_name": func_name, "arguments": arguments, "assert_value": assert_value}


def check_user(func_name: str, /, assert_value: bool = True, **arguments: Any) -> Spec:
    return {"env_type": "user", "func_name": func_name, "arguments": arguments, "assert_value": assert_value}


def sequence(label: str, init: list[Spec], calls: list[Spec], assertions: list[Spec]) -> Spec:
    return {"label": label, "init": init, "calls": calls, "assertions": assertions}


class Picks:
    """The ids coverage needs, chosen from db.toml by fixed rules (first match in id order)."""

    def __init__(self, db: dict):
        self.customers = {c["customer_id"]: c for c in db["customers"]}
        self.lines = {line["line_id"]: line for line in db["lines"]}
        self.bills = {b["bill_id"]: b for b in db["bills"]}
        self.devices = {d["device_id"]: d for d in db["devices"]}
        self.plans = {p["plan_id"]: p for p in db["plans"]}

    @staticmethod
    def first(candidates: Any, what: str) -> Any:
        ordered = sorted(candidates)
        if not ordered:
            raise SystemExit(f"make_tau2_telecom_reference: db.toml has no {what} (has it changed?)")
        return ordered[0]

    def lines_of(self, cid: str, status: str | None = None, roaming: bool | None = None) -> list[str]:
        return sorted(
            lid
            for lid in self.customers[cid]["line_ids"]
            if (status is None or self.lines[lid]["status"] == status)
            and (roaming is None or self.lines[lid]["roaming_enabled"] == roaming)
        )

    def bills_of(self, cid: str, status: str) -> list[str]:
        return sorted(b for b in self.customers[cid]["bill_ids"] if self.bills[b]["status"] == status)

    def unknown(self, prefix: str) -> str:
        known = set(self.lines) | set(self.bills) | set(self.devices) | set(self.plans) | set(self.customers)
        return next(f"{prefix}{n}" for n in range(9999, 0, -1) if f"{prefix}{n}" not in known)


def coverage(db: dict) -> list[Spec]:
    """Every tool of both sides on its success and error paths, the delayed effects, every init function."""
    p = Picks(db)
    home = p.first(
        (
            cid
            for cid in p.customers
            if p.lines_of(cid, "Active", False)
            and p.lines_of(cid, "Active", True)
            and p.lines_of(cid, "Suspended")
            and p.bills_of(cid, "Draft")
            and p.bills_of(cid, "Issued")
            and p.bills_of(cid, "Paid")
        ),
        "customer with an active roaming-off line, an active roaming-on line, a suspended line and "
        "Draft, Issued and Paid bills",
    )
    line_off, line_on = p.lines_of(home, "Active", False)[0], p.lines_of(home, "Active", True)[0]
    line_susp = p.lines_of(home, "Suspended")[0]
    draft, issued, paid = p.bills_of(home, "Draft")[0], p.bills_of(home, "Issued")[0], p.bills_of(home, "Paid")[0]
    nodraft = p.first(
        (c for c in p.customers if c != home and p.lines_of(c, "Active") and not p.bills_of(c, "Draft")),
        "second customer with an active line and no Draft bill",
    )
    nodraft_line = p.lines_of(nodraft, "Active")[0]
    overdue = p.first(p.bills_of(nodraft, "Overdue"), "Overdue bill of the second customer")
    third = p.first(
        (c for c in p.customers if c not in (home, nodraft) and p.lines_of(c) and not p.bills_of(c, "Draft")),
        "third customer with a line and no Draft bill",
    )
    third_line = p.lines_of(third)[0]
    empty = p.first((c for c in p.customers if not p.customers[c]["line_ids"]), "customer without lines")
    h = p.customers[home]
    name, dob = h["full_name"], h["date_of_birth"]
    phone_on, phone_off = p.lines[line_on]["phone_number"], p.lines[line_off]["phone_number"]
    phone_susp = p.lines[line_susp]["phone_number"]
    line_phones = {line["phone_number"] for line in p.lines.values()}
    contact_phones = {c["phone_number"] for c in p.customers.values()}
    unknown_phone = next(
        f"555-000-{n:04d}" for n in range(10000) if f"555-000-{n:04d}" not in line_phones | contact_phones
    )
    device = p.lines[line_off]["device_id"]
    plan_on = p.lines[line_on]["plan_id"]
    limit_on = p.plans[plan_on]["data_limit_gb"]
    u_l, u_d, u_b, u_c, u_p = (p.unknown(x) for x in "LDBCP")
    new_overdue = p.unknown("B") + "01"  # the id of the overdue bill an initialization creates

    me = [init_user("set_user_info", name=name, phone_number=phone_on)]
    me_off = [init_user("set_user_info", name=name, phone_number=phone_off)]
    all_reads = [
        user("check_status_bar"),
        user("check_network_status"),
        user("check_network_mode_preference"),
        user("check_sim_status"),
        user("check_data_restriction_status"),
        user("check_apn_settings"),
        user("check_wifi_status"),
        user("check_wifi_calling_status"),
        user("check_vpn_status"),
        user("check_installed_apps"),
        user("check_app_status", app_name="messaging"),
        user("check_app_permissions", app_name="messaging"),
        user("can_send_mms"),
        user("check_payment_request"),
        user("run_speed_test"),
    ]
    connected = check_user("assert_service_status", expected_status="connected")
    no_service = check_user("assert_service_status", expected_status="no_service")
    data_ok = check_user("assert_mobile_data_status", expected_status=True)
    data_down = check_user("assert_mobile_data_status", expected_status=False)
    excellent = check_user("assert_internet_speed", expected_speed=200, expected_desc="excellent")
    mms_ok = check_user("assert_can_send_mms", expected_status=True)
    mms_down = check_user("assert_can_send_mms", expected_status=False)

    def line_is(cid: str, lid: str, status: str, value: bool = True) -> Spec:
        return check_agent("assert_line_status", value, customer_id=cid, line_id=lid, expected_status=status)

    seqs: list[Spec] = []
    add = seqs.append

    # -- agent tools -------------------------------------------------------------------------------------
    add(
        sequence(
            "agent: get_customer_by_phone (contact number, line numbers, unknown)",
            [],
            [
                agent("get_customer_by_phone", phone_number=h["phone_number"]),
                agent("get_customer_by_phone", phone_number=phone_off),
                agent("get_customer_by_phone", phone_number=p.lines[nodraft_line]["phone_number"]),
                agent("get_customer_by_phone", phone_number=p.customers[empty]["phone_number"]),
                agent("get_customer_by_phone", phone_number=unknown_phone),
            ],
            [line_is(home, line_off, "Active"), line_is(home, line_susp, "Active", False)],
        )
    )
    add(
        sequence(
            "agent: get_customer_by_id and get_customer_by_name (matches, case, wrong dob, unknown)",
            [],
            [
                agent("get_customer_by_id", customer_id=home),
                agent("get_customer_by_id", customer_id=empty),
                agent("get_customer_by_id", customer_id=u_c),
                agent("get_customer_by_id", customer_id=home.lower()),
                agent("get_customer_by_name", full_name=name, dob=dob),
                agent("get_customer_by_name", full_name=name.upper(), dob=dob),
                agent("get_customer_by_name", full_name=name, dob="1900-01-01"),
                agent("get_customer_by_name", full_name="Nobody Atall", dob=dob),
            ],
            [check_agent("assert_no_overdue_bill", overdue_bill_id=issued, assert_value=False)],
        )
    )
    add(
        sequence(
            "agent: get_details_by_id, every prefix",
            [],
            [
                agent("get_details_by_id", id=line_off),
                agent("get_details_by_id", id=device),
                agent("get_details_by_id", id=issued),
                agent("get_details_by_id", id=home),
                agent("get_details_by_id", id=plan_on),
                agent("get_details_by_id", id=line_susp),
                agent("get_details_by_id", id=overdue),
            ],
            [check_agent("assert_overdue_bill_exists", customer_id=nodraft, overdue_bill_id=overdue)],
        )
    )
    add(
        sequence(
            "agent: get_details_by_id, unknown ids of every prefix and no known prefix",
            [],
            [
                agent("get_details_by_id", id=u_l),
                agent("get_details_by_id", id=u_d),
                agent("get_details_by_id", id=u_b),
                agent("get_details_by_id", id=u_c),
                agent("get_details_by_id", id=u_p),
                agent("get_details_by_id", id="X1001"),
                agent("get_details_by_id", id=line_off.lower()),
                agent("get_details_by_id", id=""),
            ],
            [check_agent("assert_no_overdue_bill", overdue_bill_id=u_b)],
        )
    )
    add(
        sequence(
            "agent: suspend_line an active line, then again",
            [],
            [
                agent("suspend_line", customer_id=home, line_id=line_off, reason="travelling for three months"),
                agent("get_details_by_id", id=line_off),
                agent("suspend_line", customer_id=home, line_id=line_off, reason="again"),
                agent("get_data_usage", customer_id=home, line_id=line_off),
            ],
            [line_is(home, line_off, "Suspended"), line_is(home, line_off, "Active", False)],
        )
    )
    add(
        sequence(
            "agent: suspend_line errors",
            [],
            [
                agent("suspend_line", customer_id=home, line_id=line_susp, reason="already suspended"),
                agent("suspend_line", customer_id=home, line_id=nodraft_line, reason="not the customer's line"),
                agent("suspend_line", customer_id=u_c, line_id=line_off, reason="unknown customer"),
                agent("suspend_line", customer_id=empty, line_id=line_off, reason="customer without lines"),
                agent("suspend_line", customer_id=home, line_id=u_l, reason="unknown line"),
            ],
            [line_is(home, line_susp, "Suspended"), line_is(nodraft, nodraft_line, "Active")],
        )
    )
    add(
        sequence(
            "agent: resume_line a suspended line, then again",
            [],
            [
                agent("resume_line", customer_id=home, line_id=line_susp),
                agent("get_details_by_id", id=line_susp),
                agent("resume_line", customer_id=home, line_id=line_susp),
            ],
            [line_is(home, line_susp, "Active")],
        )
    )
    add(
        sequence(
            "agent: resume_line errors, and a suspended customer's line",
            [],
            [
                agent("resume_line", customer_id=home, line_id=line_off),
                agent("resume_line", customer_id=home, line_id=nodraft_line),
                agent("resume_line", customer_id=u_c, line_id=line_susp),
                agent("resume_line", customer_id=home, line_id=u_l),
                agent("resume_line", customer_id=third, line_id=third_line),
                agent("get_details_by_id", id=third_line),
            ],
            [line_is(third, third_line, "Active"), line_is(home, line_susp, "Suspended")],
        )
    )
    add(
        sequence(
            "agent: suspend then resume a roaming line",
            [],
            [
                agent("suspend_line", customer_id=home, line_id=line_on, reason="lost phone"),
                agent("resume_line", customer_id=home, line_id=line_on),
                agent("get_details_by_id", id=line_on),
                agent("suspend_line", customer_id=home, line_id=line_on, reason="lost phone again"),
            ],
            [line_is(home, line_on, "Suspended")],
        )
    )
    add(
        sequence(
            "agent: get_bills_for_customer (limits, no bills, unknown)",
            [],
            [
                agent("get_bills_for_customer", customer_id=home),
                agent("get_bills_for_customer", customer_id=home, limit=1),
                agent("get_bills_for_customer", customer_id=home, limit=0),
                agent("get_bills_for_customer", customer_id=nodraft, limit=5),
                agent("get_bills_for_customer", customer_id=empty),
                agent("get_bills_for_customer", customer_id=u_c),
            ],
            [check_agent("assert_no_overdue_bill", overdue_bill_id=paid)],
        )
    )
    add(
        sequence(
            "agent: send_payment_request, then a second while one is pending",
            [],
            [
                agent("send_payment_request", customer_id=home, bill_id=issued),
                agent("get_details_by_id", id=issued),
                agent("send_payment_request", customer_id=home, bill_id=paid),
                agent("send_payment_request", customer_id=home, bill_id=issued),
                agent("get_bills_for_customer", customer_id=home),
            ],
            [check_agent("assert_no_overdue_bill", overdue_bill_id=issued, assert_value=False)],
        )
    )
    add(
        sequence(
            "agent: send_payment_request errors, and another customer's overdue bill",
            [],
            [
                agent("send_payment_request", customer_id=home, bill_id=overdue),
                agent("send_payment_request", customer_id=home, bill_id=u_b),
                agent("send_payment_request", customer_id=u_c, bill_id=issued),
                agent("send_payment_request", customer_id=empty, bill_id=issued),
                agent("send_payment_request", customer_id=nodraft, bill_id=overdue),
                agent("get_details_by_id", id=overdue),
            ],
            [check_agent("assert_overdue_bill_exists", customer_id=nodraft, overdue_bill_id=overdue)],
        )
    )
    add(
        sequence(
            "agent: send_payment_request on a paid bill (tau2 does not check)",
            [],
            [
                agent("send_payment_request", customer_id=home, bill_id=paid),
                agent("get_details_by_id", id=paid),
                agent("send_payment_request", customer_id=home, bill_id=draft),
            ],
            [check_agent("assert_no_overdue_bill", overdue_bill_id=paid, assert_value=False)],
        )
    )
    add(
        sequence(
            "agent: send_payment_request on the draft bill; a refuel then creates a new draft bill",
            me,
            [
                agent("send_payment_request", customer_id=home, bill_id=draft),
                user("check_payment_request"),
                agent("refuel_data", customer_id=home, line_id=line_on, gb_amount=1.0),
                agent("get_bills_for_customer", customer_id=home, limit=2),
                user("make_payment"),
                agent("get_details_by_id", id=draft),
            ],
            [check_agent("assert_no_overdue_bill", overdue_bill_id=draft)],
        )
    )
    add(
        sequence(
            "agent: get_data_usage (successes, not owned, unknown)",
            [],
            [
                agent("get_data_usage", customer_id=home, line_id=line_off),
                agent("get_data_usage", customer_id=home, line_id=line_on),
                agent("get_data_usage", customer_id=nodraft, line_id=nodraft_line),
                agent("get_data_usage", customer_id=home, line_id=nodraft_line),
                agent("get_data_usage", customer_id=u_c, line_id=line_off),
                agent("get_data_usage", customer_id=home, line_id=u_l),
            ],
            [check_agent("assert_data_refueling_amount", customer_id=home, line_id=line_on, expected_amount=0.0)],
        )
    )
    add(
        sequence(
            "agent: enable_roaming and disable_roaming, already on and off, errors",
            [],
            [
                agent("enable_roaming", customer_id=home, line_id=line_off),
                agent("enable_roaming", customer_id=home, line_id=line_off),
                agent("get_details_by_id", id=line_off),
                agent("disable_roaming", customer_id=home, line_id=line_off),
                agent("disable_roaming", customer_id=home, line_id=line_off),
                agent("enable_roaming", customer_id=home, line_id=line_on),
                agent("enable_roaming", customer_id=home, line_id=nodraft_line),
                agent("disable_roaming", customer_id=u_c, line_id=line_off),
                agent("disable_roaming", customer_id=home, line_id=u_l),
                agent("disable_roaming", customer_id=home, line_id=line_susp),
            ],
            [line_is(home, line_off, "Active")],
        )
    )
    add(
        sequence(
            "agent: transfer_to_human_agents (and without its argument)",
            [],
            [
                agent("transfer_to_human_agents", summary="The customer wants to change plan; no tool can."),
                agent("transfer_to_human_agents"),
                agent("transfer_to_human_agents", summary=""),
            ],
            [],
        )
    )
    add(
        sequence(
            "agent: refuel_data creates draft bills (two customers without one), then adds to them",
            [],
            [
                agent("refuel_data", customer_id=nodraft, line_id=nodraft_line, gb_amount=2.0),
                agent("refuel_data", customer_id=nodraft, line_id=nodraft_line, gb_amount=1),
                agent("get_bills_for_customer", customer_id=nodraft),
                agent("refuel_data", customer_id=third, line_id=third_line, gb_amount=0.5),
                agent("get_bills_for_customer", customer_id=third, limit=1),
                agent("get_data_usage", customer_id=nodraft, line_id=nodraft_line),
                agent("get_customer_by_id", customer_id=third),
            ],
            [
                check_agent(
                    "assert_data_refueling_amount", customer_id=nodraft, line_id=nodraft_line, expected_amount=3
                ),
                check_agent("assert_data_refueling_amount", customer_id=third, line_id=third_line, expected_amount=1.0),
            ],
        )
    )
    add(
        sequence(
            "agent: refuel_data creates a draft bill with float rounding (0.3 GB at 0.1 $/GB)",
            [],
            [
                agent("refuel_data", customer_id=nodraft, line_id=nodraft_line, gb_amount=0.3),
                agent("refuel_data", customer_id=nodraft, line_id=nodraft_line, gb_amount=0.7),
                agent("get_bills_for_customer", customer_id=nodraft, limit=1),
            ],
            [
                check_agent(
                    "assert_data_refueling_amount", customer_id=nodraft, line_id=nodraft_line, expected_amount=1.0
                )
            ],
        )
    )
    add(
        sequence(
            "agent: refuel_data adds to an existing draft bill (and on a suspended line)",
            [],
            [
                agent("refuel_data", customer_id=home, line_id=line_on, gb_amount=2.0),
                agent("get_details_by_id", id=draft),
                agent("refuel_data", customer_id=home, line_id=line_off, gb_amount=0.3),
                agent("refuel_data", customer_id=home, line_id=line_susp, gb_amount=1.25),
                agent("get_details_by_id", id=draft),
                agent("get_data_usage", customer_id=home, line_id=line_off),
            ],
            [
                check_agent("assert_data_refueling_amount", customer_id=home, line_id=line_on, expected_amount=2.0),
                check_agent("assert_data_refueling_amount", customer_id=home, line_id=line_off, expected_amount=0.2),
            ],
        )
    )
    add(
        sequence(
            "agent: refuel_data errors (zero, negative, not owned, unknown)",
            [],
            [
                agent("refuel_data", customer_id=home, line_id=line_on, gb_amount=0),
                agent("refuel_data", customer_id=home, line_id=line_on, gb_amount=-1.5),
                agent("refuel_data", customer_id=home, line_id=nodraft_line, gb_amount=1.0),
                agent("refuel_data", customer_id=u_c, line_id=line_on, gb_amount=1.0),
                agent("refuel_data", customer_id=home, line_id=u_l, gb_amount=1.0),
                agent("get_details_by_id", id=draft),
            ],
            [check_agent("assert_data_refueling_amount", customer_id=home, line_id=line_on, expected_amount=0)],
        )
    )
    add(
        sequence(
            "unknown tools, tools of the other side, non-tool methods",
            me,
            [
                agent("get_weather", city="Paris"),
                user("do_a_dance"),
                agent("check_status_bar"),
                user("get_customer_by_id", customer_id=home),
                user("set_user_info", name=name, phone_number=phone_on),
                user("turn_airplane_mode_on"),
                agent("set_data_usage", customer_id=home, line_id=line_on, data_used_gb=1.0),
                user("_check_status_bar"),
                agent("get_customer_by_id", customer_id=home),
                user("check_status_bar"),
            ],
            [check_user("assert_airplane_mode_status", expected_status=False)],
        )
    )
    add(
        sequence(
            "wrong arguments (missing, unexpected)",
            me,
            [
                agent("get_customer_by_id"),
                agent("get_customer_by_id", customer_id=home, extra=1),
                agent("suspend_line", customer_id=home, line_id=line_off),
                user("check_status_bar", verbose=True),
                user("toggle_data", on=True),
                user("grant_app_permission", app_name="messaging"),
                user("set_network_mode_preference"),
            ],
            [data_ok],
        )
    )

    # -- user tools --------------------------------------------------------------------------------------
    add(sequence("user: every read on the default phone", me, all_reads, [connected, data_ok, excellent, mms_ok]))
    add(
        sequence(
            "user: reads and payment with no phone number set (no sync)",
            [],
            [*all_reads, user("make_payment"), user("reboot_device"), user("check_status_bar")],
            [connected, check_user("assert_internet_not_excellent", assert_value=False)],
        )
    )
    add(
        sequence(
            "user: set_network_mode_preference, every mode, speed after each",
            me,
            [
                user("set_network_mode_preference", mode="4g_only"),
                user("check_network_mode_preference"),
                user("run_speed_test"),
                user("set_network_mode_preference", mode="3g_only"),
                user("run_speed_test"),
                user("can_send_mms"),
                user("set_network_mode_preference", mode="2g_only"),
                user("run_speed_test"),
                user("can_send_mms"),
                user("check_network_status"),
                user("set_network_mode_preference", mode="4g_5g_preferred"),
                user("run_speed_test"),
            ],
            [excellent, check_user("assert_internet_speed", expected_speed=300)],
        )
    )
    add(
        sequence(
            "user: set_network_mode_preference with invalid modes",
            me,
            [
                user("set_network_mode_preference", mode="5g_only"),
                user("set_network_mode_preference", mode=""),
                user("set_network_mode_preference", mode="4G_ONLY"),
                user("check_network_mode_preference"),
                user("check_status_bar"),
            ],
            [connected],
        )
    )
    add(
        sequence(
            "user: 2G mode set at initialization, then a network search",
            [*me, init_user("set_network_mode_preference", mode="2g_only"), init_user("simulate_network_search")],
            [
                user("check_status_bar"),
                user("check_network_mode_preference"),
                user("run_speed_test"),
                user("can_send_mms"),
                user("set_network_mode_preference", mode="4g_5g_preferred"),
                user("run_speed_test"),
                user("can_send_mms"),
            ],
            [excellent, mms_ok, check_user("assert_internet_not_excellent", assert_value=False)],
        )
    )
    add(
        sequence(
            "user: 2G mode set at initialization (set_network_mode_preference searches itself), then reboot",
            [*me, init_user("set_network_mode_preference", mode="2g_only")],
            [user("check_status_bar"), user("run_speed_test"), user("reboot_device"), user("run_speed_test")],
            [check_user("assert_internet_speed", expected_speed=0.1), mms_down],
        )
    )
    add(
        sequence(
            "user: airplane mode on and off; Wi-Fi refused while on",
            me,
            [
                user("toggle_airplane_mode"),
                user("check_status_bar"),
                user("check_network_status"),
                user("toggle_wifi"),
                user("check_wifi_status"),
                user("run_speed_test"),
                user("can_send_mms"),
                user("toggle_airplane_mode"),
                user("check_status_bar"),
                user("run_speed_test"),
            ],
            [check_user("assert_airplane_mode_status", expected_status=False), connected],
        )
    )
    add(
        sequence(
            "user: airplane mode on at initialization",
            [*me, init_user("turn_airplane_mode_on")],
            [
                user("check_network_status"),
                user("toggle_wifi"),
                user("toggle_airplane_mode"),
                user("check_network_status"),
            ],
            [check_user("assert_airplane_mode_status", expected_status=True, assert_value=False), data_ok],
        )
    )
    add(
        sequence(
            "user: airplane mode with Wi-Fi on and a VPN connected",
            me,
            [
                user("toggle_wifi"),
                user("connect_vpn"),
                user("check_status_bar"),
                user("toggle_airplane_mode"),
                user("check_vpn_status"),
                user("check_wifi_status"),
                user("toggle_airplane_mode"),
                user("check_wifi_status"),
                user("check_network_status"),
            ],
            [check_user("assert_airplane_mode_status", expected_status=False), excellent],
        )
    )
    add(
        sequence(
            "user: SIM card unseated at initialization, reseated",
            [*me, init_user("unseat_sim_card")],
            [
                user("check_sim_status"),
                user("check_status_bar"),
                user("check_network_status"),
                user("run_speed_test"),
                user("reseat_sim_card"),
                user("check_sim_status"),
                user("run_speed_test"),
                user("reseat_sim_card"),
            ],
            [connected, data_ok],
        )
    )
    add(
        sequence(
            "user: SIM card locked with a PIN (reseat and reboot do not help)",
            [*me, init_user("lock_sim_card", mode="pin")],
            [user("check_sim_status"), user("reseat_sim_card"), user("reboot_device"), user("check_network_status")],
            [no_service, data_down],
        )
    )
    add(
        sequence(
            "user: SIM card locked with a PUK, also unseated",
            [*me, init_user("lock_sim_card", mode="puk"), init_user("unseat_sim_card")],
            [user("check_sim_status"), user("reseat_sim_card"), user("check_sim_status"), user("check_status_bar")],
            [no_service, check_user("assert_service_status", expected_status="connected", assert_value=False)],
        )
    )
    add(
        sequence(
            "user: mobile data off at initialization, toggled",
            [*me, init_user("turn_data_off")],
            [
                user("check_status_bar"),
                user("run_speed_test"),
                user("can_send_mms"),
                user("toggle_data"),
                user("run_speed_test"),
                user("toggle_data"),
                user("check_network_status"),
            ],
            [data_down, mms_down],
        )
    )
    add(
        sequence(
            "user: abroad on a line without roaming: phone setting and line setting both needed",
            [*me_off, init_user("set_user_location", abroad=True), init_user("turn_roaming_off")],
            [
                user("run_speed_test"),
                user("toggle_roaming"),
                user("run_speed_test"),
                agent("enable_roaming", customer_id=home, line_id=line_off),
                user("run_speed_test"),
                user("can_send_mms"),
                agent("disable_roaming", customer_id=home, line_id=line_off),
                user("run_speed_test"),
                agent("enable_roaming", customer_id=home, line_id=line_off),
            ],
            [check_user("assert_mobile_roaming_status", expected_status=True), data_ok, excellent],
        )
    )
    add(
        sequence(
            "user: abroad, roaming off on the phone, already enabled on the line (as the tasks)",
            [
                *me,
                init_user("set_user_location", abroad=True),
                init_user("turn_roaming_off"),
                init_agent("enable_roaming", customer_id=home, line_id=line_on),
            ],
            [user("check_network_status"), user("toggle_roaming"), user("run_speed_test")],
            [data_ok, excellent],
        )
    )
    add(
        sequence(
            "user: abroad, roaming on on the phone, disabled on the line at initialization",
            [
                *me,
                init_user("set_user_location", abroad=True),
                init_user("turn_roaming_on"),
                init_agent("disable_roaming", customer_id=home, line_id=line_on),
            ],
            [
                user("check_network_status"),
                user("run_speed_test"),
                agent("enable_roaming", customer_id=home, line_id=line_on),
                user("run_speed_test"),
                user("toggle_roaming"),
                user("run_speed_test"),
            ],
            [data_down, check_user("assert_mobile_roaming_status", expected_status=False)],
        )
    )
    add(
        sequence(
            "user: at home again (set_user_location False) with roaming off",
            [
                *me,
                init_user("set_user_location", abroad=True),
                init_user("set_user_location", abroad=False),
                init_user("turn_roaming_off"),
            ],
            [user("run_speed_test"), user("toggle_roaming"), user("toggle_roaming")],
            [data_ok, check_user("assert_mobile_roaming_status", expected_status=False)],
        )
    )
    add(
        sequence(
            "data usage exceeded at initialization, refuelled",
            [*me, init_agent("set_data_usage", customer_id=home, line_id=line_on, data_used_gb=limit_on + 0.1)],
            [
                user("run_speed_test"),
                user("check_status_bar"),
                agent("get_data_usage", customer_id=home, line_id=line_on),
                agent("refuel_data", customer_id=home, line_id=line_on, gb_amount=2.0),
                user("run_speed_test"),
                agent("get_details_by_id", id=draft),
            ],
            [
                check_user("assert_mobile_data_usage_exceeded", expected_status=False),
                check_agent("assert_data_refueling_amount", customer_id=home, line_id=line_on, expected_amount=2.0),
                data_ok,
            ],
        )
    )
    add(
        sequence(
            "data usage exactly at the limit (exceeded), a small refuel",
            [*me, init_agent("set_data_usage", customer_id=home, line_id=line_on, data_used_gb=limit_on)],
            [
                user("run_speed_test"),
                agent("refuel_data", customer_id=home, line_id=line_on, gb_amount=0.1),
                user("run_speed_test"),
                agent("get_data_usage", customer_id=home, line_id=line_on),
            ],
            [check_user("assert_mobile_data_usage_exceeded", expected_status=True, assert_value=False), data_ok],
        )
    )
    add(
        sequence(
            "data usage exceeded on another customer's line (no effect on this phone)",
            [
                *me,
                init_agent("set_data_usage", customer_id=nodraft, line_id=nodraft_line, data_used_gb=5000.0),
            ],
            [user("run_speed_test"), agent("get_data_usage", customer_id=nodraft, line_id=nodraft_line)],
            [check_user("assert_mobile_data_usage_exceeded", expected_status=False)],
        )
    )
    add(
        sequence(
            "init error: set_data_usage on a line not owned",
            [*me, init_agent("set_data_usage", customer_id=home, line_id=nodraft_line, data_used_gb=1.0)],
            [user("check_status_bar")],
            [connected],
        )
    )
    add(
        sequence(
            "user: data saver toggled, speed with and without",
            me,
            [
                user("toggle_data_saver_mode"),
                user("check_data_restriction_status"),
                user("check_status_bar"),
                user("run_speed_test"),
                user("toggle_data_saver_mode"),
                user("run_speed_test"),
                user("check_data_restriction_status"),
            ],
            [check_user("assert_mobile_data_saver_mode_status", expected_status=False), excellent],
        )
    )
    add(
        sequence(
            "user: data saver on at initialization, 3G (very slow)",
            [*me, init_user("turn_data_saver_mode_on"), init_user("set_network_mode_preference", mode="3g_only")],
            [user("check_data_restriction_status"), user("run_speed_test"), user("toggle_data_saver_mode")],
            [
                check_user("assert_mobile_data_saver_mode_status", expected_status=True, assert_value=False),
                check_user("assert_internet_not_excellent"),
            ],
        )
    )
    add(
        sequence(
            "user: APN broken at initialization; reset applies at reboot",
            [*me, init_user("break_apn_settings")],
            [
                user("check_apn_settings"),
                user("check_status_bar"),
                user("run_speed_test"),
                user("reset_apn_settings"),
                user("check_apn_settings"),
                user("check_status_bar"),
                user("reboot_device"),
                user("check_apn_settings"),
                user("check_status_bar"),
                user("run_speed_test"),
            ],
            [connected, data_ok, excellent],
        )
    )
    add(
        sequence(
            "user: APN broken, rebooted without a reset (still broken)",
            [*me, init_user("break_apn_settings")],
            [
                user("reboot_device"),
                user("check_apn_settings"),
                user("toggle_airplane_mode"),
                user("toggle_airplane_mode"),
            ],
            [no_service],
        )
    )
    add(
        sequence(
            "user: MMS APN setting broken at initialization; reset applies at reboot",
            [*me, init_user("break_apn_mms_setting")],
            [
                user("can_send_mms"),
                user("check_apn_settings"),
                user("reset_apn_settings"),
                user("can_send_mms"),
                user("reboot_device"),
                user("can_send_mms"),
                user("check_apn_settings"),
            ],
            [mms_ok],
        )
    )
    add(
        sequence(
            "user: set_apn_settings with valid dicts, an unknown key, an invalid name",
            me,
            [
                user(
                    "set_apn_settings",
                    apn_settings={
                        "apn_name": "internet",
                        "mmsc_url": "http://mms.example.com/mms",
                        "mms_apn": "mms2",
                        "mms_proxy": "10.0.0.1",
                        "mms_port": 8080,
                    },
                ),
                user("check_apn_settings"),
                user("can_send_mms"),
                user("set_apn_settings", apn_settings={"apn_name": "broken"}),
                user("check_status_bar"),
                user("set_apn_settings", apn_settings={}),
                user("check_status_bar"),
                user("set_apn_settings", apn_settings={"apn_name": "internet", "colour": "blue"}),
                user("set_apn_settings", apn_settings={"apn_name": "nonsense"}),
                user("check_apn_settings"),
                user("set_apn_settings", apn_settings={"mmsc_url": None}),
                user("can_send_mms"),
                user("check_apn_settings"),
            ],
            [mms_down, connected],
        )
    )
    add(
        sequence(
            "user: set_apn_settings with reset_at_reboot, then reboot",
            me,
            [
                user("set_apn_settings", apn_settings={"reset_at_reboot": True, "mmsc_url": None}),
                user("can_send_mms"),
                user("reboot_device"),
                user("can_send_mms"),
                user("check_apn_settings"),
            ],
            [mms_ok],
        )
    )
    add(
        sequence(
            "user: Wi-Fi on and off",
            me,
            [
                user("toggle_wifi"),
                user("check_wifi_status"),
                user("check_status_bar"),
                user("check_network_status"),
                user("toggle_wifi"),
                user("check_wifi_status"),
            ],
            [data_ok],
        )
    )
    add(
        sequence(
            "user: Wi-Fi calling toggled (MMS over Wi-Fi off)",
            me,
            [
                user("toggle_wifi_calling"),
                user("check_wifi_calling_status"),
                user("can_send_mms"),
                user("toggle_wifi_calling"),
                user("check_wifi_calling_status"),
            ],
            [mms_ok],
        )
    )
    add(
        sequence(
            "user: Wi-Fi calling with MMS over Wi-Fi set at initialization",
            [*me, init_user("set_wifi_calling", enabled=True, mms_over_wifi=True)],
            [
                user("can_send_mms"),
                user("check_wifi_calling_status"),
                user("toggle_wifi_calling"),
                user("can_send_mms"),
                user("toggle_wifi_calling"),
                user("can_send_mms"),
            ],
            [mms_down],
        )
    )
    add(
        sequence(
            "user: set_wifi_calling off without the MMS setting, then on",
            [
                *me,
                init_user("set_wifi_calling", enabled=False),
                init_user("set_wifi_calling", enabled=True, mms_over_wifi=False),
            ],
            [user("check_wifi_calling_status"), user("can_send_mms")],
            [mms_ok],
        )
    )
    add(
        sequence(
            "user: VPN broken at initialization; reconnecting keeps the poor server (aliasing)",
            [*me, init_user("break_vpn")],
            [
                user("check_vpn_status"),
                user("run_speed_test"),
                user("check_status_bar"),
                user("disconnect_vpn"),
                user("run_speed_test"),
                user("connect_vpn"),
                user("check_vpn_status"),
                user("run_speed_test"),
            ],
            [check_user("assert_internet_not_excellent"), data_ok],
        )
    )
    add(
        sequence(
            "user: connect_vpn twice, disconnect_vpn twice (a fresh excellent server after break_vpn elsewhere)",
            me,
            [
                user("check_vpn_status"),
                user("disconnect_vpn"),
                user("connect_vpn"),
                user("check_vpn_status"),
                user("connect_vpn"),
                user("run_speed_test"),
                user("disconnect_vpn"),
                user("disconnect_vpn"),
                user("check_vpn_status"),
            ],
            [excellent],
        )
    )
    add(
        sequence(
            "user: data saver and a broken VPN at initialization (as the tasks)",
            [*me, init_user("turn_data_saver_mode_on"), init_user("break_vpn")],
            [
                user("run_speed_test"),
                user("toggle_data_saver_mode"),
                user("run_speed_test"),
                user("disconnect_vpn"),
                user("run_speed_test"),
            ],
            [excellent, check_user("assert_mobile_data_saver_mode_status", expected_status=False)],
        )
    )
    add(
        sequence(
            "user: apps and permissions (grants, case, unknown app, untracked permission)",
            me,
            [
                user("check_installed_apps"),
                user("check_app_status", app_name="browser"),
                user("check_app_status", app_name="camera"),
                user("check_app_permissions", app_name="browser"),
                user("check_app_permissions", app_name="camera"),
                user("grant_app_permission", app_name="browser", permission="sms"),
                user("grant_app_permission", app_name="messaging", permission="NETWORK"),
                user("grant_app_permission", app_name="camera", permission="sms"),
                user("grant_app_permission", app_name="messaging", permission="location"),
                user("grant_app_permission", app_name="Messaging", permission="sms"),
                user("check_app_permissions", app_name="messaging"),
                user("check_app_status", app_name="messaging"),
            ],
            [mms_ok],
        )
    )
    add(
        sequence(
            "user: messaging permissions removed at initialization, granted back",
            [
                *me,
                init_user("remove_app_permission", app_name="messaging", permission="storage"),
                init_user("remove_app_permission", app_name="messaging", permission="sms"),
                init_user("remove_app_permission", app_name="camera", permission="sms"),
                init_user("remove_app_permission", app_name="messaging", permission="location"),
            ],
            [
                user("check_app_permissions", app_name="messaging"),
                user("can_send_mms"),
                user("grant_app_permission", app_name="messaging", permission="storage"),
                user("can_send_mms"),
                user("grant_app_permission", app_name="messaging", permission="sms"),
                user("can_send_mms"),
            ],
            [mms_ok],
        )
    )
    add(
        sequence(
            "user: an app with no permission left",
            [
                *me,
                init_user("remove_app_permission", app_name="browser", permission="network"),
                init_user("remove_app_permission", app_name="browser", permission="STORAGE"),
            ],
            [user("check_app_permissions", app_name="browser"), user("check_app_status", app_name="browser")],
            [mms_ok],
        )
    )
    add(
        sequence(
            "user: reboot the default phone (network search refreshes the signal)",
            me,
            [user("check_status_bar"), user("reboot_device"), user("check_status_bar"), user("run_speed_test")],
            [excellent, check_user("assert_internet_speed", expected_speed=275.0, expected_desc="EXCELLENT")],
        )
    )

    # -- payments ------------------------------------------------------------------------------------------
    add(
        sequence(
            "payment: request, check, pay; the bill is paid after the sync",
            me,
            [
                user("check_payment_request"),
                user("make_payment"),
                agent("send_payment_request", customer_id=home, bill_id=issued),
                user("check_payment_request"),
                user("make_payment"),
                user("check_payment_request"),
                agent("get_bills_for_customer", customer_id=home),
                agent("get_details_by_id", id=issued),
                user("make_payment"),
            ],
            [check_agent("assert_no_overdue_bill", overdue_bill_id=issued)],
        )
    )
    add(
        sequence(
            "payment: a second request while one is pending; another after paying",
            me,
            [
                agent("send_payment_request", customer_id=home, bill_id=issued),
                agent("send_payment_request", customer_id=home, bill_id=paid),
                user("make_payment"),
                agent("send_payment_request", customer_id=home, bill_id=paid),
                user("check_payment_request"),
                agent("get_details_by_id", id=paid),
            ],
            [check_agent("assert_no_overdue_bill", overdue_bill_id=paid, assert_value=False)],
        )
    )
    add(
        sequence(
            "payment: request for another customer's bill does not reach this user",
            me,
            [
                agent("send_payment_request", customer_id=nodraft, bill_id=overdue),
                user("check_payment_request"),
                user("make_payment"),
                agent("get_details_by_id", id=overdue),
            ],
            [check_agent("assert_no_overdue_bill", overdue_bill_id=overdue, assert_value=False)],
        )
    )
    add(
        sequence(
            "payment: the other customer's user pays an overdue bill",
            [
                init_user(
                    "set_user_info",
                    name=p.customers[nodraft]["full_name"],
                    phone_number=p.lines[nodraft_line]["phone_number"],
                )
            ],
            [
                user("check_payment_request"),
                agent("send_payment_request", customer_id=nodraft, bill_id=overdue),
                user("check_payment_request"),
                user("make_payment"),
                agent("get_bills_for_customer", customer_id=nodraft),
            ],
            [
                check_agent("assert_no_overdue_bill", overdue_bill_id=overdue),
                check_agent("assert_overdue_bill_exists", customer_id=nodraft, overdue_bill_id=overdue),
            ],
        )
    )
    add(
        sequence(
            "payment: a request already pending when the user is set (sync at initialization)",
            [init_agent("send_payment_request", customer_id=home, bill_id=issued), *me],
            [user("check_payment_request"), user("make_payment"), agent("get_details_by_id", id=issued)],
            [check_agent("assert_no_overdue_bill", overdue_bill_id=issued)],
        )
    )
    add(
        sequence(
            "overdue bill suspension (as the tasks): pay, resume, reboot",
            [
                *me,
                init_agent(
                    "suspend_line_for_overdue_bill",
                    customer_id=home,
                    line_id=line_on,
                    new_bill_id=new_overdue,
                    contract_ended=False,
                ),
                init_user("simulate_network_search"),
            ],
            [
                user("check_status_bar"),
                user("check_payment_request"),
                agent("get_bills_for_customer", customer_id=home, limit=2),
                agent("send_payment_request", customer_id=home, bill_id=new_overdue),
                user("check_payment_request"),
                user("make_payment"),
                agent("resume_line", customer_id=home, line_id=line_on),
                user("check_status_bar"),
                user("reboot_device"),
                user("check_status_bar"),
            ],
            [
                connected,
                check_agent("assert_no_overdue_bill", overdue_bill_id=new_overdue),
                check_agent("assert_overdue_bill_exists", customer_id=home, overdue_bill_id=new_overdue),
                line_is(home, line_on, "Active"),
            ],
        )
    )
    add(
        sequence(
            "overdue bill suspension with the contract ended; resume before paying",
            [
                *me_off,
                init_agent(
                    "suspend_line_for_overdue_bill",
                    customer_id=home,
                    line_id=line_off,
                    new_bill_id=new_overdue,
                    contract_ended=True,
                ),
            ],
            [
                user("check_status_bar"),
                agent("get_details_by_id", id=line_off),
                agent("get_details_by_id", id=new_overdue),
                agent("resume_line", customer_id=home, line_id=line_off),
                user("toggle_data"),
                user("toggle_data"),
                user("check_status_bar"),
            ],
            [
                check_agent("assert_overdue_bill_exists", customer_id=home, overdue_bill_id=new_overdue),
                check_agent("assert_no_overdue_bill", overdue_bill_id=new_overdue, assert_value=False),
                connected,
            ],
        )
    )

    # -- delayed effects of the line's status --------------------------------------------------------------
    add(
        sequence(
            "delayed: line suspended at initialization shows after airplane mode off/on",
            [*me_off, init_agent("suspend_line", customer_id=home, line_id=line_off, reason="stolen phone")],
            [
                user("check_status_bar"),
                user("run_speed_test"),
                user("toggle_airplane_mode"),
                user("toggle_airplane_mode"),
                user("check_status_bar"),
                user("run_speed_test"),
                agent("resume_line", customer_id=home, line_id=line_off),
                user("check_status_bar"),
                user("reboot_device"),
                user("check_status_bar"),
            ],
            [connected, data_ok],
        )
    )
    add(
        sequence(
            "delayed: line suspended at initialization shows after a reboot",
            [*me_off, init_agent("suspend_line", customer_id=home, line_id=line_off, reason="stolen phone")],
            [user("check_status_bar"), user("reboot_device"), user("check_status_bar"), user("check_network_status")],
            [no_service, data_down, line_is(home, line_off, "Suspended")],
        )
    )
    add(
        sequence(
            "delayed: the agent suspends the line mid-conversation; a mode change searches",
            me_off,
            [
                user("check_status_bar"),
                agent("suspend_line", customer_id=home, line_id=line_off, reason="customer request"),
                user("check_status_bar"),
                user("run_speed_test"),
                user("set_network_mode_preference", mode="4g_only"),
                user("check_status_bar"),
                user("reseat_sim_card"),
                agent("resume_line", customer_id=home, line_id=line_off),
                user("toggle_data"),
                user("check_status_bar"),
            ],
            [connected, data_down],
        )
    )
    add(
        sequence(
            "delayed: the user is on a suspended line (stale status bar until a search)",
            [init_user("set_user_info", name=name, phone_number=phone_susp)],
            [
                user("check_status_bar"),
                user("run_speed_test"),
                user("reboot_device"),
                user("check_status_bar"),
                agent("resume_line", customer_id=home, line_id=line_susp),
                user("reseat_sim_card"),
                user("check_status_bar"),
            ],
            [connected],
        )
    )
    add(
        sequence(
            "delayed: the user is on a suspended line, searched at initialization",
            [init_user("set_user_info", name=name, phone_number=phone_susp), init_user("simulate_network_search")],
            [user("check_status_bar"), user("check_network_status"), user("can_send_mms")],
            [no_service, mms_down],
        )
    )
    add(
        sequence(
            "user of a suspended customer's suspended line",
            [
                init_user(
                    "set_user_info",
                    name=p.customers[third]["full_name"],
                    phone_number=p.lines[third_line]["phone_number"],
                ),
                init_user("simulate_network_search"),
            ],
            [
                user("check_status_bar"),
                user("check_payment_request"),
                agent("resume_line", customer_id=third, line_id=third_line),
                user("reboot_device"),
                user("run_speed_test"),
            ],
            [connected, line_is(third, third_line, "Active")],
        )
    )

    # -- several initialization functions together, as the tasks combine them --------------------------------
    add(
        sequence(
            "MMS problems combined at initialization, fixed one by one",
            [
                *me,
                init_user("set_user_location", abroad=False),
                init_user("set_network_mode_preference", mode="2g_only"),
                init_user("simulate_network_search"),
                init_user("turn_airplane_mode_on"),
                init_user("unseat_sim_card"),
                init_user("break_apn_mms_setting"),
                init_user("set_wifi_calling", enabled=True, mms_over_wifi=True),
                init_user("remove_app_permission", app_name="messaging", permission="storage"),
            ],
            [
                user("can_send_mms"),
                user("toggle_airplane_mode"),
                user("reseat_sim_card"),
                user("set_network_mode_preference", mode="4g_5g_preferred"),
                user("reset_apn_settings"),
                user("reboot_device"),
                user("toggle_wifi_calling"),
                user("grant_app_permission", app_name="messaging", permission="storage"),
                user("can_send_mms"),
                user("check_status_bar"),
            ],
            [mms_ok, connected, excellent],
        )
    )
    add(
        sequence(
            "mobile data problems combined (as the tasks): abroad, roaming off, data off, exceeded",
            [
                *me,
                init_user("set_user_location", abroad=True),
                init_user("turn_roaming_off"),
                init_agent("disable_roaming", customer_id=home, line_id=line_on),
                init_user("turn_data_off"),
                init_agent("set_data_usage", customer_id=home, line_id=line_on, data_used_gb=limit_on + 0.1),
            ],
            [
                user("toggle_roaming"),
                agent("enable_roaming", customer_id=home, line_id=line_on),
                user("toggle_data"),
                user("run_speed_test"),
                agent("refuel_data", customer_id=home, line_id=line_on, gb_amount=2.0),
                user("run_speed_test"),
            ],
            [
                data_ok,
                excellent,
                check_agent("assert_data_refueling_amount", customer_id=home, line_id=line_on, expected_amount=2.0),
            ],
        )
    )
    add(
        sequence(
            "initialization functions the tasks do not use (off/on variants)",
            [
                *me,
                init_user("turn_airplane_mode_on"),
                init_user("turn_airplane_mode_off"),
                init_user("turn_airplane_mode_off"),
                init_user("turn_data_off"),
                init_user("turn_data_on"),
                init_user("turn_data_saver_mode_on"),
                init_user("turn_data_saver_mode_on"),
                init_user("turn_data_saver_mode_off"),
                init_user("turn_roaming_on"),
                init_user("turn_roaming_on"),
            ],
            [user("check_network_status"), user("check_data_restriction_status"), user("run_speed_test")],
            [
                check_user("assert_mobile_roaming_status", expected_status=True),
                check_user("assert_mobile_data_saver_mode_status", expected_status=False),
            ],
        )
    )

    # -- initialization errors and assertion errors ------------------------------------------------------------
    add(
        sequence(
            "init error: the user's phone number is on no line",
            [init_user("set_user_info", name="Nobody Atall", phone_number=unknown_phone)],
            [user("check_status_bar")],
            [connected],
        )
    )
    add(
        sequence(
            "init error: suspend_line_for_overdue_bill on a suspended line",
            [
                *me,
                init_agent(
                    "suspend_line_for_overdue_bill",
                    customer_id=home,
                    line_id=line_susp,
                    new_bill_id=new_overdue,
                    contract_ended=False,
                ),
            ],
            [agent("get_bills_for_customer", customer_id=home)],
            [],
        )
    )
    add(
        sequence(
            "init error: suspend_line_for_overdue_bill for a customer with an overdue bill",
            [
                init_agent(
                    "suspend_line_for_overdue_bill",
                    customer_id=nodraft,
                    line_id=nodraft_line,
                    new_bill_id=new_overdue,
                    contract_ended=True,
                ),
            ],
            [agent("get_bills_for_customer", customer_id=nodraft)],
            [],
        )
    )
    add(
        sequence(
            "init error: an unknown initialization function",
            [*me, init_user("fix_everything")],
            [user("check_status_bar")],
            [connected],
        )
    )
    add(
        sequence(
            "init error: the assistant's suspend_line fails during initialization",
            [*me, init_agent("suspend_line", customer_id=home, line_id=line_susp, reason="already suspended")],
            [user("check_status_bar")],
            [connected],
        )
    )
    add(
        sequence(
            "assertions: met, not met, raising, not a bool, unknown",
            me,
            [user("check_status_bar")],
            [
                check_user("assert_service_status", expected_status="emergency_only"),
                check_user("assert_service_status", expected_status="weird"),
                check_agent("assert_line_status", customer_id=u_c, line_id=line_off, expected_status="Active"),
                check_agent("assert_line_status", customer_id=home, line_id=nodraft_line, expected_status="Active"),
                check_agent("assert_line_status", customer_id=home, line_id=line_off, expected_status="Bogus"),
                check_user("check_status_bar"),
                check_agent("assert_overdue_bill_exists", customer_id=home, overdue_bill_id=issued),
                check_agent("assert_overdue_bill_exists", customer_id=home, overdue_bill_id=overdue),
                check_agent("assert_overdue_bill_exists", customer_id=u_c, overdue_bill_id=overdue),
                check_agent("assert_no_overdue_bill", overdue_bill_id=overdue),
                check_user("assert_airplane_mode_status", expected_status=False),
                check_user("assert_internet_speed", expected_speed=1000),
                check_user("assert_internet_speed", expected_speed=10, expected_desc="Excellent"),
                check_user("assert_internet_speed", expected_speed=10, expected_desc="good"),
                check_user("assert_nothing_at_all"),
                check_agent("assert_data_refueling_amount", customer_id=home, line_id=line_on, expected_amount=1e-7),
                check_user("assert_mobile_data_usage_exceeded", expected_status=False),
            ],
        )
    )
    add(
        sequence(
            "assertions on a dead phone (speed tests of assertions without a connection)",
            [*me, init_user("turn_airplane_mode_on")],
            [],
            [
                check_user("assert_internet_speed", expected_speed=0),
                check_user("assert_internet_speed", expected_speed=0, expected_desc="excellent"),
                check_user("assert_internet_not_excellent"),
                check_user("assert_mobile_data_status", expected_status=False),
                check_user("assert_can_send_mms", expected_status=False),
            ],
        )
    )
    add(
        sequence(
            "payment made, then make_payment again: the sync after the call already cleared the request",
            me,
            [
                agent("send_payment_request", customer_id=home, bill_id=issued),
                user("make_payment"),
                user("make_payment"),
            ],
            [
                check_agent("assert_no_overdue_bill", overdue_bill_id=issued),
                check_user("assert_mobile_data_status", expected_status=True),
            ],
        )
    )
    return seqs


# -- running tau2 --------------------------------------------------------------------------------------------


def ensure_venv(venv: Path, source: str | None, commit: str, python: str | None, work: Path) -> Path:
    """The venv's interpreter: creates the venv and installs tau2-bench at ``commit`` unless it exists."""
    interpreter = venv / "bin" / "python"
    if interpreter.exists():
        print(f"venv: reusing {venv} (its tau2 is whatever was installed there)")
        return interpreter
    base = find_python(python)
    print(f"venv: {venv} ({base})")
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    requirement = tau2_requirement(Path(source) if source else None, commit, work)
    print(f"installing tau2-bench {commit[:7]} from {requirement}")
    subprocess.run(
        [str(interpreter), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", requirement], check=True
    )
    return interpreter


def driver_env(data: Path, work: Path) -> dict[str, str]:
    """tau2 reads its data from TAU2_DATA_DIR/tau2/domains/telecom/: point that at the shared files."""
    domains = work / "data" / "tau2" / "domains"
    domains.mkdir(parents=True)
    (domains / "telecom").symlink_to(data.resolve(), target_is_directory=True)
    return {
        **os.environ,
        "TAU2_DATA_DIR": str(work / "data"),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # litellm would fetch its price list from the network
    }


def run_driver(python: Path, job: dict, data: Path, work: Path) -> dict:
    job_path, result_path = work / "job.json", work / "result.json"
    job_path.write_text(json.dumps(job))
    env = driver_env(data, work)
    subprocess.run([str(python), str(DRIVER), str(job_path), str(result_path)], check=True, cwd=work, env=env)
    return json.loads(result_path.read_text())


# -- the fixture -------------------------------------------------------------------------------------------


PYDANTIC_URL = re.compile(r"errors\.pydantic\.dev/[0-9.]+/")


def sha(text: str) -> str:
    """sha256 of the output with the pydantic version in its error URLs replaced by ``V`` (tau2 and fcstudio
    may run different pydantic releases; the rest of the text must be the same)."""
    return hashlib.sha256(PYDANTIC_URL.sub("errors.pydantic.dev/V/", text).encode("utf-8")).hexdigest()


def build_fixture(coverage_seqs: list[Spec], result: dict, commit: str) -> dict:
    tasks = {
        tid: {
            "outputs": [[sha(o["content"])[:TASK_SHA_DIGITS], o["error"]] for o in run["outputs"]],
            "hash": run["hash"],
            "user_hash": run["user_hash"],
            "assertions": run["assertions"],
            "init_error": run["init_error"],
        }
        for tid, run in result["tasks"].items()
    }
    cov = [
        {
            "label": seq["label"],
            "init": seq["init"],
            "calls": seq["calls"],
            "assertions_spec": seq["assertions"],
            "outputs": [
                {"sha256": sha(o["content"]), "prefix": o["content"][:PREFIX], "error": o["error"]}
                for o in run["outputs"]
            ],
            "hash": run["hash"],
            "user_hash": run["user_hash"],
            "db": run.get("db"),
            "user_db": run.get("user_db"),
            "assertions": run["assertions"],
            "init_error": run["init_error"],
        }
        for seq, run in zip(coverage_seqs, result["coverage"], strict=True)
    ]
    return {
        "source": "outputs of sierra-research/tau2-bench's telecom environment on ../shared/data/tau2/telecom "
        "(db.toml, user_db.toml, tasks.json); generated by tools/make_tau2_telecom_reference.py",
        "tau2_commit": commit,
        "pinning": PINNING,
        "agent_tools": result["agent_tools"],
        "user_tools": result["user_tools"],
        "tasks": tasks,
        "coverage": cov,
    }


def gold_calls(tasks_json: list[dict]) -> dict[str, list[Spec]]:
    return {
        str(t["id"]): [
            {"name": a["name"], "arguments": a.get("arguments") or {}, "requestor": a.get("requestor", "assistant")}
            for a in (t.get("evaluation_criteria") or {}).get("actions") or []
        ]
        for t in tasks_json
    }


def tool_counts(gold: dict[str, list[Spec]], coverage_seqs: list[Spec], fixture: dict) -> Counter:
    """(requestor, tool, error) -> number of calls, over the gold and coverage calls that ran."""
    seen: Counter = Counter()
    for tid, calls in gold.items():
        for c, o in zip(calls, fixture["tasks"][tid]["outputs"], strict=False):
            seen[(c["requestor"], c["name"], o[1])] += 1
    for seq, out in zip(coverage_seqs, fixture["coverage"], strict=True):
        for c, o in zip(seq["calls"], out["outputs"], strict=False):
            seen[(c["requestor"], c["name"], o["error"])] += 1
    return seen


def summary(fixture: dict, gold: dict[str, list[Spec]]) -> dict[str, int]:
    tasks, cov = fixture["tasks"].values(), fixture["coverage"]
    runs = [*tasks, *cov]
    return {
        "tasks": len(fixture["tasks"]),
        "coverage_sequences": len(cov),
        "sequences": len(runs),
        "calls": sum(len(r["outputs"]) for r in runs),
        "gold_calls": sum(len(c) for c in gold.values()),
        "gold_errors": sum(o[1] for t in tasks for o in t["outputs"]),
        "coverage_calls": sum(len(r["outputs"]) for r in cov),
        "coverage_errors": sum(o["error"] for r in cov for o in r["outputs"]),
        "init_errors_tasks": sum(t["init_error"] is not None for t in tasks),
        "init_errors_coverage": sum(r["init_error"] is not None for r in cov),
        "tasks_all_assertions_met": sum(all(a is True for a in t["assertions"]) for t in tasks),
        "task_assertions": sum(len(t["assertions"]) for t in tasks),
        "task_assertions_not_met": sum(a is False for t in tasks for a in t["assertions"]),
        "task_assertions_raising": sum(isinstance(a, str) for t in tasks for a in t["assertions"]),
        "coverage_assertions": sum(len(r["assertions"]) for r in cov),
        "coverage_assertions_not_met": sum(a is False for r in cov for a in r["assertions"]),
        "coverage_assertions_raising": sum(isinstance(a, str) for r in cov for a in r["assertions"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--source", help="a tau2-bench checkout or bare git mirror (default: pip from GitHub)")
    parser.add_argument("--commit", default=TAU2_COMMIT, help=f"tau2-bench commit (default {TAU2_COMMIT[:7]})")
    parser.add_argument("--data", default=str(DATA), help="the telecom folder: db.toml, user_db.toml, tasks.json")
    parser.add_argument("--out", default=str(FIXTURE), help="fixture to write")
    parser.add_argument("--python", help="interpreter for the venv (Python 3.12)")
    parser.add_argument("--venv", help="keep the venv here and reuse it on the next run (default: a temporary one)")
    parser.add_argument("--time", action="store_true", help="run the driver's timing mode only; write nothing")
    args = parser.parse_args(argv)

    data, out = Path(args.data), Path(args.out)
    with tempfile.TemporaryDirectory(prefix="tau2-telecom-reference-") as tmp:
        work = Path(tmp)
        venv = Path(args.venv) if args.venv else work / "venv"
        python = ensure_venv(venv, args.source, args.commit, args.python, work)
        print(f"venv python: {python}")
        if args.time:
            env = driver_env(data, work)
            cmd = [str(python), str(DRIVER), "--time", str((data / "tasks.json").resolve())]
            return subprocess.run(cmd, cwd=work, env=env).returncode
        tasks_json = json.loads((data / "tasks.json").read_text())
        db = tomllib.loads((data / "db.toml").read_text())
        coverage_seqs = coverage(db)
        duplicates = [label for label, n in Counter(s["label"] for s in coverage_seqs).items() if n > 1]
        if duplicates:
            raise SystemExit(f"make_tau2_telecom_reference: duplicate coverage labels: {duplicates}")
        job = {
            "tasks_path": str((data / "tasks.json").resolve()),
            "task_ids": [str(t["id"]) for t in tasks_json],
            "coverage": coverage_seqs,
        }
        result = run_driver(python, job, data, work)
    fixture = build_fixture(coverage_seqs, result, args.commit)

    for side, mine, theirs in (
        ("agent", AGENT_TOOLS, result["agent_tools"]),
        ("user", USER_TOOLS, result["user_tools"]),
    ):
        if mine != theirs:
            print(
                f"note: tau2's {side} tools differ from this script's list: "
                f"tau2 only {sorted(set(theirs) - set(mine))}, here only {sorted(set(mine) - set(theirs))}"
            )
    gold = gold_calls(tasks_json)
    seen = tool_counts(gold, coverage_seqs, fixture)
    never, never_ok = [], []
    for side, tools in (("assistant", result["agent_tools"]), ("user", result["user_tools"])):
        for t in tools:
            ok, err = seen[(side, t, False)], seen[(side, t, True)]
            print(f"  {side}.{t}: {ok} ok / {err} error")
            if ok + err == 0:
                never.append(f"{side}.{t}")
            elif ok == 0:
                never_ok.append(f"{side}.{t}")
    print("tools never called from their side: " + (", ".join(never) if never else "none"))
    print("tools never successful: " + (", ".join(never_ok) if never_ok else "none"))
    figures = summary(fixture, gold)
    print("tau2_telecom_reference " + " ".join(f"{k}={v}" for k, v in figures.items()))
    if never:
        print("not written: every agent and user tool must be called at least once")
        return 1
    text = json.dumps(fixture, indent=0, ensure_ascii=False) + "\n"
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out} ({len(text.encode('utf-8')) / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
