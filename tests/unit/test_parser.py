"""The parser: every construct of the language, and errors that point at the right place."""

from __future__ import annotations

from pathlib import Path

import pytest

import deluge
from deluge.errors import ParseError
from deluge.syntax import nodes as n

SAMPLES = sorted((Path(__file__).parent.parent / "syntax-samples").glob("*.dg"))


def parse(source: str | bytes) -> n.Module:
    return deluge.parse(source)


def first(source: str) -> n.Stmt:
    return parse(source).body[0]


def error(source: str | bytes) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse(source)
    return info.value


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_syntax_sample_parses(path: Path) -> None:
    module = parse(path.read_bytes())
    assert module.body or module.functions


def test_there_are_syntax_samples() -> None:
    assert len(SAMPLES) >= 100


def test_precedence_multiplication_before_addition() -> None:
    stmt = first("info 1 + 2 * 3;")
    assert isinstance(stmt, n.Info)
    value = stmt.value
    assert isinstance(value, n.BinOp) and value.op == "+"
    assert isinstance(value.right, n.BinOp) and value.right.op == "*"


def test_and_binds_tighter_than_or_and_equality_tighter_than_and() -> None:
    value = first("x = a || b && c == d;").value  # type: ignore[attr-defined]
    assert value.op == "||"
    assert value.right.op == "&&"
    assert value.right.right.op == "=="


def test_single_equals_inside_an_expression_compares() -> None:
    stmt = first("if (a = 2) { info 1; }")
    assert isinstance(stmt, n.If)
    assert stmt.branches[0].condition.op == "=="  # type: ignore[attr-defined]


def test_compound_assignment_statement() -> None:
    stmt = first("total += 5;")
    assert isinstance(stmt, n.Assign) and stmt.op == "+="


def test_minus_before_a_number_literal_is_part_of_it() -> None:
    value = first("x = -5;").value  # type: ignore[attr-defined]
    assert isinstance(value, n.Number) and value.value == -5


def test_literals() -> None:
    module = parse("""a = "x\\ty";\nb = 42;\nc = 0.5;\nd = .25;\ne = TRUE;\nf = Null;\n""")
    values = [s.value for s in module.body]  # type: ignore[attr-defined]
    assert values[0] == n.Text(value="x\ty", line=1, column=5)
    assert isinstance(values[1], n.Number) and values[1].value == 42
    assert isinstance(values[2], n.Decimal) and values[2].value == 0.5
    assert isinstance(values[3], n.Decimal) and values[3].value == 0.25
    assert isinstance(values[4], n.Boolean) and values[4].value is True
    assert isinstance(values[5], n.Null)


def test_unknown_escape_keeps_the_backslash() -> None:
    assert first('x = "\\d+";').value.value == "\\d+"  # type: ignore[attr-defined]


def test_date_literals_and_single_quoted_text() -> None:
    module = parse("a = '15-Aug-1947';\nb = '15-Aug-1947 19:00:00';\nc = 'hello';\nd = '19:00:00';\n")
    a, b, c, d = (s.value for s in module.body)  # type: ignore[attr-defined]
    assert isinstance(a, n.DateTimeLit) and a.fields[:3] == (1947, 8, 15) and not a.has_time
    assert isinstance(b, n.DateTimeLit) and b.has_time and b.fields[3] == 19
    assert isinstance(c, n.Text) and c.value == "hello"
    assert isinstance(d, n.TimeLit) and d.fields == (19, 0, 0)


@pytest.mark.parametrize("text", ["'31-Feb-2020'", "'15-Aug-1947 25:61:00'", "'2020-13-01'"])
def test_impossible_date_literal_is_a_parse_error(text: str) -> None:
    err = error(f"info 1;\nd = {text};")
    assert err.line == 2


def test_number_literal_outside_64_bits_is_a_parse_error() -> None:
    err = error("x = 9223372036854775809;")
    assert err.line == 1 and "64-bit" in err.message
    with pytest.raises(ParseError):
        deluge.compile("x = 9223372036854775808;")
    assert deluge.run("info -9223372036854775808;").output == ["-9223372036854775808"]


