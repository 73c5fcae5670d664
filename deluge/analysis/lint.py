"""Diagnostics for `deluge check`: the save-time errors of the checker, plus warnings.

`lint(module, catalog)` returns a sorted list of `Diagnostic`s, each with a
severity, a short stable code, a message and the line and column of the
offending node. Errors are exactly the checker's save-time errors (D3, D43,
LANGUAGE.md 4.8, 5.9): `deluge.compile` refuses the same scripts. Warnings
point at code that is legal but almost certainly not what the writer meant;
they never stop a save.

Codes of errors (from the checker; one per kind of check):

    unknown-function, unknown-method, arity, read-before-assign (inside a function),
    break-outside-loop, continue-outside-loop, type-conflict, readonly-system-variable,
    reserved-word, duplicate-function, duplicate-parameter, void-return, sendmail-value,
    namespace-value, unknown-system-variable, not-a-value, pair-argument, number-range,
    and `check` for a message this module does not know.

Codes of warnings (this module):

- `unreachable`: statements after `return`, `break` or `continue` in the same block, or
  after an `if`/`else if`/`else` chain *with* an `else` whose every branch always leaves
  (D30, D48). A `try` whose body and handler both always leave counts the same way
  (whatever fails in the body lands in the handler). One warning per unreachable run,
  at its first statement; code inside an unreachable run is not examined again.
- `unused-function`: a script function that the top-level code never reaches through
  calls (D30: "a function nothing reachable calls"). A script with no top-level
  statements is a set of entry points the host calls (a CRM or Creator function), so
  none of its functions is reported.
- `unused-variable`: a variable assigned (`=`, or the result of `invokeurl`/`insert`)
  and read nowhere in its scope (the top level, or one function body). Loop variables of
  `for each` and `catch` variables are part of their statement's syntax and are never
  reported; names starting with `_` are taken as deliberately unused. A compound
  assignment (`x += 1`) reads its variable. Reported once, at the first assignment.
- `arity`: a method call whose name the catalog knows as a method, with a number of
  arguments that no method form of that name accepts (`"en".startsWith()`). The checker
  leaves method arity to the run (D16), so this is a warning: the call is a runtime
  error when it runs. The same for a method called on a system variable
  (`zoho.currentdate.addDay()`).
- A method called on a system variable (`zoho.currentdate.foo()`) whose name no catalog
  row knows is the checker's error (D3), reported as `unknown-method`.
- `read-before-assign`: a top-level variable read before any assignment that is not a
  deluge object a platform handler binds (`user`, `chat`, `arguments`, ...:
  PLATFORM.md, platform-objects.tsv) nor Creator's `input`: it must come from the run's
  context (D43), which is worth knowing before running.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

import attrs

from deluge.analysis.checker import CheckResult
from deluge.analysis.checker import check as run_checks
from deluge.analysis.names import (
    ALWAYS_DEFINED,
    BUILTIN_VALUES,
    RESERVED_TARGETS,
    function_key,
    resolve_call,
)
from deluge.catalog import Catalog, Entry
from deluge.errors import ParseError
from deluge.syntax import nodes as n

Severity = Literal["error", "warning"]

# The deluge objects platform handlers bind (first column of spec/platform-objects.tsv).
PLATFORM_OBJECTS = frozenset({
    "access", "answers", "app_info", "arguments", "attachments", "body", "chat", "context_id", "data",
    "domain", "environment", "event", "form", "headers", "http_method", "links", "location", "mentions",
    "message", "message_details", "messages", "newuser", "operation", "options", "parameters", "params",
    "selections", "sub_action", "target", "url", "user",
})

# Checker messages -> codes, tried in order (the checker reports every error as a plain ParseError).
_CODES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), c) for p, c in (
    (r"^The function '.*' is defined twice$", "duplicate-function"),
    (r"^The parameter '.*' is declared twice$", "duplicate-parameter"),
    (r"^The function '.*' takes .* argument\(s\); \d+ given$", "arity"),
    (r"^The void function '.*' cannot return a value$", "void-return"),
    (r"^'.*' is a reserved word and cannot be assigned$", "reserved-word"),
    (r"^The system variable '.*' cannot be assigned$", "readonly-system-variable"),
    (r"^The variable '.*' holds .* values; it cannot be given a .* value$", "type-conflict"),
    (r"^'break' can only be used inside", "break-outside-loop"),
    (r"^'continue' can only be used inside", "continue-outside-loop"),
    (r"^sendmail has no value to assign$", "sendmail-value"),
    (r"^'.*' is a namespace, not a value$", "namespace-value"),
    (r"^Variable '.*' is not defined$", "read-before-assign"),
    (r"^The number .* is outside the 64-bit range$", "number-range"),
    (r"^'.*' is not a system variable$", "unknown-system-variable"),
    (r"^'.*' is not a value; call a function", "not-a-value"),
    (r"^A 'key : value' argument is only allowed", "pair-argument"),
    (r"^Unknown function '", "unknown-function"),
))


@attrs.frozen
class Diagnostic:
    """One finding of `deluge check`, at the line and column (1-based) of the offending node."""

    severity: Severity
    code: str
    message: str
    line: int
    column: int

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def sort_key(self) -> tuple[int, int, int, str]:
        return (self.line, self.column, 0 if self.is_error else 1, self.code)

    def to_json(self) -> dict[str, Any]:
        return {"severity": self.severity, "code": self.code, "message": self.message,
                "line": self.line, "column": self.column}

    def format(self, source: str | None = None, filename: str | None = None) -> str:
        """`FILE:LINE:COL: severity: message [code]`, and for an error the line with a caret."""
        head = f"{filename or '<script>'}:{self.line}:{self.column}: {self.severity}: {self.message} [{self.code}]"
        if source is None or not self.is_error:
            return head
        excerpt = ParseError(self.message, line=self.line, column=self.column).excerpt(source)
        return f"{head}\n{excerpt}" if excerpt else head


@attrs.frozen
class LintResult:
    """Every diagnostic of a module (sorted by position), and what the checker found."""

    diagnostics: tuple[Diagnostic, ...]
    check: CheckResult

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if not d.is_error)

    @property
    def free_names(self) -> dict[str, tuple[int, int]]:
        """The names the script reads from the run's context (D43)."""
        return self.check.free_names


