"""Java `SimpleDateFormat` patterns and time zones (list-map-date-json.md 4.6, 0.6).

Three services for the date functions of `dates.py`:

- `resolve_zone(name)`: a time-zone argument as a `tzinfo`. IANA names go
  through Python's `zoneinfo`; `UTC`, `GMT`, `Z`, fixed offsets
  (`GMT+05:30`, `UTC-8`, `+0530`) and Java's old three-letter IDs (`IST`,
  `PST`, ...) are understood too. Unknown names fall back to GMT, as Zoho's
  unixEpoch page documents. When the machine has no time-zone database at
  all, an IANA name cannot be told apart from an unknown one, so it is a
  runtime error that says so instead of a silent GMT.
- `format_datetime(moment, pattern)`: a zone-aware `datetime` written with a
  Java pattern, English names; `None` (Deluge `null`) when the pattern has an
  unquoted letter that is not a pattern letter, or an unterminated quote.
- `parse_mapping(text, pattern, ...)`: reads the date parts of a text with a
  Java pattern (the `mapping` of toDate / toDateTime / toTime), with Java's
  lenient digit counts.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from typing import Any, NamedTuple

from deluge.errors import DelugeRuntimeError

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")
MONTH_SHORT = tuple(name[:3] for name in MONTH_NAMES)
# Python weekday order: Monday = 0
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_SHORT = tuple(name[:3] for name in DAY_NAMES)

PATTERN_LETTERS = "GyMdkHmsSEDFwWahKzZYuXL"

UTC = _dt.UTC
EPOCH = _dt.datetime(1970, 1, 1, tzinfo=UTC)

# ---------------------------------------------------------------- time zones

# Java's deprecated three-letter IDs (java.util.TimeZone), which Zoho scripts still use.
JAVA_SHORT_IDS = {
    "ACT": "Australia/Darwin", "AET": "Australia/Sydney", "AGT": "America/Argentina/Buenos_Aires",
    "ART": "Africa/Cairo", "AST": "America/Anchorage", "BET": "America/Sao_Paulo", "BST": "Asia/Dhaka",
    "CAT": "Africa/Harare", "CNT": "America/St_Johns", "CST": "America/Chicago", "CTT": "Asia/Shanghai",
    "EAT": "Africa/Addis_Ababa", "ECT": "Europe/Paris", "IET": "America/Indiana/Indianapolis",
    "IST": "Asia/Kolkata", "JST": "Asia/Tokyo", "MIT": "Pacific/Apia", "NET": "Asia/Yerevan",
    "NST": "Pacific/Auckland", "PLT": "Asia/Karachi", "PNT": "America/Phoenix", "PRT": "America/Puerto_Rico",
    "PST": "America/Los_Angeles", "SST": "Pacific/Guadalcanal", "VST": "Asia/Ho_Chi_Minh",
}
# Java's fixed-offset IDs.
JAVA_FIXED = {"EST": -5 * 60, "MST": -7 * 60, "HST": -10 * 60}

# Long names (`zzzz`) of common zones, as Java writes them in English.
LONG_NAMES = {
    "UTC": "Coordinated Universal Time", "GMT": "Greenwich Mean Time",
    "IST": "India Standard Time", "EST": "Eastern Standard Time", "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time", "CDT": "Central Daylight Time", "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time", "PST": "Pacific Standard Time", "PDT": "Pacific Daylight Time",
    "BST": "British Summer Time", "CET": "Central European Time", "CEST": "Central European Summer Time",
    "EET": "Eastern European Time", "EEST": "Eastern European Summer Time", "JST": "Japan Standard Time",
    "MSK": "Moscow Standard Time", "AEST": "Australian Eastern Standard Time",
    "AEDT": "Australian Eastern Daylight Time", "SGT": "Singapore Time", "HKT": "Hong Kong Time",
}

_OFFSET = re.compile(r"(?:(?:GMT|UTC|UT)\s*)?([+-])(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)


class Zone(NamedTuple):
    """A resolved time-zone argument: the tzinfo and the ID it was resolved to."""

    tz: _dt.tzinfo
    name: str


def fixed_zone(minutes: int, name: str | None = None) -> Zone:
    if minutes == 0:
        return Zone(UTC, name or "GMT")
    sign = "+" if minutes > 0 else "-"
    label = f"GMT{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return Zone(_dt.timezone(_dt.timedelta(minutes=minutes), label), name or label)


@functools.lru_cache(maxsize=1)
def tz_database_available() -> bool:
    """True when `zoneinfo` can load IANA zones (system zoneinfo files or the `tzdata` package)."""
    try:
        import zoneinfo

        zoneinfo.ZoneInfo("America/New_York")
    except Exception:
        return False
    return True


@functools.lru_cache(maxsize=1)
def _zone_names_by_lower() -> dict[str, str]:
    try:
        import zoneinfo

        return {name.lower(): name for name in zoneinfo.available_timezones()}
    except Exception:  # pragma: no cover - a broken installation
        return {}


@functools.lru_cache(maxsize=256)
def resolve_zone(name: str) -> Zone:
    """The zone a time-zone argument names; unknown names are GMT (list-map-date-json.md 4.6)."""
    text = name.strip()
    upper = text.upper()
    if upper in ("UTC", "Z", "UT", "ETC/UTC", "ZULU", "UCT", "ETC/UCT", "UNIVERSAL"):
        return Zone(UTC, "UTC")
    if upper in ("GMT", "ETC/GMT", "GREENWICH", "GMT0"):
        return Zone(UTC, "GMT")
    m = _OFFSET.fullmatch(text)
    if m is not None:
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours <= 18 and minutes < 60:
            total = hours * 60 + minutes
            return fixed_zone(-total if m.group(1) == "-" else total)
        return Zone(UTC, "GMT")
    if upper in JAVA_FIXED:
        return fixed_zone(JAVA_FIXED[upper], upper)
    target = JAVA_SHORT_IDS.get(upper, text)
    tz = _load_iana(target)
    if tz is not None:
        return Zone(tz, target)
    if not tz_database_available() and re.fullmatch(r"[A-Za-z_]+(?:/[A-Za-z0-9_+-]+)+", target):
        raise DelugeRuntimeError(
            f"The time zone '{name}' cannot be used: this machine has no time-zone database "
            f"(install the Python package 'tzdata')"
        )
    return Zone(UTC, "GMT")


_ZONE_ID = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*")


def _load_iana(name: str) -> _dt.tzinfo | None:
    if len(name) > 64 or not _ZONE_ID.fullmatch(name):
        return None
    try:
        import zoneinfo

        return zoneinfo.ZoneInfo(name)
    except Exception:
        pass
    # Zone IDs are written in any case by script authors: find the canonical spelling.
    canonical = _zone_names_by_lower().get(name.lower())
    if canonical is not None and canonical != name:
        try:
            import zoneinfo

            return zoneinfo.ZoneInfo(canonical)
        except Exception:  # pragma: no cover - listed but not loadable
            return None
    return None


def zone_short_name(moment: _dt.datetime, zone_id: str) -> str:
    """`z`: the zone's abbreviation at that moment (`UTC`, `IST`, `EDT`), else `GMT+hh:mm`."""
    if zone_id in ("UTC", "GMT"):
        return zone_id
    abbreviation = moment.tzname() or ""
    if abbreviation and abbreviation[0] not in "+-" and not abbreviation.startswith(("GMT+", "GMT-")):
        return abbreviation
    return _gmt_offset_label(moment)


