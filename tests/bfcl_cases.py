"""Check cases built from real BFCL data: the gold output, and perturbations with the error each must get.

Shared by the checker tests, ``benchmarks/eval_speed.py`` and ``tools/make_bfcl_reference.py`` (which records
bfcl-eval's own verdicts on ``reference_outputs``: these perturbations, fuzzed arguments and a few made-up cases).
"""

from __future__ import annotations

import copy
import random
from typing import Any

from fcstudio.catalog.formats.bfcl import language_of
from fcstudio.evals.bfcl import normalise
from fcstudio.evals.bfcl_data import gold_output, render


def _simple_prefix(category: str) -> str:
    if "parallel" in category:
        return "parallel_function_checker_no_order"
    if "multiple" in category:
        return "multiple_function_checker"
    return "simple_function_checker"


STRING_TYPES = {"python": ("string",), "java": ("String", "any"), "javascript": ("String", "any")}
NUMBER_TYPES = {"python": ("integer", "float"), "java": ("byte", "short", "integer", "long", "float", "double")}
NUMBER_TYPES["javascript"] = ("integer", "float", "Bigint")
LIST_TYPES = ("array", "tuple", "Array", "ArrayList")
DICT_TYPES = ("dict", "HashMap")
# a value for a Python parameter whose only answer is "", and BFCL's error for it
ONLY_OPTIONAL = {
    "string": ("x", "value_error:string"),
    "integer": (1, "value_error:others"),
    "float": (1.5, "value_error:others"),
    "boolean": (True, "value_error:others"),
    "array": (["x"], "value_error:list/tuple"),
}


def _normalised(value: Any) -> Any:
    """``value`` with every string in BFCL's comparison form."""
    if isinstance(value, str):
        return normalise(value)
    if isinstance(value, dict):
        return {k: _normalised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalised(v) for v in value]
    return value


def _first(allowed: list[Any]) -> Any:
    """The gold value a perfect model gives (what ``gold_output`` renders), or None when all are optional."""
    return next((v for v in allowed if v != ""), None)


def _dict_gold(value: dict[str, Any]) -> dict[str, Any]:
    return {k: _first(opts) for k, opts in value.items() if _first(opts) is not None}


def _gold_params(case: dict[str, Any], gold: list[dict[str, Any]]) -> list[tuple[int, str, dict[str, Any], list[Any]]]:
    """``(call index, parameter, declared spec, allowed values)`` for every argument of the gold output."""
    docs = {f["name"]: f for f in case["functions"]}
    found = []
    for i, (call, answer) in enumerate(zip(gold, case["possible_answer"], strict=False)):
        name, args = next(iter(call.items()))
        props = (docs.get(name) or {}).get("parameters", {}).get("properties", {})
        allowed_by_param = next(iter(answer.values()))
        for param in args:
            if param in props and param in allowed_by_param:
                found.append((i, param, props[param], allowed_by_param[param]))
    return found


def _pick(
    case: dict[str, Any], gold: list[dict[str, Any]], test: Any
) -> tuple[int, str, dict[str, Any], list[Any]] | None:
    """The first gold argument for which ``test(spec, allowed, value)`` holds."""
    for i, param, spec, allowed in _gold_params(case, gold):
        if test(spec, allowed, _first(allowed)):
            return i, param, spec, allowed
    return None


def _with(gold: list[dict[str, Any]], i: int, param: str, value: Any = None, *, drop: bool = False) -> list[Any]:
    """A copy of ``gold`` with call ``i``'s ``param`` set to ``value`` (or dropped)."""
    out = copy.deepcopy(gold)
    args = next(iter(out[i].values()))
    if drop:
        del args[param]
    else:
        args[param] = value
    return out


def _required(docs: dict[str, Any], name: str) -> list[str]:
    return ((docs.get(name) or {}).get("parameters") or {}).get("required") or []


def _item_type(spec: dict[str, Any]) -> str | None:
    return (spec.get("items") or {}).get("type")


def _is_type(value: Any, *types: type) -> bool:
    return type(value) in types


