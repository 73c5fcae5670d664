"""Null handling, type tests, toString/toText, and encoding, hashing and encryption built-ins."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

import deluge
from deluge.limits import Limits


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


# ------------------------------------------------------------------ null handling and type tests


def test_is_null_function_and_method_forms():
    assert out('info isNull("");\ninfo isNull(" ");\ninfo 0.isNull();\ninfo {1}.isNull();') == [
        "true", "false", "false", "false"]


def test_null_receiver_is_null_blank_empty_answer_true():
    src = 'm = {"a":1};\nx = m.get("b");\ninfo x.isNull();\ninfo x.isBlank();\ninfo x.isEmpty();'
    assert out(src) == ["true", "true", "true"]


def test_is_blank_cases():
    src = ('info isBlank("\\t \\n");\ninfo isBlank(" a ");\ninfo isBlank({"a":1});\nm = Map();\ninfo isBlank(m);\n'
           "info isBlank('01-Jan-2020');\ninfo isBlank(0.0);")
    assert out(src) == ["true", "false", "false", "true", "false", "false"]


def test_is_empty_on_number_is_runtime_error_both_forms():
    fails("x = 5;\ninfo isEmpty(x);", line=2)
    fails("x = 5;\ninfo x.isEmpty();", line=2)
    fails("info true.isEmpty();", line=1)


def test_is_empty_function_form_on_collections():
    assert out('info isEmpty({});\ninfo isEmpty({1});\ninfo isEmpty(Map());\ninfo isEmpty(null);') == [
        "true", "false", "true", "true"]


def test_is_number_accepts_plain_numbers_only():
    src = ('info isNumber("-12.5");\ninfo isNumber("+3");\ninfo isNumber(".5");\ninfo isNumber("1e5");\n'
           'info isNumber(" 12");\ninfo isNumber("1,000");\ninfo isNumber("");\ninfo isNumber(null);\n'
           'info isNumber(true);\ninfo isNumber("NaN");')
    assert out(src) == ["true", "true", "true", "false", "false", "false", "false", "false", "false", "false"]


def test_is_number_on_empty_collection_is_null():
    assert out("info isNumber({});\ninfo Map().isNumber();") == ["null", "null"]


def test_is_text_and_is_file_on_other_types():
    assert out("info 1.5.isText();\ninfo isText({\"a\"});\ninfo isFile({});\ninfo 5.isFile();") == [
        "false", "false", "false", "false"]


def test_is_valid_object_cases():
    src = 'info " ".isValidObject();\ninfo 0.isValidObject();\ninfo Map().isValidObject();\ninfo false.isValidObject();'
    assert out(src) == ["true", "true", "false", "true"]


def test_is_valid_object_on_null_is_runtime_error():
    fails('m = {"a":1};\ninfo m.get("x").isValidObject();', line=2)


def test_equals_function_and_method():
    src = ('info equals(1, 1.0);\ninfo equals("a", "A");\ninfo {1,2}.equals({1,2});\ninfo equals(null, null);\n'
           'info equals(5, "5");')
    assert out(src) == ["true", "false", "true", "true", "false"]


def test_ifnull_fallback_is_lazy_and_empty_text_counts_as_null():
    assert out('info ifnull("x", 1 / 0);\ninfo ifnull("", 2);\ninfo ifnull(0, 2);\ninfo ifnull(false, true);') == [
        "x", "2", "0", "false"]


def test_ifnull_evaluates_fallback_when_needed():
    fails('m = Map();\ninfo ifnull(m.get("a"), 1 / 0);', line=2)


# ------------------------------------------------------------------ toString / toText


def test_to_string_renders_values():
    src = ('info toString(-7);\ninfo (0.1 + 0.2).toString();\ninfo "abc".toText();\ninfo toText(true);\n'
           'info toString({1, "a"});\ninfo toString({"k": {1, 2}});\ninfo toString({});')
    assert out(src) == ["-7", "0.30000000000000004", "abc", "true", "1,a", '{"k":[1,2]}', "{}"]


def test_to_string_result_is_text():
    assert out("x = 12.toString() + 1;\ninfo x;\ninfo isText(toString(5));") == ["121", "true"]


def test_to_string_of_null_function_form():
    assert out('m = Map();\ninfo toString(m.get("a")).length();\ninfo toText(null);') == ["4", "null"]


def test_to_string_method_on_null_is_runtime_error():
    fails('m = Map();\nx = m.get("a");\ninfo x.toString();', line=3)


def test_to_string_function_form_with_list_separator():
    assert out('l = {1, 2, 3};\ninfo toString(l, " | ");\ninfo toText(l, "");') == ["1 | 2 | 3", "123"]


def test_to_string_format_on_boolean_decimal_or_map_is_runtime_error():
    fails('info true.toString("yyyy");', line=1)
    fails('info toString(1.5, "yyyy");', line=1)
    fails('info toString({"a":1}, "yyyy");', line=1)


def test_to_string_format_must_be_text():
    fails("info 5.toString(12);", line=1)


def test_to_string_of_caught_error():
    r = out('try\n{\n\tx = 1 / 0;\n}\ncatch (e)\n{\n\tinfo e.toString().contains("3");\n}')
    assert r == ["true"]


def test_to_string_with_format_delegates_to_dates(monkeypatch):
    from deluge.builtins import dates

    calls = []

    def fake(ex, value, fmt=None, tz=None):
        calls.append((type(value).__name__, fmt, tz))
        return "formatted"

    monkeypatch.setattr(dates, "format_value", fake)
    src = ("d = '01-Jan-2019 10:15:30';\ninfo toString(d, \"yyyy\");\ninfo toText(d, \"HH\", \"Asia/Tokyo\");\n"
           'info 1546300800000.toString("yyyy");\ninfo "01-Jan-2019".toText("MM");\ninfo toString(12, "dd");')
    assert out(src) == ["formatted"] * 5
    assert calls == [("DateTime", "yyyy", None), ("DateTime", "HH", "Asia/Tokyo"), ("int", "yyyy", None),
                     ("str", "MM", None), ("int", "dd", None)]


def test_to_string_of_date_without_format_renders():
    assert out("d = '01-Jan-2019';\ninfo toString(d);") == ["01-Jan-2019"]


# ------------------------------------------------------------------ URL encoding


def test_encode_url_java_safe_set_and_utf8():
    assert out('info encodeUrl("a~b*c._-d é+");') == ["a%7Eb*c._-d+%C3%A9%2B"]


def test_encode_url_of_number_and_null():
    assert out("info encodeUrl(12.5);") == ["12.5"]
    fails('m = Map();\ninfo encodeUrl(m.get("x"));', line=2)


def test_url_encode_non_text_gives_null():
    assert out('info zoho.encryption.urlEncode(null);\ninfo zoho.encryption.urlEncode({1});\n'
               'info zoho.encryption.urlDecode(5);') == ["null", "null", "null"]


def test_url_decode_utf8_and_errors():
    assert out('info zoho.encryption.urlDecode("%C3%A9t%c3%a9+x");') == ["été x"]
    fails('x = 1;\ninfo zoho.encryption.urlDecode("100%");', line=2)
    fails('info zoho.encryption.urlDecode("%E9");', line=1)


def test_url_round_trip():
    src = 's = "a b&c=d/é?~*";\ninfo zoho.encryption.urlDecode(zoho.encryption.urlEncode(s)) == s;\n' \
          'info zoho.encryption.urlDecode(encodeUrl(s)) == s;'
    assert out(src) == ["true", "true"]


def test_encode_url_result_over_text_limit_is_budget():
    fails("x = encodeUrl(s);", kind="budget", context={"s": "é" * 1_000_000})


# ------------------------------------------------------------------ base64 and base32


def test_base64_encode_unicode_and_number():
    assert out('info zoho.encryption.base64Encode("é");\ninfo zoho.encryption.base64Encode(123);\n'
               'info zoho.encryption.base64Encode("");') == ["w6k=", "MTIz", ""]


def test_base64_encode_null_is_runtime_error():
    fails('m = Map();\nx = zoho.encryption.base64Encode(m.get("a"));', line=2)


def test_base64_encode_over_text_limit_is_budget():
    fails("x = zoho.encryption.base64Encode(s);", kind="budget", context={"s": "a" * 4_000_000})


def test_base64_decode_accepts_whitespace_and_missing_padding():
    assert out('info zoho.encryption.base64Decode(" SGVs\\nbG8 ");\ninfo zoho.encryption.base64Decode("SGk");\n'
               'info zoho.encryption.base64Decode("");') == ["Hello", "Hi", ""]


@pytest.mark.parametrize("bad", ["SGVsbG8===", "SGVsbG8_", "SG=Vs", "A", "SGVs-bG8", "SGVsbG8=\u00a0"])
def test_base64_decode_is_strict(bad):
    fails(f'x = 1;\ny = zoho.encryption.base64Decode("{bad}");', line=2)


def test_base64_decode_invalid_utf8_becomes_replacement_character():
    assert out('info zoho.encryption.base64Decode("/w==");') == ["\ufffd"]


def test_base64_decode_to_file_name_type_and_bytes():
    r = run('f = zoho.encryption.base64DecodeToFile("AAEC/w==", "data.json");\ninfo isFile(f);\nreturn f;')
    assert r.error is None and r.output == ["true"]
    assert r.value.name == "data.json"
    assert r.value.content == b"\x00\x01\x02\xff"
    assert r.value.content_type == "application/json"


def test_base64_decode_to_file_bad_input_is_runtime_error():
    fails('f = zoho.encryption.base64DecodeToFile("%%", "a.txt");', line=1)


def test_base32_charsets():
    expected_be = base64.b32encode("ab".encode("utf-16-be")).decode()
    expected_le = base64.b32encode("ab".encode("utf-16-le")).decode()
    src = ('info zoho.encryption.base32Encode("ab", "UTF-16BE");\n'
           'info zoho.encryption.base32Encode("ab", "utf-16le");\n'
           'info zoho.encryption.base32Decode(zoho.encryption.base32Encode("héllo", "UTF-16LE"), "UTF-16LE");')
    assert out(src) == [expected_be, expected_le, "héllo"]


def test_base32_decode_lenient_case_and_padding_strict_alphabet():
    assert out('info zoho.encryption.base32Decode("mfra");\ninfo zoho.encryption.base32Decode("MFRA====");') == [
        "ab", "ab"]
    fails('info zoho.encryption.base32Decode("MFR1");', line=1)
    fails('info zoho.encryption.base32Decode("MFRABC");', line=1)


def test_base32_unknown_charset_is_runtime_error():
    fails('info zoho.encryption.base32Encode("ab", "EBCDIC");', line=1)


# ------------------------------------------------------------------ hashes and HMAC


def test_hash_formats():
    src = ('info zoho.encryption.md5("hello", "base64");\ninfo zoho.encryption.sha256("hello", "binary");\n'
           'info zoho.encryption.sha512("hello", "HEX") == zoho.encryption.sha512("hello");')
    assert out(src) == [base64.b64encode(hashlib.md5(b"hello").digest()).decode(),
                        hashlib.sha256(b"hello").hexdigest(), "true"]


def test_hash_of_unicode_uses_utf8():
    assert out('info zoho.encryption.sha1("é");') == [hashlib.sha1("é".encode()).hexdigest()]


def test_hash_unknown_format_is_runtime_error():
    fails('x = zoho.encryption.sha256("a", "octal");', line=1)


def test_hash_of_null_is_runtime_error():
    fails('m = Map();\nx = zoho.encryption.md5(m.get("a"));', line=2)


def test_hmac_matches_zoho_examples():
    # Zoho's hmacsha256 and hmacsha1 help pages give these digests.
    src = ('info zoho.encryption.hmacsha256("sk_5Ow7B_4eC39H", "{Order ID: 0932, Currency: USD, Amount: 2500}");\n'
           'info zoho.encryption.hmacsha256("sk_5Ow7B_4eC39H", "{Order ID: 0932, Currency: USD, Amount: 2500}", '
           '"hex");\ninfo zoho.encryption.hmacsha1("Use me to generate hash", "My#New#Password");')
    assert out(src) == ["E3IZY+esQ59aLmPCYYVjk2R/P1G0k77r9ZGa9Lw94Zw=",
                        "13721963e7ac439f5a2e63c261856393647f3f51b493beebf5919af4bc3de19c",
                        "VK9VMxdsbxZBLHKgSEZYMEUlURs="]


def test_hmac_sha512_base64_default_and_empty_key():
    expected = base64.b64encode(hmac.new(b"", b"data", "sha512").digest()).decode()
    assert out('info zoho.encryption.hmacsha512("", "data");') == [expected]


# ------------------------------------------------------------------ AES


def test_aes_round_trip_unicode_and_empty():
    src = ('c = zoho.encryption.aesEncode("pässkey", "Grüße, 世界");\ninfo zoho.encryption.aesDecode("pässkey", c);\n'
           'e = zoho.encryption.aesEncode("k", "");\ninfo zoho.encryption.aesDecode("k", e).length();')
    assert out(src) == ["Grüße, 世界", "0"]


def test_aes_encode_uses_a_fresh_salt():
    assert out('info zoho.encryption.aesEncode("k", "abc") != zoho.encryption.aesEncode("k", "abc");') == ["true"]


def test_aes_decode_failures_are_runtime_errors():
    fails('c = zoho.encryption.aesEncode("k", "abc");\nx = zoho.encryption.aesDecode("K", c);', line=2)
    fails('x = zoho.encryption.aesDecode("k", "not base64!");', line=1)
    fails('x = zoho.encryption.aesDecode("k", "SGVsbG8=");', line=1)
    # The cipher text is authenticated: flipping any character is detected.
    fails('c = zoho.encryption.aesEncode("k", "abcdef");\nt = c.subString(0, 30) + (if(c.subString(30, 31) == "A", '
          '"B", "A")) + c.subString(31);\nx = zoho.encryption.aesDecode("k", t);', line=3)


def test_aes_variants_do_not_mix():
    fails('c = zoho.encryption.aesEncode("k", "abc");\nx = zoho.encryption.aesDecode128("k", c);', line=2)
    fails('c = zoho.encryption.aesEncode128("k", "abc");\nx = zoho.encryption.aesDecode("k", c);', line=2)


def test_aes128_with_iv_is_deterministic_and_checks_iv_and_iterations():
    src = ('c = zoho.encryption.aesEncode128("k", "abc", "a00000000000000b", 201);\n'
           'info c == zoho.encryption.aesEncode128("k", "abc", "a00000000000000b", 201);\n'
           'info zoho.encryption.aesDecode128("k", c, "a00000000000000b", 201);\n'
           'info zoho.encryption.aesDecode128("k", c);')
    # Without the iterations the default count is used, so the key differs.
    r = run(src)
    assert r.output == ["true", "abc"] and r.error is not None and r.error.kind == "runtime" and r.error.line == 4
    fails('c = zoho.encryption.aesEncode128("k", "abc", "a00000000000000b", 201);\n'
          'x = zoho.encryption.aesDecode128("k", c, "b00000000000000a", 201);', line=2)


@pytest.mark.parametrize("args", ['"short"', '"a00000000000000b", 0', '"a00000000000000b", 100001',
                                  '"a00000000000000b", "many"'])
def test_aes128_bad_iv_or_iterations(args):
    fails(f'x = zoho.encryption.aesEncode128("k", "abc", {args});', line=1)


def test_aes_known_block_vectors():
    # FIPS-197 appendix C vectors for the pure-Python block cipher.
    from deluge.builtins.encoding import _aes_block, _aes_key_schedule

    plain = int.from_bytes(bytes.fromhex("00112233445566778899aabbccddeeff"), "big")
    for key_len, expected in ((16, "69c4e0d86a7b0430d8cdb78070b4c55a"), (24, "dda97ca4864cdfe06eaf70a0ec0d7191"),
                              (32, "8ea2b7ca516745bfeafc49904b496089")):
        cipher = _aes_block(_aes_key_schedule(bytes(range(key_len))), plain)
        assert cipher.to_bytes(16, "big").hex() == expected


def test_aes_work_is_charged():
    limits = Limits(work=1000)
    fails('x = zoho.encryption.aesEncode("k", "abc");', kind="budget", limits=limits)
