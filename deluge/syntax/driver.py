"""Runs Lark's LALR(1) parse table for the grammar, with a tighter loop than Lark's own.

The table and the callbacks are Lark's, built from grammar/deluge.lark; only the
loop that shifts tokens and reduces rules is written here, with every look-up
prepared in advance (rule sizes, callbacks and goto names are unpacked once),
and tokens come from `lexer.FastLexer`, which reads the current state to decide
keyword-like words. `tests/unit/test_lexer.py` checks that the results equal
Lark's own parser on every sample.
"""

from __future__ import annotations

from typing import Any

# isort: off
import deluge.syntax.larkload  # noqa: F401  (must come before any lark import)
from lark.exceptions import UnexpectedToken
from lark.parsers.lalr_analysis import Shift
# isort: on

from deluge.syntax.lexer import FastLexer, _Tok


class _Probe:
    """A stand-in child, to see whether a rule's callback hands its one child back unchanged."""


def _passes_through(rule: Any, callback: Any) -> bool:
    """Whether reducing `rule` returns its single child as it is (Lark's `?rule` with one child)."""
    if len(rule.expansion) != 1 or not rule.options.expand1:
        return False
    probe = _Probe()
    try:
        return callback([probe]) is probe
    except Exception:
        return False


class _Conf:
    __slots__ = ("states",)

    def __init__(self, states: dict[Any, dict[str, Any]]) -> None:
        self.states = states


class _ParserState:
    """What the lexer reads of the parser: the state on top of the stack."""

    __slots__ = ("parse_conf", "position")

    def __init__(self, conf: _Conf, position: Any) -> None:
        self.parse_conf = conf
        self.position = position


class _LexerState:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class Driver:
    """A parse function over a built Lark instance (`parse(text)` returns the builder's Module)."""

    def __init__(self, lark_parser: Any) -> None:
        inner = lark_parser.parser.parser.parser
        table = inner.parse_table
        callbacks = inner.callbacks
        start = lark_parser.options.start[0]
        self.start_state = table.start_states[start]
        self.end_state = table.end_states[start]
        self.conf = _Conf(table.states)
        # per state: symbol -> (True, next state) for a shift, (False, size, callback, goto name) for a reduce
        # (size 0 with callback None: a unit rule that passes its one child through, such as
        # `?expr: or_expr`; the loop then only changes the state on top of the stack)
        self.actions: dict[Any, dict[str, tuple[Any, ...]]] = {}
        self.units: dict[tuple[Any, Any, str], Any] = {}
        """(state below, state on top, token kind) -> the state after the unit reductions."""
        passes = {}
        for state, row in table.states.items():
            prepared: dict[str, tuple[Any, ...]] = {}
            for symbol, (action, arg) in row.items():
                if action is Shift:
                    prepared[symbol] = (True, arg)
                    continue
                if arg not in passes:
                    passes[arg] = _passes_through(arg, callbacks[arg])
                if passes[arg]:
                    prepared[symbol] = (False, -1, None, str(arg.origin.name))
                else:
                    prepared[symbol] = (False, len(arg.expansion), callbacks[arg], str(arg.origin.name))
            self.actions[state] = prepared
        lexer = lark_parser.parser.lexer
        self.lexer: FastLexer = lexer if isinstance(lexer, FastLexer) else FastLexer(lark_parser.lexer_conf)

    def parse(self, text: str) -> Any:
        actions = self.actions
        units = self.units
        end_state = self.end_state
        position = _ParserState(self.conf, self.start_state)
        state_stack = [self.start_state]
        value_stack: list[Any] = []
        token = None
        for token in self.lexer.lex(_LexerState(text), position):
            kind = token.type
            while True:
                entry = actions[state_stack[-1]].get(kind)
                if entry is None:
                    raise self._unexpected(token, state_stack[-1], position)
                if entry[0]:
                    state_stack.append(entry[1])
                    value_stack.append(token)
                    position.position = entry[1]
                    break
                _, size, callback, goto = entry
                if size < 0:  # unit rules passing their child through: one look-up for the chain
                    key = (state_stack[-2], state_stack[-1], kind)
                    new_state = units.get(key)
                    if new_state is None:
                        new_state = units[key] = self._unit_chain(*key)
                    state_stack[-1] = new_state
                    position.position = new_state
                    continue
                if size:
                    children = value_stack[-size:]
                    del state_stack[-size:]
                    del value_stack[-size:]
                else:
                    children = []
                value_stack.append(callback(children))
                new_state = actions[state_stack[-1]][goto][1]
                state_stack.append(new_state)
                position.position = new_state
        if token is None:
            end = _Tok("$END", "", 0, 1, 1)
        else:
            end = _Tok("$END", "", token.start_pos, token.line, token.column)  # as Lark does
        while True:
            entry = actions[state_stack[-1]].get("$END")
            if entry is None or entry[0]:
                raise self._unexpected(end, state_stack[-1], position)
            _, size, callback, goto = entry
            if size < 0:
                del state_stack[-1]
                new_state = actions[state_stack[-1]][goto][1]
                state_stack.append(new_state)
                if new_state == end_state:
                    return value_stack[-1]
                continue
            if size:
                children = value_stack[-size:]
                del state_stack[-size:]
                del value_stack[-size:]
            else:
                children = []
            value_stack.append(callback(children))
            new_state = actions[state_stack[-1]][goto][1]
            state_stack.append(new_state)
            if new_state == end_state:
                return value_stack[-1]

    def _unit_chain(self, below: Any, top: Any, kind: str) -> Any:
        """The state on top after every unit reduction `kind` leads to from `top` over `below`."""
        actions = self.actions
        entry = actions[top].get(kind)
        while entry is not None and not entry[0] and entry[1] < 0:
            top = actions[below][entry[3]][1]
            entry = actions[top].get(kind)
        return top

    def _unexpected(self, token: Any, state: Any, position: Any) -> UnexpectedToken:
        expected = {symbol for symbol in self.actions[state] if symbol.isupper()}
        return UnexpectedToken(token, expected, state=position)
