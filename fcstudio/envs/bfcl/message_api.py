"""BFCL's ``MessageAPI``: a small workspace messenger (users, one shared inbox, seeded message ids).

Behaviour follows bfcl-eval's ``message_api`` exactly, quirks included: the inbox is one list of
``{receiver_id: text}`` entries that every "sent" view and statistic reads whole (it does not filter by the
logged-in user), message ids come from ``random.Random(seed).randint(10000, 99999)`` drawn until unused, and
scenario values are taken as they are (not copied), so later calls mutate the very objects passed in.
"""

from __future__ import annotations

import copy
import random
from typing import Any

_DEFAULT_SEED = 200191
_DEFAULT_STATE: dict[str, Any] = {
    "generated_ids": set(),
    "user_count": 4,
    "user_map": {"Alice": "USR001", "Bob": "USR002", "Catherine": "USR003", "Daniel": "USR004"},
    "inbox": [
        {"USR002": "My name is Alice. I want to connect."},
        {"USR003": "Could you upload the file?"},
        {"USR004": "Could you upload the file?"},
    ],
    "message_count": 3,
    "current_user": None,
}
_NOT_LOGGED_IN = {"error": "No user is currently logged in."}


class MessageAPI:
    """Users by name and id, a login, and messages kept in one inbox list."""

    generated_ids: set[int]
    user_count: int
    user_map: dict[str, str]
    inbox: list[dict[str, str]]
    message_count: int
    current_user: str | None

    def __init__(self) -> None:
        self._api_description = (
            "This tool belongs to the Message API, which is used to manage user interactions in a workspace."
        )

    def _load_scenario(self, scenario: dict, long_context: bool = False) -> None:
        """Take each field from the scenario (the object itself), else a fresh copy of the default.

        There is no long-context variant of this class: ``long_context`` is accepted and ignored."""
        defaults = copy.deepcopy(_DEFAULT_STATE)
        self._random = random.Random(scenario.get("random_seed", _DEFAULT_SEED))
        self.generated_ids = scenario.get("generated_ids", defaults["generated_ids"])
        self.user_count = scenario.get("user_count", defaults["user_count"])
        self.user_map = scenario.get("user_map", defaults["user_map"])
        self.inbox = scenario.get("inbox", defaults["inbox"])
        self.message_count = scenario.get("message_count", defaults["message_count"])
        self.current_user = scenario.get("current_user", defaults["current_user"])

    def __eq__(self, other: object) -> bool:
        """Equal when every public attribute of ``self`` equals the other's (BFCL's state comparison)."""
        if not isinstance(other, MessageAPI):
            return False
        return not any(getattr(self, name) != getattr(other, name) for name in vars(self) if not name.startswith("_"))

    def _generate_id(self) -> dict[str, int]:
        """A five-digit id not drawn before; one draw per try, in the same order as BFCL."""
        while True:
            new_id = self._random.randint(10000, 99999)
            if new_id not in self.generated_ids:
                break
        self.generated_ids.add(new_id)
        return {"new_id": new_id}

    def list_users(self) -> dict[str, list[str]]:
        return {"user_list": list(self.user_map)}

    def get_user_id(self, user: str) -> dict[str, str | None]:
        if user not in self.user_map:
            return {"error": f"User '{user}' not found in the workspace."}
        return {"user_id": self.user_map.get(user)}

    def message_login(self, user_id: str) -> dict[str, str | bool]:
        if user_id not in list(self.user_map.values()):
            return {"login_status": False, "message": f"User ID '{user_id}' not found."}
        self.current_user = user_id
        return {"login_status": True, "message": f"User '{user_id}' logged in successfully."}

    def message_get_login_status(self) -> dict[str, bool]:
        return {"login_status": bool(self.current_user)}

    def send_message(self, receiver_id: str, message: str) -> dict[str, Any]:
        """Append ``{receiver_id: message}`` to the inbox; the id is the whole ``{"new_id": n}`` dict, as in BFCL."""
        if not self.current_user:
            return dict(_NOT_LOGGED_IN)
        if receiver_id not in self.user_map.values():
            return {"error": f"Receiver ID '{receiver_id}' not found."}
        message_id = self._generate_id()
        self.inbox.append({receiver_id: message})
        self.message_count += 1
        return {
            "sent_status": True,
            "message_id": message_id,
            "message": f"Message sent to '{receiver_id}' successfully.",
        }

    def delete_message(self, receiver_id: str) -> dict[str, bool | str]:
        """Remove the newest inbox entry addressed to ``receiver_id`` (``list.remove``: the first equal entry)."""
        if not self.current_user:
            return dict(_NOT_LOGGED_IN)
        for entry in reversed(self.inbox):
            receiver = _first_item(entry)[0]
            if receiver == receiver_id:
                self.inbox.remove(entry)
                return {
                    "deleted_status": True,
                    "receiver_id": receiver,
                    "message": f"Receiver {receiver_id}'s latest message deleted successfully.",
                }
        return {"error": f"Receiver ID {receiver_id} not found."}

    def view_messages_sent(self) -> dict[str, Any]:
        """Every inbox entry grouped by receiver, in inbox order (not only the current user's)."""
        if not self.current_user:
            return dict(_NOT_LOGGED_IN)
        grouped: dict[str, list[str]] = {}
        for entry in self.inbox:
            receiver, text = _first_item(entry)
            grouped.setdefault(receiver, []).append(text)
        return {"messages": grouped}

    def add_contact(self, user_name: str) -> dict[str, bool | str]:
        """Add ``user_name`` as ``USR<count+1>``; the count goes up even when that id is already taken."""
        if user_name in self.user_map:
            return {"error": f"User name '{user_name}' already exists."}
        self.user_count += 1
        user_id = f"USR{str(self.user_count).zfill(3)}"
        if user_id in self.user_map.values():
            return {"error": f"User ID '{user_id}' already exists."}
        self.user_map[user_name] = user_id
        return {"added_status": True, "user_id": user_id, "message": f"Contact '{user_name}' added successfully."}

    def search_messages(self, keyword: str) -> dict[str, Any]:
        """Inbox entries whose text contains ``keyword``, case-insensitively."""
        if not self.current_user:
            return dict(_NOT_LOGGED_IN)
        needle = keyword.lower()
        results = []
        for entry in self.inbox:
            receiver, text = _first_item(entry)
            if needle in text.lower():
                results.append({"receiver_id": receiver, "message": text})
        return {"results": results}

    def get_message_stats(self) -> dict[str, Any]:
        """Counts over the whole inbox: its entries and its distinct receivers."""
        if not self.current_user:
            return dict(_NOT_LOGGED_IN)
        receivers = set()
        count = 0
        for entry in self.inbox:
            receivers.add(_first_item(entry)[0])
            count += 1
        return {"stats": {"received_count": count, "total_contacts": len(receivers)}}


def _first_item(entry: dict[str, Any]) -> tuple[Any, Any]:
    """An inbox entry's only (receiver, text) pair; raises IndexError on an empty entry, as BFCL does."""
    pairs = list(entry.items())  # not next(iter(...)): an empty entry must raise IndexError, not StopIteration
    return pairs[0]
