"""Text functions, toList/toListString on text, and Java regular expressions (text-number-common.md 1, D7)."""

from __future__ import annotations

import pytest

import deluge
from deluge.builtins import regex as rx
from deluge.builtins.regex import fold_case
from deluge.errors import BudgetExceeded, DelugeRuntimeError
from deluge.limits import Limits
from deluge.runtime.execution import Execution


def run(src: str, **kw):
    return deluge.run(src, **kw)


def out(src: str, **kw) -> list[str]:
    r = run(src, **kw)
    assert r.error is None, r.error
    return r.output


def fails(src: str, kind: str = "runtime", line: int | None = None, **kw):
    r = run(src, **kw)
    assert r.error is not None, r.output
    assert r.error.kind == kind, r.error
    if line is not None:
        assert r.error.line == line, r.error
    return r


def one(expr: str, **kw) -> str:
    return out(f"info {expr};", **kw)[0]


# ------------------------------------------------------------------ null receivers and arguments


@pytest.mark.parametrize("call", ["trim()", "length()", "subString(1)", "contains(\"a\")", "replaceAll(\"a\", \"b\")",
                                  "matches(\"a\")", "toList(\",\")", "proper()", "reverse()"])
def test_method_on_null_is_a_runtime_error(call):
    fails(f'x = null;\ninfo x.{call};', line=2)


@pytest.mark.parametrize("call", ['trim(null)', 'length(null)', 'contains(null, "a")', 'contains("a", null)',
                                  'replaceAll("a", null, "b")', 'replaceAll("a", "a", null)', 'matches("a", null)',
                                  'reverse(null)', 'getPrefix("a", null)', 'equalsIgnoreCase("a", null)',
                                  'startsWith("a", null)', 'indexOf(null, "a")', 'repeat("a", null)'])
def test_null_argument_is_a_runtime_error(call):
    fails(f"info {call};", line=1)


def test_methods_on_other_receivers_fail_but_widened_ones_work():
    fails("info 5.trim();")
    fails('info trim(5);')
    fails("info true.length();")
    assert one("12345.length()") == "5"
    assert one("length(-12.5)") == "5"
    assert one("5.equalsIgnoreCase(\"5\")") == "true"
    assert one("reverse(123)") == "321"


def test_proper_has_no_function_form():
    fails('x = proper("abc");', line=1)


def test_number_and_boolean_search_arguments_are_read_as_text():
    assert out('info "a1".contains(1);\ninfo "x true".endsWith(true);\ninfo "a2.5".indexOf(2.5);') == [
        "true", "true", "1"]
    fails('info "abc".contains({"a"});')


# ------------------------------------------------------------------ indexes and counts


def test_substring_edges():
    assert out('info "abc".subString(3) + "|";\ninfo "abc".subString(1, 2.9);\ninfo "abc".subString(0, -5);') == [
        "|", "b", "abc"]
    fails('s = "hello";\ninfo s.subString(2, 9);', line=2)
    fails('info "abc".subString(-1, 2);')
    fails('info "abc".subString(4);')
    fails('info "abc".subString(2, 1);')
    fails('info "abc".subString("x");')


def test_left_right_clamp():
    assert out('info "[" + "abc".left(-1) + "]";\ninfo "abc".left(99);\ninfo "abc".right(2);\n'
               'info "[" + right("abc", 0) + "]";') == ["[]", "abc", "bc", "[]"]


def test_pad_width_and_limit():
    assert one('"[" + "ab".leftpad(2) + "]"') == "[ab]"
    assert one('"[" + "ab".rightpad(5) + "]"') == "[ab   ]"
    fails('x = "a".leftpad(99999999999);', kind="budget", line=1)
    fails('x = "a".rightpad(6000);', kind="budget", limits=Limits(text_length=5000))


def test_repeat_limits():
    assert one('"ab".repeat(0).length()') == "0"
    fails('x = "ab".repeat(-1);', line=1)
    fails('x = "ab".repeat(3000000);', kind="budget", line=1)
    fails('x = "ab".repeat(9223372036854775807);', kind="budget", line=1)


# ------------------------------------------------------------------ whitespace and case


def test_trim_family_removes_control_characters_up_to_space():
    src = 'x = hexToText("090a20") + "a b" + hexToText("0d00");\ninfo "[" + x.trim() + "]";\n' \
          'info ltrim(x).length();\ninfo rtrim(x).length();'
    assert out(src) == ["[a b]", "5", "6"]


