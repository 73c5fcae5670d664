"""Turns Deluge source text into the nodes of `deluge/syntax/nodes.py`.

The source is checked first (UTF-8, size, forbidden characters, bracket
nesting: LANGUAGE.md 2.1 and 8), then parsed by one Lark LALR parser built from
`grammar/deluge.lark` once per process and cached on disk. Every Lark error is
translated here, at one boundary, into a `ParseError` that names the line and
column, what was found and what was expected.
"""

from __future__ import annotations

import hashlib
import re
import sys
import threading
from typing import TYPE_CHECKING, Any

from deluge.errors import ParseError

if TYPE_CHECKING:
    from deluge.syntax import nodes as n

DEFAULT_MAX_SOURCE_BYTES = 128 * 1024
DEFAULT_MAX_NESTING = 64

_lock = threading.Lock()
_parser: Any = None
_driver: Any = None

# Forbidden anywhere in the source (LANGUAGE.md 2.1): control characters other than
# tab, LF and CR, and the bidirectional controls.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
# Tokens that matter for nesting: texts and comments are skipped whole.
_NESTING_TOKENS = re.compile(
    r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|//[^\n\r]*|/\*.*?\*/|[(\[{]|[)\]}]', re.S
)

# How a terminal is named in a message.
DISPLAY = {
    "SEMI": "';'", "COMMA": "','", "COLON": "':'", "DOT": "'.'", "LPAR": "'('", "RPAR": "')'",
    "LBRACE": "'{'", "RBRACE": "'}'", "LSQB": "'['", "RSQB": "']'", "EQUALS": "'='",
    "COMPOUND_OP": "a compound assignment such as '+='", "EQ_OP": "'==' or '!='",
    "REL_OP": "a comparison such as '<'", "PLUS": "'+'", "MINUS": "'-'", "MUL_OP": "'*', '/' or '%'",
    "BANG": "'!'", "OR_OP": "'||'", "AND_OP": "'&&'", "NAME": "a name", "STRING": "a text",
    "SQUOTED": "a quoted date or text", "INT": "a number", "DECIMAL": "a decimal",
    "TASK_KEY": "a block key such as 'url' or 'type'", "TYPED_LIST": "a typed list such as List:String",
    "IF": "'if'", "ELSE": "'else'", "FOR": "'for'", "EACH": "'each'", "IN": "'in'", "INFO": "'info'",
    "RETURN": "'return'", "BREAK": "'break'", "CONTINUE": "'continue'", "TRY": "'try'",
    "CATCH": "'catch'", "TRUE": "'true'", "FALSE": "'false'", "NULL": "'null'",
    "INVOKEURL": "'invokeurl'", "SENDMAIL": "'sendmail'", "TO": "'to'", "ASC_DESC": "'asc' or 'desc'",
    "SORT_BY": "'sort by'", "RANGE_FROM": "'range from'", "INSERT_INTO": "'insert into'",
    "DELETE_FROM": "'delete from'", "ALERT": "'alert'", "CANCEL_SUBMIT": "'cancel submit'",
    "FIELD_ACTION": "a field action", "$END": "the end of the script",
}
# When one of these is expected, it is the most useful thing to say.
_PREFERRED = ["SEMI", "RBRACE", "RPAR", "RSQB", "LBRACE", "LPAR", "COLON", "IN", "COMMA"]
_OPERAND_STARTS = {"NAME", "STRING", "INT", "DECIMAL", "LPAR", "SQUOTED", "TRUE", "FALSE", "NULL"}


def get_parser() -> Any:
    """The process-wide Lark parser, built on first use (from the disk cache when it can)."""
    global _parser, _driver
    if _parser is None:
        with _lock:
            if _parser is None:
                parser = _build_parser()
                from deluge.syntax.driver import Driver

                try:
                    _driver = Driver(parser)
                except (AttributeError, KeyError, TypeError):  # Lark's internals differ: use Lark's loop
                    _driver = None
                _parser = parser
    return _parser


