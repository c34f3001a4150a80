"""Funders, grants and budget lines: who sees what, who writes, the rule "lines add up to the grant"."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from i18n import use_language
from i18n.formats import amount, euros
from models.audit import AuditEvent
from models.finance import BudgetCategory, BudgetLine, FunderKind, Grant, Strand
from models.organisation import Role
from services.finance import grants
from services.finance import lines as budget_lines
from services.platform.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from tests.services import budget_world
from tests.services.budget_world import AV, ISP, TODAY


@pytest.fixture
def world(session: Session) -> budget_world.BudgetWorld:
    return budget_world.build(session)


def actions(session: Session) -> list[str]:
    return list(session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all())


def grant_input(world, **changes) -> dict[str, object]:
    """A convention as the grant form sends it: the amount typed, rates in %, strands one a line."""
    data = {
        "funder_id": world.agrasc.grant.funder_id,
        "name": "Fonds de concours 2027",
        "convention_ref": "AGRASC-FDC-2027-001",
        "amount": "900 000,00",
        "starts_on": date(2027, 1, 1),
        "ends_on": date(2028, 6, 30),
        "site_ids": [world.lyon.id, world.grenoble.id],
        "strand_names": f"{AV}\n{ISP}",
        "tolerance": 10.0,
        "indirect_rate": 8.0,
    }
    return data | changes


def row(strand_id, site_id, category, planned, code) -> dict[str, object]:
    """A row of the lines editor as the form sends it (the planned amount as typed)."""
    return {
        "strand_id": strand_id,
        "site_id": site_id,
        "category": category,
        "planned": planned,
        "accounting_code": code,
    }


def inputs_of(rows: list[budget_lines.LineRow]) -> list[dict[str, object]]:
    """The editor's rows as first shown: each planned amount written back as text, the way it is typed."""
    return [row(r.strand_id, r.site_id, r.category, amount(r.planned_cents), r.accounting_code) for r in rows]


# --- funders and grants ---------------------------------------------------------------------------


def test_gestion_creates_a_funder_and_a_grant_with_its_sites_and_strands(session, world):
    funder_id = grants.create_funder(
        session, world.gestion, data={"name": "  Fondation   Humanis ", "kind": FunderKind.FOUNDATION}
    )
    assert [f.name for f in grants.list_funders(session, world.gestion)] == [
        "AGRASC",
        "Fondation Humanis",
        "Région Auvergne-Rhône-Alpes",
    ]
    with pytest.raises(ValidationFailed) as caught:
        grants.create_funder(session, world.gestion, data={"name": "fondation humanis", "kind": FunderKind.FOUNDATION})
    assert caught.value.errors == {"name": "Un financeur porte déjà ce nom."}

    grant_id = grants.create_grant(session, world.gestion, data=grant_input(world, funder_id=funder_id))
    detail = grants.grant_detail(session, world.gestion, grant_id, today=TODAY)
    assert (
        detail.grant.amount_cents,
        detail.grant.funder_name,
        detail.grant.tolerance_bp,
        detail.grant.indirect_rate_bp,
        detail.grant.planned_cents,
        detail.grant.version,
    ) == (90_000_000, "Fondation Humanis", 1000, 800, 0, 1)
    assert [s.code for s in detail.sites] == ["GRE", "LYO"]
    assert [s.name for s in detail.strands] == [AV, ISP]
    assert actions(session) == ["funder.created", "grant.created"]


