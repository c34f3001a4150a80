"""A barrier rating entered by mistake is corrected in place (services.persons.pathway.correct_barrier_rating):
only the latest of its barrier, by the roles that record ratings, audited, and the history says so."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models.audit import AuditEvent
from models.organisation import Role
from models.pathway import Barrier, BarrierAssessment, BarrierSeverity
from services.persons import pathway, timeline
from services.platform.crypto import FieldCipher
from services.platform.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from tests import factories
from tests.conftest import TEST_ENCRYPTION_KEY

TODAY = date(2026, 5, 15)
CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])


@pytest.fixture
def world(session: Session):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    person = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 3, 3))
    p = factories.principal
    ts = p(session, factories.a_user(session, Role.INTERVENANT, lyon))
    pathway.record_barriers(
        session,
        ts,
        person.id,
        today=TODAY,
        data={
            "assessed_on": date(2025, 3, 10),
            "ratings": {Barrier.SAFETY: BarrierSeverity.MAJOR, Barrier.HOUSING: BarrierSeverity.MAJOR},
        },
    )
    pathway.record_barriers(
        session,
        ts,
        person.id,
        today=TODAY,
        data={"assessed_on": date(2025, 9, 10), "ratings": {Barrier.HOUSING: BarrierSeverity.PARTIAL}},
    )
    ids = dict(
        session.execute(
            sa.text(
                "SELECT barrier || '@' || CAST(assessed_on AS VARCHAR(10)), id FROM barrier_assessment "
                "WHERE person_id = :p"
            ),
            {"p": person.id},
        ).all()
    )
    return {
        "person": person,
        "ts": ts,
        "chef": p(session, factories.a_user(session, Role.CHEF_SERVICE, lyon)),
        "direction": p(session, factories.a_user(session, Role.DIRECTION)),
        "grenoble": p(session, factories.a_user(session, Role.INTERVENANT, grenoble)),
        "safety": ids["safety@2025-03-10"],
        "old_housing": ids["housing@2025-03-10"],
        "housing": ids["housing@2025-09-10"],
    }


def stored(session: Session, row_id: int) -> tuple:
    row = session.execute(
        sa.text(
            "SELECT severity, entered_severity, corrected_at IS NOT NULL, corrected_by_id IS NOT NULL, version "
            "FROM barrier_assessment WHERE id = :i"
        ),
        {"i": row_id},
    ).one()
    return (row[0], row[1], bool(row[2]), bool(row[3]), row[4])


def corrections(session: Session) -> list[str]:
    return list(
        session.exec(select(AuditEvent.entity_id).where(AuditEvent.action == "barrier.correct").order_by(AuditEvent.id))
    )


def test_the_latest_rating_is_corrected_in_place_and_the_history_says_so(session, world):
    pathway.correct_barrier_rating(
        session, world["ts"], world["housing"], expected_version=1, data={"severity": BarrierSeverity.MAJOR}
    )

    assert stored(session, world["housing"]) == ("major", "partial", True, True, 2)
    history = pathway.barrier_history(session, world["direction"], world["person"].id)
    assert [(p.assessed_on, p.barrier, p.severity, p.entered_severity, p.corrected) for p in history] == [
        (date(2025, 3, 10), Barrier.SAFETY, BarrierSeverity.MAJOR, None, False),
        (date(2025, 3, 10), Barrier.HOUSING, BarrierSeverity.MAJOR, None, False),
        (date(2025, 9, 10), Barrier.HOUSING, BarrierSeverity.MAJOR, BarrierSeverity.PARTIAL, True),
    ]
    assert corrections(session) == [str(world["housing"])]
    # A correction is not a contact with the person.
    session.refresh(world["person"])
    assert world["person"].last_contact_on == date(2025, 9, 10)
    events = timeline.person_timeline(session, world["ts"], world["person"].id, cipher=CIPHER)
    assert [e.detail for e in events if e.kind == "barrier"] == [
        "Logement : majeur (corrigé ; saisi d'abord : partiel)",
        "Sécurité (menaces, réseau, violences) : majeur, Logement : majeur",
    ]


def test_a_second_correction_keeps_the_level_first_entered(session, world):
    pathway.correct_barrier_rating(
        session, world["chef"], world["safety"], expected_version=1, data={"severity": BarrierSeverity.NONE}
    )
    pathway.correct_barrier_rating(
        session, world["ts"], world["safety"], expected_version=2, data={"severity": BarrierSeverity.PARTIAL}
    )
    assert stored(session, world["safety"]) == ("partial", "major", True, True, 3)
    assert corrections(session) == [str(world["safety"])] * 2


def test_an_older_rating_followed_by_a_new_assessment_is_not_rewritten(session, world):
    with pytest.raises(ValidationFailed) as caught:
        pathway.correct_barrier_rating(
            session, world["ts"], world["old_housing"], expected_version=1, data={"severity": BarrierSeverity.NONE}
        )
    assert caught.value.errors == {
        "severity": "Seule la dernière évaluation d'un frein peut être corrigée : une évaluation plus récente existe. "
        "Pour un changement de situation, enregistrez une nouvelle évaluation."
    }
    assert stored(session, world["old_housing"]) == ("major", None, False, False, 1)
    assert corrections(session) == []


def test_the_same_level_an_unknown_level_or_a_stale_version_are_refused(session, world):
    with pytest.raises(ValidationFailed) as caught:
        pathway.correct_barrier_rating(
            session, world["ts"], world["housing"], expected_version=1, data={"severity": BarrierSeverity.PARTIAL}
        )
    assert caught.value.errors == {"severity": "C'est déjà le niveau enregistré : choisissez le niveau corrigé."}
    with pytest.raises(ValidationFailed) as caught:
        pathway.correct_barrier_rating(session, world["ts"], world["housing"], expected_version=1, data={})
    assert caught.value.errors == {"severity": "Choisissez le niveau corrigé."}
    pathway.correct_barrier_rating(
        session, world["ts"], world["housing"], expected_version=1, data={"severity": BarrierSeverity.NONE}
    )
    with pytest.raises(StaleRecord):  # a colleague corrected it meanwhile
        pathway.correct_barrier_rating(
            session, world["chef"], world["housing"], expected_version=1, data={"severity": BarrierSeverity.MAJOR}
        )
    assert stored(session, world["housing"]) == ("none", "partial", True, True, 2)


def test_direction_and_other_sites_correct_nothing(session, world):
    with pytest.raises(PermissionDenied):
        pathway.correct_barrier_rating(
            session, world["direction"], world["safety"], expected_version=1, data={"severity": "none"}
        )
    with pytest.raises(NotFound):
        pathway.correct_barrier_rating(
            session, world["grenoble"], world["safety"], expected_version=1, data={"severity": "none"}
        )
    assert [r.version for r in session.exec(select(BarrierAssessment)).all()] == [1, 1, 1]
    assert corrections(session) == []
