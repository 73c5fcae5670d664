"""The host side of `zoho.<service>.<task>(...)`: checks the call, picks the connection and the provider.

`helpers.task` (consent, call limits) hands every integration task to `ex.host.tasks(ex, name,
args)`. `TaskRouter` is that callable for a host that talks to the real services over HTTP:
it checks the arguments against the task's catalog form (wrong types are `runtime` errors,
PLATFORM.md 5.1), takes the connection from the last argument (the same rule as
`helpers.task`: the call has more arguments than the form requires and the last one is a
text), else the component's default connection for the service, else -- for Cliq only -- the
host's "system" connection. A connection that lists scopes not covering the task gets the
`oauth_scope_mismatch` map without a request (PLATFORM.md 5.1). Then the service's provider
(`cliq.CliqProvider`, `crm.CrmProvider`) gets a `TaskCall` and sends one request through
`HostHttp.request`, which adds the connection's credentials and applies the network policy.

Service-side failures come back as the service's error map (never raised); host-side problems
(no provider, no connection, a network refusal or a timeout) are `DelugeRuntimeError`s.
The helpers at the end are shared by the providers.
"""

from __future__ import annotations

import json as _json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urlsplit

import attrs
import httpx

from deluge import catalog
from deluge.errors import DelugeError, DelugeRuntimeError
from deluge.host.netpolicy import LookupFailed, NetworkRefused
from deluge.runtime.render import render
from deluge.runtime.values import Blank, DateTime, DFile, DList, DMap, Time, look_through, type_name

if TYPE_CHECKING:
    from deluge.catalog import Entry, Param
    from deluge.host.tasks.cliq import CliqConfig
    from deluge.host.tasks.crm import CrmConfig

__all__ = ["HttpClient", "Provider", "TaskCall", "TaskRouter"]


class HttpClient(Protocol):
    """What the providers need of `deluge.host.http.HostHttp`: its one outbound path."""

    def request(self, ex: Any, method: str, url: str, *, params: Any = None, headers: Any = None,
                content: bytes | None = None, data: Any = None, files: Any = None, json: Any = None,
                connection: str | None = None, timeout: float | None = None) -> Any: ...


@attrs.frozen
class TaskCall:
    """One checked task call, as a provider receives it."""

    ex: Any
    name: str
    """The full task name as the catalog spells it: `zoho.cliq.postToChannel`."""
    task: str
    """The name after the service: `postToChannel`, `extension.setProperties`."""
    args: tuple[Any, ...]
    """The arguments without the connection, checked against the catalog form; an omitted
    optional argument (or a null one) is None, so `len(args)` is the form's parameter count."""
    connection: str
    """The link name the request is sent with (explicit, the default, or Cliq's system one)."""


class Provider(Protocol):
    """A service's tasks: `tasks` names what it implements, a call sends the request."""

    service: str
    tasks: frozenset[str]

    def scopes(self, call: TaskCall) -> tuple[tuple[str, ...], ...]:
        """The OAuth scopes the call needs: every group must be covered by one of its scopes."""
        ...

    def __call__(self, call: TaskCall) -> Any: ...