def test_grant_form_errors_are_french_and_by_field(session, world):
    with pytest.raises(ValidationFailed) as caught:
        grants.create_grant(
            session,
            world.gestion,
            data=grant_input(
                world,
                funder_id=None,
                name=" ",
                convention_ref=world.agrasc.grant.convention_ref.lower(),
                amount="12.50",
                starts_on=date(2027, 1, 1),
                ends_on=date(2027, 1, 1),
                tolerance=51,
                site_ids=[],
                strand_names=" \n ",
            ),
        )
    assert caught.value.errors == {
        "funder_id": "Choisissez un financeur.",
        "name": "L'intitulé du financement est obligatoire.",
        "convention_ref": "Une autre convention porte déjà cette référence.",
        "amount": "Montant illisible « 12.50 » (attendu par exemple 1 234,56).",
        "ends_on": "La date de fin doit être postérieure à la date de début.",
        "tolerance": "La tolérance entre lignes doit être comprise entre 0 et 50 %.",
        "site_ids": "Choisissez au moins un site concerné.",
        "strand_names": "Indiquez au moins un volet (par exemple « Aller-vers »).",
    }
    assert session.exec(select(Grant).where(Grant.name == " ")).first() is None


def test_editing_a_grant_keeps_sites_and_strands_that_have_lines_and_the_booked_expenses_inside(session, world):
    grant = world.agrasc.grant
    data = grant_input(
        world,
        name="AGRASC renouvelé",
        convention_ref=grant.convention_ref,
        amount=amount(grant.amount_cents),
        starts_on=grant.starts_on,
        ends_on=grant.ends_on,
    )
    with pytest.raises(ValidationFailed) as caught:
        grants.update_grant(
            session,
            world.gestion,
            grant.id,
            expected_version=1,
            data=data | {"site_ids": [world.lyon.id], "strand_names": [ISP, "Santé"], "starts_on": date(2026, 3, 1)},
        )
    assert caught.value.errors == {
        "site_ids": "Un site qui a des lignes budgétaires ne peut être retiré : supprimez d'abord ses lignes.",
        "strand_names": "Un volet qui a des lignes budgétaires ne peut être retiré.",
        "ends_on": "1 dépense(s) sont datées hors de cette période : la période ne peut être réduite.",
    }
    grants.update_grant(
        session,
        world.gestion,
        grant.id,
        expected_version=1,
        data=data | {"strand_names": [AV, ISP, "Santé"], "tolerance": 15},
    )
    detail = grants.grant_detail(session, world.gestion, grant.id, today=TODAY)
    assert (detail.grant.name, detail.grant.tolerance_bp, detail.grant.version) == ("AGRASC renouvelé", 1500, 2)
    assert [s.name for s in detail.strands] == [AV, ISP, "Santé"]
    with pytest.raises(StaleRecord):
        grants.update_grant(session, world.gestion, grant.id, expected_version=1, data=data)
    assert actions(session) == ["grant.updated"]


def test_only_gestion_writes_grants_and_funders(session, world):
    for reader in (world.direction, world.chef_lyon, world.financeur_agrasc, world.intervenant):
        with pytest.raises(PermissionDenied):
            grants.create_grant(session, reader, data=grant_input(world))
        with pytest.raises(PermissionDenied):
            grants.create_funder(session, reader, data={"name": "Ville de Lyon", "kind": FunderKind.CITY})
        with pytest.raises(PermissionDenied):
            budget_lines.save_budget_lines(
                session,
                reader,
                grant_id=world.agrasc.grant.id,
                expected_version=1,
                lines=inputs_of(budget_lines.budget_lines(session, world.gestion, world.agrasc.grant.id)),
            )
    assert actions(session) == []


# --- scope ----------------------------------------------------------------------------------------


def test_direction_and_gestion_see_every_grant_with_planned_and_spent_to_date(session, world):
    for principal in (world.direction, world.gestion):
        summaries = {g.convention_ref: g for g in grants.list_grants(session, principal, today=TODAY)}
        agrasc = summaries[world.agrasc.grant.convention_ref]
        # 1 234,56 − 200,00 + 500,00 + 7 000,00; the salary of 31 May is after TODAY
        assert (agrasc.planned_cents, agrasc.spent_cents) == (200_000_00, 8_534_56)
        assert summaries[world.region.grant.convention_ref].spent_cents == 900_00
        assert list(summaries) == [world.agrasc.grant.convention_ref, world.region.grant.convention_ref]


