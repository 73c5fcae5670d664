"""Edge cases of the date, date-time and time built-ins (list-map-date-json.md section 4)."""

from __future__ import annotations

import time

import pytest

import deluge
from deluge.builtins import datefmt, dates
from deluge.errors import DelugeRuntimeError
from deluge.runtime import execution

CLOCK = {"zoho": {"currenttime": "15-Mar-2019 10:20:30"}}


def run(src: str, **kw):
    kw.setdefault("context", CLOCK)
    return deluge.run(src, **kw)


def out(src: str, **kw) -> list[str]:
    r = run(src, **kw)
    assert r.error is None, str(r.error)
    return [str(x) for x in r.output]


def one(expr: str, **kw) -> str:
    lines = out(f"info {expr};", **kw)
    assert len(lines) == 1
    return lines[0]


def fails(src: str, kind: str = "runtime", line: int | None = None, **kw) -> str:
    r = run(src, **kw)
    assert r.error is not None, f"expected an error, got {r.output}"
    assert r.error.kind == kind, str(r.error)
    if line is not None:
        assert r.error.line == line
    return str(r.error)


@pytest.fixture
def zone(monkeypatch):
    """Runs with another configured application zone (0.6)."""

    def configure(name: str) -> None:
        original = execution.Execution.__init__

        def init(self, *args, **kwargs):
            kwargs["timezone"] = name
            original(self, *args, **kwargs)

        monkeypatch.setattr(execution.Execution, "__init__", init)

    return configure


# ---------------------------------------------------------------- receivers and arguments


def test_method_on_null_receiver_is_runtime_error():
    msg = fails("d = null;\ninfo d.addDay(1);", line=2)
    assert "addDay" in msg


def test_function_form_with_null_value_is_runtime_error():
    fails("info addDay(null, 1);", line=1)
    fails("info getDay(null);", line=1)


def test_date_function_on_a_number_is_runtime_error():
    fails("info addDay(5, 1);")
    fails("n = 5;\ninfo n.getDay();", line=2)


def test_day_function_on_a_time_is_runtime_error():
    fails("t = '10:00:00';\ninfo t.addDay(1);", line=2)
    fails("info getDay('10:00:00');")


def test_count_decimal_truncates_and_numeric_text_converts():
    assert one("'01-Jan-2019'.addDay(1.9)") == "02-Jan-2019 00:00:00"
    assert one("'05-Jan-2019'.addDay(-1.9)") == "04-Jan-2019 00:00:00"
    assert one("'01-Jan-2019'.addDay(\"3\")") == "04-Jan-2019 00:00:00"
    assert one("'01-Jan-2019'.addDay(\"2.5\")") == "03-Jan-2019 00:00:00"


@pytest.mark.parametrize("count", ["null", "true", "\"x\"", "{1}"])
def test_count_of_another_type_is_runtime_error(count):
    fails(f"info '01-Jan-2019'.addDay({count});")


def test_results_outside_years_1_to_9999_are_runtime_errors():
    fails("info '01-Jan-2019'.addYear(100000);")
    fails("info '01-Jan-2019'.addDay(999999999999999);")
    fails("info '01-Jan-0001'.subDay(1);")
    fails("info '31-Dec-9999 23:00:00'.addHour(1);")
    fails("info '31-Dec-9999'.eomonth(1);")
    fails("info '31-Dec-9999'.nextWeekDay(\"Monday\");")


def test_receiver_is_not_changed():
    assert out("d = '31-Jan-2019 10:00:00';\ne = d.addMonth(1);\ninfo d;\ninfo e;") == [
        "31-Jan-2019 10:00:00", "28-Feb-2019 10:00:00"]


def test_text_receivers_parse_as_dates():
    assert one("\"15-Mar-2019\".addWeek(1)") == "22-Mar-2019 00:00:00"
    assert one("\"Aug 21,2013 16:04:37\".getHour()") == "16"
    assert one("daysBetween(\"2019-01-01\", \"01/31/2019\")") == "30"
    fails("info \"not a date\".addDay(1);")