def perturbations(case: dict[str, Any], rng: random.Random) -> list[tuple[str, Any, str | None]]:
    """``(name, model_output, expected_error)`` for one case; expected None means still valid.

    The expected errors are BFCL's (``tools/make_bfcl_reference.py`` records bfcl-eval's own verdicts on these
    outputs, and ``tests/test_bfcl.py`` holds fcstudio's checker to them). Model outputs are decoded calls;
    ``None`` stands for output that does not decode at all.
    """
    category = case["category"]
    gold = gold_output(case)
    out: list[tuple[str, Any, str | None]] = [("gold", gold, None)]
    if "irrelevance" in category:
        name = case["functions"][0]["name"] if case["functions"] else "lookup"
        out.append(("calls_anyway", [{name: {"query": "x"}}], "irrelevance_error:decoder_success"))
        out.append(("calls_without_arguments", [{name: {}}], "irrelevance_error:decoder_success"))
        # anything that is not a call counts as no call
        out += [("no_call", [], None), ("empty_call", [{}], None), ("text", "I cannot help.", None)]
        out.append(("undecodable", None, None))
        return out
    if "relevance" in category:
        out += [
            ("no_call", [], "relevance_error:decoder_failed"),
            ("empty_call", [{}], "relevance_error:decoder_failed"),
            ("text", "I cannot help.", "relevance_error:decoder_failed"),
            ("undecodable", None, "relevance_error:decoder_failed"),
            ("args_not_object", [{next(iter(gold[0])): "x"}], "relevance_error:decoder_failed"),
        ]
        return out
    prefix = _simple_prefix(category)
    parallel = "parallel" in category
    match_error = "parallel_function_checker_no_order:cannot_find_match"

    def per_call(error: str | None) -> str | None:
        """One call's error as the category reports it (a parallel case only says no call matched)."""
        return match_error if parallel and error is not None else error

    out.append(("undecodable", None, "ast_decoder:decoder_failed"))
    out.append(("not_a_call_list", "I cannot help with that.", "ast_decoder:decoder_wrong_output_format"))
    name = next(iter(gold[0]))
    out.append(("args_not_object", [{name: "x"}, *gold[1:]], "ast_decoder:decoder_wrong_output_format"))
    two = {name: {}, name + "_v2": {}}
    out.append(("two_names_in_one_call", [two, *gold[1:]], "ast_decoder:decoder_wrong_output_format"))
    out.append(("no_call", [], f"{prefix}:wrong_count"))
    out.append(("one_call_too_many", [*gold, copy.deepcopy(gold[0])], f"{prefix}:wrong_count"))
    if parallel and len(gold) > 1:
        shuffled = gold[:]
        while shuffled == gold:
            rng.shuffle(shuffled)
        out.append(("shuffled", shuffled, None))
        out.append(("one_call_too_few", gold[:-1], f"{prefix}:wrong_count"))
        if _normalised(gold[0]) != _normalised(gold[-1]):  # "AA" and "aa" are one answer to BFCL
            out.append(("duplicate_call", [*gold[:-1], copy.deepcopy(gold[0])], match_error))

    renamed = copy.deepcopy(gold)
    renamed[0] = {name + "_v2": renamed[0][name]}
    out.append(("wrong_name", renamed, per_call("simple_function_checker:wrong_func_name")))
    others = [f["name"] for f in case["functions"] if f["name"] != name]
    if "multiple" in category and others:
        swapped = copy.deepcopy(gold)
        swapped[0] = {others[0]: swapped[0][name]}
        out.append(("other_function", swapped, per_call("simple_function_checker:wrong_func_name")))

    docs = {f["name"]: f for f in case["functions"]}
    schema = (docs.get(name) or {}).get("parameters") or {}
    first_args = next(iter(gold[0].values()))
    extra = copy.deepcopy(gold)
    next(iter(extra[0].values()))["zz_unexpected"] = "1"
    out.append(("extra_param", extra, per_call("simple_function_checker:unexpected_param")))
    gold_params = next(iter(case["possible_answer"][0].values())) if case["possible_answer"] else {}
    not_in_gold = [p for p in schema.get("properties") or {} if p not in gold_params]
    if not_in_gold:
        out.append(
            (
                "declared_not_in_gold",
                _with(gold, 0, not_in_gold[0], "1"),
                per_call("simple_function_checker:unexpected_param"),
            )
        )
    required = schema.get("required") or []
    if required and required[0] in first_args:
        out.append(
            (
                "drop_required",
                _with(gold, 0, required[0], drop=True),
                per_call("simple_function_checker:missing_required"),
            )
        )
    for i, call in enumerate(gold):
        call_name, args = next(iter(call.items()))
        call_required = _required(docs, call_name)
        allowed_by_param = next(iter(case["possible_answer"][i].values()))
        needed = [p for p in args if p not in call_required and "" not in allowed_by_param.get(p, [""])]
        if needed:
            out.append(
                (
                    "drop_needed_optional",
                    _with(gold, i, needed[0], drop=True),
                    per_call("simple_function_checker:missing_optional"),
                )
            )
            break

    out += _value_perturbations(case, gold, per_call)
    return out


