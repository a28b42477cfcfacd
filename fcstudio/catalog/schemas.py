"""JSON Schema checks shared by importers and models.

Checking a schema against the 2020-12 meta-schema costs about a millisecond, and catalogues repeat
themselves: xLAM has ~3.6k distinct tools over 60k rows, and far fewer distinct parameter specs.
So a schema is checked in parts: its own keywords (with each property and ``items`` subschema
replaced by ``true``) and then each subschema, every part memoised on its canonical JSON text.
The meta-schema applies itself to those subschemas, so the parts are valid exactly when the whole is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import unquote, urldefrag, urljoin


def canonical_json(value: Any) -> str:
    """Key-sorted, compact JSON: equal values give equal text (used for hashing and caching)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=65536)
def _meta_error(text: str) -> tuple[str, str] | None:
    """(where, message) of the first meta-schema violation of one schema part, or None."""
    from jsonschema import Draft202012Validator  # imported by the first check: every CLI start-up would pay it
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(json.loads(text))
    except SchemaError as exc:
        return "/".join(str(p) for p in exc.absolute_path), exc.message
    return None


@lru_cache(maxsize=65536)
def _error(text: str) -> tuple[str, str] | None:
    schema = json.loads(text)
    if not isinstance(schema, dict):
        return _meta_error(text)
    shell = dict(schema)
    parts: list[tuple[str, Any]] = []
    props = schema.get("properties")
    if isinstance(props, dict) and all(isinstance(v, (dict, bool)) for v in props.values()):
        shell["properties"] = dict.fromkeys(props, True)
        parts += [(f"properties/{k}", v) for k, v in props.items()]
    if isinstance(schema.get("items"), dict):
        shell["items"] = True
        parts.append(("items", schema["items"]))
    found = _meta_error(canonical_json(shell))
    if found:
        return found
    for prefix, part in parts:
        found = _error(canonical_json(part))
        if found:
            where, message = found
            return f"{prefix}/{where}".rstrip("/"), message
    return None


def check_json_schema(schema: Any, *, refs: bool = False) -> None:
    """Raise ValueError naming the offending place when ``schema`` is not valid JSON Schema (2020-12);
    with ``refs``, also when one of its ``$ref``s points nowhere (``dangling_refs``)."""
    if not isinstance(schema, (dict, bool)):
        raise ValueError(f"a JSON Schema must be an object, not {type(schema).__name__}")
    try:
        text = canonical_json(schema)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"schema is not JSON-serialisable: {exc}") from None
    found = _error(text)
    if found:
        where, message = found
        raise ValueError(f"not a valid JSON Schema at {where or '(root)'}: {message}")
    if refs:
        _raise_dangling(_dangling(text))


# -- $ref resolution -----------------------------------------------------------------------------------
# Where subschemas sit (2020-12 plus the older drafts' spellings). A ``$ref`` anywhere else (inside
# ``enum``, ``default``, an unknown keyword) is data, not a reference, and validation never follows it.
SCHEMA_KEYWORDS = (
    "items",
    "additionalItems",
    "additionalProperties",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
)
SCHEMA_MAP_KEYWORDS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies")
SCHEMA_LIST_KEYWORDS = ("allOf", "anyOf", "oneOf", "prefixItems", "items")
_DEF_KEYWORDS = ("$defs", "definitions")


def subschemas(schema: dict[str, Any]) -> list[tuple[str, Any]]:
    """(path relative to ``schema``, subschema) for every keyword of ``schema`` that holds schemas."""
    out: list[tuple[str, Any]] = []
    for key, value in schema.items():
        if key in SCHEMA_MAP_KEYWORDS and isinstance(value, dict):
            out += [(f"{key}/{_escape(k)}", v) for k, v in value.items() if isinstance(v, (dict, bool))]
        elif key in SCHEMA_LIST_KEYWORDS and isinstance(value, list):
            out += [(f"{key}/{i}", v) for i, v in enumerate(value) if isinstance(v, (dict, bool))]
        elif key in SCHEMA_KEYWORDS and isinstance(value, (dict, bool)):
            out.append((key, value))
    return out


