#!/usr/bin/env python3
"""Wall time of `deluge run samples/hello.dg` as a fresh process, on a warm parser cache.

    python benchmarks/startup.py [--runs 10]

Runs the installed `deluge` command (next to the running Python) once to warm
the parser cache, then times `--runs` more runs and prints the median and best.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    command = [str(Path(sys.executable).parent / "deluge"), "run", str(ROOT / "samples" / "hello.dg")]
    subprocess.run(command, check=True, capture_output=True)  # warm the parser cache
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    print(f"deluge run samples/hello.dg: median {statistics.median(times) * 1000:.0f} ms, "
          f"best {min(times) * 1000:.0f} ms over {args.runs} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
