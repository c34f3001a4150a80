"""The one way Parcours offers a generated file (docs/design.md §4: a generated file is fetchable only by
the session that asked for it).

Every download is deferred: Streamlit stores nothing at /media while the page is drawn; the file's bytes
are produced when the signed-in user clicks, in that user's session, and a ticket is issued for that
user at that moment (services.platform.download_tickets). The guard in front of the media route
(ui.platform.download_guard) then serves the file, for a minute, only to a request carrying that user's
valid login cookie. `on_click="ignore"`: a download does not rerun the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import streamlit as st

from services.platform.download_tickets import TICKETS
from services.platform.principal import Principal
from ui.platform.text import md


def offer_download(
    principal: Principal,
    label: str,
    build: Callable[[], bytes],
    *,
    file_name: str,
    mime: str,
    key: str,
    icon: str | None = ":material/download:",
    kind: Literal["primary", "secondary", "tertiary"] = "secondary",
    disabled: bool = False,
    help: str | None = None,
    container=None,
) -> None:
    """A download button whose file `build()` makes on the click (it must not call Streamlit: it runs
    outside the script) and that only `principal` can then fetch, for a minute."""
    owner = principal.username

    def produce() -> bytes:
        content = build()
        TICKETS.issue(owner, content)
        return content

    # Labels and help are the callers' own texts; escaped anyway, as every text Streamlit renders as Markdown.
    (container or st).download_button(
        md(label),
        data=produce,
        file_name=file_name,
        mime=mime,
        key=key,
        icon=icon,
        type=kind,
        disabled=disabled,
        help=md(help),
        on_click="ignore",
    )
