"""Regular expressions: Java `java.util.regex` syntax, run by the `regex` module (D7, LANGUAGE.md 8).

Deluge scripts write patterns in Java's dialect (Zoho runs Java). This module
translates a Java pattern into the dialect of the third-party `regex` module
(VERSION1, whose scoped inline flags and nested character classes behave like
Java's), never CPython's `re`, which cannot be interrupted. Every call runs under
a time limit: the smaller of `ex.limits.regex_seconds` and the run's remaining
wall time; running past it is `BudgetExceeded(limit="regex_time")`.

Before compiling, a pattern is refused with a runtime error when it is longer
than `ex.limits.regex_pattern_length` characters, or when its counted
repetitions (`x{n}`, `x{n,}`, `x{n,m}`, counted by their largest bound)
multiplied through their nesting exceed `ex.limits.regex_repetition`
(`((x{50}){50}){50}` is 125,000), because the `regex` module expands counted
repetitions while compiling. As a safety measure the sum of those products over
the whole pattern is also held to ten times that limit (a thousand siblings
`a{9999}a{9999}...` take tens of seconds to compile although no nesting
multiplies them).

The public helpers, for every group of built-ins:

    compile_pattern(ex, pattern, ignore_case=False) -> regex.Pattern
    run_with_limit(ex, call, *args, **kwargs)       # call(..., timeout=...) under the limits
    full_match(ex, pattern, text, ignore_case=False) -> bool   (Java String.matches)
    search(ex, pattern, text, ignore_case=False) -> Match | None
    find_all(ex, pattern, text, ignore_case=False) -> list[str]
    replace(ex, text, pattern, replacement, first=False, ignore_case=False, literal=False)
    split(ex, text, pattern, limit=0) -> list[str]   (Java String.split)

Java syntax handled by the translation: `\\d \\w \\s \\h \\v` and their negations (ASCII
sets, as in Java without UNICODE_CHARACTER_CLASS); the POSIX classes `\\p{Alpha}`,
`\\p{Punct}`, ... (ASCII), the `\\p{javaLowerCase}` family, `\\p{IsLatin}`, `\\p{InGreek}`,
`\\p{Lu}`, `\\pL`; `\\Q...\\E` quoting; `\\0oct`, `\\xhh`, `\\x{h..}`, `\\uhhhh` (surrogate pairs
joined), `\\cX`, `\\e`, `\\N{name}`; `\\R`, `\\X`, `\\A`, `\\G`, `\\z`, `\\Z`; numbered back
references with Java's digit rule and `\\k<name>`; named groups `(?<name>...)`; inline
flags `i d m s u x U` scoped like Java's (`d`, `m`, `s` and `x` are applied by the
translation itself; `u` and `U` are accepted and ignored); Java's line terminators
for `.`, `^` and `$`; character-class union `[a-d[m-p]]` and intersection
`[a-z&&[^aeiou]]`; possessive quantifiers and atomic groups. A `{` that does not
start a valid quantifier is an error, as in Java.

Replacement texts (regex mode) follow Java's `Matcher.replaceAll`: `$n` and `${name}`
are group references (the first digit always belongs to the reference, later
digits only while they name an existing group; `$0` is the whole match), `\\x` is
the character `x`, a group that did not take part in the match inserts nothing.
Decisions where Java would throw [choice]: a `$` not followed by a digit or `{`,
and a trailing backslash, are kept as literal characters; a reference to a group
the pattern does not have is a runtime error, as in Java.
"""

from __future__ import annotations

import functools
import time
import unicodedata
from collections.abc import Callable
from typing import Any

from deluge.builtins.core import as_text
from deluge.builtins.registry import function, method
from deluge.errors import BudgetExceeded, DelugeRuntimeError
from deluge.runtime.render import render

_CACHE_SIZE = 512

# ------------------------------------------------------------------ sets used by the translation

_ASCII_SETS = {
    "d": "0-9",
    "w": "a-zA-Z0-9_",
    "s": r"\t\n\x0B\f\r\x20",
    "h": r"\x20\t\xA0\u1680\u180E\u2000-\u200A\u202F\u205F\u3000",
    "v": r"\n\x0B\f\r\x85\u2028\u2029",
}

_POSIX = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": r"\x00-\x7F",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": r"\x21-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E",
    "Graph": r"\x21-\x7E",
    "Print": r"\x20-\x7E",
    "Blank": r"\x20\t",
    "Cntrl": r"\x00-\x1F\x7F",
    "XDigit": "0-9a-fA-F",
    "Space": r"\t\n\x0B\f\r\x20",
}

_JAVA_PROPS = {
    "javaLowerCase": r"\p{Lowercase}",
    "javaUpperCase": r"\p{Uppercase}",
    "javaTitleCase": r"\p{Lt}",
    "javaWhitespace": r"\t\n\x0B\f\r\x1C-\x20\u1680\u2000-\u2006\u2008-\u200A\u2028\u2029\u205F\u3000",
    "javaSpaceChar": r"\p{Zs}\p{Zl}\p{Zp}",
    "javaMirrored": r"\p{Bidi_Mirrored}",
    "javaLetter": r"\p{L}",
    "javaDigit": r"\p{Nd}",
    "javaLetterOrDigit": r"\p{L}\p{Nd}",
    "javaAlphabetic": r"\p{Alphabetic}",
    "javaIdeographic": r"\p{Ideographic}",
    "javaDefined": r"\p{Assigned}",
    "javaISOControl": r"\x00-\x1F\x7F-\x9F",
    "javaIdentifierIgnorable": r"\x00-\x08\x0E-\x1B\x7F-\x9F\p{Cf}",
    "javaUnicodeIdentifierStart": r"\p{ID_Start}",
    "javaUnicodeIdentifierPart": r"\p{ID_Continue}",
    "javaJavaIdentifierStart": r"\p{L}\p{Nl}\p{Sc}\p{Pc}",
    "javaJavaIdentifierPart": r"\p{L}\p{Nl}\p{Sc}\p{Pc}\p{Nd}\p{Mn}\p{Mc}\x00-\x08\x0E-\x1B\x7F-\x9F\p{Cf}",
}

