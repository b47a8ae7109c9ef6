"""Field encryption: AES-GCM bound to row and column, blind indexes, rotation without downtime."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import build_app
from bot.cli import main
from storage.keyring import KeyRing, KeyRingError
from storage.models import KycProfile, User
from storage.rotation import encrypted_columns
from storage.vault import Vault
from tests.chat import ChatUser
from tests.conftest import FakeClock, make_settings
from tests.journey import onboard


def test_ciphertext_is_bound_to_its_row_and_column() -> None:
    vault = Vault(KeyRing.generate())
    a, b = KycProfile(id="a" * 32, tenant="t"), KycProfile(id="b" * 32, tenant="t")
    vault.seal(a, "first_name_enc", "Ada")
    assert a.first_name_enc and "Ada" not in a.first_name_enc
    assert vault.open(a, "first_name_enc") == "Ada"
    b.first_name_enc = a.first_name_enc  # copied into another row
    with pytest.raises(KeyRingError):
        vault.open(b, "first_name_enc")
    a.last_name_enc = a.first_name_enc  # copied into another column
    with pytest.raises(KeyRingError):
        vault.open(a, "last_name_enc")


def test_same_value_encrypts_differently_but_indexes_the_same() -> None:
    ring = KeyRing.generate()
    assert ring.encrypt_text("+2348031234567", "x") != ring.encrypt_text("+2348031234567", "x")
    assert ring.blind_index("phone", "+2348031234567") == ring.blind_index(
        "phone", "+2348031234567"
    )
    assert ring.blind_index("phone", "1") != ring.blind_index("id_number", "1")
    other = KeyRing.generate()
    assert other.blind_index("phone", "1") != ring.blind_index("phone", "1")


def test_master_key_from_environment_and_bad_rings(tmp_path: Path) -> None:
    ring = KeyRing.generate()
    loaded = KeyRing.load_or_create(ring.dumps(), tmp_path / "unused.keys")
    assert loaded.keys == ring.keys and not (tmp_path / "unused.keys").exists()
    with pytest.raises(KeyRingError):
        KeyRing.loads("not json")
    broken = json.loads(ring.dumps())
    broken["active"] = "missing"
    with pytest.raises(KeyRingError):
        KeyRing.loads(json.dumps(broken))


def test_key_file_is_created_private_on_first_run(tmp_path: Path) -> None:
    path = tmp_path / "cardbot.keys"
    ring = KeyRing.load_or_create(None, path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert KeyRing.load_or_create(None, path).keys == ring.keys


async def test_rotate_reencrypts_every_field_and_a_running_app_keeps_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    settings = make_settings(tmp_path)
    running = await build_app(settings, clock=clock, configure_logs=False)
    user = ChatUser(running)
    await onboard(user, clock)
    old_kid = running.ring.active

    monkeypatch.setenv("CARDBOT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CARDBOT_KEY_FILE", str(settings.key_file))
    assert await asyncio.to_thread(main, ["keys", "rotate"]) == 0

    rotated = KeyRing.loads(settings.key_file.read_text())
    assert rotated.active != old_kid and old_kid in rotated.keys
    async with running.db.session() as session:
        for model in (User, KycProfile):
            for row in (await session.exec(select(model))).all():
                for column in encrypted_columns(model):
                    token = getattr(row, column)
                    if token is not None:
                        assert token.startswith(rotated.active + ":"), (model, column)

    # The app started before the rotation reads the new key from the key file on demand.
    account = await running.services.users.load(user.user_id)
    answers = await running.services.onboarding.answers(account)
    assert answers["first_name"] == "Ada" and answers["phone"] == "+2348031234567"
    await user.type("/menu")
    assert "What would you like to do?" in user.screen_text()
    # Blind indexes survive rotation: the phone is still found by its index.
    async with running.db.session() as session:
        found = (
            await session.exec(
                select(KycProfile).where(
                    KycProfile.phone_bidx == running.ring.blind_index("phone", "+2348031234567")
                )
            )
        ).all()
    assert [p.id for p in found] == [account.id]
    await running.close()
