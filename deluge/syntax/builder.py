"""Builds the nodes of `nodes.py` from the rules of grammar/deluge.lark while Lark parses.

Lark calls one method per rule (named after the rule or its alias) with the
rule's children: tokens and already-built nodes. Each method returns a node.
Shape checks that the grammar cannot express (an assignment to something that
is not a name, a repeated invokeurl key, an impossible date literal) raise
`BuildError`, which the parser turns into a `ParseError` with the position.
Nothing here consults the function catalog (D57).
"""

from __future__ import annotations

import re
from typing import Any

# isort: off
import deluge.syntax.larkload  # noqa: F401  (must come before any lark import)
from lark import Token, Transformer
# isort: on

from deluge.syntax import nodes as n
from deluge.syntax.datetext import DateTextError, recognise_date, recognise_time

INT64_MAX = 2**63 - 1
NAMESPACE_ROOTS = {"zoho", "thisapp", "standalone"}
UNARY_NESTING_LIMIT = 64

INVOKEURL_KEYS = {
    "url", "type", "parameters", "headers", "body", "files", "connection", "content-type",
    "detailed", "response-format", "response-decoding", "timeout",
}
SENDMAIL_KEYS = {"from", "to", "cc", "bcc", "reply to", "subject", "message", "content type", "attachments"}
SENDMAIL_REQUIRED = ("from", "to", "subject", "message")


