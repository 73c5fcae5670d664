"""Attacks that try to exhaust a budget: steps, time, memory, text and collection sizes,
data depth, output, work, regular expressions, JSON, and stopping a run from outside.

Each attack must end with the exact `budget` (or `runtime`) error named below, at the
line where it makes sense, and the run must stay within its limits while it gets there.
"""

from __future__ import annotations

import threading
import time

import pytest
from _support import SMALL, attack, describe, expect_budget, expect_runtime, unique

from deluge import Limits
from deluge.runtime.program import compile_program

MiB = 1024 * 1024

# ---------------------------------------------------------------- steps: loops and calls

BIG_LIST = 'l = "1".repeat(300).toList("");\n'

STEP_ATTACKS = [
    pytest.param(
        BIG_LIST + "for each a in l\n{\n\tfor each b in l\n\t{\n\t\tx = 1;\n\t}\n}\n",
        4, id="nested-for-each"),
    pytest.param(
        BIG_LIST + "for each a in l\n{\n\tfor each b in l\n\t{\n\t\tfor each c in l\n\t\t{\n\t\t\tx = a + b + c;\n"
        "\t\t}\n\t}\n}\n",
        6, id="triple-nested-for-each"),
    pytest.param(
        BIG_LIST + "for each index i in l\n{\n\tfor each index j in l\n\t{\n\t\tx = i * j;\n\t}\n}\n",
        4, id="nested-for-each-index"),
    pytest.param(
        BIG_LIST + "total = 0;\nfor each a in l\n{\n\tfor each b in l\n\t{\n\t\ttry\n\t\t{\n\t\t\ttotal = total + 1;\n"
        "\t\t}\n\t\tcatch (e)\n\t\t{\n\t\t\tinfo e;\n\t\t}\n\t}\n}\n",
        5, id="nested-loop-with-try"),
    pytest.param(
        "int fib(int n)\n{\n\tif (n < 2)\n\t{\n\t\treturn n;\n\t}\n\treturn fib(n - 1) + fib(n - 2);\n}\n"
        "info fib(40);\n",
        None, id="exponential-recursion"),
    pytest.param(
        BIG_LIST + "m = Map();\nfor each a in l\n{\n\tfor each b in l\n\t{\n\t\tm.put(\"k\", b);\n"
                   "\t\tcontinue;\n\t}\n}\n",
        5, id="nested-loop-with-continue"),
]


@pytest.mark.parametrize("source, line", STEP_ATTACKS)
def test_step_limit_stops_long_loops(source: str, line: int | None) -> None:
    outcome = attack(source)
    expect_budget(outcome, "steps", SMALL, line=line)


def test_steps_cannot_be_caught_by_try() -> None:
    source = BIG_LIST + (
        "try\n{\n\tfor each a in l\n\t{\n\t\tfor each b in l\n\t\t{\n\t\t\tx = 1;\n\t\t}\n\t}\n}\n"
        "catch (e)\n{\n\tinfo \"caught \" + e;\n}\ninfo \"after\";\n"
    )
    outcome = attack(source)
    expect_budget(outcome, "steps", SMALL, line=6)
    assert outcome.result.output == []


def test_straight_line_code_is_held_to_the_step_limit() -> None:
    # 2,000 statements without a loop or call: a successful run may not report more
    # executed steps than its limit allows.
    limits = Limits(steps=1_000, wall_time=2.0)
    outcome = attack("x = 1;\n" * 2_000, limits)
    expect_budget(outcome, "steps", limits)


def test_step_count_after_a_step_error_is_not_counted_twice() -> None:
    # 40 statements in one segment, then a loop: the limit names the 31st statement, the one
    # that crossed it, and the reported count is the limit plus that one step, not the overshoot.
    limits = Limits(steps=30, wall_time=2.0)
    source = "x = 1;\n" * 40 + "for each i in {1, 2, 3}\n{\n\ty = 2;\n}\n"
    outcome = attack(source, limits)
    assert outcome.error is not None and getattr(outcome.error, "limit", None) == "steps"
    assert outcome.error.line == 31
    assert outcome.result.stats.steps == 31, outcome.result.stats


