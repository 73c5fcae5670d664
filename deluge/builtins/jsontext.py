"""Reading JSON text into Deluge values: toMap, toJSONList, getJSON (list-map-date-json.md 5.1 to 5.4).

Strict JSON goes through Python's C decoder; anything it refuses is read again
by the lenient org.json-style reader of `relaxedjson`, so both give the same
values (the rules are in that module's docstring): objects become maps in the
key order of the text (D5), arrays lists, whole numbers NUMBER (DECIMAL beyond
64 bits), other numbers DECIMAL; `NaN`, `Infinity`, `-Infinity` and numbers
beyond the double range are runtime errors (D24).

Limits (D10, D15): a text of more than `json_bytes` bytes (UTF-8) is a `budget`
error before it is read; so is a result nested deeper than `data_nesting`, or
holding a list or map of more than `collection_size` elements.

Decisions where the spec is silent:
- `toMap("")`, `toJSONList("")` and `"".getJSON(k)` treat empty (or blank) text as
  an empty object / array: an empty map, an empty list, and null.
- The function forms `toMap(x)` / `toJSONList(x)` accept what the method forms
  accept (a map / a list is returned as it is); any other argument, null
  included, is a runtime error.
- `getJSON` on a map looks the key up exactly as `get` does; on text the key
  is first turned into text (5.2).
"""

from __future__ import annotations

import json
from typing import Any

from deluge.builtins.registry import function, method
from deluge.builtins.relaxedjson import json_number, non_finite, parse_relaxed
from deluge.errors import BudgetExceeded, DelugeRuntimeError
from deluge.runtime.render import render
from deluge.runtime.values import Blank, DList, DMap, type_name


def _decoder(fname: str) -> json.JSONDecoder:
    """A strict decoder whose number hooks follow D24 (a new one per call: hooks know the caller)."""

    def number(token: str) -> Any:
        return json_number(token, fname)

    def constant(word: str) -> Any:
        raise non_finite(word, fname)

    return json.JSONDecoder(object_pairs_hook=DMap, parse_int=number, parse_float=number,
                            parse_constant=constant)


def utf8_length(text: str) -> int:
    """The number of bytes `text` takes in UTF-8, without building the bytes when it is ASCII."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def _check_size(ex: Any, text: str) -> None:
    limit = ex.limits.json_bytes
    if len(text) > limit or (len(text) * 4 > limit and utf8_length(text) > limit):
        raise BudgetExceeded(f"The JSON text is larger than the limit of {limit} bytes", limit="json_bytes")


def _settle(value: Any, depth: int, max_depth: int, max_size: int) -> Any:
    """The strict decoder's result as Deluge values, checked against the depth and size limits."""
    if depth > max_depth:
        raise BudgetExceeded(f"The JSON is nested more than {max_depth} levels deep", limit="data_nesting")
    if isinstance(value, list):
        if len(value) > max_size:
            raise BudgetExceeded(f"The JSON holds a list of more than {max_size} elements", limit="collection_size")
        return DList([_settle(v, depth + 1, max_depth, max_size) if isinstance(v, (list, dict)) else v
                      for v in value])
    if len(value) > max_size:
        raise BudgetExceeded(f"The JSON holds a map of more than {max_size} elements", limit="collection_size")
    for k, v in value.items():
        if isinstance(v, (list, dict)):
            value[k] = _settle(v, depth + 1, max_depth, max_size)
    return value


def parse_json(ex: Any, text: str, fname: str) -> Any:
    """Reads JSON text (strict or lenient, 5.1) into a Deluge value; `fname` names the caller in errors."""
    _check_size(ex, text)
    limits = ex.limits
    ex.charge_work(len(text) // 64 + 1)
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        value = _decoder(fname).decode(text)
    except RecursionError:
        raise BudgetExceeded("The JSON is nested too deeply", limit="data_nesting") from None
    except ValueError:
        return parse_relaxed(text, fname, limits.data_nesting, limits.collection_size)
    if isinstance(value, (list, dict)):
        try:
            value = _settle(value, 1, limits.data_nesting, limits.collection_size)
        except RecursionError:
            raise BudgetExceeded("The JSON is nested too deeply", limit="data_nesting") from None
    return value


def _blank(text: str) -> bool:
    return text.strip(" \t\r\n\ufeff") == ""


def read_object(ex: Any, text: str, fname: str) -> DMap:
    """The map a JSON object text holds (empty text: an empty map); anything else is a runtime error."""
    if _blank(text):
        return DMap()
    value = parse_json(ex, text, fname)
    if not isinstance(value, dict):
        raise DelugeRuntimeError(f"{fname}: the text is not a JSON object: {_excerpt(text)}")
    return value  # type: ignore[return-value]


def _excerpt(text: str) -> str:
    text = text.strip()
    return repr(text if len(text) <= 40 else text[:37] + "...")


@method("text", "toMap")
@function("toMap")
def to_map(ex: Any, text: Any) -> Any:
    """TEXT holding a JSON object → MAP (5.3); a map is returned as it is."""
    if type(text) is Blank:
        return text.settle(DMap) if text.inner is None else text.inner
    if isinstance(text, dict):
        return text
    if type(text) is not str:
        raise DelugeRuntimeError(f"toMap needs the text of a JSON object, not a value of type {type_name(text)}")
    return read_object(ex, text, "toMap")


@method("map", "toMap")
def map_to_map(ex: Any, value: Any) -> Any:
    return value


@method("text", "toJSONList")
@function("toJSONList")
def to_json_list(ex: Any, text: Any) -> Any:
    """TEXT holding a JSON array → LIST (5.4); a list is returned unchanged."""
    if type(text) is Blank:
        return text.settle(DList) if text.inner is None else text.inner
    if isinstance(text, list):
        return text
    if type(text) is not str:
        raise DelugeRuntimeError(f"toJSONList needs the text of a JSON array, not a value of type {type_name(text)}")
    if _blank(text):
        return DList()
    value = parse_json(ex, text, "toJSONList")
    if not isinstance(value, list):
        raise DelugeRuntimeError(f"toJSONList: the text is not a JSON array: {_excerpt(text)}")
    return value


@method("list", "toJSONList")
def list_to_json_list(ex: Any, value: Any) -> Any:
    return value


@method("map", "getJSON")
def map_get_json(ex: Any, source: Any, key: Any) -> Any:
    """On a map, `getJSON` is `get` (5.2)."""
    from deluge.builtins.collections import map_get

    return map_get(ex, source, key)


@method("text", "getJSON")
def text_get_json(ex: Any, source: str, key: Any) -> Any:
    """The value under `key` of the JSON object the text holds, or null (5.2)."""
    value = read_object(ex, source, "getJSON")
    if type(key) is not str:
        key = render(key, ex.limits.data_nesting, ex.limits.text_length)
    return value.get(key)
