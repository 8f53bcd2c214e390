"""The webhook URL guard: which addresses are refused (after unwrapping IPv4-mapped, NAT64, 6to4 and Teredo),
the setup check, and the delivery transport that connects only to the addresses it checked — with a resolver
the test controls, so DNS rebinding is shown without any real DNS. Every socket here is on loopback."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpcore
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src.platform.config import Settings
from src.webhooks import service
from src.webhooks.delivery import DeliveryWorker, http_client
from src.webhooks.models import WebhookDelivery, WebhookEndpoint
from src.webhooks.urls import IPAddress, UrlRefused, _forbidden, check_url, refusal
from tests import factories
from tests.webhooks.conftest import Receiver

PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:4700:4700::1111"
HOST = "hooks.partner.example"

REFUSED = {
    "100.100.100.200": "shared address space",  # cloud metadata (Alibaba), 100.64.0.0/10
    "100.64.0.1": "shared address space",
    "198.18.0.1": "benchmarking",
    "224.0.0.1": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "reserved",
    "0.0.0.0": "unspecified",  # noqa: S104 (an address under test, nothing binds it)
    "0.1.2.3": "this network",
    "127.0.0.1": "loopback",
    "127.3.2.1": "loopback",
    "10.0.0.1": "private",
    "10.255.255.254": "private",
    "172.16.0.1": "private",
    "172.31.255.254": "private",
    "192.168.0.1": "private",
    "192.168.255.254": "private",
    "169.254.169.254": "link-local",
    "192.0.0.170": "IETF protocol assignments",
    "192.0.2.1": "documentation",
    "::": "unspecified",
    "::1": "loopback",
    "fe80::1": "link-local",
    "fe80::1%1": "link-local",
    "fc00::1": "private",
    "fd12:3456::1": "private",
    "fec0::1": "site-local",
    "ff02::1": "multicast",
    "ff0e::1": "multicast",
    "::7f00:1": "reserved",  # IPv4-compatible ::127.0.0.1, deprecated
    "2001:db8::1": "documentation",
    "100::1": "discard-only",
    "64:ff9b:1::7f00:1": "local-use NAT64",
    "::ffff:127.0.0.1": "loopback in IPv4-mapped",
    "::ffff:10.0.0.1": "private in IPv4-mapped",
    "::ffff:169.254.169.254": "link-local in IPv4-mapped",
    "2002:7f00:1::": "loopback in 6to4",
    "2002:a9fe:a9fe::": "link-local in 6to4",
    "2002:6464:64c8::": "shared address space (100.64.0.0/10) in 6to4",
    "2002:0a00:0001::": "private in 6to4",
    # Teredo: server 65.54.227.120, client 127.0.0.1 (stored inverted: 0x80ff:fffe), and one with public ends.
    "2001:0:4136:e378:8000:63bf:80ff:fffe": "loopback in Teredo",
    "2001:0:4136:e378:8000:63bf:f7f7:f7f7": "Teredo",
    "64:ff9b::7f00:1": "loopback in NAT64",
    "64:ff9b::a9fe:a9fe": "link-local in NAT64",
    "64:ff9b::6464:64c8": "shared address space (100.64.0.0/10) in NAT64",
}
ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    PUBLIC_V4,
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "2002:0808:0808::",  # 6to4 of 8.8.8.8
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
]


@pytest.mark.parametrize(("address", "reason"), sorted(REFUSED.items()))
def test_non_public_addresses_are_refused(address: str, reason: str) -> None:
    parsed = ipaddress.ip_address(address)
    assert _forbidden(parsed)
    assert refusal(parsed) is not None and reason in (refusal(parsed) or "")


@pytest.mark.parametrize("address", ALLOWED)
def test_global_unicast_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


@dataclass
class FakeResolver:
    """Answers each lookup with the next of its answers (the last one again once they run out)."""

    answers: list[list[str]]
    calls: list[tuple[str, int]] = field(default_factory=list)

    async def __call__(self, host: str, port: int) -> Sequence[str | IPAddress]:
        self.calls.append((host, port))
        return self.answers[min(len(self.calls), len(self.answers)) - 1]


async def _no_lookup(host: str, port: int) -> Sequence[str | IPAddress]:
    raise AssertionError(f"{host} is an address literal: nothing to look up")


@pytest.mark.parametrize(
    "url",
    [
        "https://100.100.100.200/",
        "https://100.64.0.1/",
        "https://198.18.0.1/",
        "https://[2002:7f00:1::]/",
        "https://[2002:a9fe:a9fe::]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[64:ff9b::a9fe:a9fe]/latest/meta-data",
        "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
        "https://[ff02::1]/",
        "https://224.0.0.1/",
    ],
)
async def test_address_literals_from_the_issue_are_refused_at_setup(url: str) -> None:
    with pytest.raises(UrlRefused, match="not public"):
        await check_url(url, allow_private=False, resolve=_no_lookup)


@pytest.mark.parametrize(
    "answer", [["8.8.8.8"], [PUBLIC_V6], ["2002:808:808::"], ["64:ff9b::808:808"], ["8.8.8.8", PUBLIC_V6]]
)
async def test_a_name_resolving_to_public_addresses_passes(answer: list[str]) -> None:
    resolver = FakeResolver([answer])
    checked = await check_url(f"https://{HOST}/hook", allow_private=False, resolve=resolver)
    assert [str(a) for a in checked] == [str(ipaddress.ip_address(a)) for a in answer]
    assert resolver.calls == [(HOST, 443)]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (["127.0.0.1"], "loopback"),
        (["::1"], "loopback"),
        (["8.8.8.8", "10.0.0.7"], "private"),  # one bad address among good ones refuses the name
        ([PUBLIC_V6, "fe80::1"], "link-local"),
        (["100.100.100.200"], "shared address space"),
        (["2002:7f00:1::"], "loopback in 6to4"),
        (["::ffff:169.254.169.254"], "link-local in IPv4-mapped"),
        (["64:ff9b::7f00:1"], "loopback in NAT64"),
    ],
)
async def test_a_name_resolving_to_any_internal_address_is_refused(answer: list[str], reason: str) -> None:
    with pytest.raises(UrlRefused, match="not public") as refused:
        await check_url(f"https://{HOST}/hook", allow_private=False, resolve=FakeResolver([answer]))
    assert reason in str(refused.value)
    assert len(str(refused.value)) <= 200  # fits webhook_delivery.last_error


async def test_unresolvable_names_and_bad_forms_are_refused_clearly() -> None:
    async def fails(host: str, port: int) -> Sequence[str | IPAddress]:
        raise OSError("Name or service not known")

    for resolver in (fails, FakeResolver([[]])):
        with pytest.raises(UrlRefused, match="does not resolve"):
            await check_url(f"https://{HOST}/", allow_private=False, resolve=resolver)
    for url, message in (
        (f"http://{HOST}/", "must use https"),
        (f"ftp://{HOST}/", "must use https"),
        (f"https://user:pw@{HOST}/", "no credentials"),
        (f"https://user@{HOST}/", "no credentials"),
        ("https:///hook", "needs a host"),
        (f"https://{HOST}:99999/", "port is not valid"),
        (f"https://{HOST}:0/", "port is not valid"),
        ("https://0177.0.0.1/", "not valid"),
    ):
        with pytest.raises(UrlRefused, match=message):
            await check_url(url, allow_private=False, resolve=FakeResolver([["8.8.8.8"]]))


async def test_allowing_private_addresses_lets_loopback_http_through() -> None:
    resolver = FakeResolver([["127.0.0.1"]])
    checked = await check_url(f"http://{HOST}:8080/", allow_private=True, resolve=resolver)
    assert [str(a) for a in checked] == ["127.0.0.1"]
    assert resolver.calls == [(HOST, 8080)]
    with pytest.raises(UrlRefused, match="no credentials"):  # the form rules still hold
        await check_url("http://u:p@127.0.0.1/", allow_private=True)


async def test_setup_answers_422_problem_json_for_an_internal_address(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await factories.account(db, settings, client, "admin", kind="partner")
    monkeypatch.setattr(settings, "webhook_allow_private", False)
    for url, reason in (
        ("https://100.100.100.200/latest/meta-data", "shared address space"),
        ("https://[2002:a9fe:a9fe::]/", "link-local in 6to4"),
    ):
        response = await client.put(
            f"/v1/organizations/{admin.organization.id}/webhook",
            headers=admin.headers,
            json={"url": url, "events": ["referral.created"]},
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["loc"] == ["body", "url"]
        assert reason in response.json()["errors"][0]["msg"]


# The transport: sockets faked by a backend that records where it was asked to connect.

OK_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


@dataclass
class RecordingBackend(httpcore.AsyncNetworkBackend):
    failing: set[str] = field(default_factory=set)
    connected: list[tuple[str, int]] = field(default_factory=list)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connected.append((host, port))
        if host in self.failing:
            raise httpcore.ConnectError("connection refused")
        return httpcore.AsyncMockStream([OK_RESPONSE])

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AssertionError("no unix sockets")

    async def sleep(self, seconds: float) -> None:
        pass


@pytest.fixture
def public_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_allow_private": False})


async def test_dns_rebinding_gets_the_checked_address_not_a_second_answer(public_settings: Settings) -> None:
    # Public to the check, loopback to any second lookup.
    resolver = FakeResolver([[PUBLIC_V4], ["127.0.0.1"]])
    backend = RecordingBackend()
    async with http_client(public_settings, resolve=resolver, network_backend=backend) as http:
        response = await http.post(f"https://{HOST}/hook", content=b"{}")
        assert response.status_code == 200
        assert backend.connected == [(PUBLIC_V4, 443)]  # the socket went to the checked address...
        assert resolver.calls == [(HOST, 443)]  # ...found by the only lookup
        # The receiver closed the connection: a new one looks up again, checks again, and is refused.
        with pytest.raises(UrlRefused, match="loopback"):
            await http.post(f"https://{HOST}/hook", content=b"{}")
    assert backend.connected == [(PUBLIC_V4, 443)]
    assert len(resolver.calls) == 2


@pytest.mark.parametrize(
    ("answer", "connects_to"),
    [
        ([PUBLIC_V4], PUBLIC_V4),
        ([PUBLIC_V6], PUBLIC_V6),
        (["2002:808:808::"], "2002:808:808::"),
        (["64:ff9b::808:808"], "64:ff9b::808:808"),
        (["::ffff:8.8.8.8"], "::ffff:808:808"),
        (["127.0.0.1"], None),
        (["::1"], None),
        (["fe80::1"], None),
        (["fc00::1"], None),
        (["::ffff:127.0.0.1"], None),
        (["2002:7f00:1::"], None),
        (["2002:a9fe:a9fe::"], None),
        (["2001:0:4136:e378:8000:63bf:80ff:fffe"], None),
        (["64:ff9b::a9fe:a9fe"], None),
        (["100.100.100.200"], None),
        (["198.18.0.1"], None),
        ([PUBLIC_V4, "169.254.169.254"], None),
    ],
)
async def test_the_transport_checks_each_address_family_before_connecting(
    public_settings: Settings, answer: list[str], connects_to: str | None
) -> None:
    backend = RecordingBackend()
    async with http_client(public_settings, resolve=FakeResolver([answer]), network_backend=backend) as http:
        if connects_to is None:
            with pytest.raises(UrlRefused, match="not public"):
                await http.post(f"https://{HOST}/hook", content=b"{}")
            assert backend.connected == []
        else:
            assert (await http.post(f"https://{HOST}/hook", content=b"{}")).status_code == 200
            assert backend.connected == [(connects_to, 443)]


async def test_address_literal_urls_are_checked_by_the_transport_without_a_lookup(
    public_settings: Settings,
) -> None:
    backend = RecordingBackend()
    async with http_client(public_settings, resolve=_no_lookup, network_backend=backend) as http:
        for url in ("https://100.100.100.200/", "https://[2002:7f00:1::]/", "https://[::1]:8443/"):
            with pytest.raises(UrlRefused):
                await http.post(url, content=b"{}")
        assert (await http.post("https://[2606:4700:4700::1111]/", content=b"{}")).status_code == 200
    assert backend.connected == [(PUBLIC_V6, 443)]


async def test_when_a_checked_address_does_not_answer_the_next_checked_one_is_tried(
    public_settings: Settings,
) -> None:
    backend = RecordingBackend(failing={PUBLIC_V6})
    resolver = FakeResolver([[PUBLIC_V6, PUBLIC_V4], ["127.0.0.1"]])
    async with http_client(public_settings, resolve=resolver, network_backend=backend) as http:
        assert (await http.post(f"https://{HOST}/hook", content=b"{}")).status_code == 200
    assert backend.connected == [(PUBLIC_V6, 443), (PUBLIC_V4, 443)]
    assert len(resolver.calls) == 1


async def test_a_plain_client_cannot_drive_the_worker(app_engine: AsyncEngine, settings: Settings) -> None:
    async with httpx.AsyncClient() as plain:
        with pytest.raises(ValueError, match="http_client"):
            DeliveryWorker(app_engine, settings, plain)


# Real sockets on loopback (private addresses allowed, as in development).


@dataclass
class Server:
    url: str
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Host header)
    server_names: list[str | None] = field(default_factory=list)  # SNI seen in TLS handshakes


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[ThreadingHTTPServer] = []

    def start(
        *, redirect: bool = False, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"
    ) -> Server:
        state = Server(url="")

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                state.requests.append((self.path, self.headers.get("host")))
                if redirect and self.path != "/landed":
                    self.send_response(302)
                    self.send_header("location", "/landed")
                else:
                    self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        class Listener(ThreadingHTTPServer):
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

        server = Listener((host, 0), Handler)
        if tls is not None:

            def note_server_name(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
                state.server_names.append(name)

            tls.sni_callback = note_server_name
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        state.url = f"{'https' if tls else 'http'}://{HOST}:{server.server_address[1]}"
        return state

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


async def test_a_real_connection_goes_to_the_first_answer_and_keeps_the_host_header(
    settings: Settings, serve: Any
) -> None:
    server = serve()
    # Nothing listens on 127.0.0.2 at that port: a second lookup would fail the request.
    resolver = FakeResolver([["127.0.0.1"], ["127.0.0.2"]])
    async with http_client(settings, resolve=resolver) as http:
        response = await http.post(f"{server.url}/hook", content=b"{}")
        assert response.status_code == 200
        assert response.extensions["network_stream"].get_extra_info("server_addr")[0] == "127.0.0.1"
    assert resolver.calls == [(HOST, int(server.url.rsplit(":", 1)[1]))]
    assert server.requests == [("/hook", f"{HOST}:{server.url.rsplit(':', 1)[1]}")]


async def test_ipv6_answers_are_connected_to_as_well(settings: Settings, serve: Any) -> None:
    try:
        server = serve(host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    resolver = FakeResolver([["::1"]])
    async with http_client(settings, resolve=resolver) as http:
        response = await http.post(f"{server.url}/hook", content=b"{}")
        assert response.status_code == 200
        assert response.extensions["network_stream"].get_extra_info("server_addr")[0] == "::1"


def _certificate(name: str) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


async def test_tls_verifies_the_url_host_while_the_socket_goes_to_the_checked_address(
    settings: Settings, serve: Any, tmp_path: Any
) -> None:
    cert_pem, key_pem = _certificate(HOST)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(key_pem)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server = serve(tls=server_tls)
    port = server.url.rsplit(":", 1)[1]
    trust = ssl.create_default_context(cadata=cert_pem.decode())
    resolver = FakeResolver([["127.0.0.1"]])
    async with http_client(settings, resolve=resolver, verify=trust) as http:
        assert (await http.post(f"{server.url}/hook", content=b"{}")).status_code == 200
        # Another name pointed at the same address: the certificate is not for it, so TLS fails.
        with pytest.raises(httpx.ConnectError):
            await http.post(f"https://other.partner.example:{port}/hook", content=b"{}")
    assert server.server_names[0] == HOST
    assert server.requests == [("/hook", f"{HOST}:{port}")]


async def test_redirects_are_not_followed(settings: Settings, serve: Any) -> None:
    server = serve(redirect=True)
    async with http_client(settings, resolve=FakeResolver([["127.0.0.1"]])) as http:
        response = await http.post(f"{server.url}/hook", content=b"{}")
    assert response.status_code == 302
    assert [path for path, _ in server.requests] == ["/hook"]


# Through the worker.


async def _endpoint_with_one_event(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, url: str, receiver: Receiver
) -> None:
    admin = await factories.account(db, settings, client, "admin", kind="partner")
    response = await client.put(
        f"/v1/organizations/{admin.organization.id}/webhook",
        headers=admin.headers,
        json={"url": receiver.url, "events": ["referral.created"]},
    )
    assert response.status_code == 200, response.text
    await db.execute(update(WebhookEndpoint).values(url=url))  # as if its DNS changed after setup
    await service.enqueue(db, admin.organization.id, "referral.created", "r1", {"referral_id": "r1"})
    await db.commit()


async def _delivery(db: AsyncSession) -> WebhookDelivery:
    delivery = await db.scalar(select(WebhookDelivery).execution_options(populate_existing=True))
    assert delivery is not None
    return delivery


async def test_the_worker_refuses_a_name_that_now_resolves_inside(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    public_settings: Settings,
    app_engine: AsyncEngine,
    receiver: Receiver,
) -> None:
    await _endpoint_with_one_event(client, db, settings, f"https://{HOST}/hook", receiver)
    backend = RecordingBackend()
    async with http_client(
        public_settings, resolve=FakeResolver([["2002:7f00:1::"]]), network_backend=backend
    ) as http:
        assert await DeliveryWorker(app_engine, public_settings, http).run_once() == 1
    delivery = await _delivery(db)
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert delivery.last_error == "the URL resolves to an address that is not public (loopback in 6to4)"
    assert backend.connected == [] and receiver.deliveries == []


async def test_the_worker_delivers_to_the_checked_address_when_dns_rebinds(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    public_settings: Settings,
    app_engine: AsyncEngine,
    receiver: Receiver,
) -> None:
    await _endpoint_with_one_event(client, db, settings, f"https://{HOST}/hook", receiver)
    resolver = FakeResolver([[PUBLIC_V4], ["127.0.0.1"]])
    backend = RecordingBackend()
    async with http_client(public_settings, resolve=resolver, network_backend=backend) as http:
        assert await DeliveryWorker(app_engine, public_settings, http).run_once() == 1
    assert (await _delivery(db)).status == "delivered"
    assert backend.connected == [(PUBLIC_V4, 443)] and len(resolver.calls) == 1


async def test_a_redirect_is_a_failed_attempt(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    app_engine: AsyncEngine,
    receiver: Receiver,
) -> None:
    await _endpoint_with_one_event(client, db, settings, receiver.url, receiver)
    receiver.answers = [302]
    async with http_client(settings) as http:
        assert await DeliveryWorker(app_engine, settings, http).run_once() == 1
    delivery = await _delivery(db)
    assert delivery.status == "pending" and delivery.last_status_code == 302
    assert delivery.last_error == "HTTP 302: redirects are not followed"
    assert len(receiver.deliveries) == 1
