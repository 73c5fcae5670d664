"""The lenient JSON reader of list-map-date-json.md 5.1: the rules of the `org.json` tokenizer.

Zoho's examples parse `{company:Zoho, product:Creator}` and `{Name:'Lia Shelton'}`,
so besides strict JSON this reader accepts:

- strings in `"` or `'` (escapes `\\b \\t \\n \\f \\r \\" \\' \\\\ \\/ \\uXXXX`; any other
  escape, and a raw line break inside a string, is an error, as in org.json);
- unquoted tokens, which run until one of ``, : ] } / \\ " [ { ; = #`` or a control
  character and are then trimmed (so `Zoho Corp` keeps its inner space);
  `true`, `false` and `null` in any letter case are literals, a token that looks
  like a number is a number, anything else is text;
- unquoted keys (always text), `;` between the members of an object, a trailing
  separator before `}` or `]`, and an empty array slot (`[1,,2]`), which is `null`.

Numbers (D24): a token without `.` or exponent is a whole NUMBER, or a DECIMAL
when it is outside the 64-bit range; anything else is a DECIMAL. A number beyond
the range of a double, and the unquoted words `NaN`, `Infinity` and `-Infinity`
(any case), are runtime errors. Tokens longer than `MAX_NUMBER_DIGITS` characters
are refused before any conversion. A token with a leading zero (`007`) or one
starting with `.` or `+` is text, as in org.json (zip codes stay text).

Key order is the order of the text (D5); a repeated key keeps its first position
and takes the last value. Nesting deeper than the run's data-nesting limit, or a
list or map with more elements than the collection limit, is a `budget` error.
"""

from __future__ import annotations

import re
from typing import Any

from deluge.errors import BudgetExceeded, DelugeRuntimeError
from deluge.runtime.values import INT_MAX, INT_MIN, DList, DMap

MAX_NUMBER_DIGITS = 1000
"""Number tokens longer than this are refused before conversion (5.1: digits are counted first)."""

_WS = re.compile(r"[\x00-\x20]*")
_TOKEN = re.compile(r"[^,:\]}/\\\"\[{;=#\x00-\x1f]+")
_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_LEADING_ZERO = re.compile(r"-?0[0-9]")
_CHUNK = {'"': re.compile(r"[^\"\\\n\r\x00]*"), "'": re.compile(r"[^'\\\n\r\x00]*")}
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "'": "'", "\\": "\\", "/": "/"}
_NON_FINITE = ("nan", "infinity", "-infinity")


def json_number(token: str, fname: str) -> int | float:
    """A JSON number token as a Deluge NUMBER or DECIMAL (D24); `token` matches `_NUMBER`."""
    if len(token) > MAX_NUMBER_DIGITS:
        raise DelugeRuntimeError(
            f"{fname}: the JSON holds a number of {len(token)} characters, more than the "
            f"{MAX_NUMBER_DIGITS} a number may have"
        )
    if "." not in token and "e" not in token and "E" not in token:
        if len(token) <= 20:
            value = int(token)
            if INT_MIN <= value <= INT_MAX:
                return value
    result = float(token)
    if result in (float("inf"), float("-inf")):
        raise DelugeRuntimeError(f"{fname}: the JSON number {_short(token)} is beyond the range of a decimal")
    return result


def non_finite(word: str, fname: str) -> DelugeRuntimeError:
    return DelugeRuntimeError(f"{fname}: the JSON holds {word}, which is not a number Deluge can hold")


def _short(token: str) -> str:
    return token if len(token) <= 30 else token[:27] + "..."


