"""Hostile source text: deep nesting, huge inputs, bad encodings, long chains.

For every input the interpreter must either run the script or refuse it with a
`parse` error that has a line number, never let a Python exception escape
(RecursionError, ValueError, MemoryError...), and the whole compile and run
must take less than a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from _support import Outcome, describe

import deluge
from deluge import Limits

LIMITS = Limits(steps=50_000, wall_time=2.0)
BOUND = 3.0
"""Seconds for compile + run of one hostile source: a guard against hangs and blow-ups. Most
inputs take well under 0.5 s; the densest 100 KB sources (20,000 statements, a 40,000-element
literal) take about 1 s on this project's 2-core machines, so the bound leaves room for a busy machine."""

SOURCE_LIMIT = 128 * 1024


def _compile_and_run(source: str | bytes) -> tuple[deluge.Result | None, deluge.DelugeError | None, float]:
    """Compiles and runs; a Python exception other than DelugeError fails the test with its type."""
    started = time.perf_counter()
    try:
        program = deluge.compile(source, limits=LIMITS)
    except deluge.DelugeError as exc:
        return None, exc, time.perf_counter() - started
    except BaseException as exc:  # the point of these tests: nothing else may escape
        pytest.fail(f"compile raised {type(exc).__name__}: {str(exc)[:200]} "
                    f"after {time.perf_counter() - started:.2f} s")
    try:
        result = program.run(limits=LIMITS)
    except BaseException as exc:
        pytest.fail(f"run raised {type(exc).__name__}: {str(exc)[:200]}")
    return result, None, time.perf_counter() - started


def _chain(op: str, operand: str) -> str:
    """`x = a op a op a ...;` as long as the source limit allows."""
    head, tail = "x = ", ";\ninfo x;\n"
    count = (SOURCE_LIMIT - len(head) - len(tail) - 200) // (len(op) + len(operand))
    return head + op.join([operand] * count) + tail


Builder = Callable[[], str | bytes]

