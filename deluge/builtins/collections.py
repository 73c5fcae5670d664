"""Lists, maps and collections: constructors, typed-list conversion and every list, map and
collection function.

Specification: list-map-date-json.md sections 0 to 3; LANGUAGE.md 3.8 to 3.10, 4.4 and 6;
DECISIONS.md D5, D6, D12, D35 and D50.

A COLLECTION is a list (index kind) or a map (key-value kind): `Collection("a", "b")` is a
`DList` and `Collection("a" : 1)` a `DMap`, so every collection function also works on lists
and maps of the matching kind, and every list (map) function on an index (key-value)
collection (section 0.4). An empty `Collection()` is a `Blank` that the dispatcher settles
on its first insert. Element equality is the `==` of LANGUAGE.md 4.4 (`ops.eq`); ordering is
its `<` (numbers by value, texts by code point, dates chronologically, `false < true`).

Decisions taken here where the spec is silent (each is repeated on its function):

- Results that copy part of a typed list (`distinct`, `subList`, `intersect`, `toList`,
  `duplicate`) keep its element type, so later `add`s still convert.
- `null` may be stored in a typed list (like an untyped one); it is never converted.
- `sort`/`sortKey` take a BOOLEAN `ascending`; anything else is a runtime error.
- `toListString` on a list renders each element as the list's own rendering shows it (nested
  lists and maps as compact JSON), so its elements joined with `,` give `l.toString()`.
- `containsKey(i)` on an index collection is `false` (not an error) for anything that is not
  a whole number.
- `List(null)` and `Map(null)` give an empty list / map.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from deluge.builtins.core import Pair, as_int, grow, wrong_type
from deluge.builtins.registry import function, method
from deluge.errors import BudgetExceeded, DelugeRuntimeError
from deluge.runtime import ops
from deluge.runtime.execution import ELEMENT_BYTES
from deluge.runtime.render import render, to_json
from deluge.runtime.values import (
    INT_MAX,
    INT_MIN,
    Blank,
    DateTime,
    DFile,
    DList,
    DMap,
    Time,
    TypedList,
    type_name,
)

# ---------------------------------------------------------------- keys that are lists or maps


class KeyList(DList):
    """A list used as a map key: its elements frozen, so it can be hashed; renders like a list.

    It is never handed to a script: `keys()`, `getKey()` and friends thaw it back to a `DList`.
    """

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self))


class KeyMap(DMap):
    """A map used as a map key, its values frozen; hashed as its set of (key, value) pairs."""

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))


def freeze_key(value: Any) -> Any:
    """A list or map (or `{}`) turned into a hashable key that still renders and compares as one."""
    if type(value) is Blank:
        value = value.inner if value.inner is not None else DMap()
    if type(value) is KeyList or type(value) is KeyMap:
        return value
    if isinstance(value, list):
        return KeyList(freeze_key(v) for v in value)
    if isinstance(value, dict):
        return KeyMap((k, freeze_key(v)) for k, v in value.items())
    return value


def map_key(value: Any) -> Any:
    """A value usable to look a key up in a map (lists and maps frozen)."""
    if isinstance(value, (list, dict)) or type(value) is Blank:
        return freeze_key(value)
    return value


def store_key(value: Any) -> Any:
    """A key as a map stores it: frozen, and a date-only value as the date-time at 00:00:00
    (list-map-date-json.md section 2, "Keys")."""
    if type(value) is DateTime and value.date_only:
        return DateTime(value.dt, False)
    return map_key(value)


def thaw(value: Any) -> Any:
    """A stored key as a script sees it: a frozen list or map becomes an ordinary one again."""
    kind = type(value)
    if kind is KeyList:
        return DList(thaw(v) for v in value)
    if kind is KeyMap:
        return DMap((k, thaw(v)) for k, v in value.items())
    return value


# ---------------------------------------------------------------- typed lists (LANGUAGE.md 3.8)

TYPE_KINDS = ("TEXT", "NUMBER", "DECIMAL", "DATE-TIME", "BOOLEAN", "KEY-VALUE", "LIST", "COLLECTION", "FILE")

_WHOLE_TEXT = re.compile(r"[+-]?[0-9]+")
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")


def _epoch_millis(ms: int) -> DateTime:
    """Epoch milliseconds as a date-time in the application time zone (section 0.6)."""
    from deluge.runtime.execution import current

    ex = current()
    zone = getattr(ex, "timezone", "UTC") if ex is not None else "UTC"
    try:
        utc = _dt.datetime(1970, 1, 1) + _dt.timedelta(milliseconds=ms)
        if zone != "UTC":
            from zoneinfo import ZoneInfo

            utc = utc.replace(tzinfo=_dt.UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    except (OverflowError, ValueError):
        raise DelugeRuntimeError(f"{ms} milliseconds is outside the range of dates") from None
    return DateTime(utc.replace(microsecond=0))


def _text_to_datetime(text: str) -> DateTime:
    from deluge.builtins.dates import text_to_datetime
    from deluge.runtime.execution import current

    ex = current()
    year = ex.now().year if ex is not None else None
    return text_to_datetime(text, year)


def convert_element(value: Any, kind: str) -> Any:
    """`value` converted for a typed list (or a typed parameter) of `kind`, or a runtime error.

    TEXT turns numbers, decimals, dates, times and booleans into their rendering; NUMBER takes
    whole numbers and text holding one (64-bit); DECIMAL takes numbers and numeric text;
    BOOLEAN takes booleans and the texts "true"/"false" (any case); DATE-TIME takes date-times,
    date text (list-map-date-json.md 4.1) and epoch milliseconds. `null` stays `null`.
    """
    if value is None:
        return None
    vt = type(value)
    if kind == "TEXT":
        if vt is str:
            return value
        if vt in (int, float, bool, DateTime, Time):
            return render(value)
    elif kind == "NUMBER":
        if vt is int:
            return value
        if vt is str:
            text = value.strip()
            if _WHOLE_TEXT.fullmatch(text):
                number = int(text)
                if INT_MIN <= number <= INT_MAX:
                    return number
                raise DelugeRuntimeError(f"The text '{text}' holds a number outside the 64-bit range")
    elif kind == "DECIMAL":
        if vt is float:
            return value
        if vt is int:
            return float(value)
        if vt is str:
            text = value.strip()
            if _DECIMAL_TEXT.fullmatch(text):
                number = float(text)
                if math.isfinite(number):
                    return number
    elif kind == "BOOLEAN":
        if vt is bool:
            return value
        if vt is str and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
    elif kind == "DATE-TIME":
        if vt is DateTime:
            return value
        if vt is int:
            return _epoch_millis(value)
        if vt is str:
            try:
                return _text_to_datetime(value)
            except DelugeRuntimeError:
                pass
    elif kind == "KEY-VALUE":
        if isinstance(value, dict) or vt is Blank:
            return value
    elif kind in ("LIST", "COLLECTION"):
        if isinstance(value, (list, dict)) or vt is Blank:
            return value
    elif kind == "FILE":
        if vt is DFile:
            return value
    else:
        return value
    shown = render(value) if vt in (str, int, float, bool) else ""
    detail = f" '{shown}'" if shown and len(shown) <= 40 else ""
    raise DelugeRuntimeError(
        f"A value of type {type_name(value)}{detail} cannot be used where {kind} is expected"
    )


def _typed_match(value: Any, kind: str) -> bool:
    """Whether `value` is of a typed list's own type (removeElement demands it)."""
    if value is None:
        return True
    vt = type(value)
    if kind == "TEXT":
        return vt is str
    if kind == "NUMBER":
        return vt is int
    if kind == "DECIMAL":
        return vt is float or vt is int
    if kind == "BOOLEAN":
        return vt is bool
    if kind == "DATE-TIME":
        return vt is DateTime
    return True


