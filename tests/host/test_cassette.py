"""Cassettes: record HTTP exchanges through a real transport chain, replay them with no network at all."""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import socket
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

import deluge
from deluge.host.cassette import CassetteMismatch, RecordingTransport, ReplayTransport, load, mask_text
from deluge.host.connections import ConnectionRegistry, OAuth2Connection
from deluge.host.http import HostHttp
from deluge.host.netpolicy import NetworkPolicy
from deluge.host.tasks import CliqConfig, TaskRouter

ACCESS = "1000.a1b2c3d4e5f6.access"
REFRESH = "1000.f6e5d4c3b2a1.refresh"
CLIENT_SECRET = "cs-9f8e7d6c5b4a"
NEW_ACCESS = "1000.new0new0new0.access"
EXT_KEY = "ext-key-5555"


class Service:
    """The 'real' service behind the recorder; counts how often it is reached."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        request.read()
        path = request.url.path
        if path == "/oauth/v2/token":
            return httpx.Response(200, json={"access_token": NEW_ACCESS, "expires_in": 3600, "api_domain": "x"})
        if path.endswith("/message"):
            return httpx.Response(204)
        if path.endswith("/records") and request.method == "GET":
            payload = json.dumps({"status": "SUCCESS", "list": [{"id": "1", "name": "Ana"}]}).encode()
            return httpx.Response(200, content=gzip.compress(payload),
                                  headers={"Content-Type": "application/json", "Content-Encoding": "gzip",
                                           "Set-Cookie": f"session={ACCESS}; Secure"})
        if path.endswith("/image"):
            return httpx.Response(200, content=bytes(range(256)), headers={"Content-Type": "image/png"})
        if path.endswith("/files"):
            return httpx.Response(200, json={"files": 1})
        return httpx.Response(404, json={"code": "operation_failed", "message": f"no route {path}"})


def exchanges(client: httpx.Client, token: str = ACCESS) -> list[httpx.Response]:
    auth = {"Authorization": f"Zoho-oauthtoken {token}"}
    return [
        client.post("https://accounts.zoho.com/oauth/v2/token",
                    data={"grant_type": "refresh_token", "refresh_token": REFRESH, "client_id": "1000.CID",
                          "client_secret": CLIENT_SECRET}),
        client.post("https://cliq.zoho.com/api/v2/channelsbyname/general/message", json={"text": "hi"},
                    headers=auth),
        client.get("https://cliq.zoho.com/api/v2/storages/staff/records", params={"limit": "100"}, headers=auth),
        client.get("https://cliq.zoho.com/api/v3/extensions/77/properties",
                   params={"keys": "a", "extension_key": EXT_KEY}, headers={"X-API-Key": "k-123456"}),
        client.get("https://cdn.example.com/image"),
        client.post("https://cliq.zoho.com/api/v2/chats/CT_1/files", files={"files": ("a.txt", b"hello", "text/plain")},
                    headers=auth),
    ]


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Path, list[httpx.Response], Service]:
    service = Service()
    path = tmp_path / "cassettes" / "cliq.json"
    recorder = RecordingTransport(httpx.MockTransport(service), path, secrets=lambda: [ACCESS, REFRESH, CLIENT_SECRET])
    with httpx.Client(transport=recorder) as client:
        responses = exchanges(client)
    assert service.calls == 6
    return path, responses, service


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("replay touched the network")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_recording_passes_responses_through(recorded: tuple[Path, list[httpx.Response], Service]) -> None:
    _, responses, _ = recorded
    assert [r.status_code for r in responses] == [200, 204, 200, 404, 200, 200]
    assert responses[0].json()["access_token"] == NEW_ACCESS
    assert responses[2].json() == {"status": "SUCCESS", "list": [{"id": "1", "name": "Ana"}]}
    assert responses[4].content == bytes(range(256))


def test_cassette_file_shape(recorded: tuple[Path, list[httpx.Response], Service]) -> None:
    path, _, _ = recorded
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    saved = load(path)
    assert [(e["request"]["method"], e["request"]["url"], e["response"]["status"]) for e in saved] == [
        ("POST", "https://accounts.zoho.com/oauth/v2/token", 200),
        ("POST", "https://cliq.zoho.com/api/v2/channelsbyname/general/message", 204),
        ("GET", "https://cliq.zoho.com/api/v2/storages/staff/records?limit=100", 200),
        ("GET", "https://cliq.zoho.com/api/v3/extensions/77/properties?keys=a&extension_key=****", 404),
        ("GET", "https://cdn.example.com/image", 200),
        ("POST", "https://cliq.zoho.com/api/v2/chats/CT_1/files", 200),
    ]
    post = saved[1]["request"]
    assert post["body"] == {"text": '{"text":"hi"}'}
    assert "authorization: Zoho-oauthtoken ****" in post["headers"]
    records = saved[2]["response"]
    assert json.loads(records["body"]["text"]) == {"status": "SUCCESS", "list": [{"id": "1", "name": "Ana"}]}
    assert not any(h.startswith("content-encoding:") for h in records["headers"])  # stored decoded
    assert "set-cookie: ****" in records["headers"]
    assert "x-api-key: ****" in saved[3]["request"]["headers"]
    assert base64.b64decode(saved[4]["response"]["body"]["base64"]) == bytes(range(256))
    upload = saved[5]["request"]
    assert "cassette-boundary" in upload["body"]["text"] and "hello" in upload["body"]["text"]


def test_no_secret_reaches_the_file(recorded: tuple[Path, list[httpx.Response], Service]) -> None:
    path, _, _ = recorded
    text = path.read_text()
    for secret in (ACCESS, REFRESH, CLIENT_SECRET, NEW_ACCESS, EXT_KEY, "k-123456"):
        assert secret not in text
        assert base64.b64encode(secret.encode()).decode() not in text
    token = load(path)[0]
    assert token["request"]["body"]["text"] == ("grant_type=refresh_token&refresh_token=****&client_id=1000.CID"
                                                "&client_secret=****")
    assert json.loads(token["response"]["body"]["text"]) == {"access_token": "****", "expires_in": 3600,
                                                             "api_domain": "x"}


def test_replay_answers_without_the_network(recorded: tuple[Path, list[httpx.Response], Service],
                                            no_network: None) -> None:
    path, originals, service = recorded
    replay = ReplayTransport(path)
    assert replay.replay is True
    with httpx.Client(transport=replay) as client:
        responses = exchanges(client)
    assert service.calls == 6  # the recorded service was not asked again
    assert [r.status_code for r in responses] == [r.status_code for r in originals]
    assert responses[2].json() == originals[2].json()
    assert responses[3].json() == {"code": "operation_failed", "message": "no route /api/v3/extensions/77/properties"}
    assert responses[4].content == bytes(range(256))
    assert responses[0].json()["access_token"] == "cassette-access_token"  # a masked token's usable stand-in
    assert replay.unused == []


def test_replay_matches_with_other_credentials(recorded: tuple[Path, list[httpx.Response], Service],
                                              no_network: None) -> None:
    """The refresh form and the extension key are masked by name, so a CI run with fake secrets matches."""
    path, _, _ = recorded
    with httpx.Client(transport=ReplayTransport(path)) as client:
        response = client.get("https://cliq.zoho.com/api/v3/extensions/77/properties",
                              params={"keys": "a", "extension_key": "a-different-key"})
        assert response.status_code == 404
        refreshed = client.post("https://accounts.zoho.com/oauth/v2/token",
                                data={"grant_type": "refresh_token", "refresh_token": "fake-refresh",
                                      "client_id": "1000.CID", "client_secret": "fake-secret"})
        assert refreshed.status_code == 200


def test_replay_uses_each_recording_once_in_order(tmp_path: Path, no_network: None) -> None:
    path = tmp_path / "pages.json"
    pages = iter(["one", "two"])
    recorder = RecordingTransport(httpx.MockTransport(lambda r: httpx.Response(200, text=next(pages))), path)
    with httpx.Client(transport=recorder) as client:
        client.get("https://svc.example.com/next")
        client.get("https://svc.example.com/next")
    with httpx.Client(transport=ReplayTransport(path)) as client:
        assert client.get("https://svc.example.com/next").text == "one"
        assert client.get("https://svc.example.com/next").text == "two"
        with pytest.raises(CassetteMismatch, match=re.escape("No recorded exchange for GET https://svc.example.com/next")):
            client.get("https://svc.example.com/next")


def test_mismatch_names_method_and_url(recorded: tuple[Path, list[httpx.Response], Service], no_network: None) -> None:
    path, _, _ = recorded
    with httpx.Client(transport=ReplayTransport(path)) as client:
        with pytest.raises(CassetteMismatch) as caught:
            client.delete("https://cliq.zoho.com/api/v2/storages/staff/records/1")
        assert "DELETE https://cliq.zoho.com/api/v2/storages/staff/records/1" in str(caught.value)
        with pytest.raises(CassetteMismatch, match=re.escape("POST https://cliq.zoho.com/api/v2/channelsbyname/")):
            client.post("https://cliq.zoho.com/api/v2/channelsbyname/general/message", json={"text": "other"})
        # JSON is compared as data: spacing and key order do not matter
        response = client.post("https://cliq.zoho.com/api/v2/channelsbyname/general/message",
                               content=b'{ "text" : "hi" }', headers={"Content-Type": "application/json"})
        assert response.status_code == 204


def test_match_fields_are_configurable(recorded: tuple[Path, list[httpx.Response], Service], no_network: None) -> None:
    path, _, _ = recorded
    with httpx.Client(transport=ReplayTransport(path, match=("method", "path"))) as client:
        response = client.post("https://cliq.zoho.com/api/v2/channelsbyname/general/message", json={"text": "other"})
        assert response.status_code == 204
    with pytest.raises(ValueError, match="unknown match fields"):
        ReplayTransport(path, match=("method", "cookies"))


def test_not_a_cassette(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 99, "exchanges": []}')
    with pytest.raises(ValueError, match="is not a version-1 cassette"):
        ReplayTransport(bad)


def test_mask_text_covers_encoded_forms() -> None:
    secret = "a b/c+d=="
    b64 = base64.b64encode(secret.encode()).decode()
    text = f"raw={secret} url=a%20b%2Fc%2Bd%3D%3D plus=a+b%2Fc%2Bd%3D%3D b64={b64}"
    assert mask_text(text, [secret]) == "raw=**** url=**** plus=**** b64=****"
    assert mask_text("abc", ["a"]) == "abc"  # too short to mask meaningfully


# ---------------------------------------------------------------- through HostHttp and the task router


PUBLIC = "93.184.216.34"


def connections() -> ConnectionRegistry:
    return ConnectionRegistry([OAuth2Connection(
        name="cliq_system", service="zohocliq", access_token=ACCESS, refresh_token=REFRESH,
        token_url="https://accounts.zoho.com/oauth/v2/token", client_id="1000.CID", client_secret=CLIENT_SECRET)])


class ExpiringService(Service):
    """The first post is refused with 401 (an expired token); the refreshed token is accepted."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        fresh = request.headers.get("authorization") == f"Zoho-oauthtoken {NEW_ACCESS}"
        if request.url.path.endswith("/message") and not fresh:
            self.calls += 1
            return httpx.Response(401, json={"code": "oauthtoken_invalid", "message": "Invalid OAuth token."})
        return super().__call__(request)


