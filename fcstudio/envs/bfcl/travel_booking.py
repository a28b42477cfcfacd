"""BFCL's ``TravelAPI``: log in, register cards, price and book flights, insurance, budget and currency tools.

A re-implementation of bfcl-eval's ``travel_booking`` class that gives the same results and leaves the same
public state after every call, including BFCL's quirks (noted where they happen). The generator seeded from
the scenario's ``random_seed`` is drawn from in BFCL's order, so tokens and ids come out the same.

The long-context variant adds BFCL's extra cards and bookings *by reference*, as BFCL does: the card dicts
are the shared extension objects, so a balance change on an extension card is seen by every later instance
in the process (BFCL's own module constant changes the same way).
"""

from __future__ import annotations

import pickle
import random
from copy import deepcopy
from datetime import datetime
from functools import cache, partial
from typing import Any

from fcstudio.envs.bfcl import long_context as extensions
from fcstudio.envs.bfcl.world import PROCESS, World

_DEFAULT_SEED = 141053


@cache
def _extension_bytes(name: str) -> bytes:
    return pickle.dumps(extensions.get(name), protocol=pickle.HIGHEST_PROTOCOL)


def _copied_extension(name: str) -> Any:
    """A world's own copy of a long-context extension (unpickled: the same as a deep copy, and faster)."""
    return pickle.loads(_extension_bytes(name))


# Every route BFCL prices, in BFCL's order (the long-context price list follows it): "FROM TO:base TO:base ...".
# One origin may appear on more than one line; the order of the lines is the order of the routes.
_ROUTE_TABLE = """
SFO LAX:200 JFK:500 ORD:400 BOS:450 RMS:300 SBK:350 MPC:370 SVP:320 SHD:330 SSV:340 OKD:360 WLB:310 CRH:380
SFO ATV:390 PHV:420 GFD:430 CIA:700
LAX SFO:100 JFK:600 ORD:500 BOS:550 RMS:310 SBK:320 MPC:330 SVP:340 SHD:350 SSV:360 OKD:370 WLB:380 CRH:390
LAX ATV:400 PHV:410 GFD:420 HND:430
JFK ORD:300 BOS:250 RMS:450 SBK:460 MPC:470 SVP:480 SHD:490 SSV:500 OKD:510 WLB:520 CRH:530 ATV:540 PHV:550
JFK GFD:560 LAX:570 HND:800 PVG:950 PEK:1000
ORD LAX:180 BOS:200 RMS:350 SBK:360 MPC:370 SVP:380 SHD:390 SSV:400 OKD:410 WLB:420 CRH:430 ATV:440 PHV:450
ORD GFD:460
BOS RMS:400 SBK:410 MPC:420 SVP:430 SHD:440 SSV:450 OKD:460 WLB:470 CRH:480 ATV:490 PHV:500 GFD:510
RMS BOS:200 JFK:210 SBK:220 MPC:230 SVP:240 SHD:250 SSV:260 OKD:270 WLB:280 CRH:290 ATV:300 PHV:310 GFD:320
RMS LAX:330
SBK MPC:200 SVP:210 SHD:220 SSV:230 OKD:240 WLB:250 CRH:260 ATV:270 PHV:280 GFD:290
MPC SVP:210 SHD:220 SSV:230 OKD:240 WLB:250 CRH:260 ATV:270 PHV:280 GFD:290
SVP SHD:230 SSV:240 OKD:250 WLB:260 CRH:270 ATV:280 PHV:290 GFD:300
SHD SSV:220 OKD:230 WLB:240 CRH:250 ATV:260 PHV:270 GFD:280
SSV OKD:240 WLB:250 CRH:260 ATV:270 PHV:280 GFD:290
OKD WLB:230 CRH:240 ATV:250 PHV:260 GFD:270
WLB CRH:250 ATV:260 PHV:270 GFD:280
CRH ATV:240 PHV:250 GFD:260 SFO:270 RMS:280 HKG:290 JFK:300
ATV PHV:230 GFD:240
PHV GFD:220
LHR CDG:100
OKD LAX:220
"""


def _parse_routes(table: str) -> dict[tuple[str, str], int]:
    routes: dict[tuple[str, str], int] = {}
    for line in table.split("\n"):
        if not line.strip():
            continue
        origin, *legs = line.split()
        for leg in legs:
            destination, base = leg.split(":")
            routes[(origin, destination)] = int(base)
    return routes


