"""Text functions (text-number-common.md section 1) and the TEXT forms of `toList` / `toListString`.

Conventions shared by every function here (section 0, D2, D3):

- A function works on TEXT; the dispatcher refuses other receivers of the method
  form, and the function form refuses a first argument that is not TEXT with a
  runtime error, except where the spec's prose widens it (D32): `length` reads a
  number by its text form, `reverse` reverses the rendering of any value,
  `equalsIgnoreCase` compares any values by their text forms.
- Indexes count Unicode code points from 0. `IgnoreCase` variants fold case with
  simple Unicode case mapping (`regex.fold_case`), which keeps every index in place.
- A search or other TEXT argument that is `null`, a list, a map or a file is a
  runtime error; a NUMBER, DECIMAL or BOOLEAN argument is read as its text form
  (`"a1".contains(1)` is true) [choice].
- Count arguments (`left`, `right`, `leftpad`, `repeat`, `subString` indexes) take a
  NUMBER, a DECIMAL (truncated) or numeric TEXT.
- A result that can grow past the text limit is measured from its inputs and
  refused with a `budget` error before it is built (D10).

The regex functions (`matches`, `replaceAll`, ...) live in `deluge/builtins/regex.py`.
"""

from __future__ import annotations

import re
from typing import Any

from deluge.builtins.core import as_int
from deluge.builtins.regex import fold_case
from deluge.builtins.registry import call_method, function, method
from deluge.errors import BudgetExceeded, DelugeRuntimeError
from deluge.runtime.execution import ELEMENT_BYTES
from deluge.runtime.render import render
from deluge.runtime.values import Blank, DateTime, DList, Time, look_through, type_name

# Java String.trim: every code point up to U+0020.
_TRIM = "".join(chr(i) for i in range(0x21))
_NOT_ALPHA = re.compile(r"[^A-Za-z]+")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")
_ALPHA = re.compile(r"[A-Za-z]+")
_ALNUM = re.compile(r"[A-Za-z0-9]+")
_HEX = re.compile(r"[0-9A-Fa-f]*")

_MISSING = object()


# ------------------------------------------------------------------ argument helpers


def _kind(value: Any) -> str:
    return "null" if value is None else type_name(value)


def _text(value: Any, fname: str, param: str = "text") -> str:
    """The TEXT a text function works on (receiver or first argument)."""
    if type(value) is str:
        return value  # type: ignore[no-any-return]
    raise DelugeRuntimeError(f"The function '{fname}' needs a TEXT for {param}, not {_kind(value)}")