def test_step_error_inside_a_loop_counts_the_crossing_step_once() -> None:
    limits = Limits(steps=100, wall_time=2.0)
    source = "x = 0;\nfor each i in items\n{\n\tx = x + 1;\n}\n"
    outcome = attack(source, limits, context={"items": list(range(1000))})
    assert outcome.error is not None and getattr(outcome.error, "limit", None) == "steps"
    assert outcome.error.line == 2
    assert outcome.result.stats.steps == 101, outcome.result.stats


# ---------------------------------------------------------------- call depth and recursion

CALL_DEPTH_ATTACKS = [
    pytest.param("int f(int n)\n{\n\treturn f(n + 1);\n}\ninfo f(1);\n", 3, id="unbounded-recursion"),
    pytest.param(
        "int ping(int n)\n{\n\treturn pong(n + 1);\n}\nint pong(int n)\n{\n\treturn ping(n + 1);\n}\ninfo ping(0);\n",
        None, id="mutual-recursion"),
    pytest.param(
        "void f(list acc)\n{\n\tacc.add(1);\n\tf(acc);\n}\nf(List());\n", 4, id="void-recursion-growing-a-list"),
    pytest.param(
        "int f(int n)\n{\n\ttry\n\t{\n\t\treturn f(n + 1);\n\t}\n\tcatch (e)\n\t{\n\t\treturn -1;\n\t}\n}\n"
        "info f(0);\n",
        5, id="recursion-inside-try"),
]


@pytest.mark.parametrize("source, line", CALL_DEPTH_ATTACKS)
def test_call_depth_limit_stops_recursion(source: str, line: int | None) -> None:
    outcome = attack(source)
    expect_budget(outcome, "call_depth", SMALL, line=line)
    assert outcome.result.output == []


def test_recursion_past_pythons_stack_is_a_budget_error() -> None:
    # A host that raises call_depth far past what Python's stack holds still gets a budget
    # error (Python's RecursionError caught at the edge), never a crash.
    limits = Limits(steps=1_000_000, call_depth=1_000_000, wall_time=2.0)
    source = "int f(int n)\n{\n\tif (n == 0)\n\t{\n\t\treturn 0;\n\t}\n\treturn 1 + f(n - 1);\n}\ninfo f(100000);\n"
    outcome = attack(source, limits)
    expect_budget(outcome, "recursion", limits)


# ---------------------------------------------------------------- text length

TEXT_ATTACKS = [
    pytest.param('s = "ab";\nfor each i in "1".repeat(40).toList("")\n{\n\ts = s + s;\n}\n', 4, id="string-doubling"),
    pytest.param('s = "ab";\nfor each i in "1".repeat(40).toList("")\n{\n\ts += s;\n}\n'
                 '', 4, id="string-doubling-compound"),
    pytest.param('s = "ab";\nfor each i in "1".repeat(40).toList("")\n{\n\ts = s.concat(s);\n}\n', 4,
                 id="string-doubling-concat"),
    pytest.param('s = "x".repeat(10000000);\n', 1, id="repeat-huge"),
    pytest.param('s = "x".repeat(3000);\nt = s.repeat(3000);\n', 2, id="repeat-of-repeat"),
    pytest.param('s = "x".leftPad(6000000);\n', 1, id="leftpad-huge"),
    pytest.param('s = "x".rightPad(6000000);\n', 1, id="rightpad-huge"),
    pytest.param('s = "a".repeat(3000000);\nt = s.replaceAll("a", "bb");\n', 2, id="replaceall-literal-growth"),
    pytest.param('s = "a".repeat(2000000);\nt = s.replaceAll("(a+)", "$1$1$1");\n', 2, id="replaceall-group-growth"),
    pytest.param('s = "ab".repeat(5000);\nfor each i in "1".repeat(20).toList("")\n{\n'
                 '\ts = s.replaceAll("a", "aa");\n}\n',
                 4, id="replaceall-in-a-loop"),
    pytest.param('a = "x".repeat(2600000);\nb = "y".repeat(2600000);\nc = a + b;\n', 3, id="two-texts-under-the-limit"),
]