def _gmt_offset_label(moment: _dt.datetime) -> str:
    minutes = _offset_minutes(moment)
    if minutes == 0:
        return "GMT"
    sign = "+" if minutes > 0 else "-"
    return f"GMT{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _offset_minutes(moment: _dt.datetime) -> int:
    offset = moment.utcoffset() or _dt.timedelta(0)
    return int(offset.total_seconds()) // 60


# ---------------------------------------------------------------- patterns


class PatternError(ValueError):
    """The pattern is not a valid Java pattern (unknown letter, unterminated quote)."""


Token = tuple[str, int] | str  # (letter, count) for a field; a str for literal text


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> tuple[Token, ...]:
    """The fields and literal runs of a Java date pattern; PatternError when it is invalid."""
    tokens: list[Token] = []
    literal: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "'":
            if i + 1 < n and pattern[i + 1] == "'":
                literal.append("'")
                i += 2
                continue
            j = i + 1
            while True:
                if j >= n:
                    raise PatternError("the pattern has an unterminated quote")
                if pattern[j] == "'":
                    if j + 1 < n and pattern[j + 1] == "'":
                        literal.append("'")
                        j += 2
                        continue
                    break
                literal.append(pattern[j])
                j += 1
            i = j + 1
            continue
        if ("a" <= ch <= "z") or ("A" <= ch <= "Z"):
            if ch not in PATTERN_LETTERS:
                raise PatternError(f"'{ch}' is not a pattern letter")
            j = i
            while j < n and pattern[j] == ch:
                j += 1
            if literal:
                tokens.append("".join(literal))
                literal = []
            tokens.append((ch, j - i))
            i = j
            continue
        literal.append(ch)
        i += 1
    if literal:
        tokens.append("".join(literal))
    return tuple(tokens)


