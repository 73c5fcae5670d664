"""A sandboxed interpreter for Deluge, the scripting language of Zoho's chat and business apps.

The embedding API:

    import deluge

    module = deluge.parse(source)                 # syntax only; raises ParseError
    program = deluge.compile(source)              # parse + save-time checks + compile; raises ParseError
    result = program.run(context, grant=None, limits=None)
    result = deluge.run(source, context, grant=None, limits=None)
    result = deluge.run_isolated(source, context, grant=None, limits=None)  # a child process under OS limits

    result.output          # rendered `info` lines
    result.value           # the returned Deluge value (or None)
    result.returned        # its rendering, or None when nothing was returned
    result.error           # None or a DelugeError (run never raises for a script's fault)
    result.raise_for_error()
    result.stats           # steps, elapsed seconds

`grant` is None (nothing: every network, mail, task or connection use is a
`consent` error), "all", or a list of capability strings such as
"api:api.example.com", "task:zoho.crm.getRecords", "connection:crm", "mail:send".
"""

from __future__ import annotations

import time
from typing import Any

from deluge.capabilities import Grant
from deluge.errors import (
    BudgetExceeded,
    ConsentRequired,
    DelugeError,
    DelugeRuntimeError,
    DelugeSyntaxError,
    ParseError,
)
from deluge.limits import Limits
from deluge.runtime.program import VERSION, GrantLike, Program, Result, Stats, compile_program

__version__ = VERSION

__all__ = [
    "BudgetExceeded",
    "ConsentRequired",
    "DelugeError",
    "DelugeRuntimeError",
    "DelugeSyntaxError",
    "Grant",
    "Limits",
    "ParseError",
    "Program",
    "Result",
    "Stats",
    "compile",
    "nodes",
    "parse",
    "run",
    "run_isolated",
]


def __getattr__(name: str) -> Any:
    # `deluge.nodes` is imported on first use: running a cached program needs no syntax tree
    if name == "nodes":
        from deluge.syntax import nodes

        return nodes
    if name == "run_isolated":  # imported on first use: it brings in subprocess machinery
        from deluge.isolated import run_isolated

        return run_isolated
    raise AttributeError(f"module 'deluge' has no attribute {name!r}")


def parse(source: str | bytes) -> Any:
    """The syntax tree of a script (syntax only, D57); raises ParseError."""
    from deluge.syntax.parser import parse as parse_source

    return parse_source(source)


def compile(source: str | bytes, *, limits: Limits | None = None) -> Program:
    """A checked, compiled program; raises ParseError for anything Zoho would refuse to save."""
    return compile_program(source, limits=limits)


def run(
    source: str | bytes,
    context: dict[str, Any] | None = None,
    *,
    grant: GrantLike = None,
    limits: Limits | None = None,
    host: Any = None,
    timezone: str = "UTC",
    cancel: Any = None,
) -> Result:
    """Compiles (cached by source) and runs a script. A script's fault lands in `Result.error`.

    `cancel` is an optional `threading.Event`: setting it from another thread stops the run
    within about 20 ms with a `budget` error (limit "cancelled"). The time spent parsing and
    compiling counts against the run's wall time (nearly none when the program is cached).
    """
    started = time.perf_counter()
    try:
        program = compile_program(source, limits=limits)
    except DelugeError as exc:
        return Result(error=exc)
    return program.run(context, grant=grant, limits=limits, host=host, timezone=timezone, cancel=cancel,
                       spent=time.perf_counter() - started)
