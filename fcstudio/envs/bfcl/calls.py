"""Call strings such as ``cd(folder='document')`` parsed with ``ast`` and run on an environment's methods.

BFCL prefixes each method name with its instance and ``eval``s the string. fcstudio evaluates the parsed
expression itself, so a call string reaches the environment's tools and nothing else: literals (numbers,
strings, lists, tuples, dicts, sets, ``True``/``False``/``None``, signed and arithmetic constants), calls of
the environment's methods (nested ones too, evaluated innermost first, as Python would) and ``*``/``**``
unpacking. Anything else fails with the error Python's ``eval`` gives where that is unambiguous (an unknown
name: ``name 'x' is not defined``) and a plain refusal otherwise; BFCL would run builtins such as ``len``,
fcstudio refuses them.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Protocol

# BFCL refuses these names before evaluating (a guard against shell-like tools); so does fcstudio.
FORBIDDEN = frozenset({"kill", "exit", "quit", "remove", "unlink", "popen", "Popen", "run"})
_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}


class CallRefused(Exception):
    """A call string that is not a call of the environment's tools."""


def first_name(call: str) -> str:
    """The name BFCL checks against its forbidden list: the text before the first ``(`` (after a ``.``)."""
    head = call.split("(")[0]
    return head.split(".")[1] if "." in head else head


@lru_cache(maxsize=65536)
def parse(call: str) -> ast.expr:
    """The expression of a call string; raises SyntaxError with Python's own message. Cached: the evaluator
    never changes a tree, and the same call strings come back across checks and turns."""
    return ast.parse(call.strip(), filename="<string>", mode="eval").body


class Plan:
    """A parsed call string, ready to run: the tree, and for a call of one method whose arguments are all
    immutable literals (most calls), the method's name and its arguments already evaluated."""

    __slots__ = ("_args", "_kwargs", "name", "node", "simple")

    def __init__(self, node: ast.expr):
        self.node = node
        self.simple = False
        self.name = ""
        self._args: tuple[Any, ...] = ()
        self._kwargs: dict[str, Any] = {}
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            return
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            return
        try:
            args = tuple(_literal(a) for a in node.args)
            kwargs = {k.arg: _literal(k.value) for k in node.keywords if k.arg is not None}
        except _NotLiteral:
            return
        self.simple, self.name, self._args, self._kwargs = True, node.func.id, args, kwargs

    def args(self) -> tuple[Any, ...]:
        return self._args

    def kwargs(self) -> dict[str, Any]:
        return self._kwargs


class _NotLiteral(Exception):
    pass


def _literal(node: ast.expr) -> Any:
    """An immutable literal's value (a number, string, bool, None, a signed number, a tuple of those)."""
    if isinstance(node, ast.Constant) and (node.value is None or type(node.value) in (str, int, float, bool, bytes)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand)
        if type(value) in (int, float):
            return _UNARY[type(node.op)](value)
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e) for e in node.elts)
    raise _NotLiteral


@lru_cache(maxsize=65536)
def plan(call: str) -> Plan:
    """The call string parsed and checked (BFCL's forbidden names refused, a syntax error raised as Python
    words it), cached: the same call strings come back across turns, steps and checks."""
    name = first_name(call)
    if name in FORBIDDEN:
        raise CallRefused(f"Function call {name} is not allowed.")
    return Plan(parse(call))


class Methods(Protocol):
    def get(self, name: str) -> Callable[..., Any] | None: ...


def evaluate(node: ast.expr, methods: Methods | Mapping[str, Callable[..., Any]]) -> Any:
    """The value of a parsed call string, calling only ``methods`` (name -> bound method)."""
    return _Evaluator(methods).value(node)


class _Evaluator:
    def __init__(self, methods: Methods | Mapping[str, Callable[..., Any]]):
        self.methods = methods

    def value(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.List):
            return self.items(node.elts)
        if isinstance(node, ast.Tuple):
            return tuple(self.items(node.elts))
        if isinstance(node, ast.Set):
            return set(self.items(node.elts))
        if isinstance(node, ast.Dict):
            out: dict[Any, Any] = {}
            for key, val in zip(node.keys, node.values, strict=True):
                if key is None:  # {**other}
                    out.update(self.value(val))
                else:
                    out[self.value(key)] = self.value(val)
            return out
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](self.value(node.operand))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](self.value(node.left), self.value(node.right))
        if isinstance(node, ast.Name):
            raise NameError(f"name '{node.id}' is not defined")
        raise CallRefused(f"{type(node).__name__} expressions are not allowed in a call string")

    def items(self, elts: list[ast.expr]) -> list[Any]:
        out: list[Any] = []
        for elt in elts:
            if isinstance(elt, ast.Starred):
                out.extend(self.value(elt.value))
            else:
                out.append(self.value(elt))
        return out

    def call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name):
            raise CallRefused("only the environment's tools can be called, by name")
        method = self.methods.get(node.func.id)
        if method is None:
            raise NameError(f"name '{node.func.id}' is not defined")
        args = self.items(node.args)
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None:
                kwargs.update(self.value(kw.value))
            else:
                kwargs[kw.arg] = self.value(kw.value)
        return method(*args, **kwargs)
