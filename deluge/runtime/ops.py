"""Operators with Deluge's semantics (LANGUAGE.md 4.2 to 4.7).

The compiler calls these helpers for every operator whose operand types it
cannot prove; each starts with the common case (two whole numbers, two texts)
so that the fast path costs one or two type tests. Errors are runtime errors in
Zoho's wording: "Left expression is of type TEXT and right expression is of type
NUMBER and operator - is not valid".
"""

from __future__ import annotations

import math
from typing import Any

from deluge.errors import DelugeRuntimeError
from deluge.runtime.execution import check_text_length
from deluge.runtime.render import render
from deluge.runtime.values import INT_MAX, INT_MIN, Blank, DateTime, DList, DMap, Time, look_through, type_name

# Texts shorter than this are never near any sensible text limit; longer ones are checked.
_CHECK_TEXT_ABOVE = 4096


def mismatch(op: str, left: Any, right: Any) -> DelugeRuntimeError:
    return DelugeRuntimeError(
        f"Left expression is of type {type_name(left)} and right expression is of type "
        f"{type_name(right)} and operator {op} is not valid"
    )


def overflow(value: int) -> DelugeRuntimeError:
    return DelugeRuntimeError(f"The whole number {value} is outside the 64-bit range (overflow)")


def raise_overflow(value: int) -> int:
    raise overflow(value)


def _whole(value: int) -> int:
    if INT_MIN <= value <= INT_MAX:
        return value
    raise overflow(value)


def _decimal(value: float, op: str) -> float:
    if math.isinf(value) or math.isnan(value):
        raise DelugeRuntimeError(f"The result of {op} is too large for a decimal")
    return value


def _numeric(value: Any) -> bool:
    kind = type(value)
    return kind is int or kind is float


# ---------------------------------------------------------------- arithmetic


def add(a: Any, b: Any) -> Any:
    """`a + b`: numbers add; when either side is TEXT the other is rendered and joined."""
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        r = a + b
        if INT_MIN <= r <= INT_MAX:
            return r
        raise overflow(r)
    if ta is str:
        if tb is not str:
            b = render(b)
        if len(a) + len(b) > _CHECK_TEXT_ABOVE:
            check_text_length(len(a) + len(b))
        return a + b
    if tb is str:
        a = render(a)
        if len(a) + len(b) > _CHECK_TEXT_ABOVE:
            check_text_length(len(a) + len(b))
        return a + b
    if (ta is int or ta is float) and (tb is int or tb is float):
        return _decimal(a + b, "+")
    raise mismatch("+", a, b)


