"""The host's HTTP client against a real loopback server: invokeurl keys, redirects, limits, credentials.

Scripts run end to end through `deluge.run` with `HostHttp` as the host's `http`,
so what is asserted is what a Deluge script sees. The loopback server is let
through with `NetworkPolicy(allow=("127.0.0.1", "::1"))`; tests about refusals use
the default policy and prove that nothing was connected with a counting network
backend (`HostHttp.network`) and the server's own record of hits.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpcore
import httpx
import pytest
from _server import Server, self_signed, serve

import deluge
from deluge.capabilities import Grant
from deluge.errors import BudgetExceeded, ConsentRequired, DelugeRuntimeError
from deluge.host.connections import ConnectionRegistry, OAuth2Connection
from deluge.host.http import HostHttp, HttpResponse, host_allowed
from deluge.host.netpolicy import NetworkPolicy
from deluge.limits import Limits
from deluge.runtime.execution import Execution

LOOPBACK = NetworkPolicy(allow=("127.0.0.1", "::1"))
PUBLIC = "93.184.216.34"
"""A public-looking address test resolvers answer; `Backend` quietly connects it to the loopback server."""


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serve() as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(server: Server) -> None:
    server.reset()


class Backend(httpcore.NetworkBackend):
    """Counts connections; connects `PUBLIC` (and other mapped addresses) to the loopback server."""

    def __init__(self, redirect: dict[str, str] | None = None) -> None:
        self.inner = httpcore.SyncBackend()
        self.redirect = {PUBLIC: "127.0.0.1"} if redirect is None else redirect
        self.connects: list[tuple[str, int]] = []

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        self.connects.append((host, port))
        return self.inner.connect_tcp(self.redirect.get(host, host), port, timeout, local_address, socket_options)


class Resolver:
    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in self.answers:
            raise OSError("unknown host")
        return self.answers[host]


class FakeConnection:
    """The Connection interface of the brief, counting what the client asks of it."""

    def __init__(self, token: str = "stale-token", fresh: str = "fresh-token", name: str = "fake",
                 allowed_hosts: tuple[str, ...] = ()) -> None:
        self.name = name
        self.service = "custom"
        self.allowed_hosts = allowed_hosts
        self.token = token
        self.fresh = fresh
        self.authorized = 0
        self.refreshed = 0

    def authorize(self, request: httpx.Request, http: Any) -> httpx.Request:
        self.authorized += 1
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request

    def refresh(self, http: Any) -> bool:
        self.refreshed += 1
        self.token = self.fresh
        return True

    def secrets(self) -> tuple[str, ...]:
        return (self.token, self.fresh, "client-secret-xyz")


class Registry:
    def __init__(self, *connections: FakeConnection) -> None:
        self.by_name = {c.name: c for c in connections}

    def get(self, name: str) -> FakeConnection:
        if name not in self.by_name:
            raise DelugeRuntimeError(f"The connection '{name}' was not found")
        return self.by_name[name]


def client(policy: NetworkPolicy = LOOPBACK, connections: Any = None, **kw: Any) -> tuple[HostHttp, Backend]:
    http = HostHttp(policy, connections, **kw)
    backend = Backend()
    http.network = backend
    return http, backend


def run(server: Server, source: str, http: HostHttp, **kw: Any) -> deluge.Result:
    """Runs a script whose `@/path` stands for the loopback server's URL."""
    kw.setdefault("grant", "all")
    host = SimpleNamespace(http=http, tasks=None, mail=None)
    return deluge.run(source.replace("@/", server.url("/")), host=host, **kw)


def ok(result: deluge.Result) -> list[str]:
    assert result.error is None, result.error
    return result.output


def execution(**limits: Any) -> Execution:
    return Execution(limits=Limits(**limits), grant=Grant.everything())


# ------------------------------------------------------------------ requests


def test_get_with_parameters_goes_in_the_query(server: Server) -> None:
    http, backend = client()
    out = ok(run(server, """
        r = invokeurl [ url: "@/echo?keep=1" type: GET parameters: {"a": 1, "b": "x y", "c": true} ];
        info r.get("method");
        info r.get("query");
        info r.get("body");
    """, http))
    assert out == ["GET", "keep=1&a=1&b=x+y&c=true", ""]
    assert backend.connects == [("127.0.0.1", server.port)]


