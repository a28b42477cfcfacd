"""Every stored tool schema's ``$ref``s resolve: environment tools keep their ``$defs``, importers refuse refs to
nowhere (naming PATH:LINE), and values / parameter tables see through refs to the referenced shapes."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ValidationError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from conftest import FIXTURES, workspace_counts
from fcstudio import store
from fcstudio.catalog.formats import FormatError
from fcstudio.catalog.ingest import import_files
from fcstudio.catalog.schemas import dangling_refs, inline_schema, property_schemas, subschemas
from fcstudio.demo import build_demo
from fcstudio.envs.base import Environment, tool
from fcstudio.envs.registry import DOMAINS, open_env
from fcstudio.llm import schema_problem
from fcstudio.models import ToolSpec
from fcstudio.store import Workspace
from fcstudio.synth.values import ValueBank, simulate_output

BASE = "urn:fcstudio:schema"


def all_refs(node: Any) -> list[str]:
    """Every ``$ref`` string anywhere in the document (a superset of the schema-position ones)."""
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in all_refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in all_refs(v)]
    return []


def unresolved_by_jsonschema(schema: dict[str, Any]) -> list[str]:
    """The refs that jsonschema's own resolver (``referencing``) cannot resolve to a schema."""
    resolver = Registry().with_resource(BASE, DRAFT202012.create_resource(schema)).resolver(base_uri=BASE)
    bad = []
    for ref in all_refs(schema):
        try:
            contents = resolver.lookup(ref).contents
        except Unresolvable:
            bad.append(ref)
            continue
        if not isinstance(contents, (dict, bool)):
            bad.append(ref)
    return bad


def check_all_resolve(schemas: list[tuple[str, dict[str, Any]]]) -> int:
    """Assert every ref of every schema resolves (both by jsonschema and by our check); the number of refs."""
    problems = []
    n = 0
    for name, schema in schemas:
        n += len(all_refs(schema))
        theirs = unresolved_by_jsonschema(schema)
        ours = [d.ref for d in dangling_refs(schema)]
        if theirs or ours:
            problems.append((name, theirs, ours))
    assert problems == []
    return n


# -- every schema we hold ------------------------------------------------------------------------------


def test_every_domain_tool_schema_resolves_all_its_refs() -> None:
    schemas = [
        (f"{domain}/{side}/{spec.name}", spec.parameters)
        for domain, info in DOMAINS.items()
        for side in ("assistant", "user")
        for spec in info.env.tool_specs(side)
    ]
    assert len(schemas) > 30
    # airline's book_reservation (3), update_reservation_flights and update_reservation_passengers (1 each)
    assert check_all_resolve(schemas) >= 5


def test_every_tool_stored_from_every_public_data_set_resolves_its_refs(ws: Workspace, shared_data: Path) -> None:
    bfcl = sorted((shared_data / "bfcl_v4").glob("BFCL_v4_*.json"))  # multi-turn ones read multi_turn_func_doc/
    tau = [shared_data / "tau2" / d / "tasks.json" for d in ("retail", "airline", "mock", "telecom")]
    tau.append(shared_data / "tau_bench_v1" / "historical_trajectories" / "gpt-4o-airline.json")
    with ws.connect() as con:
        results = import_files(con, "bfcl", bfcl)
        results += import_files(con, "tau2-tasks", tau)
        results += import_files(con, "toolalpaca", sorted((shared_data / "toolalpaca").glob("*.json")))
        results += import_files(con, "xlam", [FIXTURES / "xlam" / "xlam_sample.jsonl"])
        toolbench = FIXTURES / "toolbench"
        tb_files = [
            toolbench / "tools" / "Weather" / "open_weather_2_0.json",
            toolbench / "instruction" / "G1_query.json",
        ]
        results += import_files(con, "toolbench", tb_files)
        results += import_files(con, "apibench", [FIXTURES / "apibench" / "huggingface_train.json"])
        results += build_demo(con)
        assert all(not r.skipped for r in results if r.format != "published")
        stored = store.rows(con, "SELECT name, parameters, returns FROM tools")
    schemas = [(r["name"], json.loads(r["parameters"])) for r in stored]
    schemas += [(f"{r['name']} returns", json.loads(r["returns"])) for r in stored if r["returns"]]
    assert len(stored) > 3500
    assert check_all_resolve(schemas) >= 5  # the airline tools carry theirs, with $defs


# -- the airline booking tool --------------------------------------------------------------------------


def _book_reservation() -> ToolSpec:
    return next(s for s in DOMAINS["airline"].env.tool_specs() if s.name == "book_reservation")


