"""Regenerate tests/fixtures/tau2_reference_outputs.json from tau2-bench's own retail and airline tools.

    python tools/make_tau2_reference.py --source /path/to/tau2-bench.git   # a checkout or a bare mirror
    python tools/make_tau2_reference.py                                    # pip installs from GitHub

fcstudio's retail and airline environments must give tau2's outputs, errors and DB hash; the fixture is
tau2's side of that comparison (``tests/test_envs.py``). This script never runs in CI and no test needs it.

What it does:
1. Builds the call sequences, with the standard library only: every gold task's actions in order (from
   ``../shared/data/tau2/<domain>/tasks.json``); the *legacy* perturbed sequences, whose calls are read from
   the fixture being replaced (recorded before this script existed, by a generator that is gone, so their
   calls are kept and their outputs re-recorded); *coverage* sequences that call every tool, successfully
   where it can succeed and on each of its error paths, with ids picked from ``db.json`` (seeded); and
   *random* sequences: gold and coverage calls drawn at random, a third of them with one argument perturbed
   (another id, a character dropped, a list element dropped or repeated, a number moved), seeded.
   Arguments always have the documented JSON types: tau2 does not validate types and fcstudio does, a
   known difference (DEVELOPERS.md) the fixture does not record.
2. Creates a temporary venv (``python -m venv``, no system site packages) with Python 3.12 (tau2 needs
   >= 3.12 and imports ``audioop``, gone in 3.13), installs tau2-bench at ``TAU2_COMMIT`` with its dependencies from PyPI, and runs
   ``tools/tau2_reference_driver.py`` in it, which only imports and calls tau2 (fresh database per
   sequence, ``Environment.get_response`` per call, ``get_db_hash`` after each sequence).
3. Writes the fixture (sha256 and an 80-character prefix of each output, the error flag, the hash after
   each sequence), prints every call of the old fixture whose output or hash changed (``N old calls, K
   changed``), the count of new calls, and the tools tau2 has that no sequence calls (must be none: the
   script exits 1 without writing otherwise).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "tau2_reference_outputs.json"
DRIVER = Path(__file__).resolve().parent / "tau2_reference_driver.py"
DATA = ROOT.parent / "shared" / "data" / "tau2"

TAU2_REPO = "https://github.com/sierra-research/tau2-bench"
TAU2_COMMIT = "a2c024725189473d2d7cea3a5cfdbcc67478e41f"  # the commit the first fixture was recorded at
TAU2_INSTALL_PATHS = ("pyproject.toml", "README.md", "LICENSE", "src")  # what the package build reads
DOMAINS = ("retail", "airline")
SEED = 20240515
RANDOM_SEQUENCES = 100  # per domain
PERTURB_P = 0.35
PREFIX = 80
LITERALS = {  # arguments typed as a closed set: perturbed only to another member
    "cabin": ["basic_economy", "economy", "business"],
    "flight_type": ["one_way", "round_trip"],
    "insurance": ["yes", "no"],
}

Call = dict[str, Any]


def call(name: str, **arguments: Any) -> Call:
    return {"name": name, "arguments": arguments}


class Picker:
    """Deterministic choices over sorted candidates (dict order in db.json must not matter)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def one(self, candidates: Any) -> Any:
        ordered = sorted(candidates)
        if not ordered:
            raise SystemExit("make_tau2_reference: no candidate for a coverage call (has db.json changed?)")
        return self.rng.choice(ordered)


# -- retail coverage ---------------------------------------------------------------------------------------


