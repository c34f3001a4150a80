"""One rule for the page shown of a paged list (services/platform/paging.py)."""

from __future__ import annotations

from services.platform.paging import LARGEST_PAGE, page_count, window


def test_pages_needed():
    assert [page_count(total, 50) for total in (0, 1, 50, 51, 100, 101)] == [1, 1, 1, 2, 2, 3]


def test_a_page_asked_for_is_brought_back_inside_the_list():
    assert (window(120, 2, 50).page, window(120, 2, 50).offset) == (2, 50)
    assert (window(120, 9, 50).page, window(120, 9, 50).offset) == (3, 100)  # past the end: the last page
    assert (window(120, 0, 50).page, window(120, -3, 50).offset) == (1, 0)
    assert (window(0, 4, 50).page, window(0, 4, 50).page_count) == (1, 1)  # an empty list is one empty page


def test_a_page_never_holds_more_than_the_largest_page():
    shown = window(10_000, 1, 1_000_000)
    assert shown.page_size == LARGEST_PAGE and shown.page_count == 20
