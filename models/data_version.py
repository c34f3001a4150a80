"""The data version row that cached aggregates are keyed by (services/platform/data_version.py)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class DataVersion(SQLModel, table=True):
    """One row: `epoch` is drawn when the database is created (two databases never share a cache entry),
    `version` moves with every committed write of a tracked table."""

    __tablename__ = "data_version"
    __table_args__ = (sa.CheckConstraint("id = 1", name="ck_data_version_single_row"),)

    id: int = Field(default=1, primary_key=True)
    epoch: str = Field(max_length=32, nullable=False)
    version: int = Field(default=1, sa_type=sa.BigInteger, nullable=False)
