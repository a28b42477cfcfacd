"""BFCL's ``TicketAPI``: a company's support-ticket queue with one logged-in user.

Behaviour, messages and quirks follow bfcl-eval's class exactly (its checker compares results and public
state): for example a ticket is found by ``==`` on its ``id``, ``edit_ticket`` lists invalid fields in a set's
order, and any username/password pair that is truthy logs in.
"""

from __future__ import annotations

import copy
from typing import Any

_DEFAULT_STATE: dict[str, Any] = {
    "ticket_queue": [],
    "ticket_counter": 1,
    "current_user": None,
}

# The fields edit_ticket may change; a set, as BFCL's error message lists the rest in set order.
_EDITABLE = frozenset({"title", "description", "status", "priority"})


class TicketAPI:
    """Support tickets: create, view, edit, resolve and close them once a user is logged in."""

    def __init__(self) -> None:
        self.ticket_queue: list[dict[str, Any]]
        self.ticket_counter: int
        self.current_user: str | None
        self._api_description = (
            "This tool belongs to the ticketing system that is part of a company, which allows users to create, "
            "view, and manage support business tickets."
        )

    def _load_scenario(self, scenario: dict, long_context: bool = False) -> None:
        """Take the scenario's values as they are (the caller already copied them); defaults are fresh copies."""
        defaults = copy.deepcopy(_DEFAULT_STATE)
        self.ticket_queue = scenario.get("ticket_queue", defaults["ticket_queue"])
        self.ticket_counter = scenario.get("ticket_counter", defaults["ticket_counter"])
        self.current_user = scenario.get("current_user", defaults["current_user"])

    def _find_ticket(self, ticket_id: Any) -> dict[str, Any] | None:
        """The first queued ticket whose id equals ``ticket_id`` (so ``1.0`` finds ticket 1)."""
        return next((ticket for ticket in self.ticket_queue if ticket["id"] == ticket_id), None)

    def create_ticket(self, title: str, description: str = "", priority: int = 1) -> dict[str, Any]:
        """Queue a new open ticket owned by the current user; the result is the stored ticket itself."""
        if not self.current_user:
            return {"error": "User not authenticated. Please log in to create a ticket."}
        if priority < 1 or priority > 5:
            return {"error": "Invalid priority. Priority must be between 1 and 5."}
        ticket: dict[str, Any] = {
            "id": self.ticket_counter,
            "title": title,
            "description": description,
            "status": "Open",
            "priority": priority,
            "created_by": self.current_user,
        }
        self.ticket_queue.append(ticket)
        self.ticket_counter += 1
        return ticket

    def get_ticket(self, ticket_id: int) -> dict[str, Any]:
        """One ticket by id; no login needed."""
        ticket = self._find_ticket(ticket_id)
        if not ticket:
            return {"error": f"Ticket with ID {ticket_id} not found."}
        return ticket

    def close_ticket(self, ticket_id: int) -> dict[str, str]:
        """Mark a ticket closed, refusing one that already is."""
        ticket = self._find_ticket(ticket_id)
        if not ticket:
            return {"error": f"Ticket with ID {ticket_id} not found."}
        if ticket["status"] == "Closed":
            return {"error": f"Ticket with ID {ticket_id} is already closed."}
        ticket["status"] = "Closed"
        return {"status": f"Ticket {ticket_id} has been closed successfully."}

    def resolve_ticket(self, ticket_id: int, resolution: str) -> dict[str, str]:
        """Mark a ticket resolved and record how, refusing one already resolved."""
        ticket = self._find_ticket(ticket_id)
        if not ticket:
            return {"error": f"Ticket with ID {ticket_id} not found."}
        if ticket["status"] == "Resolved":
            return {"error": f"Ticket with ID {ticket_id} is already resolved."}
        ticket["status"] = "Resolved"
        ticket["resolution"] = resolution
        return {"status": f"Ticket {ticket_id} has been resolved successfully."}

    def edit_ticket(self, ticket_id: int, updates: dict[str, str | int | None]) -> dict[str, str]:
        """Apply the non-None updates, all or nothing: one unknown field rejects the whole edit."""
        ticket = self._find_ticket(ticket_id)
        if not ticket:
            return {"error": f"Ticket with ID {ticket_id} not found."}
        unknown = set(updates.keys()) - _EDITABLE
        if unknown:
            return {"error": f"Invalid fields for update: {', '.join(unknown)}"}
        for field, value in updates.items():
            if value is not None:
                ticket[field] = value
        return {"status": f"Ticket {ticket_id} has been updated successfully."}

    def ticket_login(self, username: str, password: str) -> dict[str, bool]:
        """Log in as ``username``; any non-empty credentials are accepted."""
        if username and password:
            self.current_user = username
            return {"success": True}
        return {"success": False}

    def ticket_get_login_status(self) -> dict[str, bool]:
        """Whether someone is logged in."""
        return {"login_status": bool(self.current_user)}

    def logout(self) -> dict[str, bool]:
        """Log the current user out; fails when nobody is logged in."""
        if self.current_user:
            self.current_user = None
            return {"success": True}
        return {"success": False}

    def get_user_tickets(self, status: str | None = None) -> list[dict[str, Any]]:
        """The current user's tickets, optionally only those whose status matches case-insensitively."""
        if not self.current_user:
            return [{"error": "User not authenticated. Please log in to view tickets."}]
        mine = [ticket for ticket in self.ticket_queue if ticket["created_by"] == self.current_user]
        if status:
            mine = [ticket for ticket in mine if ticket["status"].lower() == status.lower()]
        return mine
