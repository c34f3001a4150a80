"""The k-anonymity rule of anonymised files, on hand-built worlds and against a brute-force check."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

from services.persons.generalisation import QuasiIdentifiers, age_band, generalise, precise, region_of

ON = date(2024, 6, 1)
UNKNOWN = (None, "undisclosed", None, None)


def q(site: int, band: int | None, gender: str, country: str | None, region: str | None) -> QuasiIdentifiers:
    return QuasiIdentifiers(site, band, gender, country, region)


def test_age_bands_and_regions():
    assert [age_band(year, ON) for year in (1995, 1994, 1990, 1989, 2024)] == [25, 30, 30, 35, 0]
    assert age_band(None, ON) is None and age_band(2025, ON) is None
    assert [region_of(code) for code in ("NG", "ng", "RO", "CN", "BR", "FR", "ZZ", None)] == [
        "011",
        "011",
        "151",
        "030",
        "005",
        "155",
        None,
        None,
    ]


def test_five_of_a_country_keep_it_four_fall_back_to_the_region_and_a_lone_file_to_nothing():
    world = {f"ng{i}": q(1, 25, "woman", "NG", "011") for i in range(5)}
    world |= {f"gh{i}": q(1, 30, "woman", "GH", "011") for i in range(4)} | {"ci": q(1, 30, "woman", "CI", "011")}
    world |= {"cn": q(1, 40, "man", "CN", "030")}
    chosen = generalise([], world)
    assert {chosen[f"ng{i}"] for i in range(5)} == {q(1, 25, "woman", "NG", "011")}
    assert {chosen[k] for k in ("gh0", "gh1", "gh2", "gh3", "ci")} == {q(1, 30, "woman", None, "011")}
    assert chosen["cn"] == q(1, *UNKNOWN)


def test_the_nationality_goes_before_age_and_gender():
    world = {code: q(2, 35, "woman", code, region_of(code)) for code in ("NG", "RO", "CN", "BR", "DZ")}
    assert set(generalise([], world).values()) == {q(2, 35, "woman", None, None)}


def test_files_anonymised_before_count_and_never_change():
    before = [q(1, 25, "woman", "NG", "011")] * 4 + [q(1, 30, "woman", None, "151")] * 5
    chosen = generalise(before, {"a": q(1, 25, "woman", "NG", "011"), "b": q(1, 30, "woman", "BG", "151")})
    assert chosen == {"a": q(1, 25, "woman", "NG", "011"), "b": q(1, 30, "woman", None, "151")}
    # The same files on another site are alone there.
    assert set(generalise(before, {"c": q(9, 25, "woman", "NG", "011")}).values()) == {q(9, *UNKNOWN)}


def test_leaving_a_combination_can_leave_it_too_rare_for_the_others():
    # 5 Nigerian women 25–29 in a batch, but 4 of them are of another site: nobody keeps the country,
    # and the one left on site 1 cannot keep her region nor her band either.
    world = {"x": q(1, 25, "woman", "NG", "011")} | {f"y{i}": q(2, 25, "woman", "NG", "011") for i in range(4)}
    assert set(generalise([], world).values()) == {q(1, *UNKNOWN), q(2, *UNKNOWN)}


def generalisations(identifiers: QuasiIdentifiers) -> set[QuasiIdentifiers]:
    """Every value a file may be stored as, written out (not with the module's levels)."""
    site, band, gender, country, region = (
        identifiers.site_id,
        identifiers.age_band,
        identifiers.gender,
        identifiers.nationality,
        identifiers.nationality_region,
    )
    return {
        q(site, band, gender, country, region),
        q(site, band, gender, None, region),
        q(site, band, gender, None, None),
        q(site, *UNKNOWN),
    }


def test_random_worlds_against_a_brute_force_check():
    rng = random.Random(20261118)
    countries = ["NG", "GH", "CI", "RO", "BG", "CN", "BR", None]
    for _ in range(300):
        stored_before = []
        for _ in range(rng.randrange(0, 12)):
            stored_before.append(q(rng.choice([1, 2]), 25, "woman", "NG", "011"))
        world = {}
        for index in range(rng.randrange(1, 40)):
            birth = rng.choice([1990, 1993, 1996, 1999, None])
            gender = rng.choice(["woman", "woman", "man", "trans_woman"])
            world[index] = precise(rng.choice([1, 2]), birth, gender, rng.choice(countries), ON)
        stored_before = [value for value in stored_before if Counter(stored_before)[value] >= 5]
        chosen = generalise(stored_before, world)

        assert set(chosen) == set(world)
        for key, value in chosen.items():
            assert value in generalisations(world[key])
        counts = Counter(stored_before + list(chosen.values()))
        for value, count in counts.items():
            assert count >= 5 or (value.age_band, value.gender, value.nationality, value.nationality_region) == UNKNOWN
