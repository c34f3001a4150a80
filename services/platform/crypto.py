"""Encryption of identity fields at rest (Fernet: AES-128-CBC + HMAC-SHA256).

Key rotation: put the new key first in PARCOURS_ENCRYPTION_KEY (comma-separated),
run `python -m ops.cli rotate-keys`, then remove the old key.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class FieldCipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

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
