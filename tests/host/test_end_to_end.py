"""A Cliq-style slash command end to end: consent, an API called through an OAuth connection
(a 401, one refresh, one retry), a post to a channel, all over real HTTP to a loopback server
the host allows explicitly; then the same run recorded to a cassette and replayed offline.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _server import Server, serve

from deluge.host.consent import GrantStore
from deluge.host.gate import ConsentGate, Decision
from deluge.host.host import Host
from deluge.host.tasks import CliqConfig
from deluge.runtime.program import compile_program

COMMAND = '''
city = arguments.get("city");
resp = invokeurl
[
	url: api_base + "/protected?city=" + city
	type: GET
	connection: "weather"
];
zoho.cliq.postToChannel("general", "Weather for " + city + ": ok=" + resp.get("ok") + " seen=" + resp.get("seen"));
info "checked " + city;
return {"text": "Posted the weather for " + city, "seen": resp.get("seen")};
'''


@pytest.fixture
def server() -> Iterator[Server]:
    with serve() as running:
        yield running


def write_connections(folder: Path, server: Server) -> Path:
    path = folder / "connections.toml"
    path.write_text(f'''
[connections.weather]
service = "weatherapi"
auth = "oauth2"
hosts = ["127.0.0.1"]
client_id = "weather-client"
client_secret = "weather-client-secret-123"
token_url = "{server.url('/token')}"
access_token = "stale-token-abc"
refresh_token = "refresh-token-xyz"
expires_at = 2099-01-01T00:00:00Z

[connections.cliq_system]
service = "zohocliq"
auth = "oauth2"
hosts = ["127.0.0.1"]
access_token = "cliq-access-token-456"
expires_at = 2099-01-01T00:00:00Z
''')
    return path


def host_for(folder: Path, server: Server, **kw: Any) -> Host:
    return Host.configure(connections=write_connections(folder, server), tokens=folder / "tokens.json",
                          allow=("127.0.0.1",), cliq=CliqConfig(base_url=server.url("/echo/api/v2")), **kw)


SECRETS = ("stale-token-abc", "refresh-token-xyz", "weather-client-secret-123", "fresh-token", "cliq-access-token-456")


def test_a_slash_command_calls_an_api_and_posts_to_a_channel(tmp_path: Path, server: Server) -> None:
    program = compile_program(COMMAND)
    gate = ConsentGate(GrantStore(tmp_path / "grants.sqlite3"))
    context = {"arguments": {"city": "Oslo"}, "api_base": server.url("")}
    # first use: the prompt, and no request made
    decision = gate.run(program, "ann", "weather/command", context)
    assert isinstance(decision, Decision)
    assert decision.missing == {"object:arguments.city", "api:*", "connection:weather",
                                "task:zoho.cliq.postToChannel"}
    assert server.hits == []
    gate.accept(decision)
    with host_for(tmp_path, server) as host:
        result = gate.run(program, "ann", "weather/command", context, host=host)
    assert result.error is None, result.error
    assert result.output == ["checked Oslo"]
    # the API: a 401 with the stale token, one refresh, one retry with the new token
    assert [h for h in server.hits if h[1] != "/echo/api/v2/channelsbyname/general/message"] == [
        ("GET", "/protected"), ("POST", "/token"), ("GET", "/protected")]
    assert server.tokens == [{"grant_type": "refresh_token", "refresh_token": "refresh-token-xyz",
                              "client_id": "weather-client", "client_secret": "weather-client-secret-123"}]
    calls = [r for r in server.requests if r["path"] == "/protected"]
    assert calls[0]["headers"]["authorization"] == "Bearer stale-token-abc" and calls[0]["query"] == "city=Oslo"
    assert calls[1]["headers"]["authorization"] == "Bearer fresh-token"
    # the post: the channel's REST endpoint, the Cliq connection's token, the message as JSON
    post = next(r for r in server.requests if r["path"].endswith("/channelsbyname/general/message"))
    assert post["method"] == "POST"
    assert post["headers"]["authorization"] == "Zoho-oauthtoken cliq-access-token-456"
    assert json.loads(post["body"]) == {"text": "Weather for Oslo: ok=true seen=Bearer ****"}
    # the script saw the echoed token masked; nothing it returned or printed holds a secret
    assert result.value["seen"] == "Bearer ****"
    shown = json.dumps(result.to_json())
    assert not any(secret in shown for secret in SECRETS)
    # the refreshed token was saved for the next run
    assert "fresh-token" in (tmp_path / "tokens.json").read_text()


def test_a_recorded_run_replays_without_the_network(tmp_path: Path, server: Server,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    program = compile_program(COMMAND)
    context = {"arguments": {"city": "Oslo"}, "api_base": server.url("")}
    cassette = tmp_path / "cassette.json"
    (tmp_path / "rec").mkdir()
    with host_for(tmp_path / "rec", server, record=cassette) as host:
        recorded = program.run(context, grant="all", host=host)
    assert recorded.error is None, recorded.error
    text = cassette.read_text()
    assert not any(secret in text for secret in SECRETS), "a secret reached the cassette"
    hits = len(server.hits)

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("replay touched the network")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    (tmp_path / "play").mkdir()
    with host_for(tmp_path / "play", server, replay=cassette) as host:
        replayed = program.run(context, grant="all", host=host)
    assert replayed.error is None, replayed.error
    assert replayed.output == recorded.output and replayed.returned == recorded.returned
    assert len(server.hits) == hits
