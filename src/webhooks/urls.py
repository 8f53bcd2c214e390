"""Where a webhook may point: https (http only where private addresses are allowed), no credentials in the
URL, and no loopback, private, link-local, multicast or reserved address — checked at setup and again before
every send, so a DNS change cannot turn an endpoint against the internal network."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class UrlRefused(ValueError):
    pass


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


async def check_url(url: str, *, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise UrlRefused("the URL must use https")
    if not parts.hostname or parts.username or parts.password:
        raise UrlRefused("the URL needs a host and no credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UrlRefused("the URL's port is not valid") from exc
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UrlRefused("the URL's host does not resolve") from exc
    if allow_private:
        return
    for info in infos:
        if _forbidden(ipaddress.ip_address(info[4][0])):
            raise UrlRefused("the URL resolves to a loopback, private or link-local address")
