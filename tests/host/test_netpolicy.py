"""The network policy on its own: address classes, host spellings, URL and header shapes (D47, LANGUAGE.md 8).

No socket is opened here: resolvers are functions the tests control, and each
counts its calls so "refused before asking DNS" is checked, not assumed.
"""

from __future__ import annotations

import ipaddress
import socket
import time

import pytest

from deluge.host.netpolicy import (
    LookupFailed,
    NetworkPolicy,
    NetworkRefused,
    check_header,
    classify,
    embedded_ipv4,
    numeric_ipv4,
)


class Resolver:
    """Answers from a table and counts calls; a missing name is a resolution failure."""

    def __init__(self, answers: dict[str, list[str]] | None = None) -> None:
        self.answers = answers or {}
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers[host]


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


# ------------------------------------------------------------------ classify


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("::1", "loopback"),
    ("10.0.0.1", "private"),
    ("172.16.5.4", "private"),
    ("192.168.1.1", "private"),
    ("fd12:3456::1", "private"),
    ("169.254.1.1", "link-local"),
    ("fe80::1", "link-local"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("::", "unspecified"),
    ("100.64.0.1", "shared address space"),
    ("100.127.255.254", "shared address space"),
    ("255.255.255.255", "broadcast"),
    ("240.0.0.1", "reserved"),
    ("192.0.2.10", "reserved"),
    ("198.18.0.1", "reserved"),
    ("2001:db8::1", "reserved"),
    ("2001::1", "reserved"),              # Teredo
    ("fec0::1", "site-local"),
    ("169.254.169.254", "cloud metadata"),
    ("fd00:ec2::254", "cloud metadata"),
    ("100.100.100.200", "cloud metadata"),
    ("::ffff:127.0.0.1", "loopback (IPv4-mapped form of 127.0.0.1)"),
    ("::ffff:10.0.0.1", "private (IPv4-mapped"),
    ("::ffff:169.254.169.254", "cloud metadata"),
    ("::127.0.0.1", "loopback (IPv4-compatible"),
    ("::8.8.8.8", "deprecated IPv4-compatible"),
    ("::ffff:0:7f00:1", "loopback (SIIT"),
    ("64:ff9b::7f00:1", "loopback (NAT64 form of 127.0.0.1)"),
    ("64:ff9b::a9fe:a9fe", "cloud metadata"),
    ("64:ff9b:1::808:808", "local-use NAT64"),
    ("2002:7f00:1::1", "loopback (6to4 form of 127.0.0.1)"),
    ("2002:a00:1::", "private (6to4"),
    ("::2", "unspecified (IPv4-compatible form of 0.0.0.2)"),
])
def test_refused_classes(address: str, reason: str) -> None:
    found = classify(ip(address))
    assert found is not None and reason in found


@pytest.mark.parametrize("address", [
    "8.8.8.8", "93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
])
def test_public_addresses_pass(address: str) -> None:
    assert classify(ip(address)) is None


def test_embedded_ipv4_forms() -> None:
    assert embedded_ipv4(ip("::ffff:1.2.3.4")) == (ip("1.2.3.4"), "IPv4-mapped", True)
    assert embedded_ipv4(ip("64:ff9b::102:304")) == (ip("1.2.3.4"), "NAT64", True)
    assert embedded_ipv4(ip("2002:102:304::")) == (ip("1.2.3.4"), "6to4", True)
    assert embedded_ipv4(ip("::1")) is None
    assert embedded_ipv4(ip("2606:4700::1")) is None


def test_zone_index_is_refused() -> None:
    assert classify(ip("fe80::1%eth0")) == "an address with a zone index"


# ------------------------------------------------------------------ host spellings


@pytest.mark.parametrize("host", ["0x7f000001", "2130706433", "017700000001", "127.1", "0177.0.0.1", "0x7f.1",
                                  "127.0.1"])
def test_numeric_tricks_mean_loopback(host: str) -> None:
    assert numeric_ipv4(host) == ip("127.0.0.1")
    resolver = Resolver()
    with pytest.raises(NetworkRefused, match=rf"127\.0\.0\.1 \('{host}' resolves to it\) is loopback"):
        NetworkPolicy(resolver=resolver).resolve(host, 80)
    assert resolver.calls == []


def test_numeric_spelling_of_a_public_or_allowed_address_is_still_refused() -> None:
    resolver = Resolver()
    with pytest.raises(NetworkRefused, match=r"8\.8\.8\.8 written in a non-standard form"):
        NetworkPolicy(resolver=resolver).resolve("134744072", 80)
    with pytest.raises(NetworkRefused, match="non-standard form"):
        NetworkPolicy(allow=("127.0.0.1",), resolver=resolver).resolve("2130706433", 80)
    assert resolver.calls == []


