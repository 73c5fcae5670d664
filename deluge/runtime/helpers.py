"""The runtime helpers that generated code calls, and nothing else it can reach.

`namespace()` builds the globals of a compiled program: exactly these helpers
under names that start with `_`, and an empty `__builtins__`, so generated code
cannot reach any Python built-in, module or attribute. Every helper takes plain
values and, when it needs the run's state, the `Execution` as `_ex`.
"""

from __future__ import annotations

import datetime as _dt
import functools
import operator
import re
from collections.abc import Callable
from typing import Any

from deluge.builtins import registry
from deluge.builtins.core import Pair, make_pair
from deluge.errors import BudgetExceeded, DelugeError, DelugeRuntimeError
from deluge.runtime import ops
from deluge.runtime.convert import from_host
from deluge.runtime.execution import Execution, not_available, reserve, tick, tick_at
from deluge.runtime.render import render
from deluge.runtime.values import (
    INT_MAX,
    INT_MIN,
    NO_INPUT,
    Blank,
    CaughtError,
    DateTime,
    DList,
    DMap,
    NoInput,
    Time,
    TypedList,
    type_name,
)

GENERATED_FILENAME = "<deluge>"

# The marker for "the script ended without `return value;`".
NO_RETURN = object()


# ---------------------------------------------------------------- statements


def info(ex: Execution, value: Any) -> None:
    limits = ex.limits
    ex.info(render(value, limits.data_nesting, limits.text_length))


def call_user(ex: Execution, fn: Callable[..., Any], *args: Any) -> Any:
    """Calls a function defined in the script: checks call depth and the step budget."""
    if ex.depth >= ex.limits.call_depth:
        raise BudgetExceeded(
            f"More than {ex.limits.call_depth} nested function calls", limit="call_depth"
        )
    if ex.left < 0:
        ex.left = tick(ex, ex.left)
    ex.depth += 1
    try:
        return fn(ex, *args)
    finally:
        ex.depth -= 1


def iterate(value: Any) -> list[Any]:
    """The snapshot a `for each` walks (D6): lists, element collections, an unsettled `{}`."""
    if isinstance(value, list):
        return list(value)
    if type(value) is Blank:
        inner = value.inner
        if inner is None:
            return []
        return iterate(inner)
    raise DelugeRuntimeError(f"'for each' needs a LIST, not a value of type {type_name(value)}")


def iterate_index(value: Any) -> range:
    return range(len(iterate(value)))


def caught(exc: DelugeError) -> CaughtError:
    """The value of `e` in `catch (e)`: the line of the failing statement and the message."""
    line = script_line(exc.__traceback__) or exc.line or 0
    return CaughtError(line, exc.message)


