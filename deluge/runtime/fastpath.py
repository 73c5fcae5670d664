"""The operator factory: for each operator, the fastest Python code with Deluge's exact semantics.

Given the Python nodes of the operands and their static types (`types.T`), each
function returns either native Python (when the types prove it means the same
thing in Python and in Deluge) or a call of the runtime helper in `ops`. Whole
numbers keep their 64-bit overflow check inline:

    (_t1 if -9223372036854775808 <= (_t1 := a + b) <= 9223372036854775807 else _ovf(_t1))

and comparisons against a constant need no helper at all where Python's
equality already agrees with Deluge's (`x == "Red"` is false for every
non-text `x`, in both languages).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from deluge.runtime.types import NUM, T
from deluge.runtime.values import INT_MAX, INT_MIN

Temp = Callable[[], str]

HELPERS = {
    "+": "_add", "-": "_sub", "*": "_mul", "/": "_div", "%": "_mod",
    "==": "_eq", "!=": "_ne", "<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge",
}
_PY_COMPARE = {"==": ast.Eq, "!=": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE}
_PY_ARITH = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult}


def name(ident: str) -> ast.Name:
    return ast.Name(id=ident, ctx=ast.Load())


def const(value: object) -> ast.Constant:
    return ast.Constant(value=value)


def call(func: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=name(func), args=list(args), keywords=[])


def is_simple(node: ast.expr) -> bool:
    """A node that can be evaluated twice without cost or effect (a name or a constant)."""
    return isinstance(node, (ast.Name, ast.Constant))


def bind(node: ast.expr, temp: Temp) -> tuple[ast.expr, ast.expr]:
    """(first use, later uses) of a value: a walrus into a temporary unless it is simple."""
    if is_simple(node):
        return node, node
    ident = temp()
    return ast.NamedExpr(target=ast.Name(id=ident, ctx=ast.Store()), value=node), name(ident)


def is_type(node: ast.expr, pytype: str) -> ast.expr:
    """`_type(node) is <pytype>` (pytype is a helper name such as `_int`)."""
    return ast.Compare(left=call("_type", node), ops=[ast.Is()], comparators=[name(pytype)])


def _in_range(value: ast.expr, lower: bool, upper: bool) -> ast.expr:
    if lower and upper:
        return ast.Compare(left=const(INT_MIN), ops=[ast.LtE(), ast.LtE()], comparators=[value, const(INT_MAX)])
    if upper:
        return ast.Compare(left=value, ops=[ast.LtE()], comparators=[const(INT_MAX)])
    return ast.Compare(left=value, ops=[ast.GtE()], comparators=[const(INT_MIN)])


def checked_int(value: ast.expr, temp: Temp, lower: bool = True, upper: bool = True) -> ast.expr:
    """`value` (a whole-number expression) with the 64-bit range check inline; `lower`/`upper`
    say which bounds the result could cross (a sum with a non-negative term cannot go below)."""
    if not lower and not upper:
        return value
    ident = temp()
    walrus = ast.NamedExpr(target=ast.Name(id=ident, ctx=ast.Store()), value=value)
    node = ast.IfExp(test=_in_range(walrus, lower, upper), body=name(ident), orelse=call("_ovf", name(ident)))
    node._deluge_check = (value, ident, lower, upper)  # type: ignore[attr-defined]  # read by unwrap_checked
    return node


def arith(op: str, left: ast.expr, lt: T, right: ast.expr, rt: T, temp: Temp, *,
          left_nonneg: bool = False, right_nonneg: bool = False) -> ast.expr:
    """`left op right` for op in + - * / %, when the result is not a text concatenation.

    With `left_nonneg` the left operand is a whole number known to be >= 0, so `%`
    and `/` by a positive constant mean the same in Python and Deluge; signs also
    tell which side of the 64-bit range a result can leave.
    """
    if lt == T.INT and rt == T.INT:
        if op in _PY_ARITH:
            lower = upper = True
            if op == "+" and (left_nonneg or right_nonneg):
                lower = False
            elif op == "-":
                upper, lower = not right_nonneg, not left_nonneg
            elif op == "*" and left_nonneg and right_nonneg:
                lower = False
            return checked_int(ast.BinOp(left=left, op=_PY_ARITH[op](), right=right), temp, lower, upper)
        positive = isinstance(right, ast.Constant) and type(right.value) is int and right.value > 0
        if positive and left_nonneg:
            return ast.BinOp(left=left, op=ast.Mod() if op == "%" else ast.FloorDiv(), right=right)
        if op == "%" and positive:
            first, again = bind(left, temp)
            native = ast.BinOp(left=again, op=ast.Mod(), right=right)
            nonneg = ast.Compare(left=first, ops=[ast.GtE()], comparators=[const(0)])
            return ast.IfExp(test=nonneg, body=native, orelse=call("_mod", again, right))
        return call(HELPERS[op], left, right)
    if rt == T.INT and isinstance(right, ast.Constant) and lt & T.INT:
        # an operand of unknown kind against a whole-number constant: guard, then native
        first, again = bind(left, temp)
        if op in _PY_ARITH:
            fast = checked_int(ast.BinOp(left=again, op=_PY_ARITH[op](), right=right), temp)
            if isinstance(fast, ast.IfExp):
                # fall back to the helper on overflow too: it raises the overflow error
                fast.orelse = call(HELPERS[op], again, right)
            return ast.IfExp(test=is_type(first, "_int"), body=fast, orelse=call(HELPERS[op], again, right))
        if op == "%" and type(right.value) is int and right.value > 0:
            test = ast.BoolOp(op=ast.And(), values=[
                is_type(first, "_int"), ast.Compare(left=again, ops=[ast.GtE()], comparators=[const(0)])])
            return ast.IfExp(test=test, body=ast.BinOp(left=again, op=ast.Mod(), right=right),
                             orelse=call("_mod", again, right))
    return call(HELPERS[op], left, right)


_BOUNDED = {T.INT: 20, T.BOOL: 5, T.NULL: 4}


def concat(parts: list[tuple[ast.expr, T]], temp: Temp | None = None) -> ast.expr:
    """A chain of `+` that joins text, with the text-length limit checked before building.

    - Every part a constant text or a value whose rendering is short and known
      (whole numbers, booleans, null): the result cannot approach any limit, and
      native string addition does the job.
    - Some parts are texts (known to be texts): each part is evaluated once, in
      order, into a temporary; when the texts are short, native addition joins
      them, otherwise the helper measures them first.
    - Anything else: the helper `_concat` renders and measures every part.
    """
    bound = 0
    texts = 0
    for node, kind in parts:
        if isinstance(node, ast.Constant) and type(node.value) is str:
            bound += len(node.value)
        elif kind in _BOUNDED:
            bound += _BOUNDED[kind]
        elif kind == T.STR:
            texts += 1
        else:
            return call("_concat", *(node for node, _ in parts))
    if bound > 2048 or (texts and temp is None):
        return call("_concat", *(node for node, _ in parts))
    if not texts:
        return _join([_piece(node, kind) for node, kind in parts])
    # bind every non-constant part, in order, then join natively when the texts are short
    bound_parts: list[tuple[ast.expr, T]] = []
    bindings: list[ast.expr] = []
    lengths: list[ast.expr] = []
    for node, kind in parts:
        if isinstance(node, ast.Constant):
            bound_parts.append((node, kind))
            continue
        ident = temp()  # type: ignore[misc]
        bindings.append(ast.NamedExpr(target=ast.Name(id=ident, ctx=ast.Store()), value=node))
        bound_parts.append((name(ident), kind))
        if kind == T.STR:
            lengths.append(call("_len", name(ident)))
    total: ast.expr = lengths[0]
    for item in lengths[1:]:
        total = ast.BinOp(left=total, op=ast.Add(), right=item)
    short = ast.Compare(left=total, ops=[ast.LtE()], comparators=[const(2048)])
    test = ast.BoolOp(op=ast.And(), values=[ast.Tuple(elts=bindings, ctx=ast.Load()), short])
    fast = _join([_piece(node, kind) for node, kind in bound_parts])
    slow = call("_concat", *(node for node, _ in bound_parts))
    return ast.IfExp(test=test, body=fast, orelse=slow)


def _piece(node: ast.expr, kind: T) -> ast.expr:
    if (isinstance(node, ast.Constant) and type(node.value) is str) or kind == T.STR:
        return node
    if kind == T.INT:
        return call("_istr", node)
    return call("_render", node)


def _join(pieces: list[ast.expr]) -> ast.expr:
    result = pieces[0]
    for piece in pieces[1:]:
        result = ast.BinOp(left=result, op=ast.Add(), right=piece)
    return result


def _constant_eq(other: ast.expr, ot: T, value: object, negate: bool, temp: Temp) -> ast.expr | None:
    """`other == constant` in native Python, when Python equality agrees with Deluge's."""
    kind = type(value)
    if kind is str and value != "":
        test: ast.expr = ast.Compare(left=other, ops=[ast.NotEq() if negate else ast.Eq()], comparators=[const(value)])
        return test
    if kind is int or kind is float:
        if ot == T.INT or ot == T.FLOAT or ot == NUM or (value not in (0, 1)):
            return ast.Compare(left=other, ops=[ast.NotEq() if negate else ast.Eq()], comparators=[const(value)])
        return None
    if kind is bool:
        if ot == T.BOOL:
            return ast.Compare(left=other, ops=[ast.IsNot() if negate else ast.Is()], comparators=[const(value)])
        return ast.Compare(left=other, ops=[ast.IsNot() if negate else ast.Is()], comparators=[const(value)])
    if value is None:
        first, again = bind(other, temp)
        test = ast.BoolOp(op=ast.Or(), values=[
            ast.Compare(left=first, ops=[ast.Is()], comparators=[const(None)]),
            ast.Compare(left=again, ops=[ast.Eq()], comparators=[const("")]),
        ])
        return ast.UnaryOp(op=ast.Not(), operand=test) if negate else test
    return None


