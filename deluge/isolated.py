"""Runs a script in a separate process held to OS limits: `run_isolated`, for defense in depth.

`deluge.run` already holds a script to every limit of its `Limits` from inside the
host's process. `run_isolated` adds a second wall for hosts that want one: the
script is compiled and run in a fresh child process that has none of the host's
memory, environment or open files, under kernel limits it cannot lift:

    RLIMIT_AS      the address space at start plus `memory_bytes` (1 GiB by default,
                   or twice `limits.memory` when that is more)
    RLIMIT_CPU     once compiled, what compiling used plus `cpu_seconds` (`limits.cpu_time`
                   + 1 s by default), rounded up; SIGXCPU ends the process there, SIGKILL one
                   second later (while compiling, `limits.wall_time` + 1 s more is allowed)
    RLIMIT_NOFILE  16        RLIMIT_FSIZE 0     RLIMIT_CORE 0     RLIMIT_NPROC 0 (not for root)

and the parent kills it (SIGKILL) when it has not answered `limits.wall_time` +
`WALL_MARGIN` seconds after it started compiling, and again after it started running.
Inside the child the script runs exactly as `deluge.run` runs it, so every limit of
`Limits` still applies with its exact line; the OS limits catch what slips past them
(a long call in C that holds the interpreter, memory the meters do not see).

How the processes fit together:

    host process ── socket ──> zygote (python -I, started once per host process, cwd "/",
                                no environment but the parser-cache location, `deluge`
                                and every built-in module loaded, the parser built,
                                `gc.freeze()`d)
         │                          │ fork, once per run
         │ request (pickle) ───>  child: closes every inherited descriptor, clears its
         │ <─── answer (JSON) ──         environment, sets its limits, reads the request,
         │ <─── pid, exit status ─ zygote (it reaps every child; it kills one on request,
                                           or when the host goes away)

The zygote never sees a request: the host hands it three descriptors (request socket,
answer pipe, status socket) and the child reads its own request, so no tenant's data is
ever in the memory that later children inherit. A child serves one run and exits.
A run costs about 12-20 ms more than `deluge.run` (fork, starting the watchdog thread,
compiling in a cold copy of the zygote, exit and reaping); the zygote starts in about
0.5 s, on the first run. `shutdown()` stops it (it also stops when the host exits).

Trust runs one way. The request (source, context, grant, limits) goes from the host to
the child as a pickle; the answer comes back as JSON, read with a size cap
(`2 * limits.output_bytes + ANSWER_MARGIN`) and checked field by field; anything
malformed is a `runtime` error of the result, never an exception in the host. The
child's death maps to budget errors: killed by the host for time -> `wall_time`,
SIGXCPU -> `cpu_time`, MemoryError or a death after its memory grew to the cap ->
`memory`, anything else -> a `runtime` error "The isolated run crashed ...".

Differences from `deluge.run`:
- there is no `host` argument: a host object (its HTTP client, its connections) cannot
  cross a process boundary, so an isolated run has no network; `invokeurl` and friends
  fail as they do in `deluge.run` without a host (after the same grant checks);
- `Result.value` is plain JSON-able Python (`deluge.runtime.convert.to_host` of the
  Deluge value: maps are dicts, dates their text) rather than a Deluge value;
  `returned`, `output`, `error` and `stats` are what `deluge.run` gives;
- the context is checked before the script is compiled (`deluge.run` compiles first):
  a context nested deeper than `limits.data_nesting` gives the same `data_nesting`
  budget error, and TypeError or ValueError for data no script can receive is raised
  even when the script would not have compiled;
- after a death (killed for time, CPU or memory, crashed) the output is lost and
  `stats.elapsed` is the time the host waited;
- compiled programs are not cached between runs (each child compiles afresh).

Linux is the target; where the `resource` module does not exist (Windows), calling
`run_isolated` raises RuntimeError.
"""

from __future__ import annotations

import array
import atexit
import json
import math
import os
import pickle
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from typing import Any

import attrs

try:
    import resource
except ImportError:  # pragma: no cover - not a POSIX system
    resource = None  # type: ignore[assignment]

from deluge.capabilities import Grant
from deluge.errors import BudgetExceeded, ConsentRequired, DelugeError, DelugeRuntimeError, ParseError
from deluge.limits import DEFAULT_LIMITS, Limits
from deluge.runtime.program import GrantLike, Result, Stats

MiB = 1024 * 1024
GiB = 1024 * MiB

