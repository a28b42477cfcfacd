"""BFCL single-turn cases from a BFCL data folder, and the gold answer written as a model would say it.

A case joins a question file line with its ``possible_answer/`` line by id:
``{"id", "category", "language", "functions", "possible_answer", "question"}`` (the layout
``fcstudio bfcl check`` reads, minus ``model_output``). ``gold_output`` renders the first allowed value
of each gold argument as the decoded output a perfect model would give (source text for Java and
JavaScript), so a folder can be turned into a check file or a runner can be sanity-checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fcstudio.catalog.formats import text as bad_text
from fcstudio.catalog.formats.bfcl import language_of
from fcstudio.validation import first_error

SINGLE_TURN = (
    "simple_python",
    "simple_java",
    "simple_javascript",
    "multiple",
    "parallel",
    "parallel_multiple",
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
    "irrelevance",
    "live_irrelevance",
    "live_relevance",
)


class BfclDataError(ValueError):
    """A BFCL file that cannot be read: names the file and line."""


def _json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, decoded value) for each non-blank line; a bad line, encoding or text (a lone surrogate
    or NUL, which cannot be stored) names PATH[:LINE]."""
    try:
        with path.open(encoding="utf-8", newline="\n") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise BfclDataError(f"{path}:{n}: not JSON: {exc.msg}") from None
                except RecursionError:
                    raise BfclDataError(f"{path}:{n}: nesting is too deep to read") from None
                if bad_text.SUSPECT.search(line):
                    found = bad_text.find_bad(value)
                    if found:
                        raise bad_text.error_class(BfclDataError)(
                            str(path), found.reason(), line=n, record=bad_text.record_of(value)
                        )
                yield n, value
    except UnicodeDecodeError:
        raise BfclDataError(f"{path}: not a UTF-8 text file") from None


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for n, obj in _json_lines(path):
        if not isinstance(obj, dict) or "id" not in obj:
            raise BfclDataError(f"{path}:{n}: expected an object with an 'id'")
        yield n, obj


def category_file(root: Path, category: str) -> Path | None:
    for version in ("v4", "v3"):
        path = root / f"BFCL_{version}_{category}.json"
        if path.is_file():
            return path
    return None


def category_files(
    root: str | Path, categories: list[str] | None, default: tuple[str, ...]
) -> Iterator[tuple[str, Path, Path, dict[str, Any]]]:
    """Per category (the given ones, each required; else those of ``default`` present): its question file, its
    ``possible_answer/`` file and the answers by id (empty when that file is absent)."""
    root = Path(root)
    if not root.is_dir():
        raise BfclDataError(f"{root}: not a folder of BFCL files")
    for category in categories or default:
        path = category_file(root, category)
        if path is None:
            if categories:
                raise BfclDataError(f"{root}: no BFCL_v4_{category}.json")
            continue
        answer_path = path.parent / "possible_answer" / path.name
        answers: dict[str, Any] = {}
        if answer_path.is_file():
            answers = {obj["id"]: obj.get("ground_truth") for _, obj in _lines(answer_path)}
        yield category, path, answer_path, answers


