"""Number, decimal, statistics, randomNumber, conversions and number formatting (`text`)."""

from __future__ import annotations

from typing import Any

import pytest

import deluge


def run(src: str, **kw: Any) -> Any:
    return deluge.run(src, **kw)


def out(src: str, **kw: object) -> list[str]:
    r = run(src, **kw)
    assert r.error is None, r.error
    return list(r.output)


def fails(src: str, kind: str = "runtime", line: int = 1, **kw: object) -> str:
    r = run(src, **kw)
    assert r.error is not None, r.output
    assert r.error.kind == kind, r.error
    assert r.error.line == line, r.error
    return str(r.error)


# ---------------------------------------------------------------- rounding family (D1, D32)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("round(2.675, 2)", "2.68"),
        ("1.005.round(2)", "1.01"),
        ("(-2.5).round(0)", "-3"),
        ("0.5.round()", "1"),
        ("(-0.04).round(1)", "0.0"),
        ("123.456.round(400)", "123.456"),
        ("123.456.round(-400)", "0"),
        ("1250.round(-2)", "1300"),
        ("-1250.round(-2)", "-1300"),
        ("5.round(2)", "5.0"),
        ("round(7, 0)", "7"),
        ("9.995.round(2)", "10.0"),
        ("1299.truncate(-2)", "1200"),
        ("1299.truncate(2)", "1299.0"),
        ("1299.truncate(0)", "1299"),
        ("(-2.789).truncate(0)", "-2"),
        ("5.frac()", "0.0"),
        ("(-5.5).frac()", "-0.5"),
        ("(0.1 + 0.2).frac()", "0.30000000000000004"),
        ("ceil(7)", "7"),
        ("floor(-7)", "-7"),
        ("2.0.ceil()", "2"),
    ],
)
def test_rounding_family(expr: str, expected: str) -> None:
    assert out(f"info {expr};") == [expected]


def test_round_precision_may_be_a_decimal_or_numeric_text() -> None:
    assert out('info round(2.675, 2.9);\ninfo 2.675.round("2");') == ["2.68", "2.68"]


# x becomes 1.0E21 (Deluge has no exponent literals), beyond the 64-bit range
HUGE = "x = 10.0;\nfor each i in {1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20}\n{\n\tx = x * 10.0;\n}\n"


@pytest.mark.parametrize("call", ["x.round(0)", "x.round(-2)", "x.truncate(0)", "x.ceil()", "floor(x)"])
def test_whole_results_outside_64_bits_are_runtime_errors(call: str) -> None:
    fails(HUGE + f"y = {call};", line=6)


def test_huge_decimals_round_with_positive_precision() -> None:
    assert out(HUGE + "info x.round(2);\ninfo x.frac();") == ["1000000000000000000000.0", "0.0"]


def test_round_of_null_or_text_is_a_runtime_error() -> None:
    fails("x = round(null, 2);")
    fails('x = round("2.5", 0);')
    fails("x = 2.5.round(null);")


def test_method_on_null_receiver_is_a_runtime_error() -> None:
    fails("x = null;\ny = x.round(2);", line=2)


# ---------------------------------------------------------------- abs, power, math


def test_abs_keeps_kind_and_overflows_at_the_minimum() -> None:
    assert out("info abs(-5);\ninfo (-2.5).abs();") == ["5", "2.5"]
    fails("x = -9223372036854775807 - 1;\ny = x.abs();", line=2)


def test_power_kinds_and_limits() -> None:
    assert out("info power(2, 62);\ninfo power(-2, 63);\ninfo power(0, 0);\ninfo power(-1, 1000001);") == [
        "4611686018427387904",
        "-9223372036854775808",
        "1",
        "-1",
    ]
    assert out("info 2.5.power(2);\ninfo power(4, 0.5);\ninfo power(2, -2);") == ["6.25", "2.0", "0.25"]
    fails("x = power(2, 63);")
    fails("x = power(3, 1000000000000);")
    fails("x = power(0, -1);")
    fails("x = power(-8, 0.5);")
    fails("x = power(10.0, 400);")


def test_math_domain_and_overflow_errors() -> None:
    for expr in ("exp(1000)", "sinh(1000)", "cosh(-1000)", "log(-1)", "acosh(0)", "atanh(-1)",
                 "sqrt(-0.5)", "asin(-1.5)"):
        fails(f"x = {expr};")
    assert out("info degrees(0.5);\ninfo 0.5.sqrt();\ninfo log(2.718281828459045);") == [
        "28.64788975654116",
        "0.7071067811865476",
        "1.0",
    ]


