"""Compiled programs and their runs: `compile`, `Program.run` and `Result`.

A `Program` is immutable and holds no values of any run, so one program can
run many times, in many threads at once. Compiled programs are cached by a
hash of the source and the interpreter version, so a host that runs a known
script pays for parsing and compiling once.
"""

from __future__ import annotations

import ast
import datetime as _dt
import gc
import hashlib
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs

from deluge.capabilities import Grant
from deluge.errors import BudgetExceeded, DelugeError, DelugeRuntimeError, ParseError
from deluge.limits import DEFAULT_LIMITS, Limits
from deluge.runtime import helpers, watchdog
from deluge.runtime.convert import from_host
from deluge.runtime.execution import Execution, activate
from deluge.runtime.render import render
from deluge.runtime.values import NO_INPUT
from deluge.runtime.watchdog import Interrupted
from deluge.syntax.datetext import DateTextError, recognise_date

if TYPE_CHECKING:
    from deluge.analysis.manifest import Manifest
    from deluge.syntax import nodes as n

VERSION = "0.1.0"

GrantLike = None | str | Iterable[str] | Grant
"""What `run()` takes as a grant: nothing (deny all), "all", capabilities, or a `Grant`."""


@attrs.frozen
class Stats:
    """What a run consumed."""

    steps: int = 0
    elapsed: float = 0.0
    work: int = 0
    http_calls: int = 0


@attrs.define
class Result:
    """The outcome of a run. `run` never raises for a script's fault: it lands in `error`."""

    output: list[str] = attrs.field(factory=list)
    """The rendered `info` lines, in order."""
    value: Any = None
    """The Deluge value of a top-level `return`, or None."""
    returned: str | None = None
    """The rendering of that value, or None when the script returned nothing."""
    error: DelugeError | None = None
    stats: Stats = attrs.field(factory=Stats)
    variables: dict[str, Any] | None = None
    """For a program compiled with `capture` (a REPL session): its top-level variables as the run
    ended, also when it failed halfway; None otherwise, or when the run never started."""

    @property
    def ok(self) -> bool:
        return self.error is None

    def raise_for_error(self) -> Result:
        """Raises the run's error, if any; returns the result otherwise (so calls chain)."""
        if self.error is not None:
            raise self.error
        return self

    def to_json(self) -> dict[str, Any]:
        """The shape `deluge run --json` prints."""
        return {
            "output": list(self.output),
            "returned": self.returned,
            "error": None if self.error is None else self.error.to_json(),
        }