def test_post_map_parameters_are_a_form(server: Server) -> None:
    http, _ = client()
    out = ok(run(server, """
        r = invokeurl [ url: "@/echo" type: POST parameters: {"name": "Zoë", "n": 2} ];
        info r.get("form");
        info r.get("headers").get("content-type");
        info r.get("query");
    """, http))
    assert out == ['{"name":"Zoë","n":"2"}', "application/x-www-form-urlencoded", ""]


def test_json_bodies(server: Server) -> None:
    http, _ = client()
    out = ok(run(server, """
        a = invokeurl [ url: "@/echo" type: POST body: {"b": 1, "a": [true, null]} ];
        info a.get("body");
        info a.get("headers").get("content-type");
        b = invokeurl [ url: "@/echo" type: PUT parameters: {"k": "v"} content-type: "application/json" ];
        info b.get("method") + " " + b.get("body") + " " + b.get("headers").get("content-type");
        c = invokeurl [ url: "@/echo" type: PATCH parameters: {"k": "v"}
                        headers: {"Content-Type": "application/json"} ];
        info c.get("body");
        d = invokeurl [ url: "@/echo" type: POST body: {"k": "v"} content-type: "application/x-www-form-urlencoded" ];
        info d.get("body");
        e = invokeurl [ url: "@/echo" type: POST parameters: {"q": "1"} body: "<x/>" content-type: "application/xml" ];
        info e.get("query") + " " + e.get("body") + " " + e.get("headers").get("content-type");
    """, http))
    assert out == ['{"b":1,"a":[true,null]}', "application/json",
                   'PUT {"k":"v"} application/json', '{"k":"v"}', "k=v", "q=1 <x/> application/xml"]


def test_text_and_file_parameters_are_the_raw_body(server: Server) -> None:
    http, _ = client()
    out = ok(run(server, """
        r = invokeurl [ url: "@/echo" type: POST parameters: "plain words" ];
        info r.get("body") + " | " + r.get("headers").get("content-type");
        f = "file body".toFile("a.txt");
        s = invokeurl [ url: "@/echo" type: PUT parameters: f ];
        info s.get("body") + " | " + s.get("headers").get("content-type");
    """, http))
    assert out == ["plain words | text/plain; charset=utf-8", "file body | text/plain"]


def test_files_are_multipart(server: Server) -> None:
    http, _ = client()
    out = ok(run(server, """
        f = "hello file".toFile("note.txt");
        g = "{\\"k\\": 1}".toFile("data.json");
        both = List();
        both.add(f);
        both.add(g);
        r = invokeurl [ url: "@/multipart" type: POST parameters: {"title": "T", "n": 3} files: both ];
        info r.get("fields");
        for each part in r.get("files") {
            info part.get("field") + " " + part.get("filename") + " " + part.get("content");
        }
        one = invokeurl [ url: "@/multipart" type: POST files: f ];
        info one.get("files").size();
    """, http))
    assert out == ['{"title":"T","n":"3"}', "file note.txt hello file", 'file data.json {"k": 1}', "1"]


def test_headers_are_sent_as_text(server: Server) -> None:
    http, _ = client()
    out = ok(run(server, """
        r = invokeurl [ url: "@/echo" type: GET
                        headers: {"X-Num": 5, "X-Bool": true, "X-Text": "café", "User-Agent": "mine"} ];
        h = r.get("headers");
        info h.get("x-num") + "," + h.get("x-bool") + "," + h.get("user-agent");
    """, http))
    assert out == ["5,true,mine"]
    echoed = http.request(None, "GET", server.url("/echo"), headers={"X-Text": "café"}).json()
    assert echoed["headers"]["x-text"].encode("latin-1").decode("utf-8") == "café"