def _parse_text(text: str) -> Any:
    parser = get_parser()
    if _driver is not None:
        return _driver.parse(text)
    return parser.parse(text)


def _build_parser() -> Any:
    import lark

    import deluge.syntax.larkload  # noqa: F401  (must come before any lark import)
    from deluge.resources import cache_dir, data_dir
    from deluge.syntax.builder import Builder

    grammar = (data_dir("grammar") / "deluge.lark").read_text(encoding="utf-8")
    from deluge.syntax.lexer import FastLexer

    options: dict[str, Any] = {
        "parser": "lalr",
        "lexer": FastLexer,
        "transformer": Builder(),
        "maybe_placeholders": True,
        "propagate_positions": False,
    }
    folder = cache_dir()
    if folder is not None:
        digest = hashlib.sha256(
            f"{grammar}\0{lark.__version__}\0{sys.version_info[:2]}\0{_PARSER_VERSION}".encode()
        ).hexdigest()[:20]
        path = folder / f"parser-{digest}.lark"
        options["cache"] = str(path)
        _remove_stale(folder, "parser-*.lark", path.name)
    parser = lark.Lark(grammar, **options)
    _fast_tables(parser)
    return parser


_PARSER_VERSION = "fast-lexer-1"
"""Changes whenever the parser's construction changes, so old cache files are not reused."""


def _remove_stale(folder: Any, pattern: str, keep: str) -> None:
    """Deletes cache files of earlier versions (they would never be read again)."""
    for old in folder.glob(pattern):
        if old.name != keep:
            try:
                old.unlink()
            except OSError:
                pass


def _fast_tables(parser: Any) -> None:
    """Makes the look-ups of Lark's LALR loop cheap: plain text keys and identity-hashed rules.

    The parse table's symbol names are Lark `Token`s (a `str` subclass with a Python
    `__eq__`), and its reduce callbacks are keyed by `Rule` objects with Python
    `__eq__`/`__hash__` (after loading from the cache, equal but distinct from the
    table's). So every shift and reduction paid Python-level comparisons. Here the
    table's keys become plain `str`, and each reduce action gets a rule object hashed
    by identity, shared with its callback entry. Only an optimisation: if Lark's
    internals differ, nothing is changed.
    """
    try:
        from lark.grammar import NonTerminal, Rule
        from lark.parsers.lalr_analysis import Reduce

        inner = parser.parser.parser.parser
        states = inner.parse_table.states
        callbacks = inner.callbacks
    except (AttributeError, ImportError):
        return

    class IdentityRule(Rule):
        __slots__ = ()
        __hash__ = object.__hash__
        __eq__ = object.__eq__

    made: dict[int, Any] = {}
    new_callbacks = {str(key): value for key, value in callbacks.items() if not isinstance(key, Rule)}
    for state in list(states):
        actions = states[state]
        plain: dict[str, Any] = {}
        for symbol, (action, arg) in actions.items():
            if action is Reduce:
                fast = made.get(id(arg))
                if fast is None:
                    fast = IdentityRule.__new__(IdentityRule)
                    for slot in Rule.__slots__:
                        setattr(fast, slot, getattr(arg, slot))
                    fast.origin = NonTerminal(str(arg.origin.name))
                    made[id(arg)] = fast
                    new_callbacks[fast] = callbacks[arg]
                arg = fast
            plain[str(symbol)] = (action, arg)
        states[state] = plain
    inner.callbacks = new_callbacks


