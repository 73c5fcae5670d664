"""A background thread that stops a run past its wall time, CPU time or memory, wherever it is.

The generated code checks the clock itself now and then (`execution.tick`), which
ends most runs with an exact line. That check cannot fire while a single long
built-in call or a regular expression runs, so this watchdog backs it up: it
raises `Interrupted` asynchronously in the run's thread
(`PyThreadState_SetAsyncExc`), which Python delivers at the next bytecode
boundary, and `Program.run` turns it into the budget error the watchdog chose.

Safety rules, because an asynchronous exception can land anywhere:
- `Interrupted` derives from `BaseException`, so no `except Exception` in a
  built-in swallows it, and the compiled `try`/`catch` never catches it;
- the watchdog fires at most once per run, under a lock, and only while the run
  is armed; `disarm` clears an exception not delivered yet, so nothing reaches
  the host after the run has ended;
- code that must not be cut in half (importing a module of built-ins) runs
  `shielded()`: the watchdog waits until it is done.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

GRACE = 0.1
"""Seconds past a deadline before the watchdog steps in (the run's own check usually wins)."""
POLL = 0.02
"""Seconds between two looks at CPU time and memory while a run is armed."""

_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.restype = ctypes.c_int


def _raise_in(ident: int, exc: type[BaseException] | None) -> None:
    """Schedules `exc` in the thread `ident`, or with None clears one not delivered yet."""
    _set_async_exc(ctypes.c_ulong(ident), None if exc is None else ctypes.py_object(exc))


class Interrupted(BaseException):
    """Raised into a run's thread by the watchdog; `Program.run` reads the reason off the run."""


def _page_size() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return 4096


_PAGE = _page_size()


def resident_bytes() -> int | None:
    """The process's resident memory now (Linux), or None where it cannot be read cheaply."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


def _cpu_clock(ident: int) -> int | None:
    try:
        return time.pthread_getcpuclockid(ident)
    except (AttributeError, OSError):
        return None


class _Watch:
    __slots__ = ("baseline", "clock", "cpu_start", "ex", "ident", "state")

    def __init__(self, ex: Any, ident: int) -> None:
        self.ex = ex
        self.ident = ident
        self.clock = _cpu_clock(ident)
        self.cpu_start = time.clock_gettime(self.clock) if self.clock is not None else 0.0
        self.baseline = resident_bytes()
        self.state = "armed"  # armed -> fired -> done, or armed -> done


class Watchdog:
    """One daemon thread watching every armed run of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._watches: dict[int, _Watch] = {}
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    # ------------------------------------------------------------ the run's side

    def arm(self, ex: Any) -> _Watch:
        watch = _Watch(ex, threading.get_ident())
        with self._lock:
            self._watches[id(watch)] = watch
            self._start()
            self._wake.notify()
        return watch

    def disarm(self, watch: _Watch) -> None:
        """Ends the watch; clears an interrupt raised but not yet delivered. Idempotent."""
        with self._lock:
            if watch.state == "fired":
                _raise_in(watch.ident, None)
            watch.state = "done"
            self._watches.pop(id(watch), None)

    def poke(self) -> None:
        """Wakes the thread (a run was cancelled)."""
        with self._lock:
            self._wake.notify()

    # ------------------------------------------------------------ the watchdog's side

    def _start(self) -> None:
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._loop, name="deluge-watchdog", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        with self._lock:
            while True:
                if not self._watches:
                    self._wake.wait()
                    continue
                now = time.monotonic()
                wait = POLL
                resident = None
                for watch in list(self._watches.values()):
                    if watch.state != "armed":
                        continue
                    reason = self._reason(watch, now)
                    if reason is None and watch.baseline is not None:
                        if resident is None:
                            resident = resident_bytes()
                        reason = self._memory_reason(watch, resident)
                    if reason is not None:
                        self._fire(watch, *reason)
                    else:
                        wait = min(wait, max(0.001, watch.ex.deadline + GRACE - now))
                self._wake.wait(wait)

    def _reason(self, watch: _Watch, now: float) -> tuple[str, str] | None:
        ex = watch.ex
        limits = ex.limits
        if ex.cancelled:
            return "cancelled", ex.cancel_reason
        if ex.cancel_event is not None and ex.cancel_event.is_set():
            return "cancelled", "The host cancelled the run"
        if now > ex.deadline + GRACE:
            return "wall_time", f"The run took longer than its {limits.wall_time:g} s of wall time"
        if watch.clock is not None:
            used = time.clock_gettime(watch.clock) - watch.cpu_start
            if used > limits.cpu_time + GRACE:
                return "cpu_time", f"The run used more than its {limits.cpu_time:g} s of CPU time"
        return None

    def _memory_reason(self, watch: _Watch, resident: int | None) -> tuple[str, str] | None:
        if resident is None or watch.baseline is None:
            return None
        limit = watch.ex.limits.memory
        if resident - watch.baseline <= limit:
            return None
        # With several runs in the process, the one that allocated most is stopped first.
        heaviest = max((w for w in self._watches.values() if w.state == "armed"),
                       key=lambda w: w.ex.allocated)
        if heaviest is not watch:
            return None
        return "memory", f"The run's memory grew past its limit of {limit // (1024 * 1024)} MiB"

    def _fire(self, watch: _Watch, limit: str, message: str) -> None:
        ex = watch.ex
        if ex.shield:
            return  # looked at again on the next round, once the shielded code is done
        ex.interrupt_reason = (limit, message)
        watch.state = "fired"
        _raise_in(watch.ident, Interrupted)


WATCHDOG = Watchdog()


def _after_fork() -> None:
    # a child process starts with no runs and a fresh lock (the parent's may have been held)
    global WATCHDOG
    WATCHDOG = Watchdog()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


@contextmanager
def shielded(ex: Any) -> Iterator[None]:
    """Code the watchdog must not interrupt halfway (imports); it waits until this ends."""
    if ex is None:
        yield
        return
    ex.shield += 1
    try:
        yield
    finally:
        ex.shield -= 1
