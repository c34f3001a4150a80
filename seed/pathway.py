"""A person's pathway: barriers, action goals, PSP, referrals, outcomes and notes."""

from __future__ import annotations

import random
from datetime import timedelta

from clock import add_months
from models.partners import OUTCOME_CATEGORY_OF_TYPE, OutcomeType, PartnerKind, ReferralResult
from models.pathway import Barrier, BarrierSeverity, CommissionOpinion, GoalAxis, GoalStatus, PrefectDecision
from models.persons import AdministrativeStatus, HousingSituation, PersonStatus
from seed.context import SEED, PersonInfo, SeedContext, Weighted
from seed.texts import GOALS, NOTE_BODIES, REFERRAL_REASONS, SECTORS

AFIS_MONTHLY_CENTS = 34_318
PSP_MAX_PERIODS = 4  # 6-month periods: 24 months at most
# PSP volumes. Fédération des acteurs de la solidarité, « L'accès au parcours de sortie de prostitution : une
# enquête nationale au cœur des réalités de terrain » (14 April 2025): its 104 agreed associations took in
# 1,624 new persons in 2024, judged 1,103 eligible, and 449 entered a PSP — about 4 a year per association,
# and about a quarter to a third of the persons taken in who ask for one. Senate finance committee, report
# no. 814 (2024-2025): 903 persons in a PSP on 31 December 2024, Paris (148), the Rhône (89), the
# Bouches-du-Rhône (49) and the Isère (39) first — the departments of the demo's four sites, each
# department having several agreed associations. So a site of the demo asks for a PSP for about a quarter of
# its year's new files and has some five to twenty persons in a PSP at a time. The first draw (13 % of the
# persons from outside the EU, from the seed's Random) gave a third of that; the further requests are drawn
# after it, from a Random of their own, so that every earlier draw stays as it was.
PSP_FIRST_SHARE = 0.13
PSP_FURTHER_SHARE = 0.3  # of the persons from outside the EU the first draw left out
PSP_NATIONALITIES_LEFT_OUT = ("FR", "RO", "BG")  # the APS is what the PSP brings them first; EU citizens need none
DEFAULT_SEVERITY = Weighted({BarrierSeverity.NONE: 35, BarrierSeverity.PARTIAL: 42, BarrierSeverity.MAJOR: 23})
HOUSING_BAD = (HousingSituation.STREET, HousingSituation.EMERGENCY_SHELTER, HousingSituation.HOSTED_BY_THIRD_PARTY)
IMPROVE = {BarrierSeverity.MAJOR: BarrierSeverity.PARTIAL, BarrierSeverity.PARTIAL: BarrierSeverity.NONE}
WORSEN = {BarrierSeverity.NONE: BarrierSeverity.PARTIAL, BarrierSeverity.PARTIAL: BarrierSeverity.MAJOR}
GOAL_COUNT = Weighted({1: 25, 2: 35, 3: 25, 4: 15})
REFERRAL_COUNT = Weighted({0: 20, 1: 30, 2: 25, 3: 15, 4: 10})
REFERRAL_KINDS = Weighted(
    {
        PartnerKind.FRANCE_TRAVAIL: 20,
        PartnerKind.CIDFF: 10,
        PartnerKind.MISSION_LOCALE: 4,
        PartnerKind.DREETS: 2,
        PartnerKind.SIAE: 14,
        PartnerKind.CONSEIL_REGIONAL: 4,
        PartnerKind.HEALTH: 18,
        PartnerKind.HOUSING: 16,
        PartnerKind.TRAINING: 9,
        PartnerKind.OTHER: 5,
    }
)
REFERRAL_RESULTS = Weighted(
    {
        ReferralResult.ACCEPTED: 30,
        ReferralResult.COMPLETED: 40,
        ReferralResult.REFUSED: 10,
        ReferralResult.NO_SHOW: 15,
        ReferralResult.PENDING: 5,
    }
)
# The values added later (barriers of safety and legal status, outcomes beyond employment, public partners) are
# drawn from a Random of their own, so that everything the seed drew before stays the same.
NEW_BARRIERS = (Barrier.SAFETY, Barrier.LEGAL)
NEW_BARRIER_SEVERITY = Weighted({BarrierSeverity.NONE: 30, BarrierSeverity.PARTIAL: 40, BarrierSeverity.MAJOR: 30})
# An outcome drawn as « autre » is, most often, one of the outcomes beyond employment and training.
BEYOND_EMPLOYMENT = Weighted(
    {
        OutcomeType.OWN_TENANCY: 3,
        OutcomeType.STABLE_HOUSING: 4,
        OutcomeType.HEALTH_RIGHTS: 3,
        OutcomeType.CARE_PATHWAY: 1,
        OutcomeType.RESIDENCE_PERMIT: 3,
        OutcomeType.VOLUNTARY_RETURN: 1,
        OutcomeType.LOST_CONTACT: 4,
        OutcomeType.OTHER: 2,
    }
)
# A referral drawn to « autre » or « santé » sometimes goes to a public service, the justice or a lawyer.
PUBLIC_PARTNERS = Weighted(
    {PartnerKind.CAF: 4, PartnerKind.CPAM: 4, PartnerKind.PREFECTURE: 5, PartnerKind.JUSTICE: 3, PartnerKind.LAWYER: 3}
)
PUBLIC_REASONS: dict[PartnerKind, list[str]] = {
    PartnerKind.CAF: ["Ouverture des droits RSA", "Demande d'aide au logement"],
    PartnerKind.CPAM: ["Ouverture de la PUMa", "Complémentaire santé solidaire"],
    PartnerKind.PREFECTURE: ["Dépôt de demande de titre de séjour", "Renouvellement du récépissé"],
    PartnerKind.JUSTICE: ["Dépôt de plainte", "Audition comme victime"],
    PartnerKind.LAWYER: ["Conseil en droit des étrangers", "Constitution de partie civile"],
}