def retail_coverage(db: dict, pick: Picker) -> list[list[Call]]:
    """Every retail tool: successes, then each error path tau2's code has (one sequence per theme)."""
    users, orders, products = db["users"], db["orders"], db["products"]
    variant_of = {iid: (pid, v) for pid, p in products.items() for iid, v in p["variants"].items()}

    def status(s: str) -> list[str]:
        return sorted(oid for oid, o in orders.items() if o["status"] == s)

    def methods(user_id: str, source: str) -> list[str]:
        return sorted(k for k, m in users[user_id]["payment_methods"].items() if m["source"] == source)

    def balance(user_id: str, pm: str) -> float:
        return users[user_id]["payment_methods"][pm].get("balance", 0.0)

    def alternatives(item: dict, available: bool = True) -> list[str]:
        return sorted(
            iid
            for iid, v in products[item["product_id"]]["variants"].items()
            if iid != item["item_id"] and v["available"] == available
        )

    def first_payment(oid: str) -> str:
        return orders[oid]["payment_history"][0]["payment_method_id"]

    def swap(tool: str, order_id: str, old: list[str], new: list[str], payment_method_id: str) -> Call:
        return call(tool, order_id=order_id, item_ids=old, new_item_ids=new, payment_method_id=payment_method_id)

    def modify(order_id: str, old: list[str], new: list[str], payment_method_id: str) -> Call:
        return swap("modify_pending_order_items", order_id, old, new, payment_method_id)

    def exchange(order_id: str, old: list[str], new: list[str], payment_method_id: str) -> Call:
        return swap("exchange_delivered_order_items", order_id, old, new, payment_method_id)

    def ret(order_id: str, items: list[str], payment_method_id: str) -> Call:
        return call(
            "return_delivered_order_items", order_id=order_id, item_ids=items, payment_method_id=payment_method_id
        )

    seqs: list[list[Call]] = []
    pending, delivered, processed = status("pending"), status("delivered"), status("processed")
    user_id = pick.one(users)
    user = users[user_id]
    item_id = pick.one(variant_of)
    product_id = pick.one(products)
    seqs.append(
        [
            call("list_all_product_types"),
            call("get_item_details", item_id=item_id),
            call("get_item_details", item_id="0000000000"),
            call("get_item_details", item_id=product_id),  # a product id is not an item id
            call("get_product_details", product_id=product_id),
            call("get_product_details", product_id=item_id),
        ]
    )
    seqs.append(
        [
            call("get_user_details", user_id=user_id),
            call("get_user_details", user_id=user_id.upper()),
            call("get_order_details", order_id=pick.one(pending).lstrip("#")),
            call("find_user_id_by_email", email=user["email"].upper()),
            call("find_user_id_by_email", email="nobody@example.com"),
            call(
                "find_user_id_by_name_zip",
                first_name=user["name"]["first_name"].lower(),
                last_name=user["name"]["last_name"].upper(),
                zip=user["address"]["zip"],
            ),
            call(
                "find_user_id_by_name_zip",
                first_name=user["name"]["first_name"],
                last_name=user["name"]["last_name"],
                zip="00000",
            ),
        ]
    )

    # modify_pending_order_payment: to a card (then again: the order now has three payments), to a gift card
    # with enough balance, refund to the gift card paid with, and every refusal.
    def other_non_gift(oid: str) -> list[str]:
        uid = orders[oid]["user_id"]
        return [m for m in methods(uid, "credit_card") + methods(uid, "paypal") if m != first_payment(oid)]

    oid = pick.one(o for o in pending if len(other_non_gift(o)) >= 2)
    first, second = other_non_gift(oid)[:2]
    seqs.append(
        [
            call("modify_pending_order_payment", order_id=oid, payment_method_id=first),
            call("get_order_details", order_id=oid),
            call("modify_pending_order_payment", order_id=oid, payment_method_id=second),
        ]
    )
    amount = {o: orders[o]["payment_history"][0]["amount"] for o in pending}
    rich_gift = [
        (o, g)
        for o in pending
        for g in methods(orders[o]["user_id"], "gift_card")
        if g != first_payment(o) and balance(orders[o]["user_id"], g) >= amount[o]
    ]
    poor_gift = [
        (o, g)
        for o in pending
        for g in methods(orders[o]["user_id"], "gift_card")
        if g != first_payment(o) and balance(orders[o]["user_id"], g) < amount[o]
    ]
    paid_by_gift = [o for o in pending if first_payment(o).startswith("gift_card") and other_non_gift(o)]
    o_rich, g_rich = pick.one(rich_gift)
    o_poor, g_poor = pick.one(poor_gift)
    o_gift = pick.one(paid_by_gift)
    seqs.append(
        [
            call("modify_pending_order_payment", order_id=o_rich, payment_method_id=g_rich),
            call("get_user_details", user_id=orders[o_rich]["user_id"]),
            call("modify_pending_order_payment", order_id=o_gift, payment_method_id=other_non_gift(o_gift)[0]),
            call("get_user_details", user_id=orders[o_gift]["user_id"]),
        ]
    )
    o_any = pick.one(pending)
    seqs.append(
        [
            call("modify_pending_order_payment", order_id=o_poor, payment_method_id=g_poor),
            call("modify_pending_order_payment", order_id=o_any, payment_method_id=first_payment(o_any)),
            call("modify_pending_order_payment", order_id=o_any, payment_method_id="credit_card_0000000"),
            call("modify_pending_order_payment", order_id=pick.one(delivered), payment_method_id=first),
            call("modify_pending_order_payment", order_id="#W0000000", payment_method_id=first),
        ]
    )

    # modify_pending_order_items: two items (tau2 prices both with the last new variant), then what a
    # "pending (item modified)" order still allows (address: yes; items, cancel: no; payment: two payments)
    def swappable(oid: str) -> list[dict]:
        return [it for it in orders[oid]["items"] if alternatives(it)]

    o2 = pick.one(o for o in pending if len({it["item_id"] for it in swappable(o)}) >= 2)
    a, b = sorted(swappable(o2), key=lambda it: it["item_id"])[:2]
    addr = dict(users[orders[o2]["user_id"]]["address"])
    seqs.append(
        [
            call(
                "modify_pending_order_items",
                order_id=o2,
                item_ids=[a["item_id"], b["item_id"]],
                new_item_ids=[pick.one(alternatives(a)), pick.one(alternatives(b))],
                payment_method_id=first_payment(o2),
            ),
            call("get_order_details", order_id=o2),
            call("modify_pending_order_address", order_id=o2, **{**addr, "address1": "1 Changed Street"}),
            call(
                "modify_pending_order_items",
                order_id=o2,
                item_ids=[a["item_id"]],
                new_item_ids=[pick.one(alternatives(a))],
                payment_method_id=first_payment(o2),
            ),
            call("cancel_pending_order", order_id=o2, reason="no longer needed"),
            call(
                "modify_pending_order_payment",
                order_id=o2,
                payment_method_id=pick.one(
                    methods(orders[o2]["user_id"], "paypal") + methods(orders[o2]["user_id"], "credit_card")
                ),
            ),
        ]
    )
    o3 = pick.one(o for o in pending if swappable(o))
    it3 = swappable(o3)[0]
    other_product = pick.one(iid for iid, (pid, v) in variant_of.items() if pid != it3["product_id"] and v["available"])
    unavailable = [(o, it, v) for o in pending for it in orders[o]["items"] for v in alternatives(it, available=False)]
    o4, it4, v4 = pick.one((o, it["item_id"], v) for o, it, v in unavailable)
    price = {iid: v["price"] for iid, (_, v) in variant_of.items()}

    def gift_swaps(order_ids: list[str]) -> tuple[list[tuple], list[tuple]]:
        """(order, item, new variant, gift card) swaps whose price difference the card cannot / can pay."""
        swaps = [
            (o, it, v, g)
            for o in order_ids
            for g in methods(orders[o]["user_id"], "gift_card")
            for it in orders[o]["items"]
            for v in alternatives(it)
        ]
        short = [
            (o, it["item_id"], v, g)
            for o, it, v, g in swaps
            if price[v] - it["price"] > balance(orders[o]["user_id"], g)
        ]
        enough = [
            (o, it["item_id"], v, g)
            for o, it, v, g in swaps
            if 0 < price[v] - it["price"] <= balance(orders[o]["user_id"], g)
        ]
        return short, enough

    short, enough = gift_swaps(pending)
    pm3 = first_payment(o3)
    seqs.append(
        [
            modify(o3, [it3["item_id"]], [it3["item_id"]], pm3),
            modify(o3, ["0000000000"], [item_id], pm3),
            modify(o3, [it3["item_id"]] * 5, alternatives(it3)[:1] * 5, pm3),
            modify(o3, [it3["item_id"]], alternatives(it3)[:2] * 2, pm3),
            modify(o3, [it3["item_id"]], [other_product], pm3),
            modify(o4, [it4], [v4], first_payment(o4)),
            modify(o3, [it3["item_id"]], alternatives(it3)[:1], "paypal_0000000"),
            modify(pick.one(processed), [it3["item_id"]], alternatives(it3)[:1], pm3),
        ]
    )
    o5, i5, v5, g5 = pick.one(short)
    o6, i6, v6, g6 = pick.one(enough)
    seqs.append(
        [
            modify(o5, [i5], [v5], g5),
            modify(o6, [i6], [v6], g6),
            call("get_user_details", user_id=orders[o6]["user_id"]),
        ]
    )

    # exchange_delivered_order_items and return_delivered_order_items on delivered orders
    d1 = pick.one(o for o in delivered if swappable(o))
    di = swappable(d1)[0]
    pm_d1 = first_payment(d1)
    dshort, denough = gift_swaps(delivered)
    dunavail = [
        (o, it["item_id"], v) for o in delivered for it in orders[o]["items"] for v in alternatives(it, available=False)
    ]
    d5, i5, v5, g5 = pick.one(dshort)
    d6, i6, v6, g6 = pick.one(denough)
    d7, i7, v7 = pick.one(dunavail)
    seqs.append(
        [
            exchange(pick.one(pending), [di["item_id"]], alternatives(di)[:1], pm_d1),
            exchange(d1, ["0000000000"], alternatives(di)[:1], pm_d1),
            exchange(d1, [di["item_id"]], alternatives(di)[:1] * 2, pm_d1),
            exchange(d1, [di["item_id"]], [other_product], pm_d1),
            exchange(d7, [i7], [v7], first_payment(d7)),
            exchange(d1, [di["item_id"]], alternatives(di)[:1], "gift_card_0000000"),
            exchange(d5, [i5], [v5], g5),
            exchange("#W0000000", [i5], [v5], g5),
        ]
    )
    seqs.append(
        [
            exchange(d6, [i6], [v6], g6),
            exchange(d6, [i6], [v6], g6),
            ret(d6, [i6], g6),
            call("get_order_details", order_id=d6),
        ]
    )
    # returns: to a gift card that did not pay (allowed), to another card (refused), items counted
    r_gift = pick.one(
        (o, g)
        for o in delivered
        for g in methods(orders[o]["user_id"], "gift_card")
        if g != first_payment(o) and o != d6
    )
    r_card = pick.one(
        (o, c)
        for o in delivered
        for c in methods(orders[o]["user_id"], "credit_card") + methods(orders[o]["user_id"], "paypal")
        if c != first_payment(o)
    )
    repeated = [o for o in delivered if len({it["item_id"] for it in orders[o]["items"]}) < len(orders[o]["items"])]
    r_dup = pick.one(o for o in repeated if o != d6) if repeated else None  # an order with an item twice
    ro, rg = r_gift
    ritems = [it["item_id"] for it in orders[ro]["items"]]
    returns = [
        ret(pick.one(pending), ritems[:1], rg),
        ret(r_card[0], [orders[r_card[0]]["items"][0]["item_id"]], r_card[1]),
        ret(ro, ritems[:1] * 2 if ritems.count(ritems[0]) < 2 else ritems[:1] * 9, rg),
        ret(ro, ritems[:1], "paypal_0000000"),
        ret(ro, sorted(ritems, reverse=True), rg),
        ret(ro, ritems[:1], rg),
        call("get_order_details", order_id=ro),
    ]
    if r_dup is not None:
        dup_items = [it["item_id"] for it in orders[r_dup]["items"]]
        returns.append(ret(r_dup, dup_items, first_payment(r_dup)))
    seqs.append(returns)

    # cancel_pending_order: a bad reason, a refund to a gift card, twice, not pending, not found
    c_gift = pick.one(o for o in pending if first_payment(o).startswith("gift_card") and o not in (o_gift,))
    seqs.append(
        [
            call("cancel_pending_order", order_id=c_gift, reason="changed my mind"),
            call("cancel_pending_order", order_id=c_gift, reason="ordered by mistake"),
            call("get_user_details", user_id=orders[c_gift]["user_id"]),
            call("cancel_pending_order", order_id=c_gift, reason="no longer needed"),
            call("cancel_pending_order", order_id=pick.one(processed), reason="no longer needed"),
            call("cancel_pending_order", order_id="#W0000000", reason="no longer needed"),
        ]
    )
    # addresses
    new_addr = {
        "address1": "42 Reference Road",
        "address2": "",
        "city": "Springfield",
        "state": "IL",
        "country": "USA",
        "zip": "62701",
    }
    seqs.append(
        [
            call("modify_pending_order_address", order_id=pick.one(pending), **new_addr),
            call("modify_pending_order_address", order_id=pick.one(delivered), **new_addr),
            call("modify_pending_order_address", order_id="#W0000000", **new_addr),
            call("modify_user_address", user_id=user_id, **new_addr),
            call("get_user_details", user_id=user_id),
            call("modify_user_address", user_id="nobody_0000", **new_addr),
        ]
    )
    seqs.append([*calculate_calls(), call("transfer_to_human_agents", summary="The user wants a human agent.")])
    return seqs


