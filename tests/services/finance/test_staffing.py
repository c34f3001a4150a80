"""Posts, their history and funding split; staffing figures checked against direct SQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

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


def actions(session: Session) -> list[str]:
    return list(session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all())


def test_gestion_creates_a_post_filled_from_its_start(session, world):
    lyon, _grenoble, _agrasc, _region = world
    gestion = who(session, Role.GESTION)
    post_id = staffing.create_post(
        session,
        gestion,
        site_id=lyon.id,
        post_type=PostType.CIP,
        fte_hundredths=80,
        monthly_cost_cents=312_000,
        starts_on=date(2026, 1, 5),
        holder_name="  Camille   Martin ",
    )
    [row] = staffing.list_posts(session, gestion)
    assert (row.id, row.site_code, row.fte_hundredths, row.is_filled, row.status_since, row.holder_name) == (
        post_id,
        "LYO",
        80,
        True,
        date(2026, 1, 5),
        "Camille Martin",
    )
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
            site_id=lyon.id,
            post_type=PostType.CIP,
            fte_hundredths=101,
            monthly_cost_cents=0,
            starts_on=date(2026, 1, 5),
            ends_on=date(2025, 12, 31),
        )
    assert set(caught.value.errors) == {"fte_hundredths", "monthly_cost_cents", "ends_on"}
    assert "0,01 et 1,00" in caught.value.errors["fte_hundredths"]
    assert session.exec(select(Post)).all() == []


def test_only_gestion_writes(session, world):
    lyon, *_ = world
    for role, sites in ((Role.DIRECTION, ()), (Role.CHEF_SERVICE, (lyon,))):
        with pytest.raises(PermissionDenied):
            staffing.create_post(
                session,
                who(session, role, *sites),
                site_id=lyon.id,
                post_type=PostType.CIP,
                fte_hundredths=100,
                monthly_cost_cents=300_000,
                starts_on=date(2026, 1, 1),
            )


def test_fill_and_vacate_write_the_history_and_are_versioned(session, world):
    lyon, *_ = world
    gestion = who(session, Role.GESTION)
    post_id = staffing.create_post(
        session,
        gestion,
        site_id=lyon.id,
        post_type=PostType.SOCIAL_WORKER,
        fte_hundredths=100,
        monthly_cost_cents=380_000,
        starts_on=date(2025, 9, 1),
        holder_name="Alex Morel",
    )
    staffing.vacate_post(session, gestion, post_id, expected_version=1, on=date(2026, 1, 1), today=TODAY)
    with pytest.raises(StaleRecord):
        staffing.fill_post(
            session, gestion, post_id, expected_version=1, on=date(2026, 2, 1), holder_name="Sam Roux", today=TODAY
        )
    with pytest.raises(ValidationFailed) as caught:
        staffing.fill_post(
            session, gestion, post_id, expected_version=2, on=date(2026, 4, 1), holder_name="", today=TODAY
        )
    assert set(caught.value.errors) == {"on", "holder_name"}
    with pytest.raises(ValidationFailed) as caught:
        staffing.fill_post(
            session, gestion, post_id, expected_version=2, on=date(2025, 12, 1), holder_name="Sam Roux", today=TODAY
        )
    assert "01/01/2026" in caught.value.errors["on"]
    staffing.fill_post(
        session, gestion, post_id, expected_version=2, on=date(2026, 2, 1), holder_name="Sam Roux", today=TODAY
    )
    post = session.get(Post, post_id)
    session.refresh(post)
    assert (post.is_filled, post.status_since, post.holder_name, post.version) == (
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
    post_id = staffing.create_post(
        session,
        gestion,
        site_id=lyon.id,
        post_type=PostType.CIP,
        fte_hundredths=100,
        monthly_cost_cents=300_000,
        starts_on=date(2025, 9, 1),
        holder_name="A B",
    )
    staffing.update_post(
        session,
        gestion,
        post_id,
        expected_version=1,
        changes={"site_id": grenoble.id, "starts_on": date(2025, 8, 1), "fte_hundredths": 50, "holder_name": "A. B."},
    )
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
        staffing.update_post(session, gestion, post_id, expected_version=1, changes={"fte_hundredths": 60})


def test_shares_must_sum_to_exactly_100_percent(session, world):
    lyon, _grenoble, agrasc, region = world
    gestion = who(session, Role.GESTION)
    post = factories.a_funded_post(session, lyon, monthly_cost_cents=300_000, funding=[])
    with pytest.raises(ValidationFailed) as caught:
        staffing.save_funding(
            session,
            gestion,
            post.id,
            [(agrasc.grant.id, agrasc.strand.id, "50"), (region.grant.id, region.strand.id, "49,99")],
        )
    assert caught.value.errors == {"shares": "Les parts doivent totaliser exactement 100 % (total actuel : 99,99 %)."}
    with pytest.raises(ValidationFailed) as caught:
        staffing.save_funding(
            session,
            gestion,
            post.id,
            [(agrasc.grant.id, agrasc.strand.id, 60), (region.grant.id, region.strand.id, "40,01")],
        )
    assert "100,01 %" in caught.value.errors["shares"]
    with pytest.raises(ValidationFailed) as caught:
        staffing.save_funding(
            session,
            gestion,
            post.id,
            [(agrasc.grant.id, agrasc.strand.id, "33,333"), (region.grant.id, region.strand.id, "66,667")],
        )
    assert set(caught.value.errors) == {"share_1", "share_2"}
    assert session.exec(select(PostFunding)).all() == []
    staffing.save_funding(
        session,
        gestion,
        post.id,
        [(agrasc.grant.id, agrasc.strand.id, "33,34"), (region.grant.id, region.strand.id, Decimal("66.66"))],
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
        staffing.save_funding(session, gestion, post.id, [(region.grant.id, region.strand.id, 100)])
    assert "64 – Charges de personnel" in caught.value.errors["grant_1"]
    # a grant covering the site but without a 64 line there is refused too
    other = factories.a_staff_grant(
        session, factories.a_funder(session, "Ville"), grenoble, planned={BudgetCategory.PURCHASES: 100_000}
    )
    with pytest.raises(ValidationFailed):
        staffing.save_funding(session, gestion, post.id, [(other.grant.id, other.strand.id, 100)])
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
        staffing.create_post(
            session,
            gestion,
            site_id=lyon.id,
            post_type=PostType.CIP,
            fte_hundredths=100,
            monthly_cost_cents=300_000,
            starts_on=date(2026, 1, 1),
            shares=[(agrasc.grant.id, agrasc.strand.id, "60"), (region.grant.id, region.strand.id, "39,99")],
        )
    assert caught.value.errors == {"shares": "Les parts doivent totaliser exactement 100 % (total actuel : 99,99 %)."}
    assert session.exec(select(Post)).all() == []
    post_id = staffing.create_post(
        session,
        gestion,
        site_id=lyon.id,
        post_type=PostType.CIP,
        fte_hundredths=100,
        monthly_cost_cents=300_000,
        starts_on=date(2026, 1, 1),
        shares=[(agrasc.grant.id, agrasc.strand.id, "60"), (region.grant.id, region.strand.id, "40")],
    )
    assert [r.funded_bp for r in staffing.list_posts(session, gestion) if r.id == post_id] == [10_000]
