"""What a script can reach outside itself, as a host must ask consent for it (D30, PLATFORM.md 8.2).

`analyze(source)` reads only the syntax tree and the catalog; `valueflow.py` does the
work. A `Manifest` lists `Use`s, one per capability string (see `deluge.capabilities`),
with the lines that need it and whose authentication a use involves. When the analysis
cannot be sure, it over-approximates (`api:*`, `connection:*`, a whole object), never the
reverse: the run-time checks of `Execution.require` stay the last word either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import attrs

Auth = Literal["user", "admin", "none"]
"""Whose authentication a use involves: the acting user's (their connection, or the host's
system connection in their name), an admin's (`...AsAdmin` tasks), or nobody's."""


@attrs.frozen
class Use:
    """One capability and where the script uses it."""

    capability: str
    lines: tuple[int, ...]
    auth: Auth = "none"
    service: str = ""
    """`cliq`, `crm`, ... for tasks; the task's or invokeurl's service where known."""
    category: str | None = None
    """For `object:` uses, the consent category of PLATFORM.md 8.2 (`user`, `chat`, `message`,
    `location`, `attachments`), or None for an object that carries no personal data."""

    @property
    def kind(self) -> str:
        return self.capability.partition(":")[0]

    @property
    def needs_consent(self) -> bool:
        return self.kind != "object" or self.category is not None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"capability": self.capability, "lines": list(self.lines), "auth": self.auth}
        if self.service:
            out["service"] = self.service
        if self.kind == "object":
            out["category"] = self.category
        return out


@attrs.frozen
class Manifest:
    """Every capability a script can use, sorted by capability string."""

    uses: tuple[Use, ...] = ()

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset(u.capability for u in self.uses)

    @property
    def required(self) -> frozenset[str]:
        """The capabilities a user must consent to (objects without personal data need none)."""
        return frozenset(u.capability for u in self.uses if u.needs_consent)

    def __iter__(self) -> Iterator[Use]:
        return iter(self.uses)

    def __len__(self) -> int:
        return len(self.uses)

    def get(self, capability: str) -> Use | None:
        for use in self.uses:
            if use.capability == capability:
                return use
        return None

    def to_json(self) -> dict[str, Any]:
        return {"capabilities": [u.to_json() for u in self.uses], "required": sorted(self.required)}


def analyze(source: Any, catalog: Any = None) -> Manifest:
    """The manifest of a script: its text (str or bytes) or its parsed `Module`.

    Raises `ParseError` for a script that does not parse (a host refuses to save it anyway).
    """
    from deluge import catalog as catalog_module
    from deluge.analysis.valueflow import collect
    from deluge.syntax import nodes as n
    from deluge.syntax.parser import parse

    module = source if isinstance(source, n.Module) else parse(source)
    return collect(module, catalog or catalog_module.load())