def test_math_functions_reject_text_and_booleans() -> None:
    fails('x = sqrt("16");')
    fails("x = abs(true);")
    fails('x = max(1, "2");')


def test_max_min_kinds() -> None:
    assert out("info max(2, 2.0);\ninfo 1.5.min(3);\ninfo min(-1, -1);") == ["2.0", "1.5", "-1"]


def test_is_even_on_whole_decimals_and_fractions() -> None:
    assert out("info 4.0.isEven();\ninfo isOdd(-7);\ninfo isEven(-8);") == ["true", "true", "true"]
    fails("x = 2.5.isOdd();")


# ---------------------------------------------------------------- statistics


def test_statistics_on_empty_lists() -> None:
    assert out("l = List();\ninfo l.average();\ninfo l.median();\ninfo l.smallest();\ninfo l.percentile(50);") == [
        "null",
        "null",
        "null",
        "null",
    ]
    fails("l = List();\nx = l.nthSmallest(1);", line=2)
    fails("l = List();\nx = l.rank(1);", line=2)


def test_statistics_on_an_unused_braces_value() -> None:
    assert out("x = {};\ninfo x.largest();\ninfo average(x);") == ["null", "null"]


def test_average_is_exact_on_shortest_forms() -> None:
    assert out("info {0.1, 0.2}.average();\ninfo {1, 2, 2}.average();") == ["0.15", "1.6666666666666667"]


def test_numeric_texts_count_as_numbers() -> None:
    assert out('l = {"10", "9", "100"};\ninfo l.largest();\ninfo l.median();\ninfo l.nthSmallest(1);') == [
        "100",
        "10",
        "9",
    ]


def test_non_numeric_elements_are_runtime_errors() -> None:
    fails('x = {1, "a"}.average();')
    fails("x = {1, null}.median();")
    fails('x = {1, "a"}.largest();')
    fails("x = {1, {2}}.smallest();")


def test_largest_of_dates_and_texts() -> None:
    assert out("info {'01-Jan-2020', '05-Jan-2019'}.largest();\ninfo {\"b\", \"B\"}.smallest();") == [
        "01-Jan-2020",
        "B",
    ]


def test_median_of_an_odd_count_keeps_the_element() -> None:
    assert out("info {1.5, 9, 3}.median();\ninfo {4, 1}.median();") == ["3", "2.5"]


def test_nth_bounds_and_duplicates() -> None:
    assert out("l = {5, 5, 1};\ninfo l.nthLargest(2);\ninfo nthLargest(l, 3);") == ["5", "1"]
    fails("x = {1, 2}.nthSmallest(0);")
    fails("x = {1, 2}.nthSmallest(-1);")
    fails("x = nthLargest({1, 2}, 3);")


def test_percentile_bounds() -> None:
    assert out("l = {1, 2, 3, 4, 5};\ninfo l.percentile(0.5);\ninfo l.percentile(40);\ninfo l.percentile(41);") == [
        "1",
        "2",
        "3",
    ]
    fails("x = {1, 2}.percentile(0);")
    fails("x = {1, 2}.percentile(100.5);")
    fails('x = {1, 2}.percentile("50");')


def test_rank_ties_orders_and_errors() -> None:
    assert out('l = {1, 2, 2, 3};\ninfo l.rank(2);\ninfo l.rank(2, "ASC");\ninfo l.rank(3.0, "descending");') == [
        "2",
        "2",
        "1",
    ]
    fails('x = {1, 2}.rank(1, "up");')
    fails('x = {1, 2}.rank(5);')
    fails('x = {"a", "b"}.rank(1);')


def test_statistics_are_not_methods_of_maps_or_numbers() -> None:
    fails('m = {"a": 1};\nx = m.largest();', line=2)
    fails("x = 5.average();")


def test_percentile_has_no_function_form() -> None:
    r = run("x = percentile({1, 2}, 50);")
    assert r.error is not None and r.error.kind in ("parse", "runtime")


# ---------------------------------------------------------------- randomNumber


def test_random_number_whole_bounds_stay_in_range() -> None:
    src = (
        "ok = true;\nfor each i in {1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20}\n{\n"
        "\tr = randomNumber(-3, 0);\n\tif(r < -3 || r >= 0 || r.frac() != 0.0)\n\t{\n\t\tok = false;\n\t}\n}\ninfo ok;"
    )
    assert out(src) == ["true"]


