"""Who may fetch a generated file, and until when (docs/design.md §4: "a generated file is fetchable only
by the session that asked for it").

Streamlit serves a download button's bytes at /media/<id>, a URL its media route hands to anyone. Parcours
therefore builds a file only when the signed-in user clicks (a deferred download), and at that moment
issues a ticket here: the file's digest, its owner's username, a short lifetime. The guard in front of
the media route (ui/platform/download_guard.py) serves a generated file only against a ticket, to a
request whose login cookie is still valid for that owner, for a minute: a URL copied from the browser,
replayed later, from another browser, by another account or after sign-out, finds nothing. (Not once
only: on a click Streamlit's page fetches the file twice, a check and the download itself.)

The table holds digests and usernames only (no file content, no personal data) and lives in the
process, like Streamlit's own media files: with several processes behind a proxy, sessions are sticky.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

TICKET_SECONDS = 60.0  # the browser fetches the file within a second of the click


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class DownloadTickets:
    """Tickets by owner and file digest (two users may ask for the same bytes, e.g. the example file, at
    the same time: each has its own ticket). Thread-safe: the media route and the deferred callables run in other
    threads than the scripts."""

    def __init__(self, *, lifetime: float = TICKET_SECONDS, monotonic: Callable[[], float] = time.monotonic):
        self._lifetime = lifetime
        self._monotonic = monotonic
        self._expiry: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def issue(self, owner: str, content: bytes) -> None:
        """The file `content` was just built for `owner`: it may fetch it within the lifetime."""
        now = self._monotonic()
        with self._lock:
            self._forget_expired(now)
            self._expiry[(owner, digest(content))] = now + self._lifetime

    def may_fetch(self, owner: str | None, content: bytes) -> bool:
        """True for the owner of a live ticket; False for anyone else, for an expired ticket, or for a
        file no ticket names."""
        now = self._monotonic()
        if owner is None:
            return False
        with self._lock:
            self._forget_expired(now)
            return (owner, digest(content)) in self._expiry

    def _forget_expired(self, now: float) -> None:
        for key in [key for key, expires_at in self._expiry.items() if expires_at <= now]:
            del self._expiry[key]


TICKETS = DownloadTickets()  # one table per process, as Streamlit keeps one media store per process
