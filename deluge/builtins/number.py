"""NUMBER and DECIMAL functions, list statistics, `randomNumber` and number formatting with `text`.

Spec: text-number-common.md sections 0, 3 and 4 ("text (formatting)" in section 1),
list-map-date-json.md section 1 (average, largest, median, ...), DECISIONS.md D1, D32, D49.

Numeric model (D1): a DECIMAL is a double. The rounding family (`round`, `truncate`,
`frac`) and number patterns work on the shortest decimal representation of the double
(the digits `info` prints, `repr` in Python) and round half up (away from zero on a tie),
so `round(2.675, 2)` is 2.68. Transcendental functions compute in binary floating point.
Whole-number results stay in the signed 64-bit range (overflow is a runtime error) and
decimal results are finite (a result that would be infinite or NaN is a runtime error).

Receivers (D32, D49): every number function has a method form on NUMBER and DECIMAL
receivers ("Number" in the spec means either), whatever receiver its catalog row names;
the statistics work on lists (and index collections), not on other receivers.

Decisions where the spec is silent are written in each function's docstring.
"""

from __future__ import annotations

import decimal as _decimal
import math
import random as _random
import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from deluge.builtins.core import as_int, as_list, as_number, as_text, check_text, wrong_type
from deluge.builtins.registry import function, method
from deluge.errors import DelugeRuntimeError
from deluge.runtime.ops import _whole, eq
from deluge.runtime.values import DateTime, Time, type_name

NUM = ("number", "decimal")

_system_random = _random.SystemRandom()

# Decimal arithmetic on shortest representations: wide enough for any double written out in full
# (at most 309 integer digits, 340 fraction digits) and for the operations below.
_CTX = _decimal.Context(prec=1200, rounding=ROUND_HALF_UP, Emax=999999, Emin=-999999)

_WHOLE_TEXT = re.compile(r"[+-]?[0-9]+")
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")


# ---------------------------------------------------------------- helpers


def _num(value: Any, fname: str, param: str = "the value") -> int | float:
    """A NUMBER or DECIMAL argument (never a boolean, a text or null)."""
    return as_number(value, fname, param)


def _shortest(value: int | float) -> Decimal:
    """The exact value of a whole number, or the shortest decimal form of a double (D1)."""
    if type(value) is int:
        return Decimal(value)
    return Decimal(repr(value))


def _decimal_result(value: float, fname: str) -> float:
    if math.isinf(value) or math.isnan(value):
        raise DelugeRuntimeError(f"{fname}: the result is too large for a decimal")
    return value + 0.0  # turns -0.0 into 0.0


def _to_double(value: Decimal, fname: str) -> float:
    return _decimal_result(float(value), fname)


def _to_whole(value: Decimal) -> int:
    return _whole(int(value))


def _float_arg(value: Any, fname: str) -> float:
    number = _num(value, fname)
    return float(number)


def _math(fname: str, fn: Any, value: Any) -> float:
    x = _float_arg(value, fname)
    try:
        result = fn(x)
    except OverflowError:
        raise DelugeRuntimeError(f"{fname}: the result for {_show(value)} is too large for a decimal") from None
    except ValueError:
        raise DelugeRuntimeError(f"{fname}: {_show(value)} is outside the domain of the function") from None
    return _decimal_result(result, fname)


def _show(value: Any) -> str:
    from deluge.runtime.render import render

    return render(value) if type(value) in (int, float, str, bool) else type_name(value)


# ---------------------------------------------------------------- abs, ceil, floor


@method(NUM, "abs")
@function("abs")
def abs_(ex: Any, value: Any) -> int | float:
    """The absolute value; a NUMBER stays a NUMBER, a DECIMAL stays a DECIMAL (spec choice)."""
    x = _num(value, "abs")
    if type(x) is int:
        return _whole(-x if x < 0 else x)
    return abs(x)


@method(NUM, "ceil")
@function("ceil")
def ceil(ex: Any, value: Any) -> int:
    """The smallest whole number >= the value, as a NUMBER; a NUMBER is returned unchanged (D32)."""
    x = _num(value, "ceil")
    if type(x) is int:
        return x
    return _whole(math.ceil(x))


@method(NUM, "floor")
@function("floor")
def floor(ex: Any, value: Any) -> int:
    """The largest whole number <= the value, as a NUMBER; a NUMBER is returned unchanged (D32)."""
    x = _num(value, "floor")
    if type(x) is int:
        return x
    return _whole(math.floor(x))


