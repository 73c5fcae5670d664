"""Static types for the compiler's fast paths: what Python type a value must have at a point.

A type is a set of possible runtime kinds, kept as bit flags: `INT` means "always
a Python `int` (a Deluge NUMBER)", `INT | FLOAT` "a number of either kind",
`ANY` nothing known. The compiler only uses a type to pick a faster but
equivalent piece of code (`a + b` instead of `_add(a, b)` when both are
`INT`), so the rules here must never claim more than is true: when in doubt
the answer is `ANY`.

`Flow` computes the type of every variable at every point of a function body,
following assignments through branches and loops (a loop's head type is the
fixed point of its body). Blocks do not open scopes in Deluge, and a called
function cannot change its caller's variables, so only assignments matter.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from deluge.syntax import nodes as n


class T(enum.IntFlag):
    INT = 1
    FLOAT = 2
    STR = 4
    BOOL = 8
    NULL = 16
    LIST = 32  # exactly an untyped DList
    MAP = 64  # exactly a DMap
    OTHER = 128  # dates, times, files, typed lists, unsettled {}, errors, ...


NUM = T.INT | T.FLOAT
ANY = T(255)

Env = dict[str, T]

# Methods whose result kind is fixed whatever the receiver (their implementations return
# exactly these Python types; tests/unit/test_types.py holds them to it).
METHOD_RESULTS: dict[str, T] = {
    **dict.fromkeys(["length", "len", "size", "indexof", "lastindexof", "getoccurencecount", "tolong",
                     "tonumber"], T.INT),
    **dict.fromkeys(["touppercase", "tolowercase", "trim", "ltrim", "rtrim", "substring", "subtext",
                     "mid", "concat", "reverse", "proper", "left", "right"], T.STR),
    **dict.fromkeys(["contains", "notcontains", "startswith", "endswith", "isempty", "isnull", "isblank",
                     "containkey", "containskey", "containvalue", "containsvalue", "equals",
                     "equalsignorecase", "containsignorecase", "iseven", "isodd", "istext", "isfile"], T.BOOL),
    **dict.fromkeys(["keys", "values"], T.LIST),
    "todecimal": T.FLOAT,
}
FUNCTION_RESULTS: dict[str, T] = {"list": T.LIST, "map": T.MAP, "length": T.INT, "len": T.INT}


def precise(t: T) -> bool:
    """True when `t` names exactly one kind."""
    return t != 0 and (t & (t - 1)) == 0


def join(a: T | None, b: T | None) -> T | None:
    if a is None:
        return b
    if b is None:
        return a
    return a | b


def join_env(a: Env | None, b: Env | None) -> Env | None:
    """The types after two paths meet; None stands for a path that never arrives."""
    if a is None:
        return None if b is None else dict(b)
    if b is None:
        return dict(a)
    out: Env = {}
    for key in a.keys() | b.keys():
        out[key] = a.get(key, ANY) | b.get(key, ANY)
    return out


def numeric(a: T, b: T) -> T:
    """The kind of `a op b` for op in `- * / %` (and `+` on numbers)."""
    if a == T.INT and b == T.INT:
        return T.INT
    if (a | b) & ~NUM == 0 and (a == T.FLOAT or b == T.FLOAT):
        return T.FLOAT
    return NUM


def expr_type(expr: n.Expr, env: Env) -> T:
    """The kinds an expression can evaluate to (when it does not fail)."""
    kind = type(expr)
    if kind is n.Number:
        return T.INT
    if kind is n.Text:
        return T.STR
    if kind is n.Decimal:
        return T.FLOAT
    if kind is n.Boolean:
        return T.BOOL
    if kind is n.Null:
        return T.NULL
    if kind is n.Name:
        return env.get(expr.name, ANY)  # type: ignore[attr-defined]
    if kind is n.BinOp:
        return _binop_type(expr, env)  # type: ignore[arg-type]
    if kind is n.UnaryOp:
        if expr.op == "!":  # type: ignore[attr-defined]
            return T.BOOL
        inner = expr_type(expr.operand, env)  # type: ignore[attr-defined]
        return inner if inner in (T.INT, T.FLOAT) else NUM
    if kind is n.ListLit:
        return T.LIST
    if kind is n.MapLit:
        return T.MAP
    if kind in (n.DateTimeLit, n.TimeLit, n.EmptyBraces, n.TypedList):
        return T.OTHER
    if kind is n.IfExpr:
        return expr_type(expr.then, env) | expr_type(expr.otherwise, env)  # type: ignore[attr-defined]
    if kind is n.MethodCall:
        return METHOD_RESULTS.get(expr.name.lower(), ANY)  # type: ignore[attr-defined]
    if kind is n.Call:
        lowered = expr.name.lower()  # type: ignore[attr-defined]
        if lowered == "ifnull" and len(expr.args) == 2:  # type: ignore[attr-defined]
            return expr_type(expr.args[0], env) | expr_type(expr.args[1], env)  # type: ignore[attr-defined]
        return FUNCTION_RESULTS.get(lowered, ANY)
    return ANY


def _binop_type(expr: n.BinOp, env: Env) -> T:
    # left-deep chains without recursion
    spine: list[n.BinOp] = []
    node: n.Expr = expr
    while type(node) is n.BinOp:
        spine.append(node)  # type: ignore[arg-type]
        node = node.left  # type: ignore[attr-defined]
    result = expr_type(node, env)
    for binop in reversed(spine):
        result = binop_result(binop.op, result, expr_type(binop.right, env))
    return result


def binop_result(op: str, left: T, right: T) -> T:
    """The kinds `left op right` can produce."""
    if op in ("==", "!=", "<", "<=", ">", ">=", "&&", "||"):
        return T.BOOL
    if op == "+":
        if left == T.STR or right == T.STR:
            return T.STR
        if (left | right) & ~NUM == 0:
            return numeric(left, right)
        if (left | right) & T.STR:
            return T.STR | NUM
        return NUM
    return numeric(left, right)


class Flow:
    """Variable types through a function body.

    `at[id(stmt)]` holds the environment just before each statement, and
    `loop_heads[id(loop)]` the environment at the start of each loop iteration,
    for the compiler to read while it emits code.
    """

    def __init__(self, assume: dict[int, Env] | None = None) -> None:
        self.at: dict[int, Env] = {}
        self.loop_heads: dict[int, Env] = {}
        self.loop_backs: dict[int, Env | None] = {}
        self._breaks: list[list[Env]] = []
        self._continues: list[list[Env]] = []
        self._try_seen: list[list[Env]] = []
        self.assume = assume or {}
        """Types forced at the head of particular loops (the compiler's speculation)."""

    def block(self, body: Iterable[n.Stmt], env: Env | None) -> Env | None:
        for stmt in body:
            if env is None:
                return None
            self.at[id(stmt)] = env
            env = self.stmt(stmt, env)
            for seen in self._try_seen:
                if env is not None:
                    seen.append(env)
        return env

    def stmt(self, stmt: n.Stmt, env: Env) -> Env | None:
        kind = type(stmt)
        if kind is n.Assign:
            target = stmt.target  # type: ignore[attr-defined]
            if isinstance(target, n.Name):
                out = dict(env)
                if stmt.op == "=":  # type: ignore[attr-defined]
                    out[target.name] = expr_type(stmt.value, env)  # type: ignore[attr-defined]
                else:
                    fake = n.BinOp(op=stmt.op[0], left=target, right=stmt.value,  # type: ignore[attr-defined]
                                   line=stmt.line, column=stmt.column)
                    out[target.name] = expr_type(fake, env)
                return out
            return env
        if kind in (n.TaskStmt, n.Insert):
            target = stmt.target  # type: ignore[attr-defined]
            if isinstance(target, n.Name):
                out = dict(env)
                out[target.name] = ANY
                return out
            return env
        if kind is n.Return:
            return None
        if kind is n.Break:
            self._breaks[-1].append(env)
            return None
        if kind is n.Continue:
            self._continues[-1].append(env)
            return None
        if kind is n.If:
            result: Env | None = None
            for branch in stmt.branches:  # type: ignore[attr-defined]
                result = join_env(result, self.block(branch.body, dict(env)))
            if stmt.orelse is None:  # type: ignore[attr-defined]
                result = join_env(result, env)
            else:
                result = join_env(result, self.block(stmt.orelse, dict(env)))  # type: ignore[attr-defined]
            return result
        if kind is n.ForEach:
            return self.loop(stmt, env)  # type: ignore[arg-type]
        if kind is n.Try:
            self._try_seen.append([env])
            after_body = self.block(stmt.body, dict(env))  # type: ignore[attr-defined]
            seen = self._try_seen.pop()
            at_catch: Env | None = None
            for item in seen:
                at_catch = join_env(at_catch, item)
            assert at_catch is not None
            at_catch = dict(at_catch)
            at_catch[stmt.var] = T.OTHER  # type: ignore[attr-defined]
            after_handler = self.block(stmt.handler, at_catch)  # type: ignore[attr-defined]
            return join_env(after_body, after_handler)
        return env

    def loop(self, stmt: n.ForEach, env: Env) -> Env | None:
        var_type = T.INT if stmt.index else ANY
        forced = self.assume.get(id(stmt), {})
        head = dict(env)
        head[stmt.var] = var_type
        head.update(forced)
        for _ in range(20):
            self._breaks.append([])
            self._continues.append([])
            end = self.block(stmt.body, dict(head))
            breaks = self._breaks.pop()
            continues = self._continues.pop()
            back = end
            for item in continues:
                back = join_env(back, item)
            new_head = join_env(head, back) if back is not None else dict(head)
            assert new_head is not None
            new_head[stmt.var] = var_type
            for key, value in forced.items():
                new_head[key] = value
            if new_head == head:
                self.loop_backs[id(stmt)] = back
                after = join_env(head, None)
                for item in breaks:
                    after = join_env(after, item)
                self.loop_heads[id(stmt)] = head
                if back is not None:
                    after = join_env(after, back)
                return after
            head = new_head
        # no fixed point (cannot happen with a finite lattice, but stay safe)
        widened = {key: ANY for key in head}
        widened[stmt.var] = var_type
        self.loop_heads[id(stmt)] = widened
        self.loop_backs[id(stmt)] = widened
        return widened


def assigned_in(body: Iterable[n.Stmt]) -> set[str]:
    """Names assigned anywhere in these statements (nested blocks included)."""
    names: set[str] = set()
    for stmt in body:
        for node in n.walk(stmt):
            if isinstance(node, n.Assign) and isinstance(node.target, n.Name):
                names.add(node.target.name)
            elif isinstance(node, n.ForEach):
                names.add(node.var)
            elif isinstance(node, n.Try):
                names.add(node.var)
            elif isinstance(node, (n.TaskStmt, n.Insert)) and isinstance(node.target, n.Name):
                names.add(node.target.name)
    return names


MAP_METHODS = {"put", "putall", "containkey", "containskey", "keys", "values", "containvalue", "containsvalue"}
LIST_METHODS = {"add", "addall"}


def nonneg_candidate(stmt: n.ForEach) -> bool:
    """Whether the loop variable is divided by a positive constant (`x % 3`, `x / 2`) and
    never assigned in the body: then guarding `x >= 0` makes those operations native."""
    if stmt.var in assigned_in(stmt.body):
        return False
    for item in stmt.body:
        for node in n.walk(item):
            if (isinstance(node, n.BinOp) and node.op in ("%", "/") and isinstance(node.left, n.Name)
                    and node.left.name == stmt.var and isinstance(node.right, n.Number) and node.right.value > 0):
                return True
    return False


def loop_candidates(stmt: n.ForEach, entry: Env) -> dict[str, T]:
    """Variables of a loop body worth specializing, with the kind they are used as.

    A variable qualifies when it is read before any assignment in the body (so its
    value comes from the loop head), in a place where knowing its kind pays off:
    whole-number arithmetic or comparison, or as the receiver of map or list
    methods. The loop variable always comes from the head.
    """
    uses: dict[str, set[T]] = {}
    assigned: set[str] = set()

    def note(name: str, kind: T) -> None:
        if name not in assigned or name == stmt.var:
            uses.setdefault(name, set()).add(kind)

    def visit_expr(expr: n.Expr) -> None:
        for node in n.walk(expr):
            if isinstance(node, n.BinOp) and node.op in ("+", "-", "*", "/", "%", "<", "<=", ">", ">="):
                for side, other in ((node.left, node.right), (node.right, node.left)):
                    if isinstance(side, n.Name):
                        other_type = expr_type(other, entry)
                        if node.op == "+" and other_type & T.STR:
                            continue
                        if other_type & T.INT:
                            note(side.name, T.INT)
            elif isinstance(node, n.MethodCall) and isinstance(node.receiver, n.Name):
                lname = node.name.lower()
                if lname in MAP_METHODS or (lname == "get" and node.args and isinstance(node.args[0], n.Text)):
                    note(node.receiver.name, T.MAP)
                elif lname in LIST_METHODS:
                    note(node.receiver.name, T.LIST)

    def visit_block(body: Iterable[n.Stmt], top: bool) -> None:
        for item in body:
            for child in item.children():
                if isinstance(child, n.Expr):
                    visit_expr(child)
                elif isinstance(child, n.IfBranch):
                    visit_expr(child.condition)
            kind = type(item)
            if kind is n.If:
                for branch in item.branches:  # type: ignore[attr-defined]
                    visit_block(branch.body, False)
                if item.orelse is not None:  # type: ignore[attr-defined]
                    visit_block(item.orelse, False)  # type: ignore[attr-defined]
            elif kind is n.ForEach:
                visit_block(item.body, False)  # type: ignore[attr-defined]
            elif kind is n.Try:
                visit_block(item.body, False)  # type: ignore[attr-defined]
                visit_block(item.handler, False)  # type: ignore[attr-defined]
            if top and kind is n.Assign and isinstance(item.target, n.Name):  # type: ignore[attr-defined]
                assigned.add(item.target.name)  # type: ignore[attr-defined]

    visit_block(stmt.body, True)
    out: dict[str, T] = {}
    for name, kinds in uses.items():
        if len(kinds) != 1:
            continue
        (kind,) = kinds
        if name == stmt.var:
            if not stmt.index:
                out[name] = kind
        elif entry.get(name, ANY) != kind and entry.get(name, ANY) & kind:
            out[name] = kind
    return out
