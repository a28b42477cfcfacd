"""BFCL's AST checker for the single-turn categories, with BFCL's own semantics.

A case is the function docs offered, the gold ``possible_answer`` (per call ``{name: {param: [allowed
values]}}``, ``""`` among the allowed values marking an optional parameter) and the model's decoded
output (``[{name: {param: value}}]``). The rules, learnt from the ``bfcl-eval`` package and kept
exactly so that a score here equals a score there:

- types are exact (``True`` is not an integer); Python accepts an int for a float; a value of the
  type the gold answers have instead of the declared one is a *variable* and compared verbatim;
- strings compare after dropping `` ,./-_*^``, lower-casing and turning ``'`` into ``"``; so do the
  string items of lists and the string values of dicts;
- lists and tuples are compared whole, with one level of element type checking;
- a parameter that the gold lists must be given unless ``""`` is among its values; any parameter
  the gold does not list is unexpected;
- ``parallel`` categories match calls in any order; ``multiple`` picks one of several functions;
- Java and JavaScript values are source text converted by the declared type (``bfcl_types``);
- relevance categories pass when the model calls something, irrelevance ones when it calls nothing.

Function names are compared verbatim (as for a model whose names keep their dots). The ``error``
codes are BFCL's ``error_type`` values, e.g. ``value_error:string``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fcstudio.catalog.formats.bfcl import language_of
from fcstudio.evals.bfcl_types import COLLECTION_TYPES, JAVA_TYPES, JS_TYPES, UnsupportedType, java_value, js_value

PYTHON_TYPES: dict[str, type] = {
    "string": str,
    "integer": int,
    "float": float,
    "boolean": bool,
    "array": list,
    "tuple": list,
    "dict": dict,
    "any": str,
}
PYTHON_COLLECTIONS = frozenset({"array", "tuple"})
LANGUAGES = ("python", "java", "javascript")

# str.translate table for BFCL's string normalisation: drop " ,./-_*^", single quote -> double quote.
_NORMALISE = str.maketrans({**{c: None for c in " ,./-_*^"}, "'": '"'})


@dataclass(frozen=True, slots=True)
class Verdict:
    valid: bool
    error: str | None = None  # BFCL's error_type
    detail: str = ""


VALID = Verdict(True)


def fail(error: str, detail: str) -> Verdict:
    return Verdict(False, error, detail)


def normalise(text: str) -> str:
    """BFCL's string comparison key ("April 1, 2024" and "april 1 2024" are the same answer)."""
    return text.translate(_NORMALISE).lower()


def is_relevance(category: str) -> bool:
    return "relevance" in category  # also matches irrelevance


def is_call_list(output: Any) -> bool:
    """``[{name: {arg: value}}, ...]``: every item one function name mapped to an argument object."""
    if type(output) is not list:
        return False
    for item in output:
        if type(item) is not dict or len(item) != 1 or type(next(iter(item.values()))) is not dict:
            return False
    return True


def is_empty_call_list(output: Any) -> bool:
    return not is_call_list(output) or len(output) == 0 or (len(output) == 1 and len(output[0]) == 0)


# -- checking ---------------------------------------------------------------------------------------
def check(
    functions: list[dict[str, Any]],
    possible_answer: list[dict[str, Any]] | None,
    model_output: Any,
    category: str,
    language: str | None = None,
) -> Verdict:
    """One case, as BFCL's evaluator scores it."""
    if is_relevance(category):
        called = not is_empty_call_list(model_output)
        if "irrelevance" in category:
            return fail("irrelevance_error:decoder_success", "the model called a function") if called else VALID
        return VALID if called else fail("relevance_error:decoder_failed", "the model called no function")
    if model_output is None:
        return fail("ast_decoder:decoder_failed", "the model output could not be decoded into calls")
    if not is_call_list(model_output):
        return fail("ast_decoder:decoder_wrong_output_format", "the output is not a list of {function: {args}}")
    language = (language or language_of(category)).lower()
    if language == "js":
        language = "javascript"
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")
    answers = possible_answer or []
    try:
        if "parallel" in category:
            return _parallel(functions, model_output, answers, language)
        if "multiple" in category:
            if len(model_output) != len(answers):
                return fail("multiple_function_checker:wrong_count", "wrong number of functions")
            return _call(_describe(functions, answers[0]), model_output[0], answers[0], language)
        if len(model_output) != 1:
            return fail("simple_function_checker:wrong_count", "wrong number of functions")
        return _call(functions[0] if functions else None, model_output[0], answers[0] if answers else {}, language)
    except UnsupportedType as exc:
        return fail(f"type_error:{'js' if language == 'javascript' else language}", str(exc))