_BASE_COSTS = _parse_routes(_ROUTE_TABLE)
_CLASS_FACTOR = {"economy": 1, "business": 2, "first": 5}

_AIRPORTS = ("RMS SBK MPC SVP SHD CDG LHR SSV OKD WLB PEK HND HKG CIA CRH ATV PHV GFD SFO LAX JFK ORD BOS").split()

_CITY_AIRPORT = {
    "Rivermist": "RMS",
    "Stonebrook": "SBK",
    "Maplecrest": "MPC",
    "Silverpine": "SVP",
    "Shadowridge": "SHD",
    "London": "LHR",
    "Paris": "CDG",
    "Sunset Valley": "SSV",
    "Oakendale": "OKD",
    "Willowbend": "WLB",
    "Crescent Hollow": "CRH",
    "Autumnville": "ATV",
    "Pinehaven": "PHV",
    "Greenfield": "GFD",
    "San Francisco": "SFO",
    "Los Angeles": "LAX",
    "New York": "JFK",
    "Chicago": "ORD",
    "Boston": "BOS",
    "Beijing": "PEK",
    "Hong Kong": "HKG",
    "Rome": "CIA",
    "Tokyo": "HND",
}

# Units of the second currency per USD; BFCL scans these pairs in this order, both directions at each pair.
_USD_RATES: dict[str, float] = {
    "RMB": 7,
    "EUR": 0.8,
    "JPY": 110,
    "GBP": 0.7,
    "CAD": 1.3,
    "AUD": 1.4,
    "INR": 70,
    "RUB": 60,
    "BRL": 3.8,
    "MXN": 20,
}

_SUPPORT_REPLY = (
    "Thank you for contacting customer support. Your message has been received and we will get back to you shortly."
)


def _cost_key(travel_from: Any, travel_to: Any, travel_class: Any, travel_date: Any) -> str:
    return f"{travel_from}|{travel_to}|{travel_class}|{travel_date}"


@cache
def _all_prices(factor: float, date_factor: int) -> tuple[float, ...]:
    """Every route's price for one class and date factor, in route order (the long-context price list)."""
    return tuple(float(fare * factor * date_factor) for fare in _BASE_COSTS.values())


class _AllRoutes:
    """The long-context cost lookup (every route's ``{"cost": price}`` by its cost key), built only when a
    booking reads it: most calls only want the price list."""

    __slots__ = ("_built", "_class", "_date", "_prices")

    def __init__(self, prices: tuple[float, ...], travel_class: Any, travel_date: Any):
        self._prices, self._class, self._date = prices, travel_class, travel_date
        self._built: dict[str, dict[str, float]] | None = None

    def get(self, key: str) -> dict[str, float] | None:
        if self._built is None:
            self._built = {
                _cost_key(origin, destination, self._class, self._date): {"cost": price}
                for (origin, destination), price in zip(_BASE_COSTS, self._prices, strict=True)
            }
        return self._built.get(key)


