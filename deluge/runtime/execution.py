"""The state of one run: meters, deadline, output, grant and clock (like starlark-go's Thread).

One `Execution` is made per run and handed to the generated code as `_ex`;
nothing of one run is visible to another. The generated code keeps the step
countdown in a local variable and calls `tick` when it runs out (at loop
back-edges and calls), so the meter costs almost nothing; `tick` does the exact
accounting, checks the wall clock and the cancel flag, and hands out the next
quantum. `current()` gives the execution of the running thread to the few
helpers that do not receive it (text-length checks deep inside operators).
"""

from __future__ import annotations

import datetime as _dt
import threading
import time
from typing import Any

from deluge.capabilities import Grant
from deluge.errors import BudgetExceeded, ConsentRequired, DelugeRuntimeError
from deluge.limits import DEFAULT_LIMITS, Limits

QUANTUM = 250
"""Steps between two ticks. The countdown stays within Python's cache of small integers
(-5 to 256), so counting steps allocates nothing."""

_local = threading.local()

SYSTEM_DEFAULTS = {
    "zoho.loginuser": "user@example.com",
    "zoho.loginuserid": "user@example.com",
    "zoho.adminuser": "admin",
    "zoho.adminuserid": "admin@example.com",
    "zoho.appname": "app",
    "zoho.appuri": "",
    "zoho.ipaddress": "",
}


class Execution:
    """Everything that belongs to one run; the generated code reaches it as `_ex`."""

    def __init__(
        self,
        *,
        limits: Limits = DEFAULT_LIMITS,
        grant: Grant | None = None,
        system: dict[str, Any] | None = None,
        clock: _dt.datetime | None = None,
        host: Any = None,
        now: Any = None,
        timezone: str = "UTC",
        spent: float = 0.0,
    ) -> None:
        self.limits = limits
        self.max_steps = limits.steps
        self.used = 0
        self.ticks = 0
        self.quantum = min(QUANTUM, limits.steps)
        self.left = self.quantum
        self.depth = 0
        self.output: list[str] = []
        self.output_bytes = 0
        self.work = 0
        self.http_calls = 0
        self.task_calls = 0
        self.post_calls = 0
        self.grant = grant if grant is not None else Grant()
        self.system = dict(SYSTEM_DEFAULTS)
        if system:
            self.system.update(system)
        self.frozen_clock = clock
        self.timezone = timezone
        """The application time zone (IANA name); date-times carry no zone and are read in this one."""
        self.host = host
        self._now = now or (lambda: _dt.datetime.now(_dt.UTC).replace(tzinfo=None, microsecond=0))
        self.started = time.monotonic()
        self.deadline = self.started + limits.wall_time - spent
        """`spent`: wall time the run already used before it started (parsing and compiling)."""
        self.cpu_started = time.thread_time()
        self.cpu_deadline = self.cpu_started + limits.cpu_time
        self.cancelled = False
        self.cancel_reason = ""
        self.cancel_event: Any = None
        """A host's `threading.Event`; the watchdog stops the run once it is set."""
        self.allocated = 0
        self.shield = 0
        """Above zero while code runs that the watchdog must not interrupt (watchdog.shielded)."""
        self.interrupt_reason: tuple[str, str] | None = None
        """The limit and message of the watchdog's interrupt, once it fired."""

    # ------------------------------------------------------------ steps and time

    def steps_used(self) -> int:
        """Steps consumed so far (exact once the run has ended)."""
        return self.used + self.quantum - self.left

    def cancel(self, reason: str = "The run was cancelled") -> None:
        """Stops the run soon, even inside a long built-in call; safe to call from another thread."""
        self.cancel_reason = reason
        self.cancelled = True
        from deluge.runtime.watchdog import WATCHDOG

        WATCHDOG.poke()

    def check_time(self) -> None:
        if self.cancel_event is not None and self.cancel_event.is_set() and not self.cancelled:
            self.cancel_reason, self.cancelled = "The host cancelled the run", True
        if self.cancelled:
            raise BudgetExceeded(self.cancel_reason, limit="cancelled")
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(
                f"The run took longer than its {self.limits.wall_time:g} s of wall time", limit="wall_time"
            )
        if time.thread_time() > self.cpu_deadline:
            raise BudgetExceeded(
                f"The run used more than its {self.limits.cpu_time:g} s of CPU time", limit="cpu_time"
            )

    def allocate(self, size: int) -> None:
        """Charges `size` bytes of new values to the run's allocation meter (LANGUAGE.md 8)."""
        total = self.allocated + size
        self.allocated = total
        if total > self.limits.allocation:
            raise BudgetExceeded(
                f"The run created more than {self.limits.allocation} bytes of values", limit="allocation"
            )

    def charge_work(self, units: int) -> None:
        """Charges work done inside a built-in; checks the clock now and then."""
        self.work += units
        if self.work > self.limits.work:
            raise BudgetExceeded(
                f"The built-in functions did more than {self.limits.work} units of work", limit="work"
            )
        if units >= 1000:
            self.check_time()

    # ------------------------------------------------------------ output

    def info(self, text: str) -> None:
        limits = self.limits
        if len(self.output) >= limits.output_lines:
            raise BudgetExceeded(f"More than {limits.output_lines} lines of info output", limit="output_lines")
        if len(text) > limits.output_line_chars:
            raise BudgetExceeded(
                f"An info line of {len(text)} characters is longer than {limits.output_line_chars}",
                limit="output_line_chars",
            )
        size = len(text.encode("utf-8", "surrogatepass")) + 1
        if self.output_bytes + size > limits.output_bytes:
            raise BudgetExceeded(f"More than {limits.output_bytes} bytes of info output", limit="output_bytes")
        self.output_bytes += size
        self.output.append(text)

    # ------------------------------------------------------------ clock and system variables

    def now(self) -> _dt.datetime:
        if self.frozen_clock is not None:
            return self.frozen_clock
        return self._now()  # type: ignore[no-any-return]

    # ------------------------------------------------------------ consent

    def require(self, capability: str, what: str) -> None:
        """Refuses a capability the run was not granted (D44: checked at the moment of use)."""
        if not self.granted(capability):
            raise ConsentRequired(
                f"{what} needs consent for '{capability}', which this run was not granted",
                capability=capability,
            )

    def granted(self, capability: str) -> bool:
        return self.grant.allows(capability)  # type: ignore[no-any-return]


