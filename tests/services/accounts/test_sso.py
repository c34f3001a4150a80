"""Single sign-on (issue 13, finding 8), the server's side: an identity opens only the account its holder
linked with an enrolment code; the session rules of local accounts apply to it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from models.organisation import Role
from models.types import utcnow
from services.accounts import auth, changes, sso, users
from services.accounts.auth import SessionEnd
from services.accounts.sso import SsoOutcome
from services.platform.errors import ValidationFailed
from services.platform.principal import Principal
from tests import factories

ISSUER = "https://idp.example.org"
REFUSED = "Code invalide, expiré ou déjà utilisé. Demandez un nouveau code à l'administration."


@pytest.fixture
def admin(session) -> Principal:
    factories.lyon_and_grenoble(session)
    return factories.principal(session, factories.a_user(session, Role.ADMIN, username="admin"))


def enrol(session, settings, admin, username: str = "ts.lyon", role: Role = Role.INTERVENANT) -> str:
    data = {"username": username, "display_name": "Léa Morand", "role": role, "site_codes": ["LYO"]}
    return users.enrol_user(session, settings, admin, data).code


def link(session, settings, code: str, username: str = "ts.lyon", subject: str = "lea") -> str:
    data = {"username": username, "code": code}
    return sso.link_identity(session, settings, issuer=ISSUER, subject=subject, data=data)


def sign_in(session, settings, subject: str = "lea", *, at=None, now=None) -> sso.SsoResult:
    now = now or utcnow()
    at = at or now
    return sso.sign_in_with_identity(session, settings, issuer=ISSUER, subject=subject, signed_in_at=at, now=now)


def audit_rows(session) -> list[tuple]:
    sql = "SELECT actor_username, action, success, detail FROM audit_event WHERE action LIKE 'login.%' ORDER BY id"
    return [tuple(row) for row in session.connection().execute(sa.text(sql))]


def test_an_identity_linked_to_no_account_gets_no_access(session, settings, admin):
    enrol(session, settings, admin)
    result = sign_in(session, settings, "inconnu")
    assert result == sso.SsoResult(SsoOutcome.UNLINKED)
    [(actor, action, success, detail)] = audit_rows(session)
    assert (actor, action, success) == ("?compte-inconnu", "login.failure", False)
    assert detail.startswith("sso=") and "inconnu" not in detail


def test_the_holder_links_the_identity_with_the_code_then_signs_in_with_the_accounts_role_and_sites(
    session, settings, admin
):
    lyon_id = session.connection().execute(sa.text("SELECT id FROM site WHERE code = 'LYO'")).scalar_one()
    code = enrol(session, settings, admin, "chef.lyon", Role.CHEF_SERVICE)

    assert link(session, settings, code, "chef.lyon") == "chef.lyon"

    result = sign_in(session, settings, now=utcnow() + timedelta(seconds=1))
    assert result.outcome == SsoOutcome.SIGNED_IN
    assert (result.principal.username, result.principal.role) == ("chef.lyon", Role.CHEF_SERVICE)
    assert result.principal.site_ids == {lyon_id}
    stored = session.connection().execute(sa.text("SELECT sso_identity FROM app_user WHERE username = 'chef.lyon'"))
    assert stored.scalar_one() == "https://idp.example.org lea"
    assert ("chef.lyon", "login.success", True, "sso") in audit_rows(session)


def test_the_code_is_used_up_by_the_link(session, settings, admin):
    code = enrol(session, settings, admin)
    link(session, settings, code)
    with pytest.raises(ValidationFailed) as failure:
        link(session, settings, code, subject="quelqu.un.d.autre")
    assert failure.value.errors == {"code": REFUSED}
    assert sign_in(session, settings, "quelqu.un.d.autre").outcome == SsoOutcome.UNLINKED


def test_an_identity_opens_one_account_only(session, settings, admin):
    link(session, settings, enrol(session, settings, admin))
    second = enrol(session, settings, admin, "cip.lyon")
    with pytest.raises(ValidationFailed) as failure:
        link(session, settings, second, "cip.lyon")
    assert failure.value.errors["code"].startswith("Cette identité est déjà liée à un autre compte")


def test_a_wrong_code_counts_toward_the_lockout(session, settings, admin):
    code = enrol(session, settings, admin)
    for _ in range(4):
        with pytest.raises(ValidationFailed):
            link(session, settings, "AAAA-BBBB-CCCC-DDDD")
    with pytest.raises(ValidationFailed) as failure:
        link(session, settings, "AAAA-BBBB-CCCC-DDDD")
    assert failure.value.errors["code"].startswith("Trop de tentatives")
    with pytest.raises(ValidationFailed):
        link(session, settings, code)  # locked, even with the right code
    assert sign_in(session, settings).outcome == SsoOutcome.UNLINKED


def test_the_session_rules_apply_to_a_provider_sign_in(session, settings, admin):
    link(session, settings, enrol(session, settings, admin))
    signed_in = utcnow() + timedelta(seconds=1)
    assert sign_in(session, settings, at=signed_in, now=signed_in).outcome == SsoOutcome.SIGNED_IN

    # the same provider sign-in 20 minutes later (a reload): resumed, the account was seen just now
    later = signed_in + timedelta(minutes=20)
    assert sign_in(session, settings, at=signed_in, now=later).outcome == SsoOutcome.SIGNED_IN
    # …but 31 minutes after the last activity: idle
    idle = later + timedelta(minutes=31)
    assert sign_in(session, settings, at=signed_in, now=idle) == sso.SsoResult(SsoOutcome.ENDED, ended=SessionEnd.IDLE)
    # 12 hours after the provider sign-in: expired, whatever the activity
    expired = signed_in + timedelta(hours=12, minutes=1)
    result = sign_in(session, settings, at=signed_in, now=expired)
    assert result.ended == SessionEnd.EXPIRED
    # a new provider sign-in opens it again
    assert sign_in(session, settings, at=expired, now=expired).outcome == SsoOutcome.SIGNED_IN


def test_a_logout_revokes_the_provider_sign_in_made_before_it(session, settings, admin):
    link(session, settings, enrol(session, settings, admin))
    signed_in = utcnow() + timedelta(seconds=1)
    assert sign_in(session, settings, at=signed_in, now=signed_in).outcome == SsoOutcome.SIGNED_IN
    auth.logout(session, "ts.lyon", now=signed_in + timedelta(minutes=1))
    replay = signed_in + timedelta(minutes=2)
    assert sign_in(session, settings, at=signed_in, now=replay).ended == SessionEnd.REVOKED
    fresh = signed_in + timedelta(minutes=3)
    assert sign_in(session, settings, at=fresh, now=fresh).outcome == SsoOutcome.SIGNED_IN


def test_deactivating_or_issuing_a_new_code_closes_the_provider_way_in(session, settings, admin):
    link(session, settings, enrol(session, settings, admin))
    users.set_active(session, settings, admin, "ts.lyon", active=False)
    later = utcnow() + timedelta(seconds=1)
    assert sign_in(session, settings, at=later, now=later).ended == SessionEnd.REVOKED
    users.set_active(session, settings, admin, "ts.lyon", active=True)
    assert sign_in(session, settings, at=later, now=later).outcome == SsoOutcome.SIGNED_IN

    users.issue_enrolment_code(session, admin, "ts.lyon")
    assert sign_in(session, settings).outcome == SsoOutcome.UNLINKED  # the link is gone with the new code


def test_direction_sees_the_link(session, settings, admin):
    direction = factories.principal(session, factories.a_user(session, Role.DIRECTION, username="direction"))
    link(session, settings, enrol(session, settings, admin))
    seen = [(row.change.value, row.username, row.by) for row in changes.privileged_account_changes(session, direction)]
    assert seen[0] == ("sso_linked", "ts.lyon", "ts.lyon")
