"""fcstudio's BFCL ``TravelAPI``: state loading, seeded ids, results and BFCL's quirks, with BFCL's values."""

from __future__ import annotations

import inspect
import json

import pytest

from fcstudio.envs.bfcl import long_context
from fcstudio.envs.bfcl.classes import func_docs, public_methods
from fcstudio.envs.bfcl.session import Session, render
from fcstudio.envs.bfcl.travel_booking import TravelAPI
from fcstudio.envs.bfcl.world import World

PUBLIC = [
    "credit_card_list",
    "booking_record",
    "access_token",
    "token_type",
    "token_expires_in",
    "token_scope",
    "user_first_name",
    "user_last_name",
    "budget_limit",
    "long_context",
]


def loaded(scenario: dict | None = None, long: bool = False) -> TravelAPI:
    api = TravelAPI()
    api._load_scenario(scenario if scenario is not None else {}, long_context=long)
    return api


def public(api: TravelAPI) -> dict:
    return {k: v for k, v in vars(api).items() if not k.startswith("_")}


def logged_in(scenario: dict | None = None) -> tuple[TravelAPI, str]:
    api = loaded(scenario)
    token = api.authenticate_travel("id", "secret", "refresh", "read_write", "Ann", "Lee")["access_token"]
    return api, token


def test_methods_match_function_docs_and_bfcl_signatures() -> None:
    assert public_methods(TravelAPI) == sorted(d["name"] for d in func_docs("TravelAPI"))
    # BFCL's order, not the doc's (the doc lists insurance_cost before booking_id)
    assert list(inspect.signature(TravelAPI.purchase_insurance).parameters) == [
        "self",
        "access_token",
        "insurance_type",
        "booking_id",
        "insurance_cost",
        "card_id",
    ]
    assert str(inspect.signature(TravelAPI.retrieve_invoice)) == (
        "(self, access_token: 'str', booking_id: 'str | None' = None, insurance_id: 'str | None' = None) -> 'dict[str, Any]'"
    )


def test_defaults_and_no_public_state_before_loading() -> None:
    assert public(TravelAPI()) == {}
    api = loaded()
    assert list(public(api)) == PUBLIC
    assert public(api) == {
        "credit_card_list": {},
        "booking_record": {},
        "access_token": None,
        "token_type": None,
        "token_expires_in": None,
        "token_scope": None,
        "user_first_name": None,
        "user_last_name": None,
        "budget_limit": None,
        "long_context": False,
    }
    assert api.travel_get_login_status() == {"status": False}


def test_scenario_values_are_taken_without_copying() -> None:
    cards = {"c1": {"card_number": "1", "balance": 10.0}}
    api = loaded({"credit_card_list": cards, "token_expires_in": 0})
    assert api.credit_card_list is cards
    assert api.travel_get_login_status() == {"status": False}
    assert api.get_booking_history("x") == {"error": "Token expired"}


def test_long_context_adds_extension_entries_shared_within_a_world_only() -> None:
    mine = {"card_number": "mine", "balance": 1.0}
    api = loaded({"credit_card_list": {"1234567812345678": mine}}, long=True)
    cards = long_context.get("CREDIT_CARD_EXTENSION")
    assert len(api.credit_card_list) == 22 and len(api.booking_record) == 16
    assert api.credit_card_list["1234567812345678"] is mine
    assert api.credit_card_list["2345678923456789"] == cards["2345678923456789"]
    assert api.credit_card_list["2345678923456789"] is not cards["2345678923456789"]  # the shared data stays as shipped
    assert api.long_context is True
    world = World()
    one, two, other = (
        Session({"TravelAPI": {}}, ["TravelAPI"], long_context=True, world=w) for w in (world, world, World())
    )
    a, b, c = (s.instances["TravelAPI"].credit_card_list["2345678923456789"] for s in (one, two, other))
    assert a is b and a is not c  # BFCL's by-reference sharing, scoped to one check's world


def test_seeded_tokens_and_ids() -> None:
    api = loaded()
    assert api.authenticate_travel("a", "b", "c", "read", "A", "B") == {
        "expires_in": 2,
        "access_token": "251675",
        "token_type": "Bearer",
        "scope": "read",
    }
    api = loaded({"random_seed": 42})
    token = api.authenticate_travel("a", "b", "c", "read", "A", "B")["access_token"]
    assert token == "770487"
    assert api.register_credit_card(token, "4111", "12/30", "A B", 321) == {"card_id": "126247967103"}
    assert api.credit_card_list["126247967103"] == {
        "card_number": "4111",
        "expiration_date": "12/30",
        "cardholder_name": "A B",
        "card_verification_number": 321,
        "balance": 46048,
    }
    assert (api.token_scope, api.user_first_name, api.user_last_name) == ("read", "A", "B")