DEFAULT_MEMORY_BYTES = 1 * GiB
"""Address space a run may add to what the child holds at start, unless `memory_bytes` says."""
WALL_MARGIN = 1.0
"""Seconds past `limits.wall_time` (per phase: compiling, then running) before the host kills the child."""
CPU_MARGIN = 1.0
"""Seconds of CPU past `limits.cpu_time` before RLIMIT_CPU ends the child."""
KILL_GRACE = 5.0
"""Seconds to wait for the exit status of a child that was told to die."""
START_TIMEOUT = 60.0
"""Seconds the zygote may take to start (import `deluge`, build the parser)."""
ANSWER_MARGIN = 16 * MiB
"""Bytes of answer allowed on top of twice the run's `output_bytes` (returned value, JSON escapes)."""
OPEN_FILES = 16
"""RLIMIT_NOFILE of a child."""
EXECUTABLE: str | None = None
"""The Python interpreter that runs the zygote; None means `sys.executable` (set it where that is
not a Python, as under uWSGI)."""
KEPT_ENVIRONMENT = ("HOME", "XDG_CACHE_HOME", "DELUGE_CACHE_DIR")
"""Environment variables the zygote keeps (where to find the parser cache); no other reaches it."""

_COMPILED = b"C"
"""Sent by the child when compiling is done and running starts (never the first byte of JSON)."""
_EXIT_FAILED = 70
_FOREVER = 10_000_000.0
"""Seconds (about four months) that stand for an unlimited time or CPU limit."""
_KINDS = ("parse", "runtime", "budget", "consent")
_WARMUP = """
int twice(int n) { return n * 2; }
total = 0;
items = {1, 2, "three", 4.5, true, null};
m = Map(); m.put("k", {"a": [1, 2], "b": "x"});
for each index i in items { if (i > 1 && i < 10) { total = total + twice(i); } else { total = total - 1; } }
text = "a,b,c".toList(",").toString() + m.toString() + "x".repeat(3).toUpperCase();
try { info text.length() + total; info "2019-03-15".toDate(); } catch (e) { info e; }
d = "{\\"a\\": 1}".toMap(); info d.get("a");
return {"total": total, "text": text};
"""


class _ZygoteGone(Exception):
    """The zygote no longer takes requests."""


class AnswerError(Exception):
    """A child's answer that is not a well-formed result (oversized, not JSON, wrong shape)."""


# ---------------------------------------------------------------- the host's side


def run_isolated(
    source: str | bytes,
    context: dict[str, Any] | None = None,
    *,
    grant: GrantLike = None,
    limits: Limits | None = None,
    timezone: str = "UTC",
    memory_bytes: int | None = None,
    cpu_seconds: float | None = None,
) -> Result:
    """Compiles and runs a script in a fresh child process held to OS limits; returns its `Result`.

    `grant`, `limits` and `timezone` mean what they mean for `deluge.run`, and a script's
    fault lands in `Result.error` in the same classes (`ParseError`, `DelugeRuntimeError`,
    `BudgetExceeded`, `ConsentRequired`). On top of `limits`, the child process is held to:
    `memory_bytes` of address space above what it holds at start (RLIMIT_AS; default 1 GiB,
    or twice `limits.memory` when that is more), `cpu_seconds` of CPU for running
    (RLIMIT_CPU; default `limits.cpu_time` + 1 s), no files written, no processes started,
    and a kill by this process `limits.wall_time` + `WALL_MARGIN` seconds after compiling
    (and after running) started. A child killed for time ends as `budget`/`wall_time`,
    for CPU as `budget`/`cpu_time`, for memory as `budget`/`memory`.

    There is no `host` argument: a host object cannot cross the process boundary, so an
    isolated run has no HTTP client; `invokeurl` and the other network calls fail as they
    do in `deluge.run` without a host (after the same grant checks). `Result.value` is plain
    JSON-able Python (`to_host` of the Deluge value). Raises RuntimeError where the
    `resource` module does not exist (not a POSIX system), and TypeError or ValueError for
    a context `deluge.run` would refuse the same way.
    """
    outcome = _execute(source, context, grant=grant, limits=limits, timezone=timezone,
                       memory_bytes=memory_bytes, cpu_seconds=cpu_seconds)
    return outcome.result


def shutdown() -> None:
    """Stops the zygote process of this host process (a later run starts a new one)."""
    global _SERVER
    with _SERVER_LOCK:
        server, _SERVER = _SERVER, None
    if server is not None:
        server.close()


@attrs.define
class _Outcome:
    """A run seen from the host: the result, and how the child ended (for tests and diagnostics)."""

    result: Result
    exit_code: int | None = None
    """The child's exit status (negative: killed by that signal); None when it is unknown."""
    killed: str | None = None
    """Why the host told the zygote to kill the child ("wall_time", "answer"), if it did."""
    max_rss: int | None = None
    """Peak resident memory of the child, in bytes."""
    probe: Any = None


