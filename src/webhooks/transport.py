"""The delivery worker's HTTP transport: it looks the host up once, checks every address it answers
(`urls.checked_addresses`), and opens the TCP connection to one of those checked addresses — the name is never
looked up a second time, so a DNS server answering a public address to the check and 127.0.0.1 to the connect
(rebinding) gets nowhere. TLS still goes to the URL's host name: SNI and certificate verification use it, and
the Host header is the URL's, because only the socket is pointed at the checked address.

A keep-alive connection is reused for its origin; it stays connected to the address checked when it opened.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable

import anyio
import httpcore
import httpx

from src.webhooks.urls import Resolver, UrlRefused, checked_addresses, system_resolver

# Addresses tried, in the resolver's order, before giving up: each may take the whole connect timeout, and all
# of it must fit well inside the delivery lease.
MAX_CONNECT_ATTEMPTS = 3


class GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(
        self,
        *,
        allow_private: bool,
        resolve: Resolver = system_resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.resolve = resolve
        self.inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                addresses = await checked_addresses(
                    host, port, allow_private=self.allow_private, resolve=self.resolve
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout("looking up the host timed out") from exc
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses[:MAX_CONNECT_ATTEMPTS]:
            try:
                return await self.inner.connect_tcp(
                    str(address),  # an address literal: no lookup happens here
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # checked_addresses answers at least one address
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise UrlRefused("webhooks go over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (request and error mapping unchanged) over a pool that connects through
    `GuardedBackend`. No proxy, no environment: a proxy would do its own lookup."""

    def __init__(
        self,
        *,
        allow_private: bool,
        limits: httpx.Limits,
        resolve: Resolver = system_resolver,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
        verify: ssl.SSLContext | None = None,
    ) -> None:
        ssl_context = verify if verify is not None else httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=ssl_context, trust_env=False, limits=limits)
        self.backend = GuardedBackend(allow_private=allow_private, resolve=resolve, inner=network_backend)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=self.backend,
        )
