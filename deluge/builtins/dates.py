"""Dates, date-times and times (list-map-date-json.md section 4; LANGUAGE.md 3.6, 3.7, 4.6).

Values: a `DateTime` is a wall-clock date-time read in the run's configured zone
(`ex.timezone`, UTC unless the host sets another; the machine's zone is never
used, 0.6); its `date_only` flag only changes rendering. A `Time` is a time of day.

Rules applied throughout (each a ruling or a [choice] of the spec):

- Every add/sub unit function (days ... seconds, business days) returns a
  DATE-TIME, a date-only input being read at 00:00:00 (D4, D34); functions that
  pick a day (edate, eomonth, workday, toStartOfMonth/Week on a date,
  nextWeekDay, previousWeekDay) return dates.
- A TEXT receiver or argument that parses as a date-time (the literal layouts of
  LANGUAGE.md 3.6 plus ISO-8601, an ISO offset converting the instant into the
  configured zone) is accepted wherever a date is (4.1, D32); other text is a
  runtime error, except for the getters, which return null for the malformed
  shapes Zoho's getDay page lists (4.3).
- Two-digit years pivot on the run's clock (D51).
- Results outside years 1 to 9999 are runtime errors (LANGUAGE.md 3.6).

Decisions where the spec is silent (also listed in the helper's report):

- A count may be a NUMBER, a DECIMAL (truncated toward zero) or a numeric TEXT
  (`"2.5"` -> 2); anything else, null included, is a runtime error.
- monthsDiff / totalMonths / yearsDiff / totalYears compare calendar dates only
  (the time of day is ignored), as daysBetween does.
- Weekend lists may also be given as a single day-name TEXT; an empty list means
  no weekend; a list naming all seven days is a runtime error (no working day).
  Holidays may be dates or date texts; null means none.
- toTime / toDateTime of a text holding only a time (`"13:30:00"`) give that
  time on the run's current date.
- A mapping reads out-of-range time parts with the text rules of 4.1 (hour 24 or
  more resets the time); an impossible month or day is a runtime error.
  Day names (`E`) in a mapping must be day names but do not move the date.
- toString of a TIME with a format uses the run's current date for date letters
  and for the zone conversion; `toString(null, zone)` writes the printed layout
  in that zone.
- isDate is false for a TIME value and for a text holding only a time.
- A null or empty time-zone argument means the configured zone; zone IDs match
  ignoring case; Java's three-letter IDs (IST, PST, ...) are understood.
- A text holding only a time is accepted as a TIME by the hour/minute/second
  functions (`"10:30:00".getHour()` is 10).
"""

from __future__ import annotations

import bisect
import calendar
import datetime as _dt
import re
from typing import Any

from deluge.builtins.datefmt import (
    DAY_NAMES,
    EPOCH,
    UTC,
    MappingError,
    PatternError,
    Zone,
    format_datetime,
    parse_mapping,
    resolve_zone,
    week_fields,
)
from deluge.builtins.registry import function, method
from deluge.errors import DelugeRuntimeError
from deluge.runtime.render import render
from deluge.runtime.values import Blank, DateTime, DList, Time, type_name
from deluge.syntax.datetext import (
    DateParts,
    DateTextError,
    iso_offset_minutes,
    pivot_year,
    recognise_date,
    recognise_time,
)

_MAX_ORDINAL = _dt.date(9999, 12, 31).toordinal()
_MAX_TEXT = 200
"""Texts longer than this are never dates (no layout is that long); they are not scanned."""
_MS = _dt.timedelta(milliseconds=1)

DATE_KINDS = ("date", "datetime", "text")
CLOCK_KINDS = ("date", "datetime", "text", "time")


# ================================================================ zones and the clock


def configured_zone(ex: Any) -> Zone:
    """The application zone of the run (0.6): `ex.timezone`, UTC by default."""
    return resolve_zone(getattr(ex, "timezone", None) or "UTC")


def _zone_arg(ex: Any, tz: Any, fname: str) -> Zone:
    """A time-zone argument; null or "" mean the configured zone, unknown names GMT (4.6)."""
    if tz is None or tz == "":
        return configured_zone(ex)
    if type(tz) is not str:
        raise DelugeRuntimeError(f"{fname}: the time zone must be a TEXT such as \"Asia/Kolkata\", "
                                 f"not {type_name(tz)}")
    return resolve_zone(tz)


def _aware(wall: _dt.datetime, zone: Zone) -> _dt.datetime:
    return wall.replace(tzinfo=zone.tz)


def _range_error(fname: str) -> DelugeRuntimeError:
    return DelugeRuntimeError(f"{fname}: the resulting date is outside the years 1 to 9999")


def wall_to_epoch_ms(wall: _dt.datetime, zone: Zone) -> int:
    """Milliseconds since 1970-01-01T00:00:00Z of a wall-clock time read in `zone`."""
    try:
        return (_aware(wall, zone) - EPOCH) // _MS
    except (OverflowError, ValueError):
        raise _range_error("toLong") from None


def epoch_ms_to_wall(ms: int, zone: Zone, fname: str) -> _dt.datetime:
    """The wall-clock time (naive, milliseconds kept) in `zone` of epoch milliseconds."""
    try:
        return (EPOCH + _dt.timedelta(milliseconds=ms)).astimezone(zone.tz).replace(tzinfo=None)
    except (OverflowError, ValueError):
        raise DelugeRuntimeError(f"{fname}: {ms} milliseconds is outside the years 1 to 9999") from None


