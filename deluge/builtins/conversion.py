"""Conversions between numbers, text and JSON (text-number-common.md section 2, list-map-date-json.md 5)."""

from __future__ import annotations

import re
from typing import Any

from deluge.builtins.registry import function, method
from deluge.errors import DelugeRuntimeError
from deluge.runtime.values import DateTime, DList, DMap, type_name

_WHOLE = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")


@method(("number", "decimal", "text", "date", "datetime"), "toLong", "toNumber")
@function("toLong", "toNumber")
def to_long(ex: Any, value: Any) -> int:
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is float:
        return int(value)
    if kind is str:
        if _WHOLE.fullmatch(value):
            result = int(value)
            from deluge.runtime.ops import _whole

            return _whole(result)
        raise DelugeRuntimeError(f"'{value}' cannot be converted to a whole number")
    if kind is DateTime:
        import datetime as _dt

        delta = value.dt - _dt.datetime(1970, 1, 1)
        return (delta.days * 86400 + delta.seconds) * 1000
    raise DelugeRuntimeError(f"A value of type {type_name(value)} cannot be converted to a whole number")


@method(("number", "decimal", "text"), "toDecimal")
@function("toDecimal")
def to_decimal(ex: Any, value: Any) -> float:
    kind = type(value)
    if kind is float:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return float(value)
    if kind is str:
        if _DECIMAL.fullmatch(value):
            return float(value)
        raise DelugeRuntimeError(f"'{value}' cannot be converted to a decimal")
    raise DelugeRuntimeError(f"A value of type {type_name(value)} cannot be converted to a decimal")


@method("text", "toMap")
@function("toMap")
def to_map(ex: Any, text: Any) -> DMap:
    if isinstance(text, dict):
        return text  # type: ignore[return-value]
    if type(text) is not str:
        raise DelugeRuntimeError(f"toMap needs a TEXT, not a value of type {type_name(text)}")
    from deluge.builtins.jsontext import parse_json

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
    from deluge.builtins.jsontext import parse_json

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
    from deluge.builtins.jsontext import parse_json

    value = parse_json(ex, source, "getJSON")
    if isinstance(value, dict):
        return value.get(key)
    raise DelugeRuntimeError("getJSON needs the text of a JSON object")
