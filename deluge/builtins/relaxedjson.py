"""A small parser for the relaxed JSON of Zoho's examples: `{company:Zoho, product:'Creator'}`."""

from __future__ import annotations

import re
from typing import Any

from deluge.errors import DelugeRuntimeError
from deluge.runtime.values import INT_MAX, INT_MIN, DList, DMap

_WS = re.compile(r"\s*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_BARE = re.compile(r"[^,:{}\[\]\s\"']+(?:[ \t]+[^,:{}\[\]\s\"']+)*")


class _Parser:
    def __init__(self, text: str, fname: str) -> None:
        self.text = text
        self.pos = 0
        self.fname = fname
        self.depth = 0

    def fail(self, what: str) -> DelugeRuntimeError:
        return DelugeRuntimeError(f"{self.fname}: the text is not valid JSON ({what} at offset {self.pos})")

    def ws(self) -> None:
        self.pos = _WS.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def value(self) -> Any:
        self.ws()
        if self.pos >= len(self.text):
            raise self.fail("unexpected end")
        ch = self.text[self.pos]
        if ch == "{":
            return self.obj()
        if ch == "[":
            return self.arr()
        if ch in "\"'":
            return self.string()
        m = _NUMBER.match(self.text, self.pos)
        if m and (m.end() == len(self.text) or self.text[m.end()] in ",}] \t\r\n"):
            self.pos = m.end()
            token = m.group()
            if any(c in token for c in ".eE"):
                value = float(token)
                if value in (float("inf"), float("-inf")):
                    raise self.fail("a number beyond the decimal range")
                return value
            number = int(token)
            return number if INT_MIN <= number <= INT_MAX else float(number)
        m = _BARE.match(self.text, self.pos)
        if not m:
            raise self.fail(f"unexpected {ch!r}")
        self.pos = m.end()
        word = m.group()
        lowered = word.lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        if lowered == "null":
            return None
        if lowered in ("nan", "infinity", "-infinity"):
            raise self.fail(f"{word} is not a number Deluge can hold")
        return word

    def string(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        out = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == quote:
                self.pos += 1
                return "".join(out)
            if ch == "\\":
                self.pos += 1
                if self.pos >= len(self.text):
                    break
                esc = self.text[self.pos]
                mapping = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/"}
                if esc == "u":
                    hexdigits = self.text[self.pos + 1:self.pos + 5]
                    try:
                        out.append(chr(int(hexdigits, 16)))
                    except ValueError:
                        raise self.fail("a bad \\u escape") from None
                    self.pos += 5
                    continue
                out.append(mapping.get(esc, esc))
                self.pos += 1
                continue
            out.append(ch)
            self.pos += 1
        raise self.fail("an unterminated string")

    def key(self) -> Any:
        self.ws()
        if self.pos < len(self.text) and self.text[self.pos] in "\"'":
            return self.string()
        m = _BARE.match(self.text, self.pos)
        if not m:
            raise self.fail("a missing key")
        self.pos = m.end()
        return m.group()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > 200:
            raise self.fail("nesting too deep")

    def obj(self) -> DMap:
        self.enter()
        self.pos += 1
        out = DMap()
        self.ws()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            self.depth -= 1
            return out
        while True:
            key = self.key()
            self.ws()
            if not self.text.startswith(":", self.pos):
                raise self.fail("a missing ':'")
            self.pos += 1
            out[key] = self.value()
            self.ws()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("}", self.pos):
                self.pos += 1
                self.depth -= 1
                return out
            raise self.fail("a missing ',' or '}'")

    def arr(self) -> DList:
        self.enter()
        self.pos += 1
        out = DList()
        self.ws()
        if self.text.startswith("]", self.pos):
            self.pos += 1
            self.depth -= 1
            return out
        while True:
            out.append(self.value())
            self.ws()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("]", self.pos):
                self.pos += 1
                self.depth -= 1
                return out
            raise self.fail("a missing ',' or ']'")


def parse_relaxed(text: str, fname: str) -> Any:
    parser = _Parser(text, fname)
    value = parser.value()
    parser.ws()
    if parser.pos != len(text):
        raise parser.fail("extra text after the value")
    return value
