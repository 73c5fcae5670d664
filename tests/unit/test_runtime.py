"""Compiled programs: semantics of statements, budgets, and the fast paths of the compiler.

The compiler emits specialized copies of loops for the kinds of values it
expects (whole numbers, maps, lists) and falls back to a general copy when a
value of another kind turns up; these tests make sure both copies give
Deluge's answers.
"""

from __future__ import annotations

import ast

import pytest

import deluge
from deluge.limits import Limits
from deluge.runtime.program import compile_program


def run(source: str, context: dict | None = None, **kw: object) -> deluge.Result:
    return deluge.run(source, context, **kw)  # type: ignore[arg-type]


def out(source: str, context: dict | None = None) -> list[str]:
    result = run(source, context)
    assert result.error is None, result.error
    return result.output


# ---------------------------------------------------------------- values and operators


def test_integer_division_and_remainder_truncate_toward_zero() -> None:
    assert out("info -7 / 2;\ninfo -7 % 3;\ninfo 7 % -3;") == ["-3", "-1", "1"]


def test_intermediate_overflow_is_an_error_even_when_the_result_fits() -> None:
    result = run("x = 9223372036854775807;\ny = x * 2 / 2;\ninfo y;")
    assert result.error is not None and result.error.kind == "runtime" and result.error.line == 2


def test_overflow_inside_a_fast_loop_keeps_the_variable_unchanged() -> None:
    source = """
total = 9223372036854775800;
try
{
	for each x in nums
	{
		total = total + x;
	}
}
catch (e)
{
	info "overflow at " + e.lineNo;
}
info total;
"""
    assert out(source, {"nums": [1, 2, 3, 4]}) == ["overflow at 7", "9223372036854775806"]


@pytest.mark.parametrize("values, expected", [
    ([3, 4, 5], ["3", "1", "2"]),
    ([3, -4, 5.5], ["3", "-1", "2.5"]),
    ([-6, -7, 10], ["-6", "-1", "1"]),
])
def test_specialized_and_general_loop_copies_agree(values: list, expected: list[str]) -> None:
    source = """
a = 0;
for each x in nums
{
	if (x % 3 == 0) { a = a + x; }
}
info a;
info nums.get(1) % 3;
info nums.get(2) % 3;
"""
    assert out(source, {"nums": values}) == expected


def test_a_loop_leaves_its_fast_copy_in_the_middle() -> None:
    source = """
seen = List();
for each x in items
{
	if (x == 99) { continue; }
	if (x == "stop") { break; }
	seen.add(x * 2);
}
info seen;
"""
    assert out(source, {"items": [1, 2, 99, 3.5, 4, "stop", 5]}) == ["2,4,7.0,8"]


def test_text_operand_in_a_specialized_loop_concatenates() -> None:
    source = 'r = List();\nfor each x in items { r.add(x + 1); }\ninfo r;'
    assert out(source, {"items": [1, "a", 2]}) == ["2,a1,3"]


def test_equality_fast_paths_keep_deluge_semantics() -> None:
    source = """
vals = {0, 1, true, false, "", null, 1.0, "1"};
for each v in vals
{
	info (v == 0) + " " + (v == 1) + " " + (v == true) + " " + (v == null) + " " + (v == "1");
}
"""
    assert out(source) == [
        "true false false false false",
        "false true false false false",
        "false false true false false",
        "false false false false false",
        "false false false true false",
        "false false false true false",
        "false true false false false",
        "false false false false true",
    ]


def test_ordering_of_mixed_kinds_is_a_runtime_error_in_fast_code() -> None:
    result = run("for each x in items { if (x > 2) { info x; } }", {"items": [3, "4"]})
    assert result.output == ["3"] and result.error is not None and result.error.kind == "runtime"


def test_conditions_must_be_booleans() -> None:
    result = run("n = 5;\nif (n) { info 1; }")
    assert result.error.kind == "runtime" and result.error.line == 2  # type: ignore[union-attr]