def _execute(
    source: str | bytes,
    context: dict[str, Any] | None = None,
    *,
    grant: GrantLike = None,
    limits: Limits | None = None,
    timezone: str = "UTC",
    memory_bytes: int | None = None,
    cpu_seconds: float | None = None,
    hook: str | None = None,
) -> _Outcome:
    """`run_isolated`, with what the host saw of the child; `hook` makes the child misbehave (tests)."""
    if resource is None or not hasattr(socket, "recv_fds") or not hasattr(os, "fork"):
        raise RuntimeError("deluge.run_isolated needs a POSIX system with the `resource` module (Linux)")
    if not isinstance(source, (str, bytes)):
        raise TypeError("the source must be str or bytes")
    limits = limits or DEFAULT_LIMITS
    if not isinstance(limits, Limits):
        raise TypeError("limits must be a deluge.Limits")
    if not isinstance(timezone, str):
        raise TypeError("timezone must be an IANA time-zone name")
    headroom = memory_bytes if memory_bytes is not None else max(DEFAULT_MEMORY_BYTES, 2 * limits.memory)
    if type(headroom) is not int or headroom <= 0:
        raise ValueError("memory_bytes must be a positive int")
    run_cpu = float(cpu_seconds) if cpu_seconds is not None else limits.cpu_time + CPU_MARGIN
    if not run_cpu > 0:
        raise ValueError("cpu_seconds must be a positive number")
    run_cpu = min(run_cpu, _FOREVER)
    phase_seconds = min(limits.wall_time + WALL_MARGIN, _FOREVER)
    plain_context, problem = _plain_context(context, limits)
    if problem is not None:
        return _Outcome(Result(error=problem))
    request = {
        "source": source,
        "context": plain_context,
        "grant": _plain_grant(grant),
        "limits": limits,
        "timezone": timezone,
        "memory_bytes": headroom,
        "compile_cpu": phase_seconds,
        "run_cpu": run_cpu,
        "answer_bytes": _answer_cap(limits),
        "hook": hook,
    }
    payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
    started = time.monotonic()
    for attempt in range(2):
        server = _server()
        try:
            seen = _exchange(server, payload, phase_seconds, _answer_cap(limits))
            break
        except _ZygoteGone:  # it died since we last looked: start another one, once
            if attempt:
                raise RuntimeError("the deluge isolation process is not accepting runs") from None
    shown_cpu = limits.cpu_time if cpu_seconds is None else run_cpu
    return _conclude(seen, limits, headroom, run_cpu, shown_cpu, server.rss, time.monotonic() - started)


def _answer_cap(limits: Limits) -> int:
    return 2 * limits.output_bytes + ANSWER_MARGIN


def _plain_grant(grant: GrantLike) -> str | list[str] | None:
    if grant is None or isinstance(grant, str):
        return grant
    if isinstance(grant, Grant):
        return "all" if grant.everything_allowed else sorted(grant.capabilities)
    items = list(grant)
    for item in items:
        if not isinstance(item, str):
            raise TypeError("a grant is a list of capability strings")
    return items


def _plain_context(context: dict[str, Any] | None, limits: Limits) -> tuple[dict[str, Any] | None,
                                                                            DelugeError | None]:
    """The context as plain Deluge data for the child, refusing here what `Program.run` would refuse.

    Values go through `from_host` (so a host's own classes, such as int subclasses, never
    travel in the pickle); the `zoho` table is checked as `Program.run` checks it, and its
    clock values become plain datetimes. A context nested too deep is the run's error.
    """
    from deluge.runtime.convert import from_host
    from deluge.runtime.program import _clock_value, _system_overrides

    if context is None:
        return None, None
    if not isinstance(context, dict):
        raise TypeError("the context must be a dict")
    plain: dict[str, Any] = {}
    try:
        for key, value in context.items():
            if not isinstance(key, str):
                raise TypeError("context keys must be text")
            if key != "zoho":
                plain[str(key)] = from_host(value, limits.data_nesting)
                continue
            _system_overrides(value, limits)  # TypeError, ValueError or a budget error, as in Program.run
            if value is None:
                plain["zoho"] = None
                continue
            table: dict[str, Any] = {}
            for name, item in value.items():
                if name in ("currenttime", "currentdate") and item is not None:
                    table[name] = _clock_value(item, name)
                else:
                    table[str(name)] = from_host(item, limits.data_nesting)
            plain["zoho"] = table
    except DelugeError as exc:
        return None, exc
    return plain, None


@attrs.define
class _Seen:
    """What `_exchange` saw of one child."""

    answer: bytes = b""
    compiled: bool = False
    pid: int | None = None
    exit_code: int | None = None
    max_rss: int | None = None
    killed: str | None = None
    oversized: bool = False
    lost: str | None = None
    """Why the zygote could not give an exit status (it died, could not fork)."""
    run_elapsed: float = 0.0


