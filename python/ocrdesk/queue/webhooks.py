"""Webhook delivery: a background task sends the outbox rows of ``webhook_deliveries``.

- At least once: a delivery is leased (not deleted) while it is sent, so a crash or a kill -9
  only delays it; it is marked delivered after a 2xx answer.
- Signed: ``X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` with the
  webhook's secret; the body is the same bytes on every attempt.
- Retried with exponential backoff and jitter, up to ``webhook_max_attempts``.
- In order per subject: a document's later event waits for its earlier one (see the claim SQL).
- Never blocks uploads or processing: it runs in its own task and only reads and updates
  its own rows.
- Destinations: http(s) only; link-local and cloud metadata addresses are refused unless
  ``webhook_allow`` lists them. The host is resolved first, every address is checked, and
  the connection goes to the checked address (no second lookup an attacker could change).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import ipaddress
import logging
import random
import socket
import time
import urllib.parse
import httpx

from ocrdesk.config import Settings
from ocrdesk.store.db import Database
from ocrdesk.store.ids import to_iso
from ocrdesk.store.repositories.events import envelope_bytes
from ocrdesk.store.repositories.webhooks import DueDelivery, Webhooks

__all__ = [
    "WebhookDispatcher",
    "DestinationPolicy",
    "DestinationRefused",
    "sign",
    "backoff_seconds",
    "SIGNATURE_HEADER",
]

log = logging.getLogger("ocrdesk.webhooks")

SIGNATURE_HEADER = "X-Webhook-Signature"
USER_AGENT = "ocrdesk-webhooks/1"
MAX_CONCURRENT = 16
RESPONSE_PEEK = 1024

# Cloud metadata services answer on these names and addresses (besides 169.254.0.0/16, fe80::/10).
METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.com",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
        "metadata.packet.net",
    }
)
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("fd00:ec2::254", "100.100.100.200", "192.0.0.192", "169.254.169.254")
)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Delay before attempt ``attempts + 1``: base * 2^(attempts-1), capped, with "equal jitter"."""
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    return delay / 2 + random.uniform(0, delay / 2)


class DestinationRefused(Exception):
    """The URL may not be delivered to (scheme, metadata host, link-local address)."""


class DestinationPolicy:
    def __init__(self, allow: str = "") -> None:
        self.allowed_hosts: set[str] = set()
        self.allowed_networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for item in (part.strip() for part in allow.split(",")):
            if not item:
                continue
            try:
                self.allowed_networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self.allowed_hosts.add(_norm_host(item))

    @classmethod
    def from_settings(cls, settings: Settings) -> DestinationPolicy:
        return cls(settings.webhook_allow)

    def check_url(self, url: str) -> urllib.parse.SplitResult:
        """Syntax and name checks that need no DNS; raises :class:`DestinationRefused`."""
        try:
            parts = urllib.parse.urlsplit(url)
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise DestinationRefused("url is not a valid URL") from None
        if parts.scheme not in ("http", "https"):
            raise DestinationRefused("url must be an http or https URL")
        if not parts.hostname:
            raise DestinationRefused("url must name a host")
        if parts.username or parts.password:
            raise DestinationRefused("url must not contain credentials")
        host = _norm_host(parts.hostname)
        if host in METADATA_HOSTS and host not in self.allowed_hosts:
            raise DestinationRefused(f"url host {host} is a cloud metadata service")
        literal = _ip(host)
        if literal is not None:
            self.check_address(literal, host)
        return parts

    def check_address(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address, host: str) -> None:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if _norm_host(host) in self.allowed_hosts or any(address in net for net in self.allowed_networks):
            return
        if address.is_link_local or address in METADATA_ADDRESSES or address.is_unspecified or address.is_multicast:
            raise DestinationRefused(f"address {address} of {host} is link-local or a metadata service")

    async def resolve(self, url: str, timeout: float) -> tuple[urllib.parse.SplitResult, list[str]]:
        """Check ``url`` and resolve its host; every address must pass. Returns (parts, addresses)."""
        parts = self.check_url(url)
        host = _norm_host(parts.hostname or "")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        literal = _ip(host)
        if literal is not None:
            return parts, [str(literal)]
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            raise ConnectionError(f"cannot resolve {host}: {exc or 'timeout'}") from None
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        if not addresses:
            raise ConnectionError(f"cannot resolve {host}")
        for address in addresses:
            self.check_address(ipaddress.ip_address(address.split("%", 1)[0]), host)
        return parts, addresses


def _norm_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def _pinned(parts: urllib.parse.SplitResult, address: str) -> tuple[str, str]:
    """(URL that connects to ``address``, Host header of the original URL)."""
    netloc_host = f"[{address}]" if ":" in address else address
    netloc = netloc_host + (f":{parts.port}" if parts.port else "")
    url = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = parts.hostname or ""
    if ":" in host_header:
        host_header = f"[{host_header}]"
    if parts.port:
        host_header += f":{parts.port}"
    return url, host_header


