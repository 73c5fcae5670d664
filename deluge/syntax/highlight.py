"""A Pygments lexer for Deluge (`DelugeLexer`) and the colouring of error excerpts.

Registered as the Pygments entry point `deluge` (pyproject.toml), so any tool that
uses Pygments highlights `.dg` files: `pygmentize -l deluge script.dg`. The REPL
and `deluge check`/`deluge run` error excerpts use it too.

What it marks (LANGUAGE.md section 2 and grammar/deluge.lark):

- keywords, case-insensitive: `if`, `else`, `for each [index]`, `in`, `info`, `return`,
  `break`, `continue`, `try`, `catch`, `invokeurl`, `sendmail`, the Creator statement
  words (`insert into`, `delete from`, `cancel submit`, `alert`, `hide`...), fetch words
  (`sort by`, `asc`/`desc`, `range from ... to`), reserved words; `true`, `false`,
  `null` as constants;
- type words (`string`, `int`, `map`, `list`, `void`...) where they declare something
  (`int twice(int n)`, `List:String()`); elsewhere they are ordinary variable names;
- texts (with their escapes), single-quoted literals (a date, date-time or time layout
  of LANGUAGE.md 3.6/3.7 is `Literal.Date`, anything else single-quoted text), numbers
  and decimals; `//` and `/* */` comments, an unclosed `/*` running to the end;
- the keys of `invokeurl`/`sendmail` blocks (`url:`, `content-type:`, `reply to:`...) and
  the field names of `insert into` blocks;
- built-in functions and methods of the catalog (`deluge.catalog`) as `Name.Builtin`,
  other calls as `Name.Function`, `zoho.*` system variables and tasks as
  `Name.Builtin`, the deluge objects platform handlers bind (`user`, `chat`,
  `arguments`..., stdlib/platform-objects.tsv) as `Name.Variable.Magic`, form names
  before a criteria bracket (`Orders[...]`) as `Name.Class`.

The lexer never raises and gives back every character of its input: characters that
cannot start a token are `Error` tokens. The catalog and the object list are read on
first use, not at import time. Unlike Pygments' default, leading blank lines are kept
(`stripnl` defaults to False) so line numbers match the script's.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from typing import IO, Any, NamedTuple

from pygments.lexer import RegexLexer, bygroups, default, include, words
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Literal,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
    _TokenType,
)

__all__ = ["DelugeLexer", "colour_excerpt", "highlight_line", "should_colour"]

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_WORD_END = r"(?![A-Za-z0-9_])"

# Type words: declarations (`int n`, `void f()`) and typed lists (`List:String`).
_TYPE_WORDS = (
    "void", "string", "text", "int", "integer", "long", "bigint", "number", "decimal", "float",
    "double", "bool", "boolean", "date", "datetime", "timestamp", "time", "map", "list",
    "collection", "file",
)
_LIST_ELEMENT_TYPES = (
    "string", "text", "int", "integer", "bigint", "number", "long", "float", "decimal", "double",
    "date", "datetime", "timestamp", "time", "bool", "boolean",
)
# The keys of invokeurl and sendmail blocks (LANGUAGE.md 5.11, 5.12; TASK_KEY of the grammar).
_TASK_KEYS = (
    r"(url|type|parameters|headers|body|files|connection|content-type|detailed|response-format"
    r"|response-decoding|timeout|from|to|cc|bcc|reply[ \t]+to|subject|message|content[ \t]+type"
    r"|attachments)(?![A-Za-z0-9_-])([ \t]*)(:)"
)
_ESCAPES = r'\\["\\nrt\']'

_CALL = re.compile(r"\s*\(")
_FETCH = re.compile(r"\s*\[")


class _Names(NamedTuple):
    """The built-in names the lexer tells apart (lower case, except the objects)."""

    functions: frozenset[str]
    methods: frozenset[str]
    values: frozenset[str]
    zoho_leaves: frozenset[str]
    objects: frozenset[str]


_NO_NAMES = _Names(frozenset(), frozenset(), frozenset(), frozenset(), frozenset())


@functools.lru_cache(maxsize=1)
def _names() -> _Names:
    """The catalog's names and the deluge objects, read once on first use (never raises)."""
    functions: set[str] = set()
    methods: set[str] = set()
    values: set[str] = set()
    leaves: set[str] = set()
    try:
        from deluge import catalog

        for entry in catalog.load().entries:
            name = entry.name.lower()
            if name.startswith("zoho."):
                leaves.add(name)
            elif entry.system_value:
                values.add(name)
            elif entry.is_function:
                functions.add(name)
            else:
                methods.add(name)
    except Exception:
        return _NO_NAMES
    return _Names(frozenset(functions), frozenset(methods), frozenset(values), frozenset(leaves), _objects())