def _new_like(source: Any, items: Iterable[Any] = ()) -> DList:
    """A new list of the same kind as `source` (typed lists keep their element type)."""
    if type(source) is TypedList:
        return TypedList(items, source.elem)
    return DList(items)


def new_typed_list(ex: Any, kind: str, args: tuple[Any, ...]) -> TypedList:
    """`List:Type()` or `List:Type(initialList)`: every initial element converted (3.8)."""
    out = TypedList((), kind)
    if len(args) > 1:
        raise DelugeRuntimeError("A typed list takes at most one list of initial elements")
    if args and args[0] is not None:
        items = _elements(args[0], f"List:{kind}", "initial elements")
        grow(ex, out, len(items))
        _work(ex, len(items))
        out.extend([convert_element(v, kind) for v in items])
    return out


# ---------------------------------------------------------------- argument helpers


def _work(ex: Any, units: int) -> None:
    if units > 0:
        ex.charge_work(units)


def _elements(value: Any, fname: str, param: str) -> list[Any]:
    """A list argument (or an index collection, or an unsettled `{}`); anything else is an error."""
    if isinstance(value, list):
        return value
    if type(value) is Blank:
        inner = value.inner
        if inner is None:
            return DList()
        if isinstance(inner, list):
            return inner
    raise wrong_type(fname, param, "a LIST", value)


def _entries(value: Any, fname: str, param: str) -> dict[Any, Any]:
    """A map argument (or a key-value collection, or an unsettled `{}`); anything else is an error."""
    if isinstance(value, dict):
        return value
    if type(value) is Blank:
        inner = value.inner
        if inner is None:
            return DMap()
        if isinstance(inner, dict):
            return inner
    raise wrong_type(fname, param, "a KEY-VALUE", value)


def _members(value: Any, fname: str, param: str) -> list[Any]:
    """The elements of a list or the values of a map (a collection of either kind)."""
    if type(value) is Blank:
        value = value.inner if value.inner is not None else DList()
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    raise wrong_type(fname, param, "a LIST or a COLLECTION", value)