def test_figures_match_a_direct_sql_computation(session, world):
    grant_id = world.agrasc.grant.id
    for principal, site_ids in (
        (world.direction, (world.lyon.id, world.grenoble.id)),
        (world.chef_grenoble, (world.grenoble.id,)),
    ):
        [summary] = [g for g in grants.list_grants(session, principal, today=TODAY) if g.id == grant_id]
        sites = ",".join(str(s) for s in site_ids)
        planned = session.exec(
            text(f"SELECT SUM(planned_cents) FROM budget_line WHERE grant_id = {grant_id} AND site_id IN ({sites})")
        ).one()[0]
        spent = session.exec(
            text(
                f"SELECT SUM(amount_cents) FROM expense WHERE grant_id = {grant_id} "
                f"AND site_id IN ({sites}) AND spent_on <= :today"
            ),
            params={"today": TODAY},
        ).one()[0]
        assert (summary.planned_cents, summary.spent_cents) == (planned, spent)
        lines = budget_lines.budget_lines(session, principal, grant_id, today=TODAY)
        assert sum(line.planned_cents for line in lines) == planned
        assert sum(line.spent_cents for line in lines) == spent


def test_chef_de_service_sees_the_lines_of_its_own_sites_only(session, world):
    grenoble_grants = grants.list_grants(session, world.chef_grenoble, today=TODAY)
    assert [(g.convention_ref, g.planned_cents, g.spent_cents) for g in grenoble_grants] == [
        (world.agrasc.grant.convention_ref, 30_000_00, 500_00)
    ]
    lines = budget_lines.budget_lines(session, world.chef_lyon, world.agrasc.grant.id, today=TODAY)
    assert [(line.site_code, line.strand_name, line.category) for line in lines] == [
        ("LYO", AV, BudgetCategory.PURCHASES),
        ("LYO", ISP, BudgetCategory.STAFF),
    ]
    with pytest.raises(NotFound):
        budget_lines.budget_lines(session, world.chef_grenoble, world.region.grant.id)
    with pytest.raises(NotFound):
        grants.grant_detail(session, world.chef_grenoble, world.region.grant.id)


def test_a_funder_reads_no_grant_detail_nor_line_here(session, world):
    """Grants, their lines and accounting codes are budget staff's; a funder reads its grants through
    services.finance.funded (tests/services/finance/test_budget_consumption.py)."""
    for call in (
        lambda: grants.list_grants(session, world.financeur_agrasc, today=TODAY),
        lambda: grants.grant_detail(session, world.financeur_agrasc, world.agrasc.grant.id),
        lambda: budget_lines.budget_lines(session, world.financeur_agrasc, world.agrasc.grant.id, today=TODAY),
        lambda: budget_lines.line_choices(session, world.financeur_agrasc),
    ):
        with pytest.raises(PermissionDenied):
            call()
    with pytest.raises(PermissionDenied):
        grants.list_grants(session, world.intervenant)


# --- saving the lines -----------------------------------------------------------------------------


def test_the_sum_of_the_lines_must_equal_the_grant_amount_with_the_gap_in_euros(session, world):
    grant_id = world.agrasc.grant.id
    rows = inputs_of(budget_lines.budget_lines(session, world.gestion, grant_id))
    assert rows[0]["accounting_code"] == "AGR-AV-GRE-60"  # strand, then site code, then category
    short = [rows[0] | {"planned": "29 990,00"}, *rows[1:]]
    with pytest.raises(ValidationFailed) as caught:
        budget_lines.save_budget_lines(session, world.gestion, grant_id=grant_id, lines=short, expected_version=1)
    assert caught.value.errors == {
        "total": (
            f"La somme des lignes ({euros(199_990_00)}) doit être égale au montant de la convention "
            f"({euros(200_000_00)}) : il manque {euros(10_00)}."
        )
    }
    assert "199\u202f990,00\u00a0€" in caught.value.errors["total"]  # the French rendering, spelled out
    over = [rows[0] | {"planned": "30 000,01"}, *rows[1:]]
    with pytest.raises(ValidationFailed) as caught:
        budget_lines.save_budget_lines(session, world.gestion, grant_id=grant_id, lines=over, expected_version=1)
    assert caught.value.errors["total"].endswith(f"elle le dépasse de {euros(1)}.")
    assert session.get(Grant, grant_id).version == 1


