"""BFCL's MessageAPI as fcstudio re-implements it: state loading, results as BFCL renders them, error paths,
BFCL's quirks (the whole inbox counts as "sent", add_contact's counter) and the seeded message ids."""

from __future__ import annotations

import inspect

import pytest

from fcstudio.envs.bfcl.classes import func_docs, public_methods
from fcstudio.envs.bfcl.message_api import MessageAPI
from fcstudio.envs.bfcl.session import Session, render

DEFAULT_INBOX = [
    {"USR002": "My name is Alice. I want to connect."},
    {"USR003": "Could you upload the file?"},
    {"USR004": "Could you upload the file?"},
]


def loaded(scenario: dict | None = None, **kwargs: object) -> MessageAPI:
    api = MessageAPI()
    api._load_scenario({**(scenario or {}), **kwargs})
    return api


def test_methods_and_signatures_match_the_function_docs() -> None:
    docs = {d["name"]: d for d in func_docs("MessageAPI")}
    assert public_methods(MessageAPI) == sorted(docs)
    for name, doc in docs.items():
        params = list(inspect.signature(getattr(MessageAPI, name)).parameters)[1:]
        assert params == list(doc["parameters"]["properties"]), name


def test_defaults_when_the_scenario_is_empty() -> None:
    api = loaded()
    assert vars(api) | {"_random": None} == {
        "_api_description": api._api_description,
        "_random": None,
        "generated_ids": set(),
        "user_count": 4,
        "user_map": {"Alice": "USR001", "Bob": "USR002", "Catherine": "USR003", "Daniel": "USR004"},
        "inbox": DEFAULT_INBOX,
        "message_count": 3,
        "current_user": None,
    }
    other = loaded()
    other.inbox.append({"USR001": "x"})
    assert api.inbox == DEFAULT_INBOX  # each load gets its own copy of the defaults


def test_scenario_values_are_used_as_given_not_copied() -> None:
    inbox = [{"USR001": "hi"}]
    api = loaded(inbox=inbox, current_user="USR002", long_context=None)
    assert api.inbox is inbox and api.current_user == "USR002"
    api.send_message("USR001", "again")
    assert inbox == [{"USR001": "hi"}, {"USR001": "again"}]
    api._load_scenario({}, long_context=True)  # no long-context variant: same defaults
    assert api.inbox == DEFAULT_INBOX


def test_seeded_message_ids_follow_bfcls_draws() -> None:
    api = loaded(current_user="USR001")
    ids = [api.send_message("USR002", f"m{i}")["message_id"] for i in range(3)]
    assert ids == [{"new_id": 67410}, {"new_id": 41772}, {"new_id": 24547}]
    assert api.generated_ids == {67410, 41772, 24547} and api.message_count == 6
    # an id already generated is skipped: the next draw of the same generator is used
    assert loaded(current_user="USR001", generated_ids={67410}).send_message("USR002", "x")["message_id"] == {
        "new_id": 41772
    }
    assert loaded(current_user="USR001", random_seed=7).send_message("USR002", "x")["message_id"] == {"new_id": 52445}


def test_login_and_results_rendered_as_bfcl_does() -> None:
    api = loaded()
    assert render(api.message_get_login_status()) == '{"login_status": false}'
    assert render(api.message_login("USR009")) == '{"login_status": false, "message": "User ID \'USR009\' not found."}'
    assert render(api.message_login("USR003")) == (
        '{"login_status": true, "message": "User \'USR003\' logged in successfully."}'
    )
    assert api.current_user == "USR003"
    assert render(api.send_message("USR001", "Hello")) == (
        '{"sent_status": true, "message_id": {"new_id": 67410}, "message": "Message sent to \'USR001\' successfully."}'
    )
    assert render(api.list_users()) == '{"user_list": ["Alice", "Bob", "Catherine", "Daniel"]}'
    assert render(api.get_user_id("Bob")) == '{"user_id": "USR002"}'
    assert render(api.get_user_id("Zed")) == '{"error": "User \'Zed\' not found in the workspace."}'


