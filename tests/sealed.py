"""What "encrypted at rest" means in a test: the stored value is one Fernet token, and it opens to the text.

Checking that a word is absent from the token proves little and fails by chance: a token is URL-safe
base64 of random bytes, so a 120-character token holds a given three letters ("Ada", "SMS") about once
in 2,000 draws, and CI met it. A value that is a whole token (nothing but the base64 alphabet after the
version prefix) can hold no text of the person, and opening it shows it is the right one.
"""

from __future__ import annotations

import re

from services.platform.crypto import FieldCipher

# Version byte 0x80 and a 64-bit timestamp whose top bytes are zero until 2106: "gAAAAA".
FERNET_TOKEN = re.compile(r"gAAAAA[A-Za-z0-9_-]+={0,2}")


def assert_sealed(stored: str | None, cipher: FieldCipher, plaintext: str) -> None:
    """The stored value is a Fernet token of the cipher's keys holding exactly the plaintext."""
    assert stored is not None and FERNET_TOKEN.fullmatch(stored), f"not a Fernet token: {stored!r}"
    assert cipher.decrypt(stored) == plaintext
