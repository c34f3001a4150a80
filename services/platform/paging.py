"""SQL pagination shared by the paged lists (caseload, outreach rounds, expenses)."""

from __future__ import annotations


def page_count(total: int, page_size: int) -> int:
    """Pages needed for `total` rows, at least one (an empty list is one empty page)."""
    return max(1, -(-total // page_size))