def _exchange(server: _Server, payload: bytes, phase_seconds: float, cap: int) -> _Seen:
    """Starts one child, feeds it the request, reads its answer and exit status, kills it when late."""
    seen = _Seen()
    req_ours, req_theirs = socket.socketpair()
    res_r, res_w = os.pipe()
    mine, theirs = socket.socketpair()
    requesting = True
    answering = True
    try:
        try:
            server.submit((req_theirs.fileno(), res_w, theirs.fileno()))
        finally:
            req_theirs.close()
            os.close(res_w)
            theirs.close()
        req_ours.setblocking(False)
        os.set_blocking(res_r, False)
        mine.setblocking(False)
        pending = memoryview(payload)
        answer = bytearray()
        status = bytearray()
        first = True
        now = time.monotonic()
        phase_end = now + phase_seconds
        run_started = now
        kill_deadline: float | None = None
        with selectors.DefaultSelector() as sel:
            sel.register(req_ours, selectors.EVENT_WRITE, "request")
            sel.register(res_r, selectors.EVENT_READ, "answer")
            sel.register(mine, selectors.EVENT_READ, "status")
            while seen.lost is None and (seen.exit_code is None or answering):
                now = time.monotonic()
                if seen.killed is None and seen.exit_code is None and now >= phase_end:
                    seen.killed = "wall_time"
                    kill_deadline = _kill(mine, now)
                if kill_deadline is not None and now >= kill_deadline:
                    seen.lost = "the child did not end after it was killed"
                    break
                if seen.exit_code is not None:
                    timeout = 0.0  # dead: what it wrote is all in the pipe already
                else:
                    timeout = max(0.0, (kill_deadline or phase_end) - now)
                events = sel.select(min(timeout, 60.0))
                if not events and seen.exit_code is not None:
                    break  # dead, and its pipe is not at its end: a descriptor leaked somewhere
                for key, _ in events:
                    if key.data == "request":
                        try:
                            sent = req_ours.send(pending[:65536], socket.MSG_NOSIGNAL)
                        except BlockingIOError:
                            continue
                        except OSError:  # the child is gone
                            sent = len(pending)
                        pending = pending[sent:]
                        if not pending:
                            sel.unregister(req_ours)
                            req_ours.close()  # the child reads up to this end
                            requesting = False
                    elif key.data == "answer":
                        try:
                            chunk = os.read(res_r, 65536)
                        except BlockingIOError:
                            continue
                        ended = not chunk
                        if first and chunk:
                            first = False
                            if chunk[:1] == _COMPILED:
                                chunk = chunk[1:]
                                seen.compiled = True
                                run_started = time.monotonic()
                                phase_end = run_started + phase_seconds
                        answer += chunk
                        if len(answer) > cap:
                            seen.oversized = True
                            del answer[cap:]
                            if seen.killed is None and seen.exit_code is None:
                                seen.killed = "answer"
                                kill_deadline = _kill(mine, time.monotonic())
                        if ended or seen.oversized:
                            sel.unregister(res_r)
                            os.close(res_r)
                            answering = False
                    else:
                        try:
                            data = mine.recv(4096)
                        except BlockingIOError:
                            continue
                        except OSError:
                            data = b""
                        if not data:
                            sel.unregister(mine)
                            if seen.exit_code is None:
                                seen.lost = "the zygote process stopped"
                                server.broken = True
                            continue
                        status += data
                        _read_status(status, seen)
        seen.answer = bytes(answer)
        seen.run_elapsed = time.monotonic() - run_started
        return seen
    finally:
        if requesting:
            req_ours.close()
        if answering:
            os.close(res_r)
        mine.close()  # the zygote kills a child whose status socket closes


def _kill(sock: socket.socket, now: float) -> float:
    try:
        sock.send(b"K", socket.MSG_NOSIGNAL)
    except OSError:
        pass
    return now + KILL_GRACE


_PID = struct.Struct("!q")
_EXIT = struct.Struct("!iq")


def _read_status(buffer: bytearray, seen: _Seen) -> None:
    """Takes the zygote's messages off the front of `buffer`: P pid, X exit code + peak RSS, F (no fork)."""
    while buffer:
        tag = buffer[:1]
        if tag == b"P" and len(buffer) >= 1 + _PID.size:
            (seen.pid,) = _PID.unpack_from(buffer, 1)
            del buffer[: 1 + _PID.size]
        elif tag == b"X" and len(buffer) >= 1 + _EXIT.size:
            seen.exit_code, seen.max_rss = _EXIT.unpack_from(buffer, 1)
            del buffer[: 1 + _EXIT.size]
        elif tag == b"F":
            seen.lost = "the zygote could not start a process"
            del buffer[:1]
        elif tag in (b"P", b"X"):
            return  # the rest is still on its way
        else:
            seen.lost = "the zygote sent a bad status"
            buffer.clear()


