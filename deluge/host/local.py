"""Consent on the command line: one user (the account running `deluge`), one component per script file.

`deluge run` works out what a script may use before it runs: the capabilities given with
`--allow`, plus what this user granted the script before (kept in a `GrantStore` in the
user's data folder, 60 days like Cliq's grants), plus, on a terminal, what the user
allows when asked. Deluge objects are not asked for: on the command line they come from
`--context`, and context variables need no grant (D45). Whatever is still missing is
denied: the run stops with a `consent` error where the script first uses it (D44).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from deluge.analysis.manifest import Manifest
from deluge.capabilities import Grant
from deluge.host.consent import GrantStore


def default_store_path() -> Path:
    """`DELUGE_GRANTS_DB`, else `$XDG_DATA_HOME/deluge/grants.sqlite3` (or `~/.local/share/...`)."""
    explicit = os.environ.get("DELUGE_GRANTS_DB")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "deluge" / "grants.sqlite3"


def open_store(path: str | os.PathLike[str] | None = None) -> GrantStore:
    target = Path(path) if path is not None else default_store_path()
    if str(target) != ":memory:":
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return GrantStore(target)


def principal() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "local"


def component_of(path: str) -> str:
    """A script file's component id: its absolute path (the same file keeps its grant)."""
    return "file:" + os.path.abspath(path)


def asked_for(manifest: Manifest) -> frozenset[str]:
    """What the command line asks consent for: everything but deluge objects (D45)."""
    return frozenset(c for c in manifest.required if not c.startswith("object:"))


def decide(
    manifest: Manifest,
    *,
    allowed: Iterable[str] = (),
    allow_all: bool = False,
    store: GrantStore | None = None,
    component: str = "",
    user: str = "",
    ask: Callable[[Manifest, frozenset[str]], bool] | None = None,
) -> Grant:
    """The grant for one run. `ask(manifest, missing)` shows the prompt and says whether the
    user allows; a yes is remembered in `store` (when given) for this user and component."""
    if allow_all:
        return Grant.everything()
    grant = Grant.of(list(allowed))
    if store is not None:
        grant = grant | store.active(user, component)
    missing = grant.missing(asked_for(manifest))
    if missing and ask is not None and ask(manifest, missing):
        if store is not None:
            store.grant(user, component, missing)
        grant = grant | Grant(missing)
    return grant
