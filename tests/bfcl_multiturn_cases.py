"""Multi-turn check cases built from real BFCL entries: the gold answer and perturbations of it.

Shared by the multi-turn tests, ``benchmarks/bfcl_multiturn.py`` and ``tools/make_bfcl_multiturn_reference.py``
(which records bfcl-eval's own results, states and verdicts on exactly these cases). Each case is
``{"id", "entry_id", "kind", "model_output"}``, ``model_output`` being the decoded model result: per turn,
a list of steps, each a list of call strings. The perturbations exercise both the checker (a dropped call,
a changed argument, an empty turn, a call in the wrong turn, a missing turn) and the API classes' error
paths (changed arguments, an unexpected keyword, a positional argument too many, an unknown function).
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import re
from typing import Any

from fcstudio.envs.bfcl.session import Session
from fcstudio.envs.bfcl.state import digest, plain

SEED = 13
KINDS = (
    "gold",
    "gold_steps",
    "drop_call",
    "change_arg",
    "change_arg_2",
    "empty_turn",
    "wrong_turn",
    "extra_call",
    "bad_keyword",
    "extra_positional",
    "unknown_function",
    "reversed_turn",
    "missing_turn",
)


def _mutate_value(node: ast.expr, rng: random.Random) -> ast.expr:
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            return ast.Constant(not v)
        if isinstance(v, int):
            return ast.Constant(rng.choice([v + 1, v - 1, 0, -v, v * 10]))
        if isinstance(v, float):
            return ast.Constant(rng.choice([v + 1.5, -v, 0.0, round(v * 3.7, 2)]))
        if isinstance(v, str):
            return ast.Constant(
                rng.choice([v + "_x", v.upper(), v[: max(0, len(v) // 2)], "", "nonexistent", v.replace(" ", "")])
            )
        if v is None:
            return ast.Constant("none")
    if isinstance(node, ast.List):
        if node.elts and rng.random() < 0.5:
            return ast.List(node.elts[:-1], ast.Load())
        return ast.List([*node.elts, ast.Constant("extra")], ast.Load())
    if isinstance(node, ast.UnaryOp):  # a negative number
        return ast.Constant(0)
    return ast.Constant("changed")


def change_argument(call: str, rng: random.Random) -> str:
    """The call with one argument's value changed (keyword or positional); unchanged if it has none."""
    try:
        tree = ast.parse(call, mode="eval")
    except SyntaxError:
        return call
    node = tree.body
    if not isinstance(node, ast.Call):
        return call
    slots = [("kw", i) for i in range(len(node.keywords))] + [("pos", i) for i in range(len(node.args))]
    if not slots:
        return call
    where, i = rng.choice(slots)
    if where == "kw":
        node.keywords[i].value = _mutate_value(node.keywords[i].value, rng)
    else:
        node.args[i] = _mutate_value(node.args[i], rng)
    return ast.unparse(tree)


def _with_keyword(call: str, name: str, value: Any) -> str:
    tree = ast.parse(call, mode="eval")
    assert isinstance(tree.body, ast.Call)
    tree.body.keywords.append(ast.keyword(arg=name, value=ast.Constant(value)))
    return ast.unparse(tree)


def _with_positional(call: str) -> str:
    tree = ast.parse(call, mode="eval")
    assert isinstance(tree.body, ast.Call)
    tree.body.args.append(ast.Constant("extra"))  # after the other positionals, before any keyword
    return ast.unparse(tree)


def one_step(gt: list[list[str]]) -> list[list[list[str]]]:
    return [[list(turn)] if turn else [] for turn in gt]


def _pick(gt: list[list[str]], rng: random.Random) -> tuple[int, int] | None:
    spots = [(t, c) for t, turn in enumerate(gt) for c in range(len(turn))]
    return rng.choice(spots) if spots else None


def variant(gt: list[list[str]], kind: str, rng: random.Random) -> list[list[list[str]]] | None:
    """One perturbation of the ground truth ``gt``; None when the entry has no room for it."""
    turns = [list(t) for t in gt]
    spot = _pick(gt, rng)
    if kind == "gold":
        return one_step(turns)
    if kind == "gold_steps":
        return [[[c] for c in turn] for turn in turns]
    if spot is None:
        return None
    t, c = spot
    if kind == "drop_call":
        del turns[t][c]
    elif kind in ("change_arg", "change_arg_2"):
        changed = change_argument(turns[t][c], rng)
        if changed == turns[t][c]:
            return None
        turns[t][c] = changed
    elif kind == "empty_turn":
        turns[t] = []
    elif kind == "wrong_turn":
        call = turns[t].pop(c)
        target = t + 1 if t + 1 < len(turns) else t - 1
        if target < 0:
            return None
        turns[target].insert(0, call)
    elif kind == "extra_call":
        turns[t].insert(c, rng.choice(turns[t]))
    elif kind == "bad_keyword":
        turns[t][c] = _with_keyword(turns[t][c], "unexpected_arg", 1)
    elif kind == "extra_positional":
        turns[t][c] = _with_positional(turns[t][c])
    elif kind == "unknown_function":
        turns[t].insert(c, "made_up_tool(value=1)")
    elif kind == "reversed_turn":
        if len(turns[t]) < 2:
            return None
        turns[t].reverse()
    elif kind == "missing_turn":
        return one_step(turns[:-1])
    else:
        raise ValueError(kind)
    return one_step(turns)


def cases_for(
    entries: list[dict[str, Any]], *, seed: int = SEED, kinds: tuple[str, ...] = KINDS
) -> list[dict[str, Any]]:
    """Every kind of case for every entry (where the entry has room for it), deterministic for ``seed``."""
    out = []
    for entry in entries:
        rng = random.Random(f"{seed}:{entry['id']}")
        for kind in kinds:
            output = variant(entry["ground_truth"], kind, rng)
            if output is not None:
                out.append(
                    {"id": f"{entry['id']}:{kind}", "entry_id": entry["id"], "kind": kind, "model_output": output}
                )
    return out


_SET_DISPLAY = re.compile(r"\{'[^'{}:]*'(?:, '[^'{}:]*')*\}")


def results_digest(results: list[str]) -> str:
    """A digest of a turn's results in which a printed set of strings (``{'economy', 'first', 'business'}``)
    counts in any order: its order follows the process's string hash seed, in bfcl-eval as in fcstudio."""
    text = json.dumps(
        [_SET_DISPLAY.sub(lambda m: "{" + ", ".join(sorted(m.group(0)[1:-1].split(", "))) + "}", r) for r in results]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def execute(entry: dict[str, Any], output: list[list[list[str]]]) -> list[dict[str, Any]]:
    """fcstudio's side of a case: per turn its results and each class's state (plain), steps run in order."""
    session = Session.for_entry(entry)
    out = []
    for steps in output:
        results: list[str] = []
        for step in steps:
            results.extend(session.execute(step))
        out.append({"results": results, "state": {k: plain(v) for k, v in session.state().items()}})
    return out


def turns_digests(turns: list[dict[str, Any]]) -> list[list[str]]:
    """Per turn ``[results digest, state digest]``: what the reference fixture keeps of each turn."""
    return [[results_digest(t["results"]), digest(t["state"])] for t in turns]