def _objects() -> frozenset[str]:
    """The deluge objects of PLATFORM.md 3 (first column of stdlib/platform-objects.tsv)."""
    try:
        from deluge.resources import data_dir

        names = set()
        with open(data_dir("stdlib") / "platform-objects.tsv", encoding="utf-8") as fh:
            next(fh, None)
            for line in fh:
                name = line.split("\t", 1)[0].strip()
                if name:
                    names.add(name)
        return frozenset(names)
    except Exception:
        return frozenset()


def _call_token(word: str, *, method: bool) -> _TokenType:
    """The token of a called name: a catalog built-in or some other function."""
    names = _names()
    known = names.methods if method else names.functions
    return Name.Builtin if word.lower() in known else Name.Function


def _name_callback(lexer: RegexLexer, match: re.Match[str]) -> Iterator[tuple[int, Any, str]]:
    """A bare identifier: form name before `[`, call, system value, deluge object or variable."""
    word, text, end = match.group(), match.string, match.end()
    low = word.lower()
    if _FETCH.match(text, end):
        token: _TokenType = Name.Class
    elif _CALL.match(text, end):
        token = _call_token(word, method=False)
    elif low in ("thisapp", "standalone", "input"):
        token = Name.Builtin.Pseudo
    else:
        names = _names()
        if low in names.values:
            token = Name.Builtin
        elif word in names.objects and word not in _local_names(text):
            token = Name.Variable.Magic
        else:
            token = Name
    yield match.start(), token, word


_LOCAL_PATTERNS = (
    # `body = ...;`, `data += 1;` at the start of a statement
    re.compile(r"(?:^|[;{}])[ \t]*(" + _IDENT + r")[ \t]*[-+*/%]?=(?!=)", re.M),
    # `for each message in messages`, `for each index i in l`
    re.compile(r"\bfor\s+each\s+(?:index\s+)?(" + _IDENT + r")\s+in\b", re.I),
    # `catch (e)`
    re.compile(r"\bcatch\s*\(\s*(" + _IDENT + r")", re.I),
    # parameters of a function definition: `(map data, int n)`
    re.compile(r"[(,]\s*" + _IDENT + r"\s+(" + _IDENT + r")\s*(?=[,)])"),
)


@functools.lru_cache(maxsize=4)
def _local_names(text: str) -> frozenset[str]:
    """The names a script binds itself (assignments, loop and catch variables, parameters).

    A deluge object name the script assigns (`body = "..."`) is an ordinary variable
    there, so it is not marked as an object. A rough scan: comments and texts are not
    skipped, which can only make fewer names look like objects.
    """
    return frozenset(m.group(1) for pattern in _LOCAL_PATTERNS for m in pattern.finditer(text))


def _member_callback(lexer: RegexLexer, match: re.Match[str]) -> Iterator[tuple[int, Any, str]]:
    """`.name`: a method call (catalog method or user function) or a member/field read."""
    yield match.start(1), Punctuation, match.group(1)
    if match.group(2):
        yield match.start(2), Whitespace, match.group(2)
    word = match.group(3)
    if _CALL.match(match.string, match.end()):
        token = _call_token(word, method=True)
    else:
        token = Name.Attribute
    yield match.start(3), token, word


