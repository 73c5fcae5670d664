"""Compiles checked Deluge nodes into Python `ast` nodes, then once into a code object.

Script text never reaches Python's compiler: every Python node is built here
from our own nodes. The generated code uses only mangled local names (`v_total`),
constants, control flow and calls of the helpers in `helpers.namespace()`; it
never reads an attribute or a subscript of a value a script controls (the only
attribute it touches is `_ex.left`, the step countdown of our own `Execution`, and
`_ex.variables` when compiled with `capture`).

Shape of the output:

    def f0_twice(_ex, v_n):          # one per function defined in the script
        _s = _ex.left                # the step countdown lives in a local
        v_x = None                   # every local starts as null
        try:
            _s -= 2                  # each straight-line segment charges its statements
            ...
        finally:
            _ex.left = _s            # callers read the countdown back

    def __main__(_ex, v_user):       # the top-level statements; free names are parameters

With `capture` (an interactive session), the top-level function also stores its variables
into the execution as it exits, even when the run fails halfway (`_ex.variables = {...}` in
its `finally`), and the `given` names (the session's variables) that the script assigns
become parameters too, so assigning one only in a branch not taken keeps its earlier value.

Steps are charged per segment on entry (a segment ends after an `if`, `for
each` or `try`, whose bodies may leave early) and checked at loop back-edges
and calls (LANGUAGE.md 8). A statement that calls a function of the script is
bracketed so the callee continues the same countdown. Every generated node
carries the line of the Deluge statement it comes from, so a failure inside
any helper is reported at the script's own line.
"""

from __future__ import annotations

import ast
import datetime as _dt
import sys
from collections.abc import Iterable
from typing import Any

from deluge.analysis.checker import TYPE_WORDS, CheckResult
from deluge.analysis.names import BUILTIN_VALUES, CallTarget, function_key, resolve_call
from deluge.builtins import registry
from deluge.catalog import Catalog
from deluge.runtime import fastpath
from deluge.runtime.helpers import GENERATED_FILENAME
from deluge.runtime.types import ANY, Env, Flow, T, assigned_in, binop_result, expr_type
from deluge.runtime.values import DateTime, DList, DMap, Time
from deluge.syntax import nodes as n

BINARY_HELPERS = {
    "+": "_add", "-": "_sub", "*": "_mul", "/": "_div", "%": "_mod",
    "==": "_eq", "!=": "_ne", "<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge",
}
COMPOUND = {"+=": "_add", "-=": "_sub", "*=": "_mul", "/=": "_div", "%=": "_mod"}
UNARY_HELPERS = {"-": "_neg", "+": "_pos", "!": "_not"}
TYPED_LIST_KINDS = {
    "string": "TEXT", "text": "TEXT", "int": "NUMBER", "integer": "NUMBER", "bigint": "NUMBER",
    "number": "NUMBER", "long": "NUMBER", "float": "DECIMAL", "decimal": "DECIMAL", "double": "DECIMAL",
    "date": "DATE-TIME", "datetime": "DATE-TIME", "timestamp": "DATE-TIME", "time": "DATE-TIME",
    "bool": "BOOLEAN", "boolean": "BOOLEAN",
}


_PARAM_TYPES = {"TEXT": T.STR, "NUMBER": T.INT, "DECIMAL": T.FLOAT, "BOOLEAN": T.BOOL}
# Receivers whose exact Python type the compiler may know; their methods are called directly.
_EXACT = {T.STR: str, T.INT: int, T.FLOAT: float, T.BOOL: bool, T.LIST: DList, T.MAP: DMap}


def _arity_fits(fn: Any, count: int) -> bool:
    """Whether `fn` accepts `count` positional arguments (so a direct call cannot fail on arity)."""
    return registry.accepts(fn, count)


class CompileError(Exception):
    """An internal error of the compiler (a node type it does not know)."""


def _name(ident: str) -> ast.Name:
    return ast.Name(id=ident, ctx=ast.Load())


def _store(ident: str) -> ast.Name:
    return ast.Name(id=ident, ctx=ast.Store())


def _const(value: Any) -> ast.Constant:
    return ast.Constant(value=value)


def _call(func: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=_name(func), args=list(args), keywords=[])


def _charge(count: int) -> ast.stmt:
    return ast.AugAssign(target=_store("_s"), op=ast.Sub(), value=_const(count))


def _check() -> ast.stmt:
    # if _s < 0: _s = _tick(_ex, _s)
    return ast.If(
        test=ast.Compare(left=_name("_s"), ops=[ast.Lt()], comparators=[_const(0)]),
        body=[ast.Assign(targets=[_store("_s")], value=_call("_tick", _name("_ex"), _name("_s")))],
        orelse=[],
    )


def _charge_and_check(count: int, lines: tuple[int, ...] | None = None) -> ast.stmt:
    # if (_s := _s - count) < 0: _s = _tick(_ex, _s)   (one statement: cheaper than two)
    # with `lines` (the line of every step charged), `_tick_at` names the step that crossed
    charged = ast.NamedExpr(target=_store("_s"), value=ast.BinOp(left=_name("_s"), op=ast.Sub(),
                                                                 right=_const(count)))
    tick = _call("_tick", _name("_ex"), _name("_s")) if lines is None else \
        _call("_tick_at", _name("_ex"), _name("_s"), _const(lines))
    return ast.If(
        test=ast.Compare(left=charged, ops=[ast.Lt()], comparators=[_const(0)]),
        body=[ast.Assign(targets=[_store("_s")], value=tick)],
        orelse=[],
    )


def stamp(node: ast.AST, line: int) -> ast.AST:
    """Gives `node` the position of `line` unless it has one; the nodes under it inherit it
    (or their nearest positioned ancestor's) in one pass at the end, `inherit_positions`."""
    if node._attributes and getattr(node, "lineno", None) is None:
        node.lineno = node.end_lineno = line  # type: ignore[attr-defined]
        node.col_offset = node.end_col_offset = 0  # type: ignore[attr-defined]
    return node


