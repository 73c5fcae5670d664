"""Generators and the checked run of the fuzzer in `test_fuzz.py`.

Four sources of programs:

- `grammar_programs()`: `hypothesis.extra.lark.from_lark` over `grammar/deluge.lark`, every
  terminal drawn from a small explicit pool (keywords padded with blanks, a few names including
  the context variables, small numbers, short texts), so most outputs at least lex;
- `structured_program(rng)`: well-formed programs: assignments, arithmetic and text expressions,
  if/else, `for each` over small lists, user functions with recursion, try/catch, info, return,
  and above all calls of random catalog built-ins (`stdlib/*.toml`) with random arguments of
  random types, on context variables holding random host values;
- `mutated_script(rng)`: the scripts of `samples/` and `tests/syntax-samples/` with random byte
  flips, deletions, duplications, insertions and truncations, and changed numbers, texts, names
  and method names;
- `random_input(rng)`: random bytes, random text and random token soup.

The last three write from a `random.Random` that Hypothesis seeds (`SEEDS`: one draw per
program). Hypothesis spends 50 to 100 microseconds on each draw, so a program written draw by
draw costs about 20 ms to generate, ten times what compiling and running it costs; seeded, the
fuzzer runs 20,000 programs in a minute. The price is that Hypothesis cannot shrink them:
`reduce_failures.py` does that for collected failures.

`check_run()` compiles and runs one input with small limits and checks the property: the
input ends in success or a `deluge.DelugeError` within its limits, never another exception,
never an "Internal error", never a hang.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import pathlib
import random
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import strategies as st

import deluge
from deluge.catalog import Entry
from deluge.catalog import load as load_catalog

ROOT = pathlib.Path(__file__).resolve().parents[2]
MiB = 1024 * 1024

# ---------------------------------------------------------------- the run and its property

LIMITS = deluge.Limits(
    steps=5_000, work=200_000, wall_time=1.0, cpu_time=1.0, allocation=32 * MiB, text_length=65_536,
    collection_size=2_000, data_nesting=32, call_depth=24, output_lines=200, output_line_chars=8_192,
    output_bytes=64 * 1024, http_calls=2, task_calls=2, post_calls=1, response_bytes=64 * 1024,
    regex_seconds=0.25, json_bytes=64 * 1024,
)
MAX_SECONDS = 2.0
"""No compile + run may take longer than this (the run's own wall time is 1 s)."""
HANG_SECONDS = 4.0
"""A compile + run still going after this long is stopped by an alarm and reported as a hang."""
WATCHDOG_SLACK = 0.5
"""How far past its wall time a run may end (the watchdog samples every few milliseconds)."""

CANARY = "deluge-fuzz-canary-6b1f0c"
"""Put in this process's environment: no script may ever read it."""
os.environ.setdefault("DELUGE_FUZZ_CANARY", CANARY)

BUDGET_LIMITS = frozenset({
    "steps", "work", "wall_time", "cpu_time", "allocation", "memory", "text_length", "collection_size",
    "data_nesting", "call_depth", "recursion", "output_lines", "output_line_chars", "output_bytes",
    "http_calls", "task_calls", "post_calls", "response_bytes", "regex_time", "json_bytes", "cancelled",
})
KINDS_OF_ERROR = frozenset({"parse", "runtime", "budget", "consent"})

STATS: dict[str, Counter[str]] = {}
"""Per generator: how many inputs ran, and how each ended (written out by `test_fuzz.py` on request)."""

COLLECT = os.environ.get("DELUGE_FUZZ_COLLECT")
"""A file name: failures are appended to it as JSON lines instead of failing the test (long runs)."""


def warm_up() -> None:
    """Builds the parser, loads the catalog and the regex module before the first timed input."""
    deluge.run('x = "a,b".toList(",");\ninfo x.size() + "b".replaceAll("b", "c");', limits=LIMITS)
    deluge.run(b"info 1;", limits=LIMITS)


class FuzzFailure(AssertionError):
    """An input broke the property."""


class Hang(BaseException):
    """Raised by the alarm in a compile or run that overstays HANG_SECONDS (not an Exception, so
    that nothing in the interpreter catches it)."""


def _alarm(signum: int, frame: Any) -> None:
    raise Hang


@contextmanager
def hang_guard() -> Iterator[None]:
    """Interrupts the main thread after HANG_SECONDS (a fuzzer that hangs would report nothing)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def fail(generator: str, category: str, source: str | bytes, context: dict[str, Any] | None, detail: str) -> None:
    if COLLECT:
        text = source.decode("utf-8", "backslashreplace") if isinstance(source, bytes) else source
        record = {"generator": generator, "category": category, "detail": detail[:2000], "source": text,
                  "context": repr(context)}
        with open(COLLECT, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        STATS.setdefault(generator, Counter())["FAILURE"] += 1
        return
    raise FuzzFailure(f"{category}: {detail}\n--- source ---\n{source!r}\n--- context ---\n{context!r}")


def _count(generator: str, outcome: str, seconds: float) -> None:
    counter = STATS.setdefault(generator, Counter())
    counter["total"] += 1
    counter[outcome] += 1
    counter["microseconds"] += int(seconds * 1e6)


def check_run(generator: str, source: str | bytes, context: dict[str, Any] | None = None,
              fill: Any = None) -> str:
    """Compiles and runs `source`; fails on any breach of the property. Returns how the run ended."""
    started = time.perf_counter()
    try:
        with hang_guard():
            return _check_run(generator, source, context, fill)
    except Hang:
        _count(generator, "hang", time.perf_counter() - started)
        fail(generator, "hang", source, context, f"compile + run still going after {HANG_SECONDS} s: stopped")
        return "hang"


def _check_run(generator: str, source: str | bytes, context: dict[str, Any] | None, fill: Any) -> str:
    """`fill(name)` gives a host value for a free name of the script the context does not hold
    (the mutated real scripts read many); without it such names stay undefined.
    """
    context = dict(context or {})
    started = time.perf_counter()
    try:
        program = deluge.compile(source, limits=LIMITS)
    except deluge.ParseError as exc:
        elapsed = time.perf_counter() - started
        _count(generator, "parse", elapsed)
        _check_error(generator, source, context, exc)
        if elapsed > MAX_SECONDS:
            fail(generator, "slow-compile", source, context, f"compile took {elapsed:.2f} s")
        return "parse"
    except Exception as exc:  # the property: only ParseError may come out of compile
        _count(generator, "crash", time.perf_counter() - started)
        fail(generator, "compile-raised", source, context, f"compile raised {type(exc).__name__}: {exc}")
        return "crash"
    if fill is not None:
        for name, _line, _column in program.free_names:
            if name not in context and name != "input":
                context[name] = fill(name)
    try:
        result = program.run(context, limits=LIMITS)
    except Exception as exc:  # run never raises for a script's fault
        _count(generator, "crash", time.perf_counter() - started)
        fail(generator, "run-raised", source, context, f"run raised {type(exc).__name__}: {exc}")
        return "crash"
    elapsed = time.perf_counter() - started
    error = result.error
    outcome = "ok" if error is None else f"{error.kind}" if error.kind != "budget" else f"budget:{error.limit}"
    if error is not None and error.kind == "parse":
        outcome = "parse-at-run"  # a free name the context does not hold
    _count(generator, outcome, elapsed)
    if elapsed > MAX_SECONDS:
        fail(generator, "slow", source, context, f"compile + run took {elapsed:.2f} s")
    _check_result(generator, source, context, result)
    return outcome


def _check_error(generator: str, source: str | bytes, context: dict[str, Any], error: Any) -> None:
    if not isinstance(error, deluge.DelugeError):
        fail(generator, "not-a-deluge-error", source, context, f"{type(error).__name__}: {error}")
        return
    if error.kind not in KINDS_OF_ERROR:
        fail(generator, "bad-kind", source, context, f"error kind {error.kind!r}: {error}")
    if not isinstance(error.message, str) or not error.message:
        fail(generator, "no-message", source, context, f"error without a message: {error!r}")
    if isinstance(error, deluge.DelugeRuntimeError) and error.message.startswith("Internal error"):
        fail(generator, "internal-error", source, context, error.message)
    if isinstance(error, deluge.BudgetExceeded) and error.limit not in BUDGET_LIMITS:
        fail(generator, "unknown-limit", source, context, f"budget error names {error.limit!r}: {error}")
    if error.line is not None and (not isinstance(error.line, int) or error.line < 1):
        fail(generator, "bad-line", source, context, f"error line {error.line!r}: {error}")


def _check_result(generator: str, source: str | bytes, context: dict[str, Any], result: Any) -> None:
    error = result.error
    stats = result.stats
    if error is not None:
        _check_error(generator, source, context, error)
    limit = getattr(error, "limit", None)
    statements = (source.count(b";") if isinstance(source, bytes) else source.count(";")) + 1
    if limit == "steps":
        # the meter charges a straight run of statements at once: it may pass the limit by one such run
        if not LIMITS.steps < stats.steps <= LIMITS.steps + statements:
            fail(generator, "steps-stats", source, context,
                 f"steps budget error with stats.steps={stats.steps} (limit {LIMITS.steps})")
    elif stats.steps > LIMITS.steps:
        fail(generator, "steps-over", source, context,
             f"stats.steps={stats.steps} over the limit {LIMITS.steps}, but the run ended with {error!r}")
    if limit == "work":
        if stats.work <= LIMITS.work:
            fail(generator, "work-stats", source, context,
                 f"work budget error with stats.work={stats.work} (limit {LIMITS.work})")
    elif stats.work > LIMITS.work:
        fail(generator, "work-over", source, context,
             f"stats.work={stats.work} over the limit {LIMITS.work}, but the run ended with {error!r}")
    if stats.elapsed > LIMITS.wall_time + WATCHDOG_SLACK:
        fail(generator, "wall-time-over", source, context,
             f"the run took {stats.elapsed:.2f} s, limit {LIMITS.wall_time} s; ended with {error!r}")
    if stats.http_calls:
        fail(generator, "http-without-grant", source, context, f"{stats.http_calls} HTTP calls without a grant")
    output = result.output
    if len(output) > LIMITS.output_lines:
        fail(generator, "output-lines", source, context, f"{len(output)} lines of output")
    if any(not isinstance(line, str) or len(line) > LIMITS.output_line_chars for line in output):
        fail(generator, "output-line-chars", source, context, "an output line too long or not text")
    if sum(len(line.encode("utf-8", "surrogatepass")) + 1 for line in output) > LIMITS.output_bytes:
        fail(generator, "output-bytes", source, context, "more output bytes than the limit")
    if error is None and result.returned is not None and not isinstance(result.returned, str):
        fail(generator, "returned", source, context, f"returned {result.returned!r}")
    seen = "\n".join([*output, result.returned or "", "" if error is None else error.message])
    if "root:x:0:0" in seen or CANARY in seen:
        fail(generator, "leak", source, context, "the script read /etc/passwd or the process environment")


# ---------------------------------------------------------------- host values for the context

INT_EDGES = [0, 1, -1, 2, 7, 10, 100, -100, 2**31, 2**53 + 1, 2**63 - 1, -(2**63), 10**12]
FLOAT_EDGES = [0.1, -0.0, 1e308, -1e308, 5e-324, 2.0**63, 1e16 + 1, 123456789.123456789, 0.5, -2.5]
TEXTS = [
    "", "a", "abc", "Hello World", "  padded  ", "a,b,,c", "x;y;z", '{"a":1,"b":[1,2,{"c":null}]}',
    '[1,"two",3.5,null]', '{"a":', "01-Jan-2020", "2020-01-31", "31/12/1999 23:59:59", "2020-02-30T10:00:00",
    "12", "-3.5", "1e400", "0x1F", "9223372036854775808", "ÄÖü ß", "😀x", "<a><b k=\"v\">x</b></a>",
    "(a+)+$", "[", "\\d+", "(?<n>a)\\k<n>", "$1$2", "\\", "true", "null", "aGVsbG8=", "68656c6c6f",
    "Saturday", "yyyy-MM-dd", "dd-MMM-yyyy HH:mm:ss", "UTC", "Asia/Kolkata", "Nowhere/Zone", "%s%d",
    "a" * 300, "line1\nline2", "\t", "/a/b[1]", "http://example.com/x?y=1", "10:20:30", "a.b.c",
    "EEEE, MMMM d, yyyy G 'at' hh:mm:ss.SSS a zzzz XXX", "'", "u-w-D-F-E", "+05:30", "GMT+5:30",
    "../../../../etc/passwd", "file:///etc/passwd", "utf-16", "ISO-8859-1", "no-such-charset",
    '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
    '<!DOCTYPE a [<!ENTITY l "ll"><!ENTITY m "&l;&l;&l;&l;&l;&l;&l;&l;">]><a>&m;&m;&m;&m;</a>',
    "<root><item id='1'>x</item><item id='2'/></root>", "//item[@id='2']", "count(//*)",
    '{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":[[[[[[[[[[1]]]]]]]]]]}}}}}}}}', "[" * 40 + "]" * 40,
    "((a|aa)+)+b", "(?i)X", "\\Q.*\\E", "\\p{Lu}+", "\\1", "a{2,3}?", "[[:alpha:]]",
]
KEYS = ["a", "b", "id", "name", "", "Amount", "list", "0"]
CHARACTERS = ("abcXYZ019 ,.;:{}[]()\"'\\/-+*%$^?|<>=_\t\n\r\x00\x01\x7f\u00e4\u00df\u0301\u202e\u2066"
              "\u4e2d\U0001f600\ufeff\uffff")


def random_text(rng: random.Random, longest: int = 8) -> str:
    return "".join(rng.choice(CHARACTERS) for _ in range(rng.randint(0, longest)))


def host_value(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON-like host value: numbers, texts, booleans, null, dates, lists and maps."""
    if depth < 3 and rng.random() < 0.25:
        size = rng.randint(0, 4)
        if rng.random() < 0.5:
            return [host_value(rng, depth + 1) for _ in range(size)]
        return {rng.choice(KEYS) if rng.random() < 0.8 else random_text(rng, 4): host_value(rng, depth + 1)
                for _ in range(size)}
    kind = rng.randrange(12)
    if kind == 0:
        return rng.randint(-10, 10)
    if kind == 1:
        return rng.choice(INT_EDGES)
    if kind == 2:
        return round(rng.uniform(-1e6, 1e6), rng.randint(0, 6))
    if kind == 3:
        return rng.choice(FLOAT_EDGES)
    if kind in (4, 5):
        return rng.choice(TEXTS)
    if kind == 6:
        return random_text(rng)
    if kind == 7:
        return rng.random() < 0.5
    if kind == 8:
        return None
    if kind == 9:
        return dt.date(rng.randint(1, 9999), rng.randint(1, 12), rng.randint(1, 28))
    if kind == 10:
        return dt.datetime(rng.randint(1, 9999), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                           rng.randint(0, 59), rng.randint(0, 59))
    return dt.time(rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))


