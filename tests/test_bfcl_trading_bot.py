"""BFCL's TradingBot as fcstudio re-implements it: state loading (defaults, string order ids, long context),
results as BFCL renders them, error paths, BFCL's quirks (list results when logged out, the long-context watch
list ending in Ellipsis) and the seeded transaction timestamps."""

from __future__ import annotations

import inspect

import pytest

from fcstudio.envs.bfcl import long_context
from fcstudio.envs.bfcl.classes import func_docs, public_methods
from fcstudio.envs.bfcl.session import Session, render
from fcstudio.envs.bfcl.trading_bot import TradingBot


def loaded(long: bool = False, **scenario: object) -> TradingBot:
    bot = TradingBot()
    bot._load_scenario(scenario, long_context=long)
    return bot


def public(bot: TradingBot) -> dict:
    return {k: v for k, v in vars(bot).items() if not k.startswith("_")}


def test_methods_and_signatures_match_the_function_docs() -> None:
    docs = {d["name"]: d for d in func_docs("TradingBot")}
    assert public_methods(TradingBot) == sorted(docs)
    for name, doc in docs.items():
        params = list(inspect.signature(getattr(TradingBot, name)).parameters)[1:]
        assert params == list(doc["parameters"]["properties"]), name
    defaults = inspect.signature(TradingBot.get_transaction_history).parameters
    assert defaults["start_date"].default is None and defaults["end_date"].default is None


def test_defaults_when_the_scenario_is_empty() -> None:
    bot = loaded()
    state = public(bot)
    assert sorted(state) == sorted(
        [
            "orders",
            "account_info",
            "authenticated",
            "market_status",
            "order_counter",
            "stocks",
            "watch_list",
            "transaction_history",
            "long_context",
        ]
    )
    assert state["orders"][12446] == {
        "id": 12446,
        "order_type": "Sell",
        "symbol": "GOOG",
        "price": 2840.56,
        "amount": 5,
        "status": "Pending",
    }
    assert state["account_info"] == {"account_id": 12345, "balance": 10000.0, "binding_card": 1974202140965533}
    assert (bot.authenticated, bot.market_status, bot.order_counter, bot.watch_list) == (
        False,
        "Closed",
        12446,
        ["NVDA"],
    )
    assert len(bot.stocks) == 11 and bot.stocks["TSLA"]["MA(20)"] == 668.2 and bot.long_context is False
    bot.watch_list.append("AAPL")
    bot.account_info["balance"] = 0
    assert loaded().watch_list == ["NVDA"] and loaded().account_info["balance"] == 10000.0  # fresh defaults


def test_scenario_values_and_order_keys() -> None:
    orders = {"7": {"id": 7, "symbol": "AAPL", "status": "Open"}, "x1": {"status": "Open"}}
    watch = ["AAPL"]
    bot = loaded(orders=orders, watch_list=watch, authenticated=True)
    assert list(bot.orders) == [7, "x1"]  # all-digit string keys become ints, as in BFCL
    assert bot.orders[7] is orders["7"] and bot.watch_list is watch
    with pytest.raises(ValueError, match="invalid literal for int"):
        loaded(orders={"²": {}})  # str.isdigit accepts it, int() does not: BFCL fails the same way


def test_login_and_logged_out_results() -> None:
    bot = loaded()
    assert render(bot.get_watchlist()) == "['Error: User not authenticated. Please log in to view the watchlist.']"
    assert render(bot.get_order_history()) == (
        "[{'error': 'User not authenticated. Please log in to view order history.'}]"
    )
    assert bot.place_order("Buy", "AAPL", 1, 1) == {"error": "User not authenticated. Please log in to place an order."}
    assert bot.trading_logout() == {"status": "No user is currently logged in"}
    assert bot.trading_login("u", "p") == {"status": "Logged in successfully"}
    assert bot.trading_login("u", "p") == {"status": "Already logged in"}
    assert bot.trading_get_login_status() == {"status": True}
    assert render(bot.get_order_history()) == '{"history": [12345, 12446]}'
    assert bot.get_current_time() == {"current_time": "10:30 AM"}


def test_orders() -> None:
    bot = loaded(authenticated=True)
    assert render(bot.place_order("Buy", "AAPL", 2000, 10)) == (
        '{"error": "Insufficient funds: required $20000.00 but only $10000.00 available."}'
    )
    assert bot.place_order("Buy", "ZZZ", 1, 1) == {"error": "Invalid stock symbol: ZZZ"}
    assert bot.place_order("Sell", "AAPL", 0, 1) == {"error": "Price and amount must be positive values."}
    assert render(bot.place_order("Buy", "AAPL", 150, 3)) == (
        '{"order_id": 12446, "order_type": "Buy", "status": "Pending", "price": 150.0, "amount": 3}'
    )
    # BFCL's counter starts at an existing id: the new order replaces the default GOOG one
    assert bot.orders[12446]["status"] == "Open" and bot.orders[12446]["symbol"] == "AAPL"
    assert bot.order_counter == 12447 and bot.account_info["balance"] == 10000.0  # no money moves
    assert render(bot.get_order_details(1)) == (
        '{"error": "Order with ID 1 not found.Here is the list of orders_id: [12345, 12446]"}'
    )
    assert bot.cancel_order(12345) == {"error": "Can't cancel order 12345. Order is already completed."}
    assert bot.cancel_order(12446) == {"order_id": 12446, "status": "Cancelled"}
    with pytest.raises(TypeError, match="'<=' not supported between instances of 'str' and 'int'"):
        bot.place_order("Buy", "AAPL", "10", 1)  # type: ignore[arg-type]