# ---------------------------------------------------------------- round, truncate, frac


def _round_to(fname: str, value: Any, places: Any, mode: str) -> int | float:
    """Rounds `value` to `places` fraction digits (negative: tens, hundreds, ...) on its shortest form.

    Result kind (spec, D1 "each keeps its documented result kind"): places > 0 gives a DECIMAL,
    places <= 0 a NUMBER, whatever the kind of the value, so a NUMBER is accepted (D32):
    `5.round(2)` is 5.0 and `5.round(0)` is 5.
    """
    x = _num(value, fname)
    p = as_int(places, fname, "the number of digits")
    if type(x) is int and p >= 0:
        return float(x) if p > 0 else x
    # Beyond these bounds the result no longer depends on p: a double written out in full has at
    # most 340 fraction digits, and every value is below 10**309.
    p = max(-400, min(400, p))
    d = _shortest(x)
    q = d.quantize(Decimal(1).scaleb(-p), rounding=mode, context=_CTX)
    if p > 0:
        return _to_double(q, fname)
    return _to_whole(q)


@method(NUM, "round")
@function("round")
def round_(ex: Any, value: Any, places: Any = 0) -> int | float:
    """Rounds half away from zero on the shortest decimal form (D1): `round(2.675, 2)` is 2.68.

    Precision omitted means 0. Precision > 0 gives a DECIMAL, <= 0 a NUMBER (`218.5.round(0)` is
    219, `214.2.round(-1)` is 210), for a NUMBER too (D32): `5.round(2)` is 5.0 and
    `1250.round(-2)` is 1300.
    A precision given as a DECIMAL is truncated to a whole number [choice].
    """
    return _round_to("round", value, places, ROUND_HALF_UP)


@method(NUM, "truncate")
@function("truncate")
def truncate(ex: Any, value: Any, places: Any) -> int | float:
    """Drops digits toward zero on the shortest decimal form: `25.125432.truncate(2)` is 25.12.

    Same result-kind rule as round: digits > 0 gives a DECIMAL, <= 0 a NUMBER, for a NUMBER too
    (D32): `1299.truncate(2)` is 1299.0, `1299.truncate(-2)` is 1200.
    """
    return _round_to("truncate", value, places, ROUND_DOWN)


@method(NUM, "frac")
@function("frac")
def frac(ex: Any, value: Any) -> float:
    """The fractional part with the sign of the value, from its shortest form: `24.6.frac()` is 0.6.

    A NUMBER gives 0.0 (D32).
    """
    x = _num(value, "frac")
    if type(x) is int:
        return 0.0
    d = _shortest(x)
    whole = d.to_integral_value(rounding=ROUND_DOWN, context=_CTX)
    return _to_double(_CTX.subtract(d, whole), "frac")


# ---------------------------------------------------------------- signum, power, sqrt, exp, log


@method(NUM, "signum")
@function("signum")
def signum(ex: Any, value: Any) -> float:
    """1.0, -1.0 or 0.0 by the sign of the value, always a DECIMAL."""
    x = _num(value, "signum")
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


@method(NUM, "power")
@function("power")
def power(ex: Any, base: Any, exponent: Any) -> int | float:
    """`base` raised to `exponent`.

    NUMBER ^ non-negative NUMBER is a NUMBER (overflow is a runtime error); a DECIMAL operand
    or a negative exponent gives a DECIMAL. `power(0, 0)` is 1 (Java's Math.pow) [choice].
    Zero to a negative power, a negative base with a fractional exponent and a result too
    large for a decimal are runtime errors [choice].
    """
    b = _num(base, "power", "the base")
    e = _num(exponent, "power", "the exponent")
    if type(b) is int and type(e) is int and e >= 0:
        if b in (0, 1):
            return 1 if e == 0 else b
        if b == -1:
            return 1 if e % 2 == 0 else -1
        if e > 64:  # |b| >= 2: 2**64 is already past the 64-bit range
            raise DelugeRuntimeError(f"power: {b} to the power {e} is outside the 64-bit range (overflow)")
        return _whole(b**e)
    try:
        result = math.pow(float(b), float(e))
    except OverflowError:
        raise DelugeRuntimeError(f"power: {_show(b)} to the power {_show(e)} is too large for a decimal") from None
    except ValueError:
        raise DelugeRuntimeError(f"power: {_show(b)} to the power {_show(e)} is not a real number") from None
    return _decimal_result(result, "power")


