"""Save-time checks (LANGUAGE.md 3.13, 4.8; D3, D16, D38, D43): parse errors with positions."""

from __future__ import annotations

import pytest

import deluge
from deluge import catalog
from deluge.analysis.checker import check
from deluge.errors import ParseError


def compile_error(source: str) -> ParseError:
    with pytest.raises(ParseError) as info:
        deluge.compile(source)
    return info.value


def all_errors(source: str) -> list[ParseError]:
    return check(deluge.parse(source), catalog.load()).errors


def test_unknown_function_is_reported_at_its_name_with_a_suggestion() -> None:
    err = compile_error('info "a";\nx = subStrng("abc", 1);')
    assert (err.line, err.column) == (2, 5)
    assert "subString" in err.message


def test_unknown_method_is_reported_at_the_method_name() -> None:
    err = compile_error("l = {1};\ninfo l.pop();")
    assert (err.line, err.column) == (2, 8)


def test_known_method_on_wrong_type_is_not_a_parse_error() -> None:
    result = deluge.run('n = 5;\ninfo "a";\ninfo n.trim();')
    assert result.error is not None and result.error.kind == "runtime" and result.output == ["a"]


def test_function_form_arity_is_checked() -> None:
    err = compile_error('x = subString("abc");')
    assert err.line == 1 and "argument" in err.message


def test_script_function_arity_is_checked() -> None:
    err = compile_error("int twice(int n) { return n * 2; }\ninfo twice(1, 2);")
    assert err.line == 2


def test_undefined_variable_inside_a_function() -> None:
    err = compile_error("void report()\n{\n\tinfo outside;\n}\noutside = 1;\nreport();")
    assert err.line == 3 and "outside" in err.message


def test_top_level_names_read_first_must_come_from_the_context() -> None:
    program = deluge.compile("info dealId;")
    assert [name for name, _, _ in program.free_names] == ["dealId"]
    missing = program.run()
    assert missing.error is not None and missing.error.kind == "parse" and missing.error.line == 1
    assert program.run({"dealId": 7}).output == ["7"]


def test_assignment_in_an_untaken_branch_defines_the_name() -> None:
    assert deluge.run("if (false) { v = 1; }\ninfo v;").output == ["null"]


def test_strong_typing_of_literals() -> None:
    err = compile_error('x = 10;\nx = "ten";')
    assert err.line == 2
    assert deluge.run("x = 10;\nx = null;\nx = 11;\ninfo x;").output == ["11"]


def test_a_negative_literal_keeps_its_type() -> None:
    assert compile_error("x = -1;\nx = 2.5;").line == 2


def test_typed_parameter_fixes_the_type() -> None:
    assert compile_error('void f(int n) { n = "x"; }').line == 1


def test_break_and_continue_outside_loops() -> None:
    assert compile_error("info 1;\nbreak;").line == 2
    assert compile_error("if (true) { continue; }").line == 1


def test_system_variables_cannot_be_assigned() -> None:
    assert compile_error('zoho.loginuser = "x";').kind == "parse"
    assert compile_error("today = 1;").kind == "parse"


def test_unknown_system_variable_and_bare_zoho() -> None:
    assert compile_error("x = zoho.nothing;").line == 1
    assert compile_error("x = zoho;").line == 1


def test_unknown_task_is_a_parse_error() -> None:
    err = compile_error('r = zoho.crm.deleteRecord("Leads", 1);')
    assert err.kind == "parse"


def test_task_names_are_case_insensitive() -> None:
    result = deluge.run('r = zoho.crm.getRecordByID("Leads", 1);')
    assert result.error is not None and result.error.kind == "consent"


def test_pair_arguments_only_where_allowed() -> None:
    assert compile_error('x = List("a" : 1);').kind == "parse"
    assert deluge.run('c = Collection("a" : 1);\ninfo c;').output == ['{"a":1}']


def test_void_function_cannot_return_a_value() -> None:
    assert compile_error("void f() { return 1; }").line == 1


def test_every_error_is_collected_in_order() -> None:
    errors = all_errors("x = nope1();\ny = 1;\nz = nope2();\nbreak;")
    assert [e.line for e in errors] == [1, 3, 4]


def test_form_fields_in_criteria_are_not_variables() -> None:
    # D59: the left operand of each comparison is a field, the right operand an expression
    program = deluge.compile('minimum = 1;\nif (false) { r = Orders[Status == "Open" && Amount > minimum]; }')
    assert program.free_names == ()
    program = deluge.compile('if (false) { r = Orders[Amount > limit]; }')
    assert [name for name, _, _ in program.free_names] == ["limit"]


def test_subform_row_constructor_is_a_creator_form() -> None:
    result = deluge.run("row = Purchase_Order.Items();")
    assert result.error is not None and result.error.kind == "runtime"
    assert "not available in this host" in result.error.message