class TaskRouter:
    """`ex.host.tasks`: dispatches `zoho.cliq.*` and `zoho.crm.*` to their providers."""

    def __init__(
        self,
        http: HttpClient,
        *,
        cliq: CliqConfig | None = None,
        crm: CrmConfig | None = None,
        default_connections: Mapping[str, str] | None = None,
    ) -> None:
        from deluge.host.tasks.cliq import CliqConfig, CliqProvider
        from deluge.host.tasks.crm import CrmConfig, CrmProvider

        self.http = http
        self.cliq = cliq if cliq is not None else CliqConfig()
        self.crm = crm if crm is not None else CrmConfig()
        self.default_connections = dict(default_connections or {})
        self.providers: dict[str, Provider] = {
            "cliq": CliqProvider(http, self.cliq),
            "crm": CrmProvider(http, self.crm),
        }

    def __call__(self, ex: Any, name: str, args: tuple[Any, ...] | list[Any]) -> Any:
        service, _, task = name.removeprefix("zoho.").partition(".")
        provider = self.providers.get(service)
        if provider is None or task not in provider.tasks:
            raise DelugeRuntimeError(f"The task {name} has no provider in this host")
        form = _form(name)
        values, explicit = _split_connection(form, tuple(args))
        connection = explicit or self.default_connections.get(service)
        if connection is None:
            if service != "cliq":
                raise DelugeRuntimeError(f"{name}: connection required (pass the link name of a "
                                         f"{service} connection as the last argument)")
            connection = self.cliq.system_connection
        call = TaskCall(ex=ex, name=form.name, task=task, args=_check(form, values), connection=connection)
        missing = self._missing_scope(provider, call)
        if missing is not None:
            return missing
        return _guarded(provider, call)

    def _missing_scope(self, provider: Provider, call: TaskCall) -> dict[str, str] | None:
        """PLATFORM.md 5.1: a connection whose scopes do not cover the task gets the service's
        `oauth_scope_mismatch` map, not a request. A connection that lists no scopes is not judged
        (the service will say), nor is one this host cannot look up here (`HostHttp` will)."""
        registry = getattr(self.http, "connections", None)
        try:
            connection = registry.get(call.connection) if registry is not None else None
        except DelugeError:
            return None
        granted = tuple(getattr(connection, "scopes", ()) or ())
        if not granted:
            return None
        for group in provider.scopes(call):
            if not any(covers(scope, needed) for scope in granted for needed in group):
                return {"code": "oauth_scope_mismatch",
                        "message": f"The connection '{call.connection}' does not have the scope "
                                   f"{' or '.join(group)} that {call.name} needs"}
        return None

    def secrets(self) -> tuple[str, ...]:
        """Credentials of the providers' own configuration (the extension key), for masking."""
        return tuple(s for s in (self.cliq.extension_key,) if s)


def _guarded(provider: Provider, call: TaskCall) -> Any:
    """Transport failures are host-side problems: a runtime error naming the task, no URL (it may
    carry a key in its query) and no library detail."""
    try:
        return provider(call)
    except DelugeError:
        raise
    except httpx.TimeoutException:
        raise DelugeRuntimeError(f"{call.name}: the service did not answer in time") from None
    except httpx.HTTPError as exc:
        raise DelugeRuntimeError(f"{call.name}: the request to the service failed ({type(exc).__name__})") from None
    except (NetworkRefused, LookupFailed) as exc:  # the policy's message names the host, never a secret
        raise DelugeRuntimeError(f"{call.name}: {exc}") from None


# ---------------------------------------------------------------- arguments


def _form(name: str) -> Entry:
    forms = catalog.load().functions(name)
    if not forms:
        raise DelugeRuntimeError(f"The task {name} has no provider in this host")
    return forms[0]


def _split_connection(form: Entry, args: tuple[Any, ...]) -> tuple[tuple[Any, ...], str | None]:
    """The rule of `helpers.task` (PLATFORM.md 5.1): more arguments than required and a text last."""
    if len(args) > form.min_args and type(args[-1]) is str and form.params and form.params[-1].name == "connection":
        return args[:-1], args[-1]
    return args, None


_TYPE_WORDS = {"text": "TEXT", "number": "NUMBER", "decimal": "DECIMAL", "boolean": "BOOLEAN",
               "map": "KEY-VALUE", "list": "LIST", "file": "FILE"}

_FITS: dict[str, Callable[[Any], bool]] = {
    "text": lambda v: type(v) is str,
    "number": lambda v: type(v) is int,
    "decimal": lambda v: type(v) is float,
    "boolean": lambda v: type(v) is bool,
    "map": lambda v: isinstance(v, dict),
    "list": lambda v: isinstance(v, list),
    "file": lambda v: type(v) is DFile,
    "any": lambda v: True,
}