def week_fields(day: _dt.date, first_weekday: int = 6) -> tuple[int, int]:
    """(week year, week of year) with weeks starting on `first_weekday` (Python numbering,
    Sunday = 6) and week 1 the week holding 1 January (Java's US rules, minimal days 1)."""
    ordinal = day.toordinal()

    def week_start(o: int) -> int:
        return o - ((o + 6) % 7 - first_weekday) % 7

    start = week_start(ordinal)
    next_new_year = _dt.date(day.year, 12, 31).toordinal() + 1
    if start + 6 >= next_new_year:
        return day.year + 1, 1
    first_start = week_start(_dt.date(day.year, 1, 1).toordinal())
    return day.year, (start - first_start) // 7 + 1


def week_of_month(day: _dt.date, first_weekday: int = 6) -> int:
    """Java's WEEK_OF_MONTH (first day Sunday, minimal days 1)."""
    ordinal = day.toordinal()

    def week_start(o: int) -> int:
        return o - ((o + 6) % 7 - first_weekday) % 7

    first = week_start(day.replace(day=1).toordinal())
    return (week_start(ordinal) - first) // 7 + 1


def _pad(value: int, width: int) -> str:
    text = str(abs(value)).rjust(width, "0")
    return "-" + text if value < 0 else text


_STRFTIME = {("y", 4): "%Y", ("M", 2): "%m", ("d", 2): "%d", ("H", 2): "%H", ("m", 2): "%M", ("s", 2): "%S"}


@functools.lru_cache(maxsize=256)
def _strftime_form(pattern: str) -> str | None:
    """The C `strftime` format that writes `pattern` exactly, when it only has zero-padded
    numeric fields (yyyy, MM, dd, HH, mm, ss) and literal text; None otherwise."""
    try:
        tokens = compile_pattern(pattern)
    except PatternError:
        return None
    out = []
    for token in tokens:
        if isinstance(token, str):
            out.append(token.replace("%", "%%"))
        else:
            directive = _STRFTIME.get(token)
            if directive is None:
                return None
            out.append(directive)
    return "".join(out)


def format_datetime(moment: _dt.datetime, pattern: str, zone_id: str = "UTC") -> str | None:
    """`moment` (zone-aware, in the zone to show) written with a Java pattern; None when invalid."""
    fast = _strftime_form(pattern)
    if fast is not None and moment.year >= 1000:
        return moment.strftime(fast)
    try:
        tokens = compile_pattern(pattern)
    except PatternError:
        return None
    out: list[str] = []
    for token in tokens:
        if isinstance(token, str):
            out.append(token)
            continue
        letter, count = token
        piece = _format_field(moment, letter, count, zone_id)
        if piece is None:
            return None
        out.append(piece)
    return "".join(out)


