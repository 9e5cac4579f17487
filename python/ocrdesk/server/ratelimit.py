"""Authentication and per-key rate limiting, as one ASGI middleware.

Authentication happens here (not in each handler) because the rate-limit bucket is the key:
a request with a valid key or JWT counts against that key (JWTs share their key's bucket),
anything else against the client address. Every API response gets ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (seconds until the window resets);
a 429 also gets ``Retry-After``. Counters live in memory: one server process, one budget.
"""

from __future__ import annotations

import math
import threading
import time


import msgspec
from litestar.datastructures import Headers
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from ocrdesk.server.auth import authenticate, credential_from_headers
from ocrdesk.server.errors import error_body

__all__ = ["FixedWindowLimiter", "AuthRateLimitMiddleware", "API_PREFIX"]

API_PREFIX = "/v1/openapi"
DOCS_PREFIX = API_PREFIX + "/docs"


class FixedWindowLimiter:
    """``limit`` hits per ``window`` seconds per bucket; windows are aligned per bucket."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._buckets: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, bucket: str, now: float | None = None) -> tuple[bool, int, int]:
        """Count one request: (allowed, remaining, seconds until reset)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            start, count = self._buckets.get(bucket, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            allowed = count < self.limit
            if allowed:
                count += 1
            self._buckets[bucket] = (start, count)
            if len(self._buckets) > 100_000:
                self._prune(now)
        reset = max(1, math.ceil(start + self.window - now))
        return allowed, max(0, self.limit - count), reset

    def _prune(self, now: float) -> None:
        for name in [b for b, (start, _) in self._buckets.items() if now - start >= self.window]:
            del self._buckets[name]


class AuthRateLimitMiddleware:
    """Authenticates API requests and applies the per-key rate limit.

    Litestar builds one instance of this middleware per route, so the limiter lives on the
    application state: a key has one budget across every endpoint.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(API_PREFIX) or path.startswith(DOCS_PREFIX):
            await self.app(scope, receive, send)
            return
        ctx = scope["app"].state.ctx
        principal = await authenticate(ctx, credential_from_headers(Headers.from_scope(scope)))
        scope.setdefault("state", {})["principal"] = principal

        limit = ctx.settings.rate_limit_per_minute
        if limit <= 0:
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        limiter: FixedWindowLimiter | None = getattr(state, "rate_limiter", None)
        if limiter is None or limiter.limit != limit:
            limiter = state.rate_limiter = FixedWindowLimiter(limit)
        if principal is not None:
            bucket = "key:" + principal.key.id
        else:
            client = scope.get("client") or ("unknown", 0)
            bucket = "addr:" + str(client[0])
        allowed, remaining, reset = limiter.hit(bucket)
        rate_headers = [
            (b"x-ratelimit-limit", str(limit).encode()),
            (b"x-ratelimit-remaining", str(remaining).encode()),
            (b"x-ratelimit-reset", str(reset).encode()),
        ]
        if not allowed:
            body = msgspec.json.encode(error_body(429, "Too many requests, retry later"))
            await send(
                {
                    "type": "http.response.start",
                    "status": 429,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"retry-after", str(reset).encode()),
                        *rate_headers,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)  # type: ignore[assignment]
                message["headers"] = [*message.get("headers", []), *rate_headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)