def _zoho_callback(lexer: RegexLexer, match: re.Match[str]) -> Iterator[tuple[int, Any, str]]:
    """`zoho.crm.getRecords`, `zoho.loginuser.toUpperCase()`: the system name, then members."""
    text, start = match.group(), match.start()
    parts = text.split(".")
    leaves = _names().zoho_leaves
    yield start, Name.Builtin, parts[0]
    pos = start + len(parts[0])
    path = parts[0].lower()
    in_name = True
    for index, part in enumerate(parts[1:], start=1):
        yield pos, Punctuation, "."
        pos += 1
        if in_name:
            token: _TokenType = Name.Builtin
            path += "." + part.lower()
            if path in leaves:
                in_name = False
        elif index == len(parts) - 1 and _CALL.match(match.string, match.end()):
            token = _call_token(part, method=True)
        else:
            token = Name.Attribute
        yield pos, token, part
        pos += len(part)


def _looks_like_date(body: str) -> bool:
    """True when a single-quoted literal's content has a date, date-time or time layout."""
    if len(body) > 64:
        return False
    try:
        from deluge.syntax.datetext import DateTextError, recognise_date, recognise_time

        try:
            return recognise_time(body) is not None or recognise_date(body, strict=True) is not None
        except DateTextError:
            return True  # the shape of a date that does not exist: still a date literal
    except Exception:
        return False


_SQ_PIECES = re.compile(r"(" + _ESCAPES + r")|(\\[\s\S]?)|([^\\]+)")


def _squoted_callback(lexer: RegexLexer, match: re.Match[str]) -> Iterator[tuple[int, Any, str]]:
    """A single-quoted literal: `Literal.Date` for a date or time layout, else single-quoted text."""
    text, start = match.group(), match.start()
    closed = len(text) >= 2 and text.endswith("'") and not _odd_backslashes(text[1:-1])
    if closed and _looks_like_date(text[1:-1]):
        yield start, Literal.Date, text
        return
    yield start, String.Single, "'"
    body = text[1:-1] if closed else text[1:]
    offset = start + 1
    for piece in _SQ_PIECES.finditer(body):
        token = String.Escape if piece.group(1) else String.Single
        yield offset + piece.start(), token, piece.group()
    if closed:
        yield start + len(text) - 1, String.Single, "'"


def _odd_backslashes(body: str) -> bool:
    """True when `body` ends in an odd run of backslashes (so its closing quote is escaped)."""
    return (len(body) - len(body.rstrip("\\"))) % 2 == 1


def _nothing(lexer: RegexLexer, match: re.Match[str]) -> Iterator[tuple[int, Any, str]]:
    """An empty action: lets a lookahead rule change state without emitting a token."""
    return iter(())


