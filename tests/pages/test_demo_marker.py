"""Demo is a property of the data (issue 14): started in the default (demo) mode, the app shows the demo banner
and the demo accounts only on a database the demo seed filled; on a database of real data it refuses to start,
with a message saying what to do; and production refuses a demo database.

Each test points the app at a database of its own (`app_on`, tests/pages/conftest.py).
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

REAL_PERSONS_CLAIM = "aucune personne réelle"


NOW = "'2026-11-18 09:00:00'"
A_REAL_ACCOUNT = (
    "INSERT INTO app_user (id, username, display_name, password_hash, role, is_active, is_demo, failed_login_count,"
    f" created_at, updated_at, version) VALUES (1, 'admin.nom', 'Prénom Nom', 'x', 'admin', 1, 0, 0, {NOW}, {NOW}, 1)"
)
A_SITE = (
    "INSERT INTO site (id, code, name, city, is_active, created_at, updated_at)"
    f" VALUES (1, 'LYO', 'Lyon', 'Lyon', 1, {NOW}, {NOW})"
)
DEMO_MARKER = (
    f"INSERT INTO association (id, name, holds_demo_data, created_at, updated_at) VALUES (1, 'Démo', 1, {NOW}, {NOW})"
)
A_DEMO_ACCOUNT = A_REAL_ACCOUNT.replace("'admin.nom'", "'admin'").replace("1, 0, 0,", "1, 1, 0,")


def words(at: AppTest) -> str:
    return " ".join([e.value for e in (*at.warning, *at.error, *at.info, *at.caption)] + [e.label for e in at.expander])


def test_demo_mode_on_a_database_of_real_data_refuses_to_start_and_claims_nothing(app_on):
    at = app_on(A_REAL_ACCOUNT, A_SITE)
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Mode démonstration refusé : cette base contient des données qui ne viennent pas du jeu de démonstration. "
        "Démarrez en mode production (PARCOURS_MODE=production), ou indiquez une base vide ou de démonstration "
        "(DATABASE_URL)."
    ]
    assert REAL_PERSONS_CLAIM not in words(at)
    assert "Comptes de démonstration" not in words(at)
    assert not at.text_input  # no login form either


def test_demo_mode_on_a_demo_database_shows_the_banner_and_its_accounts(app_on):
    at = app_on(DEMO_MARKER, A_SITE, A_DEMO_ACCOUNT)
    assert not at.exception
    assert REAL_PERSONS_CLAIM in words(at)
    assert "Comptes de démonstration" in [e.label for e in at.expander]


def test_demo_mode_on_an_empty_database_claims_nothing(app_on):
    at = app_on()
    assert not at.exception
    assert REAL_PERSONS_CLAIM not in words(at) and "Comptes de démonstration" not in [e.label for e in at.expander]
    assert [w.label for w in at.text_input][:2] == ["Identifiant", "Mot de passe"]


def test_production_mode_refuses_a_demo_database(app_on):
    at = app_on(DEMO_MARKER, A_SITE, mode="production")
    assert not at.exception
    [refusal] = [e.value for e in at.error]
    assert refusal.startswith("Mode production refusé : cette base est une base de démonstration")
    assert REAL_PERSONS_CLAIM not in words(at)


def test_production_mode_on_real_data_shows_no_banner_and_no_demo_account(app_on):
    at = app_on(A_REAL_ACCOUNT, A_SITE, mode="production")
    assert not at.exception and not at.error
    assert REAL_PERSONS_CLAIM not in words(at) and "Comptes de démonstration" not in [e.label for e in at.expander]
    assert [w.label for w in at.text_input][:2] == ["Identifiant", "Mot de passe"]