def test_each_line_is_checked_and_reported_by_its_number(session, world):
    grant_id = world.agrasc.grant.id
    rows = inputs_of(budget_lines.budget_lines(session, world.gestion, grant_id))
    strand_av = world.agrasc.strands[AV].id
    bad = [
        *rows,
        row(strand_av, world.lyon.id, BudgetCategory.TAXES, "-10,00", "AGR-AV-LYO-63"),
        row(strand_av, world.lyon.id, BudgetCategory.PURCHASES, "0", "AGR-AV-LYO-60B"),
        row(strand_av, 999999, BudgetCategory.TAXES, "0", None),
        row(strand_av, world.grenoble.id, BudgetCategory.TAXES, "abc", "agr-av-gre-60"),
        row(strand_av, world.grenoble.id, BudgetCategory.MANAGEMENT, "0", "RAU-ISP-LYO-61"),
    ]
    with pytest.raises(ValidationFailed) as caught:
        budget_lines.save_budget_lines(session, world.gestion, grant_id=grant_id, lines=bad, expected_version=1)
    assert caught.value.errors == {
        "lines.4.planned": "Ligne 4 : le montant prévu ne peut être négatif.",
        "lines.5.key": "Ligne 5 : même volet, même site et même catégorie que la ligne 2 "
        "(une seule ligne par volet × site × catégorie).",
        "lines.6.site": "Ligne 6 : le site doit être un des sites du financement.",
        "lines.7.planned": "Ligne 7 : montant illisible « abc » (attendu par exemple 1 234,56).",
        "lines.7.code": "Ligne 7 : le code analytique « agr-av-gre-60 » est déjà celui de la ligne 1.",
        "lines.8.code": f"Ligne 8 : le code analytique « RAU-ISP-LYO-61 » est déjà utilisé par la convention "
        f"{world.region.grant.convention_ref}.",
    }


def test_gestion_saves_the_lines_in_one_go_and_the_grant_version_guards_the_table(session, world):
    grant_id = world.agrasc.grant.id
    rows = inputs_of(budget_lines.budget_lines(session, world.gestion, grant_id))
    by_code = {r["accounting_code"]: r for r in rows}
    new_lines = [
        by_code["AGR-AV-LYO-60"] | {"planned": "35 000,00", "accounting_code": " AGR-AV-LYO-60 "},
        by_code["AGR-AV-GRE-60"],
        by_code["AGR-ISP-LYO-64"] | {"planned": "125 000"},
        row(world.agrasc.strands[ISP].id, world.grenoble.id, BudgetCategory.INDIRECT, "10 000", "AGR-ISP-GRE-FI"),
    ]
    budget_lines.save_budget_lines(session, world.gestion, grant_id=grant_id, lines=new_lines, expected_version=1)
    saved = {
        r.accounting_code: (r.planned_cents, r.site_code, r.category)
        for r in budget_lines.budget_lines(session, world.gestion, grant_id)
    }
    assert saved == {
        "AGR-AV-LYO-60": (35_000_00, "LYO", BudgetCategory.PURCHASES),
        "AGR-AV-GRE-60": (30_000_00, "GRE", BudgetCategory.PURCHASES),
        "AGR-ISP-LYO-64": (125_000_00, "LYO", BudgetCategory.STAFF),
        "AGR-ISP-GRE-FI": (10_000_00, "GRE", BudgetCategory.INDIRECT),
    }
    assert session.get(Grant, grant_id).version == 2
    assert session.get(BudgetLine, world.agrasc.lines["AGR-AV-LYO-60"].id).version == 2
    assert session.get(BudgetLine, world.agrasc.lines["AGR-AV-GRE-60"].id).version == 1  # untouched
    with pytest.raises(StaleRecord):
        budget_lines.save_budget_lines(session, world.gestion, grant_id=grant_id, lines=new_lines, expected_version=1)
    assert actions(session) == ["budget_lines.saved"]


