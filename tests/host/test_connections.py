"""Connections (PLATFORM.md 6): registry loading, credentials per kind, OAuth2 refresh, token stores, masking."""

from __future__ import annotations

import base64
import json
import stat
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import attrs
import httpx
import pytest

from deluge.errors import DelugeRuntimeError
from deluge.host.connections import (
    MASK,
    ApiKeyConnection,
    BasicConnection,
    Connection,
    ConnectionRegistry,
    FileTokenStore,
    MemoryTokenStore,
    NoAuthConnection,
    OAuth2Connection,
    mask,
    mask_data,
    valid_link_name,
)
from deluge.runtime.values import TypedList

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "connections.example.toml"
SAMPLE_ENV = {"CLIQ_CLIENT_SECRET": "cliq-secret-env", "CLIQ_REFRESH_TOKEN": "cliq-refresh-env",
              "ERP_PASSWORD": "erp-password-env"}
TOKEN_URL = "https://accounts.example.com/oauth/v2/token"


class Clock:
    """An injected clock the tests move forward instead of sleeping."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class TokenEndpoint:
    """A token endpoint behind httpx.MockTransport that records every form it was posted."""

    def __init__(self, *answers: tuple[int, Any], gate: Callable[[], None] | None = None) -> None:
        self.answers = list(answers) or [(200, {"access_token": "new-access-1", "expires_in": 3600})]
        self.forms: list[dict[str, str]] = []
        self.gate = gate
        self.lock = threading.Lock()

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert str(request.url) == TOKEN_URL
        with self.lock:
            self.forms.append({k: v[0] for k, v in parse_qs(request.content.decode()).items()})
            status, body = self.answers[min(len(self.forms), len(self.answers)) - 1]
        if self.gate is not None:
            self.gate()
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(status, content=content, headers={"content-type": "application/json"})

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handler))


def oauth(endpoint: TokenEndpoint | None = None, clock: Clock | None = None, **overrides: Any) -> OAuth2Connection:
    args: dict[str, Any] = dict(
        name="crm_main", service="zohocrm", allowed_hosts=["www.zohoapis.com"], scopes=["ZohoCRM.modules.ALL"],
        access_token="old-access-0", refresh_token="refresh-0", expires_at=T0 + timedelta(hours=1),
        token_url=TOKEN_URL, client_id="client-id-1", client_secret="client-secret-1",
        clock=clock or Clock(), client=endpoint.client() if endpoint else None)
    args.update(overrides)
    return OAuth2Connection(**args)


def get(url: str = "https://www.zohoapis.com/crm/v2/Leads", **kwargs: Any) -> httpx.Request:
    return httpx.Request(kwargs.pop("method", "GET"), url, **kwargs)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "connections.toml"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Loading the registry


def test_sample_file_loads_every_kind_with_env_secrets() -> None:
    registry = ConnectionRegistry.from_toml(SAMPLE, environ=SAMPLE_ENV)
    assert registry.names() == ("crm_main", "cliq_bot", "github_repo", "weather", "legacy_erp", "public_status")
    crm = registry.get("crm_main")
    assert isinstance(crm, OAuth2Connection)
    assert crm.allowed_hosts == ("www.zohoapis.com", "*.zohoapis.eu")
    assert crm.expires_at == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    assert crm.header_prefix == "Zoho-oauthtoken"
    cliq = registry.get("cliq_bot")
    assert isinstance(cliq, OAuth2Connection)
    assert (cliq.client_secret, cliq.refresh_token, cliq.access_token) == ("cliq-secret-env", "cliq-refresh-env", "")
    github = registry.get("github_repo")
    assert isinstance(github, OAuth2Connection) and github.header_prefix == "Bearer"
    weather = registry.get("weather")
    assert isinstance(weather, ApiKeyConnection) and (weather.key_name, weather.where) == ("appid", "query")
    erp = registry.get("legacy_erp")
    assert isinstance(erp, BasicConnection) and erp.password == "erp-password-env"
    assert isinstance(registry.get("public_status"), NoAuthConnection)
    assert {"cliq-secret-env", "cliq-refresh-env", "erp-password-env", "fake-weather-key-0123456789"} <= set(
        registry.secrets())
    assert "crm_main" in registry and len(registry) == 6


def test_env_variable_that_is_not_set_names_connection_and_key_only(tmp_path: Path) -> None:
    path = write(tmp_path, """
        [connections.erp]
        service = "erp"
        auth = "basic"
        user = "bot"
        password = "env:ERP_PASSWORD_MISSING"
    """)
    with pytest.raises(ValueError) as caught:
        ConnectionRegistry.from_toml(path, environ={"OTHER": "hunter22"})
    message = str(caught.value)
    assert "'erp'" in message and "password" in message and "ERP_PASSWORD_MISSING" in message
    assert "hunter22" not in message


def test_env_values_are_read_from_os_environ_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELUGE_TEST_KEY", "key-from-environment")
    path = write(tmp_path, """
        [connections.weather]
        service = "openweather"
        auth = "api_key"
        key_name = "X-Api-Key"
        key_value = "env:DELUGE_TEST_KEY"
    """)
    connection = ConnectionRegistry.from_toml(path).get("weather")
    assert isinstance(connection, ApiKeyConnection) and connection.key_value == "key-from-environment"


@pytest.mark.parametrize(("text", "expected"), [
    ('[connections.Bad_Name]\nservice = "x"\nauth = "none"', "not a valid connection link name"),
    ('[connections.x]\nauth = "none"', "service is required"),
    ('[connections.x]\nservice = "x"\nauth = "kerberos"', "auth must be one of"),
    ('[connections.x]\nservice = "x"\nauth = "oauth2"\nrefesh_token = "abc"', "unknown keys refesh_token"),
    ('[connections.x]\nservice = "x"\nauth = "basic"\nuser = "u"', "password is required"),
    ('[connections.x]\nservice = "x"\nauth = "api_key"\nkey_name = "k"\nkey_value = "v"\nwhere = "body"',
     "where must be one of"),
    ('[connections.x]\nservice = "x"\nauth = "none"\nhosts = ["https://a.com/path"]', "is not a host name"),
    ('[connections.x]\nservice = "x"\nauth = "none"\nhosts = ["*.com"]', "too broad"),
    ('[connections.x]\nservice = "x"\nauth = "none"\nstatus = "paused"', "status must be one of"),
    ('[connections.x]\nservice = "x"\nauth = "oauth2"\nscope_delimiter = ";"', "scope_delimiter"),
    ('[connections.x]\nservice = "x"\nauth = "oauth2"\ntoken_url = "ftp://a.com/t"', "token_url"),
    ('[connection.x]\nservice = "x"\nauth = "none"', "unknown top-level keys"),
    ('[connections.x\nservice = "x"', "connections file"),
])
def test_bad_registry_files_are_refused_with_a_clear_message(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        ConnectionRegistry.from_toml(write(tmp_path, text), environ={})


def test_a_secret_with_a_line_break_is_refused_without_showing_it(tmp_path: Path) -> None:
    path = write(tmp_path, '[connections.x]\nservice = "x"\nauth = "api_key"\nkey_name = "k"\n'
                           'key_value = "sec\\r\\nret-value"')
    with pytest.raises(ValueError, match="key_value contains a line break") as caught:
        ConnectionRegistry.from_toml(path)
    assert "ret-value" not in str(caught.value)


def test_registry_get_unknown_name_is_a_runtime_error_that_names_nothing_else() -> None:
    registry = ConnectionRegistry([NoAuthConnection(name="public_status", service="statuspage")])
    with pytest.raises(DelugeRuntimeError) as caught:
        registry.get("crm_mian")
    assert caught.value.message == "connection 'crm_mian' not found"
    assert "public_status" not in caught.value.message


def test_registry_refuses_a_second_connection_with_the_same_name() -> None:
    registry = ConnectionRegistry([NoAuthConnection(name="a", service="x")])
    with pytest.raises(ValueError, match="already registered"):
        registry.add(NoAuthConnection(name="a", service="y"))


# ---------------------------------------------------------------------------------------------
# Link names and hosts


@pytest.mark.parametrize("name", ["a", "crm_main", "zoho_crm_2", "a" * 50, "a_"])
def test_valid_link_names(name: str) -> None:
    assert valid_link_name(name)
    assert NoAuthConnection(name=name, service="x").name == name


@pytest.mark.parametrize("name", ["", "Crm", "1crm", "_crm", "crm-main", "crm main", "a" * 51, "crm.main", "ñame"])
def test_invalid_link_names_are_refused(name: str) -> None:
    assert not valid_link_name(name)
    with pytest.raises(ValueError, match="not a valid connection link name"):
        NoAuthConnection(name=name, service="x")


@pytest.mark.parametrize(("host", "allowed"), [
    ("www.zohoapis.com", True),
    ("WWW.ZohoAPIs.com.", True),
    ("zohoapis.com", False),
    ("crm.zohoapis.eu", True),
    ("a.b.zohoapis.eu", True),
    ("zohoapis.eu", False),
    ("evilzohoapis.eu", False),
    ("zohoapis.eu.evil.com", False),
    ("www.zohoapis.com.evil.com", False),
])
def test_allowed_hosts_and_wildcards(host: str, allowed: bool) -> None:
    connection = NoAuthConnection(name="c", service="x", allowed_hosts=["www.zohoapis.com", "*.zohoapis.eu"])
    assert connection.allows_host(host) is allowed


def test_empty_host_list_allows_any_host_and_a_disallowed_host_gets_no_credentials() -> None:
    assert NoAuthConnection(name="c", service="x").allows_host("anything.example")
    connection = ApiKeyConnection(name="c", service="x", allowed_hosts=["api.example.com"],
                                  key_name="X-Key", key_value="key-value-1")
    request = get("https://attacker.example.net/steal")
    with pytest.raises(DelugeRuntimeError, match=r"may not be used for the host 'attacker\.example\.net'"):
        connection.authorize(request, None)
    assert "x-key" not in request.headers


# ---------------------------------------------------------------------------------------------
# Credentials per kind


def test_oauth2_zoho_header() -> None:
    request = oauth().authorize(get(), None)
    assert request.headers["Authorization"] == "Zoho-oauthtoken old-access-0"


def test_oauth2_bearer_for_other_services_and_overridable_prefix() -> None:
    github = oauth(service="github", allowed_hosts=[])
    assert github.authorize(get("https://api.github.com/user"), None).headers["Authorization"] == "Bearer old-access-0"
    custom = oauth(service="github", allowed_hosts=[], header_prefix="token")
    assert custom.authorize(get("https://api.github.com/user"), None).headers["Authorization"] == "token old-access-0"


def test_oauth2_query_param_type() -> None:
    request = oauth(param_type="query").authorize(get("https://www.zohoapis.com/crm/v2/Leads?page=2"), None)
    assert request.url.params["access_token"] == "old-access-0"
    assert request.url.params["page"] == "2"
    assert "authorization" not in request.headers


def test_api_key_in_a_header_and_in_the_query() -> None:
    header = ApiKeyConnection(name="k", service="x", key_name="X-Api-Key", key_value="key-value-1")
    assert header.authorize(get("https://api.example.com/a"), None).headers["X-Api-Key"] == "key-value-1"
    query = ApiKeyConnection(name="k", service="x", key_name="appid", key_value="key value/1", where="query")
    request = query.authorize(get("https://api.example.com/a?q=1"), None)
    assert request.url.params["appid"] == "key value/1" and request.url.params["q"] == "1"


def test_api_key_as_a_form_field() -> None:
    connection = ApiKeyConnection(name="k", service="x", key_name="api_key", key_value="key&value=1", where="form")
    form = connection.authorize(get("https://api.example.com/a", method="POST", data={"a": "1"}), None)
    assert parse_qs(form.read().decode()) == {"a": ["1"], "api_key": ["key&value=1"]}
    assert form.headers["content-length"] == str(len(form.content))
    empty = connection.authorize(get("https://api.example.com/a", method="POST"), None)
    assert parse_qs(empty.read().decode()) == {"api_key": ["key&value=1"]}
    assert empty.headers["content-type"] == "application/x-www-form-urlencoded"
    multipart = connection.authorize(
        get("https://api.example.com/a", method="POST", data={"a": "1"}, files={"f": ("f.txt", b"hello")}), None)
    body = multipart.read()
    assert b'name="api_key"\r\n\r\nkey&value=1\r\n' in body and b"hello" in body
    assert body.rstrip().endswith(b"--")
    as_json = connection.authorize(get("https://api.example.com/a", method="POST", json={"a": 1}), None)
    assert json.loads(as_json.read()) == {"a": 1}
    assert as_json.url.params["api_key"] == "key&value=1"


def test_basic_header_is_exact() -> None:
    connection = BasicConnection(name="erp", service="erp", user="bot", password="pässword")
    request = connection.authorize(get("https://erp.example.com/"), None)
    expected = base64.b64encode("bot:pässword".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


def test_no_auth_adds_nothing() -> None:
    request = NoAuthConnection(name="s", service="x").authorize(get("https://status.example.com/"), None)
    assert "authorization" not in request.headers
    assert str(request.url) == "https://status.example.com/"


@pytest.mark.parametrize("status", ["disconnected", "revoked"])
def test_a_connection_that_is_not_connected_is_not_authorized(status: str) -> None:
    for connection in (oauth(status=status), BasicConnection(name="crm_main", service="x", user="u",
                                                             password="pw12", status=status)):
        with pytest.raises(DelugeRuntimeError, match=f"connection 'crm_main' is not authorized \\(it is {status}"):
            connection.authorize(get(), None)


# ---------------------------------------------------------------------------------------------
# OAuth2 refresh


def test_no_refresh_when_the_token_expires_in_more_than_60_seconds() -> None:
    endpoint, clock = TokenEndpoint(), Clock()
    connection = oauth(endpoint, clock)
    clock.advance(minutes=58, seconds=59)  # expires in 61 s
    assert connection.authorize(get(), None).headers["Authorization"] == "Zoho-oauthtoken old-access-0"
    assert endpoint.forms == []


@pytest.mark.parametrize("advance", [{"minutes": 59}, {"minutes": 59, "seconds": 1}, {"hours": 2}])
def test_refresh_when_expired_or_within_60_seconds(advance: dict[str, float]) -> None:
    endpoint, clock = TokenEndpoint(), Clock()
    connection = oauth(endpoint, clock)
    clock.advance(**advance)
    assert connection.authorize(get(), None).headers["Authorization"] == "Zoho-oauthtoken new-access-1"
    assert len(endpoint.forms) == 1
    assert connection.expires_at == clock.now + timedelta(seconds=3600)
    connection.authorize(get(), None)
    assert len(endpoint.forms) == 1  # the new token is good for an hour


def test_a_connection_without_an_access_token_fetches_one_first() -> None:
    endpoint = TokenEndpoint()
    connection = oauth(endpoint, access_token="", expires_at=None)
    assert connection.authorize(get(), None).headers["Authorization"] == "Zoho-oauthtoken new-access-1"
    assert len(endpoint.forms) == 1


def test_refresh_after_a_401_posts_once_with_the_right_form() -> None:
    endpoint = TokenEndpoint()
    connection = oauth(endpoint, scopes=["ZohoCRM.modules.ALL", "ZohoCRM.users.READ"])
    assert connection.refresh(None) is True
    assert endpoint.forms == [{
        "grant_type": "refresh_token", "refresh_token": "refresh-0", "client_id": "client-id-1",
        "client_secret": "client-secret-1", "scope": "ZohoCRM.modules.ALL,ZohoCRM.users.READ"}]
    assert connection.authorize(get(), None).headers["Authorization"] == "Zoho-oauthtoken new-access-1"
    assert len(endpoint.forms) == 1
    assert connection.refresh_token == "refresh-0"  # not rotated by this endpoint


def test_scope_delimiter_space_and_no_scope_without_scopes() -> None:
    endpoint = TokenEndpoint()
    assert oauth(endpoint, scopes=["a.read", "b.write"], scope_delimiter=" ").refresh(None)
    assert oauth(endpoint, scopes=[]).refresh(None)
    assert endpoint.forms[0]["scope"] == "a.read b.write"
    assert "scope" not in endpoint.forms[1]


def test_client_credentials_grant_when_configured_and_there_is_no_refresh_token() -> None:
    endpoint = TokenEndpoint()
    connection = oauth(endpoint, refresh_token="", grant_type="client_credentials", scopes=[])
    assert connection.refresh(None) is True
    assert endpoint.forms == [{"grant_type": "client_credentials", "client_id": "client-id-1",
                               "client_secret": "client-secret-1"}]


def test_refresh_goes_through_host_http_when_given() -> None:
    calls: list[tuple[Any, ...]] = []

    @attrs.frozen
    class Answer:
        status: int
        body: bytes

    class FakeHttp:
        def request(self, ex: Any, method: str, url: str, **kwargs: Any) -> Answer:
            calls.append((ex, method, url, kwargs))
            return Answer(200, b'{"access_token": "via-http-2", "expires_in": "3600"}')

    connection = oauth()  # no client: only the HostHttp can reach the endpoint
    assert connection.refresh(FakeHttp()) is True  # type: ignore[arg-type]
    assert calls == [(None, "POST", TOKEN_URL, {"data": {
        "grant_type": "refresh_token", "refresh_token": "refresh-0", "client_id": "client-id-1",
        "client_secret": "client-secret-1", "scope": "ZohoCRM.modules.ALL"}})]
    assert connection.access_token == "via-http-2"
    assert connection.expires_at == T0 + timedelta(hours=1)


@pytest.mark.parametrize("answer", [
    (400, {"error": "invalid_client"}),
    (200, {"error": "invalid_code"}),  # Zoho's way of refusing a refresh token
    (200, b"<html>not json</html>"),
    (200, ["a", "list"]),
    (500, {"access_token": "ignored"}),
    (200, {"access_token": MASK}),  # a masked answer is not a token
])
def test_failed_refresh_disconnects_and_authorize_then_refuses(answer: tuple[int, Any]) -> None:
    endpoint, clock = TokenEndpoint(answer), Clock()
    store = MemoryTokenStore()
    connection = oauth(endpoint, clock, token_store=store)
    assert connection.refresh(None) is False
    assert connection.status == "disconnected"
    assert "client-secret-1" not in connection.last_error and connection.last_error
    saved = store.load("crm_main")
    assert saved is not None and saved["status"] == "disconnected"
    with pytest.raises(DelugeRuntimeError, match="connection 'crm_main' is not authorized"):
        connection.authorize(get(), None)
    assert connection.refresh(None) is False
    assert len(endpoint.forms) == 1  # a disconnected connection does not keep asking


def test_an_unreachable_token_endpoint_is_a_failed_refresh() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    connection = oauth(client=httpx.Client(transport=httpx.MockTransport(refuse)))
    assert connection.refresh(None) is False
    assert connection.status == "disconnected" and "ConnectError" in connection.last_error


def test_expired_token_without_a_refresh_token_disconnects() -> None:
    endpoint, clock = TokenEndpoint(), Clock(T0 + timedelta(hours=2))
    connection = oauth(endpoint, clock, refresh_token="")
    with pytest.raises(DelugeRuntimeError, match="could not be refreshed"):
        connection.authorize(get(), None)
    assert connection.status == "disconnected" and endpoint.forms == []


def test_rotated_refresh_token_is_saved_to_a_file_and_reloaded_by_a_new_registry(tmp_path: Path) -> None:
    path = write(tmp_path, f"""
        [connections.crm_main]
        service = "zohocrm"
        auth = "oauth2"
        hosts = ["www.zohoapis.com"]
        client_id = "client-id-1"
        client_secret = "env:CRM_SECRET"
        token_url = "{TOKEN_URL}"
        access_token = "old-access-0"
        refresh_token = "refresh-0"
        expires_at = 2026-01-01T10:00:00Z
    """)
    endpoint = TokenEndpoint(
        (200, {"access_token": "new-access-1", "refresh_token": "refresh-1", "expires_in": 3600}),
        (200, {"access_token": "new-access-2", "expires_in": 3600}))
    env = {"CRM_SECRET": "client-secret-1"}
    store_path = tmp_path / "state" / "tokens.json"
    clock = Clock()
    first = ConnectionRegistry.from_toml(path, FileTokenStore(store_path), clock, client=endpoint.client(),
                                         environ=env)
    assert first.get("crm_main").refresh(None) is True
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o600
    saved = json.loads(store_path.read_text())["crm_main"]
    assert (saved["access_token"], saved["refresh_token"]) == ("new-access-1", "refresh-1")
    assert [p.name for p in store_path.parent.iterdir() if p.suffix == ".tmp"] == []

    second = ConnectionRegistry.from_toml(path, FileTokenStore(store_path), clock, client=endpoint.client(),
                                          environ=env)
    reloaded = second.get("crm_main")
    assert isinstance(reloaded, OAuth2Connection)
    assert (reloaded.access_token, reloaded.refresh_token) == ("new-access-1", "refresh-1")
    assert reloaded.expires_at == T0 + timedelta(hours=1)
    assert reloaded.refresh(None) is True
    assert endpoint.forms[1]["refresh_token"] == "refresh-1"  # the rotated token is the one used


def test_re_authorized_file_tokens_win_over_tokens_saved_from_the_old_ones(tmp_path: Path) -> None:
    def registry_file(access: str, refresh: str) -> Path:
        return write(tmp_path, f'[connections.c]\nservice = "github"\nauth = "oauth2"\ntoken_url = "{TOKEN_URL}"\n'
                               f'access_token = "{access}"\nrefresh_token = "{refresh}"\n')

    store = MemoryTokenStore()
    endpoint = TokenEndpoint((400, {"error": "invalid_grant"}))
    old = ConnectionRegistry.from_toml(registry_file("a-old", "r-old"), store, client=endpoint.client())
    assert old.get("c").refresh(None) is False
    again = ConnectionRegistry.from_toml(registry_file("a-old", "r-old"), store)
    assert again.get("c").status == "disconnected"  # the saved failure holds until re-authorized
    fresh = ConnectionRegistry.from_toml(registry_file("a-new", "r-new"), store).get("c")
    assert isinstance(fresh, OAuth2Connection)
    assert (fresh.status, fresh.access_token, fresh.refresh_token) == ("connected", "a-new", "r-new")


def test_file_token_store_refuses_to_overwrite_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("{not json")
    store = FileTokenStore(path)
    with pytest.raises(ValueError, match="not valid JSON"):
        store.save("a", {"access_token": "x"})
    assert path.read_text() == "{not json"
    assert FileTokenStore(tmp_path / "missing.json").load("a") is None


class CountingLock:
    """A lock that tells how many threads have come to take it, so a test can wait for the second."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.arrived = threading.Semaphore(0)

    def __enter__(self) -> None:
        self.arrived.release()
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def _race(work: Callable[[], Any]) -> Iterator[Any]:
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(work())) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive()
    return iter(results)