def test_responses_become_maps_lists_or_text(server: Server) -> None:
    http, _ = client()
    out = ok(run(server, """
        j = invokeurl [ url: "@/json" type: GET ];
        info j.keys();
        info j.get("big") + 1;
        l = invokeurl [ url: "@/list" type: GET ];
        info l.size();
        t = invokeurl [ url: "@/text" type: GET ];
        info t;
        info invokeurl [ url: "@/latin1" type: GET ];
        bad = invokeurl [ url: "@/latin1" type: GET response-decoding: "UTF-8" ];
        info bad.length();
        raw = invokeurl [ url: "@/json" type: GET response-format: TEXT ];
        info raw.startsWith("{");
        z = invokeurl [ url: "@/gzip" type: GET ];
        info z.get("packed");
    """.replace("info invokeurl [ url: \"@/latin1\" type: GET ];",
                "c = invokeurl [ url: \"@/latin1\" type: GET ];\n info c;"), http))
    assert out == ["zeta,alpha,mid,big", "12345678901235", "3", "hello, world", "café", "4", "true", "true"]


def test_response_format_file(server: Server) -> None:
    http, _ = client()
    out = ok(run(server, """
        f = invokeurl [ url: "@/file" type: GET response-format: FILE ];
        info f.getFileName();
        info f.getFileContent();
        g = invokeurl [ url: "@/text" type: GET response-format: FILE ];
        info g.getFileName();
    """, http))
    assert out == ["report.pdf", "%PDF-1.4 fake", "text"]


def test_response_format_json_refuses_other_bodies(server: Server) -> None:
    http, _ = client()
    result = run(server, 'r = invokeurl [ url: "@/text" type: GET response-format: JSON ];', http)
    assert result.error is not None and result.error.kind == "runtime"
    assert "not JSON" in result.error.message


def test_unsupported_content_encoding_is_a_runtime_error(server: Server) -> None:
    http, _ = client()
    result = run(server, 'r = invokeurl [ url: "@/brotli" type: GET ];', http)
    assert result.error is not None and result.error.kind == "runtime"
    assert "content encoding 'br'" in result.error.message


def test_detailed_and_non_2xx(server: Server) -> None:
    http, _ = client()
    out = ok(run(server, """
        d = invokeurl [ url: "@/status/404" type: GET detailed: true ];
        info d.get("responseCode");
        info d.get("responseHeader").get("content-type");
        info d.get("responseText").get("code");
        e = invokeurl [ url: "@/status/500" type: DELETE ];
        info e.get("code");
        g = getUrl("@/status/503", false);
        info g.get("responseCode");
        p = postUrl("@/echo", {"a": "b"});
        info p.get("method") + " " + p.get("body");
    """, http))
    assert out == ["404", "application/json", "404", "500", "503", "POST a=b"]


def test_request_api_for_tasks(server: Server) -> None:
    http, _ = client()
    ex = execution()
    answer = http.request(ex, "POST", server.url("/echo"), params={"q": "1"}, json={"b": 2, "a": 1})
    assert isinstance(answer, HttpResponse)
    echoed = answer.json()
    assert (answer.status, echoed["query"], echoed["body"]) == (200, "q=1", '{"b":2,"a":1}')
    assert echoed["headers"]["content-type"] == "application/json"
    form = http.request(None, "POST", server.url("/echo"), data={"grant_type": "refresh_token"}).json()
    assert form["form"] == {"grant_type": "refresh_token"}
    parts = http.request(None, "POST", server.url("/multipart"), data={"f": "v"},
                         files=[("upload", ("x.csv", b"a,b", "text/csv"))]).json()
    assert parts == {"fields": {"f": "v"}, "files": [{"field": "upload", "filename": "x.csv", "type": "text/csv",
                                                      "content": "a,b"}]}
    assert http.request(None, "GET", server.url("/text")).text() == "hello, world"
    assert http.request(None, "GET", server.url("/latin1")).text() == "café"


