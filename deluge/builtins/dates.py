"""Dates and date-times (list-map-date-json.md section 4): parsing text and formatting."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from deluge.errors import DelugeRuntimeError
from deluge.runtime.values import DateTime, type_name
from deluge.syntax.datetext import DateTextError, iso_offset_minutes, pivot_year, recognise_date


def text_to_datetime(text: str, now_year: int | None = None) -> DateTime:
    """A date-time from text in any layout of 4.1 (ISO-8601 included); runtime error otherwise."""
    try:
        parts = recognise_date(text, strict=False, iso=True)
    except DateTextError as exc:
        raise DelugeRuntimeError(f"'{text}' is not a valid date: {exc}") from None
    if parts is None:
        raise DelugeRuntimeError(f"'{text}' is not a date in a known layout")
    year = parts.year
    if parts.two_digit_year:
        year = pivot_year(year, now_year or _dt.datetime.now().year)
    try:
        dt = _dt.datetime(year, parts.month, parts.day, parts.hour, parts.minute, parts.second)
    except ValueError as exc:
        raise DelugeRuntimeError(f"'{text}' is not a valid date: {exc}") from None
    offset = iso_offset_minutes(text)
    if offset is not None:
        dt = dt - _dt.timedelta(minutes=offset)
    return DateTime(dt, date_only=not parts.has_time)


def format_value(ex: Any, value: Any, fmt: Any = None, tz: Any = None) -> str:
    raise DelugeRuntimeError(
        f"Formatting a value of type {type_name(value)} with a pattern is not available yet"
    )