def test_lists_maps_and_brackets() -> None:
    module = parse('a = {1, 2};\nb = {"k": 1};\nc = {};\nd = [1, [2, 3]];\ne = [];\n')
    kinds = [type(s.value) for s in module.body]  # type: ignore[attr-defined]
    assert kinds == [n.ListLit, n.MapLit, n.EmptyBraces, n.ListLit, n.EmptyBraces]


def test_mixing_pairs_and_elements_in_braces_is_an_error() -> None:
    assert error('x = {1, "a": 2};').line == 1


def test_typed_list_constructor() -> None:
    value = first("x = List:String();").value  # type: ignore[attr-defined]
    assert isinstance(value, n.TypedList) and value.type_name.lower() == "string"


def test_for_each_and_for_each_index() -> None:
    a = first("for each x in l { }")
    b = first("for each index i in l { }")
    assert isinstance(a, n.ForEach) and not a.index and a.var == "x"
    assert isinstance(b, n.ForEach) and b.index and b.var == "i"


def test_function_definitions_with_typed_headers() -> None:
    module = parse("string standalone.greet(text name, Bills bill) { return name; }\nvoid ping() { }\n")
    greet, ping = module.functions
    assert greet.qualified_name == "standalone.greet" and greet.name == "greet"
    assert [p.type_name for p in greet.params] == ["text", "Bills"]
    assert ping.return_type == "void" and ping.params == ()


def test_dotted_calls_are_function_form_calls() -> None:
    calls = [s.expr for s in parse("thisapp.f(1);\nzoho.crm.getRecords(\"Leads\");\nstandalone.g();\n").body]  # type: ignore[attr-defined]
    assert [c.name for c in calls] == ["thisapp.f", "zoho.crm.getRecords", "standalone.g"]
    assert all(isinstance(c, n.Call) for c in calls)


def test_system_variables_are_dotted_names() -> None:
    value = first("x = zoho.currenttime;").value  # type: ignore[attr-defined]
    assert isinstance(value, n.DottedName) and value.name == "zoho.currenttime"


def test_invokeurl_block_with_hyphenated_keys() -> None:
    stmt = first('r = invokeurl\n[\n\turl: "https://x.example"\n\ttype: POST\n\tcontent-type: "application/json"\n];')
    assert isinstance(stmt, n.TaskStmt)
    assert [e.key for e in stmt.entries] == ["url", "type", "content-type"]


def test_sendmail_two_word_keys() -> None:
    stmt = first('sendmail [ from: a to: b reply to: c subject: "s" message: "m" content type: "html" ];')
    assert isinstance(stmt, n.TaskStmt)
    assert "reply to" in [e.key for e in stmt.entries] and "content type" in [e.key for e in stmt.entries]


def test_task_block_may_end_its_line_without_semicolon() -> None:
    module = parse('r = invokeurl\n[\n\turl: "https://x.example"\n]\ninfo r;\n')
    assert len(module.body) == 2


def test_task_block_followed_on_the_same_line_needs_a_semicolon() -> None:
    err = error('r = invokeurl [ url: "https://x.example" ] info r;')
    assert err.line == 1


def test_repeated_and_missing_block_keys() -> None:
    assert error('r = invokeurl [\n url: "a"\n url: "b"\n];').line == 3
    assert error('r = invokeurl\n[\n type: GET\n];').line == 1


def test_creator_forms_parse() -> None:
    module = parse(
        'rec = Orders[ID != 0 && Status == "Open"] sort by Amount desc range from 1 to 10;\n'
        'insert into Orders [ Customer = "Ann" Amount = 10 ];\n'
        'delete from Orders[Status == "Void"];\n'
        'alert "Saved";\ncancel submit;\nhide Discount;\nCountry:ui.add("India");\n'
    )
    kinds = [type(s) for s in module.body]
    assert kinds == [n.Assign, n.Insert, n.Delete, n.Alert, n.CancelSubmit, n.FieldAction, n.UiCall]
    fetch = module.body[0].value  # type: ignore[attr-defined]
    assert isinstance(fetch, n.Fetch) and fetch.descending and fetch.sort_field == "Amount"


def test_creator_words_are_ordinary_names_elsewhere() -> None:
    module = parse("show = 1;\nl.clear();\nalert = 2;\ninfo show + alert;\n")
    assert [type(s) for s in module.body] == [n.Assign, n.ExprStmt, n.Assign, n.Info]


