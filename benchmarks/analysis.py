#!/usr/bin/env python3
"""What the consent analyzer costs: every syntax sample, and the inputs that make it work hardest.

    python benchmarks/analysis.py

Times `deluge.analysis.manifest.analyze` (parse + save-time checks + the value-flow walk) on
the syntax samples (all together) and on hostile shapes: a call tree that doubles at each
level (the walk gives up at its work budget and answers with the coarse manifest), loops
nested ten deep, and 18,000 straight statements (the densest 128 KiB script).
"""

from __future__ import annotations

import time
from pathlib import Path

from deluge.analysis.manifest import analyze
from deluge.syntax.parser import parse

ROOT = Path(__file__).resolve().parent.parent


def timed(source: str, repeat: int = 3) -> float:
    parse(source)  # parser tables warm
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        analyze(source)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    samples = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests" / "syntax-samples").glob("*.dg"))]
    started = time.perf_counter()
    for source in samples:
        analyze(source)
    total = time.perf_counter() - started
    each = total / len(samples) * 1000
    print(f"syntax samples: {len(samples)} scripts in {total * 1000:.0f} ms ({each:.1f} ms each)")
    depth = 24
    tree = "".join(f'string f{i}(string u)\n{{\n\ta = f{i + 1}(u + "a");\n\tb = f{i + 1}(u + "b");\n'
                   f'\treturn a + b;\n}}\n' for i in range(depth))
    tree += f"string f{depth}(string u)\n{{\n\treturn getUrl(u);\n}}\ninfo f0(\"https://x.example/\");\n"
    loops = 'u = "https://a.example/";\n' + "".join(
        f"for each x{i} in {{1, 2}}\n{{\n\tu = u + x{i};\n" for i in range(10)) + "}\n" * 10 + "r = getUrl(u);\n"
    cases = {
        "call tree doubling 24 deep": tree,
        "loops nested 10 deep": loops,
        "18,000 statements": "x = 1;\n" * 18_000,
    }
    for name, source in cases.items():
        print(f"{name}: {timed(source) * 1000:.0f} ms ({len(source):,} bytes)")


if __name__ == "__main__":
    main()
