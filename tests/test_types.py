"""Loose type names map onto JSON Schema explicitly, and the result is always a valid schema."""

from __future__ import annotations

import pytest

from fcstudio.catalog.formats.types import TypeMapper
from fcstudio.catalog.schemas import check_json_schema


@pytest.mark.parametrize(
    ("annotation", "schema", "optional"),
    [
        ("int", {"type": "integer"}, False),
        ("str", {"type": "string"}, False),
        ("float", {"type": "number"}, False),
        ("bool", {"type": "boolean"}, False),
        ("list", {"type": "array"}, False),
        ("dict", {"type": "object"}, False),
        ("tuple", {"type": "array"}, False),
        ("any", {}, False),
        ("Any", {}, False),
        ("List[int]", {"type": "array", "items": {"type": "integer"}}, False),
        (
            "List[Dict[str, float]]",
            {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "number"}}},
            False,
        ),
        ("Tuple[int, str]", {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}]}, False),
        ("str, optional", {"type": "string"}, True),
        ("int, default=5", {"type": "integer"}, True),
        ("Optional[str]", {"type": "string"}, True),
        ("Union[int, float]", {"anyOf": [{"type": "integer"}, {"type": "number"}]}, False),
        ("int | None", {"anyOf": [{"type": "integer"}, {"type": "null"}]}, False),
        ("Literal['a', 'b']", {"enum": ["a", "b"]}, False),
        ("datetime", {"type": "string", "format": "date-time"}, False),
    ],
)
def test_python_annotations(annotation: str, schema: dict, optional: bool) -> None:
    mapper = TypeMapper("python")
    got, opt = mapper.python_annotation(annotation)
    assert got == schema and opt == optional
    check_json_schema(got)
    assert not mapper.warnings


def test_unknown_python_type_is_unconstrained_and_warned() -> None:
    mapper = TypeMapper("python")
    got, _ = mapper.python_annotation("numpy.ndarray")
    assert got == {"x-original-type": "numpy.ndarray"}
    assert mapper.warnings and "ndarray" in mapper.warnings[0]


def test_bfcl_gorilla_schema() -> None:
    loose = {
        "type": "dict",
        "properties": {
            "timeout": {"type": "float", "default": 5.0},
            "coords": {"type": "tuple", "items": {"type": "float"}},
            "meta": {"type": "any"},
            "season": {"type": "integer", "optional": "true"},
            "headers": {"type": "dict", "properties": {"Auth": {"type": "string"}}},
        },
        "required": ["timeout", "season"],
    }
    got = TypeMapper("python").schema(loose, "f", top=True)
    assert got["type"] == "object"
    assert got["properties"]["timeout"] == {"type": "number", "default": 5.0}
    assert got["properties"]["coords"] == {"type": "array", "items": {"type": "number"}}
    assert got["properties"]["meta"] == {}
    assert got["properties"]["headers"]["type"] == "object"
    assert got["required"] == ["timeout"]  # "optional": "true" removes season
    check_json_schema(got)


@pytest.mark.parametrize("dialect", ["java", "javascript"])
def test_java_and_javascript_values_are_source_text(dialect: str) -> None:
    loose = {
        "type": "dict",
        "properties": {
            "count": {"type": "long" if dialect == "java" else "integer", "description": "How many."},
            "items": {"type": "ArrayList" if dialect == "java" else "array", "items": {"type": "String"}},
            "options": {"type": "HashMap" if dialect == "java" else "dict", "properties": {"a": {"type": "String"}}},
        },
        "required": ["count"],
    }
    got = TypeMapper(dialect).schema(loose, "f", top=True)
    assert got["type"] == "object" and got["required"] == ["count"]
    for name in ("count", "items", "options"):
        prop = got["properties"][name]
        assert prop["type"] == "string"
        assert prop["x-original-type"].startswith(f"{dialect}:")
    assert got["properties"]["count"]["description"].startswith("How many.")
    check_json_schema(got)


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("STRING", {"type": "string"}),
        ("NUMBER", {"type": "number"}),
        ("BOOLEAN", {"type": "boolean"}),
        ("ENUM", {"type": "string"}),
        ("DATE (YYYY-MM-DD)", {"type": "string", "format": "date"}),
        ("TIME (24-hour HH:MM)", {"type": "string", "format": "time"}),
        ("ARRAY", {"type": "array"}),
        ("OBJECT", {"type": "object"}),
        ("GEOPOINT (latitude, longitude)", {"type": "string"}),
    ],
)
def test_toolbench_types(name: str, schema: dict) -> None:
    assert TypeMapper("toolbench").name_to_schema(name) == schema


def test_invalid_validation_keywords_are_kept_as_annotations() -> None:
    got = TypeMapper("python").schema({"type": "integer", "minimum": "one", "maxItems": -1}, "p")
    assert got == {"type": "integer", "x-minimum": "one", "x-maxItems": -1}
    check_json_schema(got)
