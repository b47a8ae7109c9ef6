"""Field encryption (AES-GCM) under a key ring, and keyed HMAC blind indexes.

Ciphertext format: ``<key id>:<base64(nonce | ciphertext+tag)>``. The associated data binds a
value to its table, column and row id, so a ciphertext copied into another row or column fails
to decrypt. Rotation adds a key and makes it active; old keys stay to decrypt until every field
has been re-encrypted (``cardbot keys rotate``). The blind-index key is separate and stable, so
lookups keep working across rotations.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = structlog.get_logger(__name__)


class KeyRingError(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode())


@dataclass
class KeyRing:
    keys: dict[str, bytes]
    active: str
    index_key: bytes
    # Where the ring was read from: a key id this process has not seen yet (another process
    # rotated) is looked up there once, so rotation needs no restart.
    source: Path | None = None
    _aead: dict[str, AESGCM] = field(default_factory=dict, repr=False)

    @classmethod
    def generate(cls) -> KeyRing:
        kid = "k" + secrets.token_hex(4)
        return cls({kid: AESGCM.generate_key(bit_length=256)}, kid, secrets.token_bytes(32))

    # -- serialisation: one JSON document, kept in a file or in CARDBOT_MASTER_KEY --
    def dumps(self) -> str:
        return json.dumps(
            {
                "active": self.active,
                "keys": {kid: _b64(key) for kid, key in self.keys.items()},
                "index_key": _b64(self.index_key),
            }
        )

    @classmethod
    def loads(cls, text: str) -> KeyRing:
        try:
            doc = json.loads(text)
            keys = {kid: _unb64(value) for kid, value in doc["keys"].items()}
            ring = cls(keys, doc["active"], _unb64(doc["index_key"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyRingError("the key ring is not valid JSON of the expected shape") from exc
        if ring.active not in keys or any(len(k) != 32 for k in keys.values()):
            raise KeyRingError("the key ring's active key is missing or a key is not 256 bits")
        return ring

    @classmethod
    def load_or_create(cls, master_key: str | None, key_file: Path) -> KeyRing:
        if master_key:
            return cls.loads(master_key)
        if key_file.exists():
            ring = cls.loads(key_file.read_text())
            ring.source = key_file
            return ring
        ring = cls.generate()
        ring.save(key_file)
        ring.source = key_file
        log.warning("keyring.generated", path=str(key_file), hint="back this file up")
        return ring

    def save(self, key_file: Path) -> None:
        tmp = key_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(self.dumps())
        tmp.replace(key_file)

    def rotated(self) -> KeyRing:
        kid = "k" + secrets.token_hex(4)
        keys = dict(self.keys)
        keys[kid] = AESGCM.generate_key(bit_length=256)
        return KeyRing(keys, kid, self.index_key, self.source)

    # -- fields --
    def _cipher(self, kid: str) -> AESGCM:
        if kid not in self._aead:
            if kid not in self.keys and self.source is not None and self.source.exists():
                self.keys.update(KeyRing.loads(self.source.read_text()).keys)
            if kid not in self.keys:
                raise KeyRingError(f"unknown key id {kid!r}")
            self._aead[kid] = AESGCM(self.keys[kid])
        return self._aead[kid]

    def encrypt(self, plaintext: bytes, aad: str) -> str:
        nonce = os.urandom(12)
        sealed = self._cipher(self.active).encrypt(nonce, plaintext, aad.encode())
        return f"{self.active}:{_b64(nonce + sealed)}"

    def decrypt(self, token: str, aad: str) -> bytes:
        kid, _, body = token.partition(":")
        raw = _unb64(body)
        try:
            return self._cipher(kid).decrypt(raw[:12], raw[12:], aad.encode())
        except Exception as exc:  # InvalidTag carries no message; say where it failed
            raise KeyRingError(f"cannot decrypt field {aad}") from exc

    def encrypt_text(self, value: str, aad: str) -> str:
        return self.encrypt(value.encode(), aad)

    def decrypt_text(self, token: str, aad: str) -> str:
        return self.decrypt(token, aad).decode()

    def key_id_of(self, token: str) -> str:
        return token.partition(":")[0]

    def blind_index(self, purpose: str, value: str) -> str:
        """Deterministic keyed digest for equality lookups, separate per purpose."""
        digest = hmac.new(self.index_key, f"{purpose}\x00{value}".encode(), hashlib.sha256)
        return digest.hexdigest()

    def derive(self, purpose: str) -> bytes:
        """A stable secret for another component (e.g. the sandbox issuer's card numbers)."""
        return hmac.new(self.index_key, f"derive\x00{purpose}".encode(), hashlib.sha256).digest()