def test_environment_proxies_are_ignored(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://10.255.255.1:9")
    http, backend = client()
    assert http.request(None, "GET", server.url("/text")).text() == "hello, world"
    assert backend.connects == [("127.0.0.1", server.port)]


# ------------------------------------------------------------------ timeouts and limits


def test_a_slow_server_is_a_catchable_runtime_error(server: Server) -> None:
    http, _ = client(attrs_evolve(LOOPBACK, total_timeout=0.3))
    started = time.monotonic()
    out = ok(run(server, """
        try {
            r = invokeurl [ url: "@/slow?s=3" type: GET ];
            info "answered";
        } catch (e) {
            info "caught: " + e;
        }
    """, http))
    assert len(out) == 1 and out[0].startswith("caught: ") and "request timed out" in out[0]
    assert time.monotonic() - started < 1.5


def test_the_timeout_key_shortens_the_wait(server: Server) -> None:
    http, _ = client()
    started = time.monotonic()
    result = run(server, 'r = invokeurl [ url: "@/slow?s=4" type: GET timeout: 1 ];', http)
    elapsed = time.monotonic() - started
    assert result.error is not None and result.error.kind == "runtime"
    assert "request timed out" in result.error.message
    assert 0.9 < elapsed < 2.5
    bad = run(server, 'r = invokeurl [ url: "@/text" type: GET timeout: 0 ];', http)
    assert bad.error is not None and "timeout must be a whole number" in bad.error.message


def test_a_dripping_server_cannot_stretch_the_request(server: Server) -> None:
    http, _ = client(attrs_evolve(LOOPBACK, total_timeout=0.5))
    started = time.monotonic()
    with pytest.raises(DelugeRuntimeError, match="request timed out"):
        http.request(execution(), "GET", server.url("/drip?s=3"))
    assert time.monotonic() - started < 1.2


def test_the_runs_wall_time_is_a_budget_error(server: Server) -> None:
    http, _ = client()
    started = time.monotonic()
    result = run(server, """
        try { r = invokeurl [ url: "@/slow?s=4" type: GET ]; } catch (e) { info "caught"; }
    """, http, limits=Limits(wall_time=1.0))
    assert result.error is not None and result.error.kind == "budget"
    assert isinstance(result.error, BudgetExceeded) and result.error.limit == "wall_time"
    assert result.output == []
    assert time.monotonic() - started < 2.0


def test_a_cancelled_run_stops_waiting(server: Server) -> None:
    http, _ = client()
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    result = run(server, 'r = invokeurl [ url: "@/slow?s=4" type: GET ];', http, cancel=cancel)
    assert isinstance(result.error, BudgetExceeded) and result.error.limit == "cancelled"
    assert time.monotonic() - started < 1.5


def test_connect_timeouts_are_runtime_errors(server: Server) -> None:
    class Hanging(httpcore.NetworkBackend):
        def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
            raise httpcore.ConnectTimeout("timed out")

    http = HostHttp(LOOPBACK)
    http.network = Hanging()
    with pytest.raises(DelugeRuntimeError, match=r"request timed out: could not connect to 127\.0\.0\.1 within 5 s"):
        http.request(None, "GET", server.url("/text"))


def test_a_response_over_the_limit_is_a_budget_error(server: Server) -> None:
    http, _ = client()
    result = run(server, 'r = invokeurl [ url: "@/big?n=5000" type: GET ];', http,
                 limits=Limits(response_bytes=1000))
    assert isinstance(result.error, BudgetExceeded) and result.error.limit == "response_bytes"
    assert ok(run(server, 'r = invokeurl [ url: "@/big?n=1000" type: GET ]; info r.length();', http,
                  limits=Limits(response_bytes=1000))) == ["1000"]


def test_a_compression_bomb_stops_at_the_limit(server: Server) -> None:
    http, _ = client()
    started = time.monotonic()
    with pytest.raises(BudgetExceeded) as caught:
        http.request(execution(response_bytes=100_000), "GET", server.url("/bomb?n=20000000"))
    assert caught.value.limit == "response_bytes"
    assert time.monotonic() - started < 3


def test_oversize_requests_are_refused_before_sending(server: Server) -> None:
    http, backend = client(attrs_evolve(LOOPBACK, max_body=100))
    body = run(server, 'r = invokeurl [ url: "@/echo" type: POST parameters: "' + "x" * 101 + '" ];', http)
    assert body.error is not None and body.error.kind == "runtime"
    assert "request body of 101 bytes is larger than the limit of 100" in body.error.message
    long_url = run(server, 'p = Map(); p.put("q", "' + "y" * 2100 + '"); r = invokeurl [ url: "@/echo" '
                   'type: GET parameters: p ];', http)
    assert long_url.error is not None and "longer than 2048 characters" in long_url.error.message
    many = {f"X-{i}": "v" for i in range(51)}
    with pytest.raises(DelugeRuntimeError, match="51 headers"):
        http.request(None, "GET", server.url("/echo"), headers=many)
    with pytest.raises(DelugeRuntimeError, match="at most 8192"):
        http.request(None, "GET", server.url("/echo"), headers={"X-Big": "v" * 9000})
    assert backend.connects == [] and server.hits == []


def test_header_injection_is_refused(server: Server) -> None:
    http, backend = client()
    result = run(server, 'r = invokeurl [ url: "@/echo" type: GET headers: {"X-A": "a\\r\\nX-Injected: 1"} ];',
                 http)
    assert result.error is not None and result.error.kind == "runtime"
    assert "carriage return" in result.error.message
    for name, value in (("X-A\r\nX-B", "v"), ("X-A", "v\nX-B: w"), ("X-A", "v\x00"), ("Bad Name", "v")):
        with pytest.raises(DelugeRuntimeError):
            http.request(None, "GET", server.url("/echo"), headers={name: value})
    for name in ("Host", "Content-Length", "Transfer-Encoding", "Proxy-Authorization"):
        with pytest.raises(DelugeRuntimeError, match="cannot be set by a script"):
            http.request(None, "GET", server.url("/echo"), headers={name: "x"})
    assert backend.connects == [] and server.hits == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/file", "gopher://example.com/"])
def test_other_schemes_are_refused(server: Server, url: str) -> None:
    http, backend = client()
    with pytest.raises(DelugeRuntimeError, match=r"scheme '\w+' is not allowed"):
        http.request(None, "GET", url)
    result = run(server, f'r = invokeurl [ url: "{url}" type: GET ];', http)
    assert result.error is not None and result.error.kind == "runtime"
    assert backend.connects == []


# ------------------------------------------------------------------ the network policy, end to end


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:{port}/echo",
    "http://[::1]:{port}/echo",
    "http://0x7f000001:{port}/echo",
    "http://2130706433:{port}/echo",
    "http://017700000001:{port}/echo",
    "http://127.1:{port}/echo",
    "http://localhost.:{port}/echo",
    "http://api.localhost:{port}/echo",
    "http://[::ffff:127.0.0.1]:{port}/echo",
    "http://169.254.169.254/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://10.0.0.1/",
    "http://inside.test:{port}/echo",
])
def test_internal_addresses_are_refused_before_connecting(server: Server, url: str) -> None:
    resolver = Resolver({"inside.test": [PUBLIC, "10.9.8.7"]})
    http, backend = client(NetworkPolicy(resolver=resolver))
    result = run(server, f'r = invokeurl [ url: "{url.format(port=server.port)}" type: GET ];', http)
    assert result.error is not None and result.error.kind == "runtime", result.error
    assert "was refused" in result.error.message
    assert backend.connects == [] and server.hits == []


