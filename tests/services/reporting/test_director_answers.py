"""The director's three questions (services.reporting.director_answers, issue 18), on a hand-built world
whose expected figures are written here by hand:

1. persons accompanied over the period (distinct persons with any activity, not files open on the last day);
2. budget consumed against time elapsed for each grant running, lagging and overspending ones marked;
3. the sites ranked on measures normalised by FTE filled and by the number of persons accompanied.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from models.audit import AuditEvent
from models.courses import CefrLevel, LanguageSkill
from models.organisation import Role, Site
from models.partners import OutcomeType, PartnerKind, Referral
from models.staffing import PostType
from services.persons.consent import record_intake_refusals
from services.platform.errors import PermissionDenied
from services.platform.principal import Principal
from services.reporting import _director_answers, director_answers
from tests import factories

TODAY = date(2026, 5, 13)
START, END = date(2026, 4, 1), date(2026, 4, 30)  # previous period: 2 to 31 March
LONG_AGO = date(2025, 1, 6)


@dataclass
class World:
    lyon: Site
    grenoble: Site
    marseille: Site
    direction: Principal
    chef_lyon: Principal
    others: dict[str, Principal]


@pytest.fixture
def world(session: Session) -> World:
    lyon, grenoble = factories.lyon_and_grenoble(session)
    marseille = factories.a_site(session, "MRS", "Marseille")
    p = factories.principal
    agrasc = factories.a_funder(session)
    world = World(
        lyon,
        grenoble,
        marseille,
        direction=p(session, factories.a_user(session, Role.DIRECTION)),
        chef_lyon=p(session, factories.a_user(session, Role.CHEF_SERVICE, lyon)),
        others={
            "intervenant": p(session, factories.a_user(session, Role.INTERVENANT, lyon)),
            "formateur": p(session, factories.a_user(session, Role.FORMATEUR, lyon)),
            "gestion": p(session, factories.a_user(session, Role.GESTION)),
            "financeur": p(session, factories.a_user(session, Role.FINANCEUR, funder_id=agrasc.id)),
            "admin": p(session, factories.a_user(session, Role.ADMIN)),
        },
    )
    file = factories.a_person_in_file_active

    # --- Lyon: six persons accompanied in April ------------------------------------------------------
    p1 = file(session, lyon, intake_on=date(2026, 3, 10))  # intake in March (previous period)
    factories.an_appointment(session, p1, date(2026, 4, 10))
    factories.an_outcome_of(session, p1, OutcomeType.OWN_TENANCY, on=date(2026, 3, 20))  # before the period
    p2 = file(session, lyon, intake_on=date(2026, 4, 5))  # a new file of April
    factories.an_outcome_of(session, p2, OutcomeType.CDI, on=date(2026, 4, 25))
    p3 = file(session, lyon, intake_on=LONG_AGO)
    p4 = file(session, lyon, intake_on=LONG_AGO)  # absent from the workshop only: not accompanied
    workshop = factories.a_workshop_session(session, lyon, session_on=date(2026, 4, 12))
    factories.a_workshop_roll(session, workshop, present=(p3,), absent=(p4,))
    p5 = file(session, lyon, intake_on=LONG_AGO)  # a French class and an interview: once
    group = factories.a_course_group(session, lyon)
    factories.a_course_session(session, group, session_on=date(2026, 4, 15), present=(p5,))
    factories.an_appointment(session, p5, date(2026, 4, 16))
    for skill, before, after in ((LanguageSkill.SPEAKING, CefrLevel.A1_1, CefrLevel.A1),
                                 (LanguageSkill.WRITING, CefrLevel.A1, CefrLevel.A2)):  # fmt: skip
        factories.an_assessment(session, p5, skill, before, on=date(2026, 1, 10))
        factories.an_assessment(session, p5, skill, after, on=date(2026, 4, 18))
    p6 = file(session, lyon, intake_on=LONG_AGO)
    partner = factories.a_partner_of_kind(session, lyon, next(iter(PartnerKind)))
    factories.a_referral_to(session, p6, partner, on=date(2026, 4, 20))
    factories.an_outcome_of(session, p6, OutcomeType.LOST_CONTACT, on=date(2026, 4, 21))  # not a result
    p7 = file(session, lyon, intake_on=LONG_AGO)  # refused statistics: counted nowhere
    p7.consent_statistics = False
    record_intake_refusals(session, p7, author_id=None)
    factories.an_appointment(session, p7, date(2026, 4, 10))
    p8 = file(session, lyon, intake_on=LONG_AGO)  # seen on 31 March only: the previous period
    factories.an_appointment(session, p8, date(2026, 3, 31))
    file(session, lyon, intake_on=LONG_AGO)  # open, nothing happened: not accompanied
    for day in (8, 9):
        factories.an_outreach_round(session, lyon, round_on=date(2026, 4, day))

    # --- Grenoble: two, one of them also referred by Lyon (a moved file) ---------------------------------
    p10 = file(session, grenoble, intake_on=LONG_AGO)
    factories.an_appointment(session, p10, date(2026, 4, 2))
    session.add(Referral(person_id=p10.id, site_id=lyon.id, partner_id=partner.id, referred_on=date(2026, 4, 3)))
    g2, g3 = file(session, grenoble, intake_on=LONG_AGO), file(session, grenoble, intake_on=LONG_AGO)
    grenoble_group = factories.a_course_group(session, grenoble)
    factories.a_course_session(session, grenoble_group, session_on=date(2026, 4, 15), present=(g2,), absent=(g3,))
    factories.an_assessment(session, g2, LanguageSkill.SPEAKING, CefrLevel.A1, on=date(2026, 1, 10))
    factories.an_assessment(session, g2, LanguageSkill.SPEAKING, CefrLevel.A1, on=date(2026, 4, 18))  # no gain
    factories.an_outcome_of(session, g2, OutcomeType.RESIDENCE_PERMIT, on=date(2026, 4, 22))
    for day in (9, 10):
        factories.an_outreach_round(session, grenoble, round_on=date(2026, 4, day))

    # --- Marseille: one new file, nothing else ----------------------------------------------------------
    file(session, marseille, intake_on=date(2026, 4, 20))

    # --- posts (FTE filled on 30 April) ---------------------------------------------------------------------
    factories.a_post(session, lyon, fte_hundredths=100)
    factories.a_post(session, lyon, fte_hundredths=50, is_filled=False)
    factories.a_post(session, lyon, fte_hundredths=100, post_type=PostType.NATIONAL_PROJECT_OFFICER)
    factories.a_post(session, grenoble, fte_hundredths=100)
    factories.a_post(session, grenoble, fte_hundredths=100, post_type=PostType.SOCIAL_WORKER)
    factories.a_post(session, grenoble, fte_hundredths=100, ends_on=date(2026, 3, 31))  # ended
    factories.a_post(session, marseille, fte_hundredths=50)

    # --- grants ---------------------------------------------------------------------------------------------
    factories.a_grant_with_lines(
        session,
        agrasc,
        name="Fonds AGRASC",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        planned=[(lyon, 1_000_000), (grenoble, 3_000_000)],
        spent=[
            (lyon, date(2026, 2, 1), 250_000),
            (lyon, date(2026, 5, 1), 100_000),  # after the day the budget is read
            (grenoble, date(2026, 3, 1), 600_000),
        ],
    )
    factories.a_grant_with_lines(
        session,
        factories.a_funder(session, "Région"),
        name="Région insertion",
        starts_on=date(2025, 11, 1),
        ends_on=date(2026, 10, 31),
        planned=[(lyon, 1_000_000)],
        spent=[(lyon, date(2026, 4, 1), 600_000)],
    )
    factories.a_grant_with_lines(
        session,
        factories.a_funder(session, "DDETS"),
        name="État aller-vers",
        starts_on=date(2026, 4, 1),
        ends_on=date(2026, 9, 30),
        planned=[(marseille, 500_000)],
        spent=[(marseille, date(2026, 4, 15), 100_000)],
    )
    factories.a_grant_with_lines(
        session,
        agrasc,
        name="Ancien fonds",
        starts_on=date(2024, 1, 1),
        ends_on=date(2025, 6, 30),
        planned=[(lyon, 500_000)],
    )
    return world


def _answers(session: Session, principal: Principal, **kwargs) -> director_answers.DirectorAnswers:
    return director_answers.director_answers(session, principal, start=START, end=END, today=TODAY, **kwargs)


# --- 1. persons accompanied -------------------------------------------------------------------------------


def test_persons_accompanied_are_the_distinct_persons_with_activity_in_the_period(session, world) -> None:
    answers = _answers(session, world.direction)
    assert {site.code: n for site, n in answers.accompanied.by_site} == {"LYO": 6, "GRE": 2, "MRS": 1}
    assert answers.accompanied.total == 8  # the Grenoble file referred by Lyon counts once
    assert answers.accompanied.previous_total == 2  # an intake of 10 March, an interview of 31 March
    assert (answers.previous_start, answers.previous_end) == (date(2026, 3, 2), date(2026, 3, 31))


def test_a_person_active_only_away_from_their_files_site_counts_once_in_the_total(session, world) -> None:
    """The total of the sites together is made of each site's cached part (persons active at their file's
    site) and of the persons active only elsewhere, looked for apart: a Grenoble file referred by Lyon only,
    a Lyon file seen at Grenoble and at Marseille only. Each counts once in the total, at every choice of
    sites, and in the previous period too."""
    partner = session.exec(select(Referral.partner_id)).first()
    q1 = factories.a_person_in_file_active(session, world.grenoble, intake_on=LONG_AGO)
    for day in (date(2026, 3, 20), date(2026, 4, 5)):
        session.add(Referral(person_id=q1.id, site_id=world.lyon.id, partner_id=partner, referred_on=day))
    q2 = factories.a_person_in_file_active(session, world.lyon, intake_on=LONG_AGO)
    for site in (world.grenoble, world.marseille):
        factories.an_appointment(session, q2, date(2026, 4, 7), site=site)
    lyo, gre, mrs = world.lyon.id, world.grenoble.id, world.marseille.id
    # Lyon: p1 p2 p3 p5 p6 p10 q1; Grenoble: p10 g2 q2; Marseille: its new file, q2. In March: p1, p8, q1.
    expected = {
        (lyo, gre, mrs): ({"LYO": 7, "GRE": 3, "MRS": 2}, 10, 3),
        (lyo,): ({"LYO": 7}, 7, 3),
        (gre, mrs): ({"GRE": 3, "MRS": 2}, 4, 0),
        (lyo, gre): ({"LYO": 7, "GRE": 3}, 9, 3),
        (gre,): ({"GRE": 3}, 3, 0),
    }
    for site_ids, (by_site, total, previous_total) in expected.items():
        answers = _answers(session, world.direction, site_ids=list(site_ids))
        assert {site.code: n for site, n in answers.accompanied.by_site} == by_site, site_ids
        assert (answers.accompanied.total, answers.accompanied.previous_total) == (total, previous_total), site_ids


def test_chef_service_sees_its_own_site_only(session, world) -> None:
    answers = _answers(session, world.chef_lyon)
    assert [(site.code, n) for site, n in answers.accompanied.by_site] == [("LYO", 6)]
    assert answers.accompanied.total == 6
    with pytest.raises(PermissionDenied):
        _answers(session, world.chef_lyon, site_ids=[world.grenoble.id])


@pytest.mark.parametrize("role", ["intervenant", "formateur", "gestion", "financeur", "admin"])
def test_other_roles_are_refused(session, world, role) -> None:
    with pytest.raises(PermissionDenied):
        _answers(session, world.others[role])


# --- 2. budget against time ---------------------------------------------------------------------------------


def test_each_running_grant_compares_consumed_and_elapsed_and_is_marked(session, world) -> None:
    grants = _answers(session, world.direction).grants
    assert [(g.name, g.planned_cents, g.spent_cents) for g in grants] == [
        ("État aller-vers", 500_000, 100_000),  # ends first
        ("Région insertion", 1_000_000, 600_000),
        ("Fonds AGRASC", 4_000_000, 850_000),  # the expense of 1 May is not counted yet; "Ancien fonds" has ended
    ]
    # 30 of 183 days elapsed; 181 of 365; 120 of 365.
    assert [g.elapsed_share for g in grants] == [Decimal(30) / 183, Decimal(181) / 365, Decimal(120) / 365]
    assert [g.consumed_share for g in grants] == [Decimal("0.2"), Decimal("0.6"), Decimal("0.2125")]
    assert [g.status for g in grants] == ["on_track", "overspending", "behind"]


def test_a_chef_reads_the_grants_on_its_own_lines(session, world) -> None:
    grants = _answers(session, world.chef_lyon).grants
    assert [(g.name, g.planned_cents, g.spent_cents, g.status) for g in grants] == [
        ("Région insertion", 1_000_000, 600_000, "overspending"),
        ("Fonds AGRASC", 1_000_000, 250_000, "on_track"),  # 25 % spent, 32,9 % elapsed: within 10 points
    ]


# --- 3. which site lags ---------------------------------------------------------------------------------


def test_sites_are_ranked_on_normalised_measures_and_the_laggard_is_marked(session, world) -> None:
    answers = _answers(session, world.direction)
    sites = {row.site.code: row for row in answers.sites}
    lyon, grenoble, marseille = sites["LYO"], sites["GRE"], sites["MRS"]
    # FTE filled on 30 April, national project officers and ended or vacant posts left out.
    assert [lyon.counts.fte_hundredths, grenoble.counts.fte_hundredths, marseille.counts.fte_hundredths] == [
        100,
        200,
        50,
    ]
    # Lyon: 2 interviews, 1 workshop presence, 1 course presence, 2 referrals, 2 rounds = 8 acts for 1 FTE.
    assert lyon.counts.acts == 8
    assert dict(lyon.values) == {
        "acts_per_fte": Decimal("8.0"),
        "attendance_rate": Decimal(2) / 3,  # 2 present of 3 marks (exact: each output rounds once)
        "gains_per_learner": Decimal("2.00"),  # two skills up, one learner
        "outcomes_per_100": Decimal(100) / 6,  # one person out (the lost contact is not a result) of 6
    }
    assert dict(grenoble.values) == {
        "acts_per_fte": Decimal("2.0"),  # 1 interview, 1 presence, 2 rounds (the referral is Lyon's) / 2 FTE
        "attendance_rate": Decimal("0.5000"),
        "gains_per_learner": Decimal("0.00"),
        "outcomes_per_100": Decimal("50.0"),
    }
    assert dict(marseille.values) == {
        "acts_per_fte": Decimal("0.0"),
        "attendance_rate": None,  # no roll taken
        "gains_per_learner": None,  # no learner
        "outcomes_per_100": Decimal("0.0"),
    }
    # Medians: 2.0 acts per FTE, 58,3 % attendance, 1.00 gain per learner, 16.7 outcomes per 100.
    assert dict(answers.medians) == {
        "acts_per_fte": Decimal("2.0"),
        "attendance_rate": (Decimal(2) / 3 + Decimal("0.5")) / 2,
        "gains_per_learner": Decimal("1.00"),
        "outcomes_per_100": Decimal(100) / 6,
    }
    assert grenoble.marked == ("gains_per_learner",) and not grenoble.lagging
    assert marseille.marked == ("acts_per_fte", "outcomes_per_100") and marseille.lagging
    assert lyon.marked == () and not lyon.lagging
    assert [(row.rank, row.site.code, row.index) for row in answers.sites] == [
        (1, "LYO", Decimal("154")),  # (2 [8 / 2, capped] + 1.143 + 2 + 1) / 4
        (2, "GRE", Decimal("96")),  # (1 + 0.857 + 0 + 2 [50 / 16.7, capped]) / 4
        (3, "MRS", Decimal("0")),
    ]
    assert [director_answers.verdict(row, answers.compared) for row in answers.sites] == [
        "Dans la norme",
        "Dans la norme",
        "En retrait",
    ]


def test_one_site_alone_is_not_compared(session, world) -> None:
    answers = _answers(session, world.chef_lyon)
    [lyon] = answers.sites
    assert not answers.compared and lyon.marked == () and lyon.index is None
    assert director_answers.verdict(lyon, answers.compared) == "Sans comparaison"


# --- the workbook ---------------------------------------------------------------------------------------------


HIDDEN, SMALL, WITHHELD = "masqué", "< 11", "non publié"


def test_the_workbook_protects_the_small_counts_and_is_audited(session, world) -> None:
    """Every count of persons of this world is below 11: the workbook says « < 11 », the rates resting on them are
    not published; money, FTE, acts, ranks and verdicts stay exact; the screen keeps the exact figures."""
    content = director_answers.build_workbook(session, world.direction, start=START, end=END, today=TODAY)
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Personnes accompagnées", "Financements", "Comparaison des sites"]
    rows = [tuple(r) for r in book["Personnes accompagnées"].iter_rows(values_only=True)]
    assert ("Lyon", SMALL, None) in rows and ("Grenoble", SMALL, None) in rows and ("Marseille", SMALL, None) in rows
    assert ("Total (personnes distinctes)", SMALL, None) in rows
    assert ("Période précédente", SMALL, None) in rows
    assert any(
        r[0]
        and r[0].startswith(
            "Secret statistique (export) : les nombres de personnes inférieurs à 11 sont affichés « < 11 »"
        )
        for r in rows
    )
    grants = list(book["Financements"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[4], r[5], r[6], r[7], r[9]) for r in grants] == [  # money is not a count of persons
        ("État aller-vers", 5000, 1000, 0.2, 0.1639, "Au rythme"),
        ("Région insertion", 10000, 6000, 0.6, 0.4959, "Surconsommation"),
        ("Fonds AGRASC", 40000, 8500, 0.2125, 0.3288, "En retard (sous-consommation)"),
    ]
    sites = list(book["Comparaison des sites"].iter_rows(min_row=2, max_row=4, values_only=True))
    assert [r[:13] + r[14:] for r in sites] == [
        (1, "Lyon", 1, SMALL, 8, WITHHELD, WITHHELD, SMALL, SMALL, WITHHELD, SMALL, WITHHELD, WITHHELD,
         "Dans la norme"),
        (2, "Grenoble", 2, SMALL, 4, WITHHELD, WITHHELD, SMALL, SMALL, WITHHELD, SMALL, WITHHELD, WITHHELD,
         "Dans la norme"),
        (3, "Marseille", 0.5, SMALL, 0, WITHHELD, None, SMALL, SMALL, None, SMALL, WITHHELD, WITHHELD, "En retrait"),
    ]  # fmt: skip
    assert sites[2][13] == "Actes par ETP, Sorties pour 100 personnes"
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "report.dashboard_exported").order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and event.actor_username == world.direction.username
    # The screen is not an export: the answers keep the exact figures.
    assert {site.code: n for site, n in _answers(session, world.direction).accompanied.by_site} == {
        "LYO": 6,
        "GRE": 2,
        "MRS": 1,
    }


def test_the_distinct_total_is_published_only_when_it_is_the_sum_of_the_sites(session, world) -> None:
    """At a threshold of 2: Marseille (1) is « < 2 », Grenoble (2, the smallest published site) is hidden with
    it; the sites add up to 9 but the distinct total is 8 (the Grenoble file referred by Lyon counts on both):
    printing 8 would say less than 9 and more than the protection planned, so it is « masqué »."""
    content = director_answers.build_workbook(session, world.direction, start=START, end=END, today=TODAY, threshold=2)
    rows = [
        tuple(r)[:2] for r in load_workbook(io.BytesIO(content))["Personnes accompagnées"].iter_rows(values_only=True)
    ]
    assert ("Lyon", 6) in rows and ("Grenoble", HIDDEN) in rows and ("Marseille", "< 2") in rows
    assert ("Total (personnes distinctes)", HIDDEN) in rows
    assert ("Période précédente", 2) in rows


def test_a_small_site_cannot_be_recovered_from_the_total_nor_its_rate(session) -> None:
    """Persons accompanied in April (with an outcome): Annecy 12 (11), Brest 15 (2), Colmar 3 (1), Dax 20 (11), no
    one on two sites. Colmar is « < 11 », Annecy (the smallest published site) is hidden too, so 50 − 15 − 20
    leaves Annecy + Colmar = 15 with Annecy ≥ 11 and Colmar ≤ 10: Colmar may be 0 to 4. Outcomes per 100: Colmar's
    rests on 3 persons; Annecy's would give back its hidden 12 (11 ÷ 91,7 %), Brest's its 2 outcomes (13,3 % of
    15): not published; Dax's is."""
    sites = [factories.a_site(session, code, name) for code, name in (("ANN", "Annecy"), ("BRE", "Brest"),
                                                                      ("COL", "Colmar"), ("DAX", "Dax"))]  # fmt: skip
    direction = factories.principal(session, factories.a_user(session, Role.DIRECTION))
    for site, persons, with_outcome in zip(sites, (12, 15, 3, 20), (11, 2, 1, 11), strict=True):
        for n in range(persons):
            person = factories.a_person_in_file_active(session, site, intake_on=date(2026, 4, 2))
            if n < with_outcome:
                factories.an_outcome_of(session, person, OutcomeType.CDI, on=date(2026, 4, 25))
    content = director_answers.build_workbook(session, direction, start=START, end=END, today=TODAY)
    book = load_workbook(io.BytesIO(content))
    rows = dict(tuple(r)[:2] for r in book["Personnes accompagnées"].iter_rows(values_only=True) if r[0])
    names = ("Annecy", "Brest", "Colmar", "Dax")
    assert [rows[name] for name in names] == [HIDDEN, 15, SMALL, 20]
    assert rows["Total (personnes distinctes)"] == 50
    assert rows["Période précédente"] == SMALL  # nobody in March: 0
    # What a reader can do: the hidden sites add up to 50 − 15 − 20; « masqué » is at least 11, « < 11 » at most 10.
    colmar_values = {c for c in range(11) for a in range(11, 51) if a + c == 50 - 15 - 20}
    assert colmar_values == {0, 1, 2, 3, 4}
    comparison = {r[1]: r for r in book["Comparaison des sites"].iter_rows(min_row=2, max_row=5, values_only=True)}
    # Persons accompanied; persons with an outcome; outcomes per 100 persons.
    assert [comparison[name][3] for name in names] == [HIDDEN, 15, SMALL, 20]
    assert [comparison[name][10] for name in names] == [11, SMALL, SMALL, 11]
    assert [comparison[name][11] for name in names] == [WITHHELD, WITHHELD, WITHHELD, 55]
    # On screen, the exact figures.
    answers = director_answers.director_answers(session, direction, start=START, end=END, today=TODAY)
    assert {site.code: n for site, n in answers.accompanied.by_site} == {"ANN": 12, "BRE": 15, "COL": 3, "DAX": 20}
    assert {row.site.code: row.value("outcomes_per_100") for row in answers.sites} == {
        "ANN": Decimal(1100) / 12,
        "BRE": Decimal(200) / 15,
        "COL": Decimal(100) / 3,
        "DAX": Decimal(55),
    }


