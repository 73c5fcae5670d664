"""Where a script's HTTP requests may go: the address and shape checks of D47, in one place.

A sandboxed script must not reach the host's own network: loopback, private and
link-local addresses, cloud metadata services, multicast and reserved blocks are
refused, however the address is written. The checks work on addresses, not on
spellings: a host name is resolved once and every address it resolves to is
classified (a name with one private address among public ones is refused);
numeric spellings that `inet_aton`/`getaddrinfo` accept (`0x7f000001`,
`2130706433`, `017700000001`, `127.1`) are decoded the way the C library would
and classified by the address they mean, then refused anyway because no honest
URL writes an address that way; IPv6 forms that carry an IPv4 address
(IPv4-mapped, IPv4-compatible, SIIT, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are
judged by the IPv4 address inside. Names that always mean this machine
(`localhost`, `localhost.`, `*.localhost`, RFC 6761) are answered here with the
loopback addresses, never asked of DNS; cloud metadata names
(`metadata.google.internal`, ...) are refused by name.

A host that needs one of these addresses (tests reach a loopback server) lists
it, or its network, in `NetworkPolicy.allow`. A cloud metadata address is let
through only by an entry naming exactly that address, never by a wider network.

The policy also holds the request-shape limits of LANGUAGE.md section 8 (URL
length, header count and size, body size, redirects, timeouts); `check_url`
and `check_headers` apply the ones that need no request to be built.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import attrs

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]


class NetworkRefused(Exception):
    """A request the policy does not let through; the message names the reason."""


class LookupFailed(Exception):
    """A host name that could not be resolved (or not within the time left)."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


# ------------------------------------------------------------------ address classes

METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",   # AWS, GCP, Azure, OpenStack, Oracle, DigitalOcean instance metadata
    "169.254.169.253",   # AWS VPC DNS
    "169.254.170.2",     # AWS ECS task metadata
    "100.100.100.200",   # Alibaba Cloud metadata
    "fd00:ec2::254",     # AWS metadata over IPv6
    "fd00:ec2::253",     # AWS VPC DNS over IPv6
))
"""Addresses of cloud instance-metadata services, which hand out the machine's credentials."""

METADATA_NAMES = frozenset({
    "metadata.google.internal", "metadata.goog", "metadata", "instance-data",
    "instance-data.ec2.internal", "metadata.azure.internal",
})
LOCALHOST_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
LOOPBACK_ANSWER = ("127.0.0.1", "::1")

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network
_THIS_NETWORK = _V4("0.0.0.0/8")
_SHARED = _V4("100.64.0.0/10")
_PRIVATE_V4 = (_V4("10.0.0.0/8"), _V4("172.16.0.0/12"), _V4("192.168.0.0/16"))
_BROADCAST = ipaddress.IPv4Address("255.255.255.255")
_GLOBAL_UNICAST_V6 = _V6("2000::/3")
_UNIQUE_LOCAL = _V6("fc00::/7")
_SITE_LOCAL = _V6("fec0::/10")
_SPECIAL_V6 = (_V6("2001::/23"), _V6("2001:db8::/32"), _V6("3fff::/20"))
"""IETF protocol assignments (Teredo, benchmarking, ORCHID...) and documentation blocks."""
_LOCAL_NAT64 = _V6("64:ff9b:1::/48")

# IPv6 forms that carry an IPv4 address in their low (or, for 6to4, middle) bits.
_EMBEDDING = (
    (_V6("::ffff:0:0/96"), "IPv4-mapped", True),
    (_V6("::ffff:0:0:0/96"), "SIIT (IPv4-translated)", False),
    (_V6("64:ff9b::/96"), "NAT64", True),
    (_V6("::/96"), "IPv4-compatible", False),
)
"""(network, name, usable): a usable form with a public IPv4 inside may be connected to."""


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str, bool] | None:
    """The IPv4 address an IPv6 address carries, the form's name, and whether the form is usable."""
    if ip.sixtofour is not None:
        return ip.sixtofour, "6to4", True
    for network, name, usable in _EMBEDDING:
        if ip in network and int(ip) > 1:  # `::` and `::1` are themselves, not IPv4-compatible forms
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), name, usable
    return None


def classify(ip: IPAddress) -> str | None:
    """Why `ip` must not be reached ("loopback", "private", ...), or None for a public address."""
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "an address with a zone index"
        inner = embedded_ipv4(ip)
        if inner is not None:
            v4, form, usable = inner
            reason = classify(v4)
            if reason is not None:
                return f"{reason} ({form} form of {v4})"
            return None if usable else f"a deprecated {form} address"
        if ip in _LOCAL_NAT64:
            return "a local-use NAT64 address"
    if ip.is_unspecified or (isinstance(ip, ipaddress.IPv4Address) and ip in _THIS_NETWORK):
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if isinstance(ip, ipaddress.IPv4Address):
        if ip in _SHARED:
            return "in the shared address space (100.64.0.0/10)"
        if any(ip in n for n in _PRIVATE_V4):
            return "private"
        if ip == _BROADCAST:
            return "the broadcast address"
        return None if ip.is_global else "reserved"
    if ip in _UNIQUE_LOCAL:
        return "private"
    if ip in _SITE_LOCAL:
        return "site-local"
    if ip not in _GLOBAL_UNICAST_V6 or any(ip in n for n in _SPECIAL_V6) or ip.is_private:
        return "reserved"
    return None