# Java names of binary properties and categories that the `regex` module spells differently.
_PROP_ALIASES = {"titlecase": "Lt", "whitespace": "White_Space", "hexdigit": "Hex_Digit"}

_LINE_TERMINATORS = r"\n\r\x85\u2028\u2029"
_DOT = {  # by (dotall, unix_lines)
    (False, False): r"[^\n\r\x85\u2028\u2029]",
    (False, True): r"[^\n]",
    (True, False): r"(?s:.)",
    (True, True): r"(?s:.)",
}
_CARET = {  # by (multiline, unix_lines)
    (False, False): r"\A",
    (False, True): r"\A",
    (True, False): r"(?:\A|(?:(?<=[\n\x85\u2028\u2029])|(?<=\r)(?!\n))(?!\Z))",
    (True, True): r"(?:\A|(?<=\n)(?!\Z))",
}
_DOLLAR = {  # by (multiline, unix_lines)
    (False, False): r"(?:\Z|(?=\r\n\Z)|(?=[\r\x85\u2028\u2029]\Z)|(?<!\r)(?=\n\Z))",
    (False, True): r"(?:\Z|(?=\n\Z))",
    (True, False): r"(?:\Z|(?=[\r\x85\u2028\u2029])|(?<!\r)(?=\n))",
    (True, True): r"(?:\Z|(?=\n))",
}
_JAVA_WS = " \t\n\x0b\f\r"
_INLINE_FLAGS = set("idmsuxU")


class PatternError(DelugeRuntimeError):
    """A pattern that is invalid, or over the pattern limits (a runtime error, D7)."""


def _char(cp: int) -> str:
    """One code point as an escape that is literal both inside and outside a set."""
    if cp < 0x80 and (chr(cp).isalnum() or chr(cp) == "_"):
        return chr(cp)
    if cp <= 0xFF:
        return f"\\x{cp:02X}"
    if cp <= 0xFFFF:
        return f"\\u{cp:04X}"
    return f"\\U{cp:08X}"


def _lit(c: str) -> str:
    """A literal character for the output pattern."""
    if c.isascii():
        return _char(ord(c))
    return c


class _Frame:
    """An open group while translating: its saved flags and its repetition measure."""

    __slots__ = ("flags", "last", "lookaround", "product", "quantifiable", "total")

    def __init__(self, flags: frozenset[str]) -> None:
        self.flags = flags
        self.product = 1  # the largest product of counted bounds on one path inside
        self.total = 0  # the sum, over counted repetitions inside, of their products
        self.last: tuple[int, int] | None = None  # (product, total) of the last atom
        self.quantifiable = False
        self.lookaround = False

    def fold(self) -> None:
        if self.last is not None:
            self.product = max(self.product, self.last[0])
            self.total += self.last[1]
            self.last = None
        self.quantifiable = False

    def atom(self, product: int = 1, total: int = 0) -> None:
        self.fold()
        self.last = (product, total)
        self.quantifiable = True


class _BackRef:
    __slots__ = ("number",)

    def __init__(self, number: int) -> None:
        self.number = number