def script_line(tb: Any) -> int | None:
    """The Deluge line of the innermost generated frame in a traceback."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == GENERATED_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def script_frames(tb: Any) -> tuple[tuple[str, int], ...]:
    """The Deluge call stack of a traceback, outermost first: (function, line)."""
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == GENERATED_FILENAME:
            name = code.co_name
            shown = "script" if name == "__main__" else name.split("_", 1)[1] if "_" in name else name
            frames.append((shown, tb.tb_lineno))
        tb = tb.tb_next
    return tuple(frames)


def no_return(name: str) -> None:
    raise DelugeRuntimeError(f"The function '{name}' reached its end without returning a value")


# ---------------------------------------------------------------- member access


def member(ex: Execution, receiver: Any, name: str) -> Any:
    """`receiver.name` without parentheses (LANGUAGE.md 4.8)."""
    kind = type(receiver)
    if kind is DMap:
        return receiver.get(name)
    if kind is Blank:
        inner = receiver.inner
        if inner is None:
            return None
        return member(ex, inner, name)
    if kind is CaughtError:
        lowered = name.lower()
        if lowered == "lineno":
            return receiver.line
        if lowered == "message":
            return receiver.message
        raise DelugeRuntimeError(f"A caught error has no field '{name}'; use lineNo or message")
    if kind is NoInput:
        raise not_available("The form input")
    if isinstance(receiver, dict):
        return receiver.get(name)
    if receiver is None:
        raise DelugeRuntimeError(f"Cannot read the field '{name}' of a null value")
    raise DelugeRuntimeError(f"Cannot read the field '{name}' of a value of type {type_name(receiver)}")


def set_member(ex: Execution, receiver: Any, name: str, value: Any) -> None:
    """`receiver.name = value;`: a `put` on a map (D8)."""
    kind = type(receiver)
    if kind is Blank:
        receiver = receiver.settle(DMap)
        kind = DMap
    if isinstance(receiver, dict):
        if name not in receiver and len(receiver) >= ex.limits.collection_size:
            from deluge.runtime.execution import check_collection_size

            check_collection_size(len(receiver) + 1)
        receiver[name] = value
        return
    if kind is NoInput:
        raise not_available("The form input")
    if receiver is None:
        raise DelugeRuntimeError(f"Cannot set the field '{name}' of a null value")
    raise DelugeRuntimeError(f"Cannot set the field '{name}' of a value of type {type_name(receiver)}")


# ---------------------------------------------------------------- values


def make_list(*items: Any) -> DList:
    return DList(items)


def make_map(*flat: Any) -> DMap:
    """A map literal: keys and values alternate; a repeated key keeps its first position."""
    out = DMap()
    for i in range(0, len(flat), 2):
        out[map_key(flat[i])] = flat[i + 1]
    return out


def map_key(key: Any) -> Any:
    """A key as a map stores it: lists and maps frozen, a date-only value at 00:00:00."""
    if isinstance(key, (list, dict)) or type(key) is Blank or type(key) is DateTime:
        from deluge.builtins.collections import store_key

        return store_key(key)
    return key


def blank() -> Blank:
    return Blank()


def date_literal(ex: Execution, year: int, month: int, day: int, hour: int, minute: int, second: int,
                 has_time: bool) -> DateTime:
    """A date literal with a two-digit year: its century comes from the run's clock (D51)."""
    from deluge.syntax.datetext import pivot_year

    full = pivot_year(year, ex.now().year)
    try:
        dt = _dt.datetime(full, month, day, hour, minute, second)
    except ValueError:
        raise DelugeRuntimeError(f"{day:02d}-{month:02d}-{full} is not a real date") from None
    return DateTime(dt, date_only=not has_time)


def today(ex: Execution) -> DateTime:
    now = ex.now()
    return DateTime(_dt.datetime(now.year, now.month, now.day), date_only=True)


def now(ex: Execution) -> DateTime:
    return DateTime(ex.now().replace(microsecond=0))


def system(ex: Execution, name: str) -> Any:
    """A system variable such as `zoho.loginuser` (text-number-common.md 8, D11)."""
    if name == "zoho.currenttime":
        return now(ex)
    if name == "zoho.currentdate":
        return today(ex)
    value = ex.system.get(name)
    return value


def is_nullish(value: Any) -> bool:
    """What `ifnull` treats as missing: null and the empty text (D2)."""
    return value is None or (type(value) is str and value == "")


def creator(ex: Execution, what: str) -> Any:
    """A Creator record or form statement: runs only with a host record store (D8)."""
    store = getattr(ex.host, "records", None) if ex.host is not None else None
    if store is None:
        raise not_available(f"'{what}' (a Creator record or form statement)")
    raise not_available(f"'{what}' (a Creator record or form statement)")


TYPE_CONVERSIONS = {"TEXT", "NUMBER", "DECIMAL", "BOOLEAN", "DATE-TIME", "KEY-VALUE", "LIST", "COLLECTION", "FILE"}


def convert_param(value: Any, kind: str, function: str, param: str) -> Any:
    """An argument converted to a parameter's declared type, as typed lists convert (LANGUAGE.md 5.14)."""
    if value is None:
        return None
    from deluge.builtins.collections import convert_element

    try:
        return convert_element(value, kind)
    except DelugeRuntimeError:
        raise DelugeRuntimeError(
            f"The function '{function}' needs a {kind} for {param}, not a value of type {type_name(value)}"
        ) from None