def test_proper_word_boundaries():
    assert one('"o\'neil-smith 2-way dOG".proper()') == "O'Neil-Smith 2-Way Dog"
    assert one('"élan ÉCOLE".proper()') == "Élan École"


def test_upper_case_is_full_mapping():
    assert one('"straße".toUpperCase()') == "STRASSE"


def test_ignore_case_variants():
    assert out('info "ΟΔΟΣ".equalsIgnoreCase("οδος");\ninfo "ab".equalsIgnoreCase("abc");\n'
               'info "Hello WORLD".getSuffixIgnoreCase("hello");\ninfo "ab".startsWithIgnoreCase("ABC");\n'
               'info "report.PDF".endsWithIgnoreCase(".pdf");') == ["true", "false", " WORLD", "false", "true"]


def test_fold_case_keeps_indexes():
    for text in ["İstanbul", "Straße", "ΟΔΟΣ", "plain", ""]:
        assert len(fold_case(text)) == len(text)
    assert fold_case("ΣΑΣ") == fold_case("σας")


# ------------------------------------------------------------------ searching and removing


def test_empty_search_texts():
    assert out('info "abc".indexOf("");\ninfo "abc".lastIndexOf("");\ninfo "abc".getOccurenceCount("");\n'
               'info "abc".remove("");\ninfo "abc".removeLastOccurence("");\ninfo "abc".getSuffix("");') == [
        "0", "3", "0", "abc", "abc", "abc"]


def test_remove_variants():
    assert out('info "a-b-c".remove("-");\ninfo "a-b-c".removeFirstOccurence("-");\n'
               'info "a-b-c".removeLastOccurence("-");\ninfo "a.b".remove(".");') == ["abc", "ab-c", "a-bc", "ab"]


def test_letter_classes_are_ascii():
    assert out('info "[" + "é1 a_B".getAlpha() + "]";\ninfo "[" + "é1 a_B".getAlphaNumeric() + "]";\n'
               'info "[" + "é1 a_B".removeAllAlpha() + "]";\ninfo "[" + "é1 a_B".removeAllAlphaNumeric() + "]";') == [
        "[aB]", "[1aB]", "[é1 _]", "[é _]"]


# ------------------------------------------------------------------ building texts


def test_concat_converts_like_plus():
    assert out('info "a".concat(null);\ninfo concat("n", {1, 2});\ninfo "m".concat({"k": 1});\n'
               'info "d".concat(2.50);') == ["anull", "n1,2", 'm{"k":1}', "d2.5"]


def test_concat_limit():
    fails('x = "a".repeat(4000);\ny = x.concat(x);', kind="budget", line=2, limits=Limits(text_length=5000))


def test_hex_round_trip_and_errors():
    assert out('info textToHex("€a");\ninfo hexToText("E282AC61");\ninfo hexToText("").length();') == [
        "e282ac61", "€a", "0"]
    fails('x = hexToText("abc");')
    fails('x = hexToText("0A 0B");')
    fails('x = hexToText("0x41");')
    assert one('hexToText("ff").length()') == "1"


def test_is_ascii():
    assert out('info "~\\t".isAscii();\ninfo isAscii("é");') == ["true", "false"]


# ------------------------------------------------------------------ toList / toListString on text


def test_to_list_splits_literally():
    assert out('l = "a.b..c.".toList(".");\ninfo l.size();\ninfo l.get(2) + "|";\ninfo l.get(3);') == [
        "5", "|", "c"]
    assert out('info "abc".toList().size();\ninfo "abc".toList("x").get(0);\ninfo "".toList(",").size();') == [
        "1", "abc", "1"]


def test_to_list_empty_separator_gives_characters():
    assert out('l = "abc".toList("");\ninfo l.size();\ninfo l.get(2);') == ["3", "c"]


def test_to_list_function_form_and_errors():
    assert out('info toList("x-y", "-").size();') == ["2"]
    fails('info "abc".toList(null);')
    fails('x = "a,".repeat(100000);\nl = x.toList(",");', kind="budget", line=2)


def test_to_list_string_keeps_spaces():
    assert out('l = "1, 2,3".toListString();\ninfo l.size();\ninfo "[" + l.get(1) + "]";') == ["3", "[ 2]"]
    fails("info 5.toListString();")


# ------------------------------------------------------------------ regular expressions: dialect