class _Translator:
    """Java pattern text -> `regex` (VERSION1) pattern text, with the repetition measure."""

    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.n = len(pattern)
        self.i = 0
        self.out: list[str | _BackRef] = []
        self.flags: set[str] = set()
        self.stack: list[_Frame] = [_Frame(frozenset())]
        self.groups = 0
        self.names: set[str] = set()
        self.literal: list[str] | None = []  # the characters, while the pattern is plain text
        self.looking = 0  # open lookaround groups
        self.captures_outside = False  # a capturing group inside a lookaround (it may capture
        # text outside the match)

    # -------------------------------------------------------------- helpers

    def error(self, what: str, at: int | None = None) -> PatternError:
        where = self.i if at is None else at
        return PatternError(f"Invalid regular expression: {what} near index {where} of the pattern {self.p!r}")

    @property
    def frame(self) -> _Frame:
        return self.stack[-1]

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.p[j] if j < self.n else ""

    def skip_comments(self) -> None:
        """In comments mode (`x`), white space and `#` comments between tokens are ignored."""
        p, n = self.p, self.n
        while self.i < n:
            c = p[self.i]
            if c in _JAVA_WS:
                self.i += 1
            elif c == "#":
                while self.i < n and p[self.i] not in "\n\r\x85\u2028\u2029":
                    self.i += 1
            else:
                break

    def read_digits(self) -> str:
        start = self.i
        while self.i < self.n and "0" <= self.p[self.i] <= "9":
            self.i += 1
        return self.p[start:self.i]

    def read_hex(self, count: int) -> int:
        text = self.p[self.i:self.i + count]
        if len(text) != count or any(c not in "0123456789abcdefABCDEF" for c in text):
            raise self.error("illegal hexadecimal escape sequence")
        self.i += count
        return int(text, 16)

    # -------------------------------------------------------------- main loop

    def translate(self) -> tuple[str, int, int]:
        p = self.p
        while True:
            if "x" in self.flags:
                self.skip_comments()
            if self.i >= self.n:
                break
            c = p[self.i]
            if c == "\\":
                self.escape()
                continue
            if c not in "[()|*+?{.^$" and self.literal is not None:
                self.literal.append(c)
            else:
                self.literal = None
            if c == "[":
                self.i += 1
                body = self.char_class()
                self.out.append(body)
                self.frame.atom()
            elif c == "(":
                self.open_group()
            elif c == ")":
                self.close_group()
            elif c == "|":
                self.i += 1
                self.frame.fold()
                self.out.append("|")
            elif c in "*+?":
                self.i += 1
                self.quantifier(c, None)
            elif c == "{":
                self.brace_quantifier()
            elif c == ".":
                self.i += 1
                self.out.append(_DOT[("s" in self.flags, "d" in self.flags)])
                self.frame.atom()
            elif c == "^":
                self.i += 1
                self.out.append(_CARET[("m" in self.flags, "d" in self.flags)])
                self.frame.atom()
            elif c == "$":
                self.i += 1
                self.out.append(_DOLLAR[("m" in self.flags, "d" in self.flags)])
                self.frame.atom()
            else:
                self.i += 1
                self.out.append(_lit(c))
                self.frame.atom()
        if len(self.stack) > 1:
            raise self.error("unclosed group", self.n)
        top = self.frame
        top.fold()
        parts = []
        for piece in self.out:
            if isinstance(piece, _BackRef):
                parts.append(f"\\g<{piece.number}>" if piece.number <= self.groups else "(?:(?!))")
            else:
                parts.append(piece)
        return "".join(parts), top.product, top.total

    # -------------------------------------------------------------- quantifiers

    def quantifier(self, base: str, bound: int | None) -> None:
        frame = self.frame
        if not frame.quantifiable or frame.last is None:
            raise self.error(f"dangling meta character '{base[0]}'", self.i - len(base))
        text = base
        if self.peek() in ("?", "+"):
            text += self.peek()
            self.i += 1
        self.out.append(text)
        if bound is not None:
            product, total = frame.last
            frame.last = (product * bound, total * bound + bound)
        frame.quantifiable = False

    def brace_quantifier(self) -> None:
        start = self.i
        self.i += 1
        low = self.read_digits()
        if not low:
            raise self.error("illegal repetition", start)
        high: str | None = low
        if self.peek() == ",":
            self.i += 1
            high = self.read_digits() or None
        if self.peek() != "}":
            raise self.error("unclosed counted closure", self.i)
        self.i += 1
        lo = int(low)
        hi = None if high is None else int(high)
        if hi is not None and hi < lo:
            raise self.error("illegal repetition range", start)
        if lo == hi:
            base = "{" + str(lo) + "}"
        else:
            base = "{" + str(lo) + "," + ("" if hi is None else str(hi)) + "}"
        self.quantifier(base, lo if hi is None else hi)

    # -------------------------------------------------------------- groups

    def open_group(self) -> None:
        start = self.i
        self.i += 1
        if self.peek() != "?":
            self.groups += 1
            self.push("(")
            return
        self.i += 1
        c = self.peek()
        if c in (":", "=", "!", ">"):
            self.i += 1
            self.push("(?" + c)
            return
        if c == "<":
            nxt = self.peek(1)
            if nxt in ("=", "!"):
                self.i += 2
                self.push("(?<" + nxt)
                return
            self.i += 1
            name_start = self.i
            while self.i < self.n and self.p[self.i].isascii() and self.p[self.i].isalnum():
                self.i += 1
            name = self.p[name_start:self.i]
            if not name or not name[0].isalpha() or self.peek() != ">":
                raise self.error("invalid name of a capturing group", name_start)
            if name in self.names:
                raise self.error(f"named capturing group <{name}> is already defined", name_start)
            self.i += 1
            self.names.add(name)
            self.groups += 1
            self.push(f"(?<{name}>")
            return
        # inline flags: (?idmsux-idmsux) or (?idmsux-idmsux:X)
        on: set[str] = set()
        off: set[str] = set()
        target = on
        while True:
            c = self.peek()
            if c in _INLINE_FLAGS:
                target.add(c)
                self.i += 1
            elif c == "-" and target is on:
                target = off
                self.i += 1
            else:
                break
        if c not in (")", ":"):
            raise self.error("unknown inline modifier", self.i if c else start)
        self.i += 1
        i_flag = "(?" + ("i" if "i" in on else "") + ("-i" if "i" in off else "")
        if c == ")":
            self.flags = (self.flags | on) - off
            self.frame.fold()
            if i_flag != "(?":
                self.out.append(i_flag + ")")
            return
        self.push(i_flag + ":" if i_flag != "(?" else "(?:")
        self.flags = (self.flags | on) - off

    def push(self, opener: str) -> None:
        self.frame.fold()
        self.out.append(opener)
        frame = _Frame(frozenset(self.flags))
        frame.lookaround = opener in ("(?=", "(?!", "(?<=", "(?<!")
        if frame.lookaround:
            self.looking += 1
        elif self.looking and (opener == "(" or opener.startswith("(?<")):
            self.captures_outside = True
        self.stack.append(frame)

    def close_group(self) -> None:
        if len(self.stack) == 1:
            raise self.error("unmatched closing ')'")
        self.i += 1
        frame = self.stack.pop()
        frame.fold()
        if frame.lookaround:
            self.looking -= 1
        self.flags = set(frame.flags)
        self.out.append(")")
        self.frame.atom(frame.product, frame.total)

    # -------------------------------------------------------------- escapes outside a class

    def escape(self) -> None:
        start = self.i
        self.i += 1
        if self.i >= self.n:
            raise self.error("unexpected end of pattern after '\\'", start)
        c = self.p[self.i]
        self.i += 1
        frame = self.frame
        if c == "Q":
            end = self.p.find("\\E", self.i)
            quoted = self.p[self.i:] if end < 0 else self.p[self.i:end]
            self.i = self.n if end < 0 else end + 2
            for ch in quoted:
                self.out.append(_lit(ch))
                frame.atom()
            if self.literal is not None:
                self.literal.extend(quoted)
            return
        if c == "E":
            return  # a stray \E is ignored, as Java does
        if c not in "0xuceNtnrfa" and not (c.isascii() and not c.isalnum()):
            self.literal = None
        if c in "123456789":
            number = int(c)
            while self.i < self.n and "0" <= self.p[self.i] <= "9":
                bigger = number * 10 + int(self.p[self.i])
                if bigger > self.groups:
                    break
                number = bigger
                self.i += 1
            self.out.append(_BackRef(number))
            frame.atom()
            return
        if c == "k":
            if self.peek() != "<":
                raise self.error("\\k is not followed by '<' for a named capturing group", start)
            end = self.p.find(">", self.i)
            name = self.p[self.i + 1:end] if end > 0 else ""
            if end < 0 or name not in self.names:
                raise self.error(f"named capturing group <{name}> does not exist", start)
            self.i = end + 1
            self.out.append(f"\\g<{name}>")
            frame.atom()
            return
        if c in "bBAGzZ":
            if c == "b" and self.peek() == "{":
                raise self.error("\\b{...} boundaries are not supported", start)
            mapping = {"b": r"\b", "B": r"\B", "A": r"\A", "G": r"\G", "z": r"\Z",
                       "Z": _DOLLAR[(False, "d" in self.flags)]}
            self.out.append(mapping[c])
            frame.atom()
            return
        if c == "R":
            self.out.append(r"(?>\r\n|[\n\x0B\f\r\x85\u2028\u2029])")
            frame.atom()
            return
        if c == "X":
            self.out.append(r"\X")
            frame.atom()
            return
        self.i -= 1
        item = self.class_escape(start)
        if item is not None:
            self.literal = None
            content, negated = item
            self.out.append("[" + ("^" if negated else "") + content + "]")
        else:
            cp = self.char_escape(start)
            self.out.append(_char(cp))
            if self.literal is not None:
                self.literal.append(chr(cp))
        frame.atom()

    def class_escape(self, start: int) -> tuple[str, bool] | None:
        """A class escape at self.i (after the backslash): (set content, negated), or None."""
        c = self.p[self.i]
        lower = c.lower()
        if lower in _ASCII_SETS and c in "dDwWsShHvV":
            self.i += 1
            return _ASCII_SETS[lower], c.isupper()
        if c in "pP":
            self.i += 1
            negated = c == "P"
            if self.peek() == "{":
                end = self.p.find("}", self.i)
                if end < 0:
                    raise self.error("unclosed character family", start)
                name = self.p[self.i + 1:end]
                self.i = end + 1
            else:
                name = self.peek()
                if not name:
                    raise self.error("illegal character family", start)
                self.i += 1
            return self.property(name, start), negated
        return None

    def property(self, name: str, start: int) -> str:
        if not name or any(not (ch.isascii() and (ch.isalnum() or ch in "_=- ")) for ch in name):
            raise self.error(f"unknown character property name {{{name}}}", start)
        if name in _POSIX:
            return _POSIX[name]
        if name in _JAVA_PROPS:
            return _JAVA_PROPS[name]
        if "=" not in name and name.startswith("Is") and len(name) > 2:
            bare = name[2:]
            if bare in _POSIX:
                return _POSIX[bare]
            name = _PROP_ALIASES.get(bare.lower().replace("_", ""), bare)
        return "\\p{" + name + "}"

    def char_escape(self, start: int) -> int:
        """A single-character escape at self.i (after the backslash); returns the code point."""
        c = self.p[self.i]
        self.i += 1
        simple = {"t": 9, "n": 10, "r": 13, "f": 12, "a": 7, "e": 27}
        if c in simple:
            return simple[c]
        if c == "0":
            digits = ""
            while len(digits) < 3 and "0" <= self.peek() <= "7" and self.peek():
                digits += self.peek()
                self.i += 1
            if len(digits) == 3 and digits[0] > "3":
                digits = digits[:2]
                self.i -= 1
            if not digits:
                raise self.error("illegal octal escape sequence", start)
            return int(digits, 8)
        if c == "x":
            if self.peek() == "{":
                end = self.p.find("}", self.i)
                text = self.p[self.i + 1:end] if end > 0 else ""
                if end < 0 or not text or len(text) > 8 or any(ch not in "0123456789abcdefABCDEF" for ch in text):
                    raise self.error("illegal hexadecimal escape sequence", start)
                self.i = end + 1
                cp = int(text, 16)
                if cp > 0x10FFFF:
                    raise self.error("hexadecimal codepoint is too big", start)
                return cp
            return self.read_hex(2)
        if c == "u":
            cp = self.read_hex(4)
            if 0xD800 <= cp <= 0xDBFF and self.p.startswith("\\u", self.i):
                save = self.i
                self.i += 2
                try:
                    low = self.read_hex(4)
                except PatternError:
                    low = -1
                if 0xDC00 <= low <= 0xDFFF:
                    return 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)
                self.i = save
            return cp
        if c == "c":
            if self.i >= self.n:
                raise self.error("illegal control escape sequence", start)
            ch = self.p[self.i]
            self.i += 1
            return ord(ch) ^ 64
        if c == "N":
            end = self.p.find("}", self.i)
            if self.peek() != "{" or end < 0:
                raise self.error("\\N is not followed by {name}", start)
            name = self.p[self.i + 1:end]
            self.i = end + 1
            try:
                return ord(unicodedata.lookup(name))
            except (KeyError, TypeError):
                raise self.error(f"unknown character name [{name}]", start) from None
        if c.isascii() and c.isalnum():
            raise self.error(f"illegal/unsupported escape sequence '\\{c}'", start)
        return ord(c)

    # -------------------------------------------------------------- character classes

    def char_class(self) -> str:
        """Translates a class whose '[' was consumed; returns the output set, brackets included."""
        start = self.i - 1
        negated = False
        if self.peek() == "^":
            negated = True
            self.i += 1
        items: list[str] = []
        first = True
        while True:
            if "x" in self.flags:
                self.skip_comments()
            if self.i >= self.n:
                raise self.error("unclosed character class", self.n - 1 if self.n else start)
            c = self.p[self.i]
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            if c == "[":
                self.i += 1
                items.append(self.char_class())
                continue
            if c == "&" and self.peek(1) == "&":
                self.i += 2
                items.append("&&")
                continue
            low = self.class_char(items)
            if low is None:
                continue
            # a range?
            if self.peek() == "-" and self.peek(1) not in ("]", "", "["):
                save = self.i
                self.i += 1
                if self.peek() == "\\" and self.peek(1) in "dDwWsShHvVpPQ":
                    self.i = save  # '-' before a class escape is a literal
                    items.append(_char(low))
                    continue
                high = self.class_char(None)
                if high is None:
                    raise self.error("illegal character range", save)
                if high < low:
                    raise self.error("illegal character range", save)
                items.append(_char(low) + "-" + _char(high))
            else:
                items.append(_char(low))
        body = "".join(items)
        if not body or body.startswith("&&") or body.endswith("&&"):
            # Java treats an empty side of && as "everything on that side"; keep it simple.
            body = body.strip("&") if body.strip("&") else ""
            if not body:
                return "[^\\s\\S]" if not negated else "[\\s\\S]"
        return "[" + ("^" if negated else "") + body + "]"

    def class_char(self, items: list[str] | None) -> int | None:
        """One member of a class: returns a code point, or None when it added a set to `items`."""
        c = self.p[self.i]
        if c != "\\":
            self.i += 1
            return ord(c)
        start = self.i
        self.i += 1
        if self.i >= self.n:
            raise self.error("unclosed character class", start)
        e = self.p[self.i]
        if e == "Q":
            if items is None:
                raise self.error("illegal character range", start)
            end = self.p.find("\\E", self.i + 1)
            quoted = self.p[self.i + 1:] if end < 0 else self.p[self.i + 1:end]
            self.i = self.n if end < 0 else end + 2
            items.extend(_char(ord(ch)) for ch in quoted)
            return None
        item = self.class_escape(start)
        if item is not None:
            if items is None:
                raise self.error("illegal character range", start)
            content, negated = item
            items.append("[^" + content + "]" if negated else content)
            return None
        if e == "b":
            raise self.error("\\b is not allowed in a character class", start)
        return self.char_escape(start)


