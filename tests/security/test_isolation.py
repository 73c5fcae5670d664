"""Runs must not see or disturb each other: values, output, meters, system variables,
threads, the watchdog, and memory left behind by a run that was stopped.
"""

from __future__ import annotations

import copy
import gc
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from _support import SMALL, attack, expect_budget, expect_ok, unique

import deluge
from deluge import Limits
from deluge.builtins import registry
from deluge.runtime import execution

MiB = 1024 * 1024

# ---------------------------------------------------------------- values across the host boundary

def test_context_map_mutated_by_the_script_leaves_the_hosts_dict_alone() -> None:
    context = {"m": {"a": 1, "inner": {"b": [1, 2]}}, "l": [1, {"c": 3}]}
    before = copy.deepcopy(context)
    source = ('m.put("a", 99);\nm.get("inner").put("x", 1);\nm.get("inner").get("b").add(3);\nl.add(4);\n'
              'l.get(1).put("c", 0);\nm.remove("inner");\ninfo m;\ninfo l;\n')
    outcome = attack(source, context=context)
    expect_ok(outcome, SMALL, ['{"a":99}', '1,{"c":0},4'])
    assert context == before


def test_a_returned_list_fed_into_the_next_run_is_a_copy() -> None:
    first = attack('l = {1, {"k": "v"}};\nreturn l;\n')
    expect_ok(first, SMALL)
    value = first.result.value
    snapshot = copy.deepcopy(value)
    second = attack('v.add(2);\nv.get(1).put("k", "changed");\nreturn v;\n', context={"v": value})
    expect_ok(second, SMALL)
    assert value == snapshot
    assert second.result.returned == '1,{"k":"changed"},2'
    assert second.result.value is not value


def test_literals_are_fresh_in_every_run_of_one_program() -> None:
    program = deluge.compile(unique('m = {"n": 0};\nl = {1};\nm.put("n", m.get("n") + 1);\nl.add(2);\n'
                                    'return {"m": m, "l": l};\n'))
    results = [program.run(limits=SMALL) for _ in range(3)]
    assert [r.returned for r in results] == ['{"m":{"n":1},"l":[1,2]}'] * 3
    # the host changing one result touches no other
    results[0].value["m"]["n"] = 42
    assert results[1].value["m"]["n"] == 1
    assert program.run(limits=SMALL).returned == '{"m":{"n":1},"l":[1,2]}'


def test_system_variables_of_one_run_do_not_leak_into_the_next() -> None:
    program = deluge.compile(unique("info zoho.loginuser;\ninfo zoho.adminuserid;\n"))
    first = program.run({"zoho": {"loginuser": "alice@example.com", "adminuserid": "root@example.com"}},
                        limits=SMALL)
    second = program.run(limits=SMALL)
    assert first.output == ["alice@example.com", "root@example.com"]
    assert second.output == ["user@example.com", "admin@example.com"]


def test_the_current_execution_is_cleared_after_every_run() -> None:
    assert execution.current() is None
    attack('info "ok";\n')
    assert execution.current() is None
    attack('l = "1".repeat(300).toList("");\nfor each a in l\n{\n\tfor each b in l\n\t{\n\t\tx = 1;\n\t}\n}\n')
    assert execution.current() is None


def test_a_program_cached_for_loose_limits_still_obeys_tight_ones() -> None:
    source = unique("x = " + "(" * 20 + "1" + ")" * 20 + ";\ninfo x;\n")
    assert deluge.run(source, limits=SMALL).output == ["1"]
    result = deluge.run(source, limits=Limits(steps=20_000, wall_time=2.0, source_nesting=10))
    assert result.error is not None and result.error.kind == "parse", result.error
    result = deluge.run(source, limits=Limits(steps=20_000, wall_time=2.0, source_bytes=50))
    assert result.error is not None and result.error.kind == "parse", result.error


@pytest.mark.parametrize("context", [
    pytest.param("dict", id="dict"),
    pytest.param("list", id="list"),
    pytest.param("zoho", id="system-variable"),
])
def test_host_data_that_contains_itself_is_refused_before_the_run(context: str) -> None:
    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    looped: list[Any] = []
    looped.append(looped)
    values = {"dict": {"x": cyclic}, "list": {"x": looped}, "zoho": {"x": 1, "zoho": {"loginuser": cyclic}}}
    outcome = attack('info "ran";\ninfo x;\n', context=values[context])
    expect_budget(outcome, "data_nesting", SMALL)
    assert outcome.result.output == []