def _bool_arg(value: Any, fname: str) -> bool:
    if value is True or value is False:
        return value
    raise wrong_type(fname, "ascending", "a BOOLEAN", value)


def _index(ex: Any, target: list[Any], index: Any, fname: str, size: int | None = None) -> int:
    """A 0-based position inside `target` (or below `size`): a whole NUMBER, a whole DECIMAL
    or text holding a whole number (list-map-date-json.md, list `get`)."""
    if type(index) is float and index != int(index):
        raise DelugeRuntimeError(f"{fname}: the index {render(index)} is not a whole number")
    if index is None:
        raise DelugeRuntimeError(f"{fname}: the index is null")
    i = as_int(index, fname, "index")
    limit = len(target) if size is None else size
    if i < 0:
        raise DelugeRuntimeError(f"{fname}: the index {i} is negative")
    if i >= limit:
        raise DelugeRuntimeError(
            f"{fname}: the index {i} is past the end of the list, which has {limit} element(s)"
        )
    return i


# ---------------------------------------------------------------- equality keys


class _Unkeyable(Exception):
    """A value with no hashable form that agrees with `ops.eq` (an unsettled `{}`)."""


class _EqKey:
    """The hashable form of a list or map for `ops.eq`: the hash is computed once."""

    __slots__ = ("hash", "value")

    def __init__(self, value: Any) -> None:
        self.value = value
        self.hash = hash(value)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return type(other) is _EqKey and self.hash == other.hash and (
            self.value is other.value or self.value == other.value
        )


_TRUE_KEY = ("boolean", True)
_FALSE_KEY = ("boolean", False)


class _Keyer:
    """Hashable keys that are equal exactly when `ops.eq` says the values are equal.

    Numbers are themselves (`2` and `2.0` are one key), `null` is `""` (`null == ""`),
    booleans are tagged (so `true` is not `1`), lists and maps become `_EqKey`s built once per
    distinct container. Data nested deeper than the limit, or containing itself, is a
    `budget` error (D50).
    """

    def __init__(self, ex: Any) -> None:
        self.ex = ex
        self.memo: dict[int, _EqKey] = {}
        self.active: set[int] = set()
        self.limit = ex.limits.data_nesting

    def key(self, value: Any, depth: int = 0) -> Any:
        kind = type(value)
        if kind is str or kind is int or kind is float or kind is DateTime or kind is Time:
            return value
        if value is None:
            return ""
        if kind is bool:
            return _TRUE_KEY if value else _FALSE_KEY
        if kind is Blank:
            if value.inner is None:
                raise _Unkeyable
            return self.key(value.inner, depth)
        if isinstance(value, (list, dict)):
            ident = id(value)
            known = self.memo.get(ident)
            if known is not None:
                return known
            if ident in self.active or depth >= self.limit:
                raise BudgetExceeded(
                    f"The data is nested more than {self.limit} levels deep (or contains itself)",
                    limit="data_nesting",
                )
            self.active.add(ident)
            self.ex.charge_work(len(value) + 1)
            if isinstance(value, list):
                made = _EqKey(("list", tuple(self.key(v, depth + 1) for v in value)))
            else:
                made = _EqKey(("map", frozenset((k, self.key(v, depth + 1)) for k, v in value.items())))
            self.active.discard(ident)
            self.memo[ident] = made
            return made
        return value  # files and other objects: equal only to themselves, as `ops.eq` says


def _keys_or_none(ex: Any, values: Iterable[Any]) -> list[Any] | None:
    """The equality keys of `values`, or None when one of them has none (then compare pairwise)."""
    keyer = _Keyer(ex)
    try:
        return [keyer.key(v) for v in values]
    except _Unkeyable:
        return None


def _distinct(ex: Any, values: list[Any]) -> list[Any]:
    """The values with later duplicates (by `==`) dropped, first occurrences in order."""
    _work(ex, len(values))
    keys = _keys_or_none(ex, values)
    if keys is not None:
        seen: set[Any] = set()
        out = []
        for value, key in zip(values, keys, strict=True):
            if key not in seen:
                seen.add(key)
                out.append(value)
        return out
    kept: list[Any] = []
    for value in values:
        _work(ex, len(kept))
        if not any(ops.eq(x, value) for x in kept):
            kept.append(value)
    return kept


def _membership(ex: Any, pool: list[Any]) -> Callable[[Any], bool]:
    """A test "is this value `==` to some member of `pool`"."""
    _work(ex, len(pool))
    keys = _keys_or_none(ex, pool)
    if keys is not None:
        keyset = set(keys)
        keyer = _Keyer(ex)

        def fast(value: Any) -> bool:
            try:
                return keyer.key(value) in keyset
            except _Unkeyable:
                return any(ops.eq(x, value) for x in pool)

        return fast

    def slow(value: Any) -> bool:
        _work(ex, len(pool))
        return any(ops.eq(x, value) for x in pool)

    return slow


