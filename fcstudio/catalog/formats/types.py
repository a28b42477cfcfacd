"""Loose type names from outside formats, mapped onto JSON Schema explicitly.

Catalogues describe parameters with Python names (``int``, ``List[str]``, ``str, optional``), BFCL's
Gorilla names (``dict``, ``float``, ``tuple``, ``any``), Java/JavaScript names (BFCL's Java and JS
categories, whose values travel as source text), or RapidAPI's upper-case names (ToolBench). Every
mapping is a table entry below; anything unknown becomes an unconstrained schema that keeps the
original name under ``x-original-type`` and produces a warning, never a silent guess.
"""

from __future__ import annotations

import copy
import re
from typing import Any

# Gorilla / Python / JSON-ish names (lower-cased) -> JSON Schema.
SCALARS: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "string": {"type": "string"},
    "text": {"type": "string"},
    "char": {"type": "string"},
    "int": {"type": "integer"},
    "integer": {"type": "integer"},
    "long": {"type": "integer"},
    "float": {"type": "number"},
    "double": {"type": "number"},
    "number": {"type": "number"},
    "decimal": {"type": "number"},
    "numeric": {"type": "number"},
    "bool": {"type": "boolean"},
    "boolean": {"type": "boolean"},
    "none": {"type": "null"},
    "nonetype": {"type": "null"},
    "null": {"type": "null"},
    "any": {},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "time": {"type": "string", "format": "time"},
}
ARRAYS = {"list", "array", "tuple", "set", "frozenset", "sequence", "iterable"}
OBJECTS = {"dict", "object", "mapping", "map", "json", "hashmap"}

# Java and JavaScript parameters in BFCL are passed as source text ("5L", "new ArrayList<>()"),
# so every such type is a string whose original type is kept for the checker and the reader.
JAVA_TYPES = {
    "boolean",
    "byte",
    "short",
    "int",
    "integer",
    "long",
    "float",
    "double",
    "char",
    "string",
    "array",
    "arraylist",
    "list",
    "hashmap",
    "map",
    "set",
    "hashset",
    "object",
    "any",
    "dict",
}
JAVASCRIPT_TYPES = {
    "string",
    "number",
    "boolean",
    "bigint",
    "array",
    "object",
    "dict",
    "any",
    "float",
    "integer",
    "set",
    "map",
    "",
}

# RapidAPI / ToolBench type names; the part before a space or parenthesis decides.
TOOLBENCH: dict[str, dict[str, Any]] = {
    "STRING": {"type": "string"},
    "NUMBER": {"type": "number"},
    "INTEGER": {"type": "integer"},
    "BOOLEAN": {"type": "boolean"},
    "ENUM": {"type": "string"},
    "DATE": {"type": "string", "format": "date"},
    "TIME": {"type": "string", "format": "time"},
    "GEOPOINT": {"type": "string"},
    "ARRAY": {"type": "array"},
    "LIST": {"type": "array"},
    "OBJECT": {"type": "object"},
    "JSON": {"type": "object"},
    "FILE": {"type": "string"},
    "BINARY": {"type": "string"},
    "CREDENTIALS": {"type": "string"},
}

PASS_THROUGH = {
    "description",
    "default",
    "enum",
    "const",
    "format",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "title",
    "examples",
    "multipleOf",
    "minProperties",
    "maxProperties",
    "nullable",
}
SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf")