CONTEXT_NAMES = ["c0", "c1", "c2", "c3"]
"""Context variables of any type."""
TYPED_CONTEXT = {"ctext": "text", "cnum": "number", "cdec": "decimal", "clist": "list", "cmap": "map",
                 "cdate": "date"}
"""Context variables of one type each, with random values of that type."""


_HOST_TYPES = {"text": (str,), "number": (int,), "decimal": (float,), "list": (list,), "map": (dict,),
               "date": (dt.date,)}


def typed_host_value(rng: random.Random, kind: str) -> Any:
    """A random host value of one kind (`date` includes date-times)."""
    for _ in range(100):
        value = host_value(rng)
        if isinstance(value, _HOST_TYPES[kind]) and not isinstance(value, bool):
            return value
    return {"text": "abc", "number": 1, "decimal": 2.5, "list": [1], "map": {"a": 1}, "date": dt.date(2020, 1, 1)}[kind]


def random_context(rng: random.Random) -> dict[str, Any]:
    context = {name: host_value(rng) for name in CONTEXT_NAMES}
    context.update({name: typed_host_value(rng, kind) for name, kind in TYPED_CONTEXT.items()})
    return context


def filler(rng: random.Random) -> Any:
    """A `fill` for `check_run`: each free name of a script gets a random host value."""
    return lambda _name: host_value(rng)