@method(NUM, "sqrt")
@function("sqrt")
def sqrt(ex: Any, value: Any) -> float:
    """The square root as a DECIMAL; a negative value is a runtime error."""
    return _math("sqrt", math.sqrt, value)


@method(NUM, "exp")
@function("exp")
def exp(ex: Any, value: Any) -> float:
    """e raised to the value, as a DECIMAL; a result too large for a decimal is a runtime error."""
    return _math("exp", math.exp, value)


@method(NUM, "log")
@function("log")
def log(ex: Any, value: Any) -> float:
    """The natural logarithm as a DECIMAL; a value <= 0 is a runtime error."""
    x = _float_arg(value, "log")
    if x <= 0:
        raise DelugeRuntimeError(f"log: the logarithm of {_show(value)} is not defined (the value must be above 0)")
    return _math("log", math.log, value)


# ---------------------------------------------------------------- trigonometry


def _trig(name: str, fn: Any) -> None:
    def impl(ex: Any, value: Any) -> float:
        return _math(name, fn, value)

    impl.__name__ = name
    impl.__doc__ = f"`{name}` of the value in radians, as a DECIMAL; out-of-domain values are runtime errors."
    method(NUM, name)(impl)
    function(name)(impl)


for _name, _fn in (
    ("sin", math.sin), ("cos", math.cos), ("tan", math.tan),
    ("asin", math.asin), ("acos", math.acos), ("atan", math.atan),
    ("sinh", math.sinh), ("cosh", math.cosh), ("tanh", math.tanh),
    ("asinh", math.asinh), ("acosh", math.acosh), ("atanh", math.atanh),
    ("degrees", math.degrees), ("radians", math.radians),
):
    _trig(_name, _fn)


@method(NUM, "atan2")
@function("atan2")
def atan2(ex: Any, y: Any, x: Any) -> float:
    """The angle of the point (x, y), the receiver being y: `1.atan2(2)` is 0.4636476090008061."""
    return _decimal_result(math.atan2(_float_arg(y, "atan2"), _float_arg(x, "atan2")), "atan2")


# ---------------------------------------------------------------- max, min, isEven, isOdd


@method(NUM, "max")
@function("max")
def max_(ex: Any, a: Any, b: Any) -> int | float:
    """The larger value; two NUMBERs give a NUMBER, a DECIMAL on either side gives a DECIMAL."""
    x, y = _num(a, "max"), _num(b, "max")
    result = x if x >= y else y
    return result if type(x) is int and type(y) is int else float(result)


@method(NUM, "min")
@function("min")
def min_(ex: Any, a: Any, b: Any) -> int | float:
    """The smaller value; two NUMBERs give a NUMBER, a DECIMAL on either side gives a DECIMAL."""
    x, y = _num(a, "min"), _num(b, "min")
    result = x if x <= y else y
    return result if type(x) is int and type(y) is int else float(result)


def _whole_value(value: Any, fname: str) -> int:
    x = _num(value, fname)
    if type(x) is int:
        return x
    if not x.is_integer():
        raise DelugeRuntimeError(f"{fname}: {_show(x)} is not a whole number")
    return int(x)


@method(NUM, "isEven")
@function("isEven")
def is_even(ex: Any, value: Any) -> bool:
    """True for even whole numbers (zero included, negatives by their absolute value).

    A DECIMAL with no fraction (4.0) counts as its whole number; any other DECIMAL is a runtime error.
    """
    return _whole_value(value, "isEven") % 2 == 0


@method(NUM, "isOdd")
@function("isOdd")
def is_odd(ex: Any, value: Any) -> bool:
    """True for odd whole numbers; same rules as isEven."""
    return _whole_value(value, "isOdd") % 2 == 1


# ---------------------------------------------------------------- list statistics


def _text_number(text: str) -> int | float | None:
    """The number a numeric text holds ("12", "-3.5", " 7 "), or None."""
    s = text.strip()
    if len(s) > 400 or not _NUMBER_TEXT.fullmatch(s):
        return None
    if _WHOLE_TEXT.fullmatch(s):
        n = int(s)
        if -(2**63) <= n < 2**63:
            return n
    f = float(s)
    return f if math.isfinite(f) else None


def _numbers_of(items: list[Any]) -> list[int | float] | None:
    """The elements as numbers when every one is a NUMBER, a DECIMAL or a numeric text; else None."""
    out: list[int | float] = []
    for x in items:
        kind = type(x)
        if kind is int or kind is float:
            out.append(x)
        elif kind is str:
            n = _text_number(x)
            if n is None:
                return None
            out.append(n)
        else:
            return None
    return out