def test_iso_text_with_offset_converts_into_the_configured_zone():
    assert one("\"2020-12-09T17:25:24-07:00\".addDay(0)") == "10-Dec-2020 00:25:24"
    assert one("\"2019-02-03T10:00:00Z\".getHour()") == "10"


def test_iso_text_with_fraction_and_rolled_over_time():
    assert one("\"2019-01-01T10:00:00.250Z\".toDateTime()") == "01-Jan-2019 10:00:00"
    assert one("\"2019-01-01 25:00:00\".toDateTime()") == "01-Jan-2019 00:00:00"


# ---------------------------------------------------------------- TIME values


def test_time_arithmetic_wraps_around_midnight():
    assert one("'10:00:00'.addHour(15)") == "01:00:00"
    assert one("'10:00:00'.subMinutes(601)") == "23:59:00"
    assert one("addSeconds('23:59:59', 2)") == "00:00:01"
    assert one("'00:00:00'.subHour(48)") == "00:00:00"


def test_time_text_works_with_clock_functions():
    assert one("\"10:30:15\".getHour()") == "10"
    assert one("\"1:30:00 pm\".getMinutes()") == "30"
    assert one("\"10:30:15\".addHour(1)") == "11:30:15"


def test_getters_on_time_values():
    assert out("t = '07:08:09';\ninfo hour(t);\ninfo minute(t);\ninfo second(t);") == ["7", "8", "9"]


# ---------------------------------------------------------------- getters


@pytest.mark.parametrize("text", [
    "01-Ja-2019",            # month shorter than three letters
    "01-Jan-2019 100:00:00",  # a time part of more than two digits
    "001-Jan-2019",          # a day of more than two digits
    "01-Jan-20190",          # a year of more than four digits
])
def test_getters_return_null_for_the_documented_malformed_texts(text):
    assert one(f"\"{text}\".getDay()") == "null"
    assert one(f"getMonth(\"{text}\")") == "null"


@pytest.mark.parametrize("text", ["32-Jan-2019", "01-Jxx-2019", "hello", "31-Feb-2019"])
def test_getters_fail_for_other_bad_texts(text):
    fails(f"info \"{text}\".getDay();")


def test_day_of_week_and_year_boundaries():
    assert one("'01-Jan-2017'.getDayOfWeek()") == "1"
    assert one("'07-Jan-2017'.weekday()") == "7"
    assert one("'31-Dec-2019'.getDayOfYear()") == "365"
    assert one("'01-Jan-2019 10:00:00'.getDayOfYear()") == "1"


def test_get_day_of_year_has_no_function_form():
    fails("info getDayOfYear('01-Jan-2019');")


def test_week_of_year_with_a_start_day():
    # 6 January 2019 is a Sunday: week 2 with Sunday-start weeks, still week 1 with Monday-start weeks.
    assert one("'06-Jan-2019'.getWeekOfYear()") == "2"
    assert one("'06-Jan-2019'.getWeekOfYear(\"Monday\")") == "1"
    assert one("getWeekOfYear('07-Jan-2019', \"mon\")") == "2"
    fails("info '06-Jan-2019'.getWeekOfYear(\"Someday\");")


# ---------------------------------------------------------------- differences


def test_differences_are_negative_when_reversed():
    assert one("'01-Mar-2020'.monthsBetween('01-Jan-2020')") == "-2"
    assert one("'01-Jan-2021'.yearsBetween('01-Jan-2020')") == "-1"
    assert one("'31-Mar-2019'.monthsDiff('28-Feb-2019')") == "-1"
    assert one("'28-Feb-2019'.monthsDiff('31-Jan-2019')") == "0"
    assert one("'01-Mar-2021'.yearsDiff('29-Feb-2020')") == "-1"


def test_hours_between_truncates_each_value_to_its_hour():
    assert one("'01-Jan-2019 23:59:59'.hoursBetween('02-Jan-2019 00:00:01')") == "1"
    assert one("'01-Jan-2019 10:59:00'.hoursBetween('01-Jan-2019 10:00:00')") == "0"


