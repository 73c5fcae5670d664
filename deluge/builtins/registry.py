"""The tables that map built-in names to their Python implementations.

Methods are found by (method name, Python type of the receiver) in a fixed
table, never by Python attribute look-up: a name that is not in the table for
that receiver type does not exist for it (D3). Function forms are found by name.
Names are stored lower-case, because Deluge resolves built-ins ignoring case.

Implementations are plain functions taking the run's `Execution` first:

    @method("text", "length")
    def text_length(ex, s): ...

    @function("length")
    def length(ex, s): ...

Catalog receiver kinds map onto Python types as `KIND_TYPES` shows; `any`
registers the method for every kind.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from deluge.errors import DelugeRuntimeError
from deluge.runtime.values import Blank, CaughtError, DateTime, DFile, DList, DMap, Time, TypedList, type_name

Impl = Callable[..., Any]

KIND_TYPES: dict[str, tuple[type, ...]] = {
    "text": (str,),
    "number": (int,),
    "decimal": (float,),
    "boolean": (bool,),
    "date": (DateTime,),
    "datetime": (DateTime,),
    "time": (Time,),
    "list": (DList, TypedList),
    "map": (DMap,),
    "collection": (DList, TypedList, DMap),
    "file": (DFile,),
    "error": (CaughtError,),
}
KIND_TYPES["any"] = tuple({t for kinds in KIND_TYPES.values() for t in kinds})

METHODS: dict[str, dict[type, Impl]] = {}
FUNCTIONS: dict[str, Impl] = {}
# Which catalog (receiver kind, name) pairs each implementation covers, for the catalog test.
COVERED: set[tuple[str, str]] = set()
# Methods allowed on a null receiver (D2).
NULL_SAFE = {"isnull": True, "isblank": True, "isempty": True}

# How a Blank ({} or Collection()) settles for a method: list, map, or by argument.
SETTLES_AS_LIST = {"add", "addall"}
SETTLES_AS_MAP = {"put", "putall"}


def method(kinds: str | tuple[str, ...], *names: str) -> Callable[[Impl], Impl]:
    """Registers a method implementation for receiver kinds (`"text"`, `("list", "map")`, `"any"`)."""
    kind_list = (kinds,) if isinstance(kinds, str) else kinds

    def register(fn: Impl) -> Impl:
        for name in names:
            table = METHODS.setdefault(name.lower(), {})
            for kind in kind_list:
                COVERED.add((kind, name.lower()))
                for pytype in KIND_TYPES[kind]:
                    table[pytype] = fn
        return fn

    return register


def function(*names: str) -> Callable[[Impl], Impl]:
    """Registers a function-form implementation."""

    def register(fn: Impl) -> Impl:
        for name in names:
            FUNCTIONS[name.lower()] = fn
            COVERED.add(("none", name.lower()))
        return fn

    return register


def no_method(name: str, receiver: Any) -> DelugeRuntimeError:
    if receiver is None:
        return DelugeRuntimeError(f"Cannot call '{name}' on a null value")
    return DelugeRuntimeError(f"The function '{name}' is not valid for a value of type {type_name(receiver)}")


def _arity_error(name: str, fn: Impl, given: int) -> DelugeRuntimeError | None:
    """A Deluge error when `given` arguments do not fit `fn`; None when they do."""
    try:
        inspect.signature(fn).bind(None, *([None] * given))
    except TypeError:
        return DelugeRuntimeError(f"Wrong number of arguments for '{name}': {given} given")
    return None


def _settle_kind(lname: str, args: tuple[Any, ...], blank_is_collection: bool = False) -> type | None:
    from deluge.runtime.values import DList as _L
    from deluge.runtime.values import DMap as _M

    if lname in SETTLES_AS_LIST:
        return _L
    if lname in SETTLES_AS_MAP:
        return _M
    if lname in ("insert", "insertall") and args:
        from deluge.builtins.core import Pair

        first = args[0]
        if type(first) is Pair or (lname == "insertall" and isinstance(first, dict)):
            return _M
        return _L
    if lname == "update" and args:
        return _L if type(args[0]) is int else _M
    if lname == "get" and args and not blank_is_collection:
        # a Collection() settles only on its first insert (LANGUAGE.md 3.10); `{}` on get
        return _L if type(args[0]) is int else _M
    return None


def call_method(ex: Any, lname: str, display: str, receiver: Any, args: tuple[Any, ...]) -> Any:
    """Calls a method by name on a receiver: the slow, general path of every dispatcher."""
    kind = type(receiver)
    table = METHODS.get(lname, {})
    if kind is Blank:
        inner = receiver.inner
        if inner is None:
            settle = _settle_kind(lname, args, receiver.collection)
            if settle is not None:
                inner = receiver.settle(settle)
            elif lname == "isnull":
                return False
            else:
                # Read-only use of an unsettled {}: behave as an empty map, or an empty list.
                probe: Any = DMap() if DMap in table else DList()
                return call_method(ex, lname, display, probe, args)
        return call_method(ex, lname, display, inner, args)
    fn = table.get(kind)
    if fn is None:
        if receiver is None and lname in NULL_SAFE:
            return NULL_SAFE[lname]
        raise no_method(display, receiver)
    try:
        return fn(ex, receiver, *args)
    except TypeError:
        error = _arity_error(display, fn, len(args) + 1)
        if error is not None:
            raise error from None
        raise


def dispatcher(lname: str, display: str) -> Callable[..., Any]:
    """A fast caller for one method name: a table look-up by receiver type, then the call."""
    table = METHODS.setdefault(lname, {})

    def dispatch(ex: Any, receiver: Any, *args: Any) -> Any:
        fn = table.get(type(receiver))
        if fn is not None:
            try:
                return fn(ex, receiver, *args)
            except TypeError:
                error = _arity_error(display, fn, len(args) + 1)
                if error is not None:
                    raise error from None
                raise
        return call_method(ex, lname, display, receiver, args)

    dispatch.__name__ = f"method_{lname}"
    return dispatch


def call_function(ex: Any, lname: str, display: str, args: tuple[Any, ...]) -> Any:
    fn = FUNCTIONS.get(lname)
    if fn is None:
        raise DelugeRuntimeError(f"The function '{display}' is not available in this interpreter")
    try:
        return fn(ex, *args)
    except TypeError:
        error = _arity_error(display, fn, len(args))
        if error is not None:
            raise error from None
        raise