def test_else_if_conditions_are_evaluated_lazily() -> None:
    source = 'l = List();\nif (true) { info "a"; } else if (l.get(5) == 1) { info "b"; }'
    assert out(source) == ["a"]


@pytest.mark.parametrize("source", [
    "if (false) { e = {1}; f = 2; } else if (e.contains(1)) { info 1; }",
    'if (false) { e = "a"; f = "b"; } else if (e.length() > 0) { info 1; }',
    "if (false) { e = {1}; } else if (false) { e = {2}; f = 3; } else if (e.size() > 0) { info 1; }",
])
def test_else_if_conditions_see_the_variables_before_the_if(source: str) -> None:
    # the branch that typed `e` did not run: `e` is null in the later condition (optimized or not)
    for optimize in (True, False):
        program = compile_program(source, optimize=optimize, cache=False)
        error = program.run().error
        assert error is not None and error.kind == "runtime" and "null" in error.message, error
        assert error.line == 1


@pytest.mark.parametrize(("source", "given"), [
    ('x = "en".startsWith();', 0), ('x = "en".startsWith("a", "b", "c");', 3),
    ("x = {1}.get();", 0),
])
def test_wrong_argument_counts_of_methods_count_what_is_in_the_parentheses(source: str, given: int) -> None:
    error = run(source).error
    assert error is not None and error.kind == "runtime"
    assert error.message.endswith(f"{given} given"), error.message


def test_map_methods_on_known_maps_and_on_unknown_values() -> None:
    source = """
m = Map();
m.put("a", 1);
for each r in rows
{
	m.put(r.get("k"), r.get("v"));
}
info m;
"""
    assert out(source, {"rows": [{"k": "b", "v": 2}, {"k": "a", "v": 3}]}) == ['{"a":3,"b":2}']
    bad = run(source, {"rows": [{"k": "b", "v": 2}, "text"]})
    assert bad.error is not None and bad.error.kind == "runtime"


def test_empty_braces_settle() -> None:
    assert out("a = {};\na.add(1);\nb = {};\nb.put(\"k\", 2);\ninfo a;\ninfo b;\nc = {};\ninfo c.size();") == \
        ["1", '{"k":2}', "0"]


def test_date_literal_with_two_digit_year_pivots_on_the_run_clock() -> None:
    ctx = {"zoho": {"currenttime": "15-Mar-2019 10:20:30"}}
    assert out("info '15-Aug-47';\ninfo '15-Aug-30';", ctx) == ["15-Aug-1947", "15-Aug-2030"]


# ---------------------------------------------------------------- functions and scope


def test_recursion_and_call_depth_budget_line() -> None:
    source = ("int depth(int n)\n{\n\tif (n == 0) { return 0; }\n\treturn 1 + depth(n - 1);\n}\n"
              "info depth(63);\ninfo depth(64);")
    result = run(source)
    assert result.output == ["63"]
    assert result.error.kind == "budget" and result.error.line == 4  # type: ignore[union-attr]
    assert result.error.limit == "call_depth"  # type: ignore[union-attr]


def test_arguments_are_converted_to_parameter_types() -> None:
    assert out('int twice(int n) { return n * 2; }\ninfo twice("21");') == ["42"]
    result = run('int twice(int n) { return n * 2; }\ninfo twice("x");')
    assert result.error.kind == "runtime"  # type: ignore[union-attr]


def test_typed_function_without_return_fails_at_its_end() -> None:
    result = run("int f()\n{\n\tinfo 1;\n}\ninfo f();")
    assert result.output == ["1"] and result.error.kind == "runtime" and result.error.line == 4  # type: ignore[union-attr]


def test_lists_are_passed_by_reference() -> None:
    assert out("void push(list l) { l.add(9); }\nx = {1};\npush(x);\ninfo x;") == ["1,9"]