def _describe(functions: list[dict[str, Any]] | dict[str, Any], answer: dict[str, Any]) -> dict[str, Any] | None:
    if isinstance(functions, dict):
        return functions
    name = next(iter(answer), None)
    return next((f for f in functions if f.get("name") == name), None)


def _parallel(
    functions: list[dict[str, Any]], output: list[Any], answers: list[dict[str, Any]], language: str
) -> Verdict:
    """Each gold call must match a distinct model call, in any order (first match wins, as in BFCL)."""
    if len(output) != len(answers):
        return fail("parallel_function_checker_no_order:wrong_count", "wrong number of functions")
    used: set[int] = set()
    for i, answer in enumerate(answers):
        doc = _describe(functions, answer)
        last = VALID
        for j, call in enumerate(output):
            if j in used:
                continue
            last = _call(doc, call, answer, language)
            if last.valid:
                used.add(j)
                break
        if not last.valid:
            return fail(
                "parallel_function_checker_no_order:cannot_find_match",
                f"no model call matches gold call {i} ({next(iter(answer), '?')}): {last.detail}",
            )
    return VALID


def _call(doc: dict[str, Any] | None, call: dict[str, Any], answer: dict[str, Any], language: str) -> Verdict:
    """One model call against one gold call: name, required, each argument's type and value, optionals."""
    if doc is None:
        return fail("simple_function_checker:wrong_func_name", "the gold answer names a function that was not offered")
    allowed_by_param: dict[str, list[Any]] = next(iter(answer.values()), {}) if answer else {}
    name = doc["name"]
    if name not in call:
        return fail("simple_function_checker:wrong_func_name", f"function {name!r} not found in the model output")
    params = call[name]
    schema = doc.get("parameters") or {}
    declared = schema.get("properties") or {}
    for required in schema.get("required") or []:
        if required not in params:
            return fail("simple_function_checker:missing_required", f"missing required parameter {required!r}")
    for param, value in params.items():
        if param not in declared or param not in allowed_by_param:
            return fail("simple_function_checker:unexpected_param", f"unexpected parameter {param!r}")
        verdict = _argument(param, value, declared[param], allowed_by_param[param], language)
        if not verdict.valid:
            return verdict
    for param, allowed in allowed_by_param.items():
        if param not in params and "" not in allowed:
            return fail("simple_function_checker:missing_optional", f"parameter {param!r} not given and not optional")
    return VALID


def _argument(param: str, value: Any, spec: dict[str, Any], allowed: list[Any], language: str) -> Verdict:
    type_name = spec.get("type")
    item_type = None
    if language == "python":
        if not isinstance(type_name, str) or type_name not in PYTHON_TYPES:
            raise UnsupportedType(f"BFCL has no Python type {type_name!r} (parameter {param!r})")
        expected = PYTHON_TYPES[type_name]
        if type_name in PYTHON_COLLECTIONS:
            item_name = _declared_type(spec.get("items"))
            item_type = PYTHON_TYPES.get(item_name) if item_name is not None else None
    else:
        table = JAVA_TYPES if language == "java" else JS_TYPES
        if not isinstance(type_name, str) or type_name not in table:
            raise UnsupportedType(f"BFCL has no {language} type {type_name!r} (parameter {param!r})")
        expected = table[type_name]
        if type(value) is not str:
            code = "type_error:java" if language == "java" else "type_error:js"
            return fail(code, f"parameter {param!r} must be given as source text, got {type(value).__name__}")
        convert = java_value if language == "java" else js_value
        if type_name in COLLECTION_TYPES:
            item_name = _declared_type(spec.get("items"))
            item_type = table.get(item_name) if item_name is not None else None
            value = convert(value, type_name, item_name)
        else:
            value = convert(value, type_name)
    if language == "python" and type_name == "float" and type(value) is int:
        value = float(value)
    verdict, is_variable = _type_check(param, value, allowed, type_name, expected, item_type)
    if not verdict.valid:
        return verdict
    if not is_variable:
        if expected is dict:
            return _dict_value(param, value, allowed)
        if expected is list and item_type is dict:
            return _list_of_dicts(param, value, allowed)
        if expected is str:
            return _string_value(param, value, allowed)
        if expected is list:
            return _list_value(param, value, allowed)
    if value not in allowed:
        return fail("value_error:others", f"invalid value for {param!r}: {value!r}; expected one of {allowed}")
    return VALID