@pytest.mark.parametrize("source, line", TEXT_ATTACKS)
def test_text_length_limit(source: str, line: int) -> None:
    outcome = attack(source, traced=True)
    expect_budget(outcome, "text_length", SMALL, line=line)
    # nothing over the limit was built: the peak stays near two texts at the limit
    assert outcome.peak is not None and outcome.peak < 48 * MiB, outcome.peak


# ---------------------------------------------------------------- collection size

COLLECTION_ATTACKS = [
    pytest.param('l = {1};\nfor each i in "1".repeat(30).toList("")\n{\n\tl.addAll(l);\n}\n', 4, id="list-doubling"),
    pytest.param('l = List();\nfor each i in "1".repeat(5000).toList("")\n{\n'
                 '\tl.addAll({1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,'
                 '16,17,18,19,20,21,22,23,24,25});\n}\n', 4, id="list-growth-addall"),
    pytest.param('m = Map();\nfor each i in "1".repeat(300).toList("")\n{\n\tfor each j in "1".repeat(300).toList("")\n'
                 '\t{\n\t\tm.put(m.size(), j);\n\t}\n}\n', 6, id="map-growth-put"),
    pytest.param('m = Map();\nfor each i in "1".repeat(200).toList("")\n{\n\tfor each j in "1".repeat(200).toList("")\n'
                 '\t{\n\t\tm.put(m.size(), j);\n\t\tm.put(m.size(), j);\n\t}\n}\n', 6, id="map-growth-two-puts"),
    pytest.param('l = "1".repeat(200000).toList("");\n', 1, id="tolist-of-long-text"),
    pytest.param('l = "1,".repeat(150000).toList(",");\n', 1, id="tolist-with-separator"),
]


@pytest.mark.parametrize("source, line", COLLECTION_ATTACKS)
def test_collection_size_limit(source: str, line: int) -> None:
    limits = Limits(steps=200_000, wall_time=2.0, collection_size=50_000)
    outcome = attack(source, limits)
    expect_budget(outcome, "collection_size", limits, line=line)


# ---------------------------------------------------------------- whole numbers

OVERFLOW_ATTACKS = [
    pytest.param("x = 9223372036854775807;\ny = x + 1;\n", 2, id="max-plus-one"),
    pytest.param("x = 9223372036854775807;\nx += 1;\n", 2, id="compound-add"),
    pytest.param("x = -9223372036854775808;\ny = x * -1;\n", 2, id="min-times-minus-one"),
    pytest.param("x = -9223372036854775808;\ny = x / -1;\n", 2, id="min-divided-by-minus-one"),
    pytest.param("x = -9223372036854775808;\ny = abs(x);\n", 2, id="abs-of-min"),
    pytest.param('x = 1;\nfor each i in "1".repeat(70).toList("")\n{\n\tx = x * 10;\n}\n', 4, id="growth-in-a-loop"),
    pytest.param('x = 3;\nfor each i in "1".repeat(70).toList("")\n{\n\tx = x * x;\n}\n', 4, id="squaring-in-a-loop"),
]


@pytest.mark.parametrize("source, line", OVERFLOW_ATTACKS)
def test_whole_number_overflow_is_a_runtime_error(source: str, line: int) -> None:
    outcome = attack(source)
    expect_runtime(outcome, SMALL, line=line, contains="64-bit")


# ---------------------------------------------------------------- data nesting