# ------------------------------------------------------------------ compiling


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _compile(pattern: str, ignore_case: bool, repetition: int) -> tuple[Any, str | None, bool]:
    """(compiled pattern, the plain text it matches when it has no regex construct at all,
    whether a capturing group sits inside a lookaround)."""
    translator = _Translator(pattern)
    translated, product, total = translator.translate()
    if product > repetition or total > 10 * repetition:
        measure = product if product > repetition else total
        raise PatternError(
            f"The regular expression repeats too much ({measure} counted repetitions through its nesting; "
            f"the limit is {repetition})"
        )
    import regex as _regex  # imported on first use: it takes a while to load

    flags = _regex.V1 | (_regex.IGNORECASE if ignore_case else 0)
    plain = None if translator.literal is None else "".join(translator.literal)
    try:
        return _regex.compile("(?-f)" + translated, flags), plain, translator.captures_outside
    except _regex.error as exc:
        raise PatternError(f"Invalid regular expression {pattern!r}: {exc.msg}") from None
    except (OverflowError, RecursionError, ValueError) as exc:
        raise PatternError(f"Invalid regular expression {pattern!r}: {exc}") from None

def translate(pattern: str) -> str:
    """The `regex`-module text of a Java pattern (no limits applied); for tests and tools."""
    return _Translator(pattern).translate()[0]


