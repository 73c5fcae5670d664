"""`compile_program(capture=True, given=...)` and `Program.run(variables=...)`: what a REPL session needs."""

from __future__ import annotations

import ast

import pytest

from deluge.runtime.program import compile_program
from deluge.runtime.values import Blank, CaughtError, TypedList


def test_without_capture_a_run_reports_no_variables() -> None:
    result = compile_program("x = 1;\n").run()
    assert result.error is None
    assert result.variables is None


@pytest.mark.parametrize("optimize", [True, False])
def test_capture_reports_every_top_level_variable(optimize: bool) -> None:
    source = (
        "x = 1;\n"
        "m = {\"a\": {1, 2}};\n"
        "total = 0;\n"
        "for each i in {1, 2, 3} { total = total + i; }\n"
        "for each c in \"abc\".toList(\"\") { last = c; }\n"
        "if (false) { never = 1; }\n"
        "int twice(int n) { inner = n; return n * 2; }\n"
        "y = twice(x);\n"
    )
    result = compile_program(source, capture=True, optimize=optimize).run()
    assert result.error is None, result.error
    assert result.variables == {"x": 1, "m": {"a": [1, 2]}, "i": 3, "total": 6, "c": "c", "last": "c",
                                "never": None, "y": 2}


def test_capture_keeps_what_was_assigned_before_a_failure() -> None:
    result = compile_program("a = 1;\nb = a / 0;\nc = 3;\n", capture=True).run()
    assert result.error is not None and result.error.line == 2
    assert result.variables == {"a": 1, "b": None, "c": None}


def test_capture_after_a_budget_stop() -> None:
    from deluge.limits import Limits

    source = "n = 0;\nfor each i in \"\".leftpad(500).toList(\"\") { n = n + 1; }\n"
    result = compile_program(source, capture=True).run(limits=Limits(steps=100))
    assert result.error is not None and result.error.kind == "budget"
    assert 0 < result.variables["n"] < 500


def test_variables_pass_as_they_are() -> None:
    typed, blank, shared = TypedList(["a"], "text"), Blank(), {"k": 1}
    program = compile_program("info t; info b; s.put(\"k\", 2); same = s;\n", capture=True)
    assert [name for name, _, _ in program.free_names] == ["t", "b", "s"]
    result = program.run(variables={"t": typed, "b": blank, "s": shared, "unused": CaughtError(1, "boom")})
    assert result.error is None, result.error
    assert result.output == ["a", "{}"]
    assert result.variables["t"] is typed and result.variables["b"] is blank
    assert result.variables["s"] is shared and result.variables["same"] is shared  # no copy: aliases survive
    assert shared == {"k": 2}


def test_given_names_keep_their_value_when_not_assigned() -> None:
    source = "if (false) { x = 99; }\ny = 1;\n"
    plain = compile_program(source, capture=True)
    assert plain.run().variables["x"] is None
    program = compile_program(source, capture=True, given=("x", "z"))
    assert [name for name, _, _ in program.free_names] == ["x"]  # z is not assigned here: not a parameter
    result = program.run(variables={"x": 5, "z": 6})
    assert result.variables == {"x": 5, "y": 1}
    assert compile_program("x = 2;\n", capture=True, given=("x",)).run(variables={"x": 5}).variables == {"x": 2}


def test_a_given_name_missing_from_the_run_is_an_undefined_variable() -> None:
    result = compile_program("if (false) { x = 1; }\n", capture=True, given=("x",)).run()
    assert result.error is not None and "'x' is not defined" in result.error.message
    assert result.variables is None


def test_context_values_still_convert() -> None:
    result = compile_program("user.put(\"b\", 2);\n", capture=True).run({"user": {"a": 1}})
    assert result.variables == {"user": {"a": 1, "b": 2}}


def test_capture_programs_are_cached_apart() -> None:
    source = "q = 1;\n"
    assert compile_program(source) is compile_program(source)
    assert compile_program(source, capture=True) is not compile_program(source)
    assert compile_program(source, capture=True) is compile_program(source, capture=True)
    assert compile_program(source, capture=True, given=("q",)) is not compile_program(source, capture=True)
    assert compile_program(source).run().variables is None


def test_captured_code_touches_only_its_own_execution() -> None:
    program = compile_program("__class__ = {\"__dict__\": 1};\ninfo __class__;\n", capture=True)
    attributes = {(node.value.id, node.attr) for node in ast.walk(program.python) if isinstance(node, ast.Attribute)}
    assert attributes == {("_ex", "left"), ("_ex", "variables")}
    assert program.run().variables == {"__class__": {"__dict__": 1}}
