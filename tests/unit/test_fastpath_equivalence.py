"""Property test: optimized code (static types, specialized loops) gives the same results as plain code.

Hypothesis writes small Deluge programs from a grammar of statements over a few
variables and runs each twice, compiled normally and with `optimize=False`, on
inputs that mix whole numbers (near the 64-bit bounds too), decimals, texts,
booleans and nulls. Output, returned value, error kind and error line must be
the same, and so must the number of steps.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deluge.runtime.program import compile_program

INT_VARS = ["a", "b", "c"]
VALUES = st.one_of(
    st.integers(min_value=-20, max_value=20),
    st.sampled_from([9223372036854775807, -9223372036854775808, 4611686018427387904, 0, 1, -1]),
    st.floats(min_value=-100, max_value=100, allow_nan=False).map(lambda f: round(f, 2)),
    st.sampled_from(["x", "", "12", "abc"]),
    st.booleans(),
    st.none(),
)


def atom(draw: st.DrawFn) -> str:
    return draw(st.one_of(
        st.sampled_from(INT_VARS + ["x", "n"]),
        st.integers(min_value=-9, max_value=9).map(str),
        st.sampled_from(["2.5", '"t"', "9223372036854775807", "-9223372036854775807", "true", "null", "0"]),
    ))


@st.composite
def expression(draw: st.DrawFn, depth: int = 0) -> str:
    if depth >= 2 or draw(st.booleans()):
        return atom(draw)
    op = draw(st.sampled_from(["+", "-", "*", "/", "%", "==", "!=", "<", ">=", "&&"]))
    left = draw(expression(depth + 1))
    right = draw(expression(depth + 1))
    return f"({left} {op} {right})"


@st.composite
def statement(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.sampled_from(["assign", "assign", "compound", "info", "if", "loop", "try", "list"]
                                if depth < 2 else ["assign", "compound", "info", "list"]))
    if kind == "assign":
        # through if(): the value has no type known before running, so no strong-typing save error
        return f"{draw(st.sampled_from(INT_VARS))} = if(true, {draw(expression())}, null);"
    if kind == "compound":
        return f"{draw(st.sampled_from(INT_VARS))} {draw(st.sampled_from(['+=', '-=', '*=']))} {atom(draw)};"
    if kind == "info":
        return f"info {draw(expression())};"
    if kind == "list":
        return f"out.add({draw(expression())});"
    body = " ".join(draw(st.lists(statement(depth + 1), min_size=1, max_size=3)))
    if kind == "if":
        other = " ".join(draw(st.lists(statement(depth + 1), max_size=2)))
        return f"if ({draw(expression())} == {atom(draw)}) {{ {body} }} else {{ {other} }}"
    if kind == "loop":
        control = draw(st.sampled_from(["", "if (x == 3) { continue; }", "if (x == 7) { break; }"]))
        return f"for each x in items {{ {control} {body} }}"
    return f"try {{ {body} }} catch (e) {{ info \"caught \" + e.lineNo; }}"


@st.composite
def program(draw: st.DrawFn) -> str:
    lines = ["a = 0;", "b = 1;", "c = 2;", "n = 5;", "x = 0;", "out = List();"]
    lines += draw(st.lists(statement(), min_size=1, max_size=5))
    lines.append("info out;")
    return "\n".join(lines)


def outcome(source: str, items: list[object], optimize: bool) -> tuple[object, ...]:
    result = compile_program(source, cache=False, optimize=optimize).run({"items": items})
    error = result.error
    return (result.output, result.returned, None if error is None else (error.kind, error.line),
            result.stats.steps)


@settings(max_examples=int(os.environ.get("DELUGE_FUZZ_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(program(), st.lists(VALUES, max_size=8))
def test_optimized_code_behaves_like_plain_code(source: str, items: list[object]) -> None:
    assert outcome(source, items, True) == outcome(source, items, False), source


ROW_VALUES = st.one_of(st.integers(min_value=-5, max_value=50), st.sampled_from(["a", "", 2.5, None, True]))


@st.composite
def row_program(draw: st.DrawFn) -> str:
    """Loops over maps and texts: speculated map receivers, text joins, nested loops."""
    body = draw(st.lists(st.sampled_from([
        'total = total + r.get("v");',
        'if (r.get("v") > 10) { big.add(r.get("k")); } else { small.put(r.get("k"), r.get("v")); }',
        's = s.trim() + ":" + r.get("k") + s.length();',
        'for each y in ys { if (y % 2 == 0) { total = total + y * r.get("v"); } else { s = s + y; } }',
        'if (r.containKey("k")) { seen.put(r.get("k"), ifnull(seen.get(r.get("k")), 0) + 1); }',
        "count = count + 1;",
        'if (s.length() > 40) { s = s.subString(0, 10); }',
        "try { q = 100 / r.get(\"v\"); } catch (e) { info \"div \" + e.lineNo; }",
    ]), min_size=1, max_size=4))
    return "\n".join([
        "total = 0;", "count = 0;", 's = "";', "big = List();", "small = Map();", "seen = Map();",
        "for each r in rows", "{", *body, "}",
        "info total;", "info count;", "info s;", "info big;", "info small;", "info seen;",
    ])


@settings(max_examples=int(os.environ.get("DELUGE_FUZZ_EXAMPLES", "200")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(row_program(),
       st.lists(st.one_of(st.fixed_dictionaries({"k": st.sampled_from(["p", "q", "r"]), "v": ROW_VALUES}),
                          st.sampled_from(["text", 3])), max_size=6),
       st.lists(st.one_of(st.integers(min_value=-4, max_value=9), st.sampled_from([2.5, "z", None])), max_size=4))
def test_optimized_loops_over_maps_behave_like_plain_code(source: str, rows: list[object], ys: list[object]) -> None:
    def run(optimize: bool) -> tuple[object, ...]:
        result = compile_program(source, cache=False, optimize=optimize).run({"rows": rows, "ys": ys})
        error = result.error
        return (result.output, None if error is None else (error.kind, error.line), result.stats.steps)

    assert run(True) == run(False), source
