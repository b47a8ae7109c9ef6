"""After a full journey, no card number, CVV or personal data sits in plain text in the database
file (with its WAL) or in the logs."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import structlog

from bot.app import build_app
from bot.logging import configure_logging, scrub_text
from services.providers.luhn import luhn_valid
from storage.models import KycProfile
from tests.chat import ChatUser
from tests.conftest import FakeClock, make_settings
from tests.journey import issue_card, onboard

# Long, distinctive values: short ones could turn up by chance inside base64 ciphertext.
PERSON = {
    "first_name": "Chinwendu-Adaeze",
    "last_name": "Okonkwo-Ballantyne",
    "phone": "+2348039876543",
    "address_line1": "47 Ogunlana Crescent",
    "id_number": "22987654321",
    "birth_date": "14/03/1992",
}
REVEAL = re.compile(
    r"<tg-spoiler><code>(\d{16})</code></tg-spoiler>.*<tg-spoiler><code>(\d{3})</code>", re.S
)


def standalone(token: str) -> re.Pattern[bytes]:
    """The token not inside a longer run of base64/hex/digit characters."""
    return re.compile(
        rb"(?<![0-9A-Za-z+/=_-])" + re.escape(token.encode()) + rb"(?![0-9A-Za-z+/=_-])"
    )


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str]):
    configure_logging("DEBUG")
    yield capsys
    logging.getLogger().handlers.clear()
    structlog.reset_defaults()


async def test_full_journey_leaves_no_secret_in_database_or_logs(
    tmp_path: Path, logs: pytest.CaptureFixture[str]
) -> None:
    clock = FakeClock()
    settings = make_settings(tmp_path, log_level="DEBUG")
    app = await build_app(settings, clock=clock, configure_logs=False)
    user = ChatUser(app)
    await onboard(user, clock, **PERSON)
    await issue_card(user, clock)
    await user.press("Top up")
    await user.type("40")
    await user.press("Confirm")
    await user.press("Show card details")
    match = REVEAL.search(user.log[-1].text)
    assert match, user.log[-1].text
    pan, cvv = match.groups()
    assert luhn_valid(pan)
    await user.press("Freeze")
    await user.press("Statement")
    await user.type("/start")

    # The data really is there, encrypted: the scan below is not vacuous.
    async with app.db.session() as session:
        profile = await session.get(KycProfile, (await app.services.users.load(user.user_id)).id)
    assert profile is not None and profile.phone_enc and profile.id_number_enc
    assert profile.phone_bidx == app.services.users.vault.index("phone", PERSON["phone"])

    files = [p for p in tmp_path.iterdir() if p.name.startswith("cardbot.db")]
    assert any(p.name.endswith("-wal") for p in files), files  # WAL scanned while live
    blobs = {p.name: p.read_bytes() for p in files}
    await app.close()
    blobs.update({f"{p.name} (closed)": p.read_bytes() for p in tmp_path.glob("cardbot.db*")})
    logged = logs.readouterr()
    assert "operation.succeeded" in logged.err  # the logs were captured
    blobs["logs"] = (logged.out + logged.err).encode()

    secrets = {
        "card number": pan,
        "card number, spaced": f"{pan[:4]} {pan[4:8]} {pan[8:12]} {pan[12:]}",
        "CVV": cvv,
        "ID number": PERSON["id_number"],
        "phone": PERSON["phone"],
        "phone, national": PERSON["phone"][4:],
        "first name": PERSON["first_name"],
        "last name": PERSON["last_name"],
        "address": PERSON["address_line1"],
        "birth date": "1992-03-14",
    }
    for where, blob in blobs.items():
        for what, value in secrets.items():
            assert not standalone(value).search(blob), f"{what} found in {where}"


def test_scrubber_masks_card_numbers_tokens_and_cvv() -> None:
    line = (
        "card 4000001703872473 cvv=123 token=abc123 bot 123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        " order 1234567890123"
    )
    scrubbed = scrub_text(line)
    assert "4000001703872473" not in scrubbed and "[PAN]" in scrubbed
    assert "cvv=***" in scrubbed and "token=***" in scrubbed
    assert "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" not in scrubbed
    assert "1234567890123" in scrubbed  # not Luhn-valid: an order number stays readable


def test_structlog_event_fields_are_scrubbed(logs: pytest.CaptureFixture[str]) -> None:
    structlog.get_logger("t").info("provider.reply", cvv="987", body="number 4000001703872473")
    err = logs.readouterr().err
    fields = re.sub(r"timestamp='[^']*'", "", err)  # a timestamp may hold any digits
    assert "cvv='***'" in fields and "987" not in fields
    assert "4000001703872473" not in fields and "[PAN]" in fields
