"""The save-time checks Zoho runs when a script is saved, reported as `parse` errors.

Zoho refuses to save a script that calls an unknown function or method, reads
a variable before any assignment in the text, assigns a value of another type
to a typed variable, or breaks outside a loop. This module finds all of them
(LANGUAGE.md 3.13, 4.8, 5.9; DECISIONS.md D3, D16, D38, D43, D54, D57, D60).

The walk follows the text from top to bottom, one scope per function body (the
top-level statements form one more). A name is *defined* once an assignment,
`for each`, `catch` or parameter binding for it appears earlier in the text of
the same scope, whether or not that code would run (a branch not taken leaves
the variable `null`). At the top level a name read before any definition is a
*free name*: it must come from the run's context, which `run()` checks (D43).
Inside a function it is an error, because functions only see their parameters.

Strong typing: the first *statically known* type given to a variable (by a
literal, a list or map literal, a constructor, or a typed parameter) stays its
type; a later plain assignment of another known type is an error.
"""

from __future__ import annotations

from typing import Any

import attrs

from deluge.analysis.names import (
    ALWAYS_DEFINED,
    BUILTIN_VALUES,
    PAIR_FUNCTIONS,
    PAIR_METHODS,
    RESERVED_TARGETS,
    canonical_system,
    function_key,
    is_system_variable,
    resolve_call,
)
from deluge.catalog import Catalog
from deluge.errors import ParseError
from deluge.syntax import nodes as n

TYPE_WORDS = {
    "string": "TEXT", "text": "TEXT", "int": "NUMBER", "integer": "NUMBER", "bigint": "NUMBER",
    "long": "NUMBER", "number": "NUMBER", "decimal": "DECIMAL", "double": "DECIMAL", "float": "DECIMAL",
    "bool": "BOOLEAN", "boolean": "BOOLEAN", "date": "DATE-TIME", "datetime": "DATE-TIME",
    "map": "KEY-VALUE", "list": "LIST", "collection": "COLLECTION", "file": "FILE",
}


@attrs.define
class CheckResult:
    """What the checks found: errors (sorted by position), and the free names of the script."""

    errors: list[ParseError]
    free_names: dict[str, tuple[int, int]]
    functions: dict[str, n.FunctionDef]


class _Scope:
    def __init__(self, top_level: bool) -> None:
        self.top_level = top_level
        self.defined: set[str] = set()
        self.types: dict[str, str] = {}
        self.loop_depth = 0


def static_type(expr: n.Expr) -> str | None:
    """The type of an expression when it is evident from the text alone (LANGUAGE.md 3.13)."""
    kind = type(expr)
    if kind is n.Text:
        return "TEXT"
    if kind is n.Number:
        return "NUMBER"
    if kind is n.Decimal:
        return "DECIMAL"
    if kind is n.Boolean:
        return "BOOLEAN"
    if kind is n.DateTimeLit:
        return "DATE-TIME"
    if kind is n.TimeLit:
        return "TIME"
    if kind is n.ListLit or kind is n.TypedList:
        return "LIST"
    if kind is n.MapLit:
        return "KEY-VALUE"
    if kind is n.UnaryOp and expr.op == "-" and type(expr.operand) in (n.Number, n.Decimal):  # type: ignore[attr-defined]
        return static_type(expr.operand)  # type: ignore[attr-defined]
    if kind is n.Call:
        lowered = expr.name.lower()  # type: ignore[attr-defined]
        if lowered == "list":
            return "LIST"
        if lowered == "map":
            return "KEY-VALUE"
        if lowered == "collection":
            return "COLLECTION"
    return None