def calculate_calls() -> list[Call]:
    """What tau2's eval-based calculator accepts and refuses (its character filter lets ** and // through)."""
    expressions = [
        "2 + 2",
        "(100 - 20.5) * 3 / 7",
        "-5 + +3",
        "2 ** 3",
        "7 // 2",
        "10 / 4",
        "1 / 0",
        "1 / (2 - 2)",
        "2 +",
        "(1 + 2",
        "()",
        "2(3 + 4)",
        "12 * x",
        "5 % 2",
        "",
        "...",
        "(-8) ** 0.5",
        "2 ** 100",
        "2 ** -2",
        "7.5 // 0",
        "2()",
    ]
    return [call("calculate", expression=e) for e in expressions]


# -- airline coverage --------------------------------------------------------------------------------------


def airline_coverage(db: dict, pick: Picker) -> list[list[Call]]:
    """Every airline tool: successes and each error path, including the fixed-id and one-stop quirks."""
    flights, users, reservations = db["flights"], db["users"], db["reservations"]

    def dates_with(status: str) -> list[tuple[str, str]]:
        return sorted((f, d) for f, fl in flights.items() for d, s in fl["dates"].items() if s["status"] == status)

    def methods(user_id: str, source: str) -> list[str]:
        return sorted(k for k, m in users[user_id]["payment_methods"].items() if m["source"] == source)

    def seats(f: str, d: str, cabin: str) -> int:
        return flights[f]["dates"][d]["available_seats"][cabin]

    def fare(f: str, d: str, cabin: str) -> int:
        return flights[f]["dates"][d]["prices"][cabin]

    seqs: list[list[Call]] = []
    available = dates_with("available")
    seqs.append([call("list_all_airports")])

    # get_flight_status: one flight-date of each status, an unknown flight, a date the flight does not fly
    statuses = sorted({s["status"] for fl in flights.values() for s in fl["dates"].values()})
    some_flight = pick.one(flights)
    seqs.append(
        [call("get_flight_status", flight_number=f, date=d) for f, d in (pick.one(dates_with(s)) for s in statuses)]
        + [
            call("get_flight_status", flight_number="HAT999", date="2024-05-15"),
            call("get_flight_status", flight_number=some_flight, date="2024-06-01"),
        ]
    )

    # search_direct_flight / search_onestop_flight: a route with a next-day arrival (tau2 builds the next day
    # as 2024-05-<day+1>, unpadded), a one-digit day, the last day, nothing found
    overnight = pick.one(f for f, fl in flights.items() if "+1" in fl["scheduled_arrival_time_est"])
    ofl = flights[overnight]
    onward = pick.one(
        {fl["destination"] for fl in flights.values() if fl["origin"] == ofl["destination"]} - {ofl["origin"]}
    )
    day = pick.one(d for f, d in available if f == overnight and "10" <= d[-2:] <= "28")
    direct = pick.one((flights[f]["origin"], flights[f]["destination"], d) for f, d in available)
    seqs.append(
        [
            call("search_direct_flight", origin=direct[0], destination=direct[1], date=direct[2]),
            call("search_direct_flight", origin=direct[0], destination=direct[0], date=direct[2]),
            call("search_onestop_flight", origin=ofl["origin"], destination=onward, date=day),
            call("search_onestop_flight", origin=ofl["origin"], destination=onward, date="2024-05-05"),
            call("search_onestop_flight", origin=direct[0], destination=direct[1], date="2024-05-30"),
            call("search_onestop_flight", origin=direct[0], destination=direct[1], date=direct[2]),
            call("search_onestop_flight", origin="XXX", destination=direct[1], date=direct[2]),
        ]
    )

    # bookings: three succeed (card; gift card + card with insurance and bags; a sent certificate), the fourth
    # runs out of tau2's fixed reservation ids
    def bookable(cabin: str, n: int) -> list[tuple[str, str]]:
        return [(f, d) for f, d in available if seats(f, d, cabin) >= n]

    uid = pick.one(u for u in users if methods(u, "credit_card") and methods(u, "gift_card"))
    u = users[uid]
    me = {"first_name": u["name"]["first_name"], "last_name": u["name"]["last_name"], "dob": u["dob"]}
    others = u["saved_passengers"] or [{"first_name": "Ana", "last_name": "Lopez", "dob": "1990-01-01"}]
    card, gift = methods(uid, "credit_card")[0], methods(uid, "gift_card")[0]
    f1, d1 = pick.one(bookable("economy", 1))
    total1 = fare(f1, d1, "economy")
    leg_out = pick.one(bookable("business", 2))
    back = [
        (f, d)
        for f, d in bookable("business", 2)
        if flights[f]["origin"] == flights[leg_out[0]]["destination"] and d > leg_out[1]
    ]
    legs = [leg_out, pick.one(back)] if back else [leg_out]
    total2 = sum(fare(f, d, "business") for f, d in legs) * 2 + 30 * 2 + 50 * 2
    gift_part = min(int(u["payment_methods"][gift]["amount"]), total2)
    f3, d3 = pick.one(bookable("basic_economy", 1))
    total3 = fare(f3, d3, "basic_economy")

    def book(
        flight_list: list[tuple[str, str]], cabin: str, passengers: list[dict], payments: list[dict], **kw: Any
    ) -> Call:
        return call(
            "book_reservation",
            user_id=kw.get("user_id", uid),
            origin=flights[flight_list[0][0]]["origin"] if flight_list and flight_list[0][0] in flights else "JFK",
            destination=flights[flight_list[0][0]]["destination"]
            if flight_list and flight_list[0][0] in flights
            else "SFO",
            flight_type=kw.get("flight_type", "one_way"),
            cabin=cabin,
            flights=[{"flight_number": f, "date": d} for f, d in flight_list],
            passengers=passengers,
            payment_methods=payments,
            total_baggages=kw.get("total_baggages", 0),
            nonfree_baggages=kw.get("nonfree_baggages", 0),
            insurance=kw.get("insurance", "no"),
        )

    seqs.append(
        [
            book([(f1, d1)], "economy", [me], [{"payment_id": card, "amount": total1}]),
            book(
                legs,
                "business",
                [me, others[0]],
                [{"payment_id": gift, "amount": gift_part}, {"payment_id": card, "amount": total2 - gift_part}]
                if gift_part < total2
                else [{"payment_id": gift, "amount": total2}],
                flight_type="round_trip" if len(legs) == 2 else "one_way",
                total_baggages=3,
                nonfree_baggages=2,
                insurance="yes",
            ),
            call("send_certificate", user_id=uid, amount=total3),
            book([(f3, d3)], "basic_economy", [me], [{"payment_id": "certificate_3221322", "amount": total3}]),
            call("get_user_details", user_id=uid),
            book([(f1, d1)], "economy", [me], [{"payment_id": card, "amount": total1}]),
            call("get_reservation_details", reservation_id="HATHAU"),
            call("get_flight_status", flight_number=f1, date=d1),
        ]
    )
    # booking refusals (none changes the database)
    landed = pick.one(dates_with("landed"))
    scarce = pick.one((f, d) for f, d in available if 0 < seats(f, d, "business") <= 6)
    crowd = [me] * (seats(*scarce, "business") + 1)
    small_gift = pick.one(
        (x, g) for x in users for g in methods(x, "gift_card") if users[x]["payment_methods"][g]["amount"] < total1
    )
    sx = users[small_gift[0]]
    sme = {"first_name": sx["name"]["first_name"], "last_name": sx["name"]["last_name"], "dob": sx["dob"]}
    seqs.append(
        [
            book([(f1, d1)], "economy", [me], [{"payment_id": card, "amount": total1}], user_id="nobody_0000"),
            book([("HAT999", d1)], "economy", [me], [{"payment_id": card, "amount": total1}]),
            book([(f1, "2024-06-01")], "economy", [me], [{"payment_id": card, "amount": total1}]),
            book([landed], "economy", [me], [{"payment_id": card, "amount": total1}]),
            book([scarce], "business", crowd, [{"payment_id": card, "amount": 1}]),
            book([(f1, d1)], "economy", [me], [{"payment_id": "credit_card_0000000", "amount": total1}]),
            book(
                [(f1, d1)], "economy", [sme], [{"payment_id": small_gift[1], "amount": total1}], user_id=small_gift[0]
            ),
            book([(f1, d1)], "economy", [me], [{"payment_id": card, "amount": total1 - 1}]),
            book([(f1, d1)], "economy", [me, me], [{"payment_id": card, "amount": total1}], insurance="yes"),
            book([], "economy", [me], []),
        ]
    )
    # certificates: tau2's three fixed ids, then no more; an unknown user
    cuid = pick.one(u for u in users if u != uid)
    seqs.append(
        [call("send_certificate", user_id=cuid, amount=a) for a in (50, 100, 150, 200)]
        + [call("get_user_details", user_id=cuid), call("send_certificate", user_id="nobody_0000", amount=50)]
    )

    # reservations: cancel (twice: tau2 refunds again), baggage, flights, passengers
    def bags(reservation_id: str, total: int, nonfree: int, payment_id: str) -> Call:
        return call(
            "update_reservation_baggages",
            reservation_id=reservation_id,
            total_baggages=total,
            nonfree_baggages=nonfree,
            payment_id=payment_id,
        )

    def reflight(reservation_id: str, cabin: str, segments: list[dict], payment_id: str) -> Call:
        return call(
            "update_reservation_flights",
            reservation_id=reservation_id,
            cabin=cabin,
            flights=segments,
            payment_id=payment_id,
        )

    def holder_has(res_id: str, source: str) -> list[str]:
        return methods(reservations[res_id]["user_id"], source)

    live = sorted(r for r, res in reservations.items() if res.get("status") != "cancelled")
    r_cancel = pick.one(live)
    seqs.append(
        [
            call("cancel_reservation", reservation_id=r_cancel),
            call("cancel_reservation", reservation_id=r_cancel),
            call("get_reservation_details", reservation_id=r_cancel),
            call("cancel_reservation", reservation_id="ZZZZZZ"),
            call("get_reservation_details", reservation_id="ZZZZZZ"),
            call("get_user_details", user_id="nobody_0000"),
        ]
    )
    rb = pick.one(
        r for r in live if holder_has(r, "credit_card") and holder_has(r, "certificate") and holder_has(r, "gift_card")
    )
    res_b = reservations[rb]
    gift_b = holder_has(rb, "gift_card")[0]
    gift_amount = users[res_b["user_id"]]["payment_methods"][gift_b]["amount"]
    too_many = res_b["nonfree_baggages"] + int(gift_amount // 50) + 1
    seqs.append(
        [
            bags(rb, res_b["total_baggages"] + 2, res_b["nonfree_baggages"] + 2, holder_has(rb, "certificate")[0]),
            bags(rb, too_many, too_many, gift_b),
            bags(rb, res_b["total_baggages"] + 1, res_b["nonfree_baggages"] + 1, "credit_card_0000000"),
            bags("ZZZZZZ", 1, 0, gift_b),
            bags(rb, res_b["total_baggages"] + 2, res_b["nonfree_baggages"] + 2, holder_has(rb, "credit_card")[0]),
            bags(rb, res_b["total_baggages"] + 3, res_b["nonfree_baggages"] + 3, gift_b)
            if gift_amount >= 50
            else call("get_user_details", user_id=res_b["user_id"]),
            bags(rb, 0, 0, gift_b),
            call("get_reservation_details", reservation_id=rb),
            call("get_user_details", user_id=res_b["user_id"]),
        ]
    )

    # update_reservation_flights: same flights (no charge), another cabin (all new prices), a new segment,
    # and the refusals
    def all_bookable(res_id: str, cabin: str) -> bool:
        res = reservations[res_id]
        return all(
            f["flight_number"] in flights
            and flights[f["flight_number"]]["dates"].get(f["date"], {}).get("status") == "available"
            and seats(f["flight_number"], f["date"], cabin) >= len(res["passengers"])
            for f in res["flights"]
        )

    def segs(res_id: str) -> list[dict]:
        return [{"flight_number": f["flight_number"], "date": f["date"]} for f in reservations[res_id]["flights"]]

    upgradable = [
        r
        for r in live
        if reservations[r]["cabin"] != "business" and all_bookable(r, "business") and holder_has(r, "credit_card")
    ]
    ru = pick.one(upgradable)
    card_u = holder_has(ru, "credit_card")[0]
    first_seg = reservations[ru]["flights"][0]
    same_route = [
        (f, d)
        for f, d in available
        if flights[f]["origin"] == first_seg["origin"]
        and flights[f]["destination"] == first_seg["destination"]
        and (f, d) != (first_seg["flight_number"], first_seg["date"])
        and seats(f, d, "business") >= len(reservations[ru]["passengers"])
    ]
    seqs.append(
        [
            reflight(ru, reservations[ru]["cabin"], segs(ru), card_u),
            reflight(ru, "business", segs(ru), holder_has(ru, "certificate")[0])
            if holder_has(ru, "certificate")
            else call("get_reservation_details", reservation_id=ru),
            reflight(ru, "business", segs(ru), card_u),
            call("get_reservation_details", reservation_id=ru),
        ]
        + [
            reflight(ru, "business", [{"flight_number": f, "date": d}, *segs(ru)[1:]], card_u)
            for f, d in same_route[:1]  # the first segment moved to another flight on the same route
        ]
    )
    rf = pick.one(r for r in live if holder_has(r, "credit_card") and holder_has(r, "gift_card"))
    card_f, gift_f = holder_has(rf, "credit_card")[0], holder_has(rf, "gift_card")[0]
    res_f = reservations[rf]
    too_few = [(f, d) for f, d in available if seats(f, d, res_f["cabin"]) < len(res_f["passengers"])]
    pricey = pick.one(
        (f, d)
        for f, d in available
        if seats(f, d, "business") >= len(res_f["passengers"])
        and fare(f, d, "business") * len(res_f["passengers"])
        > users[res_f["user_id"]]["payment_methods"][gift_f]["amount"]
        + sum(x["price"] for x in res_f["flights"]) * len(res_f["passengers"])
    )
    refusals = [
        reflight("ZZZZZZ", "economy", segs(rf), card_f),
        reflight(rf, res_f["cabin"], [{"flight_number": "HAT999", "date": "2024-05-20"}], card_f),
        reflight(rf, res_f["cabin"], [{"flight_number": landed[0], "date": landed[1]}], card_f),
        reflight(rf, res_f["cabin"], [{"flight_number": some_flight, "date": "2024-06-01"}], card_f),
        reflight(rf, "business", [{"flight_number": pricey[0], "date": pricey[1]}], gift_f),
        reflight(rf, res_f["cabin"], segs(rf), "gift_card_0000000"),
    ]
    if too_few:
        f, d = pick.one(too_few)
        refusals.append(reflight(rf, res_f["cabin"], [{"flight_number": f, "date": d}], card_f))
    seqs.append(refusals)

    rp = pick.one(r for r in live if len(reservations[r]["passengers"]) >= 2)
    passengers = copy.deepcopy(reservations[rp]["passengers"])
    renamed = [{**p, "first_name": p["first_name"] + "a"} for p in passengers]
    seqs.append(
        [
            call("update_reservation_passengers", reservation_id=rp, passengers=passengers[:-1]),
            call("update_reservation_passengers", reservation_id=rp, passengers=renamed[::-1]),
            call("update_reservation_passengers", reservation_id=rp, passengers=[]),
            call("update_reservation_passengers", reservation_id="ZZZZZZ", passengers=renamed),
            call("get_reservation_details", reservation_id=rp),
        ]
    )
    seqs.append([*calculate_calls()[:8], call("transfer_to_human_agents", summary="The user asks for a human.")])
    return seqs


# -- random sequences --------------------------------------------------------------------------------------


def _value_pools(calls: list[Call]) -> dict[str, list[Any]]:
    """Every value seen per argument name: a perturbation can swap in another real id."""
    pools: dict[str, set[str]] = {}
    for c in calls:
        for key, value in c["arguments"].items():
            pools.setdefault(key, set()).add(json.dumps(value, sort_keys=True))
    return {k: [json.loads(v) for v in sorted(vs)] for k, vs in pools.items()}


def _perturb_value(key: str, value: Any, pools: dict[str, list[Any]], rng: random.Random) -> Any:
    if key in LITERALS:
        return rng.choice([v for v in LITERALS[key] if v != value] or [value])
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return rng.choice([value + 1, value - 1, 0, value * 2])
    if isinstance(value, str):
        kind = rng.choice(["drop", "swap", "case", "pool"])
        if kind == "drop" and value:
            i = rng.randrange(len(value))
            return value[:i] + value[i + 1 :]
        if kind == "case":
            return value.swapcase()
        same_type = [v for v in pools.get(key, []) if isinstance(v, str) and v != value]
        return rng.choice(same_type) if same_type else value + "0"
    if isinstance(value, list):
        if not value:
            return value
        kind = rng.choice(["drop", "repeat", "inner"])
        i = rng.randrange(len(value))
        if kind == "drop":
            return value[:i] + value[i + 1 :]
        if kind == "repeat":
            return [*value, value[i]]
        inner = value[i]
        if isinstance(inner, dict) and inner:
            field = rng.choice(sorted(inner))
            changed = {**inner, field: _perturb_value(field, inner[field], pools, rng)}
        elif isinstance(inner, str):
            options = [x for v in pools.get(key, []) if isinstance(v, list) for x in v if isinstance(x, str)]
            changed = rng.choice(options) if options else inner
        else:
            changed = inner
        return [*value[:i], changed, *value[i + 1 :]]
    return value


def perturb(c: Call, pools: dict[str, list[Any]], rng: random.Random) -> Call:
    """The call with one argument changed, keeping its JSON type (and a closed set's membership)."""
    if not c["arguments"]:
        return copy.deepcopy(c)
    key = rng.choice(sorted(c["arguments"]))
    arguments = copy.deepcopy(c["arguments"])
    arguments[key] = _perturb_value(key, arguments[key], pools, rng)
    return {"name": c["name"], "arguments": arguments}


def random_sequences(calls: list[Call], n: int, rng: random.Random) -> list[list[Call]]:
    pools = _value_pools(calls)
    seqs = []
    for _ in range(n):
        seq = []
        for _ in range(rng.randint(1, 5)):
            c = copy.deepcopy(rng.choice(calls))
            seq.append(perturb(c, pools, rng) if rng.random() < PERTURB_P else c)
        seqs.append(seq)
    return seqs


# -- building the job --------------------------------------------------------------------------------------


def gold_calls(tasks_path: Path) -> dict[str, list[Call]]:
    tasks = json.loads(tasks_path.read_text())
    out = {}
    for task in tasks:
        actions = (task.get("evaluation_criteria") or {}).get("actions") or []
        out[str(task["id"])] = [{"name": a["name"], "arguments": a.get("arguments") or {}} for a in actions]
    return out


def legacy_sequences(old: dict | None, domain: str) -> list[list[Call]]:
    """The old fixture's perturbed sequences recorded before this script (no ``set``, or ``set: legacy``)."""
    if not old:
        return []
    return [
        [{"name": c["name"], "arguments": c["arguments"]} for c in seq["calls"]]
        for seq in old["domains"][domain]["perturbed"]
        if seq.get("set", "legacy") == "legacy"
    ]


def build_job(data: Path, old: dict | None, seed: int) -> tuple[dict, dict]:
    """The driver's job, and per domain the ``set`` label of each perturbed sequence."""
    job: dict = {"domains": {}}
    sets: dict[str, list[str]] = {}
    for i, domain in enumerate(DOMAINS):
        db = json.loads((data / domain / "db.json").read_text())
        gold = gold_calls(data / domain / "tasks.json")
        pick = Picker(seed + i)
        coverage = (retail_coverage if domain == "retail" else airline_coverage)(db, pick)
        pool = [c for calls in gold.values() for c in calls] + [c for seq in coverage for c in seq]
        randoms = random_sequences(pool, RANDOM_SEQUENCES, random.Random(seed * 7 + i))
        legacy = legacy_sequences(old, domain)
        job["domains"][domain] = {"gold": gold, "perturbed": legacy + coverage + randoms}
        sets[domain] = ["legacy"] * len(legacy) + ["coverage"] * len(coverage) + ["random"] * len(randoms)
    return job, sets


# -- running tau2 ------------------------------------------------------------------------------------------


def find_python(explicit: str | None) -> str:
    """Python 3.12 for the venv: tau2 asks for >= 3.12, and at the pinned commit its package imports ``audioop``,
    which 3.13 no longer has. Looks at --python, this interpreter, python3.12 on PATH, then pyenv's versions."""
    if explicit:
        if not Path(explicit).exists():
            raise SystemExit(f"make_tau2_reference: --python {explicit} does not exist")
        candidates = [explicit]
    else:
        candidates = [sys.executable, shutil.which("python3.12") or ""]
        pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
        if pyenv.is_dir():
            candidates += [str(p / "bin" / "python") for p in sorted(pyenv.glob("3.12*"), reverse=True)]
    for candidate in candidates:
        if not candidate or not Path(candidate).exists():
            continue
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 12))"], capture_output=True, text=True
        )
        if probe.stdout.strip() == "True":
            return candidate
    if explicit:
        raise SystemExit(f"make_tau2_reference: --python {explicit} is not Python 3.12 (tau2 needs it)")
    raise SystemExit("make_tau2_reference: no Python 3.12 found; pass --python PATH")