def decode(source: str | bytes) -> str:
    """Source text without its byte-order mark; invalid UTF-8 is a parse error at line 1."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        try:
            text = bytes(source).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(
                f"The script is not valid UTF-8 text (byte {exc.start})", line=1, column=1
            ) from None
    elif isinstance(source, str):
        text = source
    else:
        raise TypeError(f"source must be str or bytes, not {type(source).__name__}")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def check_source(text: str, *, max_bytes: int = DEFAULT_MAX_SOURCE_BYTES,
                 max_nesting: int = DEFAULT_MAX_NESTING) -> None:
    """Refuses a source that is too large, holds a forbidden character or nests too deeply."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise ParseError(f"The script is {size} bytes long; the limit is {max_bytes}", line=1, column=1)
    bad = _FORBIDDEN.search(text)
    if bad is not None:
        line, column = _line_col(text, bad.start())
        raise ParseError(
            f"The script contains the forbidden character U+{ord(bad.group()):04X}", line=line, column=column
        )
    depth = 0
    for m in _NESTING_TOKENS.finditer(text):
        token = m.group()
        if token in "([{":
            depth += 1
            if depth > max_nesting:
                line, column = _line_col(text, m.start())
                raise ParseError(f"Brackets and blocks nest more than {max_nesting} deep", line=line, column=column)
        elif token in ")]}":
            depth -= 1


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) - text.count("\r\n", 0, offset) + text.count("\r", 0, offset) + 1
    start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    return line, offset - start + 1


def parse(source: str | bytes, *, max_bytes: int = DEFAULT_MAX_SOURCE_BYTES,
          max_nesting: int = DEFAULT_MAX_NESTING) -> n.Module:
    """Parses a whole script; raises `ParseError`. Syntax only: no catalog is consulted (D57)."""
    text = decode(source)
    check_source(text, max_bytes=max_bytes, max_nesting=max_nesting)
    import deluge.syntax.larkload  # noqa: F401  (must come before any lark import)
    # Lines end at LF, CR LF or a lone CR (LANGUAGE.md 2.1); Lark counts LF only.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    import lark.exceptions as lx

    from deluge.syntax.builder import BuildError

    try:
        module = _parse_text(text)
    except BuildError as exc:
        raise ParseError(exc.message, line=exc.line, column=exc.column) from None
    except lx.VisitError as exc:  # a builder error raised inside Lark's callback wrapper
        inner = exc.orig_exc
        if isinstance(inner, BuildError):
            raise ParseError(inner.message, line=inner.line, column=inner.column) from None
        raise
    except lx.UnexpectedInput as exc:
        raise _translate(text, exc) from None
    except RecursionError:
        raise ParseError("The script nests too deeply", line=1, column=1) from None
    from deluge.syntax import nodes as n

    last = _last_line(text)
    return n.Module(body=module.body, functions=module.functions, end_line=last, line=1, column=1)


MAX_EXPRESSION_DEPTH = 200
"""Operators, calls and brackets inside one another in one expression (docs/decisions.md,
"Expression depth"): the checker and compiler walk expressions recursively, so a deeper
one is refused before them, quickly, rather than failing deep inside them."""


