"""Connections (PLATFORM.md 6): named, authorized links to services, and the masking of their secrets.

A script names a connection only by its link name (`invokeurl [ ... connection: "crm_main" ]`,
the last argument of a `zoho.<service>.*` task). The host looks it up in a `ConnectionRegistry`
and lets the connection add its credentials to the outgoing `httpx.Request` (`authorize`); after a
401 the HTTP client calls `refresh` once and retries once. Secrets never reach the script: every
connection lists its secret values (`secrets()`), and `mask`/`mask_data` replace them, in their
plain, URL-encoded, JSON-escaped and base64 forms, with `****` in anything shown or returned.

Kinds (`auth` in the registry file):

    oauth2    OAuth2Connection   `Authorization: Zoho-oauthtoken <token>` (services `zoho*`) or
                                 `Bearer <token>`, or the query parameter `access_token`;
                                 refreshed before expiry (60 s early) and after a 401
    api_key   ApiKeyConnection   one key sent as a header, a query parameter or a form field
    basic     BasicConnection    `Authorization: Basic base64(user:password)`
    none      NoAuthConnection   nothing added (a named host allow-list only)

The registry file (TOML; see `samples/connections.example.toml`):

    [connections.crm_main]                  # the link name: [a-z][a-z0-9_]*, at most 50 characters
    service = "zohocrm"                     # zoho* services get the Zoho-oauthtoken header prefix
    auth = "oauth2"                         # oauth2 | api_key | basic | none
    hosts = ["www.zohoapis.com", "*.zohoapis.eu"]   # where the credentials may go; [] or absent = any
    scopes = ["ZohoCRM.modules.ALL"]
    status = "connected"                    # connected (default) | disconnected | revoked
    client_id = "1000.ABC"
    client_secret = "env:CRM_CLIENT_SECRET" # "env:NAME" reads os.environ["NAME"] when the file is loaded
    token_url = "https://accounts.zoho.com/oauth/v2/token"
    access_token = "env:CRM_ACCESS_TOKEN"
    refresh_token = "env:CRM_REFRESH_TOKEN"
    expires_at = 2026-11-22T10:00:00Z       # a TOML date-time or ISO text; without an offset = UTC
    grant_type = "authorization_code"       # or client_credentials (refresh without a refresh token)
    header_prefix = "Zoho-oauthtoken"       # optional override
    param_type = "header"                   # header | query (query: ?access_token=...)
    scope_delimiter = ","                   # , (default) | space | plus: joins `scope` in token requests

    [connections.weather]
    service = "openweather"; auth = "api_key"; hosts = ["api.openweathermap.org"]
    key_name = "appid"; key_value = "env:OWM_KEY"; where = "query"    # header | query | form

    [connections.legacy]
    service = "intranet"; auth = "basic"; user = "bot"; password = "env:LEGACY_PASSWORD"

Every string value of a connection table may be written `"env:NAME"`; a variable that is not set
is a ValueError naming the connection and the key (never a value). Unknown keys are refused, so a
misspelt `refesh_token` does not silently leave the connection without one.

Token persistence: a refreshed OAuth2 token (and a rotated refresh token) is saved through the
registry's `TokenStore` (`MemoryTokenStore`, `FileTokenStore`: JSON, mode 0600, atomic replace).
Loading the registry merges saved tokens over the file's, unless the file's own tokens changed since
the saved ones were derived from them (the owner re-authorized: the saved record carries a short
hash of the tokens it started from, `origin`), in which case the file wins.

Why the OAuth2 refresh is written by hand rather than with authlib's `OAuth2Client` or httpx-auth:
both send the token request through their own httpx client, which would bypass the host's network
policy (address checks, timeouts, redirect re-checks) that `HostHttp.request` enforces; both keep
the token in the client rather than in a store shared by several runs; neither has one lock per
connection across runs. What they would add (the refresh_token grant, a rotated refresh token, an
expiry leeway, an update hook) is the ~60 lines of `OAuth2Connection._refresh_locked`.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import functools
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit

import attrs
import httpx

from deluge.errors import BudgetExceeded, ConsentRequired, DelugeRuntimeError

if TYPE_CHECKING:
    from deluge.host.http import HostHttp

try:  # POSIX: a lock between processes sharing one token file
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "MASK",
    "MIN_SECRET_LENGTH",
    "REFRESH_MARGIN",
    "ApiKeyConnection",
    "BasicConnection",
    "Connection",
    "ConnectionRegistry",
    "FileTokenStore",
    "MemoryTokenStore",
    "NoAuthConnection",
    "OAuth2Connection",
    "TokenStore",
    "mask",
    "mask_data",
    "valid_link_name",
]

log = logging.getLogger(__name__)

MASK = "****"
MIN_SECRET_LENGTH = 4
"""Secrets shorter than this are not masked: "abc" would hit ordinary text everywhere."""
REFRESH_MARGIN = timedelta(seconds=60)
"""PLATFORM.md 6: refresh when the token is expired or expires within 60 s."""

Status = Literal["connected", "disconnected", "revoked"]
STATUSES: tuple[str, ...] = ("connected", "disconnected", "revoked")
Clock = Callable[[], datetime]

_LINK_NAME = re.compile(r"[a-z][a-z0-9_]{0,49}")
_HOST_LABELS = re.compile(r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def valid_link_name(name: object) -> bool:
    """A link name (PLATFORM.md 6): lower-case letters, digits and `_`, a letter first, at most 50."""
    return isinstance(name, str) and _LINK_NAME.fullmatch(name) is not None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# Converters and validators shared by the connection kinds


def _check_link_name(_inst: object, _attr: attrs.Attribute[str], value: str) -> None:
    if not valid_link_name(value):
        raise ValueError(
            f"{value!r} is not a valid connection link name: use lower-case letters, digits and '_', "
            "starting with a letter, at most 50 characters")


def _normal_host(host: str) -> str:
    """Lower case, no trailing dot, IDNA (punycode) for non-ASCII names, so both sides compare alike."""
    host = host.strip().rstrip(".").lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host.isascii():
        with contextlib.suppress(UnicodeError):
            host = host.encode("idna").decode("ascii")
    return host


def _hosts(value: Iterable[str] | str) -> tuple[str, ...]:
    """The allow-list, normalized; `*.example.com` is the only wildcard form."""
    if isinstance(value, str):
        value = (value,)
    hosts = []
    for entry in value:
        if not isinstance(entry, str):
            raise ValueError(f"allowed host {entry!r} is not text")
        host = _normal_host(entry)
        name = host[2:] if host.startswith("*.") else host
        literal_ip = ":" in name and all(c in "0123456789abcdef:." for c in name)
        if not (literal_ip or _HOST_LABELS.fullmatch(name)):
            raise ValueError(f"allowed host {entry!r} is not a host name (no scheme, port or path; "
                             "a wildcard only as '*.example.com')")
        if host.startswith("*.") and "." not in name:
            raise ValueError(f"allowed host {entry!r} is too broad: a wildcard needs a domain with a dot")
        hosts.append(host)
    return tuple(dict.fromkeys(hosts))


def _texts(value: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    out = tuple(value)
    for item in out:
        if not isinstance(item, str) or not item:
            raise ValueError(f"scope {item!r} is not a non-empty text")
    return out


def _expiry(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        value = datetime.fromisoformat(text)
    if not isinstance(value, datetime):
        raise ValueError(f"expires_at must be a date-time, not {type(value).__name__}")
    return _as_utc(value)


def _one_of(*choices: str) -> Callable[[object, attrs.Attribute[str], str], None]:
    def check(_inst: object, attr: attrs.Attribute[str], value: str) -> None:
        if value not in choices:
            raise ValueError(f"{attr.name} must be one of {', '.join(choices)}, not {value!r}")
    return check


def _no_crlf(_inst: object, attr: attrs.Attribute[str], value: str) -> None:
    """Credentials go into headers and URLs: a CR or LF in them would split a header."""
    if not isinstance(value, str):
        raise ValueError(f"{attr.name} must be text")
    if any(c in value for c in "\r\n\0"):
        raise ValueError(f"{attr.name} contains a line break or NUL")


# ---------------------------------------------------------------------------------------------
# Connections


@attrs.define(kw_only=True, eq=False, repr=False)
class Connection:
    """One named, authorized link to a service; subclasses add the credentials of their kind.

    Mutable on purpose: `status` changes when a refresh fails, an OAuth2 token when it is refreshed.
    `authorize` refuses a connection that is not connected and a request to a host the connection
    does not list, so credentials never leave for a host the owner did not name (this holds on every
    redirect too, as long as the client authorizes each hop again).
    """

    auth_type: ClassVar[str] = "none"

    name: str = attrs.field(validator=_check_link_name)
    service: str = attrs.field(validator=attrs.validators.instance_of(str))
    allowed_hosts: tuple[str, ...] = attrs.field(default=(), converter=_hosts)
    scopes: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    status: Status = attrs.field(default="connected", validator=_one_of(*STATUSES))

    def __attrs_post_init__(self) -> None:
        if not self.service or not self.service.strip():
            raise ValueError(f"connection '{self.name}': service must not be empty")

    # -- the interface HostHttp uses ---------------------------------------------------------

    def authorize(self, request: httpx.Request, http: HostHttp | None = None) -> httpx.Request:
        """Add this connection's credentials to `request` (in place when possible) and return it."""
        self._check_usable(request.url.host)
        return self._add_credentials(request, http)

    def refresh(self, http: HostHttp | None = None) -> bool:
        """After a 401: get new credentials. Only OAuth2 can; the others have nothing to renew."""
        return False

    def secrets(self) -> tuple[str, ...]:
        """Every secret value this connection holds, for masking."""
        return ()

    def allows_host(self, host: str) -> bool:
        """Whether credentials may be sent to `host`: any host when the list is empty; `*.d.com`
        matches every sub-domain of d.com at any depth (as in a CSP source list) but not d.com."""
        if not self.allowed_hosts:
            return True
        host = _normal_host(host)
        for allowed in self.allowed_hosts:
            if allowed.startswith("*."):
                if host.endswith(allowed[1:]) and len(host) > len(allowed) - 1:
                    return True
            elif host == allowed:
                return True
        return False

    def describe(self) -> dict[str, Any]:
        """What may be shown to an owner or logged: never a secret."""
        return {
            "name": self.name,
            "service": self.service,
            "auth": self.auth_type,
            "scopes": list(self.scopes),
            "hosts": list(self.allowed_hosts),
            "status": self.status,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, service={self.service!r}, status={self.status!r})"

    __str__ = __repr__

    # -- for subclasses ----------------------------------------------------------------------

    def _check_usable(self, host: str) -> None:
        if self.status != "connected":
            raise DelugeRuntimeError(
                f"connection '{self.name}' is not authorized (it is {self.status}); "
                "its owner must authorize it again")
        if not self.allows_host(host):
            raise DelugeRuntimeError(f"connection '{self.name}' may not be used for the host '{host[:253]}'")

    def _add_credentials(self, request: httpx.Request, http: HostHttp | None) -> httpx.Request:
        return request