def test_book_reservation_keeps_defs_and_validates_real_gold_calls(shared_data: Path) -> None:
    spec = _book_reservation()
    assert set(spec.parameters["$defs"]) == {"FlightInfo", "Passenger", "Payment"}
    assert spec.parameters["properties"]["passengers"]["items"] == {"$ref": "#/$defs/Passenger"}
    assert spec.parameters["$defs"]["Passenger"]["required"] == ["first_name", "last_name", "dob"]
    tasks = json.loads((shared_data / "tau2" / "airline" / "tasks.json").read_text())
    calls = [
        a["arguments"]
        for t in tasks
        for a in t["evaluation_criteria"].get("actions") or []
        if a["name"] == "book_reservation"
    ]
    assert len(calls) >= 5
    for arguments in calls:  # tau2's gold calls are valid against the schema tau2's agent is given
        assert schema_problem(spec.parameters, arguments, "book_reservation") is None
    broken = json.loads(json.dumps(calls[0]))
    del broken["passengers"][0]["dob"]
    broken["payment_methods"][0]["amount"] = "348"
    problem = schema_problem(spec.parameters, broken, "book_reservation")
    assert problem is not None and "passengers/0" in problem and "'dob' is a required property" in problem
    errors = list(Draft202012Validator(spec.parameters).iter_errors(broken))
    assert {tuple(e.absolute_path) for e in errors} == {("passengers", 0), ("payment_methods", 0, "amount")}


class Attachment(BaseModel):
    title: str
    size: int = 0


class NotesEnv(Environment):
    name = "notes"
    tables = ("notes",)

    @tool("write")
    def add_note(self, title: str, attachments: list[Attachment]) -> str:
        """Add a note.

        Args:
            title: The note's title.
            attachments: Files attached to it.
        """
        return title


def test_titles_are_stripped_at_every_level_but_a_property_named_title_stays() -> None:
    [spec] = NotesEnv.tool_specs()
    params = spec.parameters
    assert params["properties"]["title"] == {"description": "The note's title.", "type": "string"}
    assert set(params["$defs"]["Attachment"]["properties"]) == {"title", "size"}

    def keywords(schema: Any) -> list[str]:
        if not isinstance(schema, dict):
            return []
        return list(schema) + [k for _, sub in subschemas(schema) for k in keywords(sub)]

    assert "title" not in keywords(params)  # the keyword is gone everywhere; the properties named so are kept
    env = NotesEnv({"notes": {}})
    assert env.execute("add_note", {"title": "t", "attachments": [{"title": "a.pdf"}]}).output == "t"


# -- refusing refs to nowhere --------------------------------------------------------------------------


def test_dangling_refs_follow_json_pointer_rules() -> None:
    defs = {"a/b": {"type": "string"}, "t~x": {"type": "integer"}, "p%q": {}, "list": {"prefixItems": [{}]}}
    schema = {
        "type": "object",
        "properties": {
            "slash": {"$ref": "#/$defs/a~1b"},
            "tilde": {"$ref": "#/$defs/t~0x"},
            "percent": {"$ref": "#/$defs/p%25q"},
            "index": {"$ref": "#/$defs/list/prefixItems/0"},
            "root": {"$ref": "#"},
            "anchor": {"$ref": "#here"},
            "bad_escape": {"$ref": "#/$defs/a~1c"},
            "remote": {"$ref": "https://example.com/schemas/x.json"},
            "not_schema": {"$ref": "#/properties/slash/$ref"},
            "past_end": {"$ref": "#/$defs/list/prefixItems/1"},
        },
        "$defs": {**defs, "anchored": {"$anchor": "here"}},
        "enum": [{"$ref": "#/nowhere"}],  # data, not a reference
    }
    found = {d.ref: d for d in dangling_refs(schema)}
    assert set(found) == {
        "#/$defs/a~1c",
        "https://example.com/schemas/x.json",
        "#/properties/slash/$ref",
        "#/$defs/list/prefixItems/1",
    }
    assert found["#/$defs/a~1c"].at == "properties/bad_escape"
    assert "remote" in found["https://example.com/schemas/x.json"].reason
    # jsonschema's resolver agrees on what exists (it does not check that a target is a schema)
    assert set(unresolved_by_jsonschema(schema)) - {"#/nowhere"} == set(found)


def test_toolspec_refuses_a_dangling_ref_in_parameters_or_returns() -> None:
    good = {"type": "object", "properties": {"p": {"$ref": "#/$defs/P"}}, "$defs": {"P": {"type": "string"}}}
    assert ToolSpec(name="f", parameters=good, returns=good).parameters == good
    with pytest.raises(ValidationError, match=r"\$ref '#/\$defs/Q' at properties/p does not resolve"):
        ToolSpec(name="f", parameters={"type": "object", "properties": {"p": {"$ref": "#/$defs/Q"}}})
    with pytest.raises(ValidationError, match=r"\$ref '#/definitions/R' at items does not resolve"):
        ToolSpec(name="f", returns={"type": "array", "items": {"$ref": "#/definitions/R"}})


