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
        kind = field_kind(param, schema)
        for n, source in enumerate(sources):  # this tool's own observed values and the enum are taken as they are
            fitting = [v for v in source or [] if _fits(v, typ) and (n < 2 or fits_kind(v, kind))]
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
        kind = field_kind(param)
        for field, values in self.by_field.items():  # "from_loc" ~ "location" is too loose; prefixes only
            if len(field) >= 4 and (key.endswith(field) or key.startswith(field)) and field_kind(field) == kind:
                return values  # and only a field of the same kind: a guest_name takes no place's "name"
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


# -- what a field means: the kind of value it takes ----------------------------------------------------

PERSON_NAMES = ("Asha Rao", "Ben Lee", "Maria Garcia", "Tomás Silva", "Priya Sharma", "Kenji Ito", "Lena Novak")
HOTEL_NAMES = ("Hotel Aurora", "The Grand Meridian", "Casa Lumen Inn", "Harbour View Hotel", "Palm Court Suites")
RESTAURANT_NAMES = ("Trattoria Sole", "The Copper Pot", "Spice Route Kitchen", "Café Lumière", "Blue Fin Sushi")
PLACE_WORDS = (
    "hotel",
    "inn",
    "suites",
    "airport",
    "station",
    "place",
    "street",
    "road",
    "market",
    "cafe",
    "café",
    "restaurant",
    "kitchen",
    "trattoria",
    "bistro",
    "centre",
    "center",
    "park",
    "museum",
    "international",
)
HOTEL_WORDS = ("hotel", "inn", "suites", "resort", "lodge", "hostel", "palace", "motel", "residency", "meridian")
RESTAURANT_WORDS = (
    "restaurant",
    "cafe",
    "café",
    "kitchen",
    "trattoria",
    "bistro",
    "grill",
    "diner",
    "sushi",
    "pot",
    "brasserie",
    "tavern",
    "pizzeria",
    "canteen",
    "dhaba",
    "bar",
    "eatery",
)
CITIES = ("Paris", "Tokyo", "Nairobi", "Lima", "Oslo", "New Delhi", "Lisbon")
PERSON_WORDS = (
    "person",
    "people",
    "passenger",
    "guest",
    "traveller",
    "traveler",
    "customer",
    "user",
    "contact",
    "recipient",
    "attendee",
    "author",
    "driver",
    "owner",
    "patient",
    "employee",
    "first",
    "last",
    "full",
    "given",
    "family",
    "surname",
    "middle",
    "holder",
)
COUNT_WORDS = (
    "nights",
    "guests",
    "people",
    "persons",
    "passengers",
    "party",
    "quantity",
    "count",
    "seats",
    "rooms",
    "adults",
    "children",
    "tickets",
    "num",
    "number of",
)
AMOUNT_WORDS = ("amount", "price", "cost", "fare", "budget", "total", "balance", "salary", "fee", "payment")

KINDS = (
    "email", "phone", "url", "id", "date", "datetime", "time", "year", "person", "hotel", "restaurant", "city",
    "country_code", "country", "currency", "language", "airport", "station", "amount", "count", "zip", "address", "text",
)  # fmt: skip


def name_tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [t for t in re.split(r"[^a-zA-Z0-9]+", spaced.lower()) if t]


def field_kind(name: str, schema: dict[str, Any] | None = None) -> str | None:
    """What a field holds (``person``, ``hotel``, ``date``, ``time``, ``id``, ``city``, ``amount``...), read from its
    JSON-schema format, its name and its description, so a drawn value fits its meaning and not only its type."""
    schema = _chosen_branch(schema or {})
    fmt = str(schema.get("format") or "")
    direct = {"date": "date", "date-time": "datetime", "time": "time", "email": "email", "uri": "url", "url": "url"}
    if fmt in direct:
        return direct[fmt]
    toks = name_tokens(name)
    desc = str(schema.get("description") or "").lower()
    last = toks[-1] if toks else ""
    joined = " ".join(toks)
    if "email" in toks or "mail" in toks:
        return "email"
    if {"phone", "mobile", "tel", "telephone"} & set(toks):
        return "phone"
    if {"url", "website", "link", "uri"} & set(toks):
        return "url"
    if last in ("id", "ids", "uuid", "key", "confirmation") or (last == "number" and ({"flight", "train"} & set(toks))):
        return "id"
    if last == "code" and "country" in toks:
        return "country_code"
    if last == "code" and ("airport" in toks or "iata" in desc):
        return "airport"
    if "datetime" in toks or "timestamp" in toks or ("iso 8601" in desc and "time" in toks and "date" in toks):
        return "datetime"
    if "time" in toks and "zone" not in toks and "timezone" not in toks:
        return "time"
    if {"date", "day", "dob", "birthday", "birthdate"} & set(toks) or joined in ("check in", "check out"):
        return "date"
    if "checkin" in toks or "checkout" in toks:
        return "date"
    if last == "year" or toks == ["year"]:
        return "year"
    if "currency" in toks or joined in ("base", "quote"):
        return "currency"
    if "language" in toks or "lang" in toks:
        return "language"
    if "country" in toks:
        return "country"
    if "airport" in toks or "iata" in desc:
        return "airport"
    if "station" in toks:
        return "station"
    if {"zip", "postal", "postcode"} & set(toks):
        return "zip"
    if {"address", "street"} & set(toks):
        return "address"
    if "name" in toks or last == "name":
        for words, kind in ((("hotel", "lodging"), "hotel"), (("restaurant", "cafe", "diner"), "restaurant")):
            if any(w in toks for w in words) or any(w in desc for w in words):
                return kind
        if any(w in toks for w in PERSON_WORDS) or any(w in desc for w in ("person", "traveller", "contact", "guest")):
            return "person"
        if "city" in toks or "city" in desc:
            return "city"
        return "person" if "full" in desc else None
    if any(w in toks for w in ("passenger", "guest", "recipient", "attendee")) and not toks[-1].endswith("s"):
        return "person"
    if {"city", "town", "location", "destination", "origin", "place", "loc", "pickup", "dropoff"} & set(toks):
        return "city"
    if any(w in joined for w in COUNT_WORDS) or last == "size":
        return "count"
    if any(w in toks for w in AMOUNT_WORDS):
        return "amount"
    if {"text", "message", "body", "note", "comment", "subject", "title", "query"} & set(toks):
        return "text"
    hints: tuple[tuple[tuple[str, ...], str], ...] = (
        (("yyyy-mm-dd", "date of"), "date"),
        (("hh:mm",), "time"),
        (("email",), "email"),
        (("phone number",), "phone"),
        (("identifier",), "id"),
        (("city",), "city"),
    )
    for clues, hinted in hints:
        if any(w in desc for w in clues):
            return hinted
    return None


