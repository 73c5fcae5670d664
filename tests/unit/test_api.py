"""The embedding API contract (deluge.parse, compile, run, Program, Result)."""

from __future__ import annotations

import threading

import pytest

import deluge
from deluge.limits import Limits


def test_public_names_are_sorted_and_importable() -> None:
    assert deluge.__all__ == sorted(deluge.__all__)
    for name in deluge.__all__:
        assert hasattr(deluge, name)


def test_result_fields() -> None:
    result = deluge.run('info "a";\nreturn {"k": 1};')
    assert result.output == ["a"]
    assert result.value == {"k": 1}
    assert result.returned == '{"k":1}'
    assert result.error is None and result.ok
    assert result.raise_for_error() is result
    assert result.stats.steps == 2 and result.stats.elapsed >= 0


def test_no_return_and_return_null() -> None:
    assert deluge.run("info 1;").returned is None
    assert deluge.run("return;").returned is None
    assert deluge.run("return null;").returned == "null"


def test_run_never_raises_for_a_script_fault() -> None:
    for source in ("info 1 / 0;", "info x y;", "l = List(); info l.get(3);"):
        result = deluge.run(source)
        assert result.error is not None
        with pytest.raises(deluge.DelugeError):
            result.raise_for_error()


def test_error_kinds_and_hierarchy() -> None:
    assert isinstance(deluge.run("x = ;").error, deluge.ParseError)
    assert isinstance(deluge.run("info 1/0;").error, deluge.DelugeRuntimeError)
    assert isinstance(deluge.run("for each i in l { }", {"l": [1] * 50}, limits=Limits(steps=10)).error,
                      deluge.BudgetExceeded)
    assert isinstance(deluge.run('sendmail [ from: "a" to: "b" subject: "c" message: "d" ];').error,
                      deluge.ConsentRequired)


def test_parse_raises_and_compile_raises() -> None:
    with pytest.raises(deluge.ParseError):
        deluge.parse("x = ;")
    with pytest.raises(deluge.ParseError):
        deluge.compile("x = nosuch();")


def test_context_is_deep_copied_and_converted() -> None:
    host = {"deal": {"tags": ["a"], "amount": 10.5}}
    result = deluge.run('deal.get("tags").add("b");\ndeal.put("amount", 1);\ninfo deal;', host)
    assert result.output == ['{"tags":["a","b"],"amount":1}']
    assert host == {"deal": {"tags": ["a"], "amount": 10.5}}


def test_context_values_that_are_not_json_like_are_refused() -> None:
    with pytest.raises(TypeError):
        deluge.run("info x;", {"x": object()})


def test_zoho_context_sets_system_variables_and_freezes_the_clock() -> None:
    ctx = {"zoho": {"currentdate": "01-Feb-2021", "loginuser": "ann@example.com"}}
    result = deluge.run("info today;\ninfo now;\ninfo zoho.loginuser;\ninfo zoho.adminuserid;", ctx)
    assert result.output == ["01-Feb-2021", "01-Feb-2021 00:00:00", "ann@example.com", "admin@example.com"]


def test_bytes_source_with_bom() -> None:
    assert deluge.run("\ufeffinfo 1;".encode()).output == ["1"]


def test_grant_forms() -> None:
    src = 'r = invokeurl [ url: "https://api.example.com/" ];'
    assert deluge.run(src).error.kind == "consent"  # type: ignore[union-attr]
    assert deluge.run(src, grant="all").error.kind == "runtime"  # type: ignore[union-attr]
    assert deluge.run(src, grant=["api:api.example.com"]).error.kind == "runtime"  # type: ignore[union-attr]
    assert deluge.run(src, grant=["api:*"]).error.kind == "runtime"  # type: ignore[union-attr]


def test_programs_are_cached_and_reusable_with_different_contexts() -> None:
    src = "info n * 2;"
    first = deluge.compile(src)
    assert deluge.compile(src) is first
    assert first.run({"n": 1}).output == ["2"]
    assert first.run({"n": 5}).output == ["10"]


def test_a_program_runs_in_many_threads_without_sharing_state() -> None:
    program = deluge.compile("total = 0;\nfor each x in items { total = total + x; }\nreturn total;")
    results: dict[int, str | None] = {}

    def work(k: int) -> None:
        results[k] = program.run({"items": list(range(k * 100))}).returned

    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {k: str(sum(range(k * 100))) for k in range(1, 9)}


def test_limits_from_text() -> None:
    limits = Limits().with_values({"steps": "10", "wall-time": "2.5"})
    assert limits.steps == 10 and limits.wall_time == 2.5
    with pytest.raises(ValueError):
        Limits().with_values({"nonsense": "1"})
    with pytest.raises(ValueError):
        Limits().with_values({"steps": "x"})
    assert Limits.interactive().steps == 200_000


def test_to_json_shape() -> None:
    data = deluge.run("info 1;\nx = 1/0;").to_json()
    assert set(data) == {"output", "returned", "error"}
    assert data["error"]["kind"] == "runtime" and data["error"]["line"] == 2
