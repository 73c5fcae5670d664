"""XML functions: toXML, toXmlList and executeXPath (list-map-date-json.md 5.6 to 5.8).

No XML library beyond the standard `pyexpat` is used: documents are read into a
small tree of `_Node`s by `pyexpat` and queried by the XPath 1.0 evaluator
below (lxml is not installed, and ElementTree has neither text nodes nor the
XPath functions scripts use: `count()`, `text()`, predicates, axes...).

Safety: XML is read with every entity declaration refused (so no entity
expansion, internal or external), external entities and the external DTD
subset never read (`XML_PARAM_ENTITY_PARSING_NEVER`), and no network access of
any kind; a DOCTYPE without entity declarations is accepted, and a reference to
an entity the document does not define is a runtime error. A document nested
deeper than the run's `data_nesting` limit, or with more than
`5 * collection_size` nodes, is a `budget` error; work is charged per node
read, visited or written, and every text built is checked against the
text-length limit before it grows past it.

Decisions where the spec is silent (each in the docstring of its function too):
- toXML follows org.json's `XML.toString` (what Zoho's examples match): the
  empty text `""` becomes an empty element `<a/>`; an empty map `<a></a>`;
  a list inside a list is written as `<array>` elements inside the key's
  element; a JSON array at the top becomes `<array>` elements inside `<root>`.
  Text is escaped (`&`, `<`, `>`); keys are written as they are.
- executeXPath and toXmlList read a receiver holding several top-level elements
  (what executeXPath returns for several matches) as a fragment whose elements
  are all children of the document node; text other than white space outside
  every element is an error. Names are matched as written (`ns:tag`), without
  namespace resolution. Attributes are written in source order; an element
  without children is written `<a/>`. XPath text results are unescaped;
  comments and processing instructions are written as XML.
- The XPath language is XPath 1.0 in full (all axes, node tests, operators
  and the core function library) except variables, which are a runtime error,
  and `id()`, which finds nothing (no DTD declares IDs). The expression may have
  at most 4,000 characters and 32 levels of nesting.
- executeXPath on empty text is a runtime error (neither XML nor JSON); XML
  and JSON are told apart by the first character that is not white space (`<`).
- toXmlList on empty (or blank) text gives an empty list; its items are each
  top-level element of the text, written as executeXPath writes elements.
"""

from __future__ import annotations

import functools
import math
import re
import weakref
from decimal import Decimal
from typing import Any
from xml.parsers import expat

from deluge.builtins.registry import method
from deluge.errors import BudgetExceeded, DelugeRuntimeError
from deluge.runtime.execution import check_text_length
from deluge.runtime.render import render, render_decimal
from deluge.runtime.values import Blank, DList, type_name

# ---------------------------------------------------------------- the document tree

ROOT, ELEM, ATTR, TEXT, COMMENT, PI = range(6)


class _Node:
    """One XPath node: the document, an element, an attribute, a text, a comment or a PI.

    `children` is a list for the document and elements (None otherwise), `attrs` a
    list for elements; `order` is the document order, `index` the position among
    the parent's children. Trees are never changed once built.
    """

    __slots__ = ("attrs", "children", "flat", "index", "kind", "name", "order", "parent", "value")

    def __init__(self, kind: int, name: str, value: str, parent: _Node | None, order: int, index: int,
                 children: list[_Node] | None = None, attrs: list[_Node] | None = None) -> None:
        self.kind = kind
        self.name = name
        self.value = value
        self.parent = parent
        self.order = order
        self.index = index
        self.children = children
        self.attrs = attrs
        self.flat: list[_Node] | None = None  # the document node: every other node, once needed


class _Tree:
    """Builds a tree node by node, counting nodes and depth against the run's limits."""

    def __init__(self, ex: Any) -> None:
        self.ex = ex
        self.root = _Node(ROOT, "", "", None, 0, 0, [])
        self.stack = [self.root]
        self.count = 1
        self.max_depth = ex.limits.data_nesting
        self.max_nodes = 5 * ex.limits.collection_size
        self.pending: list[str] = []

    def _too_many(self) -> BudgetExceeded:
        return BudgetExceeded(f"The XML has more than {self.max_nodes} nodes", limit="collection_size")

    def _leaf(self, kind: int, name: str, value: str) -> None:
        self.count += 1
        if self.count > self.max_nodes:
            raise self._too_many()
        parent = self.stack[-1]
        siblings = parent.children
        siblings.append(_Node(kind, name, value, parent, self.count, len(siblings)))  # type: ignore[union-attr,arg-type]

    def flush(self) -> None:
        if self.pending:
            text = "".join(self.pending)
            self.pending = []
            self._leaf(TEXT, "", text)

    def start(self, name: str, attrs: list[str]) -> None:
        if self.pending:
            self.flush()
        parent = self.stack[-1]
        siblings = parent.children
        count = self.count + 1
        element = _Node(ELEM, name, "", parent, count, len(siblings), [], [])  # type: ignore[arg-type]
        siblings.append(element)  # type: ignore[union-attr]
        if attrs:
            own = element.attrs
            for i in range(0, len(attrs), 2):
                count += 1
                own.append(_Node(ATTR, attrs[i], attrs[i + 1], element, count, 0))  # type: ignore[union-attr]
        self.count = count
        if count > self.max_nodes:
            raise self._too_many()
        self.stack.append(element)
        if len(self.stack) > self.max_depth + 1:
            raise BudgetExceeded(f"The XML is nested more than {self.max_depth} levels deep", limit="data_nesting")

    def end(self, name: str = "") -> None:
        if self.pending:
            self.flush()
        self.stack.pop()

    def text(self, data: str) -> None:
        if data:
            self.pending.append(data)

    def empty(self, name: str) -> None:
        self.start(name, [])
        self.end()

    def comment(self, data: str) -> None:
        self.flush()
        self._leaf(COMMENT, "", data)

    def instruction(self, target: str, data: str) -> None:
        self.flush()
        self._leaf(PI, target, data)


class _Refused(Exception):
    pass


def _refuse(*args: Any) -> Any:
    raise _Refused()