SEEDS = st.randoms(use_true_random=True)
"""One Hypothesis draw per program: the generators below write from a seeded `random.Random`
(a program written draw by draw through Hypothesis costs 20 ms; this way, well under 1 ms)."""


# ---------------------------------------------------------------- generator 1: the grammar

NAME_POOL = [
    "x", "y", "n", "s", "l", "m", "f", "e", "item", "total", *CONTEXT_NAMES, "input", "today", "now",
    "zoho", "List", "Map", "Collection", "abs", "length", "size", "get", "put", "add", "toList", "toMap",
    "subString", "repeat", "ifnull", "toString", "keys", "sort", "int", "string", "list", "map", "void",
    "loginuser", "currenttime", "encryption", "md5", "Orders", "ID", "ui", "alert", "show",
]
STRING_POOL = ['""', '"a"', '"abc"', '"a,b"', '"{\\"a\\":1}"', '"[1,2]"', '"01-Jan-2020"', '"\\\\d+"',
               '"(a+)+$"', '"\\n"', '"ÄÖ😀"', '"x"']


def _word(*words: str) -> st.SearchStrategy[str]:
    return st.sampled_from([f" {w} " for w in words])


@functools.cache
def grammar_programs() -> st.SearchStrategy[str]:
    # isort: off
    import deluge.syntax.larkload  # noqa: F401  (must come before any lark import)
    import lark
    from hypothesis.extra.lark import from_lark
    # isort: on

    text = (ROOT / "grammar" / "deluge.lark").read_text(encoding="utf-8")
    # Without %ignore, from_lark draws no optional blank or comment between every two symbols: the
    # explicit terminals below carry their own blanks (a third fewer draws, a third less time), and
    # comments come with some statement ends instead.
    text = "\n".join(line for line in text.splitlines() if not line.startswith("%ignore"))
    grammar = lark.Lark(text, parser="lalr", lexer="contextual", start="start")
    keywords = ["IF", "ELSE", "FOR", "EACH", "IN", "INFO", "RETURN", "BREAK", "CONTINUE", "TRY", "CATCH",
                "TRUE", "FALSE", "NULL", "INVOKEURL", "SENDMAIL", "TO"]
    explicit: dict[str, st.SearchStrategy[str]] = {k: _word(k.lower(), k) for k in keywords}
    explicit.update({
        "INSERT_INTO": _word("insert into"),
        "DELETE_FROM": _word("delete from"),
        "CANCEL_SUBMIT": _word("cancel submit"),
        "ALERT": _word("alert"),
        "FIELD_ACTION": _word("hide", "show", "enable", "disable", "clear"),
        "SORT_BY": _word("sort by"),
        "RANGE_FROM": _word("range from"),
        "ASC_DESC": _word("asc", "desc"),
        "TASK_KEY": _word("url", "type", "parameters", "headers", "body", "to", "subject", "message", "timeout"),
        "TYPED_LIST": _word("List:String", "list:int", "List:Decimal"),
        "NAME": _word(*NAME_POOL),
        "STRING": _word(*STRING_POOL),
        "SQUOTED": _word("'01-Jan-2020'", "'10:20:30'", "'01-Jan-2020 10:20:30'", "'x'", "''"),
        "INT": st.one_of(st.integers(0, 12).map(str), st.sampled_from(["9223372036854775807", "100000"]))
        .map(lambda s: f" {s} "),
        "DECIMAL": _word("2.5", "0.1", ".5", "1000000.125"),
        "OR_OP": _word("||"), "AND_OP": _word("&&"), "EQ_OP": _word("==", "!="),
        "REL_OP": _word("<", "<=", ">", ">="), "EQUALS": _word("="),
        "COMPOUND_OP": _word("+=", "-=", "*=", "/=", "%="), "PLUS": _word("+"), "MINUS": _word("-"),
        "MUL_OP": _word("*", "/", "%"), "BANG": _word("!"), "DOT": st.just("."), "COMMA": _word(","),
        "COLON": _word(":"), "SEMI": st.sampled_from([";\n", ";\n", ";\n", "; // c\n", "; /* c */\n"]),
        "LPAR": _word("("), "RPAR": _word(")"),
        "LBRACE": st.just(" {\n"), "RBRACE": st.just("\n}\n"), "LSQB": _word("["), "RSQB": _word("]"),
    })
    return from_lark(grammar, start="start", explicit=explicit)