class _Reader:
    __slots__ = ("depth", "fname", "max_depth", "max_size", "pos", "text")

    def __init__(self, text: str, fname: str, max_depth: int, max_size: int) -> None:
        self.text = text
        self.pos = 0
        self.fname = fname
        self.depth = 0
        self.max_depth = max_depth
        self.max_size = max_size

    def fail(self, what: str) -> DelugeRuntimeError:
        return DelugeRuntimeError(f"{self.fname}: the text is not valid JSON ({what} at offset {self.pos})")

    def skip(self) -> str:
        """Skips white space and returns the next character, or '' at the end."""
        text = self.text
        pos = _WS.match(text, self.pos).end()  # type: ignore[union-attr]
        self.pos = pos
        return text[pos] if pos < len(text) else ""

    def value(self) -> Any:
        ch = self.skip()
        if ch == "{":
            return self.obj()
        if ch == "[":
            return self.arr()
        if ch == '"' or ch == "'":
            return self.string(ch)
        if ch == "":
            raise self.fail("a missing value")
        return self.token()

    def token(self) -> Any:
        m = _TOKEN.match(self.text, self.pos)
        word = m.group().strip(" ") if m else ""
        if not word:
            raise self.fail(f"an unexpected {self.text[self.pos]!r}")
        self.pos = m.end()  # type: ignore[union-attr]
        lowered = word.lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        if lowered == "null":
            return None
        if lowered in _NON_FINITE:
            raise non_finite(word, self.fname)
        first = word[0]
        if (first == "-" or "0" <= first <= "9") and _NUMBER.fullmatch(word) and not _LEADING_ZERO.match(word):
            return json_number(word, self.fname)
        return word

    def string(self, quote: str) -> str:
        text = self.text
        chunk = _CHUNK[quote]
        self.pos += 1
        parts: list[str] = []
        while True:
            m = chunk.match(text, self.pos)
            parts.append(m.group())  # type: ignore[union-attr]
            pos = m.end()  # type: ignore[union-attr]
            if pos >= len(text) or text[pos] in "\n\r\x00":
                self.pos = pos
                raise self.fail("an unterminated string")
            ch = text[pos]
            if ch == quote:
                self.pos = pos + 1
                return "".join(parts)
            # a backslash
            esc = text[pos + 1:pos + 2]
            if esc == "u":
                self.pos = pos
                parts.append(self.unicode_escape())
                continue
            if esc not in _ESCAPES:
                self.pos = pos
                raise self.fail("an illegal escape")
            parts.append(_ESCAPES[esc])
            self.pos = pos + 2

    def unicode_escape(self) -> str:
        code = self.hex4(self.pos + 2)
        self.pos += 6
        if 0xD800 <= code < 0xDC00 and self.text.startswith("\\u", self.pos):
            low = self.hex4(self.pos + 2)
            if 0xDC00 <= low < 0xE000:
                self.pos += 6
                return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
        return chr(code)

    def hex4(self, at: int) -> int:
        digits = self.text[at:at + 4]
        if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
            self.pos = at
            raise self.fail("an illegal \\u escape")
        return int(digits, 16)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise BudgetExceeded(f"The JSON is nested more than {self.max_depth} levels deep", limit="data_nesting")

    def full(self, size: int) -> None:
        if size >= self.max_size:
            raise BudgetExceeded(
                f"The JSON holds a list or map of more than {self.max_size} elements", limit="collection_size"
            )

    def key(self) -> str:
        ch = self.skip()
        if ch == '"' or ch == "'":
            return self.string(ch)
        m = _TOKEN.match(self.text, self.pos)
        word = m.group().strip(" ") if m else ""
        if not word:
            raise self.fail("a missing key")
        self.pos = m.end()  # type: ignore[union-attr]
        return word

    def obj(self) -> DMap:
        self.enter()
        self.pos += 1
        out = DMap()
        if self.skip() == "}":
            self.pos += 1
            self.depth -= 1
            return out
        while True:
            key = self.key()
            if self.skip() != ":":
                raise self.fail("a missing ':' after a key")
            self.pos += 1
            value = self.value()
            if key not in out:
                self.full(len(out))
            out[key] = value
            ch = self.skip()
            if ch == "," or ch == ";":
                self.pos += 1
                if self.skip() == "}":
                    self.pos += 1
                    self.depth -= 1
                    return out
                continue
            if ch == "}":
                self.pos += 1
                self.depth -= 1
                return out
            raise self.fail("a missing ',' or '}'")

    def arr(self) -> DList:
        self.enter()
        self.pos += 1
        out = DList()
        if self.skip() == "]":
            self.pos += 1
            self.depth -= 1
            return out
        while True:
            self.full(len(out))
            if self.skip() == ",":
                out.append(None)
            else:
                out.append(self.value())
            ch = self.skip()
            if ch == ",":
                self.pos += 1
                if self.skip() == "]":
                    self.pos += 1
                    self.depth -= 1
                    return out
                continue
            if ch == "]":
                self.pos += 1
                self.depth -= 1
                return out
            raise self.fail("a missing ',' or ']'")


def parse_relaxed(text: str, fname: str, max_depth: int = 128, max_size: int = 100_000) -> Any:
    """Reads one JSON value (lenient rules above) filling the whole text, as Deluge values."""
    reader = _Reader(text, fname, max_depth, max_size)
    try:
        value = reader.value()
    except RecursionError:
        raise BudgetExceeded("The JSON is nested too deeply", limit="data_nesting") from None
    if reader.skip() != "":
        raise reader.fail("extra text after the value")
    return value