def _list_arg(ex: Any, value: Any, fname: str) -> list[Any]:
    items = as_list(value, fname, "the list")
    ex.charge_work(len(items) + 1)
    return items


def _numbers(ex: Any, items: list[Any], fname: str) -> list[int | float]:
    nums = _numbers_of(items)
    if nums is None:
        bad = next(x for x in items if _numbers_of([x]) is None)
        raise DelugeRuntimeError(
            f"{fname}: the list must hold only numbers (or numbers written as text); found {type_name(bad)} "
            f"'{_show(bad)}'"
        )
    return nums


def _comparable(ex: Any, items: list[Any], fname: str) -> list[Any]:
    """The values to order: numbers (numeric texts read as numbers), or values of one orderable kind.

    A list mixing kinds that cannot be compared (numbers and words, or null) is a runtime error.
    """
    nums = _numbers_of(items)
    if nums is not None:
        return nums
    kinds = {type(x) for x in items}
    if len(kinds) == 1 and next(iter(kinds)) in (str, DateTime, Time, bool):
        return list(items)
    raise DelugeRuntimeError(f"{fname}: the list mixes values that cannot be compared with each other")


def _sorted(ex: Any, values: list[Any], descending: bool = False) -> list[Any]:
    n = len(values)
    ex.charge_work(n * max(1, n.bit_length()))
    return sorted(values, reverse=descending)


def _mean(values: list[int | float], fname: str) -> float:
    total = Decimal(0)
    for v in values:
        total = _CTX.add(total, _shortest(v))
    return _to_double(_CTX.divide(total, len(values)), fname)


@method("list", "average")
@function("average")
def average(ex: Any, values: Any) -> float | None:
    """The mean of the elements, always a DECIMAL (`{2,4}.average()` is 3.0); empty list gives null.

    Numbers written as text count as numbers; any other element is a runtime error. The sum is
    taken exactly on the shortest decimal forms (D1), so `{0.1, 0.2}.average()` is 0.15 [choice].
    """
    items = _list_arg(ex, values, "average")
    nums = _numbers(ex, items, "average")
    if not nums:
        return None
    return _mean(nums, "average")


@method("list", "largest")
@function("largest")
def largest(ex: Any, values: Any) -> Any:
    """The greatest element, returned as it is (a whole number stays whole); empty list gives null.

    Lists of numbers (numeric texts count as numbers and are returned as numbers [choice]),
    of texts, of dates or of times are ordered by Deluge ordering; mixed kinds are a runtime error.
    """
    items = _list_arg(ex, values, "largest")
    vals = _comparable(ex, items, "largest")
    return max(vals) if vals else None


@method("list", "smallest")
@function("smallest")
def smallest(ex: Any, values: Any) -> Any:
    """The least element; same rules as largest."""
    items = _list_arg(ex, values, "smallest")
    vals = _comparable(ex, items, "smallest")
    return min(vals) if vals else None


@method("list", "median")
@function("median")
def median(ex: Any, values: Any) -> int | float | None:
    """The middle element after sorting ascending (returned as it is) for an odd count; the mean of
    the two middle elements as a DECIMAL for an even count (`{1,5,2,3}.median()` is 2.5).

    Empty list gives null; numeric texts count as numbers; other elements are a runtime error.
    """
    items = _list_arg(ex, values, "median")
    nums = _sorted(ex, _numbers(ex, items, "median"))
    if not nums:
        return None
    half = len(nums) // 2
    if len(nums) % 2:
        return nums[half]
    return _mean([nums[half - 1], nums[half]], "median")


def _nth(ex: Any, values: Any, n: Any, fname: str, descending: bool) -> Any:
    items = _list_arg(ex, values, fname)
    k = as_int(n, fname, "n")
    if k < 1 or k > len(items):
        raise DelugeRuntimeError(
            f"{fname}: n must be between 1 and the size of the list ({len(items)}), not {k}"
        )
    vals = _sorted(ex, _comparable(ex, items, fname), descending)
    return vals[k - 1]


@method("list", "nthLargest")
@function("nthLargest")
def nth_largest(ex: Any, values: Any, n: Any) -> Any:
    """The element at 1-based rank n in descending order; duplicates count separately.

    n below 1 or above the size of the list is a runtime error. Same element rules as largest.
    """
    return _nth(ex, values, n, "nthLargest", True)