def test_random_number_decimal_bound_gives_decimals_in_range() -> None:
    src = (
        "ok = true;\nfor each i in {1,2,3,4,5,6,7,8,9,10}\n{\n"
        "\tr = randomNumber(0, 0.001);\n\tif(r < 0 || r >= 0.001)\n\t{\n\t\tok = false;\n\t}\n}\ninfo ok;"
    )
    assert out(src) == ["true"]


def test_random_number_errors() -> None:
    fails("x = randomNumber(3, 1);")
    fails("x = randomNumber(1.5, 1.5);")
    fails('x = randomNumber("1", 3);')
    fails("x = randomNumber(null, 3);")


# ---------------------------------------------------------------- conversions


def test_to_long_edges() -> None:
    assert out('info "+7".toLong();\ninfo "007".toNumber();\ninfo toLong("-9223372036854775808");') == [
        "7",
        "7",
        "-9223372036854775808",
    ]
    for text in ('""', '" 5"', '"12.5"', '"1e3"', '"9223372036854775808"', '"99999999999999999999999999"'):
        fails(f"x = {text}.toLong();")
    fails("x = toLong(true);")
    fails("x = toLong(null);")
    fails("x = toNumber({1});")


def test_to_long_function_form_on_a_date_time_gives_epoch_millis() -> None:
    assert out("info toLong('01-Jan-2020 00:00:00');") == ["1577836800000"]


def test_to_decimal_edges() -> None:
    assert out('info "-.5".toDecimal();\ninfo toDecimal("12.");\ninfo 3.toDecimal();') == ["-0.5", "12.0", "3.0"]
    for text in ('" 1"', '"1,000"', '"1e3"', '"abc"', '"-"', '"."'):
        fails(f"x = {text}.toDecimal();")
    fails("x = toDecimal(true);")


def test_to_hex_edges() -> None:
    assert out("info toHex(-1);\ninfo 4096.toHex();") == ["ffffffffffffffff", "1000"]
    fails("x = toHex(2.5);")
    fails('x = "ff".toHex();')
    fails("x = toHex(null);")


# ---------------------------------------------------------------- text (number formatting)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('2.675.text("0.00")', "2.68"),
        ('0.125.text("0.00")', "0.13"),
        ('(-0.001).text("0.00")', "0.00"),
        ('(-1234.5).text("#,##0.00")', "-1,234.50"),
        ('(-1234.5).text("#,##0.00;(#,##0.00)")', "(1,234.50)"),
        ('0.5.text("#.00")', ".50"),
        ('0.456.text("#.##")', "0.46"),
        ('0.text("#")', "0"),
        ('12345.text("0.###E0")', "1.235E4"),
        ('12345.text("##0.##E0")', "12.345E3"),
        ('0.00123.text("00.###E0")', "12.3E-4"),
        ('0.256.text("0.0%")', "25.6%"),
        ('5.text("\'#\'0")', "#5"),
        ('5.text("o\'\'clock 0")', "o'clock 5"),
        ('5.text("0.")', "5."),
        ('1234567.text("#,####")', "123,4567"),
        ('"1234567890123456789012345.5".text("#,##0")', "1,234,567,890,123,456,789,012,346"),
        ('" 12.5 ".text("0.00")', "12.50"),
        ('text(99.5, "0")', "100"),
        ('1234.5.text("")', "1,234.5"),
        ('5.text("0;")', "5"),
        ('5.text("0E0E")', "5E0E"),
    ],
)
def test_number_patterns(expr: str, expected: str) -> None:
    assert out(f"info {expr};") == [expected]


@pytest.mark.parametrize("pattern", ["0.0.0", "0#", "#,##0,", "00E", "0%%", "'0", ";0", "0.0E", "#,##0.0,0", "0.0#0"])
def test_invalid_number_patterns_are_runtime_errors(pattern: str) -> None:
    fails(f'x = 5.text("{pattern}");')


def test_text_needs_a_text_pattern_and_a_formattable_value() -> None:
    fails("x = 5.text(null);")
    fails("x = 5.text(2);")
    fails('x = text(null, "0");')
    fails('x = true.text("0");')
    fails('x = {1}.text("0");')
    fails('x = "hello".text("0");')
    fails("x = 2434.text();")


def test_text_formats_dates() -> None:
    assert out("info '01-Jan-2019 10:15:30'.text(\"yyyy/MM/dd\");") == ["2019/01/01"]


def test_text_result_over_the_text_limit_is_a_budget_error() -> None:
    r = run("x = 5.text(p);", context={"p": "0" * 5_000_001})
    assert r.error is not None and r.error.kind == "budget"