class TravelAPI:
    """Flight booking for one user, with cards, bookings, a budget limit and an access token."""

    _world: World = PROCESS  # set by the Session that owns the instance

    @staticmethod
    def _shares_world(long_context: bool, ground_truth: list[list[str]]) -> bool:
        """In long context the model's bookings may change the ground truth's records (see ``world``)."""
        return long_context

    def __init__(self) -> None:
        # Public attributes appear only once a scenario is loaded, as in BFCL.
        self.credit_card_list: dict[str, dict[str, Any]]
        self.booking_record: dict[str, dict[str, Any]]
        self.access_token: str | None
        self.token_type: str | None
        self.token_expires_in: int | None
        self.token_scope: str | None
        self.user_first_name: str | None
        self.user_last_name: str | None
        self.budget_limit: float | None
        self.long_context: bool
        self._api_description = (
            "This tool belongs to the travel system, which allows users to book flights, manage credit cards, "
            "and view budget information."
        )
        self._flight_cost_lookup: dict[str, dict[str, float]] | _AllRoutes = {}

    def _load_scenario(self, scenario: dict[str, Any], long_context: bool = False) -> None:
        self._load_own(scenario, long_context)
        self._after_load()

    def _load_own(self, scenario: dict[str, Any], long_context: bool) -> None:
        """Take the scenario's values as they are (no copy: the executor already copied it); defaults otherwise."""
        self._random = random.Random(scenario.get("random_seed", _DEFAULT_SEED))
        self.credit_card_list = scenario.get("credit_card_list", {})
        self.booking_record = scenario.get("booking_record", {})
        self.access_token = scenario.get("access_token", None)
        self.token_type = scenario.get("token_type", None)
        self.token_expires_in = scenario.get("token_expires_in", None)
        self.token_scope = scenario.get("token_scope", None)
        self.user_first_name = scenario.get("user_first_name", None)
        self.user_last_name = scenario.get("user_last_name", None)
        self.budget_limit = scenario.get("budget_limit", None)
        self.long_context = long_context

    def _after_load(self) -> None:
        """What loading takes from the instance's world: in long context BFCL adds the extension records by
        reference, shared by every instance of the world (see ``world``). A Session runs it again on an
        instance made from a template, which was taken just before it."""
        if self.long_context:
            for target, name in (
                (self.credit_card_list, "CREDIT_CARD_EXTENSION"),
                (self.booking_record, "BOOKING_RECORD_EXTENSION"),
            ):
                shared = self._world.get(f"TravelAPI.{name}", partial(_copied_extension, name))
                self._merge_missing(target, shared)

    @staticmethod
    def _merge_missing(target: dict[str, Any], extra: dict[str, Any]) -> None:
        """Add the extension's entries the scenario lacks; the values are shared, not copied (BFCL's behaviour)."""
        for key, value in extra.items():
            if key not in target:
                target[key] = value

    def __eq__(self, value: object) -> bool:
        """Equal when every public attribute of ``self`` equals the other's (BFCL's one-sided comparison)."""
        if not isinstance(value, TravelAPI):
            return False
        return all(getattr(self, name) == getattr(value, name) for name in vars(self) if not name.startswith("_"))

    def _token_problem(self, access_token: Any) -> str | None:
        """The error most secured tools give first; a never-initialised token passes unless the tokens differ."""
        if self.token_expires_in == 0:
            return "Token expired"
        if access_token != self.access_token:
            return "Invalid access token"
        return None

    def _set_card_balance(self, card_id: str, balance: float) -> None:
        self.credit_card_list[card_id]["balance"] = balance

    def authenticate_travel(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        grant_type: str,
        user_first_name: str,
        user_last_name: str,
    ) -> dict[str, Any]:
        """Any credentials succeed; the token is six random digits and lasts "2"."""
        self.token_expires_in = 2
        self.access_token = str(self._random.randint(100000, 999999))
        self.token_type = "Bearer"
        self.token_scope = grant_type
        self.user_first_name = user_first_name
        self.user_last_name = user_last_name
        return {"expires_in": 2, "access_token": self.access_token, "token_type": "Bearer", "scope": grant_type}

    def travel_get_login_status(self) -> dict[str, bool]:
        return {"status": self.token_expires_in not in (None, 0)}

    def get_budget_fiscal_year(
        self, lastModifiedAfter: str | None = None, includeRemoved: str | None = None
    ) -> dict[str, str]:
        """Always the same year; the filters are ignored."""
        return {"budget_fiscal_year": "2018"}

    def register_credit_card(
        self,
        access_token: str,
        card_number: str,
        expiration_date: str,
        cardholder_name: str,
        card_verification_number: int,
    ) -> dict[str, Any]:
        """A new card under a random 12-digit id with a random 5-digit balance.

        BFCL's duplicate check looks the card *number* up among the card *ids*; kept as is."""
        if self.token_expires_in is None:
            return {"error": "Token not initialized"}
        problem = self._token_problem(access_token)
        if problem:
            return {"error": problem}
        if card_number in self.credit_card_list:
            return {"error": "Card already registered"}
        card_id = str(self._random.randint(100000000000, 999999999999))
        self.credit_card_list[card_id] = {
            "card_number": card_number,
            "expiration_date": expiration_date,
            "cardholder_name": cardholder_name,
            "card_verification_number": card_verification_number,
            "balance": self._random.randint(10000, 99999),
        }
        return {"card_id": card_id}

    def get_flight_cost(self, travel_from: str, travel_to: str, travel_date: str, travel_class: str) -> dict[str, Any]:
        """Base fare x class factor x 2 when the date's digits sum to an even number.

        In the long-context variant the list holds that price for every route, not just the one asked for."""
        route = (travel_from, travel_to)
        if route not in _BASE_COSTS:
            raise ValueError("No available route for the given airports.")
        base = _BASE_COSTS[route]
        # compared with ==, not looked up: an unhashable class is an invalid class here, not a TypeError
        factor = next((f for name, f in _CLASS_FACTOR.items() if travel_class == name), None)
        if factor is None:
            raise ValueError("Invalid travel class. Options are: economy, business, first.")
        date_factor = 2 if sum(int(ch) for ch in travel_date if ch.isdigit()) % 2 == 0 else 1

        if self.long_context:
            prices = _all_prices(factor, date_factor)
            self._flight_cost_lookup = _AllRoutes(prices, travel_class, travel_date)
            return {"travel_cost_list": list(prices)}
        price = float(base * factor * date_factor)
        self._flight_cost_lookup = {_cost_key(travel_from, travel_to, travel_class, travel_date): {"cost": price}}
        return {"travel_cost_list": [price]}

    def get_credit_card_balance(self, access_token: str, card_id: str) -> dict[str, Any]:
        problem = self._token_problem(access_token)
        if problem:
            return {"error": problem}
        if card_id not in self.credit_card_list:
            return {"error": "Card not registered. Here are a list of card_id's: " + str(list(self.credit_card_list))}
        return {"card_balance": self.credit_card_list[card_id]["balance"]}

    def book_flight(
        self,
        access_token: str,
        card_id: str,
        travel_date: str,
        travel_from: str,
        travel_to: str,
        travel_class: str,
    ) -> dict[str, Any]:
        """Charge the card and record the booking under random 7- and 8-digit ids.

        BFCL's budget check compares the card's balance (not the fare) with the limit; kept as is."""
        problem = self._token_problem(access_token)
        if problem:
            return {"booking_status": False, "error": problem}
        if card_id not in self.credit_card_list:
            return {"booking_status": False, "error": "Card not registered"}
        card = self.credit_card_list[card_id]
        if "balance" not in card:
            return {"booking_status": False, "error": "Balance not found"}
        airports = self.list_all_airports()
        if travel_from not in airports:
            return {"booking_status": False, "error": f"Invalid departure airport code: {travel_from}"}
        if travel_to not in airports:
            return {"booking_status": False, "error": f"Invalid destination airport code: {travel_to}"}
        try:
            datetime.strptime(travel_date, "%Y-%m-%d")
        except ValueError:
            return {"booking_status": False, "error": "Invalid date format. Use YYYY-MM-DD."}
        classes = {"economy", "business", "first"}
        if travel_class not in classes:
            return {"booking_status": False, "error": f"Invalid travel class. Must be one of {classes}"}
        try:
            self.get_flight_cost(
                travel_from=travel_from, travel_to=travel_to, travel_date=travel_date, travel_class=travel_class
            )
        except ValueError as exc:
            return {"booking_status": False, "error": str(exc)}
        entry = self._flight_cost_lookup.get(_cost_key(travel_from, travel_to, travel_class, travel_date))
        if entry is None:
            return {"booking_status": False, "error": "No available route for the given parameters"}
        travel_cost = entry["cost"]

        if card["balance"] < travel_cost:
            return {"booking_status": False, "error": "Insufficient funds"}
        if self.budget_limit is not None and card["balance"] < self.budget_limit:
            return {"booking_status": False, "error": "Balance is less than budget limit"}
        card["balance"] -= travel_cost
        booking_id = str(self._random.randint(1000000, 9999999))
        transaction_id = str(self._random.randint(10000000, 99999999))
        self.booking_record[booking_id] = {
            "card_id": card_id,
            "travel_date": travel_date,
            "travel_from": travel_from,
            "travel_to": travel_to,
            "travel_class": travel_class,
            "travel_cost": travel_cost,
            "transaction_id": transaction_id,
        }
        return {
            "booking_id": booking_id,
            "transaction_id": transaction_id,
            "booking_status": True,
            "booking_history": self.booking_record if self.long_context else {},
        }

    def retrieve_invoice(
        self, access_token: str, booking_id: str | None = None, insurance_id: str | None = None
    ) -> dict[str, Any]:
        """The booking's details; ``insurance_id`` is accepted and ignored."""
        problem = self._token_problem(access_token)
        if problem:
            return {"error": problem}
        if booking_id not in self.booking_record:
            return {"error": "Booking not found"}
        record = self.booking_record[booking_id]
        fields = ("travel_date", "travel_from", "travel_to", "travel_class", "travel_cost", "transaction_id")
        return {"invoice": {"booking_id": booking_id, **{f: record[f] for f in fields}}}

    def get_booking_history(self, access_token: str) -> dict[str, Any]:
        problem = self._token_problem(access_token)
        if problem:
            return {"error": problem}
        return {"booking_history": deepcopy(self.booking_record)}

    def list_all_airports(self) -> list[str]:
        return list(_AIRPORTS)

    def cancel_booking(self, access_token: str, booking_id: str) -> dict[str, Any]:
        """Refund the booking's card and drop the booking (a KeyError if that card is gone, as in BFCL)."""
        problem = self._token_problem(access_token)
        if problem:
            return {"cancel_status": False, "error": problem}
        if booking_id not in self.booking_record:
            return {"cancel_status": False, "error": "Booking not found"}
        record = self.booking_record[booking_id]
        card_id, refund = record["card_id"], record["travel_cost"]
        self.credit_card_list[card_id]["balance"] += refund
        del self.booking_record[booking_id]
        return {"cancel_status": True}

    def compute_exchange_rate(self, base_currency: str, target_currency: str, value: float) -> dict[str, Any]:
        """From USD multiplies (unrounded); to USD divides and rounds to cents. Only pairs involving USD."""
        for currency, rate in _USD_RATES.items():
            if base_currency == "USD" and target_currency == currency:
                return {"exchanged_value": float(value * rate)}
            if base_currency == currency and target_currency == "USD":
                return {"exchanged_value": round(value / rate, 2)}
        raise ValueError("No available exchange rate for the given currencies.")

    def verify_traveler_information(
        self, first_name: str, last_name: str, date_of_birth: str, passport_number: str
    ) -> dict[str, Any]:
        """The logged-in user, an adult as of today, holding a passport number starting with "US"."""
        if self.user_first_name != first_name or self.user_last_name != last_name:
            return {
                "verification_status": False,
                "verification_failure": "Cannot book flight information for another user."
                f"Expected {self.user_first_name} {self.user_last_name}, got {first_name} {last_name}",
            }
        try:
            born = datetime.strptime(date_of_birth, "%Y-%m-%d")
        except ValueError:
            return {
                "verification_status": False,
                "verification_failure": "Invalid date of birth format. Please use YYYY-MM-DD.",
            }
        today = datetime.today()
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if age < 18:
            return {"verification_status": False, "verification_failure": "Traveler must be at least 18 years old."}
        if not passport_number.startswith("US"):
            return {
                "verification_status": False,
                "verification_failure": "Passport must be issued by the United States.",
            }
        return {"verification_status": True}

    def set_budget_limit(self, access_token: str, budget_limit: float) -> dict[str, Any]:
        problem = self._token_problem(access_token)
        if problem:
            return {"error": problem}
        limit = float(budget_limit)
        self.budget_limit = limit
        return {"budget_limit": limit}

    def get_nearest_airport_by_city(self, location: str) -> dict[str, str]:
        return {"nearest_airport": _CITY_AIRPORT.get(location, "Unknown")}

    def purchase_insurance(
        self,
        access_token: str,
        insurance_type: str,
        booking_id: str,
        insurance_cost: float,
        card_id: str,
    ) -> dict[str, Any]:
        """Charge the card and return a random 9-digit insurance id; nothing else is recorded."""
        problem = self._token_problem(access_token)
        if problem:
            return {"insurance_status": False, "error": problem}
        if self.budget_limit is not None and self.budget_limit < insurance_cost:
            return {"insurance_status": False, "error": "Exceeded budget limit"}
        if booking_id not in self.booking_record:
            return {"insurance_status": False, "error": "Booking not found"}
        if card_id not in self.credit_card_list:
            return {"insurance_status": False, "error": "Credit card not registered"}
        self.credit_card_list[card_id]["balance"] -= insurance_cost
        return {"insurance_id": str(self._random.randint(100000000, 999999999)), "insurance_status": True}

    def contact_customer_support(self, booking_id: str, message: str) -> dict[str, str]:
        if booking_id not in self.booking_record:
            return {"error": "Booking not found"}
        return {"customer_support_message": _SUPPORT_REPLY}

    def get_all_credit_cards(self) -> dict[str, Any]:
        """The live card dict itself, as BFCL returns it."""
        return {"credit_card_list": self.credit_card_list}