class TypeMapper:
    """Maps one file's loose schemas; collects warnings for names it does not know."""

    def __init__(self, dialect: str = "python"):
        if dialect not in ("python", "java", "javascript", "toolbench"):
            raise ValueError(f"unknown dialect {dialect}")
        self.dialect = dialect
        self.warnings: list[str] = []
        # python_annotation results by text, for annotations that gave no warning (the warning names the place)
        self._annotations: dict[str, tuple[dict[str, Any], bool]] = {}

    # -- names --------------------------------------------------------------------------------
    def name_to_schema(self, name: str, where: str = "") -> dict[str, Any]:
        """Map one type name (possibly ``List[int]``-style) for this dialect."""
        raw = name.strip()
        if self.dialect in ("java", "javascript"):
            known = JAVA_TYPES if self.dialect == "java" else JAVASCRIPT_TYPES
            base = re.split(r"[<\[]", raw, maxsplit=1)[0].strip().lower()
            if base not in known:
                self._warn(f"{where}: unknown {self.dialect} type {raw!r}, passed as source text")
            return {"type": "string", "x-original-type": f"{self.dialect}:{raw}"}
        if self.dialect == "toolbench":
            base = re.split(r"[\s(]", raw.upper(), maxsplit=1)[0]
            if base in TOOLBENCH:
                return copy.deepcopy(TOOLBENCH[base])
            self._warn(f"{where}: unknown ToolBench type {raw!r}, left unconstrained")
            return {"x-original-type": raw}
        schema, _ = self.python_annotation(raw, where)
        return schema

    def python_annotation(self, text: str, where: str = "") -> tuple[dict[str, Any], bool]:
        """Parse ``List[int]``, ``Optional[str]``, ``str, optional``, ``int | None``; returns (schema, optional).

        Catalogues repeat a few dozen annotations thousands of times, so results are remembered (and copied,
        since callers add keywords to the schema they get).
        """
        known = self._annotations.get(text)
        if known is not None:
            return _copy(known[0]), known[1]
        warned = len(self.warnings)
        schema, optional = self._annotation(text, where)
        if len(self.warnings) == warned and len(self._annotations) < 4096:
            self._annotations[text] = (_copy(schema), optional)
        return schema, optional

    def _annotation(self, text: str, where: str) -> tuple[dict[str, Any], bool]:
        s = text.strip()
        optional = False
        m = re.search(r",\s*(optional|default\b.*)$", s, flags=re.IGNORECASE)
        if m:
            optional = True
            s = s[: m.start()].strip()
        if re.fullmatch(r"optional", s, flags=re.IGNORECASE):
            return {}, True
        schema = self._parse(s, where)
        if schema.pop("__optional__", False):
            optional = True
        return schema, optional

    def _parse(self, s: str, where: str) -> dict[str, Any]:
        s = s.strip()
        parts = _split_top(s, "|")
        if len(parts) > 1:
            options = [self._parse(p, where) for p in parts]
            return {"anyOf": options}
        m = re.fullmatch(r"([A-Za-z_][\w.]*)\s*\[(.*)\]", s, flags=re.DOTALL)
        if m:
            base = m.group(1).split(".")[-1].lower()
            args = [a for a in _split_top(m.group(2), ",") if a.strip()]
            if base == "optional" and args:
                inner = self._parse(args[0], where)
                inner["__optional__"] = True
                return inner
            if base == "union":
                return {"anyOf": [self._parse(a, where) for a in args]}
            if base == "literal":
                return {"enum": [_literal(a) for a in args]}
            if base in ARRAYS:
                if base == "tuple" and len(args) > 1 and args[-1].strip() != "...":
                    return {"type": "array", "prefixItems": [self._parse(a, where) for a in args]}
                return {"type": "array", "items": self._parse(args[0], where)} if args else {"type": "array"}
            if base in OBJECTS:
                if len(args) == 2:
                    return {"type": "object", "additionalProperties": self._parse(args[1], where)}
                return {"type": "object"}
            self._warn(f"{where}: unknown generic type {s!r}, left unconstrained")
            return {"x-original-type": s}
        key = s.split(".")[-1].lower()
        if key in SCALARS:
            return copy.deepcopy(SCALARS[key])
        if key in ARRAYS:
            return {"type": "array"}
        if key in OBJECTS:
            return {"type": "object"}
        if not s:
            return {}
        self._warn(f"{where}: unknown type {s!r}, left unconstrained")
        return {"x-original-type": s}

    def _warn(self, message: str) -> None:
        if len(self.warnings) < 200:
            self.warnings.append(message.lstrip(": "))

    # -- whole schemas -------------------------------------------------------------------------
    def schema(self, node: Any, where: str = "", *, top: bool = False) -> dict[str, Any]:
        """Convert a loose schema node (BFCL/Gorilla style) into JSON Schema; ``top`` marks a function's parameters."""
        if not isinstance(node, dict):
            if isinstance(node, str):
                return self.name_to_schema(node, where)
            raise ValueError(f"{where}: schema must be an object, got {type(node).__name__}")
        out: dict[str, Any] = {}
        kind = node.get("type")
        if isinstance(kind, list):
            mapped = [self.name_to_schema(str(k), where) for k in kind]
            if all(set(m) == {"type"} for m in mapped):
                out["type"] = sorted({m["type"] for m in mapped})
            else:
                out["anyOf"] = mapped
        elif isinstance(kind, str):
            is_container = kind.lower() in OBJECTS or kind.lower() in ARRAYS
            if self.dialect in ("java", "javascript") and top and kind.lower() in OBJECTS:
                out["type"] = "object"  # the top-level parameters object
            elif self.dialect in ("java", "javascript") or not is_container:
                out.update(self.name_to_schema(kind, where))
            elif kind.lower() in OBJECTS:
                out["type"] = "object"
            else:
                out["type"] = "array"
        elif kind is not None:
            raise ValueError(f"{where}: 'type' must be a string or list, got {type(kind).__name__}")
        is_source_text = "x-original-type" in out and self.dialect in ("java", "javascript")
        required: list[str] = []
        if isinstance(node.get("required"), list):
            required = [str(r) for r in node["required"]]
        props = node.get("properties")
        if isinstance(props, dict) and not is_source_text:
            out_props: dict[str, Any] = {}
            for pname, pnode in props.items():
                out_props[str(pname)] = self.schema(pnode, f"{where}.{pname}" if where else str(pname))
                if isinstance(pnode, dict):
                    flag = pnode.get("required")
                    if flag is True and pname not in required:
                        required.append(str(pname))
                    if _truthy(pnode.get("optional")) and pname in required:
                        required.remove(str(pname))
            out["properties"] = out_props
            if out.get("type") is None and "anyOf" not in out:
                out["type"] = "object"
        elif isinstance(props, dict) and is_source_text:
            out["x-original-properties"] = sorted(map(str, props))
        if required and out.get("type") == "object":
            out["required"] = list(dict.fromkeys(required))
        items = node.get("items")
        if items is not None and not is_source_text:
            if isinstance(items, list):
                out["prefixItems"] = [self.schema(i, f"{where}[]") for i in items]
            elif isinstance(items, (dict, str)):
                out["items"] = self.schema(items, f"{where}[]")
        extra = node.get("additionalProperties")
        if isinstance(extra, bool):
            out["additionalProperties"] = extra
        elif isinstance(extra, dict) and not is_source_text:
            out["additionalProperties"] = self.schema(extra, f"{where}{{}}")
        for key in SUBSCHEMA_LISTS:
            if isinstance(node.get(key), list) and not is_source_text:
                out[key] = [self.schema(s, f"{where}|") for s in node[key]]
        for key, value in node.items():
            if key in PASS_THROUGH:
                out[key] = value
        if "nullable" in out:
            out["x-nullable"] = bool(out.pop("nullable"))
        if "example_value" in node and "examples" not in out:
            out["examples"] = [node["example_value"]]
        if not isinstance(out.get("enum", []), list):
            out.pop("enum")
        if "description" in out and not isinstance(out["description"], str):
            out["description"] = str(out["description"])
        if is_source_text and "description" in out:
            out["description"] = (
                f"{out['description']} ({out['x-original-type'].split(':', 1)[1]} value as source text)".strip()
            )
        _sanitise_numbers(out)
        return out

    def object_from_properties(self, params: dict[str, Any], where: str = "") -> dict[str, Any]:
        """xLAM-style ``{name: {type, description, default?}}`` into an object schema; optional by flag or default."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        for pname, spec in params.items():
            spec = spec if isinstance(spec, dict) else {"type": spec}
            type_text = spec.get("type", "")
            optional = "default" in spec or _truthy(spec.get("optional")) or spec.get("required") is False
            if isinstance(type_text, str) and type_text:
                schema, opt = self.python_annotation(type_text, f"{where}.{pname}")
                optional = optional or opt
            else:
                schema = self.schema({k: v for k, v in spec.items() if k != "required"}, f"{where}.{pname}")
            for key, value in spec.items():  # in the file's order (a set's order changes from run to run)
                if key in PASS_THROUGH and key != "nullable":
                    schema[key] = value
            if "description" in schema and not isinstance(schema["description"], str):
                schema["description"] = str(schema["description"])
            if not isinstance(schema.get("enum", []), list):
                schema.pop("enum")
            _sanitise_numbers(schema)
            properties[str(pname)] = schema
            if not optional:
                required.append(str(pname))
        out: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            out["required"] = required
        return out


NUMERIC_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
COUNT_KEYWORDS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")


def _sanitise_numbers(schema: dict[str, Any]) -> None:
    """Drop validation keywords whose values are not what JSON Schema requires (kept as x- annotations)."""
    for key in NUMERIC_KEYWORDS:
        if key in schema and (not isinstance(schema[key], (int, float)) or isinstance(schema[key], bool)):
            schema[f"x-{key}"] = schema.pop(key)
    for key in COUNT_KEYWORDS:
        v = schema.get(key)
        if key in schema and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
            schema[f"x-{key}"] = schema.pop(key)
    if "uniqueItems" in schema and not isinstance(schema["uniqueItems"], bool):
        schema["x-uniqueItems"] = schema.pop("uniqueItems")
    for key in ("format", "pattern", "title"):
        if key in schema and not isinstance(schema[key], str):
            schema[f"x-{key}"] = schema.pop(key)
    if "examples" in schema and not isinstance(schema["examples"], list):
        schema["examples"] = [schema["examples"]]


def _copy(value: Any) -> Any:
    """A deep copy of JSON-like data (dicts and lists of scalars), faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes", "1"))