@method("list", "nthSmallest")
@function("nthSmallest")
def nth_smallest(ex: Any, values: Any, n: Any) -> Any:
    """The element at 1-based rank n in ascending order; same rules as nthLargest."""
    return _nth(ex, values, n, "nthSmallest", False)


@method("list", "percentile")
def percentile(ex: Any, values: Any, p: Any) -> int | float | None:
    """The p-th percentile by the nearest-rank method: the element at 1-based position
    ceil(p / 100 * size) in ascending order (`{300,455,124,926,780}.percentile(50)` is 455).

    p must be above 0 and at most 100 (Zoho's page), otherwise a runtime error. Empty list gives
    null [choice]; numeric texts count as numbers (returned as numbers); other elements are a
    runtime error.
    """
    items = _list_arg(ex, values, "percentile")
    q = _num(p, "percentile", "the percentile")
    if not 0 < q <= 100:
        raise DelugeRuntimeError(f"percentile: the percentile must be above 0 and at most 100, not {_show(q)}")
    nums = _sorted(ex, _numbers(ex, items, "percentile"))
    if not nums:
        return None
    share = _CTX.divide(_CTX.multiply(_shortest(q), len(nums)), 100)
    position = share.to_integral_value(rounding=_decimal.ROUND_CEILING, context=_CTX)
    index = max(1, min(len(nums), int(position)))
    return nums[index - 1]


@method("list", "rank")
def rank(ex: Any, values: Any, value: Any, order: Any = "desc") -> int:
    """The 1-based position of `value` in the list sorted descending (default) or ascending ("asc").

    Equal elements share the rank of the first of them (1, 2, 2, 4) [choice]. The order text is
    case-insensitive: "asc"/"ascending" or "desc"/"descending"; anything else is a runtime error
    [choice]. A value not in the list, or a list holding anything but numbers (numeric texts
    count as numbers), is a runtime error.
    """
    items = _list_arg(ex, values, "rank")
    target = _num(value, "rank", "the value")
    word = as_text(order, "rank", "the sort order").strip().lower()
    if word in ("asc", "ascending"):
        descending = False
    elif word in ("desc", "descending"):
        descending = True
    else:
        raise DelugeRuntimeError(f"rank: the sort order must be \"asc\" or \"desc\", not \"{order}\"")
    nums = _sorted(ex, _numbers(ex, items, "rank"), descending)
    for position, x in enumerate(nums, 1):
        if eq(x, target):
            return position
    raise DelugeRuntimeError(f"rank: {_show(target)} is not in the list")


# ---------------------------------------------------------------- randomNumber


@function("randomNumber")
def random_number(ex: Any, start: Any, end: Any) -> int | float:
    """A random value in [start, end): start included, end excluded.

    Two NUMBER bounds give a whole NUMBER; a DECIMAL bound gives a uniformly drawn DECIMAL.
    `start >= end` is a runtime error. Drawn from the operating system's generator
    (`random.SystemRandom`), or from `ex.rng` when the host provides a seeded `random.Random`
    there for reproducible tests.
    """
    a = _num(start, "randomNumber", "start")
    b = _num(end, "randomNumber", "end")
    if a >= b:
        raise DelugeRuntimeError(
            f"randomNumber: start ({_show(a)}) must be below end ({_show(b)})"
        )
    rng = getattr(ex, "rng", None) or _system_random
    if type(a) is int and type(b) is int:
        return rng.randrange(a, b)  # type: ignore[no-any-return]
    lo, hi = float(a), float(b)
    u = rng.random()
    r = lo * (1.0 - u) + hi * u  # never overflows, unlike lo + u * (hi - lo)
    if r >= hi:
        r = math.nextafter(hi, -math.inf)
    if r < lo:
        r = lo
    return r + 0.0


# ---------------------------------------------------------------- text(): number patterns

_MAX_DIGITS = 2**31 - 1


class _Pattern:
    """A parsed Java DecimalFormat pattern."""

    __slots__ = (
        "always_point",
        "exponent",
        "grouping",
        "max_frac",
        "max_int",
        "min_exp",
        "min_frac",
        "min_int",
        "multiplier",
        "neg_prefix",
        "neg_suffix",
        "pos_prefix",
        "pos_suffix",
    )

    def __init__(self) -> None:
        self.pos_prefix = self.pos_suffix = self.neg_suffix = ""
        self.neg_prefix = "-"
        self.multiplier = 1
        self.min_int, self.max_int = 0, _MAX_DIGITS
        self.min_frac, self.max_frac = 0, 340
        self.grouping = 0
        self.always_point = False
        self.exponent = False
        self.min_exp = 0