# expectation: "ok" (runs, output checked when given), "parse" (parse error, at `line` when
# given), "either" (runs with the given output, or a parse error with a line)
CASES: list = [
    # ---- deep nesting
    pytest.param(lambda: "x = " + "(" * 200 + "1" + ")" * 200 + ";", "parse", 1, None, id="deep-parentheses"),
    pytest.param(lambda: "x = " + "{" * 200 + "1" + "}" * 200 + ";", "parse", 1, None, id="deep-list-literals"),
    pytest.param(lambda: "x = " + "max(1, " * 200 + "1" + ")" * 200 + ";", "parse", 1, None, id="deep-calls"),
    pytest.param(lambda: "if (true) {" * 200 + "}" * 200, "parse", 1, None, id="deep-if-blocks-one-line"),
    pytest.param(lambda: "l = {1};\n" + "for each a in l {\n" * 100 + "}\n" * 100, "parse", 66, None,
                 id="deep-for-each-blocks"),
    pytest.param(lambda: "x = {" + '"a": {' * 100 + "1" + "}" * 100 + "};", "parse", 1, None, id="deep-map-literals"),
    pytest.param(lambda: "x = [" * 5000, "parse", 1, None, id="unclosed-brackets"),
    pytest.param(lambda: "x = true;\ny = " + "!" * 5000 + "x;", "parse", 2, None, id="unary-not-run"),
    pytest.param(lambda: "x = 1;\ny = " + "-" * 5000 + "x;", "parse", 2, None, id="unary-minus-run"),
    pytest.param(lambda: "x = true;\ny = " + "!-" * 2500 + "x;", "parse", 2, None, id="mixed-unary-run"),
    pytest.param(lambda: "x = 1;\ny = " + "- " * 5000 + "x;", "parse", 2, None, id="spaced-unary-run"),
    # ---- size
    pytest.param(lambda: "x = 1;\n" * 40_000, "parse", 1, None, id="source-over-source-bytes"),
    pytest.param(lambda: "// " + "a" * (SOURCE_LIMIT - 20) + "\ninfo 1;", "ok", None, ["1"],
                 id="comment-near-the-limit"),
    pytest.param(lambda: 'x = "' + "a" * 120_000 + '";\ninfo x.length();', "ok", None, ["120000"], id="very-long-line"),
    pytest.param(lambda: 'x = "' + "b" * 100_000 + '";\ninfo x.length();', "ok", None, ["100000"],
                 id="string-literal-100kb"),
    pytest.param(lambda: "a" * 100_000 + " = 1;\ninfo 1;", "ok", None, ["1"], id="identifier-100kb"),
    pytest.param(lambda: "\n" * 120_000 + "info 1;", "ok", None, ["1"], id="many-empty-lines"),
    pytest.param(lambda: "/* " + "a" * 120_000 + " */\ninfo 1;", "ok", None, ["1"], id="block-comment-120kb"),
    # ---- numbers
    pytest.param(lambda: "x = " + "9" * 5000 + ";", "parse", 1, None, id="huge-integer-literal"),
    pytest.param(lambda: "x = " + "9" * 25 + ";", "parse", 1, None, id="integer-literal-over-64-bit"),
    pytest.param(lambda: "x = -9223372036854775809;", "parse", 1, None, id="negative-literal-under-64-bit"),
    pytest.param(lambda: "x = 1." + "9" * 5000 + ";\ninfo x > 1;", "ok", None, ["true"], id="long-decimal-literal"),
    pytest.param(lambda: "x = 1e99999;", "parse", 1, None, id="exponent-literal"),
    # ---- characters and encodings
    pytest.param(lambda: "x = 1;\ny = 2;\nz = 3;\x00", "parse", 3, None, id="nul-byte"),
    pytest.param(lambda: b"x = 1;\x00", "parse", 1, None, id="nul-byte-in-bytes"),
    pytest.param(lambda: "x = 1; // \u202e\ninfo x;", "parse", 1, None, id="bidi-override"),
    pytest.param(lambda: b"x = \xff\xfe;", "parse", 1, None, id="invalid-utf8"),
    pytest.param(lambda: b"info 1; // \xe2\x82", "parse", 1, None, id="truncated-utf8"),
    pytest.param(lambda: b"x = \"\xed\xa0\x80\";", "parse", 1, None, id="encoded-surrogate-bytes"),
    pytest.param(lambda: b"x = \"\xc0\xaf\";", "parse", 1, None, id="overlong-utf8"),
    pytest.param(lambda: 'x = "\ud800";\ninfo x.length();', "ok", None, ["1"], id="lone-surrogate-in-text"),
    pytest.param(lambda: 'x = "\udfff";\ninfo x;', "ok", None, ["\udfff"], id="lone-surrogate-printed"),
    pytest.param(lambda: "x\ud800 = 1;", "parse", 1, None, id="lone-surrogate-in-name"),
    pytest.param(lambda: "\ufeffinfo 1;", "ok", None, ["1"], id="bom-text"),
    pytest.param(lambda: b"\xef\xbb\xbfinfo 1;", "ok", None, ["1"], id="bom-bytes"),
    pytest.param(lambda: "info 1;\n\ufeffinfo 2;", "parse", 2, None, id="bom-in-the-middle"),
    # ---- unterminated things at the end of a big file
    pytest.param(lambda: "x = 1;\n" * 14_000 + 'x = "abc', "parse", 14_001, None, id="unterminated-string-at-100kb"),
    pytest.param(lambda: "x = 1;\n" * 14_000 + "/* abc", "parse", 14_001, None, id="unterminated-comment-at-100kb"),
    pytest.param(lambda: "x = 1;\r" * 1000 + 'x = "abc', "parse", 1001, None, id="unterminated-string-after-cr-lines"),
    pytest.param(lambda: 'x = "' + "\\\\" * 50_000, "parse", 1, None, id="unterminated-string-of-escapes"),
    pytest.param(lambda: "x = 1;\n" * 14_000 + "x = ", "parse", 14_001, None, id="unfinished-statement-at-100kb"),
    # ---- long chains and many things
    pytest.param(lambda: _chain("+", "1"), "either", None, None, id="chain-of-plus-to-the-limit"),
    pytest.param(lambda: _chain("*", "1"), "either", None, ["1"], id="chain-of-times-to-the-limit"),
    pytest.param(lambda: _chain("&&", "true"), "either", None, ["true"], id="chain-of-and-to-the-limit"),
    pytest.param(lambda: _chain("||", "false"), "either", None, ["false"], id="chain-of-or-to-the-limit"),
    pytest.param(lambda: _chain(" + ", '"a"'), "either", None, None, id="chain-of-text-concatenation"),
    pytest.param(lambda: "x = " + "1+" * 2000 + "1;\ninfo x;", "either", None, ["2001"], id="chain-of-2000-plus"),
    pytest.param(lambda: 'x = "a"' + ".trim()" * 15_000 + ";\ninfo x;", "either", None, ["a"], id="method-chain-15000"),
    pytest.param(lambda: 'x = "a"' + ".trim()" * 1000 + ";\ninfo x;", "either", None, ["a"], id="method-chain-1000"),
    pytest.param(lambda: "x=1;" * 20_000 + "\ninfo x;", "ok", None, ["1"], id="20000-statements"),
    # a block comment over many lines: the comment pattern once backtracked exponentially on newlines
    pytest.param(lambda: "x = 1;\ny = 2; /* " + "a\n" * 60 + "\ninfo x;", "parse", 2, None,
                 id="unclosed-comment-over-lines"),
    pytest.param(lambda: "x = 1;\ny = f(/* " + "a\n" * 60 + ");", "parse", 2, None,
                 id="unclosed-comment-inside-a-call"),
    pytest.param(lambda: "x = 1;\n/* " + "a\r\n" * 5000 + "*/\ninfo x;", "ok", None, ["1"],
                 id="comment-over-5000-crlf-lines"),
    pytest.param(lambda: "x = {" + ",".join(["1"] * 40_000) + "};\ninfo x.size();", "ok", None, ["40000"],
                 id="list-literal-40000"),
    pytest.param(lambda: "x = {" + ",".join(f'"k{i}":1' for i in range(10_000)) + "};\ninfo x.size();", "ok", None,
                 ["10000"], id="map-literal-10000"),
    pytest.param(lambda: "x = 1;\nif (x == 0) { x = 1; }" + " else if (x == 2) { x = 3; }" * 3000 + "\ninfo x;",
                 "either", None, ["1"], id="else-if-chain-3000"),
    pytest.param(lambda: "".join(f"int f{i}() {{ return {i}; }}\n" for i in range(2000)) + "info f1999();", "ok", None,
                 ["1999"], id="2000-functions"),
    pytest.param(lambda: "int f(" + ",".join(f"int a{i}" for i in range(5000)) + ") { return 1; }\ninfo 1;", "ok",
                 None, ["1"], id="5000-parameters"),
]