def git_dir_of(source: Path) -> Path | None:
    """The git directory of a checkout (``.git``, a file in a worktree) or a bare repository, else None."""
    probe = subprocess.run(
        ["git", "-C", str(source), "rev-parse", "--absolute-git-dir"], capture_output=True, text=True
    )
    if probe.returncode == 0:
        return Path(probe.stdout.strip())
    if (source / "HEAD").is_file() and (source / "objects").is_dir():
        return source
    return None


def tau2_requirement(source: Path | None, commit: str, work: Path) -> str:
    """What pip installs: the GitHub URL at the commit, or the commit's files exported from a local git."""
    if source is None:
        return f"git+{TAU2_REPO}@{commit}"
    git_dir = git_dir_of(source)
    if git_dir is None:
        if not (source / "pyproject.toml").is_file():
            raise SystemExit(f"make_tau2_reference: {source}: neither a git repository nor a tau2-bench folder")
        print(f"warning: {source} is not a git repository: installing it as is, commit {commit} unchecked")
        return str(source)
    check = subprocess.run(
        ["git", f"--git-dir={git_dir}", "cat-file", "-t", f"{commit}^{{commit}}"], capture_output=True, text=True
    )
    if check.stdout.strip() != "commit":
        raise SystemExit(f"make_tau2_reference: {git_dir} has no commit {commit} (pass --commit or fetch it)")
    target = work / "tau2-bench"
    target.mkdir()
    # Only the paths the package build reads: a mirror may lack the large data files (airline db.json,
    # results), which git archive would otherwise need.
    # (git still complains about those missing blobs on stderr, and succeeds: shown only if it fails)
    with tempfile.TemporaryFile() as errors:
        archive = subprocess.Popen(
            ["git", f"--git-dir={git_dir}", "archive", "--format=tar", commit, *TAU2_INSTALL_PATHS],
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout, check=True)
        archive.stdout.close()  # type: ignore[union-attr]
        if archive.wait() != 0 or not (target / "src" / "tau2" / "domains" / "retail" / "tools.py").is_file():
            errors.seek(0)
            raise SystemExit(f"make_tau2_reference: exporting {commit} from {git_dir} failed: {errors.read().decode()}")
    return str(target)


