"""Null handling, type tests, `equals`, `ifnull` and `toString`/`toText`.

Spec: text-number-common.md sections 2 (toString/toText) and 6, with DECISIONS.md
D2 (null receivers; `ifnull` treats "" as null), D13 (`ifnull` is lazy: the
compiler inlines the two-argument form, the function here serves other uses) and
D49 (`isEmpty` on a number is a runtime error although its row says `any`).

The dispatcher already fails a method call on null except `isNull`, `isBlank`
and `isEmpty` (which answer true), and settles or probes a `{}` receiver, so the
method implementations never see null or an unsettled Blank; the function forms
see every value.

`isDate` belongs to the dates module; `toString` on dates and times to the dates
module, and on lists and maps to the collections module. This module registers
the `toString` method for the other kinds and owns the function forms
`toString(value, ...)`/`toText(value, ...)` for every value.
"""

from __future__ import annotations

import re
from typing import Any

from deluge.builtins.registry import function, method
from deluge.errors import DelugeRuntimeError
from deluge.runtime import ops
from deluge.runtime.render import render
from deluge.runtime.values import Blank, DateTime, DFile, Time, look_through, type_name

# ------------------------------------------------------------------ emptiness


def _is_empty(value: Any, fname: str) -> bool:
    """isEmpty: null, "", and empty lists/maps/collections; other types are a runtime error (D49)."""
    value = look_through(value)
    if value is None:
        return True
    if type(value) is str:
        return value == ""
    if isinstance(value, (list, dict)):
        return len(value) == 0
    if type(value) is Blank:  # not yet used: {} or Collection()
        return True
    raise DelugeRuntimeError(f"The function '{fname}' is not valid for a value of type {type_name(value)}")


def _is_blank(value: Any) -> bool:
    """isBlank: null, empty or white-space-only text, empty collections; numbers, booleans, dates never."""
    value = look_through(value)
    if value is None:
        return True
    if type(value) is str:
        return value.strip() == ""
    if isinstance(value, (list, dict)):
        return len(value) == 0
    return type(value) is Blank


@method("any", "isNull")
@function("isNull")
def is_null(ex: Any, value: Any) -> bool:
    """True for null and for the empty text "" (Zoho's page); false for " ", 0, false, {} and every other value."""
    return value is None or (type(value) is str and value == "")


@method("any", "isBlank")
@function("isBlank")
def is_blank(ex: Any, value: Any) -> bool:
    """True for null [choice], "", white-space-only text, and an empty list or map."""
    return _is_blank(value)


@method("text", "isEmpty")
@function("isEmpty")
def is_empty(ex: Any, value: Any) -> bool:
    """True for null, "" (not " ") and empty lists, maps and collections; NUMBER, BOOLEAN, DATE... fail (D49).

    The method form on lists and maps lives in the collections module.
    """
    return _is_empty(value, "isEmpty")


@method("any", "isValidObject")
def is_valid_object(ex: Any, value: Any) -> bool:
    """Neither null nor empty: "" and empty lists/maps are not valid; numbers, booleans, dates, files are."""
    value = look_through(value)
    if type(value) is str:
        return value != ""
    if isinstance(value, (list, dict)):
        return len(value) > 0
    if type(value) is Blank:
        return False
    return True


# ------------------------------------------------------------------ type tests

_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
"""What isNumber accepts in a text: the same shape toDecimal converts (no spaces, exponent or commas)."""


@method("any", "isText")
@function("isText")
def is_text(ex: Any, value: Any) -> bool:
    """True when the value is TEXT, whatever it holds ("", "123"); false for other types and null."""
    return type(value) is str


@method("any", "isNumber")
@function("isNumber")
def is_number(ex: Any, value: Any) -> bool | None:
    """True for NUMBER/DECIMAL and for text holding a number; null for a LIST or MAP (Zoho's page).

    A text counts when toDecimal would convert it: optional sign, digits with an optional decimal point,
    nothing else (no surrounding spaces, exponent or thousands separators) [decision].
    """
    value = look_through(value)
    kind = type(value)
    if kind is int or kind is float:
        return True
    if kind is str:
        return _NUMBER_TEXT.fullmatch(value) is not None
    if isinstance(value, (list, dict)) or kind is Blank:
        return None
    return False