@pytest.mark.parametrize("how", ["authorize", "refresh"])
def test_two_threads_needing_a_refresh_at_once_post_once(how: str) -> None:
    lock = CountingLock()

    def hold_until_both_arrived() -> None:
        # the first thread is inside the token request; wait until the second has come to the lock
        assert lock.arrived.acquire(timeout=5) and lock.arrived.acquire(timeout=5)

    endpoint, clock = TokenEndpoint(gate=hold_until_both_arrived), Clock(T0 + timedelta(hours=2))
    connection = oauth(endpoint, clock)
    connection._lock = lock  # type: ignore[assignment]
    if how == "authorize":
        results = list(_race(lambda: connection.authorize(get(), None).headers["Authorization"]))
        assert results == ["Zoho-oauthtoken new-access-1"] * 2
    else:
        assert list(_race(lambda: connection.refresh(None))) == [True, True]
    assert len(endpoint.forms) == 1


def test_refreshes_one_after_another_each_post() -> None:
    endpoint = TokenEndpoint()
    connection = oauth(endpoint)
    assert connection.refresh(None) and connection.refresh(None)
    assert len(endpoint.forms) == 2


# ---------------------------------------------------------------------------------------------
# Masking and what is shown


def test_mask_plain_url_encoded_json_and_base64_forms() -> None:
    secret = "s3cr/et+va=lue&x\"y"
    raw = secret.encode()
    text = " | ".join([
        f"plain {secret}",
        f"url {quote(secret, safe='')}",
        f"url-lower {quote(secret, safe='').lower()}",
        f"json {json.dumps(secret)}",
        f"b64 {base64.b64encode(raw).decode()}",
        f"b64url {base64.urlsafe_b64encode(raw).decode().rstrip('=')}",
    ])
    masked = mask(text, [secret])
    assert "s3cr" not in masked and "czNjci" not in masked and "lue" not in masked
    assert masked.count(MASK) == 6