def test_a_line_with_expenses_cannot_be_dropped_but_an_unused_one_can(session, world):
    grant_id = world.agrasc.grant.id
    rows = {r["accounting_code"]: r for r in inputs_of(budget_lines.budget_lines(session, world.gestion, grant_id))}
    without_grenoble = [rows["AGR-AV-LYO-60"] | {"planned": "70 000,00"}, rows["AGR-ISP-LYO-64"]]
    with pytest.raises(ValidationFailed) as caught:
        budget_lines.save_budget_lines(
            session, world.gestion, grant_id=grant_id, lines=without_grenoble, expected_version=1
        )
    assert caught.value.errors == {
        "lines": "Des dépenses ou des révisions sont rattachées à la ligne AGR-AV-GRE-60 : "
        "elle ne peut être supprimée (mettez son montant prévu à 0)."
    }
    extra = row(world.agrasc.strands[AV].id, world.grenoble.id, BudgetCategory.TAXES, "0", None)
    budget_lines.save_budget_lines(
        session, world.gestion, grant_id=grant_id, lines=[*rows.values(), extra], expected_version=1
    )
    assert len(budget_lines.budget_lines(session, world.gestion, grant_id)) == 4
    budget_lines.save_budget_lines(
        session, world.gestion, grant_id=grant_id, lines=list(rows.values()), expected_version=2
    )
    assert len(budget_lines.budget_lines(session, world.gestion, grant_id)) == 3
    assert session.exec(select(Strand).where(Strand.grant_id == grant_id)).all()  # strands stay


def test_line_choices_for_the_entry_form_follow_the_scope(session, world):
    choices = budget_lines.line_choices(session, world.gestion)
    assert {c.accounting_code for c in choices} == {
        "AGR-AV-LYO-60",
        "AGR-AV-GRE-60",
        "AGR-ISP-LYO-64",
        "RAU-ISP-LYO-61",
    }
    lyon = budget_lines.line_choices(session, world.chef_lyon, grant_id=world.agrasc.grant.id)
    assert {c.site_code for c in lyon} == {"LYO"}
    assert world.who(session, Role.GESTION).can  # a fresh gestion account works without sites


def test_the_amount_typed_is_read_in_the_sessions_notation(session, world):
    with use_language("en"):
        with pytest.raises(ValidationFailed) as caught:
            grants.create_grant(session, world.gestion, data=grant_input(world, amount="900 000,00"))
        assert caught.value.errors == {"amount": "Unreadable amount “900 000,00” (expected for example 1,234.56)."}
        grant_id = grants.create_grant(session, world.gestion, data=grant_input(world, amount="900,000.00"))
    assert grants.grant_detail(session, world.gestion, grant_id, today=TODAY).grant.amount_cents == 90_000_000


def test_funder_form_errors_come_together(session, world):
    with pytest.raises(ValidationFailed) as caught:
        grants.create_funder(session, world.gestion, data={"name": "x" * 161, "kind": "inconnu"})
    assert caught.value.errors == {
        "name": "Le nom ne peut dépasser 160 caractères.",
        "kind": "Choisissez un type de financeur.",
    }
    with pytest.raises(ValidationFailed) as caught:
        grants.create_funder(session, world.gestion, data={"name": "  ", "kind": FunderKind.CITY})
    assert caught.value.errors == {"name": "Le nom du financeur est obligatoire."}
