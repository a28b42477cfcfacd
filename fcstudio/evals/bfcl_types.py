"""Java and JavaScript argument values as BFCL reads them: source text turned into Python values.

BFCL's decoders hand Java/JS arguments over as source strings (``"5L"``, ``"new ArrayList<>(...)"``,
``"[1, 2]"``). Before comparing, the checker converts each by the parameter's declared type, and a
value that does not look like that type stays a string (and then usually fails the type check). These
rules are BFCL's, regular expressions and their blind spots included, because a score is only
comparable when it is computed the same way; see DEVELOPERS.md "BFCL semantics".
"""

from __future__ import annotations

import re
from typing import Any

JAVA_TYPES: dict[str, type] = {
    "byte": int,
    "short": int,
    "integer": int,
    "float": float,
    "double": float,
    "long": int,
    "boolean": bool,
    "char": str,
    "Array": list,
    "ArrayList": list,
    "Set": set,
    "HashMap": dict,
    "Hashtable": dict,
    "Queue": list,
    "Stack": list,
    "String": str,
    "any": str,
}

JS_TYPES: dict[str, type] = {
    "String": str,
    "integer": int,
    "float": float,
    "Bigint": int,
    "Boolean": bool,
    "dict": dict,
    "array": list,
    "any": str,
}

COLLECTION_TYPES = frozenset({"Array", "ArrayList", "array"})


class UnsupportedType(ValueError):
    """A declared type BFCL has no conversion for (Set, Hashtable, Queue, Stack, unknown names)."""


_INT = re.compile(r"-?\d+$")
_JAVA_FLOAT = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?[fF]$")
_JAVA_DOUBLE = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?$")
_JAVA_LONG = re.compile(r"-?\d+[lL]$")
_JS_FLOAT = re.compile(r"-?\d+(\.\d+)?$")
_JS_BIGINT = re.compile(r"-?\d+n$")
_AS_LIST = re.compile(r"new\s+ArrayList<\w*>\(Arrays\.asList\((.+?)\)\)")
_ADD_BLOCK = re.compile(r"new\s+ArrayList<\w*>\(\)\s*\{\{\s*(.+?)\s*\}\}", re.DOTALL)
_ADD_CALL = re.compile(r"add\((.+?)\)")
_EMPTY_LIST = re.compile(r"new\s+ArrayList<\w*>\(\)")
_ARRAY = re.compile(r"new\s+\w+\[\]\s*\{(.*?)\}")
_MAP = re.compile(r"new\s+HashMap<.*?>\s*\(\)\s*\{\s*\{?\s*(.*?)\s*\}?\s*\}", re.DOTALL)
_MAP_PUT = re.compile(r"put\(\"(.*?)\",\s*(.*?)\)")
_EMPTY_MAP = re.compile(r"new\s+HashMap<.*?>\s*\(\)")
_JS_2D = re.compile(r"\[\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\]|\bnew\s+Array\(\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\)")
_JS_1D = re.compile(r"\[(.*?)\]|\bnew\s+Array\((.*?)\)")
_JS_INNER = re.compile(r"\[(.*?)\]")
_JS_OBJECT = re.compile(r"\{(.*?)\}")
_JS_PAIR = re.compile(r"([^:]+):\s*(.*?)(?:,\s*(?=[^,]+:)|$)")


# -- Java ------------------------------------------------------------------------------------------
def java_value(text: str, declared: str, item_type: str | None = None) -> Any:
    """``text`` as the Python value BFCL compares for a Java parameter of type ``declared``."""
    if declared in ("byte", "short", "integer"):
        return int(text) if _INT.match(text) else text
    if declared == "float":
        return float(text[:-1]) if _JAVA_FLOAT.match(text) else text
    if declared == "double":
        return float(text) if _JAVA_DOUBLE.match(text) else text
    if declared == "long":
        return int(text[:-1]) if _JAVA_LONG.match(text) else text
    if declared == "boolean":
        return text == "true" if text in ("true", "false") else text
    if declared in ("char", "String", "any"):
        # BFCL's char pattern can never match, so a char keeps its source text (quotes included).
        return text
    if declared == "ArrayList":
        return _java_arraylist(text, item_type)
    if declared == "Array":
        return _java_array(text, item_type)
    if declared == "HashMap":
        return _java_hashmap(text)
    raise UnsupportedType(f"BFCL has no conversion for Java type {declared!r}")


