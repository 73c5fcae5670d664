"""Every sample script runs cleanly with its context file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import deluge

SAMPLES = sorted((Path(__file__).resolve().parent.parent.parent / "samples").glob("*.dg"))


def test_there_are_samples() -> None:
    assert len(SAMPLES) >= 7


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_runs(path: Path) -> None:
    context_file = path.with_suffix(".json")
    context = json.loads(context_file.read_text()) if context_file.exists() else None
    result = deluge.run(path.read_bytes(), context)
    assert result.error is None, result.error
    assert result.output or result.returned is not None
