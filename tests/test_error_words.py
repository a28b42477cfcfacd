"""Errors shown on pages name the user's file, never a temporary path, and give the cause in words, never a
Python class name."""

from __future__ import annotations

import json

import pytest

from components.layout import describe_error
from fcstudio.catalog.formats import FormatError
from fcstudio.evals.importers import EvalImportError


def test_the_temporary_path_becomes_the_users_file_name() -> None:
    exc = EvalImportError("/tmp/tmpfw6tzc4i/broken.json: no simulations to import")
    assert describe_error(exc, {"/tmp/tmpfw6tzc4i/broken.json": "broken.json"}) == (
        "broken.json: no simulations to import"
    )
    # a temporary folder nobody named is dropped rather than shown
    assert describe_error(FormatError("/tmp/fcstudio-upload-ab_12/0/rows.jsonl", "bad", line=3)) == "rows.jsonl:3: bad"


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (json.JSONDecodeError("Expecting value", "x", 0), "the text is not valid JSON: Expecting value"),
        (KeyError("query"), "a field it needs is missing: query"),
        (FileNotFoundError(2, "No such file or directory"), "a file it needs is not there"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "the file is not UTF-8 text"),
        (RuntimeError(), "something went wrong"),
    ],
)
def test_unexpected_errors_are_said_in_words(exc: BaseException, words: str) -> None:
    text = describe_error(exc)
    assert text.startswith(words) and type(exc).__name__ not in text