def _value_perturbations(
    case: dict[str, Any], gold: list[dict[str, Any]], per_call: Any
) -> list[tuple[str, Any, str | None]]:
    """Wrong types and values, one argument each, written as the case's language writes them."""
    language = case["language"]
    docs = {f["name"]: f for f in case["functions"]}
    out: list[tuple[str, Any, str | None]] = []

    def add(name: str, i: int, param: str, value: Any, error: str | None) -> None:
        out.append((name, _with(gold, i, param, value), per_call(error)))

    def rendered(i: int, param: str) -> Any:
        return next(iter(gold[i].values()))[param]

    def render_as(value: Any, spec: dict[str, Any]) -> Any:
        return render(value, spec, language)

    strings = STRING_TYPES[language]
    hit = _pick(case, gold, lambda spec, allowed, v: spec.get("type") in strings and _is_type(v, str) and v != "")
    if hit:
        i, param, _, _ = hit
        text = rendered(i, param)
        add("wrong_string", i, param, text + " (not this)", "value_error:string")
        add("string_normalised", i, param, " " + text.upper().replace(" ", "  ") + ".", None)

    numbers = NUMBER_TYPES[language]
    hit = _pick(case, gold, lambda spec, allowed, v: spec.get("type") in numbers and _is_type(v, int, float))
    if hit:
        i, param, spec, allowed = hit
        value = _first(allowed)
        if language == "python":
            add("number_as_text", i, param, str(value), "type_error:simple")
        else:
            add("number_as_word", i, param, "about " + str(value), "type_error:simple")
        add("wrong_number", i, param, render_as(value + 7919, spec), "value_error:others")
    if language == "python":
        hit = _pick(case, gold, lambda spec, allowed, v: spec.get("type") == "integer" and _is_type(v, int))
        if hit:
            add("bool_for_int", hit[0], hit[1], True, "type_error:simple")
        hit = _pick(
            case, gold, lambda spec, allowed, v: spec.get("type") == "float" and _is_type(v, float) and v.is_integer()
        )
        if hit:
            add("int_for_float", hit[0], hit[1], int(_first(hit[3])), None)  # Python takes an int for a float
    else:
        hit = _pick(case, gold, lambda spec, allowed, v: True)
        if hit:  # Java and JavaScript values must be source text
            add("value_not_text", hit[0], hit[1], 1, f"type_error:{'java' if language == 'java' else 'js'}")
        hit = _pick(case, gold, lambda spec, allowed, v: spec.get("type") == "long" and _is_type(v, int))
        if hit:
            add("long_without_suffix", hit[0], hit[1], str(_first(hit[3])), "type_error:simple")

    booleans = ("boolean", "Boolean")
    hit = _pick(case, gold, lambda spec, allowed, v: spec.get("type") in booleans and _is_type(v, bool))
    if hit:
        i, param, spec, allowed = hit
        flipped = not _first(allowed)
        both = any(type(a) is bool and a == flipped for a in allowed)
        add("bool_flipped", i, param, render_as(flipped, spec), None if both else "value_error:others")

    hit = _pick(
        case,
        gold,
        lambda spec, allowed, v: (
            isinstance(v, (str, int, float, bool, list))
            and not (isinstance(v, list) and any(isinstance(x, dict) for x in v))
            and any(type(a) is type(v) and a != v for a in allowed)
        ),
    )
    if hit:  # any allowed value will do, not only the first
        i, param, spec, allowed = hit
        other = [a for a in allowed if type(a) is type(_first(allowed)) and a != _first(allowed)][-1]
        add("other_allowed_value", i, param, render_as(other, spec), None)
    for i, param, _, allowed in _gold_params(case, gold):
        call_name = next(iter(gold[i]))
        if "" in allowed and param not in _required(docs, call_name):  # an optional argument may be left out
            out.append(("drop_optional", _with(gold, i, param, drop=True), None))
            break
    if language == "python":
        for i, call in enumerate(gold):
            call_name, args = next(iter(call.items()))
            props = (docs.get(call_name) or {}).get("parameters", {}).get("properties", {})
            allowed_by_param = next(iter(case["possible_answer"][i].values()))
            unset = [
                p
                for p, allowed in allowed_by_param.items()
                if p not in args
                and p in props
                and props[p].get("type") in ONLY_OPTIONAL
                and all(a == "" for a in allowed)
            ]
            if unset:  # a parameter whose only answer is "" must be left out: no value equals ""
                value, error = ONLY_OPTIONAL[props[unset[0]]["type"]]
                if _item_type(props[unset[0]]) == "dict":  # a list of dicts is counted before it is compared
                    error = "value_error:list_dict_count"
                add("only_optional_given", i, unset[0], value, error)
                break

    _list_perturbations(case, gold, add, render_as)
    _dict_perturbations(case, gold, add, render_as)
    return out