def test_an_address_with_a_trailing_dot_is_not_a_name() -> None:
    resolver = Resolver({"127.0.0.1": ["93.184.216.34"], "8.8.8.8": ["8.8.8.8"]})
    with pytest.raises(NetworkRefused, match="is loopback"):
        NetworkPolicy(resolver=resolver).resolve("127.0.0.1.", 80)
    with pytest.raises(NetworkRefused, match="non-standard form"):
        NetworkPolicy(resolver=resolver).resolve("8.8.8.8.", 80)
    assert resolver.calls == []


def test_names_that_are_not_numbers_are_not_decoded() -> None:
    assert numeric_ipv4("example.com") is None
    assert numeric_ipv4("cafe") is None  # hex letters but no digit: a name
    assert numeric_ipv4("deadbeef.com") is None


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST.", "localhost.", "api.localhost", "a.b.localhost.",
                                  "localhost.localdomain", "ip6-localhost"])
def test_localhost_names_are_loopback_without_dns(host: str) -> None:
    resolver = Resolver({host: ["93.184.216.34"]})
    with pytest.raises(NetworkRefused, match="is loopback"):
        NetworkPolicy(resolver=resolver).resolve(host, 80)
    assert resolver.calls == []
    assert NetworkPolicy(allow=("127.0.0.1", "::1")).resolve(host, 80) == ("127.0.0.1", "::1")


@pytest.mark.parametrize("host", ["metadata.google.internal", "metadata.google.internal.", "metadata",
                                  "instance-data"])
def test_metadata_names_are_refused_by_name(host: str) -> None:
    resolver = Resolver({host: ["93.184.216.34"]})
    policy = NetworkPolicy(allow=("0.0.0.0/0", "::/0"), resolver=resolver)
    with pytest.raises(NetworkRefused, match="cloud metadata service"):
        policy.resolve(host, 80)
    assert resolver.calls == []


def test_literals_are_not_resolved() -> None:
    resolver = Resolver()
    policy = NetworkPolicy(resolver=resolver)
    assert policy.resolve("93.184.216.34", 80) == ("93.184.216.34",)
    assert policy.resolve("[2606:4700::1111]", 443) == ("2606:4700::1111",)
    with pytest.raises(NetworkRefused, match=r"10\.0\.0\.1 is private"):
        policy.resolve("10.0.0.1", 80)
    with pytest.raises(NetworkRefused, match="zone index"):
        policy.resolve("fe80::1%eth0", 80)
    assert resolver.calls == []


def test_every_resolved_address_is_checked() -> None:
    resolver = Resolver({"mixed.example": ["93.184.216.34", "10.1.2.3"], "ok.example": ["93.184.216.34",
                                                                                        "2606:4700::1111"],
                         "inside.example": ["192.168.0.7"], "odd.example": ["not-an-ip"]})
    policy = NetworkPolicy(resolver=resolver)
    with pytest.raises(NetworkRefused, match=r"10\.1\.2\.3 \('mixed.example' resolves to it\) is private"):
        policy.resolve("mixed.example", 443)
    with pytest.raises(NetworkRefused, match=r"192\.168\.0\.7"):
        policy.resolve("inside.example", 443)
    with pytest.raises(NetworkRefused, match="not an address"):
        policy.resolve("odd.example", 443)
    assert policy.resolve("ok.example", 443) == ("93.184.216.34", "2606:4700::1111")
    assert ("ok.example", 443) in resolver.calls


def test_a_trailing_dot_is_resolved_without_it() -> None:
    resolver = Resolver({"api.example": ["93.184.216.34"]})
    assert NetworkPolicy(resolver=resolver).resolve("api.example.", 80) == ("93.184.216.34",)


def test_resolution_failures_and_timeouts() -> None:
    policy = NetworkPolicy(resolver=Resolver())
    with pytest.raises(LookupFailed, match="could not be resolved") as failed:
        policy.resolve("nowhere.example", 80)
    assert not failed.value.timed_out
    with pytest.raises(LookupFailed, match="has no address"):
        NetworkPolicy(resolver=Resolver({"empty.example": []})).resolve("empty.example", 80)

    def slow(host: str, port: int) -> list[str]:
        time.sleep(0.5)
        return ["93.184.216.34"]

    started = time.monotonic()
    with pytest.raises(LookupFailed) as late:
        NetworkPolicy(resolver=slow).resolve("slow.example", 80, timeout=0.05)
    assert late.value.timed_out
    assert time.monotonic() - started < 0.4


# ------------------------------------------------------------------ the allow list


