"""Runs every case of the shared conformance files (copied here from ../shared/conformance).

One pytest test per case. A case passes when the run prints exactly `output`,
returns `returns` (when given) and fails with `error` at `error_line` (when
given), as ../shared/tools/conform.py judges it. Cases listed in
`expected_failures.txt` are known gaps: they are run as strict xfails, so a
case that starts passing must be taken off the list.
"""

from __future__ import annotations

import base64
import tomllib
from pathlib import Path

import pytest

import deluge

HERE = Path(__file__).parent
KNOWN_GAPS = {
    line.split("#", 1)[0].strip()
    for line in (HERE / "expected_failures.txt").read_text(encoding="utf-8").splitlines()
    if line.split("#", 1)[0].strip()
} if (HERE / "expected_failures.txt").exists() else set()


def _grant(case: dict) -> object:
    g = case.get("grants")
    if g is None or isinstance(g, (list, str)):
        return g
    prefix = {"hosts": "api:", "connections": "connection:", "tasks": "task:", "objects": "object:"}
    return [prefix[k] + str(v) for k, vs in g.items() if k in prefix for v in vs]


def _cases() -> list[object]:
    params = []
    for path in sorted(HERE.glob("*.toml")):
        for case in tomllib.loads(path.read_text(encoding="utf-8")).get("case", []):
            if "harness" in case or "sequence" in case:
                continue
            case_id = f"{path.stem}::{case['name']}"
            marks = [pytest.mark.xfail(strict=True, reason="known gap")] if case_id in KNOWN_GAPS else []
            params.append(pytest.param(case, id=case_id, marks=marks))
    return params


def check(case: dict) -> str | None:
    """None when the case passes, else why it does not."""
    source = base64.b64decode(case["source_base64"]) if "source_base64" in case else case["source"]
    result = deluge.run(source, context=case.get("context"), grant=_grant(case))
    err = result.error
    got_error = None if err is None else err.kind
    want_output = case.get("output", [])
    if result.output != want_output:
        return f"output {result.output!r} != {want_output!r} (error: {err})"
    want_error = case.get("error")
    if want_error is None and got_error is not None:
        return f"unexpected {got_error} error: {err}"
    if want_error is not None:
        if got_error != want_error:
            return f"error kind {got_error!r} != {want_error!r} ({err})"
        if "error_line" in case and err.line != case["error_line"]:
            return f"error line {err.line} != {case['error_line']} ({err})"
    if "returns" in case and result.returned != case["returns"]:
        return f"returned {result.returned!r} != {case['returns']!r}"
    return None


@pytest.mark.parametrize("case", _cases())
def test_case(case: dict) -> None:
    problem = check(case)
    assert problem is None, problem