def _conclude(seen: _Seen, limits: Limits, headroom: int, run_cpu: float, shown_cpu: float,
              zygote_rss: int, elapsed: float) -> _Outcome:
    """The `Result` of a run from what the host saw of the child."""
    outcome = _Outcome(Result(stats=Stats(elapsed=elapsed)), exit_code=seen.exit_code, killed=seen.killed,
                       max_rss=seen.max_rss)

    def fail(error: DelugeError) -> _Outcome:
        outcome.result.error = error
        return outcome

    code = seen.exit_code
    if code == 0 and not seen.oversized:
        try:
            result, probe = decode_answer(seen.answer, _answer_cap(limits))
        except AnswerError as exc:
            if seen.killed is None:
                return fail(DelugeRuntimeError(f"The isolated run sent a malformed answer: {exc}"))
        else:  # a complete answer, even if it came as the host gave up waiting
            result.stats = attrs.evolve(result.stats, elapsed=result.stats.elapsed or elapsed)
            outcome.result = result
            outcome.probe = probe
            return outcome
    if seen.killed == "wall_time":
        return fail(BudgetExceeded(f"The run took longer than its {limits.wall_time:g} s of wall time",
                                   limit="wall_time"))
    if seen.oversized:
        return fail(DelugeRuntimeError(
            f"The isolated run's answer was larger than {_answer_cap(limits)} bytes"))
    if code is None:
        return fail(DelugeRuntimeError(f"The isolated run crashed ({seen.lost or 'no exit status'})"))
    grown = None if seen.max_rss is None else seen.max_rss - zygote_rss
    if code < 0:
        signum = -code
        if signum == signal.SIGXCPU:
            return fail(_cpu_error(shown_cpu))
        if grown is not None and grown >= headroom // 2 and signum in (
                signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS):
            return fail(BudgetExceeded("The run ran out of memory", limit="memory"))
        if signum == signal.SIGKILL and seen.compiled and seen.run_elapsed >= run_cpu:
            return fail(_cpu_error(shown_cpu))  # the hard RLIMIT_CPU
        return fail(DelugeRuntimeError(f"The isolated run crashed (killed by {_signal_name(signum)})"))
    return fail(DelugeRuntimeError(f"The isolated run crashed (exit status {code})"))


def _cpu_error(seconds: float) -> BudgetExceeded:
    return BudgetExceeded(f"The run used more than its {seconds:g} s of CPU time", limit="cpu_time")


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


# ---------------------------------------------------------------- reading an answer


def decode_answer(data: bytes, max_bytes: int) -> tuple[Result, Any]:
    """The `Result` a child's JSON answer describes (and its test probe); AnswerError when malformed.

    The child ran untrusted code, so nothing of it is trusted: the size is capped, the text
    must be UTF-8 JSON, and every field must have its exact type, or the whole answer is refused.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise AnswerError("not bytes")
    if len(data) > max_bytes:
        raise AnswerError(f"{len(data)} bytes, more than {max_bytes}")
    if not data:
        raise AnswerError("empty")
    try:
        obj = json.loads(bytes(data).decode("utf-8", "surrogatepass"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise AnswerError(f"not JSON ({type(exc).__name__})") from None
    if not isinstance(obj, dict) or set(obj) - {"output", "returned", "value", "error", "stats", "probe"}:
        raise AnswerError("not a result object")
    output = obj.get("output")
    if not isinstance(output, list) or not all(type(line) is str for line in output):
        raise AnswerError("output is not a list of texts")
    returned = obj.get("returned")
    if returned is not None and type(returned) is not str:
        raise AnswerError("returned is not a text")
    value = obj.get("value")
    if returned is None and value is not None:
        raise AnswerError("a value without a rendering")
    error = _decode_error(obj.get("error"))
    stats = _decode_stats(obj.get("stats"))
    result = Result(output=output, value=value, returned=returned, error=error, stats=stats)
    return result, obj.get("probe")


def _decode_error(raw: Any) -> DelugeError | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise AnswerError("error is not an object")
    kind = raw.get("kind")
    message = raw.get("message")
    if kind not in _KINDS or type(message) is not str:
        raise AnswerError("error has no kind or message")
    line = _optional_int(raw.get("line"), "line")
    column = _optional_int(raw.get("column"), "column")
    frames_raw = raw.get("frames", [])
    if not isinstance(frames_raw, list):
        raise AnswerError("error frames are not a list")
    frames: list[tuple[str, int]] = []
    for frame in frames_raw:
        if (not isinstance(frame, list) or len(frame) != 2 or type(frame[0]) is not str
                or type(frame[1]) is not int):
            raise AnswerError("bad error frame")
        frames.append((frame[0], frame[1]))
    where: dict[str, Any] = {"line": line, "column": column, "frames": tuple(frames)}
    if kind == "parse":
        return ParseError(message, **where)
    if kind == "runtime":
        return DelugeRuntimeError(message, **where)
    if kind == "budget":
        limit = raw.get("limit")
        if type(limit) is not str or not limit:
            raise AnswerError("budget error without a limit")
        return BudgetExceeded(message, limit=limit, **where)
    capability = raw.get("capability")
    if type(capability) is not str:
        raise AnswerError("consent error without a capability")
    return ConsentRequired(message, capability=capability, **where)


def _optional_int(value: Any, name: str) -> int | None:
    if value is None or type(value) is int:
        return value
    raise AnswerError(f"error {name} is not a number")


def _decode_stats(raw: Any) -> Stats:
    if not isinstance(raw, dict):
        raise AnswerError("stats is not an object")
    counts: dict[str, int] = {}
    for name in ("steps", "work", "http_calls"):
        value = raw.get(name, 0)
        if type(value) is not int or value < 0:
            raise AnswerError(f"stats {name} is not a count")
        counts[name] = value
    elapsed = raw.get("elapsed", 0.0)
    if type(elapsed) not in (int, float) or not 0 <= elapsed < math.inf:
        raise AnswerError("stats elapsed is not a duration")
    return Stats(elapsed=float(elapsed), **counts)


# ---------------------------------------------------------------- the zygote, seen from the host


class _Server:
    """The host's handle on its zygote process."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        path = [os.path.abspath(p) if p else os.getcwd() for p in sys.path]
        env = {name: os.environ[name] for name in KEPT_ENVIRONMENT if name in os.environ}
        env["MALLOC_ARENA_MAX"] = "1"  # no 64 MiB arena reservation per thread under RLIMIT_AS
        bootstrap = ("import sys, json; sys.path[:] = json.loads(sys.argv[1]); "
                     "from deluge.isolated import _zygote_main; _zygote_main(int(sys.argv[2]))")
        try:
            self.process = subprocess.Popen(
                [EXECUTABLE or sys.executable, "-I", "-c", bootstrap, json.dumps(path), str(theirs.fileno())],
                pass_fds=[theirs.fileno()], env=env, cwd="/", stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.sock = ours
        self.owner = os.getpid()
        self.broken = False
        self.lock = threading.Lock()
        try:
            hello = self._hello()
        except BaseException:
            self.close()
            raise
        self.pid: int = self.process.pid
        self.rss: int = int(hello["rss"])
        self.vm: int = int(hello["vm"])

    def _hello(self) -> dict[str, Any]:
        deadline = time.monotonic() + START_TIMEOUT
        data = b""
        while not data.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("the deluge isolation process did not start in time")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                raise RuntimeError("the deluge isolation process failed to start"
                                   + (f": {data.decode(errors='replace')}" if data else ""))
            data += chunk
        self.sock.settimeout(None)
        hello = json.loads(data)
        if "error" in hello:
            raise RuntimeError(f"the deluge isolation process failed to start: {hello['error']}")
        return hello  # type: ignore[no-any-return]

    def alive(self) -> bool:
        return not self.broken and self.owner == os.getpid() and self.process.poll() is None

    def submit(self, fds: Iterable[int]) -> None:
        with self.lock:
            try:
                rights = array.array("i", list(fds))
                self.sock.sendmsg([b"R"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, rights)], socket.MSG_NOSIGNAL)
            except OSError:
                self.broken = True
                raise _ZygoteGone from None

    def close(self) -> None:
        if self.owner != os.getpid():  # a copy inherited through fork: not ours to stop
            self.sock.close()
            return
        self.sock.close()  # the zygote kills its children and exits when this closes
        try:
            self.process.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_SERVER: _Server | None = None