def test_a_name_resolving_to_a_private_address_is_refused(server: Server) -> None:
    resolver = Resolver({"intranet.test": ["192.168.1.20"]})
    http, backend = client(NetworkPolicy(resolver=resolver))
    with pytest.raises(DelugeRuntimeError, match=r"192\.168\.1\.20 \('intranet.test' resolves to it\) is private"):
        http.request(execution(), "GET", f"http://intranet.test:{server.port}/echo")
    assert resolver.calls == ["intranet.test"]
    assert backend.connects == [] and server.hits == []


def test_no_dns_rebinding(server: Server) -> None:
    answers = iter([[PUBLIC], ["127.0.0.1"], ["127.0.0.1"]])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    http, backend = client(NetworkPolicy(resolver=rebinding))
    response = http.request(execution(), "GET", f"http://rebind.test:{server.port}/echo")
    assert calls == ["rebind.test"]                      # resolved once...
    assert backend.connects == [(PUBLIC, server.port)]   # ...and connected to the checked answer
    assert response.json()["headers"]["host"] == f"rebind.test:{server.port}"

    # A redirect is resolved again; now the name says 127.0.0.1, which is refused before connecting.
    answers = iter([[PUBLIC], ["127.0.0.1"]])
    calls.clear()
    backend.connects.clear()
    server.reset()
    with pytest.raises(DelugeRuntimeError, match=r"127\.0\.0\.1 \('rebind\.test' resolves to it\) is loopback"):
        http.request(execution(), "GET", f"http://rebind.test:{server.port}/go?to=/echo")
    assert calls == ["rebind.test", "rebind.test"]
    assert backend.connects == [(PUBLIC, server.port)]
    assert server.hits == [("GET", "/go")]


