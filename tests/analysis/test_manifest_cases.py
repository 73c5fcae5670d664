"""Labeled cases for the consent analyzer (DECISIONS.md D30, D44-D48; PLATFORM.md 8.2).

Each `cases/*.toml` file holds `[[case]]` tables:

    name = "..."                      # unique over all files; the test id
    source = '''...'''                # a Deluge script that compiles
    manifest = ["api:example.com"]    # the EXACT set of capability strings analyze() must report
    lines = { "api:example.com" = [1] }      # optional: exact lines of some capabilities
    auth = { "api:example.com" = "none" }    # optional: "user", "admin" or "none"

The expectations were written from the spec, not from the analyzer. Two tests run on each case so a
failure says which way it is wrong: `test_no_under_approximation` (a capability the script can use is
missing: a consent hole) and `test_exact_capabilities` (extra capabilities: over-approximation).
"""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path
from typing import Any

import pytest

import deluge
from deluge import capabilities

CASES_DIR = Path(__file__).parent / "cases"
OBJECTS_TSV = Path(__file__).resolve().parents[2] / "stdlib" / "platform-objects.tsv"
AUTHS = {"user", "admin", "none"}
CASE_KEYS = {"name", "source", "manifest", "lines", "auth"}


def _load_cases() -> list[tuple[str, dict[str, Any]]]:
    cases: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(CASES_DIR.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for case in data.get("case", []):
            cases.append((path.name, case))
    return cases


CASES = _load_cases()
PARAMS = [pytest.param(file, case, id=case["name"]) for file, case in CASES]

_ANALYZER_PRESENT = importlib.util.find_spec("deluge.analysis.valueflow") is not None
needs_analyzer = pytest.mark.skipif(not _ANALYZER_PRESENT, reason="deluge/analysis/valueflow.py not written yet")


def _analyze(source: str) -> Any:
    from deluge.analysis.manifest import analyze

    return analyze(source)


def _where(file: str, case: dict[str, Any]) -> str:
    return f"[{file}] {case['name']}"


def _show(caps: set[str] | frozenset[str]) -> str:
    return ", ".join(sorted(caps)) or "(none)"


# --- the case files themselves (need no analyzer) ---------------------------------------------


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 70


def test_case_names_are_unique() -> None:
    seen: dict[str, str] = {}
    for file, case in CASES:
        name = case["name"]
        assert name not in seen, f"case name {name!r} in {file} already used in {seen[name]}"
        seen[name] = file


@pytest.mark.parametrize(("file", "case"), PARAMS)
def test_case_is_well_formed(file: str, case: dict[str, Any]) -> None:
    where = _where(file, case)
    assert set(case) <= CASE_KEYS, f"{where}: unknown keys {set(case) - CASE_KEYS}"
    assert isinstance(case.get("source"), str), f"{where}: no source"
    expected = case.get("manifest")
    assert isinstance(expected, list), f"{where}: manifest must be a list"
    assert len(set(expected)) == len(expected), f"{where}: manifest repeats a capability"
    for cap in expected:
        assert capabilities.valid(cap), f"{where}: {cap!r} is not a well-formed capability string"
    for key in ("lines", "auth"):
        for cap in case.get(key, {}):
            assert cap in expected, f"{where}: {key} names {cap!r}, which is not in the manifest"
    for cap, lines in case.get("lines", {}).items():
        assert lines and all(isinstance(x, int) and x > 0 for x in lines), f"{where}: bad lines for {cap}"
    for cap, auth in case.get("auth", {}).items():
        assert auth in AUTHS, f"{where}: auth of {cap} must be one of {sorted(AUTHS)}"


@pytest.mark.parametrize(("file", "case"), PARAMS)
def test_case_source_compiles(file: str, case: dict[str, Any]) -> None:
    """Every script is valid Deluge; its free names are all deluge objects (no typo of an object)."""
    program = deluge.compile(case["source"])
    if not OBJECTS_TSV.exists():
        return
    objects = {row.split("\t", 1)[0] for row in OBJECTS_TSV.read_text(encoding="utf-8").splitlines()[1:] if row}
    free = {entry[0] for entry in getattr(program, "free_names", ())}
    assert free <= objects, f"{_where(file, case)}: free names that are not deluge objects: {free - objects}"


# --- the analyzer against the cases ------------------------------------------------------------


@needs_analyzer
@pytest.mark.parametrize(("file", "case"), PARAMS)
def test_no_under_approximation(file: str, case: dict[str, Any]) -> None:
    """Every capability the spec says the script can use is reported (a miss is a consent hole)."""
    expected = set(case["manifest"])
    actual = set(_analyze(case["source"]).capabilities)
    missing = expected - actual
    assert not missing, (
        f"UNDER-APPROXIMATION in {_where(file, case)}: missing {_show(missing)}; "
        f"analyzer gave {_show(actual)}; expected {_show(expected)}"
    )


@needs_analyzer
@pytest.mark.parametrize(("file", "case"), PARAMS)
def test_exact_capabilities(file: str, case: dict[str, Any]) -> None:
    """The reported set is exactly the expected one (extra entries are over-approximation)."""
    expected = set(case["manifest"])
    actual = set(_analyze(case["source"]).capabilities)
    missing = expected - actual
    extra = actual - expected
    assert actual == expected, (
        f"{_where(file, case)}: missing {_show(missing)}; extra {_show(extra)}; "
        f"analyzer gave {_show(actual)}; expected {_show(expected)}"
    )


@needs_analyzer
@pytest.mark.parametrize(("file", "case"), [p for p in PARAMS if p.values[1].get("lines") or p.values[1].get("auth")])
def test_lines_and_auth(file: str, case: dict[str, Any]) -> None:
    manifest = _analyze(case["source"])
    where = _where(file, case)
    problems: list[str] = []
    for cap, lines in case.get("lines", {}).items():
        use = manifest.get(cap)
        if use is None:
            problems.append(f"{cap}: not reported (expected lines {lines})")
        elif sorted(set(use.lines)) != sorted(lines):
            problems.append(f"{cap}: lines {list(use.lines)}, expected {lines}")
    for cap, auth in case.get("auth", {}).items():
        use = manifest.get(cap)
        if use is None:
            problems.append(f"{cap}: not reported (expected auth {auth!r})")
        elif use.auth != auth:
            problems.append(f"{cap}: auth {use.auth!r}, expected {auth!r}")
    assert not problems, f"{where}: " + "; ".join(problems)
