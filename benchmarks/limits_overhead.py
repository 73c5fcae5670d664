#!/usr/bin/env python3
"""What the step meter costs: a loop-heavy script with the default limits against the same
script compiled without the meter, measured alternately in one run.

    python benchmarks/limits_overhead.py [--runs 41]

The script is W1 of ../shared/bench/bench.py (200 x 1,000 numbers, if / else if /
else, sums and counts) plus a nested loop and a call of a script function per
item, so the meter's charges, back-edge checks and call checks all take part.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time

from deluge.runtime.program import compile_program

SCRIPT = """
int weight(int x)
{
	if (x % 2 == 0) { return 2; }
	return 1;
}
total = 0;
count = 0;
other = 0;
for each r in reps
{
	for each x in nums
	{
		if (x % 3 == 0)
		{
			total = total + x * 2;
		}
		else if (x % 5 == 0)
		{
			count = count + 1;
		}
		else
		{
			other = other + x % 7;
		}
	}
	total = total + weight(r);
}
return {total, count, other};
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=41)
    args = ap.parse_args()
    context = {"reps": list(range(200)), "nums": [(i * 7919 + 13) % 1000 for i in range(1000)]}
    metered = compile_program(SCRIPT, cache=False)
    unmetered = compile_program(SCRIPT, cache=False, metered=False)
    first, second = metered.run(context), unmetered.run(context)
    if first.error or second.error or first.returned != second.returned:
        print(f"results differ: {first.returned!r} / {second.returned!r} ({first.error or second.error})")
        return 1
    ratios, with_meter, without = [], [], []
    for k in range(args.runs):
        times = {}
        for name, program in ((("m", metered), ("u", unmetered)) if k % 2 else (("u", unmetered), ("m", metered))):
            gc.collect()
            t0 = time.perf_counter()
            program.run(context)
            times[name] = time.perf_counter() - t0
        with_meter.append(times["m"])
        without.append(times["u"])
        ratios.append(times["m"] / times["u"])
    print(f"step meter: {statistics.median(with_meter) * 1000:.1f} ms with the default limits, "
          f"{statistics.median(without) * 1000:.1f} ms without = {statistics.median(ratios):.3f}x "
          f"({first.stats.steps} steps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
