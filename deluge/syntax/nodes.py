"""The nodes of a parsed Deluge script: one frozen, slotted class per construct.

Every node keeps the 1-based line and column (in characters) where it starts.
Statement nodes derive from `Stmt`, expression nodes from `Expr`. Nodes hold
syntax only; what a name means (variable, built-in, form field) is decided by
the checker and the compiler, never stored here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs


def node(cls: type) -> type:
    """Declares a node class: frozen and slotted, with the shared equality and repr of `Node`
    (attrs would generate both per class, which slows every start of the interpreter)."""
    return attrs.frozen(repr=False, eq=False)(cls)


@node
class Node:
    """Base of every node: its position in the source."""

    line: int = attrs.field(kw_only=True)
    column: int = attrs.field(kw_only=True)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in attrs.fields(type(self)))

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._values() == other._values()  # type: ignore[attr-defined]

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in attrs.fields(type(self)))
        return f"{type(self).__name__}({fields})"

    def children(self) -> Iterator[Node]:
        """The direct child nodes, in source order."""
        return iter(_child_list(self))

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dump: `{"node": class name, fields..., "line", "column"}`."""
        out: dict[str, Any] = {"node": type(self).__name__}
        for field in attrs.fields(type(self)):
            out[field.name] = _dump(getattr(self, field.name))
        return out


def _dump(value: Any) -> Any:
    if isinstance(value, Node):
        return value.to_json()
    if isinstance(value, tuple):
        return [_dump(v) for v in value]
    if isinstance(value, float) and value != value:  # pragma: no cover - never produced
        return None
    return value


@node
class Stmt(Node):
    """Base of statements."""


@node
class Expr(Node):
    """Base of expressions."""


# ---------------------------------------------------------------- expressions


@node
class Text(Expr):
    """A text literal: `"Hello"` or a single-quoted `'hello'` that is not a date."""

    value: str


@node
class Number(Expr):
    """A whole-number literal: `42`."""

    value: int


@node
class Decimal(Expr):
    """A decimal literal: `0.99`, `.5`."""

    value: float


@node
class Boolean(Expr):
    """`true` or `false`, in any letter case."""

    value: bool


@node
class Null(Expr):
    """`null`, in any letter case."""


@node
class DateTimeLit(Expr):
    """A single-quoted date or date-time: `'15-Aug-1947'`, `'15-Aug-1947 19:00:00'`.

    `fields` is (year, month, day, hour, minute, second); `has_time` is false for
    a date-only literal; with `two_digit_year` the year gets its century when the
    script runs, from the run's clock (D51).
    """

    fields: tuple[int, int, int, int, int, int]
    has_time: bool
    two_digit_year: bool
    source: str


@node
class TimeLit(Expr):
    """A single-quoted time of day: `'19:00:00'`, `'07:30:00 PM'`."""

    fields: tuple[int, int, int]
    source: str


@node
class ListLit(Expr):
    """A list literal: `{1, 2, 3}` or `[1, "a", [2, 3]]`."""

    items: tuple[Expr, ...]


@node
class MapLit(Expr):
    """A map literal: `{"a": 1, "b": 2}`; `pairs` holds (key, value) tuples."""

    pairs: tuple[tuple[Expr, Expr], ...]


@node
class EmptyBraces(Expr):
    """`{}` or `[]`: an empty container that settles as a list or a map on first use."""


@node
class Name(Expr):
    """A variable (or built-in value such as `today`): `total`."""

    name: str


@node
class DottedName(Expr):
    """A dotted name rooted at `zoho`, `thisapp` or `standalone`: a system variable such as
    `zoho.currenttime`, or a namespace such as `zoho.crm` (the checker decides which)."""

    name: str


@node
class PairArg(Expr):
    """A `key : value` argument, allowed in `Collection(...)`, `insert(...)`, `insertAll(...)`."""

    key: Expr
    value: Expr


@node
class Call(Expr):
    """A function-form call: `f(1)`, `thisapp.f(1)`, `zoho.crm.getRecords(...)`.

    `name` is the dotted name as written (`thisapp.f`, `zoho.crm.getRecords`).
    """

    name: str
    args: tuple[Expr, ...]


@node
class MethodCall(Expr):
    """A method call: `s.trim()`, `m.put("k", 1)`; `name_line`/`name_column` point at the name."""

    receiver: Expr
    name: str
    args: tuple[Expr, ...]
    name_line: int
    name_column: int


@node
class Member(Expr):
    """Member access without parentheses: `m.name`, `input.Amount`, `e.lineNo`."""

    receiver: Expr
    name: str


@node
class BinOp(Expr):
    """A binary operation: `a + b`; `op` is one of `+ - * / % == != < <= > >= && ||`
    (a single `=` inside an expression is stored as `==`)."""

    op: str
    left: Expr
    right: Expr


