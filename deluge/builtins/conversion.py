"""Number conversions: toLong / toNumber, toDecimal, toHex (text-number-common.md section 2).

The method forms cover NUMBER, DECIMAL and TEXT receivers (toHex: NUMBER only). `toLong` on a
date or date-time receiver belongs to the date functions; the function form `toLong(value)`
hands a date-time to that implementation.
"""

from __future__ import annotations

import math
import re
from typing import Any

from deluge.builtins.registry import METHODS, function, method
from deluge.errors import DelugeRuntimeError
from deluge.runtime.ops import _whole
from deluge.runtime.values import DateTime, type_name

_WHOLE = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "..."


@method(("number", "decimal", "text"), "toLong", "toNumber")
@function("toLong", "toNumber")
def to_long(ex: Any, value: Any) -> int:
    """A whole NUMBER from a NUMBER, a DECIMAL (truncated toward zero: 99.9 gives 99) or a TEXT of
    digits with an optional sign ("-42"). Empty text, spaces, decimal-looking text ("12.5"),
    exponents and any other character are runtime errors, as are values outside the 64-bit range.
    The function form passes a date or date-time to the date functions' toLong (epoch
    milliseconds in the application time zone); booleans, null and collections are runtime errors.
    """
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is float:
        return _whole(int(value))
    if kind is str:
        if _WHOLE.fullmatch(value):
            digits = value.lstrip("+-").lstrip("0")
            if len(digits) > 19:  # certainly outside the 64-bit range; never parse huge texts
                raise DelugeRuntimeError(f"toLong: '{_shown(value)}' is outside the 64-bit range (overflow)")
            return _whole(int(value))
        raise DelugeRuntimeError(f"toLong: '{_shown(value)}' cannot be converted to a whole number")
    if kind is DateTime:
        impl = METHODS.get("tolong", {}).get(DateTime)
        if impl is not None and impl is not to_long:
            return impl(ex, value)  # type: ignore[no-any-return]
        return _epoch_millis(ex, value)
    raise DelugeRuntimeError(f"toLong: a value of type {type_name(value)} cannot be converted to a whole number")


def _epoch_millis(ex: Any, value: DateTime) -> int:
    """Epoch milliseconds of a date-time read in the run's time zone (fallback for the function form)."""
    import datetime as _dt
    from zoneinfo import ZoneInfo

    try:
        zone: _dt.tzinfo = ZoneInfo(getattr(ex, "timezone", "UTC") or "UTC")
    except Exception:
        zone = _dt.UTC
    moment = value.dt.replace(tzinfo=zone)
    delta = moment - _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
    return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000


@method(("number", "decimal", "text"), "toDecimal")
@function("toDecimal")
def to_decimal(ex: Any, value: Any) -> float:
    """A DECIMAL from a NUMBER, a DECIMAL or a TEXT holding a number ("100" gives 100.0, "-.5" and
    "12." are accepted). Empty text, spaces, exponents ("1e3"), grouping commas ("1,000"), other
    characters and values too large for a double are runtime errors; so are other types.
    """
    kind = type(value)
    if kind is float:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return float(value)
    if kind is str:
        if _DECIMAL.fullmatch(value):
            result = float(value)
            if math.isinf(result):
                raise DelugeRuntimeError(f"toDecimal: '{_shown(value)}' is too large for a decimal")
            return result + 0.0
        raise DelugeRuntimeError(f"toDecimal: '{_shown(value)}' cannot be converted to a decimal")
    raise DelugeRuntimeError(f"toDecimal: a value of type {type_name(value)} cannot be converted to a decimal")


@method("number", "toHex")
@function("toHex")
def to_hex(ex: Any, value: Any) -> str:
    """The lower-case hexadecimal digits of a NUMBER (`100.toHex()` is "64"); a negative number gives
    its 64-bit two's complement (Java's Long.toHexString: -1 is "ffffffffffffffff").
    A DECIMAL, a TEXT or any other type is a runtime error.
    """
    if type(value) is not int:
        raise DelugeRuntimeError(f"toHex: needs a whole NUMBER, not {type_name(value)}")
    return format(value & 0xFFFFFFFFFFFFFFFF, "x")
