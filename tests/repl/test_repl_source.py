"""When Enter runs an input and when it continues it (`needs_more`), and the scanner under it."""

from __future__ import annotations

import pytest

from deluge.repl.session import Session
from deluge.repl.source import blank_out, block_end, needs_more, offset_of, scan

SESSION = Session()


@pytest.mark.parametrize("text", [
    "x = 1;",
    "info x;",
    "total * 2",
    '"abc".length()',
    "user",
    "for each n in {1, 2} { info n; }",
    "if (x) { info 1; } else { info 2; }",
    "if (x) { info 1; }\n",  # an empty line ends an `if`
    "int f(int a) {\n    return a;\n}",
    ":vars",
    ":type x = ",
    "",
    "x = ;",  # wrong before its end: runs, and its error shows
    "x = 1\n",  # one empty line runs a statement that lacks its `;` (its error shows)
    "for each n in {1, 2} {\n\n\n",  # two empty lines run anything
    "x = 1; // a comment",
    "m = {\"a\": 1}; /* done */",
])
def test_complete(text: str) -> None:
    assert not needs_more(text, SESSION.completeness), text


@pytest.mark.parametrize("text", [
    "for each n in {1, 2, 3}",  # the braces of a list do not end a statement
    "for each n in {1, 2, 3}\n{",
    "for each n in {1, 2, 3} {\n    info n;",
    "x = 1",  # a statement lacks its `;` (a lone `=` would compare, as an expression)
    "x =",
    "info x",
    "m = {",
    "l = List(",
    "r = invokeurl\n[\n    url: \"https://example.com\"",
    's = "an open',
    "s = 'an open date",
    "/* a comment",
    "if (x) { info 1; }",  # an `else` may follow
    "if (x) { info 1; } else if (y) { info 2; }",
    "try {\n    x = 1;\n}",  # a catch must follow
    "for each n in {1, 2} {\n",  # one empty line inside a block continues it
])
def test_continues(text: str) -> None:
    assert needs_more(text, SESSION.completeness), text


def test_without_a_parser_semicolons_and_braces_end_inputs() -> None:
    assert not needs_more("x = 1;")
    assert needs_more("x = 1")
    assert needs_more("for each x in l {")


def test_scan_skips_texts_and_comments() -> None:
    text = 'a = "}{;"; // }\nb = \'{\'; /* { */ c = {1, {2}};'
    found = scan(text)
    assert found.stack == () and found.string is None and not found.comment
    assert found.boundaries == (10, 24, len(text) - 1, len(text))  # a top-level `}` may end a statement
    assert found.last_code == len(text)
    assert scan('x = "a\\"b').string == '"'
    assert scan("f(").stack == ("(",)


def test_function_spans() -> None:
    text = 'x = 1; int f(int a) { if (a > 0) { return "}"; } return 0; } info f(1);'
    start = text.index("int f")
    end = block_end(text, start)
    assert text[start:end] == 'int f(int a) { if (a > 0) { return "}"; } return 0; }'
    assert offset_of("ab\ncd\nef", 3, 2) == 7
    assert blank_out("ab\ncd", [(1, 4)]) == "a \n d"