def test_tls_checks_the_name_while_connecting_to_the_pinned_address(tmp_path: Path) -> None:
    files = self_signed(tmp_path, "secure.test")
    if files is None:
        pytest.skip("no openssl command to make a certificate with")
    with serve(tls=files) as secure:
        resolver = Resolver({"secure.test": [PUBLIC], "wrong.test": [PUBLIC]})
        http, backend = client(NetworkPolicy(resolver=resolver))
        http.tls = ssl.create_default_context(cafile=files[0])
        echoed = http.request(None, "GET", f"https://secure.test:{secure.port}/echo").json()
        assert echoed["headers"]["host"] == f"secure.test:{secure.port}"
        assert backend.connects == [(PUBLIC, secure.port)]
        with pytest.raises(DelugeRuntimeError, match=r"failed: ConnectError: .*certificate"):
            http.request(None, "GET", f"https://wrong.test:{secure.port}/echo")  # the certificate names secure.test
        default, _ = client(NetworkPolicy(resolver=resolver))
        with pytest.raises(DelugeRuntimeError, match="certificate verify failed"):
            default.request(None, "GET", f"https://secure.test:{secure.port}/echo")  # self-signed: not trusted
        assert secure.hits == [("GET", "/echo")]


def test_a_replay_transport_skips_address_checks_only() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"replayed": True})

    class Replay(httpx.MockTransport):
        replay = True

    replay = HostHttp(transport=Replay(answer))
    assert replay.request(None, "GET", "http://10.0.0.1/x").json() == {"replayed": True}
    with pytest.raises(DelugeRuntimeError, match="scheme 'ftp'"):
        replay.request(None, "GET", "ftp://10.0.0.1/x")
    live = HostHttp(transport=httpx.MockTransport(answer))
    with pytest.raises(DelugeRuntimeError, match="is private"):
        live.request(None, "GET", "http://10.0.0.1/x")
    assert seen == ["http://10.0.0.1/x"]


# ------------------------------------------------------------------ redirects


def test_redirects_are_followed_and_capped(server: Server) -> None:
    http, _ = client(attrs_evolve(LOOPBACK, max_redirects=2))
    response = http.request(None, "GET", server.url("/redirect/1"))
    assert response.url == server.url("/echo") and response.json()["path"] == "/echo"
    assert server.hits == [("GET", "/redirect/1"), ("GET", "/redirect/0"), ("GET", "/echo")]
    server.reset()
    with pytest.raises(DelugeRuntimeError, match="redirected more than 2 times"):
        http.request(None, "GET", server.url("/redirect/2"))
    assert len(server.hits) == 3
    default, _ = client()
    out = ok(run(server, 'r = invokeurl [ url: "@/redirect/4" type: GET ]; info r.get("path");', default))
    assert out == ["/echo"]
    capped = run(server, 'r = invokeurl [ url: "@/redirect/5" type: GET ];', default)
    assert capped.error is not None and "more than 5 times" in capped.error.message


@pytest.mark.parametrize(("method", "code", "expected"), [
    ("POST", 301, ("GET", "")), ("POST", 302, ("GET", "")), ("POST", 303, ("GET", "")),
    ("PUT", 303, ("GET", "")), ("PUT", 302, ("PUT", "a=1")),
    ("POST", 307, ("POST", "a=1")), ("POST", 308, ("POST", "a=1")),
])
def test_redirect_methods(server: Server, method: str, code: int, expected: tuple[str, str]) -> None:
    http, _ = client()
    echoed = http.request(None, method, server.url(f"/go?to=/echo&code={code}"), data={"a": "1"}).json()
    assert (echoed["method"], echoed["body"]) == expected
    if expected[0] == "GET":
        assert "content-type" not in echoed["headers"]


def test_a_redirect_to_an_internal_address_is_refused(server: Server) -> None:
    resolver = Resolver({"public.test": [PUBLIC]})
    http, backend = client(NetworkPolicy(resolver=resolver))
    for to in (f"http://127.0.0.1:{server.port}/echo", "http://10.0.0.1/", "http://169.254.169.254/",
               f"http://localhost:{server.port}/echo"):
        server.reset()
        backend.connects.clear()
        result = run(server, f'r = invokeurl [ url: "http://public.test:{server.port}/go?to={to}" type: GET ];',
                     http)
        assert result.error is not None and result.error.kind == "runtime"
        assert "was refused" in result.error.message
        assert server.hits == [("GET", "/go")]
        assert backend.connects == [(PUBLIC, server.port)]