def _split_top(s: str, sep: str) -> list[str]:
    """Split on ``sep`` outside brackets and quotes."""
    parts, depth, current, quote = [], 0, [], ""
    for ch in s:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "[(<{":
            depth += 1
        elif ch in "])>}":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts]


def _literal(text: str) -> Any:
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        return t[1:-1]
    for cast in (int, float):
        try:
            return cast(t)
        except ValueError:
            pass
    return {"True": True, "False": False, "None": None}.get(t, t)


# -- schemas that are valid by construction --------------------------------------------------------------------
# The keywords TypeMapper writes, each with the value the JSON Schema 2020-12 meta-schema allows. A schema made
# only of these (plus ``x-`` annotations) is valid, so importers can skip the meta-schema check (about a
# millisecond per distinct schema part; xLAM's 3.6k tools have ~1.2k parts). Anything else gets the full check.
SIMPLE_TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})
_STRING_KEYWORDS = ("description", "title", "format")
_ANY_KEYWORDS = ("default", "const")
_LIST_KEYWORDS = ("enum", "examples")
_SUBSCHEMA_LIST_KEYWORDS = ("anyOf", "oneOf", "allOf", "prefixItems")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _is_json(v: Any, depth: int = 0) -> bool:
    """Plain JSON data (what ``json.loads`` gives), so the schema's canonical text exists."""
    if depth > 64:
        return False
    if v is None or isinstance(v, (str, bool, int, float)):
        return True
    if isinstance(v, list):
        return all(_is_json(x, depth + 1) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _is_json(x, depth + 1) for k, x in v.items())
    return False


