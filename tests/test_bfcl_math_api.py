"""BFCL's MathAPI as fcstudio re-implements it: results as BFCL renders them (``mpf`` and ``Decimal`` results
shown with ``str``), the errors BFCL catches and the ones it lets through, and float results to the last digit."""

from __future__ import annotations

import decimal
import inspect
from collections.abc import Iterator

import mpmath
import pytest

from fcstudio.envs.bfcl.classes import func_docs, public_methods
from fcstudio.envs.bfcl.math_api import MathAPI
from fcstudio.envs.bfcl.session import Session, render


@pytest.fixture(autouse=True)
def _restore_precision() -> Iterator[None]:
    """logarithm and square_root set process-wide precision, as BFCL's do; put it back for other tests."""
    dps, prec = mpmath.mp.dps, decimal.getcontext().prec
    yield
    mpmath.mp.dps, decimal.getcontext().prec = dps, prec


def run(call: str) -> str:
    return Session({}, ["MathAPI"], long_context=False).run(call)


def test_methods_signatures_and_no_state() -> None:
    docs = {d["name"]: d for d in func_docs("MathAPI")}
    assert public_methods(MathAPI) == sorted(docs)
    for name, doc in docs.items():
        params = list(inspect.signature(getattr(MathAPI, name)).parameters)[1:]
        assert params == list(doc["parameters"]["properties"]), name
    assert inspect.signature(MathAPI.round_number).parameters["decimal_places"].default == 0
    api = MathAPI()
    api._load_scenario({"x": 1}, long_context=True)
    assert [k for k in vars(api) if not k.startswith("_")] == []
    assert run("add(a=1, b=2, c=3)") == "Error during execution: MathAPI.add() got an unexpected keyword argument 'c'"


def test_precise_results_render_with_str() -> None:
    assert run("logarithm(value=100, base=10, precision=5)") == "{'result': mpf('2.0')}"
    assert run("logarithm(value=2, base=3, precision=20)") == "{'result': mpf('0.63092975357145743709863')}"
    assert run("logarithm(value=2, base=1, precision=20)") == '{"error": ""}'  # ZeroDivisionError's empty message
    assert run("square_root(number=2, precision=10)") == "{'result': Decimal('1.414213562')}"
    assert run("square_root(number=-1, precision=0)") == (
        '{"error": "Cannot calculate square root of a negative number"}'
    )
    assert run("square_root(number=2, precision=0)") == "Error during execution: valid range for prec is [1, MAX_PREC]"
    not_a_number: object = "2"
    assert render(MathAPI().square_root(not_a_number, 5)) == (  # type: ignore[arg-type]
        '{"error": "Input must be a number or computation resulted in an invalid operation"}'
    )


def test_arithmetic() -> None:
    assert run("add(a='ab', b='cd')") == '{"result": "abcd"}'  # "+" on whatever it is given
    assert run("add(a=1, b=None)") == '{"error": "Both inputs must be numbers"}'
    assert run("multiply(a='ab', b=2)") == '{"error": "Both inputs must be numbers"}'
    assert run("subtract(a=0.3, b=0.1)") == '{"result": 0.19999999999999998}'
    assert run("divide(a=1, b=0)") == '{"error": "Cannot divide by zero"}'
    assert run("divide(a=1, b=3)") == '{"result": 0.3333333333333333}'
    assert run("power(base=10.0, exponent=400)") == "Error during execution: (34, 'Numerical result out of range')"
    assert run("power(base=0, exponent=-1)") == "Error during execution: 0.0 cannot be raised to a negative power"
    assert run("percentage(part=1, whole=3)") == '{"result": 33.33333333333333}'
    assert run("percentage(part=1, whole=0)") == '{"error": "Whole value cannot be zero"}'
    assert run("round_number(number=2.5)") == '{"result": 2.0}'
    assert run("round_number(number=2.675, decimal_places=2)") == '{"result": 2.67}'
    assert run("round_number(number=2.5, decimal_places=1.5)") == (
        '{"error": "First input must be a number, second input must be an integer"}'
    )
    assert run("absolute_value(number=-3)") == '{"result": 3}'
    assert run("absolute_value(number='x')") == '{"error": "Input must be a number"}'


def test_lists() -> None:
    assert run("mean(numbers=[1, 2, 4])") == '{"result": 2.3333333333333335}'
    assert run("mean(numbers=[])") == '{"error": "Cannot calculate mean of an empty list"}'
    assert run("mean(numbers=5)") == '{"error": "All elements in the list must be numbers"}'
    assert run("standard_deviation(numbers=[2, 4, 4, 4, 5, 5, 7, 9])") == '{"result": 2.0}'
    assert run("standard_deviation(numbers=[1, 2.5])") == '{"result": 0.75}'
    assert run("standard_deviation(numbers=[])") == '{"error": "Cannot calculate standard deviation of an empty list"}'
    assert run("min_value(numbers=[3, 'a'])") == '{"error": "All elements in the list must be numbers"}'
    assert run("min_value(numbers=['b', 'a'])") == '{"result": "a"}'
    assert run("max_value(numbers=[])") == '{"error": "Cannot find maximum of an empty list"}'
    assert run("max_value(numbers=[1, 7.5, 3])") == '{"result": 7.5}'
    assert run("sum_values(numbers=[0.1, 0.2])") == '{"result": 0.30000000000000004}'
    assert run("sum_values(numbers=[])") == '{"error": "Cannot calculate sum of an empty list"}'


def test_unit_conversions() -> None:
    assert run("si_unit_conversion(value=3, unit_in='km', unit_out='um')") == '{"result": 3000000000.0}'
    assert run("si_unit_conversion(value=3, unit_in='km', unit_out='mi')") == (
        "{\"error\": \"Conversion from 'km' to 'mi' is not supported\"}"
    )
    assert run("si_unit_conversion(value='3', unit_in='km', unit_out='m')") == '{"error": "Value must be a number"}'
    assert render(MathAPI().si_unit_conversion(10**400, "km", "m")) == (
        '{"error": "Conversion resulted in a value too large to represent"}'
    )
    assert run("imperial_si_conversion(value=100, unit_in='celsius', unit_out='fahrenheit')") == '{"result": 212.0}'
    assert run("imperial_si_conversion(value=212, unit_in='fahrenheit', unit_out='celsius')") == '{"result": 100.0}'
    assert run("imperial_si_conversion(value=10, unit_in='miles', unit_out='km')") == '{"result": 16.0934}'
    assert run("imperial_si_conversion(value=7, unit_in='zz', unit_out='zz')") == '{"result": 7}'
    assert run("imperial_si_conversion(value=7, unit_in='km', unit_out='ft')") == (
        "{\"error\": \"Conversion from 'km' to 'ft' is not supported\"}"
    )
