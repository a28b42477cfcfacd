"""The agent's side of telecom: tools on the operator's database (customers, lines, bills, plans, devices).

Lookups walk the tables in file order and word their errors as tau2's do, because the agent sees both.
A tool that answers with a plain object has its numbers written as strings, as tau2's JSON rendering does
for dicts (records keep their numbers: tau2 dumps them as models).
Functions marked ``@env_function("assistant")`` are not tools: tasks call them to set a scenario up
(``initialization_actions``) or to check its end (``env_assertions``).
"""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import WithJsonSchema

from fcstudio.envs.base import DomainError, tool
from fcstudio.envs.telecom.functions import env_function

# a number kept as given (tau2 does not convert: 1 GB is "1 GB" in the bill), offered as a JSON number
Amount = Annotated[int | float, WithJsonSchema({"type": "number"})]
TODAY = datetime.date(2025, 2, 25)  # tau2's get_today()
DRAFT_BILL_NAMESPACE = "fcstudio:telecom:draft-bill:"


def draft_bill_id(n: int) -> str:
    """The id of the n-th draft bill an episode creates (n from 1).

    tau2 draws ``B`` + 8 hex digits of a random uuid4, so no two runs agree; fcstudio pins the draw to
    uuid5(URL namespace, "fcstudio:telecom:draft-bill:<n>"). The reference fixture was recorded with tau2's
    uuid4 replaced by exactly this, so hashes of states with a new bill compare (tools/make_tau2_telecom_reference.py)."""
    return f"B{uuid.uuid5(uuid.NAMESPACE_URL, f'{DRAFT_BILL_NAMESPACE}{n}').hex[:8]}"


