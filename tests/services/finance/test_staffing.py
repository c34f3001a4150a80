"""Posts, their history and funding split; staffing figures checked against direct SQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from models.audit import AuditEvent
from models.finance import BudgetCategory
from models.organisation import Role, Site
from models.staffing import Post, PostFunding, PostStatusChange, PostType
from services.finance.staffing import figures as staffing_figures
from services.finance.staffing import posts as staffing
from services.platform.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from services.platform.principal import Principal
from tests import factories

TODAY = date(2026, 3, 15)


def who(session: Session, role: Role, *sites: Site) -> Principal:
    return factories.principal(session, factories.a_user(session, role, *sites))


@pytest.fixture
def world(session: Session):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    agrasc = factories.a_staff_grant(session, factories.a_funder(session, "AGRASC"), lyon, grenoble)
    region = factories.a_staff_grant(session, factories.a_funder(session, "Région"), lyon)
    return lyon, grenoble, agrasc, region


def post(site: Site, **changes) -> dict[str, object]:
    """A post as the post form sends it: the working time in FTE, the monthly cost in euros (number widgets)."""
    data = {
        "site_id": site.id,
        "post_type": PostType.CIP,
        "fte": 1.0,
        "monthly_cost": 3000.0,
        "starts_on": date(2026, 1, 1),
        "ends_on": None,
        "holder_name": "",
    }
    return data | changes


def share(convention: factories.StaffGrant, percent: object) -> dict[str, object]:
    return {"grant_id": convention.grant.id, "strand_id": convention.strand.id, "percent": percent}


def actions(session: Session) -> list[str]:
    return list(session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all())


def test_gestion_creates_a_post_filled_from_its_start(session, world):
    lyon, _grenoble, _agrasc, _region = world
    gestion = who(session, Role.GESTION)
    post_id = staffing.create_post(
        session,
        gestion,
        data=post(lyon, fte=0.8, monthly_cost=3120.0, starts_on=date(2026, 1, 5), holder_name="  Camille   Martin "),
    )
    [row] = staffing.list_posts(session, gestion)
    assert (row.id, row.site_code, row.fte_hundredths, row.monthly_cost_cents, row.is_filled) == (
        post_id,
        "LYO",
        80,
        312_000,
        True,
    )
    assert (row.status_since, row.holder_name) == (date(2026, 1, 5), "Camille Martin")
    history = session.exec(select(PostStatusChange).where(PostStatusChange.post_id == post_id)).all()
    assert [(h.changed_on, h.is_filled) for h in history] == [(date(2026, 1, 5), True)]
    assert actions(session) == ["post.create"]


def test_post_fields_are_validated(session, world):
    lyon, *_ = world
    gestion = who(session, Role.GESTION)
    with pytest.raises(ValidationFailed) as caught:
        staffing.create_post(
            session,
            gestion,
            data=post(lyon, fte=1.01, monthly_cost=0.0, starts_on=date(2026, 1, 5), ends_on=date(2025, 12, 31)),
        )
    assert caught.value.errors == {
        "fte": "Le temps de travail doit être compris entre 0,01 et 1,00 ETP.",
        "monthly_cost": "Indiquez le coût mensuel chargé du poste (supérieur à 0 €).",
        "ends_on": "La date de fin doit suivre la date de début.",
    }
    with pytest.raises(ValidationFailed) as caught:
        staffing.create_post(
            session, gestion, data=post(lyon, monthly_cost=50_000.01, holder_name="x" * 121, starts_on=None)
        )
    assert caught.value.errors == {
        "monthly_cost": "Ce coût mensuel dépasse 50 000 € : vérifiez la saisie.",
        "holder_name": "Le nom du titulaire ne peut dépasser 120 caractères.",
        "starts_on": "Indiquez la date de début du poste.",
    }
    assert session.exec(select(Post)).all() == []


def test_the_monthly_cost_is_rounded_to_the_cent_halves_away_from_zero(session, world):
    """The cost comes from a number widget in euros: 0,005 € is 1 cent (README: halves away from zero),
    where rounding half to even would give 0 and refuse the post."""
    lyon, *_ = world
    gestion = who(session, Role.GESTION)
    cents = {}
    for typed in (0.005, 1234.565, 0.015, "2 000,50"):
        post_id = staffing.create_post(session, gestion, data=post(lyon, monthly_cost=typed))
        cents[typed] = session.get(Post, post_id).monthly_cost_cents
    assert cents == {0.005: 1, 1234.565: 123_457, 0.015: 2, "2 000,50": 200_050}
    with pytest.raises(ValidationFailed) as caught:
        staffing.create_post(session, gestion, data=post(lyon, monthly_cost=0.004))
    assert set(caught.value.errors) == {"monthly_cost"}  # 0 cent: not a cost


def test_only_gestion_writes(session, world):
    lyon, *_ = world
    for role, sites in ((Role.DIRECTION, ()), (Role.CHEF_SERVICE, (lyon,))):
        with pytest.raises(PermissionDenied):
            staffing.create_post(session, who(session, role, *sites), data=post(lyon))


def test_fill_and_vacate_write_the_history_and_are_versioned(session, world):
    lyon, *_ = world
    gestion = who(session, Role.GESTION)
    post_id = staffing.create_post(
        session,
        gestion,
        data=post(
            lyon,
            post_type=PostType.SOCIAL_WORKER,
            monthly_cost=3800.0,
            starts_on=date(2025, 9, 1),
            holder_name="Alex Morel",
        ),
    )
    staffing.vacate_post(session, gestion, post_id, expected_version=1, data={"on": date(2026, 1, 1)}, today=TODAY)
    sam = {"on": date(2026, 2, 1), "holder_name": "Sam Roux"}
    with pytest.raises(StaleRecord):
        staffing.fill_post(session, gestion, post_id, expected_version=1, data=sam, today=TODAY)
    with pytest.raises(ValidationFailed) as caught:
        staffing.fill_post(
            session, gestion, post_id, expected_version=2, data={"on": date(2026, 4, 1), "holder_name": ""}, today=TODAY
        )
    assert caught.value.errors == {
        "on": "La date ne peut pas être dans le futur.",
        "holder_name": "Indiquez le nom du ou de la titulaire.",
    }
    with pytest.raises(ValidationFailed) as caught:
        staffing.fill_post(
            session, gestion, post_id, expected_version=2, data=sam | {"on": date(2025, 12, 1)}, today=TODAY
        )
    assert caught.value.errors == {
        "on": "La date ne peut précéder le 01/01/2026 (dernier changement de situation du poste)."
    }
    with pytest.raises(ValidationFailed) as caught:
        staffing.vacate_post(session, gestion, post_id, expected_version=2, data={"on": date(2026, 2, 1)}, today=TODAY)
    assert caught.value.errors == {"_form": "Le poste est déjà vacant."}
    staffing.fill_post(session, gestion, post_id, expected_version=2, data=sam, today=TODAY)
    row = session.get(Post, post_id)
    session.refresh(row)
    assert (row.is_filled, row.status_since, row.holder_name, row.version) == (
        True,
        date(2026, 2, 1),
        "Sam Roux",
        3,
    )
    history = session.exec(
        select(PostStatusChange.changed_on, PostStatusChange.is_filled)
        .where(PostStatusChange.post_id == post_id)
        .order_by(PostStatusChange.id)
    ).all()
    assert [tuple(h) for h in history] == [
        (date(2025, 9, 1), True),
        (date(2026, 1, 1), False),
        (date(2026, 2, 1), True),
    ]
    assert actions(session) == ["post.create", "post.vacate", "post.fill"]


def test_update_post_is_versioned_and_moves_the_first_history_row(session, world):
    lyon, grenoble, *_ = world
    gestion = who(session, Role.GESTION)
    created = post(lyon, starts_on=date(2025, 9, 1), holder_name="A B")
    post_id = staffing.create_post(session, gestion, data=created)
    edited = created | {"site_id": grenoble.id, "starts_on": date(2025, 8, 1), "fte": 0.5, "holder_name": "A. B."}
    staffing.update_post(session, gestion, post_id, expected_version=1, data=edited)
    [row] = staffing.list_posts(session, gestion)
    assert (row.site_code, row.starts_on, row.status_since, row.fte_hundredths, row.holder_name, row.version) == (
        "GRE",
        date(2025, 8, 1),
        date(2025, 8, 1),
        50,
        "A. B.",
        2,
    )
    with pytest.raises(StaleRecord):
        staffing.update_post(session, gestion, post_id, expected_version=1, data=edited | {"fte": 0.6})
    with pytest.raises(ValidationFailed) as caught:
        staffing.update_post(session, gestion, post_id, expected_version=2, data=edited | {"holder_name": " "})
    assert caught.value.errors == {
        "holder_name": "Un poste pourvu a un titulaire : pour le libérer, utilisez « Déclarer vacant »."
    }


def test_shares_must_sum_to_exactly_100_percent(session, world):
    lyon, _grenoble, agrasc, region = world
    gestion = who(session, Role.GESTION)
    post = factories.a_funded_post(session, lyon, monthly_cost_cents=300_000, funding=[])
    with pytest.raises(ValidationFailed) as caught:
        staffing.save_funding(
            session,
            gestion,
            post.id,
            [share(agrasc, "50"), share(region, "49,99")],
        )
    assert caught.value.errors == {"shares": "Les parts doivent totaliser exactement 100 % (total actuel : 99,99 %)."}
    with pytest.raises(ValidationFailed) as caught:
        staffing.save_funding(
            session,
            gestion,
            post.id,
            [share(agrasc, 60), share(region, "40,01")],
        )
    assert "100,01 %" in caught.value.errors["shares"]
    with pytest.raises(ValidationFailed) as caught:
        staffing.save_funding(
            session,
            gestion,
            post.id,
            [share(agrasc, "33,333"), share(region, "66,667")],
        )
    assert caught.value.errors == {
        "share_1": "Ligne 1 : part illisible (attendu par exemple 50 ou 33,34).",
        "share_2": "Ligne 2 : part illisible (attendu par exemple 50 ou 33,34).",
    }
    with pytest.raises(ValidationFailed) as caught:
        staffing.save_funding(
            session,
            gestion,
            post.id,
            [share(agrasc, 0), {"grant_id": None, "strand_id": None, "percent": None}, share(agrasc, 100.0)],
        )
    assert caught.value.errors == {  # the blank second row of the form is ignored, not renumbered
        "share_1": "Ligne 1 : la part doit être comprise entre 0,01 % et 100 %.",
        "grant_3": "Ligne 3 : une convention ne peut apparaître qu'une fois.",
    }
    assert session.exec(select(PostFunding)).all() == []
    staffing.save_funding(
        session,
        gestion,
        post.id,
        [share(agrasc, "33,34"), share(region, 66.66)],
    )
    shares = session.exec(
        select(PostFunding.grant_id, PostFunding.share_bp, PostFunding.strand_id).order_by(PostFunding.grant_id)
    ).all()
    assert [tuple(s) for s in shares] == [
        (agrasc.grant.id, 3334, agrasc.strand.id),
        (region.grant.id, 6666, region.strand.id),
    ]
    assert actions(session) == ["post.funding"]


def test_grant_must_cover_the_site_with_a_64_line(session, world):
    lyon, grenoble, agrasc, region = world
    gestion = who(session, Role.GESTION)
    post = factories.a_funded_post(session, grenoble, monthly_cost_cents=300_000, funding=[])
    options = staffing.funding_options(session, gestion, post.id)
    assert [(o.grant_id, o.strand_id) for o in options] == [(agrasc.grant.id, agrasc.strand.id)]
    with pytest.raises(ValidationFailed) as caught:
        staffing.save_funding(session, gestion, post.id, [share(region, 100)])
    assert "64 – Charges de personnel" in caught.value.errors["grant_1"]
    # a grant covering the site but without a 64 line there is refused too
    other = factories.a_staff_grant(
        session, factories.a_funder(session, "Ville"), grenoble, planned={BudgetCategory.PURCHASES: 100_000}
    )
    with pytest.raises(ValidationFailed):
        staffing.save_funding(session, gestion, post.id, [share(other, 100)])
    assert isinstance(lyon, Site)


def test_chef_service_sees_own_sites_only(session, world):
    lyon, grenoble, agrasc, _region = world
    factories.a_funded_post(session, lyon, monthly_cost_cents=300_000, funding=[(agrasc, 10_000)])
    far = factories.a_funded_post(
        session,
        grenoble,
        monthly_cost_cents=200_000,
        funding=[(agrasc, 10_000)],
        history=[(date(2025, 1, 1), True), (date(2025, 12, 1), False)],
    )
    chef = who(session, Role.CHEF_SERVICE, lyon)
    assert {r.site_code for r in staffing.list_posts(session, chef)} == {"LYO"}
    assert {f.site_code for f in staffing_figures.fte_by_site_and_type(session, chef, today=TODAY)} == {"LYO"}
    assert staffing_figures.vacancies(session, chef, today=TODAY) == []
    assert [c.monthly_cents for c in staffing_figures.monthly_cost_by_grant(session, chef, today=TODAY)] == [300_000]
    with pytest.raises(NotFound):
        staffing.funding_options(session, chef, far.id)
    direction = who(session, Role.DIRECTION)
    assert {r.site_code for r in staffing.list_posts(session, direction)} == {"LYO", "GRE"}
    for role in (Role.INTERVENANT, Role.FINANCEUR, Role.ADMIN, Role.FORMATEUR):
        with pytest.raises(PermissionDenied):
            staffing.list_posts(session, who(session, role, lyon))


def test_vacancy_durations_and_fte_today(session, world):
    lyon, grenoble, agrasc, _region = world
    factories.a_funded_post(session, lyon, monthly_cost_cents=300_000, funding=[(agrasc, 10_000)], fte_hundredths=80)
    vacant = factories.a_funded_post(
        session,
        lyon,
        monthly_cost_cents=300_000,
        funding=[(agrasc, 10_000)],
        history=[(date(2025, 1, 1), True), (date(2025, 12, 20), False)],
    )
    factories.a_funded_post(
        session, grenoble, monthly_cost_cents=300_000, funding=[(agrasc, 10_000)], ends_on=date(2026, 1, 31)
    )  # closed: not counted
    direction = who(session, Role.DIRECTION)
    [vacancy] = staffing_figures.vacancies(session, direction, today=TODAY)
    assert (vacancy.post_id, vacancy.vacant_since, vacancy.days) == (vacant.id, date(2025, 12, 20), 85)
    [figure] = staffing_figures.fte_by_site_and_type(session, direction, today=TODAY)
    assert (
        figure.site_code,
        figure.posts,
        figure.funded_hundredths,
        figure.filled_hundredths,
        figure.vacant_posts,
    ) == ("LYO", 2, 180, 80, 1)


def test_monthly_cost_by_grant_splits_each_post_exactly(session, world):
    lyon, _grenoble, agrasc, region = world
    factories.a_funded_post(session, lyon, monthly_cost_cents=100_001, funding=[(agrasc, 5_000), (region, 5_000)])
    factories.a_funded_post(session, lyon, monthly_cost_cents=300_000, funding=[(agrasc, 10_000)])
    costs = staffing_figures.monthly_cost_by_grant(session, who(session, Role.GESTION), today=TODAY)
    assert {c.grant_id: c.monthly_cents for c in costs} == {agrasc.grant.id: 350_001, region.grant.id: 50_000}
    assert sum(c.monthly_cents for c in costs) == 400_001


FILLED_ON = text("""
    SELECT COALESCE(SUM(p.fte_hundredths), 0) FROM post p
    WHERE p.starts_on <= :day AND (p.ends_on IS NULL OR p.ends_on >= :day)
      AND (SELECT c.is_filled FROM post_status_change c WHERE c.post_id = p.id AND c.changed_on <= :day
           ORDER BY c.changed_on DESC, c.id DESC LIMIT 1) = :yes