class _Skipped(Exception):
    pass


def _skipped(name: str, is_parameter: bool) -> None:
    raise _Skipped(name)


_FRAGMENT = "deluge-fragment-root"
_DECL = re.compile(r"<\?xml\s[^>]*\?>|<\?xml\?>")
_XML_WS = " \t\r\n"


def _looks_like_xml(text: str) -> bool:
    return text.lstrip(_XML_WS + "\ufeff").startswith("<")


def parse_xml(ex: Any, text: str, fname: str) -> _Node:
    """The document node of an XML text, or of a fragment of sibling elements (see the module doc)."""
    ex.charge_work(len(text) // 64 + 1)
    body = text.lstrip(_XML_WS + "\ufeff")
    m = _DECL.match(body)
    if m:
        body = body[m.end():]
    probe = body
    while True:  # skip comments and PIs to see whether a DOCTYPE comes first
        probe = probe.lstrip(_XML_WS)
        if probe.startswith("<!--"):
            end = probe.find("-->")
            if end < 0:
                break
            probe = probe[end + 3:]
        elif probe.startswith("<?"):
            end = probe.find("?>")
            if end < 0:
                break
            probe = probe[end + 2:]
        else:
            break
    whole = probe.startswith("<!DOCTYPE")
    source = text.lstrip(_XML_WS + "\ufeff") if whole else f"<{_FRAGMENT}>{body}</{_FRAGMENT}>"
    tree = _Tree(ex)
    parser = expat.ParserCreate("UTF-8")
    parser.buffer_text = True
    parser.ordered_attributes = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.SkippedEntityHandler = _skipped
    parser.StartElementHandler = tree.start
    parser.EndElementHandler = tree.end
    parser.CharacterDataHandler = tree.text
    parser.CommentHandler = tree.comment
    parser.ProcessingInstructionHandler = tree.instruction
    try:
        parser.Parse(source, True)
    except _Refused:
        raise DelugeRuntimeError(f"{fname}: XML that declares entities is not accepted") from None
    except _Skipped as exc:
        raise DelugeRuntimeError(f"{fname}: the XML uses the entity &{exc.args[0]}; which it does not define") from None
    except expat.ExpatError as exc:
        line, column = exc.lineno, exc.offset
        if not whole and line == 1:
            column -= len(_FRAGMENT) + 2
        reason = expat.ErrorString(exc.code)
        raise DelugeRuntimeError(
            f"{fname}: the text is not well-formed XML ({reason} at line {line}, column {column + 1})"
        ) from None
    except RecursionError:
        raise BudgetExceeded("The XML is nested too deeply", limit="data_nesting") from None
    ex.charge_work(tree.count)
    root = tree.root
    if not whole:
        wrapper = root.children[0]  # type: ignore[index]
        kept: list[_Node] = []
        for child in wrapper.children:  # type: ignore[union-attr]
            if child.kind == TEXT:
                if child.value.strip(_XML_WS):
                    raise DelugeRuntimeError(f"{fname}: the text is not XML (text outside every element)")
                continue
            child.parent = root
            child.index = len(kept)
            kept.append(child)
        root.children = kept
    return root


# ---------------------------------------------------------------- JSON, maps and lists as XML (5.6)


def _scalar_text(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        return render_decimal(value)
    if value is None:
        return "null"
    return render(value)


def _key_text(key: Any) -> str:
    return key if type(key) is str else render(key)


def _emit(ex: Any, value: Any, sink: Any) -> None:
    """Walks a map or list as org.json's XML.toString does, calling `sink` for each element."""
    max_depth = ex.limits.data_nesting
    work = 0

    def value_under(tag: str, item: Any, depth: int) -> None:
        nonlocal work
        work += 1
        if work >= 4096:
            ex.charge_work(work)
            work = 0
        if type(item) is Blank:
            item = item.inner if item.inner is not None else {}
        if isinstance(item, dict):
            if depth >= max_depth:
                raise BudgetExceeded(f"The data is nested more than {max_depth} levels deep (or contains itself)",
                                     limit="data_nesting")
            sink.start(tag, [])
            for k, v in item.items():
                member(_key_text(k), v, depth + 1)
            sink.end(tag)
        elif isinstance(item, list):
            member(tag, item, depth)
        else:
            text = _scalar_text(item)
            if text == "":
                sink.empty(tag)
            else:
                sink.start(tag, [])
                sink.text(text)
                sink.end(tag)

    def member(key: str, item: Any, depth: int) -> None:
        if type(item) is Blank:
            item = item.inner if item.inner is not None else {}
        if not isinstance(item, list):
            value_under(key, item, depth)
            return
        if depth >= max_depth:
            raise BudgetExceeded(f"The data is nested more than {max_depth} levels deep (or contains itself)",
                                 limit="data_nesting")
        for element in item:
            if type(element) is Blank:
                element = element.inner if element.inner is not None else {}
            if isinstance(element, list):
                sink.start(key, [])
                member("array", element, depth + 1)
                sink.end(key)
            else:
                value_under(key, element, depth + 1)

    if isinstance(value, list):
        sink.start("root", [])
        member("array", value, 1)
        sink.end("root")
    else:
        value_under("root", value, 0)
    ex.charge_work(work)


class _TextSink:
    """Writes the elements `_emit` produces as XML text, within the text-length limit."""

    def __init__(self, ex: Any) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.limit = ex.limits.text_length

    def _add(self, piece: str) -> None:
        self.length += len(piece)
        if self.length > self.limit:
            check_text_length(self.length)
        self.parts.append(piece)

    def start(self, name: str, attrs: list[str]) -> None:
        self._add(f"<{name}>")

    def end(self, name: str) -> None:
        self._add(f"</{name}>")

    def empty(self, name: str) -> None:
        self._add(f"<{name}/>")

    def text(self, data: str) -> None:
        self._add(_escape_text(data))


def _json_value(ex: Any, text: str, fname: str) -> Any:
    from deluge.builtins.jsontext import parse_json

    if text.strip(" \t\r\n\ufeff") == "":
        return {}
    value = parse_json(ex, text, fname)
    if not isinstance(value, (list, dict)):
        raise DelugeRuntimeError(f"{fname}: the text is not a JSON object or array")
    return value


@method(("text", "map"), "toXML", "toXml")
def to_xml(ex: Any, value: Any) -> str:
    """JSON text or a map → XML text inside `<root>` (5.6), following org.json's XML.toString.

    Each key becomes an element holding its value; a list value repeats the
    element once per item; null is the text `null`; `""` is the empty element
    `<key/>`; an empty map `<key></key>`; a list inside a list is written as
    `<array>` elements inside the key's element; a top-level JSON array becomes
    `<array>` elements inside `<root>`. `&`, `<`, `>` in text are escaped;
    keys are written as they are. Empty text gives `<root></root>`.
    """
    if type(value) is str:
        value = _json_value(ex, value, "toXML")
    sink = _TextSink(ex)
    _emit(ex, value, sink)
    ex.charge_work(sink.length // 64 + 1)
    return "".join(sink.parts)


# ---------------------------------------------------------------- writing nodes as XML


def _escape_text(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _escape_attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;"))


class _Writer:
    """Collects written XML, refusing to grow past the text-length limit."""

    def __init__(self, ex: Any) -> None:
        self.ex = ex
        self.parts: list[str] = []
        self.length = 0
        self.limit = ex.limits.text_length
        self.work = 0

    def add(self, piece: str) -> None:
        self.length += len(piece)
        if self.length > self.limit:
            check_text_length(self.length)
        self.parts.append(piece)

    def node(self, node: _Node) -> None:
        """Writes one node: elements as XML, text unescaped, an attribute as `<name>value</name>`."""
        kind = node.kind
        if kind == TEXT:
            self.add(node.value)
            return
        if kind == ATTR:
            self.add(f"<{node.name}>{_escape_text(node.value)}</{node.name}>")
            return
        stack: list[Any] = [node]
        while stack:
            item = stack.pop()
            if type(item) is str:
                self.add(item)
                continue
            self.work += 1
            kind = item.kind
            if kind == ELEM:
                attrs = "".join(f' {a.name}="{_escape_attr(a.value)}"' for a in item.attrs)
                if item.children:
                    self.add(f"<{item.name}{attrs}>")
                    stack.append(f"</{item.name}>")
                    stack.extend(reversed(item.children))
                else:
                    self.add(f"<{item.name}{attrs}/>")
            elif kind == TEXT:
                self.add(_escape_text(item.value))
            elif kind == COMMENT:
                self.add(f"<!--{item.value}-->")
            elif kind == PI:
                self.add(f"<?{item.name} {item.value}?>" if item.value else f"<?{item.name}?>")
            elif kind == ROOT:
                stack.extend(reversed(item.children))
        if self.work >= 4096:
            self.ex.charge_work(self.work)
            self.work = 0

    def text(self) -> str:
        self.ex.charge_work(self.work + self.length // 64)
        return "".join(self.parts)


# ---------------------------------------------------------------- XPath 1.0: tokens

_NCNAME = r"[A-Za-z_\u00C0-\U0010FFFF][\w.\-\u00B7\u00C0-\U0010FFFF]*"
@functools.lru_cache(maxsize=1)
def _tokens() -> re.Pattern[str]:
    """The XPath token pattern, compiled on first use (its Unicode name classes are slow to compile)."""
    return re.compile(
    rf"""[ \t\r\n]*(?:
    (?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)
  | (?P<str>"[^"]*"|'[^']*')
  | (?P<var>\${_NCNAME}(?::{_NCNAME})?)
  | (?P<name>{_NCNAME}(?::(?:{_NCNAME}|\*))?|\*)
  | (?P<op>//|::|\.\.|!=|<=|>=|[/|+\-=<>()\[\].@,])
  )""",
    re.VERBOSE,
)

_OPERATOR_NAMES = {"and", "or", "mod", "div"}
_NODE_TYPES = {"comment", "text", "processing-instruction", "node"}
_AXES = {
    "ancestor", "ancestor-or-self", "attribute", "child", "descendant", "descendant-or-self",
    "following", "following-sibling", "namespace", "parent", "preceding", "preceding-sibling", "self",
}
_REVERSE_AXES = {"ancestor", "ancestor-or-self", "preceding", "preceding-sibling"}
_OPERATORS = {"/", "//", "|", "+", "-", "=", "!=", "<", "<=", ">", ">=", "and", "or", "mod", "div", "*"}
_PRECEDENCE = {"or": 1, "and": 2, "=": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4,
               "+": 5, "-": 5, "*": 6, "div": 6, "mod": 6}
MAX_XPATH_LENGTH = 4000
MAX_XPATH_NESTING = 32
MAX_AST_DEPTH = 200
VISIT_COST = 4
"""Work units per node an XPath step visits: a visit runs Python code, several times the cost of C-level work."""

# name: (fewest, most) arguments; None = any number
_FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "last": (0, 0), "position": (0, 0), "count": (1, 1), "id": (1, 1), "local-name": (0, 1),
    "namespace-uri": (0, 1), "name": (0, 1), "string": (0, 1), "concat": (2, None),
    "starts-with": (2, 2), "contains": (2, 2), "substring-before": (2, 2), "substring-after": (2, 2),
    "substring": (2, 3), "string-length": (0, 1), "normalize-space": (0, 1), "translate": (3, 3),
    "boolean": (1, 1), "not": (1, 1), "true": (0, 0), "false": (0, 0), "lang": (1, 1),
    "number": (0, 1), "sum": (1, 1), "floor": (1, 1), "ceiling": (1, 1), "round": (1, 1),
}


class XPathError(DelugeRuntimeError):
    pass


def _bad(xpath: str, why: str) -> XPathError:
    return XPathError(f"executeXPath: the XPath {xpath!r} is not valid ({why})")


def _tokenize(xpath: str) -> list[tuple[str, Any]]:
    raw: list[tuple[str, Any]] = []
    pos = 0
    end = len(xpath.rstrip(" \t\r\n"))
    while pos < end:
        m = _tokens().match(xpath, pos)
        if not m or m.end() == pos:
            raise _bad(xpath, f"unexpected {xpath[pos:].strip()[:1]!r}")
        pos = m.end()
        kind = m.lastgroup
        text = m.group(kind)  # type: ignore[arg-type]
        if kind == "num":
            raw.append(("num", float(text)))
        elif kind == "str":
            raw.append(("str", text[1:-1]))
        else:
            raw.append((kind, text))  # type: ignore[arg-type]
    # XPath 1.0, 3.7: decide what each name and `*` is from its neighbours
    out: list[tuple[str, Any]] = []
    for i, (kind, text) in enumerate(raw):
        if kind == "op":
            out.append(("op", text) if text in _OPERATORS else ("punct", text))
            continue
        if kind != "name":
            out.append((kind, text))
            continue
        prev = out[-1] if out else None
        if prev is not None and not (prev[0] == "punct" and prev[1] in ("@", "::", "(", "[", ",")) \
                and prev[0] != "op":
            if text == "*" or text in _OPERATOR_NAMES:
                out.append(("op", text))
                continue
            raise _bad(xpath, f"unexpected name {text!r}")
        following = raw[i + 1] if i + 1 < len(raw) else None
        if following == ("op", "("):
            out.append(("nodetype" if text in _NODE_TYPES else "func", text))
        elif following == ("op", "::"):
            if text not in _AXES:
                raise _bad(xpath, f"unknown axis {text!r}")
            out.append(("axis", text))
        else:
            out.append(("nametest", text))
    return out


# ---------------------------------------------------------------- XPath 1.0: parser

_DOS_NODE = ("descendant-or-self", ("node", None), [])


class _Parser:
    def __init__(self, xpath: str) -> None:
        self.xpath = xpath
        self.tokens = _tokenize(xpath)
        self.i = 0
        self.depth = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, Any]:
        token = self.peek()
        if token is None:
            raise _bad(self.xpath, "it ends too early")
        self.i += 1
        return token

    def expect(self, kind: str, text: str) -> None:
        token = self.take()
        if token != (kind, text):
            raise _bad(self.xpath, f"expected {text!r}, found {token[1]!r}")

    def is_(self, kind: str, text: str) -> bool:
        return self.peek() == (kind, text)

    def parse(self) -> Any:
        if not self.tokens:
            raise _bad(self.xpath, "it is empty")
        tree = self.expr(1)
        if self.peek() is not None:
            raise _bad(self.xpath, f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return tree

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_XPATH_NESTING:
            raise _bad(self.xpath, f"it is nested more than {MAX_XPATH_NESTING} levels deep")

    def expr(self, min_prec: int) -> Any:
        left = self.unary()
        while True:
            token = self.peek()
            if token is None or token[0] != "op" or token[1] not in _PRECEDENCE:
                return left
            prec = _PRECEDENCE[token[1]]
            if prec < min_prec:
                return left
            self.i += 1
            right = self.expr(prec + 1)
            left = ("bin", token[1], left, right)

    def unary(self) -> Any:
        if self.is_("op", "-"):
            self.i += 1
            self.nest()
            operand = self.unary()
            self.depth -= 1
            return ("neg", operand)
        left = self.path()
        if not self.is_("op", "|"):
            return left
        parts = [left]
        while self.is_("op", "|"):
            self.i += 1
            parts.append(self.path())
        return ("union", parts)

    def starts_step(self) -> bool:
        token = self.peek()
        if token is None:
            return False
        return token[0] in ("nametest", "axis", "nodetype") or token in (
            ("punct", "@"), ("punct", "."), ("punct", ".."))

    def path(self) -> Any:
        token = self.peek()
        if token == ("op", "/"):
            self.i += 1
            steps: list[Any] = []
            if self.starts_step():
                self.relative(steps)
            return ("path", "root", steps)
        if token == ("op", "//"):
            self.i += 1
            steps = [_DOS_NODE]
            self.relative(steps, after_dos=True)
            return ("path", "root", steps)
        if self.starts_step():
            steps = []
            self.relative(steps)
            return ("path", None, steps)
        primary = self.primary()
        predicates = self.predicates()
        if predicates:
            primary = ("filter", primary, predicates)
        if self.is_("op", "/") or self.is_("op", "//"):
            steps = []
            self.more_steps(steps)
            return ("path", primary, steps)
        return primary

    def relative(self, steps: list[Any], after_dos: bool = False) -> None:
        self.add_step(steps, self.step(), after_dos)
        self.more_steps(steps)

    def more_steps(self, steps: list[Any]) -> None:
        while True:
            if self.is_("op", "/"):
                self.i += 1
                self.add_step(steps, self.step(), False)
            elif self.is_("op", "//"):
                self.i += 1
                steps.append(_DOS_NODE)
                self.add_step(steps, self.step(), True)
            else:
                return

    @staticmethod
    def add_step(steps: list[Any], step: Any, after_dos: bool) -> None:
        # `//name[p]` is `descendant::name[p]` when no predicate depends on positions:
        # the same nodes, found in one walk
        if after_dos and step[0] == "child" and steps and steps[-1] is _DOS_NODE \
                and all(_position_free(p) for p in step[2]):
            steps[-1] = ("descendant", step[1], step[2])
            return
        steps.append(step)

    def step(self) -> Any:
        token = self.take()
        if token == ("punct", "."):
            return ("self", ("node", None), self.predicates())
        if token == ("punct", ".."):
            return ("parent", ("node", None), self.predicates())
        axis = "child"
        if token == ("punct", "@"):
            axis = "attribute"
            token = self.take()
        elif token[0] == "axis":
            axis = token[1]
            self.expect("punct", "::")
            token = self.take()
        if token[0] == "nametest":
            name = token[1]
            if name == "*":
                test: Any = ("any", None)
            elif name.endswith(":*"):
                test = ("prefix", name[:-1])
            else:
                test = ("name", name)
        elif token[0] == "nodetype":
            self.expect("punct", "(")
            literal = None
            if token[1] == "processing-instruction" and self.peek() is not None and self.peek()[0] == "str":  # type: ignore[index]
                literal = self.take()[1]
            self.expect("punct", ")")
            test = ({"processing-instruction": "pi"}.get(token[1], token[1]), literal)
        else:
            raise _bad(self.xpath, f"expected a node test, found {token[1]!r}")
        return (axis, test, self.predicates())

    def predicates(self) -> list[Any]:
        out = []
        while self.is_("punct", "["):
            self.i += 1
            self.nest()
            out.append(self.expr(1))
            self.depth -= 1
            self.expect("punct", "]")
        return out

    def primary(self) -> Any:
        token = self.take()
        kind, text = token
        if kind == "num":
            return ("num", text)
        if kind == "str":
            return ("str", text)
        if kind == "var":
            raise XPathError(f"executeXPath: XPath variables such as {text} are not supported")
        if token == ("punct", "("):
            self.nest()
            inner = self.expr(1)
            self.depth -= 1
            self.expect("punct", ")")
            return inner
        if kind == "func":
            if text not in _FUNCTIONS:
                raise _bad(self.xpath, f"unknown function {text}()")
            self.expect("punct", "(")
            self.nest()
            args = []
            if not self.is_("punct", ")"):
                args.append(self.expr(1))
                while self.is_("punct", ","):
                    self.i += 1
                    args.append(self.expr(1))
            self.depth -= 1
            self.expect("punct", ")")
            fewest, most = _FUNCTIONS[text]
            if len(args) < fewest or (most is not None and len(args) > most):
                raise _bad(self.xpath, f"{text}() does not take {len(args)} argument(s)")
            return ("func", text, args)
        raise _bad(self.xpath, f"unexpected {text!r}")


def compile_xpath(xpath: str) -> Any:
    if len(xpath) > MAX_XPATH_LENGTH:
        raise XPathError(f"executeXPath: the XPath is longer than {MAX_XPATH_LENGTH} characters")
    try:
        tree = _Parser(xpath).parse()
    except RecursionError:
        raise _bad(xpath, "it is nested too deeply") from None
    if _ast_depth(tree) > MAX_AST_DEPTH:
        raise _bad(xpath, "it is too complex")
    return tree


def _ast_depth(tree: Any) -> int:
    best = 0
    stack = [(tree, 1)]
    while stack:
        item, depth = stack.pop()
        best = max(best, depth)
        for child in item:
            if isinstance(child, (tuple, list)):
                stack.append((child, depth + 1))
    return best


# ---------------------------------------------------------------- XPath 1.0: values


def _descendants(node: _Node) -> Any:
    children = node.children
    if not children:
        return
    stack = list(reversed(children))
    while stack:
        item = stack.pop()
        yield item
        if item.children:
            stack.extend(reversed(item.children))


def _string_value(node: _Node) -> str:
    if node.kind == ROOT or node.kind == ELEM:
        return "".join([n.value for n in _descendants(node) if n.kind == TEXT])
    return node.value


def _str_to_num(text: str) -> float:
    text = text.strip(_XML_WS)
    if re.fullmatch(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", text):
        return float(text)
    return math.nan


def number_text(x: float) -> str:
    """XPath's string of a number (D39): `2`, not `2.0`; `NaN`, `Infinity`; never an exponent."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    if x.is_integer():
        return str(int(x))
    text = repr(x)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def _to_string(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is list:
        return _string_value(value[0]) if value else ""
    if kind is bool:
        return "true" if value else "false"
    return number_text(value)


def _to_number(value: Any) -> float:
    kind = type(value)
    if kind is float:
        return value  # type: ignore[no-any-return]
    if kind is bool:
        return 1.0 if value else 0.0
    return _str_to_num(_to_string(value))


def _to_bool(value: Any) -> bool:
    kind = type(value)
    if kind is bool:
        return value  # type: ignore[no-any-return]
    if kind is float:
        return value != 0 and not math.isnan(value)
    return len(value) > 0


def _atomic(op: str, x: Any, y: Any) -> bool:
    if op == "=" or op == "!=":
        if type(x) is bool or type(y) is bool:
            a: Any = _to_bool(x)
            b: Any = _to_bool(y)
        elif type(x) is float or type(y) is float:
            a, b = _to_number(x), _to_number(y)
        else:
            a, b = _to_string(x), _to_string(y)
        return (a == b) if op == "=" else (a != b)
    a, b = _to_number(x), _to_number(y)
    if op == "<":
        return a < b  # type: ignore[no-any-return]
    if op == "<=":
        return a <= b  # type: ignore[no-any-return]
    if op == ">":
        return a > b  # type: ignore[no-any-return]
    return a >= b  # type: ignore[no-any-return]


def _round(x: float) -> float:
    if math.isnan(x) or math.isinf(x) or x == 0:
        return x
    r = float(math.floor(x + 0.5))
    if r == 0 and x < 0:
        return -0.0
    return r


def _divide(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    try:
        return a / b
    except OverflowError:
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _mod(a: float, b: float) -> float:
    if b == 0 or math.isnan(a) or math.isnan(b) or math.isinf(a):
        return math.nan
    if math.isinf(b):
        return a
    return math.fmod(a, b)


def _substring(s: str, start: float, length: float | None) -> str:
    lo = _round(start)
    if math.isnan(lo):
        return ""
    hi = math.inf if length is None else lo + _round(length)
    if math.isnan(hi):
        return ""
    first = max(lo, 1.0)
    if first == math.inf or hi <= first:
        return ""
    stop = len(s) + 1 if hi > len(s) + 1 else hi
    return s[int(first) - 1:math.ceil(stop) - 1]


# ---------------------------------------------------------------- XPath 1.0: evaluation


class _Evaluator:
    def __init__(self, ex: Any, root: _Node) -> None:
        self.ex = ex
        self.root = root
        self.work = 0
        self.text_limit = ex.limits.text_length

    def charge(self, units: int) -> None:
        self.work += units
        if self.work >= 4096:
            self.ex.charge_work(self.work)
            self.work = 0

    def eval(self, tree: Any, node: _Node, pos: int, size: int) -> Any:
        kind = tree[0]
        if kind == "path":
            return self.path(tree, node, pos, size)
        if kind == "num" or kind == "str":
            return tree[1]
        if kind == "bin":
            return self.binary(tree[1], tree[2], tree[3], node, pos, size)
        if kind == "func":
            return self.function(tree[1], tree[2], node, pos, size)
        if kind == "neg":
            return -_to_number(self.eval(tree[1], node, pos, size))
        if kind == "union":
            seen: dict[int, _Node] = {}
            for part in tree[1]:
                value = self.eval(part, node, pos, size)
                if type(value) is not list:
                    raise XPathError("executeXPath: the operands of '|' must be node-sets")
                for n in value:
                    seen[n.order] = n
            self.charge(len(seen))
            return [seen[k] for k in sorted(seen)]
        if kind == "filter":
            value = self.eval(tree[1], node, pos, size)
            if type(value) is not list:
                raise XPathError("executeXPath: a predicate needs a node-set to filter")
            for predicate in tree[2]:
                value = self.filter(value, predicate)
            return value
        raise XPathError(f"executeXPath: cannot evaluate {kind}")  # pragma: no cover

    # ------------------------------------------------------------ location paths

    def path(self, tree: Any, node: _Node, pos: int, size: int) -> list[_Node]:
        start = tree[1]
        if start is None:
            nodes = [node]
        elif start == "root":
            nodes = [self.root]
        else:
            value = self.eval(start, node, pos, size)
            if type(value) is not list:
                raise XPathError("executeXPath: a path can only continue from a node-set")
            nodes = value
        for step in tree[2]:
            nodes = self.step(nodes, step)
            if not nodes:
                break
        return nodes

    def step(self, nodes: list[_Node], step: Any) -> list[_Node]:
        axis, test, predicates = step
        principal = ATTR if axis == "attribute" else ELEM
        found: dict[int, _Node] = {}
        for context in nodes:
            if axis == "descendant" and context.kind == ROOT:
                if context.flat is None:
                    context.flat = list(_descendants(context))
                pool: Any = context.flat
            else:
                pool = self.axis(axis, context)
                if type(pool) is not list:
                    pool = list(pool)
            self.charge(VISIT_COST * (len(pool) + 1))
            candidates = _select(test, pool, principal)
            for predicate in predicates:
                candidates = self.filter(candidates, predicate)
            for n in candidates:
                found[n.order] = n
        if len(nodes) == 1 and axis not in _REVERSE_AXES:
            return list(found.values())
        self.charge(len(found))
        return [found[k] for k in sorted(found)]

    @staticmethod
    def axis(axis: str, node: _Node) -> Any:
        if axis == "child":
            return node.children or ()
        if axis == "descendant":
            return _descendants(node)
        if axis == "attribute":
            return node.attrs or ()
        if axis == "self":
            return (node,)
        if axis == "parent":
            return (node.parent,) if node.parent is not None else ()
        if axis == "descendant-or-self":
            return _chain(node, _descendants(node))
        if axis == "ancestor":
            return _ancestors(node)
        if axis == "ancestor-or-self":
            return _chain(node, _ancestors(node))
        if axis == "following-sibling":
            if node.kind == ATTR or node.parent is None:
                return ()
            return node.parent.children[node.index + 1:]  # type: ignore[index]
        if axis == "preceding-sibling":
            if node.kind == ATTR or node.parent is None:
                return ()
            return reversed(node.parent.children[:node.index])  # type: ignore[index]
        if axis == "following":
            return _following(node)
        if axis == "preceding":
            return _preceding(node)
        return ()  # namespace: namespace nodes are not modelled

    def filter(self, nodes: list[_Node], predicate: Any) -> list[_Node]:
        if predicate[0] == "num":
            index = predicate[1]
            if index.is_integer() and 1 <= index <= len(nodes):
                return [nodes[int(index) - 1]]
            return []
        size = len(nodes)
        simple = _simple_equality(predicate)
        if simple is not None:
            self.charge(VISIT_COST * size)
            axis, name, literal = simple
            if axis == "attribute":
                return [n for n in nodes if n.attrs and any(a.name == name and a.value == literal for a in n.attrs)]
            return [n for n in nodes if n.children and any(
                c.name == name and c.kind == ELEM and _string_value(c) == literal for c in n.children)]
        out = []
        for position, n in enumerate(nodes, 1):
            value = self.eval(predicate, n, position, size)
            if type(value) is float:
                if value == position:
                    out.append(n)
            elif _to_bool(value):
                out.append(n)
        self.charge(size)
        return out

    # ------------------------------------------------------------ operators

    def binary(self, op: str, left: Any, right: Any, node: _Node, pos: int, size: int) -> Any:
        if op == "or":
            return _to_bool(self.eval(left, node, pos, size)) or _to_bool(self.eval(right, node, pos, size))
        if op == "and":
            return _to_bool(self.eval(left, node, pos, size)) and _to_bool(self.eval(right, node, pos, size))
        a = self.eval(left, node, pos, size)
        b = self.eval(right, node, pos, size)
        if op in ("=", "!=", "<", "<=", ">", ">="):
            return self.compare(op, a, b)
        x, y = _to_number(a), _to_number(b)
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "div":
            return _divide(x, y)
        return _mod(x, y)

    def compare(self, op: str, a: Any, b: Any) -> bool:
        a_set, b_set = type(a) is list, type(b) is list
        if a_set and b_set:
            self.charge(len(a) + len(b))
            if op == "=" or op == "!=":
                left = {_string_value(n) for n in a}
                if not left:
                    return False
                for n in b:
                    value = _string_value(n)
                    if op == "=" and value in left:
                        return True
                    if op == "!=" and (len(left) > 1 or value not in left):
                        return True
                return False
            xs = [v for v in (_str_to_num(_string_value(n)) for n in a) if not math.isnan(v)]
            ys = [v for v in (_str_to_num(_string_value(n)) for n in b) if not math.isnan(v)]
            if not xs or not ys:
                return False
            if op == "<":
                return min(xs) < max(ys)
            if op == "<=":
                return min(xs) <= max(ys)
            if op == ">":
                return max(xs) > min(ys)
            return max(xs) >= min(ys)
        if a_set or b_set:
            nodes, other = (a, b) if a_set else (b, a)
            if type(other) is bool:
                return _atomic(op, _to_bool(a), _to_bool(b))
            self.charge(len(nodes))
            for n in nodes:
                value = _string_value(n)
                if _atomic(op, value, other) if a_set else _atomic(op, other, value):
                    return True
            return False
        return _atomic(op, a, b)

    # ------------------------------------------------------------ functions

    def node_set(self, name: str, args: list[Any], node: _Node, pos: int, size: int) -> list[_Node]:
        if not args:
            return [node]
        value = self.eval(args[0], node, pos, size)
        if type(value) is not list:
            raise XPathError(f"executeXPath: {name}() needs a node-set")
        return value  # type: ignore[no-any-return]

    def text_arg(self, args: list[Any], i: int, node: _Node, pos: int, size: int) -> str:
        if i >= len(args):
            return _string_value(node)
        return _to_string(self.eval(args[i], node, pos, size))

    def function(self, name: str, args: list[Any], node: _Node, pos: int, size: int) -> Any:
        if name == "last":
            return float(size)
        if name == "position":
            return float(pos)
        if name == "count":
            return float(len(self.node_set(name, args, node, pos, size)))
        if name in ("local-name", "name", "namespace-uri"):
            nodes = self.node_set(name, args, node, pos, size)
            if not nodes:
                return ""
            first = nodes[0]
            if first.kind not in (ELEM, ATTR, PI):
                return ""
            if name == "name":
                return first.name
            if name == "local-name":
                return first.name.rpartition(":")[2]
            return _namespace_uri(first)
        if name == "id":
            self.eval(args[0], node, pos, size)
            return []
        if name == "string":
            return self.text_arg(args, 0, node, pos, size)
        if name == "concat":
            parts = [_to_string(self.eval(a, node, pos, size)) for a in args]
            total = sum(len(p) for p in parts)
            if total > self.text_limit:
                check_text_length(total)
            return "".join(parts)
        if name == "string-length":
            return float(len(self.text_arg(args, 0, node, pos, size)))
        if name == "normalize-space":
            return " ".join(re.split(r"[ \t\r\n]+", self.text_arg(args, 0, node, pos, size).strip(_XML_WS)))
        if name in ("starts-with", "contains", "substring-before", "substring-after"):
            a = self.text_arg(args, 0, node, pos, size)
            b = self.text_arg(args, 1, node, pos, size)
            self.charge(len(a) // 64)
            if name == "starts-with":
                return a.startswith(b)
            if name == "contains":
                return b in a
            i = a.find(b)
            if i < 0:
                return ""
            return a[:i] if name == "substring-before" else a[i + len(b):]
        if name == "substring":
            s = self.text_arg(args, 0, node, pos, size)
            start = _to_number(self.eval(args[1], node, pos, size))
            length = _to_number(self.eval(args[2], node, pos, size)) if len(args) > 2 else None
            return _substring(s, start, length)
        if name == "translate":
            s = self.text_arg(args, 0, node, pos, size)
            source = self.text_arg(args, 1, node, pos, size)
            target = self.text_arg(args, 2, node, pos, size)
            table: dict[int, Any] = {}
            for i, ch in enumerate(source):
                if ord(ch) not in table:
                    table[ord(ch)] = target[i] if i < len(target) else None
            self.charge(len(s) // 64)
            return s.translate(table)
        if name == "boolean":
            return _to_bool(self.eval(args[0], node, pos, size))
        if name == "not":
            return not _to_bool(self.eval(args[0], node, pos, size))
        if name == "true":
            return True
        if name == "false":
            return False
        if name == "lang":
            return _lang(node, self.text_arg(args, 0, node, pos, size))
        if name == "number":
            if not args:
                return _str_to_num(_string_value(node))
            return _to_number(self.eval(args[0], node, pos, size))
        if name == "sum":
            nodes = self.node_set(name, args, node, pos, size)
            self.charge(len(nodes))
            return math.fsum(_str_to_num(_string_value(n)) for n in nodes) if nodes else 0.0
        value = _to_number(self.eval(args[0], node, pos, size))
        if name == "floor":
            return float(math.floor(value)) if math.isfinite(value) else value
        if name == "ceiling":
            return float(math.ceil(value)) if math.isfinite(value) else value
        return _round(value)


_NUMBER_FUNCTIONS = {"last", "position", "count", "string-length", "number", "sum", "floor", "ceiling", "round"}


def _position_free(predicate: Any) -> bool:
    """True when a predicate can never be a number and never reads position() or last()."""
    kind = predicate[0]
    if kind == "num" or kind == "neg":
        return False
    if kind == "bin" and predicate[1] in ("+", "-", "*", "div", "mod"):
        return False
    if kind == "func" and predicate[1] in _NUMBER_FUNCTIONS:
        return False
    stack = [predicate]
    while stack:
        item = stack.pop()
        if type(item) is tuple and len(item) == 3 and item[0] == "func" and item[1] in ("position", "last"):
            return False
        stack.extend(child for child in item if isinstance(child, (tuple, list)))
    return True


def _simple_equality(predicate: Any) -> tuple[str, str, str] | None:
    """(axis, name, text) for a predicate `[@name = 'text']` or `[name = 'text']`, which has a fast path."""
    if predicate[0] != "bin" or predicate[1] != "=":
        return None
    left, right = predicate[2], predicate[3]
    if left[0] == "str":
        left, right = right, left
    if right[0] != "str" or left[0] != "path" or left[1] is not None or len(left[2]) != 1:
        return None
    axis, test, predicates = left[2][0]
    if predicates or test[0] != "name" or axis not in ("attribute", "child"):
        return None
    return axis, test[1], right[1]


def _chain(first: _Node, rest: Any) -> Any:
    yield first
    yield from rest


def _ancestors(node: _Node) -> Any:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _following(node: _Node) -> Any:
    if node.kind == ATTR:
        node = node.parent  # type: ignore[assignment]
        yield from _descendants(node)
    while node.parent is not None:
        for sibling in node.parent.children[node.index + 1:]:  # type: ignore[index]
            yield sibling
            yield from _descendants(sibling)
        node = node.parent


def _preceding(node: _Node) -> Any:
    if node.kind == ATTR:
        node = node.parent  # type: ignore[assignment]
    while node.parent is not None:
        for sibling in reversed(node.parent.children[:node.index]):  # type: ignore[index]
            subtree = [sibling, *_descendants(sibling)]
            yield from reversed(subtree)
        node = node.parent


def _select(test: tuple[str, Any], pool: list[_Node], principal: int) -> list[_Node]:
    """The nodes of an axis that pass a node test (`principal`: ELEM, or ATTR on the attribute axis)."""
    kind, arg = test
    if kind == "name":
        return [n for n in pool if n.name == arg and n.kind == principal]
    if kind == "node":
        return pool
    if kind == "any":
        return [n for n in pool if n.kind == principal]
    if kind == "text":
        return [n for n in pool if n.kind == TEXT]
    if kind == "prefix":
        return [n for n in pool if n.kind == principal and n.name.startswith(arg)]
    if kind == "comment":
        return [n for n in pool if n.kind == COMMENT]
    return [n for n in pool if n.kind == PI and (arg is None or n.name == arg)]


def _namespace_uri(node: _Node) -> str:
    prefix, colon, _ = node.name.rpartition(":")
    if not colon and node.kind == ATTR:
        return ""
    wanted = f"xmlns:{prefix}" if colon else "xmlns"
    element: _Node | None = node.parent if node.kind == ATTR else node
    while element is not None and element.kind == ELEM:
        for attr in element.attrs:  # type: ignore[union-attr]
            if attr.name == wanted:
                return attr.value
        element = element.parent
    return ""


def _lang(node: _Node, wanted: str) -> bool:
    element: _Node | None = node.parent if node.kind != ELEM else node
    while element is not None and element.kind == ELEM:
        for attr in element.attrs:  # type: ignore[union-attr]
            if attr.name == "xml:lang":
                have = attr.value.lower()
                wanted = wanted.lower()
                return have == wanted or have.startswith(wanted + "-")
        element = element.parent
    return False


# ---------------------------------------------------------------- the functions


_LAST: weakref.WeakKeyDictionary[Any, tuple[str, _Node, int]] = weakref.WeakKeyDictionary()
"""Per run, the last text read by executeXPath and its tree: scripts often query one response many times."""


def _document(ex: Any, text: str, fname: str) -> _Node:
    """The tree of an XML text, or of a JSON text converted as toXML does (5.8).

    The tree of the last text is kept for the run; reading the same text again
    charges the same work as reading it the first time, so budgets do not depend
    on the cache.
    """
    last = _LAST.get(ex)
    if last is not None and (last[0] is text or last[0] == text):
        ex.charge_work(last[2])
        return last[1]
    before = ex.work
    root = _read_document(ex, text, fname)
    _LAST[ex] = (text, root, max(ex.work - before, 1))
    return root


def _read_document(ex: Any, text: str, fname: str) -> _Node:
    if _looks_like_xml(text):
        return parse_xml(ex, text, fname)
    if text.strip(" \t\r\n\ufeff") == "":
        raise DelugeRuntimeError(f"{fname}: the text is empty, neither XML nor JSON")
    from deluge.builtins.jsontext import parse_json

    try:
        value = parse_json(ex, text, fname)
    except DelugeRuntimeError:
        raise DelugeRuntimeError(f"{fname}: the text is neither XML nor JSON: {_excerpt(text)}") from None
    if not isinstance(value, (list, dict)):
        raise DelugeRuntimeError(f"{fname}: the text is neither XML nor JSON: {_excerpt(text)}")
    tree = _Tree(ex)
    tree.max_depth += 2  # _emit already holds the data to the nesting limit
    _emit(ex, value, tree)
    tree.flush()
    return tree.root


def _excerpt(text: str) -> str:
    text = text.strip()
    return repr(text if len(text) <= 40 else text[:37] + "...")


@method("text", "executeXPath")
def execute_xpath(ex: Any, text: str, xpath: Any) -> str:
    """The text of what an XPath selects in XML (or JSON read as toXML gives it) (5.8).

    Elements are written as XML, text nodes as their text, an attribute as an
    element named after it holding its value; several nodes are joined with
    nothing between them; no match gives ""; numbers, strings and booleans
    give their XPath text (D39: `2`, not `2.0`). An invalid XPath, and a
    receiver that is neither XML nor JSON, are runtime errors.
    """
    if type(xpath) is not str:
        raise DelugeRuntimeError(f"executeXPath needs a TEXT XPath, not a value of type {type_name(xpath)}")
    tree = compile_xpath(xpath)
    root = _document(ex, text, "executeXPath")
    evaluator = _Evaluator(ex, root)
    try:
        value = evaluator.eval(tree, root, 1, 1)
    except RecursionError:
        raise XPathError("executeXPath: the XPath is nested too deeply") from None
    ex.charge_work(evaluator.work)
    if type(value) is list:
        writer = _Writer(ex)
        for node in value:
            writer.node(node)
        return writer.text()
    result = _to_string(value)
    if len(result) > ex.limits.text_length:
        check_text_length(len(result))
    return result


@method("text", "toXmlList")
def to_xml_list(ex: Any, text: str) -> DList:
    """A list of texts, one per top-level element of the XML text, each written as XML (5.7).

    Empty or blank text gives an empty list; text that is not XML is a runtime error.
    """
    if text.strip(_XML_WS + "\ufeff") == "":
        return DList()
    if not _looks_like_xml(text):
        raise DelugeRuntimeError(f"toXmlList: the text is not XML: {_excerpt(text)}")
    root = parse_xml(ex, text, "toXmlList")
    out = DList()
    limit = ex.limits.collection_size
    for child in root.children:  # type: ignore[union-attr]
        if child.kind != ELEM:
            continue
        if len(out) >= limit:
            raise BudgetExceeded(f"toXmlList would build a list of more than {limit} elements",
                                 limit="collection_size")
        writer = _Writer(ex)
        writer.node(child)
        out.append(writer.text())
    return out