class Checker:
    """Walks a module once and collects every save-time error."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.errors: list[ParseError] = []
        self.free: dict[str, tuple[int, int]] = {}
        self.functions: dict[str, n.FunctionDef] = {}
        self.scope = _Scope(top_level=True)

    def error(self, message: str, line: int, column: int) -> None:
        self.errors.append(ParseError(message, line=line, column=column))

    # ------------------------------------------------------------ module and functions

    def check(self, module: n.Module) -> CheckResult:
        for fn in module.functions:
            key = function_key(fn.name)
            if key in self.functions:
                self.error(f"The function '{fn.name}' is defined twice", fn.line, fn.column)
            else:
                self.functions[key] = fn
        self.scope = _Scope(top_level=True)
        self.block(module.body)
        for fn in module.functions:
            self.function(fn)
        self.errors.sort(key=lambda e: (e.line or 0, e.column or 0))
        return CheckResult(errors=self.errors, free_names=self.free, functions=self.functions)

    def function(self, fn: n.FunctionDef) -> None:
        self.scope = _Scope(top_level=False)
        self.current_function = fn
        seen: set[str] = set()
        for param in fn.params:
            if param.name in seen:
                self.error(f"The parameter '{param.name}' is declared twice", param.line, param.column)
            seen.add(param.name)
            self.scope.defined.add(param.name)
            known = TYPE_WORDS.get(param.type_name.lower())
            if known is not None:
                self.scope.types[param.name] = known
        self.block(fn.body)
        self.current_function = None

    current_function: n.FunctionDef | None = None

    # ------------------------------------------------------------ statements

    def block(self, body: tuple[n.Stmt, ...]) -> None:
        for stmt in body:
            visit = getattr(self, f"stmt_{type(stmt).__name__}")
            visit(stmt)

    def stmt_Assign(self, stmt: n.Assign) -> None:
        self.expr(stmt.value)
        target = stmt.target
        if isinstance(target, n.Name):
            name = target.name
            if (name.lower() in RESERVED_TARGETS and name.lower() != "input") or name.lower() in BUILTIN_VALUES:
                self.error(f"'{name}' is a reserved word and cannot be assigned", target.line, target.column)
                return
            if stmt.op != "=":
                self.read_name(target)
            else:
                self.assign_type(name, static_type(stmt.value), stmt.value)
            self.scope.defined.add(name)
        elif isinstance(target, n.DottedName):
            self.error(f"The system variable '{target.name}' cannot be assigned", target.line, target.column)
        else:
            self.expr(target.receiver)  # type: ignore[attr-defined]

    def assign_type(self, name: str, known: str | None, value: n.Expr) -> None:
        if known is None:
            return
        first = self.scope.types.get(name)
        if first is None:
            self.scope.types[name] = known
        elif first != known:
            self.error(
                f"The variable '{name}' holds {first} values; it cannot be given a {known} value",
                value.line, value.column,
            )

    def stmt_ExprStmt(self, stmt: n.ExprStmt) -> None:
        self.expr(stmt.expr)

    def stmt_Info(self, stmt: n.Info) -> None:
        self.expr(stmt.value)

    def stmt_Return(self, stmt: n.Return) -> None:
        if stmt.value is not None:
            self.expr(stmt.value)
            fn = self.current_function
            if fn is not None and fn.return_type.lower() == "void":
                self.error(f"The void function '{fn.name}' cannot return a value", stmt.line, stmt.column)

    def stmt_Break(self, stmt: n.Break) -> None:
        if self.scope.loop_depth == 0:
            self.error("'break' can only be used inside a for each loop", stmt.line, stmt.column)

    def stmt_Continue(self, stmt: n.Continue) -> None:
        if self.scope.loop_depth == 0:
            self.error("'continue' can only be used inside a for each loop", stmt.line, stmt.column)

    def stmt_If(self, stmt: n.If) -> None:
        for branch in stmt.branches:
            self.expr(branch.condition)
            self.block(branch.body)
        if stmt.orelse is not None:
            self.block(stmt.orelse)

    def stmt_ForEach(self, stmt: n.ForEach) -> None:
        self.expr(stmt.iterable)
        self.scope.defined.add(stmt.var)
        if stmt.index:
            self.assign_type(stmt.var, "NUMBER", stmt)  # type: ignore[arg-type]
        self.scope.loop_depth += 1
        self.block(stmt.body)
        self.scope.loop_depth -= 1

    def stmt_Try(self, stmt: n.Try) -> None:
        self.block(stmt.body)
        self.scope.defined.add(stmt.var)
        self.block(stmt.handler)

    def stmt_TaskStmt(self, stmt: n.TaskStmt) -> None:
        for entry in stmt.entries:
            if entry.key in ("type", "response-format") and isinstance(entry.value, n.Name):
                continue  # a bare word: `type: GET`
            if entry.key == "content type" and isinstance(entry.value, n.Name):
                continue
            self.expr(entry.value)
        if stmt.kind == "sendmail" and stmt.target is not None:
            self.error("sendmail has no value to assign", stmt.line, stmt.column)
        self.target(stmt.target)

    def target(self, target: n.Expr | None) -> None:
        if target is None:
            return
        if isinstance(target, n.Name):
            if target.name.lower() in RESERVED_TARGETS:
                self.error(f"'{target.name}' is a reserved word and cannot be assigned", target.line, target.column)
            self.scope.defined.add(target.name)
        elif isinstance(target, n.DottedName):
            self.error(f"The system variable '{target.name}' cannot be assigned", target.line, target.column)
        elif isinstance(target, n.Member):
            self.expr(target.receiver)

    def stmt_Insert(self, stmt: n.Insert) -> None:
        for entry in stmt.entries:
            self.expr(entry.value)
        self.target(stmt.target)

    def stmt_Delete(self, stmt: n.Delete) -> None:
        self.expr(stmt.fetch)

    def stmt_Alert(self, stmt: n.Alert) -> None:
        self.expr(stmt.value)

    def stmt_CancelSubmit(self, stmt: n.CancelSubmit) -> None:
        pass

    def stmt_FieldAction(self, stmt: n.FieldAction) -> None:
        pass

    def stmt_UiCall(self, stmt: n.UiCall) -> None:
        if isinstance(stmt.target, n.Member):
            self.expr(stmt.target.receiver)
        for arg in stmt.args:
            self.expr(arg)

    # ------------------------------------------------------------ expressions

    def expr(self, expr: n.Expr, *, fields: bool = False) -> None:
        """Checks an expression; with `fields`, bare names are Creator form fields (criteria)."""
        kind = type(expr)
        if kind is n.BinOp:
            # Walk the left spine without recursion: long operator chains are common.
            spine: list[n.BinOp] = []
            node: Any = expr
            while type(node) is n.BinOp:
                spine.append(node)
                node = node.left
            self.expr(node, fields=fields)
            for binop in reversed(spine):
                right_fields = fields and binop.op in ("&&", "||")
                self.expr(binop.right, fields=right_fields)
            return
        if kind is n.Name:
            if fields:
                return
            self.read_name(expr)  # type: ignore[arg-type]
            return
        visit = getattr(self, f"expr_{kind.__name__}", None)
        if visit is not None:
            visit(expr, fields)
        else:
            for child in expr.children():
                if isinstance(child, n.Expr):
                    self.expr(child, fields=fields)

    def read_name(self, node: n.Name) -> None:
        name = node.name
        if name in self.scope.defined or name.lower() in BUILTIN_VALUES:
            return
        if name.lower() in ALWAYS_DEFINED:
            if self.scope.top_level:
                # `input` comes from the context when the host gives form data (LANGUAGE.md 5.15)
                self.free.setdefault(name, (node.line, node.column))
                self.scope.defined.add(name)
            return
        if name.lower() in ("zoho", "thisapp", "standalone"):
            self.error(f"'{name}' is a namespace, not a value", node.line, node.column)
            return
        if self.scope.top_level:
            self.free.setdefault(name, (node.line, node.column))
            self.scope.defined.add(name)  # report each free name once
            return
        self.error(f"Variable '{name}' is not defined", node.line, node.column)

    def expr_Number(self, expr: n.Number, fields: bool) -> None:
        if expr.value > 2**63 - 1:
            self.error(f"The number {expr.value} is outside the 64-bit range", expr.line, expr.column)

    def expr_UnaryOp(self, expr: n.UnaryOp, fields: bool) -> None:
        self.expr(expr.operand, fields=fields)

    def expr_DottedName(self, expr: n.DottedName, fields: bool) -> None:
        if not is_system_variable(expr.name, self.catalog):
            root = expr.name.split(".")[0]
            if root.lower() == "zoho":
                self.error(f"'{expr.name}' is not a system variable", expr.line, expr.column)
            else:
                self.error(f"'{expr.name}' is not a value; call a function with '{expr.name}(...)'",
                           expr.line, expr.column)

    def expr_Member(self, expr: n.Member, fields: bool) -> None:
        self.expr(expr.receiver, fields=fields)

    def expr_Fetch(self, expr: n.Fetch, fields: bool) -> None:
        self.criteria(expr.criteria)
        if expr.range_from is not None:
            self.expr(expr.range_from)
        if expr.range_to is not None:
            self.expr(expr.range_to)

    def criteria(self, expr: n.Expr) -> None:
        """In `Form[criteria]` the left operand of each comparison names a field (D59)."""
        if isinstance(expr, n.BinOp):
            if expr.op in ("&&", "||"):
                self.criteria(expr.left)
                self.criteria(expr.right)
                return
            if isinstance(expr.left, n.Name):
                self.expr(expr.right)
                return
        if isinstance(expr, n.UnaryOp) and expr.op == "!":
            self.criteria(expr.operand)
            return
        if isinstance(expr, n.Name):
            return
        self.expr(expr)

    def expr_Call(self, expr: n.Call, fields: bool) -> None:
        target = resolve_call(expr.name, self.catalog, self.functions)
        for arg in expr.args:
            if isinstance(arg, n.PairArg):
                if not (target.kind == "builtin" and target.name.lower() in PAIR_FUNCTIONS):
                    self.error("A 'key : value' argument is only allowed in Collection(), insert() and insertAll()",
                               arg.line, arg.column)
                self.expr(arg.key)
                self.expr(arg.value)
            else:
                self.expr(arg)
        if target.kind == "unknown":
            self.error(f"Unknown function '{expr.name}'{self.suggest(expr.name)}", expr.line, expr.column)
            return
        if target.kind == "sysvar_method" and not self.catalog.knows(target.name):
            # `zoho.currentdate.foo()`: a method no catalog lists, as for any other receiver (D3)
            self.error(f"Unknown function '{target.name}'{self.suggest(target.name)}", expr.line, expr.column)
            return
        if target.kind == "user":
            fn = self.functions[function_key(target.name)]
            if len(expr.args) != len(fn.params):
                self.error(
                    f"The function '{fn.name}' takes {len(fn.params)} argument(s); {len(expr.args)} given",
                    expr.line, expr.column,
                )
            return
        if target.kind == "builtin" and target.entries:
            count = len(expr.args)
            if not any(e.min_args <= count and (e.max_args is None or count <= e.max_args)
                       for e in target.entries):
                wanted = " or ".join(sorted({_arity_text(e) for e in target.entries}))
                self.error(f"The function '{target.name}' takes {wanted} argument(s); {count} given",
                           expr.line, expr.column)

    def expr_MethodCall(self, expr: n.MethodCall, fields: bool) -> None:
        receiver = expr.receiver
        known = self.catalog.knows(expr.name)
        if not known and isinstance(receiver, n.Name) and not expr.args and self._undefined(receiver.name):
            return  # a Creator subform row constructor: `Purchase_Order.Items()` (D56)
        if isinstance(receiver, n.Name) and self._undefined(receiver.name) and known \
                and expr.name.lower() in ("getall", "count"):
            pass
        self.expr(receiver, fields=fields)
        for arg in expr.args:
            if isinstance(arg, n.PairArg):
                if expr.name.lower() not in PAIR_METHODS:
                    self.error("A 'key : value' argument is only allowed in Collection(), insert() and insertAll()",
                               arg.line, arg.column)
                self.expr(arg.key)
                self.expr(arg.value)
            else:
                self.expr(arg)
        if not known:
            self.error(f"Unknown function '{expr.name}'{self.suggest(expr.name)}", expr.name_line, expr.name_column)

    def _undefined(self, name: str) -> bool:
        return (name not in self.scope.defined and name.lower() not in BUILTIN_VALUES
                and name.lower() not in ALWAYS_DEFINED)

    def expr_IfExpr(self, expr: n.IfExpr, fields: bool) -> None:
        self.expr(expr.condition)
        self.expr(expr.then)
        self.expr(expr.otherwise)

    def suggest(self, name: str) -> str:
        import difflib

        names = self.catalog.names() + [fn.name for fn in self.functions.values()]
        close = difflib.get_close_matches(name.lower(), [x.lower() for x in names], n=1, cutoff=0.75)
        if not close:
            return ""
        spelled = next(x for x in names if x.lower() == close[0])
        return f"; did you mean '{spelled}'?"


def _arity_text(entry: Any) -> str:
    if entry.max_args is None:
        return f"{entry.min_args} or more"
    if entry.min_args == entry.max_args:
        return str(entry.min_args)
    return f"{entry.min_args} to {entry.max_args}"


def check(module: n.Module, catalog: Catalog) -> CheckResult:
    """Runs every save-time check on a parsed module."""
    return Checker(catalog).check(module)


__all__ = ["CheckResult", "check", "static_type", "canonical_system"]
