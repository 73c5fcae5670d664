"""The value-flow walk behind `manifest.analyze`: which capabilities a script can use.

An abstract interpreter over the syntax tree. Each variable holds an abstract value
(`Val`): the texts it may be (each a known text or a known beginning), the deluge-object
key paths it may be, the maps and lists it may point to, and whether it may be anything
else. Maps and lists live on an abstract heap, one object per place of creation (a
"site"); a `put` with a constant key replaces the entry only when the variable points to
exactly one site that stands for one object (not created inside a loop), and otherwise
adds to what the entry may hold. Branches are both taken (conditions are never
evaluated, D30) and joined; loops run to a fixed point, with texts widened to their
beginnings; a `try` handler starts from every state its body passed through. Script
functions are followed into at each call with the arguments' values, so an object or a
base URL passed as an argument keeps its meaning; a recursive call is analysed once more
with every parameter unknown. Code after `return`, `break` or `continue` and functions no
reachable code calls add nothing.

Deluge objects are the names of PLATFORM.md 3 that a script reads before assigning them
(its free names). Reading `user.get("email")` gives the path `user.email`; a path is
recorded when its value is used for anything but a further `get`, an alias, or an
argument or stored value that is followed; paths that are never used are recorded too,
except those only extended by a longer one. Whatever the walk cannot follow is unknown,
which means `api:*`, `connection:*` or the whole object: the manifest may hold more than
a run uses, never less.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from typing import Any

import attrs

from deluge.analysis.checker import check
from deluge.analysis.manifest import Auth, Manifest, Use
from deluge.analysis.names import resolve_call
from deluge.catalog import Catalog
from deluge.resources import data_dir
from deluge.syntax import nodes as n

MAX_TEXTS = 12
"""Most text alternatives a value keeps; more become unknown."""
MAX_LOOP_ROUNDS = 8
WIDEN_AFTER = 2
MAX_INLINE_DEPTH = 24
"""Deepest chain of script-function calls followed with argument values; deeper ones are
analysed with unknown parameters."""
BASE_WORK = 50_000
"""Statements and expressions the walk may visit, plus 3 per node of the script (a call tree
or nested loops can make it revisit code exponentially often; real scripts visit a few
hundred). Past it, `coarse` answers instead: a script a host analyses cannot hold it up."""

CATEGORIES = {
    **dict.fromkeys(("user", "access", "app_info"), "user"),
    **dict.fromkeys(("chat", "environment"), "chat"),
    **dict.fromkeys(("message", "messages", "message_details", "links", "arguments", "options", "selections",
                     "answers", "form", "target", "mentions"), "message"),
    "location": "location",
    "attachments": "attachments",
}
"""Consent categories of PLATFORM.md 8.2; objects not named here carry no personal data."""

GET_METHODS = {"get", "getjson"}
MAP_READERS = {"containkey", "containskey", "containvalue", "containsvalue", "keys", "values", "size", "isempty",
               "tostring", "tojsonlist", "tomap", "tolist", "isnull", "isblank", "length", "len", "contains",
               "notcontains", "indexof", "lastindexof", "distinct", "sort", "getkeys", "tojson"}
"""Methods that read a map or list without changing it or handing it on."""
LIST_ADDERS = {"add", "insert", "addall", "insertall"}


@functools.cache
def object_names() -> frozenset[str]:
    """The deluge objects of PLATFORM.md 3 (the first column of platform-objects.tsv)."""
    path = data_dir("stdlib") / "platform-objects.tsv"
    names = set()
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            name = line.split("\t", 1)[0].strip()
            if name:
                names.add(name)
    return frozenset(names)


# ---------------------------------------------------------------- abstract values

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")

@attrs.frozen
class Val:
    """What a value may be: any of these at once (a union)."""

    texts: frozenset[tuple[str, bool]] = frozenset()
    """(text, exact): exactly that text, or (exact False) a text that starts with it."""
    paths: frozenset[tuple[tuple[str, ...], int]] = frozenset()
    """(object key path, line it was read on)."""
    sites: frozenset[int] = frozenset()
    """Maps and lists on the heap."""
    unknown: bool = False
    """May be something the walk does not follow (a date, the result of a built-in...)."""
    null: bool = False
    numbers: frozenset[int] = frozenset()
    """Whole numbers it may be (a port joined to a URL); arithmetic on them is not followed."""

    def __or__(self, other: Val) -> Val:
        if self is other:
            return self
        texts = self.texts | other.texts
        unknown = self.unknown or other.unknown
        if len(texts) > MAX_TEXTS:
            texts = _collapse(texts)
        numbers = self.numbers | other.numbers
        if len(numbers) > MAX_TEXTS:
            numbers, unknown = frozenset(), True
        return Val(texts, self.paths | other.paths, self.sites | other.sites, unknown, self.null or other.null,
                   numbers)

    def widened(self) -> Val:
        if all(not exact for _, exact in self.texts):
            return self
        return attrs.evolve(self, texts=frozenset((text, False) for text, _ in self.texts))


def _collapse(texts: frozenset[tuple[str, bool]]) -> frozenset[tuple[str, bool]]:
    """Too many texts: keep of each only its beginning up to the end of a URL's host (or
    nothing), so the hosts survive; then, if still too many, their common beginning."""
    cut = set()
    for content, _ in texts:
        match = _SCHEME.match(content.lstrip())
        head = ""
        if match:
            start = content.index(match.group(0)) + len(match.group(0))
            ends = [i for i in (content.find(c, start) for c in "/?#") if i >= 0]
            if ends:
                head = content[:min(ends) + 1]
        cut.add((head, False))
    if len(cut) <= MAX_TEXTS:
        return frozenset(cut)
    common = os.path.commonprefix([content for content, _ in cut])  # noqa: RUF071 (texts, not paths)
    return frozenset([(common, False)])


UNKNOWN = Val(unknown=True)
NULL = Val(null=True)
NOTHING = Val()


def text(value: str) -> Val:
    return Val(texts=frozenset([(value, True)]))


@attrs.define
class HeapObject:
    """One map or list (or all those made at one site inside a loop)."""

    kind: str  # "map" | "list"
    entries: dict[str, Val] = attrs.field(factory=dict)
    """Map entries by constant key (a key that may be absent also holds NULL)."""
    others: Val = NOTHING
    """Values stored under keys not known statically (maps), or the elements (lists)."""
    escaped: bool = False
    """Handed to code the walk does not follow: it may hold anything from now on."""
    summary: bool = False
    """Stands for several objects (made inside a loop or a recursive function)."""

    def copy(self) -> HeapObject:
        return HeapObject(self.kind, dict(self.entries), self.others, self.escaped, self.summary)

    def join(self, other: HeapObject) -> HeapObject:
        entries = {}
        for key in self.entries.keys() | other.entries.keys():
            entries[key] = self.entries.get(key, NULL | self.others) | other.entries.get(key, NULL | other.others)
        return HeapObject(self.kind, entries, self.others | other.others, self.escaped or other.escaped,
                          self.summary or other.summary)

    def same(self, other: HeapObject) -> bool:
        return (self.entries == other.entries and self.others == other.others
                and self.escaped == other.escaped and self.summary == other.summary)


@attrs.define
class State:
    """Variables and heap at one point of the walk."""

    names: dict[str, Val]
    heap: dict[int, HeapObject]

    def copy(self) -> State:
        return State(dict(self.names), {site: obj.copy() for site, obj in self.heap.items()})


def join_states(a: State | None, b: State | None) -> State | None:
    if a is None:
        return b.copy() if b is not None else None
    if b is None:
        return a.copy()
    names = {}
    for key in a.names.keys() | b.names.keys():
        names[key] = a.names.get(key, NULL) | b.names.get(key, NULL)
    heap = {}
    for site in a.heap.keys() | b.heap.keys():
        left, right = a.heap.get(site), b.heap.get(site)
        heap[site] = left.join(right) if left and right else (left or right).copy()  # type: ignore[union-attr]
    return State(names, heap)


def same_states(a: State | None, b: State | None) -> bool:
    if a is None or b is None:
        return a is b
    if a.names != b.names or a.heap.keys() != b.heap.keys():
        return False
    return all(a.heap[site].same(b.heap[site]) for site in a.heap)


def widen_state(state: State) -> State:
    out = State({k: v.widened() for k, v in state.names.items()}, {})
    for site, obj in state.heap.items():
        copy = obj.copy()
        copy.entries = {k: v.widened() for k, v in copy.entries.items()}
        copy.others = copy.others.widened()
        out.heap[site] = copy
    return out


# ---------------------------------------------------------------- URLs


def url_capabilities(value: Val) -> set[str]:
    """The `api:` capabilities a URL value needs (D30)."""
    from deluge.errors import DelugeRuntimeError
    from deluge.runtime.network import api_capability, check_url

    caps = set()
    if value.unknown or value.paths or value.sites or value.numbers:
        caps.add("api:*")
    for content, exact in value.texts:
        if exact:
            try:
                caps.add(api_capability(check_url(content)))
            except DelugeRuntimeError:
                pass  # not a URL the run would accept: it fails before any request
            continue
        start = content.lstrip()
        match = _SCHEME.match(start)
        rest = start[match.end():] if match else ""
        cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=-1)
        if match is None or cut < 0:
            caps.add("api:*")
            continue
        try:
            caps.add(api_capability(check_url(start[:match.end()] + rest[:cut] + "/")))
        except DelugeRuntimeError:
            caps.add("api:*")  # the beginning is no valid URL yet; what follows decides: stay open
    return caps


# ---------------------------------------------------------------- the walk

class _TooComplex(Exception):
    """The walk used up its budget of work."""


@attrs.define
class _Frame:
    """One function body being walked (the top level is one too)."""

    returns: Val = NOTHING
    return_state: State | None = None
    loop_depth: int = 0


class Walker:
    def __init__(self, module: n.Module, catalog: Catalog) -> None:
        self.module = module
        self.catalog = catalog
        result = check(module, catalog)
        if result.errors:
            raise result.errors[0]
        self.free = set(result.free_names)
        self.functions = result.functions
        self.objects = object_names()
        self.uses: dict[str, dict[str, Any]] = {}
        self.touched: dict[tuple[str, ...], set[int]] = {}
        self.consumed: dict[tuple[str, ...], set[int]] = {}
        self.sites: dict[tuple[int, int], int] = {}
        self.frames: list[_Frame] = []
        self.calls: list[str] = []
        self.generic_done: set[str] = set()
        self.try_states: list[list[State]] = []
        self.breaks: list[list[State]] = []
        self.continues: list[list[State]] = []
        self.in_loop = 0
        self.work = 0
        self.max_work = BASE_WORK + 3 * sum(1 for _ in n.walk(module))

    # ------------------------------------------------------------ results

    def use(self, capability: str, line: int, auth: Auth = "none", service: str = "") -> None:
        entry = self.uses.setdefault(capability, {"lines": set(), "auth": auth, "service": service})
        entry["lines"].add(line)
        if auth == "admin" or (auth == "user" and entry["auth"] == "none"):
            entry["auth"] = auth

    def manifest(self) -> Manifest:
        paths = set(self.touched) | set(self.consumed)
        for path in paths:
            longer = any(other[:len(path)] == path and len(other) > len(path) for other in paths)
            if path in self.consumed or not longer:
                lines = self.consumed.get(path) or self.touched.get(path, set())
                capability = "object:" + ".".join(path)
                for line in lines:
                    self.use(capability, line)
        uses = []
        for capability in sorted(self.uses):
            entry = self.uses[capability]
            category = None
            if capability.startswith("object:"):
                category = CATEGORIES.get(capability[7:].split(".", 1)[0])
            uses.append(Use(capability, tuple(sorted(entry["lines"])), entry["auth"], entry["service"], category))
        return Manifest(tuple(uses))

    # ------------------------------------------------------------ values used

    def touch(self, value: Val) -> None:
        for path, line in value.paths:
            self.touched.setdefault(path, set()).add(line)

    def consume(self, value: Val, state: State, line: int, escape: bool = True,
                _seen: set[int] | None = None) -> None:
        """`value` is used in a way the walk does not follow: all of it counts as read, and the
        maps and lists it reaches may be changed by that code (`escape`)."""
        for path, read_line in value.paths:
            self.consumed.setdefault(path, set()).add(read_line or line)
        seen = _seen if _seen is not None else set()
        for site in value.sites:
            if site in seen:
                continue
            seen.add(site)
            obj = state.heap.get(site)
            if obj is None:
                continue
            for item in (*obj.entries.values(), obj.others):
                self.consume(item, state, line, escape, seen)
            if escape:
                obj.escaped = True

    # ------------------------------------------------------------ heap

    def new_object(self, state: State, node: n.Node, kind: str) -> Val:
        key = (id(node), len(self.calls))
        site = self.sites.setdefault(key, len(self.sites) + 1)
        obj = HeapObject(kind)
        old = state.heap.get(site)
        if old is not None or self.in_loop or len(self.calls) != len(set(self.calls)):
            obj.summary = True
        state.heap[site] = obj if old is None else old.join(obj)
        if old is not None:  # the site made another object before: both may be around
            state.heap[site].summary = True
        return Val(sites=frozenset([site]))

    def map_get(self, state: State, receiver: Val, key: Val, line: int) -> Val:
        out = NOTHING
        exact_key = _exact(key)
        for path, _ in receiver.paths:
            if exact_key is not None:
                new = path + (exact_key,)
                out |= Val(paths=frozenset([(new, line)]))
            else:
                self.consumed.setdefault(path, set()).add(line)
                out |= UNKNOWN
        for site in receiver.sites:
            obj = state.heap.get(site)
            if obj is None or obj.escaped:
                out |= UNKNOWN
                continue
            if obj.kind == "list":
                out |= obj.others | NULL
            elif exact_key is not None and exact_key in obj.entries:
                out |= obj.entries[exact_key]
            elif exact_key is not None:
                out |= obj.others | NULL
            else:
                out |= obj.others | NULL
                for item in obj.entries.values():
                    out |= item
        if receiver.unknown or receiver.texts or receiver.null:
            out |= UNKNOWN
        self.touch(out)
        return out

    def map_put(self, state: State, receiver: Val, key: Val, value: Val, line: int) -> None:
        exact_key = _exact(key)
        single = len(receiver.sites) == 1
        for site in receiver.sites:
            obj = state.heap.get(site)
            if obj is None or obj.escaped:
                self.consume(value, state, line)
                continue
            if obj.kind == "list":
                obj.others = obj.others | value
                continue
            if exact_key is None:
                obj.others = obj.others | value
                for k in obj.entries:
                    obj.entries[k] = obj.entries[k] | value
            elif single and not obj.summary:
                obj.entries[exact_key] = value
            else:
                obj.entries[exact_key] = obj.entries.get(exact_key, NULL | obj.others) | value
        if receiver.unknown or receiver.paths:
            self.consume(value, state, line)

    # ------------------------------------------------------------ statements

    def run(self) -> Manifest:
        state = State({}, {})
        for name in self.free:
            if name in self.objects:
                state.names[name] = Val(paths=frozenset([((name,), 0)]))
            else:
                state.names[name] = UNKNOWN
        self.frames.append(_Frame())
        end = self.block(self.module.body, state)
        frame = self.frames.pop()
        if frame.return_state is not None or end is not None:
            final = join_states(end, frame.return_state)
            assert final is not None
            self.consume(frame.returns, final, self.module.end_line, escape=False)
        # a path read on line 0 (the object named, nothing more) gets the lines where it is read
        return self.manifest()

    def block(self, body: Iterable[n.Stmt], state: State | None) -> State | None:
        for stmt in body:
            if state is None:
                return None  # unreachable: adds nothing (D30)
            state = self.stmt(stmt, state)
            if state is not None:
                for collected in self.try_states:
                    collected.append(state.copy())
        return state

    def stmt(self, stmt: n.Stmt, state: State) -> State | None:
        self.work += 1
        if self.work > self.max_work:
            raise _TooComplex
        method = getattr(self, "stmt_" + type(stmt).__name__, None)
        if method is None:
            for child in _expressions(stmt):
                self.consume(self.expr(child, state), state, stmt.line)
            return state
        return method(stmt, state)  # type: ignore[no-any-return]

    def stmt_Assign(self, stmt: n.Assign, state: State) -> State:
        value = self.expr(stmt.value, state)
        target = stmt.target
        if stmt.op != "=":
            current = self.expr(target, state)
            value = self.binop(stmt.op[0], current, value, state, stmt.line)
        if isinstance(target, n.Name):
            state.names[target.name] = self.rebind_paths(value, target, state)
        else:
            self.consume(value, state, stmt.line)
            if isinstance(target, n.Member):
                self.consume(self.expr(target.receiver, state), state, stmt.line)
        return state

    def rebind_paths(self, value: Val, target: n.Name, state: State) -> Val:
        return value

    def stmt_ExprStmt(self, stmt: n.ExprStmt, state: State) -> State:
        value = self.expr(stmt.expr, state)
        self.touch(value)
        return state

    def stmt_Info(self, stmt: n.Info, state: State) -> State:
        self.consume(self.expr(stmt.value, state), state, stmt.line, escape=False)
        return state

    def stmt_Return(self, stmt: n.Return, state: State) -> None:
        frame = self.frames[-1]
        value = self.expr(stmt.value, state) if stmt.value is not None else NULL
        frame.returns = frame.returns | value
        frame.return_state = join_states(frame.return_state, state)
        return None

    def stmt_Break(self, stmt: n.Break, state: State) -> None:
        if self.breaks:
            self.breaks[-1].append(state.copy())
        return None

    def stmt_Continue(self, stmt: n.Continue, state: State) -> None:
        if self.continues:
            self.continues[-1].append(state.copy())
        return None

    def stmt_If(self, stmt: n.If, state: State) -> State | None:
        result: State | None = None
        current = state
        for branch in stmt.branches:
            self.consume(self.expr(branch.condition, current), current, branch.line, escape=False)
            result = join_states(result, self.block(branch.body, current.copy()))
        if stmt.orelse is None:
            result = join_states(result, current)
        else:
            result = join_states(result, self.block(stmt.orelse, current.copy()))
        return result

    def stmt_ForEach(self, stmt: n.ForEach, state: State) -> State | None:
        iterable = self.expr(stmt.iterable, state)
        if stmt.index:
            element = UNKNOWN
        else:
            element = self.elements(iterable, state, stmt.line)
        head = state.copy()
        exits: State | None = state.copy()  # the loop may run no time at all
        self.in_loop += 1
        try:
            for rounds in range(MAX_LOOP_ROUNDS + 1):
                body_state = head.copy()
                body_state.names[stmt.var] = element
                self.breaks.append([])
                self.continues.append([])
                end = self.block(stmt.body, body_state)
                broken = self.breaks.pop()
                continued = self.continues.pop()
                back = end
                for item in continued:
                    back = join_states(back, item)
                for item in broken:
                    exits = join_states(exits, item)
                new_head = join_states(head, back)
                assert new_head is not None
                if rounds >= WIDEN_AFTER:
                    new_head = widen_state(new_head)
                if rounds == MAX_LOOP_ROUNDS - 1 and not same_states(new_head, head):
                    new_head = _give_up(new_head, head)
                if same_states(new_head, head):
                    exits = join_states(exits, back)
                    break
                head = new_head
        finally:
            self.in_loop -= 1
        return join_states(exits, head)

    def elements(self, iterable: Val, state: State, line: int) -> Val:
        out = NOTHING
        for path, _ in iterable.paths:
            self.consumed.setdefault(path, set()).add(line)
            out |= UNKNOWN
        for site in iterable.sites:
            obj = state.heap.get(site)
            if obj is None or obj.escaped:
                out |= UNKNOWN
            elif obj.kind == "list":
                out |= obj.others
            else:
                out |= text_keys(obj)
        if iterable.unknown or iterable.texts:
            out |= UNKNOWN
        return out

    def stmt_Try(self, stmt: n.Try, state: State) -> State | None:
        self.try_states.append([state.copy()])
        try:
            after_body = self.block(stmt.body, state.copy())
        finally:
            seen = self.try_states.pop()
        at_catch: State | None = None
        for item in seen:
            at_catch = join_states(at_catch, item)
        assert at_catch is not None
        at_catch.names[stmt.var] = UNKNOWN
        after_handler = self.block(stmt.handler, at_catch)
        return join_states(after_body, after_handler)

    def stmt_TaskStmt(self, stmt: n.TaskStmt, state: State) -> State:
        entries = {}
        for entry in stmt.entries:
            entries[entry.key] = self.expr(entry.value, state)
        if stmt.kind == "sendmail":
            self.use("mail:send", stmt.line, "user")
            for value in entries.values():
                self.consume(value, state, stmt.line)
            result = NOTHING
        else:
            connection = entries.get("connection")
            auth: Auth = "user" if connection is not None else "none"
            for capability in url_capabilities(entries.get("url", UNKNOWN)):
                self.use(capability, stmt.line, auth)
            if connection is not None:
                for capability in connection_capabilities(connection):
                    self.use(capability, stmt.line, "user")
            for key, value in entries.items():
                self.consume(value, state, stmt.line, escape=key not in ("url", "connection"))
            result = UNKNOWN
        if isinstance(stmt.target, n.Name):
            state.names[stmt.target.name] = result
        elif stmt.target is not None:
            self.consume(self.expr(stmt.target, state), state, stmt.line)
        return state

    def stmt_Insert(self, stmt: n.Insert, state: State) -> State:
        for entry in stmt.entries:
            self.consume(self.expr(entry.value, state), state, stmt.line)
        if isinstance(stmt.target, n.Name):
            state.names[stmt.target.name] = UNKNOWN
        return state

    # ------------------------------------------------------------ expressions

    def expr(self, expr: n.Expr, state: State) -> Val:
        self.work += 1
        method = getattr(self, "expr_" + type(expr).__name__, None)
        if method is None:
            for child in _expressions(expr):
                self.consume(self.expr(child, state), state, expr.line)
            return UNKNOWN
        return method(expr, state)  # type: ignore[no-any-return]

    def expr_Text(self, expr: n.Text, state: State) -> Val:
        return text(expr.value)

    def expr_Number(self, expr: n.Number, state: State) -> Val:
        return Val(numbers=frozenset([expr.value]))

    def expr_Null(self, expr: n.Null, state: State) -> Val:
        return NULL

    def expr_Name(self, expr: n.Name, state: State) -> Val:
        value = state.names.get(expr.name)
        if value is None:
            return NULL
        if value.paths and any(line == 0 for _, line in value.paths):
            value = attrs.evolve(value, paths=frozenset((p, expr.line if line == 0 else line)
                                                       for p, line in value.paths))
        self.touch(value)
        return value

    def expr_ListLit(self, expr: n.ListLit, state: State) -> Val:
        value = self.new_object(state, expr, "list")
        for item in expr.items:
            self.map_put(state, value, UNKNOWN, self.expr(item, state), expr.line)
        return value

    def expr_MapLit(self, expr: n.MapLit, state: State) -> Val:
        value = self.new_object(state, expr, "map")
        for key_expr, value_expr in expr.pairs:
            key = self.expr(key_expr, state)
            self.consume(key, state, expr.line)
            self.map_put(state, value, key, self.expr(value_expr, state), expr.line)
        return value

    def expr_EmptyBraces(self, expr: n.EmptyBraces, state: State) -> Val:
        return self.new_object(state, expr, "map") | self.new_object(state, _ListMark(expr), "list")

    def expr_Member(self, expr: n.Member, state: State) -> Val:
        receiver = self.expr(expr.receiver, state)
        return self.map_get(state, receiver, text(expr.name), expr.line)

    def expr_BinOp(self, expr: n.BinOp, state: State) -> Val:
        left = self.expr(expr.left, state)
        right = self.expr(expr.right, state)
        return self.binop(expr.op, left, right, state, expr.line)

    def binop(self, op: str, left: Val, right: Val, state: State, line: int) -> Val:
        if op != "+":
            self.consume(left, state, line, escape=False)
            self.consume(right, state, line, escape=False)
            return UNKNOWN
        out = NOTHING
        right_open = right.unknown or bool(right.paths) or bool(right.sites) or right.null
        for content, exact in left.texts:
            if not exact:
                out |= Val(texts=frozenset([(content, False)]))
                continue
            for other, other_exact in right.texts:
                out |= Val(texts=frozenset([(content + other, other_exact)]))
            for number in right.numbers:
                out |= Val(texts=frozenset([(content + str(number), True)]))
            if right_open:
                out |= Val(texts=frozenset([(content, False)]))
        if left.unknown or left.paths or left.sites or left.null or left.numbers:
            out |= UNKNOWN  # arithmetic, or a text joined to something the walk does not follow
        self.consume(left, state, line, escape=False)
        self.consume(right, state, line, escape=False)
        if out == NOTHING:
            return UNKNOWN
        return out

    def expr_UnaryOp(self, expr: n.UnaryOp, state: State) -> Val:
        self.consume(self.expr(expr.operand, state), state, expr.line, escape=False)
        return UNKNOWN

    def expr_IfExpr(self, expr: n.IfExpr, state: State) -> Val:
        self.consume(self.expr(expr.condition, state), state, expr.line, escape=False)
        return self.expr(expr.then, state) | self.expr(expr.otherwise, state)

    def expr_MethodCall(self, expr: n.MethodCall, state: State) -> Val:
        receiver = self.expr(expr.receiver, state)
        args = [self.expr(arg, state) for arg in expr.args]
        name = expr.name.lower()
        line = expr.line
        if name in GET_METHODS and len(args) == 1:
            self.consume(args[0], state, line, escape=False)
            return self.map_get(state, receiver, args[0], line)
        if name == "put" and len(args) == 2:
            self.consume(args[0], state, line, escape=False)
            self.map_put(state, receiver, args[0], args[1], line)
            self.consume_non_heap(receiver, state, line)
            return NOTHING
        if name in LIST_ADDERS and len(args) == 1 and self.only_lists(receiver, state):
            value = args[0]
            if name.endswith("all"):
                value = self.elements(value, state, line)
            self.map_put(state, receiver, UNKNOWN, value, line)
            return NOTHING
        if name in MAP_READERS:
            self.consume(receiver, state, line, escape=False)
        else:
            self.consume(receiver, state, line)
        for arg in args:
            self.consume(arg, state, line)
        return UNKNOWN

    def only_lists(self, value: Val, state: State) -> bool:
        return bool(value.sites) and all(
            state.heap.get(s) is not None and state.heap[s].kind == "list" for s in value.sites)

    def consume_non_heap(self, value: Val, state: State, line: int) -> None:
        for path, read_line in value.paths:
            self.consumed.setdefault(path, set()).add(read_line or line)

    def expr_TypedList(self, expr: n.TypedList, state: State) -> Val:
        value = self.new_object(state, expr, "list")
        for arg in expr.args:
            self.map_put(state, value, UNKNOWN, self.elements(self.expr(arg, state), state, expr.line), expr.line)
        return value

    def expr_Call(self, expr: n.Call, state: State) -> Val:
        target = resolve_call(expr.name, self.catalog, self.functions)
        line = expr.line
        if target.kind == "user":
            args = [self.expr(arg, state) for arg in expr.args]
            return self.call_user(target.name, args, state, line)
        args = [self.expr(arg, state) for arg in expr.args]
        name = target.name.lower()
        if target.kind == "task":
            self.task(target, args, state, line)
            return UNKNOWN
        if target.kind == "builtin" and name in ("map", "list", "collection") and not args:
            return self.new_object(state, expr, "list" if name == "list" else "map")
        if target.kind == "builtin" and name in ("map", "list") and len(args) == 1:
            # a copy: the same entries, a new object
            copy = self.new_object(state, expr, name)
            source = args[0]
            for site in source.sites:
                obj = state.heap.get(site)
                for copied in copy.sites:
                    if obj is None or obj.escaped:
                        state.heap[copied].escaped = True
                    else:
                        state.heap[copied] = attrs.evolve(obj.copy(), summary=state.heap[copied].summary)
                        state.heap[copied].kind = name
            if source.unknown or source.paths or source.texts or len(source.sites) > 1:
                for copied in copy.sites:
                    state.heap[copied].escaped = True
            self.consume(source, state, line, escape=False)
            return copy
        entries = target.entries
        capability = next((e.capability for e in entries if e.capability), "")
        if capability == "api:HOST" and args:
            for cap in url_capabilities(args[0]):
                self.use(cap, line, "none")
        elif capability:
            self.use(capability, line, "user")
        for arg in args:
            self.consume(arg, state, line)
        return UNKNOWN

    def task(self, target: Any, args: list[Val], state: State, line: int) -> None:
        name = target.name
        auth: Auth = "admin" if name.lower().endswith("asadmin") else "user"
        service = name.split(".")[1].lower() if name.count(".") >= 2 else ""
        self.use(f"task:{name}", line, auth, service)
        fewest = min((e.min_args for e in target.entries), default=0)
        if len(args) > fewest:  # the connection is the last argument (PLATFORM.md 5.1)
            last = args[-1]
            if last.texts or last.unknown or last.paths:
                for capability in connection_capabilities(last):
                    self.use(capability, line, auth)
        for arg in args:
            self.consume(arg, state, line)

    def call_user(self, name: str, args: list[Val], state: State, line: int) -> Val:
        fn = self.functions[name.lower()]
        key = fn.name.lower()
        if key in self.calls or len(self.calls) >= MAX_INLINE_DEPTH:
            # recursion: walk the body once with everything unknown, and give up on what was passed
            for arg in args:
                self.consume(arg, state, line)
            if key not in self.generic_done:
                self.generic_done.add(key)
                self.walk_function(fn, [UNKNOWN] * len(fn.params), State({}, {}), generic=True)
            return UNKNOWN
        result, after = self.walk_function(fn, args, state, generic=False)
        if after is not None:
            state.heap = after.heap
        return result

    def walk_function(self, fn: n.FunctionDef, args: list[Val], state: State,
                      generic: bool) -> tuple[Val, State | None]:
        inner = State({}, state.heap)
        for param, value in zip(fn.params, args, strict=False):
            inner.names[param.name] = value
        for param in fn.params[len(args):]:
            inner.names[param.name] = NULL
        self.calls.append(fn.name.lower())
        self.frames.append(_Frame())
        saved_loops = (self.breaks, self.continues)
        self.breaks, self.continues = [], []
        try:
            end = self.block(fn.body, inner)
        finally:
            frame = self.frames.pop()
            self.calls.pop()
            self.breaks, self.continues = saved_loops
        after = join_states(end, frame.return_state)
        if generic and after is not None:
            self.consume(frame.returns, after, fn.line)
        return frame.returns | (NULL if end is not None else NOTHING), after


def _exact(value: Val) -> str | None:
    """The one text a value certainly is, or None."""
    if len(value.texts) == 1 and not (value.unknown or value.paths or value.sites or value.null or value.numbers):
        content, exact = next(iter(value.texts))
        if exact:
            return content
    return None


def text_keys(obj: HeapObject) -> Val:
    out = Val(texts=frozenset((key, True) for key in obj.entries))
    if obj.others != NOTHING:
        out |= UNKNOWN
    return out


def connection_capabilities(value: Val) -> set[str]:
    caps = {f"connection:{content}" for content, exact in value.texts if exact}
    if value.unknown or value.paths or value.sites or value.numbers or any(not exact for _, exact in value.texts):
        caps.add("connection:*")
    return caps


def _give_up(new: State, old: State) -> State:
    """A loop that still changes after many rounds: whatever changes becomes unknown."""
    out = new.copy()
    for key, value in new.names.items():
        if old.names.get(key) != value:
            out.names[key] = value | UNKNOWN
    for site, obj in out.heap.items():
        before = old.heap.get(site)
        if before is None or not before.same(obj):
            obj.escaped = True
    return out


class _ListMark:
    """A second site for `{}`, which may become a list or a map."""

    def __init__(self, node: n.Node) -> None:
        self.node = node


def _expressions(node: n.Node) -> list[n.Expr]:
    """The direct sub-expressions of a node (for the nodes the walk has no rule for)."""
    out: list[n.Expr] = []
    for field in attrs.fields(type(node)):
        value = getattr(node, field.name)
        if isinstance(value, n.Expr):
            out.append(value)
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, n.Expr):
                    out.append(item)
                elif isinstance(item, n.Node) and not isinstance(item, n.Stmt):
                    out.extend(_expressions(item))
    return out


def collect(module: n.Module, catalog: Catalog) -> Manifest:
    walker = Walker(module, catalog)
    try:
        return walker.run()
    except _TooComplex:
        return coarse(module, catalog, walker)


def coarse(module: n.Module, catalog: Catalog, walker: Walker) -> Manifest:
    """A cruder manifest that costs one pass over the tree: every use anywhere in the text
    counts (dead code too), a URL's host only when its text begins the expression, a
    connection only when it is a literal, and every deluge object the script names is read
    whole. It holds whatever the script does, like the full walk, only with less detail."""
    out = Walker.__new__(Walker)
    out.uses = {}
    out.touched, out.consumed = {}, {}
    functions = walker.functions
    for node in n.walk(module):
        if isinstance(node, n.Name) and node.name in walker.free and node.name in walker.objects:
            out.consumed.setdefault((node.name,), set()).add(node.line)
        elif isinstance(node, n.TaskStmt):
            if node.kind == "sendmail":
                out.use("mail:send", node.line, "user")
                continue
            entries = {e.key: e.value for e in node.entries}
            connection = entries.get("connection")
            auth: Auth = "user" if connection is not None else "none"
            for capability in url_capabilities(_leading_text(entries.get("url"))):
                out.use(capability, node.line, auth)
            if connection is not None:
                for capability in connection_capabilities(_leading_text(connection, whole=True)):
                    out.use(capability, node.line, "user")
        elif isinstance(node, n.Call):
            target = resolve_call(node.name, catalog, functions)
            if target.kind == "task":
                name = target.name
                auth = "admin" if name.lower().endswith("asadmin") else "user"
                out.use(f"task:{name}", node.line, auth, name.split(".")[1].lower() if name.count(".") >= 2 else "")
                fewest = min((e.min_args for e in target.entries), default=0)
                if len(node.args) > fewest:
                    for capability in connection_capabilities(_leading_text(node.args[-1], whole=True)):
                        out.use(capability, node.line, auth)
            elif target.kind == "builtin":
                capability = next((e.capability for e in target.entries if e.capability), "")
                if capability == "api:HOST":
                    url = node.args[0] if node.args else None
                    for cap in url_capabilities(_leading_text(url)):
                        out.use(cap, node.line, "none")
                elif capability:
                    out.use(capability, node.line, "user")
    return out.manifest()


def _leading_text(expr: n.Expr | None, whole: bool = False) -> Val:
    """What a URL (or connection) expression is known to be without following any variable."""
    if isinstance(expr, n.Text):
        return text(expr.value)
    if not whole and isinstance(expr, n.BinOp) and expr.op == "+":
        left = expr.left
        while isinstance(left, n.BinOp) and left.op == "+":
            left = left.left
        if isinstance(left, n.Text):
            return Val(texts=frozenset([(left.value, False)]))
    return UNKNOWN