def test_error_inside_a_function_reports_the_inner_line_and_the_stack() -> None:
    result = run("void f()\n{\n\tx = 1 / 0;\n}\nf();")
    err = result.error
    assert err is not None and err.line == 3
    assert [name for name, _ in err.frames] == ["script", "f"]


# ---------------------------------------------------------------- budgets


def test_step_budget_counts_statements_and_iterations() -> None:
    source = "x = 0;\nfor each i in items\n{\n\tx = x + 1;\n}"
    result = run(source, {"items": list(range(100))})
    assert result.error is None and result.stats.steps == 1 + 100 * 2
    result = run(source, {"items": list(range(100))}, limits=Limits(steps=150))
    assert result.error is not None and result.error.kind == "budget" and result.error.limit == "steps"  # type: ignore[attr-defined]
    assert result.error.line == 2


def test_steps_are_counted_the_same_in_every_copy_of_a_loop() -> None:
    source = ("a = 0;\nfor each v in items\n{\n\tif (v % 2 == 0) { a = a + v; }"
              " else if (v % 3 == 0) { a = a - 1; } else { a = a + 1; }\n}")
    fast = run(source, {"items": [1, 2, 3, 4, 5, 6]})
    mixed = run(source, {"items": [1, 2, 3, 4, 5.0, 6]})
    assert fast.stats.steps == mixed.stats.steps


_PREPAID_LOOPS = {
    "break": "t = 0;\nfor each v in items\n{\n\tif (v > 40) { break; }\n\tt = t + v;\n}\ninfo t;",
    "return": "t = 0;\nfor each v in items\n{\n\tt = t + v;\n\tif (t > 300) { return t; }\n}\ninfo t;",
    "caught": ("t = 0;\ntry\n{\n\tfor each v in items\n\t{\n\t\tt = t + 10 / (v - 37);\n\t}\n}\n"
               "catch (e)\n{\n\tinfo t;\n}\nfor each v in items { t = t + 1; }\ninfo t;"),
    "type change": "t = 0;\nfor each v in items\n{\n\tif (v > 20) { t = t + v; }\n\tt = t + 1;\n}\ninfo t;",
}