def convert_wall(wall: _dt.datetime, source: Zone, target: Zone, fname: str) -> _dt.datetime:
    """A wall-clock time in `source` as the wall-clock time in `target` (naive)."""
    if source.tz is target.tz:
        return wall
    try:
        return _aware(wall, source).astimezone(target.tz).replace(tzinfo=None)
    except (OverflowError, ValueError):
        raise _range_error(fname) from None


def _now_year(ex: Any) -> int:
    if ex is not None:
        return ex.now().year  # type: ignore[no-any-return]
    return _dt.datetime.now(UTC).year


def _current_ex() -> Any:
    from deluge.runtime.execution import current

    return current()


# ================================================================ reading text


_ISO = re.compile(
    r"\s*(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})[Tt ](?P<h>\d{1,2}):(?P<mi>\d{2})"
    r"(?::(?P<s>\d{2})(?:\.\d+)?)?(?P<tz>[Zz]|[+-]\d{2}:?\d{2})?\s*"
)


def recognise(text: str) -> DateParts | None:
    """`recognise_date(text, strict=False, iso=True)`, with the ISO-8601 branch done here
    (datetext's ISO branch reads a 12-hour marker group its ISO pattern does not have)."""
    m = _ISO.fullmatch(text)
    if m is None:
        return recognise_date(text, strict=False, iso=False)
    year, month, day = int(m.group("y")), int(m.group("mo")), int(m.group("d"))
    if not 1 <= year <= 9999 or not 1 <= month <= 12:
        raise DateTextError(f"month {month} does not exist" if 1 <= year <= 9999
                            else f"year {year} is outside 1 to 9999")
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise DateTextError(f"day {day} does not exist in month {month}")
    hour, minute, second = _time_parts(int(m.group("h")), int(m.group("mi")), int(m.group("s") or 0))
    return DateParts(year, month, day, hour, minute, second, True, False)


class _Read:
    """A date text as read: the wall time, whether it had a time part, its ISO offset."""

    __slots__ = ("has_time", "offset", "wall")

    def __init__(self, wall: _dt.datetime, has_time: bool, offset: int | None) -> None:
        self.wall = wall
        self.has_time = has_time
        self.offset = offset


def _read_text(ex: Any, text: str, fname: str, *, time_only: bool = False, now_year: int | None = None) -> _Read:
    """Reads a text in a layout of 4.1 (ISO-8601 included); a runtime error otherwise."""
    if len(text) > _MAX_TEXT:
        raise DelugeRuntimeError(f"{fname}: the text is not a date-time in a known layout")
    try:
        parts = recognise(text)
    except DateTextError as exc:
        raise DelugeRuntimeError(f"{fname}: '{text}' is not a valid date ({exc})") from None
    if parts is None:
        if time_only:
            try:
                clock = recognise_time(text)
            except DateTextError as exc:
                raise DelugeRuntimeError(f"{fname}: '{text}' is not a valid time ({exc})") from None
            if clock is not None:
                today = ex.now() if ex is not None else _dt.datetime.now(UTC)
                wall = _dt.datetime(today.year, today.month, today.day, clock.hour, clock.minute, clock.second)
                return _Read(wall, True, None)
        raise DelugeRuntimeError(f"{fname}: '{text}' is not a date-time in a known layout")
    year = parts.year
    if parts.two_digit_year:
        year = pivot_year(year, now_year if now_year is not None else _now_year(ex))
    try:
        wall = _dt.datetime(year, parts.month, parts.day, parts.hour, parts.minute, parts.second)
    except ValueError as exc:
        raise DelugeRuntimeError(f"{fname}: '{text}' is not a valid date ({exc})") from None
    return _Read(wall, parts.has_time, iso_offset_minutes(text))


def _instant_in(read: _Read, zone: Zone, target: Zone, fname: str) -> _dt.datetime:
    """The wall time in `target` of a read text whose wall time is in `zone` (or at its ISO offset)."""
    if read.offset is not None:
        source = Zone(_dt.timezone(_dt.timedelta(minutes=read.offset)), "offset")
        return convert_wall(read.wall, source, target, fname)
    return convert_wall(read.wall, zone, target, fname)


def parse_text(ex: Any, text: str, fname: str, *, time_only: bool = False) -> DateTime:
    """A DATE-TIME from a text (4.1): date-only without a time part; an ISO offset converts
    the instant into the configured zone. Runtime error for text that is not a date."""
    read = _read_text(ex, text, fname, time_only=time_only)
    zone = configured_zone(ex)
    wall = _instant_in(read, zone, zone, fname)
    return DateTime(wall, date_only=not read.has_time)


def text_to_datetime(text: str, now_year: int | None = None) -> DateTime:
    """A date-time from text in any layout of 4.1 (ISO-8601 included); runtime error otherwise.

    Kept for other modules (typed-list conversion): it uses the running execution for
    the clock and the zone when there is one.
    """
    ex = _current_ex()
    read = _read_text(ex, text, "toDate", now_year=now_year)
    zone = configured_zone(ex)
    return DateTime(_instant_in(read, zone, zone, "toDate"), date_only=not read.has_time)


_GETTER_TIME = re.compile(r"(\d+):(\d+)(?::(\d+))?")
_WORDY = re.compile(r"\s*(?:[A-Za-z]+\s*,\s*)?(?:(\d+)[-\s/.,]+([A-Za-z]+)|([A-Za-z]+)[-\s/.,]+(\d+))[-\s/.,]+(\d+)")
_NUMERIC = re.compile(r"\s*(\d+)([-/.])(\d+)\2(\d+)")


