"""One-line texts from pydantic validation errors, for messages that name the place of bad input."""

from __future__ import annotations

from pydantic import ValidationError


def first_error(exc: ValidationError) -> tuple[str, str]:
    """(dotted location, message) of the first problem; pydantic's "Value error, " prefix dropped."""
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first.get("loc", ()))
    return loc, str(first.get("msg", "invalid")).removeprefix("Value error, ")