def extension_rng() -> random.Random:
    return random.Random(f"{SEED}-extensions")


def psp_rng() -> random.Random:
    return random.Random(f"{SEED}-psp")


OUTCOME_TYPES = Weighted(
    {
        OutcomeType.CDI: 12,
        OutcomeType.FIXED_TERM_OVER_6_MONTHS: 12,
        OutcomeType.CIVIL_SERVICE: 2,
        OutcomeType.BUSINESS_CREATION: 3,
        OutcomeType.FIXED_TERM_UNDER_6_MONTHS: 18,
        OutcomeType.SUBSIDISED_CONTRACT: 12,
        OutcomeType.QUALIFYING_TRAINING: 17,
        OutcomeType.SIAE_HIRING: 14,
        OutcomeType.OTHER: 10,
    }
)


def seed_pathways(ctx: SeedContext) -> None:
    side = extension_rng()
    first_drawn: set[int] = set()
    for person in ctx.persons:
        _barriers(ctx, person, side)
        _goals(ctx, person)
        if person.nationality not in PSP_NATIONALITIES_LEFT_OUT and ctx.rng.random() < PSP_FIRST_SHARE:
            first_drawn.add(person.id)
            _psp(ctx, person, ctx.rng)
        _referrals(ctx, person, side)
        _outcome(ctx, person, side)
        _notes(ctx, person)
    ctx.psp_first_drawn = first_drawn


def seed_further_psp(ctx: SeedContext) -> None:
    """The further PSP requests (PSP_FURTHER_SHARE), after every other activity and before the last contacts
    are set: the workshops, courses and appointments stay as they were drawn before them."""
    further = psp_rng()
    for person in ctx.persons:
        if person.nationality in PSP_NATIONALITIES_LEFT_OUT or person.id in ctx.psp_first_drawn:
            continue
        if further.random() < PSP_FURTHER_SHARE:
            _psp(ctx, person, further)


def _first_severity(ctx: SeedContext, person: PersonInfo, barrier: Barrier) -> BarrierSeverity:
    rng, row = ctx.rng, person.row
    if barrier == Barrier.FRENCH:
        if person.french_speaker:
            return BarrierSeverity.NONE if rng.random() < 0.85 else BarrierSeverity.PARTIAL
        return BarrierSeverity.MAJOR if rng.random() < 0.7 else BarrierSeverity.PARTIAL
    if barrier == Barrier.HOUSING and row["housing"] in HOUSING_BAD:
        return BarrierSeverity.MAJOR if rng.random() < 0.7 else BarrierSeverity.PARTIAL
    if barrier == Barrier.ADMINISTRATIVE:
        status = row["administrative_status"]
        if status == AdministrativeStatus.FRENCH_OR_EU:
            return BarrierSeverity.NONE if rng.random() < 0.7 else BarrierSeverity.PARTIAL
        if status == AdministrativeStatus.UNDOCUMENTED:
            return BarrierSeverity.MAJOR
    return DEFAULT_SEVERITY.pick(rng)