class OperatorTools:
    """Mixed into TelecomEnv; ``self.state`` holds the operator's tables keyed by id."""

    state: dict[str, dict[str, Any]]
    _draft_bills: int

    if TYPE_CHECKING:  # provided by Environment

        def record_for_write(self, table: str, key: str) -> Any: ...
        def insert(self, table: str, key: str, record: Any) -> None: ...

    # -- lookups ---------------------------------------------------------------------------------
    def _line_by_id(self, line_id: str) -> dict[str, Any]:
        line = self.state["lines"].get(line_id)
        if line is None:
            raise DomainError(f"Line with ID {line_id} not found")
        return line

    def _line_by_phone(self, phone_number: str) -> dict[str, Any]:
        for line in self.state["lines"].values():
            if line["phone_number"] == phone_number:
                return line
        raise DomainError(f"Line with phone number {phone_number} not found")

    def _plan(self, plan_id: str) -> dict[str, Any]:
        plan = self.state["plans"].get(plan_id)
        if plan is None:
            raise DomainError(f"Plan with ID {plan_id} not found")
        return plan

    def _device(self, device_id: str) -> dict[str, Any]:
        device = self.state["devices"].get(device_id)
        if device is None:
            raise DomainError(f"Device with ID {device_id} not found")
        return device

    def _bill(self, bill_id: str) -> dict[str, Any]:
        bill = self.state["bills"].get(bill_id)
        if bill is None:
            raise DomainError(f"Bill with ID {bill_id} not found")
        return bill

    def _customer(self, customer_id: str) -> dict[str, Any]:
        customer = self.state["customers"].get(customer_id)
        if customer is None:
            raise DomainError(f"Customer with ID {customer_id} not found")
        return customer

    def _customer_by_phone(self, phone_number: str) -> dict[str, Any]:
        for customer in self.state["customers"].values():
            if customer["phone_number"] == phone_number:
                return customer
            for line_id in customer["line_ids"]:
                if self._line_by_id(line_id)["phone_number"] == phone_number:
                    return customer
        raise DomainError(f"Customer with phone number {phone_number} not found")

    def _target_line(self, customer_id: str, line_id: str) -> dict[str, Any]:
        customer = self._customer(customer_id)
        if line_id not in customer["line_ids"]:
            raise DomainError(f"Line {line_id} not found for customer {customer_id}")
        return self._line_by_id(line_id)

    def _write_line(self, customer_id: str, line_id: str) -> dict[str, Any]:
        self._target_line(customer_id, line_id)
        return self.record_for_write("lines", line_id)

    def _awaiting_payment(self, customer: dict[str, Any]) -> list[dict[str, Any]]:
        bills = [self._bill(b) for b in customer["bill_ids"]]
        return [b for b in bills if b["status"] == "Awaiting Payment"]

    def _set_bill_paid(self, bill_id: str) -> None:
        self._bill(bill_id)
        self.record_for_write("bills", bill_id)["status"] = "Paid"

    # -- tools -----------------------------------------------------------------------------------
    @tool("read")
    def get_customer_by_phone(self, phone_number: str) -> dict[str, Any]:
        """Finds a customer by their primary contact or line phone number.

        Args:
            phone_number: The phone number to search for.
        """
        return self._customer_by_phone(phone_number)

    @tool("read")
    def get_customer_by_id(self, customer_id: str) -> dict[str, Any]:
        """Retrieves a customer directly by their unique ID.

        Args:
            customer_id: The unique identifier of the customer.
        """
        return self._customer(customer_id)

    @tool("read")
    def get_customer_by_name(self, full_name: str, dob: str) -> list[dict[str, Any]]:
        """Searches for customers by name and DOB. May return multiple matches if names are similar, DOB helps disambiguate.

        Args:
            full_name: The full name of the customer.
            dob: Date of birth for verification, in the format YYYY-MM-DD.
        """
        wanted = full_name.lower()
        return [
            c
            for c in self.state["customers"].values()
            if c["full_name"].lower() == wanted and c["date_of_birth"] == dob
        ]

    @tool("read")
    def get_details_by_id(self, id: str) -> dict[str, Any]:
        """Retrieves the details for a given ID. The ID must be a valid ID for a Customer, Line, Device, Bill, or Plan.

        Args:
            id: The ID of the object to retrieve.
        """
        for prefix, find in (
            ("L", self._line_by_id),
            ("D", self._device),
            ("B", self._bill),
            ("C", self._customer),
            ("P", self._plan),
        ):
            if id.startswith(prefix):
                return find(id)
        raise DomainError(f"Unknown ID format or type: {id}")

    @tool("write")
    def suspend_line(self, customer_id: str, line_id: str, reason: str) -> dict[str, Any]:
        """Suspends a specific line (max 6 months). Checks: Line status must be Active. Logic: Sets line status to Suspended, records suspension_start_date.

        Args:
            customer_id: ID of the customer who owns the line.
            line_id: ID of the line to suspend.
            reason: Reason for suspension.
        """
        if self._target_line(customer_id, line_id)["status"] != "Active":
            raise DomainError("Line must be active to suspend")
        line = self.record_for_write("lines", line_id)
        line["status"] = "Suspended"
        line["suspension_start_date"] = str(TODAY)
        return {"message": "Line suspended successfully. $5/month holding fee will apply.", "line": line}

    @tool("write")
    def resume_line(self, customer_id: str, line_id: str) -> dict[str, Any]:
        """Resumes a suspended line. Checks: Line status must be Suspended or Pending Activation. Logic: Sets line status to Active, clears suspension_start_date.

        Args:
            customer_id: ID of the customer who owns the line.
            line_id: ID of the line to resume.
        """
        if self._target_line(customer_id, line_id)["status"] not in ("Suspended", "Pending Activation"):
            raise DomainError("Line must be suspended to resume")
        line = self.record_for_write("lines", line_id)
        line["status"] = "Active"
        line["suspension_start_date"] = None
        return {"message": "Line resumed successfully", "line": line}

    @tool("read")
    def get_bills_for_customer(self, customer_id: str, limit: int = 12) -> list[dict[str, Any]]:
        """Retrieves a list of the customer's bills, most recent first.

        Args:
            customer_id: ID of the customer.
            limit: Maximum number of bills to return.
        """
        bills = [self._bill(b) for b in self._customer(customer_id)["bill_ids"]]
        return sorted(bills, key=lambda b: b["issue_date"], reverse=True)[:limit]

    @tool("write")
    def send_payment_request(self, customer_id: str, bill_id: str) -> str:
        """Sends a payment request to the customer for a specific bill. Checks: the customer exists; the bill exists and belongs to the customer; no other bill of the customer is already awaiting payment. Logic: sets the bill's status to Awaiting Payment and notifies the customer. Warning: this does not check whether the bill is already paid; always check the bill's status first.

        Args:
            customer_id: ID of the customer who owns the bill.
            bill_id: ID of the bill to send payment request for.
        """
        customer = self._customer(customer_id)
        if self._awaiting_payment(customer):
            raise DomainError("A bill is already awaiting payment for this customer")
        if bill_id not in customer["bill_ids"]:
            raise DomainError(f"Bill {bill_id} not found for customer {customer_id}")
        self._bill(bill_id)
        self.record_for_write("bills", bill_id)["status"] = "Awaiting Payment"
        return f"Payment request sent to the customer for bill {bill_id}"

    @tool("read")
    def get_data_usage(self, customer_id: str, line_id: str) -> dict[str, Any]:
        """Retrieves current billing cycle data usage for a line, including data refueling amount, data limit, and cycle end date.

        Args:
            customer_id: ID of the customer who owns the line.
            line_id: ID of the line to check usage for.
        """
        line = self._target_line(customer_id, line_id)
        plan = self._plan(line["plan_id"])
        first_of_next = datetime.date(TODAY.year + TODAY.month // 12, TODAY.month % 12 + 1, 1)
        return {
            "line_id": line_id,
            "data_used_gb": str(line["data_used_gb"]),
            "data_limit_gb": str(plan["data_limit_gb"]),
            "data_refueling_gb": str(line["data_refueling_gb"]),
            "cycle_end_date": str(first_of_next - datetime.timedelta(days=1)),
        }

    @tool("write")
    def enable_roaming(self, customer_id: str, line_id: str) -> str:
        """Enables international roaming on a line.

        Args:
            customer_id: ID of the customer who owns the line.
            line_id: ID of the line to enable roaming for.
        """
        if self._target_line(customer_id, line_id)["roaming_enabled"]:
            return "Roaming was already enabled"
        self.record_for_write("lines", line_id)["roaming_enabled"] = True
        return "Roaming enabled successfully"

    @tool("write")
    def disable_roaming(self, customer_id: str, line_id: str) -> str:
        """Disables international roaming on a line.

        Args:
            customer_id: ID of the customer who owns the line.
            line_id: ID of the line to disable roaming for.
        """
        if not self._target_line(customer_id, line_id)["roaming_enabled"]:
            return "Roaming was already disabled"
        self.record_for_write("lines", line_id)["roaming_enabled"] = False
        return "Roaming disabled successfully"

    @tool("generic")
    def transfer_to_human_agents(self, summary: str) -> str:
        """Transfer the user to a human agent, with a summary of the user's issue. Only transfer if the user explicitly asks for a human agent, or given the policy and the available tools, you cannot solve the user's issue.

        Args:
            summary: A summary of the user's issue.
        """
        return "Transfer successful"

    @tool("write")
    def refuel_data(self, customer_id: str, line_id: str, gb_amount: Amount) -> dict[str, Any]:
        """Refuels data for a specific line, adding to the customer's bill. Checks: the customer owns the line. Logic: adds data to the line and charges the customer at the plan's refueling rate.

        Args:
            customer_id: ID of the customer who owns the line.
            line_id: ID of the line to refuel data for.
            gb_amount: Amount of data to add in gigabytes.
        """
        line = self._target_line(customer_id, line_id)
        if gb_amount <= 0:
            raise DomainError("Refuel amount must be positive")
        plan = self._plan(line["plan_id"])
        price = plan["data_refueling_price_per_gb"]
        charge = gb_amount * price
        line = self.record_for_write("lines", line_id)
        line["data_refueling_gb"] += gb_amount
        self._one_time_charge(customer_id, charge, f"Data refueling: {gb_amount} GB at ${price}/GB")
        return {
            "message": f"Successfully added {gb_amount} GB of data for line {line_id} for ${charge:.2f}",
            "new_data_refueling_gb": str(line["data_refueling_gb"]),
            "charge": str(charge),
        }

    def _one_time_charge(self, customer_id: str, amount: float, description: str) -> None:
        """A line item on the customer's draft bill; a new draft bill for next month when there is none."""
        customer = self._customer(customer_id)
        draft_id = next((b for b in customer["bill_ids"] if self._bill(b)["status"] == "Draft"), None)
        if draft_id is None:
            self._draft_bills += 1
            draft_id = draft_bill_id(self._draft_bills)
            start = datetime.date(TODAY.year + TODAY.month // 12, TODAY.month % 12 + 1, 1)
            end = datetime.date(start.year + start.month // 12, start.month % 12 + 1, 1) - datetime.timedelta(days=1)
            self.insert(
                "bills",
                draft_id,
                {
                    "bill_id": draft_id,
                    "customer_id": customer_id,
                    "period_start": str(start),
                    "period_end": str(end),
                    "issue_date": str(start),
                    "total_due": 0.0,
                    "due_date": str(start + datetime.timedelta(days=14)),
                    "line_items": [],
                    "status": "Draft",
                },
            )
            self.record_for_write("customers", customer_id)["bill_ids"].append(draft_id)
        bill = self.record_for_write("bills", draft_id)
        bill["line_items"].append(
            {
                "description": description,
                "amount": float(amount),
                "date": str(TODAY),
                "item_type": "Credit" if amount < 0 else "Charge",
            }
        )
        bill["total_due"] += amount

    # -- scenario set-up (initialization_actions) --------------------------------------------------------
    @env_function("assistant")
    def set_data_usage(self, customer_id: str, line_id: str, data_used_gb: float) -> str:
        """Sets a line's data used this cycle (kept as given, as tau2 does: no conversion)."""
        self._write_line(customer_id, line_id)["data_used_gb"] = data_used_gb
        return f"Data usage set to {data_used_gb} GB for line {line_id}"

    @env_function("assistant")
    def suspend_line_for_overdue_bill(
        self, customer_id: str, line_id: str, new_bill_id: str, contract_ended: bool
    ) -> str:
        """Suspends a line with a new overdue bill of last month's plan price."""
        line = self._line_by_id(line_id)
        if line["status"] != "Active":
            raise DomainError("Line must be active to suspend for unpaid bill")
        amount = self._plan(line["plan_id"])["price_per_month"]
        if amount <= 0:
            raise DomainError("Amount must be positive for overdue bill")
        customer = self._customer(customer_id)
        if any(self._bill(b)["status"] == "Overdue" for b in customer["bill_ids"]):
            raise DomainError("Customer already has an overdue bill")
        last_of_last = TODAY.replace(day=1) - datetime.timedelta(days=1)
        first_of_last = last_of_last.replace(day=1)
        self.insert(
            "bills",
            new_bill_id,
            {
                "bill_id": new_bill_id,
                "customer_id": customer_id,
                "period_start": str(first_of_last),
                "period_end": str(last_of_last),
                "issue_date": str(first_of_last),
                "total_due": 0.0 + amount,
                "due_date": str(first_of_last + datetime.timedelta(days=14)),
                "line_items": [
                    {
                        "description": f"Charge for line {line_id}",
                        "amount": amount,
                        "date": str(TODAY),
                        "item_type": "Charge" if amount > 0 else "Credit",
                    }
                ],
                "status": "Overdue",
            },
        )
        self.record_for_write("customers", customer_id)["bill_ids"].append(new_bill_id)
        line = self.record_for_write("lines", line_id)
        line["status"] = "Suspended"
        line["suspension_start_date"] = str(TODAY)
        if contract_ended:
            line["contract_end_date"] = str(last_of_last)
        return f"Line {line_id} suspended for unpaid bill {new_bill_id}. Contract ended: {contract_ended}"

    # -- end-state checks (env_assertions) ---------------------------------------------------------------
    @env_function("assistant")
    def assert_data_refueling_amount(self, customer_id: str, line_id: str, expected_amount: float) -> bool:
        return abs(self._target_line(customer_id, line_id)["data_refueling_gb"] - expected_amount) < 1e-6

    @env_function("assistant")
    def assert_line_status(self, customer_id: str, line_id: str, expected_status: str) -> bool:
        return self._target_line(customer_id, line_id)["status"] == expected_status

    @env_function("assistant")
    def assert_overdue_bill_exists(self, customer_id: str, overdue_bill_id: str) -> bool:
        customer = self._customer(customer_id)
        if overdue_bill_id not in customer["bill_ids"]:
            raise DomainError(f"Overdue bill {overdue_bill_id} not found")
        if self._bill(overdue_bill_id)["status"] != "Overdue":
            raise DomainError(f"Overdue bill {overdue_bill_id} is not overdue")
        return True

    @env_function("assistant")
    def assert_no_overdue_bill(self, overdue_bill_id: str) -> bool:
        bill = self.state["bills"].get(overdue_bill_id)
        return bill is None or bill["status"] == "Paid"