def tick(ex: Execution, left: int) -> int:
    """The countdown ran out: account for the quantum, check the limits, hand out the next one.

    The clock and the cancel flag are read on every eighth tick (about every 2,000 steps);
    the watchdog of `deadline.py` stops a run that overstays its wall time in any case.
    """
    used = ex.used + ex.quantum - left
    ex.used = used
    if used > ex.max_steps:
        raise _out_of_steps(ex, left, None)
    ex.ticks += 1
    if not ex.ticks & 7:
        ex.check_time()
    quantum = ex.max_steps - used
    if quantum > QUANTUM:
        quantum = QUANTUM
    ex.quantum = quantum
    return quantum


def tick_at(ex: Execution, left: int, lines: tuple[int, ...]) -> int:
    """`tick` for a straight run of statements charged at once: `lines` holds the line of
    each of its steps, so a breach names the statement that crossed the limit."""
    used = ex.used + ex.quantum - left
    over = used - ex.max_steps
    if over > 0:
        index = len(lines) - over
        raise _out_of_steps(ex, left, lines[index] if 0 <= index < len(lines) else None)
    return tick(ex, left)


def _out_of_steps(ex: Execution, left: int, line: int | None) -> BudgetExceeded:
    # The step that crossed the limit is the last one counted. The generated code writes its
    # countdown back as it unwinds, so used + quantum - left must stay max_steps + 1.
    ex.used = ex.max_steps + 1
    ex.quantum = left
    ex.left = left
    return BudgetExceeded(
        f"The script executed more than {ex.max_steps} steps (statements and loop iterations)",
        limit="steps", line=line,
    )


def reserve(ex: Execution, left: int, need: int) -> int:
    """Makes the countdown at least `need` when the step budget has that much left (a loop
    whose steps are bounded then runs without checks); returns the countdown."""
    if left >= need:
        return left
    used = ex.used + ex.quantum - left
    if ex.max_steps - used >= need:
        ex.quantum += need - left
        return need
    return left


def activate(ex: Execution | None) -> Execution | None:
    """Makes `ex` the current execution of this thread; returns the previous one."""
    previous = getattr(_local, "ex", None)
    _local.ex = ex
    return previous


def current() -> Execution | None:
    return getattr(_local, "ex", None)


def current_limits() -> Limits:
    ex = getattr(_local, "ex", None)
    return DEFAULT_LIMITS if ex is None else ex.limits


ELEMENT_BYTES = 32
"""What one element of a list or one entry of a map charges to the allocation meter."""


def check_text_length(length: int) -> None:
    """Refuses a text longer than the run's limit, before it is built; charges it to the allocation meter.

    Called for every text above 4,096 characters that a script builds (shorter ones are
    covered by the step limit: one step can only build a short text natively).
    """
    ex = getattr(_local, "ex", None)
    limits = DEFAULT_LIMITS if ex is None else ex.limits
    limit = limits.text_length
    if length > limit:
        raise BudgetExceeded(f"A text of {length} characters is longer than the limit of {limit}",
                             limit="text_length")
    if ex is not None:
        ex.allocate(length)


def check_collection_size(size: int, added: int = 0) -> None:
    """Refuses a list or map larger than the run's limit, before it is built; charges the
    `added` elements to the allocation meter."""
    ex = getattr(_local, "ex", None)
    limit = (DEFAULT_LIMITS if ex is None else ex.limits).collection_size
    if size > limit:
        raise BudgetExceeded(f"A collection of {size} elements is larger than the limit of {limit}",
                             limit="collection_size")
    if ex is not None and added:
        ex.allocate(added * ELEMENT_BYTES)


def not_available(what: str) -> DelugeRuntimeError:
    return DelugeRuntimeError(f"{what} is not available in this host")