def test_keywords_are_case_insensitive() -> None:
    stmt = first("IF (TRUE) { INFO 1; } ELSE { info 2; }")
    assert isinstance(stmt, n.If) and stmt.orelse is not None


def test_keyword_after_a_dot_is_a_member_name() -> None:
    value = first("x = resp.info;").value  # type: ignore[attr-defined]
    assert isinstance(value, n.Member) and value.name == "info"


def test_missing_semicolon_is_reported_at_the_next_token() -> None:
    err = error("a = 1 b = 2;")
    assert (err.line, err.column) == (1, 7)
    assert "';'" in err.message and "'b'" in err.message


def test_missing_closing_brace_is_reported_at_the_last_line() -> None:
    err = error("x = 1;\nif (x == 1)\n{\n\tinfo x;\n\n\n")
    assert err.line == 4


def test_unclosed_block_comment_is_reported_where_it_opens() -> None:
    err = error("x = 1;\n/* no end\ninfo x;\n")
    assert err.line == 2 and "Comment" in err.message


def test_unclosed_text_literal() -> None:
    err = error('x = 1;\ninfo "abc;\n')
    assert err.line == 2


def test_while_and_throw_are_reported_at_their_word() -> None:
    err = error("i = 0;\nwhile (i < 3)\n{\n\ti += 1;\n}\n")
    assert err.line == 2 and "while" in err.message
    assert error('x = 1;\nthrow "boom";').line == 2


@pytest.mark.parametrize("source", ["i++;", "x = a ? 1 : 2;", "info a and b;", "x = 1 => 2;", "x = a & b;"])
def test_operators_that_do_not_exist(source: str) -> None:
    assert error(source).kind == "parse"


def test_only_calls_stand_alone() -> None:
    assert "call" in error("x;").message


def test_error_in_a_100_line_script_points_at_line_and_column() -> None:
    lines = [f"v{i} = {i};" for i in range(1, 101)]
    lines[72] = "v73 = (1 + 2;"
    err = error("\n".join(lines))
    assert err.line == 73
    assert err.column == len("v73 = (1 + 2") + 1


def test_byte_order_mark_is_skipped_and_bytes_are_utf8() -> None:
    module = parse("\ufeffinfo \"é\";".encode())
    assert module.body[0].value.value == "é"  # type: ignore[attr-defined]


def test_invalid_utf8_is_a_parse_error_at_line_1() -> None:
    err = error(b'info "\xff";')
    assert err.line == 1


@pytest.mark.parametrize("char", ["\x00", "\x07", "\u202e", "\u2066"])
def test_forbidden_characters_are_refused_at_their_line(char: str) -> None:
    err = error(f'info 1;\ninfo "a{char}b";')
    assert err.line == 2


def test_source_too_large() -> None:
    err = error("info 1;\n" * 20000)
    assert err.line == 1 and "limit" in err.message


def test_nesting_limit() -> None:
    deep = "x = " + "(" * 70 + "1" + ")" * 70 + ";"
    assert "nest" in error(deep).message
    fine = "x = " + "(" * 40 + "1" + ")" * 40 + ";"
    assert parse(fine).body


def test_long_operator_chain_parses() -> None:
    chain = "x = " + " + ".join(["1"] * 5000) + ";"
    assert parse(chain).body


def test_expression_deeper_than_the_compiler_takes_is_a_parse_error_with_position() -> None:
    import deluge
    from deluge.syntax.parser import MAX_EXPRESSION_DEPTH

    fits = "y = 1;\nx = " + " + ".join(["y"] * MAX_EXPRESSION_DEPTH) + ";\ninfo x;"
    assert deluge.run(fits).output == [str(MAX_EXPRESSION_DEPTH)]
    chain = "y = 1;\nx = " + " + ".join(["y"] * 5000) + ";"
    with pytest.raises(deluge.ParseError) as caught:
        deluge.compile(chain)
    assert caught.value.line == 2 and "nested too deeply" in caught.value.message


def test_lone_cr_and_crlf_line_endings_count_lines() -> None:
    assert error("x = 1;\r\ny = ;\r\n").line == 2
    assert error("x = 1;\ry = ;\r").line == 2


def test_parse_json_dump_has_positions() -> None:
    tree = parse("info 1;").to_json()
    assert tree["node"] == "Module"
    assert tree["body"][0]["node"] == "Info" and tree["body"][0]["line"] == 1