@pytest.mark.parametrize("name", sorted(_PREPAID_LOOPS))
def test_loops_with_reserved_steps_count_like_plain_code(name: str) -> None:
    """A loop whose steps are reserved before it runs (no check inside) counts every step
    as the plain compiled code does, however it ends, and fails at the same statement."""
    from deluge.runtime.program import compile_program

    source = _PREPAID_LOOPS[name]
    items: list[object] = list(range(100))
    if name == "type change":
        items[30] = 30.5  # the fast copy leaves for the general one in the middle
    context = {"items": items}
    fast = compile_program(source, cache=False)
    plain = compile_program(source, cache=False, optimize=False)
    assert "_reserve" in fast.python_source()
    full = plain.run(context)
    for steps in (full.stats.steps, full.stats.steps - 1, full.stats.steps // 2, 57, 5):
        a = fast.run(context, limits=Limits(steps=steps))
        b = plain.run(context, limits=Limits(steps=steps))
        assert (a.output, a.stats.steps) == (b.output, b.stats.steps), steps
        assert (a.error and a.error.to_json()) == (b.error and b.error.to_json()), steps


def test_budget_errors_cannot_be_caught() -> None:
    source = "try { for each i in items { x = 1; } } catch (e) { info \"caught\"; }"
    result = run(source, {"items": list(range(1000))}, limits=Limits(steps=100))
    assert result.output == [] and result.error is not None and result.error.kind == "budget"


def test_output_line_limit_is_a_budget_error_after_the_kept_lines() -> None:
    result = run("for each i in items { info i; }", {"items": list(range(20))}, limits=Limits(output_lines=5))
    assert result.output == ["0", "1", "2", "3", "4"] and result.error.limit == "output_lines"  # type: ignore[union-attr]


def test_consent_is_needed_for_network_mail_and_tasks() -> None:
    for source in ('r = invokeurl [ url: "https://api.example.com/x" ];',
                   'sendmail [ from: "a@x.com" to: "b@x.com" subject: "s" message: "m" ];',
                   'r = zoho.cliq.postToChannel("general", "hi");'):
        result = run(source)
        assert result.error is not None and result.error.kind == "consent", source


def test_granted_capability_passes_consent() -> None:
    result = run('r = invokeurl [ url: "https://api.example.com/x" ];', grant=["api:api.example.com"])
    assert result.error is not None and result.error.kind == "runtime"  # no network in this host
    result = run('r = invokeurl [ url: "https://other.example.com/x" ];', grant=["api:api.example.com"])
    assert result.error.kind == "consent"  # type: ignore[union-attr]


# ---------------------------------------------------------------- the generated code


ALLOWED_ATTRIBUTES = {("_ex", "left")}


def test_generated_code_has_no_attribute_access_on_script_values() -> None:
    source = 'm = {"a": {"b": 1}};\nx = m.a.b;\nfor each k in m.keys() { info k.length(); }\ninput.X = 1;'
    program = deluge.compile(source)
    for node in ast.walk(program.python):
        if isinstance(node, ast.Attribute):
            assert isinstance(node.value, ast.Name)
            assert (node.value.id, node.attr) in ALLOWED_ATTRIBUTES
        assert not isinstance(node, (ast.Subscript, ast.Import, ast.ImportFrom, ast.Lambda, ast.Global))
        if isinstance(node, ast.Name):
            assert node.id.startswith(("_", "v_", "f")), node.id


def test_generated_code_is_deterministic() -> None:
    source = "a = 0;\nfor each x in items { a = a + x * 2; }\ninfo a;"
    first = deluge.compile(source).python_source()
    from deluge.runtime.program import compile_program

    again = compile_program(source, cache=False).python_source()
    assert first == again


def test_no_python_builtins_in_the_namespace() -> None:
    program = deluge.compile("info 1;")
    assert program._globals["__builtins__"] == {}


@pytest.mark.parametrize("expression", [
    "x + 9223372036854775807",      # non-negative terms: only the upper bound can be crossed
    "x - -9223372036854775807",     # x >= 0 minus a negative: upward
    "0 - x - 9223372036854775807",  # downward
    "x * 4611686018427387904",      # non-negative product
    "-9223372036854775807 - x",     # downward from a negative constant
])
def test_one_sided_range_checks_still_catch_overflow(expression: str) -> None:
    source = f"for each x in items\n{{\n\tif (x % 2 == 0) {{ y = {expression}; }}\n}}"
    result = run(source, {"items": [4]})
    assert result.error is not None and result.error.kind == "runtime" and "64-bit" in result.error.message


@pytest.mark.parametrize("body, expected", [
    # two assignments first; then per item: header 1 + first condition 1 + the way taken
    # even: 1 statement; odd: second condition + 1 statement -> 3 * 3 + 3 * 4
    ("if (v % 2 == 0) { a = a + v; } else if (v % 3 == 0) { a = a - 1; } else { a = a + 1; }", 2 + 9 + 12),
    # no else: v=5,6 -> 2 + 2; v=3,4 -> 2 + 1 + 1; v=1,2 -> 2 + 1 (the second condition only)
    ("if (v > 4) { a = 1; b = 2; } else if (v > 2) { a = 3; }", 2 + 8 + 8 + 6),
    # nested: v=4,5 -> 2 + 1 + 2; v=6 -> 2 + 1 + 1; v=1,2,3 -> 2 + 1
    ("if (v > 3) { if (v > 5) { a = 1; } else { a = 2; b = 3; } } else { a = 4; }", 2 + 10 + 4 + 9),
])
def test_steps_of_if_chains_follow_the_counting_rules(body: str, expected: int) -> None:
    result = run(f"a = 0;\nb = 0;\nfor each v in items {{ {body} }}", {"items": [1, 2, 3, 4, 5, 6]})
    assert result.error is None
    assert result.stats.steps == expected
