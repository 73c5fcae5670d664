"""Recognises the date, date-time and time layouts of LANGUAGE.md 3.6 and 3.7 in text.

Used by the parser for single-quoted literals (where an impossible date is a
parse error, D31) and by the runtime when text is converted to a date
(list-map-date-json.md 4.1, where out-of-range time parts roll over and ISO-8601
is accepted too). It knows nothing of values: it returns plain numbers.
"""

from __future__ import annotations

import calendar
import functools
import re
from typing import NamedTuple

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
WEEKDAYS = {
    "mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur", "thurs",
    "thursday", "fri", "friday", "sat", "saturday", "sun", "sunday",
}


class DateParts(NamedTuple):
    """A recognised date or date-time; `two_digit_year` means `year` still needs its century."""

    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    has_time: bool
    two_digit_year: bool


class TimeParts(NamedTuple):
    """A recognised time of day."""

    hour: int
    minute: int
    second: int


class DateTextError(ValueError):
    """The text has the shape of a date layout but is not a real date or time."""


_TIME = r"(?P<h>\d+):(?P<mi>\d+)(?::(?P<s>\d+))?(?:\s*(?P<ampm>[AaPp][Mm]))?"
_DATE_FORMS = [
    # dd-MMM-yyyy, dd-MMMM-yy
    r"(?P<d1>\d{1,2})-(?P<m1>[A-Za-z]+)-(?P<y1>\d+)",
    # all-numeric with -, / or .
    r"(?P<a>\d+)(?P<sep>[-/.])(?P<b>\d+)(?P=sep)(?P<c>\d+)",
    # [E,] MMM dd, yyyy   and   MMM dd yyyy
    r"(?:(?P<wd>[A-Za-z]+)\s*,\s*)?(?P<m2>[A-Za-z]+)\s+(?P<d2>\d{1,2})(?:\s*,\s*|\s+)(?P<y2>\d+)",
    # dd MMM, yyyy   and   dd MMM yyyy
    r"(?P<d3>\d{1,2})\s+(?P<m3>[A-Za-z]+)(?:\s*,\s*|\s+)(?P<y3>\d+)",
    # dd MM yyyy
    r"(?P<d4>\d{1,2})\s+(?P<m4>\d{1,2})\s+(?P<y4>\d{4})",
]
_DATE_SOURCE = (
    r"\s*(?:" + "|".join(f"(?:{f})" for f in _DATE_FORMS) + r")(?:\s+" + _TIME + r")?\s*"
)
_TIME_ONLY_SOURCE = r"\s*(?P<h>\d+):(?P<mi>\d+):(?P<s>\d+)(?:\s*(?P<ampm>[AaPp][Mm]))?\s*"
_ISO_SOURCE = (
    r"\s*(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})[Tt ](?P<h>\d{1,2}):(?P<mi>\d{2})"
    r"(?::(?P<s>\d{2})(?:\.\d+)?)?(?P<tz>[Zz]|[+-]\d{2}:?\d{2})?\s*"
)