def sub(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        r = a - b
        if INT_MIN <= r <= INT_MAX:
            return r
        raise overflow(r)
    if (ta is int or ta is float) and (tb is int or tb is float):
        return _decimal(a - b, "-")
    if ta is DateTime and tb is DateTime:
        delta = a.dt - b.dt
        return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000
    if ta is Time and tb is Time:
        return (a.seconds - b.seconds) * 1000
    raise mismatch("-", a, b)


def mul(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        r = a * b
        if INT_MIN <= r <= INT_MAX:
            return r
        raise overflow(r)
    if (ta is int or ta is float) and (tb is int or tb is float):
        return _decimal(a * b, "*")
    raise mismatch("*", a, b)


def div(a: Any, b: Any) -> Any:
    """`a / b`: two whole numbers divide and truncate toward zero; a decimal makes it decimal."""
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        if b == 0:
            raise DelugeRuntimeError("Division by zero")
        q = abs(a) // abs(b)
        return _whole(q if (a < 0) == (b < 0) else -q)
    if (ta is int or ta is float) and (tb is int or tb is float):
        if b == 0:
            raise DelugeRuntimeError("Division by zero")
        return _decimal(a / b, "/")
    raise mismatch("/", a, b)


def mod(a: Any, b: Any) -> Any:
    """`a % b`: the remainder with the sign of the left operand."""
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        if b == 0:
            raise DelugeRuntimeError("Division by zero (remainder)")
        r = abs(a) % abs(b)
        return -r if a < 0 else r
    if (ta is int or ta is float) and (tb is int or tb is float):
        if b == 0:
            raise DelugeRuntimeError("Division by zero (remainder)")
        return _decimal(math.fmod(a, b), "%")
    raise mismatch("%", a, b)


def neg(a: Any) -> Any:
    ta = type(a)
    if ta is int:
        return _whole(-a)
    if ta is float:
        return -a
    raise DelugeRuntimeError(f"Unary minus is not valid on a value of type {type_name(a)}")


def pos(a: Any) -> Any:
    ta = type(a)
    if ta is int or ta is float:
        return a
    raise DelugeRuntimeError(f"Unary plus is not valid on a value of type {type_name(a)}")


def not_(a: Any) -> bool:
    if type(a) is bool:
        return not a
    raise DelugeRuntimeError(f"Operator ! needs a BOOLEAN, not a value of type {type_name(a)}")


def truth(value: Any, what: str = "condition") -> bool:
    """A condition's value: must be BOOLEAN (LANGUAGE.md 4.5)."""
    if value is True or value is False:
        return value
    raise DelugeRuntimeError(f"The {what} must be a BOOLEAN, not a value of type {type_name(value)}")


def and_operand(value: Any) -> bool:
    return truth(value, "operand of &&")


def or_operand(value: Any) -> bool:
    return truth(value, "operand of ||")


# ---------------------------------------------------------------- equality and order


def eq(a: Any, b: Any) -> bool:
    """Deluge `==`: numbers by value, null equals null and "", different types are unequal."""
    ta, tb = type(a), type(b)
    if ta is tb:
        if ta is str or ta is int or ta is bool or ta is float:
            return a == b  # type: ignore[no-any-return]
        if ta is DList or isinstance(a, list):
            return _list_eq(a, b)
        if ta is DMap:
            return _map_eq(a, b)
        if a is None:
            return True
        if ta is Blank:
            return _blank_eq(a, b)
        return a == b  # type: ignore[no-any-return]
    if a is None:
        return tb is str and b == ""
    if b is None:
        return ta is str and a == ""
    if (ta is int and tb is float) or (ta is float and tb is int):
        return a == b  # type: ignore[no-any-return]
    if isinstance(a, list) and isinstance(b, list):
        return _list_eq(a, b)
    if ta is Blank or tb is Blank:
        return _blank_eq(a, b)
    return False


def ne(a: Any, b: Any) -> bool:
    return not eq(a, b)


def _list_eq(a: list[Any], b: list[Any]) -> bool:
    if not isinstance(b, list) or len(a) != len(b):
        return False
    return all(eq(x, y) for x, y in zip(a, b))


def _map_eq(a: dict[Any, Any], b: dict[Any, Any]) -> bool:
    if not isinstance(b, dict) or len(a) != len(b):
        return False
    for k, v in a.items():
        if k not in b or not eq(v, b[k]):
            return False
    return True


def _blank_eq(a: Any, b: Any) -> bool:
    a, b = look_through(a), look_through(b)
    if type(a) is Blank or type(b) is Blank:
        # an unsettled {} equals an empty list, an empty map or another unsettled {}
        other = b if type(a) is Blank else a
        if type(other) is Blank:
            return other.inner is None or not other.inner
        return isinstance(other, (list, dict)) and not other
    return eq(a, b)


def _order_check(op: str, a: Any, b: Any) -> None:
    ta, tb = type(a), type(b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        return
    if ta is tb and ta in (str, DateTime, Time, bool):
        return
    raise mismatch(op, a, b)


def lt(a: Any, b: Any) -> bool:
    if type(a) is int and type(b) is int:
        return a < b  # type: ignore[no-any-return]
    _order_check("<", a, b)
    return a < b  # type: ignore[no-any-return]


def le(a: Any, b: Any) -> bool:
    if type(a) is int and type(b) is int:
        return a <= b  # type: ignore[no-any-return]
    _order_check("<=", a, b)
    return a <= b  # type: ignore[no-any-return]


def gt(a: Any, b: Any) -> bool:
    if type(a) is int and type(b) is int:
        return a > b  # type: ignore[no-any-return]
    _order_check(">", a, b)
    return a > b  # type: ignore[no-any-return]


def ge(a: Any, b: Any) -> bool:
    if type(a) is int and type(b) is int:
        return a >= b  # type: ignore[no-any-return]
    _order_check(">=", a, b)
    return a >= b  # type: ignore[no-any-return]


def compare(a: Any, b: Any) -> int:
    """-1, 0 or 1 by Deluge ordering (used by sorting); a runtime error for unordered pairs."""
    _order_check("<", a, b)
    return -1 if a < b else (1 if a > b else 0)


BINARY = {"+": add, "-": sub, "*": mul, "/": div, "%": mod, "==": eq, "!=": ne,
          "<": lt, "<=": le, ">": gt, ">=": ge}