def _java_element(text: str, item_type: str | None) -> Any:
    if item_type in ("char", "String"):
        return text[1:-1]
    return java_value(text, item_type) if item_type else java_literal(text)


def _java_arraylist(text: str, item_type: str | None) -> Any:
    m = _AS_LIST.search(text)
    if m:
        return [_java_element(part.strip(), item_type) for part in m.group(1).split(",")]
    m = _ADD_BLOCK.search(text)
    if m:
        return [_java_element(part.strip(), item_type) for part in _ADD_CALL.findall(m.group(1))]
    if _EMPTY_LIST.search(text):
        return []
    return text


def _java_array(text: str, item_type: str | None) -> Any:
    m = _ARRAY.search(text)
    if not m:
        return text
    parts = [p.strip() for p in m.group(1).split(",") if p.strip()]
    if item_type:
        return [java_value(p, item_type) for p in parts]
    return [java_literal(p) for p in parts]


def _java_hashmap(text: str) -> Any:
    m = _MAP.search(text)
    if m:
        body = m.group(1)
        if not body.strip():
            return {}
        return {key: java_literal(value.strip()) for key, value in _MAP_PUT.findall(body)}
    if _EMPTY_MAP.search(text):
        return {}
    return text


def java_literal(text: str) -> Any:
    """A Java literal of unknown type: boolean, "string", 5L, 1.5f, number, else the text."""
    if text == "true":
        return True
    if text == "false":
        return False
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    if _JAVA_LONG.match(text):
        return int(text[:-1])
    if _JAVA_FLOAT.match(text):
        return float(text[:-1])
    return _number_or_text(text)


def _number_or_text(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


# -- JavaScript ------------------------------------------------------------------------------------
def js_value(text: str, declared: str, item_type: str | None = None) -> Any:
    """``text`` as the Python value BFCL compares for a JavaScript parameter of type ``declared``."""
    if declared == "String":
        quoted = (text.startswith('"') and text.endswith('"')) or (text.startswith("'") and text.endswith("'"))
        return text[1:-1] if quoted else text
    if declared == "integer":
        return int(text) if _INT.match(text) else text
    if declared == "float":
        return float(text) if _JS_FLOAT.match(text) else text
    if declared == "Bigint":
        return int(text[:-1]) if _JS_BIGINT.match(text) else text
    if declared == "Boolean":
        return text == "true" if text in ("true", "false") else text
    if declared == "dict":
        return _js_object(text.strip())
    if declared == "array":
        return _js_array(text.strip(), item_type)
    if declared == "any":
        return text
    raise UnsupportedType(f"BFCL has no conversion for JavaScript type {declared!r}")


def _js_array(code: str, item_type: str | None) -> Any:
    try:
        m = _JS_2D.match(code)
        if m:
            rows = []
            for i, inner in enumerate(_JS_INNER.findall(m.group(0))):
                inner = inner.strip()
                if i == 0 and inner.startswith("["):
                    inner = inner[1:]
                rows.append([js_literal(e.strip()) for e in inner.split(",")])
            return rows
        m = _JS_1D.match(code)
        if not m:
            return code
        body = m.group(1) if m.group(1) is not None else m.group(2)
        body = (body or "").strip()
        parts = body.split(",") if body else []
        if item_type:
            return [js_value(p.strip(), item_type) for p in parts]
        return [js_literal(p.strip()) for p in parts]
    except (ValueError, IndexError, AttributeError):
        # BFCL falls back to the source text whenever an element cannot be converted.
        return code


def _js_object(code: str) -> Any:
    if code == "{}":
        return {}
    m = _JS_OBJECT.match(code)
    if not m:
        return code
    out: dict[str, Any] = {}
    for key, value in _JS_PAIR.findall(m.group(1)):
        key = key.strip().strip("'\"")
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            out[key] = _js_array(value, None)
        elif value.startswith("{") and value.endswith("}"):
            out[key] = _js_object(value)
        else:
            out[key] = js_literal(value.strip("'\""))
    return out


def js_literal(text: str) -> Any:
    """A JavaScript literal of unknown type: boolean, quoted string, number, else the text."""
    text = text.strip()
    if text == "true":
        return True
    if text == "false":
        return False
    if len(text) >= 1 and ((text[0] == text[-1] == '"') or (text[0] == text[-1] == "'")):
        return text[1:-1]
    return _number_or_text(text)