def test_difference_with_a_non_date_argument_is_runtime_error():
    fails("info '01-Jan-2019'.daysBetween(5);")
    fails("info '01-Jan-2019'.daysBetween(\"junk\");")


# ---------------------------------------------------------------- business days


def test_add_business_day_zero_and_negative():
    assert one("'16-Mar-2019'.addBusinessDay(0)") == "16-Mar-2019 00:00:00"
    assert one("'18-Mar-2019 08:00:00'.addBusinessDay(-1)") == "15-Mar-2019 08:00:00"
    assert one("'15-Mar-2019'.subBusinessDay(-1)") == "18-Mar-2019 00:00:00"


def test_business_days_with_custom_weekends_and_holidays():
    assert one("'15-Mar-2019'.addBusinessDay(1, {}, {})") == "16-Mar-2019 00:00:00"
    assert one("'15-Mar-2019'.addBusinessDay(2, {\"sun\"})") == "18-Mar-2019 00:00:00"
    assert one("'15-Mar-2019'.addBusinessDay(1, {\"Saturday\",\"Sunday\"}, {\"18-Mar-2019\"})") == \
        "19-Mar-2019 00:00:00"
    # a holiday on a weekend changes nothing
    assert one("'15-Mar-2019'.addBusinessDay(1, {\"Saturday\",\"Sunday\"}, {'16-Mar-2019'})") == \
        "18-Mar-2019 00:00:00"


def test_business_days_bad_arguments():
    fails("info '15-Mar-2019'.addBusinessDay(1, {\"Funday\"});")
    fails("info '15-Mar-2019'.addBusinessDay(1, {\"Mon\",\"Tue\",\"Wed\",\"Thu\",\"Fri\",\"Sat\",\"Sun\"});")
    fails("info '15-Mar-2019'.addBusinessDay(1, 5);")
    fails("info '15-Mar-2019'.addBusinessDay(1, {\"Sunday\"}, {1, 2});")


def test_large_business_day_counts_are_fast_and_exact():
    start = time.monotonic()
    # 1,000,000 working days of 5 a week = 200,000 weeks = 1,400,000 days minus landing on the Friday
    assert one("'15-Mar-2019'.addBusinessDay(1000000)") == "09-Apr-5852 00:00:00"
    assert one("'15-Mar-2019'.addBusinessDay(1000000).subBusinessDay(1000000)") == "15-Mar-2019 00:00:00"
    assert time.monotonic() - start < 2
    fails("info '15-Mar-2019'.addBusinessDay(100000000);")


def test_workday_returns_dates():
    assert one("'15-Mar-2019 10:00:00'.workday(1)") == "18-Mar-2019"
    assert one("'15-Mar-2019 10:00:00'.workday(0)") == "15-Mar-2019"
    assert one("'15-Mar-2019'.workday(10, {\"Saturday\",\"Sunday\"}, {'18-Mar-2019','19-Mar-2019'})") == \
        "02-Apr-2019"


def test_work_days_between_and_list_agree():
    assert one("'1-Jan-2019'.workDaysBetween('1-Jan-2020')") == "261"
    assert one("'1-Jan-2019'.workDaysBetween('1-Jan-2019')") == "0"
    assert one("'2-Jan-2019'.workDaysList('1-Jan-2020').size()") == "261"
    assert one("'5-Jan-2019'.workDaysList('6-Jan-2019').size()") == "0"


def test_work_days_list_over_the_collection_limit_is_a_budget_error():
    fails("info '1-Jan-2019'.workDaysList('1-Jan-2500').size();", kind="budget")


# ---------------------------------------------------------------- calendar helpers


def test_start_of_month_and_week_keep_the_date_flag():
    assert one("'15-Mar-2019'.toStartOfMonth()") == "01-Mar-2019"
    assert one("toStartOfWeek('16-Mar-2019 23:00:00')") == "10-Mar-2019 00:00:00"
    assert one("toStartOfWeek(\"2019-03-15\")") == "10-Mar-2019"
    fails("info '01-Jan-0001'.toStartOfWeek();")


