"""Check cases built from real BFCL data: the gold output, and perturbations with the error each must get.

Shared by the checker tests and ``benchmarks/eval_speed.py``.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from fcstudio.evals.bfcl_data import gold_output


def _simple_prefix(category: str) -> str:
    if "parallel" in category:
        return "parallel_function_checker_no_order"
    if "multiple" in category:
        return "multiple_function_checker"
    return "simple_function_checker"


def _python_string_param(case: dict[str, Any], output: list[dict[str, Any]]) -> tuple[int, str] | None:
    """A call index and a string parameter whose gold is a plain string (not a variable)."""
    docs = {f["name"]: f for f in case["functions"]}
    for i, call in enumerate(output):
        name, args = next(iter(call.items()))
        props = docs[name]["parameters"].get("properties", {})
        for param, value in args.items():
            if props.get(param, {}).get("type") == "string" and isinstance(value, str):
                return i, param
    return None


def _int_param(case: dict[str, Any], output: list[dict[str, Any]]) -> tuple[int, str] | None:
    docs = {f["name"]: f for f in case["functions"]}
    for i, call in enumerate(output):
        name, args = next(iter(call.items()))
        props = docs[name]["parameters"].get("properties", {})
        for param, value in args.items():
            if props.get(param, {}).get("type") == "integer" and type(value) is int:
                return i, param
    return None


def perturbations(case: dict[str, Any], rng: random.Random) -> list[tuple[str, Any, str | None]]:
    """``(name, model_output, expected_error)`` for one case; expected None means still valid."""
    category = case["category"]
    gold = gold_output(case)
    out: list[tuple[str, Any, str | None]] = [("gold", gold, None)]
    if "irrelevance" in category:
        name = case["functions"][0]["name"] if case["functions"] else "lookup"
        out.append(("calls_anyway", [{name: {"query": "x"}}], "irrelevance_error:decoder_success"))
        return out
    if "relevance" in category:
        out.append(("no_call", [], "relevance_error:decoder_failed"))
        return out
    prefix = _simple_prefix(category)
    parallel = "parallel" in category
    match_error = "parallel_function_checker_no_order:cannot_find_match"

    out.append(("not_a_call_list", "I cannot help with that.", "ast_decoder:decoder_wrong_output_format"))
    out.append(("one_call_too_many", [*gold, copy.deepcopy(gold[0])], f"{prefix}:wrong_count"))
    if parallel and len(gold) > 1:
        shuffled = gold[:]
        while shuffled == gold:
            rng.shuffle(shuffled)
        out.append(("shuffled", shuffled, None))

    renamed = copy.deepcopy(gold)
    name = next(iter(renamed[0]))
    renamed[0] = {name + "_v2": renamed[0][name]}
    out.append(("wrong_name", renamed, match_error if parallel else "simple_function_checker:wrong_func_name"))

    extra = copy.deepcopy(gold)
    next(iter(extra[0].values()))["zz_unexpected"] = "1"
    out.append(("extra_param", extra, match_error if parallel else "simple_function_checker:unexpected_param"))

    docs = {f["name"]: f for f in case["functions"]}
    required = docs[name]["parameters"].get("required") or []
    if required and required[0] in next(iter(gold[0].values())):
        dropped = copy.deepcopy(gold)
        del next(iter(dropped[0].values()))[required[0]]
        out.append(("drop_required", dropped, match_error if parallel else "simple_function_checker:missing_required"))

    if case["language"] == "python":
        where = _python_string_param(case, gold)
        if where:
            i, param = where
            changed = copy.deepcopy(gold)
            args = next(iter(changed[i].values()))
            args[param] = args[param] + " (not this)"
            out.append(("wrong_string", changed, match_error if parallel else "value_error:string"))
            spaced = copy.deepcopy(gold)
            args = next(iter(spaced[i].values()))
            args[param] = " " + args[param].upper().replace(" ", "  ") + "."
            out.append(("string_normalised", spaced, None))
        where = _int_param(case, gold)
        if where:
            i, param = where
            as_text = copy.deepcopy(gold)
            args = next(iter(as_text[i].values()))
            args[param] = str(args[param])
            out.append(("int_as_text", as_text, match_error if parallel else "type_error:simple"))
            off = copy.deepcopy(gold)
            args = next(iter(off[i].values()))
            args[param] = args[param] + 7919
            out.append(("wrong_int", off, match_error if parallel else "value_error:others"))
    return out


def sound(case: dict[str, Any]) -> bool:
    """Whether BFCL's gold can pass BFCL's own checker at all (a few BFCL answers cannot): every gold
    parameter is declared, every required parameter is in the gold, and no Java list typed ``any`` holds
    non-strings (BFCL compares such items as source text)."""
    docs = {f["name"]: f for f in case["functions"]}
    for call in case["possible_answer"]:
        name, params = next(iter(call.items()))
        doc = docs.get(name)
        if doc is None:
            return False
        props = doc["parameters"].get("properties", {})
        if any(p not in props for p in params):
            return False
        if any(r not in params or all(v == "" for v in params[r]) for r in doc["parameters"].get("required") or []):
            return False
        if case["language"] == "java":
            for p, allowed in params.items():
                if (props[p].get("items") or {}).get("type") == "any":
                    if any(isinstance(v, list) and any(not isinstance(x, str) for x in v) for v in allowed):
                        return False
    return True
