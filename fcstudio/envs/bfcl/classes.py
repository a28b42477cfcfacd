"""Which API classes exist, where each lives and which function-doc file describes its tools."""

from __future__ import annotations

import importlib
import json
from functools import cache
from pathlib import Path
from typing import Any

FUNC_DOC_DIR = Path(__file__).with_name("data") / "func_doc"

# class name -> (module under fcstudio.envs.bfcl, function-doc file): BFCL's own names for both
CLASSES: dict[str, tuple[str, str]] = {
    "GorillaFileSystem": ("gorilla_file_system", "gorilla_file_system.json"),
    "MathAPI": ("math_api", "math_api.json"),
    "MessageAPI": ("message_api", "message_api.json"),
    "TwitterAPI": ("posting_api", "posting_api.json"),
    "TicketAPI": ("ticket_api", "ticket_api.json"),
    "TradingBot": ("trading_bot", "trading_bot.json"),
    "TravelAPI": ("travel_booking", "travel_booking.json"),
    "VehicleControlAPI": ("vehicle_control", "vehicle_control.json"),
}
STATELESS = frozenset({"MathAPI"})  # BFCL never loads a scenario into these


class UnknownClass(ValueError):
    """An entry names an API class fcstudio does not implement."""


@cache
def api_class(name: str) -> type:
    if name not in CLASSES:
        raise UnknownClass(f"unknown BFCL API class {name!r} (known: {', '.join(CLASSES)})")
    module = importlib.import_module(f"fcstudio.envs.bfcl.{CLASSES[name][0]}")
    cls: type = getattr(module, name)
    return cls


@cache
def _docs(name: str) -> tuple[dict[str, Any], ...]:
    path = FUNC_DOC_DIR / CLASSES[name][1]
    return tuple(json.loads(line) for line in path.read_text().splitlines() if line.strip())


def func_docs(name: str) -> list[dict[str, Any]]:
    """The class's function docs as BFCL ships them (``multi_turn_func_doc/<file>``), one per tool."""
    if name not in CLASSES:
        raise UnknownClass(f"unknown BFCL API class {name!r} (known: {', '.join(CLASSES)})")
    return [json.loads(json.dumps(d)) for d in _docs(name)]


def public_methods(cls: type) -> list[str]:
    """The tools of a class as BFCL's executor sees them: every public method."""
    return sorted(n for n in dir(cls) if not n.startswith("_") and callable(getattr(cls, n)))