def _getter_null_shape(text: str) -> bool:
    """True for the malformed date texts for which Zoho's getters return null (4.3): a month
    name shorter than three letters, a time part of more than two digits, a day of more
    than two digits, a year of more than four digits."""
    for m in _GETTER_TIME.finditer(text):
        if any(part is not None and len(part) > 2 for part in m.groups()):
            return True
    m = _WORDY.match(text)
    if m is not None:
        day = m.group(1) or m.group(4)
        word = m.group(2) or m.group(3)
        year = m.group(5)
        return len(word) < 3 or len(day) > 2 or len(year) > 4
    m = _NUMERIC.match(text)
    if m is not None:
        a, b, c = m.group(1), m.group(3), m.group(4)
        if max(len(a), len(b), len(c)) > 4:
            return True
        if len(a) == 4:
            return len(c) > 2
        return len(a) > 2 or len(b) > 2
    return False


# ================================================================ arguments


def _date_arg(ex: Any, value: Any, fname: str, *, allow_time: bool = False) -> Any:
    """A DATE-TIME argument (TEXT is parsed, 4.1); a TIME too when `allow_time`."""
    kind = type(value)
    if kind is DateTime:
        return value
    if kind is str:
        if allow_time and len(value) <= _MAX_TEXT:
            clock = _time_text(value, fname)
            if clock is not None:
                return clock
        return parse_text(ex, value, fname)
    if kind is Time and allow_time:
        return value
    wanted = "a DATE-TIME or a TIME" if allow_time else "a DATE-TIME"
    raise DelugeRuntimeError(f"The function '{fname}' needs {wanted}, not a value of type {type_name(value)}")


def _time_text(text: str, fname: str) -> Time | None:
    """A TIME from a text holding only a time of day (`"10:30:00"`, `"1:30:00 pm"`), else None."""
    try:
        clock = recognise_time(text)
    except DateTextError as exc:
        raise DelugeRuntimeError(f"{fname}: '{text}' is not a valid time ({exc})") from None
    if clock is None:
        return None
    return Time(clock.hour * 3600 + clock.minute * 60 + clock.second)


def _getter_arg(ex: Any, value: Any, fname: str, *, allow_time: bool = False) -> Any:
    """As `_date_arg`, but None (Deluge null) for the malformed texts of 4.3."""
    if type(value) is str:
        try:
            return _date_arg(ex, value, fname, allow_time=allow_time)
        except DelugeRuntimeError:
            if len(value) <= _MAX_TEXT and _getter_null_shape(value):
                return None
            raise
    return _date_arg(ex, value, fname, allow_time=allow_time)


_NUMERIC_TEXT = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*")


def _count(value: Any, fname: str, param: str = "count") -> int:
    """A whole count: NUMBER, DECIMAL truncated toward zero, or numeric TEXT (4.2)."""
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is float:
        return int(value)
    if kind is str and len(value) <= 40 and _NUMERIC_TEXT.fullmatch(value):
        text = value.strip()
        return int(float(text)) if "." in text else int(text)
    raise DelugeRuntimeError(f"The function '{fname}' needs a NUMBER for {param}, not {type_name(value)}")


def _text_arg(value: Any, fname: str, param: str) -> str:
    if type(value) is str:
        return value  # type: ignore[no-any-return]
    raise DelugeRuntimeError(f"The function '{fname}' needs a TEXT for {param}, not {type_name(value)}")


def _clamp_day(year: int, month: int, day: int) -> int:
    return min(day, calendar.monthrange(year, month)[1])


def _add_months(wall: _dt.datetime, months: int, fname: str) -> _dt.datetime:
    total = wall.year * 12 + wall.month - 1 + months
    year, month0 = divmod(total, 12)
    if not 1 <= year <= 9999:
        raise _range_error(fname)
    return wall.replace(year=year, month=month0 + 1, day=_clamp_day(year, month0 + 1, wall.day))


def _midnight(wall: _dt.datetime) -> _dt.datetime:
    return _dt.datetime(wall.year, wall.month, wall.day)


def _as_date(wall: _dt.datetime) -> DateTime:
    return DateTime(_midnight(wall), date_only=True)


# ================================================================ 4.2 adding and subtracting

_UNIT_SECONDS = {"day": 86400, "week": 7 * 86400, "hour": 3600, "minute": 60, "second": 1}


def _shift(ex: Any, fname: str, value: Any, count: Any, unit: str, sign: int) -> Any:
    clock_unit = unit in ("hour", "minute", "second")
    target = _date_arg(ex, value, fname, allow_time=clock_unit)
    n = _count(count, fname) * sign
    if type(target) is Time:
        return Time((target.seconds + n * _UNIT_SECONDS[unit]) % 86400)
    wall = target.dt
    try:
        if unit == "month":
            result = _add_months(wall, n, fname)
        elif unit == "year":
            result = _add_months(wall, n * 12, fname)
        else:
            result = wall + _dt.timedelta(seconds=n * _UNIT_SECONDS[unit])
    except (OverflowError, ValueError):
        raise _range_error(fname) from None
    return DateTime(result, date_only=False)


def _register_shift(add_name: str, sub_name: str, unit: str) -> None:
    kinds = CLOCK_KINDS if unit in ("hour", "minute", "second") else DATE_KINDS

    def add(ex: Any, value: Any, count: Any) -> Any:
        return _shift(ex, add_name, value, count, unit, 1)

    def sub(ex: Any, value: Any, count: Any) -> Any:
        return _shift(ex, sub_name, value, count, unit, -1)

    add.__doc__ = f"`d.{add_name}(n)` / `{add_name}(d, n)`: n {unit}s later, always a DATE-TIME (D4)."
    sub.__doc__ = f"`d.{sub_name}(n)` / `{sub_name}(d, n)`: n {unit}s earlier, always a DATE-TIME (D4)."
    method(kinds, add_name)(add)
    function(add_name)(add)
    method(kinds, sub_name)(sub)
    function(sub_name)(sub)


