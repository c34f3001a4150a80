"""Links that last: a reload, a bookmark or a shared link opens the page (and the file) it names, once the
session is restored from the login cookie or after sign-in.

Why this is needed (verified on Streamlit 1.67):
- The login page is app.py stopping before `st.navigation`. The browser then asks its next run for the
  main script, not for the page in its address bar, so the sign-in run's `st.navigation` resolved to the
  default page (Accueil) and rewrote the URL: `/person_file?code=…` became Accueil.
- A URL naming a page the role may not open made `st.navigation` answer "Page not found" (a dialog).

So the first run of each browser session writes down the page and the query parameters of its URL; the
first signed-in run opens that page with them when the role may open it, else Accueil, without a word.
Nothing is checked against the database here: a file's code is the person file page's own business (it
answers the same for an unknown code as for one outside the user's scope). Only what was in the URL is
kept, in this session's state.

Single sign-on is the one exception: `st.login` leaves for the provider and comes back to the main page in
a new browser session, which has forgotten the link. So while a link waits on a login page that offers
single sign-on, the browser keeps it in a cookie of its own for ten minutes (`keep_link_across_sign_on`,
written by the login cookie's own component), which the first run at the main page reads and the
signed-in runs delete. It holds what the address bar held, nothing more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import streamlit as st

from services.platform.pages import pages_for
from services.platform.principal import Principal

if TYPE_CHECKING:  # streamlit-authenticator's cookie component, handed over by ui.platform.session
    from extra_streamlit_components import CookieManager

REQUESTED = "parcours_requested_link"  # the RequestedLink of this session, until a signed-in run opens it
LOOKED_AT = "parcours_link_looked_at"  # the URL of this session's first run has been read
# A page path as st.Page accepts it (app pages are PageKey values): anything else is not a page of ours.
URL_PATH = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SIGN_ON_COOKIE = "parcours_link"  # the requested link, across the single sign-on round trip
SIGN_ON_COOKIE_SECONDS = 600
FORGET_RUNS_LEFT, FORGET_RUNS = "parcours_link_forget_runs", 3


@dataclass(frozen=True)
class RequestedLink:
    url_path: str  # "" for the main page
    query_params: dict[str, str] = field(default_factory=dict)


def remember_requested_link() -> None:
    """On the first run of a browser session (a reload, a bookmark, a shared link, a new tab), before any
    sign-in: write down the page and query parameters its URL asks for."""
    state = st.session_state
    if state.get(LOOKED_AT):
        return
    state[LOOKED_AT] = True
    url_path = requested_url_path(st.context.url)
    if url_path is None:
        return
    link = RequestedLink(url_path, st.query_params.to_dict())
    kept = st.context.cookies.get(SIGN_ON_COOKIE)
    if isinstance(kept, str):  # (a page test's context has no real cookies)
        state[FORGET_RUNS_LEFT] = FORGET_RUNS
        if link == RequestedLink(""):  # back from the provider, at the main page
            link = link_from_cookie(kept) or link
    state[REQUESTED] = link


def link_from_cookie(value: str) -> RequestedLink | None:
    """The link a sign-on cookie holds, or None when it does not name a page of the app the usual way.
    (The cookie component writes the value URL-encoded.)"""
    parts = urlsplit(unquote(value))
    if parts.scheme or parts.netloc or not URL_PATH.fullmatch(parts.path):
        return None
    return RequestedLink(parts.path, dict(parse_qsl(parts.query)))


def keep_link_across_sign_on(cookies: CookieManager) -> None:
    """On a login page offering single sign-on: keep the requested page (not Accueil) in the browser for
    the provider's round trip. Lax, not Strict: the browser comes back by a cross-site redirect."""
    link = _requested()
    if link is None or link.url_path == "":
        return
    query = urlencode(link.query_params)
    value = f"{link.url_path}?{query}" if query else link.url_path
    cookies.set(SIGN_ON_COOKIE, value, key="parcours_link_keep", max_age=SIGN_ON_COOKIE_SECONDS, same_site="lax")


def forget_sign_on_link(cookies: CookieManager) -> None:
    """After the cookie was read: delete it, again in the next runs (a cookie write drawn in a run that a
    page switch overtakes may never reach the browser)."""
    left = st.session_state.get(FORGET_RUNS_LEFT, 0)
    if left > 0:
        st.session_state[FORGET_RUNS_LEFT] = left - 1
        cookies.set(SIGN_ON_COOKIE, "", key="parcours_link_forget", max_age=0, same_site="lax")


def requested_url_path(url: str | None) -> str | None:
    """The page path of a browser URL ("" for the main page), the app's base path removed; None when
    there is no URL or it cannot name a page of the app."""
    if not url:
        return None
    path = urlsplit(url).path.strip("/")
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    if base:
        if path != base and not path.startswith(f"{base}/"):
            return None
        path = path.removeprefix(base).strip("/")
    if path == "" or URL_PATH.fullmatch(path):
        return path
    return None


def _requested() -> RequestedLink | None:
    return st.session_state.get(REQUESTED)


def _allowed_url_paths(principal: Principal) -> set[str]:
    return {key.value for key in pages_for(principal.role)}


def _visible_pages(sections: dict[str, list[st.Page]]) -> dict[str, st.Page]:
    """By url path; Accueil, the default page, is "" (st.Page gives the default page that path)."""
    return {page.url_path: page for pages in sections.values() for page in pages if page.visibility == "visible"}


def with_requested_page(sections: dict[str, list[st.Page]], principal: Principal) -> dict[str, list[st.Page]]:
    """The role's navigation, plus a hidden stand-in for a requested page it may not open (or that does
    not exist): `st.navigation` then resolves the URL to the stand-in instead of showing "Page not
    found", and `open_requested_link` sends it to Accueil."""
    link = _requested()
    if link is None or link.url_path in ("", *_allowed_url_paths(principal)):
        return sections

    home = _visible_pages(sections)[""]

    def to_home() -> None:  # defence in depth: open_requested_link switches before this can run
        st.switch_page(home)

    stand_in = st.Page(to_home, title=home.title, url_path=link.url_path, visibility="hidden")
    first_section = next(iter(sections))
    return {**sections, first_section: [*sections[first_section], stand_in]}


def open_requested_link(opened: st.Page, sections: dict[str, list[st.Page]], principal: Principal) -> None:
    """At the first signed-in run after a link was requested: open it (with its query parameters) when the
    role may open its page, else Accueil (its query parameters dropped). `opened`: what `st.navigation`
    resolved this run. May switch page (a new run)."""
    link = st.session_state.pop(REQUESTED, None)
    if link is None:
        return
    pages = _visible_pages(sections)
    allowed = link.url_path == "" or link.url_path in _allowed_url_paths(principal)
    target = pages.get(link.url_path) if allowed else None
    if target is None:  # a page of another role, or no page at all: Accueil, saying nothing
        if opened is not pages[""]:
            st.switch_page(pages[""])  # without query parameters
        st.query_params.clear()
        return
    if opened is not target:
        st.switch_page(target, query_params=link.query_params)
    # else st.navigation opened it already: the cookie signed this session in at its first run