def test_mask_basic_header_and_userinfo_forms() -> None:
    connection = BasicConnection(name="erp", service="erp", user="bot", password="pw-123456")
    header = connection.authorize(get("https://erp.example.com/"), None).headers["Authorization"]
    text = f"sent {header} to https://bot:pw-123456@erp.example.com/"
    assert mask(text, connection.secrets()) == f"sent Basic {MASK} to https://{MASK}@erp.example.com/"


def test_short_secrets_are_not_masked() -> None:
    assert mask("the abc of it", ["abc", ""]) == "the abc of it"
    assert mask("the abcd of it", ["abcd"]) == f"the {MASK} of it"


def test_longer_secret_is_masked_whole_when_it_contains_a_shorter_one() -> None:
    assert mask("token=abcd-efgh-ijkl", ["abcd", "abcd-efgh-ijkl"]) == f"token={MASK}"


def test_mask_data_through_nested_values_keeps_types() -> None:
    secret = "tok-123456"
    data = {"headers": {"Authorization": f"Bearer {secret}", secret: "as key"},
            "list": TypedList([f"x{secret}y", "plain"], elem="text"),
            "tuple": (secret, 1), "bytes": secret.encode(), "n": 5, "none": None}
    masked = mask_data(data, [secret])
    assert masked["headers"] == {"Authorization": f"Bearer {MASK}", MASK: "as key"}
    assert isinstance(masked["list"], TypedList) and masked["list"].elem == "text"
    assert list(masked["list"]) == [f"x{MASK}y", "plain"]
    assert masked["tuple"] == (MASK, 1) and masked["bytes"] == MASK.encode()
    assert (masked["n"], masked["none"]) == (5, None)
    assert data["headers"]["Authorization"] == f"Bearer {secret}"  # the original is untouched


