"""The catalog of built-in names, read from the data files of `stdlib/`.

It is the single source of truth for which functions, methods, tasks and system
variables exist, their forms, parameters, return types and capabilities. The
checker uses it for the save-time name and arity checks (D3), the runtime
registry is tested against it, and the CLI's `doc` command prints it. One row
(`Entry`) is one callable form: `receiver == "none"` is the function form,
anything else is a method on that receiver type.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os

import attrs

from deluge.resources import cache_dir, data_dir

RECEIVER_TYPES = frozenset(
    {"text", "number", "decimal", "boolean", "date", "datetime", "time", "list", "map",
     "collection", "file", "records", "any", "none"}
)


@attrs.frozen
class Param:
    """One parameter of a form: `name:type1|type2?=default`; `variadic` for `...`."""

    name: str
    types: tuple[str, ...]
    optional: bool = False
    default: str | None = None
    variadic: bool = False

    def __str__(self) -> str:
        text = f"{self.name}:{'|'.join(self.types)}"
        if self.optional:
            text += "?"
        if self.default is not None:
            text += f"={self.default}"
        if self.variadic:
            text += ", ..."
        return text


@attrs.frozen
class Entry:
    """One callable form of a built-in name."""

    name: str
    receiver: str
    params: tuple[Param, ...]
    returns: str
    group: str
    summary: str = ""
    capability: str = ""
    ref: str = ""
    mutates: bool = False
    system_value: bool = False
    unavailable: bool = False

    @property
    def min_args(self) -> int:
        return sum(1 for p in self.params if not p.optional and not p.variadic)

    @property
    def max_args(self) -> int | None:
        """The most arguments accepted, or None when the form is variadic."""
        if any(p.variadic for p in self.params):
            return None
        return len(self.params)

    @property
    def is_function(self) -> bool:
        return self.receiver == "none"

    def signature(self) -> str:
        """How a script writes the form: `text.subString(start_index:number, ...) -> text`."""
        params = ", ".join(str(p) for p in self.params)
        if self.system_value:
            return f"{self.name} -> {self.returns}"
        head = self.name if self.is_function else f"{self.receiver}.{self.name}"
        return f"{head}({params}) -> {self.returns}"


def split_params(spec: str) -> list[str]:
    """Splits a parameter list on top-level commas (a default may hold `{a,b}`)."""
    parts, depth, current = [], 0, []
    for ch in spec:
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def parse_params(spec: str) -> tuple[tuple[Param, ...], bool, bool]:
    """The parameters of a spec string, plus (system_value, unavailable) flags."""
    spec = spec.strip()
    if spec.startswith("("):
        lowered = spec.lower()
        return (), "system value" in lowered, "unavailable" in lowered
    params: list[Param] = []
    for part in split_params(spec):
        if part == "...":
            if params:
                last = params[-1]
                params[-1] = attrs.evolve(last, variadic=True)
            continue
        if "|" in part and ":" in part and part.index("|") < part.index(":"):
            # `element:any | key:value`: one argument in either shape
            part = part.split("|")[0].strip()
        name, _, rest = part.partition(":")
        default = None
        if "=" in rest:
            rest, default = rest.split("=", 1)
        optional = rest.endswith("?")
        types = tuple(t.strip() for t in rest.rstrip("?").split("|") if t.strip())
        params.append(Param(name=name.strip(), types=types or ("any",), optional=optional, default=default))
    return tuple(params), False, False


class Catalog:
    """Every built-in form, indexed by lower-case name (names resolve case-insensitively).

    Rows become `Entry` objects only when a name is asked for: checking a script
    looks up a handful of names, and building all of them costs start-up time.
    """

    def __init__(self, rows: list[dict[str, object]]) -> None:
        self._rows: dict[str, list[dict[str, object]]] = {}
        for row in rows:
            self._rows.setdefault(str(row["name"]).lower(), []).append(row)
        self._by_name: dict[str, list[Entry]] = {}
        self._entries: tuple[Entry, ...] | None = None

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Every form, in catalog order."""
        if self._entries is None:
            self._entries = tuple(e for name in self._rows for e in self.forms(name))
        return self._entries

    def forms(self, name: str) -> list[Entry]:
        """Every form of a name (any receiver), or []."""
        key = name.lower()
        found = self._by_name.get(key)
        if found is None:
            found = _entries(self._rows.get(key, []))
            self._by_name[key] = found
        return found

    def knows(self, name: str) -> bool:
        return name.lower() in self._rows

    def functions(self, name: str) -> list[Entry]:
        """The function forms (`name(...)`) of a name."""
        return [e for e in self.forms(name) if e.is_function and not e.system_value]

    def methods(self, name: str) -> list[Entry]:
        """The method forms (`x.name(...)`) of a name."""
        return [e for e in self.forms(name) if not e.is_function]

    def system_value(self, name: str) -> Entry | None:
        """The system variable or built-in value of that name (`zoho.loginuser`, `today`)."""
        for entry in self.forms(name):
            if entry.system_value or entry.group == "system":
                return entry
        return None

    def is_task(self, name: str) -> bool:
        return any(e.group == "task" for e in self.forms(name))

    def names(self) -> list[str]:
        """Every distinct name, in its catalog spelling."""
        seen: dict[str, str] = {}
        for entry in self.entries:
            seen.setdefault(entry.name.lower(), entry.name)
        return sorted(seen.values(), key=str.lower)

    def groups(self) -> list[str]:
        return sorted({e.group for e in self.entries})


def _rows(files: list[tuple[str, bytes]]) -> list[dict[str, object]]:
    """The rows of every catalog file; parsed TOML is cached as JSON (tomllib is slow to start)."""
    digest = hashlib.sha256(b"".join(name.encode() + b"\0" + data for name, data in files)).hexdigest()[:20]
    folder = cache_dir()
    cached = folder / f"catalog-{digest}.json" if folder is not None else None
    if cached is not None and cached.is_file():
        try:
            return json.loads(cached.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    import tomllib

    rows: list[dict[str, object]] = []
    for name, data in files:
        for row in tomllib.loads(data.decode("utf-8")).get("fn", []):
            row["file"] = name
            rows.append(row)
    if cached is not None:
        for old in cached.parent.glob("catalog-*.json"):
            if old != cached:
                try:
                    old.unlink()
                except OSError:
                    pass
        try:
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(rows), encoding="utf-8")
            os.replace(tmp, cached)
        except OSError:
            pass
    return rows


def _entries(rows: list[dict[str, object]]) -> list[Entry]:
    entries = []
    for row in rows:
        path = row["file"]
        params, system_value, unavailable = parse_params(str(row.get("params", "")))
        if row["receiver"] not in RECEIVER_TYPES:
            raise ValueError(f"{path}: unknown receiver type {row['receiver']!r} for {row['name']}")
        if row.get("group") == "system":
            system_value = True
        entries.append(
            Entry(
                name=row["name"],
                receiver=row["receiver"],
                params=params,
                returns=row.get("returns", "any"),
                group=row.get("group", ""),
                summary=row.get("summary", ""),
                capability=row.get("capability", ""),
                ref=row.get("ref", ""),
                mutates=bool(row.get("mutates", False)),
                system_value=system_value,
                unavailable=unavailable,
            )
        )
    return entries


@functools.lru_cache(maxsize=1)
def load() -> Catalog:
    """The catalog of this installation (read once per process)."""
    files = [(p.name, p.read_bytes()) for p in sorted(data_dir("stdlib").glob("*.toml"))]
    return Catalog(_rows(files))
