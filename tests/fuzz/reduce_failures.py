"""Reduces the failures a long fuzz run collected to small scripts (not a test).

    DELUGE_FUZZ_EXAMPLES=200000 DELUGE_FUZZ_RANDOM=1 DELUGE_FUZZ_COLLECT=/tmp/failures.jsonl \\
        .venv/bin/pytest tests/fuzz -q
    .venv/bin/python tests/fuzz/reduce_failures.py /tmp/failures.jsonl

For every collected failure it keeps deleting lines, then tokens, then characters of the script,
and entries of its context, as long as the script still breaks the property in the same way
(same category; for internal errors and crashes, the same Python exception type). It prints one
reduced script per distinct failure.
"""

from __future__ import annotations

import datetime
import json
import re
import sys
from collections.abc import Callable
from typing import Any

import fuzz_programs

_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|[A-Za-z_][A-Za-z0-9_]*|[0-9.]+|\s+|.', re.S)


def signature(category: str, detail: str) -> str:
    """What must stay the same while reducing: the category, and the exception type of a crash."""
    if category == "internal-error":
        match = re.match(r"Internal error: (\w+)", detail)
        return f"{category}:{match.group(1) if match else ''}"
    if category in ("compile-raised", "run-raised"):
        match = re.match(r"\w+ raised (\w+)", detail)
        return f"{category}:{match.group(1) if match else ''}"
    return category


def failures_of(source: str, context: dict[str, Any]) -> list[tuple[str, str]]:
    """The (signature, detail) of every breach of the property by this script."""
    found: list[tuple[str, str]] = []

    def capture(generator: str, category: str, source: Any, context: Any, detail: str) -> None:
        found.append((signature(category, detail), detail))

    saved = fuzz_programs.fail
    fuzz_programs.fail = capture
    try:
        fuzz_programs.check_run("reduce", source, context)
    finally:
        fuzz_programs.fail = saved
    return found


def _ddmin(parts: list[str], still_fails: Callable[[list[str]], bool]) -> list[str]:
    """Delta debugging: the smallest sublist (1-minimal) for which the failure stays."""
    chunk = max(1, len(parts) // 2)
    while parts:
        index, removed = 0, False
        while index < len(parts):
            candidate = parts[:index] + parts[index + chunk:]
            if still_fails(candidate):
                parts, removed = candidate, True
            else:
                index += chunk
        if chunk == 1 and not removed:
            break
        chunk = max(1, chunk // 2) if not removed else chunk
    return parts


def reduce(source: str, context: dict[str, Any], wanted: str) -> tuple[str, dict[str, Any]]:
    def fails(text: str, ctx: dict[str, Any]) -> bool:
        return any(sig == wanted for sig, _ in failures_of(text, ctx))

    lines = _ddmin(source.split("\n"), lambda parts: fails("\n".join(parts), context))
    source = "\n".join(lines)
    tokens = _ddmin(_TOKENS.findall(source), lambda parts: fails("".join(parts), context))
    for width in (2, 3, 4, 2):  # windows of adjacent tokens: `, "x"` or `a = 1;`
        index = 0
        while index + width <= len(tokens):
            candidate = tokens[:index] + tokens[index + width:]
            if fails("".join(candidate), context):
                tokens = candidate
            else:
                index += 1
    source = "".join(tokens)
    keys = _ddmin(list(context), lambda ks: fails(source, {k: context[k] for k in ks}))
    context = {k: context[k] for k in keys}
    return source, context


def main(path: str) -> None:
    seen: set[str] = set()
    with open(path, encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    for record in records:
        wanted = signature(record["category"], record["detail"])
        if wanted in seen or record["category"] == "hang":
            continue
        context = eval(record["context"], {"datetime": datetime})  # our own repr of JSON-like data and dates
        source = record["source"]
        if not any(sig == wanted for sig, _ in failures_of(source, context)):
            print(f"== {wanted}: does not reproduce\n{source}\n")
            continue
        seen.add(wanted)
        small, small_context = reduce(source, context, wanted)
        detail = next(d for sig, d in failures_of(small, small_context) if sig == wanted)
        print(f"== {wanted} ({record['generator']})\n{small}\n-- context: {small_context!r}\n-- {detail[:300]}\n")


if __name__ == "__main__":
    main(sys.argv[1])