_SERVER_LOCK = threading.Lock()


def _server() -> _Server:
    global _SERVER
    with _SERVER_LOCK:
        server = _SERVER
        if server is not None and not server.alive():
            server.close()
            server = None
        if server is None:
            server = _SERVER = _Server()
        return server


def _forget_server_after_fork() -> None:
    global _SERVER, _SERVER_LOCK
    _SERVER_LOCK = threading.Lock()
    if _SERVER is not None:
        _SERVER.sock.close()  # our copy only: the zygote still serves the parent process
        _SERVER = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_server_after_fork)
atexit.register(shutdown)


# ---------------------------------------------------------------- the zygote


def _memory_now() -> tuple[int, int]:
    """(virtual size, resident size) of this process, in bytes."""
    with open("/proc/self/statm", "rb") as f:
        fields = f.read().split()
    page = os.sysconf("SC_PAGE_SIZE")
    return int(fields[0]) * page, int(fields[1]) * page


def _preload() -> None:
    """Loads everything a run may need, so a child starts warm and opens no files."""
    import ctypes  # noqa: F401  (used by the children)
    import zoneinfo

    from deluge.builtins import datefmt, registry
    from deluge.catalog import load as load_catalog
    from deluge.runtime import convert, network  # noqa: F401
    from deluge.runtime.program import compile_program

    registry.load_all()
    load_catalog()
    compile_program(_WARMUP, cache=False)
    datefmt.tz_database_available()
    zoneinfo.ZoneInfo("UTC")
    try:
        import regex  # noqa: F401
    except ImportError:  # pragma: no cover
        pass