def test_host_numbers_beyond_64_bits_become_decimals_like_json_numbers() -> None:
    # a 64-bit NUMBER cannot hold 2**70: the script sees the DECIMAL that toMap() gives for it
    source = 'info big;\ninfo big == "{\\"n\\": 1180591620717411303424}".toMap().get("n");\ninfo small + 1;\n'
    result = deluge.run(source, {"big": 2**70, "small": 2**63 - 2})
    assert result.error is None, result.error
    assert result.output == ["1180591620717411300000.0", "true", str(2**63 - 1)]
    with pytest.raises(ValueError, match="DECIMAL"):
        deluge.run("info x;", {"x": 10**400})


# ---------------------------------------------------------------- a failed run leaves the thread clean

FAILING = [
    pytest.param('l = "1".repeat(300).toList("");\nfor each a in l\n{\n\tfor each b in l\n\t{\n\t\tx = 1;\n\t}\n}\n',
                 "steps", id="steps"),
    pytest.param("int f(int n)\n{\n\treturn f(n + 1);\n}\ninfo f(0);\n", "call_depth", id="call-depth"),
    pytest.param('s = "ab";\nfor each i in "1".repeat(40).toList("")\n{\n\ts = s + s;\n}\n', "text_length",
                 id="text-length"),
    pytest.param('for each i in "1".repeat(2000).toList("")\n{\n\tinfo i;\n}\n', "output_lines", id="output"),
    pytest.param('m = Map();\nm.put("self", m);\ninfo m;\n', "data_nesting", id="data-nesting"),
    pytest.param('s = "a".repeat(40) + "!";\ninfo s.matches("(a|aa)+$");\n', "regex_time", id="regex-time"),
]

NORMAL = ('int f(int n)\n{\n\tif (n == 0)\n\t{\n\t\treturn 0;\n\t}\n\treturn 1 + f(n - 1);\n}\n'
          'total = 0;\nfor each i in "1".repeat(1000).toList("")\n{\n\ttotal = total + 1;\n}\n'
          'info total;\ninfo f(60);\ninfo "ab".repeat(3000).length();\ninfo "aaa!".matches("(a|aa)+$");\n')


@pytest.mark.parametrize("source, limit", FAILING)
def test_a_run_after_a_budget_error_in_the_same_thread_is_normal(source: str, limit: str) -> None:
    limits = Limits(steps=20_000, wall_time=2.0, output_lines=100, regex_seconds=0.2)
    failed = attack(source, limits)
    expect_budget(failed, limit, limits)
    after = attack(NORMAL, limits)
    expect_ok(after, limits, ["1000", "60", "6000", "false"])
    assert after.result.stats.steps < 2_300


# ---------------------------------------------------------------- the watchdog inside a long built-in

@contextmanager
def slow_getsuffix(seconds: float) -> Iterator[list[float]]:
    """`getSuffix` on a text becomes a pure-Python loop of `seconds` (only the watchdog can stop it)."""
    registry.ensure("getsuffix")
    table = registry.METHODS["getsuffix"]
    original = table[str]
    stopped: list[float] = []

    def slow(ex: Any, s: Any, *args: Any) -> str:
        end = time.monotonic() + seconds
        count = 0
        try:
            while time.monotonic() < end:
                count += 1
        finally:
            stopped.append(time.monotonic())
        return "finished"

    table[str] = slow
    try:
        yield stopped
    finally:
        table[str] = original


def test_watchdog_stops_a_long_builtin_at_its_wall_time_and_the_thread_recovers() -> None:
    limits = Limits(steps=20_000, wall_time=0.5)
    with slow_getsuffix(5.0) as stopped:
        program = deluge.compile(unique('info "before";\nx = "abc".getSuffix("a");\ninfo x;\n'))
    started = time.perf_counter()
    result = program.run(limits=limits)
    elapsed = time.perf_counter() - started
    assert result.error is not None and getattr(result.error, "limit", None) == "wall_time", result.error
    assert result.error.line == 2
    assert result.output == ["before"]
    assert limits.wall_time <= elapsed < limits.wall_time + 0.5, elapsed
    assert stopped, "the slow built-in was not interrupted"
    # no interrupt is left pending for the thread: normal code and runs go on
    time.sleep(0.3)
    total = sum(range(100_000))
    assert total == 4_999_950_000
    after = attack(NORMAL, Limits(steps=20_000, wall_time=2.0))
    expect_ok(after, Limits(steps=20_000, wall_time=2.0), ["1000", "60", "6000", "false"])


def test_watchdog_stops_a_long_builtin_inside_try() -> None:
    limits = Limits(steps=20_000, wall_time=0.4)
    with slow_getsuffix(5.0):
        program = deluge.compile(unique('try\n{\n\tx = "abc".getSuffix("a");\n}\ncatch (e)\n{\n\tinfo "caught";\n}\n'
                                        'info "after";\n'))
    started = time.perf_counter()
    result = program.run(limits=limits)
    elapsed = time.perf_counter() - started
    assert result.error is not None and getattr(result.error, "limit", None) == "wall_time", result.error
    assert result.output == []
    assert elapsed < limits.wall_time + 0.5, elapsed


