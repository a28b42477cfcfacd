"""Argument values for synthesis, drawn from real data rather than invented.

A user-given argument takes, in order of preference: values seen for that tool's parameter in the
workspace (benchmark gold calls, imported trajectories), the schema's enum, values of a same-named
field in the environment's database (so executed calls hit real records), values seen for the same
parameter name on other tools, and last a value shaped by the schema and the parameter's name.
Outputs of tools without an implementation are simulated from their ``returns`` schema the same way.

Schemas here are the *inlined* ones (``ToolSpec.property_schemas()``, ``schemas.inlined``): a parameter
declared as ``{"items": {"$ref": "#/$defs/Passenger"}}`` is shaped like a list of Passengers, not a string.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import defaultdict
from typing import Any

import duckdb

from fcstudio.catalog.schemas import inlined
from fcstudio.llm import parse_arguments
from fcstudio.store import run


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


class ValueBank:
    """Observed values per (tool, parameter), per parameter name and per database field name."""

    def __init__(self) -> None:
        self.by_tool: dict[tuple[str, str], list[Any]] = defaultdict(list)
        self.by_param: dict[str, list[Any]] = defaultdict(list)
        self.by_field: dict[str, list[Any]] = defaultdict(list)

    def add_call(self, tool: str, arguments: dict[str, Any]) -> None:
        for param, value in arguments.items():
            if value is None or (isinstance(value, (dict, list)) and not value):
                continue
            if value not in self.by_tool[(tool, param)]:
                self.by_tool[(tool, param)].append(value)
            if value not in self.by_param[_norm(param)]:
                self.by_param[_norm(param)].append(value)

    def add_state(self, state: dict[str, dict[str, Any]]) -> None:
        """Scalar fields of every record by field name, nested ones too (a reservation's passengers'
        ``first_name``, its flights' ``flight_number``), so a nested argument gets real values."""
        for records in state.values():
            for record in records.values():
                self._add_fields(record, 0)

    def _add_fields(self, value: Any, depth: int) -> None:
        if depth > 3:
            return
        items = (
            value.items() if isinstance(value, dict) else (("", v) for v in value) if isinstance(value, list) else ()
        )
        for key, sub in items:
            if isinstance(sub, (dict, list)):
                self._add_fields(sub, depth + 1)
            elif key and isinstance(sub, (str, int, float)) and not isinstance(sub, bool):
                bucket = self.by_field[_norm(key)]
                if len(bucket) < 200 and sub not in bucket:
                    bucket.append(sub)

    def value(self, tool: str, param: str, schema: dict[str, Any], rng: random.Random) -> Any:
        schema = _chosen_branch(schema)
        typ = schema.get("type")
        sources = (
            self.by_tool.get((tool, param)),
            schema.get("enum"),
            self._field(param),
            self.by_param.get(_norm(param)),
        )
        for source in sources:
            fitting = [v for v in source or [] if _fits(v, typ)]
            if fitting:
                return fitting[rng.randrange(len(fitting))]
        if typ == "object" and isinstance(schema.get("properties"), dict) and "default" not in schema:
            return {
                k: self.value("", k, v if isinstance(v, dict) else {}, rng) for k, v in schema["properties"].items()
            }
        if typ == "array" and isinstance(schema.get("items"), dict) and "default" not in schema:
            return [self.value("", param.rstrip("s"), schema["items"], rng) for _ in range(rng.randint(1, 2))]
        return shaped_value(param, schema, rng)

    def _field(self, param: str) -> list[Any] | None:
        key = _norm(param)
        if key in self.by_field:
            return self.by_field[key]
        for field, values in self.by_field.items():  # "from_loc" ~ "location" is too loose; prefixes only
            if len(field) >= 4 and (key.endswith(field) or key.startswith(field)):
                return values
        return None


def fits(value: Any, schema: Any) -> bool:
    """Whether a value has the schema's JSON type (its first non-null branch's); untyped schemas take anything."""
    return _fits(value, _chosen_branch(schema).get("type"))


def _fits(value: Any, typ: Any) -> bool:
    if typ is None or isinstance(typ, list):
        return True
    return {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
    }.get(typ, True)


_NAMED = {
    "dob": lambda r: f"{r.randint(1950, 2005)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
    "birth": lambda r: f"{r.randint(1950, 2005)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
    "date": lambda r: f"2026-12-{r.randint(1, 28):02d}",
    "time": lambda r: f"{r.randint(8, 19):02d}:{r.choice(['00', '30'])}",
    "email": lambda r: r.choice(["asha.rao@example.com", "ben.lee@example.com", "maria.g@example.com"]),
    "name": lambda r: r.choice(["Asha Rao", "Ben Lee", "Maria Garcia", "Tomás Silva"]),
    "city": lambda r: r.choice(["Paris", "Tokyo", "Nairobi", "Lima", "Oslo"]),
    "location": lambda r: r.choice(["Paris", "Tokyo", "Nairobi", "Lima", "Oslo"]),
    "currency": lambda r: r.choice(["USD", "EUR", "INR", "JPY"]),
    "language": lambda r: r.choice(["French", "Spanish", "Hindi"]),
    "id": lambda r: f"{r.choice('ABCDEFGH')}{r.randint(100, 999)}",
    "symbol": lambda r: r.choice(["AAPL", "MSFT", "INFY"]),
    "message": lambda r: r.choice(["Running ten minutes late.", "See you at the station."]),
    "text": lambda r: r.choice(["Where is the station?", "Thank you very much."]),
}


def _chosen_branch(schema: Any) -> dict[str, Any]:
    """The schema to shape a value by: ``anyOf``/``oneOf`` take their first branch that is not just null,
    ``allOf`` its parts merged; the schema's own keywords (description, default) win over a branch's."""
    if not isinstance(schema, dict):
        return {}
    if "type" in schema or "enum" in schema:
        return schema
    own = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf", "allOf")}
    for key in ("anyOf", "oneOf"):
        branches = [b for b in schema.get(key) or [] if isinstance(b, dict)]
        pick = next((b for b in branches if b.get("type") != "null"), None)
        if pick is not None:
            return {**_chosen_branch(pick), **own}
    parts = [b for b in schema.get("allOf") or [] if isinstance(b, dict)]
    if parts:
        merged: dict[str, Any] = {}
        for part in parts:
            merged.update(_chosen_branch(part))
        return {**merged, **own}
    return schema


def shaped_value(name: str, schema: dict[str, Any], rng: random.Random) -> Any:
    """A plausible value from the schema and the parameter's name alone."""
    schema = _chosen_branch(schema)
    if "default" in schema:
        return schema["default"]
    if schema.get("enum"):
        return rng.choice(schema["enum"])
    typ = schema.get("type")
    if isinstance(typ, list):
        typ = next((t for t in typ if t != "null"), "string")
    low = name.lower()
    if typ == "integer":
        lo, hi = int(schema.get("minimum", 1)), int(schema.get("maximum", max(int(schema.get("minimum", 1)), 5)))
        return rng.randint(lo, max(lo, hi))
    if typ == "number":
        return round(rng.uniform(float(schema.get("minimum", 1)), float(schema.get("maximum", 100))), 2)
    if typ == "boolean":
        return rng.random() < 0.5
    if typ == "array":
        items = schema.get("items")
        if not isinstance(items, dict):
            items = {"type": "string"}
        return [shaped_value(name.rstrip("s"), items, rng) for _ in range(rng.randint(1, 2))]
    if typ == "object" or (typ is None and isinstance(schema.get("properties"), dict)):
        props = schema.get("properties") or {}
        return {k: shaped_value(k, v if isinstance(v, dict) else {}, rng) for k, v in props.items()}
    for text in (low, str(schema.get("description", "")).lower()):  # the name first, then its description
        for key, make in _NAMED.items():
            if key in text:
                return make(rng)
    return f"{low.replace('_', ' ')} {rng.randint(1, 99)}"


def simulate_output(name: str, arguments: dict[str, Any], returns: dict[str, Any] | None, bank: ValueBank) -> Any:
    """A schema-shaped response for a tool with no implementation, the same for the same call."""
    seed = int(hashlib.sha256(json.dumps([name, arguments], sort_keys=True, default=str).encode()).hexdigest(), 16)
    rng = random.Random(seed)
    if not returns:
        return {"status": "ok", "tool": name, "request": arguments}
    return _simulate(name, inlined(returns), arguments, bank, rng)


def _simulate(field: str, schema: dict[str, Any], args: dict[str, Any], bank: ValueBank, rng: random.Random) -> Any:
    schema = _chosen_branch(schema)
    typ = schema.get("type")
    if typ == "object" or "properties" in schema:
        return {
            k: _simulate(k, v if isinstance(v, dict) else {}, args, bank, rng)
            for k, v in (schema.get("properties") or {}).items()
        }
    if typ == "array":
        items = schema.get("items")
        if not isinstance(items, dict):
            items = {}
        return [_simulate(field, items, args, bank, rng) for _ in range(rng.randint(1, 3))]
    if field in args and _fits(args[field], typ):  # echo what was asked for (a city's weather is that city's)
        return args[field]
    return bank.value("", field, schema, rng)


def bank_from_workspace(con: duckdb.DuckDBPyConnection, state: dict[str, dict[str, Any]] | None = None) -> ValueBank:
    """Values from the workspace's gold calls and trajectory calls, plus the environment's database."""
    bank = ValueBank()
    for (gold,) in run(con, "SELECT gold FROM tasks"):
        for call in json.loads(gold):
            if isinstance(call.get("arguments"), dict):
                bank.add_call(call.get("name", ""), call["arguments"])
    for (messages,) in run(con, "SELECT messages FROM trajectories WHERE coalesce(origin, 'import') = 'import'"):
        for msg in json.loads(messages):
            for tc in msg.get("tool_calls") or []:
                fn = tc.get("function") or {}
                args, _ = parse_arguments(fn.get("arguments"))
                if args:
                    bank.add_call(fn.get("name", ""), args)
    if state:
        bank.add_state(state)
    return bank


def extract_field(output: Any, path: str) -> Any:
    """The value at ``path`` (``a.b``, ``items[].x`` takes the first item) of a tool's output, or None."""
    value = output
    for part in [p for p in path.split(".") if p]:
        many = part.endswith("[]")
        part = part.removesuffix("[]")
        if part:
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        if many:
            if not isinstance(value, list) or not value:
                return None
            value = value[0]
    return value
