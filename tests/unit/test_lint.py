"""`deluge check` diagnostics (deluge/analysis/lint.py): the checker's errors with codes, and warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import deluge
from deluge import catalog
from deluge.analysis.lint import Diagnostic, code_of, lint, lint_module
from deluge.cli import main

ROOT = Path(__file__).resolve().parent.parent.parent


def diagnostics(source: str) -> list[Diagnostic]:
    return lint(deluge.parse(source), catalog.load())


def found(source: str, code: str | None = None) -> list[tuple[str, str, int, int]]:
    """(severity, code, line, column) of every diagnostic (of one code)."""
    return [(d.severity, d.code, d.line, d.column) for d in diagnostics(source) if code is None or d.code == code]


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------- the checker's errors, with codes


@pytest.mark.parametrize(("source", "code", "line", "column"), [
    ('info "a";\nx = subStrng("abc", 1);\ninfo x;', "unknown-function", 2, 5),
    ("l = {1};\ninfo l.pop();", "unknown-method", 2, 8),
    ('x = subString("abc");\ninfo x;', "arity", 1, 5),
    ("int f(int a) { return a; }\ninfo f(1, 2);", "arity", 2, 6),
    ("int f() {\n  return y;\n}\ninfo f();", "read-before-assign", 2, 10),
    ("info 1;\nbreak;", "break-outside-loop", 2, 1),
    ("if (true) {\n  continue;\n}", "continue-outside-loop", 2, 3),
    ('x = 1;\nx = "a";\ninfo x;', "type-conflict", 2, 5),
    ('zoho.loginuser = "ann";', "readonly-system-variable", 1, 1),
    ("info 1;\n  zoho.currentdate = '01-Jan-2020';", "readonly-system-variable", 2, 3),
    ("today = 3;", "reserved-word", 1, 1),
    ("void f() { info 1; }\nvoid f() { info 2; }\nf();", "duplicate-function", 2, 1),
    ("void f(int a, int a) { info a; }\nf(1, 2);", "duplicate-parameter", 1, 15),
    ("void f() {\n  return 1;\n}\nf();", "void-return", 2, 3),
    ("info zoho;", "namespace-value", 1, 6),
    ("info zoho.nothing;", "unknown-system-variable", 1, 6),
    ("info thisapp.f;", "not-a-value", 1, 6),
    ('l = List();\nl.add("a" : 1);', "pair-argument", 2, 7),
    ("x = 9223372036854775808;\ninfo x;", "number-range", 1, 5),
])
def test_checker_errors_keep_their_position_and_get_a_code(source: str, code: str, line: int, column: int) -> None:
    assert ("error", code, line, column) in found(source)
    errors = [d for d in diagnostics(source) if d.is_error]
    with pytest.raises(deluge.ParseError) as info:  # the same script does not compile
        deluge.compile(source)
    assert (info.value.line, info.value.column) == (errors[0].line, errors[0].column)


def test_every_checker_error_is_reported_once() -> None:
    source = "x = nope();\nbreak;\ny = 1;\ny = \"a\";\ninfo x + y;"
    assert found(source) == [
        ("error", "unknown-function", 1, 5),
        ("error", "break-outside-loop", 2, 1),
        ("warning", "unreachable", 3, 1),
        ("error", "type-conflict", 4, 5),
    ]


def test_an_unknown_checker_message_gets_the_generic_code() -> None:
    assert code_of("Something new", frozenset(), 1, 1) == "check"
    assert code_of("Unknown function 'x'", frozenset({(3, 4)}), 3, 4) == "unknown-method"
    assert code_of("Unknown function 'x'", frozenset({(3, 4)}), 3, 5) == "unknown-function"


# ---------------------------------------------------------------- unreachable code (D30, D48)


def test_code_after_return_break_and_continue_is_unreachable() -> None:
    source = (
        "for each x in {1, 2} {\n"        # 1
        "  if (x == 1) {\n"               # 2
        "    continue;\n"                 # 3
        "    info \"a\";\n"               # 4
        "  }\n"
        "  break;\n"                      # 6
        "  info \"b\";\n"                 # 7
        "}\n"
        "return 1;\n"                     # 9
        "info \"c\";\n"                   # 10
        "info \"d\";\n"                   # 11: same run, no second warning
    )
    assert found(source, "unreachable") == [
        ("warning", "unreachable", 4, 5),
        ("warning", "unreachable", 7, 3),
        ("warning", "unreachable", 10, 1),
    ]
    message = next(d.message for d in diagnostics(source) if d.line == 10)
    assert "'return'" in message


def test_code_after_an_if_else_chain_that_always_leaves_is_unreachable() -> None:
    source = (
        "int f(int n) {\n"
        "  if (n > 1) {\n"
        "    return 1;\n"
        "  } else if (n > 0) {\n"
        "    return 2;\n"
        "  } else {\n"
        "    return 3;\n"
        "  }\n"
        "  info n;\n"                     # 9
        "  return 0;\n"
        "}\n"
        "info f(1);\n"
    )
    assert found(source, "unreachable") == [("warning", "unreachable", 9, 3)]


def test_an_if_without_else_or_with_an_open_branch_leaves_the_code_reachable() -> None:
    without_else = "int f(int n) {\n  if (n > 1) {\n    return 1;\n  }\n  return 0;\n}\ninfo f(1);"
    open_branch = ("int f(int n) {\n  if (n > 1) {\n    return 1;\n  } else if (n > 0) {\n    info n;\n"
                   "  } else {\n    return 3;\n  }\n  return 0;\n}\ninfo f(1);")
    loop = "int f(list l) {\n  for each x in l {\n    return x;\n  }\n  return 0;\n}\ninfo f({1});"
    for source in (without_else, open_branch, loop):
        assert found(source, "unreachable") == []


def test_nested_chains_and_try_catch_that_always_leave() -> None:
    source = (
        "int f(int n) {\n"
        "  if (n > 0) {\n"
        "    if (n > 5) { return 5; } else { return 1; }\n"
        "  } else {\n"
        "    try { return n / 0; } catch (e) { return -1; }\n"
        "  }\n"
        "  info \"never\";\n"             # 7
        "}\n"
        "info f(1);\n"
    )
    assert found(source, "unreachable") == [("warning", "unreachable", 7, 3)]


# ---------------------------------------------------------------- unused functions


def test_a_function_never_called_from_the_top_level_is_reported() -> None:
    source = (
        "int used(int a) { return helper(a); }\n"
        "int helper(int a) { return a; }\n"
        "int orphan(int a) { return a; }\n"
        "int lonely(int a) { return orphan(a) + lonely(a); }\n"
        "info used(1);\n"
    )
    assert found(source, "unused-function") == [
        ("warning", "unused-function", 3, 1),
        ("warning", "unused-function", 4, 1),
    ]
    messages = [d.message for d in diagnostics(source) if d.code == "unused-function"]
    assert "only functions that are never called" in messages[0]
    assert messages[1] == "The function 'lonely' is defined but never called"


def test_calls_through_thisapp_and_standalone_count() -> None:
    source = ("int a.one() { return 1; }\nint b.two() { return 2; }\n"
              "info thisapp.a.one() + standalone.two();")
    assert found(source, "unused-function") == []


def test_a_script_of_functions_only_reports_none_of_them() -> None:
    source = "void automation.run(int id) { info id; }\nint helper() { return 1; }"
    assert found(source, "unused-function") == []


# ---------------------------------------------------------------- unused variables


def test_a_variable_assigned_but_never_read_is_reported_at_its_first_assignment() -> None:
    source = (
        "total = 0;\n"                    # read by the compound assignment below
        "total += 5;\n"
        "label = \"x\";\n"                # 3: never read
        "label = \"y\";\n"
        "_ignored = 1;\n"                 # underscore: deliberate
        "for each item in {1, 2} { info \"loop\"; }\n"  # loop variable: never reported
        "try { info 1; } catch (err) { info 2; }\n"     # catch variable: never reported
        "resp = invokeurl [ url: \"https://example.com\" type: GET ];\n"  # 8
        "m = Map();\n"
        "m.put(\"k\", 1);\n"              # a method call reads m
        "info total;\n"
    )
    assert found(source, "unused-variable") == [
        ("warning", "unused-variable", 3, 1),
        ("warning", "unused-variable", 8, 1),
    ]


def test_unused_variables_are_per_function_scope() -> None:
    source = (
        "x = 1;\n"                        # 1: top level, never read there
        "int f(int a) {\n"
        "  x = a;\n"                      # 3: the function's own x
        "  y = 2;\n"                      # 4
        "  return x;\n"
        "}\n"
        "info f(1);\n"
    )
    assert found(source, "unused-variable") == [
        ("warning", "unused-variable", 1, 1),
        ("warning", "unused-variable", 4, 3),
    ]


def test_reads_in_fetch_criteria_and_members_count() -> None:
    source = (
        "grade = \"A\";\n"
        "Grade = \"field only\";\n"       # 2: `Grade` in the criteria is a field, not this variable
        "rows = Students[Grade == grade];\n"
        "info rows;\n"
        "rec = Map();\n"
        "rec.Name = \"Ann\";\n"           # member assignment reads rec
    )
    assert found(source, "unused-variable") == [("warning", "unused-variable", 2, 1)]


# ---------------------------------------------------------------- method arity


def test_a_known_method_with_a_count_no_form_accepts_is_an_arity_warning() -> None:
    source = 'x = "en".startsWith();\ninfo x;\ny = "en".startsWith("e");\ninfo y;'
    assert found(source) == [("warning", "arity", 1, 10)]
    message = diagnostics(source)[0].message
    assert message == "The method 'startsWith' takes 1 argument(s); 0 given (a runtime error when it runs)"
    deluge.compile(source)  # not a save error (D16): the run fails instead
    assert deluge.run(source).error.kind == "runtime"


def test_methods_with_several_forms_accept_any_of_their_counts() -> None:
    source = 'd = today;\ninfo d.toString();\ninfo d.toString("yyyy");\ninfo {1}.get(0, 1);'
    assert found(source) == [("warning", "arity", 4, 10)]
    assert "1 argument(s); 2 given" in diagnostics(source)[0].message


def test_a_method_unavailable_in_the_sandbox_has_no_arity_to_check() -> None:
    source = 'f = "abc".toFile("a.txt");\nz = f.compress("a.zip");\ninfo z;'
    assert found(source) == []


def test_methods_on_system_variables() -> None:
    source = "x = zoho.currentdate.addDay();\ny = zoho.currentdate.foo();\nz = zoho.currentdate.addDay(1);\n" \
             "info x + y + z;"
    assert found(source) == [("warning", "arity", 1, 5), ("error", "unknown-method", 2, 5)]


# ---------------------------------------------------------------- reads from the context


def test_top_level_reads_before_assignment_must_come_from_the_context() -> None:
    source = "info dealId;\ninfo user.get(\"id\") + chat;\ninfo input.Amount;\nx = 1;\ninfo x + dealId;"
    assert found(source) == [("warning", "read-before-assign", 1, 6)]
    assert diagnostics(source)[0].message == (
        "'dealId' is read before any assignment: it must come from the run's context")
    result = lint_module(deluge.parse(source), catalog.load())
    assert set(result.free_names) == {"dealId", "user", "chat", "input"}


def test_a_clean_script_has_no_diagnostics() -> None:
    source = (
        "int twice(int n) { return n * 2; }\n"
        "total = 0;\n"
        "for each x in {1, 2, 3} {\n"
        "  if (x == 2) { continue; }\n"
        "  total = total + twice(x);\n"
        "}\n"
        "info total;\n"
    )
    assert diagnostics(source) == []


def test_diagnostics_are_sorted_and_serialisable() -> None:
    source = "a = 1;\ninfo nope();\nreturn;\ninfo 2;"
    result = diagnostics(source)
    assert [(d.line, d.column) for d in result] == sorted((d.line, d.column) for d in result)
    assert result[0].to_json() == {"severity": "warning", "code": "unused-variable",
                                   "message": "The variable 'a' is assigned but never read", "line": 1, "column": 1}
    assert result[1].format(source, "s.dg") == "s.dg:2:6: error: Unknown function 'nope' [unknown-function]\n" \
        "info nope();\n     ^"
    assert result[2].format(source, "s.dg") == \
        "s.dg:4:1: warning: This code can never run: it follows 'return' [unreachable]"


# ---------------------------------------------------------------- the command line


def test_cli_warnings_alone_exit_0_with_an_ok_line(tmp_path: Path) -> None:
    script = tmp_path / "w.dg"
    script.write_text("x = 1;\ninfo dealId;\n")
    code, out, err = invoke("check", str(script))
    assert code == 0
    assert out == f"{script}: ok, 2 warnings (reads from the host's context: dealId)\n"
    assert err.splitlines() == [
        f"{script}:1:1: warning: The variable 'x' is assigned but never read [unused-variable]",
        f"{script}:2:6: warning: 'dealId' is read before any assignment: it must come from the run's context"
        " [read-before-assign]",
    ]


def test_cli_an_error_exits_1_with_a_caret(tmp_path: Path) -> None:
    clean = tmp_path / "clean.dg"
    clean.write_text("info 1;\n")
    bad = tmp_path / "bad.dg"
    bad.write_text("x = 1;\ninfo x.upper();\n")
    code, out, err = invoke("check", str(clean), str(bad))
    assert code == 1
    assert out == f"{clean}: ok\n"
    assert err == f"{bad}:2:8: error: Unknown function 'upper' [unknown-method]\ninfo x.upper();\n       ^\n"


def test_cli_syntax_errors_keep_their_report(tmp_path: Path) -> None:
    bad = tmp_path / "bad.dg"
    bad.write_text("x = (1 + ;\n")
    code, out, err = invoke("check", str(bad))
    assert code == 1 and out == ""
    assert err.startswith(f"{bad}:1:") and "parse error:" in err and "^" in err


def test_cli_json(tmp_path: Path) -> None:
    warned = tmp_path / "w.dg"
    warned.write_text("info dealId;\nreturn;\ninfo 1;\n")
    bad = tmp_path / "bad.dg"
    bad.write_text("break;\n")
    broken = tmp_path / "broken.dg"
    broken.write_text("info (;\n")
    code, out, err = invoke("check", "--json", str(warned), str(bad), str(broken))
    assert code == 1 and err == ""
    data = json.loads(out)
    assert data["errors"] == 2 and data["warnings"] == 2
    first, second, third = data["files"]
    assert first == {
        "file": str(warned), "ok": True, "errors": 0, "warnings": 2, "context_names": ["dealId"],
        "diagnostics": [
            {"severity": "warning", "code": "read-before-assign", "line": 1, "column": 6,
             "message": "'dealId' is read before any assignment: it must come from the run's context"},
            {"severity": "warning", "code": "unreachable", "line": 3, "column": 1,
             "message": "This code can never run: it follows 'return'"},
        ],
    }
    assert second["ok"] is False and second["diagnostics"] == [
        {"severity": "error", "code": "break-outside-loop", "line": 1, "column": 1,
         "message": "'break' can only be used inside a for each loop"}]
    assert third["ok"] is False and third["diagnostics"][0]["code"] == "syntax"
    assert third["diagnostics"][0]["line"] == 1


def test_cli_json_warnings_only_exit_0(tmp_path: Path) -> None:
    code, out, _ = invoke("check", "--json", "-", stdin="x = 1;\n")
    data = json.loads(out)
    assert code == 0 and data["files"][0]["file"] == "<stdin>" and data["warnings"] == 1


def test_cli_syntax_samples_have_no_errors() -> None:
    files = sorted(str(p) for p in (ROOT / "tests" / "syntax-samples").glob("*.dg"))
    code, out, err = invoke("check", *files)
    assert code == 0 and out.count(": ok") == len(files)
    assert ": error:" not in err