def run_tau2(job: dict, data: Path, args: argparse.Namespace, work: Path) -> dict:
    venv = Path(args.venv) if args.venv else work / "venv"
    python = venv / "bin" / "python"
    if not python.exists():
        interpreter = find_python(args.python)
        print(f"venv: {venv} ({interpreter})")
        subprocess.run([interpreter, "-m", "venv", str(venv)], check=True)
        requirement = tau2_requirement(Path(args.source) if args.source else None, args.commit, work)
        print(f"installing tau2-bench {args.commit[:7]} from {requirement}")
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", requirement], check=True
        )
    else:
        print(f"venv: reusing {venv} (its tau2 is whatever was installed there)")
    # tau2 reads its data from TAU2_DATA_DIR/tau2/domains/<domain>/: point that at the shared files
    data_root = work / "data"
    for domain in DOMAINS:
        (data_root / "tau2" / "domains").mkdir(parents=True, exist_ok=True)
        (data_root / "tau2" / "domains" / domain).symlink_to((data / domain).resolve(), target_is_directory=True)
    job_path, result_path = work / "job.json", work / "result.json"
    job_path.write_text(json.dumps(job))
    env = {
        **os.environ,
        "TAU2_DATA_DIR": str(data_root),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # litellm would fetch its price list from the network
        "PYTHONWARNINGS": "ignore::SyntaxWarning",  # eval("2(3)") warns before it fails
    }
    subprocess.run([str(python), str(DRIVER), str(job_path), str(result_path)], check=True, cwd=work, env=env)
    return json.loads(result_path.read_text())