class DelugeLexer(RegexLexer):
    """Lexer for Zoho's Deluge scripting language (Cliq, CRM, Creator, Books...)."""

    name = "Deluge"
    aliases = ["deluge", "dg"]
    filenames = ["*.dg", "*.deluge"]
    mimetypes = ["text/x-deluge"]
    url = "https://www.zoho.com/deluge/"
    version_added = ""
    # Pygments' own DgLexer (the "dg" Python dialect) also claims `*.dg` and the alias `dg`;
    # the alias stays with it (built-in lexers win by name), but for a `*.dg` file name a
    # priority above its 0 makes this lexer the choice: `.dg` is this project's extension.
    priority = 0.1

    # ASCII: identifiers are ASCII letters (LANGUAGE.md 2.4) and the case folding of
    # keywords must not let the long s (U+017F) or the Kelvin sign (U+212A) match `s` or `k`.
    flags = re.MULTILINE | re.IGNORECASE | re.ASCII

    def __init__(self, **options: Any) -> None:
        # Keep leading blank lines: error reports and editors count lines from the top.
        options.setdefault("stripnl", False)
        super().__init__(**options)

    def analyse_text(text: str) -> float:  # type: ignore[misc]  # Pygments makes this static
        """A weak guess used by `pygments.lexers.guess_lexer`."""
        if re.search(r"\binvokeurl\s*\[|\bzoho\.(?:crm|cliq|books|desk|currentdate|loginuser)", text, re.I):
            return 0.3
        if re.search(r"\bfor\s+each\s+\w+\s+in\b", text, re.I):
            return 0.2
        if re.search(r"^\s*info\s[^\n]*;", text, re.I | re.M):
            return 0.1
        return 0.0

    tokens = {
        "root": [
            (r"\A\ufeff", Whitespace),  # a byte-order mark opening the script (LANGUAGE.md 2.1)
            include("expr"),
        ],
        "space": [
            (r"\s+", Whitespace),
            (r"//[^\r\n]*", Comment.Single),
            (r"/\*[\s\S]*?(?:\*/|\Z)", Comment.Multiline),
        ],
        "expr": [
            include("space"),
            (r'"', String.Double, "dq"),
            (r"'(?:[^'\\]|\\[\s\S])*(?:'|\\?\Z)", _squoted_callback),
            (r"[0-9]+\.[0-9]+", Number.Float),
            (r"[0-9]+", Number.Integer),
            # List:String()    List:Int({1, 2})
            (r"(list)([ \t]*)(:)([ \t]*)(" + "|".join(_LIST_ELEMENT_TYPES) + r")" + _WORD_END,
             bygroups(Keyword.Type, Whitespace, Punctuation, Whitespace, Keyword.Type)),
            # for each x in l     for each index i in l
            (r"(for)(\s+)(each)" + _WORD_END + r"(?:(\s+)(index)" + _WORD_END + r"(?=\s+" + _IDENT + r"\s+in\b))?",
             bygroups(Keyword, Whitespace, Keyword, Whitespace, Keyword)),
            # Creator statements and fetches (LANGUAGE.md 5.15)
            (r"(insert)(\s+)(into)" + _WORD_END, bygroups(Keyword, Whitespace, Keyword), "insert-open"),
            (r"(delete)(\s+)(from)" + _WORD_END, bygroups(Keyword, Whitespace, Keyword)),
            (r"(cancel)(\s+)(submit)" + _WORD_END, bygroups(Keyword, Whitespace, Keyword)),
            (r"(sort)(\s+)(by)" + _WORD_END, bygroups(Keyword, Whitespace, Keyword), "sort"),
            (r"(range)(\s+)(from)" + _WORD_END, bygroups(Keyword, Whitespace, Keyword), "range"),
            (r"alert" + _WORD_END + r"(?![ \t]*(?:[=.;:,)\]}]|[-+*/%]=))", Keyword),
            (r"(?:hide|show|enable|disable|clear)" + _WORD_END + r"(?=[ \t]+" + _IDENT + r"(?:\." + _IDENT
             + r")*[ \t]*;)", Keyword),
            (r"(?:invokeurl|sendmail)" + _WORD_END, Keyword, "task-open"),
            (words(("if", "else", "for", "each", "in", "info", "return", "break", "continue", "try",
                    "catch"), suffix=_WORD_END), Keyword),
            (words(("true", "false", "null"), suffix=_WORD_END), Keyword.Constant),
            (words(("is", "from", "permissions", "portal", "reload"), suffix=_WORD_END), Keyword.Reserved),
            (r"zoho" + _WORD_END + r"(?:\." + _IDENT + r")*", _zoho_callback),
            # a declaration: `int twice(int n)`, `String standalone.fn(...)` (not `for each text in texts`)
            (words(_TYPE_WORDS, suffix=_WORD_END + r"(?=\s+(?!(?:in|to|asc|desc|range)" + _WORD_END + r")"
                   + r"[A-Za-z_])"), Keyword.Type),
            (r"(\.)(\s*)(" + _IDENT + r")", _member_callback),
            (_IDENT, _name_callback),
            (r"==|!=|<=|>=|&&|\|\||[-+*/%]=|[-+*/%<>=!]", Operator),
            (r"\[", Punctuation, "brackets"),
            (r"[(){},;:.\]]", Punctuation),
            (r"[\s\S]", Error),
        ],
        "dq": [
            (r'[^"\\]+', String.Double),
            (_ESCAPES, String.Escape),
            (r"\\[\s\S]?", String.Double),
            (r'"', String.Double, "#pop"),
        ],
        "brackets": [
            (r"\]", Punctuation, "#pop"),
            include("expr"),
        ],
        # after invokeurl / sendmail: the `[` that opens the block
        "task-open": [
            include("space"),
            (r"\[", Punctuation, ("#pop", "task")),
            default("#pop"),
        ],
        "task": [
            (_TASK_KEYS, bygroups(Name.Property, Whitespace, Punctuation)),
            (r"(?:get|post|put|patch|delete|head)" + _WORD_END + r"(?!\s*[(.\[])", Name.Constant),
            (r"\]", Punctuation, "#pop"),
            include("expr"),
        ],
        # after insert into: the form name and the `[` of the block
        "insert-open": [
            include("space"),
            (_IDENT, Name.Class),
            (r"\[", Punctuation, ("#pop", "insert")),
            default("#pop"),
        ],
        "insert": [
            (r"(?<![.A-Za-z0-9_])(" + _IDENT + r")([ \t]*)(=)(?!=)", bygroups(Name.Attribute, Whitespace, Operator)),
            (r"\]", Punctuation, "#pop"),
            include("expr"),
        ],
        # after sort by: the field, then asc / desc
        "sort": [
            (r"(\s*)(" + _IDENT + r")(\s+)(asc|desc)" + _WORD_END, bygroups(Whitespace, Name, Whitespace, Keyword),
             "#pop"),
            default("#pop"),
        ],
        # after range from: everything up to `to`
        "range": [
            (r"to" + _WORD_END, Keyword, "#pop"),
            (r"(?=[;{}\]])", _nothing, "#pop"),
            include("expr"),
        ],
    }


