"""The delivery worker: claims due events, sends them signed outside any transaction, records the outcome.

Claims are leases taken with FOR UPDATE SKIP LOCKED (`repository.claim_due`), so many workers share the work;
the worker's statements live in `repository.py`, its transaction boundaries here.

At-least-once: a worker that dies between sending and recording leaves the lease to expire, and the same
event goes again with the same `webhook-id`, which receivers use to drop duplicates. Events of one referral
go in order: only the oldest pending event of each ordering key (the head) may be claimed.

Sending goes through `http_client`, whose transport (`transport.py`) checks every address the endpoint's host
resolves to and connects only to a checked one; redirects are not followed (a 3xx is a failed attempt).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import ssl
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpcore
import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src.audit import service as audit
from src.crypto import fields
from src.platform import clock
from src.platform.config import Settings
from src.platform.context import actor_var
from src.platform.observability import WEBHOOK_DELIVERIES
from src.webhooks import repository, signing
from src.webhooks.service import webhook_id
from src.webhooks.transport import GuardedTransport
from src.webhooks.urls import Resolver, UrlRefused, parse_url, system_resolver

log = structlog.get_logger("ukuk.webhooks")


def _signing_secrets(organization: Any, endpoint: Any, now: datetime) -> list[str]:
    """The current secret, and the previous one while its grace period lasts."""
    secrets = [fields.unseal("webhook_endpoint", "secret", organization, endpoint["secret"]).decode()]
    expires = endpoint["previous_secret_expires_at"]
    if endpoint["previous_secret"] and expires is not None and expires > now:
        previous = endpoint["previous_secret"]
        secrets.append(fields.unseal("webhook_endpoint", "previous_secret", organization, previous).decode())
    return secrets


def backoff(attempts: int) -> timedelta:
    """Exponential from 5 s, capped at one hour, with ±20 % jitter so retries do not arrive in waves."""
    base = min(5 * 2 ** max(attempts - 1, 0), 3600)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))  # noqa: S311 (jitter, not a secret)


# The delivery's status after an attempt, as the metric's outcome ("pending" again means another attempt).
_OUTCOMES = {"delivered": "delivered", "pending": "retrying", "failed": "failed", "cancelled": "cancelled"}

# Clients built by `http_client`: the only ones whose transport checks the addresses it connects to.
_GUARDED_CLIENTS: weakref.WeakSet[httpx.AsyncClient] = weakref.WeakSet()


class DeliveryWorker:
    def __init__(self, engine: AsyncEngine, settings: Settings, http: httpx.AsyncClient):
        if http not in _GUARDED_CLIENTS:
            raise ValueError("the delivery worker sends only through a client from delivery.http_client")
        self.engine = engine
        self.settings = settings
        self.http = http
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                sent = await self.run_once()
            except Exception as exc:  # the database went away: try again, never crash the server
                log.warning("webhook_worker_error", error_class=type(exc).__name__)
                sent = 0
            if sent == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._stop.wait(), timeout=self.settings.webhook_poll_interval_seconds
                    )

    async def run_once(self, after_send: Callable[[str], Awaitable[None]] | None = None) -> int:
        """Claim, send and record one batch; answers how many were attempted."""
        now = clock.utcnow()
        async with self.engine.begin() as conn:
            claimed = await repository.claim_due(
                conn,
                now=now,
                lease_until=now + timedelta(seconds=self.settings.webhook_lease_seconds),
                limit=self.settings.webhook_batch_size,
            )
        await asyncio.gather(*(self._deliver(dict(row), after_send) for row in claimed))
        return len(claimed)

    async def _deliver(
        self, row: dict[str, Any], after_send: Callable[[str], Awaitable[None]] | None
    ) -> None:
        async with self.engine.connect() as conn:
            endpoint = await repository.endpoint_for_delivery(conn, row["organization_id"])
        if endpoint is None or not endpoint["is_active"]:
            await self._record(row, status="cancelled", error="endpoint disabled or removed")
            return
        message_id = webhook_id(row["id"])
        now = clock.utcnow()
        acting = actor_var.set(audit.SYSTEM)  # the worker acts for no caller, whatever task started it
        try:
            secrets = _signing_secrets(row["organization_id"], endpoint, now)
        except fields.SealBroken as broken:
            # Never sign with a secret we cannot vouch for; the failure is audited like any broken seal.
            await self._record(row, status="failed", error="signing secret failed its integrity check")
            async with self.engine.begin() as conn:
                for record in broken.after_rollback:
                    await record(AsyncSession(bind=conn))
            return
        finally:
            actor_var.reset(acting)
        body = json.dumps(row["payload"], separators=(",", ":"), ensure_ascii=False).encode()
        timestamp = int(now.timestamp())
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signing.signature_header(secrets, message_id, timestamp, body),
            "user-agent": "Ukuk-Webhooks/1",
        }
        status_code: int | None = None
        error: str | None = None
        try:
            # The form here; the addresses in the transport, on the very ones it connects to.
            parse_url(endpoint["url"], allow_private=self.settings.webhook_allow_private)
            async with self.http.stream(
                "POST", endpoint["url"], content=body, headers=headers, follow_redirects=False
            ) as response:
                status_code = response.status_code
                if 300 <= status_code < 400:
                    error = f"HTTP {status_code}: redirects are not followed"
                received = 0
                async for chunk in response.aiter_bytes():  # read at most the cap, then hang up
                    received += len(chunk)
                    if received > self.settings.webhook_max_response_bytes:
                        break
        except UrlRefused as exc:
            error = str(exc)[:200]
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        if after_send is not None:
            await after_send(message_id)  # tests: a crash between sending and recording
        await self._outcome(row, status_code, error)

    async def _outcome(self, row: dict[str, Any], status_code: int | None, error: str | None) -> None:
        if status_code is not None and 200 <= status_code < 300:
            await self._record(row, status="delivered", status_code=status_code)
        elif status_code == 410:
            await self._disable(row, status_code)
        else:
            now = clock.utcnow()
            gave_up = now - row["created_at"] > timedelta(seconds=self.settings.webhook_retry_for_seconds)
            await self._record(
                row,
                status="failed" if gave_up else "pending",
                status_code=status_code,
                error=error or f"HTTP {status_code}",
                next_attempt_at=now + backoff(row["attempts"]),
            )

    async def _record(
        self,
        row: dict[str, Any],
        *,
        status: str,
        status_code: int | None = None,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "status": status,
            "lease_until": None,
            "last_status_code": status_code,
            "last_error": error,
        }
        if status == "delivered":
            values["delivered_at"] = clock.utcnow()
        if next_attempt_at is not None and status == "pending":
            values["next_attempt_at"] = next_attempt_at
        async with self.engine.begin() as conn:
            await repository.record_outcome(conn, row["id"], values)
        WEBHOOK_DELIVERIES.labels(_OUTCOMES[status]).inc()

    async def _disable(self, row: dict[str, Any], status_code: int) -> None:
        """410 Gone: the partner says the endpoint is retired; stop sending to it."""
        async with self.engine.begin() as conn:
            await repository.disable_endpoint(
                conn, row["organization_id"], status_code=status_code, now=clock.utcnow()
            )
        WEBHOOK_DELIVERIES.labels("gone").inc()


def http_client(
    settings: Settings,
    *,
    resolve: Resolver = system_resolver,
    network_backend: httpcore.AsyncNetworkBackend | None = None,
    verify: ssl.SSLContext | None = None,
) -> httpx.AsyncClient:
    """The client deliveries go through. `resolve`, `network_backend` and `verify` are for tests: a resolver
    they control, sockets they fake, a CA they made."""
    client = httpx.AsyncClient(
        timeout=settings.webhook_timeout_seconds,
        follow_redirects=False,
        trust_env=False,
        transport=GuardedTransport(
            allow_private=settings.webhook_allow_private,
            limits=httpx.Limits(max_connections=50),
            resolve=resolve,
            network_backend=network_backend,
            verify=verify,
        ),
    )
    _GUARDED_CLIENTS.add(client)
    return client
