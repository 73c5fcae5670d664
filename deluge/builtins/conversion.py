"""Number conversions: toLong / toNumber, toDecimal, toHex (text-number-common.md section 2)."""

from __future__ import annotations

import re
from typing import Any

from deluge.builtins.registry import function, method
from deluge.errors import DelugeRuntimeError
from deluge.runtime.values import DateTime, type_name

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
