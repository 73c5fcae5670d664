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
            return ",".join([_flat(x) for x in value])
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
    check_data(value, max_depth, max_length)
    return _json_of(value)


def _json_of(value: Any) -> str:
    try:
        if not _needs_slow_path(value):
            return _encoder.encode(_unblank(value)) if type(value) is Blank else _fast_encoder.encode(value)
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


def check_data(value: Any, max_depth: int, max_length: int) -> None:
    """Refuses data nested deeper than `max_depth` (or containing itself) and data whose
    rendering would be longer than `max_length`, without building the rendering.

    Shared sub-structures are measured once, so a value that repeats one list many
    times costs time in proportion to its distinct parts, not its printed size.
    """
    if not isinstance(value, (list, dict)) and type(value) is not Blank:
        return
    depth_of: dict[int, int] = {}
    size_of: dict[int, int] = {}
    active: set[int] = set()
    # Iterative post-order walk: (container, children, index)
    root = value.inner if type(value) is Blank else value
    if root is None:
        return
    stack: list[list[Any]] = [[root, _children(root), 0, 0, 2]]
    active.add(id(root))
    while stack:
        frame = stack[-1]
        node, children, index = frame[0], frame[1], frame[2]
        if index < len(children):
            frame[2] = index + 1
            child = children[index]
            kind = type(child)
            if kind is Blank:
                child = child.inner
                if child is None:
                    frame[4] += 3
                    continue
            if isinstance(child, (list, dict)):
                cid = id(child)
                if cid in depth_of:
                    frame[3] = max(frame[3], depth_of[cid])
                    frame[4] += size_of[cid] + 1
                    if frame[4] > max_length:
                        _too_long(max_length)
                    continue
                if cid in active or len(stack) >= max_depth:
                    raise BudgetExceeded(
                        f"The data is nested more than {max_depth} levels deep (or contains itself)",
                        limit="data_nesting",
                    )
                active.add(cid)
                stack.append([child, _children(child), 0, 0, 2])
            else:
                frame[4] += _scalar_size(child) + 1
                if frame[4] > max_length:
                    _too_long(max_length)
        else:
            stack.pop()
            active.discard(id(node))
            depth_of[id(node)] = frame[3] + 1
            size_of[id(node)] = frame[4]
            if stack:
                parent = stack[-1]
                parent[3] = max(parent[3], frame[3] + 1)
                parent[4] += frame[4] + 1
                if parent[4] > max_length:
                    _too_long(max_length)


def _too_long(limit: int) -> None:
    raise BudgetExceeded(f"The text would be longer than {limit} characters", limit="text_length")


def _children(container: Any) -> list[Any]:
    if isinstance(container, dict):
        out: list[Any] = []
        for k, v in container.items():
            out.append(k)
            out.append(v)
        return out
    return container  # type: ignore[no-any-return]


def _scalar_size(value: Any) -> int:
    kind = type(value)
    if kind is str:
        return len(value) + 2
    if kind is bool or value is None:
        return 5
    if kind is int or kind is float:
        return 24
    return 22
