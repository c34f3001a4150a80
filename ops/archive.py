"""The encrypted archive of a backup (`.pcbk`) and the key that opens it.

Threat: an archive leaves the server (off-site copy, a disk thrown away) and holds special-category
data. Identity fields are already encrypted with the field key, but dates, codes, sites and the
audit trail are not; so the whole dump is encrypted again, with a third key kept apart from the
database and from the field key (a thief of the backups alone reads nothing; one of the server alone
cannot open an off-site copy made with another key).

Format, version 1 (AES-256-GCM in chunks, the "STREAM" construction of Hoang, Reyhanitabar, Rogaway
and Vizár, 2015, as age and Tink use it):

    header  = b"PCBK" | version (1 byte) | engine (1 byte) | salt (32 bytes) | key check (16 bytes)
    chunks  = AES-GCM(file key, nonce = counter (11 bytes, big-endian) | last (1 byte), chunk, header)

- the file key is HKDF-SHA256(backup key, salt): a fresh key per archive, so the counter nonces never
  repeat under one key;
- the key check (another HKDF output) tells a wrong key from a damaged archive before any chunk;
- every chunk authenticates the header (engine included) and its position, and only the last one
  carries last = 1: a chunk swapped, dropped, or an archive cut at a chunk boundary fails to decrypt.

Reading and writing go chunk by chunk (1 MiB), so a dump of hundreds of MB never sits in memory.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.platform.config import Settings

MAGIC = b"PCBK"
VERSION = 1
ENGINES = {"sqlite": 1, "postgresql": 2}
SALT_BYTES = 32
CHECK_BYTES = 16
HEADER_BYTES = len(MAGIC) + 2 + SALT_BYTES + CHECK_BYTES
CHUNK_BYTES = 1024 * 1024
TAG_BYTES = 16
KEY_BYTES = 32
# A key drawn at random holds about 26 distinct values among its 32 bytes; a key of zeros, one.
MIN_DISTINCT_KEY_BYTES = 16
BACKUP_KEY_HELP = "générez-la avec `python -m ops.cli generate-backup-key`"


class ArchiveError(RuntimeError):
    """The backup cannot go on; the message (French, no personal data) says why and what to do."""


def generate_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def _key_file_text(path: Path) -> str:
    try:
        mode = path.stat().st_mode
        text = path.read_text()
    except OSError as exc:
        raise ArchiveError(f"PARCOURS_BACKUP_KEY_FILE illisible ({path}) : {exc.strerror}.") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ArchiveError(
            f"PARCOURS_BACKUP_KEY_FILE ({path}) est lisible par d'autres que son propriétaire : chmod 600."
        )
    return text


def backup_key(settings: Settings) -> bytes:
    """The 32 bytes of the backup key, from PARCOURS_BACKUP_KEY or the file PARCOURS_BACKUP_KEY_FILE
    names; refused when missing, malformed, not random, or equal to a field key (kept apart)."""
    text = settings.backup_key.strip()
    if not text and settings.backup_key_file.strip():
        text = _key_file_text(Path(settings.backup_key_file.strip())).strip()
    if not text:
        raise ArchiveError(
            f"clé de sauvegarde manquante (PARCOURS_BACKUP_KEY ou PARCOURS_BACKUP_KEY_FILE) : {BACKUP_KEY_HELP}."
        )
    try:
        key = base64.urlsafe_b64decode(text.encode("ascii"))
    except (ValueError, binascii.Error) as exc:
        raise ArchiveError(f"clé de sauvegarde invalide : {BACKUP_KEY_HELP}.") from exc
    if len(key) != KEY_BYTES:
        raise ArchiveError(f"clé de sauvegarde invalide (32 octets attendus) : {BACKUP_KEY_HELP}.")
    if len(set(key)) < MIN_DISTINCT_KEY_BYTES:
        raise ArchiveError(
            f"clé de sauvegarde trop prévisible (octets répétés, par exemple une clé de zéros) : {BACKUP_KEY_HELP}."
        )
    if text in settings.encryption_keys():
        raise ArchiveError(
            "la clé de sauvegarde est aussi une clé de chiffrement des champs (PARCOURS_ENCRYPTION_KEY) : "
            f"elle doit en être distincte et gardée à part ; {BACKUP_KEY_HELP}."
        )
    return key


def _derive(key: bytes, salt: bytes, purpose: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=b"parcours-backup v1 " + purpose).derive(key)


def _nonce(counter: int, *, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _pieces(source: BinaryIO, size: int) -> Iterator[tuple[bytes, bool]]:
    """`source` in pieces of `size` bytes, each with whether it is the last (an empty source: one empty piece)."""
    piece = source.read(size)
    while True:
        following = source.read(size)
        yield piece, not following
        if not following:
            return
        piece = following


def encrypt(source: BinaryIO, target: BinaryIO, *, key: bytes, engine: str) -> None:
    """Write `source` (read to its end) into `target` as an archive of `engine`."""
    salt = secrets.token_bytes(SALT_BYTES)
    header = MAGIC + bytes([VERSION, ENGINES[engine]]) + salt + _derive(key, salt, b"key check", CHECK_BYTES)
    cipher = AESGCM(_derive(key, salt, b"chunks", KEY_BYTES))
    target.write(header)
    for counter, (piece, last) in enumerate(_pieces(source, CHUNK_BYTES)):
        target.write(cipher.encrypt(_nonce(counter, last=last), piece, header))


def read_engine(source: BinaryIO) -> tuple[str, bytes]:
    """The engine an archive was made from, and its header (`source` is left after it)."""
    header = source.read(HEADER_BYTES)
    if len(header) < HEADER_BYTES or not header.startswith(MAGIC):
        raise ArchiveError("ce fichier n'est pas une sauvegarde de Parcours (.pcbk).")
    if header[len(MAGIC)] != VERSION:
        raise ArchiveError(f"format de sauvegarde {header[len(MAGIC)]} inconnu de cette version de Parcours.")
    engines = {code: name for name, code in ENGINES.items()}
    engine = engines.get(header[len(MAGIC) + 1])
    if engine is None:
        raise ArchiveError("sauvegarde d'un moteur de base de données inconnu.")
    return engine, header


def decrypt(source: BinaryIO, *, key: bytes) -> Iterator[bytes]:
    """The plaintext of the archive `source`, chunk by chunk, each authenticated before it is yielded.

    Raises ArchiveError on a wrong key (before any chunk) or a damaged or truncated archive (at the
    chunk where it shows: a caller that writes chunks somewhere must discard them on error)."""
    _engine, header = read_engine(source)
    salt = header[len(MAGIC) + 2 : len(MAGIC) + 2 + SALT_BYTES]
    if not secrets.compare_digest(header[-CHECK_BYTES:], _derive(key, salt, b"key check", CHECK_BYTES)):
        raise ArchiveError(
            "clé de sauvegarde incorrecte : cette archive a été chiffrée avec une autre clé "
            "(PARCOURS_BACKUP_KEY de l'installation qui l'a faite)."
        )
    cipher = AESGCM(_derive(key, salt, b"chunks", KEY_BYTES))
    for counter, (piece, last) in enumerate(_pieces(source, CHUNK_BYTES + TAG_BYTES)):
        try:
            yield cipher.decrypt(_nonce(counter, last=last), piece, header)
        except InvalidTag as exc:
            raise ArchiveError("archive endommagée ou tronquée : elle ne peut pas être restaurée.") from exc


def verify(path: Path, *, key: bytes) -> str:
    """Decrypt the whole archive without keeping anything; its engine, or ArchiveError."""
    with path.open("rb") as source:
        engine, _header = read_engine(source)
        source.seek(0)
        for _chunk in decrypt(source, key=key):
            pass
    return engine


def create_private(path: Path) -> BinaryIO:
    """A new file readable by its owner only from its first byte (never through the umask)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")