# ---------------------------------------------------------------- error excerpts


def should_colour(stream: IO[str] | Any) -> bool:
    """Colour output to `stream` only on a terminal, and never when `NO_COLOR` is set or TERM is dumb."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except Exception:
        return False


def highlight_line(source: str, line: int) -> str | None:
    """Line `line` (1-based, as `str.splitlines` counts) of `source`, coloured for a terminal.

    The whole script up to that line is lexed, so a line inside a multi-line text or
    comment keeps that colour. Tabs are expanded to 4 columns like the plain excerpt
    (`DelugeError.excerpt`), so the caret under it still lines up. None when there is
    no such line.
    """
    lines = source.splitlines(keepends=True)
    if not 1 <= line <= len(lines):
        return None
    start = sum(len(text) for text in lines[: line - 1])
    end = start + len(lines[line - 1].splitlines()[0])
    pieces: list[tuple[Any, str]] = []
    column = 0
    for pos, token, value in DelugeLexer().get_tokens_unprocessed(source):
        if pos >= end:
            break
        stop = pos + len(value)
        if stop <= start:
            continue
        part = value[max(start - pos, 0): end - pos]
        if "\t" in part:
            expanded = []
            for ch in part:
                if ch == "\t":
                    width = 4 - column % 4
                    expanded.append(" " * width)
                    column += width
                else:
                    expanded.append(ch)
                    column += 1
            part = "".join(expanded)
        else:
            column += len(part)
        if part:
            pieces.append((token, part))
    from pygments import format as pygments_format
    from pygments.formatters.terminal import TERMINAL_COLORS, TerminalFormatter

    # Pygments' terminal scheme leaves dates and block keys uncoloured; give them a colour.
    scheme = {**TERMINAL_COLORS, Literal.Date: ("magenta", "brightmagenta"), Name.Property: ("blue", "brightblue")}
    return pygments_format(pieces, TerminalFormatter(colorscheme=scheme))


def colour_excerpt(report: str, source: str | None, line: int | None) -> str:
    """`report` (as `DelugeError.format` wrote it) with its excerpt line coloured; unchanged
    when it has no excerpt or anything goes wrong (colour is never worth losing the report)."""
    if source is None or line is None:
        return report
    try:
        lines = source.splitlines()
        if not 1 <= line <= len(lines):
            return report
        plain = lines[line - 1].expandtabs(4)
        rows = report.split("\n")
        for index in range(1, len(rows) - 1):
            if rows[index] == plain and rows[index + 1].rstrip(" ").endswith("^"):
                coloured = highlight_line(source, line)
                if coloured is None:
                    return report
                rows[index] = coloured
                return "\n".join(rows)
    except Exception:
        return report
    return report