NESTING_ATTACKS = [
    pytest.param('a = List();\nb = a;\nfor each i in "1".repeat(200).toList("")\n{\n\tc = List();\n'
                 '\tc.add(b);\n\tb = c;\n}\n'
                 'info b;\n', 9, id="lists-in-lists-printed"),
    pytest.param('m = Map();\nm.put("self", m);\ninfo m;\n', 3, id="self-containing-map-printed"),
    pytest.param('l = List();\nl.add(l);\ninfo l;\n', 3, id="self-containing-list-printed"),
    pytest.param('l = List();\nl.add(l);\ns = l.toString();\n', 3, id="self-containing-list-tostring"),
    pytest.param('m = Map();\nm.put("self", m);\nreturn m;\n', None, id="self-containing-map-returned"),
    pytest.param('a = Map();\na.put("s", a);\nb = Map();\nb.put("s", b);\ninfo a == b;\n', 5,
                 id="self-containing-maps-compared"),
    pytest.param('l = List();\nl.add(l);\ninfo l.contains(l);\n', 3, id="self-containing-list-contains"),
    pytest.param('m = Map();\nm.put("self", m);\ninfo m.toString().length();\n', 3, id="self-containing-map-tostring"),
    pytest.param('l = List();\nl.add(l);\nm = Map();\nm.put(l, 1);\n', 4, id="self-containing-list-as-map-key"),
    pytest.param('m = Map();\nm.put("a", m);\ninfo m.containsValue(m);\n', 3, id="self-containing-map-containsvalue"),
    pytest.param('m = Map();\nm.put("a", m);\nx = m.toXML();\n', 3, id="self-containing-map-toxml"),
]


@pytest.mark.parametrize("source, line", NESTING_ATTACKS)
def test_data_nesting_limit(source: str, line: int | None) -> None:
    outcome = attack(source)
    expect_budget(outcome, "data_nesting", SMALL, line=line)


# ---------------------------------------------------------------- output floods

def test_output_lines_flood() -> None:
    limits = Limits(steps=20_000, wall_time=2.0, output_lines=100)
    outcome = attack('for each i in "1".repeat(2000).toList("")\n{\n\tinfo i;\n}\n', limits)
    expect_budget(outcome, "output_lines", limits, line=3)
    assert outcome.result.output == ["1"] * 100


def test_output_line_chars_flood() -> None:
    limits = Limits(steps=20_000, wall_time=2.0, output_line_chars=10_000)
    outcome = attack('info "ok";\ninfo "a".repeat(10001);\n', limits)
    expect_budget(outcome, "output_line_chars", limits, line=2)
    assert outcome.result.output == ["ok"]


def test_output_bytes_flood() -> None:
    limits = Limits(steps=20_000, wall_time=2.0, output_bytes=100_000)
    outcome = attack('s = "a".repeat(9999);\nfor each i in "1".repeat(100).toList("")\n{\n\tinfo s;\n}\n', limits)
    expect_budget(outcome, "output_bytes", limits, line=4)
    assert len(outcome.result.output) == 10


def test_output_bytes_counts_multibyte_characters() -> None:
    limits = Limits(steps=20_000, wall_time=2.0, output_bytes=100_000)
    outcome = attack('s = "€".repeat(9000);\nfor each i in "1".repeat(100).toList("")\n{\n\tinfo s;\n}\n', limits)
    expect_budget(outcome, "output_bytes", limits, line=4)
    assert len(outcome.result.output) == 3


# ---------------------------------------------------------------- work inside built-ins

WORK_ATTACKS = [
    pytest.param('l = "1".repeat(50000).toList("");\nfor each i in "1".repeat(2000).toList("")\n{\n'
                 '\tx = l.sort();\n}\n',
                 4, id="sort-big-list-many-times"),
    pytest.param('l = "1".repeat(50000).toList("");\nfor each i in "1".repeat(2000).toList("")\n{\n'
                 '\tx = l.toString(",");\n}\n', 4, id="join-big-list-many-times"),
    pytest.param('l = "1".repeat(50000).toList("");\nfor each i in "1".repeat(2000).toList("")\n{\n'
                 '\tx = l.distinct();\n}\n', 4, id="distinct-big-list-many-times"),
    pytest.param('s = "ab".repeat(200000);\nfor each i in "1".repeat(2000).toList("")\n{\n'
                 '\tx = s.indexOf("c");\n}\n', 4, id="search-big-text-many-times"),
]


@pytest.mark.parametrize("source, line", WORK_ATTACKS)
def test_work_limit(source: str, line: int) -> None:
    limits = Limits(steps=20_000, wall_time=2.0, work=2_000_000)
    outcome = attack(source, limits)
    expect_budget(outcome, "work", limits, line=line)
    assert outcome.seconds < 1.5


# ---------------------------------------------------------------- allocation