def _declared_type(schema: Any) -> str | None:
    """The type name a parameter's ``items`` declares; a missing or non-text ``type`` declares none."""
    declared = (schema or {}).get("type")
    return declared if isinstance(declared, str) else None


def _answer_type(allowed: list[Any]) -> type | None:
    for answer in allowed:
        if answer != "":
            return type(answer)
    return None


def _type_check(
    param: str, value: Any, allowed: Any, type_name: Any, expected: type[Any], item_type: type | None
) -> tuple[Verdict, bool]:
    """(verdict, is_variable). A value of the gold answers' type, where that differs from the declared
    type, is a variable reference and passes; list items are checked one level deep."""
    answer_type = _answer_type(allowed)
    is_variable = answer_type is not None and answer_type is not expected
    if type(value) is expected:
        if item_type is None:
            return VALID, is_variable
        for candidate in allowed:
            if type(candidate) is not list or all(
                _type_check(param, item, candidate, item_type.__name__, item_type, None)[0].valid for item in value
            ):
                return VALID, is_variable
        nested = fail(
            "type_error:nested",
            f"nested type check failed for {param!r}: expected {type_name} of {item_type.__name__}, got {value!r}",
        )
        if answer_type is not None and type(value) is answer_type:
            return nested, True
    elif answer_type is not None and type(value) is answer_type:
        return VALID, True
    return (
        fail("type_error:simple", f"incorrect type for {param!r}: expected {type_name}, got {type(value).__name__}"),
        is_variable,
    )


def _std(value: Any) -> Any:
    return normalise(value) if type(value) is str else value


def _string_value(param: str, value: str, allowed: list[Any]) -> Verdict:
    if normalise(value) in [normalise(a) for a in allowed if type(a) is str]:
        return VALID
    return fail("value_error:string", f"invalid value for {param!r}: {value!r}; expected one of {allowed}")


def _list_value(param: str, value: list[Any], allowed: list[Any]) -> Verdict:
    candidates = []
    for answer in allowed:
        try:
            candidates.append([_std(x) for x in answer])
        except TypeError:  # a scalar among list answers cannot equal a list
            continue
    if [_std(x) for x in value] in candidates:
        return VALID
    return fail("value_error:list/tuple", f"invalid value for {param!r}: {value!r}; expected one of {allowed}")


def _dict_value(param: str, value: dict[str, Any], allowed: list[Any]) -> Verdict:
    """Some allowed dict must list every given key, accept each value, and have its required keys given."""
    last = fail("dict_checker:unclear", f"no allowed value for {param!r}")
    for candidate in allowed:
        if candidate == "":
            continue
        last = fail("dict_checker:unclear", f"no allowed value for {param!r}")
        ok = True
        if type(candidate) is not dict:
            ok = False
        else:
            for key, item in value.items():
                if key not in candidate:
                    last, ok = fail("value_error:dict_key", f"unexpected key {key!r} in {param!r}"), False
                    break
                if _std(item) not in [_std(x) for x in candidate[key]]:
                    last = fail("value_error:dict_value", f"invalid value for key {key!r} in {param!r}: {item!r}")
                    ok = False
                    break
            for key, options in candidate.items():
                if key not in value and "" not in options:
                    last, ok = fail("value_error:dict_key", f"missing key {key!r} in {param!r}"), False
                    break
        if ok:
            return VALID
    return last


def _list_of_dicts(param: str, value: list[Any], allowed: list[Any]) -> Verdict:
    last = fail("list_dict_checker:unclear", f"no allowed value for {param!r}")
    for candidate in allowed:
        expected = candidate if isinstance(candidate, (list, str)) else []
        if len(value) != len(expected):
            last = fail("value_error:list_dict_count", f"wrong number of dictionaries in {param!r}")
            continue
        ok = True
        for item, gold in zip(value, expected, strict=True):
            last = (
                _dict_value(param, item, [gold])
                if type(item) is dict
                else fail("value_error:dict_value", f"{param!r} items must be objects")
            )
            if not last.valid:
                ok = False
                break
        if ok:
            return VALID
    return last