# -- the fixture -------------------------------------------------------------------------------------------


def record(c: Call, result: dict) -> dict:
    output = result["output"]
    return {
        "name": c["name"],
        "arguments": c["arguments"],
        "output_sha256": hashlib.sha256(output.encode()).hexdigest(),
        "error": result["error"],
        "output_prefix": output[:PREFIX],
    }


def sequence(calls: list[Call], result: dict, label: str | None = None) -> dict:
    out: dict = {"calls": [record(c, r) for c, r in zip(calls, result["calls"], strict=True)]}
    out["final_hash"] = result["final_hash"]
    if label:
        out["set"] = label
    return out


def build_fixture(job: dict, sets: dict, result: dict, commit: str, seed: int) -> dict:
    fixture: dict = {
        "source": f"outputs of sierra-research/tau2-bench (commit {commit[:7]}) tools on "
        "../shared/data/tau2/<domain>/db.json",
        "generator": {
            "script": "tools/make_tau2_reference.py",
            "tau2_commit": commit,
            "seed": seed,
            "sets": "legacy: calls kept from the first fixture; coverage: every tool and error path; random: "
            "gold and coverage calls, some perturbed",
        },
        "domains": {},
    }
    for domain in DOMAINS:
        calls, res = job["domains"][domain], result["domains"][domain]
        fixture["domains"][domain] = {
            "gold": {tid: sequence(calls["gold"][tid], res["gold"][tid]) for tid in calls["gold"]},
            "perturbed": [
                sequence(c, r, label)
                for c, r, label in zip(calls["perturbed"], res["perturbed"], sets[domain], strict=True)
            ],
        }
    return fixture