def _barriers(ctx: SeedContext, person: PersonInfo, side: random.Random) -> None:
    """All barriers rated at intake; the open ones re-rated about every six months."""
    rng = ctx.rng
    current = {b: _first_severity(ctx, person, b) for b in Barrier if b not in NEW_BARRIERS}
    added = {b: NEW_BARRIER_SEVERITY.pick(side) for b in NEW_BARRIERS}
    day = person.intake_on
    for round_number in range(3):
        for barrier, severity in (current | added).items():
            ctx.add(
                "barrier_assessment",
                {
                    "id": ctx.new_id("barrier_assessment"),
                    "person_id": person.id,
                    "site_id": person.site.id,
                    "assessed_on": day,
                    "barrier": barrier,
                    "severity": severity,
                    "assessor_id": person.referent_id,
                },
                on=day,
            )
        ctx.touch(person, day)
        day = day + timedelta(days=rng.randint(160, 200))
        if day > person.active_until or (round_number == 1 and rng.random() < 0.5):
            break
        following = {}
        for barrier, severity in current.items():
            if severity == BarrierSeverity.NONE:
                continue
            draw = rng.random()
            if draw < 0.45:
                following[barrier] = IMPROVE[severity]
            elif draw > 0.95:
                following[barrier] = WORSEN.get(severity, severity)
            else:
                following[barrier] = severity
        added = {b: IMPROVE[s] if side.random() < 0.4 else s for b, s in added.items() if s != BarrierSeverity.NONE}
        if not following:
            break
        current = following


def _goals(ctx: SeedContext, person: PersonInfo) -> None:
    rng, as_of = ctx.rng, ctx.as_of
    axes = rng.sample(list(GoalAxis), GOAL_COUNT.pick(rng))
    for axis in axes:
        created = ctx.day_between(person.intake_on, min(person.active_until, person.intake_on + timedelta(days=60)))
        due = created + timedelta(days=rng.randint(90, 240))
        goal, actions = rng.choice(GOALS[axis])
        closed_on = None
        if person.status == PersonStatus.CLOSED or due < as_of:
            draw = rng.random()
            closing = person.status == PersonStatus.CLOSED
            if draw < 0.55:
                status = GoalStatus.ACHIEVED
            elif draw < 0.72 or closing:
                status = GoalStatus.ABANDONED
            else:
                status = GoalStatus.IN_PROGRESS
            if status != GoalStatus.IN_PROGRESS:
                closed_on = ctx.day_between(
                    min(created + timedelta(days=30), person.active_until),
                    min(due + timedelta(days=60), person.active_until),
                )
        else:
            status = GoalStatus.OPEN if rng.random() < 0.3 else GoalStatus.IN_PROGRESS
        ctx.add(
            "action_goal",
            {
                "id": ctx.new_id("action_goal"),
                "person_id": person.id,
                "site_id": person.site.id,
                "axis": axis,
                "goal": goal,
                "actions": actions,
                "due_on": due,
                "status": status,
                "closed_on": closed_on,
            },
            on=created,
        )
        ctx.touch(person, created)


def _psp(ctx: SeedContext, person: PersonInfo, rng: random.Random) -> None:
    """Request, commission, prefect decision, then 6-month periods renewed up to 24 months."""
    as_of = ctx.as_of
    requested = person.intake_on + timedelta(days=rng.randint(30, 240))
    if requested > person.active_until:
        return
    episode_id = ctx.new_id("psp_episode")
    row = {
        "id": episode_id,
        "person_id": person.id,
        "site_id": person.site.id,
        "requested_on": requested,
        "commission_on": None,
        "commission_opinion": CommissionOpinion.PENDING,
        "prefect_decision": PrefectDecision.PENDING,
        "decided_on": None,
        "aps_start_on": None,
        "aps_end_on": None,
        "afis_start_on": None,
        "afis_end_on": None,
        "afis_monthly_cents": None,
        "ended_on": None,
    }
    ctx.add("psp_episode", row, on=requested)
    ctx.touch(person, requested)
    commission = requested + timedelta(days=rng.randint(45, 120))
    if commission > as_of:
        return
    row["commission_on"] = commission
    ctx.touch(person, commission)
    if rng.random() < 0.15:
        row["commission_opinion"] = CommissionOpinion.UNFAVOURABLE
        row["ended_on"] = commission
        return
    row["commission_opinion"] = CommissionOpinion.FAVOURABLE
    decided = commission + timedelta(days=rng.randint(20, 60))
    if decided > as_of:
        return
    row["decided_on"] = decided
    if rng.random() < 0.12:
        row["prefect_decision"] = PrefectDecision.REFUSED
        row["ended_on"] = decided
        return
    row["prefect_decision"] = PrefectDecision.GRANTED
    start = decided + timedelta(days=rng.randint(0, 14))
    periods = []
    while len(periods) < PSP_MAX_PERIODS and start <= min(as_of, person.active_until):
        end = add_months(start, 6) - timedelta(days=1)
        periods.append((start, end))
        start = end + timedelta(days=1)
        if rng.random() < 0.15:
            break  # not renewed: the person found a job, moved, or left the pathway
    if not periods:
        return
    for number, (start_on, end_on) in enumerate(periods):
        ctx.add(
            "psp_period",
            {
                "id": ctx.new_id("psp_period"),
                "episode_id": episode_id,
                "site_id": person.site.id,
                "start_on": start_on,
                "end_on": end_on,
                "is_renewal": number > 0,
            },
            on=start_on,
        )
        ctx.touch(person, start_on)
    first, last = periods[0][0], periods[-1][1]
    row.update(
        aps_start_on=first,
        aps_end_on=last,
        afis_start_on=first,
        afis_end_on=last,
        afis_monthly_cents=AFIS_MONTHLY_CENTS,
    )
    if last < as_of:
        row["ended_on"] = last
    else:
        person.row["administrative_status"] = AdministrativeStatus.APS


