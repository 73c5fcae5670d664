"""Creator record functions and the legacy HTTP functions (catalog groups `record` and `network`).

The record forms (`count(Form[...])`, `Form[...].getAll()`, `openUrl(...)`) need
a host record store and a form client (LANGUAGE.md 5.15, D8); this interpreter
has neither, so each is the runtime error "not available in this host", raised
when the call runs. `getUrl`/`postUrl` go through the checks of `invokeurl`
(LANGUAGE.md 5.13, D29).
"""

from __future__ import annotations

from typing import Any

from deluge.builtins.registry import KIND_TYPES, function, method
from deluge.runtime import network
from deluge.runtime.execution import not_available


class Records:
    """The records a Creator fetch returns; only a host record store makes them."""

    __slots__ = ()


KIND_TYPES["records"] = (Records,)


@function("count")
def count(ex: Any, records: Any) -> int:
    raise not_available("count(...) on Creator records")


@method("records", "count")
def records_count(ex: Any, records: Any, field: Any = None) -> int:
    raise not_available("count() on Creator records")


@method("records", "getAll")
def records_get_all(ex: Any, records: Any) -> Any:
    raise not_available("getAll() on Creator records")


@function("openUrl")
def open_url(ex: Any, url: Any, window: Any, options: Any = None) -> None:
    raise not_available("openUrl")


@function("getUrl")
def get_url(ex: Any, url: Any, headers: Any = None, simple: Any = True) -> Any:
    return network.get_url(ex, url, headers, simple)


@function("postUrl")
def post_url(ex: Any, url: Any, body: Any, headers: Any = None, simple: Any = True) -> Any:
    return network.post_url(ex, url, body, headers, simple)
