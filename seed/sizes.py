"""The two data-set sizes: `demo` (four sites, ~300 files) and `large` (benchmarks)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SiteSpec:
    code: str  # prefix of person codes
    city: str
    department: str  # "du Rhône", "de l'Isère"… as written after CIDFF / SIAO
    region: str
    weight: float  # share of the persons


@dataclass(frozen=True)
class SizeSpec:
    name: str
    sites: tuple[SiteSpec, ...]
    persons: int
    # Outreach rounds per site and week, street and online (fractions are drawn).
    street_rounds_per_week: float
    online_rounds_per_week: float
    extra_intervenants_per_site: int
    workshop_share: float  # persons enrolled in a workshop cycle
    course_share: float  # persons (not French-speaking) enrolled in a French course group
    workshop_sessions_per_person_week: float
    learners_per_group: int
    notes_per_person: float
    expenses_per_line_month: float  # non-staff lines; staff lines get one pay run a month


LYON = SiteSpec("LYO", "Lyon", "du Rhône", "Auvergne-Rhône-Alpes", 0.34)
GRENOBLE = SiteSpec("GRE", "Grenoble", "de l'Isère", "Auvergne-Rhône-Alpes", 0.28)
MARSEILLE = SiteSpec("MRS", "Marseille", "des Bouches-du-Rhône", "Provence-Alpes-Côte d'Azur", 0.20)
PARIS = SiteSpec("PAR", "Paris", "de Paris", "Île-de-France", 0.18)

BENCHMARK_SITES = (
    SiteSpec("LYO", "Lyon", "du Rhône", "Auvergne-Rhône-Alpes", 0.12),
    SiteSpec("GRE", "Grenoble", "de l'Isère", "Auvergne-Rhône-Alpes", 0.10),
    SiteSpec("MRS", "Marseille", "des Bouches-du-Rhône", "Provence-Alpes-Côte d'Azur", 0.09),
    SiteSpec("PAR", "Paris", "de Paris", "Île-de-France", 0.10),
    SiteSpec("TLS", "Toulouse", "de la Haute-Garonne", "Occitanie", 0.075),
    SiteSpec("NTE", "Nantes", "de la Loire-Atlantique", "Pays de la Loire", 0.07),
    SiteSpec("BDX", "Bordeaux", "de la Gironde", "Nouvelle-Aquitaine", 0.075),
    SiteSpec("LIL", "Lille", "du Nord", "Hauts-de-France", 0.08),
    SiteSpec("STR", "Strasbourg", "du Bas-Rhin", "Grand Est", 0.07),
    SiteSpec("NCE", "Nice", "des Alpes-Maritimes", "Provence-Alpes-Côte d'Azur", 0.07),
    SiteSpec("MTP", "Montpellier", "de l'Hérault", "Occitanie", 0.065),
    SiteSpec("REN", "Rennes", "d'Ille-et-Vilaine", "Bretagne", 0.075),
)

# Demo volumes, orders of magnitude of the activity reports of associations of this size (the Amicale du
# Nid's and the Mouvement du Nid's sites): about a hundred new files a year for four sites, so a file
# active of some forty to eighty persons per site at a time, twenty to forty per caseworker; a street
# round a week and an online round most weeks per site; workshop cycles for about half of the persons
# and French groups for most of those who do not speak French.
SIZES: dict[str, SizeSpec] = {
    "demo": SizeSpec(
        name="demo",
        sites=(LYON, GRENOBLE, MARSEILLE, PARIS),
        persons=300,
        street_rounds_per_week=1.0,
        online_rounds_per_week=0.7,
        extra_intervenants_per_site=2,
        workshop_share=0.6,
        course_share=0.75,
        workshop_sessions_per_person_week=0.8,
        learners_per_group=10,
        notes_per_person=1.5,
        expenses_per_line_month=1.2,
    ),
    "large": SizeSpec(
        name="large",
        sites=BENCHMARK_SITES,
        persons=30_000,
        street_rounds_per_week=18.5,
        online_rounds_per_week=14.5,
        extra_intervenants_per_site=5,
        workshop_share=0.5,
        course_share=0.22,
        workshop_sessions_per_person_week=0.8,
        learners_per_group=12,
        notes_per_person=0.5,
        expenses_per_line_month=17.0,  # 3x the lines of three grants, same expenses
    ),
}
