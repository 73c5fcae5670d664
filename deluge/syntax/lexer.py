"""A fast contextual lexer for the grammar: one regular expression finds every token's shape.

Lark's own contextual lexer tries, in every parser state, only the terminals that
state accepts, which is what lets `alert`, `hide`, `to`, `url` or `if` be words
of the language in one place and ordinary names elsewhere. It does so in Python
for every token, blank space included. This lexer gives the same answers faster:

1. one compiled pattern splits the text into spaces, comments, texts, numbers,
   words and operators (in C);
2. a word that can start a keyword-like terminal (`if`, `insert into`,
   `content type`, `List:String`...) is checked against the terminals the parser
   accepts right now, using the terminals' own patterns from the grammar, in the
   order Lark would try them; any other word is a NAME;
3. a leading-dot decimal (`.5`) is a decimal only where the parser accepts one.

`tests/unit/test_lexer.py` compares its tokens with Lark's contextual lexer on
every sample script and conformance case.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# isort: off
import deluge.syntax.larkload  # noqa: F401  (must come before any lark import)
from lark.exceptions import UnexpectedCharacters
from lark.lexer import Lexer, Token
# isort: on

_SHAPES = re.compile(
    r"""(?P<ws>[ \t\f\r\n]+)
    |(?P<lc>//[^\n\r]*)
    |(?P<bc>/\*.*?\*/)
    |(?P<str>"(?:[^"\\]|\\.)*")
    |(?P<sq>'(?:[^'\\]|\\.)*')
    |(?P<dec>[0-9]+\.[0-9]+|\.[0-9]+)
    |(?P<int>[0-9]+)
    |(?P<word>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>\|\||&&|==|!=|<=|>=|\+=|-=|\*=|/=|%=|[-+*/%<>=!.,:;(){}\[\]])""",
    re.S | re.X,
)

_OPERATORS = {
    "||": "OR_OP", "&&": "AND_OP", "==": "EQ_OP", "!=": "EQ_OP", "<=": "REL_OP", ">=": "REL_OP",
    "<": "REL_OP", ">": "REL_OP", "=": "EQUALS", "+=": "COMPOUND_OP", "-=": "COMPOUND_OP",
    "*=": "COMPOUND_OP", "/=": "COMPOUND_OP", "%=": "COMPOUND_OP", "+": "PLUS", "-": "MINUS",
    "*": "MUL_OP", "/": "MUL_OP", "%": "MUL_OP", "!": "BANG", ".": "DOT", ",": "COMMA",
    ":": "COLON", ";": "SEMI", "(": "LPAR", ")": "RPAR", "{": "LBRACE", "}": "RBRACE",
    "[": "LSQB", "]": "RSQB",
}

# The words that can begin each keyword-like terminal of grammar/deluge.lark (lower case).
_TRIGGERS: dict[str, tuple[str, ...]] = {
    "if": ("IF",), "else": ("ELSE",), "for": ("FOR",), "each": ("EACH",), "in": ("IN",),
    "info": ("INFO",), "return": ("RETURN",), "break": ("BREAK",), "continue": ("CONTINUE",),
    "try": ("TRY",), "catch": ("CATCH",), "true": ("TRUE",), "false": ("FALSE",), "null": ("NULL",),
    "invokeurl": ("INVOKEURL",), "sendmail": ("SENDMAIL",),
    "insert": ("INSERT_INTO",), "delete": ("DELETE_FROM",), "cancel": ("CANCEL_SUBMIT",),
    "alert": ("ALERT",), "hide": ("FIELD_ACTION",), "show": ("FIELD_ACTION",),
    "enable": ("FIELD_ACTION",), "disable": ("FIELD_ACTION",), "clear": ("FIELD_ACTION",),
    "sort": ("SORT_BY",), "range": ("RANGE_FROM",), "to": ("TASK_KEY", "TO"),
    "asc": ("ASC_DESC",), "desc": ("ASC_DESC",), "list": ("TYPED_LIST",),
    "url": ("TASK_KEY",), "type": ("TASK_KEY",), "parameters": ("TASK_KEY",), "headers": ("TASK_KEY",),
    "body": ("TASK_KEY",), "files": ("TASK_KEY",), "connection": ("TASK_KEY",), "content": ("TASK_KEY",),
    "detailed": ("TASK_KEY",), "response": ("TASK_KEY",), "timeout": ("TASK_KEY",),
    "from": ("TASK_KEY",), "cc": ("TASK_KEY",), "bcc": ("TASK_KEY",), "reply": ("TASK_KEY",),
    "subject": ("TASK_KEY",), "message": ("TASK_KEY",), "attachments": ("TASK_KEY",),
}


class _Tok(Token):
    """A Lark token made without Lark's slower constructor."""

    __slots__ = ()

    def __new__(cls, kind: str, value: str, start: int, line: int, column: int) -> _Tok:
        self = str.__new__(cls, value)
        self.type = kind
        self.value = value
        self.start_pos = start
        self.line = line
        self.column = column
        self.end_line = line
        self.end_column = column + len(value)
        self.end_pos = start + len(value)
        return self