@pytest.mark.parametrize(("text", "pattern", "expected"), [
    ("héllo", "\\\\w+", "false"),            # \w is ASCII in Java
    ("١٢", "\\\\d+", "false"),               # \d is ASCII in Java
    ("héllo", "\\\\p{Alpha}+", "false"),     # POSIX classes are ASCII
    ("héllo", "\\\\p{L}+", "true"),
    ("héllo", "\\\\p{IsLatin}+", "true"),
    ("λ", "\\\\p{InGreek}", "true"),
    ("a.", "[\\\\w&&[^\\\\d]]\\\\p{Punct}", "true"),
    ("b", "[a-z&&[^b]]", "false"),
    ("a:", "[[:alpha:]]+", "true"),          # a nested class of ':', 'a', 'l', 'p', 'h' in Java
    ("a\\r", "a.", "false"),                 # '.' stops at every Java line terminator
    ("aB", "a(?i)b", "true"),
    ("AB", "a(?i)b", "false"),
    ("C", "a(?i)b|c", "true"),               # inline flags reach across the alternation
    ("ab cd", "(?x) ab \\\\  cd # note", "true"),
    ("a+b", "a\\\\Q+\\\\Eb", "true"),
    ("abab", "(ab)\\\\1", "true"),
    ("aa", "(?<n>a)\\\\k<n>", "true"),
    ("é", "\\\\u00e9", "true"),
    ("A", "\\\\0101", "true"),
    ("a]", "[]a]+", "true"),
    ("aaaa", "a{2,}+", "true"),
])
def test_java_dialect(text, pattern, expected):
    assert one(f'"{text}".matches("{pattern}")') == expected


def test_anchors_follow_java():
    assert out('info "x1\\ny2".replaceAll("(?m)^", ">");\ninfo "x\\ny\\n".replaceAll("$", "<");\n'
               'info "x\\ny\\n".replaceAll("(?m)$", "<");') == [">x1\n>y2", "x\ny<\n<", "x<\ny<\n<"]


@pytest.mark.parametrize("pattern", ["[", "(", ")", "*a", "a**", "a{", "a{x}", "a{,2}", "a{3,1}", "\\\\y",
                                     "\\\\p{Nope}", "(?<n>a)\\\\k<m>", "(?P<n>a)", "(?#c)", "\\\\K", "\\\\p{Lu"])
def test_invalid_patterns_are_runtime_errors(pattern):
    fails(f'info "start";\nx = "abc".matches("{pattern}");', line=2)


def test_invalid_pattern_can_be_caught():
    assert out('try {\n x = "a".replaceAll("(", "");\n} catch (e) { info "caught"; }') == ["caught"]


def test_pattern_length_limit():
    assert one('"a".matches("' + "a?" * 500 + '")') == "true"
    fails('x = "a".matches("' + "a" * 1001 + '");', line=1)


def test_repetition_limit():
    assert one('"abc".matches("(x{100}){100}")') == "false"
    assert one('"abc".matches("x{10000}")') == "false"
    fails('x = "abc".matches("((x{50}){50}){50}");', line=1)
    fails('x = "abc".matches("x{10001}");', line=1)
    fails('x = "abc".matches("(?:a{1,9999}b){2}");', line=1)
    fails('x = "abc".matches("' + "a{9999}" * 11 + '");', line=1)  # the safety bound on siblings


def test_regex_time_limit_is_budget_and_not_catchable():
    src = ('try {\n x = "' + "a" * 60 + '!".matches("(a|aa)+$");\n} catch (e) { info "caught"; }\ninfo "after";')
    r = fails(src, kind="budget", line=2, limits=Limits(regex_seconds=0.05))
    assert r.error.limit == "regex_time"
    assert r.output == []


def test_regex_never_runs_past_the_wall_time():
    r = fails('info "x";\ny = "' + "a" * 60 + '!".replaceAll("(a|aa)+$", "");', kind="budget", line=2,
              limits=Limits(regex_seconds=30, wall_time=0.3))
    assert r.output == ["x"]


# ------------------------------------------------------------------ replacing


def test_replacement_references():
    assert out('info "2020-01-31".replaceAll("(\\\\d+)-(\\\\d+)-(\\\\d+)", "$3/$2/$1");\n'
               'info "abc".replaceAll("b", "[$0]");\ninfo "abc".replaceAll("(b)", "$11");\n'
               'info "abc".replaceAll("b", "\\\\$1");\ninfo "abc".replaceAll("b", "$");\n'
               'info "Hello World".replaceAll("(?<f>\\\\w+) (?<s>\\\\w+)", "${s} ${f}");\n'
               'info "ab".replaceAll("(a)|b", "[$1]");') == [
        "31/01/2020", "a[b]c", "ab1c", "a$1c", "a$c", "World Hello", "[a][]"]


