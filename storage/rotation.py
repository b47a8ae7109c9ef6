"""Re-encrypt every personal-data field under the key ring's active key."""

from __future__ import annotations

from sqlmodel import SQLModel, select

from storage.db import Database
from storage.models import KycProfile, User
from storage.vault import Vault

ENCRYPTED: tuple[type[SQLModel], ...] = (User, KycProfile)
BATCH = 200


def encrypted_columns(model: type[SQLModel]) -> list[str]:
    return [name for name in model.model_fields if name.endswith("_enc")]


async def reencrypt_all(db: Database, vault: Vault) -> int:
    """Returns how many fields changed; safe to run again after an interruption."""
    changed = 0
    for model in ENCRYPTED:
        columns = encrypted_columns(model)
        offset = 0
        while True:
            async with db.session() as session:
                rows = (
                    await session.exec(
                        select(model).order_by(model.id).offset(offset).limit(BATCH)  # type: ignore[attr-defined]
                    )
                ).all()
                for row in rows:
                    touched = [vault.reseal(row, column) for column in columns]
                    if any(touched):
                        session.add(row)
                        changed += sum(touched)
            if len(rows) < BATCH:
                break
            offset += BATCH
    return changed
