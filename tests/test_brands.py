"""White-label: brand files checked at start with clear errors, and two brands served at once
from one database, each with its own name, fees, language and cardholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import App, build_apps
from services.brand import BrandError, load_brand
from services.money import Money
from storage.models import Card, User
from tests.chat import ChatUser
from tests.conftest import FakeClock, make_settings
from tests.journey import issue_card, onboard

_TAGS = re.compile(r"<[^>]+>")

KOBO = """
id = "kobo"
name = "Kobo Cards"
support = "@kobo_help"
bot_token_env = "KOBO_TOKEN"
terms_url = "https://kobo.example/terms"
privacy_url = "https://kobo.example/privacy"
welcome = "Welcome to Kobo — cards for everyday life."
[colours]
primary = "#0A3D62"
secondary = "#38ADA9"
[fees]
issue_minor = 200
topup_percent = "1.5"
[languages]
default = "en"
offered = ["en", "fr"]
[issuers]
enabled = ["sandbox"]
"""

IVOIRE = """
id = "ivoire-pay"
name = "Ivoire Pay"
support = "@ivoirepay"
bot_token_env = "IVOIRE_TOKEN"
reveal_ttl_seconds = 30
admins = [9001]
[fees]
issue_minor = 350
topup_percent = "2"
[languages]
default = "fr"
offered = ["fr"]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def plain(user: ChatUser) -> str:
    return "\n".join(m.plain for m in user.log)


async def test_two_brands_at_once_with_their_own_names_fees_and_cardholders(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOBO_TOKEN", "111111:" + "K" * 35)
    files = f"{write(tmp_path, 'kobo', KOBO)},{write(tmp_path, 'ivoire', IVOIRE)}"
    apps = await build_apps(
        make_settings(tmp_path, brand_files=files), clock=clock, configure_logs=False
    )
    try:
        kobo, ivoire = apps
        assert (kobo.settings.tenant, ivoire.settings.tenant) == ("kobo", "ivoire-pay")
        assert kobo.settings.telegram_token is not None and ivoire.settings.telegram_token is None
        assert ivoire.settings.reveal_ttl_seconds == 30

        # The same Telegram person talks to both bots: two separate cardholders.
        ada_kobo = ChatUser(kobo, user_id=1001)
        await onboard(ada_kobo, clock)
        await issue_card(ada_kobo, clock, initial="$25.00")
        assert "Welcome to Kobo — cards for everyday life." in plain(ada_kobo)
        kobo_account = await kobo.services.users.load(1001)
        # $500 in, $25 loaded, Kobo's $2.00 card fee
        assert await kobo.services.wallet.balance(kobo_account.id) == Money(47_300)
        await ada_kobo.type("/help")
        assert "Terms" in ada_kobo.screen_text() and "@kobo_help" in ada_kobo.screen_text()

        ada_ivoire = ChatUser(ivoire, user_id=1001, language="en")  # only French is offered
        await ada_ivoire.type("/start")
        assert "Bienvenue chez Ivoire Pay" in plain(ada_ivoire)
        menu_labels = ada_ivoire.labels()
        assert any("Vérifier" in label for label in menu_labels), menu_labels

        async with kobo.db.session() as session:
            users = (await session.exec(select(User).where(User.telegram_id == 1001))).all()
            cards = (await session.exec(select(Card))).all()
        assert sorted(u.tenant for u in users) == ["ivoire-pay", "kobo"]
        assert [c.tenant for c in cards] == ["kobo"]
        ivoire_account = await ivoire.services.users.load(1001)
        assert await ivoire.services.cards.list(ivoire_account) == []  # Kobo's card is not here
        # Ivoire's admin finds Ivoire's Ada (no KYC yet), never Kobo's details or cards.
        seen = await _admin(ivoire, 9001, "/who 1001")
        assert "KYC : none" in seen and "Okafor" not in seen and "••••" not in seen
    finally:
        for app in apps:
            await app.close()


async def _admin(app: App, telegram_id: int, text: str) -> str:
    person = ChatUser(app, user_id=telegram_id)
    await person.type(text)
    return _TAGS.sub("", "\n".join(m.text for m in person.log))


async def test_a_brand_fee_is_what_its_cardholders_pay(tmp_path: Path, clock: FakeClock) -> None:
    [ivoire] = await build_apps(
        make_settings(tmp_path, brand_file=write(tmp_path, "ivoire", IVOIRE)),
        clock=clock,
        configure_logs=False,
    )
    try:
        user = ChatUser(ivoire, user_id=2002, language="fr")
        await onboard_fr(user, clock)
        account = await ivoire.services.users.load(user.user_id)
        quote = await ivoire.services.cards.quote_issue(account, "visa.regular", Money(0))
        assert quote.fee.minor == 350
    finally:
        await ivoire.close()


async def onboard_fr(user: ChatUser, clock: FakeClock) -> None:
    """The French journey's onboarding, through the service (labels differ by language)."""
    from tests.journey import fund

    await user.type("/start")
    app = user.app
    account = await app.services.users.load(user.user_id)
    from tests.journey import ANSWERS, JPEG

    for field, value in (
        ("first_name", ANSWERS["first_name"]),
        ("last_name", ANSWERS["last_name"]),
        ("birth_date", ANSWERS["birth_date"]),
        ("country", "NG"),
        ("phone", ANSWERS["phone"]),
        ("address_line1", ANSWERS["address_line1"]),
        ("city", ANSWERS["city"]),
        ("region", ANSWERS["region"]),
        ("postal_code", ANSWERS["postal_code"]),
        ("id_type", "bvn"),
        ("id_number", ANSWERS["id_number"]),
        ("id_photo", JPEG),
        ("selfie", JPEG),
    ):
        await app.services.onboarding.answer(account, field, value)
    await app.services.onboarding.submit(account)
    clock.advance(10)
    await app.services.onboarding.state(account)
    await fund(user)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (KOBO.replace('"#0A3D62"', '"navy"'), "colours.primary: Value error, must be a hex colour"),
        (KOBO.replace('enabled = ["sandbox"]', 'enabled = ["acme"]'), "unknown issuers ['acme']"),
        (KOBO.replace('default = "en"', 'default = "de"'), "unknown languages ['de']"),
        (KOBO.replace('id = "kobo"', 'id = "Kobo Cards!"'), "id: String should match pattern"),
        (KOBO + "\ncolour = 'red'\n", "colour: Extra inputs are not permitted"),
        (KOBO.replace("issue_minor = 200", "issue_minor = -5"), "fees.issue_minor"),
        ("id = ", "not valid TOML"),
    ],
)
def test_bad_brand_files_say_what_is_wrong(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(BrandError) as refused:
        load_brand(write(tmp_path, "bad", text))
    assert problem in str(refused.value)
    assert "bad.toml" in str(refused.value)
