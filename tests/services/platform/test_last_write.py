"""Who saved a record last: the colleague's name only to someone who works beside them."""

from __future__ import annotations

from datetime import UTC, datetime

from models.audit import AuditAction, AuditEvent
from models.organisation import Role
from services.platform.last_write import last_write
from tests import factories

PERSON_WRITES = (AuditAction.PERSON_UPDATE, AuditAction.PERSON_CLOSE)


def _event(session, actor: str, action: str, at: datetime, *, entity_id: int = 7, site_id=None) -> None:
    session.add(
        AuditEvent(
            actor_username=actor,
            action=action,
            entity_type="person",
            entity_id=str(entity_id),
            site_id=site_id,
            occurred_at=at,
        )
    )
    session.flush()


def test_the_newest_write_is_told_with_the_name_of_a_colleague_of_the_same_site(session):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    me = factories.principal(session, factories.a_user(session, Role.INTERVENANT, lyon, username="moi"))
    colleague = factories.a_user(session, Role.CHEF_SERVICE, lyon, grenoble, username="marie")
    colleague.display_name = "Marie Martin"
    _event(session, "moi", "person.update", datetime(2026, 12, 3, 9, 0, tzinfo=UTC), site_id=lyon.id)
    _event(session, "marie", "person.update", datetime(2026, 12, 3, 10, 30, tzinfo=UTC), site_id=lyon.id)
    _event(session, "moi", "person.view", datetime(2026, 12, 3, 11, 0, tzinfo=UTC), site_id=lyon.id)  # a read
    _event(session, "moi", "person.update", datetime(2026, 12, 3, 12, 0, tzinfo=UTC), entity_id=8)  # another file

    found = last_write(session, me, entity_type="person", entity_id=7, actions=PERSON_WRITES)

    assert found.author == "Marie Martin"
    assert found.at == datetime(2026, 12, 3, 10, 30, tzinfo=UTC)


def test_an_author_of_no_shared_site_is_not_named(session):
    lyon, _grenoble = factories.lyon_and_grenoble(session)
    me = factories.principal(session, factories.a_user(session, Role.INTERVENANT, lyon))
    factories.a_user(session, Role.GESTION, username="compta")  # no site: works for the whole association
    _event(session, "compta", "person.update", datetime(2026, 12, 3, 10, 30, tzinfo=UTC))

    found = last_write(session, me, entity_type="person", entity_id=7, actions=PERSON_WRITES)

    assert found.author is None
    assert found.at == datetime(2026, 12, 3, 10, 30, tzinfo=UTC)


def test_a_write_on_another_sites_record_or_none_at_all_tells_nothing(session):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    me = factories.principal(session, factories.a_user(session, Role.INTERVENANT, lyon))
    _event(session, "someone", "person.update", datetime(2026, 12, 3, 10, 30, tzinfo=UTC), site_id=grenoble.id)

    assert last_write(session, me, entity_type="person", entity_id=7, actions=PERSON_WRITES) is None
    assert last_write(session, me, entity_type="person", entity_id=9, actions=PERSON_WRITES) is None
