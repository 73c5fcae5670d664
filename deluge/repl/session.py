"""An interactive session: its state, the evaluation of each input, and the `:` commands.

No terminal code lives here (the prompt-toolkit front end is `deluge.repl.app`), so a
test or another front end can drive a session with plain strings:

    session = Session()
    session.handle('total = 0;')
    reply = session.handle('for each n in {1, 2, 3} { total = total + n; }\\ninfo total;')
    reply.text   # '6'
    session.handle('total * 2').text   # '12  : NUMBER'

How state is kept: each input compiles to a program of its own, with `capture`, so its run
reports its top-level variables (also when it fails halfway); the session keeps them as
Deluge values and hands them to the next run as they are. Functions defined in the session
(`int twice(int n) { ... }`) are kept as source text and compiled with every later input.
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from deluge.capabilities import Grant
from deluge.errors import DelugeError, ParseError
from deluge.limits import Limits
from deluge.repl.source import COMPLETE, INCOMPLETE, INVALID, blank_out, block_end, offset_of, scan

INPUT_NAME = "<input>"

# Styles of the pieces of a reply (the front end maps them to colours).
OUTPUT = "class:output"
"""`info` lines, as a run prints them."""
VALUE = "class:value"
TYPE = "class:type"
NOTE = "class:note"
ERROR = "class:error"

Ask = Callable[[Any, frozenset[str]], bool]
"""`ask(manifest, missing)`: shows what an input wants and says whether the user allows it."""

_RETURN = "return "
_INFO = "info   "  # as long as _RETURN, so offsets in the consent transcript stay the same


@attrs.define
class Reply:
    """What one input printed: styled pieces of text, line breaks included."""

    fragments: list[tuple[str, str]] = attrs.field(factory=list)
    ok: bool = True
    quit: bool = False

    @property
    def text(self) -> str:
        """The plain text, without its last line break."""
        return "".join(text for _, text in self.fragments).rstrip("\n")

    def line(self, text: str, style: str = NOTE) -> Reply:
        self.fragments.append((style, text + "\n"))
        return self

    def error(self, text: str) -> Reply:
        self.ok = False
        return self.line(text, ERROR)

    def value(self, rendered: str, type_name: str) -> Reply:
        self.fragments.append((VALUE, rendered))
        self.fragments.append((TYPE, f"  : {type_name}\n"))
        return self


@attrs.frozen
class _Plan:
    """How one input is compiled."""

    source: str
    """The text compiled (the input, with `return ` put before an expression that stands alone)."""
    display: str
    """The text error excerpts show (the input as typed, padded to the lines of `source`)."""
    shows: str | None = None
    """None: statements; "always": an expression; "value": a call statement (shown unless null)."""
    inserted: tuple[int, int] | None = None
    """The line and column where `return ` was put, if it was."""


@attrs.define
class Outcome:
    """The reply to a piece of code, with the run's result (None when it did not compile)."""

    reply: Reply
    result: Any = None
    value: Any = None
    shown: bool = False


