"""Encryption of identity fields at rest (Fernet: AES-128-CBC + HMAC-SHA256), and the keyed tokens of the
blind index that lets the database find an alias without decrypting it (services.persons.alias_index).

Key rotation: put the new key first in PARCOURS_ENCRYPTION_KEY (comma-separated),
run `python -m ops.cli rotate-keys` (it also recomputes the blind index), then remove the old key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# HKDF's `info`: the blind-index key is derived from each Fernet key under this label, so it is never the
# encryption key itself, and knowing it (it never leaves the process either) tells nothing about that key.
BLIND_INDEX_LABEL = b"parcours/blind-index/hmac-sha256/v1"
BLIND_TOKEN_BYTES = 32  # HMAC-SHA256


def _blind_index_key(fernet_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=BLIND_INDEX_LABEL).derive(
        base64.urlsafe_b64decode(fernet_key.encode("ascii"))
    )


class FieldCipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self._index_keys = [_blind_index_key(key) for key in keys]

    def encrypt(self, plaintext: str | None) -> str | None:
        if plaintext is None or plaintext == "":
            return None
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str | None) -> str | None:
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:  # wrong key: never show ciphertext instead
            raise ValueError("identity field cannot be decrypted with the configured keys") from exc

    def rotate(self, token: str | None) -> str | None:
        if token is None:
            return None
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")

    def blind_tokens(self, values: Iterable[str]) -> list[bytes]:
        """HMAC-SHA256 of each value under the blind-index key of the first key (the one that writes):
        equal values give equal tokens, and without the key a token says nothing of its value."""
        return [_blind_token(self._index_keys[0], value) for value in values]

    def blind_tokens_of_every_key(self, values: Iterable[str]) -> list[bytes]:
        """The tokens of each value under every configured key (a search: during a key rotation, rows
        not yet re-indexed hold the old key's tokens)."""
        values = list(values)
        return [_blind_token(key, value) for key in self._index_keys for value in values]


def _blind_token(key: bytes, value: str) -> bytes:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).digest()