class _Patterns(dict):  # type: ignore[type-arg]
    """Terminal patterns compiled on first use (most scripts need only a few of them)."""

    def __init__(self, sources: dict[str, str]) -> None:
        super().__init__()
        self.sources = sources

    def __missing__(self, name: str) -> re.Pattern[str]:
        pattern = re.compile(self.sources[name])
        self[name] = pattern
        return pattern


class FastLexer(Lexer):
    """Lark's custom-lexer interface 2: `lex(lexer_state, parser_state)` yields tokens."""

    __future_interface__ = 2

    def __init__(self, conf: Any) -> None:
        self.terminals_by_name = conf.terminals_by_name
        names = {t for triggers in _TRIGGERS.values() for t in triggers}
        self.patterns = _Patterns({name: conf.terminals_by_name[name].pattern.to_regexp() for name in names})
        self.priority = {name: conf.terminals_by_name[name].priority for name in names}

    def lex(self, lexer_state: Any, parser_state: Any) -> Iterator[Token]:
        text_slice = lexer_state.text
        text = getattr(text_slice, "text", text_slice)
        end = getattr(text_slice, "end", len(text))
        states = parser_state.parse_conf.states
        shapes = _SHAPES.match
        operators = _OPERATORS
        triggers = _TRIGGERS
        patterns = self.patterns
        pos = getattr(text_slice, "start", 0)
        line = 1
        line_start = 0
        while pos < end:
            m = shapes(text, pos)
            if m is None:
                accepts = {k for k in states[parser_state.position] if k.isupper()}
                raise UnexpectedCharacters(text, pos, line, pos - line_start + 1, allowed=accepts,
                                           state=parser_state, terminals_by_name=self.terminals_by_name)
            kind = m.lastgroup
            value = m.group()
            if kind == "ws" or kind == "lc" or kind == "bc":
                newlines = value.count("\n")
                if newlines:
                    line += newlines
                    line_start = pos + value.rindex("\n") + 1
                pos = m.end()
                continue
            column = pos - line_start + 1
            if kind == "word":
                token_type = "NAME"
                candidates = triggers.get(value.lower())
                if candidates is not None:
                    accepts = states[parser_state.position]
                    for name in candidates:
                        if name in accepts:
                            found = patterns[name].match(text, pos)
                            if found is not None:
                                token_type = name
                                value = found.group()
                                break
                    else:
                        if "NAME" not in accepts and len(candidates) == 1 and self.priority[candidates[0]] == 2:
                            token_type = candidates[0]  # a keyword where it cannot stand: let the parser say so
                yield _Tok(token_type, value, pos, line, column)
                if token_type != "NAME" and "\n" in value:
                    line += value.count("\n")
                    line_start = pos + value.rindex("\n") + 1
                pos += len(value)
                continue
            if kind == "op":
                yield _Tok(operators[value], value, pos, line, column)
                pos += len(value)
                continue
            if kind == "str" or kind == "sq":
                yield _Tok("STRING" if kind == "str" else "SQUOTED", value, pos, line, column)
                newlines = value.count("\n")
                if newlines:
                    line += newlines
                    line_start = pos + value.rindex("\n") + 1
                pos += len(value)
                continue
            if kind == "dec":
                if value[0] == "." and "DECIMAL" not in states[parser_state.position]:
                    yield _Tok("DOT", ".", pos, line, column)
                    pos += 1
                    continue
                yield _Tok("DECIMAL", value, pos, line, column)
                pos += len(value)
                continue
            yield _Tok("INT", value, pos, line, column)
            pos += len(value)