@method("any", "isFile")
@function("isFile")
def is_file(ex: Any, value: Any) -> bool:
    """True only for FILE values."""
    return type(value) is DFile


@method("any", "equals")
@function("equals")
def equals(ex: Any, value: Any, other: Any) -> bool:
    """Deluge `==`: case-sensitive text, NUMBER and DECIMAL by value, dates by instant, other types unequal."""
    return ops.eq(value, other)


@function("ifnull")
def ifnull(ex: Any, value: Any, fallback: Any) -> Any:
    """The eager form, used only where the compiler does not inline the lazy one (D13): "" counts as null (D2)."""
    return fallback if value is None or (type(value) is str and value == "") else value


# ------------------------------------------------------------------ toString / toText


def _format_value(ex: Any, value: Any, fmt: Any, tz: Any) -> str | None:
    """Formats with the dates module (which may answer null for a pattern with a stray letter)."""
    if fmt is not None and type(fmt) is not str:
        raise DelugeRuntimeError(f"toString: the format must be a TEXT, not {type_name(fmt)}")
    from deluge.builtins.dates import format_value

    return format_value(ex, value, fmt, tz)  # type: ignore[no-any-return]


def _plain(ex: Any, value: Any) -> str:
    return render(value, ex.limits.data_nesting, ex.limits.text_length)


@method(("text", "number", "decimal", "boolean", "file", "error"), "toString", "toText")
def to_string_method(ex: Any, value: Any, fmt: Any = None, tz: Any = None) -> str | None:
    """The value's rendering (what `info` prints): 12 -> "12", 12.5 -> "12.5", true -> "true".

    With a date-time format: a NUMBER is read as epoch milliseconds and a TEXT must parse as a date-time
    (the dates module formats both; text that is no date-time is a runtime error, spec). A format on a
    DECIMAL, BOOLEAN or FILE is a runtime error [decision]. A null format counts as no format [decision].
    """
    if fmt is None and tz is None:
        return _plain(ex, value)
    kind = type(value)
    if kind is int or kind is str:
        return _format_value(ex, value, fmt, tz)
    raise DelugeRuntimeError(
        f"toString: a date-time format applies to a date, a date-time, a number of epoch milliseconds or a "
        f"date text, not to a value of type {type_name(value)}"
    )


@function("toString", "toText")
def to_string_function(ex: Any, value: Any, fmt: Any = None, tz: Any = None) -> str | None:
    """`toString(value, format?, timeZone?)` for every value; `toText` is the same function.

    - null gives the text "null" (spec), with or without a format [decision].
    - DATE, DATE-TIME and TIME with a format are formatted by the dates module; without one they render.
    - A LIST with a second argument joins its elements with that separator (list.toString(separator)).
    - A MAP renders as compact JSON; a format on a map is a runtime error.
    - Everything else behaves as the method form.
    """
    value = look_through(value)
    if value is None:
        return "null"
    kind = type(value)
    if kind is DateTime or kind is Time:
        if fmt is None and tz is None:
            return _plain(ex, value)
        return _format_value(ex, value, fmt, tz)
    if isinstance(value, list):
        if fmt is None and tz is None:
            return _plain(ex, value)
        if tz is not None:
            raise DelugeRuntimeError("toString: a list takes one separator, not a format and a time zone")
        from deluge.builtins.collections import list_to_string

        return list_to_string(ex, value, fmt)  # type: ignore[no-any-return]
    if isinstance(value, dict) or kind is Blank:
        if fmt is None and tz is None:
            return _plain(ex, value)
        raise DelugeRuntimeError(f"toString: a value of type {type_name(value)} takes no format")
    return to_string_method(ex, value, fmt, tz)
