"""Outreach rounds: logging with French messages by field, scope by site, versioned corrections, monthly figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models.audit import AuditEvent
from models.organisation import Role, Site, User
from models.outreach import OutreachArea, OutreachMode, OutreachRound, OutreachRoundStaff
from models.persons import IntakeOrigin
from services.activities import outreach
from services.activities.outreach import MonthlyOutreach
from services.platform.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from services.platform.principal import Principal
from tests import factories

TODAY = date(2026, 5, 15)


@dataclass
class OutreachWorld:
    lyon: Site
    grenoble: Site
    ts_user: User
    chef_user: User
    cip_user: User
    ts_lyon: Principal
    chef_lyon: Principal
    cip_grenoble: Principal
    direction: Principal


@pytest.fixture
def world(session: Session) -> OutreachWorld:
    lyon, grenoble = factories.lyon_and_grenoble(session)
    ts = factories.a_user(session, Role.INTERVENANT, lyon)
    chef = factories.a_user(session, Role.CHEF_SERVICE, lyon)
    cip = factories.a_user(session, Role.INTERVENANT, grenoble)
    p = factories.principal
    return OutreachWorld(
        lyon,
        grenoble,
        ts,
        chef,
        cip,
        p(session, ts),
        p(session, chef),
        p(session, cip),
        p(session, factories.a_user(session, Role.DIRECTION)),
    )


def street_round(world: OutreachWorld, **changes) -> dict[str, object]:
    """An evening street round in Lyon by the social worker and the head of service, as the form sends it."""
    data = {
        "site_id": world.lyon.id,
        "round_on": TODAY - timedelta(days=1),
        "start_time": time(21, 0),
        "duration_minutes": 180,
        "mode": OutreachMode.STREET,
        "area": OutreachArea.ROADSIDE_VANS,
        "staff_ids": [world.ts_user.id, world.chef_user.id],
        "persons_met": 12,
        "new_contacts": 3,
        "conversations": 7,
        "referred_to_intake": 2,
        "condoms_given": 120,
        "leaflets_given": 15,
        "hygiene_kits_given": 4,
    }
    return data | changes


def round_count(session: Session) -> int:
    return session.exec(select(sa.func.count()).select_from(OutreachRound)).one()


def audit_actions(session: Session) -> list[tuple[str, str, int | None]]:
    rows = session.exec(select(AuditEvent.action, AuditEvent.entity_id, AuditEvent.site_id).order_by(AuditEvent.id))
    return [tuple(row) for row in rows.all()]


# --- logging ------------------------------------------------------------------------------------


def test_a_social_worker_logs_a_round_of_own_site_with_its_team(session, world):
    round_id = outreach.log_round(session, world.ts_lyon, data=street_round(world), today=TODAY)
    stored = session.get(OutreachRound, round_id)
    assert (stored.site_id, stored.round_on, stored.start_time, stored.duration_minutes, stored.mode, stored.area) == (
        world.lyon.id,
        TODAY - timedelta(days=1),
        time(21, 0),
        180,
        OutreachMode.STREET,
        OutreachArea.ROADSIDE_VANS,
    )
    assert (stored.persons_met, stored.new_contacts, stored.conversations, stored.referred_to_intake) == (12, 3, 7, 2)
    assert (stored.condoms_given, stored.leaflets_given, stored.hygiene_kits_given) == (120, 15, 4)
    assert (stored.created_by_id, stored.version) == (world.ts_user.id, 1)
    team = session.exec(select(OutreachRoundStaff.user_id).where(OutreachRoundStaff.round_id == round_id)).all()
    assert sorted(team) == sorted([world.ts_user.id, world.chef_user.id])
    assert audit_actions(session) == [("outreach.round_logged", str(round_id), world.lyon.id)]


BAD_INPUTS = [
    ({"round_on": None}, "round_on", "La date de la maraude est obligatoire."),
    ({"round_on": TODAY + timedelta(days=1)}, "round_on", "La date de la maraude ne peut pas être dans le futur."),
    (
        {"round_on": TODAY - timedelta(days=366)},
        "round_on",
        "Cette maraude date de plus d'un an : elle ne peut plus être saisie.",
    ),
    ({"start_time": None}, "start_time", "Indiquez l'heure de début."),
    ({"duration_minutes": 10}, "duration_minutes", "La durée doit être comprise entre 15 minutes et 12 heures."),
    (
        {"duration_minutes": 12 * 60 + 15},
        "duration_minutes",
        "La durée doit être comprise entre 15 minutes et 12 heures.",
    ),
    ({"duration_minutes": None}, "duration_minutes", "La durée doit être comprise entre 15 minutes et 12 heures."),
    ({"mode": None}, "mode", "Choisissez le type de maraude (présentielle ou dématérialisée)."),
    ({"area": None}, "area", "Choisissez le secteur ou la plateforme."),
    (
        {"area": OutreachArea.ESCORT_SITES},
        "area",
        "Ce secteur correspond à une maraude dématérialisée, pas présentielle.",
    ),
    ({"mode": OutreachMode.ONLINE}, "area", "Ce secteur correspond à une maraude présentielle, pas dématérialisée."),
    ({"persons_met": -1}, "persons_met", "Le nombre ne peut pas être négatif."),
    ({"condoms_given": -5}, "condoms_given", "Le nombre ne peut pas être négatif."),
    ({"persons_met": 501}, "persons_met", "Ce nombre paraît trop élevé (au plus 500) : vérifiez la saisie."),
    ({"leaflets_given": 5001}, "leaflets_given", "Ce nombre paraît trop élevé (au plus 5000) : vérifiez la saisie."),
    (
        {"new_contacts": 13},
        "new_contacts",
        "Les nouveaux contacts ne peuvent pas dépasser le nombre de personnes rencontrées.",
    ),
    (
        {"conversations": 13},
        "conversations",
        "Les entretiens ne peuvent pas dépasser le nombre de personnes rencontrées "
        "(un entretien par personne au plus).",
    ),
    (
        {"referred_to_intake": 13},
        "referred_to_intake",
        "Les orientations vers un accueil ne peuvent pas dépasser le nombre de personnes rencontrées.",
    ),
    ({"staff_ids": []}, "staff_ids", "Indiquez au moins une personne de l'équipe présente."),
]


@pytest.mark.parametrize(
    ("changes", "field", "message"), BAD_INPUTS, ids=[case[1] + str(i) for i, case in enumerate(BAD_INPUTS)]
)
def test_bad_input_is_refused_with_a_french_message_by_field(session, world, changes, field, message):
    with pytest.raises(ValidationFailed) as caught:
        outreach.log_round(session, world.ts_lyon, data=street_round(world, **changes), today=TODAY)
    assert caught.value.errors == {field: message}
    assert round_count(session) == 0 and audit_actions(session) == []


def test_every_wrong_field_is_reported_at_once(session, world):
    data = street_round(
        world, round_on=TODAY + timedelta(days=2), duration_minutes=5, persons_met=2, new_contacts=3, staff_ids=[]
    )
    with pytest.raises(ValidationFailed) as caught:
        outreach.log_round(session, world.ts_lyon, data=data, today=TODAY)
    assert set(caught.value.errors) == {"round_on", "duration_minutes", "new_contacts", "conversations", "staff_ids"}


def test_limits_themselves_are_accepted(session, world):
    data = street_round(
        world,
        round_on=TODAY - timedelta(days=365),
        duration_minutes=15,
        persons_met=0,
        new_contacts=0,
        conversations=0,
        referred_to_intake=0,
        area=OutreachArea.OTHER,
    )
    outreach.log_round(session, world.ts_lyon, data=data, today=TODAY)
    outreach.log_round(
        session,
        world.ts_lyon,
        data=street_round(
            world, round_on=TODAY, duration_minutes=720, new_contacts=12, conversations=12, referred_to_intake=12
        ),
        today=TODAY,
    )
    assert round_count(session) == 2


@pytest.mark.parametrize("who", ["other_site", "inactive", "formateur", "unknown"])
def test_the_staff_present_are_active_team_members_of_the_site(session, world, who):
    if who == "other_site":
        member_id = world.cip_user.id
    elif who == "inactive":
        member_id = factories.an_inactive_user(session, Role.INTERVENANT, world.lyon).id
    elif who == "formateur":
        member_id = factories.a_user(session, Role.FORMATEUR, world.lyon).id
    else:
        member_id = 987_654
    with pytest.raises(ValidationFailed) as caught:
        outreach.log_round(
            session, world.ts_lyon, data=street_round(world, staff_ids=[world.ts_user.id, member_id]), today=TODAY
        )
    assert caught.value.errors == {
        "staff_ids": "Les personnes présentes doivent être des membres actifs de l'équipe de ce site."
    }


def test_the_author_need_not_be_on_the_round(session, world):
    round_id = outreach.log_round(
        session, world.chef_lyon, data=street_round(world, staff_ids=[world.ts_user.id]), today=TODAY
    )
    assert session.get(OutreachRound, round_id).created_by_id == world.chef_user.id


def test_staff_choices_are_the_active_team_of_one_of_my_sites(session, world):
    factories.an_inactive_user(session, Role.INTERVENANT, world.lyon)
    factories.a_user(session, Role.FORMATEUR, world.lyon)
    choices = outreach.staff_choices(session, world.ts_lyon, world.lyon.id)
    assert sorted(user_id for user_id, _ in choices) == sorted([world.ts_user.id, world.chef_user.id])
    assert outreach.staff_choices(session, world.ts_lyon, world.grenoble.id) == []
    with pytest.raises(PermissionDenied):
        outreach.staff_choices(session, world.direction, world.lyon.id)


# --- scope --------------------------------------------------------------------------------------


def test_grenoble_cannot_log_see_or_correct_lyon_rounds(session, world):
    lyon_round = outreach.log_round(session, world.ts_lyon, data=street_round(world), today=TODAY)
    grenoble_round = factories.a_logged_round(session, world.grenoble, round_on=TODAY, team=(world.cip_user,))
    cip = world.cip_grenoble

    with pytest.raises(ValidationFailed) as caught:
        outreach.log_round(session, cip, data=street_round(world, staff_ids=[world.cip_user.id]), today=TODAY)
    assert caught.value.errors == {"site_id": "Choisissez un de vos sites."}
    assert [r.id for r in outreach.list_rounds(session, cip).rows] == [grenoble_round.id]
    assert outreach.list_rounds(session, cip, site_id=world.lyon.id).total == 0
    with pytest.raises(NotFound):
        outreach.round_detail(session, cip, lyon_round)
    with pytest.raises(NotFound):
        outreach.update_round(
            session,
            cip,
            round_id=lyon_round,
            expected_version=1,
            data=street_round(world, site_id=None, staff_ids=[world.cip_user.id]),
            today=TODAY,
        )
    assert {r.site_code for r in outreach.monthly_outreach(session, cip, by_site=True, today=TODAY)} == {"GRE"}
    assert [s.code for s in outreach.outreach_sites(session, cip)] == ["GRE"]
    # …and Lyon does not see Grenoble.
    assert [r.id for r in outreach.list_rounds(session, world.ts_lyon).rows] == [lyon_round]
    assert session.get(OutreachRound, lyon_round).version == 1


def test_direction_reads_every_site_and_writes_nothing(session, world):
    lyon_round = outreach.log_round(session, world.ts_lyon, data=street_round(world), today=TODAY)
    factories.a_logged_round(session, world.grenoble, round_on=TODAY, team=(world.cip_user,))
    direction = world.direction
    assert {r.site_code for r in outreach.list_rounds(session, direction).rows} == {"LYO", "GRE"}
    assert outreach.round_detail(session, direction, lyon_round).row.persons_met == 12
    assert [s.code for s in outreach.outreach_sites(session, direction)] == ["GRE", "LYO"]
    with pytest.raises(PermissionDenied):
        outreach.outreach_sites(session, direction, writable=True)
    with pytest.raises(PermissionDenied):
        outreach.log_round(session, direction, data=street_round(world), today=TODAY)
    with pytest.raises(PermissionDenied):
        outreach.update_round(
            session, direction, round_id=lyon_round, expected_version=1, data=street_round(world), today=TODAY
        )


@pytest.mark.parametrize("role", [Role.GESTION, Role.FINANCEUR, Role.ADMIN])
def test_roles_without_activity_figures_read_nothing(session, world, role):
    someone = factories.principal(session, factories.a_user(session, role))
    for call in (
        lambda: outreach.list_rounds(session, someone),
        lambda: outreach.monthly_outreach(session, someone, today=TODAY),
        lambda: outreach.outreach_sites(session, someone),
    ):
        with pytest.raises(PermissionDenied):
            call()


# --- corrections --------------------------------------------------------------------------------


def test_a_correction_is_versioned_and_audited(session, world):
    round_id = outreach.log_round(session, world.ts_lyon, data=street_round(world), today=TODAY)
    outreach.update_round(
        session,
        world.chef_lyon,
        round_id=round_id,
        expected_version=1,
        data=street_round(world, persons_met=14, new_contacts=4, staff_ids=[world.chef_user.id]),
        today=TODAY,
    )
    detail = outreach.round_detail(session, world.ts_lyon, round_id)
    assert (detail.row.persons_met, detail.row.new_contacts, detail.row.version) == (14, 4, 2)
    assert [user_id for user_id, _ in detail.staff] == [world.chef_user.id]
    assert [a[0] for a in audit_actions(session)] == ["outreach.round_logged", "outreach.round_updated"]


def test_a_stale_correction_is_refused_and_changes_nothing(session, world):
    round_id = outreach.log_round(session, world.ts_lyon, data=street_round(world), today=TODAY)
    outreach.update_round(
        session,
        world.chef_lyon,
        round_id=round_id,
        expected_version=1,
        data=street_round(world, persons_met=20),
        today=TODAY,
    )
    with pytest.raises(StaleRecord):  # the social worker still had version 1 on screen
        outreach.update_round(
            session,
            world.ts_lyon,
            round_id=round_id,
            expected_version=1,
            data=street_round(world, persons_met=9, staff_ids=[world.ts_user.id]),
            today=TODAY,
        )
    session.rollback()  # as the unit of work does after the error
    stored = session.get(OutreachRound, round_id)
    session.refresh(stored)
    team = session.exec(select(OutreachRoundStaff.user_id).where(OutreachRoundStaff.round_id == round_id)).all()
    assert (stored.persons_met, stored.version, len(team)) == (20, 2, 2)
    assert [a[0] for a in audit_actions(session)] == ["outreach.round_logged", "outreach.round_updated"]


def test_a_correction_keeps_the_site_and_validates_like_an_entry(session, world):
    round_id = outreach.log_round(session, world.ts_lyon, data=street_round(world), today=TODAY)
    with pytest.raises(ValidationFailed) as caught:
        outreach.update_round(
            session,
            world.ts_lyon,
            round_id=round_id,
            expected_version=1,
            data=street_round(world, site_id=world.grenoble.id),
            today=TODAY,
        )
    assert caught.value.errors == {"site_id": "Une maraude ne peut pas changer de site."}
    with pytest.raises(ValidationFailed) as caught:
        outreach.update_round(
            session,
            world.ts_lyon,
            round_id=round_id,
            expected_version=1,
            data=street_round(world, persons_met=1),
            today=TODAY,
        )
    assert set(caught.value.errors) == {"new_contacts", "conversations", "referred_to_intake"}


def test_an_old_round_keeps_its_date_and_the_colleagues_who_left(session, world):
    leaver = factories.a_user(session, Role.INTERVENANT, world.lyon)
    old = factories.a_logged_round(session, world.lyon, round_on=TODAY - timedelta(days=400), team=(leaver,))
    leaver.is_active = False
    session.flush()
    outreach.update_round(
        session,
        world.ts_lyon,
        round_id=old.id,
        expected_version=1,
        data=street_round(world, round_on=old.round_on, staff_ids=[leaver.id, world.ts_user.id]),
        today=TODAY,
    )
    session.refresh(old)
    assert (old.round_on, old.persons_met, old.version) == (TODAY - timedelta(days=400), 12, 2)
    with pytest.raises(ValidationFailed) as caught:  # but it cannot be moved to another old date
        outreach.update_round(
            session,
            world.ts_lyon,
            round_id=old.id,
            expected_version=2,
            data=street_round(world, round_on=old.round_on - timedelta(days=1), staff_ids=[world.ts_user.id]),
            today=TODAY,
        )
    assert caught.value.errors == {"round_on": "Cette maraude date de plus d'un an : elle ne peut plus être saisie."}
    another_leaver = factories.an_inactive_user(session, Role.INTERVENANT, world.lyon)
    with pytest.raises(ValidationFailed) as caught:  # nor get a newcomer who is not an active member
        outreach.update_round(
            session,
            world.ts_lyon,
            round_id=old.id,
            expected_version=2,
            data=street_round(world, round_on=old.round_on, staff_ids=[another_leaver.id]),
            today=TODAY,
        )
    assert caught.value.errors == {
        "staff_ids": "Les personnes présentes doivent être des membres actifs de l'équipe de ce site."
    }


# --- list ---------------------------------------------------------------------------------------


def test_the_list_is_paginated_latest_first_and_filtered_by_month(session, world):
    made = [
        factories.a_logged_round(
            session,
            world.lyon,
            round_on=date(2026, 3, 1) + timedelta(days=2 * n),
            team=(world.ts_user, world.chef_user),
        )
        for n in range(30)
    ]  # 1 March → 28 April
    newest_first = [r.id for r in sorted(made, key=lambda r: r.round_on, reverse=True)]
    first = outreach.list_rounds(session, world.ts_lyon, page=1, page_size=10)
    second = outreach.list_rounds(session, world.ts_lyon, page=2, page_size=10)
    assert (first.total, first.page_count) == (30, 3)
    assert [r.id for r in first.rows + second.rows] == newest_first[:20]
    assert outreach.list_rounds(session, world.ts_lyon, page=9, page_size=10).page == 3  # past the end: last page
    assert sorted(first.rows[0].staff_names) == sorted(["Agent intervenant", "Agent chef_service"])
    march = outreach.list_rounds(session, world.ts_lyon, month=date(2026, 3, 20), page_size=100)
    assert march.total == 16 and {r.round_on.month for r in march.rows} == {3}


# --- monthly figures ----------------------------------------------------------------------------

STREET, ONLINE = OutreachMode.STREET, OutreachMode.ONLINE


@pytest.fixture
def a_year_of_rounds(session: Session, world: OutreachWorld) -> None:
    """Ten rounds whose monthly totals are known by construction (TODAY is 15 May 2026: the 12 months shown
    run from June 2025, the last 6 from December 2025), and the files opened after some of them."""

    def made(site, day, mode, met, new, referred):
        member = world.ts_user if site is world.lyon else world.cip_user
        return factories.a_logged_round(
            session,
            site,
            round_on=day,
            team=(member,),
            mode=mode,
            persons_met=met,
            new_contacts=new,
            conversations=0,
            referred_to_intake=referred,
        )

    lyon, grenoble = world.lyon, world.grenoble
    may_14 = made(lyon, date(2026, 5, 14), STREET, 12, 3, 2)
    made(lyon, date(2026, 5, 2), STREET, 5, 1, 0)
    may_10 = made(lyon, date(2026, 5, 10), ONLINE, 7, 4, 1)
    made(grenoble, date(2026, 5, 3), STREET, 9, 2, 1)
    april_30 = made(lyon, date(2026, 4, 30), STREET, 6, 0, 0)
    made(grenoble, date(2026, 4, 1), ONLINE, 4, 4, 2)
    made(lyon, date(2025, 12, 1), STREET, 8, 1, 1)  # first day of the last 6 months
    november = made(lyon, date(2025, 11, 30), STREET, 3, 1, 0)  # the day before them
    june = made(lyon, date(2025, 6, 1), ONLINE, 10, 5, 3)  # first day of the 12 months
    too_old = made(grenoble, date(2025, 5, 31), STREET, 20, 6, 4)  # the day before them: never counted

    opened = factories.a_file_opened_after_round
    opened(session, may_14, intake_on=TODAY)
    opened(session, may_10, intake_on=date(2026, 5, 11))
    opened(session, may_10, intake_on=date(2026, 5, 12))
    opened(session, november, intake_on=date(2026, 1, 5))  # counted in the round's month, months later
    opened(session, june, intake_on=date(2025, 8, 1))
    opened(session, april_30, intake_on=date(2026, 5, 4), origin=IntakeOrigin.SELF)  # another origin: not counted
    opened(session, too_old, intake_on=date(2025, 6, 2))  # its round is out of the window
    factories.a_person_in_file_active(session, world.lyon, intake_on=TODAY)  # outreach origin, no round: not counted


def _figures(rows: list[MonthlyOutreach]) -> list[tuple]:
    return [
        (
            r.month,
            r.mode,
            r.site_code,
            r.rounds,
            r.persons_met,
            r.new_contacts,
            r.referred_to_intake,
            r.intakes_from_outreach,
        )
        for r in rows
    ]


# (month, mode, site): rounds, persons met, new contacts, referred to an intake, intakes from outreach
TWELVE_MONTHS_BY_SITE = [
    (date(2025, 6, 1), ONLINE, "LYO", 1, 10, 5, 3, 1),
    (date(2025, 11, 1), STREET, "LYO", 1, 3, 1, 0, 1),
    (date(2025, 12, 1), STREET, "LYO", 1, 8, 1, 1, 0),
    (date(2026, 4, 1), ONLINE, "GRE", 1, 4, 4, 2, 0),
    (date(2026, 4, 1), STREET, "LYO", 1, 6, 0, 0, 0),
    (date(2026, 5, 1), STREET, "GRE", 1, 9, 2, 1, 0),
    (date(2026, 5, 1), ONLINE, "LYO", 1, 7, 4, 1, 2),
    (date(2026, 5, 1), STREET, "LYO", 2, 17, 4, 2, 1),
]
TWELVE_MONTHS_BY_MODE = [
    (date(2025, 6, 1), ONLINE, None, 1, 10, 5, 3, 1),
    (date(2025, 11, 1), STREET, None, 1, 3, 1, 0, 1),
    (date(2025, 12, 1), STREET, None, 1, 8, 1, 1, 0),
    (date(2026, 4, 1), ONLINE, None, 1, 4, 4, 2, 0),
    (date(2026, 4, 1), STREET, None, 1, 6, 0, 0, 0),
    (date(2026, 5, 1), ONLINE, None, 1, 7, 4, 1, 2),
    (date(2026, 5, 1), STREET, None, 3, 26, 6, 3, 1),
]
SIX_MONTHS_OF_LYON = [
    (date(2025, 12, 1), STREET, None, 1, 8, 1, 1, 0),
    (date(2026, 4, 1), STREET, None, 1, 6, 0, 0, 0),
    (date(2026, 5, 1), ONLINE, None, 1, 7, 4, 1, 2),
    (date(2026, 5, 1), STREET, None, 2, 17, 4, 2, 1),
]


def test_monthly_figures_by_site_are_the_totals_of_the_rounds(session, world, a_year_of_rounds):
    rows = outreach.monthly_outreach(session, world.direction, months=12, by_site=True, today=TODAY)
    assert _figures(rows) == TWELVE_MONTHS_BY_SITE
    assert {r.site_id for r in rows if r.site_code == "LYO"} == {world.lyon.id}


def test_monthly_figures_by_mode_of_a_social_worker_are_those_of_its_site(session, world, a_year_of_rounds):
    assert _figures(outreach.monthly_outreach(session, world.ts_lyon, months=6, today=TODAY)) == SIX_MONTHS_OF_LYON
    only_lyon = outreach.monthly_outreach(session, world.direction, months=6, site_id=world.lyon.id, today=TODAY)
    assert _figures(only_lyon) == SIX_MONTHS_OF_LYON
    # A site outside the scope gives nothing, not an error that would confirm it exists.
    assert outreach.monthly_outreach(session, world.ts_lyon, site_id=world.grenoble.id, today=TODAY) == []


def test_figures_summed_across_sites_are_the_totals_by_mode(session, world, a_year_of_rounds):
    by_site = outreach.monthly_outreach(session, world.direction, by_site=True, today=TODAY)
    assert _figures(outreach.across_sites(by_site)) == TWELVE_MONTHS_BY_MODE
    assert _figures(outreach.monthly_outreach(session, world.direction, today=TODAY)) == TWELVE_MONTHS_BY_MODE
