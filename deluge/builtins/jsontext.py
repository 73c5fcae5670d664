"""Reading JSON text into Deluge values (list-map-date-json.md section 5, D5, D24).

Key order follows the text; whole numbers become NUMBER (DECIMAL beyond 64 bits),
others DECIMAL. The relaxed forms of Zoho's examples (unquoted keys and values,
single-quoted strings) are accepted. NaN and infinities are errors (D24).
"""

from __future__ import annotations

import json
from typing import Any

from deluge.builtins.registry import function, method
from deluge.errors import BudgetExceeded, DelugeRuntimeError
from deluge.runtime.values import INT_MAX, INT_MIN, DList, DMap, type_name


def _int(text: str) -> Any:
    value = int(text)
    if INT_MIN <= value <= INT_MAX:
        return value
    return float(value)


def _const(name: str) -> Any:
    raise ValueError(f"{name} is not a number Deluge can hold")


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is beyond the range of a decimal")
    return value


_decoder = json.JSONDecoder(object_pairs_hook=DMap, parse_int=_int, parse_constant=_const, parse_float=_float)


def _wrap_lists(value: Any, depth: int, max_depth: int) -> Any:
    if depth > max_depth:
        raise BudgetExceeded(f"The JSON is nested more than {max_depth} levels deep", limit="data_nesting")
    if isinstance(value, list):
        return DList(_wrap_lists(v, depth + 1, max_depth) for v in value)
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (list, dict)):
                value[k] = _wrap_lists(v, depth + 1, max_depth)
        return value
    return value


def parse_json(ex: Any, text: str, fname: str) -> Any:
    limits = ex.limits
    if len(text) > limits.json_bytes:
        raise BudgetExceeded(f"The JSON text is larger than {limits.json_bytes} bytes", limit="json_bytes")
    try:
        value = _decoder.decode(text)
    except RecursionError:
        raise BudgetExceeded("The JSON is nested too deeply", limit="data_nesting") from None
    except ValueError:
        from deluge.builtins.relaxedjson import parse_relaxed

        value = parse_relaxed(text, fname)
    return _wrap_lists(value, 0, limits.data_nesting)


@method("text", "toMap")
@function("toMap")
def to_map(ex: Any, text: Any) -> DMap:
    if isinstance(text, dict):
        return text  # type: ignore[return-value]
    if type(text) is not str:
        raise DelugeRuntimeError(f"toMap needs a TEXT, not a value of type {type_name(text)}")
    value = parse_json(ex, text, "toMap")
    if not isinstance(value, dict):
        raise DelugeRuntimeError("toMap needs the text of a JSON object")
    return value  # type: ignore[return-value]


@method("map", "toMap")
def map_to_map(ex: Any, value: Any) -> Any:
    return value


@method("text", "toJSONList")
@function("toJSONList")
def to_json_list(ex: Any, text: Any) -> DList:
    if isinstance(text, list):
        return text  # type: ignore[return-value]
    if type(text) is not str:
        raise DelugeRuntimeError(f"toJSONList needs a TEXT, not a value of type {type_name(text)}")
    value = parse_json(ex, text, "toJSONList")
    if not isinstance(value, list):
        raise DelugeRuntimeError("toJSONList needs the text of a JSON array")
    return value  # type: ignore[return-value]


@method("list", "toJSONList")
def list_to_json_list(ex: Any, value: Any) -> Any:
    return value


@method(("map", "text"), "getJSON")
def get_json(ex: Any, source: Any, key: Any) -> Any:
    if isinstance(source, dict):
        return source.get(key)
    value = parse_json(ex, source, "getJSON")
    if isinstance(value, dict):
        return value.get(key)
    raise DelugeRuntimeError("getJSON needs the text of a JSON object")