def test_allow_lets_listed_addresses_and_networks_through() -> None:
    policy = NetworkPolicy(allow=("127.0.0.1", "::1/128", "10.20.0.0/16"))
    assert policy.resolve("127.0.0.1", 80) == ("127.0.0.1",)
    assert policy.resolve("::1", 80) == ("::1",)
    assert policy.resolve("10.20.3.4", 80) == ("10.20.3.4",)
    for refused in ("127.0.0.2", "10.21.0.1", "::ffff:127.0.0.1"):
        with pytest.raises(NetworkRefused):
            policy.resolve(refused, 80)


def test_metadata_needs_an_exact_allow_entry() -> None:
    with pytest.raises(NetworkRefused, match="cloud metadata"):
        NetworkPolicy(allow=("169.254.0.0/16",)).resolve("169.254.169.254", 80)
    assert NetworkPolicy(allow=("169.254.0.0/16",)).resolve("169.254.1.1", 80) == ("169.254.1.1",)
    assert NetworkPolicy(allow=("169.254.169.254",)).resolve("169.254.169.254", 80) == ("169.254.169.254",)


def test_a_bad_allow_entry_fails_when_the_policy_is_made() -> None:
    with pytest.raises(ValueError):
        NetworkPolicy(allow=("not-an-address",))


# ------------------------------------------------------------------ URLs


@pytest.mark.parametrize(("url", "reason"), [
    ("file:///etc/passwd", "scheme 'file' is not allowed"),
    ("ftp://example.com/x", "scheme 'ftp' is not allowed"),
    ("gopher://example.com/", "scheme 'gopher'"),
    ("http://example.com/a\r\nX-Injected: 1", "carriage return"),
    ("http://example.com/a\nb", "line feed"),
    ("http://example.com/a\x00b", "NUL"),
    ("http://example.com/a b", "white space"),
    ("http://example.com\\@evil.com/", "backslash"),
    ("http://user:pass@example.com/", "user name or password"),
    ("http://good.com@evil.com/", "user name or password"),
    ("http://example.com:0/", "port 0"),
    ("http://exa_mple..com/", "not a valid host name"),
    ("http:///path", "has no host"),
    ("http://[::1/", "not a valid URL"),
    ("http://" + "a" * 2050 + ".com/", "longer than 2048"),
])
def test_bad_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(NetworkRefused, match=reason.replace("(", r"\(")):
        NetworkPolicy().check_url(url)


def test_url_parts() -> None:
    policy = NetworkPolicy()
    target = policy.check_url("https://API.Example.com/v1?q=1")
    assert (target.scheme, target.host, target.port) == ("https", "api.example.com", 443)
    assert policy.check_url("http://[::1]:8080/").host == "::1"
    assert policy.check_url("http://b\u00fccher.de/").host == "xn--bcher-kva.de"
    assert NetworkPolicy(schemes=frozenset({"https"})).check_url("https://a.example/").port == 443
    with pytest.raises(NetworkRefused, match="use https"):
        NetworkPolicy(schemes=frozenset({"https"})).check_url("http://a.example/")
    assert NetworkPolicy(max_url=30).check_url("http://a.example/" + "x" * 10)
    with pytest.raises(NetworkRefused, match="longer than 30"):
        NetworkPolicy(max_url=30).check_url("http://a.example/" + "x" * 20)


# ------------------------------------------------------------------ headers and bodies


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("X-A", "a\r\nX-Injected: 1", "carriage return"),
    ("X-A", "a\nb", "line feed"),
    ("X-A", "a\x00b", "NUL"),
    ("X-A\r\nX-B", "v", "carriage return"),
    ("X A", "v", "not a valid header name"),
    ("X:A", "v", "not a valid header name"),
    ("", "v", "not a valid header name"),
    ("X-A", "bell\x07", "control character"),
])
def test_bad_headers_are_refused(name: str, value: str, reason: str) -> None:
    with pytest.raises(NetworkRefused, match=reason):
        check_header(name, value)


def test_header_values_may_hold_tabs_and_unicode() -> None:
    check_header("X-Name", "caf\u00e9\tau lait")


def test_header_count_and_size_limits() -> None:
    policy = NetworkPolicy()
    policy.check_headers([(f"X-{i}", "v") for i in range(50)])
    with pytest.raises(NetworkRefused, match="51 headers; at most 50"):
        policy.check_headers([(f"X-{i}", "v") for i in range(51)])
    with pytest.raises(NetworkRefused, match="at most 8192"):
        policy.check_headers([("X-Big", "v" * 8200)])


def test_body_limit() -> None:
    policy = NetworkPolicy(max_body=10)
    policy.check_body(10)
    with pytest.raises(NetworkRefused, match="11 bytes is larger than the limit of 10"):
        policy.check_body(11)
