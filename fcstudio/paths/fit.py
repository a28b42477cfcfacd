"""Whether a producer's output field may feed a consumer's argument: the sampler's guard against nonsense wiring.

The graph's dependency edges come from the similarity of ``name: description`` texts, so a description that
shares a word is enough for an edge: book_hotel's ``reservation_id`` ("Hotel reservation code") scores 0.46
against reserve_table's ``time`` ("Reservation time, ISO 8601"). The similarity says the two are related; it
does not say one value can stand in for the other. ``mismatch`` adds what a person checks before wiring: the
JSON types agree, formats and enums agree, a date or time feeds only a date or time, an identifier feeds only
what is (or is described as) an identifier, and of the same thing (a train number is no flight number). The walk index keeps, per edge,
the best-scored piece of evidence that passes (``fcstudio.paths.index``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fcstudio.paths.fsp import FSP

# tool -> (parameter -> its schema, return field path -> its schema): what the fit check reads
Shapes = dict[str, tuple[dict[str, Any], dict[str, Any]]]
TEMPORAL_WORDS = frozenset(
    {"date", "time", "datetime", "timestamp", "day", "dob", "birthday", "deadline", "eta", "year", "month", "hour"}
)
TEMPORAL_FORMATS = frozenset({"date", "date-time", "time"})
IDENTIFIER_WORDS = frozenset(
    {"id", "ids", "uuid", "guid", "code", "number", "num", "symbol", "key", "ref", "sku", "isbn", "iata", "pnr"}
)
# words in a description that make a value an identifier ("Destination IATA airport code.")
IDENTIFIER_HINTS = frozenset({"id", "identifier", "code", "uuid", "iata"})
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def words(text: str) -> list[str]:
    """Lower-case words of an identifier or a sentence: ``departureTime``, ``check_out`` and prose alike."""
    return [w.lower() for w in _WORD.findall(text or "")]


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)} - {"null"}
    return set()


class Side:
    """One end of a wiring: a return field or a parameter, by name (the leaf of a field path) and schema."""

    def __init__(self, name: str, schema: dict[str, Any] | None):
        self.name = name.rsplit(".", 1)[-1].removesuffix("[]")
        self.schema = schema if isinstance(schema, dict) else {}
        self.name_words = words(self.name)
        description = self.schema.get("description")
        self.text_words = set(self.name_words) | set(words(description if isinstance(description, str) else ""))
        fmt = self.schema.get("format")
        self.format = fmt if isinstance(fmt, str) else None
        names = set(self.name_words)
        # a date or time: by format, or by a word of its name
        self.temporal = self.format in TEMPORAL_FORMATS or bool(TEMPORAL_WORDS & names)
        # named as an identifier (``hotel_id``, ``flight_number``, ``airport_symbol``) or of format uuid
        self.identifier = self.format == "uuid" or (bool(self.name_words) and self.name_words[-1] in IDENTIFIER_WORDS)
        # an identifier, or described as one ("Destination IATA airport code."): enough to accept one
        self.maybe_identifier = self.identifier or bool(IDENTIFIER_HINTS & self.text_words)
        # what an identifier identifies: its name's words other than the identifier words (``train_number``: train)
        self.entity = names - IDENTIFIER_WORDS
        self.types = _types(self.schema)
        enum = self.schema.get("enum")
        self.enum = enum if isinstance(enum, list) else None


def _type_mismatch(out: Side, arg: Side) -> str | None:
    have, want = out.types, arg.types
    if not have or not want:
        return None  # a schema that does not say: only the meaning can refuse it
    if ("integer" in have and "number" in want) or have & want:
        return None
    return f"a {'/'.join(sorted(have))} cannot fill a {'/'.join(sorted(want))} argument"


def mismatch(
    field: str, field_schema: dict[str, Any] | None, param: str, param_schema: dict[str, Any] | None
) -> str | None:
    """Why the output ``field`` may not feed argument ``param``, or None when it fits.

    ``field`` is a return-field path as the graph's evidence names it (``flights[].flight_number``); the
    schemas are the field's and the parameter's own (None or {} when unknown: then only the names decide).
    """
    return sides_mismatch(Side(field, field_schema), Side(param, param_schema))


def sides_mismatch(out: Side, arg: Side) -> str | None:
    """``mismatch`` for sides already built (the walk index builds each field's and parameter's side once)."""
    wrong_type = _type_mismatch(out, arg)
    if wrong_type:
        return wrong_type
    if out.format and arg.format and out.format != arg.format:
        if not (out.format in TEMPORAL_FORMATS and arg.format in TEMPORAL_FORMATS):
            return f"format {out.format} cannot fill format {arg.format}"
    offered, allowed = out.enum, arg.enum
    if offered is not None and allowed is not None and not all(v in allowed for v in offered):
        return "its values are not among the argument's allowed values"
    if out.name == arg.name:
        return None
    if out.temporal != arg.temporal:
        if out.temporal:
            return f"a date or time cannot fill {arg.name} (not a date or time)"
        return f"{out.name} (not a date or time) cannot fill {arg.name} (a date or time)"
    if out.identifier and not arg.maybe_identifier:
        return f"an identifier cannot fill {arg.name} (not an identifier)"
    if arg.identifier and not out.maybe_identifier:
        return f"{out.name} (not an identifier) cannot fill {arg.name} (an identifier)"
    if out.identifier and arg.identifier and out.entity and arg.entity:
        if not (out.entity & arg.text_words or arg.entity & out.text_words):
            return f"{out.name} and {arg.name} identify different things"
    return None


def return_fields(schema: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, schema) of every named field of a return schema, with paths as the graph's evidence writes them."""
    if not isinstance(schema, dict):
        return
    props = schema.get("properties")
    if isinstance(props, dict):
        for name, sub in props.items():
            if isinstance(sub, dict):
                sub_path = f"{path}.{name}" if path else name
                yield sub_path, sub
                yield from return_fields(sub, sub_path)
    items = schema.get("items")
    if isinstance(items, dict):
        yield from return_fields(items, f"{path}[]")


def wiring_problems(fsp: FSP, shapes: Shapes) -> list[str]:
    """Every output-to-argument wiring of a path that does not fit, in words: hand edits and paths sampled before
    the sampler checked fit can hold one (``shapes`` as ``index.tool_shapes`` reads them)."""
    problems = []
    for t, c, call in fsp.calls():
        for arg, src in call.args.items():
            if src.kind != "output" or src.turn is None or src.call is None or not src.field:
                continue
            if not (0 <= src.turn < len(fsp.turns) and 0 <= src.call < len(fsp.turns[src.turn].calls)):
                continue  # a dangling reference: fsp.validate reports it
            producer = fsp.turns[src.turn].calls[src.call]
            outputs = shapes.get(producer.tool_id, ({}, {}))[1]
            params = shapes.get(call.tool_id, ({}, {}))[0]
            if src.field not in outputs and outputs:
                why: str | None = f"{producer.name} returns no field {src.field}"
            else:
                why = mismatch(src.field, outputs.get(src.field), arg, params.get(arg))
            if why:
                problems.append(
                    f"turn {t} call {c} ({call.name}): {arg} ← turn {src.turn}.{src.call} {producer.name}.{src.field}: "
                    f"{why}"
                )
    return problems
