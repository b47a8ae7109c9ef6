"""Routing across real adapters, configured as a deployment would: Numero and Nuvion enabled at
once, single-use cards to Nuvion, wallet cards to Numero, and failover when Numero is down."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import App, build_app
from storage.models import Card, ProviderCustomer
from tests.chat import ChatUser
from tests.conftest import FakeClock, make_settings
from tests.fakes.numero import DEFAULT_KEY, NumeroFake
from tests.fakes.nuvion import ACCOUNT_ID, API_KEY, FakeNuvion
from tests.journey import issue_card, onboard

ROUTES = [
    {"needs": ["disposable"], "providers": ["nuvion"]},
    {"needs": ["wallet_pay"], "providers": ["numero"]},
]


def closed_port() -> str:
    """An address where nothing listens: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/numeroaccount/api/v1"


@pytest.fixture
async def fakes(clock: FakeClock) -> AsyncIterator[tuple[NumeroFake, FakeNuvion]]:
    async with NumeroFake(clock=clock, kyc_delay=5) as numero, FakeNuvion() as nuvion:
        yield numero, nuvion


async def deploy(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: FakeClock,
    numero_url: str,
    nuvion_url: str,
) -> App:
    monkeypatch.setenv("CARDBOT_PROVIDERS", "numero,nuvion")
    monkeypatch.setenv("CARDBOT_ROUTES", json.dumps(ROUTES))
    monkeypatch.setenv("CARDBOT_NUMERO_BASE_URL", numero_url)
    monkeypatch.setenv("CARDBOT_NUMERO_API_KEY", DEFAULT_KEY)
    monkeypatch.setenv("CARDBOT_NUVION_BASE_URL", nuvion_url)
    monkeypatch.setenv("CARDBOT_NUVION_API_KEY", API_KEY)
    monkeypatch.setenv("CARDBOT_NUVION_ACCOUNT_ID", ACCOUNT_ID)
    return await build_app(make_settings(tmp_path), clock=clock, configure_logs=False)


async def issued(app: App) -> list[tuple[str, bool, str | None]]:
    async with app.db.session() as session:
        rows = (await session.exec(select(Card))).all()
    return sorted((c.provider, c.disposable, c.wallet) for c in rows)


async def test_cards_go_to_the_issuer_that_offers_what_they_need(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: FakeClock,
    fakes: tuple[NumeroFake, FakeNuvion],
) -> None:
    numero, nuvion = fakes
    app = await deploy(tmp_path, monkeypatch, clock, numero.url, nuvion.base_url)
    try:
        user = ChatUser(app)
        await onboard(user, clock)  # reviewed by Numero, the first issuer for Nigeria
        await user.type("/menu")
        await user.press("New card")
        options = user.labels()
        assert "Single-use Visa" in options  # offered by Nuvion
        assert any("Apple Pay" in label for label in options)  # from Numero's product list
        await issue_card(user, clock, pick="Single-use Visa", initial="$25.00")
        await user.type("/menu")
        await user.press("New card")
        await user.press("Apple Pay & Google Pay")
        await user.press("Apple Pay")  # which wallet
        await user.press("$10.00")
        await user.press("Confirm")
        assert await issued(app) == [("numero", False, "apple_pay"), ("nuvion", True, None)]
        async with app.db.session() as session:
            customers = (await session.exec(select(ProviderCustomer))).all()
        assert sorted((c.provider, c.kyc_status) for c in customers) == [
            ("numero", "approved"),
            ("nuvion", "approved"),  # enrolled when the first Nuvion card was asked for
        ]
    finally:
        await app.close()


async def test_when_numero_is_down_nuvion_takes_the_cardholder(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: FakeClock,
    fakes: tuple[NumeroFake, FakeNuvion],
) -> None:
    _numero, nuvion = fakes
    app = await deploy(tmp_path, monkeypatch, clock, closed_port(), nuvion.base_url)
    try:
        user = ChatUser(app)
        await onboard(user, clock)  # Numero refuses the connection: KYC goes on to Nuvion
        assert "You're verified!" in user.screen_text()
        await issue_card(user, clock, pick="Visa", initial="$25.00")
        assert await issued(app) == [("nuvion", False, None)]
        assert "Your new card is ready to use." in user.screen_text()
    finally:
        await app.close()
