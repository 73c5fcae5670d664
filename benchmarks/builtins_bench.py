#!/usr/bin/env python3
"""A built-in-heavy script against the same work in plain Python, measured in one run.

    python benchmarks/builtins_bench.py [--runs 7]

Over 20,000 items: text building (`+`, toUpperCase, subString), map and list
manipulation (put, get, add), date arithmetic and formatting (addDay,
toString(pattern)), and a JSON round trip (toString of a map, toMap). Both
sides are run alternately and the ratio is the median of the run-by-run ratios;
the Deluge result is checked against Python's first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import statistics
import sys
import time

import deluge

SCRIPT = """
out = List();
start = '01-Jan-2024 09:00:00';
for each i in ids
{
	name = "item-" + i;
	rec = Map();
	rec.put("id", i);
	rec.put("name", name.toUpperCase());
	rec.put("code", name.subString(0, 4) + "/" + (i % 97));
	rec.put("day", start.addDay(i % 365).toString("yyyy-MM-dd"));
	out.add(rec);
}
text = {"items": out}.toString();
back = text.toMap().get("items");
days = Map();
for each r in back
{
	k = r.get("day");
	days.put(k, ifnull(days.get(k), 0) + 1);
}
return {back.size(), days.size(), text.length(), days.get("2024-03-01")};
"""


def python_version(ids: list[int]) -> list[object]:
    out = []
    start = dt.datetime(2024, 1, 1, 9, 0, 0)
    for i in ids:
        name = "item-" + str(i)
        rec = {"id": i, "name": name.upper(), "code": name[0:4] + "/" + str(i % 97),
               "day": (start + dt.timedelta(days=i % 365)).strftime("%Y-%m-%d")}
        out.append(rec)
    text = json.dumps({"items": out}, separators=(",", ":"), ensure_ascii=False)
    back = json.loads(text)["items"]
    days: dict[str, int] = {}
    for r in back:
        k = r["day"]
        days[k] = days.get(k, 0) + 1
    return [len(back), len(days), len(text), days.get("2024-03-01")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    ids = list(range(20_000))
    program = deluge.compile(SCRIPT)

    def engine() -> str | None:
        result = program.run({"ids": ids})
        result.raise_for_error()
        return result.returned

    expected = ",".join(str(x) for x in python_version(ids))
    got = engine()
    if got != expected:
        print(f"wrong result: {got!r}, expected {expected!r}")
        return 1
    ratios, te_all, tp_all = [], [], []
    for k in range(args.runs):
        order = (engine, lambda: python_version(ids)) if k % 2 else (lambda: python_version(ids), engine)
        times = []
        for fn in order:
            gc.collect()
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        te, tp = (times[0], times[1]) if k % 2 else (times[1], times[0])
        te_all.append(te)
        tp_all.append(tp)
        ratios.append(te / tp)
    print(f"built-in heavy (20,000 items): {statistics.median(te_all) * 1000:.0f} ms vs CPython "
          f"{statistics.median(tp_all) * 1000:.0f} ms = {statistics.median(ratios):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
