"""Property-based fuzzing of the whole pipeline: parse, check, compile and run.

The property: every generated input, compiled and run with small limits, ends in success or
a `deluge.DelugeError` (`ParseError` included) within its limits. Never another exception,
never an "Internal error" (a `DelugeRuntimeError` for a fault of the interpreter itself),
never a compile + run longer than 2 s, never a budget error whose stats disagree with the
limit it names, never output past the output limits, never an HTTP call without a grant.
See `fuzz_programs.py` for the generators.

Environment:
- `DELUGE_FUZZ_EXAMPLES`: the number of programs of the whole module (default 20,000),
  shared among the tests in fixed proportions; raise it for long local runs.
- `DELUGE_FUZZ_RANDOM=1`: draw fresh random inputs instead of the reproducible CI sequence.
- `DELUGE_FUZZ_COLLECT=FILE`: append each failure to FILE as a JSON line and go on, instead
  of failing (to find many bugs in one long run).
- `DELUGE_FUZZ_STATS=FILE`: write how each generator's programs ended, as JSON, to FILE.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator

import pytest
from fuzz_programs import (
    GRAMMAR_CONTEXT,
    SEEDS,
    STATS,
    check_run,
    filler,
    grammar_programs,
    mutated_script,
    random_context,
    random_input,
    structured_program,
    warm_up,
)
from hypothesis import HealthCheck, Phase, given, settings

TOTAL = int(os.environ.get("DELUGE_FUZZ_EXAMPLES", "20000"))
SHARES = {"structured": 0.15, "grammar": 0.0075, "mutated": 0.1, "random": 0.7425}


def fuzz_settings(share: str, shrink: bool = False) -> settings:
    """Reproducible unless DELUGE_FUZZ_RANDOM=1; programs written from a seed are not shrunk
    (a smaller seed is just another program): the failure message shows the whole program."""
    phases = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if shrink else [])
    return settings(
        max_examples=max(1, round(TOTAL * SHARES[share])),
        deadline=None,
        derandomize=os.environ.get("DELUGE_FUZZ_RANDOM") != "1",
        database=None,
        print_blob=False,
        phases=phases,
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture(scope="module", autouse=True)
def fuzz_session() -> Iterator[None]:
    warm_up()
    yield
    path = os.environ.get("DELUGE_FUZZ_STATS")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump({name: dict(counter) for name, counter in STATS.items()}, out, indent=1, sort_keys=True)


@fuzz_settings("structured")
@given(SEEDS)
def test_structured_programs(rng: random.Random) -> None:
    check_run("structured", structured_program(rng), random_context(rng))


@fuzz_settings("grammar", shrink=True)
@given(grammar_programs())
def test_grammar_programs(source: str) -> None:
    check_run("grammar", source, GRAMMAR_CONTEXT)


@fuzz_settings("mutated")
@given(SEEDS)
def test_mutated_real_scripts(rng: random.Random) -> None:
    check_run("mutated", mutated_script(rng), fill=filler(rng))


@fuzz_settings("random")
@given(SEEDS)
def test_random_inputs(rng: random.Random) -> None:
    check_run("random", random_input(rng), fill=filler(rng))