def _consume(ex: Any, members: list[Any], values: list[Any]) -> list[bool]:
    """Which members a `delete` of each of `values` in turn removes: for every value, the first
    member equal to it that is still there."""
    removed = [False] * len(members)
    _work(ex, len(members) + len(values))
    member_keys = _keys_or_none(ex, members)
    value_keys = _keys_or_none(ex, values) if member_keys is not None else None
    if member_keys is not None and value_keys is not None:
        wanted = Counter(value_keys)
        for i, key in enumerate(member_keys):
            if wanted.get(key, 0) > 0:
                wanted[key] -= 1
                removed[i] = True
        return removed
    for value in values:
        _work(ex, len(members))
        for i, member in enumerate(members):
            if not removed[i] and ops.eq(member, value):
                removed[i] = True
                break
    return removed


# ---------------------------------------------------------------- ordering

_ORDER_KIND = {int: "number", float: "number", str: "text", bool: "boolean", DateTime: "date", Time: "time"}


def _order_key(values: Iterable[Any]) -> Callable[[Any], Any] | None:
    """A sort key for values that are all of one ordered kind, or None for mixed kinds (null,
    lists and maps included): those cannot be sorted (list-map-date-json.md, `sort`)."""
    kinds = set()
    for value in values:
        kind = _ORDER_KIND.get(type(value))
        if kind is None:
            return None
        kinds.add(kind)
        if len(kinds) > 1:
            return None
    if kinds == {"date"}:
        return lambda v: v.dt
    if kinds == {"time"}:
        return lambda v: v.seconds
    return lambda v: v


def _charge_sort(ex: Any, n: int) -> None:
    if n > 1:
        ex.charge_work(int(n * math.log2(n)) + 1)


# ---------------------------------------------------------------- text of elements


def _element_text(ex: Any, value: Any) -> str:
    """An element as a rendered list shows it: nested lists and maps as compact JSON (D12)."""
    if type(value) is str:
        return value  # type: ignore[no-any-return]
    if isinstance(value, (list, dict)) or type(value) is Blank:
        return to_json(value, max(1, ex.limits.data_nesting - 1), ex.limits.text_length)
    return render(value)


def _too_long(ex: Any, length: int, fname: str) -> None:
    limit = ex.limits.text_length
    raise BudgetExceeded(
        f"{fname}: the text would be {length} characters, longer than the limit of {limit}",
        limit="text_length",
    )


# ---------------------------------------------------------------- constructors


@function("List")
def new_list(ex: Any, initial: Any = None) -> DList:
    """`List()` is a new empty list; `List(l)` a new list with the elements of `l` (D35).
    `List(null)` is an empty list [decision]."""
    if initial is None:
        return DList()
    items = _elements(initial, "List", "initial")
    grow(ex, (), len(items))
    _work(ex, len(items))
    return DList(items)


@function("Map")
def new_map(ex: Any, initial: Any = None) -> DMap:
    """`Map()` is a new empty map; `Map(m)` a new map with the entries of `m` (D35).
    `Map(null)` is an empty map [decision]."""
    if initial is None:
        return DMap()
    entries = _entries(initial, "Map", "initial")
    grow(ex, (), len(entries))
    _work(ex, len(entries))
    return DMap(entries)


@function("Collection")
def new_collection(ex: Any, *items: Any) -> Any:
    """`Collection()` is an empty collection that settles on its first insert;
    `Collection(e1, e2, ...)` an index collection; `Collection(k1 : v1, ...)` a key-value one
    (a repeated key keeps its first position and its last value). Mixing the two is an error."""
    if not items:
        return Blank(collection=True)
    grow(ex, (), len(items))
    pairs = [type(x) is Pair for x in items]
    if all(pairs):
        out = DMap()
        for key, value in items:
            out[store_key(key)] = value
        return out
    if any(pairs):
        raise DelugeRuntimeError("Collection: a collection holds either elements or key : value pairs, not both")
    return DList(items)


# ---------------------------------------------------------------- adding elements


def _convert_all(target: list[Any], values: Iterable[Any]) -> list[Any]:
    if type(target) is TypedList:
        return [convert_element(v, target.elem) for v in values]
    return list(values)


@method("list", "add")
def list_add(ex: Any, target: list[Any], value: Any) -> None:
    """Appends one element (a list is added as one nested element); typed lists convert it."""
    if type(value) is Pair:
        raise DelugeRuntimeError("add: a key : value pair cannot be added to a list")
    ex.allocated += ELEMENT_BYTES
    if len(target) >= ex.limits.collection_size or ex.allocated > ex.limits.allocation:
        grow(ex, target)
    if type(target) is TypedList:
        value = convert_element(value, target.elem)
    target.append(value)


@method("list", "addAll")
def list_add_all(ex: Any, target: list[Any], values: Any) -> None:
    """Appends every element of a list (or index collection), in order. `l.addAll(l)` doubles `l`."""
    items = _convert_all(target, _elements(values, "addAll", "values"))
    grow(ex, target, len(items))
    _work(ex, len(items))
    target.extend(items)