def inherit_positions(root: ast.AST, line: int = 1) -> None:
    """Gives every node without a position the line of its nearest ancestor that has one."""
    stack: list[tuple[ast.AST, int]] = [(root, line)]
    pop, push = stack.pop, stack.append
    AST = ast.AST
    while stack:
        item, line = pop()
        if item._attributes:
            own = getattr(item, "lineno", None)
            if own is None:
                item.lineno = item.end_lineno = line  # type: ignore[attr-defined]
                item.col_offset = item.end_col_offset = 0  # type: ignore[attr-defined]
            else:
                line = own
        for field in item._fields:
            value = getattr(item, field, None)
            if type(value) is list:
                for element in value:
                    if isinstance(element, AST):
                        push((element, line))
            elif isinstance(value, AST):
                push((value, line))


def _contains_user_call(node: n.Node, functions: dict[str, n.FunctionDef]) -> bool:
    if not functions:
        return False
    for item in n.walk(node):
        if isinstance(item, n.Call):
            from deluge.analysis.names import split_user_name

            user = split_user_name(item.name)
            if user is not None and function_key(user) in functions:
                return True
    return False


def _step_cost(stmt: n.Stmt) -> int:
    """What a statement charges in the segment that holds it (a `for each` charges per iteration;
    an `if` its first condition plus what every way through it charges first, see `_if_hoist`)."""
    if isinstance(stmt, n.ForEach):
        return 0
    if isinstance(stmt, n.If):
        return 1 + _if_hoist(stmt)
    return 1


def _first_segment_cost(body: tuple[n.Stmt, ...]) -> int:
    cost = 0
    for stmt in body:
        cost += _step_cost(stmt)
        if _ends_segment(stmt):
            break
    return cost


def _if_hoist(stmt: n.If) -> int:
    """The charge every way through an if chain makes first, moved up into the segment that
    holds the `if` (fewer counter updates, the same total on every path).

    A way through charges once, at the start of the block it ends in: the `else if`
    conditions it evaluated plus that block's first segment (or just the conditions,
    when no branch runs and there is no `else`).
    """
    costs = [i + _first_segment_cost(branch.body) for i, branch in enumerate(stmt.branches)]
    last = len(stmt.branches) - 1
    costs.append(last + (_first_segment_cost(stmt.orelse) if stmt.orelse is not None else 0))
    return min(costs)


def _ends_segment(stmt: n.Stmt) -> bool:
    """A segment ends after a statement that may leave or repeat part of the code."""
    return isinstance(stmt, (n.If, n.ForEach, n.Try, n.Return, n.Break, n.Continue))