@attrs.frozen(eq=False)
class Program:
    """A checked, compiled script, ready to run any number of times."""

    source: str
    free_names: tuple[tuple[str, int, int], ...]
    """Names the script reads before assigning them (they must come from the context), with positions."""
    _main: Any
    _globals: dict[str, Any]
    _module: Any = None
    _python: Any = None
    _limits: Limits = DEFAULT_LIMITS
    _manifest: Any = None

    @property
    def module(self) -> n.Module:
        """The syntax tree (parsed again if this program came from the disk cache)."""
        if self._module is None:
            object.__setattr__(self, "_module", _build(self.source, self._limits)._module)
        return self._module  # type: ignore[no-any-return]

    @property
    def manifest(self) -> Manifest:
        """What the script can reach outside itself, for a host's consent check (made once)."""
        if self._manifest is None:
            from deluge.analysis.manifest import analyze

            object.__setattr__(self, "_manifest", analyze(self.module))
        return self._manifest  # type: ignore[no-any-return]

    @property
    def python(self) -> ast.Module:
        """The generated Python tree (made again if this program came from the disk cache)."""
        if self._python is None:
            object.__setattr__(self, "_python", _build(self.source, self._limits)._python)
        return self._python  # type: ignore[no-any-return]

    def python_source(self) -> str:
        """The generated Python, for auditing (`deluge compile --python`)."""
        return ast.unparse(self.python)

    def run(
        self,
        context: dict[str, Any] | None = None,
        *,
        grant: GrantLike = None,
        limits: Limits | None = None,
        host: Any = None,
        timezone: str = "UTC",
        cancel: Any = None,
        spent: float = 0.0,
        variables: dict[str, Any] | None = None,
    ) -> Result:
        """Runs the program once. Script faults come back in `Result.error`, never raised.

        `timezone` is the application time zone (an IANA name) in which date-times are read.
        `cancel` is an optional `threading.Event`: setting it from another thread stops the
        run within about 20 ms (even inside a long built-in) with a `budget` error whose
        limit is "cancelled". `spent` is the wall time already used for this run before it
        starts, in seconds: `deluge.run` passes the time it took to parse and compile the
        script, which counts against `wall_time` (LANGUAGE.md 8). `variables` binds names as
        the context does, but to Deluge values that are passed as they are, not converted or
        copied: a REPL session hands back the `Result.variables` of its earlier inputs.
        """
        limits = limits or DEFAULT_LIMITS
        started = time.perf_counter() - spent
        if spent > limits.wall_time:
            error = BudgetExceeded(f"Parsing and compiling took longer than the run's {limits.wall_time:g} s "
                                   "of wall time", limit="wall_time", line=1, column=1)
            return Result(error=error, stats=Stats(elapsed=spent))
        try:
            ex, args = self._prepare(context, grant, limits, host, timezone, spent, variables)
        except DelugeError as exc:
            return Result(error=exc, stats=Stats(elapsed=time.perf_counter() - started))
        ex.cancel_event = cancel
        previous = activate(ex)
        value: Any = helpers.NO_RETURN
        error: DelugeError | None = None
        dog = watchdog.WATCHDOG  # looked up now: a forked child has its own
        watch = dog.arm(ex)
        try:
            try:
                value = self._main(ex, *args)
            finally:
                dog.disarm(watch)
        except DelugeError as exc:
            error = _locate(exc)
        except Interrupted as exc:
            dog.disarm(watch)  # delivered while disarming: make sure the watch is over
            limit, message = ex.interrupt_reason or ("wall_time", "The run was stopped")
            error = _locate(BudgetExceeded(message, limit=limit), exc)
        except RecursionError as exc:
            if len(helpers.script_frames(exc.__traceback__)) > 32:  # a host raised call_depth this high
                error = _locate(BudgetExceeded("The script's calls nest deeper than Python allows",
                                               limit="recursion"), exc)
            else:  # data nested too deeply, or data that contains itself, walked by a comparison or copy
                error = _locate(BudgetExceeded("The data is nested too deeply (or contains itself)",
                                               limit="data_nesting"), exc)
        except MemoryError as exc:
            error = _locate(BudgetExceeded("The run ran out of memory", limit="memory"), exc)
        except Exception as exc:  # a fault of the interpreter itself: still no traceback for the user
            error = _locate(DelugeRuntimeError(f"Internal error: {type(exc).__name__}: {exc}"), exc)
        finally:
            activate(previous)
        if error is None and ex.steps_used() > ex.max_steps:
            # steps charged after the last check (the end of a loop's last iteration)
            error = BudgetExceeded(
                f"The script executed more than {ex.max_steps} steps (statements and loop iterations)",
                limit="steps", line=self.source.rstrip().count("\n") + 1)
        result = Result(output=ex.output, error=error, variables=getattr(ex, "variables", None))
        if error is None and value is not helpers.NO_RETURN:
            result.value = value
            try:
                result.returned = render(value, limits.data_nesting, limits.text_length)
            except DelugeError as exc:
                result.error = exc
                result.value = None
        result.stats = Stats(steps=ex.steps_used(), elapsed=time.perf_counter() - started, work=ex.work,
                             http_calls=ex.http_calls)
        return result

    def _prepare(self, context: dict[str, Any] | None, grant: GrantLike, limits: Limits, host: Any,
                 timezone: str = "UTC", spent: float = 0.0,
                 variables: dict[str, Any] | None = None) -> tuple[Execution, list[Any]]:
        context = dict(context or {})
        zoho = context.pop("zoho", None)
        system, clock = _system_overrides(zoho, limits)
        ex = Execution(limits=limits, grant=Grant.of(grant), system=system, clock=clock, host=host, timezone=timezone,
                       spent=spent)
        values = {}
        for key, value in context.items():
            if not isinstance(key, str):
                raise TypeError("context keys must be text")
            values[key] = from_host(value, limits.data_nesting)
        if variables:
            values.update(variables)
        args = []
        for name, line, column in self.free_names:
            if name in values:
                args.append(values[name])
            elif name == "input":
                args.append(NO_INPUT)
            else:
                raise ParseError(f"Variable '{name}' is not defined", line=line, column=column)
        return ex, args


def _system_overrides(zoho: Any, limits: Limits) -> tuple[dict[str, Any], _dt.datetime | None]:
    """The `zoho` table of a context: system variables, and a frozen clock (D11)."""
    if zoho is None:
        return {}, None
    if not isinstance(zoho, dict):
        raise TypeError("context['zoho'] must be a dict of system variables")
    system: dict[str, Any] = {}
    clock = None
    current_time = zoho.get("currenttime")
    current_date = zoho.get("currentdate")
    if current_time is not None:
        clock = _clock_value(current_time, "currenttime")
    if current_date is not None:
        day = _clock_value(current_date, "currentdate")
        if clock is None:
            clock = day
        elif (clock.year, clock.month, clock.day) != (day.year, day.month, day.day):
            clock = clock.replace(year=day.year, month=day.month, day=day.day)
    for key, value in zoho.items():
        if key in ("currenttime", "currentdate"):
            continue
        system[f"zoho.{str(key).lower()}"] = from_host(value, limits.data_nesting)
    return system, clock


def _clock_value(value: Any, key: str) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            parts = recognise_date(value, strict=True)
        except DateTextError:
            parts = None
        if parts is not None and not parts.two_digit_year:
            return _dt.datetime(*parts[:6])
    raise ValueError(f"context zoho.{key} must be a date text such as 15-Mar-2019 10:20:30, not {value!r}")