def _arg(value: Any, fname: str, param: str) -> str:
    """A TEXT argument (search text, separator...): numbers and booleans read as text [choice]."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is int or kind is float or kind is bool or kind is DateTime or kind is Time:
        return render(value)
    raise DelugeRuntimeError(f"The function '{fname}' needs a TEXT for {param}, not {_kind(value)}")


def _count(value: Any, fname: str, param: str) -> int:
    if type(value) is int:
        return value  # type: ignore[no-any-return]
    return as_int(value, fname, param)


def _charge(ex: Any, text: str, other: str = "") -> None:
    """Charges the work of scanning texts: one unit per 64 characters, from 2,048 characters
    on (shorter scans cost no more than the statement that asked for them)."""
    size = len(text) + len(other)
    if size >= 2048:
        ex.charge_work(size >> 6)


def _limit_text(ex: Any, length: int, fname: str) -> None:
    """Refuses a text result of `length` characters over the run's limit, before it is built;
    a long one is charged to the allocation meter."""
    if length > 4096:
        if length > ex.limits.text_length:
            raise BudgetExceeded(
                f"{fname}: the result would be {length} characters, over the limit of {ex.limits.text_length}",
                limit="text_length",
            )
        ex.allocate(length)


def _limit_list(ex: Any, size: int, fname: str) -> None:
    if size > ex.limits.collection_size:
        raise BudgetExceeded(
            f"{fname}: the result would have {size} elements, over the limit of {ex.limits.collection_size}",
            limit="collection_size",
        )
    ex.allocate(size * ELEMENT_BYTES)


# ------------------------------------------------------------------ length and parts


@method(("text", "number", "decimal"), "length", "len")
@function("length", "len")
def length(ex: Any, s: Any) -> int:
    """The number of characters; a NUMBER or DECIMAL counts the characters of its text form (D32)."""
    kind = type(s)
    if kind is str:
        return len(s)
    if kind is int or kind is float:
        return len(render(s))
    raise DelugeRuntimeError(f"The function 'length' needs a TEXT, not {_kind(s)}")


@method("text", "subString", "subText", "mid")
@function("subString", "subText", "mid")
def sub_string(ex: Any, s: Any, start: Any, end: Any = _MISSING) -> str:
    """Characters from `start` (included) to `end` (excluded); a missing or negative end means
    the rest of the text. A negative start, an index past the end, or end < start fail."""
    text = s if type(s) is str else _text(s, "subString")
    size = len(text)
    i = start if type(start) is int else _count(start, "subString", "start_index")
    j = size if end is _MISSING else (end if type(end) is int else _count(end, "subString", "end_index"))
    if j < 0:
        j = size
    if i < 0:
        raise DelugeRuntimeError(f"subString: the start index {i} is negative")
    if i > size:
        raise DelugeRuntimeError(f"subString: the start index {i} is past the end of the text (length {size})")
    if j > size:
        raise DelugeRuntimeError(f"subString: the end index {j} is past the end of the text (length {size})")
    if j < i:
        raise DelugeRuntimeError(f"subString: the end index {j} is before the start index {i}")
    return text[i:j]


@method("text", "left")
@function("left")
def left(ex: Any, s: Any, n: Any) -> str:
    """The first n characters (the whole text when n is larger; "" when n <= 0)."""
    text = _text(s, "left")
    count = _count(n, "left", "count")
    return text[:count] if count > 0 else ""


@method("text", "right")
@function("right")
def right(ex: Any, s: Any, n: Any) -> str:
    """The last n characters (the whole text when n is larger; "" when n <= 0)."""
    text = _text(s, "right")
    count = _count(n, "right", "count")
    return text[-count:] if count > 0 else ""


@method("text", "leftpad")
@function("leftpad")
def leftpad(ex: Any, s: Any, width: Any) -> str:
    """Spaces added on the left up to a total length of `width`; unchanged when already as long
    (or when width is negative)."""
    text = _text(s, "leftpad")
    n = _count(width, "leftpad", "width")
    if n <= len(text):
        return text
    _limit_text(ex, n, "leftpad")
    ex.charge_work(n // 64 + 1)
    return text.rjust(n)


@method("text", "rightpad")
@function("rightpad")
def rightpad(ex: Any, s: Any, width: Any) -> str:
    """Spaces added on the right up to a total length of `width` (see leftpad)."""
    text = _text(s, "rightpad")
    n = _count(width, "rightpad", "width")
    if n <= len(text):
        return text
    _limit_text(ex, n, "rightpad")
    ex.charge_work(n // 64 + 1)
    return text.ljust(n)


@method("text", "trim")
@function("trim")
def trim(ex: Any, s: Any) -> str:
    """Leading and trailing white space removed: every character up to U+0020 (Java `trim`)."""
    return _text(s, "trim").strip(_TRIM)


@method("text", "ltrim")
@function("ltrim")
def ltrim(ex: Any, s: Any) -> str:
    """Leading white space (characters up to U+0020) removed."""
    return _text(s, "ltrim").lstrip(_TRIM)


@method("text", "rtrim")
@function("rtrim")
def rtrim(ex: Any, s: Any) -> str:
    """Trailing white space (characters up to U+0020) removed."""
    return _text(s, "rtrim").rstrip(_TRIM)


# ------------------------------------------------------------------ case


@method("text", "toUpperCase")
@function("toUpperCase")
def to_upper(ex: Any, s: Any) -> str:
    """Every letter in upper case (full Unicode mapping, as Java's: "ß" becomes "SS")."""
    text = s if type(s) is str else _text(s, "toUpperCase")
    _charge(ex, text)
    result = text.upper()
    if len(result) > 4096:
        _limit_text(ex, len(result), "toUpperCase")
    return result


@method("text", "toLowerCase")
@function("toLowerCase")
def to_lower(ex: Any, s: Any) -> str:
    """Every letter in lower case."""
    text = _text(s, "toLowerCase")
    _charge(ex, text)
    result = text.lower()
    _limit_text(ex, len(result), "toLowerCase")
    return result


def _upper_char(c: str) -> str:
    upper = c.upper()
    return upper if len(upper) == 1 else c


def _lower_char(c: str) -> str:
    lower = c.lower()
    return lower if len(lower) == 1 else c


@method("text", "proper")
def proper(ex: Any, s: Any) -> str:
    """The first letter of each word in upper case, every other letter in lower case.

    A word starts at the beginning of the text or after any character that is not a
    letter (Unicode letters count), as spreadsheet PROPER does: "o'neil-smith" gives
    "O'Neil-Smith" and "2-way" gives "2-Way". Letters map one character to one
    character, so the length never changes.
    """
    text = _text(s, "proper")
    _charge(ex, text)
    if text.isascii():
        return text.title()  # for ASCII, str.title applies exactly this rule
    out = []
    after_letter = False
    for c in text:
        if c.isalpha():
            out.append(_lower_char(c) if after_letter else _upper_char(c))
            after_letter = True
        else:
            out.append(c)
            after_letter = False
    return "".join(out)


# ------------------------------------------------------------------ searching


@method("text", "contains")
@function("contains")
def contains(ex: Any, s: Any, search: Any) -> bool:
    """Whether the search text occurs (case-sensitive; "" occurs in every text)."""
    text = _text(s, "contains")
    _charge(ex, text)
    return _arg(search, "contains", "search") in text


@method("text", "notContains")
@function("notContains")
def not_contains(ex: Any, s: Any, search: Any) -> bool:
    """The negation of contains."""
    text = _text(s, "notContains")
    _charge(ex, text)
    return _arg(search, "notContains", "search") not in text


@method("text", "containsIgnoreCase")
@function("containsIgnoreCase")
def contains_ignore_case(ex: Any, s: Any, search: Any) -> bool:
    """Whether the search text occurs, ignoring case."""
    text = _text(s, "containsIgnoreCase")
    needle = _arg(search, "containsIgnoreCase", "search")
    _charge(ex, text)
    return fold_case(needle) in fold_case(text)


@method("text", "startsWith")
@function("startsWith")
def starts_with(ex: Any, s: Any, search: Any) -> bool:
    """Whether the text begins with the search text (true for "")."""
    return _text(s, "startsWith").startswith(_arg(search, "startsWith", "search"))


@method("text", "startsWithIgnoreCase")
@function("startsWithIgnoreCase")
def starts_with_ignore_case(ex: Any, s: Any, search: Any) -> bool:
    """startsWith, ignoring case."""
    text = _text(s, "startsWithIgnoreCase")
    needle = _arg(search, "startsWithIgnoreCase", "search")
    return fold_case(text[: len(needle)]) == fold_case(needle)


@method("text", "endsWith")
@function("endsWith")
def ends_with(ex: Any, s: Any, search: Any) -> bool:
    """Whether the text ends with the search text (true for "")."""
    return _text(s, "endsWith").endswith(_arg(search, "endsWith", "search"))


@method("text", "endsWithIgnoreCase")
@function("endsWithIgnoreCase")
def ends_with_ignore_case(ex: Any, s: Any, search: Any) -> bool:
    """endsWith, ignoring case."""
    text = _text(s, "endsWithIgnoreCase")
    needle = _arg(search, "endsWithIgnoreCase", "search")
    if len(needle) > len(text):
        return False
    return fold_case(text[len(text) - len(needle):]) == fold_case(needle)


def _text_form(value: Any, fname: str) -> str:
    if type(value) is str:
        return value  # type: ignore[no-any-return]
    if value is None:
        raise DelugeRuntimeError(f"The function '{fname}' cannot compare with null")
    return render(look_through(value))


@method(("text", "any"), "equalsIgnoreCase")
@function("equalsIgnoreCase")
def equals_ignore_case(ex: Any, a: Any, b: Any) -> bool:
    """Equality after case folding; values that are not TEXT are compared by their text form
    (D32). A null operand is a runtime error (text-number-common.md section 0)."""
    left_text = _text_form(a, "equalsIgnoreCase")
    right_text = _text_form(b, "equalsIgnoreCase")
    if len(left_text) != len(right_text):
        return False
    _charge(ex, left_text)
    return fold_case(left_text) == fold_case(right_text)


@method("text", "indexOf", "find")
@function("indexOf", "find")
def index_of(ex: Any, s: Any, search: Any) -> int:
    """The index of the first occurrence, or -1 (case-sensitive; "" is found at 0)."""
    text = _text(s, "indexOf")
    _charge(ex, text)
    return text.find(_arg(search, "indexOf", "search"))


@method("text", "lastIndexOf")
@function("lastIndexOf")
def last_index_of(ex: Any, s: Any, search: Any) -> int:
    """The index of the last occurrence, or -1 ("" is found at the length)."""
    text = _text(s, "lastIndexOf")
    _charge(ex, text)
    return text.rfind(_arg(search, "lastIndexOf", "search"))


@method("text", "getOccurenceCount")
@function("getOccurenceCount")
def get_occurence_count(ex: Any, s: Any, search: Any) -> int:
    """The number of non-overlapping occurrences (case-sensitive; 0 for "")."""
    text = _text(s, "getOccurenceCount")
    needle = _arg(search, "getOccurenceCount", "search")
    if needle == "":
        return 0
    _charge(ex, text)
    return text.count(needle)


def _prefix(text: str, index: int) -> str:
    return "" if index < 0 else text[:index]


def _suffix(text: str, index: int, size: int) -> str:
    return "" if index < 0 else text[index + size:]


@method("text", "getPrefix")
@function("getPrefix")
def get_prefix(ex: Any, s: Any, search: Any) -> str:
    """The text before the first occurrence of the search text ("" when it does not occur)."""
    text = _text(s, "getPrefix")
    _charge(ex, text)
    return _prefix(text, text.find(_arg(search, "getPrefix", "search")))


@method("text", "getPrefixIgnoreCase")
@function("getPrefixIgnoreCase")
def get_prefix_ignore_case(ex: Any, s: Any, search: Any) -> str:
    """getPrefix, finding the search text without regard to case."""
    text = _text(s, "getPrefixIgnoreCase")
    needle = _arg(search, "getPrefixIgnoreCase", "search")
    _charge(ex, text)
    return _prefix(text, fold_case(text).find(fold_case(needle)))


@method("text", "getSuffix")
@function("getSuffix")
def get_suffix(ex: Any, s: Any, search: Any) -> str:
    """The text after the first occurrence of the search text ("" when it does not occur)."""
    text = _text(s, "getSuffix")
    needle = _arg(search, "getSuffix", "search")
    _charge(ex, text)
    return _suffix(text, text.find(needle), len(needle))


@method("text", "getSuffixIgnoreCase")
@function("getSuffixIgnoreCase")
def get_suffix_ignore_case(ex: Any, s: Any, search: Any) -> str:
    """getSuffix, finding the search text without regard to case."""
    text = _text(s, "getSuffixIgnoreCase")
    needle = _arg(search, "getSuffixIgnoreCase", "search")
    _charge(ex, text)
    return _suffix(text, fold_case(text).find(fold_case(needle)), len(needle))


# ------------------------------------------------------------------ letters and digits


@method("text", "getAlpha")
@function("getAlpha")
def get_alpha(ex: Any, s: Any) -> str:
    """Only the letters A-Z and a-z (every other character, spaces included, dropped)."""
    text = _text(s, "getAlpha")
    _charge(ex, text)
    return _NOT_ALPHA.sub("", text)


@method("text", "getAlphaNumeric")
@function("getAlphaNumeric")
def get_alpha_numeric(ex: Any, s: Any) -> str:
    """Only the letters A-Z, a-z and the digits 0-9."""
    text = _text(s, "getAlphaNumeric")
    _charge(ex, text)
    return _NOT_ALNUM.sub("", text)


@method("text", "removeAllAlpha")
@function("removeAllAlpha")
def remove_all_alpha(ex: Any, s: Any) -> str:
    """The letters A-Z and a-z dropped; everything else, spaces included, kept (D37)."""
    text = _text(s, "removeAllAlpha")
    _charge(ex, text)
    return _ALPHA.sub("", text)


@method("text", "removeAllAlphaNumeric")
@function("removeAllAlphaNumeric")
def remove_all_alpha_numeric(ex: Any, s: Any) -> str:
    """Letters A-Z, a-z and digits 0-9 dropped; spaces and symbols kept."""
    text = _text(s, "removeAllAlphaNumeric")
    _charge(ex, text)
    return _ALNUM.sub("", text)


# ------------------------------------------------------------------ removing


@method("text", "remove")
@function("remove")
def remove(ex: Any, s: Any, search: Any) -> str:
    """Every occurrence of the search text deleted (literal, case-sensitive)."""
    text = _text(s, "remove")
    needle = _arg(search, "remove", "search")
    _charge(ex, text)
    return text.replace(needle, "") if needle else text


@method("text", "removeFirstOccurence")
@function("removeFirstOccurence")
def remove_first_occurence(ex: Any, s: Any, search: Any) -> str:
    """The first occurrence of the search text deleted (the text unchanged when absent)."""
    text = _text(s, "removeFirstOccurence")
    needle = _arg(search, "removeFirstOccurence", "search")
    _charge(ex, text)
    return text.replace(needle, "", 1) if needle else text


@method("text", "removeLastOccurence")
@function("removeLastOccurence")
def remove_last_occurence(ex: Any, s: Any, search: Any) -> str:
    """The last occurrence of the search text deleted (the text unchanged when absent)."""
    text = _text(s, "removeLastOccurence")
    needle = _arg(search, "removeLastOccurence", "search")
    _charge(ex, text)
    index = text.rfind(needle) if needle else -1
    return text if index < 0 else text[:index] + text[index + len(needle):]


# ------------------------------------------------------------------ building


@method("text", "repeat")
@function("repeat")
def repeat(ex: Any, s: Any, n: Any) -> str:
    """The text repeated n times ("" for 0); a negative count is a runtime error."""
    text = _text(s, "repeat")
    count = _count(n, "repeat", "count")
    if count < 0:
        raise DelugeRuntimeError(f"repeat: the count {count} is negative")
    size = len(text) * count
    _limit_text(ex, size, "repeat")
    ex.charge_work(size // 64 + 1)
    return text * count


@method("text", "reverse")
@function("reverse")
def reverse(ex: Any, s: Any) -> str:
    """The characters in reverse order. Any other value is rendered first and that text
    reversed: `reverse({1, 2, 13})` is "31,2,1" (Zoho's reverse page) [choice]."""
    if type(s) is str:
        text = s
    elif s is None:
        raise DelugeRuntimeError("The function 'reverse' needs a TEXT, not null")
    else:
        text = render(look_through(s), max_length=ex.limits.text_length)
    _charge(ex, text)
    return text[::-1]


@method("text", "concat")
@function("concat")
def concat(ex: Any, s: Any, other: Any) -> str:
    """The two texts joined; a value that is not TEXT is converted with the rendering `+`
    uses, so `concat("v", 2)` is "v2" and a null argument adds "null", as `"x" + null` does."""
    text = _text(s, "concat")
    if type(other) is str:
        tail = other
    else:
        tail = render(look_through(other) if type(other) is Blank else other, max_length=ex.limits.text_length)
    _limit_text(ex, len(text) + len(tail), "concat")
    _charge(ex, text, tail)
    return text + tail


@method("text", "isAscii")
@function("isAscii")
def is_ascii(ex: Any, s: Any) -> bool:
    """Whether every character is in U+0000..U+007F (true for "")."""
    return _text(s, "isAscii").isascii()


@method("text", "hexToText")
@function("hexToText")
def hex_to_text(ex: Any, s: Any) -> str:
    """Hexadecimal digits (either case) decoded as UTF-8 bytes; invalid UTF-8 decodes with
    replacement characters. Odd length or a character that is not a hex digit fails."""
    text = _text(s, "hexToText")
    _charge(ex, text)
    if len(text) % 2 or _HEX.fullmatch(text) is None:
        raise DelugeRuntimeError(f"hexToText: {text[:40]!r} is not a text of hexadecimal digit pairs")
    return bytes.fromhex(text).decode("utf-8", errors="replace")


@method("text", "textToHex")
@function("textToHex")
def text_to_hex(ex: Any, s: Any) -> str:
    """The UTF-8 bytes of the text as lower-case hexadecimal digits."""
    text = _text(s, "textToHex")
    data = text.encode("utf-8", errors="surrogatepass")
    _limit_text(ex, 2 * len(data), "textToHex")
    _charge(ex, text)
    return data.hex()


# ------------------------------------------------------------------ splitting into lists


def _split(ex: Any, text: str, separator: str, fname: str) -> DList:
    if separator == "":
        # [choice] An empty separator splits into single characters; "" stays one empty element.
        if text == "":
            return DList([""])
        _limit_list(ex, len(text), fname)
        ex.charge_work(len(text) // 16 + 1)
        return DList(text)
    count = text.count(separator) + 1
    _limit_list(ex, count, fname)
    ex.charge_work(len(text) // 64 + count // 16 + 1)
    return DList(text.split(separator))


@method("text", "toList")
def to_list(ex: Any, s: Any, separator: Any = _MISSING) -> DList:
    """The text split on every occurrence of the separator (literal, not a regex).

    Adjacent separators give empty elements and a trailing one a final empty element;
    a missing separator, or one that does not occur, gives a one-element list holding
    the whole text, and "" gives a list holding "". [choice] An empty separator splits
    the text into its characters; a null separator is a runtime error.
    """
    text = _text(s, "toList")
    if separator is _MISSING:
        return DList([text])
    return _split(ex, text, _arg(separator, "toList", "separator"), "toList")


@function("toList")
def to_list_function(ex: Any, value: Any, *rest: Any) -> Any:
    """The function form `toList(text, separator?)` (list-map-date-json.md, [choice]); for any
    other first argument it runs the method form on it (`toList(list)` is `list.toList()`)."""
    if type(value) is str:
        return to_list(ex, value, *rest)
    return call_method(ex, "tolist", "toList", value, rest)


@method("text", "toListString")
def to_list_string(ex: Any, s: Any) -> DList:
    """The text split on commas into a list of texts; elements are not trimmed ("" gives [""])."""
    return _split(ex, _text(s, "toListString"), ",", "toListString")