_PATTERNS = {
    "email": r"[^@\s]+@[^@\s]+\.[a-z]{2,}",
    "phone": r"\+?[0-9][0-9 ()-]{6,}",
    "url": r"https?://\S+",
    "date": r"\d{4}-\d{2}-\d{2}",
    "datetime": r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?.*",
    "time": r"\d{2}:\d{2}(:\d{2})?|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}.*",
    "year": r"\d{4}",
    "country_code": r"[A-Z]{2}",
    "currency": r"[A-Z]{3}",
    "airport": r"[A-Z]{3}",
    "zip": r"[A-Z0-9][A-Z0-9 -]{2,9}",
}


def fits_kind(value: Any, kind: str | None) -> bool:
    """Whether a value is the kind of thing the field holds (a time is HH:MM, a person's name has no 'Airport')."""
    if kind is None or isinstance(value, (dict, list, bool)):
        return True
    if kind in ("count", "amount", "year"):
        if isinstance(value, str):
            return kind == "year" and re.fullmatch(_PATTERNS["year"], value) is not None
        return kind == "amount" or (isinstance(value, int) and 0 < value < (3000 if kind == "year" else 100))
    if not isinstance(value, str):
        return kind == "id" and isinstance(value, int)
    if kind in _PATTERNS:
        return re.fullmatch(_PATTERNS[kind], value) is not None
    if kind == "id":
        return bool(value) and not re.search(r"\s", value) and len(value) <= 64
    if kind in ("person", "hotel", "restaurant", "city", "country", "language", "station"):
        if re.search(r"[0-9@/]", value) or not value[:1].isupper():
            return False
        low = value.lower()
        placey = any(re.search(rf"\b{w}\b", low) for w in PLACE_WORDS)
        if kind == "person":
            return not placey and "," not in value and 1 <= len(value.split()) <= 4
        if kind in ("hotel", "restaurant"):
            own = HOTEL_WORDS if kind == "hotel" else RESTAURANT_WORDS
            named = any(re.search(rf"\b{w}\b", low) for w in own)
            return named and value not in PERSON_NAMES and "," not in value
        if placey and kind in ("country", "language"):
            return False
        return kind not in ("city", "station") or "," not in value
    return True


def _person(r: random.Random, toks: list[str]) -> str:
    """A person's full name, or only the first or the last name when the field asks for one."""
    full = r.choice(PERSON_NAMES)
    if "first" in toks or "given" in toks:
        return full.split()[0]
    if "last" in toks or "surname" in toks or "family" in toks:
        return full.split()[-1]
    return full


def _date(r: random.Random) -> str:
    return f"2026-12-{r.randint(1, 28):02d}"


