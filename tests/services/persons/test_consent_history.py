"""Consent that changes over time (services.persons.consent): a withdrawal of statistics applies from its
effective day on, the facts before it stay counted (a published slot never moves); a refusal at intake
applies to everything; a new consent counts again from its day. A referral dated while sharing is
withdrawn needs a new consent recorded on the form. Figures are literal numbers, worked out by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from models.audit import AuditEvent
from models.courses import CefrLevel, LanguageSkill
from models.organisation import Role
from models.partners import OutcomeType, PartnerKind
from models.persons import ConsentChange, ConsentScope, Person
from services.activities.courses import assessments
from services.activities.workshops import figures
from services.persons import consent, partners
from services.platform.errors import PermissionDenied, ValidationFailed
from services.reporting import _dashboard_figures as dashboard_figures
from services.reporting import _indicators as indicators
from tests import factories

TODAY = date(2026, 11, 18)  # the day of reference handed to the services (not the clock's)
WITHDRAWN_ON = date(2026, 3, 16)
FEB = (date(2026, 2, 1), date(2026, 2, 28))
MAR = (date(2026, 3, 1), date(2026, 3, 31))
APR = (date(2026, 4, 1), date(2026, 4, 30))
KEYS = (
    "active_files",
    "new_intakes",
    "workshop_sessions",
    "workshop_attendance_rate",
    "course_hours",
    "level_gains",
    "mainstream_transitions",
    "referrals",
    "outcomes_durable_employment",
    "psp_in_progress",
)


@dataclass
class World:
    lyon: int
    awa: Person  # withdraws statistics on WITHDRAWN_ON
    bea: Person  # always consents
    worker: object  # an intervenant of Lyon (principal)
    direction: object


def _activity_of(session: Session, lyon, person: Person, group) -> None:
    """The same year of activity for any person: dated before and after WITHDRAWN_ON."""
    for day in (date(2026, 2, 10), date(2026, 3, 10), date(2026, 3, 20), date(2026, 4, 14)):
        factories.a_workshop_roll(
            session, factories.a_workshop_session(session, lyon, session_on=day), present=(person,)
        )
    for day in (date(2026, 3, 5), date(2026, 3, 25)):
        factories.a_course_session(session, group, session_on=day, duration_minutes=60, present=(person,))
    assess = factories.an_assessment
    assess(session, person, LanguageSkill.LISTENING, CefrLevel.A1, on=date(2026, 1, 10))
    assess(session, person, LanguageSkill.LISTENING, CefrLevel.A2, on=date(2026, 2, 15))  # a gain before
    assess(session, person, LanguageSkill.LISTENING, CefrLevel.B1, on=date(2026, 3, 20))  # a gain after
    factories.a_move_to_mainstream(session, person, on=date(2026, 3, 10))
    partner = factories.a_partner_of_kind(session, lyon, PartnerKind.FRANCE_TRAVAIL)
    factories.a_referral_to(session, person, partner, on=date(2026, 2, 20))
    factories.a_referral_to(session, person, partner, on=date(2026, 3, 25))
    factories.an_outcome_of(session, person, OutcomeType.CDI, on=date(2026, 4, 2))
    factories.a_psp_requested(session, person, on=date(2025, 12, 15))


@pytest.fixture
def world(session: Session) -> World:
    lyon, _grenoble = factories.lyon_and_grenoble(session)
    awa = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 12, 1))
    bea = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 12, 1))
    group = factories.a_course_group(session, lyon, starts_on=date(2026, 1, 5))
    _activity_of(session, lyon, awa, group)
    factories.a_workshop_roll(
        session, factories.a_workshop_session(session, lyon, session_on=date(2026, 3, 20)), present=(bea,)
    )
    worker = factories.principal(session, factories.a_user(session, Role.INTERVENANT, lyon))
    direction = factories.principal(session, factories.a_user(session, Role.DIRECTION))
    return World(lyon.id, awa, bea, worker, direction)


def _month(session: Session, world: World, month: tuple[date, date]) -> dict[str, object]:
    result = indicators.compute_indicators(session, site_ids=[world.lyon], start=month[0], end=month[1])
    return {key: result.get(key).value for key in KEYS}


def _withdraw(session: Session, world: World, person: Person, on: date, scope=ConsentScope.STATISTICS) -> None:
    """Recorded on its day (a change may not reach back into a finished, published quarter)."""
    consent.record_consent_change(
        session, world.worker, person.id, data={"scope": scope, "given": False, "effective_on": on}, today=on
    )


def _give(session: Session, world: World, person: Person, on: date, scope=ConsentScope.STATISTICS) -> None:
    consent.record_consent_change(
        session, world.worker, person.id, data={"scope": scope, "given": True, "effective_on": on}, today=on
    )


# Awa and Bea both consenting: what each month shows (Bea is in the active files and at the 20 March session).
CONSENTING = {
    FEB: {
        "active_files": 2,
        "new_intakes": 0,
        "workshop_sessions": 1,
        "workshop_attendance_rate": Decimal("1.0000"),
        "course_hours": Decimal("0.00"),
        "level_gains": 1,
        "mainstream_transitions": 0,
        "referrals": 1,
        "outcomes_durable_employment": 0,
        "psp_in_progress": 1,
    },
    MAR: {
        "active_files": 2,
        "new_intakes": 0,
        "workshop_sessions": 3,  # 10 March, and the two rolls of 20 March
        "workshop_attendance_rate": Decimal("1.0000"),
        "course_hours": Decimal("2.00"),
        "level_gains": 1,
        "mainstream_transitions": 1,
        "referrals": 1,
        "outcomes_durable_employment": 0,
        "psp_in_progress": 1,
    },
    APR: {
        "active_files": 2,
        "new_intakes": 0,
        "workshop_sessions": 1,
        "workshop_attendance_rate": Decimal("1.0000"),
        "course_hours": Decimal("0.00"),
        "level_gains": 0,
        "mainstream_transitions": 0,
        "referrals": 0,
        "outcomes_durable_employment": 1,
        "psp_in_progress": 1,
    },
}
# Awa withdrew on 16 March: February unchanged; in March only what she did before the 16th; April without her.
WITHDRAWN = {
    FEB: CONSENTING[FEB],
    MAR: {
        "active_files": 1,  # a stock, on 31 March: Bea only
        "new_intakes": 0,
        "workshop_sessions": 2,  # 10 March (Awa, before) and Bea's roll of 20 March
        "workshop_attendance_rate": Decimal("1.0000"),
        "course_hours": Decimal("1.00"),  # 5 March only
        "level_gains": 0,  # her gain of 20 March is after
        "mainstream_transitions": 1,  # 10 March
        "referrals": 0,  # 25 March is after
        "outcomes_durable_employment": 0,
        "psp_in_progress": 0,  # a stock, on 31 March
    },
    APR: {
        "active_files": 1,
        "new_intakes": 0,
        "workshop_sessions": 0,
        "workshop_attendance_rate": None,
        "course_hours": Decimal("0.00"),
        "level_gains": 0,
        "mainstream_transitions": 0,
        "referrals": 0,
        "outcomes_durable_employment": 0,
        "psp_in_progress": 0,
    },
}


def test_a_withdrawal_applies_from_its_day_and_the_months_before_do_not_move(session: Session, world: World):
    assert {month: _month(session, world, month) for month in (FEB, MAR, APR)} == CONSENTING

    _withdraw(session, world, world.awa, WITHDRAWN_ON)

    assert {month: _month(session, world, month) for month in (FEB, MAR, APR)} == WITHDRAWN
    # The figures of the activity pages, on the same days.
    rates = figures.attendance_rates(session, world.direction, start=MAR[0], end=MAR[1])
    assert sum(rate.present for rate in rates) == 2  # Awa on 10 March, Bea on 20 March
    assert assessments.count_transitions(session, world.direction, start=MAR[0], end=MAR[1]) == 1
    assert assessments.count_transitions(session, world.direction, start=APR[0], end=APR[1]) == 0


def test_the_dashboards_monthly_outcomes_leave_out_an_outcome_after_the_withdrawal(session: Session, world: World):
    def april_outcomes() -> int:
        series = dashboard_figures.monthly_series(session, site_ids=[world.lyon], end=APR[1])
        return next(v.value for v in series if v.key == "outcomes_durable_employment" and v.month == APR[0])

    assert april_outcomes() == 1
    _withdraw(session, world, world.awa, date(2026, 4, 2))  # the day of her outcome: out
    assert april_outcomes() == 0


def test_a_new_consent_counts_again_from_its_day(session: Session, world: World):
    _withdraw(session, world, world.awa, WITHDRAWN_ON)
    _give(session, world, world.awa, date(2026, 4, 10))

    april = _month(session, world, APR)
    assert april["active_files"] == 2  # counted again on 30 April
    assert april["workshop_sessions"] == 1  # 14 April, after the new consent
    assert april["outcomes_durable_employment"] == 0  # 2 April: still within the withdrawal
    assert april["psp_in_progress"] == 1
    assert _month(session, world, MAR) == WITHDRAWN[MAR]  # the withdrawal stays in force in March
    assert session.get(Person, world.awa.id).consent_statistics is True


def test_a_stock_counts_at_each_end_as_the_consent_stood_then_query_after_query(session: Session, world: World):
    """Active files at several ends in one query (two periods ending the same day), twice: the clauses built once
    for a day (services.persons.consent.counted keeps them) are reused, each with its own day."""
    _withdraw(session, world, world.awa, WITHDRAWN_ON)
    _give(session, world, world.awa, date(2026, 4, 10))
    periods = [FEB, MAR, APR, (MAR[0], APR[1])]
    for _again in range(2):
        raw = indicators.raw_by_site(session, site_ids=[world.lyon], periods=periods, keys=["active_files"])
        # End of February: both; 31 March: Awa withdrawn; 30 April: counted again since the 10th.
        assert [raw[world.lyon][index]["active_files"] for index in range(4)] == [2, 1, 2, 2]


def test_a_person_refusing_at_intake_moves_no_figure(session: Session, world: World):
    before = {month: _month(session, world, month) for month in (FEB, MAR, APR)}
    lyon = session.get(factories.Site, world.lyon)
    refusing = factories.a_person_in_file_active(session, lyon, intake_on=date(2026, 2, 3))
    refusing.consent_statistics = False
    session.flush()
    consent.record_intake_refusals(session, refusing, author_id=None)
    # Activity dated before her intake too: a refusal at intake covers every day.
    _activity_of(session, lyon, refusing, factories.a_course_group(session, lyon, starts_on=date(2026, 1, 5)))
    assert {month: _month(session, world, month) for month in (FEB, MAR, APR)} == before


def test_the_history_is_recorded_with_its_author_and_audited_without_text(session: Session, world: World):
    _withdraw(session, world, world.awa, WITHDRAWN_ON)
    _give(session, world, world.awa, date(2026, 4, 10))
    history = consent.consent_history(session, world.worker, world.awa.id)
    assert [(r.effective_on, r.scope, r.given, r.at_intake) for r in history] == [
        (date(2026, 4, 10), ConsentScope.STATISTICS, True, False),
        (WITHDRAWN_ON, ConsentScope.STATISTICS, False, False),
    ]
    assert [r.recorded_by for r in history] == ["Agent intervenant", "Agent intervenant"]
    events = session.exec(
        select(AuditEvent.action, AuditEvent.entity_id, AuditEvent.detail)
        .where(AuditEvent.action == "consent.change")
        .order_by(AuditEvent.id)
    ).all()
    assert [tuple(e) for e in events] == [
        ("consent.change", str(world.awa.id), "statistics:withdrawn"),
        ("consent.change", str(world.awa.id), "statistics:given"),
    ]
    with pytest.raises(PermissionDenied):
        consent.consent_history(session, world.direction, world.awa.id)
    with pytest.raises(PermissionDenied):
        _withdraw(session, World(world.lyon, world.awa, world.bea, world.direction, world.direction), world.bea, TODAY)


BEFORE_INTAKE = "La date d'effet ne peut précéder l'accueil (1 déc. 2025)."


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"scope": None}, "scope", "Choisissez le consentement concerné."),
        ({"given": None}, "given", "Choisissez un retrait ou un nouveau consentement."),
        ({"effective_on": None}, "effective_on", "Indiquez la date d'effet."),
        ({"effective_on": date(2026, 11, 19)}, "effective_on", "La date d'effet ne peut pas être dans le futur."),
        (
            {"effective_on": date(2025, 11, 30)},
            "effective_on",
            "La date d'effet ne peut précéder l'accueil (1 déc. 2025).",
        ),
        ({"given": True}, "given", "Ce consentement est déjà donné."),
        (
            {"effective_on": date(2026, 9, 30)},
            "effective_on",
            "Les chiffres des trimestres terminés sont publiés et ne changent plus : la date d'effet d'un "
            "changement du consentement aux statistiques ne peut précéder le 1 oct. 2026 (début du trimestre "
            "en cours).",
        ),
    ],
)
def test_a_bad_change_gets_its_message_and_writes_nothing(session: Session, world: World, data, field, message):
    sent = {"scope": ConsentScope.STATISTICS, "given": False, "effective_on": date(2026, 10, 5)} | data
    with pytest.raises(ValidationFailed) as caught:
        consent.record_consent_change(session, world.worker, world.awa.id, data=sent, today=TODAY)
    assert caught.value.errors == {field: message}
    assert session.exec(select(ConsentChange)).all() == []


def test_a_change_cannot_precede_the_last_one_nor_repeat_it(session: Session, world: World):
    _withdraw(session, world, world.awa, WITHDRAWN_ON)
    with pytest.raises(ValidationFailed) as caught:
        _withdraw(session, world, world.awa, date(2026, 3, 20))
    assert caught.value.errors == {"given": "Ce consentement est déjà retiré."}
    with pytest.raises(ValidationFailed) as caught:
        consent.record_consent_change(
            session,
            world.worker,
            world.awa.id,
            data={"scope": ConsentScope.STATISTICS, "given": True, "effective_on": date(2026, 3, 1)},
            today=date(2026, 3, 31),
        )
    assert caught.value.errors == {
        "effective_on": "Un changement de ce consentement est enregistré au 16 mars 2026 : "
        "la date d'effet ne peut le précéder."
    }


# --- partner sharing ----------------------------------------------------------------------------


def test_a_referral_after_a_sharing_withdrawal_needs_a_new_consent(session: Session, world: World):
    lyon = session.get(factories.Site, world.lyon)
    partner = partners.create_partner(
        session,
        factories.principal(session, factories.a_user(session, Role.ADMIN)),
        data={"site_id": lyon.id, "name": "CIDFF du Rhône", "kind": PartnerKind.CIDFF},
    )
    bea = world.bea
    bea.consent_partner_sharing = True  # agreed at intake
    session.flush()
    _withdraw(session, world, bea, date(2026, 6, 1), scope=ConsentScope.PARTNER_SHARING)

    def refer(on: date, **extra) -> None:
        partners.create_referral(
            session, world.worker, bea.id, today=TODAY, data={"partner_id": partner, "referred_on": on} | extra
        )

    refer(date(2026, 5, 20))  # before the withdrawal: shared with her consent of then
    with pytest.raises(ValidationFailed) as caught:
        refer(date(2026, 6, 10))
    assert caught.value.errors == {
        "consent_given": "La personne n'a pas consenti au partage d'informations avec les partenaires : une "
        "orientation transmet son dossier. Recueillez son accord et cochez la case, ou n'orientez pas."
    }
    refer(date(2026, 6, 10), consent_given=True)
    assert [r.referred_on for r in partners.list_referrals(session, world.worker, bea.id)] == [
        date(2026, 6, 10),
        date(2026, 5, 20),
    ]
    changes = session.exec(
        select(ConsentChange.scope, ConsentChange.given, ConsentChange.effective_on)
        .where(ConsentChange.person_id == bea.id)
        .order_by(ConsentChange.id)
    ).all()
    assert [tuple(c) for c in changes] == [
        (ConsentScope.PARTNER_SHARING, False, date(2026, 6, 1)),
        (ConsentScope.PARTNER_SHARING, True, date(2026, 6, 10)),
    ]
    assert session.get(Person, bea.id).consent_partner_sharing is True
    # A day inside the withdrawal that the new consent ended stays refused.
    with pytest.raises(ValidationFailed) as caught:
        refer(date(2026, 6, 5), consent_given=True)
    assert set(caught.value.errors) == {"referred_on"}