""")
FUNDED_ON = text("""
    SELECT COALESCE(SUM(p.fte_hundredths), 0) FROM post p
    WHERE p.starts_on <= :day AND (p.ends_on IS NULL OR p.ends_on >= :day)
""")


def test_fte_series_matches_direct_sql(session, world):
    lyon, grenoble, agrasc, _region = world
    factories.a_funded_post(
        session,
        lyon,
        monthly_cost_cents=1,
        funding=[(agrasc, 10_000)],
        fte_hundredths=80,
        starts_on=date(2024, 6, 1),
        history=[(date(2024, 6, 1), True), (date(2025, 3, 10), False), (date(2025, 7, 1), True)],
    )
    factories.a_funded_post(
        session,
        grenoble,
        monthly_cost_cents=1,
        funding=[(agrasc, 10_000)],
        starts_on=date(2025, 5, 15),
        ends_on=date(2025, 11, 30),
        history=[(date(2025, 5, 15), False), (date(2025, 6, 2), True)],
    )
    factories.a_funded_post(
        session,
        grenoble,
        monthly_cost_cents=1,
        funding=[(agrasc, 10_000)],
        fte_hundredths=50,
        starts_on=date(2025, 10, 1),
        history=[(date(2025, 10, 1), False)],
    )
    series = staffing_figures.fte_series(session, who(session, Role.DIRECTION), today=TODAY)
    assert len(series) == 18 and series[0].month == date(2024, 10, 1) and series[-1].day == TODAY
    for point in series:
        funded = session.execute(FUNDED_ON, {"day": point.day}).scalar_one()
        filled = session.execute(FILLED_ON, {"day": point.day, "yes": True}).scalar_one()
        assert (point.funded_hundredths, point.filled_hundredths) == (funded, filled), point
    by_month = {p.month: (p.funded_hundredths, p.filled_hundredths) for p in series}
    # hand count: Lyon vacant 10 March–30 June 2025; Grenoble filled from 2 June; the new post vacant
    assert by_month[date(2025, 3, 1)] == (80, 0)
    assert by_month[date(2025, 6, 1)] == (180, 100)
    assert by_month[date(2025, 10, 1)] == (230, 180)
    assert by_month[date(2026, 3, 1)] == (130, 80)
    chef = who(session, Role.CHEF_SERVICE, grenoble)
    assert staffing_figures.fte_series(session, chef, today=TODAY)[-1].funded_hundredths == 50


def test_create_post_with_a_bad_split_writes_nothing(session, world):
    lyon, _grenoble, agrasc, region = world
    gestion = who(session, Role.GESTION)
    with pytest.raises(ValidationFailed) as caught:
        staffing.create_post(session, gestion, data=post(lyon, shares=[share(agrasc, 60.0), share(region, 39.99)]))
    assert caught.value.errors == {"shares": "Les parts doivent totaliser exactement 100 % (total actuel : 99,99 %)."}
    with pytest.raises(ValidationFailed) as caught:
        staffing.create_post(session, gestion, data=post(lyon, fte=0, shares=[]))
    assert caught.value.errors == {  # every message at once: the post's and the split's
        "fte": "Le temps de travail doit être compris entre 0,01 et 1,00 ETP.",
        "shares": "Indiquez au moins une convention qui finance le poste.",
    }
    assert session.exec(select(Post)).all() == []
    post_id = staffing.create_post(session, gestion, data=post(lyon, shares=[share(agrasc, 60.0), share(region, 40.0)]))
    assert [r.funded_bp for r in staffing.list_posts(session, gestion) if r.id == post_id] == [10_000]
