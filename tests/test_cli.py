"""The `cardbot` command as a person runs it: terminal chat, sandbox simulation, db, run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.journey import JPEG

CARDBOT = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).resolve().parent.parent


def run(
    tmp_path: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CARDBOT_")} | {
        "CARDBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cardbot.db'}",
        "CARDBOT_KEY_FILE": str(tmp_path / "cardbot.keys"),
        "CARDBOT_SANDBOX_DELAY_SECONDS": "0",
        "PYTHONPATH": str(ROOT),
        **env,
    }
    return subprocess.run(
        [*CARDBOT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=120,
        check=False,
    )


def journey_lines(photo: Path) -> str:
    lines = [
        "Verify my identity",
        "Ada",
        "Okafor",
        "14/03/1992",
        "Nigeria",
        "+2348031234567",
        "12 Marina Road",
        "Lagos",
        "Lagos",
        "101001",
        "BVN",
        "22123456789",
        str(photo),
        str(photo),
        "Submit",
        "/menu",
        "Wallet",
        "$500.00",  # sandbox test money in the wallet, which cards are loaded from
        "/menu",
        "New card",
        "1",
        "$25.00",
        "Confirm",
        "Refresh",
        "Top up",
        "abc",
        "20",
        "Confirm",
        "Show card details",
        "Freeze",
        "Statement",
    ]
    return "\n".join(lines) + "\n"


def test_terminal_chat_runs_the_whole_journey(tmp_path: Path) -> None:
    photo = tmp_path / "id.jpg"
    photo.write_bytes(JPEG)
    result = run(tmp_path, "chat", stdin=journey_lines(photo))
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Welcome to cardbot" in out
    assert "[1] 🪪 Verify my identity" in out  # buttons as numbered choices
    assert "Please check your details" in out
    assert "You're verified!" in out
    assert "Card fee: $2.00" in out and "You pay: $27.00" in out
    assert "“abc” isn't an amount" in out
    assert "$20.00 added to your card." in out
    assert "[protected · deletes itself in 60s]" in out
    assert "Status: ❄️ Frozen" in out
    assert "Top-up · +$20.00" in out


def test_sandbox_command_simulates_purchases_for_statements(tmp_path: Path) -> None:
    photo = tmp_path / "id.jpg"
    photo.write_bytes(JPEG)
    assert run(tmp_path, "chat", stdin=journey_lines(photo)).returncode == 0
    cards = run(tmp_path, "sandbox", "cards")
    assert cards.returncode == 0 and "frozen" in cards.stdout
    last4 = cards.stdout.split("•••• ")[1][:4]
    declined = run(tmp_path, "sandbox", "purchase", last4, "5", "--merchant", "Jumia")
    assert "declined (card_frozen)" in declined.stdout, declined.stderr
    refund = run(tmp_path, "sandbox", "refund", last4, "2.50", "--merchant", "Jumia")
    assert "approved; card balance $47.50" in refund.stdout, refund.stderr
    chat = run(tmp_path, "chat", stdin="/cards\n1\nStatement\n")
    assert "Refund Jumia · +$2.50" in chat.stdout
    assert "Jumia · $5.00 declined: card frozen" in chat.stdout
    unknown = run(tmp_path, "sandbox", "purchase", "0000", "5")
    assert unknown.returncode == 1 and "card-not-found" in unknown.stderr
    bad = run(tmp_path, "sandbox", "purchase", last4, "12.345")
    assert bad.returncode == 2 and "amount-too-precise" in bad.stderr


def test_run_without_token_says_how_to_get_one(tmp_path: Path) -> None:
    result = run(tmp_path, "run")
    assert result.returncode == 2
    assert "@BotFather" in result.stderr and "CARDBOT_TELEGRAM_TOKEN" in result.stderr


def test_start_without_token_opens_the_terminal_chat(tmp_path: Path) -> None:
    result = run(tmp_path, "start", stdin="/help\n")
    assert result.returncode == 0
    assert "starting the terminal chat" in result.stderr
    assert "/cards — your cards" in result.stdout


def test_db_upgrade_and_bad_settings(tmp_path: Path) -> None:
    assert "up to date" in run(tmp_path, "db", "upgrade").stdout
    bad = run(tmp_path, "db", "upgrade", CARDBOT_REVEAL_TTL_SECONDS="abc")
    assert bad.returncode == 2 and "CARDBOT_" in bad.stderr


def test_reconcile_command(tmp_path: Path) -> None:
    photo = tmp_path / "id.jpg"
    photo.write_bytes(JPEG)
    assert run(tmp_path, "chat", stdin=journey_lines(photo)).returncode == 0
    result = run(tmp_path, "reconcile")
    assert result.returncode == 0, result.stderr
    assert "0 operations carried forward, 0 corrections" in result.stdout