def test_repr_str_and_describe_leak_no_secret() -> None:
    registry = ConnectionRegistry.from_toml(SAMPLE, environ=SAMPLE_ENV)
    secrets = registry.secrets()
    assert len(secrets) >= 8
    shown = [repr(registry), str(registry)]
    for connection in registry:
        shown += [repr(connection), str(connection), json.dumps(connection.describe())]
    crm = registry.get("crm_main")
    assert crm.describe() == {
        "name": "crm_main", "service": "zohocrm", "auth": "oauth2",
        "scopes": ["ZohoCRM.modules.ALL", "ZohoSearch.securesearch.READ"],
        "hosts": ["www.zohoapis.com", "*.zohoapis.eu"], "status": "connected",
        "expires_at": "2026-11-22T10:00:00+00:00"}
    text = "\n".join(shown)
    for secret in secrets:
        assert secret not in text
        assert secret.split(":")[-1] not in text


def test_connection_base_is_usable_and_extensible() -> None:
    @attrs.define(kw_only=True, eq=False, repr=False)
    class Signed(Connection):
        auth_type = "signed"
        key: str

        def secrets(self) -> tuple[str, ...]:
            return (self.key,)

        def _add_credentials(self, request: httpx.Request, http: Any) -> httpx.Request:
            request.headers["X-Signature"] = f"sig({self.key})"
            return request

    connection = Signed(name="custom", service="mysvc", key="custom-key-1")
    assert connection.authorize(get("https://a.example/"), None).headers["X-Signature"] == "sig(custom-key-1)"
    assert connection.describe()["auth"] == "signed"
    assert "custom-key-1" not in repr(connection)
