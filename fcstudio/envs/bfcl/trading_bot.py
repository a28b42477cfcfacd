"""BFCL's ``TradingBot``: a stock-trading account with orders, a watch list and a transaction history.

Behaviour, messages and quirks follow bfcl-eval's class exactly (its checker compares results and public
state). Notable ones kept on purpose: some methods answer a *list* when not logged in (so the model sees
``str()`` of it, not JSON); ``get_watchlist`` in long-context mode returns a bare list ending in ``Ellipsis``;
the clock is frozen at 2024-09-01 10:30, and deposit/withdrawal timestamps are drawn from a seeded
``random.Random`` over the following day through local-time timestamps, as BFCL draws them.
"""

from __future__ import annotations

import copy
import random
from datetime import datetime, timedelta
from typing import Any

from fcstudio.envs.bfcl import long_context as extensions

_NOW = datetime(2024, 9, 1, 10, 30)


def _stock(price: float, percent_change: float, volume: float, ma5: float, ma20: float) -> dict[str, float]:
    return {"price": price, "percent_change": percent_change, "volume": volume, "MA(5)": ma5, "MA(20)": ma20}


_DEFAULT_STATE: dict[str, Any] = {
    "orders": {
        12345: {
            "id": 12345,
            "order_type": "Buy",
            "symbol": "AAPL",
            "price": 210.65,
            "amount": 10,
            "status": "Completed",
        },
        12446: {
            "id": 12446,
            "order_type": "Sell",
            "symbol": "GOOG",
            "price": 2840.56,
            "amount": 5,
            "status": "Pending",
        },
    },
    "account_info": {"account_id": 12345, "balance": 10000.0, "binding_card": 1974202140965533},
    "authenticated": False,
    "market_status": "Closed",
    "order_counter": 12446,
    "stocks": {
        "AAPL": _stock(227.16, 0.17, 2.552, 227.11, 227.09),
        "GOOG": _stock(2840.34, 0.24, 1.123, 2835.67, 2842.15),
        "TSLA": _stock(667.92, -0.12, 1.654, 671.15, 668.20),
        "MSFT": _stock(310.23, 0.09, 3.234, 309.88, 310.11),
        "NVDA": _stock(220.34, 0.34, 1.234, 220.45, 220.67),
        "ALPH": _stock(1320.45, -0.08, 1.567, 1321.12, 1325.78),
        "OMEG": _stock(457.23, 0.12, 2.345, 456.78, 458.12),
        "QUAS": _stock(725.89, -0.03, 1.789, 726.45, 728.00),
        "NEPT": _stock(88.34, 0.19, 0.654, 88.21, 88.67),
        "SYNX": _stock(345.67, 0.11, 2.112, 345.34, 346.12),
        "ZETA": _stock(22.09, -0.05, 0.789, 22.12, 22.34),
    },
    "watch_list": ["NVDA"],
    "transaction_history": [],
    "random_seed": 1053520,
}

# Company names the tool knows (AMZN and GORI have no stock data, as in BFCL).
_SYMBOLS = {
    "Apple": "AAPL",
    "Google": "GOOG",
    "Tesla": "TSLA",
    "Microsoft": "MSFT",
    "Nvidia": "NVDA",
    "Zeta Corp": "ZETA",
    "Alpha Tech": "ALPH",
    "Omega Industries": "OMEG",
    "Quasar Ltd.": "QUAS",
    "Neptune Systems": "NEPT",
    "Synex Solutions": "SYNX",
    "Amazon": "AMZN",
    "Gorilla": "GORI",
}


def _int_key(key: Any) -> Any:
    """Order ids arrive as JSON object keys (strings); BFCL turns the all-digit ones back into ints."""
    return int(key) if isinstance(key, str) and key.isdigit() else key


