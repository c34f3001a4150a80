"""SQL pagination shared by the paged lists (caseload, outreach rounds, expenses, workshop sessions,
audit log): one rule for the page shown and the rows skipped, one `page_count`."""

from __future__ import annotations

from dataclasses import dataclass

LARGEST_PAGE = 500  # rows a page may hold, whatever the caller asks


def page_count(total: int, page_size: int) -> int:
    """Pages needed for `total` rows, at least one (an empty list is one empty page)."""
    return max(1, -(-total // page_size))


@dataclass(frozen=True)
class Window:
    """The page to show of `total` rows: `page` within 1…page_count, the rows to skip and to take."""

    page: int
    page_size: int
    total: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @property
    def page_count(self) -> int:
        return page_count(self.total, self.page_size)


def window(total: int, page: int, page_size: int) -> Window:
    """The page asked for, brought back inside the list (a page past the end shows the last one)."""
    size = max(1, min(int(page_size), LARGEST_PAGE))
    return Window(max(1, min(int(page), page_count(total, size))), size, total)
