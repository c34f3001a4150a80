"""The login cookie's attributes: SameSite=Strict always, Secure in production (served over HTTPS)."""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import pytest
from extra_streamlit_components import CookieManager
from streamlit_authenticator.models.cookie_model import CookieModel

from ui.platform.session import _harden_cookie


class RecordingManager:
    def __init__(self) -> None:
        self.calls: list[dict] = []

    def set(self, cookie, val, **options) -> None:
        self.calls.append({"cookie": cookie, **options})


def _authenticator_with(manager: RecordingManager) -> SimpleNamespace:
    return SimpleNamespace(cookie_controller=SimpleNamespace(cookie_model=SimpleNamespace(cookie_manager=manager)))


@pytest.mark.parametrize(("secure", "expected"), [(True, True), (False, None)], ids=["production", "demo"])
def test_the_cookie_is_strict_and_secure_in_production(secure, expected):
    manager = RecordingManager()
    _harden_cookie(_authenticator_with(manager), secure=secure)
    manager.set("parcours_auth", "jwt", expires_at="tomorrow")  # as the library calls it
    assert manager.calls == [
        {"cookie": "parcours_auth", "expires_at": "tomorrow", "secure": expected, "same_site": "strict"}
    ]


def test_the_library_still_writes_the_cookie_where_and_how_the_hardening_expects():
    """streamlit-authenticator 0.4.2 keeps its CookieManager in cookie_model.cookie_manager and calls set();
    extra-streamlit-components' set() takes secure and same_site (a library upgrade that moves them fails here)."""
    assert "self.cookie_manager.set(" in inspect.getsource(CookieModel.set_cookie)
    assert {"secure", "same_site"} <= set(inspect.signature(CookieManager.set).parameters)
