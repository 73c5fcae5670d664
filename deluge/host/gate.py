"""The consent gate a host puts before every run of a component (PLATFORM.md 8.3, DESIGN.md "Consent").

`ConsentGate.check` compares a script's manifest with the principal's grant (and their
org's, for an extension an admin installed): when something is missing it answers with a
`Decision` holding the prompt to show instead of running; `accept` records the user's yes
(only what was missing: a changed script asks only for what is new); `run` runs the
program with exactly the granted capabilities, so a capability the analyzer could only
mark `api:*` or `connection:*` is still checked at the moment of use (D44).
Deluge objects are checked here, before the run, because a run binds them as variables (D45).
"""

from __future__ import annotations

from typing import Any

import attrs

from deluge.analysis.manifest import Manifest, analyze
from deluge.analysis.prompt import Section, describe, sections
from deluge.capabilities import Grant
from deluge.host.consent import GrantStore


@attrs.frozen
class Decision:
    """Whether a run may go ahead, and if not what to ask."""

    principal: str
    component: str
    manifest: Manifest
    missing: frozenset[str]
    grant: Grant
    """What the run may use now (the active grants)."""

    @property
    def allowed(self) -> bool:
        return not self.missing

    @property
    def asked(self) -> Manifest:
        """The part of the manifest the prompt asks for."""
        return Manifest(tuple(u for u in self.manifest if u.capability in self.missing))

    def prompt(self) -> list[Section]:
        return sections(self.asked)

    def prompt_text(self, component_name: str | None = None) -> str:
        return describe(self.asked, component_name or self.component)

    def to_json(self) -> dict[str, Any]:
        return {"allowed": self.allowed, "component": self.component, "missing": sorted(self.missing),
                "prompt": [s.to_json() for s in self.prompt()]}


class ConsentGate:
    def __init__(self, store: GrantStore) -> None:
        self.store = store

    def check(self, script: Any, principal: str, component: str, *, org: str | None = None) -> Decision:
        """`script`: a `Manifest`, a compiled `Program`, or source text."""
        manifest = _manifest_of(script)
        grant = self.store.active(principal, component, org=org)
        return Decision(principal, component, manifest, grant.missing(manifest.required), grant)

    def accept(self, decision: Decision) -> Decision:
        """The user allowed the prompt of `decision`: grant what it asked for, for 60 days."""
        if decision.missing:
            self.store.grant(decision.principal, decision.component, decision.missing)
        grant = self.store.active(decision.principal, decision.component)
        return attrs.evolve(decision, missing=grant.missing(decision.manifest.required), grant=grant)

    def grant_org(self, org: str, component: str, script: Any) -> None:
        """An admin's install-time consent for an extension component, covering every member of `org`."""
        self.store.grant(org, component, _manifest_of(script).required, scope="org")

    def run(self, program: Any, principal: str, component: str, context: dict[str, Any] | None = None, *,
            org: str | None = None, **options: Any) -> Any:
        """Runs `program` when nothing is missing; otherwise returns the `Decision` to prompt with."""
        decision = self.check(program, principal, component, org=org)
        if not decision.allowed:
            return decision
        return program.run(context, grant=decision.grant, **options)


def _manifest_of(script: Any) -> Manifest:
    if isinstance(script, Manifest):
        return script
    cached = getattr(script, "manifest", None)
    if isinstance(cached, Manifest):
        return cached
    return analyze(script)
