"""Audit log: admin-only reading, filters, pagination and the retention purge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models.audit import AuditAction, AuditEvent
from models.organisation import Role
from models.types import utcnow
from services.platform import audit
from services.platform.errors import PermissionDenied
from tests import factories


@pytest.fixture
def admin(session):
    return factories.principal(session, factories.a_user(session, Role.ADMIN, username="admin"))


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_only_admin_reads_the_audit_log(session, role):
    actor = factories.principal(session, factories.a_user(session, role, factories.a_site(session, "LYO")))
    factories.an_audit_event(session, action="login.success")
    with pytest.raises(PermissionDenied):
        audit.list_events(session, actor)


def test_events_come_newest_first_with_the_total(session, admin):
    now = utcnow()
    for hours_ago, action in [(3, "login.success"), (1, "person.view"), (2, "logout")]:
        factories.an_audit_event(session, action=action, occurred_at=now - timedelta(hours=hours_ago))

    rows, total = audit.list_events(session, admin)

    assert total == 3
    assert [r.action for r in rows] == ["person.view", "logout", "login.success"]


def test_filters_by_action_prefix_actor_and_date(session, admin):
    now = utcnow()
    factories.an_audit_event(session, action="login.success", actor="ts.lyon", occurred_at=now - timedelta(days=3))
    factories.an_audit_event(
        session, action="login.failure", actor="ts.lyon", occurred_at=now - timedelta(hours=1), success=False
    )
    factories.an_audit_event(
        session, action="login.failure", actor="inconnu", occurred_at=now - timedelta(hours=1), success=False
    )
    factories.an_audit_event(session, action="user.create", actor="admin", occurred_at=now)

    def actions(**filters) -> list[tuple[str, str]]:
        rows, total = audit.list_events(session, admin, **filters)
        assert total == len(rows)
        return sorted((r.actor_username, r.action) for r in rows)

    assert actions(action_prefix="login") == [
        ("inconnu", "login.failure"),
        ("ts.lyon", "login.failure"),
        ("ts.lyon", "login.success"),
    ]
    assert actions(actor="  TS.Lyon ") == [("ts.lyon", "login.failure"), ("ts.lyon", "login.success")]
    assert actions(since=now - timedelta(days=1)) == [
        ("admin", "user.create"),
        ("inconnu", "login.failure"),
        ("ts.lyon", "login.failure"),
    ]
    assert actions(action_prefix="login", actor="ts.lyon", since=now - timedelta(days=1)) == [
        ("ts.lyon", "login.failure")
    ]
    assert actions(action_prefix="export") == []


def test_pagination_keeps_the_total_of_all_matching_events(session, admin):
    now = utcnow()
    for minute in range(7):
        factories.an_audit_event(session, action=f"person.view.{minute}", occurred_at=now - timedelta(minutes=minute))
    factories.an_audit_event(session, action="logout", occurred_at=now)

    first, total = audit.list_events(session, admin, action_prefix="person", limit=3)
    third, total_again = audit.list_events(session, admin, action_prefix="person", limit=3, offset=6)

    assert total == total_again == 7
    assert [r.action for r in first] == ["person.view.0", "person.view.1", "person.view.2"]
    assert [r.action for r in third] == ["person.view.6"]


def test_a_principal_actor_is_recorded_with_its_role_and_the_record_not_its_values(session, admin):
    audit.record(session, actor=admin, action="user.create", entity_type="user", entity_id=42, site_id=None)
    session.flush()
    [row], _ = audit.list_events(session, admin)
    assert (row.actor_username, row.actor_role, row.entity_type, row.entity_id, row.success) == (
        "admin",
        "admin",
        "user",
        "42",
        True,
    )


def test_purge_removes_only_events_past_the_retention_period(session):
    now = utcnow()
    kept = [factories.an_audit_event(session, action="recent", occurred_at=now - timedelta(days=d)) for d in (0, 364)]
    for days in (366, 800):
        factories.an_audit_event(session, action="old", occurred_at=now - timedelta(days=days))

    removed = audit.purge_older_than(session, days=365, now=now)

    assert removed == 2
    remaining = session.exec(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    assert remaining == [e.id for e in kept]


def test_an_unknown_act_is_refused_before_anything_is_written(session):
    with pytest.raises(ValueError):
        audit.record(session, actor="someone", action="person.viewed_by_mistake")
    assert session.exec(select(AuditEvent).where(AuditEvent.actor_username == "someone")).all() == []


def test_every_act_the_services_record_is_a_known_one():
    """Each AuditAction is recorded somewhere in the code, and the audit page's filters cover them."""
    import pathlib

    source = "\n".join(path.read_text() for root in ("services", "ops") for path in pathlib.Path(root).rglob("*.py"))
    unused = [action for action in AuditAction if f"AuditAction.{action.name}" not in source]
    assert unused == []
