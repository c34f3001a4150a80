"""The blind index of the aliases: the caseload finds a file by its alias without decrypting one.

An alias is stored encrypted (Fernet, a random IV each time: the database cannot compare two of them).
Beside it, `person_alias_token` holds keyed tokens of it, HMAC-SHA256 under a key derived by HKDF, with its
own label, from the field encryption key (`FieldCipher.blind_tokens`): never the encryption key itself.
One token for each of
- the French sound key (`_phonetics.phonetic_key`) of the alias and of each of its words;
- each beginning of 3 letters or more of the alias (its words run together) and of each of its words,
  accents, case and separators ignored: « Marie-Hélène » → mar, mari, …, mariehelene; hel, hele, helen,
  helene.
A search computes the tokens of what was typed (its sound key; the term itself, as a beginning) and the
database returns the files holding one of them, within the scope's conditions, in the same SQL query.

The rule, then: a file is found when the term (2 letters or more, accents, case and separators ignored)
sounds like its alias or like one of its words, or (3 letters or more) is the beginning of its alias or
of one of its words. « helen », « Hélène », « ELENE » and « Elène » find Hélène; « lène », a piece inside
the word, no longer does (the former search decrypted every alias of the scope and looked for any piece).

What the table tells whoever reads the database without the key: which files share a token, that is,
whose aliases begin alike (3 letters or more) or sound alike; never a letter of them, since a token
cannot be computed from a guess without the key. Counting equal tokens across the caseload may still rank
its common beginnings. The number of tokens of a file follows the length of its alias: it is padded with
random tokens to a multiple of 16, the granularity at which the Fernet ciphertext already shows that
length, and the rows are written in random order. Beginnings rather than any piece of a word: a word of
n letters has about n²/2 pieces and n beginnings, and every shared piece links two files (the three-letter
pieces files share would nearly spell their names), while people type the beginning of a name.

Keys: tokens are written with the first configured key and searched with every key, so a search works
during a key rotation; `ops.cli rotate-keys` computes every file's tokens again with the new key.
Writers: intake and the situation form (`files.py`), anonymisation and erasure (`retention._anonymise`:
the tokens go with the alias), the demo seed, migration 0024 (the files already there). A transfer keeps
them (same person, same alias).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, select

from models.persons import Person, PersonAliasToken
from services.persons._phonetics import fold, phonetic_key, words
from services.platform.crypto import BLIND_TOKEN_BYTES, FieldCipher

SOUND_MIN = 2  # letters of a term before it is searched by sound
PREFIX_MIN = 3  # letters of a beginning that gets a token
PADDED_TO = 16  # a file's token count, rounded up to a multiple of it with random tokens
_SOUND, _START = "sound:", "start:"


def _sounds(text: str) -> set[str]:
    key = phonetic_key(text)
    return {_SOUND + key} if key else set()


def _beginnings(word: str) -> set[str]:
    return {_START + word[:end] for end in range(PREFIX_MIN, len(word) + 1)}


def alias_values(alias: str | None) -> set[str]:
    """What gets a token (before keying): the sound keys and the beginnings of the alias and its words."""
    parts = words(alias)
    whole = "".join(parts)
    values = _sounds(whole) | _beginnings(whole)
    for word in parts:
        values |= _sounds(word) | _beginnings(word)
    return values


def term_values(term: str) -> set[str]:
    """What a searched term matches (before keying): its sound key, and itself as a beginning."""
    folded = fold(term)
    values = _sounds(folded) if len(folded) >= SOUND_MIN else set()
    if len(folded) >= PREFIX_MIN:
        values.add(_START + folded)
    return values


def alias_tokens(alias: str | None, cipher: FieldCipher) -> list[bytes]:
    """The tokens stored for `alias`: keyed with the first key, padded, in random order (none for no alias)."""
    tokens = cipher.blind_tokens(sorted(alias_values(alias)))
    while len(tokens) % PADDED_TO:
        tokens.append(secrets.token_bytes(BLIND_TOKEN_BYTES))
    secrets.SystemRandom().shuffle(tokens)
    return tokens


def alias_condition(term: str, cipher: FieldCipher) -> sa.ColumnElement[bool] | None:
    """`Person.id IN (files holding a token of the term)`; None when the term is too short to search."""
    values = sorted(term_values(term))
    if not values:
        return None
    tokens = cipher.blind_tokens_of_every_key(values)
    return Person.id.in_(select(PersonAliasToken.person_id).where(PersonAliasToken.token.in_(tokens)))


def same_sound_condition(alias: str, cipher: FieldCipher) -> sa.ColumnElement[bool] | None:
    """`Person.id IN (files whose alias, or one of its words, sounds like the whole of `alias`)`: a superset of
    the files `_phonetics.same_name` accepts (equal once folded implies the same sound key), which the
    duplicate check of an intake then decrypts alone. None when `alias` has no sound key."""
    values = sorted(_sounds(fold(alias)))
    if not values:
        return None
    tokens = cipher.blind_tokens_of_every_key(values)
    return Person.id.in_(select(PersonAliasToken.person_id).where(PersonAliasToken.token.in_(tokens)))


def index_alias(session: Session, person_id: int, alias: str | None, cipher: FieldCipher) -> None:
    """Replace the file's tokens by those of `alias` (None: none left). The caller commits."""
    session.execute(sa.delete(PersonAliasToken).where(PersonAliasToken.person_id == person_id))
    _insert_tokens(session, person_id, alias, cipher)


def _insert_tokens(session: Session, person_id: int, alias: str | None, cipher: FieldCipher) -> None:
    tokens = alias_tokens(alias, cipher)
    if tokens:
        session.execute(sa.insert(PersonAliasToken), [{"person_id": person_id, "token": t} for t in tokens])


def forget_aliases(session: Session, person_ids: Iterable[int]) -> None:
    """Delete the tokens of these files (their alias is destroyed). The caller commits."""
    ids = list(person_ids)
    if ids:
        session.execute(sa.delete(PersonAliasToken).where(PersonAliasToken.person_id.in_(ids)))


def reindex_every_alias(session: Session, cipher: FieldCipher) -> int:
    """Compute every file's tokens again from its decrypted alias (key rotation); the number of files
    that have an alias. The caller commits."""
    session.execute(sa.delete(PersonAliasToken))
    count = 0
    for person_id, token in session.execute(
        select(Person.id, Person.alias_encrypted).where(Person.alias_encrypted.is_not(None))
    ).all():
        _insert_tokens(session, person_id, cipher.decrypt(token), cipher)
        count += 1
    return count
