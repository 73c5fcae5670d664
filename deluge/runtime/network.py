"""`invokeurl` and `sendmail` (LANGUAGE.md 5.11, 5.12): checks first, then the host's transport.

Every request is checked in the order of D47 before anything is sent: the URL's
syntax and scheme (`runtime` errors), then the run's grant for the host (and
the connection, if one is named) (`consent`). The request itself goes through
the host's HTTP client (`host.http`); a host without one cannot reach the
network, which is a runtime error "not available in this host".
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from deluge.errors import BudgetExceeded, DelugeRuntimeError
from deluge.runtime.convert import from_host
from deluge.runtime.execution import Execution, not_available
from deluge.runtime.values import type_name

ALLOWED_SCHEMES = ("http", "https")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def api_capability(url: str) -> str:
    """The capability a URL needs: `api:host` (lower-case, with a port only when not the default)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        raise DelugeRuntimeError(f"The URL '{url}' has an invalid port") from None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    if port is not None and port != default:
        return f"api:{host}:{port}"
    return f"api:{host}"


def check_url(url: Any) -> str:
    if type(url) is not str:
        raise DelugeRuntimeError(f"The url must be a TEXT, not a value of type {type_name(url)}")
    text = url.strip()
    if len(text) > 2048:
        raise DelugeRuntimeError("The URL is longer than 2048 characters")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise DelugeRuntimeError(f"'{text}' is not a valid URL") from None
    if not parts.scheme or not parts.netloc or not parts.hostname:
        raise DelugeRuntimeError(f"'{text}' is not a valid URL")
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise DelugeRuntimeError(f"The URL scheme '{parts.scheme}' is not allowed; use http or https")
    if any(ch in text for ch in "\r\n\t ") :
        raise DelugeRuntimeError("The URL contains white space")
    return text


def invokeurl(ex: Execution, entries: dict[str, Any]) -> Any:
    url = check_url(entries.get("url"))
    method = entries.get("type", "GET")
    if type(method) is not str or method.upper() not in METHODS:
        raise DelugeRuntimeError(f"The invokeurl type must be one of {', '.join(METHODS)}")
    ex.require(api_capability(url), f"invokeurl to {url}")
    connection = entries.get("connection")
    if connection is not None:
        if type(connection) is not str:
            raise DelugeRuntimeError("The connection must be the TEXT name of a connection")
        ex.require(f"connection:{connection}", f"The connection '{connection}'")
    if ex.http_calls >= ex.limits.http_calls:
        raise BudgetExceeded(f"More than {ex.limits.http_calls} invokeurl calls in one run", limit="http_calls")
    ex.http_calls += 1
    client = getattr(ex.host, "http", None) if ex.host is not None else None
    if client is None:
        raise not_available("The network")
    return _received(ex, client.invokeurl(ex, url, method.upper(), entries))


def _received(ex: Execution, response: Any) -> Any:
    """The host client's answer as a Deluge value, held to the response-size limit."""
    limit = ex.limits.response_bytes
    body = response.get("responseText", response) if isinstance(response, dict) else response
    size = len(body.encode("utf-8", "surrogatepass")) if isinstance(body, str) else (
        len(body) if isinstance(body, (bytes, bytearray)) else 0)
    if size > limit:
        raise BudgetExceeded(f"The HTTP response of {size} bytes is larger than the limit of {limit}",
                             limit="response_bytes")
    return from_host(response, ex.limits.data_nesting)


def sendmail(ex: Execution, entries: dict[str, Any]) -> None:
    ex.require("mail:send", "sendmail")
    mailer = getattr(ex.host, "mail", None) if ex.host is not None else None
    if mailer is None:
        raise not_available("Sending mail")
    mailer.send(ex, entries)


def get_url(ex: Execution, url: Any, headers: Any = None, simple: Any = True) -> Any:
    """`getUrl(url[, headers][, simple])` (LANGUAGE.md 5.13): a GET through the same checks as invokeurl.

    With `simple` false the result is the detailed map of 5.11; a map given as the
    second argument is the headers, a boolean is `simple`.
    """
    if type(headers) is bool and simple is True:
        headers, simple = None, headers
    entries: dict[str, Any] = {"url": url, "type": "GET"}
    if headers is not None:
        entries["headers"] = headers
    if simple is False:
        entries["detailed"] = True
    elif simple is not True:
        raise DelugeRuntimeError("getUrl: the last argument must be true or false")
    return invokeurl(ex, entries)


def post_url(ex: Execution, url: Any, body: Any, headers: Any = None, simple: Any = True) -> Any:
    """`postUrl(url, body[, headers][, simple])` (LANGUAGE.md 5.13): a POST, checked like invokeurl."""
    if type(headers) is bool and simple is True:
        headers, simple = None, headers
    entries: dict[str, Any] = {"url": url, "type": "POST", "parameters": body}
    if headers is not None:
        entries["headers"] = headers
    if simple is False:
        entries["detailed"] = True
    elif simple is not True:
        raise DelugeRuntimeError("postUrl: the last argument must be true or false")
    return invokeurl(ex, entries)
