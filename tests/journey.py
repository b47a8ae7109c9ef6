"""Helpers that walk a person through the common journey, for tests that start further on."""

from __future__ import annotations

from services.money import Money
from tests.chat import ChatUser
from tests.conftest import FakeClock

FUNDS = Money(50_000)  # what onboard() puts in the wallet: $500

# A minimal valid JPEG header is enough for the photo rules (they check the file is an image).
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"

ANSWERS = {
    "first_name": "Ada",
    "last_name": "Okafor",
    "birth_date": "14/03/1992",
    "phone": "+2348031234567",
    "address_line1": "12 Marina Road",
    "city": "Lagos",
    "region": "Lagos",
    "postal_code": "101001",
    "id_number": "22123456789",
}


def _offers(user: ChatUser, label: str) -> bool:
    return any(label.lower() in shown.lower() for shown in user.labels())


async def onboard(user: ChatUser, clock: FakeClock, **overrides: str) -> None:
    """From /start to an approved KYC."""
    answers = {**ANSWERS, **overrides}
    await user.type("/start")
    await user.press("Verify my identity")
    for field in ("first_name", "last_name", "birth_date"):
        await user.type(answers[field])
    await user.press("Nigeria")
    await user.type(answers["phone"])
    for field in ("address_line1", "city", "region", "postal_code"):
        await user.type(answers[field])
    await user.press("BVN")
    await user.type(answers["id_number"])
    await user.send_photo(JPEG)
    await user.send_photo(JPEG)
    assert "check your details" in user.screen_text()
    await user.press("Submit")
    clock.advance(10)
    if _offers(user, "Check status"):  # issuers that decide at once show the result already
        await user.press("Check status")
    await fund(user)


async def fund(user: ChatUser, amount: Money = FUNDS) -> None:
    """Money in the cardholder's wallet, as the business's payment system would credit it."""
    account = await user.app.services.users.load(user.user_id)
    await user.app.services.wallet.deposit(
        account.id, amount, f"test-funds:{account.id}:{amount.minor}", "test funds"
    )


async def issue_card(
    user: ChatUser, clock: FakeClock, initial: str = "$25.00", pick: str = "Visa"
) -> None:
    """From the menu to an active card: pick the product or brand (when the issuer offers a
    choice), the initial amount (when it takes one), confirm, and wait for activation."""
    await user.type("/menu")
    await user.press("New card")
    if _offers(user, pick):
        await user.press(pick)
    if _offers(user, initial):
        await user.press(initial)
    if _offers(user, "No limits"):  # issuers that take limits only at creation ask here
        await user.press("No limits")
    await user.press("Confirm")
    clock.advance(10)
    if _offers(user, "Refresh"):
        await user.press("Refresh")
