"""Several issuers at once: routing by country and by what the card needs, failover to the next
eligible issuer when one refuses or is down, and never two cards for one request."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.app import App
from services.money import Money
from services.providers.base import Capability, IssueRequest, ProviderCard, ProviderError
from services.providers.sandbox import CAPABILITIES, SandboxProvider
from services.routing import Route, Router
from storage.models import Card, Operation, ProviderCustomer, SandboxCard
from tests.chat import ChatUser
from tests.conftest import FakeClock
from tests.journey import onboard


class Refusing(SandboxProvider):
    """An issuer that says no (or is down) before doing anything."""

    async def issue_card(self, request: IssueRequest) -> ProviderCard:
        raise ProviderError("provider-unavailable", "down for maintenance")


class TimesOutAfterIssuing(SandboxProvider):
    """Issues the card, then the answer is lost on the way back."""

    async def issue_card(self, request: IssueRequest) -> ProviderCard:
        await super().issue_card(request)
        raise ProviderError("provider-unavailable", "read timeout", definite=False)


class TimesOutBeforeIssuing(SandboxProvider):
    async def issue_card(self, request: IssueRequest) -> ProviderCard:
        raise ProviderError("provider-unavailable", "read timeout", definite=False)


def second_issuer(
    app: App, cls: type[SandboxProvider], name: str, caps: frozenset[Capability] = CAPABILITIES
) -> SandboxProvider:
    primary = app.services.provider
    assert isinstance(primary, SandboxProvider)
    return cls(
        primary.db, primary.secret, primary.tenant, 0, primary.clock, name=name, capabilities=caps
    )


def enable(app: App, *providers: SandboxProvider, routes: list[Route] | None = None) -> None:
    """Swap the deployment's issuers (the services share this one router)."""
    router = app.services.router
    router.providers.clear()
    router.providers.update({p.info.name: p for p in providers})
    router.routes[:] = routes or []


async def cards(app: App) -> list[Card]:
    async with app.db.session() as session:
        return list((await session.exec(select(Card))).all())


async def sandbox_cards(app: App) -> list[SandboxCard]:
    async with app.db.session() as session:
        return list((await session.exec(select(SandboxCard))).all())


async def ask_for_card(app: App, user: ChatUser, option: str = "visa.regular") -> str:
    account = await app.services.users.load(user.user_id)
    quote = await app.services.cards.quote_issue(account, option, Money(1000))
    outcome = await app.services.cards.confirm(account, quote.operation_id)
    return outcome.status


def test_candidates_follow_routes_then_capabilities() -> None:
    def issuer(name: str, *extra: Capability) -> SandboxProvider:
        base = frozenset({Capability.ISSUE, *extra})
        return SandboxProvider(None, b"", "t", name=name, capabilities=base)  # type: ignore[arg-type]

    numero = issuer("numero", Capability.WALLET_PAY)
    nuvion = issuer("nuvion", Capability.DISPOSABLE)
    bitnob = issuer("bitnob")
    router = Router(
        {"bitnob": bitnob, "numero": numero, "nuvion": nuvion},
        [
            Route(needs=[Capability.DISPOSABLE], providers=["nuvion"]),
            Route(countries=["GH"], providers=["numero", "bitnob"]),
        ],
    )
    names = lambda found: [p.info.name for p in found]  # noqa: E731
    assert names(router.candidates("NG", {Capability.ISSUE})) == ["bitnob", "numero", "nuvion"]
    assert names(router.candidates("GH", {Capability.ISSUE})) == ["numero", "bitnob"]
    assert names(router.candidates("NG", {Capability.ISSUE, Capability.DISPOSABLE})) == ["nuvion"]
    assert names(router.candidates("GH", {Capability.ISSUE, Capability.WALLET_PAY})) == ["numero"]
    assert names(router.candidates("NG", {Capability.ISSUE, Capability.TERMINATE})) == []
    with pytest.raises(ValueError, match="not enabled"):
        Router({"bitnob": bitnob}, [Route(providers=["cartevo"])])


