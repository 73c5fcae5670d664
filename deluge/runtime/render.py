"""Rendering: how `info`, `toString()` and text concatenation show a value (LANGUAGE.md 6).

One home for it: `render` gives the text of a value, `to_json` the compact JSON
used for maps and for lists or maps nested in other values. Walking nested
data counts against the data-nesting limit (D50): a structure deeper than the
limit, or one that contains itself, is a `budget` error, and a rendering that
would be longer than the text limit is refused before it is built.
"""

from __future__ import annotations

import decimal as _decimal
import json
from typing import Any

from deluge.errors import BudgetExceeded
from deluge.runtime.values import Blank, CaughtError, DateTime, DFile, NoInput, Time

MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                            check_circular=False)


def render_decimal(value: float) -> str:
    """Shortest digits that read back as the same double, at least one after the point, no exponent."""
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(_decimal.Decimal(text), "f")
        if "." not in text:
            text += ".0"
    if text == "-0.0":
        return "0.0"
    return text


def render_datetime(value: DateTime) -> str:
    d = value.dt
    day = f"{d.day:02d}-{MONTHS[d.month]}-{d.year:04d}"
    if value.date_only:
        return day
    return f"{day} {d.hour:02d}:{d.minute:02d}:{d.second:02d}"


def render_time(value: Time) -> str:
    s = value.seconds
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def render(value: Any, max_depth: int = 128, max_length: int = 5_000_000) -> str:
    """The text of a value, as `info` prints it."""
    kind = type(value)
    if kind is str:
        return value
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        return render_decimal(value)
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    if kind is DateTime:
        return render_datetime(value)
    if isinstance(value, list):
        if not value:
            return ""
        if all(type(x) in _FLAT for x in value):
            parts = [_flat(x) for x in value]
            if len(parts) > 64 or any(len(p) > 4096 for p in parts):
                total = sum(map(len, parts)) + len(parts) - 1
                if total > max_length:
                    _too_long(max_length)
                if total > 4096:
                    _charge(total)
            return ",".join(parts)
        check_data(value, max_depth, max_length)
        return ",".join([_item(x) for x in value])
    if isinstance(value, dict):
        return to_json(value, max_depth, max_length)
    if kind is Blank:
        inner = value.inner
        return "{}" if inner is None else render(inner, max_depth, max_length)
    if kind is Time:
        return render_time(value)
    if kind is DFile:
        return value.name or ""
    if kind is CaughtError:
        return f"Error at line number : {value.line} {value.message}"
    if kind is NoInput:
        return "null"
    return str(value)  # pragma: no cover - every Deluge value is handled above


_FLAT = {str, int, float, bool, type(None), DateTime}


def _flat(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return value
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        return render_decimal(value)
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    return render_datetime(value)


def _item(value: Any) -> str:
    """An element of a rendered list: nested lists and maps as JSON, others as themselves."""
    if isinstance(value, (list, dict)) or (type(value) is Blank):
        return _json_of(value)
    return render(value)


def to_json(value: Any, max_depth: int = 128, max_length: int = 5_000_000) -> str:
    """Compact JSON of a value: maps as objects, lists as arrays, others as section 6 says."""
    odd = check_data(value, max_depth, max_length)
    return _json_of(value, odd)


def _json_of(value: Any, odd: bool | None = None) -> str:
    """JSON text: C's encoder unless a decimal needs Deluge's own digits (`odd`, found when
    the data was measured; None means not measured yet)."""
    if odd is None:
        odd = _needs_slow_path(value)
    if not odd:
        try:
            return _fast_encoder.encode(_unblank(value) if type(value) is Blank else value)
        except (TypeError, ValueError):
            pass
    return "".join(_slow_json(value))


def _unblank(value: Blank) -> Any:
    return {} if value.inner is None else value.inner


def _default(value: Any) -> Any:
    kind = type(value)
    if kind is DateTime:
        return render_datetime(value)
    if kind is Blank:
        return {} if value.inner is None else value.inner
    if kind is Time:
        return render_time(value)
    if kind is DFile:
        return value.name or ""
    if kind is CaughtError:
        return render(value)
    if kind is NoInput:
        return None
    raise TypeError(f"cannot render {kind.__name__}")


_fast_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                                 check_circular=False, default=_default)


def _odd_float(f: float) -> bool:
    a = abs(f)
    return (a != 0.0 and (a >= 1e16 or a < 1e-4)) or (f == 0.0 and str(f).startswith("-"))


