"""The domains' ``calculate`` tool, evaluated without ``eval`` but with the results and errors of tau2's.

tau2 filters the expression to ``0123456789+-*/(). `` and then calls Python's ``eval``; what those
characters can spell is numbers, ``+ - * / // **``, unary signs, parentheses, ``()``, ``...`` and calls such
as ``2(3)``. Each of those is interpreted here with Python's own operators, so a result, a
``ZeroDivisionError``, a ``SyntaxError`` or a ``TypeError`` (``'int' object is not callable``) says what
tau2's says (``tests/fixtures/tau2_reference_outputs.json`` holds its outputs).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

from fcstudio.envs.base import DomainError

_OPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_MAX_POWER_BITS = 100_000  # tau2 would compute 9 ** 9 ** 9 for minutes; float() of it fails anyway


def _power(base: Any, exponent: Any) -> Any:
    if (
        isinstance(base, int)
        and isinstance(exponent, int)
        and exponent > 0
        and abs(base) > 1
        and exponent * abs(base).bit_length() > _MAX_POWER_BITS
    ):
        raise OverflowError("int too large to convert to float")  # what float() of the result raises
    return operator.pow(base, exponent)


def _eval(node: ast.AST) -> Any:
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant) and (
        node.value is Ellipsis or (isinstance(node.value, (int, float)) and not isinstance(node.value, bool))
    ):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _eval(node.left), _eval(node.right)
        return _power(left, right) if isinstance(node.op, ast.Pow) else _OPS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.Tuple) and not node.elts:
        return ()
    if isinstance(node, ast.Call) and not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args):
        func, args = _eval(node.func), [_eval(a) for a in node.args]
        return func(*args)  # a number or () is never callable: Python's TypeError, as tau2 gives
    raise DomainError("Invalid characters in expression")


def calculate_expression(expression: str) -> str:
    """The result rounded to 2 decimals, as text (tau2's wording for errors)."""
    if not all(ch in "0123456789+-*/(). " for ch in expression):
        raise DomainError("Invalid characters in expression")
    try:
        tree = ast.parse(expression, filename="<string>", mode="eval")
    except SyntaxError as exc:
        raise DomainError(str(exc)) from None
    return str(round(float(_eval(tree)), 2))
