"""Where a webhook may point: https (http only where private addresses are allowed), no credentials in the
URL, and only globally routable unicast addresses — checked at setup, and again by the delivery transport
(`src/webhooks/transport.py`) on the very addresses it then connects to, so a DNS change cannot turn an
endpoint against the internal network.

An address is judged after unwrapping the IPv4 address that IPv4-mapped (::ffff:0:0/96), NAT64
(64:ff9b::/96), 6to4 (2002::/16) and Teredo (2001::/32) forms carry: `2002:7f00:1::` reaches 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Answers the addresses a host name has (strings or addresses); the tests give their own.
Resolver = Callable[[str, int], Awaitable[Sequence[str | IPAddress]]]


class UrlRefused(ValueError):
    pass


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_TEREDO = ipaddress.IPv6Network("2001::/32")
# Not globally reachable, yet some Python versions count them global, or they are no unicast destination.
_REFUSED_RANGES: tuple[tuple[str, tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]], ...] = (
    ("this network (0.0.0.0/8)", (ipaddress.IPv4Network("0.0.0.0/8"),)),
    ("shared address space (100.64.0.0/10)", (ipaddress.IPv4Network("100.64.0.0/10"),)),
    ("benchmarking (198.18.0.0/15)", (ipaddress.IPv4Network("198.18.0.0/15"),)),
    ("IETF protocol assignments (192.0.0.0/24)", (ipaddress.IPv4Network("192.0.0.0/24"),)),
    ("6to4 relay anycast (192.88.99.0/24)", (ipaddress.IPv4Network("192.88.99.0/24"),)),
    (
        "documentation",
        (
            ipaddress.IPv4Network("192.0.2.0/24"),
            ipaddress.IPv4Network("198.51.100.0/24"),
            ipaddress.IPv4Network("203.0.113.0/24"),
            ipaddress.IPv6Network("2001:db8::/32"),
            ipaddress.IPv6Network("3fff::/20"),
        ),
    ),
    ("local-use NAT64 (64:ff9b:1::/48)", (ipaddress.IPv6Network("64:ff9b:1::/48"),)),
    ("discard-only (100::/64)", (ipaddress.IPv6Network("100::/64"),)),
    ("SRv6 (5f00::/16)", (ipaddress.IPv6Network("5f00::/16"),)),
)


def _embedded(address: ipaddress.IPv6Address) -> tuple[str, list[ipaddress.IPv4Address]] | None:
    """The IPv4 addresses an IPv6 form carries, and the form's name; None for a plain IPv6 address."""
    if address.ipv4_mapped is not None:
        return "IPv4-mapped", [address.ipv4_mapped]
    if address in _NAT64:
        return "NAT64", [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if address.sixtofour is not None:
        return "6to4", [address.sixtofour]
    if address.teredo is not None:
        return "Teredo", list(address.teredo)
    return None


def _plain_refusal(address: IPAddress) -> str | None:
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "site-local"
    for name, networks in _REFUSED_RANGES:
        if any(address in network for network in networks):
            return name
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "not globally routable"
    return None


def refusal(address: IPAddress) -> str | None:
    """Why a webhook may not be sent to this address (a short kind, e.g. "loopback in 6to4"), or None when it
    is globally routable unicast."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "link-local"
        embedded = _embedded(address)
        if embedded is not None:
            form, inner = embedded
            for candidate in inner:
                reason = _plain_refusal(candidate)
                if reason is not None:
                    return f"{reason} in {form}"
            if form in ("IPv4-mapped", "NAT64"):
                return None  # the packets go to the IPv4 address itself, which is global
            if form == "Teredo":
                return "Teredo"  # a tunnel through a relay, never a public endpoint of its own
    return _plain_refusal(address)


def _forbidden(address: IPAddress) -> bool:
    return refusal(address) is not None


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as the HTTP client connects to it: IDNA-encoded, IPv6 without brackets
    port: int


def parse_url(url: str, *, allow_private: bool) -> Target:
    """The form checks, without any lookup: scheme, no credentials, a host and a valid port. Parsed as the
    HTTP client parses it, so setup and delivery judge the same host."""
    try:
        parts = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UrlRefused("the URL is not valid") from exc
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise UrlRefused("the URL must use https")
    if not parts.raw_host or parts.userinfo:
        raise UrlRefused("the URL needs a host and no credentials")
    port = parts.port if parts.port is not None else (443 if parts.scheme == "https" else 80)
    if not 0 < port < 65536:
        raise UrlRefused("the URL's port is not valid")
    return Target(parts.scheme, parts.raw_host.decode("ascii"), port)


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def checked_addresses(
    host: str, port: int, *, allow_private: bool, resolve: Resolver = system_resolver
) -> list[IPAddress]:
    """Every address the host has, in the resolver's order, each one checked: one refused address refuses the
    host. Connect only to these (never look the name up again: a second answer could differ)."""
    literal = _literal(host)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            answered = await resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise UrlRefused("the URL's host does not resolve") from exc
        addresses = []
        for answer in answered:
            try:
                address = ipaddress.ip_address(answer) if isinstance(answer, str) else answer
            except ValueError as exc:
                raise UrlRefused("the URL's host does not resolve") from exc
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise UrlRefused("the URL's host does not resolve")
    if not allow_private:
        for address in addresses:
            reason = refusal(address)
            if reason is not None:
                raise UrlRefused(f"the URL resolves to an address that is not public ({reason})")
    return addresses


async def check_url(url: str, *, allow_private: bool, resolve: Resolver = system_resolver) -> list[IPAddress]:
    """Setup's check: the form, then every address the host resolves to. Answers the checked addresses."""
    target = parse_url(url, allow_private=allow_private)
    return await checked_addresses(target.host, target.port, allow_private=allow_private, resolve=resolve)
