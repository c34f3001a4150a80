"""Person files: pseudonymous code, encrypted alias and phone, situation, consent, referent."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from models.partners import PartnerKind
from models.persons import AdministrativeStatus, Gender, HousingSituation, IntakeOrigin, PersonStatus
from seed.context import PersonInfo, SeedContext, SiteInfo, Weighted, split_by_weight

NATIONALITIES = Weighted(
    {
        "NG": 24,
        "RO": 12,
        "CN": 8,
        "BR": 6,
        "FR": 9,
        "AL": 5,
        "CM": 7,
        "CI": 6,
        "BG": 5,
        "CO": 4,
        "GH": 3,
        "VE": 2,
        "MA": 3,
        "DZ": 2,
        "UA": 2,
        "PE": 2,
    }
)
LANGUAGES = {
    "NG": ("en",),
    "RO": ("ro",),
    "CN": ("zh",),
    "BR": ("pt",),
    "FR": ("fr",),
    "AL": ("sq",),
    "CM": ("fr", "en"),
    "CI": ("fr",),
    "BG": ("bg",),
    "CO": ("es",),
    "GH": ("en",),
    "VE": ("es",),
    "MA": ("ar", "fr"),
    "DZ": ("ar", "fr"),
    "UA": ("uk", "ru"),
    "PE": ("es",),
}
SECOND_LANGUAGES = {"NG": ("yo", "ig"), "RO": ("en",), "BG": ("tr",), "GH": ("ak",), "CN": ("en",)}
EU_OR_FRENCH = ("FR", "RO", "BG")
GENDERS = Weighted(
    {
        Gender.WOMAN: 78,
        Gender.TRANS_WOMAN: 11,
        Gender.MAN: 6,
        Gender.TRANS_MAN: 1,
        Gender.NON_BINARY: 2,
        Gender.UNDISCLOSED: 2,
    }
)
AGE_BANDS = Weighted({(18, 25): 30, (26, 35): 38, (36, 45): 20, (46, 60): 12})
ADMIN_NON_EU = Weighted(
    {
        AdministrativeStatus.RESIDENCE_PERMIT: 3,
        AdministrativeStatus.ASYLUM_SEEKER: 3,
        AdministrativeStatus.UNDOCUMENTED: 4,
    }
)
HOUSING = Weighted(
    {
        HousingSituation.STREET: 1,
        HousingSituation.EMERGENCY_SHELTER: 3,
        HousingSituation.HOSTED_BY_THIRD_PARTY: 3,
        HousingSituation.SOCIAL_HOUSING: 2,
        HousingSituation.OWN_TENANCY: 1.5,
        HousingSituation.SECURE_HOUSING: 1,
        HousingSituation.OTHER: 0.5,
    }
)
ORIGINS = Weighted(
    {
        IntakeOrigin.OUTREACH: 40,
        IntakeOrigin.PARTNER: 28,
        IntakeOrigin.SELF: 12,
        IntakeOrigin.OTHER_ASSOCIATION: 15,
        IntakeOrigin.OTHER: 5,
    }
)
REFERRING_KINDS = (
    PartnerKind.FRANCE_TRAVAIL,
    PartnerKind.CIDFF,
    PartnerKind.HEALTH,
    PartnerKind.HOUSING,
    PartnerKind.OTHER,
)


MALE_GENDERS = (Gender.MAN, Gender.TRANS_MAN)


@dataclass(frozen=True)
class AliasPool:
    female: list[str]
    male: list[str]

    def pick(self, rng: random.Random, gender: Gender) -> str:
        return rng.choice(self.male if gender in MALE_GENDERS else self.female)


def alias_pool(ctx: SeedContext, excluded: set[str], size: int = 320) -> AliasPool:
    """First names drawn once from Faker (slow per call), never a word of a staff member's name."""
    seen: set[str] = set(excluded)
    pools: tuple[list[str], list[str]] = ([], [])
    for i in range(size):
        male = i % 5 == 0
        name = ctx.fake.first_name_male() if male else ctx.fake.first_name_female()
        if name not in seen:
            seen.add(name)
            pools[male].append(name)
    return AliasPool(female=pools[0], male=pools[1])


def seed_persons(ctx: SeedContext, aliases: AliasPool) -> None:
    counts = split_by_weight(ctx.spec.persons, [site.spec.weight for site in ctx.sites])
    drafts: list[tuple[date, int, SiteInfo]] = []
    for order, (site, count) in enumerate(zip(ctx.sites, counts, strict=True)):
        for _ in range(count):
            drafts.append((ctx.day_between(ctx.start, ctx.as_of), order, site))
    # Ids and code numbers follow the intake date, as they would in real use.
    drafts.sort(key=lambda draft: (draft[0], draft[1]))
    numbers: dict[tuple[int, int], int] = {}
    for intake_on, _, site in drafts:
        key = (site.id, intake_on.year)
        numbers[key] = numbers.get(key, 0) + 1
        _person(ctx, site, intake_on, numbers[key], aliases)