def test_a_redirect_needs_the_grant_for_its_host(server: Server) -> None:
    resolver = Resolver({"public.test": [PUBLIC], "other.test": [PUBLIC]})
    http, backend = client(NetworkPolicy(resolver=resolver))
    source = f'r = invokeurl [ url: "http://public.test:{server.port}/go?to=http://other.test:{server.port}/echo" ];'
    result = run(server, source, http, grant=[f"api:public.test:{server.port}"])
    assert isinstance(result.error, ConsentRequired)
    assert result.error.capability == f"api:other.test:{server.port}"
    assert resolver.calls == ["public.test"] and len(backend.connects) == 1
    same = run(server, f'r = invokeurl [ url: "http://public.test:{server.port}/go?to=/echo" ]; info r.get("path");',
               http, grant=[f"api:public.test:{server.port}"])
    assert ok(same) == ["/echo"]


def test_credentials_stay_with_their_origin(server: Server) -> None:
    resolver = Resolver({"public.test": [PUBLIC], "other.test": [PUBLIC]})
    conn = FakeConnection(token="fresh-token")
    http, _ = client(NetworkPolicy(resolver=resolver), Registry(conn))
    base = f"http://public.test:{server.port}"
    same = http.request(None, "GET", f"{base}/go?to=/auth-echo", connection="fake").json()
    assert same["authorization"] == "Bearer ****"
    other = http.request(None, "GET", f"{base}/go?to=http://other.test:{server.port}/auth-echo",
                         connection="fake").json()
    assert other["authorization"] == ""
    mine = http.request(None, "GET", f"{base}/go?to=http://other.test:{server.port}/auth-echo",
                        headers={"Authorization": "Bearer mine"}).json()
    assert mine["authorization"] == ""
    kept = http.request(None, "GET", f"{base}/go?to=/auth-echo", headers={"Authorization": "Bearer mine"}).json()
    assert kept["authorization"] == "Bearer mine"
    listed = FakeConnection(token="fresh-token", name="listed", allowed_hosts=("public.test", "other.test"))
    http.connections = Registry(listed)
    again = http.request(None, "GET", f"{base}/go?to=http://other.test:{server.port}/auth-echo",
                         connection="listed").json()
    assert again["authorization"] == "Bearer ****"


# ------------------------------------------------------------------ connections


def test_a_401_refreshes_once_and_retries_once(server: Server) -> None:
    conn = FakeConnection()
    http, _ = client(connections=Registry(conn))
    out = ok(run(server, 'r = invokeurl [ url: "@/protected" type: GET connection: "fake" ]; info r;', http))
    assert out == ['{"ok":true,"seen":"Bearer ****"}']
    assert conn.refreshed == 1 and conn.authorized == 2
    assert server.hits == [("GET", "/protected"), ("GET", "/protected")]


def test_a_refresh_that_does_not_help_returns_the_401(server: Server) -> None:
    conn = FakeConnection(fresh="still-wrong")
    http, _ = client(connections=Registry(conn))
    out = ok(run(server, """
        r = invokeurl [ url: "@/protected" type: GET connection: "fake" detailed: true ];
        info r.get("responseCode");
        info r.get("responseText");
    """, http))
    assert out == ["401", '{"code":"INVALID_TOKEN","seen":"Bearer ****"}']
    assert conn.refreshed == 1 and len(server.hits) == 2


def test_no_refresh_without_a_connection(server: Server) -> None:
    http, _ = client()
    response = http.request(None, "GET", server.url("/protected"))
    assert response.status == 401 and len(server.hits) == 1