ALLOCATION_ATTACKS = [
    pytest.param('for each i in "1".repeat(2000).toList("")\n{\n\tx = "a".repeat(5000) + i;\n}\n', 3,
                 id="fresh-texts-in-a-loop"),
    pytest.param('b = "a".repeat(5000);\nfor each i in "1".repeat(2000).toList("")\n{\n\tx = b + i;\n}\n', 4,
                 id="concatenation-in-a-loop"),
    pytest.param('b = "a".repeat(5000);\nfor each i in "1".repeat(2000).toList("")\n{\n\tx = b.toUpperCase();\n}\n', 4,
                 id="touppercase-in-a-loop"),
    pytest.param('b = "a".repeat(5000);\nfor each i in "1".repeat(2000).toList("")\n{\n'
                 '\tx = b.replaceAll("a", "b");\n}\n',
                 4, id="replaceall-in-a-loop"),
    pytest.param('l = List();\nfor each i in "1".repeat(2000).toList("")\n{\n'
                 '\tl = "1".repeat(5000).toList("");\n}\n', 4,
                 id="fresh-lists-in-a-loop"),
]


@pytest.mark.parametrize("source, line", ALLOCATION_ATTACKS)
def test_allocation_limit(source: str, line: int) -> None:
    limits = Limits(steps=20_000, wall_time=2.0, allocation=1_000_000)
    outcome = attack(source, limits)
    expect_budget(outcome, "allocation", limits, line=line)


# ---------------------------------------------------------------- JSON bombs

JSON_NESTING_ATTACKS = [
    pytest.param('s = "[".repeat(5000) + "]".repeat(5000);\nl = s.toJSONList();\n', 2, id="nested-arrays-tojsonlist"),
    pytest.param('s = "{\\"a\\":".repeat(5000) + "1" + "}".repeat(5000);\nm = s.toMap();\n'
                 '', 2, id="nested-objects-tomap"),
    pytest.param('s = "{\\"a\\":" + "[".repeat(5000) + "]".repeat(5000) + "}";\nm = s.toMap();\n', 2,
                 id="nested-arrays-in-an-object"),
    pytest.param('s = "{\\"a\\":" + "[".repeat(5000) + "]".repeat(5000) + "}";\nm = s.getJSON("a");\n', 2,
                 id="nested-arrays-getjson"),
    pytest.param('s = "[".repeat(200000);\nl = s.toJSONList();\n', 2, id="unclosed-arrays"),
]


@pytest.mark.parametrize("source, line", JSON_NESTING_ATTACKS)
def test_json_nesting_limit(source: str, line: int) -> None:
    outcome = attack(source)
    expect_budget(outcome, "data_nesting", SMALL, line=line)


def test_large_json_text() -> None:
    limits = Limits(steps=20_000, wall_time=2.0, json_bytes=1_000_000)
    outcome = attack('s = "[" + "1,".repeat(600000) + "1]";\nl = s.toJSONList();\ninfo l.size();\n', limits)
    expect_budget(outcome, "json_bytes", limits, line=2)


def test_large_json_object() -> None:
    limits = Limits(steps=20_000, wall_time=2.0, json_bytes=1_000_000)
    outcome = attack('s = "{\\"a\\":\\"" + "x".repeat(1100000) + "\\"}";\nm = s.toMap();\n', limits)
    expect_budget(outcome, "json_bytes", limits, line=2)


# ---------------------------------------------------------------- wall time and CPU time

SPIN = ('l = "1".repeat(400).toList("");\nfor each a in l\n{\n\tfor each b in l\n\t{\n\t\tfor each c in l\n\t\t{\n'
        '\t\t\tx = 1;\n\t\t}\n\t}\n}\n')


def test_wall_time_limit_stops_a_loop_with_a_big_step_budget() -> None:
    limits = Limits(steps=10**9, wall_time=0.3)
    outcome = attack(SPIN, limits)
    expect_budget(outcome, "wall_time", limits)
    assert outcome.seconds < 0.3 + 1.0