def _locate(error: DelugeError, cause: BaseException | None = None) -> DelugeError:
    """Fills in the line (and Deluge call stack) of an error from the generated frames."""
    tb = (cause or error).__traceback__
    if error.line is None:
        error.line = helpers.script_line(tb)
    if not error.frames:
        error.frames = helpers.script_frames(tb)
    # the traceback holds the run's frames and every value in them: let them go now
    error.__traceback__ = None
    error.__context__ = error.__cause__ = None
    if cause is not None:
        cause.__traceback__ = None
    return error


# ---------------------------------------------------------------- compiling, with a cache

_cache: OrderedDict[str, Program] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 256


def _cache_key(text: str, limits: Limits) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass"))
    digest.update(f"\0{VERSION}\0{sys.version_info[:2]}\0{limits.source_bytes}\0{limits.source_nesting}".encode())
    return digest.hexdigest()


def compile_program(source: str | bytes, *, limits: Limits | None = None, cache: bool = True,
                    disk_cache: bool = False, optimize: bool = True, metered: bool = True,
                    capture: bool = False, given: Iterable[str] = ()) -> Program:
    """Parses, checks and compiles a script; raises ParseError for anything Zoho would not save.

    `optimize=False` compiles without static types and specialized loops (the tests run
    both kinds of code on the same inputs); `metered=False` leaves out the step meter, for
    measuring what it costs only: such a program is not held to the step limit. With
    `disk_cache` (the command line's choice) a compiled program is also kept in the user's
    cache folder, so running the same script again skips the parser entirely.

    `capture` (a REPL session) makes every run report the top-level variables in
    `Result.variables`, also after a failure; the `given` names (the session's variables) that
    the script assigns are read from the run's `variables` too, like free names, so a variable
    the script assigns only in a branch not taken keeps its value.
    """
    from deluge.syntax.parser import decode

    limits = limits or DEFAULT_LIMITS
    text = decode(source)
    key = _cache_key(text, limits)
    given = tuple(sorted(set(given)))
    if capture or given:
        disk_cache = False
        key += hashlib.sha256("\0".join(("capture" if capture else "", *given)).encode()).hexdigest()
    if not optimize or not metered:
        return _build(text, limits, optimize=optimize, metered=metered, capture=capture, given=given)
    if cache:
        with _cache_lock:
            program = _cache.get(key)
            if program is not None:
                _cache.move_to_end(key)
                return program
    program = _from_disk(key, text, limits) if disk_cache else None
    if program is None:
        program = _build(text, limits, key if disk_cache else None, capture=capture, given=given)
    if cache:
        with _cache_lock:
            _cache[key] = program
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return program


def _build(text: str, limits: Limits, disk_key: str | None = None, *, optimize: bool = True,
           metered: bool = True, capture: bool = False, given: tuple[str, ...] = ()) -> Program:
    from deluge import catalog as catalog_module
    from deluge.analysis.checker import check
    from deluge.runtime.compiler import compile_module, to_code
    from deluge.syntax.parser import check_expression_depth, parse

    collecting = gc.isenabled()
    gc.disable()  # the syntax trees are acyclic garbage; collecting while they grow only costs time
    try:
        module = parse(text, max_bytes=limits.source_bytes, max_nesting=limits.source_nesting)
        check_expression_depth(module)
        catalog = catalog_module.load()
        result = check(module, catalog)
        if result.errors:
            raise result.errors[0]
        tree, extra, free, recipes = compile_module(module, result, catalog, optimize=optimize, metered=metered,
                                                    capture=capture, given=given)
        code = to_code(tree)
    except RecursionError:  # a safety net: the parser refuses expressions nested this deep
        raise ParseError("The script nests too deeply to compile", line=1, column=1) from None
    except SyntaxError as exc:  # Python allows 20 loops and try blocks inside each other
        raise ParseError("The script nests loops and try blocks too deeply to compile",
                         line=exc.lineno or 1, column=1) from None
    finally:
        if collecting:
            gc.enable()
    namespace = helpers.namespace()
    namespace.update(extra)
    exec(code, namespace)  # the code object built above from our own Python AST, never from script text
    free_names = tuple((name, *result.free_names.get(name, (1, 1))) for name in free)
    if disk_key is not None:
        from deluge.runtime import diskcache

        diskcache.store(disk_key, code, {"free_names": [list(f) for f in free_names], "recipes": recipes})
    return Program(source=text, free_names=free_names, main=namespace["__main__"], globals=namespace,
                   module=module, python=tree, limits=limits)


def _from_disk(key: str, text: str, limits: Limits) -> Program | None:
    """A program compiled by an earlier process, from the disk cache; None when there is none."""
    from deluge.runtime import diskcache

    found = diskcache.load(key)
    if found is None:
        return None
    code, meta = found
    try:
        namespace = helpers.namespace()
        namespace.update(diskcache.rebuild_globals({k: tuple(v) for k, v in meta["recipes"].items()}))
        exec(code, namespace)  # a code object our compiler built and marshalled, read back from the user's cache
        free_names = tuple((str(a), int(b), int(c)) for a, b, c in meta["free_names"])
        return Program(source=text, free_names=free_names, main=namespace["__main__"], globals=namespace,
                       limits=limits)
    except Exception:  # a damaged entry: compile again
        return None