for _add, _sub, _unit in (
    ("addDay", "subDay", "day"),
    ("addWeek", "subWeek", "week"),
    ("addMonth", "subMonth", "month"),
    ("addYear", "subYear", "year"),
    ("addHour", "subHour", "hour"),
    ("addMinutes", "subMinutes", "minute"),
    ("addSeconds", "subSeconds", "second"),
):
    _register_shift(_add, _sub, _unit)


# ---------------------------------------------------------------- business days

_DAY_INDEX = {name.lower(): i for i, name in enumerate(DAY_NAMES)}
_DAY_INDEX.update({name[:3].lower(): i for i, name in enumerate(DAY_NAMES)})
_DAY_INDEX.update({"tues": 1, "wednes": 2, "thur": 3, "thurs": 3})


def _day_index(value: Any, fname: str) -> int:
    """Python weekday (Monday = 0) of an English day name, any case, three letters allowed."""
    if type(value) is str:
        index = _DAY_INDEX.get(value.strip().lower())
        if index is not None:
            return index
        raise DelugeRuntimeError(f"{fname}: '{value}' is not a day name (use Monday ... Sunday)")
    raise DelugeRuntimeError(f"{fname}: a day name must be a TEXT such as \"Sunday\", not {type_name(value)}")


def _weekends(value: Any, fname: str) -> frozenset[int]:
    if value is None:
        return frozenset((5, 6))
    if type(value) is Blank:
        value = value.inner if value.inner is not None else []
    if type(value) is str:
        days = frozenset((_day_index(value, fname),))
    elif isinstance(value, list):
        days = frozenset(_day_index(item, fname) for item in value)
    else:
        raise DelugeRuntimeError(f"{fname}: the weekends must be a LIST of day names, not {type_name(value)}")
    if len(days) == 7:
        raise DelugeRuntimeError(f"{fname}: every day of the week is a weekend, so no day is a working day")
    return days


def _holidays(ex: Any, value: Any, fname: str, weekends: frozenset[int]) -> list[int]:
    """Sorted ordinals of the holidays that fall on working days."""
    if value is None:
        return []
    if type(value) is Blank:
        value = value.inner if value.inner is not None else []
    if type(value) is DateTime or type(value) is str:
        value = [value]
    if not isinstance(value, list):
        raise DelugeRuntimeError(f"{fname}: the holidays must be a LIST of dates, not {type_name(value)}")
    ex.charge_work(len(value))
    days = set()
    for item in value:
        if type(item) is not DateTime and type(item) is not str:
            raise DelugeRuntimeError(f"{fname}: a holiday must be a date, not {type_name(item)}")
        ordinal = _date_arg(ex, item, fname).dt.toordinal()
        if _weekday(ordinal) not in weekends:
            days.add(ordinal)
    return sorted(days)


def _weekday(ordinal: int) -> int:
    return (ordinal + 6) % 7


def _working_between(lo: int, hi: int, weekends: frozenset[int], holidays: list[int]) -> int:
    """Working days among the ordinals lo..hi (both included)."""
    if hi < lo:
        return 0
    total = hi - lo + 1
    weeks, rest = divmod(total, 7)
    count = weeks * (7 - len(weekends))
    start = lo + weeks * 7
    for o in range(start, start + rest):
        if _weekday(o) not in weekends:
            count += 1
    count -= bisect.bisect_right(holidays, hi) - bisect.bisect_left(holidays, lo)
    return count


def _is_working(ordinal: int, weekends: frozenset[int], holidays: list[int]) -> bool:
    if _weekday(ordinal) in weekends:
        return False
    i = bisect.bisect_left(holidays, ordinal)
    return not (i < len(holidays) and holidays[i] == ordinal)


def _step_working(ex: Any, start: int, n: int, weekends: frozenset[int], holidays: list[int],
                  fname: str) -> int:
    """The ordinal reached after counting |n| working days from `start` (excluded), forward
    when n > 0, backward when n < 0; whole weeks are jumped, the rest walked."""
    direction = 1 if n > 0 else -1
    remaining = abs(n)
    per_week = 7 - len(weekends)
    current = start
    while remaining > 0:
        ex.charge_work(1)
        weeks = (remaining - 1) // per_week
        if weeks > 0:
            if direction > 0:
                lo, hi = current + 1, current + 7 * weeks
                current = hi
            else:
                lo, hi = current - 7 * weeks, current - 1
                current = lo
            if not 1 <= current <= _MAX_ORDINAL:
                raise _range_error(fname)
            remaining -= _working_between(lo, hi, weekends, holidays)
            continue
        current += direction
        if not 1 <= current <= _MAX_ORDINAL:
            raise _range_error(fname)
        if _is_working(current, weekends, holidays):
            remaining -= 1
    return current


def _business(ex: Any, value: Any, count: Any, weekends: Any, holidays: Any, fname: str, sign: int) -> DateTime:
    target = _date_arg(ex, value, fname)
    n = _count(count, fname) * sign
    wall = target.dt
    if n == 0:
        return DateTime(wall, date_only=False)
    days = _weekends(weekends, fname)
    ordinal = _step_working(ex, wall.toordinal(), n, days, _holidays(ex, holidays, fname, days), fname)
    moved = _dt.date.fromordinal(ordinal)
    return DateTime(wall.replace(year=moved.year, month=moved.month, day=moved.day), date_only=False)


