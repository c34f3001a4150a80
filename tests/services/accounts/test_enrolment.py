"""Accounts that see identities: in production the holder sets the password with a single-use code, never
the admin; what was done is shown to direction (issue 13, finding 7)."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from models.organisation import Role
from models.types import utcnow
from services.accounts import auth, changes, enrolment, users
from services.accounts.auth import LoginOutcome, SessionEnd
from services.platform.config import Mode
from services.platform.errors import PermissionDenied, ValidationFailed
from services.platform.principal import SYSTEM_ACTOR, Principal
from tests import factories

PASSPHRASE = "trois chats sous la pluie"
OTHER_PASSPHRASE = "le vieux phare du port breton"
CODE_SHAPE = re.compile(r"^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{4}(-[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{4}){3}$")
REFUSED = "Code invalide, expiré ou déjà utilisé. Demandez un nouveau code à l'administration."
HOLDER_ONLY = "Ce compte voit l'identité des personnes : en production, seul·e son ou sa titulaire choisit"


@pytest.fixture
def production(settings):
    return settings.model_copy(update={"mode": Mode.PRODUCTION})


@pytest.fixture
def admin(session) -> Principal:
    factories.lyon_and_grenoble(session)
    return factories.principal(session, factories.a_user(session, Role.ADMIN, username="admin"))


def account(role: Role = Role.INTERVENANT, username: str = "ts.lyon", **fields) -> dict:
    sites = [] if role in (Role.ADMIN, Role.DIRECTION, Role.GESTION, Role.FINANCEUR) else ["LYO"]
    return {"username": username, "display_name": "Julien Ferrand", "role": role, "site_codes": sites} | fields


def redeem(session, settings, code: str, password: str = PASSPHRASE, username: str = "ts.lyon", **kwargs) -> str:
    data = {"username": username, "code": code, "new": password, "confirmation": password}
    return enrolment.set_password_with_code(session, settings, data=data, **kwargs)


def refusal(session, settings, code: str, **kwargs) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as failure:
        redeem(session, settings, code, **kwargs)
    return failure.value.errors


def signs_in(session, settings, password: str, username: str = "ts.lyon") -> bool:
    later = utcnow() + timedelta(seconds=1)
    return auth.authenticate(session, settings, username, password, now=later).outcome == LoginOutcome.SUCCESS


def stored(session, sql: str, **params) -> list[tuple]:
    return [tuple(row) for row in session.connection().execute(sa.text(sql), params)]


# --- who sees identities -------------------------------------------------------------------------------


def test_the_accounts_that_see_identities_are_the_field_roles():
    assert {role for role in Role if enrolment.sees_identities(role)} == {
        Role.CHEF_SERVICE,
        Role.INTERVENANT,
        Role.FORMATEUR,
    }


# --- production: the admin chooses no password for them ------------------------------------------------


@pytest.mark.parametrize("role", [Role.CHEF_SERVICE, Role.INTERVENANT, Role.FORMATEUR])
def test_production_refuses_a_password_chosen_by_the_admin_for_an_account_that_sees_identities(
    session, production, admin, role
):
    with pytest.raises(ValidationFailed) as failure:
        users.create_user(session, production, admin, account(role) | {"password": PASSPHRASE})
    assert set(failure.value.errors) == {"password"}
    assert failure.value.errors["password"].startswith(HOLDER_ONLY)
    assert stored(session, "SELECT username FROM app_user WHERE username = 'ts.lyon'") == []


def test_production_still_lets_the_admin_set_the_password_of_an_account_without_identities(session, production, admin):
    users.create_user(session, production, admin, account(Role.GESTION, "compta") | {"password": PASSPHRASE})
    assert signs_in(session, production, PASSPHRASE, "compta")
    users.reset_password(session, production, admin, "compta", new_password=OTHER_PASSPHRASE)
    assert signs_in(session, production, OTHER_PASSPHRASE, "compta")


def test_production_refuses_an_admin_reset_of_an_account_that_sees_identities(session, production, admin):
    users.enrol_user(session, production, admin, account(Role.CHEF_SERVICE, "chef.lyon"))
    with pytest.raises(ValidationFailed) as failure:
        users.reset_password(session, production, admin, "chef.lyon", new_password=PASSPHRASE)
    assert failure.value.errors["password"].startswith(HOLDER_ONLY)
    with pytest.raises(ValidationFailed):
        users.reset_password(session, production, SYSTEM_ACTOR, "chef.lyon", new_password=PASSPHRASE)


# --- the code ------------------------------------------------------------------------------------------


def test_an_enrolled_account_has_a_code_stored_as_its_digest_and_no_usable_password(session, production, admin):
    before = utcnow()
    issued = users.enrol_user(session, production, admin, account() | {"password": "ignored by enrol_user"})

    assert issued.username == "ts.lyon"
    assert CODE_SHAPE.match(issued.code)
    assert before + timedelta(hours=72) <= issued.expires_at <= utcnow() + timedelta(hours=72)
    digest = hashlib.sha256(issued.code.replace("-", "").encode()).hexdigest()
    rows = stored(
        session,
        "SELECT e.code_digest, e.reason, e.issued_by, e.used_at FROM account_enrolment e"
        " JOIN app_user u ON u.id = e.user_id WHERE u.username = 'ts.lyon'",
    )
    assert rows == [(digest, "created", "admin", None)]
    everything = " ".join(str(value) for row in stored(session, "SELECT * FROM account_enrolment") for value in row)
    assert issued.code not in everything and issued.code.replace("-", "") not in everything
    for guess in ("", "ignored by enrol_user", issued.code, "!enrolment-pending"):
        assert not signs_in(session, production, guess)


def test_two_codes_are_never_the_same():
    assert len({enrolment.new_code() for _ in range(2000)}) == 2000


def test_the_holder_sets_the_password_with_the_code_once(session, production, admin):
    issued = users.enrol_user(session, production, admin, account())

    # typed in lower case, with spaces instead of dashes: the same code
    assert redeem(session, production, issued.code.lower().replace("-", " ")) == "ts.lyon"

    assert signs_in(session, production, PASSPHRASE)
    assert refusal(session, production, issued.code, password=OTHER_PASSPHRASE) == {"code": REFUSED}
    assert signs_in(session, production, PASSPHRASE)
    actions = stored(
        session,
        "SELECT actor_username, action, success FROM audit_event WHERE action LIKE 'user.%' ORDER BY id",
    )
    assert actions == [
        ("admin", "user.create", True),
        ("admin", "user.enrolment_issued", True),
        ("ts.lyon", "user.enrolment_completed", True),
        ("ts.lyon", "user.enrolment_refused", False),
    ]


def test_a_code_expires_after_72_hours(session, production, admin):
    issued = users.enrol_user(session, production, admin, account())
    assert refusal(session, production, issued.code, now=utcnow() + timedelta(hours=72)) == {"code": REFUSED}
    assert redeem(session, production, issued.code, now=utcnow() + timedelta(hours=71, minutes=59)) == "ts.lyon"


def test_a_new_code_replaces_the_earlier_one(session, production, admin):
    first = users.enrol_user(session, production, admin, account())
    second = users.issue_enrolment_code(session, admin, "ts.lyon")
    assert refusal(session, production, first.code) == {"code": REFUSED}
    assert redeem(session, production, second.code) == "ts.lyon"


def test_a_code_works_for_its_own_account_only(session, production, admin):
    mine = users.enrol_user(session, production, admin, account())
    users.enrol_user(session, production, admin, account(username="cip.lyon"))
    assert refusal(session, production, mine.code, username="cip.lyon") == {"code": REFUSED}


def test_an_unknown_username_gets_the_same_answer_as_a_wrong_code(session, production, admin):
    users.enrol_user(session, production, admin, account())
    assert refusal(session, production, "AAAA-BBBB-CCCC-DDDD") == {"code": REFUSED}
    assert refusal(session, production, "AAAA-BBBB-CCCC-DDDD", username="personne") == {"code": REFUSED}
    details = stored(session, "SELECT actor_username FROM audit_event WHERE action = 'user.enrolment_refused'")
    assert details == [("ts.lyon",), ("?compte-inconnu",)]


def test_wrong_codes_lock_the_account_like_wrong_passwords(session, production, admin):
    issued = users.enrol_user(session, production, admin, account())
    answers = [refusal(session, production, "AAAA-BBBB-CCCC-DDDD")["code"] for _ in range(5)]
    assert answers[:4] == [REFUSED] * 4
    assert answers[4].startswith("Trop de tentatives infructueuses : ce compte est verrouillé pendant 15 minutes")
    assert refusal(session, production, issued.code)["code"].startswith("Trop de tentatives")  # even the right one
    later = utcnow() + timedelta(minutes=16)
    assert redeem(session, production, issued.code, now=later) == "ts.lyon"


def test_a_guessable_password_is_refused_and_the_code_kept(session, production, admin):
    issued = users.enrol_user(session, production, admin, account())
    errors = refusal(session, production, issued.code, password="azertyuiop12")
    assert set(errors) == {"new"} and errors["new"].startswith("Mot de passe trop facile à deviner")
    assert refusal(session, production, issued.code, password="court")["new"].startswith(
        "Le mot de passe doit contenir au moins 12 caractères"
    )
    assert redeem(session, production, issued.code) == "ts.lyon"


def test_the_two_typings_must_match(session, production, admin):
    issued = users.enrol_user(session, production, admin, account())
    data = {"username": "ts.lyon", "code": issued.code, "new": PASSPHRASE, "confirmation": OTHER_PASSPHRASE}
    with pytest.raises(ValidationFailed) as failure:
        enrolment.set_password_with_code(session, production, data=data)
    assert failure.value.errors == {"confirmation": "Les deux saisies du nouveau mot de passe diffèrent."}


def test_issuing_a_code_closes_the_sessions_and_stops_the_old_password(session, settings, admin):
    users.create_user(session, settings, admin, account() | {"password": PASSPHRASE})  # demo: admin may
    time.sleep(0.01)
    started = utcnow()
    principal = auth.check_session(
        session, settings, "ts.lyon", started_at=started, last_activity_at=started, now=started
    )
    assert isinstance(principal, Principal)

    issued = users.issue_enrolment_code(session, admin, "ts.lyon")

    assert not signs_in(session, settings, PASSPHRASE)
    ended = auth.check_session(session, settings, "ts.lyon", started_at=started, last_activity_at=started)
    assert ended == SessionEnd.REVOKED
    redeem(session, settings, issued.code, password=OTHER_PASSPHRASE)
    assert signs_in(session, settings, OTHER_PASSPHRASE)


# --- re-enabling ---------------------------------------------------------------------------------------


def test_production_re_enabling_an_account_that_sees_identities_needs_its_holder(session, production, admin):
    issued = users.enrol_user(session, production, admin, account())
    redeem(session, production, issued.code)
    assert users.set_active(session, production, admin, "ts.lyon", active=False) is None

    again = users.set_active(session, production, admin, "ts.lyon", active=True)

    assert again is not None and CODE_SHAPE.match(again.code)
    assert not signs_in(session, production, PASSPHRASE)  # the password it had: gone
    redeem(session, production, again.code, password=OTHER_PASSPHRASE)
    assert signs_in(session, production, OTHER_PASSPHRASE)


def test_re_enabling_keeps_the_password_in_demo_mode_and_for_accounts_without_identities(
    session, settings, production, admin
):
    users.create_user(session, settings, admin, account() | {"password": PASSPHRASE})
    users.set_active(session, settings, admin, "ts.lyon", active=False)
    assert users.set_active(session, settings, admin, "ts.lyon", active=True) is None
    assert signs_in(session, settings, PASSPHRASE)

    users.create_user(session, production, admin, account(Role.GESTION, "compta") | {"password": PASSPHRASE})
    users.set_active(session, production, admin, "compta", active=False)
    assert users.set_active(session, production, admin, "compta", active=True) is None
    assert signs_in(session, production, PASSPHRASE, "compta")


def test_deactivating_revokes_the_waiting_code(session, production, admin):
    issued = users.enrol_user(session, production, admin, account())
    users.set_active(session, production, admin, "ts.lyon", active=False)
    assert refusal(session, production, issued.code) == {"code": REFUSED}
    with pytest.raises(ValidationFailed):  # no code for a deactivated account
        users.issue_enrolment_code(session, admin, "ts.lyon")


def test_the_admin_list_shows_until_when_a_code_waits(session, production, admin):
    issued = users.enrol_user(session, production, admin, account())
    rows = {row.username: row for row in users.list_users(session, admin)}
    assert rows["ts.lyon"].code_expires_at == issued.expires_at
    assert rows["admin"].code_expires_at is None
    redeem(session, production, issued.code)
    assert {row.username: row for row in users.list_users(session, admin)}["ts.lyon"].code_expires_at is None


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_only_the_admin_enrols_and_issues_codes(session, production, admin, role):
    factories.a_user(session, Role.INTERVENANT, username="ts.lyon")
    actor = factories.principal(session, factories.a_user(session, role))
    with pytest.raises(PermissionDenied):
        users.enrol_user(session, production, actor, account(username="nouveau"))
    with pytest.raises(PermissionDenied):
        users.issue_enrolment_code(session, actor, "ts.lyon")


# --- what direction sees ----------------------------------------------------------------------------


def test_direction_sees_who_gave_access_to_an_account_that_sees_identities(session, settings, production, admin):
    direction = factories.principal(session, factories.a_user(session, Role.DIRECTION, username="direction"))
    t0 = utcnow()
    issued = users.enrol_user(session, production, admin, account(Role.CHEF_SERVICE, "chef.lyon"))
    redeem(session, production, issued.code, username="chef.lyon")
    users.create_user(session, settings, admin, account(username="ts.lyon") | {"password": PASSPHRASE})
    users.reset_password(session, settings, SYSTEM_ACTOR, "ts.lyon", new_password=OTHER_PASSPHRASE)
    users.set_active(session, settings, admin, "ts.lyon", active=False)
    users.set_active(session, settings, admin, "ts.lyon", active=True)
    users.create_user(session, settings, admin, account(Role.GESTION, "compta") | {"password": PASSPHRASE})
    users.reset_password(session, settings, admin, "compta", new_password=OTHER_PASSPHRASE)  # sees no identity
    # an act older than 90 days is not shown
    session.connection().execute(
        sa.text(
            "INSERT INTO audit_event (occurred_at, actor_username, action, entity_type, entity_id, success)"
            " SELECT :at, 'admin', 'user.create', 'user', CAST(id AS VARCHAR(64)), :yes FROM app_user"
            " WHERE username = 'ts.lyon'"
        ),
        {"at": (t0 - timedelta(days=91)).replace(tzinfo=None), "yes": True},
    )

    seen = [
        (change.change.value, change.username, change.by, change.role, change.site_codes)
        for change in changes.privileged_account_changes(session, direction)
    ]

    assert seen == [
        ("reactivated", "ts.lyon", "admin", Role.INTERVENANT, ("LYO",)),
        ("password_set_by_admin", "ts.lyon", "system", Role.INTERVENANT, ("LYO",)),
        ("created", "ts.lyon", "admin", Role.INTERVENANT, ("LYO",)),
        ("code_used", "chef.lyon", "chef.lyon", Role.CHEF_SERVICE, ("LYO",)),
        ("code_issued", "chef.lyon", "admin", Role.CHEF_SERVICE, ("LYO",)),
        ("created", "chef.lyon", "admin", Role.CHEF_SERVICE, ("LYO",)),
    ]


@pytest.mark.parametrize("role", [r for r in Role if r != Role.DIRECTION])
def test_only_direction_reads_the_account_changes(session, role):
    actor = factories.principal(session, factories.a_user(session, role))
    with pytest.raises(PermissionDenied):
        changes.privileged_account_changes(session, actor)