class WebhookDispatcher:
    """Sends due deliveries with up to ``MAX_CONCURRENT`` requests at once."""

    def __init__(self, db: Database, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.db = db
        self.settings = settings
        self.repo = Webhooks(db)
        self.policy = DestinationPolicy.from_settings(settings)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._in_flight: set[str] = set()
        self.sent = 0

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.settings.webhook_timeout),
            follow_redirects=False,
            transport=self._transport,
            headers={"User-Agent": USER_AGENT},
            trust_env=False,
        )
        self._task = asyncio.create_task(self._loop(), name="ocrdesk-webhooks")

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        # Interrupted sends are handed back at once (after a crash, their lease runs out instead).
        for task in list(self._sending):
            task.cancel()
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
        if self._in_flight:
            with contextlib.suppress(Exception):
                await self.repo.release(sorted(self._in_flight))
            self._in_flight.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # --- loop ----------------------------------------------------------------------------
    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                claimed = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # database busy and the like: try again later
                log.exception("claiming webhook deliveries failed")
                claimed = 0
            if claimed == 0:
                self._wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.settings.events_poll_interval)

    async def run_once(self) -> int:
        """Claim what is due (up to the free sending slots) and start sending it."""
        free = MAX_CONCURRENT - len(self._sending)
        if free <= 0:
            return 0
        now = dt.datetime.now(dt.timezone.utc)
        # Each attempt is cut off after webhook_timeout, so the lease outlives it.
        lease = now + dt.timedelta(seconds=self.settings.webhook_timeout + 5)
        due = await self.repo.claim(now=to_iso(now), lease_until=to_iso(lease), limit=free)
        for delivery in due:
            self._in_flight.add(delivery.id)
            task = asyncio.create_task(self._send(delivery), name=f"ocrdesk-webhook-{delivery.id}")
            self._sending.add(task)
            task.add_done_callback(self._sent)
        return len(due)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        self._wake.set()  # a slot is free, and the next event of that subject may be due now

    async def _send(self, delivery: DueDelivery) -> None:
        try:
            await self._attempt(delivery)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhook delivery %s: unexpected error", delivery.id)
        self._in_flight.discard(delivery.id)

    async def _attempt(self, delivery: DueDelivery) -> None:
        body = envelope_bytes(delivery.event)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(delivery.secret, body),
            "X-Webhook-Event": delivery.event.event_type,
            "X-Webhook-Id": delivery.event.id,
            "X-Webhook-Delivery": delivery.id,
        }
        attempts = delivery.attempts + 1
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.settings.webhook_timeout):
                status, peek, parts = await self._post(delivery.url, body, headers)
        except DestinationRefused as exc:
            ms = _ms(started)
            log.warning("webhook delivery %s refused: %s", delivery.id, exc)
            await self.repo.give_up(delivery.id, status_code=None, error=f"destination refused: {exc}", duration_ms=ms)
            return
        except TimeoutError:
            await self._failed(delivery, attempts, None, f"timed out after {self.settings.webhook_timeout:g}s", _ms(started))
            return
        except (httpx.HTTPError, ConnectionError, OSError) as exc:
            await self._failed(delivery, attempts, None, _describe(exc), _ms(started))
            return
        ms = _ms(started)
        if 200 <= status < 300:
            await self.repo.delivered(delivery.id, status_code=status, duration_ms=ms)
            self.sent += 1
            return
        error = f"HTTP {status}" + (": " + peek[:200].decode("utf-8", "replace").strip() if peek.strip() else "")
        await self._failed(delivery, attempts, status, error, ms)

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, urllib.parse.SplitResult]:
        """POST to the checked address of ``url``: (status, first bytes of the answer, url parts)."""
        assert self._client is not None
        parts, addresses = await self.policy.resolve(url, self.settings.webhook_timeout)
        target, host_header = _pinned(parts, addresses[0])
        hostname = parts.hostname or ""
        # TLS still checks the certificate against the name in the URL.
        extensions = {"sni_hostname": hostname} if parts.scheme == "https" and _ip(hostname) is None else {}
        request = self._client.build_request(
            "POST", target, content=body, headers={**headers, "Host": host_header}, extensions=extensions
        )
        response = await self._client.send(request, stream=True)
        peek = b""
        try:
            async for chunk in response.aiter_raw():
                peek += chunk
                if len(peek) >= RESPONSE_PEEK:
                    break
        finally:
            await response.aclose()
        return response.status_code, peek, parts

    async def _failed(self, delivery: DueDelivery, attempts: int, status: int | None, error: str, ms: int) -> None:
        if attempts >= self.settings.webhook_max_attempts:
            log.warning("webhook delivery %s given up after %d attempts: %s", delivery.id, attempts, error)
            await self.repo.give_up(delivery.id, status_code=status, error=error, duration_ms=ms)
            return
        delay = backoff_seconds(attempts, self.settings.webhook_backoff_base, self.settings.webhook_backoff_max)
        next_at = to_iso(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delay))
        log.info("webhook delivery %s attempt %d failed (%s); next in %.1fs", delivery.id, attempts, error, delay)
        await self.repo.retry_at(delivery.id, next_at, status_code=status, error=error, duration_ms=ms)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _describe(exc: BaseException) -> str:
    kind = type(exc).__name__
    text = str(exc).strip()
    return f"{kind}: {text}" if text else kind