def compare(op: str, left: ast.expr, lt: T, right: ast.expr, rt: T, temp: Temp) -> ast.expr:
    """`left op right` for the comparison operators; always a Python bool."""
    both_num = lt & ~NUM == 0 and rt & ~NUM == 0 and lt and rt
    if (both_num and (lt in (T.INT, T.FLOAT)) and (rt in (T.INT, T.FLOAT))) or (lt == T.STR and rt == T.STR):
        return ast.Compare(left=left, ops=[_PY_COMPARE[op]()], comparators=[right])
    if op in ("==", "!="):
        negate = op == "!="
        if isinstance(left, ast.Constant) and isinstance(right, ast.Constant):
            from deluge.runtime.ops import eq

            return const(eq(left.value, right.value) != negate)
        if isinstance(right, ast.Constant):
            fast = _constant_eq(left, lt, right.value, negate, temp)
            if fast is not None:
                return fast
        if isinstance(left, ast.Constant):
            fast = _constant_eq(right, rt, left.value, negate, temp)
            if fast is not None:
                return fast
        if lt == T.BOOL and rt == T.BOOL:
            return ast.Compare(left=left, ops=[ast.IsNot() if negate else ast.Is()], comparators=[right])
        return call(HELPERS[op], left, right)
    # ordering: a whole number against a value of unknown kind
    if lt == T.INT and rt & T.INT and rt != T.INT:
        first, again = bind(right, temp)
        native = ast.Compare(left=left, ops=[_PY_COMPARE[op]()], comparators=[again])
        if not is_simple(left):
            return call(HELPERS[op], left, right)
        return ast.IfExp(test=is_type(first, "_int"), body=native, orelse=call(HELPERS[op], left, again))
    if rt == T.INT and lt & T.INT and lt != T.INT and is_simple(right):
        first, again = bind(left, temp)
        native = ast.Compare(left=again, ops=[_PY_COMPARE[op]()], comparators=[right])
        return ast.IfExp(test=is_type(first, "_int"), body=native, orelse=call(HELPERS[op], again, right))
    return call(HELPERS[op], left, right)


