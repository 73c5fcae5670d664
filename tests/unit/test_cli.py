"""The `deluge` command line, driven through click's test runner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from deluge.cli import main

ROOT = Path(__file__).resolve().parent.parent.parent


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_run_prints_output_and_returned_value(tmp_path: Path) -> None:
    script = tmp_path / "s.dg"
    script.write_text('info "hi";\nreturn 3;\n')
    code, out, _ = invoke("run", str(script))
    assert code == 0 and out == "hi\n=> 3\n"


def test_run_json_and_exit_status_on_error(tmp_path: Path) -> None:
    script = tmp_path / "s.dg"
    script.write_text('info "a";\ninfo 1 / 0;\n')
    code, out, _ = invoke("run", "--json", str(script))
    data = json.loads(out)
    assert code == 1
    assert data["output"] == ["a"] and data["returned"] is None
    assert data["error"]["kind"] == "runtime" and data["error"]["line"] == 2


def test_run_shows_a_caret_under_the_error(tmp_path: Path) -> None:
    script = tmp_path / "bad.dg"
    script.write_text("x = 1;\ny = (2 + ;\n")
    code, _, err = invoke("run", str(script))
    assert code == 1
    assert "bad.dg:2:" in err and "y = (2 + ;" in err and "^" in err


def test_run_reads_standard_input_and_a_context(tmp_path: Path) -> None:
    ctx = tmp_path / "ctx.json"
    ctx.write_text('{"user": {"name": "Ann"}}')
    code, out, _ = invoke("run", "-", "--context", str(ctx), stdin="info user.name;")
    assert code == 0 and out == "Ann\n"


def test_usage_errors_exit_with_2(tmp_path: Path) -> None:
    assert invoke("run", str(tmp_path / "missing.dg"))[0] == 2
    script = tmp_path / "s.dg"
    script.write_text("info 1;")
    assert invoke("run", str(script), "--limit", "nonsense=1")[0] == 2
    bad_ctx = tmp_path / "ctx.json"
    bad_ctx.write_text("[1, 2]")
    assert invoke("run", str(script), "--context", str(bad_ctx))[0] == 2


def test_limit_and_grant_options(tmp_path: Path) -> None:
    script = tmp_path / "s.dg"
    script.write_text("for each i in {1,2,3,4,5,6,7,8,9} { x = i; }")
    code, _, err = invoke("run", str(script), "--limit", "steps=5")
    assert code == 1 and "budget" in err
    script.write_text('r = invokeurl [ url: "https://api.example.com/x" ];')
    assert "consent" in invoke("run", str(script))[2]
    empty = tmp_path / "empty.json"  # a cassette without recordings: no test reaches the internet
    empty.write_text('{"version": 1, "exchanges": []}')
    code, _, err = invoke("run", str(script), "--grant", "api:api.example.com", "--replay", str(empty))
    assert code == 1 and "consent" not in err and "runtime error: No recorded exchange for GET" in err, err


def test_check_reports_every_error(tmp_path: Path) -> None:
    good = tmp_path / "good.dg"
    good.write_text("info dealId;")
    bad = tmp_path / "bad.dg"
    bad.write_text("x = nope();\nbreak;\n")
    code, out, err = invoke("check", str(good), str(bad))
    assert code == 1
    assert "good.dg: ok" in out and "dealId" in out
    assert "bad.dg:1:" in err and "bad.dg:2:" in err


def test_check_samples_are_clean() -> None:
    files = sorted(str(p) for p in (ROOT / "samples").glob("*.dg"))
    code, out, _ = invoke("check", *files)
    assert code == 0 and out.count(": ok") == len(files)


def test_parse_json(tmp_path: Path) -> None:
    script = tmp_path / "s.dg"
    script.write_text("info 1 + 2;")
    code, out, _ = invoke("parse", str(script), "--json")
    tree = json.loads(out)
    assert code == 0 and tree["body"][0]["value"]["op"] == "+"


def test_compile_python_shows_generated_code(tmp_path: Path) -> None:
    script = tmp_path / "s.dg"
    script.write_text("total = 0;\nfor each x in items { total = total + x; }\ninfo total;")
    code, out, _ = invoke("compile", "--python", str(script))
    assert code == 0 and "def __main__(_ex, v_items):" in out and "_tick" in out


def test_doc_and_doc_list() -> None:
    code, out, _ = invoke("doc", "subString")
    assert code == 0 and "text.subString(" in out
    code, out, _ = invoke("doc", "--list", "text")
    assert code == 0 and out.startswith("text:")
    code, _, err = invoke("doc", "subStrin")
    assert code == 1 and "subString" in err


def test_run_keeps_compiled_programs_on_disk(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DELUGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DELUGE_NO_CACHE", raising=False)
    from deluge.runtime import program as program_module

    script = tmp_path / "s.dg"
    script.write_text("d = '15-Aug-1947';\nl = {3, 1};\nl.add(d);\nx = 5;\ninfo l.size() + x + d.toString(\"yyyy\");\n")
    first = invoke("run", str(script))
    entries = list((tmp_path / "cache" / "programs").glob("*.dgc"))
    assert first[0] == 0 and len(entries) == 1
    program_module._cache.clear()  # a new process would have an empty memory cache
    second = invoke("run", str(script))
    assert second == first
    assert len(list((tmp_path / "cache" / "programs").glob("*.dgc"))) == 1


def test_a_program_from_the_disk_cache_still_shows_its_code(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DELUGE_CACHE_DIR", str(tmp_path / "cache"))
    from deluge.runtime import program as program_module

    source = "total = 0;\nfor each x in items { total = total + x; }\nreturn total;"
    program_module.compile_program(source, cache=False, disk_cache=True)
    cached = program_module.compile_program(source, cache=False, disk_cache=True)
    assert cached._module is None  # came from disk, without parsing
    assert cached.run({"items": [1, 2, 3]}).returned == "6"
    assert "def __main__" in cached.python_source() and cached.module.body