def test_openai_tools_import_with_a_dangling_ref_names_path_line_and_changes_nothing(
    tmp_path: Path, ws: Workspace
) -> None:
    ok = {"name": "ok", "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}}}
    bad = {
        "name": "book",
        "parameters": {
            "type": "object",
            "properties": {"passengers": {"type": "array", "items": {"$ref": "#/$defs/Passenger"}}},
        },
    }
    path = tmp_path / "tools.jsonl"
    path.write_text(json.dumps(ok) + "\n" + json.dumps(bad) + "\n")
    before = workspace_counts(ws)
    with ws.connect() as con, pytest.raises(FormatError) as caught:
        import_files(con, "openai-tools", [path])
    message = str(caught.value)
    assert message.startswith(f"{path}:2 ") and "'#/$defs/Passenger'" in message
    assert "properties/passengers/items" in message
    assert workspace_counts(ws) == before


# -- seeing through refs -------------------------------------------------------------------------------


def test_property_schemas_inline_refs_and_stop_at_recursion() -> None:
    spec = _book_reservation()
    props = spec.property_schemas()
    assert props is spec.property_schemas()  # cached per spec
    passenger = props["passengers"]["items"]
    assert passenger["type"] == "object" and list(passenger["properties"]) == ["first_name", "last_name", "dob"]
    assert props["passengers"]["description"].startswith("An array of objects")
    tree = {
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/Node", "description": "the top"}},
        "$defs": {
            "Node": {
                "type": "object",
                "description": "a node",
                "properties": {
                    "label": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                },
            }
        },
    }
    root = property_schemas(tree)["root"]
    assert root["description"] == "the top"  # the referring schema's own keywords win
    assert root["properties"]["label"] == {"type": "string"}
    assert root["properties"]["children"]["items"] == {}  # the recursion is left open, not expanded forever
    whole = inline_schema(tree)
    assert "$defs" not in whole and whole["properties"]["root"]["type"] == "object"


def test_values_for_ref_parameters_have_the_referenced_shape() -> None:
    spec = _book_reservation()
    props = spec.property_schemas()
    bank = ValueBank()
    passengers = bank.value("book_reservation", "passengers", props["passengers"], random.Random(3))
    assert passengers and all(set(p) == {"first_name", "last_name", "dob"} for p in passengers)
    assert all(isinstance(v, str) for p in passengers for v in p.values())
    payments = bank.value("book_reservation", "payment_methods", props["payment_methods"], random.Random(3))
    assert all(isinstance(p["payment_id"], str) and isinstance(p["amount"], int) for p in payments)
    assert Draft202012Validator(props["passengers"]).is_valid(passengers)
    assert Draft202012Validator(props["payment_methods"]).is_valid(payments)
    # with the airline database, nested fields take real values (a flight number that exists)
    airline_db = DOMAINS["airline"].default_file("db.json")
    if airline_db.is_file():
        env = open_env("airline")
        bank.add_state(env.initial)
        flights = bank.value("book_reservation", "flights", props["flights"], random.Random(5))
        assert flights and all(f["flight_number"] in env.initial["flights"] for f in flights)
    # a simulated output follows a returns schema through its refs
    returns = {
        "type": "object",
        "properties": {"booking": {"$ref": "#/$defs/Booking"}},
        "$defs": {
            "Booking": {
                "type": "object",
                "properties": {"passengers": {"type": "array", "items": {"$ref": "#/$defs/P"}}},
            },
            "P": {"type": "object", "properties": {"first_name": {"type": "string"}, "dob": {"type": "string"}}},
        },
    }
    out = simulate_output("book", {}, returns, ValueBank())
    assert out["booking"]["passengers"] and set(out["booking"]["passengers"][0]) == {"first_name", "dob"}


def test_parameter_table_names_referenced_types() -> None:
    rows = {r["parameter"]: r for r in store.parameter_table(_book_reservation().parameters)}
    assert rows["passengers"]["type"] == "array<Passenger>" and rows["flights"]["type"] == "array<FlightInfo>"
    table = store.parameter_table(
        {
            "type": "object",
            "properties": {
                "home": {"$ref": "#/$defs/Address"},
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            },
            "$defs": {"Address": {"type": "object", "description": "A postal address."}},
        }
    )
    assert [(r["type"], r["description"]) for r in table] == [("Address", "A postal address."), ("string | null", "")]
