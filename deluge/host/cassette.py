"""Record HTTP exchanges once, replay them in tests without any network: an `httpx` transport pair.

    recorder = RecordingTransport(httpx.HTTPTransport(), "tests/cassettes/cliq.json",
                                  secrets=registry.secrets)          # a callable: refreshed tokens too
    http = HostHttp(policy, registry, transport=recorder)
    ...                                                              # run the scripts against the service
    recorder.close()                                                 # writes the cassette

    http = HostHttp(policy, registry, transport=ReplayTransport("tests/cassettes/cliq.json"))

A cassette is JSON: `{"version": 1, "exchanges": [{"request": {...}, "response": {...}}]}` with
the method, URL, headers (as `"name: value"` lines, repeated names kept) and body of each side; a body is
`{"text": ...}` when it is UTF-8, else `{"base64": ...}`. Response bodies are stored decoded
(no `Content-Encoding`), so a cassette is readable and diffable.

Nothing secret is written: credential headers (`Authorization`, `Cookie`, `Set-Cookie`,
`X-API-Key`, ...) keep only their scheme; every value given in `secrets` (and its URL-encoded
and base64 forms) becomes `****` wherever it appears -- URL, headers, bodies; query and form
fields and JSON keys that hold credentials by name (`access_token`, `refresh_token`,
`client_secret`, `extension_key`, ...) are masked whatever their value. Replay applies the
same masking to the live request before matching, so a request made with real (or fake)
credentials matches its recording.

`ReplayTransport` has no inner transport: it cannot reach the network. It answers each request
with the first unused recording that matches on `match` (default method, URL, body) and raises
`CassetteMismatch` naming the method and URL when none does. A credential field masked in a
recorded JSON answer (`"access_token": "****"`) is replayed as `"cassette-access_token"`, so a
replayed token refresh gives the connection a usable stand-in. It sets `replay = True`, the
attribute `HostHttp` checks to skip DNS resolution and the address checks (which would touch
the network, and have nothing to protect when no connection is made); the URL, scheme, header,
grant and connection-host checks still run.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

import httpx

from deluge.errors import DelugeRuntimeError

__all__ = ["CREDENTIAL_FIELDS", "CREDENTIAL_HEADERS", "CassetteMismatch", "RecordingTransport",
           "ReplayTransport", "load", "mask_text"]

VERSION = 1
MASK = "****"

CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
                                "api-key", "x-auth-token", "x-access-token"})
"""Headers whose value is a credential whatever it holds: only an auth scheme survives."""

CREDENTIAL_FIELDS = frozenset({"access_token", "refresh_token", "id_token", "client_secret", "password",
                               "extension_key", "zapikey", "api_key", "apikey", "authtoken", "code_verifier",
                               "token"})
"""Query, form and JSON field names whose value is masked wherever it appears."""

MATCH_FIELDS = ("method", "url", "host", "path", "query", "body")

Secrets = Iterable[str] | Callable[[], Iterable[str]]


class CassetteMismatch(DelugeRuntimeError, LookupError):
    """A replayed request has no (unused) recording: the cassette is stale or the code changed.
    A runtime error of the run, at the line of the request (a script's `try` may catch it)."""


# ---------------------------------------------------------------- masking


def _forms(secret: str) -> list[str]:
    """The spellings a secret travels in: as is, URL-encoded, JSON-escaped, and base64 (as in Basic auth)."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1],
             base64.b64encode(secret.encode()).decode()}
    return sorted((f for f in forms if f), key=len, reverse=True)


def mask_text(text: str, secrets: Iterable[str]) -> str:
    """Every secret (and its encoded forms) replaced by `****`; secrets shorter than 4 characters are
    ignored (masking `a` would mangle everything and protect nothing)."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        for form in _forms(secret):
            text = text.replace(form, MASK)
    return text


def _mask_bytes(body: bytes, secrets: Iterable[str]) -> bytes:
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        for form in _forms(secret):
            body = body.replace(form.encode(), MASK.encode())
    return body


def _mask_url(url: str, secrets: Iterable[str], fields: frozenset[str]) -> str:
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if any(k.lower() in fields for k, _ in pairs):  # rewritten only when needed: the rest stays as sent
        parts = parts._replace(query=urlencode([(k, MASK if k.lower() in fields else v) for k, v in pairs],
                                               safe="*,"))
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", f":{MASK}@"))
    return mask_text(urlunsplit(parts), secrets)


def _mask_header(name: str, value: str, secrets: Iterable[str]) -> str:
    if name.lower() in CREDENTIAL_HEADERS:
        scheme, sep, _ = value.partition(" ")
        return f"{scheme} {MASK}" if sep and name.lower().endswith("authorization") else MASK
    return mask_text(value, secrets)


def _mask_json(data: Any, fields: frozenset[str]) -> Any:
    if isinstance(data, dict):
        return {k: MASK if isinstance(k, str) and k.lower() in fields and v not in (None, "")
                else _mask_json(v, fields) for k, v in data.items()}
    if isinstance(data, list):
        return [_mask_json(v, fields) for v in data]
    return data


def _mask_body(body: bytes, content_type: str, secrets: Iterable[str], fields: frozenset[str]) -> bytes:
    body = _mask_bytes(body, secrets)
    kind = content_type.split(";", 1)[0].strip().lower()
    try:
        if kind == "application/json" or kind.endswith("+json"):
            data = json.loads(body)
            masked = _mask_json(data, fields)
            return body if masked == data else json.dumps(masked, separators=(",", ":")).encode()
        if kind == "application/x-www-form-urlencoded":
            pairs = parse_qsl(body.decode(), keep_blank_values=True)
            if any(k.lower() in fields for k, _ in pairs):
                return urlencode([(k, MASK if k.lower() in fields else v) for k, v in pairs], safe="*").encode()
    except (ValueError, UnicodeDecodeError):
        pass
    return body


def _stable_multipart(body: bytes, content_type: str) -> tuple[bytes, str]:
    """A multipart body with its random boundary replaced, so the same upload records and matches alike."""
    kind, _, rest = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        return body, content_type
    for piece in rest.split(";"):
        key, _, value = piece.strip().partition("=")
        if key.lower() == "boundary" and value:
            boundary = value.strip('"')
            fixed = "cassette-boundary"
            return body.replace(boundary.encode(), fixed.encode()), content_type.replace(boundary, fixed)
    return body, content_type


def _secrets(source: Secrets) -> set[str]:
    values = source() if callable(source) else source
    return {s for s in values if isinstance(s, str) and s}


# ---------------------------------------------------------------- cassette records


def _body(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def _unbody(record: dict[str, str] | None) -> bytes:
    if not record:
        return b""
    if "base64" in record:
        return base64.b64decode(record["base64"])
    return record.get("text", "").encode("utf-8")


def _request_record(request: httpx.Request, secrets: set[str], fields: frozenset[str]) -> dict[str, Any]:
    """The masked, normalized request: what a cassette stores and what replay compares."""
    content_type = request.headers.get("content-type", "")
    body, content_type = _stable_multipart(request.content, content_type)
    body = _mask_body(body, content_type, secrets, fields)
    headers: list[str] = []
    for name, value in request.headers.multi_items():
        if name.lower() == "content-type":
            value = content_type
        elif name.lower() == "content-length":
            value = str(len(body))
        headers.append(f"{name}: {_mask_header(name, value, secrets)}")
    return {"method": request.method, "url": _mask_url(str(request.url), secrets, fields),
            "headers": headers, "body": _body(body)}


def _response_record(response: httpx.Response, body: bytes, secrets: set[str],
                     fields: frozenset[str]) -> dict[str, Any]:
    body = _mask_body(body, response.headers.get("content-type", ""), secrets, fields)
    headers: list[str] = []
    for name, value in response.headers.multi_items():
        if name.lower() in ("content-encoding", "transfer-encoding"):
            continue  # the body is stored decoded
        if name.lower() == "content-length":
            value = str(len(body))
        headers.append(f"{name}: {_mask_header(name, value, secrets)}")
    return {"status": response.status_code, "headers": headers, "body": _body(body)}


def load(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The exchanges of a cassette file (checked for the format this module writes)."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("exchanges"), list):
        raise ValueError(f"{os.fspath(path)} is not a version-{VERSION} cassette")
    return data["exchanges"]


def _write(path: Path, exchanges: list[dict[str, Any]]) -> None:
    """Atomically, readable by the owner only (a cassette holds real service data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"version": VERSION, "exchanges": exchanges}, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------- transports


class RecordingTransport(httpx.BaseTransport):
    """Passes every request to `inner` and keeps the exchange; `close()` writes the cassette.

    `secrets`: the values to mask, or a callable giving them (called at every exchange, so a
    token refreshed during the recording is masked too). `fields` adds credential field names.
    """

    def __init__(self, inner: httpx.BaseTransport | None, path: str | os.PathLike[str], *, secrets: Secrets = (),
                 fields: Iterable[str] = ()) -> None:
        self.inner = inner
        """The transport recorded; None records around `HostHttp`'s own pinned transport, call by call
        (`wrap`), so the network policy's address pinning holds while recording."""
        self.path = Path(path)
        self._secrets_source = secrets
        self._seen: set[str] = set()
        self.fields = CREDENTIAL_FIELDS | {f.lower() for f in fields}
        self._pending: list[tuple[httpx.Request, httpx.Response, bytes]] = []
        self._lock = threading.Lock()
        self._closed = False

    def wrap(self, inner: httpx.BaseTransport) -> httpx.BaseTransport:
        """A transport for one `HostHttp` call: `inner` (its pinned transport), recorded here."""
        if self.inner is not None:
            return self  # records around its own inner transport (tests)
        return _RecordingCall(self, inner)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.inner is None:
            raise RuntimeError("a RecordingTransport without an inner transport only records through HostHttp")
        return self.record(self.inner, request)

    def record(self, inner: httpx.BaseTransport, request: httpx.Request) -> httpx.Response:
        request.read()
        response = inner.handle_request(request)
        try:
            body = response.read()  # decoded: the cassette stores what the client sees
        finally:
            response.close()
        with self._lock:
            self._seen |= _secrets(self._secrets_source)
            self._pending.append((request, response, body))
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "transfer-encoding", "content-length")]
        return httpx.Response(response.status_code, headers=headers, content=body, request=request,
                              extensions={k: v for k, v in response.extensions.items() if k == "http_version"})

    @property
    def exchanges(self) -> list[dict[str, Any]]:
        """The masked records so far (what `close()` writes)."""
        with self._lock:
            secrets = self._seen | _secrets(self._secrets_source)
            pending = list(self._pending)
        return [{"request": _request_record(req, secrets, self.fields),
                 "response": _response_record(resp, body, secrets, self.fields)} for req, resp, body in pending]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            _write(self.path, self.exchanges)
        finally:
            if self.inner is not None:
                self.inner.close()


class _RecordingCall(httpx.BaseTransport):
    """One call's pinned transport, recorded into a shared `RecordingTransport`."""

    def __init__(self, recorder: RecordingTransport, inner: httpx.BaseTransport) -> None:
        self.recorder = recorder
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.recorder.record(self.inner, request)

    def close(self) -> None:
        self.inner.close()


class ReplayTransport(httpx.BaseTransport):
    """Answers from a cassette only; never opens a connection (`replay` tells `HostHttp` so)."""

    replay = True

    def __init__(self, path: str | os.PathLike[str], match: Iterable[str] = ("method", "url", "body"), *,
                 secrets: Secrets = (), fields: Iterable[str] = ()) -> None:
        self.match = tuple(match)
        unknown = [m for m in self.match if m not in MATCH_FIELDS]
        if unknown:
            raise ValueError(f"unknown match fields {unknown}; known: {', '.join(MATCH_FIELDS)}")
        self.path = Path(path)
        self.exchanges = load(self.path)
        self._used = [False] * len(self.exchanges)
        self._secrets_source = secrets
        self.fields = CREDENTIAL_FIELDS | {f.lower() for f in fields}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        live = _request_record(request, _secrets(self._secrets_source), self.fields)
        wanted = _key(live, self.match)
        with self._lock:
            for index, exchange in enumerate(self.exchanges):
                if not self._used[index] and _key(exchange["request"], self.match) == wanted:
                    self._used[index] = True
                    break
            else:
                raise CassetteMismatch(f"No recorded exchange for {live['method']} {live['url']} "
                                       f"in {self.path} (matching on {', '.join(self.match)})")
        recorded = exchange["response"]
        content = _placeholders(_unbody(recorded.get("body")), self.fields)
        headers = [tuple(line.split(": ", 1)) if ": " in line else (line.rstrip(":"), "")
                   for line in recorded.get("headers", [])]
        headers = [(k, str(len(content)) if k.lower() == "content-length" else v) for k, v in headers]
        return httpx.Response(int(recorded["status"]), headers=headers, content=content, request=request)

    @property
    def unused(self) -> list[dict[str, Any]]:
        """Recordings no request has used yet (a test may assert this is empty)."""
        with self._lock:
            return [e for e, used in zip(self.exchanges, self._used, strict=True) if not used]


def _placeholders(body: bytes, fields: frozenset[str]) -> bytes:
    """A JSON answer whose credential fields were masked gets usable stand-ins (`cassette-access_token`):
    a connection refuses a token that contains `****`, and a replayed token refresh must succeed."""
    if MASK.encode() not in body or body[:1] not in (b"{", b"["):
        return body
    try:
        data = json.loads(body)
    except ValueError:
        return body

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: f"cassette-{k}" if v == MASK and isinstance(k, str) and k.lower() in fields else fill(v)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    filled = fill(data)
    return body if filled == data else json.dumps(filled, separators=(",", ":")).encode()


def _key(record: dict[str, Any], match: tuple[str, ...]) -> tuple[Any, ...]:
    parts = urlsplit(record["url"])
    out: list[Any] = []
    for field in match:
        if field == "method":
            out.append(record["method"].upper())
        elif field == "url":
            out.append(record["url"])
        elif field == "host":
            out.append((parts.hostname or "").lower())
        elif field == "path":
            out.append(parts.path)
        elif field == "query":
            out.append(sorted(parse_qsl(parts.query, keep_blank_values=True)))
        elif field == "body":
            out.append(_comparable(_unbody(record.get("body"))))
    return tuple(out)


def _comparable(body: bytes) -> Any:
    """JSON compared as data (key order and spacing do not matter), anything else as bytes."""
    if body[:1] in (b"{", b"["):
        try:
            return json.dumps(json.loads(body), sort_keys=True)
        except ValueError:
            pass
    return body