@attrs.define(kw_only=True, eq=False, repr=False)
class NoAuthConnection(Connection):
    """A connection that adds nothing: it only names a service and the hosts it may reach."""

    auth_type: ClassVar[str] = "none"


@attrs.define(kw_only=True, eq=False, repr=False)
class BasicConnection(Connection):
    """HTTP Basic: `Authorization: Basic base64(user:password)` (UTF-8, as browsers send it)."""

    auth_type: ClassVar[str] = "basic"

    user: str = attrs.field(validator=_no_crlf)
    password: str = attrs.field(validator=_no_crlf)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if ":" in self.user:
            raise ValueError(f"connection '{self.name}': a Basic user name cannot contain ':'")

    def secrets(self) -> tuple[str, ...]:
        # `user:password` too: its base64 form is the header value, its plain form a URL's userinfo.
        return tuple(s for s in (self.password, f"{self.user}:{self.password}") if self.password)

    def _add_credentials(self, request: httpx.Request, http: HostHttp | None) -> httpx.Request:
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode("ascii")
        request.headers["Authorization"] = f"Basic {token}"
        return request


@attrs.define(kw_only=True, eq=False, repr=False)
class ApiKeyConnection(Connection):
    """One API key, sent as a header, a query-string parameter or a form field (PLATFORM.md 6).

    `where = "form"` adds the key to a form-encoded or multipart body, or makes an empty body a form;
    a body of another type (JSON, text, a file) cannot carry a form field, so the key goes into the
    query string instead, which every server that reads form parameters also reads for GET.
    """

    auth_type: ClassVar[str] = "api_key"

    key_name: str = attrs.field(validator=_no_crlf)
    key_value: str = attrs.field(validator=_no_crlf)
    where: Literal["header", "query", "form"] = attrs.field(
        default="header", validator=_one_of("header", "query", "form"))

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if not self.key_name:
            raise ValueError(f"connection '{self.name}': key_name must not be empty")
        if self.where == "header" and not _HEADER_NAME.fullmatch(self.key_name):
            raise ValueError(f"connection '{self.name}': {self.key_name!r} is not a valid header name")

    def secrets(self) -> tuple[str, ...]:
        return (self.key_value,) if self.key_value else ()

    def _add_credentials(self, request: httpx.Request, http: HostHttp | None) -> httpx.Request:
        if self.where == "header":
            request.headers[self.key_name] = self.key_value
            return request
        if self.where == "form":
            formed = _add_form_field(request, self.key_name, self.key_value)
            if formed is not None:
                return formed
        request.url = request.url.copy_set_param(self.key_name, self.key_value)
        return request


