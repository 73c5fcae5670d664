"""The host a run reaches the world through: one HTTP client, the integration tasks, mail.

`Program.run(host=...)` and `deluge.run(host=...)` take any object with `http`, `tasks`
and `mail` attributes (see `deluge/runtime/network.py` and `helpers.task`); `Host.configure`
builds the standard one: `HostHttp` under a `NetworkPolicy`, a `ConnectionRegistry`, a
`TaskRouter` for Cliq and CRM, and optionally a cassette that records or replays every
exchange. Without a host a run has no network at all (a runtime error "not available").
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from deluge.host.connections import ConnectionRegistry, FileTokenStore, TokenStore
from deluge.host.http import HostHttp
from deluge.host.netpolicy import NetworkPolicy


@attrs.define
class Host:
    """What a run may reach outside the sandbox; every use is still consent-checked by the run."""

    http: Any = None
    tasks: Any = None
    mail: Any = None
    recorder: Any = None
    """The cassette being recorded, if any: `close()` writes it."""

    @classmethod
    def configure(
        cls,
        *,
        connections: ConnectionRegistry | str | os.PathLike[str] | None = None,
        tokens: TokenStore | str | os.PathLike[str] | None = None,
        allow: Iterable[str] = (),
        policy: NetworkPolicy | None = None,
        record: str | os.PathLike[str] | None = None,
        replay: str | os.PathLike[str] | None = None,
        dc: str | None = None,
        cliq: Any = None,
        crm: Any = None,
        default_connections: Mapping[str, str] | None = None,
        transport: Any = None,
    ) -> Host:
        """The standard host.

        `connections`: a registry or the path of its TOML file; `tokens`: where refreshed OAuth
        tokens are saved (a store or a JSON file path); `allow`: addresses or networks the policy
        lets through although private (tests, local development); `record`/`replay`: a cassette
        file; `dc`: the Zoho data centre of the Cliq and CRM APIs (`com`, `eu`, `in`, ...), or
        `cliq`/`crm`: a `CliqConfig`/`CrmConfig` of their own (another base URL).
        """
        from deluge.host.cassette import RecordingTransport, ReplayTransport
        from deluge.host.tasks import CliqConfig, CrmConfig, TaskRouter

        if record is not None and replay is not None:
            raise ValueError("record and replay exclude each other")
        if isinstance(tokens, (str, os.PathLike)):
            tokens = FileTokenStore(Path(tokens))
        if connections is None:
            registry = ConnectionRegistry()
        elif isinstance(connections, ConnectionRegistry):
            registry = connections
        else:
            registry = ConnectionRegistry.from_toml(connections, token_store=tokens)
        if policy is None:
            policy = NetworkPolicy(allow=tuple(allow))
        elif allow:
            policy = attrs.evolve(policy, allow=policy.allow + tuple(allow))
        if cliq is None:
            cliq = CliqConfig.for_dc(dc) if dc else CliqConfig()
        if crm is None:
            crm = CrmConfig.for_dc(dc) if dc else CrmConfig()
        recorder = None
        if replay is not None:
            transport = ReplayTransport(replay, secrets=registry.secrets)
        elif record is not None:
            recorder = RecordingTransport(transport, record, secrets=lambda: (*registry.secrets(), *router.secrets()))
            transport = recorder
        http = HostHttp(policy, registry, transport=transport)
        router = TaskRouter(http, cliq=cliq, crm=crm, default_connections=dict(default_connections or {}))
        return cls(http=http, tasks=router, mail=None, recorder=recorder)

    def close(self) -> None:
        """Writes a recorded cassette."""
        if self.recorder is not None:
            self.recorder.close()
            self.recorder = None

    def __enter__(self) -> Host:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