@method(DATE_KINDS, "addBusinessDay")
def add_business_day(ex: Any, value: Any, count: Any, weekends: Any = None, holidays: Any = None) -> DateTime:
    """`d.addBusinessDay(n, weekends?, holidays?)`: n working days later, keeping the time of
    day; a DATE-TIME always (D4, D34); `n = 0` gives the receiver, negative n goes back."""
    return _business(ex, value, count, weekends, holidays, "addBusinessDay", 1)


@method(DATE_KINDS, "subBusinessDay")
def sub_business_day(ex: Any, value: Any, count: Any, weekends: Any = None, holidays: Any = None) -> DateTime:
    """`d.subBusinessDay(n, weekends?, holidays?)`: n working days earlier (D4)."""
    return _business(ex, value, count, weekends, holidays, "subBusinessDay", -1)


@method(DATE_KINDS, "workday")
def workday(ex: Any, value: Any, count: Any, weekends: Any = None, holidays: Any = None) -> DateTime:
    """`d.workday(n, weekends?, holidays?)`: the DATE n working days later; n <= 0 gives the date itself."""
    target = _date_arg(ex, value, "workday")
    n = _count(count, "workday")
    if n <= 0:
        return _as_date(target.dt)
    days = _weekends(weekends, "workday")
    ordinal = _step_working(ex, target.dt.toordinal(), n, days, _holidays(ex, holidays, "workday", days),
                            "workday")
    moved = _dt.date.fromordinal(ordinal)
    return DateTime(_dt.datetime(moved.year, moved.month, moved.day), date_only=True)


# ---------------------------------------------------------------- edate, eomonth


@method(DATE_KINDS, "edate")
@function("edate")
def edate(ex: Any, value: Any, months: Any) -> DateTime:
    """`d.edate(n)`: the DATE n months later (earlier when negative), the day clamped."""
    target = _date_arg(ex, value, "edate")
    return _as_date(_add_months(_midnight(target.dt), _count(months, "edate", "months"), "edate"))


@method(DATE_KINDS, "eomonth")
@function("eomonth")
def eomonth(ex: Any, value: Any, months: Any) -> DateTime:
    """`d.eomonth(n)`: the last day (a DATE) of the month n months after d's month."""
    target = _date_arg(ex, value, "eomonth")
    first = _add_months(_midnight(target.dt).replace(day=1), _count(months, "eomonth", "months"), "eomonth")
    return _as_date(first.replace(day=calendar.monthrange(first.year, first.month)[1]))


# ================================================================ 4.3 getting parts


def _register_getter(names: tuple[str, ...], part: Any, *, clock: bool, function_form: bool = True) -> None:
    kinds = CLOCK_KINDS if clock else DATE_KINDS

    def getter(ex: Any, value: Any) -> int | None:
        target = _getter_arg(ex, value, names[0], allow_time=clock)
        if target is None:
            return None
        if type(target) is Time:
            return part(None, target.seconds)  # type: ignore[no-any-return]
        return part(target.dt, None)  # type: ignore[no-any-return]

    getter.__doc__ = f"`d.{names[0]}()`: a whole NUMBER; null for the malformed texts of 4.3."
    method(kinds, *names)(getter)
    if function_form:
        function(*names)(getter)


