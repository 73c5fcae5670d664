#!/usr/bin/env python3
"""One-off import of the spec's function catalogs (TSV) into stdlib/<group>.toml.

    python tools/import_catalog.py ../shared/spec/builtins stdlib

Rows keep the spec's columns (name, receiver, params, returns); summaries and
capabilities are added by hand afterwards, so rerunning this overwrites edits.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

GROUP_FILE = {
    "text": "text", "regex": "text", "conversion": "conversion", "number": "number",
    "random": "number", "common": "common", "boolean": "common", "encoding": "encoding",
    "hash": "encoding", "system": "system", "list": "list", "map": "map",
    "collection": "collection", "date": "date", "json": "json", "xml": "json",
    "file": "file", "record": "record",
}


def q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main() -> int:
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    rows_by_file: dict[str, list[dict[str, str]]] = defaultdict(list)
    for tsv in sorted(src.glob("catalog-*.tsv")):
        with tsv.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                rows_by_file[GROUP_FILE[row["group"]]].append(row)
    for name, rows in rows_by_file.items():
        out = [f"# Built-in functions: {name}. One [[fn]] per callable form; receiver \"none\" is the",
               "# function form. Imported from ../shared/spec/builtins/catalog-*.tsv, then edited.", ""]
        for row in rows:
            out.append("[[fn]]")
            out.append(f"name = {q(row['name'])}")
            out.append(f"receiver = {q(row['receiver_type'])}")
            out.append(f"params = {q(row['params'])}")
            out.append(f"returns = {q(row['returns'])}")
            out.append(f"group = {q(row['group'])}")
            if row.get("mutates") == "yes":
                out.append("mutates = true")
            out.append(f"ref = {q(row['source_url'])}")
            out.append("")
        (dst / f"{name}.toml").write_text("\n".join(out), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
