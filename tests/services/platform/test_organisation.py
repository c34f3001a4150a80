"""Organisation setup (services/platform/organisation.py): the association, its sites and strands, admin only,
every change audited; and the demo marker that decides which mode a database may be served in."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import select

from models.audit import AuditEvent
from models.organisation import Association, Role, Site
from services.platform import organisation
from services.platform.config import ConfigurationError, Settings
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.principal import SYSTEM_ACTOR
from services.platform.sites import sites_of
from tests import factories


@pytest.fixture
def admin(session):
    return factories.principal(session, factories.a_user(session, Role.ADMIN))


def trail(session) -> list[tuple[str, str | None]]:
    rows = session.exec(select(AuditEvent.action, AuditEvent.entity_type).order_by(AuditEvent.id)).all()
    return [tuple(row) for row in rows]


def test_an_admin_opens_a_site_its_code_upper_cased_and_the_act_audited(session, admin):
    site_id = organisation.create_site(
        session, admin, data={"code": " lyo ", "name": "Lyon  Guillotière", "city": "Lyon"}
    )
    row = session.exec(sa.text("SELECT code, name, city, is_active FROM site WHERE id = :id"), params={"id": site_id})
    assert tuple(row.one()) == ("LYO", "Lyon Guillotière", "Lyon", True)
    assert trail(session) == [("site.create", "site")]


def test_a_site_code_is_checked_and_never_given_twice(session, admin):
    with pytest.raises(ValidationFailed) as refused:
        organisation.create_site(session, admin, data={"code": "L", "name": "", "city": "Lyon"})
    assert refused.value.errors == {
        "code": "Code de site invalide : 2 à 8 lettres majuscules ou chiffres, par exemple LYO.",
        "name": "Le nom du site est obligatoire.",
    }
    organisation.create_site(session, admin, data={"code": "GRE", "name": "Grenoble", "city": "Grenoble"})
    organisation.set_site_active(session, admin, "GRE", active=False)
    with pytest.raises(ValidationFailed) as refused:  # a closed site keeps its code
        organisation.create_site(session, admin, data={"code": "gre", "name": "Autre", "city": "Grenoble"})
    assert refused.value.errors == {"code": "Ce code de site existe déjà."}
    assert session.exec(select(sa.func.count()).select_from(Site)).one() == 1


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_only_an_admin_sets_the_organisation_up(session, role):
    lyon = factories.a_site(session, "LYO", "Lyon")
    other = factories.principal(session, factories.a_user(session, role, lyon))
    for attempt in (
        lambda: organisation.create_site(session, other, data={"code": "GRE", "name": "Grenoble", "city": "Grenoble"}),
        lambda: organisation.set_site_active(session, other, "LYO", active=False),
        lambda: organisation.update_site(session, other, "LYO", data={"name": "X", "city": "Y"}),
        lambda: organisation.list_sites(session, other),
        lambda: organisation.add_strand(session, other, data={"name": "Aller-vers"}),
        lambda: organisation.set_association_name(session, other, data={"name": "Nom"}),
        lambda: organisation.setup_progress(session, other),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert session.exec(select(Site.code, Site.is_active)).all() == [("LYO", True)]
    assert trail(session) == []


def test_a_closed_site_keeps_its_accounts_and_is_no_longer_offered(session, admin):
    lyon, _grenoble = factories.lyon_and_grenoble(session)
    worker = factories.a_user(session, Role.INTERVENANT, lyon)
    organisation.set_site_active(session, admin, "LYO", active=False)
    listed = {row.code: (row.is_active, row.account_count) for row in organisation.list_sites(session, admin)}
    assert listed == {"GRE": (True, 0), "LYO": (False, 1)}
    assert sites_of(session, factories.principal(session, worker)) == []
    organisation.set_site_active(session, admin, "LYO", active=True)
    assert [s.code for s in sites_of(session, factories.principal(session, worker))] == ["LYO"]
    assert trail(session) == [("site.close", "site"), ("site.reopen", "site")]
    with pytest.raises(NotFound, match=r"Site inconnu : MRS\."):
        organisation.set_site_active(session, admin, "MRS", active=False)


def test_renaming_a_site_keeps_its_code(session, admin):
    factories.a_site(session, "LYO", "Lyon")
    organisation.update_site(session, admin, "lyo", data={"name": "Lyon Est", "city": "Villeurbanne"})
    assert session.exec(select(Site.code, Site.name, Site.city)).all() == [("LYO", "Lyon Est", "Villeurbanne")]


def test_strands_are_unique_whatever_their_case_and_only_active_ones_are_offered(session, admin):
    aller_vers = organisation.add_strand(session, admin, data={"name": "Aller-vers"})
    organisation.add_strand(session, admin, data={"name": "Insertion"})
    with pytest.raises(ValidationFailed) as refused:
        organisation.add_strand(session, admin, data={"name": "  aller-VERS "})
    assert refused.value.errors == {"name": "Ce volet existe déjà."}
    organisation.set_strand_active(session, admin, aller_vers, active=False)
    gestion = factories.principal(session, factories.a_user(session, Role.GESTION))
    assert organisation.strands_for_new_grants(session, gestion) == ["Insertion"]
    financeur = factories.principal(session, factories.a_user(session, Role.DIRECTION))
    with pytest.raises(PermissionDenied):
        organisation.strands_for_new_grants(session, financeur)


def test_the_association_name_replaces_the_configured_one_on_reports(session, admin):
    assert organisation.association_name(session, "Nom de la configuration") == "Nom de la configuration"
    organisation.set_association_name(session, SYSTEM_ACTOR, data={"name": " Association  du Rhône "})
    assert organisation.association_name(session, "Nom de la configuration") == "Association du Rhône"
    assert session.get(Association, 1).holds_demo_data is False
    assert trail(session) == [("association.update", "association")]


def test_the_walk_through_counts_what_a_new_install_still_lacks(session, admin):
    progress = organisation.setup_progress(session, admin)
    assert (progress.association_named, progress.has_site, progress.has_strand, progress.has_site_account) == (
        False,
        False,
        False,
        False,
    )
    organisation.set_association_name(session, admin, data={"name": "Association"})
    organisation.create_site(session, admin, data={"code": "LYO", "name": "Lyon", "city": "Lyon"})
    organisation.add_strand(session, admin, data={"name": "Aller-vers"})
    assert not organisation.setup_progress(session, admin).complete
    factories.a_user(session, Role.INTERVENANT, session.exec(select(Site)).one())
    assert organisation.setup_progress(session, admin).complete


# --- the demo marker: which mode a database may be served in -----------------------------------------------


def test_an_empty_database_fits_both_modes(session):
    organisation.check_mode_fits_data(Settings(mode="demo"), session)
    organisation.check_mode_fits_data(Settings(mode="production"), session)


def test_demo_mode_refuses_a_database_of_real_data(session):
    factories.a_user(session, Role.ADMIN)
    organisation.check_mode_fits_data(Settings(mode="production"), session)
    with pytest.raises(ConfigurationError, match="Mode démonstration refusé"):
        organisation.check_mode_fits_data(Settings(mode="demo"), session)


def test_a_site_alone_is_real_data_too(session):
    factories.a_site(session, "LYO", "Lyon")
    with pytest.raises(ConfigurationError, match="Mode démonstration refusé"):
        organisation.check_mode_fits_data(Settings(mode="demo"), session)


def test_production_refuses_a_database_marked_as_demo(session):
    session.add(Association(id=1, name="Démo", holds_demo_data=True))
    factories.a_site(session, "LYO", "Lyon")
    organisation.check_mode_fits_data(Settings(mode="demo"), session)
    assert organisation.holds_demo_data(session)
    with pytest.raises(ConfigurationError, match="Mode production refusé"):
        organisation.check_mode_fits_data(Settings(mode="production"), session)