# ---------------------------------------------------------------- reading


@method(("list", "map", "collection"), "get")
def get(ex: Any, target: Any, key: Any) -> Any:
    """List / index collection: the element at a 0-based index (out of range: runtime error).
    Map / key-value collection: the value of the key, or null when it is absent."""
    if isinstance(target, dict):
        if isinstance(key, (list, dict)) or type(key) is Blank:
            key = freeze_key(key)
        return target.get(key)
    if type(key) is int and 0 <= key < len(target):
        return target[key]
    return target[_index(ex, target, key, "get")]


list_get = get
map_get = get


@method(("list", "map", "collection"), "size")
def size(ex: Any, target: Any) -> int:
    """The number of elements or entries (a nested list counts as one)."""
    return len(target)


@method(("list", "map", "collection"), "isEmpty")
def is_empty(ex: Any, target: Any) -> bool:
    return len(target) == 0


@method(("list", "map", "collection"), "clear")
def clear(ex: Any, target: Any) -> None:
    """Removes every element or entry; a collection keeps its kind."""
    target.clear()


@method(("list", "map"), "contains")
def contains(ex: Any, target: Any, value: Any) -> bool:
    """List: whether some element `==` the value (type-strict, case-sensitive, not looking
    inside nested lists or maps). Map: whether the key is present."""
    if isinstance(target, dict):
        return has_key(ex, target, value)
    _work(ex, len(target))
    return any(ops.eq(x, value) for x in target)


list_contains = contains


@method(("list", "map", "collection"), "notContains")
def not_contains(ex: Any, target: Any, value: Any) -> bool:
    """The negation of `contains` (on maps: "the key is absent")."""
    return not contains(ex, target, value)


@method("list", "indexOf")
def list_index_of(ex: Any, target: list[Any], value: Any) -> int:
    """The position of the first element `==` the value, or -1."""
    for i, x in enumerate(target):
        if ops.eq(x, value):
            _work(ex, i + 1)
            return i
    _work(ex, len(target))
    return -1


@method("list", "lastIndexOf")
def list_last_index_of(ex: Any, target: list[Any], value: Any) -> int:
    """The position of the last element `==` the value, or -1."""
    _work(ex, len(target))
    for i in range(len(target) - 1, -1, -1):
        if ops.eq(target[i], value):
            return i
    return -1


@method(("list", "collection"), "distinct")
def distinct(ex: Any, target: Any) -> DList:
    """A new list of the elements (of the values, for a key-value collection) without later
    duplicates, first occurrences in order. The receiver is unchanged."""
    if isinstance(target, dict):
        return DList(_distinct(ex, list(target.values())))
    return _new_like(target, _distinct(ex, target))


@method(("list", "collection"), "intersect")
def intersect(ex: Any, target: Any, other: Any) -> DList:
    """A new list of the elements (values) of the receiver that also occur in `other` (a list
    or a collection of either kind), in the receiver's order, each once."""
    mine = list(target.values()) if isinstance(target, dict) else target
    present = _membership(ex, _members(other, "intersect", "other"))
    common = [x for x in _distinct(ex, mine) if present(x)]
    if isinstance(target, dict):
        return DList(common)
    return _new_like(target, common)


@method("list", "subList")
def sub_list(ex: Any, target: list[Any], start: Any, end: Any = None) -> DList:
    """A new list of the elements from `start` (inclusive) to `end` (exclusive, default: the
    size). Negative start, end past the size, or start after end: runtime error."""
    return _new_like(target, target[slice(*_range(target, start, end, "subList"))])


def _range(target: Any, start: Any, end: Any, fname: str) -> tuple[int, int]:
    size = len(target)
    i = 0 if start is None else _whole(start, fname, "start")
    j = size if end is None else _whole(end, fname, "end")
    if i < 0:
        raise DelugeRuntimeError(f"{fname}: the start index {i} is negative")
    if j > size:
        raise DelugeRuntimeError(f"{fname}: the end index {j} is past the end (the size is {size})")
    if i > j:
        raise DelugeRuntimeError(f"{fname}: the start index {i} is after the end index {j}")
    return i, j


def _whole(value: Any, fname: str, param: str) -> int:
    if type(value) is float and value != int(value):
        raise DelugeRuntimeError(f"{fname}: the {param} index {render(value)} is not a whole number")
    return as_int(value, fname, param)


# ---------------------------------------------------------------- removing


@method(("list", "map"), "remove")
def remove(ex: Any, target: Any, key: Any) -> Any:
    """List: removes and returns the element at an index (out of range: runtime error).
    Map: removes the key and returns its value; an absent key returns null."""
    if isinstance(target, dict):
        if isinstance(key, (list, dict)) or type(key) is Blank:
            key = freeze_key(key)
        return target.pop(key, None)
    return target.pop(_index(ex, target, key, "remove"))