def test_register_credit_card_errors() -> None:
    assert loaded().register_credit_card(None, "1", "1/30", "A", 1) == {"error": "Token not initialized"}
    api, token = logged_in({"credit_card_list": {"555": {"balance": 1}}})
    assert api.register_credit_card("bad", "1", "1/30", "A", 1) == {"error": "Invalid access token"}
    # BFCL looks the card number up among the card ids
    assert api.register_credit_card(token, "555", "1/30", "A", 1) == {"error": "Card already registered"}


def test_flight_cost_factors_and_errors() -> None:
    api = loaded()
    assert render(api.get_flight_cost("SFO", "LAX", "2024-11-15", "economy")) == '{"travel_cost_list": [400.0]}'
    assert api.get_flight_cost("SFO", "LAX", "2024-11-16", "business") == {"travel_cost_list": [400.0]}
    assert api.get_flight_cost("SFO", "LAX", "2024-11-16", "first") == {"travel_cost_list": [1000.0]}
    with pytest.raises(ValueError, match=r"^No available route for the given airports\.$"):
        api.get_flight_cost("LAX", "LHR", "2024-11-16", "economy")
    with pytest.raises(ValueError, match=r"^Invalid travel class\. Options are: economy, business, first\.$"):
        api.get_flight_cost("SFO", "LAX", "2024-11-16", ["economy"])
    long = loaded(long=True)
    prices = long.get_flight_cost("SFO", "LAX", "2024-11-15", "first")["travel_cost_list"]
    assert len(prices) == 153 and prices[:3] == [2000.0, 5000.0, 4000.0]
    assert long.get_flight_cost("OKD", "LAX", "2024-11-16", "economy")["travel_cost_list"][-2:] == [100.0, 220.0]


def test_booking_flow_with_seeded_ids() -> None:
    api, token = logged_in({"credit_card_list": {"c1": {"card_number": "1", "balance": 1000.0}}})
    result = api.book_flight(token, "c1", "2024-11-15", "SFO", "LAX", "economy")
    assert render(result) == (
        '{"booking_id": "5431449", "transaction_id": "59784505", "booking_status": true, "booking_history": {}}'
    )
    assert api.credit_card_list["c1"]["balance"] == 600.0
    assert api.purchase_insurance(token, "comprehensive", "5431449", 50, "c1") == {
        "insurance_id": "304283040",
        "insurance_status": True,
    }
    assert api.retrieve_invoice(token, "5431449") == {
        "invoice": {
            "booking_id": "5431449",
            "travel_date": "2024-11-15",
            "travel_from": "SFO",
            "travel_to": "LAX",
            "travel_class": "economy",
            "travel_cost": 400.0,
            "transaction_id": "59784505",
        }
    }
    history = api.get_booking_history(token)["booking_history"]
    assert history == api.booking_record and history is not api.booking_record
    assert api.cancel_booking(token, "5431449") == {"cancel_status": True}
    assert api.credit_card_list["c1"]["balance"] == 950.0 and api.booking_record == {}
    assert api.retrieve_invoice(token) == {"error": "Booking not found"}


def test_long_context_booking_returns_the_live_record() -> None:
    cards = {"c1": {"card_number": "1", "balance": 1000.0}}
    api = loaded({"credit_card_list": cards}, long=True)
    result = api.book_flight(None, "c1", "2024-11-15", "SFO", "LAX", "economy")
    assert result["booking_status"] is True and result["booking_history"] is api.booking_record
    assert result["booking_id"] == "3426812" and len(api.booking_record) == 17


def test_book_flight_errors() -> None:
    cards = {"c1": {"card_number": "1", "balance": 1000.0}, "nobal": {"card_number": "2"}}
    api, token = logged_in({"credit_card_list": cards, "budget_limit": 2000.0})

    def error(*args: str) -> str:
        return api.book_flight(token, *args)["error"]

    assert api.book_flight("bad", "c1", "2024-11-15", "SFO", "LAX", "economy")["error"] == "Invalid access token"
    assert error("zz", "2024-11-15", "SFO", "LAX", "economy") == "Card not registered"
    assert error("nobal", "2024-11-15", "SFO", "LAX", "economy") == "Balance not found"
    assert error("c1", "2024-11-15", "XXX", "LAX", "economy") == "Invalid departure airport code: XXX"
    assert error("c1", "2024-11-15", "SFO", "XXX", "economy") == "Invalid destination airport code: XXX"
    assert error("c1", "2024/11/15", "SFO", "LAX", "economy") == "Invalid date format. Use YYYY-MM-DD."
    classes = {"economy", "business", "first"}  # BFCL prints the set, in this process's set order
    assert error("c1", "2024-11-15", "SFO", "LAX", "coach") == f"Invalid travel class. Must be one of {classes}"
    assert error("c1", "2024-11-15", "LAX", "LHR", "economy") == "No available route for the given airports."
    assert error("c1", "2024-11-15", "SFO", "LAX", "first") == "Insufficient funds"
    # BFCL compares the card's balance, not the fare, with the budget limit
    assert error("c1", "2024-11-15", "SFO", "LAX", "economy") == "Balance is less than budget limit"
    assert cards["c1"]["balance"] == 1000.0 and api.booking_record == {}
    with pytest.raises(TypeError):
        api.book_flight(token, "c1", 20241115, "SFO", "LAX", "economy")  # type: ignore[arg-type]


