"""Finds the data files the package ships (grammar, stdlib catalog) and its private cache folder.

An installed wheel carries them under `deluge/_data/`; a source checkout keeps
them at the top of the repository (`grammar/`, `stdlib/`), next to `deluge/`.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(kind: str) -> Path:
    """The folder holding `kind` ("grammar" or "stdlib")."""
    installed = _PACKAGE / "_data" / kind
    if installed.is_dir():
        return installed
    checkout = _PACKAGE.parent / kind
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"cannot find the deluge {kind} files (looked in {installed} and {checkout})")


def cache_dir() -> Path | None:
    """A folder only this user can write, for the parser cache; None when none can be made.

    `DELUGE_CACHE_DIR` wins, then `XDG_CACHE_HOME/deluge`, then `~/.cache/deluge`.
    """
    base = os.environ.get("DELUGE_CACHE_DIR")
    if base:
        path = Path(base)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        path = Path(xdg) / "deluge" if xdg else Path.home() / ".cache" / "deluge"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not os.access(path, os.W_OK):
            return None
        if hasattr(os, "getuid") and path.stat().st_uid != os.getuid():
            return None
    except OSError:
        return None
    return path