def compile_pattern(ex: Any, pattern: str, ignore_case: bool = False) -> Any:
    """The compiled form of a Java pattern, or a runtime error (invalid, too long, too repetitive)."""
    return _compiled(ex, pattern, ignore_case)[0]


def _compiled(ex: Any, pattern: str, ignore_case: bool) -> tuple[Any, str | None, bool]:
    if type(pattern) is not str:
        raise DelugeRuntimeError(f"A regular expression must be TEXT, not {render(pattern)!r}")
    limit = ex.limits.regex_pattern_length
    if len(pattern) > limit:
        raise PatternError(f"The regular expression is {len(pattern)} characters long; the limit is {limit}")
    return _compile(pattern, bool(ignore_case), ex.limits.regex_repetition)


def call_deadline(ex: Any) -> float:
    """The `time.monotonic()` time by which one regex call must end (possibly over several passes):
    the per-call limit, never past the run's own deadline."""
    ex.check_time()
    now = time.monotonic()
    remaining = ex.deadline - now
    if remaining <= 0:
        raise BudgetExceeded(f"The run took longer than its {ex.limits.wall_time:g} s of wall time",
                             limit="wall_time")
    return now + min(ex.limits.regex_seconds, remaining)


def _timed_out(ex: Any, until: float) -> BudgetExceeded:
    if until >= ex.deadline:
        message = "A regular expression ran until the run's wall time was used up"
    else:
        message = f"A regular expression took longer than its limit of {ex.limits.regex_seconds:g} s"
    return BudgetExceeded(message, limit="regex_time")


