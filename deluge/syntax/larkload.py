"""Imports Lark once, without letting it load the third-party `regex` module.

Lark imports `regex` at start-up only to support its `regex=True` option, which
this project does not use; loading `regex` costs more than a tenth of the
interpreter's start-up. The built-ins import `regex` themselves, on first use.
Import this module before any `lark` module.
"""

from __future__ import annotations

import sys

_MISSING = object()


def _load() -> None:
    if "lark" in sys.modules:
        return
    saved = sys.modules.get("regex", _MISSING)
    if saved is _MISSING:
        sys.modules["regex"] = None  # type: ignore[assignment]  # `import regex` now fails inside Lark
    try:
        import lark
        import lark.exceptions
        import lark.lexer  # noqa: F401
    finally:
        if saved is _MISSING:
            del sys.modules["regex"]


_load()
