"""Recruitment follow-up of funded posts: stages, the planned start inside the convention's plan, which
posts are late to fill, who may read and write."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session

from models.money_in import PostRecruitment, RecruitmentStage
from models.organisation import Role, Site
from models.staffing import PostType
from services.finance.staffing import recruitment
from services.finance.staffing.recruitment import RecruitmentStatus
from services.platform.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from services.platform.principal import Principal
from tests import factories

TODAY = date(2026, 11, 18)


def who(session: Session, role: Role, *sites: Site) -> Principal:
    return factories.principal(session, factories.a_user(session, role, *sites))


@pytest.fixture
def world(session: Session):
    """An 18-month convention (2026-01-01 → 2027-06-30) on Lyon and Grenoble funding four posts: a Lyon CIP
    planned for 2026-09-01 and still at interviews (late by 78 days), a Lyon health post planned for
    2026-12-01 not advertised yet (at risk), a Grenoble social worker in post since 2026-03-02, a Grenoble
    FLE trainer without plan; and a Lyon post that no grant funds."""
    lyon, grenoble = factories.lyon_and_grenoble(session)
    convention = factories.a_staff_grant(
        session, factories.a_funder(session), lyon, grenoble, starts_on=date(2026, 1, 1), ends_on=date(2027, 6, 30)
    )

    def funded(site: Site, post_type: PostType):
        return factories.a_funded_post(
            session,
            site,
            monthly_cost_cents=400_000,
            funding=[(convention, 10_000)],
            history=[],
            starts_on=date(2026, 1, 1),
            post_type=post_type,
        )

    cip = funded(lyon, PostType.CIP)
    health = funded(lyon, PostType.HEALTH_PROFESSIONAL)
    social = funded(grenoble, PostType.SOCIAL_WORKER)
    fle = funded(grenoble, PostType.FLE_TRAINER)
    unfunded = factories.a_post(session, lyon, post_type=PostType.COORDINATION)
    session.add_all(
        [
            PostRecruitment(
                post_id=cip.id,
                planned_start_on=date(2026, 9, 1),
                advertised_on=date(2026, 6, 15),
                interviews_on=date(2026, 8, 20),
            ),
            PostRecruitment(post_id=health.id, planned_start_on=date(2026, 12, 1)),
            PostRecruitment(
                post_id=social.id,
                planned_start_on=date(2026, 3, 1),
                advertised_on=date(2026, 1, 10),
                interviews_on=date(2026, 2, 1),
                hired_on=date(2026, 2, 10),
                started_on=date(2026, 3, 2),
            ),
        ]
    )
    session.flush()
    return lyon, grenoble, convention, cip, health, social, fle, unfunded


def test_the_late_funded_posts_come_first(session, world):
    _lyon, _grenoble, _convention, cip, health, social, fle, _unfunded = world
    rows = recruitment.funded_posts(session, who(session, Role.DIRECTION), today=TODAY)

    assert [(r.post_id, r.stage, r.status, r.late_days) for r in rows] == [
        (cip.id, RecruitmentStage.INTERVIEWS, RecruitmentStatus.LATE, 78),
        (health.id, RecruitmentStage.TO_OPEN, RecruitmentStatus.AT_RISK, 0),
        (fle.id, RecruitmentStage.TO_OPEN, RecruitmentStatus.NO_PLAN, 0),
        (social.id, RecruitmentStage.STARTED, RecruitmentStatus.STARTED, 0),
    ]
    assert [r.post_id for r in recruitment.late_posts(session, who(session, Role.DIRECTION), today=TODAY)] == [cip.id]
    # a month later the health post is late too, and the CIP later still
    later = recruitment.late_posts(session, who(session, Role.GESTION), today=date(2026, 12, 18))
    assert [(r.post_id, r.late_days) for r in later] == [(cip.id, 108), (health.id, 17)]


def test_a_head_of_service_follows_its_own_sites_only(session, world):
    _lyon, grenoble, _convention, _cip, _health, social, fle, _unfunded = world
    rows = recruitment.funded_posts(session, who(session, Role.CHEF_SERVICE, grenoble), today=TODAY)
    assert sorted(r.post_id for r in rows) == sorted([social.id, fle.id])


@pytest.mark.parametrize("role", [Role.INTERVENANT, Role.FINANCEUR, Role.FORMATEUR, Role.ADMIN])
def test_other_roles_never_read_the_recruitments(session, world, role):
    lyon, *_ = world
    with pytest.raises(PermissionDenied):
        recruitment.funded_posts(session, who(session, role, lyon), today=TODAY)


def test_gestion_plans_a_recruitment_and_records_its_stages(session, world):
    _lyon, _grenoble, _convention, cip, _health, _social, fle, _unfunded = world
    gestion = who(session, Role.GESTION)
    plan_id = recruitment.save_recruitment(
        session,
        gestion,
        fle.id,
        expected_version=None,
        data={"planned_start_on": date(2027, 1, 4), "advertised_on": date(2026, 11, 2)},
        today=TODAY,
    )
    stored = session.execute(
        text("SELECT planned_start_on, advertised_on, interviews_on, version FROM post_recruitment WHERE id = :id"),
        {"id": plan_id},
    ).one()
    assert (str(stored[0]), str(stored[1]), stored[2], stored[3]) == ("2027-01-04", "2026-11-02", None, 1)

    cip_plan = next(r for r in recruitment.funded_posts(session, gestion, today=TODAY) if r.post_id == cip.id)
    recruitment.save_recruitment(
        session,
        gestion,
        cip.id,
        expected_version=cip_plan.version,
        data={
            "planned_start_on": date(2026, 9, 1),
            "advertised_on": date(2026, 6, 15),
            "interviews_on": date(2026, 8, 20),
            "hired_on": date(2026, 11, 10),
            "started_on": date(2026, 11, 16),
        },
        today=TODAY,
    )
    assert recruitment.late_posts(session, gestion, today=TODAY) == []
    with pytest.raises(StaleRecord):
        recruitment.save_recruitment(
            session,
            gestion,
            cip.id,
            expected_version=cip_plan.version,
            data={"planned_start_on": date(2026, 9, 1)},
            today=TODAY,
        )
    audited = session.execute(
        text("SELECT action, entity_type, site_id FROM audit_event WHERE action = 'post.recruitment_save'")
    ).all()
    assert len(audited) == 2 and audited[0][1] == "post_recruitment"


def test_stages_in_order_inside_the_plan_and_never_in_the_future(session, world):
    _lyon, _grenoble, _convention, _cip, _health, _social, fle, unfunded = world
    gestion = who(session, Role.GESTION)
    with pytest.raises(ValidationFailed) as refused:
        recruitment.save_recruitment(
            session,
            gestion,
            fle.id,
            expected_version=None,
            data={
                "planned_start_on": date(2027, 7, 1),
                "advertised_on": date(2026, 10, 1),
                "interviews_on": date(2026, 9, 1),
                "started_on": date(2026, 12, 1),
            },
            today=TODAY,
        )
    assert refused.value.errors == {
        "started_on": "Une étape ne peut pas être datée dans le futur.",
        "interviews_on": "Cette étape ne peut précéder l'étape « Annonce publiée » du 1 oct. 2026.",
        "planned_start_on": "La prise de poste prévue doit tomber dans la période d'une convention qui finance "
        "ce poste (1 janv. 2026 → 30 juin 2027).",
    }
    with pytest.raises(ValidationFailed) as refused:
        recruitment.save_recruitment(
            session, gestion, fle.id, expected_version=None, data={"planned_start_on": None}, today=TODAY
        )
    assert refused.value.errors == {"planned_start_on": "Indiquez la date de prise de poste prévue."}
    with pytest.raises(NotFound):
        recruitment.save_recruitment(
            session,
            gestion,
            unfunded.id,
            expected_version=None,
            data={"planned_start_on": date(2026, 12, 1)},
            today=TODAY,
        )
    assert session.execute(text("SELECT count(*) FROM post_recruitment")).scalar_one() == 3


def test_direction_and_heads_of_service_never_write_a_plan(session, world):
    lyon, _grenoble, _convention, cip, *_ = world
    for principal in (who(session, Role.DIRECTION), who(session, Role.CHEF_SERVICE, lyon)):
        with pytest.raises(PermissionDenied):
            recruitment.save_recruitment(
                session,
                principal,
                cip.id,
                expected_version=1,
                data={"planned_start_on": date(2026, 9, 1)},
                today=TODAY,
            )