def _add_form_field(request: httpx.Request, name: str, value: str) -> httpx.Request | None:
    """A copy of `request` whose body also holds `name=value`; None when the body is not a form."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    body = request.read()
    headers = httpx.Headers(request.headers)
    headers.pop("content-length", None)
    if media == "application/x-www-form-urlencoded" or (not body and not media):
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True) if body else []
        pairs = [(k, v) for k, v in pairs if k != name] + [(name, value)]
        headers["Content-Type"] = content_type or "application/x-www-form-urlencoded"
        content = urlencode(pairs).encode("ascii")
    elif media == "multipart/form-data":
        match = re.search(r'boundary="?([^";]+)"?', content_type)
        boundary = b"--" + match.group(1).encode("latin-1") if match else b""
        at = body.rfind(boundary + b"--") if boundary else -1
        if at < 0:
            return None
        field = quote(name, safe="")
        part = (boundary + b"\r\n" + f'Content-Disposition: form-data; name="{field}"\r\n\r\n'.encode()
                + value.encode() + b"\r\n")
        content = body[:at] + part + body[at:]
    else:
        return None
    return httpx.Request(request.method, request.url, headers=headers, content=content,
                         extensions=request.extensions)


@attrs.define(kw_only=True, eq=False, repr=False)
class OAuth2Connection(Connection):
    """OAuth 2.0 with a stored access token, refreshed 60 s before expiry and after a 401.

    The refresh posts `grant_type=refresh_token` (or `client_credentials` when there is no refresh
    token and the connection was configured with that grant type) to `token_url`, through
    `http.request(None, "POST", ...)` so the host's network policy applies, or through `client`
    when no `HostHttp` is given (tests). A rotated refresh token replaces the old one; new tokens are
    saved through `token_store`. A failed refresh (an error status, a body that is not a JSON object
    with an `access_token` -- Zoho answers 200 with `{"error": "invalid_code"}` --, a network error)
    marks the connection "disconnected" and is saved too: the owner must authorize it again.

    One lock per connection: runs that need a refresh at the same time refresh once; a `refresh()`
    that waited for another thread's refresh returns that refresh's result without posting again.
    """

    auth_type: ClassVar[str] = "oauth2"

    access_token: str = attrs.field(default="", validator=_no_crlf)
    refresh_token: str = attrs.field(default="", validator=_no_crlf)
    expires_at: datetime | None = attrs.field(default=None, converter=_expiry)
    token_url: str = ""
    client_id: str = attrs.field(default="", validator=_no_crlf)
    client_secret: str = attrs.field(default="", validator=_no_crlf)
    grant_type: str = attrs.field(default="authorization_code",
                                  validator=_one_of("authorization_code", "client_credentials"))
    header_prefix: str | None = None  # None -> by service (set in post-init)
    param_type: Literal["header", "query"] = attrs.field(default="header", validator=_one_of("header", "query"))
    scope_delimiter: str = attrs.field(default=",", validator=_one_of(",", " ", "+"))
    token_store: TokenStore | None = None
    clock: Clock = _utc_now
    client: httpx.Client | None = None
    origin: str = ""
    """Hash of the tokens this connection was configured with; saved with refreshed tokens."""
    last_error: str = attrs.field(default="", init=False)
    """Why the last refresh failed (masked, for the owner's logs); empty after a success."""
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)
    _attempts: int = attrs.field(default=0, init=False)
    _last_result: bool = attrs.field(default=False, init=False)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if self.header_prefix is None:
            self.header_prefix = "Zoho-oauthtoken" if self.service.lower().startswith("zoho") else "Bearer"
        _no_crlf(self, attrs.fields(OAuth2Connection).header_prefix, self.header_prefix)
        if self.token_url and urlsplit(self.token_url).scheme.lower() not in ("http", "https"):
            raise ValueError(f"connection '{self.name}': token_url must be an http(s) URL")
        if not self.origin:
            self.origin = token_origin(self.access_token, self.refresh_token)

    # -- interface ---------------------------------------------------------------------------

    def secrets(self) -> tuple[str, ...]:
        found = [self.access_token, self.refresh_token, self.client_secret]
        if self.client_secret:
            found.append(f"{self.client_id}:{self.client_secret}")  # client_secret_basic form
        return tuple(s for s in found if s)

    def needs_refresh(self) -> bool:
        """No token yet, or it is expired or expires within REFRESH_MARGIN."""
        if not self.access_token:
            return True
        return self.expires_at is not None and self.expires_at - _as_utc(self.clock()) <= REFRESH_MARGIN

    def refresh(self, http: HostHttp | None = None) -> bool:
        """Get a new access token now (after a 401). True when it got one."""
        seen = self._attempts
        with self._lock:
            if self._attempts != seen:  # another thread refreshed while this one waited
                return self._last_result
            if self.status != "connected":
                return False
            return self._refresh_locked(http)

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["expires_at"] = self.expires_at.isoformat() if self.expires_at else None
        return info

    def tokens(self) -> dict[str, Any]:
        """The record saved in a TokenStore (secret: for the store only)."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "status": self.status,
            "origin": self.origin,
        }

    def restore(self, saved: Mapping[str, Any]) -> bool:
        """Take a saved record over the configured tokens; False (ignored) when the owner has
        configured other tokens since that record was derived from the old ones."""
        origin = saved.get("origin")
        if origin and origin != self.origin:
            return False
        with self._lock:
            for key in ("access_token", "refresh_token"):
                if isinstance(saved.get(key), str):
                    setattr(self, key, saved[key])
            if "expires_at" in saved:
                self.expires_at = _expiry(saved["expires_at"])
            if saved.get("status") in STATUSES:
                self.status = saved["status"]
        return True

    # -- internals ---------------------------------------------------------------------------

    def _add_credentials(self, request: httpx.Request, http: HostHttp | None) -> httpx.Request:
        with self._lock:
            if self.status != "connected":  # another run's refresh failed while this one waited
                self._check_usable(request.url.host)
            if self.needs_refresh() and not self._refresh_locked(http):
                raise DelugeRuntimeError(
                    f"connection '{self.name}' is not authorized: its token could not be refreshed; "
                    "its owner must authorize it again")
            token = self.access_token
        if self.param_type == "query":
            request.url = request.url.copy_set_param("access_token", token)
        else:
            request.headers["Authorization"] = f"{self.header_prefix} {token}"
        return request

    def _token_form(self) -> dict[str, str] | None:
        if self.refresh_token:
            form = {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
        elif self.grant_type == "client_credentials":
            form = {"grant_type": "client_credentials"}
        else:
            return None
        form["client_id"] = self.client_id
        if self.client_secret:
            form["client_secret"] = self.client_secret
        if self.scopes:
            # "plus" means a space once form-encoded, which is how a '+' reads in a query string
            form["scope"] = (" " if self.scope_delimiter == "+" else self.scope_delimiter).join(self.scopes)
        return form

    def _refresh_locked(self, http: HostHttp | None) -> bool:
        """The refresh itself; the caller holds the lock. The attempt is counted when it is over, so
        a `refresh()` that started waiting during it sees the count change and takes its result."""
        form = self._token_form()
        if not self.token_url or form is None:
            ok = self._failed("no token URL" if not self.token_url else "no refresh token to refresh with")
        else:
            try:
                status, body = self._post(http, form)
            except (BudgetExceeded, ConsentRequired):
                raise
            except Exception as error:  # any failure to reach the endpoint is a failed refresh
                ok = self._failed(f"the token endpoint could not be reached ({type(error).__name__}: {error})")
            else:
                ok = self._accept(status, body)
        self._last_result = ok
        self._attempts += 1
        self._save()
        return ok

    def _post(self, http: HostHttp | None, form: dict[str, str]) -> tuple[int, bytes]:
        if http is not None:
            response: Any = http.request(None, "POST", self.token_url, data=form)
        elif self.client is not None:
            response = self.client.post(self.token_url, data=form)
        else:
            raise RuntimeError("no HTTP client to reach the token endpoint with")
        if isinstance(response, httpx.Response):
            return response.status_code, response.content
        return int(response.status), bytes(response.body)

    def _accept(self, status: int, body: bytes) -> bool:
        if not 200 <= status < 300:
            return self._failed(f"the token endpoint answered {status}")
        try:
            data = json.loads(body)
        except ValueError:
            return self._failed("the token endpoint's answer is not JSON")
        if not isinstance(data, dict):
            return self._failed("the token endpoint's answer is not a JSON object")
        token = data.get("access_token")
        if not isinstance(token, str) or not token or MASK in token or any(c in token for c in "\r\n\0"):
            error = data.get("error")
            reason = f": {error}" if isinstance(error, str) else ""
            return self._failed(f"the token endpoint gave no access token{reason}")
        lifetime = data.get("expires_in")
        if isinstance(lifetime, str) and lifetime.strip().isdigit():
            lifetime = int(lifetime)
        now = _as_utc(self.clock())
        self.access_token = token
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool):
            self.expires_at = now + timedelta(seconds=max(0.0, float(lifetime)))
        else:
            self.expires_at = None  # unknown: used until a 401 says otherwise
        rotated = data.get("refresh_token")
        if isinstance(rotated, str) and rotated and MASK not in rotated and not any(c in rotated for c in "\r\n\0"):
            self.refresh_token = rotated
        self.status = "connected"
        self.last_error = ""
        return True

    def _failed(self, reason: str) -> bool:
        self.status = "disconnected"
        self.last_error = mask(reason, self.secrets())
        log.warning("connection %r: refresh failed: %s", self.name, self.last_error)
        return False

    def _save(self) -> None:
        if self.token_store is not None:
            self.token_store.save(self.name, self.tokens())


def token_origin(access_token: str, refresh_token: str) -> str:
    """A short hash naming a pair of configured tokens (not reversible; only compared)."""
    if not access_token and not refresh_token:
        return ""
    digest = hashlib.sha256(f"{access_token}\0{refresh_token}".encode()).hexdigest()
    return digest[:16]


# ---------------------------------------------------------------------------------------------
# Token stores


class TokenStore(Protocol):
    """Where refreshed OAuth2 tokens live between runs and restarts."""

    def load(self, name: str) -> dict[str, Any] | None: ...

    def save(self, name: str, tokens: dict[str, Any]) -> None: ...


class MemoryTokenStore:
    """Tokens kept for the life of the process (tests, single-process hosts)."""

    def __init__(self) -> None:
        self._tokens: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def load(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            saved = self._tokens.get(name)
            return dict(saved) if saved is not None else None

    def save(self, name: str, tokens: dict[str, Any]) -> None:
        with self._lock:
            self._tokens[name] = dict(tokens)

    def __repr__(self) -> str:
        return f"MemoryTokenStore({sorted(self._tokens)})"


class FileTokenStore:
    """Tokens in one JSON file `{name: record}`, readable by its owner only (mode 0600).

    Every save is a read-modify-write under a thread lock and, on POSIX, an `flock` on a sibling
    `.lock` file (several processes may share the file), written to a temporary file in the same
    folder and moved over the old one, so a crash never leaves half a file. A file that is not a
    JSON object is a ValueError, never overwritten.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def load(self, name: str) -> dict[str, Any] | None:
        with self._lock, self._file_lock():
            saved = self._read().get(name)
        return dict(saved) if isinstance(saved, dict) else None

    def save(self, name: str, tokens: dict[str, Any]) -> None:
        with self._lock, self._file_lock():
            data = self._read()
            data[name] = dict(tokens)
            self._write(data)

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if fcntl is None:
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text) if text.strip() else {}
        except ValueError:
            raise ValueError(f"token file {self.path} is not valid JSON") from None
        if not isinstance(data, dict):
            raise ValueError(f"token file {self.path} does not hold a JSON object")
        return data

    def _write(self, data: dict[str, Any]) -> None:
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise


