"""The host's one outbound HTTP path: `HostHttp.request` (for tasks) and `HostHttp.invokeurl` (for scripts).

Everything a script sends goes through `request`, which applies D47 before any
byte leaves: URL shape and scheme, the run's grant (for redirect targets; the
first URL was checked by `deluge.runtime.network`), the connection's allowed
hosts, DNS resolution and the address class of every resolved address
(`deluge.host.netpolicy`). Failures are `runtime` errors whose message names the
reason; nothing is connected.

No DNS-rebinding gap. A name is resolved once per hop, every answer is checked,
and the connection is made to a checked answer. This is done one level below
httpx: each call gets its own httpcore connection pool whose network backend
(`_PinnedBackend`) is given the checked addresses; its `connect_tcp(host, port)`
ignores what DNS would say now and connects to the pinned addresses of that
(host, port), and refuses a host it was not given. The URL keeps the name, so
the Host header, TLS SNI and certificate checks all use the name, as they must;
rewriting the URL to the IP would have broken them. The backend also enforces
the whole-request deadline on every socket operation (a server that drips one
byte at a time cannot stretch a request past it) and lets a cancelled run stop
waiting within a quarter of a second. No `httpx.Client` is involved: requests go
straight to the transport, so proxy variables of the environment, cookie jars and
automatic redirects never apply.

A `transport` given to `HostHttp` (tests, cassettes) replaces the pinned one, or,
when it has a `wrap(inner)` method (a cassette recorder), wraps each call's pinned
transport, so recording keeps the address pinning; the policy checks, resolution
included, still run on every URL unless the transport has a true `replay` attribute
(a cassette that never touches the network opts out of resolution and address
checks that way, and only of those).

Redirects are followed by hand, at most `policy.max_redirects`; each target goes
through the checks again, including `ex.require(api_capability(url))` when it
names another host or port than the first URL. 301 and 302 turn a POST into a
GET and 303 turns everything but HEAD into a GET, as browsers do; 307 and 308
keep the method and body. Credentials of a connection are only sent to the
first URL's origin, or to a host its `allowed_hosts` names explicitly (never
over a downgrade to http); a script's own Authorization, Cookie and
Proxy-Authorization headers are dropped on a redirect to another origin.

Timeouts: connect 5 s, whole call 10 s (redirects and the retry after a token
refresh included), each also capped by the run's `Limits` (`http_connect_timeout`,
`http_timeout`), by the script's `timeout` key, and by the run's remaining wall
time. A timeout is the runtime error "The request timed out ..." unless the run's
wall time is what ran out (budget error `wall_time`) or the run was cancelled.

Responses are streamed and decompressed here (identity, gzip, deflate; anything
else is refused) with the output bounded at `ex.limits.response_bytes`, so a
compression bomb never expands past the limit; a bigger body is the budget error
`response_bytes`. A 401 on a request that carried a connection's credentials
makes `connection.refresh(self)` run once and, when it got a new token, the
request is sent once more (the 401's body is what comes back when the refresh
fails). Every secret of the connection (`connection.secrets()`, read after the
call so a refreshed token counts) is replaced by `****` in the body, headers and
URL handed back and in any error message (`deluge.host.connections.mask`, which
also catches the URL-encoded, JSON-escaped and base64 forms).

invokeurl (LANGUAGE.md 5.11, PLATFORM.md 5.6) maps the script's keys onto
`request`; the decisions the specification leaves open:
- `parameters` as a map is the query string for GET and DELETE (Zoho sends GET
  parameters in the query) and the body for POST, PUT and PATCH: form-encoded,
  or JSON when the content type (the `content-type` key or a Content-Type
  header) is a JSON type. When `body` is also given, a `parameters` map goes
  to the query string whatever the method. As text it is the raw body
  (`text/plain; charset=utf-8` unless told otherwise), as a FILE the file's bytes
  with its content type, for every method.
- `body` as a map is JSON text with `application/json`, or form-encoded when the
  content type says `application/x-www-form-urlencoded`; as text the raw body.
- `files` (a FILE or a list of FILEs) makes a multipart body: each file is a part
  named by the file's `param_name` attribute when it has one, else `file`;
  `parameters` map entries become text fields; `body` cannot be combined with it.
- Map values, header values and form fields are sent as their Deluge text
  (`render`; null is empty text).
- `response-format`: TEXT (never parsed), JSON (parsed, a runtime error if the
  body is not JSON) or FILE (a FILE named by Content-Disposition or the URL's
  last path segment); without it a JSON object or array becomes a map or list
  and anything else is text. `response-decoding` names the character set;
  otherwise the response's charset, else UTF-8 (bad bytes become U+FFFD).
- `timeout` (D53): whole seconds above 0, capped by the limits above.
- Response header names are given in lower case (as HTTP/2 sends them); a
  header sent several times has its values joined with ", ".
- A script may not set Host, Content-Length, Transfer-Encoding, TE, Trailer,
  Upgrade, Expect or Proxy-* headers (the host writes them; set by a script they
  could retarget or smuggle a request); URLs with a user name or password are
  refused (`netpolicy`), so `http://good@evil/` cannot mislead a reader.
"""