def _changed_item(item: Any) -> Any:
    return item + " extra" if isinstance(item, str) else item + 7919


def _list_perturbations(case: dict[str, Any], gold: list[dict[str, Any]], add: Any, render_as: Any) -> None:
    scalars = {"string": str, "String": str, "integer": int, "float": float, "long": int}
    scalar_list = _pick(
        case,
        gold,
        lambda spec, allowed, v: (
            spec.get("type") in LIST_TYPES
            and _item_type(spec) in scalars
            and _is_type(v, list)
            and len(v) > 0
            and all(_is_type(x, scalars[_item_type(spec)]) for x in v)
        ),
    )
    if scalar_list:
        i, param, spec, allowed = scalar_list
        value = _first(allowed)
        add("list_item_added", i, param, render_as([*value, _changed_item(value[-1])], spec), "value_error:list/tuple")
        key = [normalise(x) if isinstance(x, str) else x for x in reversed(value)]
        candidates = [[normalise(x) if isinstance(x, str) else x for x in a] for a in allowed if isinstance(a, list)]
        if len(value) > 1 and key not in candidates:
            add("list_reversed", i, param, render_as(value[::-1], spec), "value_error:list/tuple")
        if case["language"] == "python":
            # one level of item types is checked, against each list answer; a non-list answer ("" for an
            # optional list) passes that check, and the value check then reports the difference
            lenient = any(not isinstance(a, list) for a in allowed)
            wrong = 12345 if _item_type(spec) == "string" else "x"
            add(
                "list_item_wrong_type",
                i,
                param,
                [wrong, *value[1:]],
                "value_error:list/tuple" if lenient else "type_error:nested",
            )
            if _item_type(spec) == "float" and all(x.is_integer() for x in value):
                # an int is not a float inside a list (no Python widening there), but [1, 2] == [1.0, 2.0]
                add("list_ints_for_floats", i, param, [int(x) for x in value], None if lenient else "type_error:nested")
    dict_list = _pick(
        case,
        gold,
        lambda spec, allowed, v: (
            spec.get("type") == "array"
            and _item_type(spec) == "dict"
            and sum(isinstance(a, list) for a in allowed) == 1
            and _is_type(v, list)
            and len(v) > 0
            and all(_is_type(x, dict) for x in v)
        ),
    )
    if dict_list and case["language"] == "python":
        i, param, spec, allowed = dict_list
        value = [_dict_gold(d) for d in _first(allowed)]
        add("list_of_dicts_one_more", i, param, [*value, copy.deepcopy(value[-1])], "value_error:list_dict_count")
        changed = _changed_dict(value[0])
        if changed is not None:
            # each list answer is tried in turn and the last one's error is reported ("" has no dicts)
            last = allowed[-1]
            error = (
                "value_error:dict_value"
                if isinstance(last, list) and len(last) == len(value)
                else "value_error:list_dict_count"
            )
            add("list_of_dicts_wrong_value", i, param, [changed, *value[1:]], error)