def run_with_limit(ex: Any, call: Callable[..., Any], *args: Any, until: float | None = None, **kwargs: Any) -> Any:
    """Runs `call(*args, timeout=..., **kwargs)` (a method of a compiled pattern) under the limits.

    The timeout is the smaller of the per-call limit and the run's remaining wall time
    (or what is left until `until`, from `call_deadline`, when one call takes several
    passes); running past it ends the run with `BudgetExceeded(limit="regex_time")`.
    """
    if until is None:
        until = call_deadline(ex)
    timeout = until - time.monotonic()
    if timeout <= 0:
        raise _timed_out(ex, until)
    try:
        return call(*args, timeout=timeout, **kwargs)
    except TimeoutError:
        raise _timed_out(ex, until) from None
    except RecursionError:
        raise BudgetExceeded("A regular expression needed too much memory", limit="regex_time") from None


def _charge(ex: Any, text: str) -> None:
    ex.charge_work(len(text) // 64 + 1)


def full_match(ex: Any, pattern: str, text: str, ignore_case: bool = False) -> bool:
    """Whether the whole text matches (Java `String.matches`)."""
    compiled = compile_pattern(ex, pattern, ignore_case)
    _charge(ex, text)
    return run_with_limit(ex, compiled.fullmatch, text) is not None


def search(ex: Any, pattern: str, text: str, ignore_case: bool = False) -> Any:
    """The first match anywhere in the text, or None."""
    compiled = compile_pattern(ex, pattern, ignore_case)
    _charge(ex, text)
    return run_with_limit(ex, compiled.search, text)


def _matches_of(ex: Any, compiled: Any, text: str, limit: int = 0) -> list[tuple[int, int]]:
    """The spans of the non-overlapping matches (at most `limit` when positive), under one time
    limit; more matches than the collection-size limit is a `budget` error."""
    found: list[tuple[int, int]] = []
    most = ex.limits.collection_size

    def keep(m: Any) -> str:
        if len(found) >= most:
            raise BudgetExceeded(f"A regular expression found more than {most} matches", limit="collection_size")
        found.append(m.span())
        return ""

    _charge(ex, text)
    run_with_limit(ex, compiled.sub, keep, text, count=limit)
    ex.charge_work(len(found) // 16 + 1)
    return found


def find_all(ex: Any, pattern: str, text: str, ignore_case: bool = False) -> list[str]:
    """The text of every non-overlapping match, in order."""
    compiled = compile_pattern(ex, pattern, ignore_case)
    return [text[s:e] for s, e in _matches_of(ex, compiled, text)]


def split(ex: Any, text: str, pattern: str, limit: int = 0) -> list[str]:
    """Java `String.split(pattern, limit)`: a zero-width match at the start adds no empty piece;
    a positive limit caps the number of pieces; with limit 0 trailing empty pieces are dropped."""
    compiled = compile_pattern(ex, pattern)
    found = _matches_of(ex, compiled, text, limit if limit > 0 else 0)
    pieces: list[str] = []
    index = 0
    for start, end in found:
        if limit > 0 and len(pieces) >= limit - 1:
            break
        if index == 0 and start == 0 and end == 0:
            continue
        pieces.append(text[index:start])
        index = end
    if index == 0:
        return [text]
    pieces.append(text[index:])
    if limit == 0:
        while pieces and pieces[-1] == "":
            pieces.pop()
    return pieces


# ------------------------------------------------------------------ replacing


def _replacement_pieces(replacement: str, compiled: Any, fname: str) -> list[str | int]:
    """Parses a Java replacement text into literal texts and group numbers (see the module doc)."""
    pieces: list[str | int] = []
    buf: list[str] = []
    i, n = 0, len(replacement)
    groups = compiled.groups
    while i < n:
        c = replacement[i]
        if c == "\\":
            buf.append(replacement[i + 1] if i + 1 < n else "\\")
            i += 2
            continue
        if c == "$" and i + 1 < n:
            d = replacement[i + 1]
            if "0" <= d <= "9":
                ref = int(d)
                i += 2
                while i < n and "0" <= replacement[i] <= "9":
                    bigger = ref * 10 + int(replacement[i])
                    if bigger > groups:
                        break
                    ref = bigger
                    i += 1
                if ref > groups:
                    raise DelugeRuntimeError(
                        f"{fname}: the replacement refers to group ${ref}, but the pattern has "
                        f"{groups} group{'s' if groups != 1 else ''}"
                    )
                if buf:
                    pieces.append("".join(buf))
                    buf = []
                pieces.append(ref)
                continue
            if d == "{":
                end = replacement.find("}", i + 2)
                name = replacement[i + 2:end] if end > 0 else ""
                if end < 0 or name not in compiled.groupindex:
                    raise DelugeRuntimeError(f"{fname}: the replacement refers to a group named {{{name}}} "
                                             "that the pattern does not have")
                if buf:
                    pieces.append("".join(buf))
                    buf = []
                pieces.append(compiled.groupindex[name])
                i = end + 1
                continue
        buf.append(c)
        i += 1
    if buf:
        pieces.append("".join(buf))
    return pieces


def _fold_char(c: str) -> str:
    upper = c.upper()
    if len(upper) != 1:
        upper = c
    lower = upper.lower()
    return lower if len(lower) == 1 else upper


def fold_case(text: str) -> str:
    """Simple Unicode case folding that keeps every character at its index (for IgnoreCase).

    Each character is upper-cased then lower-cased (Java's `equalsIgnoreCase` rule), so
    the three Greek sigmas (U+03A3, U+03C3, U+03C2) fold alike; a character whose mapping
    would change the length (sharp s -> "SS", dotted capital I) is kept as it is.
    """
    upper = text.upper()
    if len(upper) == len(text):
        lower = upper.lower()
        if len(lower) == len(text):
            return lower.replace("\u03c2", "\u03c3")  # final sigma, which str.lower() applies by context
    return "".join(_fold_char(c) for c in text)


def find_folded(text: str, search: str, first: bool = False) -> list[int]:
    """Start indexes of the non-overlapping case-insensitive occurrences of `search` in `text`."""
    if search == "":
        return [0] if first else list(range(len(text) + 1))
    hay, needle = fold_case(text), fold_case(search)
    found: list[int] = []
    i = hay.find(needle)
    while i >= 0:
        found.append(i)
        if first:
            break
        i = hay.find(needle, i + len(needle))
    return found


def _replace_literal_ignore_case(ex: Any, text: str, search: str, replacement: str, first: bool,
                                 fname: str) -> str:
    found = find_folded(text, search, first)
    size = len(text) + len(found) * (len(replacement) - len(search))
    if size > ex.limits.text_length:
        raise _too_long(ex, size, fname)
    ex.charge_work(len(found) // 16 + 1)
    parts: list[str] = []
    index = 0
    for start in found:
        parts.append(text[index:start])
        parts.append(replacement)
        index = start + len(search)
    parts.append(text[index:])
    return "".join(parts)


def _too_long(ex: Any, length: int, fname: str) -> BudgetExceeded:
    return BudgetExceeded(
        f"{fname}: the result would be longer than the limit of {ex.limits.text_length} characters",
        limit="text_length",
    )


def replace(
    ex: Any,
    text: str,
    pattern: str,
    replacement: str,
    *,
    first: bool = False,
    ignore_case: bool = False,
    literal: bool = False,
    fname: str = "replaceAll",
) -> str:
    """Replaces the matches of `pattern` in `text` (all of them, or the first).

    Regex mode reads `pattern` as a Java regular expression and `replacement` as a Java
    replacement text; literal mode matches and inserts both texts as they are. The result
    is refused with a `budget` error as soon as the part built so far passes the text
    limit, and each group reference's size is known before it is copied.
    """
    limit = ex.limits.text_length
    _charge(ex, text)
    if literal and not ignore_case:
        count = text.count(pattern) if pattern else len(text) + 1
        if first:
            count = min(count, 1)
        size = len(text) + count * (len(replacement) - len(pattern))
        if size > limit:
            raise _too_long(ex, size, fname)
        return text.replace(pattern, replacement, 1 if first else -1)
    if literal:
        return _replace_literal_ignore_case(ex, text, pattern, replacement, first, fname)
    compiled, plain, captures_outside = _compiled(ex, pattern, ignore_case)
    pieces = _replacement_pieces(replacement, compiled, fname)
    count = 1 if first else 0
    refs = sum(1 for p in pieces if type(p) is int)
    fixed = "".join(p for p in pieces if type(p) is str)  # type: ignore[misc]
    if plain is not None and not refs:
        # A pattern without any regex construct: the fast literal replacement.
        return replace(ex, text, plain, fixed, first=first, ignore_case=ignore_case, literal=True, fname=fname)
    until = call_deadline(ex)
    if refs and not captures_outside and len(text) * (1 + refs) + (len(text) + 1) * len(fixed) <= limit:
        # Every group lies inside its match, so no result can pass this bound: let the engine
        # expand the references itself.
        template = "".join(p.replace("\\", "\\\\") if type(p) is str else f"\\g<{p}>" for p in pieces)
        return run_with_limit(ex, compiled.sub, template, text, count=count,  # type: ignore[no-any-return]
                              until=until)
    if not refs:
        # No group reference: measure the result exactly (one pass deleting the matches counts
        # them), then let the engine build it.
        if fixed and len(text) + (len(text) + 1) * len(fixed) > limit:
            rest, found = run_with_limit(ex, compiled.subn, "", text, count=count, until=until)
            size = len(rest) + found * len(fixed)
            if size > limit:
                raise _too_long(ex, size, fname)
        return run_with_limit(ex, compiled.sub, fixed.replace("\\", "\\\\"), text, count=count,  # type: ignore[no-any-return]
                              until=until)
    state = [0, 0]  # [length built so far, end of the previous match]

    def expand(m: Any) -> str:
        size = 0
        for piece in pieces:
            if type(piece) is str:
                size += len(piece)
            else:
                start, end = m.span(piece)
                if start >= 0:
                    size += end - start
        built = state[0] + (m.start() - state[1]) + size
        if built > limit:
            raise _too_long(ex, built, fname)
        state[0] = built
        state[1] = m.end()
        if size > 4096:
            ex.charge_work(size // 64)
        return "".join(p if type(p) is str else (m.group(p) or "") for p in pieces)

    result = run_with_limit(ex, compiled.sub, expand, text, count=count, until=until)
    if len(result) > limit:
        raise _too_long(ex, len(result), fname)
    return result  # type: ignore[no-any-return]


# ------------------------------------------------------------------ the built-in functions


def _text_arg(value: Any, fname: str, param: str) -> str:
    """A TEXT argument; numbers and booleans are read as their text form [choice]; null fails."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is int or kind is float or kind is bool:
        return render(value)
    raise DelugeRuntimeError(f"The function '{fname}' needs a TEXT for {param}, not {_type(value)}")


def _type(value: Any) -> str:
    from deluge.runtime.values import type_name

    return "null" if value is None else type_name(value)


_MISSING = object()


def _literal_flag(value: Any, fname: str) -> bool:
    """The optional 4th argument: a BOOLEAN, or the text "true"/"false" (Zoho types it as TEXT)."""
    if value is _MISSING:
        return False
    if value is True or value is False:
        return value  # type: ignore[no-any-return]
    if type(value) is str and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise DelugeRuntimeError(f"The function '{fname}' needs true or false as its literal argument, "
                             f"not {_type(value)}")


def _replace_call(ex: Any, s: Any, search_text: Any, replacement: Any, literal: Any, *,
                  fname: str, first: bool, ignore_case: bool) -> str:
    text = as_text(s, fname, "text")
    pattern = _text_arg(search_text, fname, "the search text")
    repl = _text_arg(replacement, fname, "the replacement")
    result = replace(ex, text, pattern, repl, first=first, ignore_case=ignore_case,
                     literal=_literal_flag(literal, fname), fname=fname)
    if len(result) > 4096:
        ex.allocate(len(result))  # a long result counts against the allocation limit
    return result


@method("text", "replaceAll")
@function("replaceAll")
def replace_all(ex: Any, s: Any, search_text: Any, replacement: Any, literal: Any = _MISSING) -> str:
    """Every match of a Java regex replaced (`literal` true: plain text search and replacement)."""
    return _replace_call(ex, s, search_text, replacement, literal, fname="replaceAll", first=False,
                         ignore_case=False)


@method("text", "replaceFirst")
@function("replaceFirst")
def replace_first(ex: Any, s: Any, search_text: Any, replacement: Any, literal: Any = _MISSING) -> str:
    """The first match of a Java regex replaced (`literal` true: plain text)."""
    return _replace_call(ex, s, search_text, replacement, literal, fname="replaceFirst", first=True,
                         ignore_case=False)


@method("text", "replaceAllIgnoreCase")
@function("replaceAllIgnoreCase")
def replace_all_ignore_case(ex: Any, s: Any, search_text: Any, replacement: Any, literal: Any = _MISSING) -> str:
    """Like replaceAll, matching without regard to case (simple Unicode case folding)."""
    return _replace_call(ex, s, search_text, replacement, literal, fname="replaceAllIgnoreCase", first=False,
                         ignore_case=True)


@method("text", "replaceFirstIgnoreCase")
@function("replaceFirstIgnoreCase")
def replace_first_ignore_case(ex: Any, s: Any, search_text: Any, replacement: Any, literal: Any = _MISSING) -> str:
    """Like replaceFirst, matching without regard to case."""
    return _replace_call(ex, s, search_text, replacement, literal, fname="replaceFirstIgnoreCase", first=True,
                         ignore_case=True)


@method("text", "matches")
@function("matches")
def matches(ex: Any, s: Any, pattern: Any) -> bool:
    """Whether the whole text matches the Java regex (anchored at both ends, `String.matches`)."""
    text = as_text(s, "matches", "text")
    return full_match(ex, _text_arg(pattern, "matches", "the regular expression"), text)


__all__ = [
    "PatternError",
    "compile_pattern",
    "find_all",
    "fold_case",
    "full_match",
    "replace",
    "run_with_limit",
    "search",
    "split",
    "translate",
]