def test_cancel_and_insurance_errors() -> None:
    scenario = {"booking_record": {"b1": {"card_id": "gone", "travel_cost": 5.0}}, "budget_limit": 10.0}
    api, token = logged_in(scenario)
    assert api.cancel_booking(token, "zz") == {"cancel_status": False, "error": "Booking not found"}
    with pytest.raises(KeyError):  # the booking's card is not registered: BFCL fails the same way
        api.cancel_booking(token, "b1")
    assert "b1" in api.booking_record
    assert api.purchase_insurance(token, "t", "b1", 50.0, "x") == {
        "insurance_status": False,
        "error": "Exceeded budget limit",
    }
    assert api.purchase_insurance(token, "t", "b1", 5.0, "x") == {
        "insurance_status": False,
        "error": "Credit card not registered",
    }
    assert api.contact_customer_support("zz", "help") == {"error": "Booking not found"}
    assert api.contact_customer_support("b1", "help")["customer_support_message"].startswith("Thank you for contacting")


def test_card_balance_budget_and_exchange() -> None:
    api, token = logged_in({"credit_card_list": {"c1": {"balance": 12.5}}})
    assert api.get_credit_card_balance(token, "c1") == {"card_balance": 12.5}
    assert api.get_credit_card_balance(token, "c9") == {
        "error": "Card not registered. Here are a list of card_id's: ['c1']"
    }
    assert api.set_budget_limit(token, "2500") == {"budget_limit": 2500.0} and api.budget_limit == 2500.0
    with pytest.raises(ValueError, match="could not convert string to float"):
        api.set_budget_limit(token, "lots")
    assert api.compute_exchange_rate("USD", "EUR", 100) == {"exchanged_value": 80.0}
    assert api.compute_exchange_rate("EUR", "USD", 100) == {"exchanged_value": 125.0}
    assert api.compute_exchange_rate("JPY", "USD", 1000) == {"exchanged_value": 9.09}
    assert api.compute_exchange_rate("USD", "RMB", "10") == {"exchanged_value": 10101010101010.0}  # str * 7
    with pytest.raises(ValueError, match=r"^No available exchange rate for the given currencies\.$"):
        api.compute_exchange_rate("EUR", "JPY", 1)
    assert api.get_nearest_airport_by_city("Crescent Hollow") == {"nearest_airport": "CRH"}
    assert api.get_nearest_airport_by_city("Atlantis") == {"nearest_airport": "Unknown"}
    assert api.get_budget_fiscal_year() == {"budget_fiscal_year": "2018"}
    assert api.list_all_airports()[:3] == ["RMS", "SBK", "MPC"] and len(api.list_all_airports()) == 23


def test_verify_traveler_information() -> None:
    api, _ = logged_in()
    assert api.verify_traveler_information("X", "Y", "1990-01-01", "US1") == {
        "verification_status": False,
        "verification_failure": "Cannot book flight information for another user.Expected Ann Lee, got X Y",
    }
    assert api.verify_traveler_information("Ann", "Lee", "1990/01/01", "US1")["verification_failure"] == (
        "Invalid date of birth format. Please use YYYY-MM-DD."
    )
    assert api.verify_traveler_information("Ann", "Lee", "2999-01-01", "US1")["verification_failure"] == (
        "Traveler must be at least 18 years old."
    )
    assert api.verify_traveler_information("Ann", "Lee", "1990-01-01", "UK1")["verification_failure"] == (
        "Passport must be issued by the United States."
    )
    assert api.verify_traveler_information("Ann", "Lee", "1990-01-01", "US1") == {"verification_status": True}


def test_equality_compares_public_state() -> None:
    a, b = loaded({"random_seed": 1}), loaded({"random_seed": 2})
    assert a == b and a != object()
    a.authenticate_travel("a", "b", "c", "read", "A", "B")
    assert a != b


def test_session_renders_results_and_call_errors() -> None:
    session = Session({"TravelAPI": {"random_seed": 42}}, ["TravelAPI"], long_context=False)
    assert json.loads(session.run("authenticate_travel('a','b','c','read','A','B')"))["access_token"] == "770487"
    assert session.run("book_flight(x=1)") == (
        "Error during execution: TravelAPI.book_flight() got an unexpected keyword argument 'x'"
    )
    assert session.run("get_flight_cost('SFO','LHR','2024-01-01','economy')") == (
        "Error during execution: No available route for the given airports."
    )
    assert session.run("list_all_airports()").startswith("['RMS', 'SBK'")