def _person(ctx: SeedContext, site: SiteInfo, intake_on: date, number: int, aliases: AliasPool) -> None:
    rng, as_of = ctx.rng, ctx.as_of
    person_id = ctx.new_id("person")
    status, active_until, closed_on = _status(ctx, intake_on)
    nationality = NATIONALITIES.pick(rng)
    languages = list(LANGUAGES[nationality])
    if nationality in SECOND_LANGUAGES and rng.random() < 0.25:
        languages.append(rng.choice(SECOND_LANGUAGES[nationality]))
    french_speaker = "fr" in languages
    if not french_speaker and rng.random() < 0.3:
        languages.append("fr")  # some French already, still a learner
    low, high = AGE_BANDS.pick(rng)
    years_since_intake = as_of.year - intake_on.year
    age_now = max(rng.randint(low, high), 18 + years_since_intake)
    origin = ORIGINS.pick(rng)
    round_id = partner_id = None
    first_contact_on = max(ctx.start, intake_on - timedelta(days=rng.randint(0, 45)))
    if origin == IntakeOrigin.OUTREACH:
        met = site.round_before(intake_on, 90)
        if met is None:
            origin = IntakeOrigin.SELF
        else:
            round_id, first_contact_on = met
    elif origin == IntakeOrigin.PARTNER:
        partner_id = rng.choice(site.partners[rng.choice(REFERRING_KINDS).value])
    caseworkers = site.caseworkers()
    referent = rng.choices(caseworkers, weights=[1 if c.role == "intervenant" else 0.5 for c in caseworkers])[0]
    gender = GENDERS.pick(rng)
    phone = None
    if rng.random() < 0.65:
        phone = f"0{rng.choice('67')} " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4))
    row = ctx.add(
        "person",
        {
            "id": person_id,
            "code": f"{site.code}-{intake_on.year}-{number:04d}",
            "site_id": site.id,
            "code_year": intake_on.year,
            "code_number": number,
            "status": status,
            "first_contact_on": first_contact_on,
            "intake_on": intake_on,
            "origin": origin,
            "outreach_round_id": round_id,
            "referring_partner_id": partner_id,
            "alias_encrypted": ctx.cipher.encrypt(aliases.pick(rng, gender)),
            "phone_encrypted": ctx.cipher.encrypt(phone),
            "birth_year": as_of.year - age_now,
            "gender": gender,
            "nationality": nationality,
            "languages": languages,
            "administrative_status": (
                AdministrativeStatus.FRENCH_OR_EU if nationality in EU_OR_FRENCH else ADMIN_NON_EU.pick(rng)
            ),
            "housing": HOUSING.pick(rng),
            "income_sources": [],
            "consent_on": intake_on,
            "consent_processing": True,
            "consent_partner_sharing": rng.random() < 0.6,
            "consent_statistics": rng.random() < 0.92,
            "referent_id": referent.id,
            "last_contact_on": None,  # set once every activity exists
            "closed_on": closed_on,
            "retention_flagged_on": None,
            "anonymised_at": None,
        },
        on=intake_on,
    )
    person = PersonInfo(
        id=person_id,
        site=site,
        intake_on=intake_on,
        active_until=active_until,
        status=status,
        referent_id=referent.id,
        nationality=nationality,
        french_speaker=french_speaker,
        row=row,
    )
    ctx.persons.append(person)
    ctx.touch(person, intake_on)


def _status(ctx: SeedContext, intake_on: date) -> tuple[PersonStatus, date, date | None]:
    """Status, last day of activity and closing date: older files are more often closed."""
    rng, as_of = ctx.rng, ctx.as_of
    days = (as_of - intake_on).days
    p_closed = min(0.55, days / 1096 * 0.65)
    draw = rng.random()
    if days > 120 and draw < p_closed:
        closed_on = ctx.day_between(intake_on + timedelta(days=90), as_of - timedelta(days=7))
        return PersonStatus.CLOSED, closed_on, closed_on
    if days > 150 and draw < p_closed + 0.05:
        paused_from = ctx.day_between(as_of - timedelta(days=150), as_of - timedelta(days=45))
        return PersonStatus.PAUSED, max(paused_from, intake_on + timedelta(days=30)), None
    return PersonStatus.ACTIVE, as_of, None


def finish_persons(ctx: SeedContext) -> None:
    """Last contact = the latest dated activity; open files also had a recent interview."""
    rng = ctx.rng
    for person in ctx.persons:
        last = ctx.last_contact.get(person.id, person.intake_on)
        if person.status == PersonStatus.ACTIVE:
            recent = ctx.as_of - timedelta(days=int(rng.expovariate(1 / 12)))
            last = max(last, min(recent, ctx.as_of))
        elif person.status == PersonStatus.CLOSED:
            last = max(last, person.active_until - timedelta(days=rng.randint(0, 20)))
        else:
            last = max(last, person.active_until)
        person.row["last_contact_on"] = max(min(last, person.active_until, ctx.as_of), person.intake_on)


def seed_consent_history(ctx: SeedContext) -> None:
    """Each consent still refused once the pathways are drawn (a referral records the sharing consent) is a
    refusal at intake in the history, as the intake form writes it (services.persons.consent)."""
    for person in ctx.persons:
        for scope, column in (("statistics", "consent_statistics"), ("partner_sharing", "consent_partner_sharing")):
            if not person.row[column]:
                ctx.add(
                    "consent_change",
                    {
                        "id": ctx.new_id("consent_change"),
                        "person_id": person.id,
                        "site_id": person.site.id,
                        "scope": scope,
                        "given": False,
                        "effective_on": person.intake_on,
                        "at_intake": True,
                        "author_id": person.referent_id,
                    },
                    on=person.intake_on,
                )
