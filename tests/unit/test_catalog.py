"""The catalog (`stdlib/`) and the implementations (`deluge/builtins/`) stay in step."""

from __future__ import annotations

import pytest

import deluge
from deluge import catalog
from deluge.builtins import registry

registry.load_all()
CATALOG = catalog.load()


def _implemented(entry: catalog.Entry) -> bool:
    lname = entry.name.lower()
    if entry.is_function:
        return lname in registry.FUNCTIONS
    table = registry.METHODS.get(lname, {})
    if entry.receiver == "any":
        return bool(table)  # D49: prose may narrow an `any` row to the kinds it names
    if (entry.receiver, lname) in registry.COVERED:
        return True
    return any(t in table for t in registry.KIND_TYPES.get(entry.receiver, ()))


def test_catalog_is_large_and_complete() -> None:
    names = {e.name.lower() for e in CATALOG.entries}
    assert len(CATALOG.entries) >= 580
    for name in ("substring", "put", "adddays" if "adddays" in names else "addday", "tomap", "executexpath",
                 "zoho.encryption.md5", "zoho.crm.getrecords", "geturl", "zoho.currenttime"):
        assert name in names


def test_every_catalog_form_is_implemented() -> None:
    missing = [f"{e.receiver}.{e.name}" for e in CATALOG.entries
               if e.group not in ("system", "task") and not e.system_value and not _implemented(e)]
    assert missing == []


def test_every_implementation_is_in_the_catalog() -> None:
    unknown = [name for name in list(registry.METHODS) + list(registry.FUNCTIONS) if not CATALOG.knows(name)]
    assert unknown == []


def test_every_function_form_matches_its_arity() -> None:
    import inspect

    wrong = []
    for entry in CATALOG.entries:
        if not entry.is_function or entry.system_value or entry.group in ("system", "task"):
            continue
        fn = registry.FUNCTIONS.get(entry.name.lower())
        if fn is None:
            continue
        counts = range(entry.min_args, (entry.max_args if entry.max_args is not None else entry.min_args + 3) + 1)
        for count in counts:
            try:
                inspect.signature(fn).bind(None, *([None] * count))
            except TypeError:
                wrong.append(f"{entry.name}({count} arguments)")
    assert wrong == []


@pytest.mark.parametrize("entry", [e for e in CATALOG.entries if e.group == "system"], ids=lambda e: e.name)
def test_every_system_variable_can_be_read(entry: catalog.Entry) -> None:
    result = deluge.run(f"x = {entry.name};\ninfo x;", {"zoho": {"currenttime": "15-Mar-2019 10:20:30"}})
    assert result.error is None, result.error
    assert len(result.output) == 1


@pytest.mark.parametrize("entry", [e for e in CATALOG.entries if e.group == "task"], ids=lambda e: e.name)
def test_every_task_needs_consent(entry: catalog.Entry) -> None:
    args = ", ".join('"x"' for _ in range(entry.min_args))
    result = deluge.run(f"r = {entry.name}({args});")
    assert result.error is not None and result.error.kind == "consent"
    assert result.error.capability == entry.capability  # type: ignore[attr-defined]


def test_names_resolve_ignoring_case() -> None:
    assert deluge.run('info "abc".SUBSTRING(1);\ninfo TOUPPERCASE("x");').output == ["bc", "X"]


def test_the_module_index_is_up_to_date() -> None:
    import subprocess
    import sys
    from pathlib import Path

    tool = Path(__file__).resolve().parent.parent.parent / "tools" / "gen_builtin_index.py"
    if not tool.exists():  # an installed package without the source tree's tools
        pytest.skip("tools/ is not part of this checkout")
    result = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_names_load_their_modules_on_demand() -> None:
    for name, modules in __import__("deluge.builtins.index", fromlist=["MODULES"]).MODULES.items():
        registry.ensure(name)
        assert name in registry.METHODS or name in registry.FUNCTIONS, name
        assert modules


def test_every_row_has_a_one_line_summary() -> None:
    missing = [f"{e.receiver}.{e.name}" for e in CATALOG.entries if not e.summary or "\n" in e.summary]
    assert missing == []


def test_one_catalog_file_per_group() -> None:
    from deluge.resources import data_dir

    files = {p.stem for p in data_dir("stdlib").glob("*.toml")}
    for group in ("text", "number", "boolean", "common", "conversion", "encoding", "list", "map", "collection",
                  "date", "json", "file"):
        assert group in files