class BuildError(Exception):
    """A shape error found while building nodes; carries the position it points at."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@n.node
class EmptyStatement(n.Stmt):
    """A stray `;`: kept only until the enclosing block is built."""


_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "'": "'"}
_ESCAPE_RE = re.compile(r"\\(.)", re.S)


def unescape(body: str) -> str:
    """The text of a literal body: `\\"`, `\\\\`, `\\n`, `\\t`, `\\r`, `\\'` are escapes;
    any other backslash sequence keeps both characters (LANGUAGE.md 2.6)."""
    if "\\" not in body:
        return body
    return _ESCAPE_RE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(0)), body)


def _pos(item: Any) -> tuple[int, int]:
    """The (line, column) where a token or node starts."""
    if isinstance(item, Token):
        return item.line, item.column  # type: ignore[return-value]
    return item.line, item.column


def _at(item: Any) -> dict[str, int]:
    line, column = _pos(item)
    return {"line": line, "column": column}


def _statements(items: list[Any], closing: Token | None) -> tuple[n.Stmt, ...]:
    """The statements of a block without its empty statements, after checking that each
    `invokeurl`/`sendmail` block left without `;` ends its line (D52)."""
    out: list[n.Stmt] = []
    for i, stmt in enumerate(items):
        if isinstance(stmt, n.TaskStmt):
            following = items[i + 1] if i + 1 < len(items) else closing
            if following is not None and not isinstance(following, EmptyStatement):
                if _pos(following)[0] == stmt.end_line:
                    line, column = _pos(following)
                    raise BuildError(f"Expecting ';' after the {stmt.kind} block", line, column)
        if not isinstance(stmt, EmptyStatement):
            out.append(stmt)
    return tuple(out)


def _target(node: Any, what: str = "assignment") -> n.Expr:
    if isinstance(node, (n.Name, n.Member, n.DottedName)):
        return node
    line, column = _pos(node)
    raise BuildError(f"The left side of an {what} must be a variable or a field", line, column)


class Builder(Transformer):
    """Lark callbacks: one per grammar rule, each returning a node."""

    # ------------------------------------------------------------ module and functions

    def start(self, items: list[Any]) -> n.Module:
        functions = tuple(x for x in items if isinstance(x, n.FunctionDef))
        body = _statements([x for x in items if not isinstance(x, n.FunctionDef)], None)
        return n.Module(body=body, functions=functions, end_line=0, line=1, column=1)

    def function_def(self, items: list[Any]) -> n.FunctionDef:
        names = [x for x in items if isinstance(x, Token) and x.type == "NAME"]
        params = tuple(x for x in items if isinstance(x, n.Param))
        body, end_line = items[-1]
        type_tok, *name_toks = names
        qualified = ".".join(str(t) for t in name_toks)
        return n.FunctionDef(
            return_type=str(type_tok),
            qualified_name=qualified,
            name=str(name_toks[-1]),
            params=params,
            body=body,
            end_line=end_line,
            line=type_tok.line, column=type_tok.column,
        )

    def param(self, items: list[Any]) -> n.Param:
        type_tok, name_tok = items
        return n.Param(type_name=str(type_tok), name=str(name_tok), line=type_tok.line, column=type_tok.column)

    def block(self, items: list[Any]) -> tuple[tuple[n.Stmt, ...], int]:
        closing = items[-1]
        return _statements(items[1:-1], closing), closing.line

    # ------------------------------------------------------------ simple statements

    def empty_stmt(self, items: list[Any]) -> EmptyStatement:
        return EmptyStatement(line=items[0].line, column=items[0].column)

    def assign_stmt(self, items: list[Any]) -> n.Assign:
        target, op, value, _semi = items
        return n.Assign(target=_target(target), op=str(op), value=value, line=target.line, column=target.column)

    def expr_stmt(self, items: list[Any]) -> n.ExprStmt:
        expr = items[0]
        if not isinstance(expr, (n.Call, n.MethodCall)):
            line, column = _pos(expr)
            raise BuildError("Only a function or method call can stand alone as a statement", line, column)
        return n.ExprStmt(expr=expr, line=expr.line, column=expr.column)

    def info_stmt(self, items: list[Any]) -> n.Info:
        return n.Info(value=items[1], line=items[0].line, column=items[0].column)

    def return_stmt(self, items: list[Any]) -> n.Return:
        return n.Return(value=items[1], line=items[0].line, column=items[0].column)

    def break_stmt(self, items: list[Any]) -> n.Break:
        return n.Break(line=items[0].line, column=items[0].column)

    def continue_stmt(self, items: list[Any]) -> n.Continue:
        return n.Continue(line=items[0].line, column=items[0].column)

    # ------------------------------------------------------------ compound statements

    def if_stmt(self, items: list[Any]) -> n.If:
        if_tok, _lpar, cond, _rpar, (body, _end), *rest = items
        branches = [n.IfBranch(condition=cond, body=body, line=if_tok.line, column=if_tok.column)]
        orelse = None
        for item in rest:
            if isinstance(item, n.IfBranch):
                branches.append(item)
            elif item is not None:
                orelse = item
        return n.If(branches=tuple(branches), orelse=orelse, line=if_tok.line, column=if_tok.column)

    def elif_clause(self, items: list[Any]) -> n.IfBranch:
        else_tok, _if, _lpar, cond, _rpar, (body, _end) = items
        return n.IfBranch(condition=cond, body=body, line=else_tok.line, column=else_tok.column)

    def else_clause(self, items: list[Any]) -> tuple[n.Stmt, ...]:
        return items[1][0]

    def for_stmt(self, items: list[Any]) -> n.ForEach:
        for_tok, _each, first, second, _in, iterable, (body, _end) = items
        if second is not None:
            if str(first).lower() != "index":
                line, column = _pos(first)
                raise BuildError(f"Expecting 'in' or 'index' but found '{first}'", line, column)
            return n.ForEach(var=str(second), index=True, iterable=iterable, body=body,
                             line=for_tok.line, column=for_tok.column)
        return n.ForEach(var=str(first), index=False, iterable=iterable, body=body,
                         line=for_tok.line, column=for_tok.column)

    def try_stmt(self, items: list[Any]) -> n.Try:
        try_tok, (body, _e1), _catch, _lpar, var, _rpar, (handler, _e2) = items
        return n.Try(body=body, var=str(var), var_line=var.line, handler=handler,
                     line=try_tok.line, column=try_tok.column)

    # ------------------------------------------------------------ invokeurl and sendmail

    def task_stmt(self, items: list[Any]) -> n.TaskStmt:
        target, _eq, kind_tok, _lsqb, *entries, rsqb = items
        kind = str(kind_tok).lower()
        allowed = INVOKEURL_KEYS if kind == "invokeurl" else SENDMAIL_KEYS
        seen: set[str] = set()
        for entry in entries:
            if entry.key not in allowed:
                raise BuildError(f"'{entry.key}' is not a key of {kind}", entry.line, entry.column)
            if entry.key in seen:
                raise BuildError(f"The key '{entry.key}' is given twice", entry.line, entry.column)
            seen.add(entry.key)
        start = target if target is not None else kind_tok
        line, column = _pos(start)
        required = ("url",) if kind == "invokeurl" else SENDMAIL_REQUIRED
        for key in required:
            if key not in seen:
                raise BuildError(f"The {kind} block needs a '{key}' key", line, column)
        return n.TaskStmt(
            kind=kind,
            target=None if target is None else _target(target),
            entries=tuple(entries),
            end_line=rsqb.line,
            line=line,
            column=column,
        )

    def task_entry(self, items: list[Any]) -> n.TaskEntry:
        key_tok, _colon, value = items
        key = " ".join(str(key_tok).lower().split())
        return n.TaskEntry(key=key, value=value, line=key_tok.line, column=key_tok.column)

    # ------------------------------------------------------------ Creator forms (D8)

    def insert_stmt(self, items: list[Any]) -> n.Insert:
        target, _eq, insert_tok, form, _lsqb, *entries, _rsqb, _semi = items
        seen: set[str] = set()
        for entry in entries:
            if entry.field in seen:
                raise BuildError(f"The field '{entry.field}' is given twice", entry.line, entry.column)
            seen.add(entry.field)
        start = target if target is not None else insert_tok
        return n.Insert(
            form=str(form),
            target=None if target is None else _target(target),
            entries=tuple(entries),
            line=start.line, column=start.column,
        )

    def insert_entry(self, items: list[Any]) -> n.InsertEntry:
        name, _eq, value = items
        return n.InsertEntry(field=str(name), value=value, line=name.line, column=name.column)

    def delete_stmt(self, items: list[Any]) -> n.Delete:
        delete_tok, form, _lsqb, criteria, _rsqb, sort, rng, _semi = items
        fetch = self._fetch(form, criteria, sort, rng)
        return n.Delete(fetch=fetch, line=delete_tok.line, column=delete_tok.column)

    def alert_stmt(self, items: list[Any]) -> n.Alert:
        return n.Alert(value=items[1], line=items[0].line, column=items[0].column)

    def cancel_stmt(self, items: list[Any]) -> n.CancelSubmit:
        return n.CancelSubmit(line=items[0].line, column=items[0].column)

    def field_action_stmt(self, items: list[Any]) -> n.FieldAction:
        action_tok, *names, _semi = items
        return n.FieldAction(
            action=str(action_tok).lower(),
            field=".".join(str(x) for x in names if isinstance(x, Token) and x.type == "NAME"),
            line=action_tok.line, column=action_tok.column,
        )

    def ui_stmt(self, items: list[Any]) -> n.UiCall:
        target, _colon, ui, _dot, method, _lpar, args, _rpar, _semi = items
        if str(ui).lower() != "ui":
            line, column = _pos(ui)
            raise BuildError(f"Expecting 'ui' but found '{ui}'", line, column)
        return n.UiCall(
            target=_target(target, "ui call"),
            method=str(method),
            args=args or (),
            line=target.line, column=target.column,
        )

    def fetch(self, items: list[Any]) -> n.Fetch:
        form, _lsqb, criteria, _rsqb, sort, rng = items
        return self._fetch(form, criteria, sort, rng)

    def _fetch(self, form: Token, criteria: n.Expr, sort: Any, rng: Any) -> n.Fetch:
        sort_field, descending = (None, False) if sort is None else sort
        range_from, range_to = (None, None) if rng is None else rng
        return n.Fetch(
            form=str(form),
            criteria=criteria,
            sort_field=sort_field,
            descending=descending,
            range_from=range_from,
            range_to=range_to,
            line=form.line, column=form.column,
        )

    def fetch_sort(self, items: list[Any]) -> tuple[str, bool]:
        _sort, field, order = items
        return str(field), order is not None and str(order).lower() == "desc"

    def fetch_range(self, items: list[Any]) -> tuple[n.Expr, n.Expr]:
        _range, start, _to, end = items
        return start, end

    # ------------------------------------------------------------ expressions

    def binop(self, items: list[Any]) -> n.BinOp:
        left, op, right = items
        text = str(op)
        if text == "=":
            text = "=="
        return n.BinOp(op=text, left=left, right=right, line=left.line, column=left.column)

    def unop(self, items: list[Any]) -> n.UnaryOp:
        op, operand = items
        if str(op) == "-" and type(operand) in (n.Number, n.Decimal):
            # a minus sign directly before a number literal is part of the literal (D38),
            # which is also how -9223372036854775808 can be written
            return type(operand)(value=-operand.value, line=op.line, column=op.column)
        depth, inner = 1, operand
        while isinstance(inner, n.UnaryOp):
            depth += 1
            inner = inner.operand
            if depth > UNARY_NESTING_LIMIT:
                line, column = _pos(op)
                raise BuildError("Too many unary operators in a row", line, column)
        return n.UnaryOp(op=str(op), operand=operand, line=op.line, column=op.column)

    def paren(self, items: list[Any]) -> n.Expr:
        return items[1]

    def method_call(self, items: list[Any]) -> n.Expr:
        receiver, _dot, name, _lpar, args, _rpar = items
        if isinstance(receiver, n.DottedName) or _is_root(receiver):
            prefix = receiver.name if isinstance(receiver, n.DottedName) else str(receiver.name)
            return n.Call(name=f"{prefix}.{name}", args=args or (), line=receiver.line, column=receiver.column)
        return n.MethodCall(
            receiver=receiver,
            name=str(name),
            args=args or (),
            name_line=name.line,
            name_column=name.column,
            line=receiver.line, column=receiver.column,
        )

    def member(self, items: list[Any]) -> n.Expr:
        receiver, _dot, name = items
        if isinstance(receiver, n.DottedName):
            return n.DottedName(name=f"{receiver.name}.{name}", line=receiver.line, column=receiver.column)
        if _is_root(receiver):
            return n.DottedName(name=f"{receiver.name}.{name}", line=receiver.line, column=receiver.column)
        return n.Member(receiver=receiver, name=str(name), line=receiver.line, column=receiver.column)

    def name(self, items: list[Any]) -> n.Name:
        tok = items[0]
        return n.Name(name=str(tok), line=tok.line, column=tok.column)

    def call(self, items: list[Any]) -> n.Call:
        name, _lpar, args, _rpar = items
        return n.Call(name=str(name), args=args or (), line=name.line, column=name.column)

    def if_expr(self, items: list[Any]) -> n.IfExpr:
        if_tok, _l, cond, _c1, then, _c2, otherwise, _r = items
        return n.IfExpr(condition=cond, then=then, otherwise=otherwise, line=if_tok.line, column=if_tok.column)

    def typed_list(self, items: list[Any]) -> n.TypedList:
        tok, _lpar, args, _rpar = items
        type_name = str(tok).split(":", 1)[1].strip()
        return n.TypedList(type_name=type_name, args=args or (), line=tok.line, column=tok.column)

    def args(self, items: list[Any]) -> tuple[n.Expr, ...]:
        return tuple(x for x in items if not isinstance(x, Token))

    def arg(self, items: list[Any]) -> n.Expr:
        value, _colon, paired = items
        if paired is None:
            return value
        return n.PairArg(key=value, value=paired, line=value.line, column=value.column)

    # ------------------------------------------------------------ literals

    def text(self, items: list[Any]) -> n.Text:
        tok = items[0]
        return n.Text(value=unescape(tok[1:-1]), line=tok.line, column=tok.column)

    def squoted(self, items: list[Any]) -> n.Expr:
        tok = items[0]
        body = unescape(tok[1:-1])
        try:
            time = recognise_time(body)
            if time is not None:
                return n.TimeLit(fields=tuple(time), source=body, line=tok.line, column=tok.column)
            date = recognise_date(body, strict=True)
        except DateTextError as exc:
            raise BuildError(f"'{body}' is not a valid date or time: {exc}", tok.line, tok.column) from None
        if date is None:
            return n.Text(value=body, line=tok.line, column=tok.column)
        return n.DateTimeLit(fields=tuple(date[:6]), has_time=date.has_time, two_digit_year=date.two_digit_year,
                             source=body, line=tok.line, column=tok.column)

    def number(self, items: list[Any]) -> n.Number:
        tok = items[0]
        digits = str(tok).lstrip("0")
        if len(digits) > 19:  # longer than any 64-bit number (and Python's int() has a digit limit)
            raise BuildError(f"The number {str(tok)[:30]}... is outside the 64-bit range", tok.line, tok.column)
        value = int(tok)
        if value > INT64_MAX + 1:  # 2**63 is allowed here: only `-9223372036854775808` may use it
            raise BuildError(f"The number {tok} is outside the 64-bit range", tok.line, tok.column)
        return n.Number(value=value, line=tok.line, column=tok.column)

    def decimal(self, items: list[Any]) -> n.Decimal:
        tok = items[0]
        value = float(tok)
        if value in (float("inf"), float("-inf")):
            raise BuildError(f"The decimal number {str(tok)[:30]} is too large", tok.line, tok.column)
        return n.Decimal(value=value, line=tok.line, column=tok.column)

    def true(self, items: list[Any]) -> n.Boolean:
        return n.Boolean(value=True, line=items[0].line, column=items[0].column)

    def false(self, items: list[Any]) -> n.Boolean:
        return n.Boolean(value=False, line=items[0].line, column=items[0].column)

    def null(self, items: list[Any]) -> n.Null:
        return n.Null(line=items[0].line, column=items[0].column)

    def empty_braces(self, items: list[Any]) -> n.EmptyBraces:
        return n.EmptyBraces(line=items[0].line, column=items[0].column)

    def empty_brackets(self, items: list[Any]) -> n.EmptyBraces:
        return n.EmptyBraces(line=items[0].line, column=items[0].column)

    def list_lit(self, items: list[Any]) -> n.ListLit:
        values = tuple(x for x in items if not isinstance(x, Token))
        return n.ListLit(items=values, line=items[0].line, column=items[0].column)

    def map_lit(self, items: list[Any]) -> n.MapLit:
        pairs = tuple(x for x in items if isinstance(x, tuple))
        return n.MapLit(pairs=pairs, line=items[0].line, column=items[0].column)

    def pair(self, items: list[Any]) -> tuple[n.Expr, n.Expr]:
        key, _colon, value = items
        return key, value


def _is_root(node: Any) -> bool:
    return isinstance(node, n.Name) and node.name.lower() in NAMESPACE_ROOTS