def _format_field(m: _dt.datetime, letter: str, count: int, zone_id: str) -> str | None:
    if letter == "y":
        return _pad(m.year % 100, 2) if count == 2 else _pad(m.year, count)
    if letter == "Y":
        week_year = week_fields(m.date())[0]
        return _pad(week_year % 100, 2) if count == 2 else _pad(week_year, count)
    if letter in "ML":
        if count >= 4:
            return MONTH_NAMES[m.month - 1]
        if count == 3:
            return MONTH_SHORT[m.month - 1]
        return _pad(m.month, count)
    if letter == "d":
        return _pad(m.day, count)
    if letter == "H":
        return _pad(m.hour, count)
    if letter == "k":
        return _pad(m.hour or 24, count)
    if letter == "K":
        return _pad(m.hour % 12, count)
    if letter == "h":
        return _pad(m.hour % 12 or 12, count)
    if letter == "m":
        return _pad(m.minute, count)
    if letter == "s":
        return _pad(m.second, count)
    if letter == "S":
        return _pad(m.microsecond // 1000, count)
    if letter == "E":
        return DAY_NAMES[m.weekday()] if count >= 4 else DAY_SHORT[m.weekday()]
    if letter == "u":
        return _pad(m.isoweekday(), count)
    if letter == "a":
        return "AM" if m.hour < 12 else "PM"
    if letter == "D":
        return _pad(m.timetuple().tm_yday, count)
    if letter == "F":
        return _pad((m.day - 1) // 7 + 1, count)
    if letter == "w":
        return _pad(week_fields(m.date())[1], count)
    if letter == "W":
        return _pad(week_of_month(m.date()), count)
    if letter == "G":
        return "AD"
    if letter == "z":
        short = zone_short_name(m, zone_id)
        if count >= 4:
            return LONG_NAMES.get(short, short)
        return short
    if letter == "Z":
        minutes = _offset_minutes(m)
        sign = "+" if minutes >= 0 else "-"
        return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    if letter == "X":
        if count > 3:
            return None
        minutes = _offset_minutes(m)
        if minutes == 0:
            return "Z"
        sign = "+" if minutes > 0 else "-"
        hours, mins = abs(minutes) // 60, abs(minutes) % 60
        if count == 1:
            return f"{sign}{hours:02d}"
        if count == 2:
            return f"{sign}{hours:02d}{mins:02d}"
        return f"{sign}{hours:02d}:{mins:02d}"
    return None  # pragma: no cover - compile_pattern admits only the letters above


# ---------------------------------------------------------------- parsing with a mapping

_NUMERIC = set("yYdHkKhmsSDFwWu")
_ZONE_TEXT = re.compile(r"[Zz](?![A-Za-z])|(?:GMT|UTC)?[+-]\d{2}(?::?\d{2})?|[A-Za-z][A-Za-z_/+-]*")
_TIME_LETTERS = set("HkKhmsSa")


class Parsed(NamedTuple):
    """What a mapping read from a text: the date-time parts, where reading stopped, and so on."""

    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    millisecond: int
    has_time: bool
    has_date: bool
    zone: Zone | None
    end: int


class MappingError(ValueError):
    """The text does not match the mapping."""


def _numeric_field(letter: str, count: int) -> bool:
    return letter in _NUMERIC or (letter in "ML" and count <= 2)


def _match_name(text: str, pos: int, names: tuple[str, ...]) -> tuple[int, int] | None:
    """(index, length) of the longest name matching at pos, ignoring case."""
    best: tuple[int, int] | None = None
    for index, name in enumerate(names):
        size = len(name)
        if text[pos:pos + size].lower() == name.lower() and (best is None or size > best[1]):
            best = (index, size)
    return best


def parse_mapping(text: str, pattern: str, pivot: Any) -> Parsed:
    """Reads `text` with the Java pattern `pattern` (leniently, as SimpleDateFormat does).

    Numeric fields take as many digits as the text has, unless the next field follows with
    no separator, in which case they take exactly their pattern width. A year field of one
    or two letters given exactly two digits is placed by `pivot(two_digit_year)`; any other
    year is taken as written. Spaces before a field are skipped; a space in the pattern
    matches any run of white space. Text after the pattern is not read (`end` says where
    reading stopped). Raises PatternError for a bad pattern, MappingError for a mismatch.
    """
    tokens = compile_pattern(pattern)
    fields: dict[str, int] = {}
    zone: Zone | None = None
    pm: bool | None = None
    pos, n = 0, len(text)
    for index, token in enumerate(tokens):
        if isinstance(token, str):
            for ch in token:
                if ch.isspace():
                    if pos < n and text[pos].isspace():
                        while pos < n and text[pos].isspace():
                            pos += 1
                    continue
                if pos < n and text[pos].lower() == ch.lower():
                    pos += 1
                    continue
                raise MappingError(f"expected '{ch}' at position {pos + 1}")
            continue
        letter, count = token
        while pos < n and text[pos] in " \t":
            pos += 1
        if _numeric_field(letter, count):
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            abutting = isinstance(following, tuple) and _numeric_field(*following)
            start = pos
            limit = pos + count if abutting else n
            while pos < min(limit, n) and text[pos].isdigit():
                pos += 1
            if pos == start:
                raise MappingError(f"expected digits for '{letter * count}' at position {start + 1}")
            digits = text[start:pos]
            if len(digits) > 12:
                raise MappingError(f"the number for '{letter * count}' is too long")
            value = int(digits)
            if letter in "yY":
                if count <= 2 and len(digits) == 2:
                    value = pivot(value)
                fields.setdefault("y", value)
                continue
            key = {"L": "M"}.get(letter, letter)
            fields[key] = value
            continue
        if letter in "ML":
            found = _match_name(text, pos, MONTH_NAMES) or _match_name(text, pos, MONTH_SHORT)
            if found is None:
                raise MappingError(f"expected a month name at position {pos + 1}")
            fields["M"] = found[0] + 1
            pos += found[1]
            continue
        if letter == "E":
            found = _match_name(text, pos, DAY_NAMES) or _match_name(text, pos, DAY_SHORT)
            if found is None:
                raise MappingError(f"expected a day name at position {pos + 1}")
            pos += found[1]
            continue
        if letter == "a":
            word = text[pos:pos + 2].lower()
            if word not in ("am", "pm"):
                raise MappingError(f"expected AM or PM at position {pos + 1}")
            pm = word == "pm"
            pos += 2
            continue
        if letter == "G":
            word = text[pos:pos + 2].upper()
            if word == "BC":
                raise MappingError("years before AD 1 are outside the supported range")
            if word != "AD":
                raise MappingError(f"expected AD at position {pos + 1}")
            pos += 2
            continue
        # z, Z, X: a zone written in the text
        m = _ZONE_TEXT.match(text, pos)
        if m is None:
            raise MappingError(f"expected a time zone at position {pos + 1}")
        word = m.group(0)
        zone = resolve_zone("UTC" if word in ("Z", "z") else word)
        pos = m.end()
    has_time = any(k in fields for k in "HkKhmsS") or pm is not None
    has_date = any(k in fields for k in "yMdD")
    hour = 0
    if "H" in fields:
        hour = fields["H"]
    elif "k" in fields:
        hour = 0 if fields["k"] == 24 else fields["k"]
    elif "h" in fields or "K" in fields:
        base = fields.get("h", fields.get("K", 0))
        hour = base % 12 if "h" in fields else base
        if pm:
            hour += 12
    year = fields.get("y", 1970)
    month = fields.get("M", 1)
    day = fields.get("d", 1)
    if "D" in fields and "M" not in fields and "d" not in fields:
        try:
            moment = _dt.date(year, 1, 1) + _dt.timedelta(days=fields["D"] - 1)
        except (OverflowError, ValueError):
            raise MappingError(f"day of year {fields['D']} is out of range") from None
        if moment.year != year:
            raise MappingError(f"day of year {fields['D']} does not exist in {year}")
        month, day = moment.month, moment.day
    return Parsed(year, month, day, hour, fields.get("m", 0), fields.get("s", 0), fields.get("S", 0),
                  has_time, has_date, zone, pos)