def _changed_dict(value: dict[str, Any]) -> dict[str, Any] | None:
    """``value`` with its first string or number changed, or None when it has neither."""
    for key, item in value.items():
        if isinstance(item, str) or (isinstance(item, (int, float)) and not isinstance(item, bool)):
            return {**value, key: _changed_item(item)}
    return None


def _dict_perturbations(case: dict[str, Any], gold: list[dict[str, Any]], add: Any, render_as: Any) -> None:
    hit = _pick(
        case,
        gold,
        lambda spec, allowed, v: (
            spec.get("type") in DICT_TYPES
            and sum(isinstance(a, dict) for a in allowed) == 1
            and _is_type(v, dict)
            and len(v) > 0
        ),
    )
    if not hit:
        return
    i, param, spec, allowed = hit
    answer = _first(allowed)
    value = _dict_gold(answer)
    add("dict_extra_key", i, param, render_as({**value, "zz_unexpected": "1"}, spec), "value_error:dict_key")
    changed = _changed_dict(value)
    if changed is not None:
        add("dict_wrong_value", i, param, render_as(changed, spec), "value_error:dict_value")
    needed = [k for k in value if "" not in answer[k]]
    if needed:
        dropped = {k: v for k, v in value.items() if k != needed[0]}
        add("dict_missing_key", i, param, render_as(dropped, spec), "value_error:dict_key")


# Values a fuzzed argument takes: Python values for Python, source text (and one non-text value) otherwise.
PYTHON_FUZZ: list[Any] = [0, -1, 2.5, 3.0, True, False, "", "x", "1", [], ["x"], [1, "a"], [[1]], {}, {"k": "v"}, None]
SOURCE_FUZZ: list[Any] = [
    *("", "x", "null", "1", "-7", "1L", "2.5", "2.5f", "1e3", "7n", "true", "True", '"x"', "'x'"),
    *("new ArrayList<>()", 'new ArrayList<>(Arrays.asList("a", "b"))', 'new ArrayList<String>() {{ add("a"); }}'),
    *("new int[]{1, 2}", "new String[]{}", 'new HashMap<String, String>() {{ put("k", "v"); }}', "new HashMap<>()"),
    *("[1, 2]", "['a', 'b']", "[[1, 2], [3]]", "new Array(1, 2)", "{}", "{a: 1, b: 'x'}", "{a: [1, 2]}", "{a: {b: 1}}"),
    1,
]


def fuzzed(case: dict[str, Any], rng: random.Random, count: int = 2) -> list[tuple[str, Any]]:
    """``(name, model_output)``: the gold output with one argument set to a random value, ``count`` times.

    No expected error: these only ever meet bfcl-eval's own verdict (``tools/make_bfcl_reference.py``)."""
    if "relevance" in case["category"]:
        return []
    gold = gold_output(case)
    params = _gold_params(case, gold)
    if not params:
        return []
    pool = PYTHON_FUZZ if case["language"] == "python" else SOURCE_FUZZ
    out = []
    for n in range(count):
        i, param, _, _ = rng.choice(params)
        out.append((f"fuzz_{n}", _with(gold, i, param, copy.deepcopy(rng.choice(pool)))))
    return out


def _doc(name: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"name": name, "parameters": {"type": "dict", "properties": properties, "required": required}}