def check_expression_depth(module: Any) -> None:
    """Refuses an expression nested deeper than MAX_EXPRESSION_DEPTH (the compiler's limit;
    the parser itself accepts any chain, which counts once toward the source nesting)."""
    from deluge.syntax import nodes as n

    Expr = n.Expr
    stack: list[tuple[Any, int]] = [(module, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if isinstance(node, Expr):
            depth += 1
            if depth > MAX_EXPRESSION_DEPTH:
                raise ParseError(
                    f"This expression is nested too deeply: more than {MAX_EXPRESSION_DEPTH} operators, calls "
                    "or brackets inside one another (each + of a long a + b + c + ... counts); "
                    "split it into several statements",
                    line=node.line, column=node.column,
                )
        else:
            depth = 0
        for child in n._child_list(node):
            push((child, depth))


def _last_line(text: str) -> int:
    """The last line that holds anything but white space (1 for an empty script)."""
    stripped = text.rstrip()
    return stripped.count("\n") + 1 if stripped else 1


_COMMENTS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|//[^\n]*|/\*.*?\*/|(/\*)', re.S)


def _unclosed_comment(text: str) -> int | None:
    """The offset of a `/*` that is never closed (outside texts and other comments), or None."""
    for m in _COMMENTS.finditer(text):
        if m.group(1) is not None:
            return m.start(1)
    return None


def _translate(text: str, exc: Any) -> ParseError:
    """A Lark error as a `ParseError` that says what was found and what was expected."""
    import lark.exceptions as lx

    unclosed = _unclosed_comment(text)
    if unclosed is not None:
        line, column = _line_col(text, unclosed)
        return ParseError("Comment Task is not closed properly", line=line, column=column)

    if isinstance(exc, lx.UnexpectedCharacters):
        line, column = exc.line, exc.column
        offset = exc.pos_in_stream
        char = text[offset] if offset < len(text) else ""
        if text.startswith("/*", offset):
            return ParseError("Comment Task is not closed properly", line=line, column=column)
        if char == '"':
            return ParseError("Text is not closed: a '\"' is missing", line=line, column=column)
        if char == "'":
            return ParseError("Quoted value is not closed: a \"'\" is missing", line=line, column=column)
        found = f"'{char}'" if char.strip() else repr(char)
        special = _statement_word(text, offset)
        if special is not None:
            return special
        hint = _expected(getattr(exc, "allowed", None) or set())
        return ParseError(f"Unexpected character {found}{hint}", line=line, column=column)
    token = getattr(exc, "token", None)
    expected = set(getattr(exc, "expected", None) or getattr(exc, "accepts", None) or ())
    if token is None or token.type == "$END":
        line = _last_line(text)
        special = _statement_word(text, len(text))
        if special is not None:
            return special
        return ParseError(f"Expecting {_expected_list(expected)} but found the end of the script",
                          line=line, column=len(text.splitlines()[line - 1]) + 1 if text.strip() else 1)
    offset = token.start_pos if token.start_pos is not None else 0
    special = _statement_word(text, offset)
    if special is not None:
        return special
    found = _describe(token)
    return ParseError(f"Expecting {_expected_list(expected)} but found {found}",
                      line=token.line, column=token.column)


def _describe(token: Any) -> str:
    """How the unexpected token is shown: its own text, shortened."""
    value = " ".join(str(token).split())
    if len(value) > 30:
        value = value[:27] + "..."
    return f"'{value}'"


def _expected_list(expected: set[str]) -> str:
    names = [k for k in _PREFERRED if k in expected]
    if not names:
        if expected & _OPERAND_STARTS:
            return "an expression"
        names = sorted(k for k in expected if k in DISPLAY)[:4]
    if not names:
        return "something else"
    shown = [DISPLAY.get(k, k) for k in names[:3]]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _expected(expected: set[str]) -> str:
    return f"; expecting {_expected_list(expected)}" if expected else ""


_STATEMENT_TOKENS = re.compile(
    r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|//[^\n]*|/\*.*?\*/|[;{}]', re.S
)
_WORD_AT = re.compile(r"\s*(while|throw)\b", re.I)


def _statement_word(text: str, offset: int) -> ParseError | None:
    """When the failing statement starts with `while` or `throw`, the error names that word (D17)."""
    start = 0
    for m in _STATEMENT_TOKENS.finditer(text, 0, offset):
        if m.group() in (";", "{", "}"):
            start = m.end()
    # skip comments between the boundary and the statement
    while True:
        m = re.match(r"\s*(//[^\n]*|/\*.*?\*/)", text[start:offset], re.S)
        if not m:
            break
        start += m.end()
    word = _WORD_AT.match(text, start)
    if word is None or word.start(1) > offset:
        return None
    line, column = _line_col(text, word.start(1))
    which = word.group(1).lower()
    if which == "while":
        return ParseError("'while' is not a Deluge statement; loop with 'for each' over a list",
                          line=line, column=column)
    return ParseError("'throw' is not a Deluge statement; Deluge has no way to throw an error",
                      line=line, column=column)