class FunctionCompiler:
    """Compiles one function body (or the top-level statements) into a Python `def`."""

    def __init__(self, program: ProgramCompiler, *, top_level: bool, fn: n.FunctionDef | None) -> None:
        self.program = program
        self.top_level = top_level
        self.fn = fn
        self.locals: set[str] = set()
        self.temps = 0
        self.loop_depth = 0
        self.block_depth = 0
        """Loops around the code being compiled: segments outside loops check the countdown as they charge it."""
        self.line = 1
        self.flow = Flow()
        self.env: Env = {}
        self.speculate = True
        self.assumptions: dict[int, Env] = {}
        self.nonneg: set[str] = set()
        """Whole-number variables known to be >= 0 here (a specialized loop's guard says so)."""

    # ------------------------------------------------------------ names

    def var(self, name: str) -> str:
        self.locals.add(name)
        return f"v_{name}"

    def temp(self) -> str:
        self.temps += 1
        return f"_t{self.temps}"

    # ------------------------------------------------------------ blocks and statements

    def block(self, body: tuple[n.Stmt, ...], *, first_charge: int | None = 0,
              check_first: bool = False, header_line: int | None = None) -> list[ast.stmt]:
        """The statements of a block, with a step charge at the start of every segment.

        `first_charge` is added to the first segment's charge (a loop header, a catch);
        None means the caller has charged the first segment already. With
        `check_first` the countdown is checked right after the charge (a loop back-edge);
        both are reported at `header_line` (the loop's line) when it is given.
        """
        self.block_depth += 1
        try:
            return self._block(body, first_charge, check_first, header_line)
        finally:
            self.block_depth -= 1

    def _block(self, body: tuple[n.Stmt, ...], first_charge: int | None, check_first: bool,
               header_line: int | None) -> list[ast.stmt]:
        segments: list[list[n.Stmt]] = [[]]
        for stmt in body:
            if segments[-1] and _ends_segment(segments[-1][-1]):
                segments.append([])
            segments[-1].append(stmt)
        out: list[ast.stmt] = []
        for index, segment in enumerate(segments):
            if index == 0 and first_charge is None:
                cost = 0  # the caller charged the first segment already
            else:
                cost = sum(_step_cost(s) for s in segment) + (first_charge if index == 0 and first_charge else 0)
            line = segment[0].line if segment else self.line
            if index == 0 and header_line is not None:
                line = header_line
            head_check = index == 0 and check_first
            # a function's own straight runs check their charge; nested blocks (branches,
            # loop bodies) are checked at the next check outside them, or when the run ends
            checked = self.program.metered and (head_check or (cost and not self.loop_depth
                                                                 and self.block_depth == 1))
            if cost and checked and not head_check:
                steps = [segment[0].line if segment else line] * (first_charge if index == 0 and first_charge else 0)
                for s in segment:
                    steps += [s.line] * _step_cost(s)
                lines = tuple(steps) if len(steps) == cost else None
                out.append(stamp(_charge_and_check(cost, lines), line))  # type: ignore[arg-type]
            elif cost and checked:
                out.append(stamp(_charge_and_check(cost), line))  # type: ignore[arg-type]
            elif cost and self.program.metered:
                out.append(stamp(_charge(cost), line))  # type: ignore[arg-type]
            elif checked:
                out.append(stamp(_check(), line))  # type: ignore[arg-type]
            for stmt in segment:
                self.line = stmt.line
                out.extend(self.statement(stmt))
        if not out:
            out.append(ast.Pass())
        return out

    def statement(self, stmt: n.Stmt) -> list[ast.stmt]:
        self.env = self.flow.at.get(id(stmt), {}) if self.program.optimize else {}
        visit = getattr(self, f"stmt_{type(stmt).__name__}", None)
        if visit is None:
            raise CompileError(f"no compiler for statement {type(stmt).__name__}")
        produced = visit(stmt)
        for node in produced:
            stamp(node, stmt.line)
        return produced  # type: ignore[no-any-return]

    def bracket(self, node: n.Node, statements: list[ast.stmt]) -> list[ast.stmt]:
        """Lets a called script function continue this function's step countdown."""
        if not _contains_user_call(node, self.program.functions):
            return statements
        return [
            ast.Assign(targets=[ast.Attribute(value=_name("_ex"), attr="left", ctx=ast.Store())], value=_name("_s")),
            ast.Try(
                body=statements,
                handlers=[],
                orelse=[],
                finalbody=[ast.Assign(targets=[_store("_s")],
                                      value=ast.Attribute(value=_name("_ex"), attr="left", ctx=ast.Load()))],
            ),
        ]

    def stmt_Assign(self, stmt: n.Assign) -> list[ast.stmt]:
        target = stmt.target
        if isinstance(target, n.Name):
            ident = self.var(target.name)
            if stmt.op == "=":
                value, _ = self.typed(stmt.value)
            else:
                current = (_name(ident), self.env.get(target.name, ANY))
                value, _ = self.combine(stmt.op[0], current, self.typed(stmt.value),
                                        self.nonneg_expr(target), self.nonneg_expr(stmt.value))
            unwrapped = fastpath.unwrap_checked(value)
            if unwrapped is not None:
                # the final whole-number result is checked once, as a statement (cheaper)
                raw, temp, lower, upper = unwrapped
                return self.bracket(stmt, [
                    ast.Assign(targets=[_store(temp)], value=raw),
                    fastpath.range_check(temp, lower, upper),
                    ast.Assign(targets=[_store(ident)], value=_name(temp)),
                ])
            return self.bracket(stmt, [ast.Assign(targets=[_store(ident)], value=value)])
        value = self.expr(stmt.value)
        assert isinstance(target, n.Member)
        receiver = self.expr(target.receiver)
        if stmt.op != "=":
            holder = self.temp()
            self.locals_temp(holder)
            current = _call("_member", _name("_ex"), _name(holder), _const(target.name))
            return self.bracket(stmt, [
                ast.Assign(targets=[_store(holder)], value=receiver),
                ast.Expr(_call("_setmember", _name("_ex"), _name(holder), _const(target.name),
                               _call(COMPOUND[stmt.op], current, value))),
            ])
        return self.bracket(stmt, [
            ast.Expr(_call("_setmember", _name("_ex"), receiver, _const(target.name), value))
        ])

    def locals_temp(self, ident: str) -> None:
        pass  # temporaries are plain Python locals; nothing to declare

    def stmt_ExprStmt(self, stmt: n.ExprStmt) -> list[ast.stmt]:
        return self.bracket(stmt, [ast.Expr(self.expr(stmt.expr))])

    def stmt_Info(self, stmt: n.Info) -> list[ast.stmt]:
        return self.bracket(stmt, [ast.Expr(_call("_info", _name("_ex"), self.expr(stmt.value)))])

    def stmt_Return(self, stmt: n.Return) -> list[ast.stmt]:
        if stmt.value is None:
            value: ast.expr = _name("_NORETURN") if self.top_level else _const(None)
        else:
            value = self.expr(stmt.value)
        return self.bracket(stmt, [ast.Return(value=value)])

    def stmt_Break(self, stmt: n.Break) -> list[ast.stmt]:
        return [ast.Break()]

    def stmt_Continue(self, stmt: n.Continue) -> list[ast.stmt]:
        return [ast.Continue()]

    def condition(self, expr: n.Expr, prefix: list[ast.stmt]) -> ast.expr:
        """A condition's test; a call of a script function is evaluated first into a temporary."""
        node, kind = self.typed(expr)
        test = fastpath.truth(node, kind)
        if _contains_user_call(expr, self.program.functions):
            holder = self.temp()
            prefix.extend(self.bracket(expr, [ast.Assign(targets=[_store(holder)], value=test)]))
            return _name(holder)
        return test

    def stmt_If(self, stmt: n.If) -> list[ast.stmt]:
        return self._if_chain(stmt.branches, stmt.orelse, -_if_hoist(stmt), self.env)

    def _if_chain(self, branches: tuple[n.IfBranch, ...], orelse: tuple[n.Stmt, ...] | None,
                  pending: int, entry: Env) -> list[ast.stmt]:
        """One arm of an if chain. `pending` is what the way so far has not charged yet: the
        `else if` conditions evaluated, less the part charged before the `if` (`_if_hoist`).
        Each way through the chain charges once, in the block it ends in. Every condition is
        typed in `entry`, the environment before the `if`: an `else if` runs only when the
        branches before it did not."""
        branch = branches[0]
        out: list[ast.stmt] = []
        self.env = entry
        test = self.condition(branch.condition, out)
        body = self.block(branch.body, first_charge=pending)
        if len(branches) > 1:
            rest = self._if_chain(branches[1:], orelse, pending + 1, entry)
        elif orelse is not None:
            rest = self.block(orelse, first_charge=pending)
        else:
            charge = pending > 0 and self.program.metered
            rest = [stamp(_charge(pending), branch.line)] if charge else []  # type: ignore[list-item]
        node = ast.If(test=test, body=body, orelse=rest)
        for item in out:
            stamp(item, branch.line)
        out.append(stamp(node, branch.line))  # type: ignore[arg-type]
        return out

    def stmt_ForEach(self, stmt: n.ForEach) -> list[ast.stmt]:
        prefix: list[ast.stmt] = []
        iterable = _call("_iter_index" if stmt.index else "_iter", self.expr(stmt.iterable))
        if _contains_user_call(stmt.iterable, self.program.functions):
            holder = self.temp()
            prefix.extend(self.bracket(stmt.iterable, [ast.Assign(targets=[_store(holder)], value=iterable)]))
            iterable = _name(holder)
        target = self.var(stmt.var)
        entry = dict(self.env)
        spec = self.speculation(stmt, entry) if self.speculate else None
        if not spec:
            self.loop_depth += 1
            body = self.block(stmt.body, first_charge=1, check_first=True, header_line=stmt.line)
            self.loop_depth -= 1
            loop: list[ast.stmt] = [ast.For(target=_store(target), iter=iterable, body=body, orelse=[])]
        else:
            loop = self.specialized_loop(stmt, iterable, target, spec, entry)
        for item in prefix:
            stamp(item, stmt.line)
        for item in loop:
            stamp(item, stmt.line)
        return [*prefix, *loop]

    def speculation(self, stmt: n.ForEach, entry: Env) -> tuple[dict[str, T], Flow] | None:
        """The kinds to assume for a fast copy of a loop, and the types inside it; None when
        nothing would get faster. Assumptions the body itself could break are dropped."""
        from deluge.runtime.types import loop_candidates

        spec = loop_candidates(stmt, entry)
        while spec:
            start = dict(entry)
            start.update(spec)
            flow = Flow(assume={id(stmt): {stmt.var: spec[stmt.var]} if stmt.var in spec else {}})
            flow.loop(stmt, start)
            back = flow.loop_backs.get(id(stmt))
            broken = [name for name, kind in spec.items()
                      if name != stmt.var and back is not None and back.get(name, ANY) != kind]
            if not broken:
                return spec, flow  # type: ignore[return-value]
            for name in broken:
                del spec[name]
        return None

    def specialized_loop(self, stmt: n.ForEach, iterable: ast.expr, target: str,
                         found: Any, entry: Env) -> list[ast.stmt]:
        """Two copies of a loop: a fast one for the assumed kinds, a general one for the rest.

            _it = _iterof(snapshot); _mode = 0
            if <entry guards>:
                _mode = 1
                for v_x in _it:
                    <charge, check>
                    if not <guard on v_x>: _mode = 2; break
                    <fast body>
            if _mode != 1:
                if _mode == 2: <refund>; _it = _resume(v_x, _it)
                for v_x in _it: <general body>
        """
        spec, flow = found
        iterator, mode = self.temp(), self.temp()
        charge = 1 + self.first_segment_cost(stmt.body)
        guards = [fastpath.guard(_name(f"v_{name}"), kind) for name, kind in sorted(spec.items())
                  if name != stmt.var]
        for name in spec:
            self.var(name)
        per_item = spec.get(stmt.var)
        from deluge.runtime.types import nonneg_candidate

        nonneg = per_item == T.INT and nonneg_candidate(stmt)
        saved_flow, saved_speculate, saved_nonneg = self.flow, self.speculate, self.nonneg
        self.flow = flow
        if nonneg:
            self.nonneg = self.nonneg | {stmt.var}
        self.loop_depth += 1
        fast_body = self.block(stmt.body, first_charge=None)
        self.flow, self.speculate, self.nonneg = saved_flow, False, saved_nonneg
        slow_body = self.block(stmt.body, first_charge=1, check_first=True, header_line=stmt.line)
        self.loop_depth -= 1
        self.speculate = saved_speculate
        head: list[ast.stmt] = []
        if self.program.metered:
            head.append(stamp(_charge_and_check(charge), stmt.line))  # type: ignore[arg-type]
        if per_item is not None:
            item_guard = fastpath.guard(_name(target), per_item)
            if nonneg:
                item_guard = ast.BoolOp(op=ast.And(), values=[
                    item_guard, ast.Compare(left=_name(target), ops=[ast.GtE()], comparators=[_const(0)])])
            head.append(ast.If(
                test=ast.UnaryOp(op=ast.Not(), operand=item_guard),
                body=[ast.Assign(targets=[_store(mode)], value=_const(2)), ast.Break()],
                orelse=[],
            ))
        prepaid = self.program.metered and self.prepayable(stmt)
        if prepaid:
            del head[0]  # the headers and first segments are charged by count, after the loop
        fast_loop: ast.stmt = ast.For(target=_store(target), iter=_name(iterator), body=head + fast_body, orelse=[])
        if prepaid:
            # Enough steps are reserved for every iteration's longest path before the loop
            # starts, so the countdown needs no check inside it; what each iteration started
            # costs is charged once the loop ends, however it ends.
            bound, count = self.temp(), self.temp()
            guards.append(ast.Compare(
                left=ast.NamedExpr(target=_store("_s"), value=_call(
                    "_reserve", _name("_ex"), _name("_s"),
                    ast.NamedExpr(target=_store(bound), value=ast.BinOp(
                        left=_const(charge + self.longest_path_bound(stmt.body)), op=ast.Mult(),
                        right=ast.NamedExpr(target=_store(count), value=_call("_lh", _name(iterator))))))),
                ops=[ast.GtE()], comparators=[_name(bound)]))
            started = ast.BinOp(left=_name(count), op=ast.Sub(), right=_call("_lh", _name(iterator)))
            fast_loop = ast.Try(body=[fast_loop], handlers=[], orelse=[], finalbody=[
                ast.AugAssign(target=_store("_s"), op=ast.Sub(),
                              value=ast.BinOp(left=_const(charge), op=ast.Mult(), right=started)
                              if charge != 1 else started)])
        entry_test: ast.expr = ast.BoolOp(op=ast.And(), values=guards) if len(guards) > 1 else (
            guards[0] if guards else _const(True))
        resume = ast.If(
            test=ast.Compare(left=_name(mode), ops=[ast.Eq()], comparators=[_const(2)]),
            body=[
                ast.AugAssign(target=_store("_s"), op=ast.Add(), value=_const(charge)),
                ast.Assign(targets=[_store(iterator)], value=_call("_resume", _name(target), _name(iterator))),
            ],
            orelse=[],
        )
        slow_loop = ast.For(target=_store(target), iter=_name(iterator), body=slow_body, orelse=[])
        return [
            ast.Assign(targets=[_store(iterator)], value=_call("_iterof", iterable)),
            ast.Assign(targets=[_store(mode)], value=_const(0)),
            ast.If(test=entry_test, body=[ast.Assign(targets=[_store(mode)], value=_const(1)), fast_loop],
                   orelse=[]),
            ast.If(test=ast.Compare(left=_name(mode), ops=[ast.NotEq()], comparators=[_const(1)]),
                   body=[resume, slow_loop] if per_item is not None else [slow_loop], orelse=[]),
        ]

    def prepayable(self, stmt: n.ForEach) -> bool:
        """Whether a loop's steps per iteration have a bound known before it runs: no loop
        inside it and no call of a script function (which could run any number of steps)."""
        if _contains_user_call(stmt, self.program.functions):
            return False
        return not any(isinstance(node, n.ForEach) for body in (stmt.body,) for s in body for node in n.walk(s))

    @staticmethod
    def longest_path_bound(body: tuple[n.Stmt, ...]) -> int:
        """At least the steps of the longest way through `body` (every statement and every
        condition of an if-chain counted as if all ran)."""
        total = 0
        for s in body:
            for node in n.walk(s):
                if isinstance(node, n.Stmt):
                    total += 1
                    if isinstance(node, n.If):
                        total += len(node.branches)
                    elif isinstance(node, n.Try):
                        total += 1  # entering the catch
        return total

    def first_segment_cost(self, body: tuple[n.Stmt, ...]) -> int:
        return _first_segment_cost(body)

    def stmt_Try(self, stmt: n.Try) -> list[ast.stmt]:
        body = self.block(stmt.body)
        exc = self.temp()
        handler_body = [
            stamp(ast.Assign(targets=[_store(self.var(stmt.var))], value=_call("_caught", _name(exc))),
                  stmt.var_line),
            *self.block(stmt.handler, first_charge=1),
        ]
        handler = ast.ExceptHandler(type=_name("_RuntimeError"), name=exc, body=handler_body)
        stamp(handler, stmt.var_line)
        return [ast.Try(body=body, handlers=[handler], orelse=[], finalbody=[])]

    def stmt_TaskStmt(self, stmt: n.TaskStmt) -> list[ast.stmt]:
        keys: list[ast.expr | None] = []
        values: list[ast.expr] = []
        for entry in stmt.entries:
            keys.append(_const(entry.key))
            if entry.key in ("type", "response-format", "content type") and isinstance(entry.value, n.Name) \
                    and entry.value.name not in self.program.assigned_anywhere(self.fn):
                values.append(_const(entry.value.name))
            else:
                values.append(self.expr(entry.value))
        entries = ast.Dict(keys=keys, values=values)
        call = _call("_invokeurl" if stmt.kind == "invokeurl" else "_sendmail", _name("_ex"), entries)
        if stmt.target is None:
            return self.bracket(stmt, [ast.Expr(call)])
        return self.bracket(stmt, self._store_result(stmt.target, call))

    def _store_result(self, target: n.Expr, value: ast.expr) -> list[ast.stmt]:
        if isinstance(target, n.Name):
            return [ast.Assign(targets=[_store(self.var(target.name))], value=value)]
        assert isinstance(target, n.Member)
        return [ast.Expr(_call("_setmember", _name("_ex"), self.expr(target.receiver), _const(target.name), value))]

    def _creator_stmt(self, what: str) -> list[ast.stmt]:
        return [ast.Expr(_call("_creator", _name("_ex"), _const(what)))]

    def stmt_Insert(self, stmt: n.Insert) -> list[ast.stmt]:
        return self._creator_stmt("insert into")

    def stmt_Delete(self, stmt: n.Delete) -> list[ast.stmt]:
        return self._creator_stmt("delete from")

    def stmt_Alert(self, stmt: n.Alert) -> list[ast.stmt]:
        return self._creator_stmt("alert")

    def stmt_CancelSubmit(self, stmt: n.CancelSubmit) -> list[ast.stmt]:
        return self._creator_stmt("cancel submit")

    def stmt_FieldAction(self, stmt: n.FieldAction) -> list[ast.stmt]:
        return self._creator_stmt(stmt.action)

    def stmt_UiCall(self, stmt: n.UiCall) -> list[ast.stmt]:
        return self._creator_stmt(f"ui.{stmt.method}")

    # ------------------------------------------------------------ expressions

    def expr(self, expr: n.Expr) -> ast.expr:
        return self.typed(expr)[0]

    def typed(self, expr: n.Expr) -> tuple[ast.expr, T]:
        """The Python node of an expression and its static type in the current environment."""
        kind = type(expr)
        if kind is n.BinOp:
            return self.binop(expr)  # type: ignore[arg-type]
        if kind is n.Name:
            return self.expr_Name(expr), self.env.get(expr.name, ANY)  # type: ignore[arg-type,attr-defined]
        visit = getattr(self, f"expr_{kind.__name__}", None)
        if visit is None:
            raise CompileError(f"no compiler for expression {kind.__name__}")
        return visit(expr), expr_type(expr, self.env)

    def binop(self, expr: n.BinOp) -> tuple[ast.expr, T]:
        # Left-deep chains (a + b + c ...) are folded without recursion.
        spine: list[n.BinOp] = []
        node: Any = expr
        while type(node) is n.BinOp:
            spine.append(node)
            node = node.left
        result, rtype = self.typed(node)
        concat: list[tuple[ast.expr, T]] | None = None
        for binop in reversed(spine):
            right, right_type = self.typed(binop.right)
            op = binop.op
            if op == "+" and (concat is not None or rtype == T.STR or right_type == T.STR):
                if concat is None:
                    concat = [(result, rtype)]
                concat.append((right, right_type))
                rtype = T.STR
                continue
            if concat is not None:
                result, concat = fastpath.concat(concat, self.temp), None
            result, rtype = self.combine(op, (result, rtype), (right, right_type),
                                         self.nonneg_expr(binop.left), self.nonneg_expr(binop.right))
        if concat is not None:
            result = fastpath.concat(concat, self.temp)
        return result, rtype

    def nonneg_expr(self, expr: n.Expr) -> bool:
        """Whether a whole-number expression is known to be >= 0 (for cheaper range checks)."""
        kind = type(expr)
        if kind is n.Number:
            return expr.value >= 0  # type: ignore[attr-defined, no-any-return]
        if kind is n.Name:
            return expr.name in self.nonneg  # type: ignore[attr-defined]
        if kind is n.BinOp:
            op = expr.op  # type: ignore[attr-defined]
            if op == "%":
                return (self.nonneg_expr(expr.left)  # type: ignore[attr-defined]
                        and type(expr.right) is n.Number and expr.right.value > 0)  # type: ignore[attr-defined]
            if op in ("+", "*"):
                return self.nonneg_expr(expr.left) and self.nonneg_expr(expr.right)  # type: ignore[attr-defined]
        if kind is n.MethodCall and expr.name.lower() in ("length", "len", "size"):  # type: ignore[attr-defined]
            return True
        return False

    def combine(self, op: str, left: tuple[ast.expr, T], right: tuple[ast.expr, T],
                left_nonneg: bool = False, right_nonneg: bool = False) -> tuple[ast.expr, T]:
        """The node and type of one binary operation on already compiled operands."""
        (lnode, ltype), (rnode, rtype) = left, right
        if op == "+" and (ltype == T.STR or rtype == T.STR):
            return fastpath.concat([left, right], self.temp), T.STR
        if op in ("&&", "||"):
            return fastpath.logical(op, lnode, ltype, rnode, rtype), T.BOOL
        if op in ("==", "!=", "<", "<=", ">", ">="):
            return fastpath.compare(op, lnode, ltype, rnode, rtype, self.temp), T.BOOL
        node = fastpath.arith(op, lnode, ltype, rnode, rtype, self.temp,
                              left_nonneg=left_nonneg, right_nonneg=right_nonneg)
        return node, binop_result(op, ltype, rtype)

    def expr_Text(self, expr: n.Text) -> ast.expr:
        return _const(expr.value)

    def expr_Number(self, expr: n.Number) -> ast.expr:
        return _const(expr.value)

    def expr_Decimal(self, expr: n.Decimal) -> ast.expr:
        return _const(expr.value)

    def expr_Boolean(self, expr: n.Boolean) -> ast.expr:
        return _const(expr.value)

    def expr_Null(self, expr: n.Null) -> ast.expr:
        return _const(None)

    def expr_DateTimeLit(self, expr: n.DateTimeLit) -> ast.expr:
        y, mo, d, h, mi, s = expr.fields
        if expr.two_digit_year:
            return _call("_date2", _name("_ex"), *(_const(x) for x in expr.fields), _const(expr.has_time))
        value = DateTime(_dt.datetime(y, mo, d, h, mi, s), date_only=not expr.has_time)
        return _name(self.program.constant(value))

    def expr_TimeLit(self, expr: n.TimeLit) -> ast.expr:
        h, m, s = expr.fields
        return _name(self.program.constant(Time(h * 3600 + m * 60 + s)))

    def expr_ListLit(self, expr: n.ListLit) -> ast.expr:
        return _call("_list", *(self.expr(item) for item in expr.items))

    def expr_MapLit(self, expr: n.MapLit) -> ast.expr:
        flat: list[ast.expr] = []
        for key, value in expr.pairs:
            flat.append(self.expr(key))
            flat.append(self.expr(value))
        return _call("_map", *flat)

    def expr_EmptyBraces(self, expr: n.EmptyBraces) -> ast.expr:
        return _call("_blank")

    def expr_Name(self, expr: n.Name) -> ast.expr:
        name = expr.name
        if name.lower() in BUILTIN_VALUES and name not in self.program.assigned_anywhere(self.fn):
            return _call("_" + BUILTIN_VALUES[name.lower()], _name("_ex"))
        return _name(self.var(name))

    def expr_DottedName(self, expr: n.DottedName) -> ast.expr:
        from deluge.analysis.names import canonical_system

        return _call("_sys", _name("_ex"), _const(canonical_system(expr.name, self.program.catalog)))

    def expr_PairArg(self, expr: n.PairArg) -> ast.expr:
        return _call("_pair", self.expr(expr.key), self.expr(expr.value))

    def expr_Member(self, expr: n.Member) -> ast.expr:
        return _call("_member", _name("_ex"), self.expr(expr.receiver), _const(expr.name))

    def expr_UnaryOp(self, expr: n.UnaryOp) -> ast.expr:
        if expr.op == "-" and type(expr.operand) is n.Number:
            return _call("_checkint", _const(-expr.operand.value))  # type: ignore[attr-defined]
        if expr.op == "-" and type(expr.operand) is n.Decimal:
            return _const(-expr.operand.value)  # type: ignore[attr-defined]
        return _call(UNARY_HELPERS[expr.op], self.expr(expr.operand))

    def expr_IfExpr(self, expr: n.IfExpr) -> ast.expr:
        return ast.IfExp(test=_call("_truth", self.expr(expr.condition)),
                         body=self.expr(expr.then), orelse=self.expr(expr.otherwise))

    def expr_TypedList(self, expr: n.TypedList) -> ast.expr:
        kind = TYPED_LIST_KINDS[expr.type_name.lower()]
        return _call("_typedlist", _name("_ex"), _const(kind), *(self.expr(a) for a in expr.args))

    def expr_Fetch(self, expr: n.Fetch) -> ast.expr:
        return _call("_creator", _name("_ex"), _const(f"{expr.form}[...]"))

    def expr_MethodCall(self, expr: n.MethodCall) -> ast.expr:
        lname = expr.name.lower()
        receiver_node = expr.receiver
        if not self.program.catalog.knows(expr.name):
            # A Creator subform row constructor: `Purchase_Order.Items()` (D56).
            return _call("_creator", _name("_ex"), _const(f"{self._describe(receiver_node)}.{expr.name}()"))
        receiver, receiver_type = self.typed(receiver_node)
        args = [self.expr(a) for a in expr.args]
        pytype = _EXACT.get(receiver_type)
        if pytype is not None:
            if lname in ("length", "len", "size") and not args and receiver_type in (T.STR, T.LIST, T.MAP):
                return _call("_len", receiver)
            registry.ensure(lname)
            impl = registry.METHODS.get(lname, {}).get(pytype)
            if impl is not None and _arity_fits(impl, len(args) + 2):
                return _call(self.program.method_impl(lname, pytype, impl), _name("_ex"), receiver, *args)
        dispatcher = self.program.method(lname, expr.name)
        return _call(dispatcher, _name("_ex"), receiver, *args)

    def _describe(self, node: n.Expr) -> str:
        if isinstance(node, n.Name):
            return node.name
        return "record"

    def expr_Call(self, expr: n.Call) -> ast.expr:
        target = resolve_call(expr.name, self.program.catalog, self.program.functions)
        args = [self.expr(a) for a in expr.args]
        if target.kind == "user":
            return _call("_callf", _name("_ex"), _name(self.program.function_ident(target.name)), *args)
        if target.kind == "task":
            return _call("_task", _name("_ex"), _const(target.name), *args)
        if target.kind == "sysvar_method":
            dispatcher = self.program.method(target.name.lower(), target.name)
            receiver = _call("_sys", _name("_ex"), _const(target.system))
            return _call(dispatcher, _name("_ex"), receiver, *args)
        if target.kind == "builtin":
            return self.builtin_call(target, expr, args)
        raise CompileError(f"unresolved call {expr.name}")  # the checker reports these first

    def builtin_call(self, target: CallTarget, expr: n.Call, args: list[ast.expr]) -> ast.expr:
        lname = target.name.lower()
        if lname == "ifnull" and len(args) == 2:
            holder = self.temp()
            return ast.IfExp(
                test=_call("_nullish", ast.NamedExpr(target=_store(holder), value=args[0])),
                body=args[1],
                orelse=_name(holder),
            )
        if lname in ("map", "list") and not args:
            return _call("_DMap" if lname == "map" else "_DList")
        if lname in ("count", "openurl") and self.program.catalog.forms(lname)[0].group == "record":
            return _call("_creator", _name("_ex"), _const(f"{target.name}(...)"))
        registry.ensure(lname)
        impl = registry.FUNCTIONS.get(lname)
        if impl is None:
            arguments = ast.Tuple(elts=args, ctx=ast.Load())
            return _call("_callfn", _name("_ex"), _const(lname), _const(target.name), arguments)
        return _call(self.program.function_impl(lname, impl), _name("_ex"), *args)