_register_getter(("getDay", "day"), lambda d, s: d.day, clock=False)
_register_getter(("getMonth", "month"), lambda d, s: d.month, clock=False)
_register_getter(("getYear", "year"), lambda d, s: d.year, clock=False)
_register_getter(("getDayOfWeek", "weekday"), lambda d, s: d.isoweekday() % 7 + 1, clock=False)
_register_getter(("getDayOfYear",), lambda d, s: d.timetuple().tm_yday, clock=False, function_form=False)
_register_getter(("getHour", "hour"), lambda d, s: s // 3600 if d is None else d.hour, clock=True)
_register_getter(("getMinutes", "minute"), lambda d, s: s // 60 % 60 if d is None else d.minute, clock=True)
_register_getter(("getSeconds", "second"), lambda d, s: s % 60 if d is None else d.second, clock=True)


@method(DATE_KINDS, "getWeekOfYear")
@function("getWeekOfYear")
def get_week_of_year(ex: Any, value: Any, start_day: Any = None) -> int | None:
    """`d.getWeekOfYear(startDay?)`: week number, weeks starting on Sunday (or `startDay`),
    week 1 holding 1 January, so late-December days can be week 1 (Java US rules)."""
    target = _getter_arg(ex, value, "getWeekOfYear")
    if target is None:
        return None
    first = 6 if start_day is None else _day_index(start_day, "getWeekOfYear")
    return week_fields(target.dt.date(), first)[1]


# ================================================================ 4.4 differences


def _pair(ex: Any, start: Any, end: Any, fname: str) -> tuple[_dt.datetime, _dt.datetime]:
    return _date_arg(ex, start, fname).dt, _date_arg(ex, end, fname).dt


def _days(a: _dt.datetime, b: _dt.datetime) -> int:
    return b.toordinal() - a.toordinal()


def _truncated_div(value: int, by: int) -> int:
    q = abs(value) // by
    return q if value >= 0 else -q


@method(DATE_KINDS, "daysBetween", "days360")
@function("daysBetween", "days360")
def days_between(ex: Any, start: Any, end: Any) -> int:
    """Calendar days from start's date to end's date, negative when end comes first; days360
    is an alias (Zoho's page says it behaves exactly like daysBetween)."""
    a, b = _pair(ex, start, end, "daysBetween")
    return _days(a, b)


@method(DATE_KINDS, "hoursBetween")
@function("hoursBetween")
def hours_between(ex: Any, start: Any, end: Any) -> int:
    """Whole hours between the two values, each truncated to its hour first."""
    a, b = _pair(ex, start, end, "hoursBetween")
    return _days(a, b) * 24 + b.hour - a.hour


@method(DATE_KINDS, "monthsBetween")
@function("monthsBetween")
def months_between(ex: Any, start: Any, end: Any) -> int:
    """The day difference divided by 30, truncated toward zero."""
    a, b = _pair(ex, start, end, "monthsBetween")
    return _truncated_div(_days(a, b), 30)


@method(DATE_KINDS, "yearsBetween")
@function("yearsBetween")
def years_between(ex: Any, start: Any, end: Any) -> int:
    """The day difference divided by 365, truncated toward zero."""
    a, b = _pair(ex, start, end, "yearsBetween")
    return _truncated_div(_days(a, b), 365)


def _complete_months(a: _dt.datetime, b: _dt.datetime) -> int:
    months = (b.year - a.year) * 12 + b.month - a.month
    if months > 0 and b.day < a.day:
        months -= 1
    elif months < 0 and b.day > a.day:
        months += 1
    return months


@method(DATE_KINDS, "monthsDiff", "totalMonths", "totalMonth")
@function("monthsDiff", "totalMonths", "totalMonth")
def months_diff(ex: Any, start: Any, end: Any) -> int:
    """Complete calendar months: one less when end's day of month is before start's (D40)."""
    a, b = _pair(ex, start, end, "monthsDiff")
    return _complete_months(a, b)


@method(DATE_KINDS, "yearsDiff", "totalYears", "totalYear")
@function("yearsDiff", "totalYears", "totalYear")
def years_diff(ex: Any, start: Any, end: Any) -> int:
    """Complete calendar years, comparing month and day without clamping (D40)."""
    a, b = _pair(ex, start, end, "yearsDiff")
    years = b.year - a.year
    if years > 0 and (b.month, b.day) < (a.month, a.day):
        years -= 1
    elif years < 0 and (b.month, b.day) > (a.month, a.day):
        years += 1
    return years


@method(DATE_KINDS, "workDaysBetween")
def work_days_between(ex: Any, start: Any, end: Any, weekends: Any = None, holidays: Any = None) -> int:
    """Working days after start up to and including end; negative (counted from end) when
    end comes first."""
    a, b = _pair(ex, start, end, "workDaysBetween")
    days = _weekends(weekends, "workDaysBetween")
    free = _holidays(ex, holidays, "workDaysBetween", days)
    s, e = a.toordinal(), b.toordinal()
    if e >= s:
        return _working_between(s + 1, e, days, free)
    return -_working_between(e + 1, s, days, free)


@method(DATE_KINDS, "workDaysList")
def work_days_list(ex: Any, start: Any, end: Any, weekends: Any = None, holidays: Any = None) -> DList:
    """The working DATEs from start to end, both included, ascending; empty when end comes first."""
    a, b = _pair(ex, start, end, "workDaysList")
    days = _weekends(weekends, "workDaysList")
    free = _holidays(ex, holidays, "workDaysList", days)
    s, e = a.toordinal(), b.toordinal()
    result = DList()
    if e < s:
        return result
    count = _working_between(s, e, days, free)
    if count > ex.limits.collection_size:
        from deluge.builtins.core import grow

        grow(ex, result, count)
    ex.charge_work(e - s + 1)
    for ordinal in range(s, e + 1):
        if _is_working(ordinal, days, free):
            moved = _dt.date.fromordinal(ordinal)
            result.append(DateTime(_dt.datetime(moved.year, moved.month, moved.day), date_only=True))
    return result


# ================================================================ 4.5 calendar helpers


@method(DATE_KINDS, "toStartOfMonth")
@function("toStartOfMonth")
def to_start_of_month(ex: Any, value: Any) -> DateTime:
    """The first day of the month at 00:00:00; a date stays a date."""
    target = _date_arg(ex, value, "toStartOfMonth")
    return DateTime(_midnight(target.dt).replace(day=1), date_only=target.date_only)


@method(DATE_KINDS, "toStartOfWeek")
@function("toStartOfWeek")
def to_start_of_week(ex: Any, value: Any) -> DateTime:
    """The Sunday on or before the value, at 00:00:00; a date stays a date."""
    target = _date_arg(ex, value, "toStartOfWeek")
    ordinal = target.dt.toordinal() - (target.dt.weekday() + 1) % 7
    if ordinal < 1:
        raise _range_error("toStartOfWeek")
    moved = _dt.date.fromordinal(ordinal)
    return DateTime(_dt.datetime(moved.year, moved.month, moved.day), date_only=target.date_only)


def _weekday_move(ex: Any, value: Any, day_name: Any, fname: str, direction: int) -> DateTime:
    target = _date_arg(ex, value, fname)
    wanted = _day_index(day_name, fname)
    current = target.dt.weekday()
    step = ((wanted - current) % 7 if direction > 0 else (current - wanted) % 7) or 7
    ordinal = target.dt.toordinal() + direction * step
    if not 1 <= ordinal <= _MAX_ORDINAL:
        raise _range_error(fname)
    moved = _dt.date.fromordinal(ordinal)
    return DateTime(_dt.datetime(moved.year, moved.month, moved.day), date_only=True)


@method(DATE_KINDS, "nextWeekDay")
@function("nextWeekDay")
def next_week_day(ex: Any, value: Any, day_name: Any) -> DateTime:
    """The DATE of the nearest `day_name` strictly after the value (the same weekday jumps a week)."""
    return _weekday_move(ex, value, day_name, "nextWeekDay", 1)


@method(DATE_KINDS, "previousWeekDay")
@function("previousWeekDay")
def previous_week_day(ex: Any, value: Any, day_name: Any) -> DateTime:
    """The DATE of the nearest `day_name` strictly before the value."""
    return _weekday_move(ex, value, day_name, "previousWeekDay", -1)


# ================================================================ 4.6 converting and formatting


def _format_in(ex: Any, wall: _dt.datetime, source: Zone, fmt: str, tz: Any, fname: str) -> str | None:
    target = _zone_arg(ex, tz, fname)
    try:
        moment = _aware(wall, source).astimezone(target.tz)
    except (OverflowError, ValueError):
        raise _range_error(fname) from None
    return format_datetime(moment, fmt, target.name)


def _format_moment(ex: Any, value: Any, fmt: str, tz: Any, fname: str) -> str | None:
    """A DATE-TIME, epoch-millisecond NUMBER, date TEXT or TIME written with a Java pattern."""
    zone = configured_zone(ex)
    kind = type(value)
    if kind is int:
        target = _zone_arg(ex, tz, fname)
        wall = epoch_ms_to_wall(value, target, fname)
        return format_datetime(wall.replace(tzinfo=target.tz), fmt, target.name)
    if kind is str:
        if len(value) > _MAX_TEXT:
            raise DelugeRuntimeError(f"{fname}: the text is not a date-time, so a date format cannot apply")
        try:
            value = parse_text(ex, value, fname)
        except DelugeRuntimeError:
            raise DelugeRuntimeError(
                f"{fname}: '{value}' is not a date-time, so the format \"{fmt}\" cannot be applied"
            ) from None
        kind = DateTime
    if kind is DateTime:
        return _format_in(ex, value.dt, zone, fmt, tz, fname)
    if kind is Time:
        today = ex.now()
        wall = _dt.datetime(today.year, today.month, today.day) + _dt.timedelta(seconds=value.seconds)
        return _format_in(ex, wall, zone, fmt, tz, fname)
    raise DelugeRuntimeError(
        f"{fname}: a date format applies to a DATE-TIME, a NUMBER of milliseconds or a date TEXT, "
        f"not to a value of type {type_name(value)}"
    )


def format_value(ex: Any, value: Any, fmt: Any = None, tz: Any = None) -> str | None:
    """`toString(value, format?, timeZone?)` for dates (4.6), used by the common helper too.

    Without a format: the printed form (a text comes back as it is; a number is its digits);
    with only a zone, the printed layout of the value converted into that zone. With a
    format: Java SimpleDateFormat letters, English names, `null` when the pattern has an
    unquoted letter that is not a pattern letter. A DATE-TIME is read in the configured
    zone and converted into `tz`; a NUMBER is epoch milliseconds; a TEXT must parse as a
    date-time (runtime error otherwise); a TIME is taken on the run's current date.
    """
    if fmt is None:
        if tz is None or type(value) is str or type(value) is not DateTime:
            return render(value, ex.limits.data_nesting, ex.limits.text_length)
        fmt = "dd-MMM-yyyy" if value.date_only else "dd-MMM-yyyy HH:mm:ss"
    if type(fmt) is not str:
        raise DelugeRuntimeError(f"toString: the format must be a TEXT, not {type_name(fmt)}")
    return _format_moment(ex, value, fmt, tz, "toString")


@method(("date", "datetime", "time"), "toString", "toText")
def to_string(ex: Any, value: Any, fmt: Any = None, tz: Any = None) -> str | None:
    """`d.toString(format?, timeZone?)` on a DATE, DATE-TIME or TIME (see `format_value`)."""
    return format_value(ex, value, fmt, tz)


@method("any", "toDateTimeString")
@function("toDateTimeString")
def to_date_time_string(ex: Any, value: Any, fmt: Any, tz: Any) -> str | None:
    """`x.toDateTimeString(format, timeZone)`: epoch milliseconds, a DATE-TIME or a date TEXT
    written with a Java pattern in `timeZone` (daylight saving applied, English names)."""
    if type(value) not in (int, DateTime, str):
        raise DelugeRuntimeError(
            f"toDateTimeString needs a NUMBER of milliseconds or a DATE-TIME, not {type_name(value)}"
        )
    fmt_text = _text_arg(fmt, "toDateTimeString", "format")
    return _format_moment(ex, value, fmt_text, tz, "toDateTimeString")


@method(("date", "datetime"), "toLong", "toNumber")
def to_long(ex: Any, value: DateTime) -> int:
    """`d.toLong()`: Unix milliseconds of the wall-clock value in the configured zone."""
    return datetime_to_millis(ex, value)


def datetime_to_millis(ex: Any, value: DateTime) -> int:
    """Unix milliseconds of a DATE-TIME read in the run's configured zone (for `toLong(d)`)."""
    return wall_to_epoch_ms(value.dt, configured_zone(ex))


@method("text", "unixEpoch")
def unix_epoch(ex: Any, value: str, tz: Any = None) -> int | str:
    """`text.unixEpoch(timeZone?)`: milliseconds since the epoch of the date-time text read in
    `timeZone` (the configured zone by default, unknown names GMT; an ISO offset in the text
    wins). Text that is not a date-time comes back unchanged."""
    zone = _zone_arg(ex, tz, "unixEpoch")
    try:
        read = _read_text(ex, value, "unixEpoch")
    except DelugeRuntimeError:
        return value
    if read.offset is not None:
        zone = Zone(_dt.timezone(_dt.timedelta(minutes=read.offset)), "offset")
    try:
        return (_aware(read.wall, zone) - EPOCH) // _MS
    except (OverflowError, ValueError):
        return value


_TRAILING_TIME = re.compile(r"[\sT]*(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:\s*([AaPp][Mm]))?")


def _time_parts(hour: int, minute: int, second: int) -> tuple[int, int, int]:
    """Out-of-range time parts roll over as in 4.1: hour >= 24 resets the time, and so on."""
    if hour > 23:
        return 0, 0, 0
    if minute > 59:
        return hour, 0, 0
    if second > 59:
        return hour, minute, 0
    return hour, minute, second


def _read_mapped(ex: Any, text: str, mapping: str, fname: str, *, read_time: bool) -> tuple[_dt.datetime, Zone | None]:
    """The wall time a mapping reads from a text, and the zone the text names (if any)."""
    if len(text) > _MAX_TEXT * 10:
        raise DelugeRuntimeError(f"{fname}: the text is too long to be a date")
    now_year = _now_year(ex)
    try:
        parsed = parse_mapping(text, mapping, lambda two: pivot_year(two, now_year))
    except PatternError as exc:
        raise DelugeRuntimeError(f"{fname}: the mapping \"{mapping}\" is not a valid pattern ({exc})") from None
    except MappingError as exc:
        raise DelugeRuntimeError(f"{fname}: '{text}' does not match the mapping \"{mapping}\" ({exc})") from None
    hour, minute, second = parsed.hour, parsed.minute, parsed.second
    if read_time and not parsed.has_time:
        m = _TRAILING_TIME.match(text, parsed.end)
        if m is not None:
            hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
            if m.group(4) is not None and 1 <= hour <= 12:
                hour = hour % 12 + (12 if m.group(4).lower() == "pm" else 0)
    if not read_time:
        hour = minute = second = 0
    hour, minute, second = _time_parts(hour, minute, second)
    year, month, day = parsed.year, parsed.month, parsed.day
    if not parsed.has_date:
        today = ex.now() if ex is not None else _dt.datetime.now(UTC)
        year, month, day = today.year, today.month, today.day
    if not 1 <= year <= 9999:
        raise DelugeRuntimeError(f"{fname}: year {year} is outside 1 to 9999")
    if not 1 <= month <= 12:
        raise DelugeRuntimeError(f"{fname}: month {month} does not exist")
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise DelugeRuntimeError(f"{fname}: day {day} does not exist in month {month} of {year}")
    return _dt.datetime(year, month, day, hour, minute, second), parsed.zone


def _mapping_arg(mapping: Any, fname: str) -> str | None:
    if mapping is None or mapping == "":
        return None
    return _text_arg(mapping, fname, "the mapping")


def _convert(ex: Any, value: Any, mapping: Any, tz: Any, fname: str, *, date_only: bool) -> DateTime:
    """toDate / toDateTime / toTime: text (with or without a mapping), epoch milliseconds, or a date."""
    kind = type(value)
    target = configured_zone(ex)
    if kind is DateTime:
        wall = value.dt
    elif kind is int:
        wall = epoch_ms_to_wall(value, target, fname).replace(microsecond=0)
    elif kind is str:
        pattern = _mapping_arg(mapping, fname)
        source = _zone_arg(ex, tz, fname)
        if pattern is None:
            read = _read_text(ex, value, fname, time_only=not date_only)
            wall = _instant_in(read, source, target, fname)
        else:
            wall, written = _read_mapped(ex, value, pattern, fname, read_time=not date_only)
            wall = convert_wall(wall, written or source, target, fname)
    else:
        raise DelugeRuntimeError(
            f"{fname} needs a TEXT, a NUMBER of milliseconds or a DATE-TIME, not {type_name(value)}"
        )
    if date_only:
        return _as_date(wall)
    return DateTime(wall, date_only=False)


@method(("any", "text", "number", "date", "datetime"), "toDate")
@function("toDate")
def to_date(ex: Any, value: Any, mapping: Any = None) -> DateTime:
    """`x.toDate(mapping?)`: a DATE (time dropped) from text, epoch milliseconds or a date-time.
    With a mapping, the text after the mapped date is ignored."""
    return _convert(ex, value, mapping, None, "toDate", date_only=True)


@method(("any", "text", "number", "date", "datetime"), "toDateTime")
@function("toDateTime")
def to_date_time(ex: Any, value: Any, mapping: Any = None) -> DateTime:
    """`x.toDateTime(mapping?)`: a DATE-TIME; after a date-only mapping a following
    `HH:mm:ss` or `h:mm:ss a` time is read (00:00:00 when there is none)."""
    return _convert(ex, value, mapping, None, "toDateTime", date_only=False)


@method(("any", "text", "number", "date", "datetime"), "toTime")
@function("toTime")
def to_time(ex: Any, value: Any, mapping: Any = None, tz: Any = None) -> DateTime:
    """`x.toTime(mapping?, timeZone?)`: a DATE-TIME as toDateTime, the text being written in
    `timeZone` and converted into the configured zone."""
    return _convert(ex, value, mapping, tz, "toTime", date_only=False)


# ================================================================ isDate


def _looks_like_date(text: str) -> bool:
    if len(text) > _MAX_TEXT:
        return False
    try:
        parts = recognise(text)
    except DateTextError:
        return False
    return parts is not None


@method("any", "isDate")
@function("isDate")
def is_date(ex: Any, value: Any) -> bool | None:
    """True for DATE / DATE-TIME values and texts in a layout of 4.1 (D33); null for lists and
    maps; false otherwise (numbers, TIME values, other text, null)."""
    kind = type(value)
    if kind is DateTime:
        return True
    if kind is str:
        return _looks_like_date(value)
    if isinstance(value, (list, dict)) or kind is Blank:
        return None
    return False
