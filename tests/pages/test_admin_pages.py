"""Admin pages: creating, deactivating and unlocking accounts; the audit log."""

from __future__ import annotations

from models.organisation import Role
from services.accounts import auth
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from tests.pages.conftest import (
    button,
    error_after,
    is_login_form,
    login_app,
    open_page,
    signed_in_app,
    submit_login,
    text_input,
    texts,
    unique,
    user_row,
)
from ui.platform.navigation import PAGE_SPECS

SHORT_PASSWORD_ERROR = "Le mot de passe doit contenir au moins 12 caractères."


def _users_page(admin_username: str = "admin"):
    return open_page(signed_in_app(admin_username), PageKey.USERS)


def _listed_usernames(at) -> list[str]:
    return at.dataframe[0].value["Identifiant"].tolist()


def _fill_create_form(
    at,
    *,
    username: str,
    password: str,
    role: Role = Role.INTERVENANT,
    sites: tuple[str, ...] = ("LYO",),
) -> None:
    text_input(at, "Identifiant").input(username)
    text_input(at, "Nom affiché").input("Camille Test")
    role_box = next(s for s in at.selectbox if s.label == "Rôle")
    role_box.set_value(role)
    sites_box = next(m for m in at.multiselect if m.label == "Sites")
    for site in sites:
        sites_box.select(site)
    next(w for w in at.text_input if w.label.startswith("Mot de passe initial")).input(password)


def test_admin_creates_an_account_that_then_appears_in_the_table(demo_database, app_engine) -> None:
    at = _users_page()
    assert not at.exception
    assert "ts.lyon" in _listed_usernames(at)
    username = unique("cree.")
    _fill_create_form(at, username=username, password="une phrase de passe solide")
    button(at, "Créer le compte").click().run()
    assert not at.exception, at.exception
    assert not at.error
    assert username in _listed_usernames(at)
    created = user_row(app_engine, username)
    assert created is not None and created.role == Role.INTERVENANT and created.is_active
    # …and the new account can log in.
    assert submit_login(login_app(), username, "une phrase de passe solide").session_state["authentication_status"]


def test_too_short_password_is_refused_by_the_field_and_nothing_is_created(demo_database, app_engine) -> None:
    at = _users_page()
    username = unique("court.")
    _fill_create_form(at, username=username, password="trop court")
    button(at, "Créer le compte").click().run()
    assert not at.exception
    assert texts(at.error) == [SHORT_PASSWORD_ERROR]
    password_field = next(w for w in at.text_input if w.label.startswith("Mot de passe initial"))
    assert error_after(at, password_field) == SHORT_PASSWORD_ERROR
    assert user_row(app_engine, username) is None
    assert username not in _listed_usernames(at)


def test_site_role_without_site_is_refused_in_french(demo_database, app_engine) -> None:
    at = _users_page()
    username = unique("sanssite.")
    _fill_create_form(at, username=username, password="une phrase de passe solide", sites=())
    button(at, "Créer le compte").click().run()
    assert texts(at.error) == ["Ce rôle travaille sur des sites : choisissez-en au moins un."]
    assert user_row(app_engine, username) is None


def test_admin_deactivates_an_account_and_its_open_session_ends(new_account, app_engine) -> None:
    target = new_account()
    victim = signed_in_app(target.username).run()
    assert victim.session_state["authentication_status"]

    admin = new_account(Role.ADMIN)
    at = _users_page(admin.username)
    next(s for s in at.selectbox if s.label == "Compte").set_value(target.username).run()
    button(at, "Désactiver").click().run()
    assert not at.exception, at.exception
    row = user_row(app_engine, target.username)
    assert not row.is_active and row.sessions_revoked_at is not None

    victim.run()
    assert is_login_form(victim)
    assert submit_login(login_app(), target.username, target.password).error[0].value == (
        "Identifiant ou mot de passe incorrect."
    )


def test_admin_unlocks_a_locked_account(new_account, app_engine, app_settings) -> None:
    target = new_account()
    with unit_of_work(app_engine) as session:
        for _ in range(app_settings.lockout_threshold):
            auth.authenticate(session, app_settings, target.username, "mauvais mot de passe")
    admin = new_account(Role.ADMIN)
    at = _users_page(admin.username)
    table = at.dataframe[0].value.set_index("Identifiant")
    assert bool(table.loc[target.username, "Verrouillé"])

    next(s for s in at.selectbox if s.label == "Compte").set_value(target.username).run()
    button(at, "Déverrouiller").click().run()
    assert not at.exception
    assert not bool(at.dataframe[0].value.set_index("Identifiant").loc[target.username, "Verrouillé"])
    assert submit_login(login_app(), target.username, target.password).session_state["authentication_status"]


def test_audit_page_lists_a_login_event(new_account) -> None:
    admin = new_account(Role.ADMIN)
    at = submit_login(login_app(), admin.username, admin.password)  # writes login.success
    assert at.session_state["authentication_status"]
    at.switch_page(PAGE_SPECS[PageKey.AUDIT].script).run()
    assert not at.exception
    assert texts(at.title) == ["Journal d'audit"]
    next(s for s in at.selectbox if s.label == "Type d'action").set_value("Connexions")
    text_input(at, "Identifiant").input(admin.username).run()
    events = at.dataframe[0].value
    assert events["Action"].tolist() == ["login.success"]
    assert events["Identifiant"].tolist() == [admin.username]
    assert bool(events["Réussite"].iloc[0])
