"""Capability strings (DECISIONS.md D30) and the grant a run is checked against.

A capability names one thing a script can reach outside itself:

- `object:NAME` or `object:NAME.KEY.SUBKEY`: a deluge object the host injects, or one key path of it;
- `task:zoho.SERVICE.TASK`: an integration task (catalog spelling; matched case-insensitively);
- `api:HOST` (lower-case, `:PORT` only when not the scheme's default) or `api:*` (a host known only at run time);
- `connection:NAME` or `connection:*` (a connection named at run time);
- `mail:send`.

A `Grant` is what a run may use. It covers a capability when it names it, or names a wider one:
`api:*` covers every host, `connection:*` every connection, `task:zoho.crm.*` every CRM task,
`object:user` every key of `user`. The reverse never holds (D46: a grant naming
`connection:github` does not cover a connection named at run time, which needs `connection:*`).
This module is below the runtime and the host: both read it, neither is read by it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

KINDS = ("object", "task", "api", "connection", "mail")

_OBJECT = re.compile(r"^object:[A-Za-z_][A-Za-z0-9_]*(\.[^.\s]+)*$")
_TASK = re.compile(r"^task:zoho\.[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*(\.\*)?$")
_API = re.compile(r"^api:(\*|[a-z0-9._\-\[\]:]+)$")
_CONNECTION = re.compile(r"^connection:(\*|[A-Za-z0-9_\-.]+)$")


def valid(capability: str) -> bool:
    """Whether `capability` is a well-formed capability string (wildcards included)."""
    kind = capability.partition(":")[0]
    if kind == "object":
        return _OBJECT.match(capability) is not None
    if kind == "task":
        return _TASK.match(capability) is not None
    if kind == "api":
        return _API.match(capability) is not None
    if kind == "connection":
        return _CONNECTION.match(capability) is not None
    return capability == "mail:send"


def normalize(capability: str) -> str:
    """The canonical spelling used for comparison: tasks and hosts in lower case."""
    kind, _, rest = capability.strip().partition(":")
    if kind in ("task", "api"):
        return f"{kind}:{rest.lower()}"
    return f"{kind}:{rest}"


def covers(granted: str, needed: str) -> bool:
    """Whether a grant of `granted` allows a use of `needed` (both canonical, see `normalize`)."""
    if granted == needed:
        return True
    kind, _, rest = granted.partition(":")
    needed_kind, _, needed_rest = needed.partition(":")
    if kind != needed_kind:
        return False
    if kind in ("api", "connection"):
        return rest == "*"
    if kind == "task":
        return rest.endswith(".*") and needed_rest.startswith(rest[:-1])
    if kind == "object":
        return needed_rest.startswith(rest + ".")
    return False


@attrs.frozen
class Grant:
    """The capabilities one run may use. `Grant.everything()` allows all (tests, trusted scripts)."""

    capabilities: frozenset[str] = attrs.field(converter=lambda caps: frozenset(normalize(c) for c in caps),
                                               factory=frozenset)
    everything_allowed: bool = False

    @classmethod
    def everything(cls) -> Grant:
        return cls(everything_allowed=True)

    @classmethod
    def of(cls, value: Grant | str | Iterable[str] | None) -> Grant:
        """A grant from what `run()` accepts: None (nothing), "all", one capability, a list, a Grant."""
        if isinstance(value, Grant):
            return value
        if value is None:
            return cls()
        if isinstance(value, str):
            return cls.everything() if value == "all" else cls(frozenset([value]))
        return cls(frozenset(value))

    def allows(self, capability: str) -> bool:
        if self.everything_allowed:
            return True
        needed = normalize(capability)
        if needed in self.capabilities:
            return True
        return any(covers(granted, needed) for granted in self.capabilities)

    def missing(self, capabilities: Iterable[str]) -> frozenset[str]:
        """The capabilities of `capabilities` this grant does not allow."""
        return frozenset(c for c in capabilities if not self.allows(c))

    def __or__(self, other: Grant) -> Grant:
        if self.everything_allowed or other.everything_allowed:
            return Grant.everything()
        return Grant(self.capabilities | other.capabilities)
