"""The domains' ``calculate`` tool: + - * / and parentheses over numbers, evaluated without ``eval``."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable

from fcstudio.envs.base import DomainError

_OPS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_UNARY: dict[type[ast.unaryop], Callable[[float], float]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}


def _eval(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval(node.left), _eval(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    raise DomainError("Invalid characters in expression")


def calculate_expression(expression: str) -> str:
    """The result rounded to 2 decimals, as text (tau2's wording for errors)."""
    if not all(ch in "0123456789+-*/(). " for ch in expression):
        raise DomainError("Invalid characters in expression")
    tree = ast.parse(expression, filename="<string>", mode="eval")
    return str(round(float(_eval(tree)), 2))