def _bad_pattern(pattern: str, why: str) -> DelugeRuntimeError:
    return DelugeRuntimeError(f"text: the number pattern \"{pattern}\" is not valid ({why})")


def _parse_pattern(pattern: str) -> _Pattern:
    """Parses a pattern the way java.text.DecimalFormat.applyPattern does (US symbols).

    Special characters: 0 # , . E ; % \u2030 \u00a4 and ' for quoting ('' is a quote). The
    currency sign prints "$" ("USD" when doubled) [choice: US locale].
    """
    result = _Pattern()
    if pattern == "":
        result.grouping = 3  # Java keeps its default grouping for the empty pattern
        return result
    n = len(pattern)
    start = 0
    got_negative = False
    neg_prefix = neg_suffix = ""
    j = 1
    while j >= 0 and start < n:
        in_quote = False
        prefix: list[str] = []
        suffix: list[str] = []
        affix = prefix
        decimal_pos = -1
        multiplier = 1
        digit_left = zero_count = digit_right = 0
        grouping_count = -1
        use_exp = False
        min_exp = 0
        phase = 0
        pos = start
        next_start = start  # without a ";" Java reads the whole pattern again as the negative one
        while pos < n:
            ch = pattern[pos]
            if phase != 1:
                if in_quote:
                    if ch == "'":
                        if pos + 1 < n and pattern[pos + 1] == "'":
                            affix.append("'")
                            pos += 1
                        else:
                            in_quote = False
                    else:
                        affix.append(ch)
                    pos += 1
                    continue
                if ch in "#0,.":
                    phase = 1  # as in Java, digits after a suffix join the number part
                    continue
                if ch == "\u00a4":
                    doubled = pos + 1 < n and pattern[pos + 1] == "\u00a4"
                    affix.append("USD" if doubled else "$")
                    pos += 2 if doubled else 1
                    continue
                if ch == "'":
                    if pos + 1 < n and pattern[pos + 1] == "'":
                        affix.append("'")
                        pos += 2
                    else:
                        in_quote = True
                        pos += 1
                    continue
                if ch == ";":
                    if phase == 0 or j == 0:
                        raise _bad_pattern(pattern, "misplaced ';'")
                    next_start = pos + 1
                    break
                if ch in "%\u2030":
                    if multiplier != 1:
                        raise _bad_pattern(pattern, "too many percent or per-mille signs")
                    multiplier = 100 if ch == "%" else 1000
                affix.append(ch)
                pos += 1
                continue
            # phase 1: the number part
            if j == 0:
                # The negative subpattern only gives a prefix and a suffix.
                while pos < n and pattern[pos] in "#0,.E":
                    pos += 1
                phase = 2
                affix = suffix
                continue
            if ch == "#":
                if zero_count > 0:
                    digit_right += 1
                else:
                    digit_left += 1
                if grouping_count >= 0 and decimal_pos < 0:
                    grouping_count += 1
            elif ch == "0":
                if digit_right > 0:
                    raise _bad_pattern(pattern, "'0' after '#' in the fraction")
                zero_count += 1
                if grouping_count >= 0 and decimal_pos < 0:
                    grouping_count += 1
            elif ch == ",":
                grouping_count = 0
            elif ch == ".":
                if decimal_pos >= 0:
                    raise _bad_pattern(pattern, "more than one decimal point")
                decimal_pos = digit_left + zero_count + digit_right
            elif ch == "E":
                if use_exp:
                    raise _bad_pattern(pattern, "more than one exponent")
                use_exp = True
                pos += 1
                while pos < n and pattern[pos] == "0":
                    min_exp += 1
                    pos += 1
                if digit_left + zero_count < 1 or min_exp < 1:
                    raise _bad_pattern(pattern, "malformed exponent")
                phase = 2
                affix = suffix
                continue
            else:
                phase = 2
                affix = suffix
                continue
            pos += 1

        if zero_count == 0 and digit_left > 0 and decimal_pos >= 0:
            # "##.###" reads as "#0.###", ".###" as ".0##"
            k = decimal_pos if decimal_pos > 0 else 1
            digit_right = digit_left - k
            digit_left = k - 1
            zero_count = 1
        if ((decimal_pos < 0 and digit_right > 0)
                or (decimal_pos >= 0 and (decimal_pos < digit_left or decimal_pos > digit_left + zero_count))
                or grouping_count == 0 or in_quote):
            raise _bad_pattern(pattern, "malformed")

        if j == 1:
            result.pos_prefix = "".join(prefix)
            result.pos_suffix = "".join(suffix)
            total = digit_left + zero_count + digit_right
            effective_point = decimal_pos if decimal_pos >= 0 else total
            result.min_int = effective_point - digit_left
            result.max_int = digit_left + result.min_int if use_exp else _MAX_DIGITS
            result.max_frac = total - decimal_pos if decimal_pos >= 0 else 0
            result.min_frac = digit_left + zero_count - decimal_pos if decimal_pos >= 0 else 0
            result.grouping = grouping_count if grouping_count > 0 else 0
            result.multiplier = multiplier
            result.always_point = decimal_pos == 0 or decimal_pos == total
            result.exponent = use_exp
            result.min_exp = min_exp
        else:
            neg_prefix, neg_suffix = "".join(prefix), "".join(suffix)
            got_negative = True
        start = next_start
        j -= 1

    if not got_negative or (neg_prefix == result.pos_prefix and neg_suffix == result.pos_suffix):
        result.neg_prefix = "-" + result.pos_prefix
        result.neg_suffix = result.pos_suffix
    else:
        result.neg_prefix, result.neg_suffix = neg_prefix, neg_suffix
    return result