def synthetic_cases() -> list[tuple[dict[str, Any], list[tuple[str, Any]]]]:
    """Cases the BFCL data cannot produce, for rules its answers never reach: ``(case, [(name, output)])``.

    A dict whose only answer is "" (``dict_checker:unclear``), a list with no answer at all (the nested type
    check then reports ``type_error:simple``), a variable standing for a number (compared verbatim), Python
    ``any``, JavaScript ``Bigint`` and nested arrays, Java ``char`` and ``double``."""
    py = "simple_python"
    cases: list[tuple[dict[str, Any], list[tuple[str, Any]]]] = [
        (
            {
                "id": "synthetic_dict_only_optional",
                "functions": [_doc("f", {"a": {"type": "integer"}, "d": {"type": "dict"}}, ["a"])],
                "possible_answer": [{"f": {"a": [1], "d": [""]}}],
            },
            [("gold", [{"f": {"a": 1}}]), ("dict_given", [{"f": {"a": 1, "d": {"k": "v"}}}])],
        ),
        (
            {
                "id": "synthetic_list_no_answer",
                "functions": [_doc("f", {"rows": {"type": "array", "items": {"type": "dict"}}}, [])],
                "possible_answer": [{"f": {"rows": []}}],
            },
            [("rows_given", [{"f": {"rows": [{"k": "v"}]}}]), ("no_rows", [{"f": {"rows": []}}])],
        ),
        (
            {
                "id": "synthetic_variable_for_number",
                "functions": [_doc("f", {"n": {"type": "integer"}, "x": {"type": "any"}}, ["n"])],
                "possible_answer": [{"f": {"n": ["count"], "x": ["Anything", ""]}}],
            },
            [
                ("variable", [{"f": {"n": "count"}}]),
                ("variable_other_case", [{"f": {"n": "COUNT"}}]),
                ("number", [{"f": {"n": 5}}]),
                ("any_text", [{"f": {"n": "count", "x": "anything"}}]),
                ("any_number", [{"f": {"n": "count", "x": 5}}]),
            ],
        ),
        (
            {
                "id": "synthetic_javascript_types",
                "category": "simple_javascript",
                "functions": [
                    _doc(
                        "g",
                        {
                            "big": {"type": "Bigint"},
                            "grid": {"type": "array", "items": {"type": "array"}},
                            "on": {"type": "Boolean"},
                        },
                        ["big"],
                    )
                ],
                "possible_answer": [{"g": {"big": [7], "grid": [[[1, 2], [3, 4]], ""], "on": [True, ""]}}],
            },
            [
                ("gold", [{"g": {"big": "7n", "grid": "[[1, 2], [3, 4]]"}}]),
                ("big_without_n", [{"g": {"big": "7"}}]),
                ("grid_wrong", [{"g": {"big": "7n", "grid": "[[1, 2], [3]]"}}]),
                ("grid_new_array", [{"g": {"big": "7n", "grid": "new Array([1, 2], [3, 4])"}}]),
                ("bool_word", [{"g": {"big": "7n", "on": "yes"}}]),
            ],
        ),
        (
            {
                "id": "synthetic_java_types",
                "category": "simple_java",
                "functions": [_doc("h", {"c": {"type": "char"}, "d": {"type": "double"}}, ["c"])],
                "possible_answer": [{"h": {"c": ["a"], "d": [2.5, ""]}}],
            },
            [
                ("char_quoted", [{"h": {"c": "'a'"}}]),
                ("char_bare", [{"h": {"c": "a"}}]),
                ("double", [{"h": {"c": "a", "d": "2.5"}}]),
                ("double_with_d", [{"h": {"c": "a", "d": "2.5d"}}]),
            ],
        ),
    ]
    for case, _ in cases:
        case.setdefault("category", py)
        case["language"] = language_of(case["category"])
    return cases


REFERENCE_SEED = 0


def reference_outputs(cases: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str, Any]]:
    """``(case, name, model_output)`` for every case: its perturbations (drawn from ``Random(REFERENCE_SEED)``,
    the sequence the tests draw) then two fuzzed arguments (``Random(REFERENCE_SEED + 1)``), then the synthetic
    cases. What ``tools/make_bfcl_reference.py`` scores with bfcl-eval."""
    rng, fuzz_rng = random.Random(REFERENCE_SEED), random.Random(REFERENCE_SEED + 1)
    out = []
    for case in cases:
        for name, output, _ in perturbations(case, rng):
            out.append((case, name, output))
        out += [(case, name, output) for name, output in fuzzed(case, fuzz_rng)]
    for case, outputs in synthetic_cases():
        out += [(case, name, output) for name, output in outputs]
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