def lint(module: n.Module, catalog: Catalog) -> list[Diagnostic]:
    """Every diagnostic of a parsed module: the checker's errors and this module's warnings."""
    return list(lint_module(module, catalog).diagnostics)


def lint_module(module: n.Module, catalog: Catalog) -> LintResult:
    """Like `lint`, keeping the checker's result (free names) for the caller."""
    result = run_checks(module, catalog)
    linter = _Linter(module, catalog, result)
    diagnostics = linter.checker_errors() + linter.warnings()
    diagnostics.sort(key=Diagnostic.sort_key)
    return LintResult(diagnostics=tuple(diagnostics), check=result)


def code_of(message: str, method_name_positions: frozenset[tuple[int, int]], line: int, column: int) -> str:
    """The code of a checker message; an unknown name at a method's name is `unknown-method`."""
    for pattern, code in _CODES:
        if pattern.search(message):
            if code == "unknown-function" and (line, column) in method_name_positions:
                return "unknown-method"
            return code
    return "check"


def _arity_text(entries: Iterable[Entry]) -> str:
    texts = set()
    for e in entries:
        if e.max_args is None:
            texts.add(f"{e.min_args} or more")
        elif e.min_args == e.max_args:
            texts.add(str(e.min_args))
        else:
            texts.add(f"{e.min_args} to {e.max_args}")
    return " or ".join(sorted(texts))


def _method_forms(catalog: Catalog, name: str) -> list[Entry]:
    """The method forms of a name whose arity the catalog states ([] when a form's is unknown:
    a name unavailable in the sandbox has no parameter list)."""
    forms = catalog.methods(name)
    if any(e.unavailable or e.system_value for e in forms):
        return []
    return forms


def _fits(entries: Iterable[Entry], count: int) -> bool:
    return any(e.min_args <= count and (e.max_args is None or count <= e.max_args) for e in entries)


class _Scope:
    """What one scope (the top level, or one function body) assigns, reads and calls."""

    def __init__(self) -> None:
        self.assigned: dict[str, n.Node] = {}
        self.read: set[str] = set()
        self.calls: set[str] = set()


