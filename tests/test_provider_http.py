"""The shared issuer client: retries only what is safe to repeat, honours Retry-After and
retry_after, and tells a definite failure from one where the issuer may have acted."""

from __future__ import annotations

import httpx
import pytest

from services.providers.base import ProviderError
from services.providers.http import ProviderHttp, RetryPolicy, status_error


def client(handler: httpx.MockTransport, waits: list[float]) -> ProviderHttp:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return ProviderHttp(
        "https://issuer.test/api",
        transport=handler,
        sleep=sleep,
        retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02, max_retry_after=30),
    )


async def test_reads_are_retried_after_5xx_and_429_honouring_the_wait() -> None:
    answers = [
        httpx.Response(503),
        httpx.Response(429, headers={"Retry-After": "7"}),
        httpx.Response(200, json={"ok": True}),
    ]
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[len(seen) - 1]

    waits: list[float] = []
    http = client(httpx.MockTransport(handle), waits)
    response = await http.request("GET", "/cards/1", retry=True)
    assert response.status_code == 200 and len(seen) == 3
    assert waits[0] <= 0.02 and waits[1] == 7.0  # jittered backoff, then Retry-After
    await http.aclose()


async def test_retry_after_in_the_body_and_its_cap() -> None:
    answers = [httpx.Response(429, json={"retry_after": 900}), httpx.Response(200, json={})]
    calls = 0

    def handle(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return answers[calls - 1]

    waits: list[float] = []
    http = client(httpx.MockTransport(handle), waits)
    await http.request("GET", "/x", retry=True)
    assert waits == [30.0]  # never waits longer than the cap
    await http.aclose()


async def test_writes_that_are_not_safe_to_repeat_are_sent_once() -> None:
    calls = 0

    def handle(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(500)

    http = client(httpx.MockTransport(handle), [])
    response = await http.request("POST", "/cards/1/fund", json={"amount": 10}, retry=False)
    assert response.status_code == 500 and calls == 1
    error = status_error(response)
    assert (error.code, error.definite) == ("provider-unavailable", False)  # it may have acted
    await http.aclose()


@pytest.mark.parametrize(
    ("exception", "definite"),
    [
        (httpx.ConnectError("refused"), True),  # nothing reached the issuer
        (httpx.ReadTimeout("slow"), False),  # the request went out: it may have acted
        (httpx.RemoteProtocolError("reset"), False),
    ],
)
async def test_transport_failures_say_whether_the_issuer_may_have_acted(
    exception: Exception, definite: bool
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise exception

    waits: list[float] = []
    http = client(httpx.MockTransport(handle), waits)
    with pytest.raises(ProviderError) as failed:
        await http.request("POST", "/cards", json={}, retry=False)
    assert failed.value.code == "provider-unavailable"
    assert failed.value.definite is definite
    assert waits == []  # not retried
    await http.aclose()


def test_status_mapping() -> None:
    def code(status: int) -> tuple[str, bool]:
        error = status_error(httpx.Response(status))
        return error.code, error.definite

    assert code(401) == ("provider-auth", True)
    assert code(404) == ("provider-not-found", True)
    assert code(429) == ("provider-rate-limited", True)
    assert code(400) == ("provider-bad-request", True)
    assert code(502) == ("provider-unavailable", False)