def load_cases(
    root: str | Path,
    categories: list[str] | None = None,
    limit: int | None = None,
    *,
    bad: list[tuple[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """Cases of ``categories`` (default: every single-turn category present) from a BFCL data folder.

    A malformed case raises BfclDataError, unless ``bad`` is given: then it is listed there as (case id or
    PATH:LINE, reason) and the others are read (a run goes on without it). An unreadable file always raises.
    """
    cases: list[dict[str, Any]] = []
    for category, path, answer_path, answers in category_files(root, categories, SINGLE_TURN):
        taken = 0
        for n, obj in _lines(path):
            if limit is not None and taken >= limit:
                break
            problem = None
            if not isinstance(obj.get("function"), list):
                problem = f"{path}:{n}: 'function' must be a list of function docs"
            elif "relevance" not in category and obj["id"] not in answers:
                problem = f"{answer_path}: no answer for {obj['id']}"
            if problem is not None:
                if bad is None:
                    raise BfclDataError(problem)
                bad.append((str(obj["id"]), problem))
                taken += 1
                continue
            cases.append(
                {
                    "id": obj["id"],
                    "category": category,
                    "language": language_of(category),
                    "functions": obj["function"],
                    "possible_answer": answers.get(obj["id"]) or [],
                    "question": obj.get("question") or [],
                }
            )
            taken += 1
    return cases


# -- the gold answer as a model would give it --------------------------------------------------------
def _first(allowed: list[Any]) -> tuple[bool, Any]:
    for value in allowed:
        if value != "":
            return True, value
    return False, None


def _gold_dict(candidate: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, options in candidate.items():
        found, value = _first(options)
        if found:
            out[key] = value
    return out


def gold_output(case: dict[str, Any]) -> list[dict[str, dict[str, Any]]]:
    """The decoded output of a model that answers exactly the gold (optional arguments left out)."""
    if "relevance" in case["category"] and "irrelevance" not in case["category"]:
        doc = case["functions"][0]
        required = doc.get("parameters", {}).get("required") or []
        return [{doc["name"]: {p: "x" for p in required}}]
    docs = {f["name"]: f for f in case["functions"]}
    out = []
    for call in case["possible_answer"]:
        name, allowed_by_param = next(iter(call.items()))
        props = (docs.get(name) or {}).get("parameters", {}).get("properties", {})
        args = {}
        for param, allowed in allowed_by_param.items():
            found, value = _first(allowed)
            if not found:
                continue
            if isinstance(value, dict):
                value = _gold_dict(value)
            elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                value = [_gold_dict(v) for v in value]
            args[param] = render(value, props.get(param, {}), case["language"])
        out.append({name: args})
    return out


def render(value: Any, spec: dict[str, Any], language: str) -> Any:
    """``value`` as the decoded argument BFCL sees for ``language`` (source text for Java/JS)."""
    if language == "java":
        return _java(value, spec.get("type", "any"), (spec.get("items") or {}).get("type"))
    if language == "javascript":
        return _js(value, spec.get("type", "any"), (spec.get("items") or {}).get("type"))
    return value


def _java_scalar(value: Any, type_name: str | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if type_name == "long":
        return f"{value}L"
    if type_name == "float":
        return f"{value}f"
    return str(value)


def _java_literal(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    return _java_scalar(value, "long" if isinstance(value, int) and not isinstance(value, bool) else None)


def _java(value: Any, type_name: str, item_type: str | None) -> Any:
    if isinstance(value, str):
        return value  # a string, or a variable name standing for the value
    if type_name == "ArrayList" and isinstance(value, list):
        if item_type in ("String", "char"):
            items = [f'"{v}"' for v in value]
        else:
            items = [_java_scalar(v, item_type) for v in value]
        return f"new ArrayList<>(Arrays.asList({', '.join(items)}))" if items else "new ArrayList<>()"
    if type_name == "Array" and isinstance(value, list):
        # BFCL keeps the quotes of String array items, so the text a gold match needs has none.
        return (
            "new "
            + re.sub(r"\W", "", item_type or "Object")
            + "[]{"
            + ", ".join(_java_scalar(v, item_type) for v in value)
            + "}"
        )
    if type_name == "HashMap" and isinstance(value, dict):
        puts = " ".join(f'put("{k}", {_java_literal(v)});' for k, v in value.items())
        return "new HashMap<String, Object>() {{ " + puts + " }}" if puts else "new HashMap<>()"
    return _java_scalar(value, type_name)


def _js_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, list):
        return "[" + ", ".join(_js_literal(v) for v in value) + "]"
    return str(value)


def _js(value: Any, type_name: str, item_type: str | None) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if type_name == "Bigint":
        return f"{value}n"
    if type_name == "array" and isinstance(value, list):
        return "[" + ", ".join(_js_literal(v) for v in value) + "]"
    if type_name == "dict" and isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_js_literal(v)}" for k, v in value.items()) + "}"
    return str(value)


# -- check files -------------------------------------------------------------------------------------
class CheckCase(BaseModel):
    """One line of a ``bfcl check`` file; keys beyond these are ignored."""

    model_config = ConfigDict(extra="ignore")

    id: str
    category: str
    language: str | None = None
    functions: list[dict[str, Any]]
    possible_answer: list[dict[str, Any]] = Field(default_factory=list)
    model_output: Any = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


def read_check_file(path: str | Path) -> list[CheckCase]:
    """Every line of ``path`` as a CheckCase; the first bad line raises BfclDataError naming PATH:LINE."""
    path = Path(path)
    if not path.is_file():
        raise BfclDataError(f"{path}: no such file")
    cases = []
    for n, obj in _json_lines(path):
        try:
            cases.append(CheckCase.model_validate(obj))
        except ValidationError as exc:
            where, msg = first_error(exc)
            raise BfclDataError(f"{path}:{n}: {where or 'line'}: {msg}") from None
    return cases
