"""Reading the text a person types: is it complete, where do its statements end, where are its functions.

A light scanner of Deluge's lexical shape (texts, quoted dates, comments and
brackets) that needs no parser; the session and the editor both use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import attrs

OPEN = {"(": ")", "[": "]", "{": "}"}
CLOSE = {v: k for k, v in OPEN.items()}


@attrs.frozen
class Scan:
    """What a scan found at the end of a text."""

    stack: tuple[str, ...]
    """The brackets still open, outermost first."""
    string: str | None
    """The quote of a text (or quoted date) left open, or None."""
    comment: bool
    """A `/*` comment left open."""
    boundaries: tuple[int, ...]
    """Offsets just after each top-level `;` or `}` (where a top-level statement may end)."""
    last_code: int
    """The offset just after the last character that is not white space or a comment (0 if none)."""

    @property
    def is_open(self) -> bool:
        return bool(self.stack) or self.string is not None or self.comment


def scan(text: str) -> Scan:
    """Scans `text` once, left to right."""
    stack: list[str] = []
    boundaries: list[int] = []
    string: str | None = None
    comment = False
    last_code = 0
    i, size = 0, len(text)
    while i < size:
        ch = text[i]
        if string is not None:
            if ch == "\\":
                i += 2
                continue
            if ch == string:
                string = None
                last_code = i + 1
            i += 1
            continue
        if comment:
            end = text.find("*/", i)
            if end < 0:
                i = size
                break
            comment = False
            i = end + 2
            continue
        if ch == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            i = size if end < 0 else end
            continue
        if ch == "/" and text.startswith("/*", i):
            comment = True
            i += 2
            continue
        if ch in "\"'":
            string = ch
        elif ch in OPEN:
            stack.append(ch)
        elif ch in CLOSE:
            if stack and stack[-1] == CLOSE[ch]:
                stack.pop()
            if ch == "}" and not stack:
                boundaries.append(i + 1)
        elif ch == ";" and not stack:
            boundaries.append(i + 1)
        if not ch.isspace():
            last_code = i + 1
        i += 1
    return Scan(tuple(stack), string, comment, tuple(boundaries), last_code)


_WAITS_FOR_ELSE = re.compile(r"(?:if|else\s+if)\s*\(", re.I)


def _strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*|/\*.*?\*/", " ", text, flags=re.S)


COMPLETE, INCOMPLETE, INVALID = "complete", "incomplete", "invalid"


def needs_more(text: str, check: Callable[[str], str] | None = None) -> bool:
    """Whether the editor should keep reading lines before it runs `text`.

    It continues while a bracket, brace, parenthesis, text or comment is open, and while the
    input stops short of its end (a statement lacks its `;`, a `for each` its body). A
    top-level `if` waits for one more line, which may start an `else`. An empty line runs
    what is there unless a bracket is open; two empty lines run anything (its error shows).
    `check(text)` says whether text is COMPLETE, INCOMPLETE (it ends too early) or INVALID;
    without it, text that ends with `;` or `}` is taken as complete.
    """
    if not text.strip() or text.lstrip().startswith(":"):
        return False
    lines = text.split("\n")
    blank_last = len(lines) >= 2 and not lines[-1].strip()
    if blank_last and len(lines) >= 3 and not lines[-2].strip():
        return False
    found = scan(text)
    if found.is_open:
        return True
    code = text[: found.last_code]
    if check is not None:
        status = check(code)
    else:
        status = COMPLETE if code.endswith((";", "}")) else INCOMPLETE
    if status == INVALID:
        return False
    if status == INCOMPLETE:
        return not blank_last
    if code.endswith("}") and not blank_last:
        start = found.boundaries[-2] if len(found.boundaries) > 1 else 0
        last = _strip_comments(code[start:]).strip()
        return bool(_WAITS_FOR_ELSE.match(last))
    return False


def offset_of(text: str, line: int, column: int) -> int:
    """The offset of a 1-based line and column of `text`."""
    offset = 0
    for _ in range(line - 1):
        found = text.find("\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return min(offset + column - 1, len(text))


def block_end(text: str, start: int) -> int:
    """The offset just after the `}` that closes the first `{` at or after `start`."""
    depth = 0
    i, size = start, len(text)
    string: str | None = None
    while i < size:
        ch = text[i]
        if string is not None:
            if ch == "\\":
                i += 2
                continue
            if ch == string:
                string = None
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = size if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = size if end < 0 else end + 2
            continue
        elif ch in "\"'":
            string = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return size


def blank_out(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each span replaced by spaces (its line breaks kept, so lines keep their numbers)."""
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)