def _calls_key(seq: dict) -> str:
    return json.dumps([[c["name"], c["arguments"]] for c in seq["calls"]], sort_keys=True)


def compare_old(old: dict, new: dict) -> dict:
    """The old fixture against the new one: every old sequence whose calls the new one also has (gold by task
    id, perturbed by identical calls) must give the same outputs, errors and final hash.

    Returns counts (old calls compared, sequences compared, old sequences not regenerated, calls in new
    sequences the old fixture did not have) and one line per difference."""
    report: dict = {"old_calls": 0, "old_sequences": 0, "dropped": 0, "new_calls": 0, "changes": []}
    for domain in DOMAINS:
        o, n = old["domains"][domain], new["domains"][domain]
        pairs = [(f"{domain} gold {tid}", seq, n["gold"].get(tid)) for tid, seq in o["gold"].items()]
        report["new_calls"] += sum(len(seq["calls"]) for tid, seq in n["gold"].items() if tid not in o["gold"])
        by_calls: dict[str, dict] = {_calls_key(seq): seq for seq in n["perturbed"]}
        old_keys = {_calls_key(seq) for seq in o["perturbed"]}
        report["new_calls"] += sum(len(seq["calls"]) for seq in n["perturbed"] if _calls_key(seq) not in old_keys)
        pairs += [
            (f"{domain} perturbed {i}", seq, by_calls.get(_calls_key(seq))) for i, seq in enumerate(o["perturbed"])
        ]
        for where, before, after in pairs:
            if after is None:
                report["dropped"] += 1
                continue
            report["old_sequences"] += 1
            report["old_calls"] += len(before["calls"])
            if [(c["name"], c["arguments"]) for c in before["calls"]] != [
                (c["name"], c["arguments"]) for c in after["calls"]
            ]:
                report["changes"].append(f"{where}: the gold calls differ (has tasks.json changed?)")
                continue
            for i, (b, a) in enumerate(zip(before["calls"], after["calls"], strict=True)):
                if (b["output_sha256"], b["error"]) != (a["output_sha256"], a["error"]):
                    report["changes"].append(
                        f"{where} call {i} {b['name']}: {b['output_prefix']!r} -> {a['output_prefix']!r}"
                    )
            if before["final_hash"] != after["final_hash"]:
                report["changes"].append(f"{where}: final hash changed")
    return report


