"""When a page is settled: no Streamlit run asked for or under way, and no cookie component still to report.

Streamlit reruns the script when a widget changes, and the cookie manager of streamlit-authenticator is a
component (an iframe) that reports to the server, each time in a run of its own, what it did in the
browser:
- `init` (its `getAll`): the browser's cookies, about a second after the first run of a page;
- `set`: the login cookie was written, after the login run and once more from the next run, where
  ui/platform/session.py writes it again from another place on the page;
- `delete`: the login cookie was deleted, after the logout run.
A click landing in one of those runs can be lost, and a late one can bring the page of its request back
over the page just opened. So the journeys wait for the page to be settled (`wait_settled`), and for the
report they expect (`key`), instead of pausing for a while.

Settled means, all at once:
- every rerun request the page sent has been answered by a run that started and finished (Streamlit's
  websocket as Playwright sees it, decoded with Streamlit's own protobuf classes);
- the page has sent no request Playwright has not reported yet (the page counts what it sends);
- the page shows the end of that run (`stApp`'s `data-test-script-state` is `notRunning`);
- every cookie-manager iframe on the page has rendered, so has done its work and reported it;
- every element of the page is mounted: Streamlit 1.67 loads the code of each kind of widget (selectbox,
  date, number, checkbox, chart…) the first time a page of the browser draws one (React.lazy), and shows a
  placeholder (`stSkeleton`, no control, nothing to focus) until it has come. The run can be over well
  before: on a loaded machine, a key pressed then passes the widgets by (the keyboard intake journey
  tabbed 120 times round « Prénom », « Téléphone » and the save button, the only widgets whose code the
  login page had already loaded).

Every page the fixtures open is watched (`watch`).
"""

from __future__ import annotations

import time
from weakref import WeakKeyDictionary

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

# A run is over when the server says so; a run interrupted by a rerun (FINISHED_EARLY_FOR_RERUN) is
# followed by another one.
_OVER = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}
POLL_MS = 50

# In every document of the page: count what the page sends on its websocket.
_COUNT_SENDS = """
(() => {
  const send = WebSocket.prototype.send;
  window.__parcoursSent = 0;
  WebSocket.prototype.send = function (...args) {
    window.__parcoursSent += 1;
    return send.apply(this, args);
  };
})();
"""
_PAGE_STATE = """() => ({
  sent: window.__parcoursSent || 0,
  script: document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state') ?? null,
  cookieFramesToRender: [...document.querySelectorAll('iframe[title$="CookieManager.cookie_manager"]')]
    .filter(frame => !frame.contentDocument?.querySelector('#root > *')).length,
  placeholders: document.querySelectorAll('[data-testid="stSkeleton"]').length,
})"""


class ScriptRuns:
    """The rerun requests a page sent (with the cookie manager's values they carried) and the runs the
    server started and finished, in the order Playwright saw the frames."""

    def __init__(self) -> None:
        # ("request", {component key: its JSON value}) | ("started", {}) | ("finished", {})
        self.events: list[tuple[str, dict[str, str]]] = []
        self.sent_on_socket = 0  # frames sent on the page's current websocket

    def watch(self, websocket) -> None:
        self.sent_on_socket = 0  # a new document (goto, reload) with a new websocket
        websocket.on("framesent", self._sent)
        websocket.on("framereceived", self._received)

    def _sent(self, payload: bytes | str) -> None:
        self.sent_on_socket += 1
        if isinstance(payload, str):
            return
        message = BackMsg()
        message.ParseFromString(payload)
        if message.WhichOneof("type") != "rerun_script":
            return
        # A widget id ends with its user key: the cookie manager's components are keyed init, set, delete.
        values = {
            widget.id.rsplit("-", 1)[-1]: widget.json_value
            for widget in message.rerun_script.widget_states.widgets
            if widget.WhichOneof("value") == "json_value"
        }
        self.events.append(("request", values))

    def _received(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            return
        message = ForwardMsg()
        message.ParseFromString(payload)
        kind = message.WhichOneof("type")
        if kind == "new_session":
            self.events.append(("started", {}))
        elif kind == "script_finished" and message.script_finished in _OVER:
            self.events.append(("finished", {}))

    def answered(self) -> bool:
        """The last run the page asked for has started and finished (or the page asked for none)."""
        requests = [i for i, (kind, _values) in enumerate(self.events) if kind == "request"]
        if not requests:
            return True
        after = [kind for kind, _values in self.events[requests[-1] + 1 :]]
        return "started" in after and after[-1] == "finished"

    def has_reported(self, key: str, since: int) -> bool:
        return any(kind == "request" and key in values for kind, values in self.events[since:])

    def settled(self, page) -> bool:
        if not self.answered():
            return False
        from playwright.sync_api import Error as PlaywrightError

        try:
            state = page.evaluate(_PAGE_STATE)
        except PlaywrightError:  # a document being replaced (goto, reload): not settled yet
            return False
        unreported = state["sent"] != self.sent_on_socket
        return (
            not unreported
            and state["script"] == "notRunning"
            and not state["cookieFramesToRender"]
            and not state["placeholders"]
        )


def poll(page, condition, what: str, timeout_ms: float) -> None:
    """Check `condition` every POLL_MS until it holds; fail naming `what` after `timeout_ms`.

    The pause between checks is the page's own (`wait_for_timeout`): with Playwright's synchronous API
    the websocket events are delivered only while a Playwright call is waiting."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached within {timeout_ms / 1000:.0f} s")
        page.wait_for_timeout(POLL_MS)


_RUNS: WeakKeyDictionary = WeakKeyDictionary()


def watch(page) -> None:
    """Record the page's runs from now on (call it before the first `goto`: the websocket opens then)."""
    runs = ScriptRuns()
    page.add_init_script(_COUNT_SENDS)
    page.on("websocket", runs.watch)
    _RUNS[page] = runs


def _runs(page) -> ScriptRuns:
    try:
        return _RUNS[page]
    except KeyError:
        raise AssertionError("this page is not watched: open it with the `page` or `new_page` fixture") from None


def mark(page) -> int:
    """A point in the page's record: `wait_settled(…, key, since=mark)` looks only at what came after it."""
    return len(_runs(page).events)


def requested_since(page, since: int) -> bool:
    """The page has asked for a run since `since` (a `mark`)."""
    return any(kind == "request" for kind, _values in _runs(page).events[since:])


def wait_settled(
    page, timeout_ms: float, *, key: str | None = None, since: int = 0, also=lambda: True, what: str = ""
) -> None:
    """Wait until the page is settled (module docstring), after a rerun request since `since` carried
    the cookie manager's `key` value if one is given, and `also()` holds."""
    runs = _runs(page)

    def done() -> bool:
        return (key is None or runs.has_reported(key, since)) and runs.settled(page) and also()

    reported = f" after the cookie manager's {key!r} report" if key else ""
    poll(page, done, what or f"the page settled{reported}", timeout_ms)