def test_secrets_never_reach_the_script(server: Server) -> None:
    secret = "s3cr3t-T0ken/with+chars"
    conn = FakeConnection(token=secret, fresh=secret)
    http, _ = client(connections=Registry(conn))
    result = run(server, """
        r = invokeurl [ url: "@/auth-echo" type: GET connection: "fake" detailed: true ];
        info r;
        info r.get("responseHeader").get("x-echo-auth");
        info r.get("responseText").get("authorization");
    """, http)
    out = ok(result)
    joined = "\n".join(out)
    assert secret not in joined and "s3cr3t" not in joined
    assert out[1] == "Bearer ****" and out[2] == "Bearer ****"
    grant = [f"api:127.0.0.1:{server.port}", "connection:fake"]
    leak = server.url("/go?to=http://elsewhere.test/cb?t=") + secret.replace("/", "%2F").replace("+", "%2B")
    denied = run(server, f'r = invokeurl [ url: "{leak}" type: GET connection: "fake" ];', http, grant=grant)
    assert isinstance(denied.error, ConsentRequired)
    assert "****" in denied.error.message and "s3cr3t" not in str(denied.error)


def test_a_real_oauth2_connection_refreshes_through_the_host(server: Server) -> None:
    conn = OAuth2Connection(name="svc", service="custom", access_token="old-token-abc",
                            refresh_token="refresh-xyz-123", token_url=server.url("/token"), client_id="cid",
                            client_secret="csecret-123", allowed_hosts=("127.0.0.1",))
    http, backend = client(connections=ConnectionRegistry([conn]))
    out = ok(run(server, 'r = invokeurl [ url: "@/protected" type: GET connection: "svc" ]; info r;', http))
    assert out == ['{"ok":true,"seen":"Bearer ****"}']
    assert server.hits == [("GET", "/protected"), ("POST", "/token"), ("GET", "/protected")]
    assert server.tokens == [{"grant_type": "refresh_token", "refresh_token": "refresh-xyz-123",
                              "client_id": "cid", "client_secret": "csecret-123"}]
    assert conn.access_token == "fresh-token" and conn.status == "connected"
    assert len(backend.connects) == 2  # the retry reuses the first connection; the token call has its own


def test_an_oauth2_token_endpoint_is_held_to_the_policy(server: Server) -> None:
    conn = OAuth2Connection(name="svc", service="custom", access_token="old-token-abc",
                            refresh_token="refresh-xyz-123", token_url="http://10.0.0.1/token", client_id="cid",
                            client_secret="csecret-123")
    http, backend = client(connections=ConnectionRegistry([conn]))
    out = ok(run(server, 'r = invokeurl [ url: "@/protected" type: GET connection: "svc" ]; info r.get("code");',
                 http))
    assert out == ["INVALID_TOKEN"]
    assert conn.status == "disconnected" and "10.0.0.1" in conn.last_error
    assert server.hits == [("GET", "/protected")] and len(backend.connects) == 1


def test_connection_lookup_and_allowed_hosts(server: Server) -> None:
    narrow = FakeConnection(name="narrow", allowed_hosts=("api.example.com", "*.zoho.com"))
    http, backend = client(connections=Registry(narrow))
    wrong = run(server, 'r = invokeurl [ url: "@/echo" connection: "narrow" ];', http)
    assert wrong.error is not None and wrong.error.kind == "runtime"
    assert "cannot be used with the host 127.0.0.1" in wrong.error.message
    missing = run(server, 'r = invokeurl [ url: "@/echo" connection: "nope" ];', http)
    assert missing.error is not None and "not found" in missing.error.message
    bare, _ = client()
    none = run(server, 'r = invokeurl [ url: "@/echo" connection: "fake" ];', bare)
    assert none.error is not None and "not found" in none.error.message
    assert narrow.authorized == 0 and backend.connects == [] and server.hits == []


def test_allowed_host_patterns() -> None:
    assert host_allowed("api.example.com", 443, ["API.example.com"])
    assert host_allowed("www.zohoapis.com", 443, ["*.zohoapis.com"])
    assert not host_allowed("zohoapis.com", 443, ["*.zohoapis.com"])
    assert host_allowed("zohoapis.com", 443, [".zohoapis.com"])
    assert not host_allowed("evilzohoapis.com", 443, ["*.zohoapis.com", ".zohoapis.com"])
    assert host_allowed("h.test", 8443, ["h.test:8443"]) and not host_allowed("h.test", 443, ["h.test:8443"])


def attrs_evolve(policy: NetworkPolicy, **changes: Any) -> NetworkPolicy:
    import attrs

    return attrs.evolve(policy, **changes)
