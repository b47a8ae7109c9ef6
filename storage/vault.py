"""Seal and open personal-data fields of a row, bound to (table, column, row id)."""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel

from storage.keyring import KeyRing


class Vault:
    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    @staticmethod
    def _aad(row: SQLModel, column: str) -> str:
        return f"{row.__tablename__}.{column}.{row.id}"  # type: ignore[attr-defined]

    def seal(self, row: SQLModel, column: str, value: str | bytes | None) -> None:
        """Encrypt ``value`` into ``row.<column>`` (which ends in ``_enc``)."""
        if value is None:
            setattr(row, column, None)
            return
        data = value.encode() if isinstance(value, str) else value
        setattr(row, column, self.ring.encrypt(data, self._aad(row, column)))

    def open_bytes(self, row: SQLModel, column: str) -> bytes | None:
        token: Any = getattr(row, column)
        if token is None:
            return None
        return self.ring.decrypt(token, self._aad(row, column))

    def open(self, row: SQLModel, column: str) -> str | None:
        data = self.open_bytes(row, column)
        return None if data is None else data.decode()

    def reseal(self, row: SQLModel, column: str) -> bool:
        """Re-encrypt under the active key; True when it changed."""
        token: Any = getattr(row, column)
        if token is None or self.ring.key_id_of(token) == self.ring.active:
            return False
        self.seal(row, column, self.open_bytes(row, column))
        return True

    def index(self, purpose: str, value: str) -> str:
        return self.ring.blind_index(purpose, value)
