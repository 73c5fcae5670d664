"""Text functions (text-number-common.md section 1)."""

from __future__ import annotations

from typing import Any

from deluge.builtins.core import as_int, as_text, check_text
from deluge.builtins.registry import function, method
from deluge.errors import DelugeRuntimeError
from deluge.runtime.render import render
from deluge.runtime.values import DList


@method(("text", "number", "decimal"), "length", "len")
@function("length", "len")
def length(ex: Any, s: Any) -> int:
    if type(s) is str:
        return len(s)
    return len(render(s))


@method("text", "toUpperCase")
@function("toUpperCase")
def to_upper(ex: Any, s: Any) -> str:
    return as_text(s, "toUpperCase", "text").upper()


@method("text", "toLowerCase")
@function("toLowerCase")
def to_lower(ex: Any, s: Any) -> str:
    return as_text(s, "toLowerCase", "text").lower()


@method("text", "subString", "subText", "mid")
@function("subString", "subText", "mid")
def sub_string(ex: Any, s: Any, start: Any, end: Any = None) -> str:
    text = as_text(s, "subString", "text")
    i = as_int(start, "subString", "start_index")
    j = len(text) if end is None else as_int(end, "subString", "end_index")
    if i < 0 or j > len(text) or i > j:
        raise DelugeRuntimeError(f"subString({i}, {j}) is outside the text of length {len(text)}")
    return text[i:j]


@method("text", "trim")
@function("trim")
def trim(ex: Any, s: Any) -> str:
    return as_text(s, "trim", "text").strip()


@method("text", "contains")
@function("contains")
def contains(ex: Any, s: Any, search: Any) -> bool:
    return as_text(search, "contains", "search") in as_text(s, "contains", "text")


@method("text", "startsWith")
@function("startsWith")
def starts_with(ex: Any, s: Any, search: Any) -> bool:
    return as_text(s, "startsWith", "text").startswith(as_text(search, "startsWith", "search"))


@method("text", "endsWith")
@function("endsWith")
def ends_with(ex: Any, s: Any, search: Any) -> bool:
    return as_text(s, "endsWith", "text").endswith(as_text(search, "endsWith", "search"))


@method("text", "indexOf", "find")
@function("indexOf", "find")
def index_of(ex: Any, s: Any, search: Any) -> int:
    return as_text(s, "indexOf", "text").find(as_text(search, "indexOf", "search"))


@method("text", "toList")
def to_list(ex: Any, s: str, separator: Any = None) -> DList:
    if separator is None or separator == "":
        return DList([s])
    sep = as_text(separator, "toList", "separator")
    return DList(s.split(sep))


@method("text", "concat")
@function("concat")
def concat(ex: Any, s: Any, other: Any) -> str:
    text = as_text(s, "concat", "text")
    tail = other if type(other) is str else render(other)
    check_text(ex, len(text) + len(tail))
    return text + tail