@pytest.mark.parametrize("build, expect, line, output", CASES)
def test_hostile_source(build: Builder, expect: str, line: int | None, output: list[str] | None) -> None:
    source = build()
    result, error, seconds = _compile_and_run(source)
    if error is not None:
        assert expect in ("parse", "either"), f"expected the script to run, got {error.kind}: {error}"
        assert isinstance(error, deluge.ParseError) and error.kind == "parse", error
        assert error.line is not None and error.line >= 1, error
        if line is not None:
            assert error.line == line, error
        assert "Internal error" not in error.message
    else:
        assert result is not None
        assert expect in ("ok", "either"), f"expected a parse error, the script ran: {result.output[:3]}"
        assert result.error is None, describe(Outcome(result, seconds))
        if output is not None:
            assert result.output == output
    assert seconds < BOUND, f"compile + run took {seconds:.2f} s"


def test_parse_errors_come_back_from_run_too() -> None:
    # deluge.run never raises for a script's fault, whatever the source
    for source in ("x = " + "(" * 200, b"\xff", "x = " + "9" * 5000 + ";", "x = 1;\x00", "x = 1;\n" * 40_000):
        try:
            result = deluge.run(source, limits=LIMITS)
        except BaseException as exc:
            pytest.fail(f"run raised {type(exc).__name__} for {source[:20]!r}")
        assert result.error is not None and result.error.kind == "parse", result.error


def test_try_blocks_nested_past_pythons_block_limit_are_a_parse_error() -> None:
    # Python allows 20 statically nested blocks; the source nesting limit allows 64 (found by the fuzzer)
    source = "try {\n" * 30 + "x = 1;\n" + "} catch (e) { }\n" * 30
    result = deluge.run(source)
    assert result.error is not None and result.error.kind == "parse" and result.error.line is not None
    assert deluge.run("info 1;").output == ["1"]
