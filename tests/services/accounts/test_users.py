"""Accounts administration: creation rules, who may do it, locks, resets (admin or the CLI only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models.audit import AuditEvent
from models.organisation import Role, User, UserSite
from models.types import utcnow
from services.accounts import auth, passwords, users
from services.accounts.auth import LoginOutcome, SessionEnd
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.principal import SYSTEM_ACTOR, Principal
from tests import factories

GOOD_PASSWORD = "une phrase de passe solide"


@pytest.fixture
def admin(session) -> Principal:
    return factories.principal(session, factories.a_user(session, Role.ADMIN, username="admin"))


def create(session, settings, actor, **fields) -> int:
    """An account as the form sends it (the command line passes the same fields as keywords)."""
    data = {
        "username": "ts.lyon",
        "display_name": "Julien Ferrand",
        "role": Role.INTERVENANT,
        "password": GOOD_PASSWORD,
        "site_codes": ["LYO"],
        "funder_name": None,
    }
    return users.create_user(session, settings, actor, data | fields)


def refused(session, settings, actor, **fields) -> dict[str, str]:
    count_before = len(session.exec(select(User.id)).all())
    with pytest.raises(ValidationFailed) as failure:
        create(session, settings, actor, **fields)
    assert len(session.exec(select(User.id)).all()) == count_before  # nothing written
    return failure.value.errors


def test_admin_creates_an_account_that_can_log_in_with_its_sites(session, settings, admin):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    user_id = create(session, settings, admin, username="  TS.Lyon ", site_codes=["lyo", "GRE"])

    created = session.get(User, user_id)
    assert created.username == "ts.lyon"
    assert created.password_hash != GOOD_PASSWORD
    result = auth.authenticate(session, settings, "ts.lyon", GOOD_PASSWORD, now=utcnow() + timedelta(seconds=1))
    assert result.outcome == LoginOutcome.SUCCESS
    assert result.principal.site_ids == {lyon.id, grenoble.id}
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "user.create")).one()
    assert (event.actor_username, event.actor_role, event.entity_id) == ("admin", "admin", str(user_id))


@pytest.mark.parametrize("username", ["a", "Jean Dupont", "é.lyon", "-tiret", "x" * 70])
def test_a_bad_username_is_refused_with_a_message_on_the_field(session, settings, admin, username):
    factories.a_site(session, "LYO")
    errors = refused(session, settings, admin, username=username)
    assert set(errors) == {"username"}
    assert errors["username"].startswith("Identifiant invalide")


def test_a_duplicate_username_is_refused_whatever_its_case(session, settings, admin):
    factories.a_site(session, "LYO")
    create(session, settings, admin)
    assert refused(session, settings, admin, username="TS.LYON") == {"username": "Cet identifiant existe déjà."}


def test_a_short_password_is_refused(session, settings, admin):
    factories.a_site(session, "LYO")
    errors = refused(session, settings, admin, password="onze carac.")
    assert errors == {"password": "Le mot de passe doit contenir au moins 12 caractères."}


def test_a_missing_display_name_is_refused(session, settings, admin):
    factories.a_site(session, "LYO")
    assert refused(session, settings, admin, display_name="   ") == {"display_name": "Le nom affiché est obligatoire."}


def test_a_display_name_longer_than_the_column_is_refused_with_a_message(session, settings, admin):
    factories.a_site(session, "LYO")
    errors = refused(session, settings, admin, display_name="N" * 121)
    assert set(errors) == {"display_name"}
    assert "120" in errors["display_name"]


def test_a_site_role_without_a_site_is_refused(session, settings, admin):
    errors = refused(session, settings, admin, site_codes=[])
    assert errors == {"site_codes": "Ce rôle travaille sur des sites : choisissez-en au moins un."}


def test_an_unknown_site_is_named_in_the_message(session, settings, admin):
    factories.a_site(session, "LYO")
    assert refused(session, settings, admin, site_codes=["LYO", "XXX"]) == {"site_codes": "Site(s) inconnu(s) : XXX."}


def test_every_bad_field_gets_its_own_message_at_once(session, settings, admin):
    errors = refused(session, settings, admin, username="?", display_name="", password="court", site_codes=[])
    assert set(errors) == {"username", "display_name", "password", "site_codes"}
    # the database rules too, in the same answer
    factories.a_user(session, Role.INTERVENANT, username="ts.lyon")
    errors = refused(session, settings, admin, password=" espace devant ok", site_codes=["XXX"])
    assert errors == {
        "username": "Cet identifiant existe déjà.",
        "password": "Le mot de passe ne peut ni commencer ni finir par un espace.",
        "site_codes": "Site(s) inconnu(s) : XXX.",
    }


def test_all_sites_roles_need_no_site(session, settings, admin):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    created = {}
    for role in (Role.DIRECTION, Role.GESTION, Role.ADMIN):
        created[role] = create(session, settings, admin, username=f"compte.{role.value}", role=role, site_codes=[])
    for role, user_id in created.items():
        stored = session.get(User, user_id)
        assert (stored.username, stored.role, stored.is_active) == (f"compte.{role.value}", role, True)
        assert session.exec(select(UserSite).where(UserSite.user_id == user_id)).all() == []
        result = auth.authenticate(
            session, settings, f"compte.{role.value}", GOOD_PASSWORD, now=utcnow() + timedelta(seconds=1)
        )
        assert result.outcome == LoginOutcome.SUCCESS
        assert result.principal.site_ids == frozenset()  # no site of their own…
        assert result.principal.may_see_site(lyon.id) and result.principal.may_see_site(grenoble.id)  # …all of them
    audited = session.exec(select(AuditEvent.entity_id).where(AuditEvent.action == "user.create")).all()
    assert sorted(audited) == sorted(str(user_id) for user_id in created.values())


def test_a_financeur_needs_an_existing_funder(session, settings, admin):
    errors = refused(session, settings, admin, username="financeur.x", role=Role.FINANCEUR, site_codes=[])
    assert errors == {"funder_name": "Un compte financeur doit être rattaché à un financeur existant."}
    assert "funder_name" in refused(
        session, settings, admin, username="financeur.x", role=Role.FINANCEUR, site_codes=[], funder_name="Inconnu"
    )

    agrasc = factories.a_funder(session, "AGRASC")
    user_id = create(
        session, settings, admin, username="financeur.agrasc", role=Role.FINANCEUR, site_codes=[], funder_name="AGRASC"
    )
    assert session.get(User, user_id).funder_id == agrasc.id


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_only_admin_manages_accounts(session, settings, role):
    lyon = factories.a_site(session, "LYO")
    other = factories.a_user(session, Role.INTERVENANT, lyon, username="ts.lyon")
    actor = factories.principal(session, factories.a_user(session, role, lyon))

    with pytest.raises(PermissionDenied):
        create(session, settings, actor, username="nouveau")
    with pytest.raises(PermissionDenied):
        users.list_users(session, actor)
    with pytest.raises(PermissionDenied):
        users.set_active(session, settings, actor, "ts.lyon", active=False)
    with pytest.raises(PermissionDenied):
        users.reset_password(session, settings, actor, "ts.lyon", new_password=GOOD_PASSWORD)
    with pytest.raises(PermissionDenied):
        users.unlock(session, actor, "ts.lyon")
    assert other.is_active
    assert session.exec(select(AuditEvent)).all() == []


def test_the_command_line_passes_the_fields_as_keywords(session, settings):
    factories.a_site(session, "LYO")
    user_id = users.create_user(
        session,
        settings,
        SYSTEM_ACTOR,
        username="cli.compte",
        display_name="Compte en ligne de commande",
        role=Role.INTERVENANT,
        password=GOOD_PASSWORD,
        site_codes=["lyo"],
        funder_name=None,
    )
    assert session.get(User, user_id).username == "cli.compte"


def test_an_unknown_string_actor_is_refused_but_the_system_actor_is_allowed(session, settings):
    factories.a_site(session, "LYO")
    with pytest.raises(PermissionDenied):
        create(session, settings, "admin")
    user_id = create(session, settings, SYSTEM_ACTOR)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "user.create")).one()
    assert (event.actor_username, event.actor_role, event.entity_id) == ("system", None, str(user_id))


def test_the_list_shows_sites_activity_and_locked_accounts(session, settings, admin):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    factories.a_user(session, Role.CHEF_SERVICE, lyon, grenoble, username="chef.rhone")
    factories.an_inactive_user(session, Role.INTERVENANT, lyon, username="ancien")
    factories.a_user(session, Role.INTERVENANT, lyon, username="ts.lyon")
    for _ in range(5):
        auth.authenticate(session, settings, "ts.lyon", "pas le bon mot de passe")

    rows = {row.username: row for row in users.list_users(session, admin)}

    assert list(rows) == sorted(rows)
    assert rows["chef.rhone"].site_codes == ("GRE", "LYO")
    assert not rows["ancien"].is_active
    assert rows["ts.lyon"].is_locked
    assert not rows["chef.rhone"].is_locked
    # The lock lasts 15 minutes.
    later = {r.username: r for r in users.list_users(session, admin, now=utcnow() + timedelta(minutes=16))}
    assert not later["ts.lyon"].is_locked


def test_unlock_lets_the_right_password_in_again(session, settings, admin):
    factories.a_user(session, Role.INTERVENANT, factories.a_site(session, "LYO"), username="ts.lyon")
    for _ in range(5):
        auth.authenticate(session, settings, "ts.lyon", "pas le bon mot de passe")
    assert auth.authenticate(session, settings, "ts.lyon", factories.PASSWORD).outcome == LoginOutcome.LOCKED

    users.unlock(session, admin, "TS.Lyon")

    assert not {r.username: r for r in users.list_users(session, admin)}["ts.lyon"].is_locked
    assert auth.authenticate(session, settings, "ts.lyon", factories.PASSWORD).outcome == LoginOutcome.SUCCESS
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "user.unlock")).one().entity_id == "ts.lyon"


def test_reset_password_revokes_open_sessions_and_replaces_the_password(session, settings, admin):
    worker = factories.a_user(session, Role.INTERVENANT, factories.a_site(session, "LYO"), username="ts.lyon")
    started = utcnow() - timedelta(minutes=5)
    assert isinstance(
        auth.check_session(session, settings, "ts.lyon", started_at=started, last_activity_at=started), Principal
    )

    users.reset_password(session, settings, admin, "ts.lyon", new_password=GOOD_PASSWORD)

    assert (
        auth.check_session(session, settings, "ts.lyon", started_at=started, last_activity_at=utcnow())
        == SessionEnd.REVOKED
    )
    assert passwords.verify_password(GOOD_PASSWORD, worker.password_hash)
    assert not passwords.verify_password(factories.PASSWORD, worker.password_hash)


def test_reset_password_applies_the_policy_and_needs_an_existing_account(session, settings, admin):
    worker = factories.a_user(session, Role.INTERVENANT, factories.a_site(session, "LYO"), username="ts.lyon")
    with pytest.raises(ValidationFailed) as failure:
        users.reset_password(session, settings, admin, "ts.lyon", new_password="court")
    assert failure.value.errors == {"password": "Le mot de passe doit contenir au moins 12 caractères."}
    assert passwords.verify_password(factories.PASSWORD, worker.password_hash)
    with pytest.raises(NotFound):
        users.reset_password(session, settings, admin, "personne", new_password=GOOD_PASSWORD)


def test_an_admin_cannot_deactivate_their_own_account(session, settings, admin):
    with pytest.raises(ValidationFailed) as failure:
        users.set_active(session, settings, admin, "admin", active=False)
    assert set(failure.value.errors) == {"username"}
    assert session.get(User, admin.user_id).is_active


def test_demo_accounts_present(session):
    factories.a_user(session, Role.DIRECTION, username="direction.reelle")
    assert not users.demo_accounts_present(session)
    factories.a_demo_account(session, Role.DIRECTION, username="direction")
    assert users.demo_accounts_present(session)


def test_site_and_funder_choices_for_the_form(session):
    factories.lyon_and_grenoble(session)
    closed = factories.a_site(session, "VAL", "Valence")
    closed.is_active = False
    factories.a_funder(session, "Région Auvergne-Rhône-Alpes")
    factories.a_funder(session, "AGRASC")
    assert users.list_site_codes(session) == ["GRE", "LYO"]
    assert users.list_funder_names(session) == ["AGRASC", "Région Auvergne-Rhône-Alpes"]


# --- production: no guessable password ---------------------------------------------------------------
# (an account that sees no identity: for the others, only their holder sets a password, test_enrolment.py)

NO_IDENTITY = {"role": Role.GESTION, "site_codes": []}

GUESSABLE = "Mot de passe trop facile à deviner"


@pytest.fixture
def production(settings):
    """The suite's settings in production mode (only the password rules read the mode here)."""
    from services.platform.config import Mode

    return settings.model_copy(update={"mode": Mode.PRODUCTION})


