"""The compiler's static types: its claims about built-in results hold, and fast code agrees with slow code.

`deluge/runtime/types.py` lists methods whose result kind is fixed (METHOD_RESULTS);
the compiler emits native Python that relies on it. These tests hold every
implementation to that list.
"""

from __future__ import annotations

import pytest

import deluge
from deluge.runtime.types import FUNCTION_RESULTS, METHOD_RESULTS, T

PY = {T.INT: int, T.STR: str, T.BOOL: bool, T.LIST: list, T.FLOAT: float, T.MAP: dict}

# receivers and arguments for each method of METHOD_RESULTS (several receivers each where they apply)
CALLS = {
    "length": ['"abc"', "12345", "2.5"], "len": ['"abc"'], "size": ["{1,2}", '{"a":1}', "{}"],
    "indexof": ['"abc"|"b"', "{1,2}|2"], "lastindexof": ['"abca"|"a"', "{1,2,1}|1"],
    "getoccurencecount": ['"abab"|"ab"'], "tolong": ['"12"', "2.9", "'01-Jan-2020'"],
    "tonumber": ['"12"', "7"], "touppercase": ['"abc"'], "tolowercase": ['"ABC"'], "trim": ['" a "'],
    "ltrim": ['" a"'], "rtrim": ['"a "'], "substring": ['"abcdef"|1|3', '"abc"|1'], "subtext": ['"abc"|1'],
    "mid": ['"abc"|1'], "concat": ['"a"|"b"', '"a"|1'], "reverse": ['"abc"'], "proper": ['"ab cd"'],
    "left": ['"abc"|2'], "right": ['"abc"|2'], "contains": ['"abc"|"b"', "{1,2}|2", '{"a":1}|"a"'],
    "notcontains": ['"abc"|"z"', "{1}|2"], "startswith": ['"abc"|"a"'], "endswith": ['"abc"|"c"'],
    "isempty": ['""', "{}", "{1}", '{"a":1}'], "isnull": ['"x"', "1"], "isblank": ['" "', "1"],
    "containkey": ['{"a":1}|"a"'], "containskey": ['{"a":1}|"a"', "{1,2}|1"], "containvalue": ['{"a":1}|1'],
    "containsvalue": ['{"a":1}|1'], "equals": ["1|1", '"a"|"b"'], "equalsignorecase": ['"a"|"A"'],
    "containsignorecase": ['"ABC"|"b"'], "iseven": ["4", "4.0"], "isodd": ["3"], "istext": ['"a"', "1"],
    "isfile": ['"a"'], "keys": ['{"a":1}'], "values": ['{"a":1}'], "todecimal": ['"1.5"', "2"],
}


def _cases() -> list[tuple[str, str]]:
    return [(name, call) for name, calls in CALLS.items() for call in calls]


def test_every_claimed_method_has_sample_calls() -> None:
    assert set(CALLS) == set(METHOD_RESULTS)


@pytest.mark.parametrize("name, call", _cases())
def test_method_results_have_the_claimed_python_type(name: str, call: str) -> None:
    receiver, *args = call.split("|")
    result = deluge.run(f"x = {receiver};\nreturn x.{name}({', '.join(args)});")
    assert result.error is None, result.error
    assert type(result.value) is PY[METHOD_RESULTS[name]]


def test_function_results_have_the_claimed_python_type() -> None:
    samples = {"list": "List()", "map": "Map()", "length": 'length("ab")', "len": 'len("ab")'}
    assert set(samples) == set(FUNCTION_RESULTS)
    for name, call in samples.items():
        result = deluge.run(f"return {call};")
        assert type(result.value) is PY[FUNCTION_RESULTS[name]]


def test_text_joins_check_the_limit_before_building() -> None:
    source = 's = "ab";\nfor each i in items { s = s.trim() + ":" + s.length() + ":" + s.trim(); }\ninfo s.length();'
    result = deluge.run(source, {"items": list(range(30))}, limits=deluge.Limits(text_length=100_000))
    assert result.error is not None and result.error.kind == "budget" and result.error.limit == "text_length"  # type: ignore[attr-defined]
