"""Grant money in: the payment schedule, receipts, reports due, co-financing plan and the cash position they
give, on a hand-built convention whose figures are worked out by hand below."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session

from models.finance import BudgetCategory
from models.money_in import GrantCofunding, GrantReport, GrantTranche, ReportKind, TrancheCondition
from models.organisation import Role, Site
from services.finance import money_in
from services.finance.money_in import TrancheStatus
from services.platform.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from services.platform.principal import Principal
from tests import factories

TODAY = date(2026, 11, 18)


def who(session: Session, role: Role, *sites: Site) -> Principal:
    return factories.principal(session, factories.a_user(session, role, *sites))


@pytest.fixture
def world(session: Session):
    """An 18-month convention of 100 000,00 € (2026-01-01 → 2027-06-30) on Lyon, with three tranches:
    40 000 € at the signature (38 000 € received on 2026-02-03), 40 000 € after the interim report (expected
    2026-10-01, the report due 2026-09-30 not sent yet), 20 000 € after the final report (2027-09-30); and
    17 000 € spent up to today (5 000 € in January, 12 000 € in March; 1 000 € dated after today)."""
    lyon, grenoble = factories.lyon_and_grenoble(session)
    agrasc = factories.a_funder(session, "AGRASC")
    region = factories.a_funder(session, "Région Auvergne-Rhône-Alpes")
    city = factories.a_funder(session, "Ville de Lyon")
    convention = factories.a_staff_grant(session, agrasc, lyon, starts_on=date(2026, 1, 1), ends_on=date(2027, 6, 30))
    line = convention.lines[("LYO", BudgetCategory.STAFF)]
    factories.an_expense(session, line, spent_on=date(2026, 1, 20), amount_cents=500_000)
    factories.an_expense(session, line, spent_on=date(2026, 3, 10), amount_cents=1_200_000)
    factories.an_expense(session, line, spent_on=date(2026, 11, 20), amount_cents=100_000)
    grant_id = convention.grant.id
    session.add_all(
        [
            GrantTranche(
                grant_id=grant_id,
                expected_on=date(2026, 1, 15),
                expected_cents=4_000_000,
                condition=TrancheCondition.SIGNATURE,
                received_on=date(2026, 2, 3),
                received_cents=3_800_000,
            ),
            GrantTranche(
                grant_id=grant_id,
                expected_on=date(2026, 10, 1),
                expected_cents=4_000_000,
                condition=TrancheCondition.INTERIM_REPORT,
            ),
            GrantTranche(
                grant_id=grant_id,
                expected_on=date(2027, 9, 30),
                expected_cents=2_000_000,
                condition=TrancheCondition.FINAL_REPORT,
            ),
            GrantReport(grant_id=grant_id, kind=ReportKind.INTERIM, due_on=date(2026, 9, 30)),
            GrantReport(grant_id=grant_id, kind=ReportKind.FINAL, due_on=date(2027, 9, 30)),
        ]
    )
    session.flush()
    return lyon, grenoble, convention.grant, agrasc, region, city


def test_the_cash_position_worked_out_by_hand(session, world):
    _lyon, _grenoble, grant, *_ = world
    found = money_in.schedule(session, who(session, Role.GESTION), grant.id, today=TODAY)

    cash = found.cash
    assert cash.received_cents == 3_800_000  # 38 000 € received
    assert cash.spent_cents == 1_700_000  # 5 000 + 12 000 €, not the 1 000 € dated after today
    assert cash.balance_cents == 2_100_000
    assert cash.still_expected_cents == 6_000_000  # 40 000 + 20 000 €
    assert cash.expected_soon_cents == 4_000_000  # the overdue interim tranche, not the balance of 2027-09
    by_month = {m.month: m for m in cash.months}
    assert min(by_month) == date(2026, 1, 1) and max(by_month) == date(2027, 9, 1)
    assert (by_month[date(2026, 1, 1)].received_cents, by_month[date(2026, 1, 1)].spent_cents) == (0, 500_000)
    assert (by_month[date(2026, 2, 1)].received_cents, by_month[date(2026, 2, 1)].spent_cents) == (3_800_000, 500_000)
    november = by_month[date(2026, 11, 1)]
    assert (november.received_cents, november.spent_cents, november.expected_cents) == (3_800_000, 1_700_000, 7_800_000)
    assert by_month[date(2026, 10, 1)].expected_cents is None  # the past has no expectation
    last = by_month[date(2027, 9, 1)]
    assert (last.received_cents, last.spent_cents, last.expected_cents) == (None, None, 9_800_000)


def test_tranches_say_what_they_wait_for(session, world):
    _lyon, _grenoble, grant, *_ = world
    gestion = who(session, Role.GESTION)
    found = money_in.schedule(session, gestion, grant.id, today=TODAY)
    assert [(t.expected_on, t.status, t.difference_cents) for t in found.tranches] == [
        (date(2026, 1, 15), TrancheStatus.RECEIVED, -200_000),
        (date(2026, 10, 1), TrancheStatus.WAITING_REPORT, None),
        (date(2027, 9, 30), TrancheStatus.WAITING_REPORT, None),
    ]
    assert [(r.kind, r.overdue) for r in found.reports] == [(ReportKind.INTERIM, True), (ReportKind.FINAL, False)]

    interim = found.reports[0]
    money_in.update_report(
        session,
        gestion,
        interim.id,
        expected_version=interim.version,
        data={"kind": ReportKind.INTERIM, "due_on": date(2026, 9, 30), "submitted_on": date(2026, 9, 28)},
        today=TODAY,
    )
    again = money_in.schedule(session, gestion, grant.id, today=TODAY)
    assert again.tranches[1].status == TrancheStatus.OVERDUE  # the report went, the money did not come
    assert again.reports[0].overdue is False


def test_recording_a_receipt_moves_the_cash_position(session, world):
    _lyon, _grenoble, grant, *_ = world
    gestion = who(session, Role.GESTION)
    tranche = money_in.schedule(session, gestion, grant.id, today=TODAY).tranches[1]

    money_in.record_receipt(
        session,
        gestion,
        tranche.id,
        expected_version=tranche.version,
        data={"received_on": date(2026, 11, 12), "received": "41 000,00"},
        today=TODAY,
    )

    cash = money_in.schedule(session, gestion, grant.id, today=TODAY).cash
    assert (cash.received_cents, cash.balance_cents, cash.still_expected_cents) == (7_900_000, 6_200_000, 2_000_000)
    stored = session.execute(
        text("SELECT received_on, received_cents, version FROM grant_tranche WHERE id = :id"), {"id": tranche.id}
    ).one()
    assert (str(stored[0]), stored[1], stored[2]) == ("2026-11-12", 4_100_000, 2)
    audited = session.execute(
        text("SELECT action, entity_type, entity_id FROM audit_event ORDER BY id DESC LIMIT 1")
    ).one()
    assert tuple(audited) == ("grant_tranche.update", "grant_tranche", str(tranche.id))


def test_a_receipt_needs_its_day_and_amount_and_no_future(session, world):
    _lyon, _grenoble, grant, *_ = world
    gestion = who(session, Role.GESTION)
    tranche = money_in.schedule(session, gestion, grant.id, today=TODAY).tranches[1]

    with pytest.raises(ValidationFailed) as refused:
        money_in.record_receipt(
            session,
            gestion,
            tranche.id,
            expected_version=tranche.version,
            data={"received_on": None, "received": ""},
            today=TODAY,
        )
    assert refused.value.errors == {
        "received": "Indiquez le montant reçu.",
        "received_on": "Indiquez la date de réception.",
    }
    with pytest.raises(ValidationFailed) as refused:
        money_in.record_receipt(
            session,
            gestion,
            tranche.id,
            expected_version=tranche.version,
            data={"received_on": date(2026, 11, 19), "received": "0"},
            today=TODAY,
        )
    assert refused.value.errors == {
        "received_on": "La date de réception ne peut pas être dans le futur.",
        "received": "Le montant reçu doit être positif.",
    }
    received = money_in.schedule(session, gestion, grant.id, today=TODAY).tranches[0]
    with pytest.raises(ValidationFailed) as refused:
        money_in.record_receipt(
            session,
            gestion,
            received.id,
            expected_version=received.version,
            data={"received_on": date(2026, 11, 1), "received": "10"},
            today=TODAY,
        )
    assert refused.value.errors["received_on"].startswith("Ce versement est déjà enregistré comme reçu")


def test_a_schedule_never_exceeds_the_convention(session, world):
    _lyon, _grenoble, grant, *_ = world
    gestion = who(session, Role.GESTION)
    tranche = {"expected_on": date(2027, 3, 1), "expected": "0,01", "condition": TrancheCondition.ON_RECEIPTS}

    with pytest.raises(ValidationFailed) as refused:
        money_in.create_tranche(session, gestion, grant_id=grant.id, data=tranche, today=TODAY)
    assert refused.value.errors == {
        "expected": "Les versements prévus totaliseraient 100\u202f000,01\xa0€, plus que le montant de la "
        "convention (100\u202f000,00\xa0€) : il reste 0,00\xa0€ à répartir."
    }
    with pytest.raises(ValidationFailed) as refused:
        money_in.create_tranche(
            session,
            gestion,
            grant_id=grant.id,
            data={"expected_on": date(2028, 7, 1), "expected": "", "condition": None, "received_on": date(2026, 1, 2)},
            today=TODAY,
        )
    assert refused.value.errors == {
        "expected": "Le montant est obligatoire.",
        "condition": "Choisissez la condition du versement.",
        "received": "Indiquez le montant reçu.",
        "expected_on": "La date prévue doit se situer entre le 1 janv. 2025 et le 30 juin 2028 (période de la "
        "convention, et un an pour le solde).",
    }
    assert session.execute(text("SELECT count(*) FROM grant_tranche")).scalar_one() == 3


def test_a_tranche_is_corrected_over_the_version_seen(session, world):
    _lyon, _grenoble, grant, *_ = world
    gestion = who(session, Role.GESTION)
    last = money_in.schedule(session, gestion, grant.id, today=TODAY).tranches[2]
    corrected = {"expected_on": date(2027, 8, 31), "expected": "15 000", "condition": TrancheCondition.FINAL_REPORT}

    money_in.update_tranche(session, gestion, last.id, expected_version=last.version, data=corrected, today=TODAY)
    with pytest.raises(StaleRecord):
        money_in.update_tranche(session, gestion, last.id, expected_version=last.version, data=corrected, today=TODAY)

    stored = session.execute(
        text("SELECT expected_on, expected_cents FROM grant_tranche WHERE id = :id"), {"id": last.id}
    ).one()
    assert (str(stored[0]), stored[1]) == ("2027-08-31", 1_500_000)


def test_gestion_adds_a_tranche_and_a_report(session, world):
    _lyon, _grenoble, grant, *_ = world
    gestion = who(session, Role.GESTION)
    money_in.update_tranche(
        session,
        gestion,
        money_in.schedule(session, gestion, grant.id, today=TODAY).tranches[2].id,
        expected_version=1,
        data={"expected_on": date(2027, 9, 30), "expected": "10 000", "condition": TrancheCondition.FINAL_REPORT},
        today=TODAY,
    )
    tranche_id = money_in.create_tranche(
        session,
        gestion,
        grant_id=grant.id,
        data={"expected_on": date(2026, 12, 15), "expected": "10 000", "condition": TrancheCondition.ON_RECEIPTS},
        today=TODAY,
    )
    report_id = money_in.create_report(
        session, gestion, grant_id=grant.id, data={"kind": ReportKind.INTERIM, "due_on": date(2027, 1, 31)}, today=TODAY
    )
    rows = session.execute(
        text("SELECT action, entity_id FROM audit_event WHERE action LIKE 'grant_%' ORDER BY id")
    ).all()
    assert [tuple(r) for r in rows] == [
        ("grant_tranche.update", rows[0][1]),
        ("grant_tranche.create", str(tranche_id)),
        ("grant_report.create", str(report_id)),
    ]
    with pytest.raises(ValidationFailed) as refused:
        money_in.create_report(
            session,
            gestion,
            grant_id=grant.id,
            data={"kind": ReportKind.FINAL, "due_on": date(2025, 12, 1), "submitted_on": date(2026, 12, 1)},
            today=TODAY,
        )
    assert refused.value.errors == {
        "submitted_on": "La date d'envoi ne peut pas être dans le futur.",
        "due_on": "La date limite doit se situer entre le début de la convention (1 janv. 2026) et un an après "
        "sa fin (30 juin 2028).",
    }


def test_the_cofinancing_plan_and_each_share_of_the_action(session, world):
    _lyon, _grenoble, grant, agrasc, region, city = world
    gestion = who(session, Role.GESTION)
    money_in.create_cofunding(
        session, gestion, grant_id=grant.id, data={"funder_id": region.id, "amount": "30 000", "is_confirmed": True}
    )
    money_in.create_cofunding(session, gestion, grant_id=grant.id, data={"funder_id": city.id, "amount": "20 000"})

    found = money_in.schedule(session, gestion, grant.id, today=TODAY)
    assert found.action_budget_cents == 15_000_000
    assert [(c.funder_name, c.amount_cents, c.is_confirmed, round(float(c.share), 4)) for c in found.cofunding] == [
        ("AGRASC", 10_000_000, True, 0.6667),
        ("Région Auvergne-Rhône-Alpes", 3_000_000, True, 0.2),
        ("Ville de Lyon", 2_000_000, False, 0.1333),
    ]
    with pytest.raises(ValidationFailed) as refused:
        money_in.create_cofunding(session, gestion, grant_id=grant.id, data={"funder_id": agrasc.id, "amount": "1"})
    assert refused.value.errors == {
        "funder_id": "Ce financeur est celui de la convention : choisissez un autre cofinanceur."
    }
    with pytest.raises(ValidationFailed) as refused:
        money_in.create_cofunding(session, gestion, grant_id=grant.id, data={"funder_id": city.id, "amount": "-5"})
    assert refused.value.errors == {
        "amount": "Le montant doit être positif.",
        "funder_id": "Ce financeur figure déjà dans le plan de financement.",
    }
    assert session.execute(text("SELECT count(*) FROM grant_cofunding")).scalar_one() == 2
    assert session.get(GrantCofunding, found.cofunding[2].id).is_confirmed is False


def test_payments_and_reports_due_on_the_home_page(session, world):
    _lyon, _grenoble, grant, *_ = world
    gestion = who(session, Role.GESTION)
    session.add(
        GrantTranche(
            grant_id=grant.id, expected_on=date(2027, 2, 1), expected_cents=10_000, condition=TrancheCondition.SCHEDULED
        )
    )
    session.flush()

    due = money_in.due_soon(session, gestion, today=TODAY)

    # within 60 days of 2026-11-18 (up to 2027-01-17) and every overdue one; not the tranche of 2027-02-01
    assert [(p.expected_on, p.expected_cents, p.overdue) for p in due.payments] == [
        (date(2026, 10, 1), 4_000_000, True)
    ]
    assert [(r.kind, r.due_on, r.overdue) for r in due.reports] == [(ReportKind.INTERIM, date(2026, 9, 30), True)]
    assert due.payments[0].grant_label == grant.name


@pytest.mark.parametrize("role", [Role.CHEF_SERVICE, Role.INTERVENANT, Role.FINANCEUR, Role.FORMATEUR, Role.ADMIN])
def test_only_budget_staff_of_every_site_read_the_cash(session, world, role):
    lyon, _grenoble, grant, *_ = world
    other = who(session, role, lyon)
    with pytest.raises(PermissionDenied):
        money_in.schedule(session, other, grant.id, today=TODAY)
    with pytest.raises(PermissionDenied):
        money_in.due_soon(session, other, today=TODAY)


def test_direction_reads_but_never_writes(session, world):
    _lyon, _grenoble, grant, *_ = world
    direction = who(session, Role.DIRECTION)
    assert money_in.schedule(session, direction, grant.id, today=TODAY).cash.received_cents == 3_800_000
    tranche = money_in.schedule(session, direction, grant.id, today=TODAY).tranches[1]
    with pytest.raises(PermissionDenied):
        money_in.record_receipt(
            session,
            direction,
            tranche.id,
            expected_version=tranche.version,
            data={"received_on": TODAY, "received": "1"},
            today=TODAY,
        )
    with pytest.raises(PermissionDenied):
        money_in.create_report(
            session, direction, grant_id=grant.id, data={"kind": ReportKind.FINAL, "due_on": TODAY}, today=TODAY
        )
    with pytest.raises(NotFound):
        money_in.schedule(session, direction, grant.id + 1000, today=TODAY)
