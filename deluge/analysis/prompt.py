"""The consent prompt: a manifest told in words, grouped as Cliq's dialog groups it (PLATFORM.md 8.2, 8.3).

`sections(manifest)` gives the structured form a host renders in its own UI (a list of
`Section`s, each a heading and lines); `describe(manifest)` the plain text that
`deluge consent FILE` prints and that `deluge run` shows before asking.
"""

from __future__ import annotations

from typing import Any

import attrs

from deluge.analysis.manifest import Manifest, Use

CATEGORY_WORDING = {
    "user": "Your profile: name, email, time zone, language, admin role",
    "chat": "Details of the conversation: title, type, members",
    "message": "The content of messages you send to it or act on",
    "location": "Your current location",
    "attachments": "Files you share with it",
}
"""PLATFORM.md 8.2, in the order the prompt lists them."""

SERVICE_NAMES = {
    "cliq": "Zoho Cliq", "crm": "Zoho CRM", "books": "Zoho Books", "desk": "Zoho Desk", "projects": "Zoho Projects",
    "creator": "Zoho Creator", "invoice": "Zoho Invoice", "people": "Zoho People", "mail": "Zoho Mail",
    "recruit": "Zoho Recruit", "sheet": "Zoho Sheet", "writer": "Zoho Writer", "workdrive": "Zoho WorkDrive",
    "sdp": "ServiceDesk Plus", "inventory": "Zoho Inventory", "subscriptions": "Zoho Subscriptions",
    "billing": "Zoho Billing", "bigin": "Bigin", "campaigns": "Zoho Campaigns", "salesiq": "Zoho SalesIQ",
}

AUTH_WORDING = {"user": "as you", "admin": "as your organization's admin", "none": "without signing in"}


@attrs.frozen
class Section:
    """One group of the prompt: a heading and what it covers, one line each."""

    key: str
    """Stable id: `objects`, `tasks`, `hosts`, `connections`, `mail`, `no-consent`."""
    heading: str
    lines: tuple[str, ...]
    capabilities: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "heading": self.heading, "lines": list(self.lines),
                "capabilities": list(self.capabilities)}


def _lines_of(use: Use) -> str:
    where = ", ".join(str(line) for line in use.lines[:6])
    more = "" if len(use.lines) <= 6 else ", ..."
    return f"line {where}{more}" if len(use.lines) == 1 else f"lines {where}{more}"


def sections(manifest: Manifest) -> list[Section]:
    out: list[Section] = []
    by_category: dict[str, list[Use]] = {}
    free: list[Use] = []
    for use in manifest:
        if use.kind != "object":
            continue
        if use.category is None:
            free.append(use)
        else:
            by_category.setdefault(use.category, []).append(use)
    if by_category:
        lines, caps = [], []
        for category, wording in CATEGORY_WORDING.items():
            uses = by_category.get(category)
            if not uses:
                continue
            reads = sorted(u.capability[len("object:"):] for u in uses)
            lines.append(f"{wording} (reads {', '.join(reads)})")
            caps.extend(u.capability for u in uses)
        out.append(Section("objects", "Information about you and this conversation", tuple(lines), tuple(caps)))
    tasks = [u for u in manifest if u.kind == "task"]
    if tasks:
        by_service: dict[tuple[str, str], list[Use]] = {}
        for use in tasks:
            by_service.setdefault((use.service, use.auth), []).append(use)
        lines, caps = [], []
        for (service, auth), uses in sorted(by_service.items()):
            names = ", ".join(u.capability.rsplit(".", 1)[-1] for u in uses)
            label = SERVICE_NAMES.get(service, f"Zoho {service.capitalize()}" if service else "another service")
            lines.append(f"{label}, {AUTH_WORDING[auth]}: {names}")
            caps.extend(u.capability for u in uses)
        out.append(Section("tasks", "Actions in other services", tuple(lines), tuple(caps)))
    hosts = [u for u in manifest if u.kind == "api"]
    if hosts:
        lines = []
        for use in hosts:
            host = use.capability[len("api:"):]
            name = "any website (the address is only known when it runs)" if host == "*" else host
            lines.append(f"{name} ({_lines_of(use)})")
        out.append(Section("hosts", "Websites and APIs it calls", tuple(lines), tuple(u.capability for u in hosts)))
    connections = [u for u in manifest if u.kind == "connection"]
    if connections:
        lines = []
        for use in connections:
            name = use.capability[len("connection:"):]
            label = "a connection chosen when it runs" if name == "*" else f"the connection '{name}'"
            lines.append(f"{label}, {AUTH_WORDING[use.auth if use.auth != 'none' else 'user']}")
        out.append(Section("connections", "Your connections it uses", tuple(lines),
                           tuple(u.capability for u in connections)))
    mail = manifest.get("mail:send")
    if mail is not None:
        out.append(Section("mail", "Email", (f"Send email as you ({_lines_of(mail)})",), ("mail:send",)))
    if free:
        out.append(Section("no-consent", "Also reads (no personal data, no consent needed)",
                           tuple(u.capability[len("object:"):] for u in free), tuple(u.capability for u in free)))
    return out


def describe(manifest: Manifest, component: str = "This script", validity_days: int = 60) -> str:
    """The prompt as plain text; says so when the script needs no consent at all."""
    parts = sections(manifest)
    if not manifest.required:
        head = f"{component} needs no permission: it reads none of your data and calls no service or website."
        extra = [p for p in parts if p.key == "no-consent"]
        if extra:
            head += "\n" + _render(extra[0])
        return head
    text = [f"{component} wants to:"]
    text.extend(_render(part) for part in parts)
    text.append(f"Permission lasts {validity_days} days; you can revoke it at any time.")
    return "\n".join(text)


def _render(section: Section) -> str:
    return "\n".join([f"  {section.heading}:"] + [f"    - {line}" for line in section.lines])