def test_bad_replacement_references():
    fails('x = "abc".replaceAll("b", "$1");')
    fails('x = "abc".replaceAll("b", "${x}");')


def test_empty_matches_follow_java():
    assert out('info "abc".replaceAll("", "-");\ninfo "abc".replaceFirst("", "-");\n'
               'info "aaa".replaceAll("a*", "X");\ninfo "abc".replaceAll("x*", "-");') == [
        "-a-b-c-", "-abc", "XX", "-a-b-c-"]


def test_literal_flag():
    assert out('info "a.b.c".replaceAll(".", "-", true);\ninfo "a.b.c".replaceFirst(".", "$", "true");\n'
               'info "A.b.a.B".replaceAllIgnoreCase("a.", "\\\\", true);\n'
               'info "A.b.a.B".replaceFirstIgnoreCase("A.B", "x", true);') == [
        "a-b-c", "a$b.c", "\\b.\\B", "x.a.B"]
    fails('x = "a".replaceAll("a", "b", 1);')


def test_ignore_case_regex():
    assert out('info "AbC".replaceAllIgnoreCase("[a-c]", "x");\ninfo "AB".replaceAllIgnoreCase("(?-i:a)b", "x");\n'
               'info "xAa".replaceFirstIgnoreCase("a", "-");') == ["xxx", "AB", "x-a"]


def test_replace_result_limits():
    lim = Limits(text_length=5000)
    fails('x = "a".repeat(3000);\ny = x.replaceAll("a", "bb");', kind="budget", line=2, limits=lim)
    fails('x = "a".repeat(3000);\ny = x.replaceAll("(a)", "$1$1");', kind="budget", line=2, limits=lim)
    fails('x = "a".repeat(3000);\ny = x.replaceAll("(?=(.*))", "$1");', kind="budget", line=2, limits=lim)
    fails('x = "a".repeat(3000);\ny = x.replaceAll(".", "bb");', kind="budget", line=2, limits=lim)
    fails('x = "a".repeat(3000);\ny = x.replaceAllIgnoreCase("A", "bb", true);', kind="budget", line=2,
          limits=lim)
    assert out('x = "a".repeat(3000);\ninfo x.replaceAll("a", "b").length();\n'
               'info x.replaceAll("(a)a", "$1").length();', limits=lim) == ["3000", "1500"]


# ------------------------------------------------------------------ the helper API


@pytest.fixture
def ex():
    return Execution()


def test_split_has_java_semantics(ex):
    assert rx.split(ex, "a,b,,c,,", ",") == ["a", "b", "", "c"]
    assert rx.split(ex, "a,b,c", ",", 2) == ["a", "b,c"]
    assert rx.split(ex, "abc", "") == ["a", "b", "c"]
    assert rx.split(ex, "", ",") == [""]
    assert rx.split(ex, ",", ",") == []
    assert rx.split(ex, "a1b22c", "\\d+") == ["a", "b", "c"]


def test_find_all_search_full_match(ex):
    assert rx.find_all(ex, "[0-9]+", "a1b22c333") == ["1", "22", "333"]
    assert rx.search(ex, "b+", "abbc").span() == (1, 3)
    assert rx.full_match(ex, "AB", "ab", ignore_case=True)
    assert not rx.full_match(ex, "ab", "abc")


def test_compile_pattern_errors_and_cache(ex):
    assert rx.compile_pattern(ex, "a+b") is rx.compile_pattern(ex, "a+b")
    with pytest.raises(DelugeRuntimeError):
        rx.compile_pattern(ex, "(")
    with pytest.raises(DelugeRuntimeError):
        rx.compile_pattern(ex, "x" * 1001)


def test_run_with_limit_raises_budget():
    ex = Execution(limits=Limits(regex_seconds=0.05))
    compiled = rx.compile_pattern(ex, "(a|aa)+$")
    with pytest.raises(BudgetExceeded) as info:
        rx.run_with_limit(ex, compiled.match, "a" * 60 + "!")
    assert info.value.limit == "regex_time"


def test_translate_is_plain_for_plain_text():
    assert rx.translate("abc") == "abc"
    assert rx.translate("a b") == "a\\x20b"