def logical(op: str, left: ast.expr, lt: T, right: ast.expr, rt: T) -> ast.expr:
    """`&&` and `||`: short-circuit; operands must be booleans (checked unless known)."""
    lnode = left if lt == T.BOOL else call("_and" if op == "&&" else "_or", left)
    rnode = right if rt == T.BOOL else call("_and" if op == "&&" else "_or", right)
    return ast.BoolOp(op=ast.And() if op == "&&" else ast.Or(), values=[lnode, rnode])


def truth(node: ast.expr, t: T) -> ast.expr:
    """A condition: a known boolean as it is, anything else checked by `_truth`."""
    if t == T.BOOL:
        return node
    return call("_truth", node)


_GUARD_TYPES = {T.INT: "_int", T.MAP: "_DMap", T.LIST: "_DList", T.STR: "_str"}


def guard(node: ast.expr, kind: T) -> ast.expr:
    """`_type(node) is <kind's Python type>`: the test a specialized loop runs."""
    return is_type(node, _GUARD_TYPES[kind])


def unwrap_checked(node: ast.expr) -> tuple[ast.expr, str, bool, bool] | None:
    """(unchecked expression, temporary, lower, upper) of a node built by `checked_int`, else None."""
    return getattr(node, "_deluge_check", None)


def range_check(ident: str, lower: bool = True, upper: bool = True) -> ast.stmt:
    """`if not MIN <= ident <= MAX: _ovf(ident)` (the statement form of the 64-bit check)."""
    return ast.If(test=ast.UnaryOp(op=ast.Not(), operand=_in_range(name(ident), lower, upper)),
                  body=[ast.Expr(call("_ovf", name(ident)))], orelse=[])
