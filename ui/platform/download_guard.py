"""The guard in front of Streamlit's media route: a generated file is served to its owner's valid login
cookie only, within its ticket's lifetime (services.platform.download_tickets); anything else that
Streamlit stored as a download answers 404. Images and other media pass (they are drawn in the page).

Installed by server.py (`streamlit run server.py`, `make run`): `streamlit run app.py` alone would serve
downloads to anyone holding their URL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from http.cookies import CookieError, SimpleCookie

import jwt
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse
from streamlit import runtime as st_runtime
from streamlit.runtime.media_file_storage import MediaFileKind, MediaFileStorageError

import clock
from services.accounts import auth
from services.platform.db import unit_of_work
from services.platform.download_tickets import TICKETS, DownloadTickets
from ui.platform.runtime import Runtime, runtime

_MEDIA_PATH = re.compile(r"(?:^|/)media/(?P<file>[^/]+)$")


def cookie_owner(current: Runtime, cookie_header: str) -> str | None:
    """The username of a login cookie the server still accepts (the check session.py makes on every
    run: signature, then not revoked, not idle, not too old), or None."""
    try:
        cookies = SimpleCookie(cookie_header)
    except CookieError:
        return None
    morsel = cookies.get(current.settings.cookie_name)
    if morsel is None or not morsel.value:
        return None
    try:
        payload = jwt.decode(morsel.value, current.settings.cookie_key, algorithms=["HS256"])
        expires_at = datetime.fromtimestamp(float(payload["exp_date"]), UTC)
        # As session.py: the library stamps the expiry; the issue time is that minus the session's length.
        issued_at = clock.from_wall(expires_at - timedelta(hours=current.settings.session_max_hours))
        username = str(payload["username"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return None
    with unit_of_work(current.engine) as session:
        principal = auth.resume_from_cookie(session, current.settings, username, issued_at)
    return None if principal is None else principal.username


def may_serve(file_name: str, method: str, cookie_header: str, tickets: DownloadTickets = TICKETS) -> bool:
    """Whether the media route may answer this request: yes for media drawn in pages and for unknown
    ids (Streamlit answers 404 itself); for a generated download, only a GET by its ticket's owner."""
    if not st_runtime.exists():
        return False
    manager = st_runtime.get_instance().media_file_mgr
    if not manager.can_read_files:
        return False  # a storage we cannot inspect: refuse rather than serve blindly
    try:
        stored = manager.read_file(file_name)
    except MediaFileStorageError:
        return False
    if stored is None:
        return True
    if stored.kind != MediaFileKind.DOWNLOADABLE:
        return True
    if method != "GET":
        return False
    return tickets.may_fetch(cookie_owner(runtime(), cookie_header), stored.content)


class DownloadGuard:
    """ASGI middleware (st.App runs user middleware before Streamlit's routes)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            match = _MEDIA_PATH.search(scope["path"])
            if match is not None:
                headers = dict(scope.get("headers") or [])
                cookie_header = headers.get(b"cookie", b"").decode("latin-1")
                allowed = await run_in_threadpool(may_serve, match["file"], scope["method"], cookie_header)
                if not allowed:
                    await PlainTextResponse("404: Not Found", status_code=404)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
