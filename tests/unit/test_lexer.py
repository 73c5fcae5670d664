"""The fast lexer and parse loop give the same results as Lark's contextual lexer and parser.

`deluge/syntax/lexer.py` replaces Lark's contextual lexer for speed; this test
parses every syntax sample, every conformance case and a set of tricky lines
with both, and requires the same tree (or the same error at the same place).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import lark
import pytest

from deluge.resources import data_dir
from deluge.syntax.builder import Builder
from deluge.syntax.driver import Driver
from deluge.syntax.lexer import FastLexer
from deluge.syntax.parser import _fast_tables

TESTS = Path(__file__).resolve().parent.parent
TRICKY = [
    "show = 1; l.clear(); alert = 2; info show + alert;",
    "hide Discount; clear Notes; x = a.hide;",
    'r = invokeurl [ url: "u" type: GET parameters: {url: 1, type: 2} content-type: "x" ];',
    'sendmail [ from: a to: b reply to: c subject: "s" message: {to: 1} content type: "html" ];',
    "x = Orders[ID > 0] sort by Name desc range from 1 to n.size();",
    "for each index i in list { info i; }\nfor each index in l { }",
    "x = List:String(); y = {list : 1}; z = list;",
    "x = .5 + 1.25 + a.b; y = 3.toString(); z = 24.6.frac();",
    "info resp.info; x = m.if; IF (TRUE) { INFO 1; }",
    "insert into\nOrders [ A = 1\nB = 2 ];\ndelete\nfrom Orders[ID == 1];\ncancel\nsubmit;",
    "x = a +=b;", "x = 1 & 2;", "x = ?", "info \"abc", "/* open", "while (x) { }",
    "x = today + to + from + url + type + body;",
]


def _parsers() -> tuple[lark.Lark, lark.Lark]:
    grammar = (data_dir("grammar") / "deluge.lark").read_text(encoding="utf-8")
    reference = lark.Lark(grammar, parser="lalr", lexer="contextual", transformer=Builder(), maybe_placeholders=True)
    fast = lark.Lark(grammar, parser="lalr", lexer=FastLexer, transformer=Builder(), maybe_placeholders=True)
    _fast_tables(fast)
    return reference, fast


REFERENCE, FAST = _parsers()
DRIVER = Driver(FAST)


def _outcome(parser: lark.Lark, source: str) -> object:
    try:
        return ("ok", parser.parse(source))
    except Exception as exc:  # both must fail the same way
        return ("error", type(exc).__name__, getattr(exc, "line", None), getattr(exc, "column", None))


def _sources() -> list[str]:
    sources = [p.read_text(encoding="utf-8-sig") for p in sorted((TESTS / "syntax-samples").glob("*.dg"))]
    for path in sorted((TESTS / "conformance").glob("*.toml")):
        sources += [c["source"] for c in tomllib.loads(path.read_text(encoding="utf-8"))["case"] if "source" in c]
    return [s.replace("\r\n", "\n").replace("\r", "\n") for s in sources] + TRICKY


@pytest.mark.parametrize("source", _sources())
def test_fast_lexer_agrees_with_larks_contextual_lexer(source: str) -> None:
    assert _outcome(FAST, source) == _outcome(REFERENCE, source)


@pytest.mark.parametrize("source", _sources())
def test_driver_agrees_with_larks_parser(source: str) -> None:
    assert _outcome(DRIVER, source) == _outcome(REFERENCE, source)
