"""BFCL's ``MathAPI``: arithmetic, statistics over lists and unit conversions, with no state of its own.

Behaviour, messages and quirks follow bfcl-eval's class exactly, since results are compared as rendered:
``logarithm`` answers an ``mpmath.mpf`` and ``square_root`` a ``Decimal`` (neither is JSON, so the executor
shows the dict's ``str``), and both set their library's process-wide precision (``mpmath.mp.dps``, the
thread's decimal context) as BFCL does. Only the errors BFCL catches become error dicts; anything else (an
overflow in ``power``, a zero precision in ``square_root``) is raised as in BFCL.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation, getcontext
from typing import Any

import mpmath

_NOT_NUMBERS = "Both inputs must be numbers"
_LIST_NOT_NUMBERS = "All elements in the list must be numbers"
_TOO_LARGE = "Conversion resulted in a value too large to represent"

_TO_METERS: dict[str, float] = {"km": 1000, "m": 1, "cm": 0.01, "mm": 0.001, "um": 1e-6, "nm": 1e-9}
_FROM_METERS: dict[str, float] = {unit: 1 / factor for unit, factor in _TO_METERS.items()}

# "<in>_to_<out>" -> factor; the two temperature entries are used with their offset of 32.
_IMPERIAL_SI: dict[str, float] = {
    "cm_to_in": 0.393701,
    "in_to_cm": 2.54,
    "m_to_ft": 3.28084,
    "ft_to_m": 0.3048,
    "m_to_yd": 1.09361,
    "yd_to_m": 0.9144,
    "km_to_miles": 0.621371,
    "miles_to_km": 1.60934,
    "kg_to_lb": 2.20462,
    "lb_to_kg": 0.453592,
    "celsius_to_fahrenheit": 1.8,
    "fahrenheit_to_celsius": 5 / 9,
}


def _result(compute: Callable[[], Any], type_error: str) -> dict[str, Any]:
    """``{"result": compute()}``, or ``{"error": type_error}`` when it raises TypeError (only that, as BFCL)."""
    try:
        return {"result": compute()}
    except TypeError:
        return {"error": type_error}


def _over_list(numbers: Any, empty_error: str, compute: Callable[[Any], Any]) -> dict[str, Any]:
    """A statistic of a list: an error for an empty (falsy) one, another when its items will not add up."""
    if not numbers:
        return {"error": empty_error}
    return _result(lambda: compute(numbers), _LIST_NOT_NUMBERS)


def _mean(numbers: Any) -> Any:
    return sum(numbers) / len(numbers)


def _population_stdev(numbers: Any) -> float:
    mean = _mean(numbers)
    return math.sqrt(sum((x - mean) ** 2 for x in numbers) / len(numbers))


class MathAPI:
    """Stateless maths tools: no public attributes, so BFCL's state check has nothing to compare."""

    def __init__(self) -> None:
        self._api_description = "This tool belongs to the Math API, which provides various mathematical operations."

    def _load_scenario(self, scenario: dict, long_context: bool = False) -> None:
        """Nothing to load: BFCL never loads a scenario into this class (it is stateless)."""

    # single values

    def logarithm(self, value: float, base: float, precision: int) -> dict[str, Any]:
        """log(value) / log(base) in mpmath at ``precision`` digits; any failure is its message."""
        try:
            mpmath.mp.dps = precision
            return {"result": mpmath.log(value) / mpmath.log(base)}
        except Exception as exc:  # BFCL reports every error of this one as its message
            return {"error": str(exc)}

    def square_root(self, number: float, precision: int) -> dict[str, Any]:
        """The square root as a ``Decimal`` of ``precision`` significant digits (from the float's exact value)."""
        try:
            if number < 0:
                return {"error": "Cannot calculate square root of a negative number"}
            getcontext().prec = precision
            return {"result": Decimal(number).sqrt()}
        except (TypeError, InvalidOperation):
            return {"error": "Input must be a number or computation resulted in an invalid operation"}

    def absolute_value(self, number: float) -> dict[str, Any]:
        """abs(number)."""
        return _result(lambda: abs(number), "Input must be a number")

    def round_number(self, number: float, decimal_places: int = 0) -> dict[str, Any]:
        """Python's round (so a float stays a float, and halves go to even)."""
        return _result(
            lambda: round(number, decimal_places), "First input must be a number, second input must be an integer"
        )

    # two values

    def add(self, a: float, b: float) -> dict[str, Any]:
        """a + b (whatever ``+`` means for the values given)."""
        return _result(lambda: a + b, _NOT_NUMBERS)

    def subtract(self, a: float, b: float) -> dict[str, Any]:
        """a - b."""
        return _result(lambda: a - b, _NOT_NUMBERS)

    def multiply(self, a: float, b: float) -> dict[str, Any]:
        """a * b, for ints and floats only (unlike ``add``, strings are refused)."""
        if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
            return {"error": _NOT_NUMBERS}
        return _result(lambda: a * b, _NOT_NUMBERS)

    def divide(self, a: float, b: float) -> dict[str, Any]:
        """a / b, refusing a zero denominator."""
        if b == 0:
            return {"error": "Cannot divide by zero"}
        return _result(lambda: a / b, _NOT_NUMBERS)

    def power(self, base: float, exponent: float) -> dict[str, Any]:
        """base ** exponent."""
        return _result(lambda: base**exponent, _NOT_NUMBERS)

    def percentage(self, part: float, whole: float) -> dict[str, Any]:
        """part / whole * 100, refusing a zero whole."""
        if whole == 0:
            return {"error": "Whole value cannot be zero"}
        return _result(lambda: (part / whole) * 100, _NOT_NUMBERS)

    # lists

    def mean(self, numbers: list[float]) -> dict[str, Any]:
        """The arithmetic mean."""
        return _over_list(numbers, "Cannot calculate mean of an empty list", _mean)

    def standard_deviation(self, numbers: list[float]) -> dict[str, Any]:
        """The population standard deviation (divided by n, not n - 1)."""
        return _over_list(numbers, "Cannot calculate standard deviation of an empty list", _population_stdev)

    def min_value(self, numbers: list[float]) -> dict[str, Any]:
        """The smallest item."""
        return _over_list(numbers, "Cannot find minimum of an empty list", min)

    def max_value(self, numbers: list[float]) -> dict[str, Any]:
        """The largest item."""
        return _over_list(numbers, "Cannot find maximum of an empty list", max)

    def sum_values(self, numbers: list[float]) -> dict[str, Any]:
        """The sum of the items."""
        return _over_list(numbers, "Cannot calculate sum of an empty list", sum)

    # unit conversions

    def si_unit_conversion(self, value: float, unit_in: str, unit_out: str) -> dict[str, Any]:
        """Between metric lengths (km, m, cm, mm, um, nm), by way of meters."""
        if not isinstance(value, (int, float)):
            return {"error": "Value must be a number"}
        if unit_in not in _TO_METERS or unit_out not in _FROM_METERS:
            return {"error": f"Conversion from '{unit_in}' to '{unit_out}' is not supported"}
        try:
            return {"result": value * _TO_METERS[unit_in] * _FROM_METERS[unit_out]}
        except OverflowError:  # an int too large to become a float
            return {"error": _TOO_LARGE}

    def imperial_si_conversion(self, value: float, unit_in: str, unit_out: str) -> dict[str, Any]:
        """Between an imperial unit and its SI counterpart (or Celsius and Fahrenheit); a unit to itself is a no-op."""
        if not isinstance(value, (int, float)):
            return {"error": "Value must be a number"}
        if unit_in == unit_out:
            return {"result": value}
        key = f"{unit_in}_to_{unit_out}"
        if key not in _IMPERIAL_SI:
            return {"error": f"Conversion from '{unit_in}' to '{unit_out}' is not supported"}
        factor = _IMPERIAL_SI[key]
        try:
            if unit_in == "celsius" and unit_out == "fahrenheit":
                return {"result": (value * factor) + 32}
            if unit_in == "fahrenheit" and unit_out == "celsius":
                return {"result": (value - 32) * factor}
            return {"result": value * factor}
        except OverflowError:  # an int too large to become a float
            return {"error": _TOO_LARGE}