GRAMMAR_CONTEXT = {"c0": 3, "c1": "a,b", "c2": [1, "x", None, dt.date(2020, 1, 31)],
                   "c3": {"a": 1, "b": [2], "when": dt.datetime(2021, 5, 4, 3, 2, 1)}}


# ---------------------------------------------------------------- generator 2: structured programs

KINDS = ["number", "text", "decimal", "boolean", "list", "map", "date", "datetime", "time", "collection",
         "file", "null"]
TYPE_WORDS = {"number": ["int", "number", "long"], "text": ["string", "text"], "decimal": ["decimal", "float"],
              "boolean": ["bool", "boolean"], "list": ["list"], "map": ["map"], "date": ["date"],
              "datetime": ["datetime"], "collection": ["collection"], "file": ["file"]}
NUMBER_LITERALS = ["0", "1", "2", "3", "7", "10", "100", "(-1)", "(-5)", "2147483648", "9223372036854775807",
                   "(-9223372036854775807)", "1000000000000"]
DECIMAL_LITERALS = ["0.5", "2.5", "0.1", "(-3.75)", "0.0", "123456789.123456789", "1000000.125", ".5"]
TEXT_LITERALS = ['"' + t.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
                 for t in TEXTS if len(t) < 100] + ['"ab".repeat(150)']