list_remove = remove
map_remove = remove


@method("list", "removeElement")
def list_remove_element(ex: Any, target: list[Any], value: Any) -> None:
    """Removes the first element `==` the value; none matching leaves the list unchanged.
    On a typed list, a value of another type is a runtime error."""
    if type(target) is TypedList and not _typed_match(value, target.elem):
        raise DelugeRuntimeError(
            f"removeElement: a list of {target.elem} cannot hold a value of type {type_name(value)}"
        )
    for i, x in enumerate(target):
        if ops.eq(x, value):
            _work(ex, i + 1)
            del target[i]
            return
    _work(ex, len(target))


@method("list", "removeAll")
def list_remove_all(ex: Any, target: list[Any], values: Any) -> None:
    """Removes every occurrence of every value of the list argument; others are ignored."""
    present = _membership(ex, list(_elements(values, "removeAll", "values")))
    _work(ex, len(target))
    target[:] = [x for x in target if not present(x)]


@method("collection", "delete")
def collection_delete(ex: Any, target: Any, value: Any) -> None:
    """Index kind: removes the first element `==` the value. Key-value kind: removes the first
    entry whose value `==` it. No match: nothing happens."""
    if isinstance(target, dict):
        for key, v in target.items():
            if ops.eq(v, value):
                del target[key]
                break
        _work(ex, len(target))
        return
    for i, x in enumerate(target):
        if ops.eq(x, value):
            del target[i]
            break
    _work(ex, len(target))


@method("collection", "deleteAll")
def collection_delete_all(ex: Any, target: Any, values: Any) -> None:
    """`delete` for each value of the list argument, in turn."""
    wanted = list(_members(values, "deleteAll", "values"))
    if isinstance(target, dict):
        keys = list(target)
        gone = _consume(ex, list(target.values()), wanted)
        for key, drop in zip(keys, gone, strict=True):
            if drop:
                del target[key]
        return
    gone = _consume(ex, target, wanted)
    target[:] = [x for x, drop in zip(target, gone, strict=True) if not drop]


@method("collection", "deleteKey")
def collection_delete_key(ex: Any, target: Any, key: Any) -> None:
    """Key-value kind: removes the key (absent: ignored). Index kind: removes the element at the
    0-based index (an index that does not exist is a runtime error)."""
    if isinstance(target, dict):
        remove(ex, target, key)
        return
    del target[_index(ex, target, key, "deleteKey")]


@method("collection", "deleteKeys")
def collection_delete_keys(ex: Any, target: Any, keys: Any) -> None:
    """`deleteKey` for each key of the list argument; indexes all refer to positions before any
    deletion, and every index is checked before anything is removed."""
    wanted = list(_members(keys, "deleteKeys", "keys"))
    _work(ex, len(wanted))
    if isinstance(target, dict):
        for key in wanted:
            remove(ex, target, key)
        return
    doomed = {_index(ex, target, k, "deleteKeys") for k in wanted}
    _work(ex, len(target))
    target[:] = [x for i, x in enumerate(target) if i not in doomed]


# ---------------------------------------------------------------- ordering


@method(("list", "collection"), "sort")
def sort(ex: Any, target: Any, ascending: Any = True) -> Any:
    """Sorts in place and returns the receiver: a list (index collection) by its elements, a
    key-value collection by its values. Stable. `false` sorts descending. Elements of mixed
    kinds (null, nested lists or maps included) cannot be ordered: the call returns null and
    leaves the receiver unchanged."""
    up = _bool_arg(ascending, "sort")
    if isinstance(target, dict):
        items = list(target.items())
        key = _order_key(v for _, v in items)
        if key is None:
            return None
        _charge_sort(ex, len(items))
        items.sort(key=lambda kv: key(kv[1]), reverse=not up)
        target.clear()
        target.update(items)
        return target
    key = _order_key(target)
    if key is None:
        return None
    _charge_sort(ex, len(target))
    target.sort(key=key, reverse=not up)
    return target


@method("collection", "sortKey")
def sort_key(ex: Any, target: Any, ascending: Any = True) -> Any:
    """Key-value kind: reorders the entries by key in place (texts in code-point order) and
    returns the receiver; keys of mixed kinds: null, unchanged. Index kind: ordered by index,
    so unchanged, or reversed with `false`."""
    up = _bool_arg(ascending, "sortKey")
    if isinstance(target, dict):
        items = list(target.items())
        key = _order_key(k for k, _ in items)
        if key is None:
            return None
        _charge_sort(ex, len(items))
        items.sort(key=lambda kv: key(kv[0]), reverse=not up)
        target.clear()
        target.update(items)
        return target
    if not up:
        _work(ex, len(target))
        target.reverse()
    return target


# ---------------------------------------------------------------- maps


