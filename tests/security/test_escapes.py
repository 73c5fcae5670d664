"""Attempts to leave the sandbox: Python names, attributes and built-ins, format and
regex tricks, JSON and XML tricks, files and the network.

No script may reach a Python attribute, built-in, module, file or network address:
every attempt ends as a `parse` error (save-time "Unknown function"), a catchable
`runtime` error, a `consent` error, or plain Deluge behaviour that touches nothing.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from _support import SMALL, attack, expect_budget, expect_consent, expect_ok, expect_parse, expect_runtime

import deluge

ROOT = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------- Python names as methods and functions

UNKNOWN_FUNCTIONS = [
    pytest.param("x = 1;\ninfo x.__class__();\n", "__class__", id="dunder-class-call"),
    pytest.param('info "a".__len__();\n', "__len__", id="dunder-len"),
    pytest.param("l = {1, 2};\ninfo l.__getitem__(0);\n", "__getitem__", id="dunder-getitem"),
    pytest.param('m = {"a": 1};\ninfo m.__init__();\n', "__init__", id="dunder-init"),
    pytest.param('m = {"a": 1};\nm.__setattr__("a", 2);\n', "__setattr__", id="dunder-setattr"),
    pytest.param('info "a".__reduce_ex__(2);\n', "__reduce_ex__", id="dunder-reduce"),
    pytest.param('info "a".__class__.__mro__();\n', "__mro__", id="dunder-mro-chain"),
    pytest.param('info "a".format();\n', "format", id="python-str-format"),
    pytest.param('info "a".upper();\n', "upper", id="python-str-upper"),
    pytest.param('m = {"a": 1};\ninfo m.items();\n', "items", id="python-dict-items"),
    pytest.param("l = {1};\nl.append(2);\n", "append", id="python-list-append"),
    pytest.param('info __import__("os");\n', "__import__", id="import"),
    pytest.param('info eval("1 + 1");\n', "eval", id="eval"),
    pytest.param('exec("import os");\n', "exec", id="exec"),
    pytest.param('info open("/etc/passwd");\n', "open", id="open"),
    pytest.param('info getattr("a", "upper");\n', "getattr", id="getattr"),
    pytest.param("info globals();\n", "globals", id="globals"),
    pytest.param('info compile("1", "x", "eval");\n', "compile", id="compile"),
    pytest.param("info type(1);\n", "type", id="type"),
    pytest.param("info dir();\n", "dir", id="dir"),
    pytest.param('info print("x");\n', "print", id="print"),
]


@pytest.mark.parametrize("source, name", UNKNOWN_FUNCTIONS)
def test_python_names_are_unknown_functions(source: str, name: str) -> None:
    outcome = attack(source)
    expect_parse(outcome, contains=f"Unknown function '{name}'")
    assert outcome.error is not None and outcome.error.line in (1, 2)
    assert outcome.result.output == []


FIELD_READS = [
    pytest.param('info "a".__class__;\n', "TEXT", id="text-dunder-class"),
    pytest.param("x = 1;\ninfo x.__globals__;\n", "NUMBER", id="number-dunder-globals"),
    pytest.param("l = {1};\ninfo l.__class__;\n", "LIST", id="list-dunder-class"),
    pytest.param("x = 1.5;\ninfo x.__dict__;\n", "DECIMAL", id="decimal-dunder-dict"),
    pytest.param("x = true;\ninfo x.__class__;\n", "BOOLEAN", id="boolean-dunder-class"),
    pytest.param("x = null;\ninfo x.__class__;\n", "null", id="null-dunder-class"),
    pytest.param('d = "01-Jan-2020".toDate();\ninfo d.__class__;\n', "DATE", id="date-dunder-class"),
]


@pytest.mark.parametrize("source, kind", FIELD_READS)
def test_dunder_fields_of_values_are_runtime_errors(source: str, kind: str) -> None:
    outcome = attack(source)
    expect_runtime(outcome, SMALL, contains="field")
    assert kind.lower() in outcome.error.message.lower()  # type: ignore[union-attr]
    assert "<class" not in outcome.error.message  # type: ignore[union-attr]


def test_dunder_field_of_a_caught_error() -> None:
    source = "try\n{\n\tx = 1 / 0;\n}\ncatch (e)\n{\n\tinfo e.__traceback__;\n}\n"
    outcome = attack(source)
    expect_runtime(outcome, SMALL, line=7, contains="no field '__traceback__'")


# ---------------------------------------------------------------- Python names as map keys and variables

def test_dunder_names_as_map_keys_are_plain_keys() -> None:
    source = (
        'm = Map();\nm.put("__class__", 1);\nm.put("__dict__", {"a": 2});\nm.__init__ = 3;\n'
        'info m;\ninfo m.get("__init__");\ninfo m.get("__bases__");\ninfo m.__class__;\ninfo m.__dict__;\n'
        "info m.keys();\ninfo m.size();\n"
    )
    outcome = attack(source)
    expect_ok(outcome, SMALL, [
        '{"__class__":1,"__dict__":{"a":2},"__init__":3}', "3", "null", "1", '{"a":2}',
        "__class__,__dict__,__init__", "3",
    ])


def test_dunder_field_of_an_empty_map_is_null() -> None:
    outcome = attack('m = {"a": 1};\ninfo m.__dict__;\ninfo m.__class__;\ninfo m.__module__;\n')
    expect_ok(outcome, SMALL, ["null", "null", "null"])


VARIABLE_NAMES = [
    pytest.param("__builtins__", id="builtins"),
    pytest.param("__import__", id="import"),
    pytest.param("__main__", id="main"),
    pytest.param("__class__", id="class"),
    pytest.param("_ex", id="runtime-execution"),
    pytest.param("_s", id="step-countdown"),
    pytest.param("_tick", id="tick-helper"),
    pytest.param("_info", id="info-helper"),
    pytest.param("_callf", id="call-helper"),
    pytest.param("_NORETURN", id="noreturn-marker"),
    pytest.param("v_x", id="mangled-name"),
    pytest.param("f0_f", id="function-ident"),
    pytest.param("eval", id="eval"),
    pytest.param("print", id="print"),
]


@pytest.mark.parametrize("name", VARIABLE_NAMES)
def test_runtime_and_python_names_as_variables(name: str) -> None:
    # The variable holds a number that would break the runtime if it reached the helper of
    # that name: the script still prints, loops, calls and counts steps as usual.
    source = (
        f"int f(int n)\n{{\n\treturn n + 1;\n}}\n{name} = -100000000;\nx = 0;\n"
        f"for each i in {{1, 2, 3}}\n{{\n\tx = f(x);\n}}\ninfo {name};\ninfo x;\n"
    )
    outcome = attack(source)
    expect_ok(outcome, SMALL, ["-100000000", "3"])
    assert 0 < outcome.result.stats.steps < 40


@pytest.mark.parametrize("name", ["_s", "_ex", "_tick"])
def test_runtime_names_as_variables_do_not_reset_the_step_meter(name: str) -> None:
    source = (f'{name} = 100000000;\nl = "1".repeat(300).toList("");\nfor each a in l\n{{\n\tfor each b in l\n\t{{\n'
              f"\t\t{name} = 100000000;\n\t}}\n}}\n")
    outcome = attack(source)
    expect_budget(outcome, "steps", SMALL, line=5)


FUNCTION_NAMES = ["print", "_ex", "_tick", "_info", "_callf", "_s", "v_x", "__main__", "__init__", "eval", "open",
                  "f0_g", "_iter", "_RuntimeError"]


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_functions_named_like_python_or_runtime_names(name: str) -> None:
    source = (
        f"string {name}(string s)\n{{\n\treturn \"mine \" + s;\n}}\n"
        f"for each i in {{1, 2}}\n{{\n\tinfo {name}(i);\n}}\n"
        f'try\n{{\n\tx = 1 / 0;\n}}\ncatch (e)\n{{\n\tinfo {name}("caught");\n}}\n'
    )
    outcome = attack(source)
    expect_ok(outcome, SMALL, ["mine 1", "mine 2", "mine caught"])


def test_context_values_named_like_runtime_names() -> None:
    context = {"_ex": 1, "__builtins__": "b", "_s": 2, "v_x": 3}
    outcome = attack("info _ex;\ninfo __builtins__;\ninfo _s;\ninfo v_x;\n", context=context)
    expect_ok(outcome, SMALL, ["1", "b", "2", "3"])


# ---------------------------------------------------------------- the generated Python

AUDITED = [
    'm = Map();\nm.put("__class__", 1);\n__builtins__ = m.get("__class__");\ninfo __builtins__;\ninfo m.__class__;\n'
    'm.__dict__ = 5;\n',
    'void print(string s)\n{\n\tinfo s.trim();\n}\n__import__ = "os";\nprint(__import__);\n_ex = 1;\n_s = 2;\n',
    'int _tick(int n)\n{\n\treturn n;\n}\nx = {1, 2};\nfor each __class__ in x\n{\n\tinfo _tick(__class__);\n}\n'
    'info x.get(0);\ntry\n{\n\ty = x.get(9);\n}\ncatch (__globals__)\n{\n\tinfo __globals__.message;\n}\n',
    's = "abc";\nfor each index __len__ in s.toList("")\n{\n\tinfo s.subString(__len__, __len__ + 1);\n}\n'
    'r = {"a": {"__subclasses__": 1}};\ninfo r.a.__subclasses__;\n',
]


def _script_names(source: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", source)) - {"v"}


@pytest.mark.parametrize("source", AUDITED, ids=["dunder-map", "print-import", "tick-loop", "dunder-index"])
def test_generated_python_reads_no_attribute_named_by_the_script(source: str) -> None:
    program = deluge.compile(source)
    result = program.run(limits=SMALL)
    assert result.error is None, describe_result(result)
    tree = program.python
    names = _script_names(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            # the only attribute generated code touches is the step countdown of `_ex`
            assert node.attr == "left", ast.dump(node)
            assert isinstance(node.value, ast.Name) and node.value.id == "_ex", ast.dump(node)
        assert not isinstance(node, (ast.Subscript, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal,
                                     ast.Lambda, ast.Starred)), ast.dump(node)
        if isinstance(node, ast.Name):
            # every name is a helper (`_x`), a mangled variable (`v_x`) or a function (`f0_x`)
            assert node.id not in names or node.id.startswith(("_", "v_")), node.id
            assert re.fullmatch(r"_[A-Za-z0-9_]*|v_[A-Za-z0-9_]+|f\d+_[A-Za-z0-9_]+|__main__", node.id), node.id
        if isinstance(node, ast.FunctionDef):
            assert re.fullmatch(r"f\d+_[A-Za-z0-9_]+|__main__", node.name), node.name
            assert node.args.args[0].arg == "_ex"
    # every name the script wrote appears in Python only mangled (v_name) or as data
    for name in names & {"__class__", "__builtins__", "__import__", "__globals__", "__len__", "__dict__",
                         "__subclasses__"}:
        loads = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name]
        assert loads == [], name


def describe_result(result: deluge.Result) -> str:
    return f"{result.error!r} {result.output[:3]}"


def test_generated_code_has_no_python_builtins() -> None:
    program = deluge.compile('x = "a";\ninfo x;\n')
    namespace = program._globals  # the code object's globals
    assert namespace["__builtins__"] == {}
    assert all(key.startswith("_") for key in namespace), sorted(k for k in namespace if not k.startswith("_"))
    for value in namespace.values():
        assert value is not __builtins__ and value is not os and value is not sys


def test_cli_python_listing_shows_mangled_names(tmp_path: Path) -> None:
    script = tmp_path / "dunder.dg"
    script.write_text('__class__ = {"__dict__": 1};\ninfo __class__.__dict__;\n', encoding="utf-8")
    deluge_cli = ROOT / ".venv" / "bin" / "deluge"
    listing = subprocess.run([str(deluge_cli), "compile", "--python", str(script)], capture_output=True, text=True,
                             timeout=30, check=True).stdout
    tree = ast.parse(listing)
    attrs = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert attrs <= {"left"}, attrs
    assert "v___class__" in listing
    assert "'__dict__'" in listing  # the field name is a constant handed to the member helper


# ---------------------------------------------------------------- format strings

FORMAT_TRICKS = [
    pytest.param('info "{0.__class__}".toString();\n', ["{0.__class__}"], id="text-tostring"),
    pytest.param('info "{0.__class__}" + 1;\n', ["{0.__class__}1"], id="concatenation"),
    pytest.param('info "%s %d %x" + "{}";\n', ["%s %d %x{}"], id="percent-formats"),
    pytest.param('info "x".replaceAll("(x)", "$1$1");\n', ["xx"], id="replaceall-java-group"),
    pytest.param('info "x".replaceAll("(x)", "\\\\g<0>");\n', ["g<0>"], id="replaceall-python-group-syntax"),
    pytest.param('info "x".replaceAll("(x)", "\\\\1");\n', ["1"], id="replaceall-python-backslash-group"),
    pytest.param('info "ab".replaceAll("(a)", "$0$0");\n', ["aab"], id="replaceall-whole-match"),
    pytest.param('info "a".replaceAll("(?<n>a)", "${n}${n}");\n', ["aa"], id="replaceall-named-group"),
    pytest.param('info "a".replaceAll("a", "\\\\$1");\n', ["$1"], id="replaceall-escaped-dollar"),
    pytest.param('d = "01-Jan-2020 10:00:00".toDateTime();\ninfo d.toString("yyyy", "../../../../etc/passwd");\n',
                 ["2020"], id="date-zone-path-traversal"),
    pytest.param('d = "01-Jan-2020 10:00:00".toDateTime();\ninfo d.toString("%Y %s %%");\n', None,
                 id="date-strftime-pattern"),
    pytest.param('d = "01-Jan-2020 10:00:00".toDateTime();\ninfo d.toString("{0.__class__}");\n', None,
                 id="date-python-format-pattern"),
    pytest.param('d = "01-Jan-2020 10:00:00".toDateTime();\ninfo d.toString("\'{0}\' yyyy");\n', ["{0} 2020"],
                 id="date-quoted-text"),
]


@pytest.mark.parametrize("source, output", FORMAT_TRICKS)
def test_format_tricks_reach_no_python_formatting(source: str, output: list[str] | None) -> None:
    outcome = attack(source)
    if output is not None:
        expect_ok(outcome, SMALL, output)
    elif outcome.error is not None:
        expect_runtime(outcome, SMALL, line=2)
    for line in outcome.result.output:
        assert "<class" not in line and "object at 0x" not in line and "datetime" not in line, line


@pytest.mark.parametrize("source, message", [
    pytest.param('info "x".replaceAll("(x)", "$2");\n', "group $2", id="missing-group-reference"),
    pytest.param('info "a".replaceAll("a", "${__class__}");\n', "__class__", id="missing-named-group"),
    pytest.param('info "a".toDateTime("{0.__class__}");\n', "not a valid pattern", id="date-parse-pattern"),
    pytest.param('x = "a";\ninfo x.toText("{0.__dict__}");\n', "not a date-time", id="text-to-text-pattern"),
])
def test_format_tricks_with_bad_references_are_runtime_errors(source: str, message: str) -> None:
    outcome = attack(source)
    expect_runtime(outcome, SMALL, contains=message)


# ---------------------------------------------------------------- JSON

def test_json_proto_and_constructor_keys_are_plain_keys() -> None:
    outcome = attack('m = "{\\"__proto__\\": 1, \\"constructor\\": {\\"prototype\\": 2}}".toMap();\ninfo m;\n'
                     'info m.get("__proto__");\ninfo m.keys();\n')
    expect_ok(outcome, SMALL, ['{"__proto__":1,"constructor":{"prototype":2}}', "1", "__proto__,constructor"])


def test_json_duplicate_keys_keep_one_entry() -> None:
    outcome = attack('m = "{\\"a\\": 1, \\"a\\": 2}".toMap();\ninfo m;\ninfo m.size();\n')
    expect_ok(outcome, SMALL, ['{"a":2}', "1"])


JSON_NUMBER_TRICKS = [
    pytest.param('m = "{\\"a\\": 1e999999}".toMap();\n', "range", id="huge-exponent"),
    pytest.param('m = "{\\"a\\": -1e999999}".toMap();\n', "range", id="huge-negative-exponent"),
    pytest.param('m = "{\\"a\\": NaN}".toMap();\n', "NaN", id="nan"),
    pytest.param('l = "[Infinity]".toJSONList();\n', "Infinity", id="infinity"),
    pytest.param('l = "[-Infinity]".toJSONList();\n', "Infinity", id="minus-infinity"),
    pytest.param('l = ("[" + "9".repeat(5000) + "]").toJSONList();\n', "number", id="5000-digit-number"),
    pytest.param('m = ("{\\"a\\": 1" + "0".repeat(4400) + "}").toMap();\n', "number", id="4400-digit-number"),
]


@pytest.mark.parametrize("source, message", JSON_NUMBER_TRICKS)
def test_json_number_tricks_are_runtime_errors(source: str, message: str) -> None:
    outcome = attack(source)
    expect_runtime(outcome, SMALL, line=1, contains=message)


def test_json_lone_surrogate_escape_stays_text() -> None:
    outcome = attack('l = "[\\"\\\\ud800\\"]".toJSONList();\ninfo l.get(0).length();\n')
    expect_ok(outcome, SMALL, ["1"])


# ---------------------------------------------------------------- regular expressions

REGEX_TRICKS = [
    pytest.param('info "a".matches("(?{1})");\n', id="perl-code-block"),
    pytest.param('info "a".matches("(?<__class__>a)");\n', id="dunder-group-name"),
    pytest.param('info "abc".matches("(?:abc){e<=1}");\n', id="fuzzy-matching"),
    pytest.param('info "abc".matches("(?r)abc");\n', id="reverse-flag"),
    pytest.param('info "abc".matches("(?V1)abc");\n', id="version-flag"),
    pytest.param('info "abc".matches("(?P<n>abc)");\n', id="python-named-group"),
    pytest.param('info "aaa".matches("a(?R)?");\n', id="recursion"),
    pytest.param('info "abc".matches("(?(DEFINE)(?<x>a))(?&x)bc");\n', id="define-and-call"),
    pytest.param('info "abc".matches("\\\\L<x>");\n', id="named-list"),
    pytest.param('info "a".matches("(");\n', id="unbalanced"),
]


@pytest.mark.parametrize("source", REGEX_TRICKS)
def test_regex_tricks_outside_java_syntax_are_runtime_errors(source: str) -> None:
    outcome = attack(source)
    expect_runtime(outcome, SMALL, line=1, contains="regular expression")


def test_regex_backreference_to_a_missing_group_does_not_match() -> None:
    outcome = attack('info "aa".matches("(a)\\\\5");\ninfo "aA".replaceAll("(?i)a", "b");\n')
    expect_ok(outcome, SMALL, ["false", "bb"])


# ---------------------------------------------------------------- XML

XML_TRICKS = [
    pytest.param('x = "<!DOCTYPE l [<!ENTITY a \\"aaaaaaaaaa\\"><!ENTITY b \\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\\">'
                 '<!ENTITY c \\"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\\">]><l>&c;</l>";\ninfo x.executeXPath("/l/text()");\n',
                 "entities", id="billion-laughs"),
    pytest.param('x = "<!DOCTYPE l [<!ENTITY e SYSTEM \\"file:///etc/passwd\\">]><l>&e;</l>";\n'
                 'info x.executeXPath("/l/text()");\n', "entities", id="external-entity"),
    pytest.param('x = "<?xml version=\\"1.0\\"?><!DOCTYPE a [<!ENTITY % p SYSTEM \\"file:///etc/passwd\\"> %p;]><a/>";'
                 '\ninfo x.executeXPath("/a");\n', "entities", id="parameter-entity"),
    pytest.param('x = "<!DOCTYPE l SYSTEM \\"file:///etc/passwd\\"><l>&x;</l>";\ninfo x.executeXPath("/l");\n',
                 "does not define", id="external-dtd"),
    pytest.param('x = "<a><b>1</b></a>";\ninfo x.executeXPath("document(\'/etc/passwd\')");\n', "document",
                 id="xpath-document-function"),
    pytest.param('x = "<!DOCTYPE l [<!ENTITY a \\"aaaa\\">]><l>&a;</l>";\ninfo x.toXmlList();\n', "entities",
                 id="entity-in-toxmllist"),
]


@pytest.mark.parametrize("source, message", XML_TRICKS)
def test_xml_entity_tricks_are_refused(source: str, message: str) -> None:
    outcome = attack(source)
    expect_runtime(outcome, SMALL, line=2, contains=message)
    assert "root:" not in " ".join(outcome.error.message.split())  # type: ignore[union-attr]


def test_xinclude_is_not_processed() -> None:
    source = ('x = "<a xmlns:xi=\\"http://www.w3.org/2001/XInclude\\"><xi:include href=\\"/etc/passwd\\" '
              'parse=\\"text\\"/></a>";\ninfo x.executeXPath("string(/a)");\n')
    outcome = attack(source)
    expect_ok(outcome, SMALL, [""])


def test_deep_xml_is_a_budget_error() -> None:
    outcome = attack('x = "<a>" + "<b>".repeat(5000) + "</b>".repeat(5000) + "</a>";\n'
                     'info x.executeXPath("count(//b)");\n')
    expect_budget(outcome, "data_nesting", SMALL, line=2)


# ---------------------------------------------------------------- files

def test_tofile_never_touches_the_file_system(tmp_path: Path) -> None:
    target = tmp_path / f"deluge-{uuid.uuid4().hex}.txt"
    source = (f'f = "hello".toFile("{target}");\ninfo f.getFileName();\ninfo f.getFileContent();\n'
              'g = "x".toFile("/etc/passwd");\ninfo g.getFileContent();\n'
              'h = zoho.encryption.base64DecodeToFile("aGk=", "../../../../etc/passwd");\ninfo h.getFileContent();\n')
    outcome = attack(source)
    expect_ok(outcome, SMALL, [str(target), "hello", "x", "hi"])
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("source, message", [
    pytest.param('f = "x".toFile("a.txt");\nf.setCharset("unicode_escape");\n'
                 '', "not a character set", id="codec-escape"),
    pytest.param('f = "x".toFile("a.txt");\nf.setCharset("zlib");\n', "not a character set", id="codec-zlib"),
    pytest.param('f = "x".toFile("a.txt");\nf.setCharset("rot13");\n', "not a character set", id="codec-rot13"),
    pytest.param('f = "x".toFile("a.zip");\ng = f.extract();\n', "not available", id="extract-archive"),
    pytest.param('f = "x".toFile("a.txt");\ng = f.compress();\n', "not available", id="compress"),
    pytest.param('f = "x".toFile("a.txt");\ng = f.convertToPDF();\n', "not available", id="convert-to-pdf"),
])
def test_file_tricks_are_runtime_errors(source: str, message: str) -> None:
    outcome = attack(source)
    expect_runtime(outcome, SMALL, line=2, contains=message)


# ---------------------------------------------------------------- network

NO_GRANT_URLS = [
    pytest.param('r = getUrl("http://127.0.0.1/");\n', "api:127.0.0.1", id="loopback"),
    pytest.param('r = getUrl("http://localhost:8080/admin");\n', "api:localhost:8080", id="localhost-port"),
    pytest.param('r = getUrl("http://169.254.169.254/latest/meta-data/");\n', "api:169.254.169.254", id="metadata"),
    pytest.param('r = postUrl("http://10.0.0.1/", {"a": 1});\n', "api:10.0.0.1", id="private-post"),
    pytest.param('r = getUrl("http://[::1]/");\n', "api:::1", id="ipv6-loopback"),
    pytest.param('r = invokeurl\n[\n\turl: "http://169.254.169.254/latest/meta-data/"\n\ttype: GET\n];\n',
                 "api:169.254.169.254", id="invokeurl-metadata"),
]


@pytest.mark.parametrize("source, capability", NO_GRANT_URLS)
def test_network_without_a_grant_is_a_consent_error(source: str, capability: str) -> None:
    outcome = attack(source)
    expect_consent(outcome, capability, SMALL, line=1)


@pytest.mark.parametrize("source, capability", [
    pytest.param('r = getUrl("http://api.example.com@127.0.0.1/");\n', "api:127.0.0.1", id="userinfo"),
    pytest.param('r = getUrl("http://127.0.0.1#@api.example.com/");\n', "api:127.0.0.1", id="fragment-at"),
    pytest.param('r = getUrl("http://api.example.com\\\\@127.0.0.1/");\n', "api:127.0.0.1", id="backslash-userinfo"),
    pytest.param('r = getUrl("http://api.example.com.evil.io/");\n', "api:api.example.com.evil.io", id="suffix-host"),
    pytest.param('r = getUrl("http://api.example.com:8080/");\n', "api:api.example.com:8080", id="other-port"),
    pytest.param('r = getUrl("http://0x7f000001/");\n', "api:0x7f000001", id="hex-address"),
])
def test_a_grant_for_one_host_does_not_cover_tricks(source: str, capability: str) -> None:
    outcome = attack(source, grant=["api:api.example.com"])
    expect_consent(outcome, capability, SMALL, line=1)


@pytest.mark.parametrize("source, message", [
    pytest.param('r = getUrl("file:///etc/passwd");\n', "not a valid url", id="file-scheme"),
    pytest.param('r = getUrl("gopher://127.0.0.1:70/_stats");\n', "scheme 'gopher'", id="gopher-scheme"),
    pytest.param('r = getUrl("dict://127.0.0.1:11211/");\n', "scheme 'dict'", id="dict-scheme"),
    pytest.param('r = getUrl("ftp://127.0.0.1/");\n', "scheme 'ftp'", id="ftp-scheme"),
    pytest.param('r = getUrl("http://127.0.0.1/\\r\\nHost: x");\n', "white space", id="header-injection"),
])
def test_forbidden_urls_are_runtime_errors_even_with_every_grant(source: str, message: str) -> None:
    outcome = attack(source, grant="all")
    expect_runtime(outcome, SMALL, line=1, contains=message)


@pytest.mark.parametrize("source", [
    pytest.param('r = getUrl("http://127.0.0.1/");\n', id="loopback"),
    pytest.param('r = getUrl("http://169.254.169.254/latest/meta-data/");\n', id="metadata"),
    pytest.param('r = invokeurl\n[\n\turl: "http://127.0.0.1:6379/"\n\ttype: POST\n];\n', id="invokeurl-redis"),
    pytest.param('sendmail\n[\n\tfrom: zoho.adminuserid\n\tto: "a@example.com"\n\tsubject: "x"\n\tmessage: "y"\n];\n',
                 id="sendmail"),
    pytest.param('r = zoho.crm.getRecords("Leads");\n', id="task"),
])
def test_every_grant_without_a_host_client_reaches_nothing(source: str) -> None:
    outcome = attack(source, grant="all")
    expect_runtime(outcome, SMALL, line=1, contains="not available in this host")


def test_consent_errors_cannot_be_caught() -> None:
    source = 'try\n{\n\tr = getUrl("http://169.254.169.254/");\n}\ncatch (e)\n{\n\tinfo "caught";\n}\ninfo "after";\n'
    outcome = attack(source)
    expect_consent(outcome, "api:169.254.169.254", SMALL, line=3)
    assert outcome.result.output == []


def test_the_host_client_gets_only_granted_urls() -> None:
    seen: list[str] = []

    class Http:
        def invokeurl(self, ex: object, url: str, method: str, entries: object) -> str:
            seen.append(url)
            return "ok"

    class Host:
        http = Http()

    source = (
        'a = getUrl("https://api.example.com/ok");\n'
        'try\n{\n\tb = getUrl("http://127.0.0.1\\\\@api.example.com/");\n}\ncatch (e)\n{\n\tinfo "refused";\n}\n'
        'c = getUrl("http://127.0.0.1/");\n'
    )
    outcome = attack(source, grant=["api:api.example.com"], host=Host())
    expect_consent(outcome, "api:127.0.0.1", SMALL, line=10)
    assert seen[0] == "https://api.example.com/ok"
    from urllib.parse import urlsplit

    assert all(urlsplit(url).hostname == "api.example.com" for url in seen), seen