LEAVES = {
    "number": NUMBER_LITERALS,
    "decimal": DECIMAL_LITERALS,
    "text": TEXT_LITERALS + ["zoho.loginuser", "zoho.appname"],
    "boolean": ["true", "false"],
    "date": ["'01-Jan-2020'", "today", "zoho.currentdate", "'29-Feb-2024'", "'31-Dec-9999'", "'01-Jan-0001'",
             "'2020-06-15'"],
    "datetime": ["now", "zoho.currenttime", "'01-Jan-2020 10:20:30'", "'31-Dec-9999 23:59:59'",
                 "'15-Mar-2019 00:00:00'"],
    "time": ["'10:20:30'", "'00:00:00'", "'23:59:59'"],
    "null": ["null"],
    "list": ["List()", "{}", "{1, 2, 3}", '{"b", "a", "c"}', '{1, "a", null, 2.5}', "[1, 2]",
             '"b,a,3,,1.5".repeat(100).toList(",")', "{{}, {{}}, {{{}}}}",
             'List:String({"x", "y"})', "{{1, 2}, {3}}", '{"a,b".toList(","), 4}', "{'01-Jan-2020', now}"],
    "map": ["Map()", '{"a": 1, "b": "x"}', '{"k": {1, 2}, "n": {"m": null}}', '{1: "one"}'],
    "collection": ["Collection()", 'Collection("a": 1, "b": 2)', "Collection(1, 2, 3)"],
    "file": ['"hello".toFile("a.txt")', '"{\\"a\\":1}".toFile("data.json")'],
    "records": ["Orders[ID == 1]", 'Orders[Status == "Open"] sort by Amount desc'],
}
COMPARISONS = ["==", "!=", "<", ">", "<=", ">="]


def _kinds(types: str) -> list[str]:
    return [t if t in LEAVES else "any" for t in (t.strip() for t in types.split("|"))]


@functools.cache
def catalog_index() -> tuple[list[Entry], list[Entry], list[Entry], dict[str, list[Entry]]]:
    """Function forms, method forms, mutating method forms, and every form by the kind it returns."""
    functions, methods = [], []
    by_kind: dict[str, list[Entry]] = {}
    for entry in load_catalog().entries:
        if entry.system_value:
            continue
        (functions if entry.is_function else methods).append(entry)
        for kind in set(_kinds(entry.returns)):
            by_kind.setdefault(kind, []).append(entry)
    return functions, methods, [e for e in methods if e.mutates], by_kind