def _zygote_main(fd: int) -> None:
    """The zygote's loop: forks a child for each request, reaps children, reports their status."""
    import gc

    ctrl = socket.socket(fileno=fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _preload()
    except BaseException as exc:
        ctrl.sendall(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode() + b"\n")
        raise SystemExit(1) from None
    gc.collect()
    gc.freeze()  # children do not touch (and so do not copy) the pages of what is loaded
    vm, rss = _memory_now()
    ctrl.sendall(json.dumps({"vm": vm, "rss": rss}).encode() + b"\n")

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.set_wakeup_fd(wake_w)
    children: dict[int, socket.socket | None] = {}
    sel = selectors.DefaultSelector()
    sel.register(ctrl, selectors.EVENT_READ, None)
    sel.register(wake_r, selectors.EVENT_READ, None)
    running = True
    while running:
        for key, _ in sel.select(timeout=5.0):
            if key.fileobj is wake_r:
                try:
                    while os.read(wake_r, 512):
                        pass
                except BlockingIOError:
                    pass
            elif key.fileobj is ctrl:
                try:
                    message, fds, _flags, _addr = socket.recv_fds(ctrl, 1, 3)
                except OSError:
                    message, fds = b"", []
                if not message:
                    for fd_ in fds:
                        os.close(fd_)
                    running = False
                    break
                if message != b"R" or len(fds) != 3:
                    for fd_ in fds:
                        os.close(fd_)
                    continue
                _spawn(fds, children, sel)
            else:
                pid = key.data
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    data = sock.recv(64)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if (not data or b"K" in data) and children.get(pid) is sock:
                    try:
                        os.kill(pid, signal.SIGKILL)  # still our unreaped child: the pid cannot be reused
                    except ProcessLookupError:
                        pass
                if not data:
                    sel.unregister(sock)
                    sock.close()
                    children[pid] = None
        _reap(children, sel)
    for pid, _sock in list(children.items()):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    while children:
        try:
            pid, _status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        children.pop(pid, None)


def _spawn(fds: list[int], children: dict[int, socket.socket | None], sel: selectors.BaseSelector) -> None:
    req_r, res_w, status_fd = fds
    status = socket.socket(fileno=status_fd)
    try:
        pid = os.fork()
    except OSError:
        os.close(req_r)
        os.close(res_w)
        try:
            status.sendall(b"F")
        except OSError:
            pass
        status.close()
        return
    if pid == 0:  # the child
        code = _EXIT_FAILED
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            code = _child_main(req_r, res_w)
        finally:
            os._exit(code)
    os.close(req_r)
    os.close(res_w)
    try:
        status.sendall(b"P" + _PID.pack(pid))
    except OSError:
        pass
    status.setblocking(False)
    children[pid] = status
    sel.register(status, selectors.EVENT_READ, pid)


def _reap(children: dict[int, socket.socket | None], sel: selectors.BaseSelector) -> None:
    while children:
        try:
            pid, wait_status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        sock = children.pop(pid, None)
        if sock is None:
            continue
        code = os.waitstatus_to_exitcode(wait_status)
        try:
            sock.setblocking(True)
            sock.sendall(b"X" + _EXIT.pack(code, usage.ru_maxrss * 1024))
        except OSError:
            pass
        sel.unregister(sock)
        sock.close()


# ---------------------------------------------------------------- the child


def _harden() -> None:
    """No core dumps, no ptrace by others, no new privileges, death with the zygote (Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
        libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _close_all_but(keep: Iterable[int]) -> None:
    low = 3
    for fd in sorted(set(keep)):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1
    os.closerange(low, max(1 << 20, os.sysconf("SC_OPEN_MAX")))
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        if fd != devnull:
            os.dup2(devnull, fd)
    if devnull > 2:
        os.close(devnull)


def _read_all(fd: int) -> bytes:
    parts = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _set_limit(name: str, soft: int, hard: int | None = None) -> None:
    assert resource is not None
    which = getattr(resource, name, None)
    if which is None:  # pragma: no cover
        return
    hard = soft if hard is None else hard
    _old_soft, old_hard = resource.getrlimit(which)
    if old_hard != resource.RLIM_INFINITY:
        hard = min(hard, old_hard)
        soft = min(soft, hard)
    try:
        resource.setrlimit(which, (soft, hard))
    except (ValueError, OSError):  # pragma: no cover - a limit this system does not allow lowering
        pass


def _cpu_used() -> float:
    assert resource is not None
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child_main(req_r: int, res_w: int) -> int:
    """One run in a fresh child: lock the process down, read the request, run, answer. Returns the exit code."""
    ppid = os.getppid()
    _harden()
    if os.getppid() != ppid:
        return _EXIT_FAILED  # the zygote died before PR_SET_PDEATHSIG took hold
    _close_all_but((req_r, res_w))
    request = pickle.loads(_read_all(req_r))  # from the host (trusted), never from a child
    os.close(req_r)
    os.environ.clear()
    import random

    random.seed()  # not the zygote's state, shared by every child

    from deluge.runtime import watchdog
    from deluge.runtime.execution import Execution

    limits: Limits = request["limits"]
    # start the watchdog thread now: threads are processes for RLIMIT_NPROC
    dog = watchdog.WATCHDOG
    dog.disarm(dog.arm(Execution(limits=limits)))
    memory_answer = _dump({"output": [], "returned": None, "value": None, "stats": {},
                           "error": {"kind": "budget", "limit": "memory", "message": "The run ran out of memory"}})
    vm, _rss = _memory_now()
    compile_cpu = math.ceil(request["compile_cpu"] + request["run_cpu"])
    assert resource is not None
    _set_limit("RLIMIT_CORE", 0)
    _set_limit("RLIMIT_FSIZE", 0)
    _set_limit("RLIMIT_NOFILE", OPEN_FILES)
    _set_limit("RLIMIT_NPROC", 0)
    _set_limit("RLIMIT_MEMLOCK", 0)
    _set_limit("RLIMIT_MSGQUEUE", 0)
    _set_limit("RLIMIT_CPU", compile_cpu, compile_cpu + 1)
    _set_limit("RLIMIT_AS", vm + request["memory_bytes"])
    hook = request.get("hook")
    try:
        answer = _run_request(request, res_w, hook)
    except MemoryError:
        answer = memory_answer
    try:
        _write_all(res_w, answer)
    except MemoryError:
        _write_all(res_w, memory_answer)
    except OSError:
        return _EXIT_FAILED
    return 0


def _run_request(request: dict[str, Any], res_w: int, hook: str | None) -> bytes:
    from deluge.runtime.convert import to_host
    from deluge.runtime.program import compile_program

    limits: Limits = request["limits"]
    result: Result | None = None
    started = time.perf_counter()
    try:
        program = compile_program(request["source"], limits=limits)
    except DelugeError as exc:
        result = Result(error=exc)
    except MemoryError:
        raise
    except Exception as exc:
        result = Result(error=DelugeRuntimeError(f"Internal error: {type(exc).__name__}: {exc}"))
    if result is None:
        _write_all(res_w, _COMPILED)
        used = _cpu_used()
        run_cpu = math.ceil(used + request["run_cpu"])
        _set_limit("RLIMIT_CPU", run_cpu, run_cpu + 1)
        if hook is not None:
            return _test_hook(hook, request, res_w)
        try:
            result = program.run(request["context"], grant=request["grant"], limits=limits,
                                 timezone=request["timezone"], spent=time.perf_counter() - started)
        except MemoryError:
            raise
        except Exception as exc:
            result = Result(error=DelugeRuntimeError(f"Internal error: {type(exc).__name__}: {exc}"))
    value = None
    if result.returned is not None:
        try:
            value = to_host(result.value)
        except (DelugeError, RecursionError):
            value = None
    stats = result.stats
    answer = {
        "output": list(result.output),
        "returned": result.returned,
        "value": value,
        "error": None if result.error is None else _error_json(result.error),
        "stats": {"steps": stats.steps, "elapsed": stats.elapsed, "work": stats.work,
                  "http_calls": stats.http_calls},
    }
    data = _dump(answer)
    cap = request["answer_bytes"]
    if len(data) > cap:
        answer["returned"] = answer["value"] = None
        answer["error"] = _error_json(DelugeRuntimeError(
            f"The run's result is too large to send back from an isolated run ({len(data)} bytes, "
            f"at most {cap})"))
        data = _dump(answer)
        if len(data) > cap:
            answer["output"] = []
            data = _dump(answer)
    return data


def _error_json(error: DelugeError) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": error.kind if error.kind in _KINDS else "runtime",
        "message": error.message,
        "line": error.line,
        "column": error.column,
        "frames": [[str(name), int(line)] for name, line in error.frames],
    }
    if isinstance(error, BudgetExceeded):
        out["limit"] = error.limit
    if isinstance(error, ConsentRequired):
        out["capability"] = error.capability
    return out


def _dump(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")


def _test_hook(hook: str, request: dict[str, Any], res_w: int) -> bytes:
    """Misbehaviours the tests ask for, to exercise the host's side (never reachable from a script)."""
    if hook == "sleep":
        while True:
            time.sleep(10)
    if hook == "spin":
        while True:
            pass
    if hook == "garbage":
        return b"{not json"
    if hook == "flood":
        chunk = b"x" * (1 << 20)
        while True:
            _write_all(res_w, chunk)
    if hook == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    if hook == "probe":
        assert resource is not None
        try:
            with open("/proc/self/environ", "rb") as f:
                initial = f.read().decode("utf-8", "replace")
        except OSError as exc:
            initial = f"unreadable: {exc}"
        names = ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_NOFILE", "RLIMIT_FSIZE", "RLIMIT_CORE", "RLIMIT_NPROC")
        probe = {
            "environ": dict(os.environ),
            "initial_environ": initial,
            "fds": sorted(int(name) for name in os.listdir("/proc/self/fd")),
            "res_w": res_w,
            "limits": {name: list(resource.getrlimit(getattr(resource, name))) for name in names},
            "cwd": os.getcwd(),
        }
        return _dump({"output": [], "returned": None, "value": None, "error": None, "stats": {},
                      "probe": probe})
    raise ValueError(f"unknown test hook {hook!r}")