@functools.lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The date, time-only and ISO-8601 patterns, compiled on first use."""
    return re.compile(_DATE_SOURCE), re.compile(_TIME_ONLY_SOURCE), re.compile(_ISO_SOURCE)


def _year(text: str) -> tuple[int, bool] | None:
    if len(text) == 2:
        return int(text), True
    if len(text) == 4:
        return int(text), False
    return None


def _month_name(word: str) -> int | None:
    return MONTHS.get(word.lower())


def recognise_time(text: str) -> TimeParts | None:
    """A time-only layout (`HH:mm:ss`, `hh:mm:ss a`), or None; DateTextError when impossible."""
    m = _patterns()[1].fullmatch(text)
    if m is None:
        return None
    hour, minute, second = _clock(m, strict=True)
    return TimeParts(hour, minute, second)


def _clock(m: re.Match[str], *, strict: bool) -> tuple[int, int, int]:
    hs, ms, ss, ampm = m.group("h"), m.group("mi"), m.group("s"), m.groupdict().get("ampm")
    if len(hs) > 2 or len(ms) > 2 or (ss is not None and len(ss) > 2):
        raise DateTextError("a time part has more than two digits")
    hour, minute, second = int(hs), int(ms), int(ss or 0)
    if ampm is not None:
        if not 1 <= hour <= 12:
            raise DateTextError(f"hour {hour} is not a 12-hour clock hour")
        hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
    if strict:
        if hour > 23 or minute > 59 or second > 59:
            raise DateTextError("the time is not a real time of day")
    elif hour > 23:
        hour = minute = second = 0
    elif minute > 59:
        minute = second = 0
    elif second > 59:
        second = 0
    return hour, minute, second


def recognise_date(text: str, *, strict: bool = True, iso: bool = False) -> DateParts | None:
    """A date or date-time layout of LANGUAGE.md 3.6, or None when the text has none.

    Raises DateTextError when the text has a layout's shape but not a real date
    (always) or time (only when `strict`; otherwise out-of-range time parts roll
    over as list-map-date-json.md 4.1 says). With `iso`, ISO-8601 date-times are
    accepted too (their offset is dropped here; see `iso_offset_minutes`).
    """
    if iso:
        m = _patterns()[2].fullmatch(text)
        if m is not None:
            hour, minute, second = _clock(m, strict=strict)
            year, month, day = int(m.group("y")), int(m.group("mo")), int(m.group("d"))
            _check_day(year, month, day, two_digit=False)
            return DateParts(year, month, day, hour, minute, second, True, False)
    m = _patterns()[0].fullmatch(text)
    if m is None:
        return None
    g = m.group
    if g("d1") is not None:
        month = _month_name(g("m1"))
        year_info = _year(g("y1"))
        if month is None or year_info is None:
            return None
        day = int(g("d1"))
        year, two = year_info
    elif g("a") is not None:
        picked = _numeric(g("a"), g("sep"), g("b"), g("c"))
        if picked is None:
            return None
        year, month, day, two = picked
    elif g("m2") is not None:
        month = _month_name(g("m2"))
        year_info = _year(g("y2"))
        if month is None or year_info is None:
            return None
        if g("wd") is not None and g("wd").lower() not in WEEKDAYS:
            return None
        day = int(g("d2"))
        year, two = year_info
    elif g("d3") is not None:
        month = _month_name(g("m3"))
        year_info = _year(g("y3"))
        if month is None or year_info is None:
            return None
        day = int(g("d3"))
        year, two = year_info
    else:
        day, month, year, two = int(g("d4")), int(g("m4")), int(g("y4")), False
    _check_day(year, month, day, two_digit=two)
    if g("h") is not None:
        hour, minute, second = _clock(m, strict=strict)
        return DateParts(year, month, day, hour, minute, second, True, two)
    return DateParts(year, month, day, 0, 0, 0, False, two)


def _numeric(a: str, sep: str, b: str, c: str) -> tuple[int, int, int, bool] | None:
    """Reads an all-numeric date: year-first when the first field has four digits;
    otherwise month-first when the first field is 12 or less, then day-first, then
    (two-digit years) year-first (LANGUAGE.md 3.6)."""
    if len(b) > 2:
        return None
    if len(a) == 4:
        if len(c) > 2:
            return None
        return int(a), int(b), int(c), False
    if len(a) > 2:
        return None
    year_info = _year(c)
    candidates: list[tuple[int, int, int, bool]] = []
    if year_info is not None:
        year, two = year_info
        if int(a) <= 12:
            candidates.append((year, int(a), int(b), two))
        candidates.append((year, int(b), int(a), two))
    if len(c) <= 2 and sep in "-/." and len(a) == 2:
        candidates.append((int(a), int(b), int(c), True))
    if not candidates:
        return None
    for year, month, day, two in candidates:
        if 1 <= month <= 12 and 1 <= day <= _days_in_month(year, month, two):
            return year, month, day, two
    return candidates[0]  # impossible in every reading: reported by _check_day


def _days_in_month(year: int, month: int, two_digit: bool) -> int:
    if two_digit:
        # The century is fixed at run time; accept the 29th of February when some century allows it.
        return max(calendar.monthrange(2000 + year, month)[1], calendar.monthrange(1900 + year, month)[1])
    if not 1 <= year <= 9999:
        return 0
    return calendar.monthrange(year, month)[1]


def _check_day(year: int, month: int, day: int, *, two_digit: bool) -> None:
    if not two_digit and not 1 <= year <= 9999:
        raise DateTextError(f"year {year} is outside 1 to 9999")
    if not 1 <= month <= 12:
        raise DateTextError(f"month {month} does not exist")
    if not 1 <= day <= _days_in_month(year, month, two_digit):
        raise DateTextError(f"day {day} does not exist in month {month}")


def iso_offset_minutes(text: str) -> int | None:
    """The UTC offset written in an ISO-8601 date-time text, in minutes, or None."""
    m = _patterns()[2].fullmatch(text)
    if m is None or m.group("tz") is None:
        return None
    tz = m.group("tz")
    if tz in ("Z", "z"):
        return 0
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return sign * (int(digits[:2]) * 60 + int(digits[2:]))


def pivot_year(two_digit: int, current_year: int) -> int:
    """The full year of a two-digit year: within 80 years before and 20 after `current_year`."""
    year = current_year - current_year % 100 + two_digit
    if year > current_year + 20:
        year -= 100
    elif year <= current_year - 80:
        year += 100
    return year
