"""Crossing the host boundary: host data to Deluge values on the way in, and back on the way out.

Values are converted and deep-copied once, on the way in, so a script never
mutates the host's objects (DESIGN.md, Values). Nesting deeper than the
data-nesting limit is a `budget` error, like everywhere data is walked (D50).
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

from deluge.errors import BudgetExceeded
from deluge.runtime.render import render, render_datetime, render_time
from deluge.runtime.values import INT_MAX, INT_MIN, Blank, CaughtError, DateTime, DFile, DList, DMap, Time


def from_host(value: Any, max_depth: int = 128, _depth: int = 0) -> Any:
    """A Deluge value (deep copy) of JSON-like host data; other Python types are a TypeError."""
    if _depth > max_depth:
        raise BudgetExceeded(f"The context data is nested more than {max_depth} levels deep",
                             limit="data_nesting")
    kind = type(value)
    if value is None or kind is str or kind is bool:
        return value
    if kind is int or (isinstance(value, int) and kind is not bool):
        value = int(value)
        if INT_MIN <= value <= INT_MAX:
            return value
        try:
            return float(value)  # beyond 64 bits: a DECIMAL, as the JSON reader gives such a number
        except OverflowError:
            raise ValueError("context numbers must fit a DECIMAL (about 1.8e308)") from None
    if kind is float:
        if math.isinf(value) or math.isnan(value):
            raise ValueError("context values cannot be infinite or NaN")
        return value
    if isinstance(value, dict):
        out = DMap()
        for k, v in value.items():
            out[from_host(k, max_depth, _depth + 1) if not isinstance(k, str) else k] = \
                from_host(v, max_depth, _depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return DList(from_host(v, max_depth, _depth + 1) for v in value)
    if kind is DateTime:
        return DateTime(value.dt, value.date_only)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.UTC).replace(tzinfo=None)
        return DateTime(value.replace(microsecond=0))
    if isinstance(value, _dt.date):
        return DateTime(_dt.datetime(value.year, value.month, value.day), date_only=True)
    if isinstance(value, _dt.time):
        return Time(value.hour * 3600 + value.minute * 60 + value.second)
    if kind is Time:
        return Time(value.seconds)
    if kind is DFile:
        return DFile(value.name, bytes(value.content), value.content_type, value.charset)
    if isinstance(value, str):
        return str(value)
    raise TypeError(f"cannot pass a {kind.__name__} to a Deluge script; use JSON-like data")


def to_host(value: Any, _depth: int = 0) -> Any:
    """JSON-able Python of a Deluge value: maps to dicts, lists to lists, dates to their text."""
    if _depth > 512:
        raise BudgetExceeded("The result is nested too deeply", limit="data_nesting")
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int or kind is float:
        return value
    if isinstance(value, dict):
        return {k if type(k) is str else render(k): to_host(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [to_host(v, _depth + 1) for v in value]
    if kind is Blank:
        return {} if value.inner is None else to_host(value.inner, _depth)
    if kind is DateTime:
        return render_datetime(value)
    if kind is Time:
        return render_time(value)
    if kind is DFile:
        return {"file": value.name, "size": len(value.content), "type": value.content_type}
    if kind is CaughtError:
        return {"lineNo": value.line, "message": value.message}
    return render(value)