def parse_allow(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """The networks of a policy's `allow` list ("127.0.0.1", "::1/128", "10.1.0.0/16")."""
    return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries)


# ------------------------------------------------------------------ host names

_NAME = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$")
_NUMERIC = re.compile(r"^[0-9a-fx.]+$")
_FORBIDDEN_URL_CHARS = re.compile(r"[\x00-\x20\x7f\\]")


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address the C library reads in a numeric host such as `0x7f000001` or `127.1`, if any."""
    if not _NUMERIC.match(host) or not any(ch.isdigit() for ch in host):
        return None
    try:
        packed = socket.inet_aton(host)
    except (OSError, ValueError):
        return None
    return ipaddress.IPv4Address(packed)


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


_LOOKUPS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="deluge-dns")
"""Lookups run here so a run can stop waiting for a slow resolver at its deadline."""


def _lookup(resolver: Resolver, host: str, port: int, timeout: float | None) -> list[str]:
    if timeout is not None and timeout <= 0:
        raise LookupFailed(f"no time was left to resolve '{host}'", timed_out=True)
    future = _LOOKUPS.submit(resolver, host, port)
    try:
        return list(future.result(timeout=timeout))
    except FutureTimeout:
        future.cancel()
        raise LookupFailed(f"resolving '{host}' took longer than {timeout:.3g} s", timed_out=True) from None
    except (OSError, UnicodeError, ValueError) as exc:
        raise LookupFailed(f"the host '{host}' could not be resolved ({type(exc).__name__})") from None


# ------------------------------------------------------------------ the policy


@attrs.frozen(kw_only=True)
class Target:
    """A URL that passed the shape checks: what to resolve and where to connect."""

    scheme: str
    host: str
    """The host as sent on the wire (IDNA-encoded, lower-case; IPv6 without brackets)."""
    port: int


@attrs.frozen(kw_only=True)
class NetworkPolicy:
    """What a host lets scripts reach, and the shape limits of a request (LANGUAGE.md 8, D47)."""

    schemes: frozenset[str] = frozenset({"http", "https"})
    allow: tuple[str, ...] = ()
    """Addresses or networks reachable even though their class is refused ("127.0.0.1", "::1/128")."""
    max_redirects: int = 5
    connect_timeout: float = 5.0
    total_timeout: float = 10.0
    max_url: int = 2048
    max_headers: int = 50
    max_header_bytes: int = 8192
    max_body: int = 1024 * 1024
    resolver: Resolver | None = attrs.field(default=None, eq=False)
    """`(host, port) -> IP strings`; None asks the system (`socket.getaddrinfo`)."""
    _allowed: tuple[IPNetwork, ...] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_allowed", parse_allow(self.allow))

    # ---------------------------------------------------------------- URLs

    def check_url(self, url: Any) -> Target:
        """The scheme, host and port of a URL with an acceptable shape; NetworkRefused otherwise.

        `url` is text or an `httpx.URL`; the host is read the way httpx will send it.
        """
        import httpx

        text = str(url)
        if len(text) > self.max_url:
            raise NetworkRefused(f"the URL is longer than {self.max_url} characters")
        for ch, name in (("\r", "a carriage return"), ("\n", "a line feed"), ("\x00", "a NUL character")):
            if ch in text:
                raise NetworkRefused(f"the URL contains {name}")
        if _FORBIDDEN_URL_CHARS.search(text):
            raise NetworkRefused("the URL contains white space, a control character or a backslash")
        try:
            parsed = url if isinstance(url, httpx.URL) else httpx.URL(text)
            raw_host = parsed.raw_host.decode("ascii")
            port = parsed.port
        except (httpx.InvalidURL, UnicodeError, ValueError):
            raise NetworkRefused(f"'{text}' is not a valid URL") from None
        scheme = parsed.scheme.lower()
        if scheme not in self.schemes:
            allowed = " or ".join(sorted(self.schemes))
            raise NetworkRefused(f"the URL scheme '{scheme or '(none)'}' is not allowed; use {allowed}")
        if parsed.userinfo:
            raise NetworkRefused("URLs with a user name or password before the host are not allowed")
        host = raw_host.lower()
        if not host:
            raise NetworkRefused(f"'{text}' has no host")
        if port is None:
            port = {"http": 80, "https": 443}.get(scheme, 0)
        if not 0 < port < 65536:
            raise NetworkRefused(f"the port {port} is not valid")
        if ":" not in host and not _NAME.match(host.rstrip(".") or "."):
            raise NetworkRefused(f"'{host}' is not a valid host name")
        return Target(scheme=scheme, host=host, port=port)

    # ---------------------------------------------------------------- addresses

    def allowed(self, ip: IPAddress) -> bool:
        """Whether the `allow` list names `ip` (a metadata address only by an exact entry)."""
        for network in self._allowed:
            if ip.version != network.version or ip not in network:
                continue
            if ip in METADATA_ADDRESSES and network.num_addresses != 1:
                continue
            return True
        return False

    def refusal(self, ip: IPAddress) -> str | None:
        """Why a connection to `ip` is refused, or None when it may go ahead."""
        reason = classify(ip)
        if reason is None or self.allowed(ip):
            return None
        return reason

    def check_address(self, ip: IPAddress, host: str | None = None) -> None:
        reason = self.refusal(ip)
        if reason is not None:
            via = f" ('{host}' resolves to it)" if host is not None and host != str(ip) else ""
            raise NetworkRefused(f"the address {ip}{via} is {reason}")

    def resolve(self, host: str, port: int, timeout: float | None = None) -> tuple[str, ...]:
        """Every address `host` means, each checked; NetworkRefused if any is refused.

        The answer is what the caller must connect to: resolving again later
        could give another answer (DNS rebinding).
        """
        name = host.lower()
        if name.startswith("[") and name.endswith("]"):
            name = name[1:-1]
        bare = name[:-1] if name.endswith(".") else name
        literal = _literal(bare)
        if literal is not None:
            if isinstance(literal, ipaddress.IPv6Address) and literal.scope_id:
                raise NetworkRefused(f"the address {bare} has a zone index")
            self.check_address(literal, host)
            if bare == name:
                return (str(literal),)
        if "%" in bare or ":" in bare:
            raise NetworkRefused(f"'{host}' is not a valid host")
        numeric = literal if literal is not None else numeric_ipv4(bare)
        if numeric is not None:
            self.check_address(numeric, host)
            raise NetworkRefused(f"the host '{host}' is the address {numeric} written in a non-standard form")
        if bare in METADATA_NAMES:
            raise NetworkRefused(f"the host '{host}' is a cloud metadata service")
        if bare in LOCALHOST_NAMES or bare.endswith(".localhost"):
            answers: list[str] = list(LOOPBACK_ANSWER)
        else:
            answers = _lookup(self.resolver or _system_resolver, bare, port, timeout)
        if not answers:
            raise LookupFailed(f"the host '{host}' has no address")
        checked: list[str] = []
        for answer in answers:
            ip = _literal(answer)
            if ip is None:
                raise NetworkRefused(f"the host '{host}' resolved to '{answer}', which is not an address")
            self.check_address(ip, host)
            if str(ip) not in checked:
                checked.append(str(ip))
        return tuple(checked)

    # ---------------------------------------------------------------- headers and bodies

    def check_headers(self, headers: Iterable[tuple[str, str]]) -> None:
        """Refuses header names or values that could split a request, and too many or too big headers."""
        count = 0
        size = 0
        for name, value in headers:
            count += 1
            check_header(name, value)
            size += len(name.encode("utf-8")) + len(value.encode("utf-8")) + 4
        if count > self.max_headers:
            raise NetworkRefused(f"the request has {count} headers; at most {self.max_headers} are allowed")
        if size > self.max_header_bytes:
            raise NetworkRefused(f"the request headers take {size} bytes; at most {self.max_header_bytes} "
                                 "are allowed")

    def check_body(self, size: int) -> None:
        if size > self.max_body:
            raise NetworkRefused(f"the request body of {size} bytes is larger than the limit of {self.max_body}")


_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def check_header(name: str, value: str) -> None:
    """A header a script may send: a token name, a value without line breaks or control characters."""
    for text, what in ((name, "name"), (value, "value")):
        for ch, label in (("\r", "a carriage return"), ("\n", "a line feed"), ("\x00", "a NUL character")):
            if ch in text:
                raise NetworkRefused(f"the header {what} {_shown(name)} contains {label}")
    if not _TOKEN.match(name):
        raise NetworkRefused(f"{_shown(name)} is not a valid header name")
    if any((ord(ch) < 0x20 and ch != "\t") or ord(ch) == 0x7F for ch in value):
        raise NetworkRefused(f"the value of the header {_shown(name)} contains a control character")


def _shown(name: str) -> str:
    text = name if len(name) <= 40 else name[:37] + "..."
    return repr(text.replace("\r", "\\r").replace("\n", "\\n").replace("\x00", "\\0"))