def map_subschemas(schema: dict[str, Any], fn: Callable[[Any], Any]) -> dict[str, Any]:
    """A copy of ``schema`` with ``fn`` applied to each subschema (those ``subschemas`` lists), the rest as is."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in SCHEMA_MAP_KEYWORDS and isinstance(value, dict):
            value = {k: fn(v) if isinstance(v, (dict, bool)) else v for k, v in value.items()}
        elif key in SCHEMA_LIST_KEYWORDS and isinstance(value, list):
            value = [fn(v) if isinstance(v, (dict, bool)) else v for v in value]
        elif key in SCHEMA_KEYWORDS and isinstance(value, (dict, bool)):
            value = fn(value)
        out[key] = value
    return out


def _escape(token: str) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


class Unresolvable(LookupError):
    """A ``$ref`` with no target in the schema; the message says why."""


class DanglingRef(NamedTuple):
    at: str  # where the reference sits, a JSON-pointer-like path from the root ("" = the root)
    ref: str
    reason: str


class SchemaDocument:
    """One schema document indexed for ``$ref`` lookups: its resources (``$id``) and anchors.

    Only references into the document itself resolve: ``#``, ``#/json/pointer`` (``~0``/``~1`` escapes and
    percent-encoding as RFC 6901/3986 say), ``#anchor``, and a URI naming the document's own ``$id`` or an
    embedded resource's. Anything else is remote, and nothing is ever fetched, so it counts as unresolvable.
    """

    def __init__(self, root: Any):
        self.root = root
        self.resources: dict[str, Any] = {}  # absolute-ish URI (no fragment) -> resource root
        self.anchors: dict[tuple[str, str], Any] = {}  # (resource URI, anchor name) -> subschema
        self.refs: list[tuple[str, str, str, str]] = []  # (at, base URI, keyword, ref)
        self._index(root, "", "", is_root=True)

    def _index(self, node: Any, at: str, base: str, *, is_root: bool = False) -> None:
        if not isinstance(node, dict):
            return
        own_id = node.get("$id")
        if isinstance(own_id, str) and not own_id.startswith("#"):
            base = urldefrag(urljoin(base, own_id))[0]
            self.resources.setdefault(base, node)
        elif is_root:
            self.resources.setdefault(base, node)
        elif isinstance(own_id, str):  # draft-6/7 style ``"$id": "#name"`` is an anchor
            self.anchors.setdefault((base, own_id[1:]), node)
        for key in ("$anchor", "$dynamicAnchor"):
            if isinstance(node.get(key), str):
                self.anchors.setdefault((base, node[key]), node)
        for key in ("$ref", "$dynamicRef"):
            if isinstance(node.get(key), str):
                self.refs.append((at, base, key, node[key]))
        for sub_at, sub in subschemas(node):
            self._index(sub, f"{at}/{sub_at}" if at else sub_at, base)

    def base_of(self, node: Any) -> str:
        """The base URI a resource root stands for ("" for the document's own root without ``$id``)."""
        for uri, resource in self.resources.items():
            if resource is node:
                return uri
        return ""

    def lookup(self, ref: str, base: str = "") -> tuple[Any, str]:
        """(target, the target's base URI); raises Unresolvable saying why."""
        uri, fragment = urldefrag(urljoin(base, ref) if base else ref)
        if ref.startswith("#") or not ref:
            uri = base
        if uri not in self.resources:
            raise Unresolvable("a remote reference (only references into the schema itself resolve)")
        resource = self.resources[uri]
        fragment = unquote(fragment)
        if not fragment:
            return resource, uri
        if not fragment.startswith("/"):
            if (uri, fragment) not in self.anchors:
                raise Unresolvable(f"no anchor {fragment!r} in the schema")
            return self.anchors[(uri, fragment)], uri
        node = resource
        for raw in fragment.split("/")[1:]:
            token = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise Unresolvable(f"nothing at {fragment!r} in the schema")
            if isinstance(node, dict) and isinstance(node.get("$id"), str) and not node["$id"].startswith("#"):
                uri = urldefrag(urljoin(uri, node["$id"]))[0]
        if not isinstance(node, (dict, bool)):
            raise Unresolvable(f"{fragment!r} holds a {type(node).__name__}, not a schema")
        return node, uri

    def dangling(self) -> list[DanglingRef]:
        out = []
        for at, base, _, ref in self.refs:
            try:
                self.lookup(ref, base)
            except Unresolvable as exc:
                out.append(DanglingRef(at, ref, str(exc)))
        return out


@lru_cache(maxsize=65536)
def _dangling(text: str) -> tuple[DanglingRef, ...]:
    if '"$ref"' not in text and '"$dynamicRef"' not in text:
        return ()
    return tuple(SchemaDocument(json.loads(text)).dangling())


def dangling_refs(schema: Any) -> list[DanglingRef]:
    """The ``$ref`` / ``$dynamicRef`` of ``schema`` that do not resolve inside it (memoised per schema text)."""
    return list(_dangling(canonical_json(schema)))


def check_refs(schema: Any) -> None:
    """Raise ValueError naming the first reference of ``schema`` that points nowhere."""
    _raise_dangling(_dangling(canonical_json(schema)))


def _raise_dangling(found: tuple[DanglingRef, ...]) -> None:
    if found:
        first = found[0]
        more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
        raise ValueError(f"$ref {first.ref!r} at {first.at or '(root)'} does not resolve: {first.reason}{more}")


# -- inlining ------------------------------------------------------------------------------------------
_INLINE_BUDGET = 20_000  # schema nodes one inlining may produce; past it, references are left open ({})


def _inline(doc: SchemaDocument, node: Any, base: str, stack: tuple[int, ...], budget: list[int]) -> Any:
    if isinstance(node, bool):
        return {} if node else {"not": {}}
    if not isinstance(node, dict):
        return node
    budget[0] -= 1
    own_id = node.get("$id")
    if isinstance(own_id, str) and not own_id.startswith("#"):
        base = urldefrag(urljoin(base, own_id))[0]
    out: dict[str, Any] = {}
    ref = node.get("$ref")
    if isinstance(ref, str):
        try:
            target, target_base = doc.lookup(ref, base)
        except Unresolvable:
            target = None
        if target is not None and id(target) not in stack and budget[0] > 0:
            resolved = _inline(doc, target, target_base, (*stack, id(target)), budget)
            out.update(resolved if isinstance(resolved, dict) else {})
    own = {k: v for k, v in node.items() if k not in ("$ref", *_DEF_KEYWORDS)}
    out.update(map_subschemas(own, lambda sub: _inline(doc, sub, base, stack, budget)))
    return out


def inline_schema(schema: Any, root: Any = None) -> Any:
    """``schema`` with every local ``$ref`` replaced by its target (merged with the ``$ref``'s own keywords,
    which win: a property's description beats the definition's) and ``$defs`` dropped.

    For shaping values and showing types, not for validation (validate against the original, which keeps
    its ``$defs``). ``root`` is the document the references point into (default: ``schema`` itself). A
    recursive reference met again inside its own expansion is left open as ``{}`` (accepts anything) plus
    the referring schema's own keywords, so a tree-shaped definition inlines to one level of itself; so is a
    reference that does not resolve, and any past a budget of 20,000 nodes.
    """
    doc = SchemaDocument(schema if root is None else root)
    base = doc.base_of(doc.root)
    return _inline(doc, schema, base, (), [_INLINE_BUDGET])


@lru_cache(maxsize=16384)
def _property_schemas(text: str) -> dict[str, dict[str, Any]]:
    parameters = json.loads(text)
    props = parameters.get("properties") if isinstance(parameters, dict) else None
    if not isinstance(props, dict):
        return {}
    if '"$ref"' not in text:
        return {k: (v if isinstance(v, dict) else {} if v else {"not": {}}) for k, v in props.items()}
    doc = SchemaDocument(parameters)
    base = doc.base_of(parameters)
    return {k: _inline(doc, v, base, (), [_INLINE_BUDGET]) for k, v in props.items()}


def _ordered_json(value: Any) -> str:
    """Compact JSON keeping key order: a memo key under which a schema reads back with its properties in order."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def property_schemas(parameters: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The top-level properties of an object schema with local ``$ref``s inlined (see ``inline_schema``).

    Memoised per schema text; the dicts returned are shared, so read them, never change them.
    """
    return _property_schemas(_ordered_json(parameters))


@lru_cache(maxsize=16384)
def _inlined(text: str) -> Any:
    return inline_schema(json.loads(text))


def inlined(schema: Any) -> Any:
    """``inline_schema(schema)`` memoised per schema text (shared result: read it, never change it)."""
    return _inlined(_ordered_json(schema))