def _pattern_ok(v: Any) -> bool:
    if not isinstance(v, str):
        return False
    try:
        re.compile(v)
    except (re.error, RecursionError, OverflowError):
        return False
    return True


def _types_ok(v: Any) -> bool:
    if isinstance(v, str):
        return v in SIMPLE_TYPES
    return (
        isinstance(v, list)
        and bool(v)
        and all(isinstance(t, str) and t in SIMPLE_TYPES for t in v)
        and len(set(v)) == len(v)
    )


def _subschemas_ok(value: Any, depth: int) -> bool:
    return isinstance(value, list) and bool(value) and all(known_valid(v, depth) for v in value)


def _properties_ok(value: Any, depth: int) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and known_valid(v, depth) for k, v in value.items())


def _required_ok(value: Any, depth: int) -> bool:
    return isinstance(value, list) and all(isinstance(r, str) for r in value) and len(set(value)) == len(value)


_SCALARS = (str, int, float, bool, type(None))
# keyword -> check of its value (given the depth for subschemas)
_KEYWORD_CHECKS: dict[str, Any] = {
    "type": lambda v, d: _types_ok(v),
    "properties": _properties_ok,
    "required": _required_ok,
    "items": lambda v, d: known_valid(v, d),
    "additionalProperties": lambda v, d: known_valid(v, d),
    "pattern": lambda v, d: _pattern_ok(v),
    "uniqueItems": lambda v, d: isinstance(v, bool),
    **dict.fromkeys(_STRING_KEYWORDS, lambda v, d: isinstance(v, str)),
    **dict.fromkeys(_ANY_KEYWORDS, lambda v, d: isinstance(v, _SCALARS) or _is_json(v)),
    **dict.fromkeys(_LIST_KEYWORDS, lambda v, d: isinstance(v, list) and _is_json(v)),
    **dict.fromkeys(_SUBSCHEMA_LIST_KEYWORDS, _subschemas_ok),
    **dict.fromkeys(NUMERIC_KEYWORDS, lambda v, d: _is_number(v)),
    **dict.fromkeys(COUNT_KEYWORDS, lambda v, d: _is_count(v)),
    "multipleOf": lambda v, d: _is_number(v) and v > 0,  # after NUMERIC_KEYWORDS, which holds it too
}


def known_valid(schema: Any, depth: int = 0) -> bool:
    """True when ``schema`` uses only keywords whose values are certainly valid JSON Schema (2020-12).

    A sufficient test, not a validator: False means "check it properly", never "invalid".
    """
    if schema is True or schema is False:
        return True
    if type(schema) is not dict or depth > 32:
        return False
    for key, value in schema.items():
        check = _KEYWORD_CHECKS.get(key)
        if check is None:
            if not (isinstance(key, str) and key.startswith("x-") and _is_json(value)):
                return False
        elif not check(value, depth + 1):
            return False
    return True
