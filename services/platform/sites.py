"""A site as offered in a choice list (code and name), shared by every service that lists sites."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SiteChoice:
    id: int
    code: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.code} — {self.name}"
