"""Who funds the association, for what, and which share of each post: the funders of this sector.

Orders of magnitude (public sources; the amounts follow from the posts each grant pays, see
`seed/finance.py`, and `tests/ops/test_seed_calibration.py` checks the ranges):
- State, programme 137 « égalité entre les femmes et les hommes »: the DDETS of each department
  (its déléguée aux droits des femmes) funds the accompaniment of persons in a parcours de sortie de la
  prostitution (PSP, law no. 2016-444 of 13 April 2016). The prostitution line of the programme is a few
  million euros a year nationwide (about 4.5 M€ in the 2022 finance law, as a written question to the
  Assemblée nationale recalls), the AFIS included; so tens of thousands of euros per department and
  association. The AFIS itself is paid to the person (seed/pathway.py), never through the association.
  The Senate's finance committee counted about 900 persons in a PSP at the end of 2024, Paris, the Rhône,
  the Bouches-du-Rhône and the Isère first.
- A national association's head office also gets a national subsidy of the same programme (the SDFE,
  service des droits des femmes et de l'égalité), which pays its national posts; the AGRASC project pays a
  share of them too (its national coordination). National posts, lines and expenses belong to no site.
- FIPD (fonds interministériel de prévention de la délinquance), through the préfecture: a few thousand
  to a few tens of thousands of euros for an outreach or victim-support action.
- AGRASC fonds de concours: the agency transfers part of the confiscated assets to the State, which
  shares them out through a yearly call for projects relayed by the regional delegations for women's
  rights: 2.6 M€ in 2022, 3.6 M€ in 2023 for the whole country (préfectures' announcements; the first
  transfer, in 2019, was about 0.45 M€ according to the IGAS–IGA–IGJ evaluation of the 2016 law). A
  two-site project over 18 months (the Amicale du Nid's 2021 project in Lyon and Grenoble had two strands,
  outreach and insertion) gets tens of thousands to a couple of hundred thousand euros.
- Region (vocational insertion, French for work), department or metropolis (social accompaniment), city
  (health, access to rights): tens of thousands of euros each, a city less.
- One private foundation: tens of thousands of euros over two years, for what public money pays badly
  (interpreting, transport, hygiene kits), not for posts.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.finance import BudgetCategory, FunderKind
from models.staffing import PostType
from seed.sizes import SiteSpec
from services.accounts.demo import AGRASC_FUNDER_NAME

FOUNDATION_NAME = "Fondation Horizons Solidaires"
HEAD_OFFICE = "LYO"  # the national subsidy's convention names it; the national posts belong to no site
# The AGRASC project's national coordination (lines of no site): the national officers' share, their travel
# and the meetings between the teams.
AGRASC_NATIONAL = (BudgetCategory.STAFF, BudgetCategory.OTHER_EXTERNAL_SERVICES)
AGRASC_SITES = ("LYO", "GRE")
# The department's share is paid by a metropolis or a city with department powers at these sites.
DEPARTMENT_FUNDERS = {"LYO": "Métropole de Lyon", "PAR": "Ville de Paris"}
NO_CITY_GRANT = ("LYO", "PAR")  # the metropolis / the city already pays as a department
FOUNDATION_SITES = 2  # the foundation helps two sites the AGRASC does not fund
FIPD_EVERY = 2  # one site out of two has a FIPD action (the first, the third…)


@dataclass(frozen=True)
class GrantPlan:
    key: str  # unique: role, then the site or region it covers
    role: str  # which share of a post it pays (POST_SPLITS keys), or "foundation"
    funder: str
    kind: FunderKind
    name: str
    ref_prefix: str
    euros: int  # the floor of the convention (a grant paying few posts)
    months_before: int  # the grant started this many months before `as_of`; None: January of `as_of`
    duration_months: int
    strands: tuple[tuple[str, str, float], ...]  # (name, accounting code, weight)
    tolerance_bp: int
    indirect_rate_bp: int
    site_codes: tuple[str, ...]
    # Its national column (lines of no site: the association's own costs, « National »): the categories it
    # holds (every one: a national grant, which has no site line), and its weight beside a site's.
    national: tuple[BudgetCategory, ...] = ()
    national_weight: float = 0.0

    @property
    def national_only(self) -> bool:
        """A national grant: every line national (its convention still names the head office's site)."""
        return self.national == tuple(BudgetCategory)


AV = ("Aller-vers", "AV", 0.45)
ISP = ("Insertion socio-professionnelle", "ISP", 0.55)
PSP = ("Parcours de sortie de la prostitution", "PSP", 0.55)
AG = ("Accompagnement global", "AG", 1.0)
FLE = ("Français à visée d'insertion", "FLE", 0.3)
CALENDAR_YEAR = -1  # months_before meaning: the grant runs over the calendar year of `as_of`


def _department_name(site: SiteSpec) -> str:
    return DEPARTMENT_FUNDERS.get(site.code, f"Département {site.department}")


def grant_plans(sites: tuple[SiteSpec, ...]) -> list[GrantPlan]:
    """Every convention of the data set, AGRASC first (its reference and dates are what tests know)."""
    codes = [site.code for site in sites]
    plans = [
        GrantPlan(
            "agrasc",
            "agrasc",
            AGRASC_FUNDER_NAME,
            FunderKind.AGRASC,
            "Fonds de concours AGRASC — sortie de la prostitution et insertion",
            "AGRASC-FDC",
            90_000,
            10,
            18,
            (("Aller-vers", "AV", 0.42), ("Insertion socio-professionnelle", "ISP", 0.58)),
            1000,
            800,
            tuple(code for code in AGRASC_SITES if code in codes),
            # the project's national coordination: a share of the national officers, their travel and meetings
            AGRASC_NATIONAL if HEAD_OFFICE in codes else (),
            0.25,
        )
    ]
    regions: dict[str, list[str]] = {}
    for site in sites:
        regions.setdefault(site.region, []).append(site.code)
    for index, (region, region_codes) in enumerate(regions.items()):
        plans.append(
            GrantPlan(
                f"region:{index}",
                "region",
                f"Région {region}",
                FunderKind.REGION,
                "Parcours vers l'emploi des femmes victimes d'exploitation",
                f"REG{index + 1:02d}-INS",
                30_000,
                6,
                12,
                (("Insertion socio-professionnelle", "ISP", 0.7), FLE),
                1500,
                0,
                tuple(region_codes),
            )
        )
    if HEAD_OFFICE in codes:
        plans.append(
            GrantPlan(
                "national",
                "national",
                "État — SDFE, subvention nationale (programme 137)",
                FunderKind.STATE,
                "Animation nationale : formation des équipes, plaidoyer, essaimage",
                "SDFE-NAT",
                50_000,
                CALENDAR_YEAR,
                12,
                (AV, ("Accompagnement global", "AG", 0.55)),
                1000,
                500,
                (HEAD_OFFICE,),
                tuple(BudgetCategory),
                1.0,
            )
        )
    for order, site in enumerate(sites):
        state = "DRIETS Île-de-France" if site.code == "PAR" else f"DDETS {site.department}"
        plans.append(
            GrantPlan(
                f"state:{site.code}",
                "state",
                f"{state} — droits des femmes (programme 137)",
                FunderKind.STATE,
                "Accompagnement vers la sortie de la prostitution",
                f"P137-{site.code}",
                20_000,
                CALENDAR_YEAR,
                12,
                (PSP, AV),
                1000,
                500,
                (site.code,),
            )
        )
        plans.append(
            GrantPlan(
                f"department:{site.code}",
                "department",
                _department_name(site),
                FunderKind.DEPARTMENT,
                "Accompagnement social global des personnes prostituées",
                f"DEP-{site.code}",
                30_000,
                CALENDAR_YEAR,
                12,
                (AG,),
                1000,
                0,
                (site.code,),
            )
        )
        if site.code not in NO_CITY_GRANT:
            plans.append(
                GrantPlan(
                    f"city:{site.code}",
                    "city",
                    f"Ville de {site.city}",
                    FunderKind.CITY,
                    "Santé et accès aux droits",
                    f"VIL-{site.code}",
                    8_000,
                    CALENDAR_YEAR,
                    12,
                    (AG,),
                    1500,
                    0,
                    (site.code,),
                )
            )
        if order % FIPD_EVERY == 0:
            plans.append(
                GrantPlan(
                    f"fipd:{site.code}",
                    "fipd",
                    f"Préfecture {site.department} — FIPD",
                    FunderKind.STATE,
                    "Aller-vers et aide aux victimes de la traite",
                    f"FIPD-{site.code}",
                    12_000,
                    CALENDAR_YEAR,
                    12,
                    (AV,),
                    1000,
                    0,
                    (site.code,),
                )
            )
    plans.append(
        GrantPlan(
            "foundation",
            "foundation",
            FOUNDATION_NAME,
            FunderKind.FOUNDATION,
            "Interprétariat, mobilité et première nécessité",
            "FHS",
            60_000,
            14,
            24,
            (AG,),
            2000,
            700,
            tuple(code for code in codes if code not in AGRASC_SITES)[:FOUNDATION_SITES],
        )
    )
    return plans


# Share of each post's cost per funder role (weights; the roles without a grant at the post's site are
# left out and the rest scaled to 10 000 basis points). The AGRASC's share stays modest: its calls fund
# projects, not an association's staff.
POST_SPLITS: dict[PostType, dict[str, int]] = {
    PostType.SOCIAL_WORKER: {"state": 35, "department": 35, "agrasc": 15, "city": 10, "fipd": 5},
    PostType.CIP: {"region": 50, "agrasc": 20, "department": 20, "state": 10},
    PostType.HEALTH_PROFESSIONAL: {"city": 40, "department": 40, "agrasc": 20},
    PostType.FLE_TRAINER: {"region": 60, "department": 20, "city": 20},
    PostType.COORDINATION: {"state": 30, "department": 30, "region": 20, "agrasc": 10, "city": 10},
    # the national posts (no site): the national subsidy, and the AGRASC project's national coordination
    PostType.NATIONAL_PROJECT_OFFICER: {"national": 70, "agrasc": 30},
}
