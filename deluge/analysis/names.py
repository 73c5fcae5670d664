"""What a called or dotted name means, decided once for the checker, the compiler and the analyzer.

A function-form call `name(...)` can reach a function defined in the script
(also as `thisapp.name`, `thisapp.category.name` or `standalone.name`), a
built-in of the catalog, an integration task (`zoho.crm.getRecords`), or, when
its prefix is a system variable, a method of that variable
(`zoho.currentdate.addDay(1)` calls `addDay` on `zoho.currentdate`).
"""

from __future__ import annotations

from typing import Literal

import attrs

from deluge.catalog import Catalog, Entry
from deluge.syntax import nodes as n

# Values that look like names: `today`, `now` (LANGUAGE.md 4.8).
BUILTIN_VALUES = {"today": "today", "now": "now"}
# Names a script may read without assigning them.
ALWAYS_DEFINED = {"input"}
# Words that can never be assignment targets.
RESERVED_TARGETS = {"zoho", "thisapp", "today", "now"}
# Constructors that take `key : value` arguments, and the methods that do.
PAIR_FUNCTIONS = {"collection"}
PAIR_METHODS = {"insert", "insertall"}

Kind = Literal["user", "builtin", "task", "sysvar_method", "unknown"]


@attrs.frozen
class CallTarget:
    """The meaning of a function-form call."""

    kind: Kind
    name: str
    """Canonical name: the script function's name, the catalog spelling, or the method name."""
    entries: tuple[Entry, ...] = ()
    """The catalog forms (function forms for builtins and tasks)."""
    system: str = ""
    """For `sysvar_method`: the system variable the method is called on."""


def function_key(name: str) -> str:
    return name.lower()


def split_user_name(name: str) -> str | None:
    """The script-function name a dotted call refers to (`thisapp.a.f` -> `f`), or None."""
    parts = name.split(".")
    if len(parts) == 1:
        return parts[0]
    if parts[0].lower() in ("thisapp", "standalone"):
        return parts[-1]
    return None


def resolve_call(name: str, catalog: Catalog, functions: dict[str, n.FunctionDef]) -> CallTarget:
    """The target of `name(...)`; `functions` maps lower-case names to the script's definitions."""
    user = split_user_name(name)
    if user is not None and function_key(user) in functions:
        fn = functions[function_key(user)]
        return CallTarget(kind="user", name=fn.name)
    forms = catalog.forms(name)
    if forms:
        tasks = tuple(e for e in forms if e.group == "task")
        if tasks:
            return CallTarget(kind="task", name=tasks[0].name, entries=tasks)
        return CallTarget(kind="builtin", name=forms[0].name,
                          entries=tuple(e for e in forms if e.is_function and not e.system_value))
    if "." in name:
        prefix, _, method = name.rpartition(".")
        if is_system_variable(prefix, catalog):
            return CallTarget(kind="sysvar_method", name=method, system=canonical_system(prefix, catalog))
    return CallTarget(kind="unknown", name=name)


def is_system_variable(name: str, catalog: Catalog) -> bool:
    entry = catalog.system_value(name)
    return entry is not None and "." in entry.name


def canonical_system(name: str, catalog: Catalog) -> str:
    entry = catalog.system_value(name)
    return entry.name.lower() if entry is not None else name.lower()
