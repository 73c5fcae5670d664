"""Shared helpers of the adversarial test suite (issue 4, point 6).

Every attack runs with small limits so the suite stays fast, and every test
checks two things: the exact error the attack must end with, and that the
budget held while it ran (steps, wall time, output, memory where sensible).
"""

from __future__ import annotations

import gc
import time
import tracemalloc
import uuid
from collections.abc import Callable
from typing import Any

import attrs

import deluge
from deluge import Limits

SMALL = Limits(steps=20_000, wall_time=2.0, cpu_time=2.0)
"""The default budget of an attack: every test that needs more says so."""

STEP_SLACK = 16
"""How far past `steps` the counter may be when the step limit fires: a straight-line segment
is charged on entry and checked at the next back-edge, so the failing check can see at most
one segment more than the limit. Attack scripts keep their loop bodies shorter than this."""

WALL_SLACK = 1.0
"""Seconds a run may take past its wall-time limit (watchdog grace, thread scheduling on a
busy two-core machine)."""


@attrs.frozen
class Outcome:
    result: deluge.Result
    seconds: float
    """Wall time of compile + run, measured around the call."""
    peak: int | None = None
    """Peak bytes traced by tracemalloc during the call (when traced)."""
    retained: int | None = None
    """Bytes still traced after the call and a collection (when traced)."""

    @property
    def error(self) -> deluge.DelugeError | None:
        return self.result.error


def unique(source: str) -> str:
    """The source with a unique comment at its end (lines keep their numbers), so no compiled
    program is shared through the cache."""
    return f"{source}\n// {uuid.uuid4().hex}\n"


def attack(source: str | bytes, limits: Limits = SMALL, *, context: dict[str, Any] | None = None,
           grant: Any = None, host: Any = None, traced: bool = False) -> Outcome:
    """Compiles and runs an attack script; measures wall time (and memory with `traced`)."""
    if traced:
        gc.collect()
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    try:
        result = deluge.run(source, context, grant=grant, limits=limits, host=host)
    finally:
        seconds = time.perf_counter() - started
        if traced:
            peak = tracemalloc.get_traced_memory()[1] - base
    if not traced:
        return Outcome(result, seconds)
    gc.collect()
    retained = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return Outcome(result, seconds, peak, retained)


def describe(outcome: Outcome) -> str:
    error = outcome.error
    if error is None:
        return f"no error (output {outcome.result.output[:3]!r}, stats {outcome.result.stats})"
    return (f"{error.kind} error (limit {getattr(error, 'limit', None)!r}, line {error.line}): "
            f"{error.message[:200]} (stats {outcome.result.stats}, {outcome.seconds:.3f} s)")


def assert_held(outcome: Outcome, limits: Limits) -> None:
    """The budget held: steps, wall time and output within the limits."""
    result = outcome.result
    stats = result.stats
    error = result.error
    steps_error = error is not None and getattr(error, "limit", None) == "steps"
    if steps_error:
        assert limits.steps < stats.steps <= limits.steps + STEP_SLACK, describe(outcome)
    else:
        assert stats.steps <= limits.steps, describe(outcome)
    assert stats.elapsed <= limits.wall_time + WALL_SLACK, describe(outcome)
    assert outcome.seconds <= limits.wall_time + WALL_SLACK, describe(outcome)
    assert len(result.output) <= limits.output_lines, describe(outcome)
    assert all(len(line) <= limits.output_line_chars for line in result.output), describe(outcome)
    total = sum(len(line.encode("utf-8", "surrogatepass")) + 1 for line in result.output)
    assert total <= limits.output_bytes, describe(outcome)
    if error is None or getattr(error, "limit", None) != "work":
        assert stats.work <= limits.work, describe(outcome)


def expect_budget(outcome: Outcome, limit: str, limits: Limits, *, line: int | None = None) -> None:
    """The run ended with a `budget` error naming `limit` (at `line`), and the budget held."""
    error = outcome.error
    assert isinstance(error, deluge.BudgetExceeded), describe(outcome)
    assert error.kind == "budget", describe(outcome)
    assert error.limit == limit, describe(outcome)
    if line is not None:
        assert error.line == line, describe(outcome)
    assert_held(outcome, limits)


def expect_runtime(outcome: Outcome, limits: Limits, *, line: int | None = None,
                   contains: str | None = None) -> None:
    """The run ended with a catchable `runtime` error (at `line`), and the budget held."""
    error = outcome.error
    assert isinstance(error, deluge.DelugeRuntimeError), describe(outcome)
    assert error.kind == "runtime", describe(outcome)
    assert "Internal error" not in error.message, describe(outcome)
    if line is not None:
        assert error.line == line, describe(outcome)
    if contains is not None:
        assert contains.lower() in error.message.lower(), describe(outcome)
    assert_held(outcome, limits)


def expect_parse(outcome: Outcome, *, line: int | None = None, contains: str | None = None) -> None:
    error = outcome.error
    assert isinstance(error, deluge.ParseError), describe(outcome)
    assert error.kind == "parse", describe(outcome)
    assert error.line is not None and error.line >= 1, describe(outcome)
    if line is not None:
        assert error.line == line, describe(outcome)
    if contains is not None:
        assert contains.lower() in error.message.lower(), describe(outcome)


def expect_consent(outcome: Outcome, capability: str, limits: Limits, *, line: int | None = None) -> None:
    error = outcome.error
    assert isinstance(error, deluge.ConsentRequired), describe(outcome)
    assert error.kind == "consent", describe(outcome)
    assert error.capability == capability, describe(outcome)
    if line is not None:
        assert error.line == line, describe(outcome)
    assert_held(outcome, limits)


def expect_ok(outcome: Outcome, limits: Limits, output: list[str] | None = None) -> None:
    assert outcome.error is None, describe(outcome)
    if output is not None:
        assert outcome.result.output == output, describe(outcome)
    assert_held(outcome, limits)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started
