"""The Pygments lexer for Deluge (deluge/syntax/highlight.py) and the coloured error excerpts."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
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
)

from deluge.cli import main
from deluge.errors import ParseError
from deluge.syntax import highlight
from deluge.syntax.highlight import DelugeLexer, colour_excerpt, highlight_line, should_colour

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPTS = sorted((ROOT / "tests" / "syntax-samples").glob("*.dg")) + sorted((ROOT / "samples").glob("*.dg"))
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def lex(text: str) -> list[tuple[int, object, str]]:
    return list(DelugeLexer().get_tokens_unprocessed(text))


def tokens(text: str) -> list[tuple[object, str]]:
    """The tokens of `text` without the blank space between them."""
    return [(t, v) for _, t, v in lex(text) if t is not Whitespace]


def token_of(text: str, value: str, nth: int = 0) -> object:
    """The token type of the `nth` token whose text is `value`."""
    found = [t for t, v in tokens(text) if v == value]
    assert len(found) > nth, f"{value!r} not among the tokens of {text!r}: {tokens(text)}"
    return found[nth]


def assert_round_trip(text: str) -> list[tuple[int, object, str]]:
    toks = lex(text)
    assert "".join(v for _, _, v in toks) == text
    pos = 0
    for start, _, value in toks:
        assert start == pos and value != ""
        pos += len(value)
    return toks


# ---------------------------------------------------------------- round trip


def test_there_are_scripts_to_check() -> None:
    assert len(SCRIPTS) >= 100


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_every_sample_round_trips_without_error_tokens(path: Path) -> None:
    text = path.read_bytes().decode("utf-8")  # BOM and line ends kept: the exact bytes of the file
    toks = assert_round_trip(text)
    junk = [(pos, v) for pos, t, v in toks if t is Error]
    assert junk == [], f"{path.name}: error tokens {junk[:5]}"


@pytest.mark.parametrize("path", SCRIPTS[::10], ids=lambda p: p.name)
def test_every_prefix_of_a_sample_round_trips(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for cut in range(0, len(text), max(1, len(text) // 60)):
        assert_round_trip(text[:cut])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1 .;:'\"\\/*{}[]()=!<>&|?#\n\t-+%é_zoho")) | st.characters(),
               max_size=80))
def test_any_text_round_trips(text: str) -> None:
    assert_round_trip(text)


def test_a_byte_order_mark_is_not_junk() -> None:
    assert lex("\ufeffinfo 1;")[0] == (0, Whitespace, "\ufeff")
    assert (Error, "\ufeff") in tokens("info 1;\ufeff")


def test_get_tokens_keeps_leading_blank_lines() -> None:
    text = "\n\ninfo 1;\n"
    assert "".join(v for _, v in DelugeLexer().get_tokens(text)) == text
    assert "".join(v for _, v in DelugeLexer(ensurenl=False).get_tokens("\ninfo 1;")) == "\ninfo 1;"


# ---------------------------------------------------------------- keywords and types


@pytest.mark.parametrize("word", ["if", "IF", "If", "else", "for", "each", "in", "info", "INFO", "return",
                                  "break", "continue", "try", "catch"])
def test_keywords_in_any_case(word: str) -> None:
    assert token_of(f"{word} x", word) is Keyword


def test_keywords_are_whole_words_only() -> None:
    assert token_of("iffy = information;", "iffy") is Name
    assert token_of("iffy = information;", "information") is Name


@pytest.mark.parametrize("word", ["true", "False", "NULL"])
def test_constants(word: str) -> None:
    assert token_of(f"x = {word};", word) is Keyword.Constant


def test_for_each_index() -> None:
    toks = tokens("for each index i in items { }")
    assert toks[:6] == [(Keyword, "for"), (Keyword, "each"), (Keyword, "index"), (Name, "i"), (Keyword, "in"),
                        (Name, "items")]
    # `index` as a loop variable stays a name
    assert token_of("for each index in items { }", "index") is Name


def test_type_words_declare_but_stay_variable_names_elsewhere() -> None:
    src = "String standalone.fn(map data, INT n) { return data; }"
    assert token_of(src, "String") is Keyword.Type
    assert token_of(src, "map") is Keyword.Type
    assert token_of(src, "INT") is Keyword.Type
    assert token_of(src, "fn") is Name.Function
    assert token_of("void f() { }", "void") is Keyword.Type
    assert token_of("date = today;", "date") is Name
    assert token_of("map.put(1, 2);", "map") is Name
    assert token_of("for each text in texts { }", "text") is Name


def test_typed_lists_and_constructors() -> None:
    toks = tokens("l = List:String({});")
    assert (Keyword.Type, "List") in toks and (Keyword.Type, "String") in toks
    assert token_of("m = Map();", "Map") is Name.Builtin
    assert token_of("c = collection();", "collection") is Name.Builtin


def test_creator_statement_words() -> None:
    src = 'insert into Orders [ Customer = input.Name\n Amount = 10 ];'
    assert tokens(src)[:4] == [(Keyword, "insert"), (Keyword, "into"), (Name.Class, "Orders"), (Punctuation, "[")]
    assert token_of(src, "Customer") is Name.Attribute
    assert token_of(src, "Amount") is Name.Attribute
    assert token_of(src, "input") is Name.Builtin.Pseudo
    assert token_of(src, "Name") is Name.Attribute
    assert tokens("delete from Orders[ID != 0];")[:3] == [
        (Keyword, "delete"), (Keyword, "from"), (Name.Class, "Orders")]
    assert tokens("cancel submit;")[:2] == [(Keyword, "cancel"), (Keyword, "submit")]
    assert token_of('alert "Saved";', "alert") is Keyword
    assert token_of("alert = 1;", "alert") is Name
    assert token_of("hide Discount;", "hide") is Keyword
    assert token_of("show = 1;", "show") is Name


def test_fetch_sort_and_range() -> None:
    src = 'r = Orders[Status == "Open"] sort by Amount desc range from 1 to 10;'
    toks = tokens(src)
    assert (Name.Class, "Orders") in toks
    for word in ("sort", "by", "desc", "range", "from", "to"):
        assert token_of(src, word) is Keyword, word
    assert token_of(src, "Amount") is Name
    assert token_of("to = 1; desc = 2;", "to") is Name
    assert token_of("to = 1; desc = 2;", "desc") is Name


# ---------------------------------------------------------------- literals


def test_double_quoted_text_with_escapes() -> None:
    toks = tokens(r'x = "say \"hi\"\n\d";')
    assert (String.Escape, r"\"") in toks and (String.Escape, r"\n") in toks
    # an unknown escape keeps both characters as text
    assert (String.Double, r"\d") in toks
    assert all(t in (String.Double, String.Escape) for t, _ in toks[2:-1])


def test_text_may_span_lines_and_hold_comment_markers() -> None:
    toks = tokens('x = "a // b\n/* c */";\ny = 1;')
    assert not any(t in Comment for t, _ in toks)
    assert (Name, "y") in toks


@pytest.mark.parametrize("literal", ["'15-Mar-2019'", "'15-Mar-2019 10:20:30'", "'10:20:30'", "'2019-03-15'",
                                     "'Mar 15, 2019'", "'31-Feb-2020'"])
def test_single_quoted_dates(literal: str) -> None:
    assert tokens(f"d = {literal};")[2] == (Literal.Date, literal)


def test_single_quoted_text_is_not_a_date() -> None:
    toks = tokens(r"s = 'it\'s here';")
    assert toks[2] == (String.Single, "'")
    assert (String.Escape, r"\'") in toks
    assert not any(t is Literal.Date for t, _ in toks)


def test_numbers() -> None:
    assert token_of("x = 42;", "42") is Number.Integer
    assert token_of("x = 0.99;", "0.99") is Number.Float
    assert token_of("x = -7;", "-") is Operator


def test_unterminated_literals_run_to_the_end() -> None:
    assert tokens('x = "abc\ny = 1;')[-1][0] is String.Double
    assert tokens("x = 'abc\ny = 1;")[-1][0] is String.Single
    assert tokens("x = 'abc\\")[-1][0] is String.Single


# ---------------------------------------------------------------- comments, operators, junk


def test_comments() -> None:
    assert tokens("x = 1; // note\ny = 2;")[4] == (Comment.Single, "// note")
    assert (Comment.Multiline, "/* a\n b */") in tokens("/* a\n b */ x = 1;")
    assert tokens("x = 1; /* never closed\ny = 2;")[-1] == (Comment.Multiline, "/* never closed\ny = 2;")


@pytest.mark.parametrize("op", ["==", "!=", "<=", ">=", "&&", "||", "+=", "-=", "*=", "/=", "%="])
def test_two_character_operators_are_one_token(op: str) -> None:
    assert (Operator, op) in tokens(f"a {op} b")


def test_punctuation_and_junk() -> None:
    toks = tokens("f(a, b); {x: 1}[0]")
    assert {v for t, v in toks if t is Punctuation} == set("(),;{}:[]")
    junk = [v for t, v in tokens("a ? b & c # d ` é") if t is Error]
    assert junk == ["?", "&", "#", "`", "é"]


# ---------------------------------------------------------------- invokeurl and sendmail blocks


def test_invokeurl_block_keys() -> None:
    src = ('resp = invokeurl\n[\n\turl: "https://x.example/a"\n\ttype :POST\n\tcontent-type: "application/json"\n'
           '\tparameters: m.toString()\n\tconnection: "crm"\n];')
    for key in ("url", "type", "content-type", "parameters", "connection"):
        assert token_of(src, key) is Name.Property, key
    assert token_of(src, "POST") is Name.Constant
    assert token_of(src, "toString") is Name.Builtin
    # outside a block the same words are ordinary names
    assert token_of("type = 1;", "type") is Name


def test_sendmail_two_word_keys_and_nested_brackets() -> None:
    src = 'sendmail [ from: zoho.adminuserid to: [a, b] reply to: "x" content type: "html" subject: s message: m ];'
    for key in ("from", "to", "reply to", "content type", "subject", "message"):
        assert token_of(src, key) is Name.Property, key
    # the `]` of the nested list does not end the block
    assert token_of(src, "subject") is Name.Property


# ---------------------------------------------------------------- built-in names


def test_catalog_functions_and_methods() -> None:
    src = 'x = ifnull(a, "b").subString(1).myHelper(2); y = myFunction(1); z = ifNull(c, 1);'
    assert token_of(src, "ifnull") is Name.Builtin
    assert token_of(src, "ifNull") is Name.Builtin
    assert token_of(src, "subString") is Name.Builtin
    assert token_of(src, "myHelper") is Name.Function
    assert token_of(src, "myFunction") is Name.Function
    assert token_of("v = m.Size;", "Size") is Name.Attribute


def test_builtin_names_are_not_reserved() -> None:
    src = "count = 0; n = count(l); info today;"
    assert token_of(src, "count", 0) is Name
    assert token_of(src, "count", 1) is Name.Builtin
    assert token_of(src, "today") is Name.Builtin


def test_zoho_system_variables_and_tasks() -> None:
    toks = tokens('r = zoho.crm.getRecords("Deals").get(0);')
    assert toks[2:7] == [(Name.Builtin, "zoho"), (Punctuation, "."), (Name.Builtin, "crm"), (Punctuation, "."),
                         (Name.Builtin, "getRecords")]
    toks = tokens("u = zoho.loginuser.toUpperCase().foo;")
    assert toks[2:5] == [(Name.Builtin, "zoho"), (Punctuation, "."), (Name.Builtin, "loginuser")]
    assert (Name.Builtin, "toUpperCase") in toks and (Name.Attribute, "foo") in toks
    assert token_of("x = ZOHO.CurrentDate;", "CurrentDate") is Name.Builtin
    assert token_of("zohoish = 1;", "zohoish") is Name


def test_deluge_objects() -> None:
    src = 'name = user.get("first_name") + chat.get("title") + arguments;'
    for word in ("user", "chat", "arguments"):
        assert token_of(src, word) is Name.Variable.Magic, word
    # a script that binds the name itself uses an ordinary variable
    assert token_of('body = "x";\ninfo body;', "body", 1) is Name
    assert token_of("for each message in messages { info message; }", "message", 1) is Name


def test_importing_does_not_load_the_catalog() -> None:
    code = (
        "from deluge.syntax import highlight as h\n"
        "assert h._names.cache_info().currsize == 0\n"
        "list(h.DelugeLexer().get_tokens_unprocessed('x = abs(1);'))\n"
        "assert h._names.cache_info().currsize == 1\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert out.stdout.strip() == "ok", out.stderr


# ---------------------------------------------------------------- Pygments registration


def test_registered_as_a_pygments_lexer() -> None:
    from pygments.lexers import find_lexer_class_for_filename, get_lexer_by_name, get_lexer_for_mimetype

    assert isinstance(get_lexer_by_name("deluge"), DelugeLexer)
    assert isinstance(get_lexer_for_mimetype("text/x-deluge"), DelugeLexer)
    assert find_lexer_class_for_filename("script.dg") is DelugeLexer
    assert find_lexer_class_for_filename("script.deluge") is DelugeLexer


def test_pygments_highlight_end_to_end() -> None:
    from pygments import highlight as pygments_highlight
    from pygments.formatters import HtmlFormatter

    html = pygments_highlight("info zoho.loginuser;", DelugeLexer(), HtmlFormatter(nowrap=True))
    assert '<span class="k">info</span>' in html and '<span class="nb">zoho</span>' in html


# ---------------------------------------------------------------- coloured excerpts


def test_should_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert should_colour(Tty()) is True
    assert should_colour(object()) is False
    monkeypatch.setenv("TERM", "dumb")
    assert should_colour(Tty()) is False
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("NO_COLOR", "1")
    assert should_colour(Tty()) is False


def test_highlight_line_keeps_the_visible_text() -> None:
    source = 'x = 1;\n\tif (x == 1) { info "a\tb"; }\n'
    coloured = highlight_line(source, 2)
    assert coloured is not None and "\x1b[" in coloured
    assert ANSI.sub("", coloured) == source.splitlines()[1].expandtabs(4)
    assert highlight_line(source, 3) is None


def test_highlight_line_uses_the_context_of_earlier_lines() -> None:
    source = 'x = "first\nsecond if";\n'
    coloured = highlight_line(source, 2)
    assert coloured is not None
    # `if` is inside the text: coloured like text (yellow), not like a keyword (blue)
    assert "\x1b[34mif" not in coloured and "\x1b[33m" in coloured


def test_colour_excerpt_colours_only_the_excerpt_line() -> None:
    source = "x = 1;\ny = (2 + ;\n"
    error = ParseError("bad", line=2, column=10)
    plain = error.format(source, "s.dg")
    coloured = colour_excerpt(plain, source, 2)
    assert coloured != plain and ANSI.sub("", coloured) == plain
    assert coloured.splitlines()[0] == plain.splitlines()[0]
    assert colour_excerpt(plain, None, 2) == plain
    assert colour_excerpt(plain, source, None) == plain
    assert colour_excerpt("no excerpt here", source, 2) == "no excerpt here"


def _bad_script(tmp_path: Path) -> Path:
    script = tmp_path / "bad.dg"
    script.write_text('x = "a";\ny = (2 + ;\n')
    return script


def test_cli_excerpt_is_plain_when_not_a_terminal(tmp_path: Path) -> None:
    script = _bad_script(tmp_path)
    for command in ("check", "run"):
        result = CliRunner().invoke(main, [command, str(script)], color=True)
        assert result.exit_code == 1
        assert "y = (2 + ;" in result.stderr and "\x1b[" not in result.stderr


def test_cli_excerpt_is_coloured_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(highlight, "should_colour", lambda stream: True)
    script = _bad_script(tmp_path)
    result = CliRunner().invoke(main, ["check", str(script)], color=True)
    assert result.exit_code == 1
    assert "\x1b[" in result.stderr
    assert "y = (2 + ;" in ANSI.sub("", result.stderr)