def task(ex: Execution, name: str, *args: Any) -> Any:
    """An integration task `zoho.<service>.<task>(...)`: consent first, then the host's provider.

    The connection is the last argument (PLATFORM.md 5.1) when the call has more arguments
    than the task requires and that argument is a text; it needs its own `connection:` grant.
    """
    ex.require(f"task:{name}", f"The task {name}")
    if len(args) > _task_min_args(name) and type(args[-1]) is str:
        ex.require(f"connection:{args[-1]}", f"The connection '{args[-1]}'")
    limits = ex.limits
    if ex.task_calls >= limits.task_calls:
        raise BudgetExceeded(f"More than {limits.task_calls} integration task calls in one run", limit="task_calls")
    posting = _POSTING.search(name.rpartition(".")[2]) is not None
    if posting and ex.post_calls >= limits.post_calls:
        raise BudgetExceeded(f"More than {limits.post_calls} integration tasks that post or send in one run",
                             limit="post_calls")
    ex.task_calls += 1
    if posting:
        ex.post_calls += 1
    provider = getattr(ex.host, "tasks", None) if ex.host is not None else None
    if provider is None:
        raise not_available(f"The task {name}")
    return from_host(provider(ex, name, args), limits.data_nesting)


@functools.cache
def _task_min_args(name: str) -> int:
    from deluge import catalog

    return min((e.min_args for e in catalog.load().functions(name)), default=0)


_POSTING = re.compile(r"^(post|send|create|add|update|upload|insert|delete|remove|share|invite|trigger|execute)",
                      re.IGNORECASE)
"""Task names that post, send or change data (LANGUAGE.md 8: posting or sending tasks)."""


def invokeurl(ex: Execution, entries: dict[str, Any]) -> Any:
    from deluge.runtime.network import invokeurl as run_invokeurl

    return run_invokeurl(ex, entries)


def sendmail(ex: Execution, entries: dict[str, Any]) -> None:
    from deluge.runtime.network import sendmail as run_sendmail

    run_sendmail(ex, entries)


def typed_list(ex: Execution, kind: str, *args: Any) -> TypedList:
    from deluge.builtins.collections import new_typed_list

    return new_typed_list(ex, kind, args)


def check_int(value: int) -> int:
    if INT_MIN <= value <= INT_MAX:
        return value
    raise ops.overflow(value)


def concat(*parts: Any) -> str:
    """A chain of `+` that builds text: every part rendered, the length checked before joining."""
    texts = [p if type(p) is str else render(p) for p in parts]
    total = sum(map(len, texts))
    if total > 4096:
        from deluge.runtime.execution import check_text_length

        check_text_length(total)
    return "".join(texts)


def resume(first: Any, rest: Any) -> Any:
    """An iterator that yields `first`, then the rest (a loop leaving its fast copy)."""
    yield first
    yield from rest


def namespace() -> dict[str, Any]:
    """The globals of a compiled program: the helpers, and no Python built-ins."""
    names: dict[str, Any] = {
        "__builtins__": {},
        "_tick": tick,
        "_tick_at": tick_at,
        "_reserve": reserve,
        "_lh": operator.length_hint,
        "_info": info,
        "_callf": call_user,
        "_iter": iterate,
        "_iter_index": iterate_index,
        "_caught": caught,
        "_RuntimeError": DelugeRuntimeError,
        "_noreturn": no_return,
        "_member": member,
        "_setmember": set_member,
        "_list": make_list,
        "_map": make_map,
        "_blank": blank,
        "_date2": date_literal,
        "_today": today,
        "_now": now,
        "_sys": system,
        "_nullish": is_nullish,
        "_creator": creator,
        "_convparam": convert_param,
        "_task": task,
        "_invokeurl": invokeurl,
        "_sendmail": sendmail,
        "_typedlist": typed_list,
        "_pair": make_pair,
        "_Pair": Pair,
        "_NORETURN": NO_RETURN,
        "_NOINPUT": NO_INPUT,
        "_callfn": registry.call_function,
        "_checkint": check_int,
        "_add": ops.add, "_sub": ops.sub, "_mul": ops.mul, "_div": ops.div, "_mod": ops.mod,
        "_eq": ops.eq, "_ne": ops.ne, "_lt": ops.lt, "_le": ops.le, "_gt": ops.gt, "_ge": ops.ge,
        "_neg": ops.neg, "_pos": ops.pos, "_not": ops.not_, "_truth": ops.truth,
        "_and": ops.and_operand, "_or": ops.or_operand,
        "_type": type, "_int": int, "_str": str, "_len": len, "_DMap": DMap, "_DList": DList,
        "_iterof": iter, "_resume": resume, "_concat": concat, "_ovf": ops.raise_overflow,
        "_istr": int.__repr__, "_render": render,
        "_time": Time,
    }
    return names