class ProgramCompiler:
    """Compiles a whole module: the functions, the main body, and the constants they share."""

    def __init__(self, module: n.Module, check: CheckResult, catalog: Catalog, optimize: bool = True,
                 metered: bool = True, capture: bool = False, given: Iterable[str] = ()) -> None:
        self.module = module
        self.catalog = catalog
        self.optimize = optimize
        self.metered = metered
        """False leaves out the step meter (only `benchmarks/limits_overhead.py` does, to measure it)."""
        """False compiles without static types or specialized loops (tests compare the two)."""
        self.functions = check.functions
        self.free_names = list(check.free_names)
        self.capture = capture
        """Store the top-level variables into `_ex.variables` on exit (an interactive session)."""
        if given:
            known = set(self.free_names)
            self.free_names += sorted(set(given) & assigned_in(module.body) - known)
        self.globals: dict[str, Any] = {}
        self.recipes: dict[str, tuple[Any, ...]] = {}
        """How to rebuild each entry of `globals` from plain data (for the compiled-program cache)."""
        self._constants: dict[int, str] = {}
        self._methods: dict[str, str] = {}
        self._impls: dict[str, str] = {}
        self._function_idents: dict[str, str] = {}
        self._assigned: dict[int, set[str]] = {}
        for index, fn in enumerate(module.functions):
            self._function_idents[function_key(fn.name)] = f"f{index}_{fn.name}"

    def function_ident(self, name: str) -> str:
        return self._function_idents[function_key(name)]

    def constant(self, value: Any) -> str:
        ident = f"_k{len(self._constants)}"
        self._constants[len(self._constants)] = ident
        self.globals[ident] = value
        if type(value) is DateTime:
            d = value.dt
            self.recipes[ident] = ("datetime", d.year, d.month, d.day, d.hour, d.minute, d.second, value.date_only)
        else:
            self.recipes[ident] = ("time", value.seconds)
        return ident

    def method(self, lname: str, display: str) -> str:
        ident = self._methods.get(lname)
        if ident is None:
            ident = f"_m_{lname}"
            self._methods[lname] = ident
            self.globals[ident] = registry.dispatcher(lname, display)
            self.recipes[ident] = ("dispatcher", lname, display)
        return ident

    def method_impl(self, lname: str, pytype: type, impl: Any) -> str:
        ident = self._impls.get(f"{lname}:{pytype.__name__}")
        if ident is None:
            ident = f"_mi_{lname}_{pytype.__name__}"
            self._impls[f"{lname}:{pytype.__name__}"] = ident
            self.globals[ident] = impl
            self.recipes[ident] = ("method", lname, pytype.__name__)
        return ident

    def function_impl(self, lname: str, impl: Any) -> str:
        ident = self._impls.get(lname)
        if ident is None:
            ident = f"_fn_{lname.replace('.', '_')}"
            self._impls[lname] = ident
            self.globals[ident] = impl
            self.recipes[ident] = ("function", lname)
        return ident

    def assigned_anywhere(self, fn: n.FunctionDef | None) -> set[str]:
        """Names assigned somewhere in a body (they are variables even where a built-in word is meant)."""
        key = id(fn)
        if key not in self._assigned:
            names = assigned_in(fn.body if fn is not None else self.module.body)
            if fn is not None:
                names.update(p.name for p in fn.params)
            self._assigned[key] = names
        return self._assigned[key]

    def compile_function(self, fn: n.FunctionDef | None) -> ast.FunctionDef:
        fc = FunctionCompiler(self, top_level=fn is None, fn=fn)
        fc.speculate = self.optimize
        initial: Env = {name: T.NULL for name in self.assigned_anywhere(fn)}
        if fn is None:
            for name in self.free_names:
                initial[name] = ANY
        else:
            for p in fn.params:
                kind = TYPE_WORDS.get(p.type_name.lower())
                initial[p.name] = _PARAM_TYPES.get(kind, ANY) | T.NULL if kind else ANY
        fc.flow.block(fn.body if fn is not None else self.module.body, initial)
        if fn is None:
            params = [f"v_{name}" for name in self.free_names]
            fc.locals.update(self.free_names)
            body = fc.block(self.module.body)
            body.append(stamp(ast.Return(value=_name("_NORETURN")), self.module.end_line))  # type: ignore[arg-type]
            ident, line, end = "__main__", 1, self.module.end_line
            prologue: list[ast.stmt] = []
        else:
            params = [f"v_{p.name}" for p in fn.params]
            fc.locals.update(p.name for p in fn.params)
            prologue = []
            for p in fn.params:
                kind = TYPE_WORDS.get(p.type_name.lower())
                if kind is not None:
                    prologue.append(stamp(ast.Assign(
                        targets=[_store(f"v_{p.name}")],
                        value=_call("_convparam", _name(f"v_{p.name}"), _const(kind), _const(fn.name), _const(p.name)),
                    ), fn.line))  # type: ignore[arg-type]
            body = fc.block(fn.body)
            if fn.return_type.lower() != "void":
                body.append(stamp(ast.Expr(_call("_noreturn", _const(fn.name))), fn.end_line))  # type: ignore[arg-type]
            else:
                body.append(stamp(ast.Return(value=_const(None)), fn.end_line))  # type: ignore[arg-type]
            ident, line, end = self.function_ident(fn.name), fn.line, fn.end_line
        param_set = set(params)
        local_inits = sorted(f"v_{name}" for name in fc.locals if f"v_{name}" not in param_set)
        start: list[ast.stmt] = [
            ast.Assign(targets=[_store("_s")], value=ast.Attribute(value=_name("_ex"), attr="left", ctx=ast.Load()))
        ]
        if "v_input" in local_inits:
            local_inits.remove("v_input")
            start.append(ast.Assign(targets=[_store("v_input")], value=_name("_NOINPUT")))
        if local_inits:
            start.append(ast.Assign(targets=[_store(x) for x in local_inits], value=_const(None)))
        finalbody: list[ast.stmt] = [
            ast.Assign(targets=[ast.Attribute(value=_name("_ex"), attr="left", ctx=ast.Store())], value=_name("_s"))
        ]
        if fn is None and self.capture:
            names = sorted(fc.locals)
            finalbody.append(ast.Assign(
                targets=[ast.Attribute(value=_name("_ex"), attr="variables", ctx=ast.Store())],
                value=ast.Dict(keys=[_const(name) for name in names], values=[_name(f"v_{name}") for name in names]),
            ))
        guarded = ast.Try(body=[*prologue, *body], handlers=[], orelse=[], finalbody=finalbody)
        func = ast.FunctionDef(
            name=ident,
            args=ast.arguments(
                posonlyargs=[], args=[ast.arg(arg="_ex")] + [ast.arg(arg=p) for p in params],
                vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[],
            ),
            body=[*start, guarded],
            decorator_list=[],
            returns=None,
        )
        if sys.version_info >= (3, 12):
            func.type_params = []
        stamp(func, line)
        func.end_lineno = end
        return func

    def compile(self) -> ast.Module:
        body: list[ast.stmt] = [self.compile_function(fn) for fn in self.module.functions]
        body.append(self.compile_function(None))
        module = ast.Module(body=body, type_ignores=[])
        inherit_positions(module)
        return module


def compile_module(module: n.Module, check: CheckResult, catalog: Catalog, *, optimize: bool = True,
                   metered: bool = True, capture: bool = False, given: Iterable[str] = ()
                   ) -> tuple[ast.Module, dict[str, Any], list[str], dict[str, tuple[Any, ...]]]:
    """The Python module of a checked script, the extra globals it needs (and how to rebuild
    them from plain data), and its free names (with `given`, those of them the script assigns
    too). `capture`: see the module's docstring."""
    compiler = ProgramCompiler(module, check, catalog, optimize, metered, capture, given)
    tree = compiler.compile()
    return tree, compiler.globals, compiler.free_names, compiler.recipes


def to_code(tree: ast.Module) -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return compile(tree, GENERATED_FILENAME, "exec", dont_inherit=True, optimize=0)
