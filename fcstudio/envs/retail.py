"""The retail domain, compatible with tau2-bench's: same tools, arguments, outputs, errors and state changes.

State = tau2's ``db.json`` (tables ``products``, ``users``, ``orders``), normalised through the record
models below so that every record has tau2's fields in tau2's order (tool outputs are the JSON of a
record, and the state hash is tau2's DB hash).
"""

from __future__ import annotations

import json
from typing import Literal

from fcstudio.envs.base import DomainError, Environment, State, tool
from fcstudio.envs.common_tools import CommonTools
from fcstudio.envs.loading import load_state
from fcstudio.envs.records import Address, CreditCard, PersonName, Record


class Variant(Record):
    item_id: str
    options: dict[str, str]
    available: bool
    price: float


class Product(Record):
    name: str
    product_id: str
    variants: dict[str, Variant]


class Paypal(Record):
    source: Literal["paypal"]
    id: str


class GiftCard(Record):
    source: Literal["gift_card"]
    id: str
    balance: float


class User(Record):
    user_id: str
    name: PersonName
    address: Address
    email: str
    payment_methods: dict[str, CreditCard | GiftCard | Paypal]
    orders: list[str]


class Fulfillment(Record):
    tracking_id: list[str]
    item_ids: list[str]


class OrderItem(Record):
    name: str
    product_id: str
    item_id: str
    price: float
    options: dict[str, str]


class Payment(Record):
    transaction_type: Literal["payment", "refund"]
    amount: float
    payment_method_id: str


class Order(Record):
    order_id: str
    user_id: str
    address: Address
    items: list[OrderItem]
    status: Literal[
        "processed",
        "pending",
        "pending (item modified)",
        "delivered",
        "cancelled",
        "exchange requested",
        "return requested",
    ]
    fulfillments: list[Fulfillment]
    payment_history: list[Payment]
    cancel_reason: Literal["no longer needed", "ordered by mistake"] | None = None
    exchange_items: list[str] | None = None
    exchange_new_items: list[str] | None = None
    exchange_payment_method_id: str | None = None
    exchange_price_difference: float | None = None
    return_items: list[str] | None = None
    return_payment_method_id: str | None = None


RECORD_MODELS: dict[str, type[Record]] = {"products": Product, "users": User, "orders": Order}


def load_retail(path: str) -> State:
    """Load and normalise a tau2 retail ``db.json``; errors name the table and record."""
    return load_state(path, RECORD_MODELS)


def _address(address1: str, address2: str, city: str, state: str, country: str, zip: str) -> dict:
    return {"address1": address1, "address2": address2, "city": city, "country": country, "state": state, "zip": zip}


