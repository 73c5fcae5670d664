#!/usr/bin/env python3
"""What a run in a separate process costs: `deluge.run_isolated` against `deluge.run`.

    python benchmarks/isolated_overhead.py [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import deluge

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "hello.dg"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    source = SAMPLE.read_text(encoding="utf-8")
    first = time.perf_counter()
    deluge.run_isolated(source)
    start_up = time.perf_counter() - first
    isolated, in_process = [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        a = deluge.run_isolated(source)
        isolated.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        b = deluge.run(source)
        in_process.append(time.perf_counter() - t0)
        if a.output != b.output:
            print(f"results differ: {a.output!r} / {b.output!r} ({a.error})")
            return 1
    print(f"run_isolated: first run {start_up * 1000:.0f} ms (starts the zygote), then median "
          f"{statistics.median(isolated) * 1000:.1f} ms per run; deluge.run median "
          f"{statistics.median(in_process) * 1000:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