def _digits(value: Decimal) -> tuple[str, int]:
    """Significant digits of a non-negative value (no leading or trailing zeros) and the position
    of the decimal point relative to them: 123.45 -> ("12345", 3), 0.05 -> ("5", -1), 0 -> ("", 0)."""
    _sign, digit_tuple, exp = value.as_tuple()
    text = "".join(map(str, digit_tuple)).lstrip("0")
    if not text:
        return "", 0
    point = len(text) + int(exp)
    return text.rstrip("0"), point


def _round_digits(digits: str, point: int, keep: int) -> tuple[str, int]:
    """Rounds a digit string half up, keeping `keep` leading digits."""
    if len(digits) <= keep:
        return digits, point
    if keep < 0:
        return "", 0
    up = digits[keep] >= "5"
    kept = digits[:keep]
    if up:
        stripped = kept.rstrip("9")
        if not stripped:
            return "1", point + 1
        kept = stripped[:-1] + chr(ord(stripped[-1]) + 1)
    kept = kept.rstrip("0")
    return (kept, point) if kept else ("", 0)


def _format_number(ex: Any, value: Decimal, pattern: str) -> str:
    """Formats an exact decimal value with a DecimalFormat pattern, rounding half up (D1)."""
    ex.charge_work(1 + len(pattern) // 64)
    p = _parse_pattern(pattern)
    negative = value < 0
    magnitude = value.copy_abs()
    if p.multiplier != 1:  # exact: a shift of the exponent by 2 (percent) or 3 (per mille)
        _sign, digit_tuple, exp = magnitude.as_tuple()
        magnitude = Decimal((0, digit_tuple, int(exp) + (2 if p.multiplier == 100 else 3)))
    digits, point = _digits(magnitude)
    if p.exponent:
        body = _format_exponent(ex, p, digits, point)
    else:
        body = _format_fixed(ex, p, digits, point)
    if negative and any(c in "123456789" for c in body):
        prefix, suffix = p.neg_prefix, p.neg_suffix
    else:  # a value that rounds to zero prints without a minus sign [choice]
        prefix, suffix = p.pos_prefix, p.pos_suffix
    check_text(ex, len(prefix) + len(body) + len(suffix))
    return prefix + body + suffix


def _format_fixed(ex: Any, p: _Pattern, digits: str, point: int) -> str:
    digits, point = _round_digits(digits, point, point + p.max_frac)
    int_count = max(p.min_int, point if point > 0 else 0)
    groups = (int_count - 1) // p.grouping if p.grouping and int_count > 0 else 0
    frac_digits = max(0, len(digits) - point)  # digits after the point, leading zeros included
    frac_count = max(p.min_frac, frac_digits)
    fraction_present = frac_count > 0
    point_shown = p.always_point or fraction_present
    length = int_count + groups + (0 if int_count or fraction_present else 1) + point_shown + frac_count
    check_text(ex, length + len(p.pos_prefix) + len(p.pos_suffix))
    ex.charge_work(1 + length // 64)

    # integer part: the digits before the point, zero-padded on both sides as needed
    if point > 0:
        whole = digits[:point].ljust(point, "0")
    else:
        whole = ""
    whole = whole.rjust(int_count, "0")
    if p.grouping and len(whole) > p.grouping:
        g = p.grouping
        head = len(whole) % g or g
        parts = [whole[:head]] + [whole[i:i + g] for i in range(head, len(whole), g)]
        whole = ",".join(parts)
    out = [whole]
    if not int_count and not fraction_present:
        out.append("0")
    if point_shown:
        out.append(".")
    if frac_count:
        if point >= 0:
            frac = digits[point:]
        else:
            frac = "0" * (-point) + digits
        out.append(frac.ljust(frac_count, "0"))
    return "".join(out)


def _format_exponent(ex: Any, p: _Pattern, digits: str, point: int) -> str:
    digits, point = _round_digits(digits, point, p.max_int + p.max_frac)
    is_zero = not digits
    exponent = point
    repeat = p.max_int
    min_int = p.min_int
    if repeat > 1 and repeat > p.min_int:
        # engineering notation: the exponent is a multiple of the maximum integer digits
        if exponent >= 1:
            exponent = ((exponent - 1) // repeat) * repeat
        else:
            exponent = -((-(exponent - repeat)) // repeat) * repeat
        min_int = 1
    else:
        exponent -= min_int
    minimum_digits = p.min_int + p.min_frac
    integer_digits = min_int if is_zero else point - exponent
    minimum_digits = max(minimum_digits, integer_digits)
    total = max(len(digits), minimum_digits)
    check_text(ex, total + 30 + p.min_exp + len(p.pos_prefix) + len(p.pos_suffix))
    ex.charge_work(1 + total // 64)
    mantissa = digits.ljust(total, "0")
    out = []
    if integer_digits > 0:
        out.append(mantissa[:integer_digits])
    if integer_digits < total:
        out.append(".")
        out.append(mantissa[max(integer_digits, 0):])
    elif p.always_point:
        out.append(".")
    out.append("E")
    if is_zero:
        exponent = 0
    if exponent < 0:
        out.append("-")
    out.append(str(abs(exponent)).rjust(p.min_exp, "0"))
    return "".join(out)


def _number_text_value(text: str) -> Decimal | None:
    s = text.strip()
    if not s or not _NUMBER_TEXT.fullmatch(s):
        return None
    return Decimal(s)


@method(("number", "decimal", "text", "date", "datetime", "time"), "text")
@function("text")
def text_format(ex: Any, value: Any, pattern: Any) -> Any:
    """Formats a value with a pattern: `2434.text("000000000")` is "000002434".

    NUMBER, DECIMAL and text holding a number use a Java DecimalFormat pattern (grouping, fixed
    and optional digits, percent, per mille, exponent, quoted literals, a negative subpattern
    after ';'), rounding half up on the shortest decimal form (D1): `2.675.text("0.00")` is "2.68".
    Numeric text is read exactly as written (surrounding spaces ignored) [choice]. A value that
    rounds to zero prints without a minus sign (Java would print "-0") [choice]. An invalid
    pattern is a runtime error. Dates, date-times and text holding a date use a SimpleDateFormat
    pattern (the date helpers' `format_value`; a TIME is taken on the run's current date).
    The pattern is required ("No. of arguments mismatches" otherwise); any other value is a
    runtime error.
    """
    if type(pattern) is not str:
        raise wrong_type("text", "the format", "a TEXT", pattern)
    kind = type(value)
    if kind is int or kind is float:
        return _format_number(ex, _shortest(value), pattern)
    if kind is str:
        ex.charge_work(1 + len(value) // 64)
        number = _number_text_value(value)
        if number is not None:
            return _format_number(ex, number, pattern)
        from deluge.builtins import dates

        try:
            dates.text_to_datetime(value.strip(), ex.now().year)
        except DelugeRuntimeError:
            shown = value if len(value) <= 40 else value[:40] + "..."
            raise DelugeRuntimeError(f"text: '{shown}' holds neither a number nor a date") from None
        return dates.format_value(ex, value.strip(), pattern)
    if kind is DateTime or kind is Time:
        from deluge.builtins import dates

        return dates.format_value(ex, value, pattern)
    raise DelugeRuntimeError(f"text: a value of type {type_name(value)} cannot be formatted with a pattern")