def test_edate_and_eomonth_edges():
    assert one("'31-Jan-2019'.edate(-13)") == "31-Dec-2017"
    assert one("'31-Jan-2019'.edate(1.7)") == "28-Feb-2019"
    assert one("'31-Jan-2019 10:00:00'.eomonth(-1)") == "31-Dec-2018"


def test_next_and_previous_week_day_names():
    assert one("'01-Jan-2019'.nextWeekDay(\"tues\")") == "08-Jan-2019"
    assert one("'01-Jan-2019 10:00:00'.previousWeekDay(\"SUN\")") == "30-Dec-2018"
    fails("info '01-Jan-2019'.nextWeekDay(null);")
    fails("info '01-Jan-2019'.nextWeekDay(3);")


# ---------------------------------------------------------------- formatting


def test_every_pattern_letter():
    pattern = "G yy yyy yyyyy Y M MM MMM MMMM L d dd D DDD F w W E EEEE u a H k K h m s S SSS"
    assert one(f"'01-Jan-2019 15:05:09'.toString(\"{pattern}\")") == (
        "AD 19 2019 02019 2019 1 01 Jan January 1 1 01 1 001 1 1 1 Tue Tuesday 2 PM 15 15 3 3 5 9 0 000")
    assert one("'01-Jan-2019 00:05:09'.toString(\"k K h a\")") == "24 0 12 AM"
    assert one("'01-Jan-2019 12:05:09'.toString(\"k K h a\")") == "12 0 12 PM"


def test_zone_letters():
    assert one("'01-Jan-2019 10:00:00'.toString(\"z zzzz Z X XX XXX\")") == \
        "UTC Coordinated Universal Time +0000 Z Z Z"
    assert one("'01-Jan-2019 10:00:00'.toString(\"HH:mm z Z X XX XXX\", \"Asia/Kolkata\")") == \
        "15:30 IST +0530 +05 +0530 +05:30"
    assert one("'01-Jul-2019 10:00:00'.toString(\"HH:mm z\", \"America/New_York\")") == "06:00 EDT"


@pytest.mark.parametrize("zone_name, expected", [
    ("GMT+05:30", "15:30 GMT+05:30"),
    ("UTC-8", "02:00 GMT-08:00"),
    ("IST", "15:30 IST"),
    ("asia/kolkata", "15:30 IST"),
    ("Nowhere/Land", "10:00 GMT"),
    ("../../etc/passwd", "10:00 GMT"),
])
def test_zone_names(zone_name, expected):
    assert one(f"'01-Jan-2019 10:00:00'.toString(\"HH:mm z\", \"{zone_name}\")") == expected


@pytest.mark.parametrize("pattern", ["yyyy-MM-ddTHH", "'unterminated", "XXXX", "yyyy q"])
def test_invalid_patterns_give_null(pattern):
    assert one(f"'01-Jan-2019 10:00:00'.toString(\"{pattern}\")") == "null"
    assert one(f"1577836800000.toDateTimeString(\"{pattern}\", \"GMT\")") == "null"


def test_quotes_in_patterns():
    assert one("'01-Jul-2019'.toString(\"''yyyy''\")") == "'2019'"
    assert one("'01-Jul-2019'.toString(\"'it''s' yyyy\")") == "it's 2019"
    assert one("'01-Jul-2019'.toString(\"\")") == ""


def test_format_argument_types():
    fails("info '01-Jul-2019'.toString(5);")
    fails("info '01-Jul-2019'.toString(\"HH:mm\", 5);")


def test_to_string_with_only_a_zone_writes_the_printed_layout_in_that_zone():
    assert one("'01-Jul-2019 10:00:00'.toString(null, \"Asia/Kolkata\")") == "01-Jul-2019 15:30:00"