@method("map", "put")
def map_put(ex: Any, target: dict[Any, Any], key: Any, value: Any) -> None:
    """Adds the key at the end, or replaces the value of an existing key where it stands.
    A date used as a key is stored as the date-time at 00:00:00."""
    if type(key) is not str:
        key = store_key(key)
    ex.allocated += ELEMENT_BYTES
    if (len(target) >= ex.limits.collection_size and key not in target) or ex.allocated > ex.limits.allocation:
        grow(ex, target)
    target[key] = value


@method("map", "putAll")
def map_put_all(ex: Any, target: dict[Any, Any], other: Any) -> None:
    """`put` of every entry of another map (or key-value collection), in its order."""
    source = list(_entries(other, "putAll", "map").items())
    _put_items(ex, target, source)


def _put_items(ex: Any, target: dict[Any, Any], items: list[tuple[Any, Any]]) -> None:
    _work(ex, len(items))
    stored = [(store_key(k), v) for k, v in items]
    grow(ex, target, len({k for k, _ in stored if k not in target}))
    for k, v in stored:
        target[k] = v


def has_key(ex: Any, target: dict[Any, Any], key: Any) -> bool:
    if isinstance(key, (list, dict)) or type(key) is Blank:
        key = freeze_key(key)
    return key in target


@method("map", "containKey")
def map_contain_key(ex: Any, target: dict[Any, Any], key: Any) -> bool:
    """Whether the key is present (type-strict, case-sensitive)."""
    return has_key(ex, target, key)


@method(("map", "collection"), "containsKey")
def contains_key(ex: Any, target: Any, key: Any) -> bool:
    """Key-value kind: whether the key is present. Index kind: whether `0 <= key < size`
    (anything but a whole number gives false)."""
    if isinstance(target, dict):
        return has_key(ex, target, key)
    if type(key) is float and key == int(key):
        key = int(key)
    return type(key) is int and 0 <= key < len(target)


@method("map", "containValue")
@method(("map", "collection"), "containsValue")
def contains_value(ex: Any, target: Any, value: Any) -> bool:
    """Whether some value (element, for an index collection) `==` the given one."""
    values = target.values() if isinstance(target, dict) else target
    _work(ex, len(target))
    return any(ops.eq(v, value) for v in values)


map_contain_value = contains_value


@method(("map", "collection"), "keys")
def keys(ex: Any, target: Any) -> DList:
    """A new list of the keys in map order (a list key comes back as a nested list); for an
    index collection, of its elements (not its indexes)."""
    _work(ex, len(target))
    if isinstance(target, dict):
        return DList(thaw(k) for k in target)
    return DList(target)


map_keys = keys


@method(("map", "collection"), "values")
def values(ex: Any, target: Any) -> DList:
    """A new list of the values in map order; for an index collection, of its elements."""
    _work(ex, len(target))
    if isinstance(target, dict):
        return DList(target.values())
    return DList(target)


map_values = values


@method("collection", "getKey")
def get_key(ex: Any, target: Any, value: Any) -> Any:
    """Key-value kind: the key of the first entry whose value `==` the given one, or null.
    Index kind: the position of the first equal element, or -1."""
    if isinstance(target, dict):
        for k, v in target.items():
            if ops.eq(v, value):
                return thaw(k)
        _work(ex, len(target))
        return None
    return list_index_of(ex, target, value)


@method("collection", "getLastKey")
def get_last_key(ex: Any, target: Any, value: Any) -> Any:
    """As `getKey`, for the last matching entry or element."""
    if isinstance(target, dict):
        _work(ex, len(target))
        for k in reversed(target):
            if ops.eq(target[k], value):
                return thaw(k)
        return None
    return list_last_index_of(ex, target, value)


# ---------------------------------------------------------------- collections


@method("collection", "insert")
def collection_insert(ex: Any, target: Any, *items: Any) -> None:
    """Index kind: appends each element in order. Key-value kind: puts each `key : value` pair
    (an existing key is overwritten in place). The wrong kind of argument is a runtime error,
    checked for every argument before anything is inserted."""
    if not items:
        raise DelugeRuntimeError("insert needs at least one element or key : value pair")
    if isinstance(target, dict):
        if any(type(item) is not Pair for item in items):
            raise DelugeRuntimeError("insert: only key : value pairs can be inserted into a key-value collection")
        _put_items(ex, target, [(k, v) for k, v in items])
        return
    if any(type(item) is Pair for item in items):
        raise DelugeRuntimeError("insert: a key : value pair cannot be inserted into an index collection")
    converted = _convert_all(target, items)
    grow(ex, target, len(converted))
    target.extend(converted)


