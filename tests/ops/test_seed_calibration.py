"""The demo data looks like a real association's years (issue 20): what a sector professional would check.

Each range is written here from its public source (the same orders of magnitude seed/ names), never
computed with the seed's own constants: a change of the seed that leaves a range fails here.
"""

from __future__ import annotations

import importlib
import unicodedata
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine

from seed.generator import seed_database
from services.accounts.demo import AGRASC_FUNDER_NAME
from services.accounts.passwords import hash_password
from services.platform.crypto import FieldCipher
from services.platform.db import make_engine, upgrade_to_head

AS_OF = date(2026, 5, 13)
YEARS = 3  # the demo covers the three years ending on AS_OF
CEFR = ["pre_a1", "a1_1", "a1", "a2", "b1", "b2", "c1", "c2"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    cipher = FieldCipher([Fernet.generate_key().decode()])
    engine = make_engine(f"sqlite:///{Path(tmp_path_factory.mktemp('calibration')) / 'demo.db'}")
    upgrade_to_head(engine)
    seed_database(engine, size="demo", as_of=AS_OF, cipher=cipher, demo_password_hash=hash_password("x", rounds=4))
    yield engine, cipher
    engine.dispose()


def rows(engine: Engine, sql: str) -> list[sa.Row]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text(sql)))


