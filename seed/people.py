"""Person files: pseudonymous code, encrypted alias and phone, situation, consent, referent."""

from __future__ import annotations

from datetime import date, timedelta

from models.partners import PartnerKind
from models.persons import AdministrativeStatus, Gender, HousingSituation, IntakeOrigin, PersonStatus
from seed.context import PersonInfo, SeedContext, SiteInfo, Weighted, split_by_weight
from seed.names import NamePools
from seed.outreach import referrals_to_intake
from services.persons.alias_index import alias_tokens

# Nationality mix, as orders of magnitude: the MIPROF–SSMSI yearly survey of the victims of trafficking
# followed by associations (« La traite des êtres humains en France ») puts Nigeria far ahead for sexual
# exploitation, then Romania, Bulgaria, China, Latin America (Brazil, Colombia, Venezuela…), France and
# North Africa; the Mouvement du Nid's delegations describe the same street (Hérault, 2022: mostly young
# Nigerian women at night, Latin American women, some of them trans, and North Africans; Eastern
# Europeans by day). Weights are percentages.
NATIONALITIES = Weighted(
    {
        "NG": 30,
        "FR": 10,
        "RO": 10,
        "CN": 8,
        "BR": 7,
        "BG": 6,
        "CO": 5,
        "CI": 5,
        "MA": 4,
        "GH": 3,
        "DZ": 3,
        "AL": 3,
        "VE": 2,
        "UA": 2,
    }
)
LANGUAGES = {
    "NG": ("en",),
    "RO": ("ro",),
    "CN": ("zh",),
    "BR": ("pt",),
    "FR": ("fr",),
    "AL": ("sq",),
    "CI": ("fr",),
    "BG": ("bg",),
    "CO": ("es",),
    "GH": ("en",),
    "VE": ("es",),
    "MA": ("ar", "fr"),
    "DZ": ("ar", "fr"),
    "UA": ("uk", "ru"),
}
SECOND_LANGUAGES = {"NG": ("yo", "ig"), "RO": ("en",), "BG": ("tr",), "GH": ("ak",), "CN": ("en",)}
EU_OR_FRENCH = ("FR", "RO", "BG")
# Gender per nationality: women almost only among Nigerian, Chinese and West African persons; trans
# women a large part of the Latin Americans; men mostly among North Africans, Eastern Europeans and
# French (same sources). Overall about 80 % women, 10 % trans women, 7 % men.
WOMEN_ONLY = Weighted({Gender.WOMAN: 97, Gender.MAN: 2, Gender.UNDISCLOSED: 1})
EAST_EUROPE = Weighted({Gender.WOMAN: 85, Gender.MAN: 10, Gender.TRANS_WOMAN: 3, Gender.UNDISCLOSED: 2})
LATIN_AMERICA = Weighted({Gender.TRANS_WOMAN: 50, Gender.WOMAN: 42, Gender.MAN: 6, Gender.NON_BINARY: 2})
NORTH_AFRICA = Weighted({Gender.WOMAN: 45, Gender.MAN: 30, Gender.TRANS_WOMAN: 22, Gender.UNDISCLOSED: 3})
FRANCE = Weighted(
    {
        Gender.WOMAN: 74,
        Gender.MAN: 10,
        Gender.TRANS_WOMAN: 8,
        Gender.TRANS_MAN: 2,
        Gender.NON_BINARY: 4,
        Gender.UNDISCLOSED: 2,
    }
)
GENDERS_BY_NATIONALITY = {
    **dict.fromkeys(("NG", "CN", "CI", "GH", "AL", "UA"), WOMEN_ONLY),
    **dict.fromkeys(("RO", "BG"), EAST_EUROPE),
    **dict.fromkeys(("BR", "CO", "VE"), LATIN_AMERICA),
    **dict.fromkeys(("MA", "DZ"), NORTH_AFRICA),
    "FR": FRANCE,
}
# Age at intake: Nigerian women are young (many arrive at 18–25), Chinese women older (those met in
# Belleville are mostly over 40); the others spread over the working ages.
AGE_BANDS = Weighted({(18, 25): 30, (26, 35): 38, (36, 45): 20, (46, 60): 12})
AGE_BANDS_BY_NATIONALITY = {
    "NG": Weighted({(18, 25): 55, (26, 35): 35, (36, 45): 10}),
    "CN": Weighted({(26, 35): 10, (36, 45): 40, (46, 60): 50}),
}
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
# Without a residence permit, no tenancy of one's own: emergency shelter, hosted, street.
HOUSING_WITHOUT_PERMIT = Weighted(
    {
        HousingSituation.STREET: 1.5,
        HousingSituation.EMERGENCY_SHELTER: 4,
        HousingSituation.HOSTED_BY_THIRD_PARTY: 4,
        HousingSituation.SECURE_HOUSING: 1,
        HousingSituation.OTHER: 0.5,
    }
)
SETTLED = (AdministrativeStatus.FRENCH_OR_EU, AdministrativeStatus.RESIDENCE_PERMIT)
# Resources at intake (services.persons.files.INCOME_SOURCES codes): most have none; asylum seekers the
# ADA; the RSA needs a residence right (and the AFIS comes only with a PSP, after intake).
INCOME_AT_INTAKE = {
    AdministrativeStatus.FRENCH_OR_EU: Weighted({"none": 35, "rsa": 40, "salary": 10, "unemployment": 5, "family": 10}),
    AdministrativeStatus.RESIDENCE_PERMIT: Weighted({"none": 45, "rsa": 30, "salary": 15, "family": 10}),
    AdministrativeStatus.ASYLUM_SEEKER: Weighted({"ada": 80, "none": 20}),
    AdministrativeStatus.UNDOCUMENTED: Weighted({"none": 95, "other": 5}),
}
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


def alias_pools(ctx: SeedContext, excluded: set[str]) -> NamePools:
    """First names per nationality (seed/names.py), never a word of a staff member's name."""
    return NamePools.build(excluded)


def seed_persons(ctx: SeedContext, aliases: NamePools) -> None:
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
    referrals_to_intake(ctx)


def _person(ctx: SeedContext, site: SiteInfo, intake_on: date, number: int, aliases: NamePools) -> None:
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
    low, high = AGE_BANDS_BY_NATIONALITY.get(nationality, AGE_BANDS).pick(rng)
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
    gender = GENDERS_BY_NATIONALITY[nationality].pick(rng)
    # A trans man or a man is given a man's name; a non-binary person either.
    male = gender in MALE_GENDERS or (gender == Gender.NON_BINARY and rng.random() < 0.5)
    phone = None
    if rng.random() < 0.65:
        phone = f"0{rng.choice('67')} " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4))
    administrative_status = AdministrativeStatus.FRENCH_OR_EU if nationality in EU_OR_FRENCH else ADMIN_NON_EU.pick(rng)
    alias = aliases.pick(rng, nationality, male)
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
            "alias_encrypted": ctx.cipher.encrypt(alias),
            "phone_encrypted": ctx.cipher.encrypt(phone),
            "birth_year": as_of.year - age_now,
            "gender": gender,
            "nationality": nationality,
            "languages": languages,
            "administrative_status": administrative_status,
            "housing": (HOUSING if administrative_status in SETTLED else HOUSING_WITHOUT_PERMIT).pick(rng),
            "income_sources": [INCOME_AT_INTAKE[administrative_status].pick(rng)],
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
    for token in alias_tokens(alias, ctx.cipher):  # the blind index the caseload searches
        ctx.add("person_alias_token", {"token": token, "person_id": person_id})


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