from __future__ import annotations

import codecs
import email.message
import json
import math
import posixpath
import re
import ssl
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import attrs
import httpcore
import httpx

from deluge.errors import BudgetExceeded, DelugeError, DelugeRuntimeError
from deluge.host.connections import ConnectionRegistry, mask, mask_data
from deluge.host.netpolicy import LookupFailed, NetworkPolicy, NetworkRefused, Target, check_header
from deluge.limits import DEFAULT_LIMITS
from deluge.runtime.render import render, to_json
from deluge.runtime.values import Blank, DFile, type_name

SLICE = 0.25
"""Longest single wait on a socket: how soon a cancelled run stops waiting for a server."""
REDIRECTS = (301, 302, 303, 307, 308)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
FORBIDDEN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "te", "trailer", "upgrade",
                               "expect"})
"""Headers the host writes itself: a script setting them could smuggle a second request or retarget one."""
CROSS_ORIGIN_DROP = frozenset({"authorization", "cookie", "proxy-authorization"})


# ------------------------------------------------------------------ the response


@attrs.frozen
class HttpResponse:
    """A response as the host hands it on: body read and decompressed, secrets masked."""

    status: int
    headers: dict[str, str]
    body: bytes
    url: str
    """The URL of the response, after redirects."""

    def charset(self) -> str | None:
        return _charset(self.headers.get("content-type", ""))

    def text(self, encoding: str | None = None) -> str:
        """The body as text: `encoding`, else the response's charset, else UTF-8 (bad bytes become U+FFFD)."""
        if encoding is None:
            encoding = self.charset() or "utf-8"
            try:
                codecs.lookup(encoding)
            except LookupError:
                encoding = "utf-8"
        return self.body.decode(encoding, "replace")

    def json(self) -> Any:
        return json.loads(self.text())


def _charset(content_type: str) -> str | None:
    message = email.message.Message()
    message["content-type"] = content_type
    value = message.get_param("charset")
    return value.strip() if isinstance(value, str) and value.strip() else None


# ------------------------------------------------------------------ masking


def mask_text(text: str, secrets: tuple[str, ...]) -> str:
    return mask(text, secrets) if secrets and text else text


def mask_bytes(data: bytes, secrets: tuple[str, ...]) -> bytes:
    return mask_data(data, secrets) if secrets and data else data  # type: ignore[no-any-return]