def _plain(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")


def _faker_names(locale: str) -> set[str]:
    """A locale's first names without accents (a worker may leave out those a French keyboard lacks)."""
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    return {_plain(n) for n in set(provider.first_names_female) | set(provider.first_names_male)}


def test_mostly_women_then_trans_women_then_men(demo) -> None:
    """MIPROF–SSMSI survey of trafficking victims followed by associations, sexual exploitation: women
    by far (about 8 in 10 here), trans women mostly from Latin America, some men."""
    engine, _ = demo
    genders = Counter(dict(rows(engine, "SELECT gender, COUNT(*) FROM person GROUP BY gender")))
    total = sum(genders.values())
    assert 0.70 <= genders["woman"] / total <= 0.88
    assert 0.05 <= genders["trans_woman"] / total <= 0.16
    assert 0.03 <= (genders["man"] + genders["trans_man"]) / total <= 0.12
    latin = rows(
        engine, "SELECT gender, COUNT(*) FROM person WHERE nationality IN ('BR', 'CO', 'VE', 'PE') GROUP BY gender"
    )
    assert dict(latin).get("trans_woman", 0) >= 0.3 * sum(n for _, n in latin)


def test_nationality_mix_is_the_sectors(demo) -> None:
    """Nigeria first, then Romania and Bulgaria, China, Latin America and France (same survey; Mouvement
    du Nid delegations' descriptions of the street)."""
    engine, _ = demo
    counts = Counter(dict(rows(engine, "SELECT nationality, COUNT(*) FROM person GROUP BY nationality")))
    total = sum(counts.values())
    share = lambda *codes: sum(counts[c] for c in codes) / total  # noqa: E731
    assert counts.most_common(1)[0][0] == "NG"
    assert 0.20 <= share("NG") <= 0.40
    assert 0.10 <= share("RO", "BG") <= 0.25
    assert 0.04 <= share("CN") <= 0.14
    assert 0.08 <= share("BR", "CO", "VE", "PE") <= 0.22
    assert 0.05 <= share("FR") <= 0.16
    assert share("NG", "RO", "BG", "CN", "BR", "CO", "VE", "PE", "FR") >= 0.70
    chinese_ages = [AS_OF.year - y for (y,) in rows(engine, "SELECT birth_year FROM person WHERE nationality = 'CN'")]
    nigerian_ages = [AS_OF.year - y for (y,) in rows(engine, "SELECT birth_year FROM person WHERE nationality = 'NG'")]
    assert sorted(chinese_ages)[len(chinese_ages) // 2] > sorted(nigerian_ages)[len(nigerian_ages) // 2]


def test_first_names_match_the_nationality(demo) -> None:
    """A Nigerian person's name is one of Faker's Nigerian lists, a Romanian one of ro_RO, a Chinese one
    in pinyin (zh_CN's romanized list), a Bulgarian one in Latin letters; nobody carries a French name
    unless French."""
    engine, cipher = demo
    names: dict[str, list[str]] = {}
    for nationality, token in rows(engine, "SELECT nationality, alias_encrypted FROM person"):
        names.setdefault(nationality, []).append(cipher.decrypt(token))
    nigerian = _faker_names("en_NG") | _faker_names("yo_NG") | _faker_names("ig_NG")
    assert names["NG"] and all(_plain(n) in nigerian for n in names["NG"])
    assert names["RO"] and all(_plain(n) in _faker_names("ro_RO") for n in names["RO"])
    pinyin = set(importlib.import_module("faker.providers.person.zh_CN").Provider.first_romanized_names)
    assert names["CN"] and all(n in pinyin for n in names["CN"])
    assert names["BR"] and all(_plain(n) in _faker_names("pt_BR") for n in names["BR"])
    assert all(n.isascii() and n.isalpha() for n in names["BG"] + names["CN"])
    french = _faker_names("fr_FR")
    foreign = [n for nationality, ns in names.items() if nationality != "FR" for n in ns]
    # A few first names are shared (Patricia, Sabrina…), never most of them.
    assert sum(_plain(n) in french for n in foreign) <= 0.1 * len(foreign)
    assert all(_plain(n) in french for n in names["FR"])


def _latest_levels(engine: Engine, target: str) -> list[str]:
    return [
        level
        for (level,) in rows(
            engine,
            "SELECT a.level FROM language_assessment a JOIN course_group g ON g.id = a.group_id "
            f"WHERE g.target_level = '{target}' AND a.assessed_on = (SELECT MAX(b.assessed_on) "
            "FROM language_assessment b WHERE b.person_id = a.person_id AND b.group_id = a.group_id "
            "AND b.skill = a.skill)",
        )
    ]


def test_french_levels_rise_at_the_pace_of_the_hours_attended(demo) -> None:
    """OFII contrat d'intégration républicaine: 100 to 600 hours to reach A1, about 200 more to A2;
    a group of two 2 h 30 sessions a week gives under 200 hours a year. So in a group aiming at A2,
    B1 or above is rare (oral skills ahead of written ones), and nobody reaches B2 in three years."""
    engine, _ = demo
    latest = _latest_levels(engine, "a2")
    assert len(latest) >= 100
    above = sum(CEFR.index(level) >= CEFR.index("b1") for level in latest) / len(latest)
    assert 0.0 < above <= 0.15
    assert not rows(engine, "SELECT 1 FROM language_assessment WHERE level IN ('b2', 'c1', 'c2')")
    # a year in a group gives one level at most in a written skill
    gains = rows(
        engine,
        "SELECT a.person_id, a.skill, a.level, a.assessed_on, p.level, p.assessed_on FROM language_assessment a "
        "JOIN language_assessment p ON p.person_id = a.person_id AND p.skill = a.skill AND p.is_positioning "
        "WHERE a.skill IN ('reading', 'writing') AND a.assessed_on > p.assessed_on",
    )
    for _, _, level, on, first, first_on in gains:
        years = (date.fromisoformat(str(on)) - date.fromisoformat(str(first_on))).days / 365
        assert CEFR.index(level) - CEFR.index(first) <= 2 * years + 1, (level, first, years)


def test_moves_to_droit_commun_follow_the_levels(demo) -> None:
    """Droit commun courses (OFII, GRETA, municipal courses) take learners at A1–A2: every move is by a
    learner at A1 or above in every skill and A2 or above at the oral, and they are a small share of
    the learners (few reach A2 in the time they attend)."""
    engine, _ = demo
    learners = rows(engine, "SELECT COUNT(DISTINCT person_id) FROM course_enrolment")[0][0]
    moves = rows(
        engine,
        "SELECT t.person_id, a.skill, a.level FROM mainstream_transition t JOIN language_assessment a "
        "ON a.person_id = t.person_id AND a.assessed_on = (SELECT MAX(b.assessed_on) FROM language_assessment b "
        "WHERE b.person_id = t.person_id AND b.assessed_on <= t.moved_on)",
    )
    movers = {person for person, _, _ in moves}
    assert 0.03 <= len(movers) / learners <= 0.20
    for person in movers:
        levels = {skill: level for p, skill, level in moves if p == person}
        assert set(levels) == {"listening", "speaking", "reading", "writing"}
        assert min(CEFR.index(v) for v in levels.values()) >= CEFR.index("a1"), levels
        assert CEFR.index(levels["listening"]) >= CEFR.index("a2") <= CEFR.index(levels["speaking"]), levels


def _yearly_euros(engine: Engine) -> list[tuple[str, str, float, float, int]]:
    """(kind, funder, amount €, € per year, months) per grant."""
    result = []
    for kind, name, cents, starts, ends in rows(
        engine,
        "SELECT f.kind, f.name, g.amount_cents, g.starts_on, g.ends_on FROM grant g "
        "JOIN funder f ON f.id = g.funder_id",
    ):
        start, end = date.fromisoformat(str(starts)), date.fromisoformat(str(ends))
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        result.append((kind, name, cents / 100, cents / 100 * 12 / months, months))
    return result


def test_funders_and_amounts_are_the_sectors(demo) -> None:
    """Programme 137 (DDETS, tens of thousands of euros per department), FIPD (a few thousand to tens of
    thousands), region / department / city, the AGRASC calls (2.6–3.6 M€ a year for the whole country:
    a two-site project gets tens to a couple of hundred thousand euros), one foundation with tens of
    thousands of euros, not a million."""
    engine, _ = demo
    grants = _yearly_euros(engine)
    kinds = {kind for kind, *_ in grants}
    assert {"state", "agrasc", "region", "department", "city", "foundation"} <= kinds
    names = [name for _, name, *_ in grants]
    assert any("DDETS" in n and "137" in n for n in names) and any("FIPD" in n for n in names)
    for kind, name, euros, per_year, _months in grants:
        if "DDETS" in name or "DRIETS" in name:
            assert 20_000 <= per_year <= 150_000, (name, per_year)
        elif "FIPD" in name:
            assert 5_000 <= per_year <= 40_000, (name, per_year)
        elif kind == "region":
            assert 50_000 <= per_year <= 300_000, (name, per_year)
        elif kind == "department":
            assert 30_000 <= per_year <= 200_000, (name, per_year)
        elif kind == "city":
            assert 5_000 <= per_year <= 60_000, (name, per_year)
        elif kind == "foundation":
            assert 20_000 <= euros <= 80_000, (name, euros)
    [agrasc] = [g for g in grants if g[1] == AGRASC_FUNDER_NAME]
    assert agrasc[4] == 18 and 60_000 <= agrasc[2] <= 300_000
    total_per_year = sum(per_year for _, _, _, per_year, _ in grants)
    assert 0.04 <= agrasc[3] / total_per_year <= 0.20
    # staff is most of an association's budget: the grants cover the posts' yearly cost, with room
    staff_per_year = rows(engine, "SELECT SUM(monthly_cost_cents) * 12 / 100 FROM post")[0][0]
    assert 1.2 <= total_per_year / staff_per_year <= 2.0


def test_outreach_intakes_and_workshops_are_consistent_per_site(demo) -> None:
    """Activity reports of associations of this size: a street round or two a week and a few online
    rounds a month per site; most persons met are not new; a minority of new contacts start an
    accompaniment; each referral to intake that came is a file that says so."""
    engine, _ = demo
    months = YEARS * 12
    per_site = rows(
        engine,
        "SELECT s.code, "
        "(SELECT COUNT(*) FROM outreach_round r WHERE r.site_id = s.id AND r.mode = 'street'), "
        "(SELECT COUNT(*) FROM outreach_round r WHERE r.site_id = s.id AND r.mode = 'online'), "
        "(SELECT SUM(new_contacts) FROM outreach_round r WHERE r.site_id = s.id), "
        "(SELECT SUM(referred_to_intake) FROM outreach_round r WHERE r.site_id = s.id), "
        "(SELECT COUNT(*) FROM person p WHERE p.site_id = s.id), "
        "(SELECT COUNT(*) FROM person p WHERE p.site_id = s.id AND p.outreach_round_id IS NOT NULL), "
        "(SELECT COUNT(*) FROM workshop_enrolment w WHERE w.site_id = s.id) FROM site s",
    )
    assert len(per_site) == 4
    for code, street, online, new, referred, intakes, from_outreach, cycles in per_site:
        assert 2 <= street / months <= 12, code
        assert 1 <= online / months <= 10, code
        assert 0.05 <= intakes / new <= 0.40, code
        assert from_outreach <= referred <= 2 * from_outreach + 10, code
        assert 0.3 <= cycles / intakes <= 0.9, code
    assert not rows(
        engine,
        "SELECT 1 FROM outreach_round r WHERE r.referred_to_intake < (SELECT COUNT(*) FROM person p "
        "WHERE p.outreach_round_id = r.id) OR r.new_contacts < r.referred_to_intake OR r.persons_met < r.new_contacts",
    )


# First names commonly given in France to children born between 1965 and 2000 (INSEE, « Fichier des
# prénoms »), the staff's generations (aged about 25 to 60); none of those mostly given before 1950.
WOMEN_BORN_1965_2000 = frozenset(
    (
        "Adeline", "Amandine", "Anne-Laure", "Armelle", "Aude", "Audrey", "Aurélie", "Aurore", "Bérengère",
        "Camille", "Carole", "Caroline", "Cécile", "Céline", "Charlotte", "Chloé", "Clarisse", "Claire", "Coline",
        "Coralie", "Cyrielle", "Déborah", "Delphine", "Élodie", "Émeline", "Émilie", "Fabienne", "Fanny",
        "Florence", "Gaëlle", "Géraldine", "Gwenaëlle", "Hanane", "Hélène", "Héloïse", "Isabelle", "Julie",
        "Justine", "Karima", "Karine", "Laetitia", "Laura", "Laurène", "Leïla", "Lucie", "Lydie", "Magali",
        "Malika", "Manon", "Marie-Laure", "Marine", "Marion", "Mathilde", "Maud", "Mélanie", "Morgane", "Nadia",
        "Nathalie", "Nawel", "Noémie", "Nolwenn", "Ophélie", "Pauline", "Perrine", "Rachida", "Sabrina", "Samia",
        "Sandrine", "Sarah", "Séverine", "Solène", "Sonia", "Sophie", "Soraya", "Stéphanie", "Sylvie", "Tiphaine",
        "Valérie", "Vanessa", "Virginie",
    )
)  # fmt: skip
MEN_BORN_1965_2000 = frozenset(
    (
        "Alexandre", "Antoine", "Arnaud", "Aurélien", "Bastien", "Benjamin", "Cédric", "Clément", "Cyril", "Damien",
        "Erwan", "Fabien", "Gaël", "Grégory", "Guillaume", "Hakim", "Jean-Baptiste", "Jean-Marc", "Jérémy",
        "Julien", "Kamel", "Karim", "Lionel", "Loïc", "Mathieu", "Maxime", "Mehdi", "Mickaël", "Nabil", "Nicolas",
        "Olivier", "Patrick", "Pierre-Yves", "Régis", "Rémi", "Romain", "Sébastien", "Stéphane", "Sylvain",
        "Thomas", "Vincent", "Yann", "Yannick",
    )
)  # fmt: skip


def test_staff_names_are_a_french_associations(demo) -> None:
    """The staff (accounts other than the funder's, holders of the posts now and before) are French
    professionals aged 25 to 60, most of them women (DREES: over three quarters of the social professions):
    first names of those generations, no one carrying a first name of the persons accompanied."""
    engine, cipher = demo
    accounts = [name for (name,) in rows(engine, "SELECT display_name FROM app_user WHERE role <> 'financeur'")]
    holders = [n for (n,) in rows(engine, "SELECT DISTINCT holder_name FROM post_status_change") if n]
    staff = sorted(set(accounts) | set(holders))
    assert len(staff) >= 25
    assert len(accounts) == len(set(accounts))  # two accounts never bear the same name
    firsts = Counter(name.split()[0] for name in staff)
    unknown = set(firsts) - WOMEN_BORN_1965_2000 - MEN_BORN_1965_2000
    assert not unknown, unknown
    women = sum(n for first, n in firsts.items() if first in WOMEN_BORN_1965_2000)
    assert 0.65 <= women / len(staff) <= 0.95, (women, len(staff))
    assert max(firsts.values()) <= 2, firsts.most_common(3)
    aliases = {cipher.decrypt(token) for (token,) in rows(engine, "SELECT alias_encrypted FROM person")}
    assert not {word for name in staff for word in name.split()} & aliases


def test_psp_volumes_are_the_sectors(demo) -> None:
    """FAS survey of the agreed associations (April 2025): 1,624 persons newly accompanied in 2024, 449 entered a
    PSP — about 4 a year per association, and a quarter to a third of the new persons asking for one; Senate
    finance committee (report no. 814, 2024-2025): 903 persons in a PSP on 31 December 2024, Paris 148, Rhône
    89, Bouches-du-Rhône 49, Isère 39 (the departments of the demo's sites, several associations in each);
    the Paris prefecture grants about all the requests its commission examines."""
    engine, _ = demo
    per_site = rows(
        engine,
        "SELECT s.code, "
        "(SELECT COUNT(*) FROM psp_episode e WHERE e.site_id = s.id "
        " AND e.requested_on BETWEEN '2024-01-01' AND '2025-12-31'), "
        "(SELECT COUNT(*) FROM person p WHERE p.site_id = s.id AND p.intake_on BETWEEN '2024-01-01' AND '2025-12-31'), "
        "(SELECT COUNT(*) FROM psp_period t WHERE t.site_id = s.id AND NOT t.is_renewal "
        " AND t.start_on BETWEEN '2024-01-01' AND '2024-12-31'), "
        "(SELECT COUNT(*) FROM psp_period t WHERE t.site_id = s.id AND NOT t.is_renewal "
        " AND t.start_on BETWEEN '2025-01-01' AND '2025-12-31'), "
        "(SELECT COUNT(*) FROM psp_period t WHERE t.site_id = s.id AND t.start_on <= :as_of AND t.end_on >= :as_of) "
        "FROM site s".replace(":as_of", f"'{AS_OF.isoformat()}'"),
    )
    assert len(per_site) == 4
    requests = sum(site[1] for site in per_site)
    intakes = sum(site[2] for site in per_site)
    assert 0.15 <= requests / intakes <= 0.40, (requests, intakes)
    for code, asked, taken_in, entered_2024, entered_2025, in_psp in per_site:
        assert 0.10 <= asked / taken_in <= 0.50, code
        assert 1 <= entered_2024 <= 15 and 1 <= entered_2025 <= 15, code
        assert 2 <= in_psp <= 25, code
    decisions = Counter(
        dict(
            rows(
                engine,
                "SELECT CASE WHEN prefect_decision = 'granted' THEN 'in' ELSE 'out' END, COUNT(*) FROM psp_episode "
                "WHERE prefect_decision <> 'pending' OR commission_opinion = 'unfavourable' GROUP BY 1",
            )
        )
    )
    assert decisions["in"] >= 0.6 * (decisions["in"] + decisions["out"]), decisions