class TradingBot:
    """A trading account: log in, look up stocks, place and cancel orders, move funds, keep a watch list."""

    def __init__(self) -> None:
        self.orders: dict[Any, dict[str, Any]]
        self.account_info: dict[str, Any]
        self.authenticated: bool
        self.market_status: str
        self.order_counter: int
        self.stocks: dict[str, dict[str, Any]]
        self.watch_list: list[Any]
        self.transaction_history: list[dict[str, Any]]
        self.long_context: bool
        self._random: random.Random
        self._api_description = (
            "This tool belongs to the trading system, which allows users to trade stocks, manage their account, "
            "and view stock information."
        )

    def _load_scenario(self, scenario: dict, long_context: bool = False) -> None:
        """Take the scenario's values as they are (the caller already copied them); defaults are fresh copies.

        ``long_context`` is kept as a public attribute because BFCL keeps it so (the state check sees it)."""
        defaults = copy.deepcopy(_DEFAULT_STATE)
        orders = scenario.get("orders", defaults["orders"])
        self.orders = {_int_key(k): v for k, v in orders.items()}
        self.account_info = scenario.get("account_info", defaults["account_info"])
        self.authenticated = scenario.get("authenticated", defaults["authenticated"])
        self.market_status = scenario.get("market_status", defaults["market_status"])
        self.order_counter = scenario.get("order_counter", defaults["order_counter"])
        self.stocks = scenario.get("stocks", defaults["stocks"])
        self.watch_list = scenario.get("watch_list", defaults["watch_list"])
        self.transaction_history = scenario.get("transaction_history", defaults["transaction_history"])
        self.long_context = long_context
        self._random = random.Random(scenario.get("random_seed", defaults["random_seed"]))

    def _timestamp(self) -> str:
        """A seeded random moment in the day after the frozen clock.

        BFCL draws an integer between the two instants' POSIX timestamps taken in local time and converts it
        back in local time; doing the same keeps the draw and the text identical in any time zone."""
        low = int(_NOW.timestamp())
        high = int((_NOW + timedelta(days=1)).timestamp())
        return datetime.fromtimestamp(self._random.randint(low, high)).strftime("%Y-%m-%d %H:%M:%S")

    def _record(self, kind: str, amount: float) -> None:
        self.transaction_history.append({"type": kind, "amount": amount, "timestamp": self._timestamp()})

    def get_current_time(self) -> dict[str, str]:
        """The frozen clock, as ``HH:MM AM/PM``."""
        return {"current_time": _NOW.strftime("%I:%M %p")}

    def get_symbol_by_name(self, name: str) -> dict[str, str]:
        """A known company's ticker symbol."""
        return {"symbol": _SYMBOLS.get(name, "Stock not found")}

    def get_stock_info(self, symbol: str) -> dict[str, Any]:
        """A stock's quote; long-context mode swaps in BFCL's long moving-average series."""
        if symbol not in self.stocks:
            return {"error": f"Stock with symbol '{symbol}' not found."}
        if not self.long_context:
            return self.stocks[symbol]
        quote = self.stocks[symbol].copy()
        quote["MA(5)"] = extensions.get("MA_5_EXTENSION")
        quote["MA(20)"] = extensions.get("MA_20_EXTENSION")
        return quote

    def get_order_details(self, order_id: int) -> dict[str, Any]:
        """One order; long-context mode adds BFCL's company metadata with the order's symbol filled in."""
        if order_id not in self.orders:
            return {
                "error": f"Order with ID {order_id} not found."
                f"Here is the list of orders_id: {list(self.orders.keys())!s}"
            }
        if not self.long_context:
            return self.orders[order_id]
        order = self.orders[order_id].copy()
        symbol = order["symbol"]
        metadata: dict[str, Any] = {}
        for key, template in extensions.get("ORDER_DETAIL_EXTENSION").items():
            try:
                metadata[key] = template.format(symbol=symbol)
            except KeyError as exc:
                return {"error": f"KeyError during formatting: {exc!s}"}
        order["metadata"] = metadata
        return order

    def cancel_order(self, order_id: int) -> dict[str, Any]:
        """Cancel any order not yet completed (no login needed, as in BFCL)."""
        if order_id not in self.orders:
            return {"error": f"Order with ID {order_id} not found."}
        order = self.orders[order_id]
        if order["status"] == "Completed":
            return {"error": f"Can't cancel order {order_id}. Order is already completed."}
        order["status"] = "Cancelled"
        return {"order_id": order_id, "status": "Cancelled"}

    def place_order(self, order_type: str, symbol: str, price: float, amount: int) -> dict[str, Any]:
        """Store a new open order; the answer says "Pending" (BFCL's simulated execution delay).

        Only buys are checked against the balance, and placing an order moves no money."""
        if not self.authenticated:
            return {"error": "User not authenticated. Please log in to place an order."}
        if symbol not in self.stocks:
            return {"error": f"Invalid stock symbol: {symbol}"}
        if price <= 0 or amount <= 0:
            return {"error": "Price and amount must be positive values."}
        if order_type.lower() == "buy":
            cost = float(price) * int(amount)
            balance = self.account_info.get("balance", 0)
            if cost > balance:
                return {"error": f"Insufficient funds: required ${cost:.2f} but only ${balance:.2f} available."}
        price = float(price)
        order_id = self.order_counter
        self.orders[order_id] = {
            "id": order_id,
            "order_type": order_type,
            "symbol": symbol,
            "price": price,
            "amount": amount,
            "status": "Open",
        }
        self.order_counter += 1
        return {"order_id": order_id, "order_type": order_type, "status": "Pending", "price": price, "amount": amount}

    def withdraw_funds(self, amount: float) -> dict[str, Any]:
        """Take money out (only while the market is open) and record a timestamped withdrawal."""
        if not self.authenticated:
            return {"error": "User not authenticated. Please log in to make a transaction."}
        if self.market_status != "Open":
            return {"error": "Market is closed. Transactions are not allowed."}
        if amount <= 0:
            return {"error": "Transaction amount must be positive."}
        if amount > self.account_info["balance"]:
            return {"error": "Insufficient funds for withdrawal."}
        self.account_info["balance"] -= amount
        self._record("withdrawal", amount)
        return {"status": "Withdrawal successful", "new_balance": self.account_info["balance"]}

    def get_account_info(self) -> dict[str, Any]:
        """The account record itself."""
        if not self.authenticated:
            return {"error": "User not authenticated. Please log in to view account information."}
        return self.account_info

    def trading_login(self, username: str, password: str) -> dict[str, str]:
        """Log in; any credentials are accepted."""
        if self.authenticated:
            return {"status": "Already logged in"}
        self.authenticated = True
        return {"status": "Logged in successfully"}

    def trading_get_login_status(self) -> dict[str, bool]:
        """Whether the user is logged in."""
        return {"status": bool(self.authenticated)}

    def trading_logout(self) -> dict[str, str]:
        """Log out, if logged in."""
        if not self.authenticated:
            return {"status": "No user is currently logged in"}
        self.authenticated = False
        return {"status": "Logged out successfully"}

    def fund_account(self, amount: float) -> dict[str, Any]:
        """Add money (market hours do not matter here) and record a timestamped deposit."""
        if not self.authenticated:
            return {"error": "User not authenticated. Please log in to fund the account."}
        if amount <= 0:
            return {"error": "Funding amount must be positive."}
        self.account_info["balance"] += amount
        self._record("deposit", amount)
        return {"status": "Account funded successfully", "new_balance": self.account_info["balance"]}

    def remove_stock_from_watchlist(self, symbol: str) -> dict[str, str]:
        """Drop a symbol from the watch list."""
        if not self.authenticated:
            return {"error": "User not authenticated. Please log in to modify the watchlist."}
        if symbol not in self.watch_list:
            return {"error": f"Stock {symbol} not found in watchlist."}
        self.watch_list.remove(symbol)
        return {"status": f"Stock {symbol} removed from watchlist successfully."}

    def get_watchlist(self) -> dict[str, Any] | list[Any]:
        """The watch list; a bare list (BFCL's shape) when not logged in or in long-context mode."""
        if not self.authenticated:
            return ["Error: User not authenticated. Please log in to view the watchlist."]
        if self.long_context:
            return [*self.watch_list, *extensions.get("WATCH_LIST_EXTENSION")]
        return {"watchlist": self.watch_list}

    def get_order_history(self) -> dict[str, Any] | list[Any]:
        """The ids of all orders, in insertion order."""
        if not self.authenticated:
            return [{"error": "User not authenticated. Please log in to view order history."}]
        return {"history": list(self.orders.keys())}

    def get_transaction_history(self, start_date: str | None = None, end_date: str | None = None) -> Any:
        """Transactions whose timestamp lies within the given days (inclusive, from midnight to midnight)."""
        if not self.authenticated:
            return [{"error": "User not authenticated. Please log in to view transaction history."}]
        start = datetime.strptime(start_date, "%Y-%m-%d") if start_date else datetime.min
        end = datetime.strptime(end_date, "%Y-%m-%d") if end_date else datetime.max
        history = [
            record
            for record in self.transaction_history
            if start <= datetime.strptime(record["timestamp"], "%Y-%m-%d %H:%M:%S") <= end
        ]
        if self.long_context:
            history.extend(extensions.get("TRANSACTION_HISTORY_EXTENSION"))
        return {"transaction_history": history}

    def get_available_stocks(self, sector: str) -> dict[str, list[str]]:
        """The symbols of a sector (some have no stock data, as in BFCL)."""
        sectors = {"Technology": ["AAPL", "GOOG", "MSFT", "NVDA"], "Automobile": ["TSLA", "F", "GM"]}
        if self.long_context:
            sectors["Technology"].extend(extensions.get("TECHNOLOGY_EXTENSION"))
            sectors["Automobile"].extend(extensions.get("AUTOMOBILE_EXTENSION"))
        return {"stock_list": sectors.get(sector, [])}

    def filter_stocks_by_price(self, stocks: list[str], min_price: float, max_price: float) -> dict[str, list[str]]:
        """The given symbols priced within [min_price, max_price]; unknown symbols count as price 0."""

        def in_range(symbol: str) -> bool:
            # two look-ups and a short-circuit, in BFCL's order, so odd arguments fail the same way
            return (
                self.stocks.get(symbol, {}).get("price", 0) >= min_price
                and self.stocks.get(symbol, {}).get("price", 0) <= max_price
            )

        return {"filtered_stocks": [symbol for symbol in stocks if in_range(symbol)]}

    def add_to_watchlist(self, stock: str) -> dict[str, list[Any]]:
        """Watch a known symbol (unknown or already-watched ones are silently ignored); no login needed."""
        if stock not in self.watch_list and stock in self.stocks:
            self.watch_list.append(stock)
        return {"watchlist": self.watch_list}

    def notify_price_change(self, stocks: list[str], threshold: float) -> dict[str, str]:
        """Name the known symbols whose absolute percent change reaches the threshold."""
        moved = [
            symbol
            for symbol in stocks
            if symbol in self.stocks and abs(self.stocks[symbol]["percent_change"]) >= threshold
        ]
        if moved:
            return {"notification": f"Stocks {', '.join(moved)} have significant price changes."}
        return {"notification": "No significant price changes in the selected stocks."}
