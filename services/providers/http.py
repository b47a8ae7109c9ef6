"""The shared HTTP client base for issuer adapters: timeouts, bounded retries with jitter that
honour Retry-After / retry_after, only for calls that are safe to repeat, and error mapping.

An adapter subclasses `ProviderHttp`, sets its auth headers, and calls `request(...)` with
`retry=True` only for reads and for writes the API makes idempotent (by our reference). A
timeout or a dropped connection on a write raises `ProviderError(definite=False)`: the caller
must look the reference up instead of guessing.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import structlog

from services.providers.base import ProviderError

log = structlog.get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # tries in all, for a call that is safe to repeat
    base_delay: float = 0.25
    max_delay: float = 8.0
    max_retry_after: float = 30.0  # never wait longer than this for a Retry-After

    def backoff(self, attempt: int) -> float:
        """Full jitter: a random wait up to base·2^attempt, capped."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


class ProviderHttp:
    name = "provider"

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "cardbot/0.1"},
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def auth_headers(self) -> dict[str, str]:
        """Per-request authentication; override."""
        return {}

    async def request(
        self,
        method: str,
        path: str,
        *,
        retry: bool,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one call; retry it only when ``retry`` says repeating it is safe.

        Returns the response for any status; transport trouble becomes a ProviderError. 429 and
        5xx are retried (when safe) after Retry-After or a jittered backoff.
        """
        attempts = self.retry.attempts if retry else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self.client.request(
                    method,
                    path,
                    json=json,
                    params=params,
                    data=data,
                    files=files,
                    headers={**(await self.auth_headers()), **(headers or {})},
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # Nothing reached the provider: it certainly did not act.
                if last:
                    raise ProviderError("provider-unavailable", type(exc).__name__) from exc
            except httpx.TransportError as exc:  # read timeout, reset: it may have acted
                if last:
                    raise ProviderError(
                        "provider-unavailable", type(exc).__name__, definite=False
                    ) from exc
            else:
                if (response.status_code != 429 and response.status_code < 500) or last:
                    return response
                wait = self.retry_after(response)
                log.info(
                    "provider.retry",
                    provider=self.name,
                    status=response.status_code,
                    path=path,
                    wait=wait,
                )
                await self.sleep(wait if wait is not None else self.retry.backoff(attempt))
                continue
            await self.sleep(self.retry.backoff(attempt))
        raise AssertionError("unreachable")

    def retry_after(self, response: httpx.Response) -> float | None:
        """Seconds to wait from a Retry-After header or a JSON ``retry_after`` field."""
        value: Any = response.headers.get("Retry-After")
        if value is None:
            try:
                body = response.json()
            except ValueError:
                body = None
            if isinstance(body, dict):
                value = body.get("retry_after")
        try:
            seconds = float(value) if value is not None else None
        except (TypeError, ValueError):
            return None
        return None if seconds is None else min(max(seconds, 0.0), self.retry.max_retry_after)

    @staticmethod
    def json_body(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise ProviderError(
                "provider-bad-response",
                f"HTTP {response.status_code}, not JSON",
                definite=response.status_code < 500,
            ) from exc


def status_error(
    response: httpx.Response, code: str | None = None, detail: str = ""
) -> ProviderError:
    """The usual mapping of an HTTP status to our typed error.

    A 5xx after a write may mean the provider acted: it is indefinite. A 4xx is a refusal.
    """
    status = response.status_code
    if code is None:
        code = {
            401: "provider-auth",
            403: "provider-forbidden",
            404: "provider-not-found",
            409: "provider-conflict",
            422: "provider-bad-request",
            429: "provider-rate-limited",
        }.get(status, "provider-unavailable" if status >= 500 else "provider-bad-request")
    return ProviderError(code, detail or f"HTTP {status}", definite=status < 500)