def test_a_sites_counts_do_not_depend_on_the_other_sites_asked_with_it(session, world) -> None:
    """The counts are cached per site and a save recomputes the sites it touched only: Lyon's are the same
    computed alone or with the other sites. A learner assessed A1 at Grenoble in January, whose file moved to
    Lyon, assessed A2 there in April: one level gained at Lyon either way, none at Grenoble."""
    moved = factories.a_person_in_file_active(session, world.grenoble, intake_on=date(2025, 9, 1))
    factories.an_assessment(session, moved, LanguageSkill.WRITING, CefrLevel.A1, on=date(2026, 1, 12))
    moved.site_id = world.lyon.id
    session.add(moved)
    session.flush()
    factories.an_assessment(session, moved, LanguageSkill.WRITING, CefrLevel.A2, on=date(2026, 4, 16))
    everywhere = [world.lyon.id, world.grenoble.id, world.marseille.id]

    def counts(site_ids: list[int]) -> dict:
        period = (START, END)
        persons = _director_answers.accompanied_by_site(session, site_ids=site_ids, periods=[period])
        by_site = {site: persons[site][0] for site in site_ids}
        return _director_answers.site_counts(
            session, site_ids=site_ids, period=period, as_of=TODAY, accompanied=by_site
        )

    before, together = counts([world.lyon.id]), counts(everywhere)
    assert before[world.lyon.id] == together[world.lyon.id]
    assert together[world.grenoble.id].level_gains == 0
    assert together[world.lyon.id].level_gains == 3  # p5's two (speaking, writing) and hers