# ---------------------------------------------------------------------------------------------
# The registry


_COMMON_KEYS = frozenset({"service", "auth", "hosts", "scopes", "status"})
_KIND_KEYS: dict[str, tuple[type[Connection], frozenset[str]]] = {
    "oauth2": (OAuth2Connection, frozenset({
        "client_id", "client_secret", "token_url", "access_token", "refresh_token", "expires_at",
        "grant_type", "header_prefix", "param_type", "scope_delimiter"})),
    "api_key": (ApiKeyConnection, frozenset({"key_name", "key_value", "where"})),
    "basic": (BasicConnection, frozenset({"user", "password"})),
    "none": (NoAuthConnection, frozenset()),
}
_DELIMITERS = {"comma": ",", "space": " ", "plus": "+", ",": ",", " ": " ", "+": "+"}


class ConnectionRegistry:
    """The host's connections by link name; what `HostHttp` and the task router look names up in."""

    def __init__(self, connections: Iterable[Connection] = ()) -> None:
        self._connections: dict[str, Connection] = {}
        self._lock = threading.Lock()
        for connection in connections:
            self.add(connection)

    def add(self, connection: Connection) -> None:
        if not isinstance(connection, Connection):
            raise TypeError(f"not a Connection: {type(connection).__name__}")
        with self._lock:
            if connection.name in self._connections:
                raise ValueError(f"connection '{connection.name}' is already registered")
            self._connections[connection.name] = connection

    def get(self, name: str) -> Connection:
        """The connection with that link name, or the script's runtime error (naming nothing else)."""
        found = self._connections.get(name) if isinstance(name, str) else None
        if found is None:
            shown = name[:60] if isinstance(name, str) else type(name).__name__
            raise DelugeRuntimeError(f"connection '{shown}' not found")
        return found

    def names(self) -> tuple[str, ...]:
        return tuple(self._connections)

    def secrets(self) -> tuple[str, ...]:
        """Every secret of every connection (for masking anything shown or returned)."""
        return tuple(dict.fromkeys(s for c in list(self._connections.values()) for s in c.secrets()))

    def describe(self) -> list[dict[str, Any]]:
        return [c.describe() for c in list(self._connections.values())]

    def __contains__(self, name: object) -> bool:
        return name in self._connections

    def __len__(self) -> int:
        return len(self._connections)

    def __iter__(self) -> Iterator[Connection]:
        return iter(list(self._connections.values()))

    def __repr__(self) -> str:
        return f"ConnectionRegistry({list(self._connections)})"

    __str__ = __repr__

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str], token_store: TokenStore | None = None,
                  clock: Clock | None = None, *, client: httpx.Client | None = None,
                  environ: Mapping[str, str] | None = None) -> ConnectionRegistry:
        """Load the registry file (shape in the module docstring); saved tokens merged over it."""
        with open(path, "rb") as handle:
            try:
                data = tomllib.load(handle)
            except tomllib.TOMLDecodeError as error:
                raise ValueError(f"connections file {path}: {error}") from None
        return cls.from_dict(data, token_store=token_store, clock=clock, client=client, environ=environ)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], token_store: TokenStore | None = None,
                  clock: Clock | None = None, *, client: httpx.Client | None = None,
                  environ: Mapping[str, str] | None = None) -> ConnectionRegistry:
        """Build from the parsed file: `{"connections": {link_name: {key: value}}}`."""
        extra = set(data) - {"connections"}
        if extra:
            raise ValueError(f"unknown top-level keys in the connections file: {', '.join(sorted(extra))}")
        tables = data.get("connections", {})
        if not isinstance(tables, Mapping):
            raise ValueError("'connections' must be a table of connections")
        env = os.environ if environ is None else environ
        registry = cls()
        for name, table in tables.items():
            registry.add(_build(name, table, env, token_store, clock, client))
        return registry