def test_views_read_the_whole_inbox() -> None:
    api = loaded(current_user="USR001")
    api.send_message("USR003", "the FILE is here")
    assert api.view_messages_sent() == {
        "messages": {
            "USR002": ["My name is Alice. I want to connect."],
            "USR003": ["Could you upload the file?", "the FILE is here"],
            "USR004": ["Could you upload the file?"],
        }
    }
    assert api.get_message_stats() == {"stats": {"received_count": 4, "total_contacts": 3}}
    assert api.search_messages("file") == {
        "results": [
            {"receiver_id": "USR003", "message": "Could you upload the file?"},
            {"receiver_id": "USR004", "message": "Could you upload the file?"},
            {"receiver_id": "USR003", "message": "the FILE is here"},
        ]
    }


def test_delete_removes_the_newest_message_to_that_receiver() -> None:
    api = loaded(current_user="USR001", inbox=[{"USR003": "old"}, {"USR002": "mid"}, {"USR003": "new"}])
    assert render(api.delete_message("USR003")) == (
        '{"deleted_status": true, "receiver_id": "USR003", "message": "Receiver USR003\'s latest message deleted'
        ' successfully."}'
    )
    assert api.inbox == [{"USR003": "old"}, {"USR002": "mid"}]
    assert api.delete_message("USR001") == {"error": "Receiver ID USR001 not found."}
    assert api.message_count == 3  # deleting does not lower the count
    # BFCL finds the newest match but removes it with list.remove: the first *equal* entry goes
    first, last = {"USR003": "a"}, {"USR003": "a"}
    twins = loaded(current_user="USR001", inbox=[first, {"USR002": "b"}, last])
    twins.delete_message("USR003")
    assert twins.inbox == [{"USR002": "b"}, {"USR003": "a"}] and twins.inbox[1] is last


def test_every_user_method_needs_a_login() -> None:
    api = loaded()
    for call in (
        lambda: api.send_message("USR002", "x"),
        lambda: api.delete_message("USR002"),
        api.view_messages_sent,
        lambda: api.search_messages("x"),
        api.get_message_stats,
    ):
        assert call() == {"error": "No user is currently logged in."}
    assert api.inbox == DEFAULT_INBOX and api.generated_ids == set()
    assert loaded(current_user="USR001").send_message("USR999", "x") == {"error": "Receiver ID 'USR999' not found."}


def test_add_contact_counts_up_even_when_the_id_is_taken() -> None:
    api = loaded()
    assert api.add_contact("Eve") == {
        "added_status": True,
        "user_id": "USR005",
        "message": "Contact 'Eve' added successfully.",
    }
    assert api.add_contact("Eve") == {"error": "User name 'Eve' already exists."}
    assert api.user_count == 5
    clash = loaded(user_count=1)
    assert clash.add_contact("Zed") == {"error": "User ID 'USR002' already exists."}
    assert clash.user_count == 2 and "Zed" not in clash.user_map


def test_bfcls_accidental_exceptions() -> None:
    api = loaded(current_user="USR001", inbox=[{}, {"USR002": "x"}])
    with pytest.raises(IndexError, match="list index out of range"):
        api.view_messages_sent()
    assert api.delete_message("USR002")["deleted_status"] is True  # found before reaching the empty entry
    with pytest.raises(AttributeError, match="'int' object has no attribute 'lower'"):
        api.search_messages(5)  # type: ignore[arg-type]
    listed = loaded(current_user="USR001", generated_ids=[])
    with pytest.raises(AttributeError, match="'list' object has no attribute 'add'"):
        listed.send_message("USR002", "x")
    with pytest.raises(TypeError, match="unhashable type: 'list'"):
        api.get_user_id(["Bob"])  # type: ignore[arg-type]


def test_equality_compares_public_attributes() -> None:
    a, b = loaded(), loaded()
    assert a == b and a != 1
    a._random.random()  # private state is not compared
    assert a == b
    a.message_login("USR001")
    assert a != b
    with pytest.raises(TypeError):
        hash(a)


def test_session_reports_bad_calls_as_bfcl_does() -> None:
    session = Session({"MessageAPI": {"current_user": "USR001"}}, ["MessageAPI"], long_context=False)
    assert session.run("send_message(receiver_id='USR002', text='x')") == (
        "Error during execution: MessageAPI.send_message() got an unexpected keyword argument 'text'"
    )
    assert session.run("list_users(1)") == (
        "Error during execution: MessageAPI.list_users() takes 1 positional argument but 2 were given"
    )
    assert session.run("get_message_stats()") == '{"stats": {"received_count": 3, "total_contacts": 3}}'
