"""Building OpenAI-style messages from chat datasets that spell calls and results their own way.

ShareGPT-style files (Glaive, ToolACE, APIGen-MT, Hermes) and LLaMA-Factory's content-part layout give a call
as a turn or a tag and its result as a later turn, without ids. ``Turns`` numbers the calls and gives each
result to the oldest call not yet answered, as those datasets mean it; a result with no call waiting is an
error naming the turn. ``tools_from`` reads the tool list such files carry (a list, or a JSON string of one).
"""

from __future__ import annotations

import ast
import json
from typing import Any

from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.formats.reader import Record
from fcstudio.catalog.formats.types import TypeMapper
from fcstudio.catalog.formats.xlam import convert_tool
from fcstudio.models import ToolSpec


class Turns:
    """The messages of one conversation, with call ids ``call_<ref>_<n>`` and results paired in call order."""

    def __init__(self, path: str, line: int | None, ref: Any):
        self.path, self.line, self.ref = path, line, str(ref)
        self.messages: list[dict[str, Any]] = []
        self._pending: list[str] = []
        self._n = 0

    @property
    def waiting(self) -> int:
        """How many calls still wait for their result."""
        return len(self._pending)

    def fail(self, reason: str) -> FormatError:
        return FormatError(self.path, reason, line=self.line, record=self.ref)

    def text(self, role: str, content: str | None, **extra: Any) -> None:
        self.messages.append({"role": role, "content": content, **extra})

    def tool_calls(self, calls: list[tuple[str, Any]]) -> list[dict[str, Any]]:
        """OpenAI tool_calls for these calls, numbered on; their results are expected next, in this order."""
        out = []
        for name, arguments in calls:
            call_id = f"call_{self.ref}_{self._n}"
            self._n += 1
            self._pending.append(call_id)
            text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
            out.append({"id": call_id, "type": "function", "function": {"name": name, "arguments": text}})
        return out

    def calls(self, calls: list[tuple[str, Any]], content: str | None = None, **extra: Any) -> None:
        """One assistant message with these calls (made in parallel)."""
        self.messages.append(
            {"role": "assistant", "content": content or None, "tool_calls": self.tool_calls(calls), **extra}
        )

    def result(self, content: str, where: str) -> None:
        """A tool result for the oldest call not yet answered."""
        if not self._pending:
            raise self.fail(f"{where}: a tool result, but no function call is waiting for one")
        self.messages.append({"role": "tool", "tool_call_id": self._pending.pop(0), "content": content})

    def results(self, content: str, where: str) -> None:
        """A result turn: split into one result per waiting call when it is a JSON list of exactly that many."""
        if len(self._pending) > 1:
            try:
                parts = json.loads(content)
            except (json.JSONDecodeError, TypeError):
                parts = None
            if isinstance(parts, list) and len(parts) == len(self._pending):
                for part in parts:
                    self.result(json.dumps(part, ensure_ascii=False), where)
                return
        self.result(content, where)


def parse_call(turns: Turns, raw: Any, where: str) -> tuple[str, Any]:
    """``{"name", "arguments"}`` (as an object, JSON text or a Python literal) as (name, arguments)."""
    value = loads_loose(raw) if isinstance(raw, str) else raw
    if not isinstance(value, dict) or not isinstance(value.get("name"), str) or not value["name"]:
        raise turns.fail(f"{where}: a function call must be an object with a string 'name' and 'arguments'")
    arguments = value.get("arguments", value.get("parameters", {}))
    if isinstance(arguments, str):
        decoded = loads_loose(arguments)
        arguments = decoded if isinstance(decoded, dict) else arguments
    if arguments is None:
        arguments = {}
    return value["name"], arguments


def loads_loose(text: str) -> Any:
    """JSON, else a Python literal (Hermes data writes calls as ``{'name': ...}``); None when neither."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def python_calls(text: str, spaced_names: bool = False) -> list[tuple[str, dict[str, Any]]] | None:
    """``[f(a=1), g(b="x")]`` (ToolACE's assistant turns) as calls; None when the text is not exactly that.

    With ``spaced_names``, a name may be any text without brackets, quotes, commas or ``=``: ToolACE names its
    tools as they are listed, ``[Market Trends API(trend_type="MARKET_INDEXES")]``."""
    stripped = text.strip()
    if not (stripped.startswith("[") and stripped.endswith("]") and "(" in stripped):
        return None
    names: list[str] | None = None
    if spaced_names:
        renamed = _rename_calls(stripped)
        if renamed is None:
            return None
        stripped, names = renamed
    try:
        tree = ast.parse(stripped, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    if not isinstance(tree.body, ast.List) or not tree.body.elts:
        return None
    calls = []
    for k, node in enumerate(tree.body.elts):
        if not isinstance(node, ast.Call) or node.args:
            return None
        name = _dotted(node.func) if names is None else names[k]
        if name is None:
            return None
        arguments = {}
        for kw in node.keywords:
            if kw.arg is None:
                return None
            try:
                arguments[kw.arg] = ast.literal_eval(kw.value)
            except (ValueError, SyntaxError):
                return None
        calls.append((name, arguments))
    return calls


NOT_IN_NAME = frozenset("[](){}'\",=\n")


def _rename_calls(text: str) -> tuple[str, list[str]] | None:
    """``[A b(x=1), C(y="(")]`` as ``[_0(x=1), _1(y="(")]`` and its names ``["A b", "C"]``; None unless every
    item of the list is a name followed by ``(``."""
    body, out = text[1:-1], ["["]
    names: list[str] = []
    i, depth, quote, expect_name = 0, 0, "", True
    while i < len(body):
        ch = body[i]
        if quote:
            out.append(body[i : i + 2] if ch == "\\" else ch)
            quote = "" if ch == quote else quote
            i += 2 if ch == "\\" else 1
            continue
        if expect_name and depth == 0 and not ch.isspace():
            end = body.find("(", i)
            name = body[i:end].strip() if end > i else ""
            if not name or NOT_IN_NAME.intersection(name):
                return None
            out.append(f"_{len(names)}(")
            names.append(name)
            i, depth, expect_name = end + 1, 1, False
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                return None
        elif ch == "," and depth == 0:
            expect_name = True
        out.append(ch)
        i += 1
    return "".join(out) + "]", names


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr}"
    return None


def tools_from(
    path: str, rec: Record, ref: Any, raw: Any, mapper: TypeMapper, fname: str, where: str = "tools"
) -> list[ToolSpec]:
    """A tool list as such files give it: a list or a JSON string of one, of OpenAI tool entries or bare
    ``{name, description, parameters}`` functions; loose type names (``dict``, ``float``) are mapped."""
    value = loads_loose(raw) if isinstance(raw, str) else raw
    if isinstance(raw, str) and not raw.strip():
        return []
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        value = [value]
    if not isinstance(value, list):
        raise FormatError(
            path, f"'{where}' must be a list of tools (or a JSON string of one)", line=rec.line, record=str(ref)
        )
    tools = []
    for i, entry in enumerate(value):
        fn = entry.get("function") if isinstance(entry, dict) and isinstance(entry.get("function"), dict) else entry
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise FormatError(
                path, f"{where}[{i}] must be a tool object with a string 'name'", line=rec.line, record=str(ref)
            )
        tools.append(convert_tool(path, rec.line, ref, fn, mapper, fname))
    return tools