class Writer:
    """Writes one well-formed program; `scope` maps each readable name to the kind it holds.

    Most expressions are calls of catalog built-ins, with arguments of the parameter's type most
    of the time and of a random type otherwise; values of unknown type come from the context.
    """

    MAX_DEPTH = 2

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names = 0
        self.recent: list[str] = []
        """Names assigned so far, latest last: expressions prefer them (definitions meet uses)."""
        self.functions: list[tuple[str, list[tuple[str, str]], str]] = []
        self.function_forms, self.methods, self.mutating, self.by_kind = catalog_index()

    def chance(self, percent: float) -> bool:
        return self.rng.random() * 100 < percent

    def pick(self, seq: Any) -> Any:
        return self.rng.choice(seq)

    def fresh(self, prefix: str = "v") -> str:
        self.names += 1
        return f"{prefix}{self.names}"

    # -------------------------------------------------------- expressions

    def expr(self, kind: str, scope: dict[str, str], depth: int = 0) -> str:
        if kind == "any" or self.chance(8):
            kind = self.pick(KINDS)
        if depth >= self.MAX_DEPTH or self.chance(35):
            return self.leaf(kind, scope)
        roll = self.rng.random() * 100
        if roll < 45:
            return self.builtin_returning(kind, scope, depth)
        if roll < 70:
            return self.operator(kind, scope, depth)
        if roll < 76:
            cond = self.expr("boolean", scope, depth + 1)
            return f"if({cond}, {self.expr(kind, scope, depth + 1)}, {self.expr(kind, scope, depth + 1)})"
        if roll < 84 and self.functions:
            return self.user_call(scope, depth)
        if roll < 92 and kind in ("list", "map"):
            return self.container(kind, scope, depth)
        return self.leaf(kind, scope)

    def recent_name(self, scope: dict[str, str], kind: str | None = None) -> str | None:
        """One of the last names assigned that this scope can read (of that kind), or None."""
        names = [n for n in self.recent[-4:] if n in scope and (kind is None or scope[n] in (kind, "any"))]
        return self.pick(names) if names else None

    def leaf(self, kind: str, scope: dict[str, str]) -> str:
        if self.recent and self.chance(20):
            name = self.recent_name(scope, kind)
            if name is not None:
                return name
        if scope and self.chance(45):
            names = [name for name, held in scope.items() if held == kind]
            if not names or self.chance(25):
                names = [name for name, held in scope.items() if held == "any"]
            if names:
                return self.pick(names)
        return self.pick(LEAVES.get(kind) or LEAVES["null"])

    def container(self, kind: str, scope: dict[str, str], depth: int) -> str:
        items = [self.expr("any", scope, depth + 1) for _ in range(self.rng.randint(0, 3))]
        if kind == "list":
            return "{" + ", ".join(items) + "}" if items else "List()"
        if not items:
            return "Map()"
        keys = [self.pick(TEXT_LITERALS[:12] + ["1", "null", "2.5", "today"]) for _ in items]
        return "{" + ", ".join(f"{k}: {v}" for k, v in zip(keys, items)) + "}"

    def operator(self, kind: str, scope: dict[str, str], depth: int) -> str:
        deeper = depth + 1
        if kind in ("number", "decimal"):
            if self.chance(15):
                return f"(-{self.expr(kind, scope, deeper)})"
            op = self.pick(["+", "-", "*", "/", "%"])
            other = self.pick(["number", "decimal"])
            return f"({self.expr(kind, scope, deeper)} {op} {self.expr(other, scope, deeper)})"
        if kind == "text":
            return f"({self.expr('text', scope, deeper)} + {self.expr('any', scope, deeper)})"
        if kind == "boolean":
            roll = self.rng.random()
            if roll < 0.5:
                other = self.pick(KINDS)
                op = self.pick(COMPARISONS)
                return f"({self.expr(other, scope, deeper)} {op} {self.expr(other, scope, deeper)})"
            if roll < 0.8:
                op = self.pick(["&&", "||"])
                return f"({self.expr('boolean', scope, deeper)} {op} {self.expr('boolean', scope, deeper)})"
            return f"(!{self.expr('boolean', scope, deeper)})"
        if kind in ("date", "datetime", "time"):
            op = self.pick(["+", "-"])
            return f"({self.expr(kind, scope, deeper)} {op} {self.expr('number', scope, deeper)})"
        if kind == "list" and self.chance(30):
            return f"({self.expr('list', scope, deeper)} + {self.expr('any', scope, deeper)})"
        return self.builtin_returning(kind, scope, depth)

    def builtin_returning(self, kind: str, scope: dict[str, str], depth: int) -> str:
        entries = self.by_kind.get(kind) if self.chance(70) else None
        if not entries:
            entries = self.by_kind["any"] if self.chance(30) else self.pick([self.methods, self.function_forms])
        return self.builtin(self.pick(entries), scope, depth)

    def builtin(self, entry: Entry, scope: dict[str, str], depth: int) -> str:
        args = self.arguments(entry, scope, depth)
        if entry.is_function:
            return f"{entry.name}({args})"
        receiver_kind = entry.receiver if entry.receiver != "any" and not self.chance(10) else "any"
        names = [name for name, held in scope.items() if held == receiver_kind] if self.chance(50) else []
        recent = self.recent_name(scope, receiver_kind) if self.chance(30) else None
        receiver = recent or (self.pick(names) if names else self.expr(receiver_kind, scope, depth + 1))
        if receiver.startswith("-"):
            receiver = f"({receiver})"
        return f"{receiver}.{entry.name}({args})"

    def arguments(self, entry: Entry, scope: dict[str, str], depth: int) -> str:
        args: list[str] = []
        pairs = entry.name.lower() in ("collection", "insert")
        for param in entry.params:
            if param.optional and self.chance(50):
                break
            for _ in range(1 + (self.rng.randint(0, 2) if param.variadic else 0)):
                kind = self.pick(param.types)
                if kind == "key:value" or (pairs and self.chance(40)):
                    args.append(f"{self.expr('text', scope, depth + 1)} : {self.expr('any', scope, depth + 1)}")
                    continue
                if kind not in LEAVES or self.chance(12):
                    kind = "any"
                args.append(self.expr(kind, scope, depth + 1))
        if self.chance(3):  # a wrong number of arguments
            if args and self.chance(50):
                args.pop()
            else:
                args.append(self.expr("any", scope, depth + 1))
        return ", ".join(args)

    def user_call(self, scope: dict[str, str], depth: int) -> str:
        name, params, _returns = self.pick(self.functions)
        args = [self.expr(kind if not self.chance(10) else "any", scope, depth + 1) for _, kind in params]
        return f"{name}({', '.join(args)})"

    # -------------------------------------------------------- statements

    def block(self, scope: dict[str, str], depth: int, loops: int, returns: str | None,
              low: int = 1, high: int = 2) -> str:
        inner = dict(scope)
        text = "\n".join(self.statement(inner, depth, loops, returns) for _ in range(self.rng.randint(low, high)))
        if self.chance(40):  # Deluge variables live in the whole function: use some after the block
            for name, kind in inner.items():
                scope.setdefault(name, kind)
        return text

    def braced(self, scope: dict[str, str], depth: int, loops: int, returns: str | None) -> str:
        return "\n{\n" + self.block(scope, depth + 1, loops, returns) + "\n}"

    def statement(self, scope: dict[str, str], depth: int, loops: int, returns: str | None) -> str:
        roll = self.rng.random() * 100
        nested = depth < 2
        if roll < 22:
            kind = self.pick(KINDS)
            name = self.fresh()
            value = self.pick(LEAVES[kind]) if self.chance(30) else self.expr(kind, scope)  # literal: static type
            scope[name] = kind
            self.recent.append(name)
            return f"{name} = {value};"
        if roll < 30 and scope:
            name = self.pick(list(scope))
            held = scope[name]
            if held in ("number", "decimal", "text", "any") and self.chance(60):
                op = self.pick(["+=", "-=", "*=", "/=", "%="] if held != "text" else ["+="])
                return f"{name} {op} {self.expr(held if held != 'any' else 'number', scope)};"
            if self.chance(30):  # a value of another type, through if() so that the checker allows it
                return f"{name} = if({self.expr('boolean', scope, 1)}, {self.expr('any', scope, 1)}, {name});"
            return f"{name} = {self.expr(held, scope)};"
        if roll < 46:
            return self.call_statement(scope)
        if roll < 60:
            return f"info {self.expr('any', scope)};"
        if roll < 69 and nested:
            text = f"if ({self.condition(scope)}){self.braced(scope, depth, loops, returns)}"
            for _ in range(self.rng.choice([0, 0, 1, 2])):
                text += f"\nelse if ({self.condition(scope)}){self.braced(scope, depth, loops, returns)}"
            if self.chance(50):
                text += f"\nelse{self.braced(scope, depth, loops, returns)}"
            return text
        if roll < 78 and nested:
            var = self.fresh("x")
            index = self.chance(20)
            iterable = self.expr("list" if self.chance(75) else "any", scope, 1)
            inner = dict(scope)
            inner[var] = "number" if index else "any"
            head = f"for each index {var} in {iterable}" if index else f"for each {var} in {iterable}"
            return head + self.braced(inner, depth, loops + 1, returns)
        if roll < 84 and nested:
            var = self.fresh("e")
            handler_scope = dict(scope)
            handler_scope[var] = "any"
            handler = self.pick([f"info {var};", f"info {var}.message;", f"info {var}.lineNo;", ""])
            rest = self.block(handler_scope, depth + 1, loops, returns, low=0, high=1)
            return f"try{self.braced(scope, depth, loops, returns)}\ncatch ({var})\n{{\n{handler}\n{rest}\n}}"
        if roll < 88 and loops:
            return f"if ({self.condition(scope)}) {{ {self.pick(['break', 'continue'])}; }}"
        if roll < 91:
            if returns == "void":
                return "return;"
            return f"return {self.expr(returns or 'any', scope)};"
        if roll < 95 and self.functions:
            return f"{self.user_call(scope, 0)};"
        if roll < 97:
            return self.host_statement(scope)
        return f"info {self.expr('any', scope)};"

    def condition(self, scope: dict[str, str]) -> str:
        """The condition of an if: often a constant or a test on a variable assigned just before."""
        roll = self.rng.random()
        if roll < 0.2:
            return self.pick(["false", "true"])
        name = self.recent_name(scope) if roll < 0.55 else None
        if name is None:
            return self.expr("boolean", scope)
        kind = scope[name]
        tests = [e for e in self.by_kind["boolean"] if not e.is_function and e.receiver in (kind, "any")]
        if not tests or self.chance(25):
            return f"{name} {self.pick(COMPARISONS)} {self.expr(kind, scope, 1)}"
        entry = self.pick(tests)
        return f"{name}.{entry.name}({self.arguments(entry, scope, 1)})"

    def host_statement(self, scope: dict[str, str]) -> str:
        """A statement that needs the host: HTTP, mail, records, form actions (consent or runtime errors)."""
        value = self.expr("any", scope, 1)
        return self.pick([
            f"r = invokeurl\n[\nurl: {self.expr('text', scope, 1)}\ntype: {self.pick(['GET', 'POST'])}\n"
            f"parameters: {value}\n];",
            f"sendmail\n[\nfrom: zoho.adminuserid\nto: {self.expr('text', scope, 1)}\nsubject: {value}\n"
            f"message: {value}\n]",
            f"alert {value};",
            f"id = insert into Orders\n[\nAmount = {value}\n];",
            f"delete from Orders[Amount == {value}];",
            f"for each rec in Orders[Amount > {value}] sort by Amount desc range from 1 to 3\n{{\ninfo rec;\n}}",
            "hide Discount;",
            "cancel submit;",
            f"input.Amount = {value};",
            f"info {self.pick(['input.Amount', 'cmap.a', 'c0.name', 'clist.size', 'zoho.loginuserid'])};",
            f"Country:ui.add({value});",
        ])

    def call_statement(self, scope: dict[str, str]) -> str:
        """A method call used as a statement, mostly one that changes its receiver (`l.add(x);`)."""
        entry = self.pick(self.mutating if self.chance(70) else self.methods)
        if scope and self.chance(80):
            names = [name for name, held in scope.items() if held in (entry.receiver, "any")]
            if names:
                name = self.pick(names)
                if entry.params and self.chance(15):  # the receiver inside itself: `l.add(l);`
                    return f"{name}.{entry.name}({', '.join([name] * len(entry.params))});"
                return f"{name}.{entry.name}({self.arguments(entry, scope, 1)});"
        return f"{self.builtin(entry, scope, 1)};"

    # -------------------------------------------------------- functions and programs

    def function_def(self, name: str, params: list[tuple[str, str]], returns: str) -> str:
        scope = dict(params)
        head = ", ".join(f"{self.pick(TYPE_WORDS[kind])} {p}" for p, kind in params)
        lines = [f"{'void' if returns == 'void' else self.pick(TYPE_WORDS[returns])} {name}({head})", "{"]
        if params and params[0][1] == "number" and self.chance(70):  # recursion on a counter
            counter = params[0][0]
            rest = [self.expr(kind, scope, 2) for _, kind in params[1:]]
            call = f"{name}({', '.join([f'{counter} - 1', *rest])})"
            guard = self.pick([f"{counter} > 0", f"{counter} >= 0", f"{counter} != 0", "true"])
            if returns in ("number", "decimal", "text") and self.chance(50):
                lines.append(f"if ({guard})\n{{\nreturn {call} + {call};\n}}")
            else:
                lines.append(f"if ({guard})\n{{\nr = {call};\n}}")
        lines.append(self.block(scope, 1, 0, returns, low=0, high=2))
        lines.append("return;" if returns == "void" else f"return {self.expr(returns, scope)};")
        lines.append("}")
        return "\n".join(lines)

    def program(self) -> str:
        for number in range(self.rng.choice([0, 0, 0, 1, 1, 2])):
            params = [(f"p{number}{i}", self.pick(list(TYPE_WORDS))) for i in range(self.rng.randint(0, 3))]
            if params and self.chance(60):
                params[0] = (params[0][0], "number")
            self.functions.append((f"fn{number}", params, self.pick([*TYPE_WORDS, "void"])))
        parts = [self.function_def(*fn) for fn in self.functions]
        scope = {name: "any" for name in CONTEXT_NAMES}
        scope.update(TYPED_CONTEXT)
        for _ in range(self.rng.randint(1, 4)):
            statement = self.statement(scope, 0, 0, None)
            if self.chance(25) and not statement.startswith("return"):  # go on after a runtime error
                statement = f"try\n{{\n{statement}\n}}\ncatch (e)\n{{\ninfo e;\n}}"
            parts.append(statement)
        if self.chance(40):
            parts.append(f"return {self.expr('any', scope)};")
        return "\n".join(parts)


