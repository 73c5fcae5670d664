"""A cache of compiled programs on disk, so `deluge run` of a known script skips the parser.

Used by the command line only (hosts keep `Program` objects in memory). An entry
holds the code object our compiler built (marshalled) and plain data describing
the globals it needs; nothing in it comes from script text but through our own
compiler. Entries live in the user's private cache folder (`resources.cache_dir`,
mode 0700, owned by the user) and are keyed by a hash of the source, the limits
that shape parsing, the Python version and a fingerprint of the installed
interpreter (its code, grammar and catalog files), so any change to the
interpreter makes old entries unreachable. A missing, stale or damaged entry is
simply rebuilt.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import marshal
import os
import sys
from pathlib import Path
from typing import Any

FORMAT = 1


@functools.lru_cache(maxsize=1)
def fingerprint() -> str:
    """A hash of the installed interpreter: names, sizes and times of its code and data files."""
    from deluge.resources import data_dir

    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(f"{FORMAT}\0{sys.version}\0".encode())
    folders = [package, data_dir("grammar"), data_dir("stdlib")]
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".py", ".lark", ".toml")):
                    stat = os.stat(os.path.join(root, name))
                    digest.update(f"{root}/{name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def _folder() -> Path | None:
    from deluge.resources import cache_dir

    base = cache_dir()
    if base is None:
        return None
    folder = base / "programs"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return None
    return folder


def entry_path(key: str) -> Path | None:
    folder = _folder()
    if folder is None:
        return None
    name = hashlib.sha256(f"{key}\0{fingerprint()}".encode()).hexdigest()[:32]
    return folder / f"{name}.dgc"


def load(key: str) -> tuple[Any, dict[str, Any]] | None:
    """(code object, metadata) of a cached program, or None."""
    path = entry_path(key)
    if path is None or not path.is_file():
        return None
    try:
        data = marshal.loads(path.read_bytes())
        version, code, meta = data
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if version != FORMAT or not isinstance(meta, dict):
        return None
    return code, meta


def store(key: str, code: Any, meta: dict[str, Any]) -> None:
    path = entry_path(key)
    if path is None:
        return
    try:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps((FORMAT, code, meta)))
        os.replace(tmp, path)
    except (OSError, ValueError):
        pass


def rebuild_globals(recipes: dict[str, tuple[Any, ...]]) -> dict[str, Any]:
    """The extra globals of a program, made again from their recipes."""
    from deluge.builtins import registry
    from deluge.runtime.values import DateTime, DList, DMap, Time

    types = {"str": str, "int": int, "float": float, "bool": bool, "list": DList, "dict": DMap}
    out: dict[str, Any] = {}
    for ident, recipe in recipes.items():
        kind = recipe[0]
        if kind == "datetime":
            y, mo, d, h, mi, s, date_only = recipe[1:]
            out[ident] = DateTime(_dt.datetime(y, mo, d, h, mi, s), date_only=date_only)
        elif kind == "time":
            out[ident] = Time(recipe[1])
        elif kind == "dispatcher":
            out[ident] = registry.dispatcher(recipe[1], recipe[2])
        elif kind == "method":
            registry.ensure(recipe[1])
            out[ident] = registry.METHODS[recipe[1]][types[recipe[2]]]
        elif kind == "function":
            registry.ensure(recipe[1])
            out[ident] = registry.FUNCTIONS[recipe[1]]
        else:
            raise ValueError(f"unknown recipe {kind!r}")
    return out