class _Linter:
    def __init__(self, module: n.Module, catalog: Catalog, result: CheckResult) -> None:
        self.module = module
        self.catalog = catalog
        self.result = result
        self.out: list[Diagnostic] = []

    def warn(self, code: str, message: str, node: n.Node, line: int | None = None, column: int | None = None) -> None:
        self.out.append(Diagnostic("warning", code, message,
                                   node.line if line is None else line, node.column if column is None else column))

    # ------------------------------------------------------------ the checker's errors

    def checker_errors(self) -> list[Diagnostic]:
        positions = frozenset((m.name_line, m.name_column) for m in n.walk(self.module) if type(m) is n.MethodCall)
        positions |= frozenset(  # `zoho.currentdate.foo()`: a method of a system variable
            (c.line, c.column) for c in n.walk(self.module)
            if type(c) is n.Call and resolve_call(c.name, self.catalog, self.result.functions).kind == "sysvar_method")
        out = []
        for error in self.result.errors:
            line, column = error.line or 1, error.column or 1
            out.append(Diagnostic("error", code_of(error.message, positions, line, column), error.message,
                                  line, column))
        return out

    # ------------------------------------------------------------ warnings

    def warnings(self) -> list[Diagnostic]:
        self.out = []
        top = _Scope()
        self.scope_walk(self.module.body, top)
        self.unused_variables(top)
        self.context_reads()
        self.block_leaves(self.module.body)
        scopes: dict[str, _Scope] = {}
        for fn in self.module.functions:
            scope = _Scope()
            self.scope_walk(fn.body, scope)
            self.unused_variables(scope)
            self.block_leaves(fn.body)
            if self.result.functions.get(function_key(fn.name)) is fn:
                scopes[function_key(fn.name)] = scope
        self.unused_functions(top, scopes)
        for node in n.walk(self.module):
            if type(node) is n.MethodCall:
                self.method_call(node)
            elif type(node) is n.Call:
                self.system_method_call(node)
        return self.out

    # unreachable code (D30, D48)

    def block_leaves(self, body: tuple[n.Stmt, ...]) -> bool:
        """Whether running `body` always leaves it early; warns at the first unreachable statement."""
        for index, stmt in enumerate(body):
            why = self.leaves(stmt)
            if why is not None:
                if index + 1 < len(body):
                    self.warn("unreachable", f"This code can never run: {why}", body[index + 1])
                return True
        return False

    def leaves(self, stmt: n.Stmt) -> str | None:
        """Why `stmt` always leaves its block, or None when the next statement can run."""
        kind = type(stmt)
        if kind is n.Return:
            return "it follows 'return'"
        if kind is n.Break:
            return "it follows 'break'"
        if kind is n.Continue:
            return "it follows 'continue'"
        if kind is n.If:
            ends = [self.block_leaves(branch.body) for branch in stmt.branches]  # type: ignore[attr-defined]
            orelse = stmt.orelse  # type: ignore[attr-defined]
            if orelse is None:
                return None
            ends.append(self.block_leaves(orelse))
            if all(ends):
                return "every branch of the if/else before it ends in return, break or continue"
            return None
        if kind is n.ForEach:
            self.block_leaves(stmt.body)  # type: ignore[attr-defined]
            return None
        if kind is n.Try:
            body = self.block_leaves(stmt.body)  # type: ignore[attr-defined]
            handler = self.block_leaves(stmt.handler)  # type: ignore[attr-defined]
            if body and handler:
                return "both the try and its catch before it end in return, break or continue"
        return None

    # variables and calls of one scope

    def scope_walk(self, body: tuple[n.Stmt, ...], scope: _Scope) -> None:
        for stmt in body:
            self.statement(stmt, scope)

    def assign(self, target: n.Expr | None, scope: _Scope) -> None:
        if target is None:
            return
        if type(target) is n.Name:
            name = target.name  # type: ignore[attr-defined]
            if name.lower() in RESERVED_TARGETS or name.lower() in BUILTIN_VALUES:
                return  # the checker's error
            scope.assigned.setdefault(name, target)
        elif type(target) is not n.DottedName:
            for child in target.children():
                self.reads(child, scope)

    def statement(self, stmt: n.Stmt, scope: _Scope) -> None:
        kind = type(stmt)
        if kind is n.Assign:
            self.reads(stmt.value, scope)  # type: ignore[attr-defined]
            if stmt.op != "=" and type(stmt.target) is n.Name:  # type: ignore[attr-defined]
                scope.read.add(stmt.target.name)  # type: ignore[attr-defined]
            self.assign(stmt.target, scope)  # type: ignore[attr-defined]
        elif kind in (n.ExprStmt,):
            self.reads(stmt.expr, scope)  # type: ignore[attr-defined]
        elif kind in (n.Info, n.Alert):
            self.reads(stmt.value, scope)  # type: ignore[attr-defined]
        elif kind is n.Return:
            if stmt.value is not None:  # type: ignore[attr-defined]
                self.reads(stmt.value, scope)  # type: ignore[attr-defined]
        elif kind is n.If:
            for branch in stmt.branches:  # type: ignore[attr-defined]
                self.reads(branch.condition, scope)
                self.scope_walk(branch.body, scope)
            if stmt.orelse is not None:  # type: ignore[attr-defined]
                self.scope_walk(stmt.orelse, scope)  # type: ignore[attr-defined]
        elif kind is n.ForEach:
            self.reads(stmt.iterable, scope)  # type: ignore[attr-defined]
            self.scope_walk(stmt.body, scope)  # type: ignore[attr-defined]
        elif kind is n.Try:
            self.scope_walk(stmt.body, scope)  # type: ignore[attr-defined]
            self.scope_walk(stmt.handler, scope)  # type: ignore[attr-defined]
        elif kind is n.TaskStmt:
            for entry in stmt.entries:  # type: ignore[attr-defined]
                if entry.key in ("type", "response-format", "content type") and type(entry.value) is n.Name:
                    continue  # a bare word: `type: GET`
                self.reads(entry.value, scope)
            self.assign(stmt.target, scope)  # type: ignore[attr-defined]
        elif kind is n.Insert:
            for entry in stmt.entries:  # type: ignore[attr-defined]
                self.reads(entry.value, scope)
            self.assign(stmt.target, scope)  # type: ignore[attr-defined]
        elif kind is n.Delete:
            self.reads(stmt.fetch, scope)  # type: ignore[attr-defined]
        elif kind is n.UiCall:
            if type(stmt.target) is n.Member:  # type: ignore[attr-defined]
                self.reads(stmt.target.receiver, scope)  # type: ignore[attr-defined]
            for arg in stmt.args:  # type: ignore[attr-defined]
                self.reads(arg, scope)

    def reads(self, expr: n.Node, scope: _Scope) -> None:
        """Records the variables `expr` reads and the script functions it calls."""
        stack: list[n.Node] = [expr]
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind is n.Name:
                scope.read.add(node.name)  # type: ignore[attr-defined]
                continue
            if kind is n.Call:
                target = resolve_call(node.name, self.catalog, self.result.functions)  # type: ignore[attr-defined]
                if target.kind == "user":
                    scope.calls.add(function_key(target.name))
            elif kind is n.Fetch:
                stack.extend(_criteria_values(node.criteria))  # type: ignore[attr-defined]
                for bound in (node.range_from, node.range_to):  # type: ignore[attr-defined]
                    if bound is not None:
                        stack.append(bound)
                continue
            stack.extend(node.children())

    def unused_variables(self, scope: _Scope) -> None:
        for name, target in scope.assigned.items():
            if name in scope.read or name.startswith("_"):
                continue
            self.warn("unused-variable", f"The variable '{name}' is assigned but never read", target)

    def context_reads(self) -> None:
        for name, (line, column) in self.result.free_names.items():
            if name in PLATFORM_OBJECTS or name.lower() in ALWAYS_DEFINED:
                continue
            self.out.append(Diagnostic(
                "warning", "read-before-assign",
                f"'{name}' is read before any assignment: it must come from the run's context",
                line, column,
            ))

    def unused_functions(self, top: _Scope, scopes: dict[str, _Scope]) -> None:
        if not self.module.body:
            return  # a script of functions only: the host calls them
        reached: set[str] = set()
        pending = list(top.calls)
        while pending:
            key = pending.pop()
            if key in reached or key not in scopes:
                continue
            reached.add(key)
            pending.extend(scopes[key].calls)
        for key in scopes:
            if key in reached:
                continue
            fn = self.result.functions[key]
            called = any(key in other.calls for other_key, other in scopes.items() if other_key != key)
            if called:
                message = f"The function '{fn.name}' is never called: only functions that are never called call it"
            else:
                message = f"The function '{fn.name}' is defined but never called"
            self.warn("unused-function", message, fn)

    # method forms

    def method_call(self, node: n.MethodCall) -> None:
        forms = _method_forms(self.catalog, node.name)
        if forms and not _fits(forms, len(node.args)):
            self.warn("arity", _method_arity_message(node.name, forms, len(node.args)), node,
                      node.name_line, node.name_column)

    def system_method_call(self, node: n.Call) -> None:
        target = resolve_call(node.name, self.catalog, self.result.functions)
        if target.kind != "sysvar_method":
            return
        if not self.catalog.knows(target.name):
            return  # the checker's error (D3)
        forms = _method_forms(self.catalog, target.name)
        if forms and not _fits(forms, len(node.args)):
            self.warn("arity", _method_arity_message(target.name, forms, len(node.args)), node)


def _method_arity_message(name: str, forms: list[Entry], count: int) -> str:
    return (f"The method '{forms[0].name}' takes {_arity_text(forms)} argument(s); {count} given"
            " (a runtime error when it runs)")


def _criteria_values(expr: n.Expr) -> Iterator[n.Expr]:
    """The parts of `Form[criteria]` that are ordinary expressions: the left operand of each
    comparison names a field (D59), as the checker reads it."""
    if isinstance(expr, n.BinOp):
        if expr.op in ("&&", "||"):
            yield from _criteria_values(expr.left)
            yield from _criteria_values(expr.right)
            return
        if isinstance(expr.left, n.Name):
            yield expr.right
            return
    if isinstance(expr, n.UnaryOp) and expr.op == "!":
        yield from _criteria_values(expr.operand)
        return
    if isinstance(expr, n.Name):
        return
    yield expr


__all__ = ["PLATFORM_OBJECTS", "Diagnostic", "LintResult", "code_of", "lint", "lint_module"]