class Session:
    """The variables, functions, context and grants of one interactive session."""

    def __init__(self, *, limits: Limits | None = None, grant: Any = None, host: Any = None,
                 ask: Ask | None = None, timezone: str = "UTC") -> None:
        self.limits = limits or Limits.interactive()
        self.base_grant = Grant.of(grant)
        self.grant = self.base_grant
        """What runs may use: the command line's grant and what the user allowed when asked."""
        self.host = host
        self.ask = ask
        self.timezone = timezone
        self.variables: dict[str, Any] = {}
        """The session's variables, as Deluge values."""
        self.functions: dict[str, str] = {}
        """The source text of each function defined in the session, by lower-case name."""
        self.system: dict[str, Any] = {}
        """The `zoho` table of a context file: system variables such as `loginuser`."""
        self.transcript: list[str] = []
        """The statements of every input that compiled, in order (for `:consent`)."""
        self._cancel: threading.Event | None = None

    # ------------------------------------------------------------ entry points

    def handle(self, text: str) -> Reply:
        """Runs one input: a `:` command or Deluge code."""
        if text.strip().startswith(":"):
            return self.command(text.strip())
        if not text.strip():
            return Reply()
        return self.execute(text).reply

    def interrupt(self) -> None:
        """Stops the input running now (safe from another thread or a signal handler)."""
        if self._cancel is not None:
            self._cancel.set()

    def is_expression(self, text: str) -> bool:
        """Whether `text` is one expression standing alone (no `;` after it)."""
        return _expression_plan(text) is not None

    def completeness(self, text: str) -> str:
        """Whether `text` is a whole input (COMPLETE), stops short of its end (INCOMPLETE), or is
        wrong before its end (INVALID): how the editor decides whether Enter runs it."""
        from deluge.syntax.parser import parse

        try:
            parse(text)
            return COMPLETE
        except ParseError as exc:
            if self.is_expression(text):
                return COMPLETE
            return INCOMPLETE if "found the end of the script" in exc.message else INVALID

    def reset(self) -> None:
        self.variables.clear()
        self.functions.clear()
        self.system.clear()
        self.transcript.clear()
        self.grant = self.base_grant

    # ------------------------------------------------------------ running code

    def execute(self, text: str, name: str = INPUT_NAME, *, keep: bool = True,
                expression_only: bool = False) -> Outcome:
        """Compiles and runs Deluge code in the session; `keep=False` forgets what it assigns."""
        from deluge.analysis.names import function_key
        from deluge.runtime.program import compile_program
        from deluge.syntax.parser import parse

        reply = Reply()
        started = time.perf_counter()
        try:
            plan = _expression_plan(text) if expression_only else _plan(text)
            if plan is None:
                return Outcome(reply.error("expected an expression, such as user.get(\"id\") or 1 + 2"))
            module = parse(plan.source)
        except ParseError as exc:
            return Outcome(reply.error(exc.format(text, name)))
        spans = []
        defined: dict[str, str] = {}
        for fn in module.functions:
            start = offset_of(plan.source, fn.line, fn.column)
            end = block_end(plan.source, start)
            spans.append((start, end))
            defined[function_key(fn.name)] = plan.source[start:end]
        kept = [source for key, source in self.functions.items() if key not in defined]
        tail = "".join("\n" + source for source in kept)
        source, display = plan.source + tail, plan.display + tail
        try:
            program = compile_program(source, limits=self.limits, capture=True, given=tuple(self.variables))
        except ParseError as exc:
            return Outcome(reply.error(self._format(exc, plan, display, name)))
        self._consent(program)
        context = {"zoho": dict(self.system)} if self.system else None
        result = self._run(program, context, time.perf_counter() - started)
        if keep:
            if result.variables is not None:
                from deluge.runtime.values import NoInput

                failed = result.error is not None
                for key, value in result.variables.items():
                    if isinstance(value, NoInput) or (failed and value is None and key not in self.variables):
                        continue  # after a failure, a new variable still null was most likely never assigned
                    self.variables[key] = value
            self.functions.update(defined)
            statements = blank_out(plan.source, spans)
            if plan.inserted is not None:
                at = offset_of(statements, *plan.inserted)
                statements = statements[:at] + _INFO + statements[at + len(_RETURN):]
            if statements.strip():
                self.transcript.append(statements)
        from deluge.runtime.render import render
        from deluge.runtime.values import type_name

        for line in result.output:
            reply.line(line, OUTPUT)
        outcome = Outcome(reply, result)
        if result.error is not None:
            reply.error(self._format(result.error, plan, display, name))
        elif result.value is not None or (plan.shows == "always" and result.returned is not None):
            outcome.value, outcome.shown = result.value, True
            reply.value(render(result.value, self.limits.data_nesting, self.limits.text_length),
                        type_name(result.value))
        return outcome

    def _run(self, program: Any, context: dict[str, Any] | None, spent: float) -> Any:
        cancel = threading.Event()
        self._cancel = cancel
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, lambda signum, frame: cancel.set())
        try:
            return program.run(context, grant=self.grant, limits=self.limits, host=self.host,
                               timezone=self.timezone, cancel=cancel, spent=spent, variables=self.variables)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
            self._cancel = None

    def _consent(self, program: Any) -> None:
        """Asks for what the program would use that the session does not allow yet."""
        if self.ask is None or self.grant.everything_allowed:
            return
        from deluge.host.local import asked_for

        try:
            manifest = program.manifest
        except DelugeError:
            return
        missing = self.grant.missing(asked_for(manifest))
        if missing and self.ask(manifest, missing):
            self.grant = self.grant | Grant(missing)

    def _format(self, error: DelugeError, plan: _Plan, display: str, name: str) -> str:
        if getattr(error, "limit", None) == "cancelled":
            error.message = "Stopped (Ctrl-C); the variables keep the values they had then"
        if plan.inserted is not None and error.line == plan.inserted[0] and error.column is not None \
                and error.column > plan.inserted[1]:
            error.column -= len(_RETURN)
        return error.format(display, name)

    # ------------------------------------------------------------ commands

    def command(self, text: str) -> Reply:
        word, _, rest = text[1:].partition(" ")
        word, rest = word.strip().lower(), rest.strip()
        handler = COMMANDS.get(ALIASES.get(word, word))
        if handler is None:
            return Reply().error(f"unknown command :{word}; :help lists the commands")
        return handler(self, rest)

    def cmd_help(self, rest: str) -> Reply:
        reply = Reply()
        if not rest:
            reply.line("Type Deluge statements, or an expression to see its value and type.")
            for usage, summary in HELP:
                reply.line(f"  {usage:<26} {summary}")
            reply.line("Keys: Enter runs a complete input and continues an open one; Alt-Enter (Esc Enter) runs")
            reply.line("it as it is; Tab completes; Ctrl-R searches the history; Ctrl-C cancels the input or stops")
            reply.line("a running one; Ctrl-D leaves.")
            return reply
        return help_text(self, rest)

    def cmd_type(self, rest: str) -> Reply:
        if not rest:
            return Reply().error("usage: :type EXPR")
        outcome = self.execute(rest, keep=False, expression_only=True)
        if outcome.result is None or outcome.result.error is not None:
            return outcome.reply
        from deluge.runtime.values import type_name

        return Reply().line(type_name(outcome.result.value), TYPE)

    def cmd_vars(self, rest: str) -> Reply:
        from deluge.runtime.render import render
        from deluge.runtime.values import type_name

        reply = Reply()
        if not self.variables and not self.functions:
            return reply.line("no variables yet")
        width = max((len(name) for name in self.variables), default=0)
        for name in sorted(self.variables, key=str.lower):
            value = self.variables[name]
            try:
                shown = render(value, self.limits.data_nesting, self.limits.text_length)
            except DelugeError:
                shown = "..."
            shown = " ".join(shown.split("\n"))
            if len(shown) > 60:
                shown = shown[:57] + "..."
            reply.line(f"{name:<{width}}  {type_name(value):<10} {shown}")
        if self.functions:
            reply.line("functions:")
            for source in self.functions.values():
                reply.line(f"  {function_header(source)}")
        return reply

    def cmd_reset(self, rest: str) -> Reply:
        self.reset()
        return Reply().line("the session is empty again")

    def cmd_load(self, rest: str) -> Reply:
        if not rest:
            return Reply().error("usage: :load FILE")
        path = Path(os.path.expanduser(rest))
        try:
            data = path.read_bytes()
        except OSError as exc:
            return Reply().error(f"cannot read {rest}: {exc.strerror}")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return Reply().error(f"{rest} is not UTF-8 text")
        before = set(self.variables), set(self.functions)
        outcome = self.execute(text, name=rest)
        if outcome.result is not None:
            names = sorted(set(self.variables) - before[0], key=str.lower)
            functions = sorted(set(self.functions) - before[1])
            parts = []
            if names:
                parts.append("variables " + ", ".join(names))
            if functions:
                parts.append("functions " + ", ".join(functions))
            outcome.reply.line(f"loaded {rest}" + (f": {'; '.join(parts)}" if parts else ""))
        return outcome.reply

    def cmd_context(self, rest: str) -> Reply:
        if not rest:
            return Reply().error("usage: :context FILE (a JSON object: its keys become variables)")
        try:
            data = Path(os.path.expanduser(rest)).read_bytes()
        except OSError as exc:
            return Reply().error(f"cannot read {rest}: {exc.strerror}")
        try:
            value = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            return Reply().error(f"{rest} is not valid JSON: {exc}")
        if not isinstance(value, dict):
            return Reply().error(f"{rest} must hold a JSON object (names of the values to bind)")
        return self.bind(value)

    def bind(self, context: dict[str, Any]) -> Reply:
        """Binds the keys of a context object as variables; its `zoho` key sets system variables."""
        from deluge.runtime.convert import from_host

        reply = Reply()
        bound = []
        for key, value in context.items():
            if key == "zoho":
                if not isinstance(value, dict):
                    return reply.error("the `zoho` key must hold an object of system variables")
                self.system.update(value)
                continue
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                reply.line(f"skipped {key!r}: not a variable name")
                continue
            try:
                self.variables[key] = from_host(value, self.limits.data_nesting)
            except (TypeError, ValueError, DelugeError) as exc:
                return reply.error(f"cannot bind {key}: {exc}")
            bound.append(key)
        if bound:
            reply.line("bound " + ", ".join(bound))
        if "zoho" in context:
            reply.line("system variables: " + ", ".join(f"zoho.{k}" for k in context["zoho"]))
        return reply

    def cmd_consent(self, rest: str) -> Reply:
        from deluge.analysis.manifest import analyze
        from deluge.analysis.prompt import describe

        source = self.source()
        if not source.strip():
            return Reply().line("nothing entered yet")
        try:
            manifest = analyze(source)
        except DelugeError as exc:
            return Reply().error(exc.format(source, "<session>"))
        reply = Reply()
        labels = self._line_labels()
        cited: list[int] = []

        def where(match: re.Match[str]) -> str:
            found = []
            for number in re.findall(r"\d+", match.group(1)):
                label = labels.get(int(number), "")
                if label and label not in found:
                    found.append(label)
                if label.startswith("input ") and int(label[6:]) not in cited:
                    cited.append(int(label[6:]))
            return f"({', '.join(found)})" if found else match.group(0)

        for line in describe(manifest, "This session").splitlines():
            reply.line(re.sub(r"\(lines? ([0-9, ]+)(?:, \.\.\.)?\)", where, line))
        for number in sorted(cited):
            text = " ".join(self.transcript[number - 1].split())
            reply.line(f"  input {number}: {text[:70] + '...' if len(text) > 70 else text}")
        granted = sorted(manifest.required & {c for c in manifest.capabilities if self.grant.allows(c)})
        if granted and not self.grant.everything_allowed:
            reply.line("allowed in this session: " + ", ".join(granted))
        return reply

    def cmd_limits(self, rest: str) -> Reply:
        reply = Reply()
        if rest:
            changes: dict[str, str] = {}
            for item in rest.replace(",", " ").split():
                key, sep, value = item.partition("=")
                if not sep:
                    return reply.error(f":limits takes NAME=VALUE, not {item!r}")
                changes[key] = value
            try:
                self.limits = self.limits.with_values(changes)
            except ValueError as exc:
                return reply.error(str(exc))
        reply.line("each input runs within:")
        for key, value in attrs.asdict(self.limits).items():
            reply.line(f"  {key} = {value:g}" if isinstance(value, float) else f"  {key} = {value}")
        return reply

    def cmd_time(self, rest: str) -> Reply:
        if not rest:
            return Reply().error("usage: :time CODE")
        outcome = self.execute(rest)
        if outcome.result is not None:
            stats = outcome.result.stats
            steps = f"{stats.steps} step{'' if stats.steps == 1 else 's'}"
            outcome.reply.line(f"time: {_duration(stats.elapsed)}, {steps}")
        return outcome.reply

    def cmd_quit(self, rest: str) -> Reply:
        return Reply(quit=True)

    # ------------------------------------------------------------ what the session holds

    def _line_labels(self) -> dict[int, str]:
        """What each line of `source()` comes from: `input 3` (the third input kept) or `notify()`."""
        labels: dict[int, str] = {}
        line = 1
        for number, text in enumerate(self.transcript, 1):
            for _ in range(text.count("\n") + 1):
                labels[line] = f"input {number}"
                line += 1
        for source in self.functions.values():
            match = re.search(r"([A-Za-z_]\w*)\s*\(", function_header(source))
            for _ in range(source.count("\n") + 1):
                labels[line] = f"in {match.group(1) if match else 'a function'}()"
                line += 1
        return labels

    def source(self) -> str:
        """Everything entered so far, as one script: the statements in order, then the functions."""
        return "\n".join([*self.transcript, *self.functions.values()])