SCRIPT = """
a = zoho.cliq.postToChannel("general", "Deployed");
b = zoho.cliq.getRecords("staff", {});
c = zoho.cliq.extension.getProperties("a");
return {"post": a, "records": b, "props": c};
"""


def run(http: HostHttp) -> deluge.Result:
    router = TaskRouter(http, cliq=CliqConfig(extension_id="77", extension_key=EXT_KEY))
    return deluge.run(SCRIPT, grant="all", host=SimpleNamespace(http=http, tasks=router, mail=None))


def test_task_runs_replay_identically(tmp_path: Path, no_network: None) -> None:
    path = tmp_path / "tasks.json"
    service = ExpiringService()
    registry = connections()
    recorder = RecordingTransport(httpx.MockTransport(service), path,
                                  secrets=lambda: (*registry.secrets(), EXT_KEY))  # read again after the refresh
    live = run(HostHttp(NetworkPolicy(resolver=lambda host, port: [PUBLIC]), registry, transport=recorder))
    recorder.close()
    assert live.error is None, live.error
    assert service.calls == 5  # 401, token refresh, the post again, records, properties
    assert registry.get("cliq_system").access_token == NEW_ACCESS
    assert live.value["post"] == {"status": "success"}
    assert live.value["records"] == {"status": "SUCCESS", "list": [{"id": "1", "name": "Ana"}]}
    assert live.value["props"]["code"] == "operation_failed"
    text = path.read_text()
    for secret in (ACCESS, NEW_ACCESS, REFRESH, CLIENT_SECRET, EXT_KEY):
        assert secret not in text

    replayed = run(HostHttp(NetworkPolicy(), connections(), transport=ReplayTransport(path)))  # no resolver: replay
    assert replayed.error is None, replayed.error
    assert replayed.value == live.value
    assert service.calls == 5
