#!/usr/bin/env python3
"""Writes tests/conformance/expected_failures.txt: the conformance cases that fail today.

    python tools/list_gaps.py            # rewrite the list
    python tools/list_gaps.py --check    # print cases on the list that now pass
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "conformance"))

from test_conformance import check  # noqa: E402


def main() -> int:
    failing = []
    for path in sorted((ROOT / "tests" / "conformance").glob("*.toml")):
        for case in tomllib.loads(path.read_text(encoding="utf-8")).get("case", []):
            if "harness" in case or "sequence" in case:
                continue
            problem = check(case)
            if problem is not None:
                failing.append(f"{path.stem}::{case['name']}  # {problem[:150]}")
    if "--check" in sys.argv:
        print("\n".join(failing))
        return 0
    header = ["# Conformance cases that fail today (strict xfail in test_conformance.py).",
              "# Regenerate with: python tools/list_gaps.py", ""]
    (ROOT / "tests" / "conformance" / "expected_failures.txt").write_text(
        "\n".join(header + failing) + "\n", encoding="utf-8")
    print(f"{len(failing)} failing cases listed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
