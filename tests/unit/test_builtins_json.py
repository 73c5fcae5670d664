"""JSON, XML and FILE built-ins: edge cases the conformance file does not reach.

Spec: list-map-date-json.md sections 5 and 6; DECISIONS.md D5, D10, D15, D24, D39.
"""

from __future__ import annotations

import pytest

import deluge
from deluge.limits import Limits
from deluge.runtime.values import DFile


def run(src: str, context: dict | None = None, **kw):  # type: ignore[no-untyped-def]
    return deluge.run(src, context, **kw)


def out(src: str, context: dict | None = None, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    result = run(src, context, **kw)
    assert result.error is None, result.error
    return result.output


def fails(src: str, kind: str = "runtime", line: int = 1, context: dict | None = None, **kw) -> str:  # type: ignore[no-untyped-def]
    result = run(src, context, **kw)
    assert result.error is not None, result.output
    assert result.error.kind == kind, result.error
    assert result.error.line == line, result.error
    return result.error.message


def q(text: str) -> str:
    """A Deluge string literal holding `text`."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------- reading JSON (5.1, D24)


@pytest.mark.parametrize("word", ["NaN", "Infinity", "-Infinity", "nan", "-INFINITY"])
def test_non_finite_words_are_runtime_errors(word: str) -> None:
    message = fails(f"info {q('{a: ' + word + '}')}.toMap();")
    assert word in message
    fails("info " + q('{"a": ' + word + '}') + ".toMap();")


def test_quoted_nan_stays_text() -> None:
    assert out("info " + q('{"a": "NaN"}') + '.toMap().get("a");') == ["NaN"]


def test_number_beyond_double_range_is_runtime_error() -> None:
    assert "beyond the range" in fails("info " + q('{"a": 1e400}') + ".toMap();")
    fails(f"info {q('[' + '9' * 400 + ']')}.toJSONList();")


def test_number_with_thousands_of_digits_is_refused_before_conversion() -> None:
    assert "characters" in fails(f"info {q('[' + '1' * 5000 + ']')}.toJSONList();")


def test_whole_number_beyond_64_bits_becomes_decimal() -> None:
    assert out(f"info {q('[9223372036854775807, 9223372036854775808, -9223372036854775809]')}.toJSONList();") == [
        "9223372036854775807,9223372036854776000.0,-9223372036854776000.0"
    ]


def test_numbers_whole_or_decimal() -> None:
    assert out(f"info {q('[1, 1.0, 1e2, -0, 2.50]')}.toJSONList();") == ["1,1.0,100.0,0,2.5"]


def test_lenient_tokens_follow_org_json() -> None:
    src = f"info {q('{a: 007, b: 12abc, c: TRUE, d: Null, e: .5, f: it' + chr(39) + 's}')}.toMap();"
    assert out(src) == ['{"a":"007","b":"12abc","c":true,"d":null,"e":".5","f":"it\'s"}']


def test_lenient_separators_and_empty_slots() -> None:
    assert out(f"info {q('{a:[1,,2,]; b:[,],}')}.toMap();") == ['{"a":[1,null,2],"b":[null]}']


def test_single_quoted_strings_and_escapes() -> None:
    assert out(f"info {q(chr(39) + 'x' + chr(39))}.toJSONList();".replace("toJSONList", "length")) == ["3"]
    src = "info " + q("{'a':'l\\u00e9\\'s\\n'}") + '.toMap().get("a").length();'
    assert out(src) == ["5"]


def test_illegal_escape_and_unterminated_string_are_runtime_errors() -> None:
    assert "escape" in fails("info " + q("{'a':'x\\qy'}") + ".toMap();")
    assert "unterminated" in fails("info " + q("{'a':'xy}") + ".toMap();")


def test_unquoted_value_stops_at_a_slash() -> None:
    fails(f"info {q('{url: http://x.com}')}.toMap();")


def test_duplicate_key_keeps_first_position_and_last_value() -> None:
    assert out("info " + q('{"a":1,"b":2,"a":3}') + ".toMap();") == ['{"a":3,"b":2}']


def test_parsing_failure_is_catchable() -> None:
    src = 'try\n{\n\tm = "{oops".toMap();\n}\ncatch (e)\n{\n\tinfo "caught";\n}'
    assert out(src) == ["caught"]


def test_json_text_over_the_byte_limit_is_a_budget_error() -> None:
    src = f"info {q('[' + ','.join(['1'] * 60) + ']')}.toJSONList();"
    message = fails(src, kind="budget", limits=Limits(json_bytes=100))
    assert "100 bytes" in message
    assert out(src, limits=Limits(json_bytes=200)) == [",".join(["1"] * 60)]


def test_json_byte_limit_counts_utf8_bytes() -> None:
    text = "[" + q("é" * 60) + "]"
    fails(f"info {q(text)}.toJSONList();", kind="budget", limits=Limits(json_bytes=100))


def test_json_deeper_than_data_nesting_is_a_budget_error() -> None:
    fails(f"info {q('[' * 129 + ']' * 129)}.toJSONList();", kind="budget")
    fails(f"info {q('{a:' * 129 + '1' + '}' * 129)}.toMap();", kind="budget")
    assert out(f"info {q('[' * 128 + ']' * 128)}.toJSONList().size();") == ["1"]


def test_json_collection_over_element_limit_is_a_budget_error() -> None:
    limits = Limits(collection_size=10)
    fails(f"info {q('[' + ','.join(['1'] * 11) + ']')}.toJSONList();", kind="budget", limits=limits)
    fails(f"info {q('[' + ','.join(['x'] * 11) + ']')}.toJSONList();", kind="budget", limits=limits)
    assert out(f"info {q('[' + ','.join(['1'] * 10) + ']')}.toJSONList().size();", limits=limits) == ["10"]


# ---------------------------------------------------------------- toMap, toJSONList, getJSON


def test_tomap_of_empty_text_is_an_empty_map() -> None:
    assert out('info "".toMap();\ninfo "  ".toMap().size();') == ["{}", "0"]


def test_tojsonlist_of_empty_text_is_an_empty_list() -> None:
    assert out('info "".toJSONList().size();') == ["0"]


def test_tomap_of_array_text_is_a_runtime_error() -> None:
    assert "not a JSON object" in fails('info "[1,2]".toMap();')


def test_tomap_function_form() -> None:
    assert out('info toMap("{a:1}").get("a") + 1;') == ["2"]
    assert out('m = {"k":"v"};\ninfo toMap(m);') == ['{"k":"v"}']
    fails("info toMap(null);")
    fails("info toMap(5);")


def test_tojsonlist_function_form() -> None:
    assert out('info toJSONList("[1,2]").size();\ninfo toJSONList({1,2});') == ["2", "1,2"]
    fails('info toJSONList("{a:1}");')


def test_tomap_on_null_receiver_is_a_runtime_error() -> None:
    fails('m = null;\ninfo m.toMap();', line=2)


def test_getjson_on_a_map_is_get() -> None:
    assert out('m = {1:"one", "a":{"b":2}};\ninfo m.getJSON(1);\ninfo m.getJSON("a").getJSON("b");\n'
               'info m.getJSON("zzz");') == ["one", "2", "null"]


def test_getjson_on_text_turns_the_key_into_text() -> None:
    assert out("info " + q('{"1":"one"}') + ".getJSON(1);") == ["one"]


def test_getjson_on_array_text_or_list_is_a_runtime_error() -> None:
    fails('info "[1,2]".getJSON("a");')
    fails('l = {1,2};\ninfo l.getJSON("a");', line=2)


def test_getjson_on_missing_key_then_chained_is_a_runtime_error() -> None:
    fails("x = " + q('{"a":1}') + ';\ninfo x.getJSON("b").getJSON("c");', line=2)


def test_parsed_maps_keep_text_order_and_append_puts() -> None:
    assert out("m = " + q('{"z":1,"a":2}') + '.toMap();\nm.put("m", 3);\ninfo m.keys();') == ["z,a,m"]


# ---------------------------------------------------------------- toXML (5.6)


def test_toxml_of_a_map() -> None:
    assert out('m = {"a":{"b":[1,2]},"d":\'01-Jan-2020\',"e":null,"f":1.50};\ninfo m.toXML();') == [
        "<root><a><b>1</b><b>2</b></a><d>01-Jan-2020</d><e>null</e><f>1.5</f></root>"
    ]


def test_toxml_org_json_details() -> None:
    assert out(f"info {q('{a:[[1,2],[3]], b:' + chr(39) * 2 + ', d:{}}')}.toXML();") == [
        "<root><a><array>1</array><array>2</array></a><a><array>3</array></a><b/><d></d></root>"
    ]


def test_toxml_of_a_json_array_and_of_empty_text() -> None:
    assert out('info "[1,2]".toXML();\ninfo "".toXML();') == [
        "<root><array>1</array><array>2</array></root>", "<root></root>"]


def test_toxml_of_text_that_is_not_json_is_a_runtime_error() -> None:
    fails('info "hello".toXML();')


def test_toxml_of_a_map_containing_itself_is_a_budget_error() -> None:
    fails('m = Map();\nm.put("self", m);\ninfo m.toXML();', kind="budget", line=3)


def test_toxml_longer_than_the_text_limit_is_a_budget_error() -> None:
    src = ('l = List();\nfor each i in {1,2,3,4,5,6,7,8,9,10}\n{\n\tl.add("' + "x" * 500 + '");\n}\n'
           'm = {"k":l};\ninfo m.toXML();')
    fails(src, kind="budget", line=7, limits=Limits(text_length=4096))


# ---------------------------------------------------------------- executeXPath (5.8, D39)

CATALOG = ("<CATALOG><CD id='1'><TITLE>Empire</TITLE><PRICE>10.90</PRICE></CD>"
           "<CD id='2'><TITLE>Hide &amp; seek</TITLE><PRICE>9.90</PRICE></CD></CATALOG>")


@pytest.mark.parametrize(("xpath", "expected"), [
    ("count(//CD)", "2"),
    ("sum(//PRICE)", "20.8"),
    ("count(//CD) div 4", "0.5"),
    ("1 div 0", "Infinity"),
    ("0 div 0", "NaN"),
    ("number('abc')", "NaN"),
    ("count(//CD) > 1", "true"),
    ("string(//CD[2]/@id)", "2"),
    ("//CD[@id='2']/TITLE/text()", "Hide & seek"),
    ("//CD[@id='2']/TITLE", "<TITLE>Hide &amp; seek</TITLE>"),
    ("//CD[PRICE > 10]/TITLE/text()", "Empire"),
    ("//CD[last()]/@id", "<id>2</id>"),
    ("//CD/@id", "<id>1</id><id>2</id>"),
    ("name(/*)", "CATALOG"),
    ("CATALOG/CD[1]/PRICE", "<PRICE>10.90</PRICE>"),
    ("//TITLE[contains(., 'mp')]/text()", "Empire"),
    ("concat(//CD[1]/TITLE, '-', //CD[1]/@id)", "Empire-1"),
    ("substring('12345', 1.5, 2.6)", "234"),
    ("translate('bar', 'abc', 'ABC')", "BAr"),
    ("normalize-space('  a   b ')", "a b"),
    ("round(-2.5)", "-2"),
    ("//CD[1]/following-sibling::CD/TITLE/text()", "Hide & seek"),
    ("(//PRICE)[1]/ancestor::*[1]/@id", "<id>1</id>"),
    ("//CD[2]/preceding::TITLE/text()", "Empire"),
    ("//nothing", ""),
])
def test_execute_xpath(xpath: str, expected: str) -> None:
    assert out(f"x = {q(CATALOG)};\ninfo x.executeXPath({q(xpath)});") == [expected]


def test_positional_predicates_after_double_slash() -> None:
    x = q("<r><a><b>1</b><b>2</b></a><a><b>3</b></a></r>")
    assert out(f'x = {x};\ninfo x.executeXPath("//b[1]");\ninfo x.executeXPath("(//b)[1]");\n'
               f'info x.executeXPath("//b[last()]/text()");') == ["<b>1</b><b>3</b>", "<b>1</b>", "23"]


def test_xpath_on_json_uses_the_root_element() -> None:
    j = q('{"a":[1,2],"b":{"c":"x"}}')
    assert out(f'j = {j};\ninfo j.executeXPath("/root/a[2]");\ninfo j.executeXPath("count(/root/a)");\n'
               f'info j.executeXPath("/root/b/c/text()");') == ["<a>2</a>", "2", "x"]


def test_xpath_on_a_fragment_of_sibling_elements() -> None:
    assert out('info "<a>1</a> <b>2</b>".executeXPath("/b/text()");') == ["2"]
    fails('info "<a>1</a> junk <b>2</b>".executeXPath("/b");')


@pytest.mark.parametrize("xpath", ["/a[", "", "/a/", "foo()", "$x", "count()", "1e3", "@@a"])
def test_invalid_xpath_is_a_runtime_error(xpath: str) -> None:
    fails(f'info "<a>1</a>".executeXPath({q(xpath)});')


def test_xpath_too_deeply_nested_is_a_runtime_error() -> None:
    fails(f'info "<a>1</a>".executeXPath({q("(" * 40 + "1" + ")" * 40)});')


def test_xpath_argument_must_be_text() -> None:
    fails('info "<a>1</a>".executeXPath(5);')


def test_receiver_neither_xml_nor_json_is_a_runtime_error() -> None:
    fails('info "hello".executeXPath("/a");')
    fails('info "".executeXPath("/a");')
    fails('info "<a>1".executeXPath("/a");')


def test_entity_declarations_are_refused() -> None:
    doc = '<!DOCTYPE a [<!ENTITY e "boom">]><a>&e;</a>'
    assert "entities" in fails(f"info {q(doc)}.executeXPath(\"/a\");")
    bomb = ('<!DOCTYPE a [<!ENTITY x "xxxxxxxxxx"><!ENTITY y "&x;&x;&x;&x;&x;&x;&x;&x;&x;&x;">]>'
            "<a>&y;</a>")
    fails(f"info {q(bomb)}.executeXPath(\"/a\");")
    external = '<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>'
    fails(f"info {q(external)}.executeXPath(\"/a\");")


def test_undefined_entity_is_a_runtime_error_and_nothing_is_fetched() -> None:
    doc = '<!DOCTYPE a SYSTEM "http://127.0.0.1:9/x.dtd"><a>&ext;</a>'
    assert "ext" in fails(f"info {q(doc)}.executeXPath(\"/a\");")
    assert out(f"info {q('<!DOCTYPE html><html><b>x</b></html>')}.executeXPath(\"//b/text()\");") == ["x"]


def test_xml_deeper_than_data_nesting_is_a_budget_error() -> None:
    fails(f"info {q('<a>' * 130 + '</a>' * 130)}.executeXPath(\"count(//a)\");", kind="budget")


def test_xml_with_too_many_nodes_is_a_budget_error() -> None:
    doc = "<r>" + "<a/>" * 60 + "</r>"
    fails(f"info {q(doc)}.executeXPath(\"count(//a)\");", kind="budget", limits=Limits(collection_size=10))


def test_xpath_work_is_charged() -> None:
    doc = "<r>" + "<a><b/></a>" * 200 + "</r>"
    fails(f"info {q(doc)}.executeXPath(\"count(//a[following::a])\");", kind="budget",
          limits=Limits(work=20_000))


def test_xpath_result_longer_than_the_text_limit_is_a_budget_error() -> None:
    doc = "<r>" + "<a>" + "x" * 2000 + "</a>" * 1 + "</r>"
    nested = "<r>" + "<a>" * 10 + "x" * 1000 + "</a>" * 10 + "</r>"
    assert out(f"info {q(doc)}.executeXPath(\"//a\").length();", limits=Limits(text_length=4096)) == ["2007"]
    fails(f"info {q(nested)}.executeXPath(\"//a\");", kind="budget", limits=Limits(text_length=4096))


def test_xml_declaration_cdata_comments_and_escaping() -> None:
    doc = "<?xml version='1.0' encoding='ISO-8859-1'?>\n<a b='x &amp; y'><![CDATA[1 < 2]]> caf&#233;<!--c--></a>"
    assert out(f"x = {q(doc)};\ninfo x.executeXPath(\"/a\");\ninfo x.executeXPath(\"/a/text()\");") == [
        '<a b="x &amp; y">1 &lt; 2 café<!--c--></a>', "1 < 2 café"]


def test_prefixed_names_match_as_written() -> None:
    doc = '<ns:a xmlns:ns="urn:x"><ns:b>1</ns:b></ns:a>'
    assert out(f"x = {q(doc)};\ninfo x.executeXPath(\"/ns:a/ns:*\");\n"
               f"info x.executeXPath(\"namespace-uri(//ns:b)\");\ninfo x.executeXPath(\"local-name(//ns:b)\");"
               ) == ["<ns:b>1</ns:b>", "urn:x", "b"]


# ---------------------------------------------------------------- toXmlList (5.7)


def test_toxmllist_splits_top_level_elements_only() -> None:
    assert out('l = "<a/><b x=\'1\'/><!--c--><c>t</c>".toXmlList();\ninfo l.size();\ninfo l.get(1);') == [
        "3", '<b x="1"/>']
    assert out('info "<r><cd>A</cd><cd>B</cd></r>".toXmlList().size();') == ["1"]


def test_toxmllist_of_empty_text_and_of_no_match() -> None:
    assert out('info "".toXmlList().size();\n'
               'info "<r/>".executeXPath("/r/x").toXmlList().size();') == ["0", "0"]


def test_toxmllist_of_text_that_is_not_xml_is_a_runtime_error() -> None:
    fails('info "hello".toXmlList();')


# ---------------------------------------------------------------- files (section 6)


def test_tofile_of_a_list_and_a_map_stores_their_printed_text() -> None:
    assert out('f = {1,2,3}.toFile("l.csv");\ninfo f.getFileContent();\ninfo f.getFileType();\ninfo f;\n'
               'g = {"a":[1,2]}.toFile("m.json");\ninfo g.getFileContent();\ninfo g.getFileSize();') == [
        "1,2,3", "text/csv", "l.csv", '{"a":[1,2]}', "11"]


def test_tofile_needs_a_text_name() -> None:
    fails('f = "x".toFile(5);')
    fails('f = "x".toFile(null);')
    fails('f = 5.toFile("a.txt");')


def test_tofile_over_five_megabytes_is_a_runtime_error() -> None:
    assert "5 MB" in fails('t = "é".repeat(2700000);\nf = t.toFile("big.txt");', line=2)


def test_file_type_from_extension_and_set_file_type() -> None:
    assert out('f = "abc".toFile("noext");\ninfo f.getFileType();\nf.setFileType("PDF");\ninfo f.getFileType();\n'
               'f.setFileType("image/png");\ninfo f.getFileType();\ng = "x".toFile("A.TXT");\n'
               'info g.getFileType();') == ["application/octet-stream", "application/pdf", "image/png", "text/plain"]


@pytest.mark.parametrize("charset", ["zlib", "rot13", "no-such-charset", "unicode_escape", "idna"])
def test_set_charset_refuses_what_is_not_a_character_set(charset: str) -> None:
    fails(f'f = "abc".toFile("a.txt");\nf.setCharset("{charset}");', line=2)


def test_set_charset_decodes_with_replacement() -> None:
    assert out('f = "abc".toFile("a.txt");\nf.setCharset("UTF-16");\ninfo f.getFileContent().length();') == ["2"]


@pytest.mark.parametrize("name", ["compress", "extract", "convertToPDF"])
def test_unavailable_file_functions_are_catchable_runtime_errors(name: str) -> None:
    src = f'f = "abc".toFile("a.txt");\ntry\n{{\n\tz = f.{name}("x");\n}}\ncatch (e)\n{{\n\tinfo "caught";\n}}'
    assert out(src) == ["caught"]
    assert "not available in the sandbox" in fails(f'f = "abc".toFile("a.txt");\nz = f.{name}();', line=2)


def test_file_from_the_host() -> None:
    context = {"doc": DFile("report.bin", b"\xff\xfeA", "application/x-thing", "UTF-8")}
    assert out("info doc.getFileSize();\ninfo doc.getFileType();\ninfo doc.getFileContent().length();\n"
               "info doc;", context) == ["3", "application/x-thing", "3", "report.bin"]


def test_file_methods_on_text_are_runtime_errors() -> None:
    fails('t = "abc";\nt.setFileName("x");', line=2)
    fails('t = "abc";\ninfo t.getFileSize();', line=2)