_MAKERS: dict[str, Any] = {
    "email": lambda r, n: r.choice(["asha.rao@example.com", "ben.lee@example.com", "maria.g@example.com"]),
    "phone": lambda r, n: f"+1 555 {r.randint(100, 999)} {r.randint(1000, 9999)}",
    "url": lambda r, n: r.choice(["https://example.com/booking", "https://example.org/menu"]),
    "id": lambda r, n: f"{(name_tokens(n)[:1] or ['x'])[0][:1].upper()}-{r.randint(1000, 9999)}",
    "date": lambda r, n: (
        f"{r.randint(1950, 2005)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
        if {"dob", "birth", "birthday", "birthdate"} & set(name_tokens(n))
        else _date(r)
    ),
    "datetime": lambda r, n: f"{_date(r)}T{r.randint(8, 20):02d}:{r.choice(['00', '30'])}:00",
    "time": lambda r, n: f"{r.randint(8, 21):02d}:{r.choice(['00', '15', '30', '45'])}",
    "year": lambda r, n: r.randint(2024, 2027),
    "person": lambda r, n: _person(r, name_tokens(n)),
    "hotel": lambda r, n: r.choice(HOTEL_NAMES),
    "restaurant": lambda r, n: r.choice(RESTAURANT_NAMES),
    "city": lambda r, n: r.choice(CITIES),
    "country_code": lambda r, n: r.choice(["FR", "JP", "KE", "PE", "NO", "IN"]),
    "country": lambda r, n: r.choice(["France", "Japan", "Kenya", "Peru", "Norway", "India"]),
    "currency": lambda r, n: r.choice(["USD", "EUR", "INR", "JPY"]),
    "language": lambda r, n: r.choice(["French", "Spanish", "Hindi"]),
    "airport": lambda r, n: r.choice(["DEL", "BOM", "CDG", "NRT"]),
    "station": lambda r, n: r.choice(["Central Station", "Gare du Nord", "Shinjuku Station", "Rossio"]),
    "zip": lambda r, n: f"{r.randint(10000, 99999)}",
    "address": lambda r, n: f"{r.randint(2, 99)} {r.choice(['Station Road', 'Rue Cler', 'Elm Street'])}",
    "count": lambda r, n: r.randint(1, 4),
    "amount": lambda r, n: round(r.uniform(20, 400), 2),
}
_TEXTS = {
    "subject": ("Trip plans for next week", "Dinner on Friday"),
    "title": ("Team dinner", "Flight to Lisbon", "Museum visit"),
    "note": ("Pack the passport", "Call the hotel about late check-in"),
    "query": ("quiet hotels near the old town", "vegetarian lunch spots"),
}
_SENTENCES = ("Running ten minutes late.", "See you at the station.", "Thank you very much.", "Where is the station?")


def make_value(kind: str | None, name: str, rng: random.Random) -> Any:
    """A plausible value of a kind (``field_kind``); a short sentence for free text, else ``"<name> N"``."""
    if kind in _MAKERS:
        return _MAKERS[kind](rng, name)
    toks = name_tokens(name)
    for key, texts in _TEXTS.items():
        if key in toks:
            return rng.choice(texts)
    if kind == "text":
        return rng.choice(_SENTENCES)
    for key, make in (
        ("symbol", ["AAPL", "MSFT", "INFY"]),
        ("cuisine", ["italian", "thai", "vegetarian"]),
        ("class", ["compact", "midsize", "SUV"]),
        ("category", ["museum", "park", "landmark"]),
    ):
        if key in toks:
            return rng.choice(make)
    return f"{name.lower().replace('_', ' ')} {rng.randint(1, 99)}"


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
    kind = field_kind(name, schema)
    if typ == "integer":
        if kind == "year" and "minimum" not in schema:
            return make_value(kind, name, rng)
        lo, hi = int(schema.get("minimum", 1)), int(schema.get("maximum", max(int(schema.get("minimum", 1)), 5)))
        return rng.randint(lo, max(lo, hi))
    if typ == "number":
        span = re.search(r"\b(\d+)\s*-\s*(\d+)\b", str(schema.get("description") or ""))
        if span and "minimum" not in schema and "maximum" not in schema:  # "Guest rating, 0-5."
            return round(rng.uniform(float(span.group(1)), float(span.group(2))), 2)
        if kind == "amount" and "minimum" not in schema and "maximum" not in schema:
            return make_value(kind, name, rng)
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
    value = make_value(kind, name, rng)
    return str(value) if kind in ("count", "amount", "year") else value


def simulate_output(name: str, arguments: dict[str, Any], returns: dict[str, Any] | None, bank: ValueBank) -> Any:
    """A schema-shaped response for a tool with no implementation, the same for the same call."""
    seed = int(hashlib.sha256(json.dumps([name, arguments], sort_keys=True, default=str).encode()).hexdigest(), 16)
    rng = random.Random(seed)
    if not returns:
        return {"status": "ok", "tool": name, "request": arguments}
    return _simulate(name, inlined(returns), arguments, bank, rng)


def _in_context(key: str, schema: Any, parent: str) -> str:
    """A bare ``name``/``title`` inside ``hotels`` is a hotel's name: the field name its value is drawn by."""
    if key in ("name", "title") and parent and field_kind(key, schema if isinstance(schema, dict) else {}) is None:
        owner = name_tokens(parent)[-1:] or [""]
        return f"{owner[0].removesuffix('s')}_{key}"
    return key


def _simulate(field: str, schema: dict[str, Any], args: dict[str, Any], bank: ValueBank, rng: random.Random) -> Any:
    schema = _chosen_branch(schema)
    typ = schema.get("type")
    if typ == "object" or "properties" in schema:
        return {
            k: _simulate(_in_context(k, v, field), v if isinstance(v, dict) else {}, args, bank, rng)
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