def test_a_builtin_that_ends_just_before_the_deadline_leaks_no_interrupt() -> None:
    # many runs whose slow built-in ends around the watchdog's deadline: whatever the race,
    # each run ends cleanly (finished or wall_time) and nothing is raised in the thread later
    limits = Limits(steps=20_000, wall_time=0.1)
    with slow_getsuffix(0.1 + 0.1):  # the watchdog's grace is 0.1 s
        program = deluge.compile(unique('x = "abc".getSuffix("a");\ninfo x;\n'))
    outcomes = []
    for _ in range(5):
        result = program.run(limits=limits)
        outcomes.append(None if result.error is None else getattr(result.error, "limit", None))
        for _ in range(20_000):
            pass
    assert set(outcomes) <= {None, "wall_time"}, outcomes
    after = attack(NORMAL, SMALL)
    expect_ok(after, SMALL, ["1000", "60", "6000", "false"])


# ---------------------------------------------------------------- memory after a stopped run

def _traced_run(program: deluge.Program, limits: Limits) -> tuple[deluge.Result, int, int]:
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        result = program.run(limits=limits)
        peak = tracemalloc.get_traced_memory()[1] - base
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    return result, peak, retained


HEAVY = 'keep = List();\nfor each i in "1".repeat(400).toList("")\n{\n\tkeep.add("a".repeat(50000) + i);\n}\n'


def test_memory_of_a_run_stopped_by_allocation_is_released() -> None:
    limits = Limits(steps=20_000, wall_time=2.0, allocation=8 * MiB)
    program = deluge.compile(unique(HEAVY))
    program.run(limits=Limits(steps=5, wall_time=2.0))  # loads the built-ins it needs
    result, peak, retained = _traced_run(program, limits)
    assert getattr(result.error, "limit", None) == "allocation", result.error
    assert peak > 4 * MiB
    assert retained < 512 * 1024, retained


def test_memory_of_a_run_stopped_by_the_watchdog_is_released() -> None:
    spin = ('\nl = "1".repeat(400).toList("");\nfor each a in l\n{\n\tfor each b in l\n\t{\n'
            '\t\tfor each c in l\n\t\t{\n'
            "\t\t\tx = 1;\n\t\t}\n\t}\n}\n")
    limits = Limits(steps=10**9, wall_time=0.5)
    program = deluge.compile(unique(HEAVY.replace("400", "100") + spin))
    program.run(limits=Limits(steps=5, wall_time=2.0))
    result, peak, retained = _traced_run(program, limits)
    assert getattr(result.error, "limit", None) == "wall_time", result.error
    assert peak > 4 * MiB
    assert retained < 512 * 1024, retained


# ---------------------------------------------------------------- threads

def _in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    results: list[Any] = [None] * count
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def target(k: int) -> None:
        try:
            barrier.wait()
            results[k] = work(k)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(k,)) for k in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not errors, errors
    assert all(not thread.is_alive() for thread in threads)
    return results


def test_one_program_in_eight_threads_with_different_contexts() -> None:
    program = deluge.compile(unique(
        'total = 0;\nfor each i in "1".repeat(n).toList("")\n{\n\ttotal = total + 1;\n\tif (total % 100 == 0)\n'
        '\t{\n\t\tinfo name + " " + total;\n\t}\n}\nreturn name + ":" + total;\n'))

    def work(k: int) -> deluge.Result:
        return program.run({"n": 200 * (k + 1), "name": f"t{k}"}, limits=Limits(steps=20_000, wall_time=5.0))

    alone = [work(k).stats.steps for k in range(8)]
    results = _in_threads(8, work)
    for k, result in enumerate(results):
        assert result.error is None, result.error
        assert result.returned == f"t{k}:{200 * (k + 1)}"
        assert result.output == [f"t{k} {100 * j}" for j in range(1, 2 * (k + 1) + 1)]
        assert result.stats.steps == alone[k], (k, result.stats, alone)


def test_threads_with_different_limits_each_get_their_own_budget() -> None:
    program = deluge.compile(unique(
        'l = "1".repeat(300).toList("");\nfor each a in l\n{\n\tfor each b in l\n\t{\n\t\tx = 1;\n\t}\n}\n'
        'info "done";\n'))

    def work(k: int) -> tuple[deluge.Result, Limits]:
        limits = Limits(steps=200_000 if k % 2 else 5_000 * (k + 1), wall_time=5.0)
        return program.run(limits=limits), limits

    for k, (result, limits) in enumerate(_in_threads(8, work)):
        if k % 2:
            assert result.error is None, result.error
            assert result.output == ["done"]
            assert result.stats.steps <= limits.steps
        else:
            assert getattr(result.error, "limit", None) == "steps", result.error
            assert limits.steps < result.stats.steps <= limits.steps + 16, (k, result.stats)


