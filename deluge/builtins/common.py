"""Null handling, type tests and `toString` (text-number-common.md sections 2 and 6)."""

from __future__ import annotations

from typing import Any

from deluge.builtins.registry import function, method
from deluge.errors import DelugeRuntimeError
from deluge.runtime import ops
from deluge.runtime.render import render
from deluge.runtime.values import Blank, DateTime, DFile, type_name


def _is_empty(value: Any, fname: str) -> bool:
    kind = type(value)
    if value is None:
        return True
    if kind is str:
        return value == ""
    if isinstance(value, (list, dict)):
        return len(value) == 0
    if kind is Blank:
        return value.inner is None or len(value.inner) == 0
    raise DelugeRuntimeError(f"The function '{fname}' is not valid for a value of type {type_name(value)}")


def _is_blank(value: Any) -> bool:
    kind = type(value)
    if value is None:
        return True
    if kind is str:
        return value.strip() == ""
    if isinstance(value, (list, dict)):
        return len(value) == 0
    if kind is Blank:
        return value.inner is None or len(value.inner) == 0
    return False


@method("any", "isNull")
@function("isNull")
def is_null(ex: Any, value: Any) -> bool:
    return value is None or (type(value) is str and value == "")


@method("any", "isBlank")
@function("isBlank")
def is_blank(ex: Any, value: Any) -> bool:
    return _is_blank(value)


@method("text", "isEmpty")
@function("isEmpty")
def is_empty(ex: Any, value: Any) -> bool:
    return _is_empty(value, "isEmpty")


@method("any", "toString", "toText")
def to_string_method(ex: Any, value: Any, *fmt: Any) -> str:
    if fmt:
        if type(value) is DateTime or type(value) is int or type(value) is str:
            from deluge.builtins.dates import format_value

            return format_value(ex, value, *fmt)
        raise DelugeRuntimeError(f"toString with a format needs a date-time, not a value of type {type_name(value)}")
    return render(value, ex.limits.data_nesting, ex.limits.text_length)


@function("toString", "toText")
def to_string_function(ex: Any, value: Any, *fmt: Any) -> str:
    if value is None and not fmt:
        return "null"
    if isinstance(value, list) and fmt and type(fmt[0]) is str and len(fmt) == 1:
        from deluge.builtins.collections import list_to_string

        return list_to_string(ex, value, fmt[0])
    return to_string_method(ex, value, *fmt)


@method("any", "isText")
@function("isText")
def is_text(ex: Any, value: Any) -> bool:
    return type(value) is str


@method("any", "isNumber")
@function("isNumber")
def is_number(ex: Any, value: Any) -> bool | None:
    kind = type(value)
    if kind is int or kind is float:
        return True
    if kind is str:
        text = value.strip()
        try:
            float(text)
        except ValueError:
            return False
        return text.lower() not in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity") and "_" not in text
    if isinstance(value, (list, dict)) or kind is Blank:
        return None
    return False


@method("any", "isFile")
@function("isFile")
def is_file(ex: Any, value: Any) -> bool:
    return type(value) is DFile


@method("any", "isValidObject")
def is_valid_object(ex: Any, value: Any) -> bool:
    if type(value) is str:
        return value != ""
    if isinstance(value, (list, dict)) or type(value) is Blank:
        return not _is_empty(value, "isValidObject")
    return True


@method("any", "equals")
@function("equals")
def equals(ex: Any, value: Any, other: Any) -> bool:
    return ops.eq(value, other)


@function("ifnull")
def ifnull(ex: Any, value: Any, fallback: Any) -> Any:
    """The eager form, used only when the compiler cannot inline the lazy one."""
    return fallback if value is None or value == "" else value