def coverage_report(fixture: dict, result: dict) -> tuple[list[str], dict[str, Counter]]:
    never: list[str] = []
    counts: dict[str, Counter] = {}
    for domain in DOMAINS:
        seen: Counter = Counter()
        d = fixture["domains"][domain]
        for seq in [*d["gold"].values(), *d["perturbed"]]:
            for c in seq["calls"]:
                seen[(c["name"], c["error"])] += 1
        counts[domain] = seen
        never += [f"{domain}.{t}" for t in result["domains"][domain]["tools"] if not any(seen[(t, e)] for e in (0, 1))]
    return never, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", help="a tau2-bench checkout or bare git mirror (default: pip from GitHub)")
    parser.add_argument("--commit", default=TAU2_COMMIT, help=f"tau2-bench commit (default {TAU2_COMMIT[:7]})")
    parser.add_argument("--data", default=str(DATA), help="folder with <domain>/db.json, tasks.json, policy.md")
    parser.add_argument("--out", default=str(FIXTURE), help="fixture to write (its legacy sequences are kept)")
    parser.add_argument("--python", help="interpreter for the venv (Python 3.12)")
    parser.add_argument("--venv", help="keep the venv here and reuse it on the next run (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--check", action="store_true", help="compare with the existing fixture, write nothing")
    args = parser.parse_args(argv)

    data, out = Path(args.data), Path(args.out)
    old = json.loads(out.read_text()) if out.exists() else None
    if old is None:
        print(f"warning: {out} does not exist: no legacy sequences to keep")
    job, sets = build_job(data, old, args.seed)
    with tempfile.TemporaryDirectory(prefix="tau2-reference-") as tmp:
        result = run_tau2(job, data, args, Path(tmp))
    fixture = build_fixture(job, sets, result, args.commit, args.seed)

    never, counts = coverage_report(fixture, result)
    for domain in DOMAINS:
        tools = result["domains"][domain]["tools"]
        print(
            f"{domain}: "
            + ", ".join(f"{t} {counts[domain][(t, False)]}ok/{counts[domain][(t, True)]}err" for t in tools)
        )
    print("tools never called: " + (", ".join(never) if never else "none"))
    total = sum(len(s["calls"]) for d in fixture["domains"].values() for s in [*d["gold"].values(), *d["perturbed"]])
    report = compare_old(old, fixture) if old else {"old_calls": 0, "old_sequences": 0, "dropped": 0}
    report.setdefault("new_calls", total)
    changes = report.get("changes", [])
    for line in changes[:50]:
        print("changed: " + line)
    print(
        f"{report['old_calls']} old calls in {report['old_sequences']} old sequences, {len(changes)} changed; "
        f"{report['dropped']} old sequences not regenerated; {report['new_calls']} new calls"
    )
    sequences = {d: len(fixture["domains"][d]["perturbed"]) for d in DOMAINS}
    print(
        f"tau2_reference commit={args.commit[:7]} calls={total} old_calls={report['old_calls']} "
        f"changed={len(changes)} new_calls={report['new_calls']} retail_perturbed={sequences['retail']} "
        f"airline_perturbed={sequences['airline']} never_called={len(never)}"
    )
    if never:
        print("not written: every tool must be called at least once")
        return 1
    if not args.check:
        out.write_text(json.dumps(fixture, indent=0) + "\n")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