def test_time_values_format_on_the_current_date():
    assert one("'10:15:00'.toString(\"hh:mm a\")") == "10:15 AM"
    assert one("toText('10:15:00', \"yyyy-MM-dd HH:mm\", \"Asia/Kolkata\")") == "2019-03-15 15:45"
    assert one("'10:15:00'.toString()") == "10:15:00"


def test_epoch_milliseconds_keep_their_milliseconds():
    assert one("toString(1577836800123, \"yyyy-MM-dd HH:mm:ss.SSS\")") == "2020-01-01 00:00:00.123"
    fails("info 999999999999999999.toDateTimeString(\"yyyy\", \"GMT\");")


def test_to_date_time_string_receivers():
    assert one("'01-Jan-2020 00:00:00'.toDateTimeString(\"yyyy-MM-dd HH:mm z\", \"Asia/Kolkata\")") == \
        "2020-01-01 05:30 IST"
    assert one("toDateTimeString(\"01-Jan-2020\", \"dd/MM/yyyy\", \"GMT\")") == "01/01/2020"
    fails("info true.toDateTimeString(\"yyyy\", \"GMT\");")


# ---------------------------------------------------------------- conversions


def test_two_digit_years_pivot_on_the_frozen_clock():
    assert one("\"01-Jan-45\".toDate()") == "01-Jan-1945"
    later = {"zoho": {"currenttime": "01-Jan-2030 00:00:00"}}
    assert one("\"01-Jan-45\".toDate()", context=later) == "01-Jan-2045"
    assert one("\"11-Jan-45\".toDate(\"dd-MMM-yy\")", context=later) == "11-Jan-2045"
    assert one("\"11-Jan-0045\".toDate(\"dd-MMM-yy\")") == "11-Jan-0045"


def test_mapping_with_abutting_fields():
    assert one("\"20190111\".toDate(\"yyyyMMdd\")") == "11-Jan-2019"
    assert one("\"2019011\".toDate(\"yyyyMMd\")") == "01-Jan-2019"


def test_mapping_text_fields():
    assert one("\"11-september-2019\".toDate(\"dd-MMM-yyyy\")") == "11-Sep-2019"
    assert one("\"Fri, 11 Jan 2019\".toDate(\"EEE, dd MMM yyyy\")") == "11-Jan-2019"
    assert one("\"11/01/2019 10:30 PM\".toDateTime(\"dd/MM/yyyy hh:mm a\")") == "11-Jan-2019 22:30:00"
    assert one("\"11/01/2019 12:30 AM\".toDateTime(\"dd/MM/yyyy hh:mm a\")") == "11-Jan-2019 00:30:00"
    assert one("\"2019-032\".toDate(\"yyyy-DDD\")") == "01-Feb-2019"


def test_mapping_with_a_zone_in_the_text():
    assert one("\"11/01/2019 10:30:00 +0530\".toDateTime(\"dd/MM/yyyy HH:mm:ss Z\")") == "11-Jan-2019 05:00:00"
    assert one("\"2019-01-11T10:30:00Z\".toDateTime(\"yyyy-MM-dd'T'HH:mm:ssX\")") == "11-Jan-2019 10:30:00"


@pytest.mark.parametrize("src", [
    "\"11/13/2019\".toDate(\"dd/MM/yyyy\")",
    "\"31/02/2019\".toDate(\"dd/MM/yyyy\")",
    "\"11-01-2019\".toDate(\"dd/MM/yyyy\")",
    "\"11 Jan 2019\".toDate(\"dd MMM yyyyT\")",
    "\"abc\".toDate(\"dd-MM-yyyy\")",
    "\"2019-01-01\".toDate(5)",
    "\"\".toDate()",
    "\"13:30:00\".toDate()",
])
def test_conversion_failures_are_runtime_errors(src):
    fails(f"info {src};")


@pytest.mark.parametrize("src", ["{1,2}.toDate()", "true.toDate()", "toDate(null)", "1.5.toDateTime()"])
def test_conversion_of_other_types_is_runtime_error(src):
    fails(f"info {src};")


def test_time_only_text_takes_the_current_date():
    assert one("\"13:30:00\".toTime()") == "15-Mar-2019 13:30:00"
    assert one("\"13:30\".toTime(\"HH:mm\")") == "15-Mar-2019 13:30:00"


