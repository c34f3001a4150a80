"""The data versions that cached aggregates are keyed by (services/platform/data_version.py)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class DataVersion(SQLModel, table=True):
    """One row per table written since the database was created: its version moves with every committed
    write of that table; the row "#epoch" holds a number drawn at creation and at each migration."""

    __tablename__ = "data_version"

    table_name: str = Field(primary_key=True, max_length=64)
    version: int = Field(default=1, sa_type=sa.BigInteger, nullable=False)
