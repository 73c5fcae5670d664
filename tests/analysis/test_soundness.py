"""The analyzer never under-approximates: every capability a run asks for is in the manifest.

Each script runs with a grant that allows everything but records what was asked
(`Execution.require` asks at the moment of use), against a fake host whose network, tasks
and mail answer without leaving the process. Every capability asked must be covered by the
manifest's capabilities (`Grant(manifest.capabilities).allows`). The scripts are tricky
value flows (aliases, maps changed through functions and lists, loops, try blocks,
recursion) and every syntax sample of ../shared, run with its free names bound to empty maps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from deluge.analysis.manifest import analyze
from deluge.capabilities import Grant
from deluge.limits import Limits
from deluge.runtime.program import compile_program

SAMPLES = Path(__file__).resolve().parents[1] / "syntax-samples"
LIMITS = Limits(steps=20_000, wall_time=5.0)


@attrs.frozen
class Recorder(Grant):
    """Allows everything and remembers what was asked."""

    asked: list[str] = attrs.field(factory=list)

    def allows(self, capability: str) -> bool:
        self.asked.append(capability)
        return True


class FakeHttp:
    def invokeurl(self, ex: Any, url: str, method: str, entries: dict[str, Any]) -> Any:
        return {"url": url, "data": [{"id": "1"}]}


class FakeMail:
    def send(self, ex: Any, entries: dict[str, Any]) -> None:
        return None


class FakeHost:
    http = FakeHttp()
    mail = FakeMail()

    def tasks(self, ex: Any, name: str, args: tuple[Any, ...]) -> Any:
        return {"code": "success", "data": [{"id": "1", "url": "https://from-a-task.example/"}], "list": []}


def asked_and_manifest(source: str, context: dict[str, Any] | None = None) -> tuple[list[str], Any, Any]:
    program = compile_program(source, cache=False)
    if context is None:
        context = {name: {} for name, *_ in program.free_names}
    recorder = Recorder()
    result = program.run(context, grant=recorder, limits=LIMITS, host=FakeHost())
    return recorder.asked, analyze(source), result


def assert_covered(source: str, context: dict[str, Any] | None = None, expect_asked: bool = True) -> None:
    asked, manifest, result = asked_and_manifest(source, context)
    if expect_asked:
        assert asked, f"the script asked for nothing: {result.error}"
    granted = Grant(manifest.capabilities)
    missed = [c for c in asked if not granted.allows(c)]
    assert not missed, f"asked at run time but not in the manifest {sorted(manifest.capabilities)}: {missed}"


TRICKY = {
    "alias-mutation": 'a = {"u": "https://good.com/"};\nb = a;\nb.put("u", "https://evil.com/");\n'
                      'r = getUrl(a.get("u"));',
    "loop-made-maps": 'keep = Map();\nfor each x in {1, 2}\n{\n\tm = Map();\n\tm.put("u", "https://a.com/");\n'
                      '\tif (x == 1) { keep = m; }\n}\nm.put("u", "https://evil.com/");\nr = getUrl(keep.get("u"));',
    "function-mutates-argument": 'void f(map m)\n{\n\tm.put("u", "https://evil.com/");\n}\n'
                                 'h = {"u": "https://good.com/"};\nf(h);\nr = getUrl(h.get("u"));',
    "map-changed-through-list": 'h = {"u": "https://good.com/"};\nl = List();\nl.add(h);\n'
                                'l.get(0).put("u", "https://evil.com/");\nr = getUrl(h.get("u"));',
    "map-in-map": 'inner = {"u": "https://good.com/"};\nouter = {"i": inner};\n'
                  'outer.get("i").put("u", "https://evil.com/");\nr = getUrl(inner.get("u"));',
    "try-state": 'u = "https://a.com/";\ntry\n{\n\tu = "https://evil.com/";\n\tx = 1 / 0;\n\tu = "https://b.com/";\n}\n'
                 'catch (e)\n{\n\tr = getUrl(u);\n}',
    "try-nested-state": 'u = "https://a.com/";\ntry\n{\n\tif (true)\n\t{\n\t\tu = "https://evil.com/";\n'
                        '\t\tx = 1 / 0;\n\t}\n\tu = "https://b.com/";\n}\ncatch (e)\n{\n\tr = getUrl(u);\n}',
    "recursion": 'string f(int n, string u)\n{\n\tif (n == 0) { return getUrl(u); }\n\treturn f(n - 1, u + "x");\n}\n'
                 'info f(2, "https://a.com");',
    "put-all": 'h = Map();\ng = {"u": "https://evil.com/"};\nh.putAll(g);\nr = getUrl(h.get("u"));',
    "text-method": 'r = getUrl("HTTPS://EVIL.COM/".toLowerCase());',
    "if-expression": 'u = if(1 > 2, "https://a.com/", "https://b.com/");\nr = getUrl(u);',
    "compound-assign": 'u = "https://a.com";\nu += ".evil.com/";\nr = getUrl(u);',
    "break-state": 'u = "https://a.com/";\nfor each x in {1, 2, 3}\n{\n\tu = "https://evil.com/";\n'
                   '\tif (x == 2) { break; }\n\tu = "https://b.com/";\n}\nr = getUrl(u);',
    "continue-state": 'u = "https://a.com/";\nfor each x in {1, 2, 3}\n{\n\tif (x == 3) { r = getUrl(u); }\n'
                      '\tu = "https://evil.com/";\n\tif (x == 2) { continue; }\n\tu = "https://b.com/";\n}',
    "growing-url": 'u = "https://a.com";\nfor each x in {1, 2, 3}\n{\n\tu = u + x;\n}\nr = getUrl(u + "/");',
    "port-number": 'port = 8443;\nr = getUrl("https://a.com:" + port + "/x");',
    "port-arithmetic": 'port = 8000 + 443;\nr = getUrl("https://a.com:" + port + "/x");',
    "task-result-url": 'resp = zoho.cliq.getRecords("db", {"criteria": "a==1"});\n'
                       'r = getUrl(resp.get("data").get(0).get("url"));',
    "connection-variable": 'c = "crm" + "conn";\nr = zoho.crm.getRecords("Leads", 1, 200, c);',
    "connection-from-map": 'cfg = {"conn": "crm_oauth"};\nr = zoho.crm.getRecords("Leads", 1, 200, cfg.get("conn"));',
    "invokeurl-connection": 'c = "git" + "hub";\nr = invokeurl\n[\n\turl: "https://api.github.com/user"\n\ttype: GET\n'
                            '\tconnection: c\n];',
    "sendmail": 'sendmail\n[\n\tfrom: zoho.adminuserid\n\tto: "a@b.com"\n\tsubject: "s"\n\tmessage: "m"\n];',
    "list-of-urls": 'l = {"https://a.com/x", "https://b.com/y"};\nl.add("https://c.com/");\n'
                    'for each u in l\n{\n\tr = getUrl(u);\n}',
    "function-returns-url": 'string base()\n{\n\treturn "https://api.a.com/";\n}\nr = getUrl(base() + "v1");',
    "function-called-twice": 'string pick(string h)\n{\n\treturn "https://" + h + "/";\n}\n'
                             'r = getUrl(pick("a.com"));\ns = getUrl(pick("b.com"));',
    "map-copy": 'a = {"u": "https://good.com/"};\nb = Map(a);\nb.put("u", "https://evil.com/");\n'
                'r = getUrl(a.get("u"));\ns = getUrl(b.get("u"));',
    "unknown-key-put": 'k = "u".toUpperCase().toLowerCase();\nh = {"u": "https://good.com/"};\n'
                       'h.put(k, "https://evil.com/");\nr = getUrl(h.get("u"));',
    "empty-braces": 'h = {};\nh.put("u", "https://a.com/");\nr = getUrl(h.get("u"));',
    "post-url": 'r = postUrl("https://hooks.example.com:444/x", {"a": 1});',
    "userinfo-url": 'r = getUrl("https://good.com@evil.com/");',
}


@pytest.mark.parametrize("source", TRICKY.values(), ids=TRICKY.keys())
def test_tricky_flows_are_covered(source: str) -> None:
    assert_covered(source)


def test_the_recorder_catches_an_uncovered_use() -> None:
    # the check itself can fail: a manifest that lacks what the run asked for is reported
    asked, _, _ = asked_and_manifest('r = getUrl("https://a.com/");')
    assert asked == ["api:a.com"]
    assert not Grant(frozenset(["api:b.com"])).allows(asked[0])


SAMPLE_FILES = sorted(SAMPLES.glob("*.dg"))


def test_the_samples_are_there() -> None:
    assert len(SAMPLE_FILES) >= 100


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[p.name for p in SAMPLE_FILES])
def test_syntax_samples_are_covered(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert_covered(source, expect_asked=False)


# ---------------------------------------------------------------- the coarse fallback

def _coarse(source: str) -> frozenset[str]:
    from deluge import catalog
    from deluge.analysis.valueflow import Walker, coarse
    from deluge.syntax.parser import parse

    module = parse(source)
    return coarse(module, catalog.load(), Walker(module, catalog.load())).capabilities


def test_an_exponential_call_tree_falls_back_to_the_coarse_manifest() -> None:
    depth = 24  # 2**24 walks of the innermost function if every call were followed
    functions = "".join(f'string f{i}(string u)\n{{\n\ta = f{i + 1}(u + "a");\n\tb = f{i + 1}(u + "b");\n'
                        f'\treturn a + b;\n}}\n' for i in range(depth))
    functions += (f'string f{depth}(string u)\n{{\n\tr = zoho.crm.getRecords("Leads", 1, 2, "crm_main");\n'
                  '\treturn getUrl(u);\n}\n')
    source = functions + 'info f0("https://x.example/");\ninfo user.get("email");\n'
    manifest = analyze(source)
    assert manifest.capabilities == {"api:*", "connection:crm_main", "task:zoho.crm.getRecords", "object:user"}
    assert manifest.capabilities == _coarse(source)


@pytest.mark.parametrize("source", [*TRICKY.values(), *(p.read_text(encoding="utf-8") for p in SAMPLE_FILES[:40])])
def test_the_coarse_manifest_covers_the_full_one(source: str) -> None:
    full = Grant(analyze(source).capabilities)
    rough = Grant(_coarse(source))
    assert all(rough.allows(c) for c in full.capabilities), sorted(full.capabilities - _coarse(source))
