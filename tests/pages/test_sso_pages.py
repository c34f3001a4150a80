"""Single sign-on on the login page, with AppTest (which has no provider: the identity st.user would give is
set by the test). The real round trip is tests/browser/test_sso_journey.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

import clock
from models.organisation import Role
from services.accounts import auth, users
from services.platform.db import unit_of_work
from services.platform.principal import SYSTEM_ACTOR
from tests.pages.conftest import button, login_app, texts, unique
from ui.platform import session as session_module

ISSUER = "https://idp.example.org"
SSO_BUTTON = "Se connecter avec l'authentification unique"
LINK_BUTTON = "Lier cette identité à mon compte"


@pytest.fixture
def provider(monkeypatch):
    """Single sign-on configured; `provider(subject)` signs this browser in at the provider (now)."""
    monkeypatch.setattr(session_module, "sso_configured", lambda: True)
    monkeypatch.setattr(session_module, "_provider_identity", lambda: None)

    def signed_in_as(subject: str, at=None) -> None:
        identity = (ISSUER, subject, at or clock.now())
        monkeypatch.setattr(session_module, "_provider_identity", lambda: identity)

    return signed_in_as


def _enrolled(app_engine, settings, role: Role = Role.FORMATEUR) -> tuple[str, str]:
    username = unique("sso.")
    with unit_of_work(app_engine) as session:
        issued = users.enrol_user(
            session,
            settings,
            SYSTEM_ACTOR,
            username=username,
            display_name="Nadia Fournisseur",
            role=role,
            site_codes=["LYO"],
        )
    return username, issued.code


def _link(at, username: str, code: str):
    fields = {w.label: w for w in at.text_input if w.key and w.key.startswith("sso_link__")}
    fields["Votre identifiant"].input(username)
    fields["Code reçu"].input(code)
    return button(at, LINK_BUTTON).click().run()


def test_without_a_provider_identity_the_login_page_offers_the_sso_button(demo_database, provider) -> None:
    at = login_app()
    assert not at.exception, at.exception
    assert SSO_BUTTON in [b.label for b in at.button]
    assert LINK_BUTTON not in [b.label for b in at.button]


def test_an_unknown_identity_gets_no_access_only_the_link_form(demo_database, provider) -> None:
    provider(unique("inconnu-"))
    at = login_app()
    assert not at.exception, at.exception
    assert not at.session_state["authentication_status"]
    assert not at.title and not at.sidebar.button
    assert any("n'ouvre aucun compte Parcours" in text for text in texts(at.warning))
    assert LINK_BUTTON in [b.label for b in at.button]


def test_the_holder_links_the_identity_and_gets_the_accounts_role(demo_database, provider, app_engine) -> None:
    username, code = _enrolled(app_engine, demo_database)
    provider(unique("nadia-"))
    at = _link(login_app(), username, code)

    assert not at.exception, at.exception
    assert at.session_state["authentication_status"]
    assert at.session_state["username"] == username
    assert at.title[0].value == "Bonjour Nadia Fournisseur"
    assert "Formateur·rice" in texts(at.sidebar.caption)


def test_a_wrong_code_links_nothing(demo_database, provider, app_engine) -> None:
    username, _code = _enrolled(app_engine, demo_database)
    provider(unique("nadia-"))
    at = _link(login_app(), username, "AAAA-BBBB-CCCC-DDDD")
    assert not at.session_state["authentication_status"]
    assert "Code invalide, expiré ou déjà utilisé. Demandez un nouveau code à l'administration." in texts(at.error)


def test_a_provider_sign_in_older_than_a_logout_is_refused(demo_database, provider, app_engine) -> None:
    username, code = _enrolled(app_engine, demo_database)
    subject = unique("nadia-")
    signed_in_at = clock.now()
    provider(subject, signed_in_at)
    assert _link(login_app(), username, code).session_state["authentication_status"]
    with unit_of_work(app_engine) as session:
        auth.logout(session, username, now=signed_in_at + timedelta(seconds=1))

    at = login_app()  # a new session with the same provider sign-in (a kept cookie)

    assert not at.session_state["authentication_status"]
    assert any("Votre session a été fermée" in text for text in texts(at.info))
    assert SSO_BUTTON in [b.label for b in at.button]