def test_concurrent_info_output_never_mixes() -> None:
    program = deluge.compile(unique(
        'for each i in "1".repeat(300).toList("")\n{\n\tinfo tag + "-" + i;\n}\nreturn tag;\n'))

    def work(k: int) -> deluge.Result:
        return program.run({"tag": f"run{k}"}, limits=Limits(steps=20_000, wall_time=5.0, output_lines=300))

    for k, result in enumerate(_in_threads(8, work)):
        assert result.error is None, result.error
        assert result.output == [f"run{k}-1"] * 300


def test_concurrent_system_variables_stay_with_their_run() -> None:
    program = deluge.compile(unique(
        'for each i in "1".repeat(50).toList("")\n{\n\tinfo zoho.loginuser;\n}\n'))

    def work(k: int) -> deluge.Result:
        return program.run({"zoho": {"loginuser": f"user{k}@example.com"}}, limits=SMALL)

    for k, result in enumerate(_in_threads(8, work)):
        assert result.error is None, result.error
        assert result.output == [f"user{k}@example.com"] * 50


def test_a_failing_thread_does_not_disturb_the_others() -> None:
    # one thread spins until its wall time runs out; the others finish normally meanwhile
    spinner = deluge.compile(unique(
        'l = "1".repeat(400).toList("");\nfor each a in l\n{\n\tfor each b in l\n\t{\n\t\tfor each c in l\n\t\t{\n'
        '\t\t\tx = 1;\n\t\t}\n\t}\n}\n'))
    normal = deluge.compile(unique(NORMAL))

    def work(k: int) -> deluge.Result:
        if k == 0:
            return spinner.run(limits=Limits(steps=10**9, wall_time=0.6))
        return normal.run(limits=Limits(steps=20_000, wall_time=5.0))

    results = _in_threads(4, work)
    assert getattr(results[0].error, "limit", None) == "wall_time", results[0].error
    for result in results[1:]:
        assert result.error is None, result.error
        assert result.output == ["1000", "60", "6000", "false"]


def test_a_run_inside_a_host_callback_keeps_both_runs_apart() -> None:
    inner = deluge.compile(unique('info "inner";\nfor each i in {1, 2, 3}\n{\n\tx = i;\n}\nreturn "inner done";\n'))
    seen: list[deluge.Result] = []

    class Host:
        def tasks(self, ex: object, name: str, args: tuple[object, ...]) -> object:
            result = inner.run(limits=Limits(steps=50, wall_time=1.0))
            seen.append(result)
            return result.value

    source = ('info "outer";\nr = zoho.crm.getRecords("Leads");\ninfo r;\n'
              'l = "1".repeat(300).toList("");\nfor each a in l\n{\n\tfor each b in l\n\t{\n\t\tx = 1;\n\t}\n}\n')
    limits = Limits(steps=20_000, wall_time=2.0)
    outcome = attack(unique(source), limits, host=Host(), grant="all")
    expect_budget(outcome, "steps", limits, line=7)
    assert outcome.result.output == ["outer", "inner done"]
    assert seen[0].output == ["inner"] and seen[0].error is None and seen[0].stats.steps < 50
    assert execution.current() is None


def test_a_cancelled_run_does_not_cancel_the_next_one() -> None:
    class Host:
        def tasks(self, ex: Any, name: str, args: tuple[object, ...]) -> object:
            ex.cancel()
            return "cancelled"

    source = unique('r = zoho.crm.getRecords("Leads");\nfor each i in "1".repeat(5000).toList("")\n{\n\tx = i;\n}\n')
    cancelled = attack(source, SMALL, host=Host(), grant="all")
    expect_budget(cancelled, "cancelled", SMALL)
    after = attack(NORMAL, SMALL)
    expect_ok(after, SMALL, ["1000", "60", "6000", "false"])


def test_a_host_cancels_a_run_through_an_event() -> None:
    import threading
    import time

    cancel = threading.Event()
    timer = threading.Timer(0.2, cancel.set)
    timer.start()
    started = time.perf_counter()
    source = "n = 0;\nfor each a in items\n{\n\tfor each b in items\n\t{\n\t\tn = n + 1;\n\t}\n}\n"
    result = deluge.run(source, {"items": list(range(3000))}, cancel=cancel,
                        limits=deluge.Limits(steps=100_000_000, wall_time=30))
    elapsed = time.perf_counter() - started
    timer.join()
    assert result.error is not None and result.error.kind == "budget"
    assert result.error.limit == "cancelled"  # type: ignore[attr-defined]
    assert elapsed < 1.5
    assert deluge.run("info 1 + 1;").output == ["2"]