COMMANDS: dict[str, Callable[[Session, str], Reply]] = {
    "help": Session.cmd_help,
    "type": Session.cmd_type,
    "vars": Session.cmd_vars,
    "reset": Session.cmd_reset,
    "load": Session.cmd_load,
    "context": Session.cmd_context,
    "consent": Session.cmd_consent,
    "limits": Session.cmd_limits,
    "time": Session.cmd_time,
    "quit": Session.cmd_quit,
}
ALIASES = {"h": "help", "?": "help", "q": "quit", "exit": "quit", "t": "type"}
HELP = [
    (":help [NAME]", "this list, or the documentation of a built-in (:help getJSON)"),
    (":type EXPR", "the Deluge type of an expression's value"),
    (":vars", "the session's variables and functions"),
    (":reset", "forget every variable, function and context"),
    (":load FILE", "run a script file into the session"),
    (":context FILE", "bind the keys of a JSON object as variables (user, chat, ...)"),
    (":consent", "what everything entered so far would ask permission for"),
    (":limits [NAME=VALUE ...]", "the budgets of each input, or change them"),
    (":time CODE", "run code and show how long it took"),
    (":quit", "leave the session (Ctrl-D too)"),
]


def help_text(session: Session, name: str) -> Reply:
    """The catalog entry of a built-in (as `deluge doc` shows it), or a session function's header."""
    from deluge import catalog as catalog_module
    from deluge.analysis.names import function_key

    reply = Reply()
    if name.startswith(":"):
        for usage, summary in HELP:
            if usage.split()[0] == name.lower():
                return reply.line(f"{usage}  {summary}")
    own = session.functions.get(function_key(name))
    if own is not None:
        return reply.line(f"{function_header(own)}  (defined in this session)")
    cat = catalog_module.load()
    forms = cat.forms(name)
    if not forms:
        import difflib

        spelled = {x.lower(): x for x in cat.names()}
        close = difflib.get_close_matches(name.lower(), list(spelled), n=3)
        hint = f"; did you mean {', '.join(spelled[c] for c in close)}?" if close else ""
        return reply.error(f"no built-in named {name!r}{hint}")
    seen: set[str] = set()
    for entry in forms:
        signature = entry.signature()
        if signature in seen:
            continue
        seen.add(signature)
        reply.line(signature, VALUE)
        if entry.summary:
            reply.line(f"    {entry.summary}")
        if entry.capability:
            reply.line(f"    needs consent: {entry.capability}")
    if forms[0].ref:
        reply.line(f"reference: {forms[0].ref}")
    return reply


