"""Column types shared by all tables."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

import clock


def utcnow() -> datetime:
    """Now, on the app's one clock (clock.py)."""
    return clock.now()


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp, also on SQLite (which drops the offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_type(enum_cls: type[Enum], length: int = 32) -> sa.Enum:
    """Store an enum by its stable value in a VARCHAR (no native type, no CHECK).

    Values are never removed from an enum that data may hold, so adding one needs
    no migration.
    """
    return sa.Enum(
        enum_cls,
        values_callable=lambda members: [member.value for member in members],
        native_enum=False,
        create_constraint=False,
        length=length,
        validate_strings=True,
    )


class EncryptedText(TypeDecorator):
    """Free text about a person, stored as a Fernet token and read back as text.

    The one place where such text is encrypted and decrypted: every write (ORM or `UPDATE … VALUES`)
    goes through `process_bind_param`, every read through `process_result_value`. The cipher is the
    engine's (`services.platform.db.make_engine` puts it on the engine's dialect); an engine without
    one refuses to write or read rather than store text in clear.

    A token is random (a new IV each time): the database cannot compare, search, sort or index
    these columns. Filter and order by other columns, and compare the decrypted text in Python.
    """

    impl = sa.Text
    cache_ok = True

    @staticmethod
    def _cipher(dialect):
        cipher = getattr(dialect, "field_cipher", None)
        if cipher is None:
            raise RuntimeError("this engine has no field cipher: build it with services.platform.db.make_engine")
        return cipher

    def process_bind_param(self, value: str | None, dialect):
        if value is None or value == "":
            return None
        return self._cipher(dialect).encrypt(value)

    def process_result_value(self, value: str | None, dialect):
        if value is None:
            return None
        return self._cipher(dialect).decrypt(value)

    def process_literal_param(self, value, dialect):
        raise NotImplementedError("encrypted text is never written into SQL text")