def _needs_slow_path(value: Any) -> bool:
    """True when C JSON would write a float differently from Deluge (exponents, -0.0)."""
    stack = [value]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is float:
            if _odd_float(current):
                return True
        elif isinstance(current, dict):
            if id(current) in seen:
                continue
            seen.add(id(current))
            for k in current:
                if type(k) is float and _odd_float(k):
                    return True
            stack.extend(current.values())
        elif isinstance(current, list):
            if id(current) in seen:
                continue
            seen.add(id(current))
            stack.extend(current)
        elif kind is Blank and current.inner is not None:
            stack.append(current.inner)
    return False


def _json_string(text: str) -> str:
    return _encoder.encode(text)


def _key_text(key: Any) -> str:
    if type(key) is str:
        return key
    if isinstance(key, (list, dict)) or type(key) is Blank:
        return _json_of(key)
    return render(key)


def _slow_json(value: Any) -> Any:
    kind = type(value)
    if kind is Blank:
        value = {} if value.inner is None else value.inner
        kind = type(value)
    if isinstance(value, dict):
        yield "{"
        first = True
        for k, v in value.items():
            if not first:
                yield ","
            first = False
            yield _json_string(_key_text(k))
            yield ":"
            yield from _slow_json(v)
        yield "}"
    elif isinstance(value, list):
        yield "["
        for i, v in enumerate(value):
            if i:
                yield ","
            yield from _slow_json(v)
        yield "]"
    elif kind is str:
        yield _json_string(value)
    elif kind is bool:
        yield "true" if value else "false"
    elif kind is int:
        yield int.__repr__(value)
    elif kind is float:
        yield render_decimal(value)
    elif value is None:
        yield "null"
    else:
        yield _json_string(_default(value))


def check_data(value: Any, max_depth: int, max_length: int) -> bool:
    """Refuses data nested deeper than `max_depth` (or containing itself) and data whose
    rendering would be longer than `max_length`, without building the rendering.
    Returns whether the data holds a decimal that C's JSON encoder would write
    differently from Deluge (an exponent, or -0.0).

    Shared sub-structures are measured once, so a value that repeats one list many
    times costs time in proportion to its distinct parts, not its printed size.
    """
    if type(value) is Blank:
        value = value.inner
    if not isinstance(value, (list, dict)):
        return False
    walk = _Measure(max_depth, max_length)
    walk.container(value, 1)
    return walk.odd


class _Measure:
    """One walk over nested lists and maps: height, rendered size (an estimate), odd decimals."""

    __slots__ = ("active", "max_depth", "max_length", "memo", "odd")

    def __init__(self, max_depth: int, max_length: int) -> None:
        self.max_depth = max_depth
        self.max_length = max_length
        self.memo: dict[int, tuple[int, int]] = {}
        self.active: set[int] = set()
        self.odd = False

    def container(self, value: Any, depth: int) -> tuple[int, int]:
        key = id(value)
        known = self.memo.get(key)
        if known is not None:
            if depth + known[0] - 1 > self.max_depth:
                self.too_deep()
            return known
        if key in self.active or depth > self.max_depth:
            self.too_deep()
        self.active.add(key)
        height, size = 1, 2
        if isinstance(value, dict):
            items: Any = value.items()
            for k, v in items:
                tk = type(k)
                size += (len(k) + 3) if tk is str else self.item(k, depth)[1] + 3
                tv = type(v)
                if tv is str:
                    size += len(v) + 3
                elif tv is int or tv is bool or v is None:
                    size += 21
                elif tv is float:
                    size += 24
                    if not self.odd and _odd_float(v):
                        self.odd = True
                else:
                    h, s = self.item(v, depth)
                    size += s + 1
                    if h >= height:
                        height = h + 1
        else:
            for v in value:
                tv = type(v)
                if tv is str:
                    size += len(v) + 3
                elif tv is int or tv is bool or v is None:
                    size += 21
                elif tv is float:
                    size += 24
                    if not self.odd and _odd_float(v):
                        self.odd = True
                else:
                    h, s = self.item(v, depth)
                    size += s + 1
                    if h >= height:
                        height = h + 1
        if size > self.max_length:
            _too_long(self.max_length)
        self.active.discard(key)
        self.memo[key] = (height, size)
        return height, size

    def item(self, value: Any, depth: int) -> tuple[int, int]:
        kind = type(value)
        if kind is Blank:
            value = value.inner
            if value is None:
                return 0, 2
            kind = type(value)
        if isinstance(value, (list, dict)):
            return self.container(value, depth + 1)
        if kind is float:
            if _odd_float(value):
                self.odd = True
            return 0, 24
        return 0, 22

    def too_deep(self) -> None:
        raise BudgetExceeded(
            f"The data is nested more than {self.max_depth} levels deep (or contains itself)",
            limit="data_nesting",
        )


def _charge(length: int) -> None:
    from deluge.runtime.execution import check_text_length

    check_text_length(length)


def _too_long(limit: int) -> None:
    raise BudgetExceeded(f"The text would be longer than {limit} characters", limit="text_length")
