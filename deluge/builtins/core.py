"""Helpers every built-in shares: argument checks with one wording, and the `key : value` pair.

Built-ins validate their own arguments with these, so that every message reads
the same: "The function 'subString' needs a NUMBER for start_index, not TEXT".
"""

from __future__ import annotations

from typing import Any

from deluge.errors import DelugeRuntimeError
from deluge.runtime.execution import ELEMENT_BYTES, check_collection_size, check_text_length
from deluge.runtime.values import Blank, DateTime, DList, DMap, type_name


class Pair(tuple):  # type: ignore[type-arg]
    """A `key : value` argument of `Collection(...)`, `insert(...)` and `insertAll(...)`."""

    __slots__ = ()

    def __new__(cls, key: Any, value: Any) -> Pair:
        return super().__new__(cls, (key, value))


def make_pair(key: Any, value: Any) -> Pair:
    return Pair(key, value)


def wrong_type(fname: str, param: str, wanted: str, value: Any) -> DelugeRuntimeError:
    return DelugeRuntimeError(f"The function '{fname}' needs {wanted} for {param}, not {type_name(value)}")


def as_int(value: Any, fname: str, param: str) -> int:
    """A whole number argument; a decimal is truncated toward zero, numeric text is read."""
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is float:
        return int(value)
    if kind is str:
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
    raise wrong_type(fname, param, "a NUMBER", value)


def as_number(value: Any, fname: str, param: str) -> int | float:
    kind = type(value)
    if kind is int or kind is float:
        return value  # type: ignore[no-any-return]
    raise wrong_type(fname, param, "a NUMBER", value)


def as_text(value: Any, fname: str, param: str) -> str:
    if type(value) is str:
        return value  # type: ignore[no-any-return]
    raise wrong_type(fname, param, "a TEXT", value)


def as_bool(value: Any, fname: str, param: str) -> bool:
    if value is True or value is False:
        return value  # type: ignore[no-any-return]
    raise wrong_type(fname, param, "a BOOLEAN", value)


def as_list(value: Any, fname: str, param: str) -> list[Any]:
    if isinstance(value, list):
        return value
    if type(value) is Blank:
        return value.inner if isinstance(value.inner, list) else DList()  # type: ignore[return-value]
    raise wrong_type(fname, param, "a LIST", value)


def as_map(value: Any, fname: str, param: str) -> dict[Any, Any]:
    if isinstance(value, dict):
        return value
    if type(value) is Blank:
        return value.inner if isinstance(value.inner, dict) else DMap()  # type: ignore[return-value]
    raise wrong_type(fname, param, "a KEY-VALUE", value)


def as_date(value: Any, fname: str, param: str) -> DateTime:
    if type(value) is DateTime:
        return value  # type: ignore[no-any-return]
    raise wrong_type(fname, param, "a DATE-TIME", value)


def check_text(ex: Any, length: int) -> None:
    """Refuses a text result longer than the run's limit, before it is built; a long one is
    charged to the allocation meter."""
    if length > 4096:
        check_text_length(length)


def grow(ex: Any, container: Any, extra: int = 1) -> None:
    """Refuses to grow a list or map past the run's collection-size limit; charges the new
    elements to the allocation meter."""
    if len(container) + extra > ex.limits.collection_size:
        check_collection_size(len(container) + extra)
    total = ex.allocated + extra * ELEMENT_BYTES
    ex.allocated = total
    if total > ex.limits.allocation:
        ex.allocate(0)
