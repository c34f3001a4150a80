"""Login, lockout, session validity and password change (docs/design.md §4, §5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from models.audit import AuditEvent
from models.organisation import LoginThrottle, Role, User
from models.types import utcnow
from services.accounts import auth, passwords, users
from services.accounts.auth import LoginOutcome, SessionEnd
from services.platform.errors import ValidationFailed
from services.platform.principal import SYSTEM_ACTOR, Principal
from tests import factories

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
WRONG = "not the right password"


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def events(session, action: str | None = None) -> list[AuditEvent]:
    statement = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        statement = statement.where(AuditEvent.action == action)
    return list(session.exec(statement).all())


# --- login -----------------------------------------------------------------------------------------


def test_good_login_returns_the_principal_with_its_sites(session, settings):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    factories.a_site(session, "MRS", "Marseille")
    chef = factories.a_user(session, Role.CHEF_SERVICE, lyon, grenoble, username="chef.rhone")

    result = auth.authenticate(session, settings, "  Chef.Rhone ", factories.PASSWORD, now=T0)

    assert result.outcome == LoginOutcome.SUCCESS
    assert result.principal == Principal(
        user_id=chef.id,
        username="chef.rhone",
        display_name=chef.display_name,
        role=Role.CHEF_SERVICE,
        site_ids=frozenset({lyon.id, grenoble.id}),
    )
    assert chef.last_login_at == T0


def test_wrong_password_is_refused_and_audited_as_a_failure(session, settings):
    factories.a_user(session, Role.INTERVENANT, factories.a_site(session, "LYO"), username="ts.lyon")

    result = auth.authenticate(session, settings, "ts.lyon", WRONG, now=T0)

    assert result.outcome == LoginOutcome.INVALID
    assert result.principal is None
    [event] = events(session)
    assert (event.action, event.actor_username, event.success) == ("login.failure", "ts.lyon", False)


def test_five_failures_within_15_minutes_lock_even_the_right_password_for_15_minutes(session, settings):
    factories.a_user(session, Role.INTERVENANT, factories.a_site(session, "LYO"), username="ts.lyon")

    outcomes = [
        auth.authenticate(session, settings, "ts.lyon", WRONG, now=T0 + minutes(3 * i)).outcome for i in range(5)
    ]  # the fifth at T0 + 12 min
    assert outcomes == [LoginOutcome.INVALID] * 4 + [LoginOutcome.LOCKED]
    locked_at = T0 + minutes(12)

    for later in (minutes(0.1), minutes(10), minutes(14.9)):
        result = auth.authenticate(session, settings, "ts.lyon", factories.PASSWORD, now=locked_at + later)
        assert result.outcome == LoginOutcome.LOCKED
        assert result.principal is None
    assert (
        auth.authenticate(session, settings, "ts.lyon", factories.PASSWORD, now=locked_at + minutes(15)).outcome
        == LoginOutcome.SUCCESS
    )
    assert [e.action for e in events(session)][-4:] == ["login.locked"] * 3 + ["login.success"]


def test_failures_spread_over_more_than_15_minutes_do_not_lock(session, settings):
    factories.a_user(session, Role.INTERVENANT, factories.a_site(session, "LYO"), username="ts.lyon")

    outcomes = [
        auth.authenticate(session, settings, "ts.lyon", WRONG, now=T0 + minutes(4 * i)).outcome for i in range(5)
    ]  # 0, 4, 8, 12, 16 minutes

    assert outcomes == [LoginOutcome.INVALID] * 5
    assert (
        auth.authenticate(session, settings, "ts.lyon", factories.PASSWORD, now=T0 + minutes(17)).outcome
        == LoginOutcome.SUCCESS
    )


def test_a_success_resets_the_failure_count(session, settings):
    factories.a_user(session, Role.INTERVENANT, factories.a_site(session, "LYO"), username="ts.lyon")
    for i in range(4):
        auth.authenticate(session, settings, "ts.lyon", WRONG, now=T0 + minutes(i))
    assert (
        auth.authenticate(session, settings, "ts.lyon", factories.PASSWORD, now=T0 + minutes(4)).outcome
        == LoginOutcome.SUCCESS
    )
    assert auth.authenticate(session, settings, "ts.lyon", WRONG, now=T0 + minutes(5)).outcome == LoginOutcome.INVALID


def _attempts(session, settings, username: str) -> list[LoginOutcome]:
    results = [auth.authenticate(session, settings, username, WRONG, now=T0 + minutes(i)) for i in range(5)]
    results.append(auth.authenticate(session, settings, username, factories.PASSWORD, now=T0 + minutes(6)))
    return [r.outcome for r in results]


def test_an_unknown_username_gets_exactly_the_answers_of_a_known_one(session, settings):
    factories.a_user(session, Role.INTERVENANT, factories.a_site(session, "LYO"), username="ts.lyon")

    known = _attempts(session, settings, "ts.lyon")
    unknown = _attempts(session, settings, "ts.nowhere")

    assert known == unknown
    assert known[:4] == [LoginOutcome.INVALID] * 4
    assert known[-1] == LoginOutcome.LOCKED  # the right password, but locked
    # …and an outcome is all the login form shows: one message per outcome, the same for both.
    limits = auth.limits_of(settings)
    assert {outcome: text.format(**limits) for outcome, text in auth.LOGIN_MESSAGES.items()} == {
        LoginOutcome.INVALID: "Identifiant ou mot de passe incorrect.",
        LoginOutcome.LOCKED: "Trop de tentatives infructueuses : ce compte est verrouillé pendant 15 minutes. "
        "Réessayez plus tard ou contactez l'administration.",
    }
    # The audit trail records the same acts; the unknown name only as a keyed digest, never as typed.
    trail = [(e.actor_username, e.action, e.success, e.entity_type, e.entity_id) for e in events(session)]
    assert [row[1:] for row in trail if row[0] == "ts.lyon"] == [
        row[1:] for row in trail if row[0] == "?compte-inconnu"
    ]
    assert not [e for e in events(session) if "nowhere" in (e.actor_username + (e.detail or ""))]


def test_a_password_typed_in_the_username_box_never_reaches_the_audit_log(session, settings):
    typed = "Mon mot de passe secret 2026"
    auth.authenticate(session, settings, typed, "", now=T0)
    auth.authenticate(session, settings, typed, "", now=T0 + minutes(1))
    rows = events(session)
    assert [(e.actor_username, e.action) for e in rows] == [("?compte-inconnu", "login.failure")] * 2
    assert all(typed.lower() not in (e.actor_username + (e.detail or "")).lower() for e in rows)
    assert rows[0].detail == rows[1].detail and rows[0].detail.startswith("nom=")  # the same name, seen again
    assert session.exec(select(LoginThrottle).where(LoginThrottle.username_key.contains("secret"))).all() == []


def test_the_messages_quote_the_configured_limits(settings):
    custom = settings.model_copy(update={"idle_timeout_minutes": 20, "session_max_hours": 8, "lockout_minutes": 45})
    limits = auth.limits_of(custom)
    assert auth.SESSION_END_MESSAGES[SessionEnd.IDLE].format(**limits) == (
        "Votre session a expiré après 20 minutes d'inactivité : reconnectez-vous."
    )
    assert auth.SESSION_END_MESSAGES[SessionEnd.EXPIRED].format(**limits) == (
        "Votre session a dépassé 8 heures : reconnectez-vous."
    )
    assert "verrouillé pendant 45 minutes" in auth.LOGIN_MESSAGES[LoginOutcome.LOCKED].format(**limits)


@pytest.fixture
def bcrypt_checks(monkeypatch) -> list[int]:
    """The cost of every bcrypt check made, whichever function makes it."""
    costs: list[int] = []
    real = passwords.bcrypt.checkpw

    def counting(password: bytes, hashed: bytes) -> bool:
        costs.append(int(hashed.split(b"$")[2]))
        return real(password, hashed)

    monkeypatch.setattr(passwords.bcrypt, "checkpw", counting)
    return costs


def test_an_unknown_username_costs_a_bcrypt_check_like_a_known_one(session, settings, bcrypt_checks, monkeypatch):
    burned: list[int] = []
    real_burn = passwords.burn_equivalent_time
    monkeypatch.setattr(
        passwords, "burn_equivalent_time", lambda *, rounds=12: (burned.append(rounds), real_burn(rounds=rounds))
    )
    factories.a_user(session, Role.INTERVENANT, factories.a_site(session, "LYO"), username="ts.lyon")

    auth.authenticate(session, settings, "ts.lyon", WRONG, now=T0)
    assert burned == [] and len(bcrypt_checks) == 1
    known_cost = bcrypt_checks[0]

    auth.authenticate(session, settings, "ts.nowhere", WRONG, now=T0)
    assert burned == [settings.bcrypt_rounds]
    assert bcrypt_checks == [known_cost, known_cost]  # one check each, at the same cost

    for i in range(5):  # lock both names, then try once more while locked
        auth.authenticate(session, settings, "ts.lyon", WRONG, now=T0 + minutes(1 + i))
        auth.authenticate(session, settings, "ts.nowhere", WRONG, now=T0 + minutes(1 + i))
    before = len(bcrypt_checks)
    auth.authenticate(session, settings, "ts.lyon", factories.PASSWORD, now=T0 + minutes(7))
    auth.authenticate(session, settings, "ts.nowhere", factories.PASSWORD, now=T0 + minutes(7))
    assert bcrypt_checks[before:] == [known_cost, known_cost]


def test_an_inactive_account_is_refused_like_a_wrong_password(session, settings):
    factories.an_inactive_user(session, Role.INTERVENANT, factories.a_site(session, "LYO"), username="ancien")

    result = auth.authenticate(session, settings, "ancien", factories.PASSWORD, now=T0)

    assert result.outcome == LoginOutcome.INVALID
    assert result.principal is None
    assert [e.action for e in events(session)] == ["login.failure"]


def test_no_login_audit_event_contains_the_typed_password(session, settings):
    factories.a_user(session, Role.INTERVENANT, factories.a_site(session, "LYO"), username="ts.lyon")
    typed = ["mot-de-passe-errone-1", "mot-de-passe-errone-2"]
    auth.authenticate(session, settings, "ts.lyon", typed[0], now=T0)
    auth.authenticate(session, settings, "inconnu", typed[1], now=T0)
    auth.authenticate(session, settings, "ts.lyon", factories.PASSWORD, now=T0 + minutes(1))

    rows = session.exec(sa.select(AuditEvent.__table__)).all()
    assert sorted(row.action for row in rows) == ["login.failure", "login.failure", "login.success"]
    for row in rows:
        for value in row:
            for secret in [*typed, factories.PASSWORD]:
                assert secret not in str(value)


# --- live sessions ---------------------------------------------------------------------------------


@pytest.fixture
def worker(session) -> User:
    return factories.a_user(session, Role.INTERVENANT, factories.a_site(session, "GRE"), username="cip.grenoble")


def check(session, settings, started_at, last_activity_at, now):
    return auth.check_session(
        session, settings, "cip.grenoble", started_at=started_at, last_activity_at=last_activity_at, now=now
    )


def test_a_valid_session_returns_the_fresh_principal(session, settings, worker):
    result = check(session, settings, T0, T0 + minutes(50), T0 + minutes(60))
    assert isinstance(result, Principal)
    assert result.user_id == worker.id
    assert worker.last_seen_at == T0 + minutes(60)


def test_a_session_idle_for_more_than_30_minutes_ends(session, settings, worker):
    assert isinstance(check(session, settings, T0, T0, T0 + minutes(29)), Principal)
    assert check(session, settings, T0, T0, T0 + minutes(31)) == SessionEnd.IDLE


def test_a_session_older_than_12_hours_ends_even_when_active(session, settings, worker):
    assert isinstance(
        check(session, settings, T0, T0 + timedelta(hours=11, minutes=55), T0 + timedelta(hours=11, minutes=59)),
        Principal,
    )
    now = T0 + timedelta(hours=12, minutes=1)
    assert check(session, settings, T0, now - minutes(1), now) == SessionEnd.EXPIRED


def test_logout_revokes_earlier_sessions_but_not_a_later_login(session, settings, worker):
    auth.logout(session, "cip.grenoble", now=T0 + minutes(10))

    assert check(session, settings, T0, T0 + minutes(9), T0 + minutes(11)) == SessionEnd.REVOKED
    assert isinstance(check(session, settings, T0 + minutes(12), T0 + minutes(12), T0 + minutes(13)), Principal)
    assert [e.action for e in events(session)] == ["logout"]


def test_a_password_change_revokes_earlier_sessions(session, settings, worker):
    me = factories.principal(session, worker)
    auth.change_password(
        session,
        settings,
        me,
        data={"current": factories.PASSWORD, "new": "une toute nouvelle phrase"},
        now=T0 + minutes(5),
    )

    assert check(session, settings, T0, T0 + minutes(4), T0 + minutes(6)) == SessionEnd.REVOKED
    assert (
        auth.authenticate(session, settings, "cip.grenoble", factories.PASSWORD, now=T0 + minutes(7)).outcome
        == LoginOutcome.INVALID
    )
    assert (
        auth.authenticate(session, settings, "cip.grenoble", "une toute nouvelle phrase", now=T0 + minutes(7)).outcome
        == LoginOutcome.SUCCESS
    )
    assert isinstance(check(session, settings, T0 + minutes(7), T0 + minutes(7), T0 + minutes(8)), Principal)


def test_deactivating_an_account_revokes_its_open_sessions(session, settings, worker):
    started = utcnow() - minutes(5)
    assert isinstance(check(session, settings, started, started, utcnow()), Principal)

    users.set_active(session, settings, SYSTEM_ACTOR, "cip.grenoble", active=False)

    assert check(session, settings, started, utcnow(), utcnow()) == SessionEnd.REVOKED
    later = utcnow() + minutes(1)
    assert check(session, settings, later, later, later) == SessionEnd.REVOKED  # inactive: no new session either

    users.set_active(session, settings, SYSTEM_ACTOR, "cip.grenoble", active=True)
    assert check(session, settings, started, utcnow(), utcnow()) == SessionEnd.REVOKED  # reactivation revives nothing
    assert isinstance(check(session, settings, later, later, later), Principal)


def test_an_unknown_user_has_no_session(session, settings):
    assert (
        auth.check_session(session, settings, "personne", started_at=T0, last_activity_at=T0, now=T0)
        == SessionEnd.REVOKED
    )


# --- re-login from the cookie ----------------------------------------------------------------------


def resume(session, settings, issued_at, now, username="cip.grenoble"):
    return auth.resume_from_cookie(session, settings, username, issued_at, now=now)


def test_a_valid_cookie_resumes_the_session(session, settings, worker):
    worker.last_seen_at = T0 + minutes(20)
    principal = resume(session, settings, T0, T0 + minutes(25))
    assert principal is not None and principal.user_id == worker.id
    assert worker.last_seen_at == T0 + minutes(25)
    assert events(session)[-1].action == "session.resumed"


def test_a_cookie_issued_before_logout_is_refused(session, settings, worker):
    worker.last_seen_at = T0 + minutes(1)
    auth.logout(session, "cip.grenoble", now=T0 + minutes(2))
    assert resume(session, settings, T0, T0 + minutes(3)) is None
    assert events(session)[-1].action == "session.cookie_refused"


def test_a_cookie_issued_before_a_password_change_is_refused(session, settings, worker):
    me = factories.principal(session, worker)
    auth.change_password(
        session,
        settings,
        me,
        data={"current": factories.PASSWORD, "new": "une toute nouvelle phrase"},
        now=T0 + minutes(2),
    )
    worker.last_seen_at = T0 + minutes(2)
    assert resume(session, settings, T0, T0 + minutes(3)) is None
    assert resume(session, settings, T0 + minutes(4), T0 + minutes(5)) is not None


def test_a_cookie_of_an_idle_user_is_refused(session, settings, worker):
    worker.last_seen_at = T0
    assert resume(session, settings, T0, T0 + minutes(31)) is None
    worker.last_seen_at = T0
    assert resume(session, settings, T0, T0 + minutes(29)) is not None


def test_a_cookie_of_an_unknown_user_is_refused(session, settings):
    assert resume(session, settings, T0, T0 + minutes(1), username="personne") is None


def test_a_cookie_of_a_deactivated_user_is_refused(session, settings, worker):
    worker.last_seen_at = T0
    worker.is_active = False
    assert resume(session, settings, T0, T0 + minutes(1)) is None


# --- change of password ----------------------------------------------------------------------------


def test_change_password_rejects_a_wrong_current_password(session, settings, worker):
    me = factories.principal(session, worker)
    with pytest.raises(ValidationFailed) as failure:
        auth.change_password(session, settings, me, data={"current": WRONG, "new": "une toute nouvelle phrase"}, now=T0)
    assert failure.value.errors == {"current": "Mot de passe actuel incorrect."}
    assert passwords.verify_password(factories.PASSWORD, worker.password_hash)
    assert worker.sessions_revoked_at is None
    [event] = events(session)
    assert (event.action, event.success) == ("user.password_change", False)


def test_change_password_rejects_a_new_password_under_12_characters(session, settings, worker):
    me = factories.principal(session, worker)
    with pytest.raises(ValidationFailed) as failure:
        auth.change_password(session, settings, me, data={"current": factories.PASSWORD, "new": "trop court"}, now=T0)
    assert failure.value.errors == {"new": "Le mot de passe doit contenir au moins 12 caractères."}
    assert passwords.verify_password(factories.PASSWORD, worker.password_hash)
    assert worker.sessions_revoked_at is None


def test_change_password_rejects_the_same_password(session, settings, worker):
    me = factories.principal(session, worker)
    with pytest.raises(ValidationFailed) as failure:
        auth.change_password(
            session, settings, me, data={"current": factories.PASSWORD, "new": factories.PASSWORD}, now=T0
        )
    assert failure.value.errors == {"new": "Le nouveau mot de passe doit être différent de l'actuel."}


def test_change_password_checks_the_confirmation_and_keeps_the_password_as_typed(session, settings, worker):
    me = factories.principal(session, worker)
    typed = {"current": factories.PASSWORD, "new": "une phrase nouvelle", "confirmation": "une phrase nouvelle "}
    with pytest.raises(ValidationFailed) as failure:
        auth.change_password(session, settings, me, data=typed, now=T0)
    assert failure.value.errors == {"confirmation": "Les deux saisies du nouveau mot de passe diffèrent."}
    with pytest.raises(ValidationFailed) as failure:
        auth.change_password(session, settings, me, data=typed | {"new": " une phrase nouvelle"}, now=T0)
    assert failure.value.errors == {"new": "Le mot de passe ne peut ni commencer ni finir par un espace."}
    assert worker.sessions_revoked_at is None
    new = "deux  espaces  au milieu"  # kept as typed, inner spaces included
    auth.change_password(
        session, settings, me, data={"current": factories.PASSWORD, "new": new, "confirmation": new}, now=T0
    )
    assert passwords.verify_password(new, worker.password_hash)


def test_credentials_for_the_login_form_list_only_active_accounts_with_their_hash(session, worker):
    factories.an_inactive_user(session, Role.INTERVENANT, username="ancien")
    credentials = auth.credentials_for_authenticator(session)["usernames"]
    assert "ancien" not in credentials
    assert credentials["cip.grenoble"]["password"] == worker.password_hash
    assert credentials["cip.grenoble"]["roles"] == ["intervenant"]