# ------------------------------------------------------------------ pinned connections


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every wait ends by the call's deadline (and sooner once the run stops)."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float, stopped: Callable[[], bool]) -> None:
        self._inner = inner
        self._deadline = deadline
        self._stopped = stopped

    def _left(self, error: type[Exception]) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0 or self._stopped():
            raise error("the request's time ran out")
        return left

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        started = time.monotonic()
        while True:
            left = self._left(httpcore.ReadTimeout)
            if timeout is not None:
                left = min(left, started + timeout - time.monotonic())
                if left <= 0:
                    raise httpcore.ReadTimeout("the read timed out")
            try:
                return self._inner.read(max_bytes, min(left, SLICE))
            except httpcore.ReadTimeout:
                if left <= SLICE:
                    raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        left = self._left(httpcore.WriteTimeout)
        self._inner.write(buffer, left if timeout is None else min(left, timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        left = self._left(httpcore.ConnectTimeout)
        inner = self._inner.start_tls(ssl_context, server_hostname, left if timeout is None else min(left, timeout))
        return _DeadlineStream(inner, self._deadline, self._stopped)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects to the checked addresses of a (host, port), never to what DNS answers later."""

    def __init__(self, inner: httpcore.NetworkBackend, deadline: float, stopped: Callable[[], bool]) -> None:
        self.inner = inner
        self.deadline = deadline
        self.stopped = stopped
        self.pins: dict[tuple[str, int], tuple[str, ...]] = {}

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        addresses = self.pins.get((host.lower(), port))
        if not addresses:
            raise httpcore.ConnectError(f"the address of {host}:{port} was not checked")
        error: Exception = httpcore.ConnectError(f"no address of {host} answered")
        for address in addresses:
            left = self.deadline - time.monotonic()
            if left <= 0 or self.stopped():
                raise httpcore.ConnectTimeout("the request's time ran out")
            wait = left if timeout is None else min(left, timeout)
            try:
                stream = self.inner.connect_tcp(address, port, timeout=wait, local_address=local_address,
                                                socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
                continue
            except OSError as exc:
                error = httpcore.ConnectError(str(exc) or type(exc).__name__)
                continue
            return _DeadlineStream(stream, self.deadline, self.stopped)
        raise error

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not reachable")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class _PinnedTransport(httpx.HTTPTransport):
    """httpx's own transport (request and exception mapping) over a pool that uses `_PinnedBackend`."""

    def __init__(self, ssl_context: ssl.SSLContext, backend: _PinnedBackend) -> None:
        super().__init__(verify=ssl_context, trust_env=False, retries=0)
        self._pool.close()
        self._pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=backend, retries=0,
                                             max_connections=4)


# ------------------------------------------------------------------ bounded decompression


class _Inflater:
    """Content-Encoding decoding whose output never runs more than one byte past the room left."""

    def __init__(self, encoding: str) -> None:
        name = encoding.strip().lower()
        self.deflate = name == "deflate"
        self.started = False
        if name in ("", "identity"):
            self.z: Any = None
        elif name in ("gzip", "x-gzip"):
            self.z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.deflate:
            self.z = zlib.decompressobj()
        else:
            raise DelugeRuntimeError(f"The response uses the content encoding '{encoding}', which is not supported")

    def feed(self, data: bytes, room: int) -> bytes:
        if self.z is None:
            return data
        try:
            out: bytes = self.z.decompress(data, room + 1)
        except zlib.error:
            if not (self.deflate and not self.started):
                raise DelugeRuntimeError("The response body could not be decompressed") from None
            self.z = zlib.decompressobj(-zlib.MAX_WBITS)  # "deflate" sent without its zlib header
            try:
                out = self.z.decompress(data, room + 1)
            except zlib.error:
                raise DelugeRuntimeError("The response body could not be decompressed") from None
        self.started = True
        return out

    def flush(self) -> bytes:
        return self.z.flush() if self.z is not None else b""  # type: ignore[no-any-return]


# ------------------------------------------------------------------ one call


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def host_allowed(host: str, port: int, patterns: Iterable[str]) -> bool:
    """Whether `host:port` is one a connection's `allowed_hosts` names.

    An entry is a host ("api.example.com"), "*.example.com" (any subdomain),
    ".example.com" (the domain and its subdomains), each optionally with ":port".
    """
    for raw in patterns:
        pattern = raw.strip().lower()
        want_port: int | None = None
        head, sep, tail = pattern.rpartition(":")
        if sep and tail.isdigit() and (not head.count(":") or head.endswith("]")):
            pattern, want_port = head, int(tail)
        pattern = pattern.strip("[]").rstrip(".")
        if want_port is not None and want_port != port:
            continue
        name = host.rstrip(".")
        if pattern.startswith("*."):
            if name.endswith(pattern[1:]) and name != pattern[2:]:
                return True
        elif pattern.startswith("."):
            if name == pattern[1:] or name.endswith(pattern):
                return True
        elif name == pattern:
            return True
    return False


def connection_allows(conn: Any, host: str, port: int) -> bool:
    """The connection's own `allows_host` when it has one, else `host_allowed` on its `allowed_hosts`."""
    allows = getattr(conn, "allows_host", None)
    if callable(allows):
        return bool(allows(host))
    allowed = tuple(getattr(conn, "allowed_hosts", ()) or ())
    return not allowed or host_allowed(host, port, allowed)


class _Call:
    """The state of one `HostHttp.request`: deadline, pins, transport, connection."""

    def __init__(self, http: HostHttp, ex: Any, conn: Any, timeout: float | None) -> None:
        self.http = http
        self.policy = http.policy
        self.ex = ex
        self.conn = conn
        limits = ex.limits if ex is not None else DEFAULT_LIMITS
        total = min(self.policy.total_timeout, limits.http_timeout, math.inf if timeout is None else timeout)
        self.total = total
        self.connect_timeout = min(self.policy.connect_timeout, limits.http_connect_timeout, total)
        self.deadline = time.monotonic() + total
        self.run_bound = ex is not None and ex.deadline <= self.deadline
        if self.run_bound:
            self.deadline = ex.deadline
        self.response_limit: int = limits.response_bytes
        self.backend = _PinnedBackend(http.network, self.deadline, self.stopped)
        given = http.transport
        wrap = getattr(given, "wrap", None)
        if given is None:
            self.transport: httpx.BaseTransport = _PinnedTransport(http.ssl_context(), self.backend)
        elif wrap is not None:  # a recorder around this call's own pinned transport
            self.transport = wrap(_PinnedTransport(http.ssl_context(), self.backend))
        else:
            self.transport = given
        self.own_transport = self.transport is not given
        self.checks_addresses = not getattr(given, "replay", False)
        self.first: httpx.URL | None = None

    def stopped(self) -> bool:
        ex = self.ex
        if ex is None:
            return False
        return bool(ex.cancelled or (ex.cancel_event is not None and ex.cancel_event.is_set()))

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def close(self) -> None:
        if self.own_transport:
            self.transport.close()

    # ---------------------------------------------------------------- errors

    def timed_out(self, what: str) -> DelugeError:
        ex = self.ex
        if ex is not None:
            ex.check_time()  # the run's own deadline or a cancel: a budget error
            if self.run_bound and time.monotonic() >= ex.deadline - 0.05:
                return BudgetExceeded(f"The run took longer than its {ex.limits.wall_time:g} s of wall time "
                                      "while waiting for an HTTP response", limit="wall_time")
        return DelugeRuntimeError(f"The request timed out: {what}")

    # ---------------------------------------------------------------- checks (D47)

    def target(self, url: httpx.URL | str) -> Target:
        try:
            return self.policy.check_url(url)
        except NetworkRefused as exc:
            raise DelugeRuntimeError(f"The request was refused: {exc}") from None

    def pin(self, target: Target) -> None:
        """Resolves the target's host once and checks every address (D47), before any connection."""
        if not self.checks_addresses:
            return
        wait = min(self.connect_timeout, self.left())
        try:
            addresses = self.policy.resolve(target.host, target.port, timeout=wait)
        except NetworkRefused as exc:
            raise DelugeRuntimeError(f"The request to {target.host} was refused: {exc}") from None
        except LookupFailed as exc:
            if exc.timed_out:
                raise self.timed_out(str(exc)) from None
            raise DelugeRuntimeError(f"The request to {target.host} failed: {exc}") from None
        self.backend.pins[(target.host, target.port)] = addresses

    def credentials_for(self, url: httpx.URL) -> bool:
        """Whether the connection's credentials may go to `url` (see the module docstring)."""
        if self.conn is None or self.first is None:
            return False
        if _origin(url) == _origin(self.first):
            return True
        if self.first.scheme == "https" and url.scheme != "https":
            return False
        listed = bool(getattr(self.conn, "allowed_hosts", ()))
        port = url.port or (443 if url.scheme == "https" else 80)
        return listed and connection_allows(self.conn, url.raw_host.decode("ascii"), port)

    def authorize(self, request: httpx.Request) -> httpx.Request:
        before = request.url
        done = self.conn.authorize(request, self.http)
        if not isinstance(done, httpx.Request):
            done = request
        if (done.url.scheme, done.url.raw_host, done.url.port) != (before.scheme, before.raw_host, before.port):
            raise DelugeRuntimeError("The connection changed the host of the request, which is not allowed")
        try:
            for name, value in done.headers.raw:
                check_header(name.decode("latin-1"), value.decode("latin-1"))
        except NetworkRefused as exc:
            raise DelugeRuntimeError(f"The connection's credentials cannot be sent: {exc}") from None
        return done

    # ---------------------------------------------------------------- sending

    def extensions(self) -> dict[str, Any]:
        left = max(self.left(), 0.001)
        return {"timeout": {"connect": min(self.connect_timeout, left), "read": left, "write": left,
                            "pool": left}}

    def send(self, request: httpx.Request) -> httpx.Response:
        """One exchange (no redirects): the response with its body still unread."""
        if self.ex is not None:
            self.ex.check_time()
        if self.left() <= 0:
            raise self.timed_out(f"no time was left for {request.url.host}")
        request.extensions = self.extensions()
        try:
            return self.transport.handle_request(request)
        except httpx.TimeoutException as exc:
            phase = "could not connect to" if isinstance(exc, httpx.ConnectTimeout) else "no complete answer from"
            raise self.timed_out(f"{phase} {request.url.host} within {self._budget(exc):g} s") from None
        except httpx.HTTPError as exc:
            raise DelugeRuntimeError(f"The request to {request.url.host} failed: {_reason(exc)}") from None

    def _budget(self, exc: Exception) -> float:
        limit = self.connect_timeout if isinstance(exc, httpx.ConnectTimeout) else self.total
        return round(limit, 3)

    def follow(self, base: httpx.Request) -> tuple[httpx.Response, httpx.Request, bool]:
        """Sends `base` and follows its redirects by hand, each target checked again (D47)."""
        request = base
        first_capability = _capability(base.url)
        for hop in range(self.policy.max_redirects + 1):
            credentialed = self.credentials_for(request.url)
            outgoing = _clone(request)
            if credentialed:
                outgoing = self.authorize(outgoing)
            response = self.send(outgoing)
            location = response.headers.get("location")
            if response.status_code not in REDIRECTS or not location:
                return response, outgoing, credentialed
            response.close()
            if hop == self.policy.max_redirects:
                raise DelugeRuntimeError(f"The request was redirected more than {self.policy.max_redirects} times")
            try:
                next_url = request.url.join(location.strip())
            except (httpx.InvalidURL, ValueError):
                raise DelugeRuntimeError("The request was redirected to an invalid URL") from None
            target = self.target(next_url)
            capability = _capability(next_url)
            if self.ex is not None and capability != first_capability:
                self.ex.require(capability, f"The redirect to {next_url}")
            self.pin(target)
            request = _redirected(request, next_url, response.status_code)
        raise AssertionError("unreachable")  # pragma: no cover

    def read(self, response: httpx.Response, request: httpx.Request) -> bytes:
        """The decompressed body, bounded by the response limit and the deadline."""
        limit = self.response_limit
        url, method = request.url, request.method
        ready = response.is_stream_consumed  # built in memory (a mock or a cassette): httpx decoded it already
        inflater = _Inflater("" if ready else response.headers.get("content-encoding", ""))
        declared = response.headers.get("content-length", "")
        if inflater.z is None and declared.isdigit() and int(declared) > limit and method != "HEAD":
            raise _too_big(limit)
        parts: list[bytes] = []
        size = 0
        try:
            for chunk in [response.content] if ready else response.iter_raw():
                out = inflater.feed(chunk, limit - size)
                size += len(out)
                if size > limit:
                    raise _too_big(limit)
                parts.append(out)
                if self.left() <= 0:
                    raise self.timed_out(f"no complete answer from {url.host} within {round(self.total, 3):g} s")
            tail = inflater.flush()
        except httpx.TimeoutException:
            raise self.timed_out(f"no complete answer from {url.host} within {round(self.total, 3):g} s") from None
        except (httpx.HTTPError, httpx.StreamError) as exc:
            raise DelugeRuntimeError(f"The response from {url.host} could not be read: {_reason(exc)}") from None
        finally:
            response.close()
        size += len(tail)
        if size > limit:
            raise _too_big(limit)
        parts.append(tail)
        return b"".join(parts)


def _capability(url: httpx.URL) -> str:
    """`api_capability` of an httpx URL: the host as the script wrote it (Unicode, not IDNA)."""
    host = url.host.lower()
    default = {"http": 80, "https": 443}.get(url.scheme)
    if url.port is not None and url.port != default:
        return f"api:{host}:{url.port}"
    return f"api:{host}"


def _too_big(limit: int) -> BudgetExceeded:
    return BudgetExceeded(f"The HTTP response is larger than the limit of {limit} bytes", limit="response_bytes")


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _clone(request: httpx.Request, url: httpx.URL | None = None, method: str | None = None,
           content: bytes | None = None, drop: Iterable[str] = ()) -> httpx.Request:
    """A fresh request with the same headers and body (authorize may change the one it is given)."""
    dropped = {"host", "content-length", "transfer-encoding", *drop}
    headers = [(k, v) for k, v in request.headers.raw if k.decode("latin-1").lower() not in dropped]
    body = request.content if content is None else content
    return httpx.Request(method or request.method, url or request.url, headers=headers,
                         content=body if body else None)


def _redirected(request: httpx.Request, url: httpx.URL, status: int) -> httpx.Request:
    """The request a redirect asks for: GET without a body for 303 and a POST's 301/302, else the same."""
    method = request.method
    drop: set[str] = set()
    content: bytes | None = None
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method = "GET"
        content = b""
        drop.update({"content-type", "content-encoding"})
    if _origin(url) != _origin(request.url):
        drop.update(CROSS_ORIGIN_DROP)
    return _clone(request, url=url, method=method, content=content, drop=drop)


# ------------------------------------------------------------------ the client


class HostHttp:
    """The host's HTTP client: policy checks, pinned connections, limits, credentials, masking."""

    network: httpcore.NetworkBackend = httpcore.SyncBackend()
    """Where sockets come from; tests put a counting backend here to prove nothing connected."""

    def __init__(self, policy: NetworkPolicy = NetworkPolicy(),  # noqa: B008 - frozen, shared safely
                 connections: ConnectionRegistry | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.policy = policy
        self.connections = connections
        self.transport = transport
        self.tls: ssl.SSLContext | None = None
        """The verifying TLS context; None builds httpx's default (certifi roots) on first use. A host
        with a private CA sets its own."""
        from deluge.runtime.program import VERSION

        self.user_agent = f"deluge/{VERSION}"

    def ssl_context(self) -> ssl.SSLContext:
        """One verifying TLS context for every call (building one costs milliseconds)."""
        if self.tls is None:
            self.tls = httpx.create_ssl_context()
        return self.tls

    def connection(self, connection: Any) -> Any:
        """The connection object for a name (the registry's `get`), or the object itself."""
        if connection is None or not isinstance(connection, str):
            return connection
        if self.connections is None:
            raise DelugeRuntimeError(f"The connection '{connection}' was not found: this host has no connections")
        return self.connections.get(connection)

    # ---------------------------------------------------------------- request

    def request(self, ex: Any, method: str, url: str, *, params: Any = None, headers: Any = None,
                content: bytes | None = None, data: Any = None, files: Any = None, json: Any = None,
                connection: Any = None, timeout: float | None = None) -> HttpResponse:
        """Sends one request (see the module docstring for every check); `ex` None means "not in a run"."""
        response, _ = self.exchange(ex, method, url, params=params, headers=headers, content=content, data=data,
                                    files=files, json=json, connection=connection, timeout=timeout)
        return response

    def exchange(self, ex: Any, method: str, url: str, *, params: Any = None, headers: Any = None,
                 content: bytes | None = None, data: Any = None, files: Any = None, json: Any = None,
                 connection: Any = None, timeout: float | None = None) -> tuple[HttpResponse, tuple[str, ...]]:
        """`request`, also giving the secrets the answer was masked with (invokeurl masks what it decodes)."""
        conn = self.connection(connection)
        call = _Call(self, ex, conn, timeout)
        try:
            base = self._build(call, method, url, params, headers, content, data, files, json)
            target = call.target(base.url)
            if conn is not None and not connection_allows(conn, target.host, target.port):
                raise DelugeRuntimeError(f"The connection '{getattr(conn, 'name', connection)}' cannot be used "
                                         f"with the host {target.host}")
            call.pin(target)
            call.first = base.url
            response, final, credentialed = call.follow(base)
            body = call.read(response, final)
            if response.status_code == 401 and conn is not None and credentialed and conn.refresh(self):
                response, final, _ = call.follow(base)
                body = call.read(response, final)
            secrets = _secrets(conn)
            return HttpResponse(
                status=response.status_code,
                headers=_headers(response, secrets),
                body=mask_bytes(body, secrets),
                url=mask_text(str(final.url), secrets),
            ), secrets
        except DelugeError as exc:
            _mask_error(exc, _secrets(conn))
            raise
        finally:
            call.close()

    def _build(self, call: _Call, method: str, url: str, params: Any, headers: Any, content: bytes | None,
               data: Any, files: Any, json_body: Any) -> httpx.Request:
        """The first request, checked for shape: method, URL, headers, body size (nothing is sent)."""
        verb = str(method).upper()
        if verb not in METHODS:
            raise DelugeRuntimeError(f"The HTTP method '{method}' is not supported")
        call.target(url)
        pairs = _header_pairs(headers)
        names = {name.lower() for name, _ in pairs}
        for name in names:
            if name in FORBIDDEN_HEADERS or name.startswith("proxy-"):
                raise DelugeRuntimeError(f"The header '{name}' cannot be set by a script")
        try:
            self.policy.check_headers(pairs)
        except NetworkRefused as exc:
            raise DelugeRuntimeError(f"The request was refused: {exc}") from None
        if json_body is not None:
            content = json.dumps(json_body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            if "content-type" not in names:
                pairs.append(("Content-Type", "application/json"))
        defaults = (("User-Agent", self.user_agent), ("Accept", "*/*"), ("Accept-Encoding", "gzip, deflate"))
        pairs.extend((k, v) for k, v in defaults if k.lower() not in names)
        wire = [(k.encode("ascii"), v.encode("utf-8")) for k, v in pairs]
        try:
            target = httpx.URL(url)
            if params:  # added to the URL's own query (httpx would replace it)
                target = target.copy_merge_params(params)
            request = httpx.Request(verb, target, headers=wire, content=content, data=data, files=files)
            body = request.read()
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise DelugeRuntimeError(f"The request could not be built: {exc}") from None
        try:
            self.policy.check_body(len(body))
        except NetworkRefused as exc:
            raise DelugeRuntimeError(f"The request was refused: {exc}") from None
        call.target(request.url)  # the URL with its parameters, as it will be sent
        return request

    # ---------------------------------------------------------------- invokeurl

    def invokeurl(self, ex: Any, url: str, method: str, entries: dict[str, Any]) -> Any:
        """The host side of the invokeurl statement: plain data for the script (LANGUAGE.md 5.11)."""
        spec = _InvokeSpec.of(method, entries)
        response, secrets = self.exchange(ex, method, url, params=spec.query, headers=spec.headers,
                                          content=spec.content, data=dict(spec.fields) if spec.files else None,
                                          files=spec.files,
                                          connection=entries.get("connection"), timeout=spec.timeout)
        try:
            result = _script_body(ex, response, spec.response_format, spec.decoding, secrets)
        except DelugeError as exc:
            _mask_error(exc, secrets)
            raise
        if spec.detailed:
            return {"responseCode": response.status, "responseHeader": dict(response.headers),
                    "responseText": result}
        return result


def _secrets(conn: Any) -> tuple[str, ...]:
    if conn is None or not hasattr(conn, "secrets"):
        return ()
    return tuple(s for s in conn.secrets() if isinstance(s, str) and s)


def _mask_error(exc: DelugeError, secrets: tuple[str, ...]) -> None:
    if secrets:
        exc.message = mask_text(exc.message, secrets)
        exc.args = (exc.message,)


def _headers(response: httpx.Response, secrets: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw_name, raw_value in response.headers.raw:
        name = raw_name.decode("latin-1").lower()
        value = mask_text(raw_value.decode("latin-1"), secrets)
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    if headers is None:
        return []
    items: Iterable[Any] = headers.items() if isinstance(headers, Mapping) else headers
    pairs: list[tuple[str, str]] = []
    for item in items:
        name, value = item
        pairs.append((str(name), str(value)))
    return pairs


# ------------------------------------------------------------------ invokeurl: from keys to a request

_JSON_TYPE = re.compile(r"^application/(?:[\w.+-]+\+)?json\b|^text/json\b", re.IGNORECASE)
_FORM_TYPE = "application/x-www-form-urlencoded"
FORMATS = ("TEXT", "JSON", "FILE")


def _unblank(value: Any) -> Any:
    if type(value) is Blank:
        return value.inner if value.inner is not None else {}
    return value


def _text(value: Any) -> str:
    return "" if value is None else render(_unblank(value))


def _pairs(value: Any, what: str) -> list[tuple[str, str]]:
    value = _unblank(value)
    if not isinstance(value, dict):
        raise DelugeRuntimeError(f"The invokeurl {what} must be a KEY-VALUE, not a value of type {type_name(value)}")
    return [(_text(k), _text(v)) for k, v in value.items()]


@attrs.frozen(kw_only=True)
class _InvokeSpec:
    """An invokeurl block turned into the arguments of `HostHttp.request`."""

    headers: list[tuple[str, str]]
    query: list[tuple[str, str]] | None = None
    content: bytes | None = None
    fields: list[tuple[str, str]] | None = None
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None
    timeout: float | None = None
    detailed: bool = False
    response_format: str = ""
    decoding: str | None = None

    @classmethod
    def of(cls, method: str, entries: dict[str, Any]) -> _InvokeSpec:
        headers = _pairs(entries["headers"], "headers") if entries.get("headers") is not None else []
        ctype = entries.get("content-type")
        if ctype is not None:
            if type(ctype) is not str:
                raise DelugeRuntimeError("The invokeurl content-type must be a TEXT")
            headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
        else:
            ctype = next((v for k, v in headers if k.lower() == "content-type"), None)
        explicit = ctype is not None
        params = _unblank(entries.get("parameters"))
        body = _unblank(entries.get("body"))
        files = _unblank(entries.get("files"))
        query: list[tuple[str, str]] | None = None
        content: bytes | None = None
        fields: list[tuple[str, str]] | None = None
        parts: list[tuple[str, tuple[str, bytes, str]]] | None = None
        if files is not None:
            if body is not None:
                raise DelugeRuntimeError("The invokeurl keys 'files' and 'body' cannot be used together")
            if params is not None and not isinstance(params, dict):
                raise DelugeRuntimeError("With 'files', the invokeurl parameters must be a KEY-VALUE")
            parts = _file_parts(files)
            fields = _pairs(params, "parameters") if params is not None else []
            headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
            if ctype is not None and not ctype.lower().startswith("multipart/"):
                raise DelugeRuntimeError("With 'files', the content type is multipart/form-data")
            explicit = False  # httpx writes the multipart type with its boundary
        else:
            map_in_query = isinstance(params, dict) and (body is not None or method in ("GET", "DELETE"))
            if map_in_query:
                query = _pairs(params, "parameters")
            elif params is not None:
                if body is not None:
                    raise DelugeRuntimeError("The invokeurl keys 'parameters' and 'body' both give the request "
                                             "body; use one")
                content, ctype = _encode(params, ctype, default_map="form", what="parameters")
            if body is not None:
                content, ctype = _encode(body, ctype, default_map="json", what="body")
        if ctype is not None and (explicit or content is not None):
            headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
            headers.append(("Content-Type", ctype))
        return cls(headers=headers, query=query, content=content, fields=fields, files=parts,
                   timeout=_timeout(entries.get("timeout")), detailed=_detailed(entries.get("detailed")),
                   response_format=_format(entries.get("response-format")),
                   decoding=_decoding(entries.get("response-decoding")))


def _encode(value: Any, ctype: str | None, *, default_map: str, what: str) -> tuple[bytes, str]:
    """A body and its content type: a map as form fields or JSON, text as UTF-8, a FILE as its bytes."""
    if isinstance(value, dict):
        as_json = _JSON_TYPE.match(ctype) is not None if ctype else default_map == "json"
        if ctype and ctype.lower().startswith(_FORM_TYPE):
            as_json = False
        if as_json:
            return to_json(value).encode("utf-8"), ctype or "application/json"
        return urlencode(_pairs(value, what)).encode("ascii"), ctype or _FORM_TYPE
    if type(value) is str:
        return value.encode("utf-8"), ctype or "text/plain; charset=utf-8"
    if type(value) is DFile:
        return bytes(value.content), ctype or value.content_type or "application/octet-stream"
    kinds = "KEY-VALUE, TEXT or FILE" if what == "parameters" else "KEY-VALUE or TEXT"
    raise DelugeRuntimeError(f"The invokeurl {what} must be a {kinds}, not a value of type {type_name(value)}")


def _file_parts(files: Any) -> list[tuple[str, tuple[str, bytes, str]]]:
    items = files if isinstance(files, list) else [files]
    parts: list[tuple[str, tuple[str, bytes, str]]] = []
    for item in items:
        if type(item) is not DFile:
            raise DelugeRuntimeError(f"The invokeurl files must be FILEs, not a value of type {type_name(item)}")
        field = getattr(item, "param_name", None) or "file"
        parts.append((str(field), (item.name or "file", bytes(item.content),
                                   item.content_type or "application/octet-stream")))
    return parts


def _timeout(value: Any) -> float | None:
    if value is None:
        return None
    whole = type(value) is int or (type(value) is float and value.is_integer())
    if not whole or value <= 0:
        raise DelugeRuntimeError("The invokeurl timeout must be a whole number of seconds above 0")
    return float(value)


def _detailed(value: Any) -> bool:
    if value is None:
        return False
    if type(value) is not bool:
        raise DelugeRuntimeError("The invokeurl detailed key must be true or false")
    return value


def _format(value: Any) -> str:
    if value is None:
        return ""
    name = str(value).strip().upper() if type(value) is str else ""
    if name not in FORMATS:
        raise DelugeRuntimeError(f"The invokeurl response-format must be one of {', '.join(FORMATS)}")
    return name


def _decoding(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is not str:
        raise DelugeRuntimeError("The invokeurl response-decoding must be the TEXT name of a character set")
    try:
        codecs.lookup(value)
    except LookupError:
        raise DelugeRuntimeError(f"'{value}' is not a known character set") from None
    return value


# ------------------------------------------------------------------ invokeurl: from a response to a value


def _script_body(ex: Any, response: HttpResponse, fmt: str, decoding: str | None,
                 secrets: tuple[str, ...]) -> Any:
    if fmt == "FILE":
        ctype = response.headers.get("content-type", "")
        return DFile(_file_name(response), response.body, ctype.split(";")[0].strip() or "application/octet-stream",
                     response.charset() or "UTF-8")
    text = mask_text(response.text(decoding), secrets)
    if fmt == "TEXT":
        return text
    if ex is not None:
        ex.charge_work(len(text) // 64 + 1)
    stripped = text.lstrip("\ufeff \t\r\n")
    if fmt == "" and not stripped.startswith(("{", "[")):
        return text
    try:
        value = _decode_json(stripped)
    except ValueError:
        if fmt == "JSON":
            raise DelugeRuntimeError("The response is not JSON") from None
        return text
    limits = ex.limits if ex is not None else DEFAULT_LIMITS
    _check_data(value, 1, limits.data_nesting, limits.collection_size)
    return mask_data(value, secrets) if secrets else value


def _decode_json(text: str) -> Any:
    def number(token: str) -> Any:
        value = float(token)
        if math.isinf(value):
            raise ValueError("number out of range")
        return value

    def whole(token: str) -> Any:
        value = int(token)
        return value if -(2**63) <= value < 2**63 else number(token)

    def constant(word: str) -> Any:
        raise ValueError(f"{word} is not JSON")

    try:
        return json.loads(text, parse_float=number, parse_int=whole, parse_constant=constant)
    except RecursionError:
        raise BudgetExceeded("The JSON of the response is nested too deeply", limit="data_nesting") from None


def _check_data(value: Any, depth: int, max_depth: int, max_size: int) -> None:
    """The element and nesting limits, so a response cannot build what a script could not."""
    if not isinstance(value, (list, dict)):
        return
    if depth > max_depth:
        raise BudgetExceeded(f"The JSON of the response is nested more than {max_depth} levels deep",
                             limit="data_nesting")
    if len(value) > max_size:
        raise BudgetExceeded(f"The JSON of the response holds more than {max_size} elements in one list or map",
                             limit="collection_size")
    for item in value.values() if isinstance(value, dict) else value:
        _check_data(item, depth + 1, max_depth, max_size)


def _file_name(response: HttpResponse) -> str:
    disposition = response.headers.get("content-disposition", "")
    name = ""
    if disposition:
        message = email.message.Message()
        message["content-disposition"] = disposition
        name = message.get_filename() or ""
    if not name:
        name = unquote(posixpath.basename(urlsplit(response.url).path))
    name = posixpath.basename(name.replace("\\", "/"))
    name = "".join(ch for ch in name if ch >= " " and ch != "\x7f").strip()
    return name if name not in ("", ".", "..") else "file"
