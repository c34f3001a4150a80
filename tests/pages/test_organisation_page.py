"""« Association et sites » (admin): on a new production database the admin is walked through the setup, opens
a site through the form, and the site is there; other roles never reach the page (tests/access_matrix.py)."""

from __future__ import annotations

import sqlalchemy as sa

from services.platform.pages import PageKey
from tests.pages.conftest import button, error_after, open_page, open_sections, signed_in_app, text_input
from ui.finance import grant_forms
from ui.platform.runtime import runtime

NOW = "'2026-11-18 09:00:00'"
FIRST_ADMIN = (
    "INSERT INTO app_user (id, username, display_name, password_hash, role, is_active, is_demo, failed_login_count,"
    f" created_at, updated_at, version) VALUES (1, 'admin.nom', 'Prénom Nom', 'x', 'admin', 1, 0, 0, {NOW}, {NOW}, 1)"
)
STEPS = [
    "Donner le nom de l'association (il figure sur les rapports).",
    "Ouvrir au moins un site (code, nom, ville).",
    "Ajouter les volets de l'association (proposés aux nouvelles subventions).",
    "Créer les comptes des équipes, rattachés à leur site (page « Comptes »).",
]


def test_the_admins_home_leads_a_new_install_to_its_setup(app_on):
    app_on(FIRST_ADMIN, mode="production")
    at = signed_in_app("admin.nom").run()
    assert not at.exception
    assert "Première mise en service" in " ".join(info.value for info in at.info)


def test_the_admin_is_walked_through_and_opens_a_site(app_on):
    app_on(FIRST_ADMIN, mode="production")
    at = open_page(signed_in_app("admin.nom"), PageKey.ORGANISATION)
    assert not at.exception
    assert [(box.label, box.value) for box in at.checkbox if box.label in STEPS] == [(s, False) for s in STEPS]

    text_input(at, "Code").input("lyo")
    text_input(at, "Nom").input("")
    at = button(at, "Ouvrir le site").click().run()
    assert error_after(at, text_input(at, "Nom")) == "Le nom du site est obligatoire."

    text_input(at, "Nom").input("Lyon Guillotière")
    text_input(at, "Ville").input("Lyon")
    at = button(at, "Ouvrir le site").click().run()
    assert not at.exception
    [sites] = [frame.value for frame in at.dataframe if "Code" in frame.value.columns]
    assert sites[["Code", "Nom", "Ville", "Ouvert"]].values.tolist() == [["LYO", "Lyon Guillotière", "Lyon", "Oui"]]
    assert [(box.label, box.value) for box in at.checkbox if box.label in STEPS][1] == (STEPS[1], True)


def test_the_site_form_writes_the_site_and_its_audit_event(app_on):
    app_on(FIRST_ADMIN, mode="production")
    at = open_page(signed_in_app("admin.nom"), PageKey.ORGANISATION)
    text_input(at, "Code").input("GRE")
    text_input(at, "Nom").input("Grenoble")
    text_input(at, "Ville").input("Grenoble")
    button(at, "Ouvrir le site").click().run()
    with runtime().engine.connect() as connection:
        assert connection.execute(sa.text("SELECT code, city FROM site")).all() == [("GRE", "Grenoble")]
        actions = connection.execute(sa.text("SELECT actor_username, action FROM audit_event")).all()
    assert ("admin.nom", "site.create") in [tuple(row) for row in actions]


A_GESTION_ACCOUNT = (
    FIRST_ADMIN.replace("'admin.nom'", "'gestion.nom'")
    .replace("'admin', 1", "'gestion', 1")
    .replace("VALUES (1,", "VALUES (2,")
)


def test_a_new_grant_starts_with_the_associations_active_strands(app_on):
    app_on(
        FIRST_ADMIN,
        A_GESTION_ACCOUNT,
        f"INSERT INTO organisation_strand (id, name, is_active, created_at, updated_at) VALUES"
        f" (1, 'Maraudes', 1, {NOW}, {NOW}), (2, 'Ancien volet', 0, {NOW}, {NOW}), (3, 'Emploi', 1, {NOW}, {NOW})",
        f"INSERT INTO funder (id, name, kind, created_at, updated_at) VALUES (1, 'AGRASC', 'agrasc', {NOW}, {NOW})",
        mode="production",
    )
    at = open_page(signed_in_app("gestion.nom"), PageKey.GRANTS)
    assert not at.exception
    at = open_sections(at, grant_forms.NEW_GRANT_SECTION)
    [strands] = [area for area in at.text_area if area.label == "Volets (un par ligne)"]
    assert strands.value == "Emploi\nMaraudes"