def test_parse_and_compile_time_count_against_the_wall_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # LANGUAGE.md 8: the wall time covers parse, analysis and execution. A compile slower than
    # the whole budget (simulated) ends the run before its first statement.
    import deluge as api

    real = api.compile_program

    def slow_compile(*args: object, **kwargs: object) -> object:
        time.sleep(0.4)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "compile_program", slow_compile)
    result = api.run('info "ran";', limits=Limits(wall_time=0.3))
    assert result.error is not None and result.error.kind == "budget"
    assert result.error.limit == "wall_time" and result.output == []  # type: ignore[attr-defined]
    assert result.stats.elapsed >= 0.4


def test_time_spent_before_the_run_shortens_its_deadline() -> None:
    limits = Limits(steps=10**9, wall_time=5.0)
    program = compile_program(SPIN, limits=limits)
    started = time.perf_counter()
    result = program.run(limits=limits, spent=4.7)
    assert result.error is not None and result.error.limit == "wall_time"  # type: ignore[attr-defined]
    assert time.perf_counter() - started < 0.3 + 1.0


def test_cpu_time_limit_stops_a_loop_with_a_big_step_budget() -> None:
    limits = Limits(steps=10**9, wall_time=10.0, cpu_time=0.3)
    outcome = attack(SPIN, limits)
    expect_budget(outcome, "cpu_time", limits)
    assert outcome.seconds < 0.3 + 1.0


# ---------------------------------------------------------------- regular expressions

def test_catastrophic_backtracking_hits_the_regex_time_limit() -> None:
    limits = Limits(steps=20_000, wall_time=5.0, regex_seconds=0.3)
    outcome = attack('s = "a".repeat(40) + "!";\ninfo "before";\ninfo s.matches("(a|aa)+$");\n', limits)
    expect_budget(outcome, "regex_time", limits, line=3)
    assert outcome.result.output == ["before"]
    assert outcome.seconds < 0.3 + 1.0


def test_catastrophic_backtracking_cannot_be_caught() -> None:
    limits = Limits(steps=20_000, wall_time=5.0, regex_seconds=0.3)
    source = ('s = "a".repeat(40) + "!";\ntry\n{\n\tx = s.replaceAll("(a|a)+$", "b");\n}\ncatch (e)\n{\n'
              '\tinfo "caught";\n}\n')
    outcome = attack(source, limits)
    expect_budget(outcome, "regex_time", limits, line=4)
    assert outcome.result.output == []
    assert outcome.seconds < 0.3 + 1.0


def test_regex_time_never_passes_the_runs_wall_time() -> None:
    # The per-call limit (1 s) is longer than what is left of the run (0.5 s): the call is
    # stopped when the run's wall time is used up, at its own line. Two stops race here, both
    # right: the regex engine's own timeout (regex_time, "until the run's wall time was used
    # up") and, on a loaded machine where the engine notices its timeout late, the watchdog's
    # (wall_time, 0.1 s after the deadline).
    limits = Limits(steps=20_000, wall_time=0.5, regex_seconds=1.0)
    source = 's = "a".repeat(40) + "!";\ninfo "before";\nx = s.matches("(a|aa)+$");\ninfo "after";\n'
    outcome = attack(source, limits)
    limit = getattr(outcome.error, "limit", None)
    assert limit in ("regex_time", "wall_time"), describe(outcome)
    expect_budget(outcome, limit, limits, line=3)
    assert "wall time" in outcome.error.message  # type: ignore[union-attr]
    assert outcome.result.output == ["before"]
    assert outcome.seconds < 0.5 + 1.0


OVERSIZE_PATTERNS = [
    pytest.param('info "a".matches("a".repeat(2000));\n', "limit is 1000", id="pattern-too-long"),
    pytest.param('info "a".matches("((a{50}){50}){50}");\n', "repeats too much", id="nested-counted-repetition"),
    pytest.param('info "a".replaceAll("(((a{100}){100}){100})", "b");\n'
                 '', "repeats too much", id="replaceall-repetition"),
    pytest.param('info "a".matches("a{1000000}");\n', "repeats too much", id="one-huge-repetition"),
]


@pytest.mark.parametrize("source, message", OVERSIZE_PATTERNS)
def test_oversize_regex_patterns_are_runtime_errors(source: str, message: str) -> None:
    outcome = attack(source)
    expect_runtime(outcome, SMALL, line=1, contains=message)
    assert outcome.seconds < 1.0