def _build(name: str, table: Any, env: Mapping[str, str], store: TokenStore | None,
           clock: Clock | None, client: httpx.Client | None) -> Connection:
    if not valid_link_name(name):
        raise ValueError(f"{name!r} is not a valid connection link name: use lower-case letters, digits and "
                         "'_', starting with a letter, at most 50 characters")
    if not isinstance(table, Mapping):
        raise ValueError(f"connection '{name}' must be a table")
    auth = table.get("auth")
    if auth not in _KIND_KEYS:
        raise ValueError(f"connection '{name}': auth must be one of {', '.join(_KIND_KEYS)}")
    kind, keys = _KIND_KEYS[auth]
    unknown = set(table) - _COMMON_KEYS - keys
    if unknown:
        raise ValueError(f"connection '{name}': unknown keys {', '.join(sorted(unknown))} for auth = \"{auth}\"")
    if "service" not in table:
        raise ValueError(f"connection '{name}': service is required")
    values = {key: _resolve(name, key, value, env) for key, value in table.items() if key != "auth"}
    args: dict[str, Any] = {"name": name, "service": values.pop("service")}
    if "hosts" in values:
        args["allowed_hosts"] = values.pop("hosts")
    if kind is OAuth2Connection:
        if "scope_delimiter" in values:
            delimiter = values.pop("scope_delimiter")
            if delimiter not in _DELIMITERS:
                raise ValueError(f"connection '{name}': scope_delimiter must be comma, space or plus")
            args["scope_delimiter"] = _DELIMITERS[delimiter]
        args.update(token_store=store, client=client)
        if clock is not None:
            args["clock"] = clock
    missing = {ApiKeyConnection: ("key_name", "key_value"), BasicConnection: ("user", "password")}.get(kind, ())
    for key in missing:
        if key not in values:
            raise ValueError(f"connection '{name}': {key} is required for auth = \"{auth}\"")
    args.update(values)
    try:
        connection = kind(**args)
    except (TypeError, ValueError) as error:
        message = str(error)
        raise ValueError(message if f"'{name}'" in message else f"connection '{name}': {message}") from None
    if isinstance(connection, OAuth2Connection) and store is not None:
        saved = store.load(name)
        if saved:
            connection.restore(saved)
    return connection