def structured_program(rng: random.Random) -> str:
    return Writer(rng).program()


# ---------------------------------------------------------------- generator 3: mutated scripts, random input


@functools.cache
def real_scripts() -> tuple[bytes, ...]:
    files = sorted((ROOT / "samples").glob("*.dg")) + sorted((ROOT / "tests" / "syntax-samples").glob("*.dg"))
    return tuple(path.read_bytes() for path in files)


INSERTS = [b"{", b"}", b";", b"(", b")", b'"', b"'", b"/*", b"*/", b"//", b"\\", b"\x00", b"\xff", b"\xc3",
           b"if", b"for each x in ", b"return ", b"info ", b"9223372036854775808", b"\xe2\x80\xae", b"\r",
           b".", b":", b"[", b"]", b"=", b"==", b"+=", b"-", b"!", b"((((((((", b"}}}}", b"\n", b"\t",
           b"x", b"List()", b'"a"', b"null", b"0", b".toMap()", b".get(0)", b".repeat(99999)"]


_NUMBER = re.compile(rb"(?<![\w.])[0-9]+(?:\.[0-9]+)?(?![\w.])")
_TEXT = re.compile(rb'"(?:[^"\\\n]|\\.)*"')
_METHOD = re.compile(rb"\.([A-Za-z_][A-Za-z0-9_]*)\(")
_NAME = re.compile(rb"(?<![\w.\"])[A-Za-z_][A-Za-z0-9_]*(?![\w\"])")