@node
class UnaryOp(Expr):
    """A unary operation: `-x`, `+x`, `!done`."""

    op: str
    operand: Expr


@node
class IfExpr(Expr):
    """The expression form `if(condition, a, b)`; only the chosen branch runs."""

    condition: Expr
    then: Expr
    otherwise: Expr


@node
class TypedList(Expr):
    """A typed list constructor: `List:String()`, `List:Int({1, 2})`."""

    type_name: str
    args: tuple[Expr, ...]


@node
class Fetch(Expr):
    """A Creator record fetch: `Orders[Status == "Open"] sort by Amount desc range from 1 to 10`."""

    form: str
    criteria: Expr
    sort_field: str | None
    descending: bool
    range_from: Expr | None
    range_to: Expr | None


# ---------------------------------------------------------------- statements


@node
class Assign(Stmt):
    """`target = value;` or a compound `target += value;`; the target is a `Name` or a `Member`."""

    target: Expr
    op: str
    value: Expr


@node
class ExprStmt(Stmt):
    """A call run for its effect: `l.add(1);`."""

    expr: Expr


@node
class Info(Stmt):
    """`info value;`"""

    value: Expr


@node
class Return(Stmt):
    """`return value;` or `return;`."""

    value: Expr | None


@node
class Break(Stmt):
    """`break;`"""


@node
class Continue(Stmt):
    """`continue;`"""


@node
class IfBranch(Node):
    """One `if (condition) { body }` or `else if (condition) { body }` arm."""

    condition: Expr
    body: tuple[Stmt, ...]


@node
class If(Stmt):
    """`if (...) {...} else if (...) {...} else {...}`; `orelse` is None without `else`."""

    branches: tuple[IfBranch, ...]
    orelse: tuple[Stmt, ...] | None


@node
class ForEach(Stmt):
    """`for each x in items { ... }`, or `for each index i in items { ... }` when `index` is true."""

    var: str
    index: bool
    iterable: Expr
    body: tuple[Stmt, ...]


@node
class Try(Stmt):
    """`try { body } catch (var) { handler }`."""

    body: tuple[Stmt, ...]
    var: str
    var_line: int
    handler: tuple[Stmt, ...]


@node
class TaskEntry(Node):
    """One `key: value` entry of an `invokeurl` or `sendmail` block; `key` is lower-case,
    with single spaces (`reply to`, `content type`)."""

    key: str
    value: Expr


@node
class TaskStmt(Stmt):
    """`resp = invokeurl [ url: ... type: GET ];` or `sendmail [ ... ]`; `kind` is
    `invokeurl` or `sendmail`; `target` is None when the result is not kept."""

    kind: str
    target: Expr | None
    entries: tuple[TaskEntry, ...]
    end_line: int


@node
class InsertEntry(Node):
    """One `Field = value` entry of an `insert into` block."""

    field: str
    value: Expr


@node
class Insert(Stmt):
    """`id = insert into Orders [ Customer = "Ann" ];` (Creator)."""

    form: str
    target: Expr | None
    entries: tuple[InsertEntry, ...]


@node
class Delete(Stmt):
    """`delete from Orders[Status == "Void"];` (Creator)."""

    fetch: Fetch


@node
class Alert(Stmt):
    """`alert "Saved";` (Creator)."""

    value: Expr


@node
class CancelSubmit(Stmt):
    """`cancel submit;` (Creator)."""


@node
class FieldAction(Stmt):
    """`hide Discount;`, `show`, `enable`, `disable`, `clear` (Creator)."""

    action: str
    field: str


@node
class UiCall(Stmt):
    """`Country:ui.add("India");` (Creator); `target` is the field, `method` the ui method."""

    target: Expr
    method: str
    args: tuple[Expr, ...]


@node
class Param(Node):
    """A typed parameter of a function header: `int n`."""

    type_name: str
    name: str


@node
class FunctionDef(Node):
    """`int standalone.twice(int n) { ... }`; `name` is the last part of the dotted name."""

    return_type: str
    qualified_name: str
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    end_line: int


@node
class Module(Node):
    """A whole script: its top-level statements and its function definitions."""

    body: tuple[Stmt, ...]
    functions: tuple[FunctionDef, ...]
    end_line: int


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree under `node` (itself included), depth first, without recursion."""
    stack = [node]
    pop, extend = stack.pop, stack.extend
    while stack:
        current = pop()
        yield current
        kids = _child_list(current)
        if kids:
            kids.reverse()
            extend(kids)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _child_list(node: Node) -> list[Node]:
    """The direct child nodes of `node`, in source order, as a new list."""
    cls = type(node)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in attrs.fields(cls))
    out: list[Node] = []
    for name in names:
        value = getattr(node, name)
        if isinstance(value, Node):
            out.append(value)
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, Node):
                    out.append(item)
                elif isinstance(item, tuple):
                    out.extend(x for x in item if isinstance(x, Node))
    return out