def _resolve(name: str, key: str, value: Any, env: Mapping[str, str]) -> Any:
    """`"env:NAME"` -> the variable's value; a missing one names the connection and key only."""
    if isinstance(value, str) and value.startswith("env:"):
        variable = value[4:]
        if not variable:
            raise ValueError(f"connection '{name}': {key} names an empty environment variable")
        if variable not in env:
            raise ValueError(f"connection '{name}': {key} reads the environment variable {variable}, which is not set")
        return env[variable]
    return value


# ---------------------------------------------------------------------------------------------
# Masking


def _forms(secret: str) -> set[str]:
    """The ways a secret shows up in text: as is, URL-encoded, JSON-escaped, base64 (std/url-safe,
    with and without padding; so `user:password` also covers a Basic header)."""
    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret),
             json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    forms |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), f) for f in list(forms)}
    raw = secret.encode("utf-8", "surrogatepass")
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = encoded.decode("ascii")
        forms |= {text, text.rstrip("=")}
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


@functools.lru_cache(maxsize=64)
def _pattern(secrets: frozenset[str]) -> re.Pattern[str] | None:
    forms: set[str] = set()
    for secret in secrets:
        forms |= _forms(secret)
    if not forms:
        return None
    return re.compile("|".join(re.escape(f) for f in sorted(forms, key=lambda f: (-len(f), f))))