def test_epoch_numbers_and_date_receivers():
    assert one("toDate(0)") == "01-Jan-1970"
    assert one("toDateTime(-1)") == "31-Dec-1969 23:59:59"
    assert one("'01-Jan-2019'.toDateTime()") == "01-Jan-2019 00:00:00"
    assert one("toDate('01-Jan-2019 10:00:00', \"ignored\")") == "01-Jan-2019"


def test_to_time_with_an_iso_offset_ignores_the_zone_argument():
    assert one("\"2019-01-01T10:00:00+01:00\".toTime(null, \"Asia/Kolkata\")") == "01-Jan-2019 09:00:00"
    assert one("\"01-Jan-2019 10:00\".toTime(null, \"Asia/Kolkata\")") == "01-Jan-2019 04:30:00"


def test_unix_epoch():
    assert one("\"2020-12-09T17:25:24-07:00\".unixEpoch()") == "1607559924000"
    assert one("\"2020-12-09 17:25:24\".unixEpoch(\"America/Los_Angeles\")") == "1607563524000"
    assert one("\"2020-12-09 17:25:24\".unixEpoch(\"Bogus/Zone\")") == "1607534724000"
    assert one("\"31-Feb-2019\".unixEpoch()") == "31-Feb-2019"
    fails("info unixEpoch(\"01-Jan-2020\");")


def test_to_long_forms():
    assert one("'01-Jan-2020'.toLong()") == "1577836800000"
    assert one("'01-Jan-2020'.toNumber()") == "1577836800000"
    assert one("now.toLong()") == "1552645230000"


def test_is_date_variants():
    assert out("info isDate(\"2019-01-01T10:00:00Z\");\ninfo isDate(\"31-Feb-2019\");\ninfo isDate('10:00:00');"
               "\ninfo isDate(null);\ninfo isDate({});\ninfo isDate(true);\ninfo {\"a\":1}.isDate();") == [
        "true", "false", "false", "false", "null", "false", "null"]
    fails("d = null;\ninfo d.isDate();", line=2)


# ---------------------------------------------------------------- the configured zone


def test_configured_zone_moves_epoch_conversions(zone):
    zone("Asia/Kolkata")
    assert one("'01-Jan-2020 05:30:00'.toLong()") == "1577836800000"
    assert one("toLong('01-Jan-2020 05:30:00')") == "1577836800000"
    assert one("'01-Jan-2020 05:30:00'.toString(\"HH:mm z\", \"\")") == "05:30 IST"
    assert one("toDateTime(0)") == "01-Jan-1970 05:30:00"
    assert one("'01-Jan-2020 05:30:00'.toString(\"HH:mm z\")") == "05:30 IST"
    assert one("'01-Jan-2020 05:30:00'.toString(\"HH:mm\", \"UTC\")") == "00:00"
    assert one("\"2020-01-01T00:00:00Z\".toDateTime()") == "01-Jan-2020 05:30:00"
    assert one("\"01-Jan-2020 05:30:00\".unixEpoch()") == "1577836800000"


def test_missing_time_zone_database_is_reported(monkeypatch):
    monkeypatch.setattr(datefmt, "_load_iana", lambda name: None)
    monkeypatch.setattr(datefmt, "tz_database_available", lambda: False)
    datefmt.resolve_zone.cache_clear()
    try:
        with pytest.raises(DelugeRuntimeError, match="tzdata"):
            datefmt.resolve_zone("Asia/Kolkata")
        assert datefmt.resolve_zone("GMT+05:30").name == "GMT+05:30"
        assert datefmt.resolve_zone("Unknown").name == "GMT"
    finally:
        datefmt.resolve_zone.cache_clear()


def test_text_to_datetime_without_a_run_uses_the_given_year():
    assert dates.text_to_datetime("01-Jan-45", 2030).dt.year == 2045
    assert dates.text_to_datetime("2019-01-01").date_only is True
