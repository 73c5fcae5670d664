"""Deluge values as Python objects.

Where Python's meaning matches Deluge's, the plain type is used: TEXT is `str`,
NUMBER `int`, DECIMAL `float`, BOOLEAN `bool`, NULL `None`. Lists and maps are
thin subclasses of `list` and `dict` (so builtins and JSON keep C speed); the
rest are small classes of ours. Code that asks "is this a NUMBER" must write
`type(v) is int`, because `bool` is a subclass of `int` in Python.

    LIST          list (alias DList), TypedList (List:String() and friends)
    KEY-VALUE     dict (alias DMap)
    {} / []       Blank: settles as a list or a map on its first use (LANGUAGE.md 3.8)
    COLLECTION    a DList or a DMap (list-map-date-json.md 0.4); Collection() is a Blank
    DATE-TIME     DateTime (with the date-only flag)
    TIME          Time
    FILE          DFile
    caught error  CaughtError (the variable of `catch (e)`)
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1


DList = list
"""A Deluge LIST is a plain Python list (so JSON and the C built-ins handle it at full speed)."""


class TypedList(list):  # type: ignore[type-arg]
    """A typed list (`List:String()`): `elem` is text, number, decimal, datetime or boolean."""

    __slots__ = ("elem",)

    def __init__(self, items: Any = (), elem: str = "text") -> None:
        super().__init__(items)
        self.elem = elem


DMap = dict
"""A Deluge KEY-VALUE map is a plain Python dict: keys keep insertion order."""


class Blank:
    """`{}`, `[]` or `Collection()` before its first use: `inner` becomes a DList or a DMap.

    Variables keep referring to the Blank; every operation looks through it to
    `inner` once it is settled. Until then it renders as `{}` and iterates zero times.
    """

    __slots__ = ("collection", "inner")

    def __init__(self, collection: bool = False) -> None:
        self.inner: DList | DMap | None = None
        self.collection = collection

    def settle(self, kind: type) -> DList | DMap:
        if self.inner is None:
            self.inner = kind()
        return self.inner

    def __repr__(self) -> str:
        return f"Blank({self.inner!r})"


class DateTime:
    """A DATE-TIME value; `date_only` only changes rendering (LANGUAGE.md 3.6)."""

    __slots__ = ("date_only", "dt")

    def __init__(self, dt: _dt.datetime, date_only: bool = False) -> None:
        self.dt = dt
        self.date_only = date_only

    def __eq__(self, other: object) -> bool:
        return type(other) is DateTime and self.dt == other.dt  # type: ignore[union-attr]

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self.dt)

    def __lt__(self, other: DateTime) -> bool:
        return self.dt < other.dt

    def __le__(self, other: DateTime) -> bool:
        return self.dt <= other.dt

    def __gt__(self, other: DateTime) -> bool:
        return self.dt > other.dt

    def __ge__(self, other: DateTime) -> bool:
        return self.dt >= other.dt

    def __repr__(self) -> str:
        return f"DateTime({self.dt.isoformat()}, date_only={self.date_only})"


class Time:
    """A TIME of day (Creator), as seconds after midnight."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds % 86400

    def __eq__(self, other: object) -> bool:
        return type(other) is Time and self.seconds == other.seconds  # type: ignore[union-attr]

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(("time", self.seconds))

    def __lt__(self, other: Time) -> bool:
        return self.seconds < other.seconds

    def __le__(self, other: Time) -> bool:
        return self.seconds <= other.seconds

    def __gt__(self, other: Time) -> bool:
        return self.seconds > other.seconds

    def __ge__(self, other: Time) -> bool:
        return self.seconds >= other.seconds

    def __repr__(self) -> str:
        return f"Time({self.seconds})"


class DFile:
    """A FILE: a name, bytes and a content type. Scripts only get files from tasks and conversions."""

    __slots__ = ("charset", "content", "content_type", "name")

    def __init__(self, name: str, content: bytes, content_type: str = "application/octet-stream",
                 charset: str = "UTF-8") -> None:
        self.name = name
        self.content = content
        self.content_type = content_type
        self.charset = charset

    def __repr__(self) -> str:
        return f"DFile({self.name!r}, {len(self.content)} bytes)"


class CaughtError:
    """The value bound by `catch (e)`: `e.lineNo` and `e.message` (LANGUAGE.md 5.10)."""

    __slots__ = ("line", "message")

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message

    def __repr__(self) -> str:
        return f"CaughtError({self.line}, {self.message!r})"


class NoInput:
    """Stands for `input` when the host gives no form data: any use is "not available in this host"."""

    __slots__ = ()


NO_INPUT = NoInput()

_TYPE_NAMES = {
    str: "TEXT", int: "NUMBER", float: "DECIMAL", bool: "BOOLEAN", type(None): "NULL",
    DList: "LIST", TypedList: "LIST", DMap: "KEY-VALUE", Time: "TIME", DFile: "FILE",
    CaughtError: "ERROR", NoInput: "INPUT",
}


def type_name(value: Any) -> str:
    """The Deluge name of a value's type, as messages show it."""
    kind = type(value)
    if kind is DateTime:
        return "DATE" if value.date_only else "DATE-TIME"
    if kind is Blank:
        inner = value.inner
        if inner is None:
            return "COLLECTION" if value.collection else "KEY-VALUE"
        return type_name(inner)
    return _TYPE_NAMES.get(kind, kind.__name__.upper())


def look_through(value: Any) -> Any:
    """A settled Blank's list or map; anything else unchanged (an unsettled Blank stays)."""
    if type(value) is Blank and value.inner is not None:
        return value.inner
    return value