@functools.cache
def _method_names() -> tuple[bytes, ...]:
    return tuple(sorted({e.name.encode() for e in catalog_index()[1]}))


def _replace_one(rng: random.Random, data: bytearray, pattern: re.Pattern[bytes], choose: Any) -> bytearray:
    """Replaces one random match of `pattern` (its group 1 if it has one) by `choose(match)`."""
    matches = list(pattern.finditer(data))
    if not matches:
        return data
    m = rng.choice(matches)
    group = 1 if pattern.groups else 0
    return data[: m.start(group)] + choose(m) + data[m.end(group):]


def mutated_script(rng: random.Random) -> bytes:
    """A real script with random changes: byte flips, deletions, duplications, insertions and
    truncations (which mostly break the syntax), and, to reach the checker and the runtime, changed
    numbers, texts, names and method names (which mostly keep it)."""
    data = bytearray(rng.choice(real_scripts()))
    for _ in range(rng.choice([1, 1, 2, 3])):
        size = len(data)
        op = rng.randrange(12) if size else 4
        if op == 0:  # flip a bit
            data[rng.randrange(size)] ^= 1 << rng.randrange(8)
        elif op == 1:  # set a byte
            data[rng.randrange(size)] = rng.randrange(256)
        elif op == 2:  # delete a range
            at = rng.randrange(size)
            del data[at: at + rng.randint(1, 64)]
        elif op == 3:  # duplicate a range somewhere
            at = rng.randrange(size)
            chunk = data[at: at + rng.randint(1, 200)]
            to = rng.randint(0, size)
            data[to:to] = chunk
        elif op == 4:  # insert a token
            to = rng.randint(0, size)
            data[to:to] = rng.choice(INSERTS)
        elif op == 5:  # truncate
            del data[rng.randint(0, size):]
        elif op == 6:  # swap two lines
            lines = data.split(b"\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
        elif op == 7:  # another number
            data = _replace_one(rng, data, _NUMBER, lambda m: rng.choice(NUMBER_LITERALS + DECIMAL_LITERALS).encode())
        elif op == 8:  # another text
            data = _replace_one(rng, data, _TEXT, lambda m: rng.choice(TEXT_LITERALS).encode())
        elif op in (9, 10):  # another built-in method
            data = _replace_one(rng, data, _METHOD, lambda m: rng.choice(_method_names()))
        else:  # another name of the same script
            names = [m.group() for m in _NAME.finditer(data)]
            if names:
                data = _replace_one(rng, data, _NAME, lambda m, names=names: rng.choice(names))
    return bytes(data)


TOKENS = [
    "x", "y", "c0", "c1", "=", "==", "+", "-", "*", "/", "%", "+=", "(", ")", "{", "}", "[", "]", ";", ",", ":",
    ".", "!", "&&", "||", "<", ">", "if", "else", "for each", "in", "index", "info", "return", "try", "catch",
    "break", "continue", "true", "false", "null", "1", "0", "2.5", '"a"', '""', "'01-Jan-2020'", "List()",
    "Map()", "abs", "toList", "size", "get", "put", "add", "invokeurl", "url", "type", "GET", "sendmail",
    "insert into", "delete from", "Orders", "sort by", "range from", "to", "alert", "hide", "cancel submit",
    "List:String", "int", "string", "void", "zoho", "thisapp", "today", "now", "//", "/*", "*/", "\n",
    "9223372036854775808", "'", '"', "\\", "\x00", "\u202e", "input", "e", "fn", "standalone", "Collection",
]


def token_soup(rng: random.Random) -> str:
    return " ".join(rng.choice(TOKENS) for _ in range(rng.randint(0, 40)))


def random_input(rng: random.Random) -> str | bytes:
    """Random bytes, random text (any code point), or a random sequence of Deluge tokens."""
    kind = rng.randrange(5)
    if kind == 0:
        return rng.randbytes(rng.randint(0, 200))
    if kind == 1:
        ascii_only = rng.random() < 0.5
        top = 0x7F if ascii_only else 0x10FFFF
        return "".join(chr(rng.randint(0, top)) for _ in range(rng.randint(0, 120)))
    if kind == 2:
        return token_soup(rng).encode("utf-8")
    return token_soup(rng)
