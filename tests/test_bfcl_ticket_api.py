"""BFCL's TicketAPI as fcstudio re-implements it: state loading, results as BFCL renders them, error paths and
BFCL's quirks (tickets found by ``==`` on the id, list results rendered with ``str``, all-or-nothing edits)."""

from __future__ import annotations

import inspect

import pytest

from fcstudio.envs.bfcl.classes import func_docs, public_methods
from fcstudio.envs.bfcl.session import Session, render
from fcstudio.envs.bfcl.ticket_api import TicketAPI


def loaded(**scenario: object) -> TicketAPI:
    api = TicketAPI()
    api._load_scenario(scenario)
    return api


def queue() -> list[dict]:
    return [
        {"id": 1, "title": "Printer", "description": "jammed", "status": "Open", "priority": 2, "created_by": "bob"},
        {"id": 2, "title": "VPN", "description": "", "status": "Closed", "priority": 4, "created_by": "amy"},
        {"id": 3, "title": "Mail", "description": "", "status": "closed", "priority": 1, "created_by": "bob"},
    ]


def test_methods_and_signatures_match_the_function_docs() -> None:
    docs = {d["name"]: d for d in func_docs("TicketAPI")}
    assert public_methods(TicketAPI) == sorted(docs)
    for name, doc in docs.items():
        params = list(inspect.signature(getattr(TicketAPI, name)).parameters)[1:]
        assert params == list(doc["parameters"]["properties"]), name
    assert str(inspect.signature(TicketAPI.create_ticket)) == (
        "(self, title: 'str', description: 'str' = '', priority: 'int' = 1) -> 'dict[str, Any]'"
    )


def test_defaults_and_scenario_values() -> None:
    api = loaded()
    assert {k: v for k, v in vars(api).items() if not k.startswith("_")} == {
        "ticket_queue": [],
        "ticket_counter": 1,
        "current_user": None,
    }
    loaded().ticket_queue.append({"id": 9})
    assert loaded().ticket_queue == []  # each load gets its own copy of the defaults
    given = queue()
    api = loaded(ticket_queue=given, ticket_counter=4, current_user="bob")
    assert api.ticket_queue is given and api.ticket_counter == 4  # the scenario's objects, not copies
    api._load_scenario({}, long_context=True)  # no long-context variant
    assert api.ticket_queue == [] and api.current_user is None


def test_login_create_and_list() -> None:
    api = loaded()
    assert api.create_ticket("x") == {"error": "User not authenticated. Please log in to create a ticket."}
    assert render(api.get_user_tickets()) == "[{'error': 'User not authenticated. Please log in to view tickets.'}]"
    assert api.ticket_login("", "pw") == {"success": False} and api.ticket_login("bob", "") == {"success": False}
    assert api.ticket_login("bob", "pw") == {"success": True}
    assert api.ticket_get_login_status() == {"login_status": True}
    assert render(api.create_ticket("Printer", priority=3)) == (
        '{"id": 1, "title": "Printer", "description": "", "status": "Open", "priority": 3, "created_by": "bob"}'
    )
    assert api.create_ticket("x", "d", 6) == {"error": "Invalid priority. Priority must be between 1 and 5."}
    assert api.create_ticket("x", "d", 0) == {"error": "Invalid priority. Priority must be between 1 and 5."}
    assert api.ticket_counter == 2 and len(api.ticket_queue) == 1
    assert api.create_ticket("Other")["id"] == 2
    assert render(api.get_user_tickets("OPEN")).startswith("[{'id': 1, 'title': 'Printer'")
    assert api.logout() == {"success": True} and api.logout() == {"success": False}
    assert api.ticket_get_login_status() == {"login_status": False}


def test_user_tickets_filter_by_owner_and_status_case_insensitively() -> None:
    api = loaded(ticket_queue=queue(), current_user="bob")
    assert [t["id"] for t in api.get_user_tickets()] == [1, 3]
    assert [t["id"] for t in api.get_user_tickets("CLOSED")] == [3]
    assert [t["id"] for t in api.get_user_tickets("")] == [1, 3]  # a falsy status does not filter
    with pytest.raises(AttributeError, match="'int' object has no attribute 'lower'"):
        api.get_user_tickets(5)  # type: ignore[arg-type]


def test_get_close_resolve() -> None:
    api = loaded(ticket_queue=queue())  # none of these need a login
    assert api.get_ticket(1.0)["title"] == "Printer"  # type: ignore[arg-type]  # found by ==
    assert api.get_ticket("1") == {"error": "Ticket with ID 1 not found."}  # type: ignore[arg-type]
    assert api.close_ticket(2) == {"error": "Ticket with ID 2 is already closed."}
    assert api.close_ticket(3) == {"status": "Ticket 3 has been closed successfully."}  # "closed" != "Closed"
    assert api.resolve_ticket(1, "cleared") == {"status": "Ticket 1 has been resolved successfully."}
    assert api.ticket_queue[0]["status"] == "Resolved" and api.ticket_queue[0]["resolution"] == "cleared"
    assert api.resolve_ticket(1, "again") == {"error": "Ticket with ID 1 is already resolved."}
    assert api.close_ticket(7) == {"error": "Ticket with ID 7 not found."}
    with pytest.raises(KeyError, match="'id'"):
        loaded(ticket_queue=[{"title": "no id"}]).get_ticket(1)


def test_edit_is_all_or_nothing_and_skips_none() -> None:
    api = loaded(ticket_queue=queue())
    assert api.edit_ticket(1, {"title": "New", "priority": None}) == {
        "status": "Ticket 1 has been updated successfully."
    }
    assert api.ticket_queue[0]["title"] == "New" and api.ticket_queue[0]["priority"] == 2
    assert api.edit_ticket(1, {"title": "Lost", "owner": "x"}) == {"error": "Invalid fields for update: owner"}
    assert api.ticket_queue[0]["title"] == "New"
    assert api.edit_ticket(9, {"owner": "x"}) == {"error": "Ticket with ID 9 not found."}
    with pytest.raises(AttributeError, match="'list' object has no attribute 'keys'"):
        api.edit_ticket(1, [])  # type: ignore[arg-type]


def test_session_renders_bad_calls_as_python_does() -> None:
    session = Session({"TicketAPI": {"current_user": "bob"}}, ["TicketAPI"], long_context=False)
    assert session.run("create_ticket(title='a', x=1)") == (
        "Error during execution: TicketAPI.create_ticket() got an unexpected keyword argument 'x'"
    )
    assert session.run("create_ticket(title='a', priority='3')") == (
        "Error during execution: '<' not supported between instances of 'str' and 'int'"
    )
    assert session.run("get_ticket(ticket_id=1)") == '{"error": "Ticket with ID 1 not found."}'