def function_header(source: str) -> str:
    """`int twice(int n)`: a function's text up to its body."""
    head = source.split("{", 1)[0]
    return " ".join(head.split())


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.2f} ms"
    return f"{seconds:.3f} s"


# ---------------------------------------------------------------- reading an input


def _plan(text: str) -> _Plan:
    """How to compile an input; raises the input's own ParseError when it is not Deluge."""
    from deluge.syntax import nodes as n
    from deluge.syntax.parser import parse

    try:
        module = parse(text)
    except ParseError:
        plan = _expression_plan(text)
        if plan is not None:
            return plan
        raise
    if not module.functions and len(module.body) == 1 and isinstance(module.body[0], n.ExprStmt):
        # a call standing alone (`m.get("a");`): its value shows, unless it is null
        stmt = module.body[0]
        start = offset_of(text, stmt.line, stmt.column)
        source = text[:start] + _RETURN + text[start:]
        return _Plan(source, text, "value", (stmt.line, stmt.column))
    return _Plan(text, text)


def _expression_plan(text: str) -> _Plan | None:
    """The plan of an input that ends with an expression standing alone (`1 + 2`, `x;`,
    `m = {"a": 1}; m.keys()`), or None when it does not."""
    from deluge.syntax import nodes as n
    from deluge.syntax.parser import parse

    candidates = [text]
    found = scan(text)
    if found.boundaries and found.boundaries[-1] == found.last_code and text[found.last_code - 1] == ";":
        cut = found.last_code - 1
        candidates.append(text[:cut] + " " + text[cut + 1:])  # `x;`: a name is no statement, but an expression
    for candidate in candidates:
        found = scan(candidate)
        if found.is_open:
            continue
        start = _code_start(candidate, found.boundaries[-1] if found.boundaries else 0)
        if start >= len(candidate) or start >= found.last_code:
            continue
        source = candidate[:start] + _RETURN + candidate[start:] + "\n;"
        try:
            module = parse(source)
        except ParseError:
            continue
        if _is_assignment(candidate[start:]):
            continue  # `x = 1` lacks its `;` (as an expression, a lone `=` would compare)
        if not module.body or not isinstance(module.body[-1], n.Return) or module.body[-1].value is None:
            continue
        line = candidate.count("\n", 0, start) + 1
        column = start - (candidate.rfind("\n", 0, start) + 1) + 1
        return _Plan(source, text + "\n", "always", (line, column))
    return None


def _is_assignment(text: str) -> bool:
    """Whether `text` is an assignment statement without its `;`."""
    from deluge.syntax import nodes as n
    from deluge.syntax.parser import parse

    try:
        module = parse(text + "\n;")
    except ParseError:
        return False
    return len(module.body) == 1 and isinstance(module.body[0], n.Assign)


_SPACE_OR_COMMENT = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.S)


def _code_start(text: str, offset: int) -> int:
    """The offset of the first character at or after `offset` that is not white space or a comment."""
    match = _SPACE_OR_COMMENT.match(text, offset)
    return match.end() if match else offset