@pytest.mark.parametrize(
    "password",
    ["azerty123456", "motdepasse123", "Julien2026!!!", "ts.lyon.2026!", "qwertyuiop123", "123456789012"],
    ids=["azerty", "motdepasse", "display-name", "username", "keyboard", "digits"],
)
def test_production_refuses_a_guessable_password(session, production, admin, password):
    factories.lyon_and_grenoble(session)
    errors = refused(session, production, admin, password=password, **NO_IDENTITY)
    assert errors["password"].startswith(GUESSABLE)


def test_production_refuses_the_published_demo_password(session, production, admin):
    factories.lyon_and_grenoble(session)
    errors = refused(session, production, admin, password=production.demo_password, **NO_IDENTITY)
    assert errors == {"password": "C'est le mot de passe public de la démonstration : choisissez-en un autre."}


def test_production_accepts_a_passphrase_and_checks_resets_and_changes_too(session, production, admin):
    factories.lyon_and_grenoble(session)
    create(session, production, admin, **NO_IDENTITY)  # "une phrase de passe solide"
    with pytest.raises(ValidationFailed) as failure:
        users.reset_password(session, production, admin, "ts.lyon", new_password="azertyuiop12")
    assert failure.value.errors["password"].startswith(GUESSABLE)
    users.reset_password(session, production, admin, "ts.lyon", new_password="trois chats sous la pluie")
    principal = auth.load_principal(session, "ts.lyon")
    change = {"current": "trois chats sous la pluie", "new": "ts.lyon-ts.lyon", "confirmation": "ts.lyon-ts.lyon"}
    with pytest.raises(ValidationFailed) as failure:
        auth.change_password(session, production, principal, data=change)
    assert failure.value.errors["new"].startswith(GUESSABLE)


def test_demo_mode_keeps_only_the_length_rule(session, settings, admin):
    factories.lyon_and_grenoble(session)
    assert create(session, settings, admin, password="azerty123456")  # a demo: published passwords