class RetailEnv(CommonTools, Environment):
    """Customer service for an online store: orders, returns, exchanges, addresses and payments."""

    name = "retail"
    tables = ("products", "users", "orders")

    # -- lookups (errors worded as tau2's) --------------------------------------------------------
    def _order(self, order_id: str) -> dict:
        if order_id not in self.state["orders"]:
            raise DomainError("Order not found")
        return self.state["orders"][order_id]

    def _user(self, user_id: str) -> dict:
        if user_id not in self.state["users"]:
            raise DomainError("User not found")
        return self.state["users"][user_id]

    def _product(self, product_id: str) -> dict:
        if product_id not in self.state["products"]:
            raise DomainError("Product not found")
        return self.state["products"][product_id]

    def _variant(self, product_id: str, variant_id: str) -> dict:
        product = self._product(product_id)
        if variant_id not in product["variants"]:
            raise DomainError("Variant not found")
        return product["variants"][variant_id]

    def _payment_method(self, user_id: str, payment_method_id: str) -> dict:
        user = self._user(user_id)
        if payment_method_id not in user["payment_methods"]:
            raise DomainError("Payment method not found")
        return user["payment_methods"][payment_method_id]

    def _payment_method_for_write(self, user_id: str, payment_method_id: str) -> dict:
        self._payment_method(user_id, payment_method_id)
        return self.record_for_write("users", user_id)["payment_methods"][payment_method_id]

    @staticmethod
    def _count_check(order: dict, item_ids: list[str], message: str) -> None:
        """Every id asked for must be in the order at least as often as it is asked for."""
        present = [item["item_id"] for item in order["items"]]
        for item_id in item_ids:
            if item_ids.count(item_id) > present.count(item_id):
                raise DomainError(message.format(item_id=item_id))

    def _price_difference(
        self, order: dict, item_ids: list[str], new_item_ids: list[str], *, same_allowed: bool
    ) -> tuple[float, dict]:
        """Sum of new minus old prices, checking each new item exists and is available; also the last variant."""
        diff_price, variant = 0.0, {}
        for item_id, new_item_id in zip(item_ids, new_item_ids, strict=True):
            if not same_allowed and item_id == new_item_id:
                raise DomainError("The new item id should be different from the old item id")
            item = next((i for i in order["items"] if i["item_id"] == item_id), None)
            if item is None:
                raise DomainError(f"Item {item_id} not found")
            variant = self._variant(item["product_id"], new_item_id)
            if not variant["available"]:
                raise DomainError(f"New item {new_item_id} not found or available")
            diff_price += variant["price"] - item["price"]
        return diff_price, variant

    # -- tools ------------------------------------------------------------------------------------

    @tool("write")
    def cancel_pending_order(self, order_id: str, reason: str) -> dict:
        """Cancel a pending order. If the order is already processed or delivered, it cannot be cancelled. The agent needs to explain the cancellation detail and ask for explicit user confirmation (yes/no) to proceed. If the user confirms, the order status will be changed to 'cancelled' and the payment will be refunded. The refund will be added to the user's gift card balance immediately if the payment was made using a gift card, otherwise the refund would take 5-7 business days to process. The function returns the order details after the cancellation.

        Args:
            order_id: The order id, such as '#W0000000'. Be careful there is a '#' symbol at the beginning of the order id.
            reason: The reason for cancellation, which should be either 'no longer needed' or 'ordered by mistake'.
        """
        order = self._order(order_id)
        if order["status"] != "pending":
            raise DomainError("Non-pending order cannot be cancelled")
        if reason not in ("no longer needed", "ordered by mistake"):
            raise DomainError("Invalid reason")
        refunds = []
        for payment in order["payment_history"]:
            refunds.append(
                {
                    "transaction_type": "refund",
                    "amount": payment["amount"],
                    "payment_method_id": payment["payment_method_id"],
                }
            )
            method = self._payment_method(order["user_id"], payment["payment_method_id"])
            if method["source"] == "gift_card":  # gift cards are refunded at once
                method = self._payment_method_for_write(order["user_id"], payment["payment_method_id"])
                method["balance"] = round(method["balance"] + payment["amount"], 2)
        order = self.record_for_write("orders", order_id)
        order["status"] = "cancelled"
        order["cancel_reason"] = reason
        order["payment_history"].extend(refunds)
        return order

    @tool("write")
    def exchange_delivered_order_items(
        self, order_id: str, item_ids: list[str], new_item_ids: list[str], payment_method_id: str
    ) -> dict:
        """Exchange items in a delivered order to new items of the same product type. For a delivered order, return or exchange can be only done once by the agent. The agent needs to explain the exchange detail and ask for explicit user confirmation (yes/no) to proceed.

        Args:
            order_id: The order id, such as '#W0000000'. Be careful there is a '#' symbol at the beginning of the order id.
            item_ids: The item ids to be exchanged, each such as '1008292230'. There could be duplicate items in the list.
            new_item_ids: The item ids to be exchanged for, each such as '1008292230'. There could be duplicate items in the list. Each new item id should match the item id in the same position and be of the same product.
            payment_method_id: The payment method id to pay or receive refund for the item price difference, such as 'gift_card_0000000' or 'credit_card_0000000'. These can be looked up from the user or order details.
        """
        order = self._order(order_id)
        if order["status"] != "delivered":
            raise DomainError("Non-delivered order cannot be exchanged")
        self._count_check(order, item_ids, "Number of {item_id} not found.")
        if len(item_ids) != len(new_item_ids):
            raise DomainError("The number of items to be exchanged should match.")
        diff_price, _ = self._price_difference(order, item_ids, new_item_ids, same_allowed=True)
        diff_price = round(diff_price, 2)
        method = self._payment_method(order["user_id"], payment_method_id)
        if method["source"] == "gift_card" and method["balance"] < diff_price:
            raise DomainError("Insufficient gift card balance to pay for the price difference")
        order = self.record_for_write("orders", order_id)
        order["status"] = "exchange requested"
        order["exchange_items"] = sorted(item_ids)
        order["exchange_new_items"] = sorted(new_item_ids)
        order["exchange_payment_method_id"] = payment_method_id
        order["exchange_price_difference"] = diff_price
        return order

    @tool("read")
    def find_user_id_by_name_zip(self, first_name: str, last_name: str, zip: str) -> str:
        """Find user id by first name, last name, and zip code. If the user is not found, the function will return an error message. By default, find user id by email, and only call this function if the user is not found by email or cannot remember email.

        Args:
            first_name: The first name of the customer, such as 'John'.
            last_name: The last name of the customer, such as 'Doe'.
            zip: The zip code of the customer, such as '12345'.
        """
        for user_id, user in self.state["users"].items():
            name = user["name"]
            if (
                name["first_name"].lower() == first_name.lower()
                and name["last_name"].lower() == last_name.lower()
                and user["address"]["zip"] == zip
            ):
                return user_id
        raise DomainError("User not found")

    @tool("read")
    def find_user_id_by_email(self, email: str) -> str:
        """Find user id by email. If the user is not found, the function will return an error message.

        Args:
            email: The email of the user, such as 'something@example.com'.
        """
        for user_id, user in self.state["users"].items():
            if user["email"].lower() == email.lower():
                return user_id
        raise DomainError("User not found")

    @tool("read")
    def get_order_details(self, order_id: str) -> dict:
        """Get the status and details of an order.

        Args:
            order_id: The order id, such as '#W0000000'. Be careful there is a '#' symbol at the beginning of the order id.
        """
        return self._order(order_id)

    @tool("read")
    def get_product_details(self, product_id: str) -> dict:
        """Get the inventory details of a product.

        Args:
            product_id: The product id, such as '6086499569'. Be careful the product id is different from the item id.
        """
        return self._product(product_id)

    @tool("read")
    def get_item_details(self, item_id: str) -> dict:
        """Get the inventory details of an item.

        Args:
            item_id: The item id, such as '6086499569'. Be careful the item id is different from the product id.
        """
        for product in self.state["products"].values():
            if item_id in product["variants"]:
                return product["variants"][item_id]
        raise DomainError("Item not found")

    @tool("read")
    def get_user_details(self, user_id: str) -> dict:
        """Get the details of a user, including their orders.

        Args:
            user_id: The user id, such as 'sara_doe_496'.
        """
        return self._user(user_id)

    @tool("read")
    def list_all_product_types(self) -> str:
        """List the name and product id of all product types. Each product type has a variety of different items with unique item ids and options. There are only 50 product types in the store."""
        return json.dumps({p["name"]: p["product_id"] for p in self.state["products"].values()}, sort_keys=True)

    @tool("write")
    def modify_pending_order_address(
        self, order_id: str, address1: str, address2: str, city: str, state: str, country: str, zip: str
    ) -> dict:
        """Modify the shipping address of a pending order. The agent needs to explain the modification detail and ask for explicit user confirmation (yes/no) to proceed.

        Args:
            order_id: The order id, such as '#W0000000'. Be careful there is a '#' symbol at the beginning of the order id.
            address1: The first line of the address, such as '123 Main St'.
            address2: The second line of the address, such as 'Apt 1' or ''.
            city: The city, such as 'San Francisco'.
            state: The state, such as 'CA'.
            country: The country, such as 'USA'.
            zip: The zip code, such as '12345'.
        """
        order = self._order(order_id)
        if "pending" not in order["status"]:
            raise DomainError("Non-pending order cannot be modified")
        order = self.record_for_write("orders", order_id)
        order["address"] = _address(address1, address2, city, state, country, zip)
        return order

    @tool("write")
    def modify_pending_order_items(
        self, order_id: str, item_ids: list[str], new_item_ids: list[str], payment_method_id: str
    ) -> dict:
        """Modify items in a pending order to new items of the same product type. For a pending order, this function can only be called once. The agent needs to explain the exchange detail and ask for explicit user confirmation (yes/no) to proceed.

        Args:
            order_id: The order id, such as '#W0000000'. Be careful there is a '#' symbol at the beginning of the order id.
            item_ids: The item ids to be modified, each such as '1008292230'. There could be duplicate items in the list.
            new_item_ids: The item ids to be modified for, each such as '1008292230'. There could be duplicate items in the list. Each new item id should match the item id in the same position and be of the same product.
            payment_method_id: The payment method id to pay or receive refund for the item price difference, such as 'gift_card_0000000' or 'credit_card_0000000'. These can be looked up from the user or order details.
        """
        order = self._order(order_id)
        if order["status"] != "pending":
            raise DomainError("Non-pending order cannot be modified")
        self._count_check(order, item_ids, "{item_id} not found")
        if len(item_ids) != len(new_item_ids):
            raise DomainError("The number of items to be exchanged should match")
        diff_price, variant = self._price_difference(order, item_ids, new_item_ids, same_allowed=False)
        method = self._payment_method(order["user_id"], payment_method_id)
        if method["source"] == "gift_card" and method["balance"] < diff_price:
            raise DomainError("Insufficient gift card balance to pay for the new item")
        order = self.record_for_write("orders", order_id)
        order["payment_history"].append(
            {
                "transaction_type": "payment" if diff_price > 0 else "refund",
                "amount": abs(diff_price),
                "payment_method_id": payment_method_id,
            }
        )
        if method["source"] == "gift_card":
            method = self._payment_method_for_write(order["user_id"], payment_method_id)
            method["balance"] = round(method["balance"] - diff_price, 2)
        for item_id, new_item_id in zip(item_ids, new_item_ids, strict=True):
            item = next(i for i in order["items"] if i["item_id"] == item_id)
            item["item_id"] = new_item_id
            # tau2 prices and describes every modified item with the *last* new variant; kept for identical states
            item["price"] = variant["price"]
            item["options"] = dict(variant["options"])
        order["status"] = "pending (item modified)"
        return order

    @tool("write")
    def modify_pending_order_payment(self, order_id: str, payment_method_id: str) -> dict:
        """Modify the payment method of a pending order. The agent needs to explain the modification detail and ask for explicit user confirmation (yes/no) to proceed.

        Args:
            order_id: The order id, such as '#W0000000'. Be careful there is a '#' symbol at the beginning of the order id.
            payment_method_id: The payment method id to pay or receive refund for the item price difference, such as 'gift_card_0000000' or 'credit_card_0000000'. These can be looked up from the user or order details.
        """
        order = self._order(order_id)
        if "pending" not in order["status"]:
            raise DomainError("Non-pending order cannot be modified")
        method = self._payment_method(order["user_id"], payment_method_id)
        history = order["payment_history"]
        if len(history) != 1 or history[0]["transaction_type"] != "payment":
            raise DomainError("There should be exactly one payment for a pending order")
        old_method_id = history[0]["payment_method_id"]
        if old_method_id == payment_method_id:
            raise DomainError("The new payment method should be different from the current one")
        amount = history[0]["amount"]
        if method["source"] == "gift_card" and method["balance"] < amount:
            raise DomainError("Insufficient gift card balance to pay for the order")
        order = self.record_for_write("orders", order_id)
        order["payment_history"].extend(
            [
                {"transaction_type": "payment", "amount": amount, "payment_method_id": payment_method_id},
                {"transaction_type": "refund", "amount": amount, "payment_method_id": old_method_id},
            ]
        )
        if method["source"] == "gift_card":
            method = self._payment_method_for_write(order["user_id"], payment_method_id)
            method["balance"] = round(method["balance"] - amount, 2)
        old_method = self._payment_method(order["user_id"], old_method_id)
        if old_method["source"] == "gift_card":
            old_method = self._payment_method_for_write(order["user_id"], old_method_id)
            old_method["balance"] = round(old_method["balance"] + amount, 2)
        return order

    @tool("write")
    def modify_user_address(
        self, user_id: str, address1: str, address2: str, city: str, state: str, country: str, zip: str
    ) -> dict:
        """Modify the default address of a user. The agent needs to explain the modification detail and ask for explicit user confirmation (yes/no) to proceed.

        Args:
            user_id: The user id, such as 'sara_doe_496'.
            address1: The first line of the address, such as '123 Main St'.
            address2: The second line of the address, such as 'Apt 1' or ''.
            city: The city, such as 'San Francisco'.
            state: The state, such as 'CA'.
            country: The country, such as 'USA'.
            zip: The zip code, such as '12345'.
        """
        self._user(user_id)
        user = self.record_for_write("users", user_id)
        user["address"] = _address(address1, address2, city, state, country, zip)
        return user

    @tool("write")
    def return_delivered_order_items(self, order_id: str, item_ids: list[str], payment_method_id: str) -> dict:
        """Return some items of a delivered order. The order status will be changed to 'return requested'. The agent needs to explain the return detail and ask for explicit user confirmation (yes/no) to proceed. The user will receive follow-up email for how and where to return the item.

        Args:
            order_id: The order id, such as '#W0000000'. Be careful there is a '#' symbol at the beginning of the order id.
            item_ids: The item ids to be returned, each such as '1008292230'. There could be duplicate items in the list.
            payment_method_id: The payment method id to pay or receive refund for the item price difference, such as 'gift_card_0000000' or 'credit_card_0000000'. These can be looked up from the user or order details.
        """
        order = self._order(order_id)
        if order["status"] != "delivered":
            raise DomainError("Non-delivered order cannot be returned")
        method = self._payment_method(self._user(order["user_id"])["user_id"], payment_method_id)
        if method["source"] != "gift_card" and payment_method_id != order["payment_history"][0]["payment_method_id"]:
            raise DomainError("Payment method should be the original payment method")
        self._count_check(order, item_ids, "Some item not found")
        order = self.record_for_write("orders", order_id)
        order["status"] = "return requested"
        order["return_items"] = sorted(item_ids)
        order["return_payment_method_id"] = payment_method_id
        return order