def _check(form: Entry, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Arguments against the form (without its connection parameter): count, then each type."""
    params = [p for p in form.params if p.name != "connection"]
    if len(args) == len(params) + 1 and len(form.params) > len(params):  # a connection that is not a text
        _argument(form.name, form.params[-1], args[-1])  # refuses all but null: an omitted connection
        args = args[:-1]
    required = sum(1 for p in params if not p.optional)
    if not required <= len(args) <= len(params):
        expected = str(required) if required == len(params) else f"{required} to {len(params)}"
        raise DelugeRuntimeError(f"{form.name} takes {expected} arguments besides the connection, "
                                 f"not {len(args)}")
    checked = [_argument(form.name, p, v) for p, v in zip(params, args, strict=False)]
    return tuple(checked) + (None,) * (len(params) - len(args))


def _argument(task: str, param: Param, value: Any) -> Any:
    value = look_through(value)
    if type(value) is Blank:  # `{}` never used yet: an empty list where a list fits, else a map
        value = DList() if "list" in param.types and "map" not in param.types else DMap()
    if value is None and param.optional:
        return None
    if any(_FITS.get(kind, _FITS["any"])(value) for kind in param.types):
        return value
    wanted = " or ".join(_TYPE_WORDS.get(kind, kind.upper()) for kind in param.types)
    raise DelugeRuntimeError(f"{task}: the argument {param.name} must be a {wanted}, not a {type_name(value)}")


# ---------------------------------------------------------------- helpers for the providers


def covers(granted: str, needed: str) -> bool:
    """Whether a Zoho scope `Service.resource[.sub].OPERATION` grants `needed`: the same resource
    path or a shorter one (`ZohoCRM.modules.ALL` covers `ZohoCRM.modules.Leads.READ`), and the
    operation `ALL` or the same operation. Case does not matter."""
    have, want = granted.strip().lower().split("."), needed.strip().lower().split(".")
    if len(have) < 2 or len(have) > len(want):
        return False
    return have[:-1] == want[: len(have) - 1] and have[-1] in ("all", want[-1])


def segment(task: str, what: str, value: Any) -> str:
    """One path segment from a script value: ids are text, everything is percent-encoded, and
    `.`/`..`/empty are refused so that a value can never climb out of its resource path."""
    text = str(value) if type(value) is int else value
    if type(text) is not str or text.strip() in ("", ".", ".."):
        raise DelugeRuntimeError(f"{task}: the {what} must be a non-empty TEXT or NUMBER")
    return quote(text, safe="@")


def query_text(value: Any) -> str:
    """A query parameter's text: booleans as `true`/`false`, lists comma-joined, the rest rendered."""
    value = look_through(value)
    if type(value) is bool:
        return "true" if value else "false"
    if value is None:
        return ""
    if type(value) is str:
        return value
    if isinstance(value, list):
        return ",".join(query_text(v) for v in value)
    return render(value)


def query_params(query: Mapping[Any, Any] | None, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """A script's query map as request parameters (keys rendered, values as `query_text`)."""
    out: dict[str, str] = {}
    for key, value in (query or {}).items():
        name = key if type(key) is str else render(key)
        if name not in skip:
            out[name] = query_text(value)
    return out


def json_value(value: Any, dates: Callable[[DateTime], str] | None = None) -> Any:
    """JSON-able data of a Deluge value; `dates` formats date-times (default: their Deluge text)."""
    value = look_through(value)
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int or kind is float:
        return value
    if isinstance(value, dict):
        return {k if type(k) is str else render(k): json_value(v, dates) for k, v in value.items()}
    if isinstance(value, list):
        return [json_value(v, dates) for v in value]
    if kind is Blank:
        return {}
    if kind is DateTime and dates is not None:
        return dates(value)
    if kind is Time or kind is DateTime:
        return render(value)
    if kind is DFile:
        return {"file": value.name, "size": len(value.content), "type": value.content_type}
    return render(value)


_NO_JSON = object()


def decoded(response: Any) -> Any:
    """The response body as JSON data, None when empty, `_NO_JSON` when it is not JSON."""
    body = bytes(response.body or b"")
    if not body.strip():
        return None
    try:
        return _json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return _NO_JSON


def succeeded(response: Any) -> bool:
    return 200 <= int(response.status) < 300


def service_error(response: Any, data: Any = _NO_JSON) -> dict[str, Any]:
    """A failure as the script sees it (PLATFORM.md 5.1): the service's own error map when it sent
    one, else `{"code": "operation_failed", "message": ...}` naming the HTTP status [choice]."""
    if data is _NO_JSON:
        data = decoded(response)
    if isinstance(data, dict) and data:
        return data
    host = urlsplit(str(getattr(response, "url", "") or "")).hostname or "the service"
    return {"code": "operation_failed",
            "message": f"The request to {host} failed with HTTP status {int(response.status)}"}


def unexpected(response: Any) -> dict[str, Any]:
    """A 2xx answer whose body is not what the API documents: reported like a failure."""
    return {"code": "operation_failed",
            "message": f"The service answered HTTP {int(response.status)} with an unexpected body"}


def is_json(data: Any) -> bool:
    return data is not _NO_JSON