# ---------------------------------------------------------------- integration calls

class _Tasks:
    """A host whose integration tasks answer at once."""

    def __init__(self) -> None:
        self.calls = 0

    def tasks(self, ex: object, name: str, args: tuple[object, ...]) -> object:
        self.calls += 1
        return {"ok": 1}


class _Http:
    def __init__(self, body: str = "ok") -> None:
        self.body = body
        self.calls = 0

    def invokeurl(self, ex: object, url: str, method: str, entries: object) -> str:
        self.calls += 1
        return self.body


class _HttpHost:
    def __init__(self, body: str = "ok") -> None:
        self.http = _Http(body)


def test_http_calls_limit() -> None:
    limits = Limits(steps=20_000, wall_time=2.0, http_calls=5)
    host = _HttpHost()
    source = 'for each i in "1".repeat(300).toList("")\n{\n\tr = getUrl("https://api.example.com/x");\n}\n'
    outcome = attack(source, limits, host=host, grant="all")
    expect_budget(outcome, "http_calls", limits, line=3)
    assert host.http.calls == 5


def test_task_calls_limit() -> None:
    limits = Limits(steps=20_000, wall_time=2.0, task_calls=5)
    host = _Tasks()
    source = 'for each i in "1".repeat(300).toList("")\n{\n\tr = zoho.crm.getRecords("Leads");\n}\n'
    outcome = attack(source, limits, host=host, grant="all")
    expect_budget(outcome, "task_calls", limits, line=3)
    assert host.calls == 5


def test_post_calls_limit() -> None:
    limits = Limits(steps=20_000, wall_time=2.0, post_calls=5)
    host = _Tasks()
    source = 'for each i in "1".repeat(300).toList("")\n{\n\tr = zoho.cliq.postToChannel("general", "spam");\n}\n'
    outcome = attack(source, limits, host=host, grant="all")
    expect_budget(outcome, "post_calls", limits, line=3)
    assert host.calls == 5


def test_response_bytes_limit() -> None:
    limits = Limits(steps=20_000, wall_time=2.0, response_bytes=1_000)
    host = _HttpHost("x" * 100_000)
    outcome = attack('r = getUrl("https://api.example.com/x");\ninfo r.length();\n', limits, host=host, grant="all")
    expect_budget(outcome, "response_bytes", limits, line=1)


# ---------------------------------------------------------------- memory

def test_resident_memory_limit_stops_a_run() -> None:
    # 40 texts of 4 MB each (160 MB) kept alive, then a spin: the watchdog sees the growth
    # of the resident memory and stops the run long before it has all of them.
    limits = Limits(steps=10**9, wall_time=3.0, memory=32 * MiB)
    source = ('keep = List();\nfor each i in "1".repeat(40).toList("")\n{\n\tkeep.add("a".repeat(4000000) + i);\n}\n'
              + SPIN.replace("l = ", "spin = ").replace(" in l", " in spin"))
    outcome = attack(source, limits)
    expect_budget(outcome, "memory", limits)
    assert outcome.seconds < 1.5


# ---------------------------------------------------------------- cancelling a run

class _CancellingHost:
    """The only way a host reaches a run's `Execution` is a callback such as a task: it cancels
    the run from another thread 0.2 s later."""

    def __init__(self) -> None:
        self.timer: threading.Timer | None = None

    def tasks(self, ex: object, name: str, args: tuple[object, ...]) -> object:
        self.timer = threading.Timer(0.2, ex.cancel)  # type: ignore[attr-defined]
        self.timer.start()
        return {"ok": 1}


def test_cancel_from_another_thread_stops_a_run() -> None:
    limits = Limits(steps=10**9, wall_time=5.0)
    host = _CancellingHost()
    source = 'r = zoho.crm.getRecords("Leads");\ninfo "started";\n' + SPIN
    started = time.perf_counter()
    outcome = attack(unique(source), limits, host=host, grant=["task:zoho.crm.getRecords"])
    expect_budget(outcome, "cancelled", limits)
    assert outcome.result.output == ["started"]
    assert time.perf_counter() - started < 0.2 + 1.0
    assert host.timer is not None
    host.timer.join()