def _referrals(ctx: SeedContext, person: PersonInfo, side: random.Random) -> None:
    rng, as_of = ctx.rng, ctx.as_of
    for _ in range(REFERRAL_COUNT.pick(rng)):
        kind = REFERRAL_KINDS.pick(rng)
        referred = ctx.day_between(person.intake_on, person.active_until)
        result, result_on = ReferralResult.PENDING, None
        if (as_of - referred).days > 21:
            result = REFERRAL_RESULTS.pick(rng)
            if result != ReferralResult.PENDING:
                result_on = min(referred + timedelta(days=rng.randint(7, 45)), as_of)
        partner_id, reason = rng.choice(person.site.partners[kind.value]), rng.choice(REFERRAL_REASONS[kind])
        if kind in (PartnerKind.OTHER, PartnerKind.HEALTH) and side.random() < 0.6:
            kind = PUBLIC_PARTNERS.pick(side)
            partner_id, reason = side.choice(person.site.partners[kind.value]), side.choice(PUBLIC_REASONS[kind])
        ctx.add(
            "referral",
            {
                "id": ctx.new_id("referral"),
                "person_id": person.id,
                "site_id": person.site.id,
                "partner_id": partner_id,
                "referred_on": referred,
                "reason": reason,
                "result": result,
                "result_on": result_on,
            },
            on=referred,
        )
        ctx.touch(person, referred)
        # No referral without consent to sharing: the team records it when it refers (as the app does).
        person.row["consent_partner_sharing"] = True


def _outcome(ctx: SeedContext, person: PersonInfo, side: random.Random) -> None:
    rng = ctx.rng
    if person.status == PersonStatus.CLOSED:
        if rng.random() >= 0.65:
            return  # closed without an outcome: moved away, contact lost…
        outcome_on, closes = person.active_until, True
    elif (person.active_until - person.intake_on).days > 180 and rng.random() < 0.15:
        outcome_on, closes = ctx.day_between(person.intake_on + timedelta(days=120), person.active_until), False
    else:
        return
    outcome_type = OUTCOME_TYPES.pick(rng)
    if outcome_type == OutcomeType.OTHER:
        outcome_type = BEYOND_EMPLOYMENT.pick(side)
    ctx.add(
        "outcome",
        {
            "id": ctx.new_id("outcome"),
            "person_id": person.id,
            "site_id": person.site.id,
            "outcome_on": outcome_on,
            "category": OUTCOME_CATEGORY_OF_TYPE[outcome_type],
            "outcome_type": outcome_type,
            "employer_sector": rng.choice(SECTORS[outcome_type]) if outcome_type in SECTORS else None,
            "closes_file": closes,
        },
        on=outcome_on,
    )
    ctx.touch(person, outcome_on)


def _notes(ctx: SeedContext, person: PersonInfo) -> None:
    rng = ctx.rng
    for _ in range(int(rng.random() * (2 * ctx.spec.notes_per_person + 1))):
        noted = ctx.day_between(person.intake_on, person.active_until)
        ctx.add(
            "person_note",
            {
                "id": ctx.new_id("person_note"),
                "person_id": person.id,
                "site_id": person.site.id,
                "noted_on": noted,
                "author_id": person.referent_id,
                "body_encrypted": ctx.cipher.encrypt(rng.choice(NOTE_BODIES)),
            },
            on=noted,
        )
        ctx.touch(person, noted)