def test_funds_and_seeded_timestamps() -> None:
    bot = loaded(authenticated=True)
    assert bot.withdraw_funds(10) == {"error": "Market is closed. Transactions are not allowed."}
    bot.market_status = "Open"
    assert bot.withdraw_funds(0) == {"error": "Transaction amount must be positive."}
    assert bot.withdraw_funds(1e9) == {"error": "Insufficient funds for withdrawal."}
    assert bot.fund_account(-1) == {"error": "Funding amount must be positive."}
    assert render(bot.fund_account(500)) == '{"status": "Account funded successfully", "new_balance": 10500.0}'
    assert render(bot.withdraw_funds(200.5)) == '{"status": "Withdrawal successful", "new_balance": 10299.5}'
    assert bot.transaction_history == [
        {"type": "deposit", "amount": 500, "timestamp": "2024-09-02 05:40:15"},
        {"type": "withdrawal", "amount": 200.5, "timestamp": "2024-09-01 12:26:34"},
    ]
    other = loaded(authenticated=True, random_seed=7)
    other.fund_account(1)
    assert other.transaction_history[0]["timestamp"] == "2024-09-01 22:17:25"
    assert bot.get_transaction_history("2024-09-02") == {"transaction_history": [bot.transaction_history[0]]}
    assert bot.get_transaction_history(end_date="2024-09-02") == {"transaction_history": [bot.transaction_history[1]]}
    with pytest.raises(ValueError, match="does not match format '%Y-%m-%d'"):
        bot.get_transaction_history("2024/09/01")


def test_stocks_and_watch_list() -> None:
    bot = loaded()
    assert bot.get_symbol_by_name("Amazon") == {"symbol": "AMZN"} and bot.get_symbol_by_name("X") == {
        "symbol": "Stock not found"
    }
    assert bot.get_stock_info("NOPE") == {"error": "Stock with symbol 'NOPE' not found."}
    assert bot.get_stock_info("AAPL") is bot.stocks["AAPL"]
    assert bot.get_available_stocks("Automobile") == {"stock_list": ["TSLA", "F", "GM"]}
    assert bot.filter_stocks_by_price(["AAPL", "GOOG", "F", "ZETA"], 0, 300) == {
        "filtered_stocks": ["AAPL", "F", "ZETA"]  # an unknown symbol counts as price 0
    }
    assert bot.notify_price_change(["AAPL", "TSLA", "ZETA"], 0.12) == {
        "notification": "Stocks AAPL, TSLA have significant price changes."
    }
    assert bot.notify_price_change(["X"], 0) == {"notification": "No significant price changes in the selected stocks."}
    assert bot.add_to_watchlist("AAPL") == {"watchlist": ["NVDA", "AAPL"]}  # no login needed
    assert bot.add_to_watchlist("FOO") == {"watchlist": ["NVDA", "AAPL"]}
    assert bot.remove_stock_from_watchlist("AAPL") == {
        "error": "User not authenticated. Please log in to modify the watchlist."
    }
    bot.trading_login("u", "p")
    assert bot.remove_stock_from_watchlist("AAPL") == {"status": "Stock AAPL removed from watchlist successfully."}
    assert bot.remove_stock_from_watchlist("AAPL") == {"error": "Stock AAPL not found in watchlist."}


def test_long_context_extensions() -> None:
    bot = loaded(long=True, authenticated=True)
    assert bot.long_context is True
    watch = bot.get_watchlist()
    assert isinstance(watch, list) and len(watch) == 1002 and watch[:2] == ["NVDA", "JHGUN"] and watch[-1] is Ellipsis
    assert render(watch).endswith("'ZRFRE', Ellipsis]")
    assert bot.watch_list == ["NVDA"] and long_context.get("WATCH_LIST_EXTENSION")[-1] is Ellipsis
    info = bot.get_stock_info("AAPL")
    assert info["price"] == 227.16 and len(info["MA(5)"]) == 2000 and info["MA(20)"][0] == 225.08
    assert bot.stocks["AAPL"]["MA(5)"] == 227.11  # the state keeps its own averages
    order = bot.get_order_details(12345)
    assert order["metadata"]["company_overview"].startswith("\n    AAPL is one of the most influential companies")
    assert "metadata" not in bot.orders[12345]
    tech = bot.get_available_stocks("Technology")["stock_list"]
    assert len(tech) == 1004 and len(bot.get_available_stocks("Technology")["stock_list"]) == 1004
    history = bot.get_transaction_history()["transaction_history"]
    assert len(history) == 1000 and bot.transaction_history == []


def test_session_renders_bad_calls_as_python_does() -> None:
    session = Session({"TradingBot": {"authenticated": True}}, ["TradingBot"], long_context=False)
    assert session.run("get_stock_info(symbol='AAPL', x=1)") == (
        "Error during execution: TradingBot.get_stock_info() got an unexpected keyword argument 'x'"
    )
    assert session.run("get_account_info()") == (
        '{"account_id": 12345, "balance": 10000.0, "binding_card": 1974202140965533}'
    )
