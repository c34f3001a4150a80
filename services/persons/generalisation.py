"""Generalisation of what anonymisation keeps about a person: k-anonymity on four quasi-identifiers.

Threat: someone who knows a person's site, age, gender and nationality (a neighbour, a pimp, a
journalist) looks for her among anonymised files. On the files of the brief 80 % of persons were
unique on site + nationality + birth year + gender: keeping those as they were re-identified them.

Rule (K = 5): among anonymised files, every kept combination of site × age band × gender ×
nationality group is shared by at least K files. A file being anonymised gets the most precise
level at which its combination is shared by K files, counting the files anonymised before (as they
are stored) and those anonymised with it:

    level 0: 5-year age band at intake, gender, nationality (country)
    level 1: 5-year age band at intake, gender, UN M49 sub-region of the nationality
    level 2: 5-year age band at intake, gender (nationality unknown)
    level 3: nothing (age band, gender and nationality unknown): only the site is kept

Level 3 is the floor, shared by everybody of the site whose details are unknown: it reveals only that
the site had a file. A file is never made more precise later (what was dropped is gone), and files
already anonymised are never changed, so their combinations only gain members and the rule keeps
holding. Anonymising files one at a time therefore mostly ends at level 3; anonymising the files
due together (the command line's `retention --apply`) keeps more.

The functions here are pure (no database): the retention service and the migration that generalised
the files anonymised before this rule both call them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date

K_ANONYMITY = 5
AGE_BAND_YEARS = 5
UNKNOWN_GENDER = "undisclosed"  # models.persons.Gender.UNDISCLOSED
LEVELS = 4

# UN M49 sub-regions (code → ISO 3166-1 alpha-2 countries). A country missing here has no region:
# at level 1 its nationality is unknown.
M49_SUB_REGIONS: dict[str, str] = {
    "015": "DZ EG LY MA SD TN EH",  # Northern Africa
    "011": "BJ BF CV CI GM GH GN GW LR ML MR NE NG SH SN SL TG",  # Western Africa
    "017": "AO CM CF TD CG CD GQ GA ST",  # Middle Africa
    "014": "BI KM DJ ER ET KE MG MW MU YT MZ RE RW SC SO SS UG TZ ZM ZW IO TF",  # Eastern Africa
    "018": "BW SZ LS NA ZA",  # Southern Africa
    "029": "AI AG AW BS BB BQ VG KY CU CW DM DO GD GP HT JM MQ MS PR BL KN LC MF VC SX TT TC VI",  # Caribbean
    "013": "BZ CR SV GT HN MX NI PA",  # Central America
    "005": "AR BO BV BR CL CO EC FK GF GY PY PE GS SR UY VE",  # South America
    "021": "BM CA GL PM US",  # Northern America
    "143": "KZ KG TJ TM UZ",  # Central Asia
    "030": "CN HK MO KP JP MN KR TW",  # Eastern Asia
    "035": "BN KH ID LA MY MM PH SG TH TL VN",  # South-eastern Asia
    "034": "AF BD BT IN IR MV NP PK LK",  # Southern Asia
    "145": "AM AZ BH CY GE IQ IL JO KW LB OM QA SA PS SY TR AE YE",  # Western Asia
    "151": "BY BG CZ HU PL MD RO RU SK UA",  # Eastern Europe
    "154": "AX DK EE FO FI GG IS IE IM JE LV LT NO SJ SE GB",  # Northern Europe
    "039": "AL AD BA HR GI GR VA IT MT ME MK PT SM RS SI ES XK",  # Southern Europe
    "155": "AT BE FR DE LI LU MC NL CH",  # Western Europe
    "053": "AU NZ NF CX CC HM",  # Australia and New Zealand
    "054": "FJ NC PG SB VU",  # Melanesia
    "057": "GU KI MH FM NR MP PW UM",  # Micronesia
    "061": "AS CK PF NU PN WS TK TO TV WF",  # Polynesia
}
_REGION_OF = {country: region for region, countries in M49_SUB_REGIONS.items() for country in countries.split()}


def region_of(country: str | None) -> str | None:
    """The M49 sub-region of an ISO country code (None if unknown)."""
    return _REGION_OF.get(country.upper()) if country else None


def age_band(birth_year: int | None, on: date) -> int | None:
    """First age of the 5-year band of the age reached in the year of `on` (31 in 2026 → 30, i.e. 30–34)."""
    if birth_year is None or birth_year > on.year:
        return None
    age = on.year - birth_year
    return age - age % AGE_BAND_YEARS


@dataclass(frozen=True)
class QuasiIdentifiers:
    """What an anonymised file keeps that a reader could match against a person he knows."""

    site_id: int
    age_band: int | None
    gender: str
    nationality: str | None
    nationality_region: str | None

    @property
    def is_unknown(self) -> bool:
        return (self.age_band, self.gender, self.nationality, self.nationality_region) == (
            None,
            UNKNOWN_GENDER,
            None,
            None,
        )


def precise(site_id: int, birth_year: int | None, gender: str, nationality: str | None, intake_on: date):
    """Level 0 of a file still holding its details."""
    country = nationality.upper() if nationality else None
    return QuasiIdentifiers(site_id, age_band(birth_year, intake_on), gender, country, region_of(country))


def at_level(identifiers: QuasiIdentifiers, level: int) -> QuasiIdentifiers:
    """`identifiers` (level 0) generalised to `level` (see the module docstring)."""
    if level <= 0:
        return identifiers
    if level == 1:
        return replace(identifiers, nationality=None)
    if level == 2:
        return replace(identifiers, nationality=None, nationality_region=None)
    return QuasiIdentifiers(identifiers.site_id, None, UNKNOWN_GENDER, None, None)


def generalise(
    kept: Iterable[QuasiIdentifiers], new: Mapping[Hashable, QuasiIdentifiers]
) -> dict[Hashable, QuasiIdentifiers]:
    """What each new file keeps: its most precise level whose combination K files share, counting the
    files already anonymised (`kept`, as stored, never changed) and the new ones at their levels.

    Every file whose combination is too rare goes down one level, then the counts are taken again
    (a file leaving a combination may leave it too rare for another), until nothing moves."""
    kept_counts = Counter(kept)
    levels = dict.fromkeys(new, 0)
    while True:
        stored = {key: at_level(new[key], level) for key, level in levels.items()}
        counts = kept_counts + Counter(stored.values())
        rare = [key for key, value in stored.items() if not value.is_unknown and counts[value] < K_ANONYMITY]
        if not rare:
            return stored
        for key in rare:
            levels[key] += 1