@method("collection", "insertAll")
def collection_insert_all(ex: Any, target: Any, *items: Any) -> None:
    """Index kind: appends every element of a list. Key-value kind: puts every entry of a map,
    or of each map in a list of maps (key : value pairs written as arguments work too).
    The wrong kind is a runtime error, checked before anything is inserted."""
    if not items:
        raise DelugeRuntimeError("insertAll needs a list of elements or of key : value pairs")
    if all(type(item) is Pair for item in items):
        collection_insert(ex, target, *items)
        return
    if len(items) > 1:
        raise DelugeRuntimeError(f"Wrong number of arguments for 'insertAll': {len(items)} given")
    source = items[0]
    if type(source) is Blank:
        source = source.inner if source.inner is not None else DList()
    if isinstance(target, dict):
        if isinstance(source, dict):
            _put_items(ex, target, list(source.items()))
            return
        pairs: list[tuple[Any, Any]] = []
        for item in _elements(source, "insertAll", "items"):
            if type(item) is Blank:
                item = item.inner if item.inner is not None else DMap()
            if not isinstance(item, dict):
                raise DelugeRuntimeError(
                    "insertAll: only key-value pairs can be inserted into a key-value collection, "
                    f"not a value of type {type_name(item)}"
                )
            pairs.extend(item.items())
        _put_items(ex, target, pairs)
        return
    if isinstance(source, dict):
        raise DelugeRuntimeError("insertAll: key-value pairs cannot be inserted into an index collection")
    list_add_all(ex, target, source)


@method("collection", "duplicate")
def duplicate(ex: Any, target: Any, start: Any = None, end: Any = None) -> DList:
    """A new list of the elements (values, for a key-value collection) from `start` (inclusive,
    default 0) to `end` (exclusive, default: the size). Negative start, end past the size or
    start after end: runtime error."""
    i, j = _range(target, start, end, "duplicate")
    _work(ex, j - i)
    if isinstance(target, dict):
        return DList(list(target.values())[i:j])
    return _new_like(target, target[i:j])


@method("collection", "update")
def update(ex: Any, target: Any, key: Any, value: Any) -> None:
    """Index kind: replaces the element at the index (a missing index is a runtime error; typed
    lists convert the value). Key-value kind: replaces the value where it stands, or adds an
    absent key at the end."""
    if isinstance(target, dict):
        map_put(ex, target, key, value)
        return
    i = _index(ex, target, key, "update")
    if type(target) is TypedList:
        value = convert_element(value, target.elem)
    target[i] = value


map_update = update
list_update = update


# ---------------------------------------------------------------- copies and texts


@method("list", "toList")
def list_to_list(ex: Any, target: list[Any]) -> DList:
    """A new list with the same elements (a shallow copy)."""
    _work(ex, len(target))
    return _new_like(target, target)


@method("list", "toListString")
def list_to_list_string(ex: Any, target: list[Any]) -> DList:
    """A new list of texts: each element as the list's rendering shows it (nested lists and maps
    as compact JSON), so joining them with `,` gives `toString()`. The text built in total is
    held to the text-length limit."""
    out = DList()
    built = 0
    limit = ex.limits.text_length
    for x in target:
        if type(x) is str:
            out.append(x)
            continue
        text = _element_text(ex, x)
        built += len(text)
        if built > limit:
            _too_long(ex, built, "toListString")
        out.append(text)
    _work(ex, len(target) + built // 64)
    return out


_TEXT_ONLY = {str}


def list_to_string(ex: Any, target: list[Any], separator: Any = None) -> str:
    """The list's rendering (`1,2,3`), or its elements joined with `separator` (a TEXT);
    nested lists and maps as compact JSON. Refused before it grows past the text limit."""
    if separator is None:
        sep = ","
    elif type(separator) is str:
        sep = separator
    else:
        raise wrong_type("toString", "separator", "a TEXT", separator)
    limit = ex.limits.text_length
    if set(map(type, target)) <= _TEXT_ONLY:
        # every element is text: measure with C loops, then join
        total = sum(map(len, target)) + len(sep) * max(0, len(target) - 1)
        if total > limit:
            _too_long(ex, total, "toString")
        _work(ex, len(target) + total // 64)
        return sep.join(target)
    parts: list[str] = []
    total = 0
    for i, x in enumerate(target):
        part = _element_text(ex, x)
        total += len(part) + (len(sep) if i else 0)
        if total > limit:
            _too_long(ex, total, "toString")
        parts.append(part)
    _work(ex, len(target) + total // 64)
    return sep.join(parts)


def map_to_string(ex: Any, target: dict[Any, Any]) -> str:
    """The map's compact JSON, the same as its printed form."""
    text = to_json(target, ex.limits.data_nesting, ex.limits.text_length)
    _work(ex, len(target) + len(text) // 64)
    return text


@method(("list", "map"), "toString", "toText")
def to_string(ex: Any, target: Any, *args: Any) -> str:
    """`toString()` / `toText()` on a list (optionally with a separator) or on a map."""
    if isinstance(target, dict):
        if args:
            raise DelugeRuntimeError(f"Wrong number of arguments for 'toString': {len(args)} given")
        return map_to_string(ex, target)
    if len(args) > 1:
        raise DelugeRuntimeError(f"Wrong number of arguments for 'toString': {len(args)} given")
    return list_to_string(ex, target, *args)

