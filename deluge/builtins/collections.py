"""Lists, maps and collections: constructors, typed-list conversion and the core methods.

Specification: list-map-date-json.md sections 1 to 3, LANGUAGE.md 3.8 to 3.10.
A COLLECTION is a list (index kind) or a map (key-value kind); every collection
method also works on lists and maps of the matching kind, and the reverse
(section 0.4). Equality of elements is the `==` of LANGUAGE.md 4.4.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from deluge.builtins.core import Pair, as_int, as_list, as_map, grow, wrong_type
from deluge.builtins.registry import function, method
from deluge.errors import DelugeRuntimeError
from deluge.runtime import ops
from deluge.runtime.render import render, to_json
from deluge.runtime.values import Blank, DateTime, DList, DMap, TypedList, type_name

# ---------------------------------------------------------------- keys that are lists or maps


class KeyList(tuple):  # type: ignore[type-arg]
    """A list used as a map key: frozen, so it can be hashed; renders like a list."""

    __slots__ = ()


class KeyMap(tuple):  # type: ignore[type-arg]
    """A map used as a map key, frozen as its (key, value) pairs."""

    __slots__ = ()


def freeze_key(value: Any) -> Any:
    if type(value) is Blank:
        value = value.inner if value.inner is not None else DMap()
    if isinstance(value, list):
        return KeyList(freeze_key(v) for v in value)
    if isinstance(value, dict):
        return KeyMap((k, freeze_key(v)) for k, v in value.items())
    return value


def map_key(value: Any) -> Any:
    if isinstance(value, (list, dict)) or type(value) is Blank:
        return freeze_key(value)
    return value


# ---------------------------------------------------------------- typed lists (LANGUAGE.md 3.8)

TYPE_KINDS = ("TEXT", "NUMBER", "DECIMAL", "DATE-TIME", "BOOLEAN", "KEY-VALUE", "LIST", "COLLECTION", "FILE")


def convert_element(value: Any, kind: str) -> Any:
    """`value` converted for a typed list (or a typed parameter) of `kind`, or a runtime error."""
    vt = type(value)
    if kind == "TEXT":
        if vt is str:
            return value
        if vt in (int, float, bool) or vt is DateTime:
            return render(value)
    elif kind == "NUMBER":
        if vt is int:
            return value
        if vt is str:
            try:
                return int(value.strip())
            except ValueError:
                pass
    elif kind == "DECIMAL":
        if vt is float:
            return value
        if vt is int:
            return float(value)
        if vt is str:
            try:
                return float(value.strip())
            except ValueError:
                pass
    elif kind == "BOOLEAN":
        if vt is bool:
            return value
        if vt is str and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
    elif kind == "DATE-TIME":
        if vt is DateTime:
            return value
        if vt is int:
            return DateTime(_dt.datetime(1970, 1, 1) + _dt.timedelta(milliseconds=value))
        if vt is str:
            from deluge.builtins.dates import text_to_datetime

            try:
                return text_to_datetime(value)
            except DelugeRuntimeError:
                pass
    elif kind in ("KEY-VALUE",):
        if isinstance(value, dict) or vt is Blank:
            return value
    elif kind in ("LIST", "COLLECTION"):
        if isinstance(value, (list, dict)) or vt is Blank:
            return value
    elif kind == "FILE":
        from deluge.runtime.values import DFile

        if vt is DFile:
            return value
    else:
        return value
    raise DelugeRuntimeError(f"A value of type {type_name(value)} cannot be used where {kind} is expected")


def new_typed_list(ex: Any, kind: str, args: tuple[Any, ...]) -> TypedList:
    out = TypedList((), kind)
    if len(args) > 1:
        raise DelugeRuntimeError("A typed list takes at most one list of initial elements")
    if args:
        initial = args[0]
        items = as_list(initial, f"List:{kind}", "initial") if initial is not None else []
        grow(ex, out, len(items))
        out.extend(convert_element(v, kind) for v in items)
    return out


# ---------------------------------------------------------------- constructors


@function("List")
def new_list(ex: Any, initial: Any = None) -> DList:
    if initial is None:
        return DList()
    return DList(as_list(initial, "List", "initial"))


@function("Map")
def new_map(ex: Any, initial: Any = None) -> DMap:
    if initial is None:
        return DMap()
    return DMap(as_map(initial, "Map", "initial"))


@function("Collection")
def new_collection(ex: Any, *items: Any) -> Any:
    if not items:
        return Blank(collection=True)
    if all(type(x) is Pair for x in items):
        out = DMap()
        for key, value in items:
            out[map_key(key)] = value
        grow(ex, out, 0)
        return out
    if any(type(x) is Pair for x in items):
        raise DelugeRuntimeError("A collection holds either elements or key : value pairs, not both")
    grow(ex, items, 0)
    return DList(items)


# ---------------------------------------------------------------- lists


def _append(ex: Any, target: list[Any], value: Any) -> None:
    if type(target) is TypedList:
        value = convert_element(value, target.elem)
    target.append(value)


@method("list", "add")
def list_add(ex: Any, target: list[Any], value: Any) -> None:
    if len(target) >= ex.limits.collection_size:
        grow(ex, target)
    if type(value) is Pair:
        raise DelugeRuntimeError("A key : value pair cannot be added to a list")
    if type(target) is DList:
        target.append(value)
    else:
        _append(ex, target, value)


@method("list", "addAll")
def list_add_all(ex: Any, target: list[Any], values: Any) -> None:
    items = list(as_list(values, "addAll", "values"))
    grow(ex, target, len(items))
    for item in items:
        _append(ex, target, item)


def _index(ex: Any, target: list[Any], index: Any, fname: str) -> int:
    if type(index) is float and index != int(index):
        raise DelugeRuntimeError(f"The index {render(index)} given to '{fname}' is not a whole number")
    i = as_int(index, fname, "index")
    if i < 0 or i >= len(target):
        raise DelugeRuntimeError(f"The index {i} is outside the list, which has {len(target)} element(s)")
    return i


@method("list", "get")
def list_get(ex: Any, target: list[Any], index: Any) -> Any:
    if type(index) is int and 0 <= index < len(target):
        return target[index]
    return target[_index(ex, target, index, "get")]


@method("map", "get")
def map_get(ex: Any, target: dict[Any, Any], key: Any) -> Any:
    try:
        return target.get(key)
    except TypeError:
        return target.get(map_key(key))


@method(("list", "map"), "size")
def size(ex: Any, target: Any) -> int:
    return len(target)


@method(("list", "map"), "isEmpty")
def is_empty(ex: Any, target: Any) -> bool:
    return len(target) == 0


@method(("list", "map"), "clear")
def clear(ex: Any, target: Any) -> None:
    target.clear()


@method("list", "contains")
def list_contains(ex: Any, target: list[Any], value: Any) -> bool:
    return any(ops.eq(x, value) for x in target)


@method("list", "notContains")
def list_not_contains(ex: Any, target: list[Any], value: Any) -> bool:
    return not list_contains(ex, target, value)


@method("list", "indexOf")
def list_index_of(ex: Any, target: list[Any], value: Any) -> int:
    for i, x in enumerate(target):
        if ops.eq(x, value):
            return i
    return -1


@method("list", "lastIndexOf")
def list_last_index_of(ex: Any, target: list[Any], value: Any) -> int:
    for i in range(len(target) - 1, -1, -1):
        if ops.eq(target[i], value):
            return i
    return -1


@method("list", "remove")
def list_remove(ex: Any, target: list[Any], index: Any) -> Any:
    return target.pop(_index(ex, target, index, "remove"))


@method("list", "removeElement")
def list_remove_element(ex: Any, target: list[Any], value: Any) -> None:
    for i, x in enumerate(target):
        if ops.eq(x, value):
            del target[i]
            return


@method("list", "toString", "toText")
def list_to_string(ex: Any, target: list[Any], separator: Any = None) -> str:
    if separator is None:
        return render(target, ex.limits.data_nesting, ex.limits.text_length)
    if type(separator) is not str:
        raise wrong_type("toString", "separator", "a TEXT", separator)
    parts = [render(x, ex.limits.data_nesting, ex.limits.text_length) if not isinstance(x, (list, dict))
             else to_json(x, ex.limits.data_nesting, ex.limits.text_length) for x in target]
    total = sum(len(p) for p in parts) + len(separator) * max(0, len(parts) - 1)
    if total > ex.limits.text_length:
        from deluge.runtime.execution import check_text_length

        check_text_length(total)
    return separator.join(parts)


# ---------------------------------------------------------------- maps


@method("map", "put")
def map_put(ex: Any, target: dict[Any, Any], key: Any, value: Any) -> None:
    try:
        if key not in target and len(target) >= ex.limits.collection_size:
            grow(ex, target)
        target[key] = value
    except TypeError:
        target[map_key(key)] = value


@method("map", "putAll")
def map_put_all(ex: Any, target: dict[Any, Any], other: Any) -> None:
    source = dict(as_map(other, "putAll", "map"))
    grow(ex, target, sum(1 for k in source if k not in target))
    target.update(source)


@method("map", "keys")
def map_keys(ex: Any, target: dict[Any, Any]) -> DList:
    return DList(DList(k) if type(k) is KeyList else k for k in target)


@method("map", "values")
def map_values(ex: Any, target: dict[Any, Any]) -> DList:
    return DList(target.values())


@method("map", "containKey", "containsKey")
def map_contain_key(ex: Any, target: dict[Any, Any], key: Any) -> bool:
    try:
        return key in target
    except TypeError:
        return map_key(key) in target


@method("map", "containValue", "containsValue")
def map_contain_value(ex: Any, target: dict[Any, Any], value: Any) -> bool:
    return any(ops.eq(v, value) for v in target.values())


@method("map", "contains")
def map_contains(ex: Any, target: dict[Any, Any], key: Any) -> bool:
    return map_contain_key(ex, target, key)


@method("map", "notContains")
def map_not_contains(ex: Any, target: dict[Any, Any], key: Any) -> bool:
    return not map_contain_key(ex, target, key)


@method("map", "remove")
def map_remove(ex: Any, target: dict[Any, Any], key: Any) -> Any:
    try:
        return target.pop(key, None)
    except TypeError:
        return target.pop(map_key(key), None)


@method("map", "toString", "toText")
def map_to_string(ex: Any, target: dict[Any, Any]) -> str:
    return to_json(target, ex.limits.data_nesting, ex.limits.text_length)


# ---------------------------------------------------------------- collections


@method(("list", "map"), "insert")
def collection_insert(ex: Any, target: Any, *items: Any) -> None:
    if not items:
        raise DelugeRuntimeError("insert needs at least one element or key : value pair")
    if isinstance(target, dict):
        for item in items:
            if type(item) is not Pair:
                raise DelugeRuntimeError("Only key : value pairs can be inserted into a key-value collection")
            key, value = item
            map_put(ex, target, key, value)
        return
    for item in items:
        if type(item) is Pair:
            raise DelugeRuntimeError("A key : value pair cannot be inserted into an index collection")
        list_add(ex, target, item)


@method(("list", "map"), "insertAll")
def collection_insert_all(ex: Any, target: Any, items: Any) -> None:
    if isinstance(target, dict):
        if isinstance(items, dict):
            map_put_all(ex, target, items)
            return
        for item in as_list(items, "insertAll", "items"):
            if not isinstance(item, dict):
                raise DelugeRuntimeError("Only maps can be inserted into a key-value collection")
            map_put_all(ex, target, item)
        return
    if isinstance(items, dict):
        raise DelugeRuntimeError("A map cannot be inserted into an index collection")
    list_add_all(ex, target, items)


@method("map", "update")
def map_update(ex: Any, target: dict[Any, Any], key: Any, value: Any) -> None:
    map_put(ex, target, key, value)


@method("list", "update")
def list_update(ex: Any, target: list[Any], index: Any, value: Any) -> None:
    i = _index(ex, target, index, "update")
    if type(target) is TypedList:
        value = convert_element(value, target.elem)
    target[i] = value