async def test_refused_issuance_fails_over_to_the_next_issuer(app: App, clock: FakeClock) -> None:
    user = ChatUser(app)
    await onboard(user, clock)  # KYC at the primary sandbox
    primary = app.services.provider
    assert isinstance(primary, SandboxProvider)
    down = second_issuer(app, Refusing, "primary-down")
    backup = second_issuer(app, SandboxProvider, "backup")
    enable(app, down, backup)
    assert await ask_for_card(app, user) == "succeeded"
    issued = await cards(app)
    assert [c.provider for c in issued] == ["backup"]
    # The cardholder was enrolled at the backup issuer from their stored answers.
    async with app.db.session() as session:
        customers = (await session.exec(select(ProviderCustomer))).all()
    # KYC went to the refusing issuer too (it answered), then to the backup that issued.
    assert sorted(c.provider for c in customers) == ["backup", "primary-down", "sandbox"]
    assert {c.provider: c.kyc_status for c in customers}["backup"] == "approved"
    async with app.db.session() as session:
        op = (await session.exec(select(Operation).where(Operation.kind == "issue"))).one()
    assert (op.status, op.provider) == ("succeeded", "backup")


async def test_an_unclear_answer_is_looked_up_not_retried_elsewhere(
    app: App, clock: FakeClock
) -> None:
    user = ChatUser(app)
    await onboard(user, clock)
    flaky = second_issuer(app, TimesOutAfterIssuing, "flaky")
    backup = second_issuer(app, SandboxProvider, "backup")
    enable(app, flaky, backup)
    assert await ask_for_card(app, user) == "succeeded"
    assert [c.provider for c in await cards(app)] == ["flaky"]
    assert len(await sandbox_cards(app)) == 1  # one card in the world, not two


async def test_unclear_and_not_found_stays_pending_without_failover(
    app: App, clock: FakeClock
) -> None:
    user = ChatUser(app)
    await onboard(user, clock)
    lost = second_issuer(app, TimesOutBeforeIssuing, "lost")
    backup = second_issuer(app, SandboxProvider, "backup")
    enable(app, lost, backup)
    assert await ask_for_card(app, user) == "in_progress"
    assert await cards(app) == [] and await sandbox_cards(app) == []
    async with app.db.session() as session:
        op = (await session.exec(select(Operation).where(Operation.kind == "issue"))).one()
    assert (op.status, op.provider) == ("sent", "lost")  # the issuer may have acted: look up later


async def test_all_issuers_refusing_fails_with_the_reason(app: App, clock: FakeClock) -> None:
    user = ChatUser(app)
    await onboard(user, clock)
    enable(app, second_issuer(app, Refusing, "a"), second_issuer(app, Refusing, "b"))
    assert await ask_for_card(app, user) == "failed"
    async with app.db.session() as session:
        op = (await session.exec(select(Operation).where(Operation.kind == "issue"))).one()
    assert (op.status, op.error) == ("failed", "provider-unavailable")


async def test_a_single_use_card_goes_to_the_issuer_that_offers_it(
    app: App, clock: FakeClock
) -> None:
    user = ChatUser(app)
    await onboard(user, clock)
    plain = second_issuer(app, SandboxProvider, "plain", CAPABILITIES - {Capability.DISPOSABLE})
    single = second_issuer(app, SandboxProvider, "single-use")
    enable(app, plain, single)
    assert await ask_for_card(app, user, "visa.regular") == "succeeded"
    assert await ask_for_card(app, user, "visa.single") == "succeeded"
    assert sorted((c.provider, c.disposable) for c in await cards(app)) == [
        ("plain", False),
        ("single-use", True),
    ]


async def test_country_routes_pick_the_issuer(app: App, clock: FakeClock) -> None:
    user = ChatUser(app)
    await onboard(user, clock)  # lives in Nigeria
    ghana = second_issuer(app, SandboxProvider, "ghana-only")
    nigeria = second_issuer(app, SandboxProvider, "nigeria-first")
    enable(app, ghana, nigeria, routes=[Route(countries=["NG"], providers=["nigeria-first"])])
    assert await ask_for_card(app, user) == "succeeded"
    assert [c.provider for c in await cards(app)] == ["nigeria-first"]
    # Each card's later operations go to the issuer that holds it.
    account = await app.services.users.load(user.user_id)
    card = (await cards(app))[0]
    frozen = await app.services.cards.freeze(account, card.id)
    assert frozen.status == "frozen" and frozen.provider == "nigeria-first"
