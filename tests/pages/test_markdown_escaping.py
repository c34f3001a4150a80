"""Text typed by users reaches Markdown escaped: a crafted name shows as typed, never as a link or an image
that would make a colleague's browser call an outside server (ui.platform.text.md; the architecture test
test_data_never_reaches_markdown_unescaped refuses an unescaped value in any Markdown-rendering call)."""

from __future__ import annotations

import re

from models.organisation import Role
from services.platform.pages import PageKey
from tests.pages.conftest import open_page, signed_in_app
from ui.platform.text import md

CRAFTED = "Camille ![suivi](https://elsewhere.example/pixel.png) [contact](https://elsewhere.example)"
# A Markdown image or link opening: "](" or "![" whose bracket is not escaped.
ACTIVE_MARKUP = re.compile(r"(?<!\\)\]\(|!(?<!\\)\[")


def markdown_texts(at) -> list[str]:
    """The Markdown source of every element that renders Markdown (titles, text, captions, alerts)."""
    kinds = (at.title, at.header, at.subheader, at.markdown, at.caption, at.info, at.warning, at.error, at.success)
    return [str(element.value) for kind in kinds for element in kind]


def test_md_escapes_links_images_and_formulas_and_keeps_the_rest():
    assert md(CRAFTED) == (
        "Camille !\\[suivi\\](https://elsewhere.example/pixel.png) \\[contact\\](https://elsewhere.example)"
    )
    assert md("<https://elsewhere.example>") == "\\<https://elsewhere.example\\>"
    assert md("100 $ et 3,5 %") == "100 \\$ et 3,5 %"
    assert md("LYO-2026-0042 · Maison d'accueil (Lyon) **") == "LYO-2026-0042 · Maison d'accueil (Lyon) **"
    assert md(None) is None and md(12) == "12"


def test_a_crafted_display_name_is_shown_as_typed_not_as_an_image(new_account):
    account = new_account(Role.CHEF_SERVICE, display_name=CRAFTED)
    at = open_page(signed_in_app(account.username), PageKey.HOME)
    assert not at.exception
    texts = markdown_texts(at)
    assert any(md(CRAFTED) in text for text in texts)  # the greeting and the sidebar name, escaped
    assert [text for text in texts if ACTIVE_MARKUP.search(text)] == []