def _compiled(secrets: Iterable[str]) -> re.Pattern[str] | None:
    kept = frozenset(s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET_LENGTH)
    return _pattern(kept) if kept else None


def mask(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret, and its URL-encoded, JSON-escaped and base64 forms, as `****`.

    Secrets shorter than MIN_SECRET_LENGTH (4) are ignored: they would hit ordinary text. Longer
    forms are replaced first, so a secret inside another secret never leaves a partial match.
    """
    pattern = _compiled(secrets)
    return pattern.sub(MASK, text) if pattern is not None and text else text


def mask_data(value: Any, secrets: Iterable[str]) -> Any:
    """`mask` through strings, bytes, dict keys and values, lists and tuples; a copy of the same
    types (list/dict subclasses keep their class and attributes), anything else unchanged."""
    pattern = _compiled(secrets)
    if pattern is None:
        return value
    return _mask_value(value, pattern, 0)


def _mask_value(value: Any, pattern: re.Pattern[str], depth: int) -> Any:
    if depth > 200:  # deeper than any Deluge value may be (data_nesting); leave it rather than recurse
        return value
    if isinstance(value, str):
        return pattern.sub(MASK, value)
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("utf-8", "surrogateescape")
        masked = pattern.sub(MASK, text)
        return value if masked == text else type(value)(masked.encode("utf-8", "surrogateescape"))
    if isinstance(value, dict):
        items = [(_mask_value(k, pattern, depth + 1), _mask_value(v, pattern, depth + 1)) for k, v in value.items()]
        copy = _empty_copy(value)
        copy.update(items)
        return copy
    if isinstance(value, list):
        masked_items = [_mask_value(v, pattern, depth + 1) for v in value]
        copy = _empty_copy(value)
        copy.extend(masked_items)
        return copy
    if isinstance(value, tuple):
        return type(value)(_mask_value(v, pattern, depth + 1) for v in value) if type(value) is tuple else value
    return value


def _empty_copy(value: Any) -> Any:
    if type(value) in (dict, list):
        return type(value)()
    duplicate = copy.copy(value)
    duplicate.clear()
    return duplicate
