"""Time the caseload's search by alias, and the intake's duplicate check, on 10,000 files of one site, before
and after the blind index.

    python -m bench.alias_search [--files 10000] [--runs 9] [--database-url postgresql+psycopg://…/empty_db]

Builds its own throw-away SQLite database (a temporary directory, a fresh key), 10,000 files on the Lyon
site with made-up aliases and their tokens, then times `list_caseload` for a Lyon intervenant (who sees
identities) searching a few terms: « after » is the code as it is (services.persons.alias_index: the
database matches the tokens), « before » the former search put back in its place (every alias of the
filtered scope decrypted and compared in Python). Median of `--runs` warm runs, in milliseconds; the
audit entry and commit of each search are included in both. Then the duplicate check of an intake
(`find_possible_duplicates`, birth year within one year of 1994): « before » decrypts every alias of the site
born within that year range, « after » only those the index says sound alike.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from cryptography.fernet import Fernet

_TMP = Path(tempfile.mkdtemp(prefix="parcours-alias-bench-"))
os.environ.update(
    {
        "PARCOURS_MODE": "demo",
        "PARCOURS_DATABASE_URL": f"sqlite:///{_TMP / 'bench.db'}",
        "PARCOURS_COOKIE_KEY": "alias-bench-cookie-key-" + "x" * 40,
        "PARCOURS_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
)

import sqlalchemy as sa  # noqa: E402

from models.organisation import Role, Site, User, UserSite  # noqa: E402
from models.persons import IntakeOrigin, Person, PersonAliasToken, PersonStatus  # noqa: E402
from services.accounts.auth import principal_of  # noqa: E402
from services.persons import files as person_files  # noqa: E402
from services.persons._phonetics import fold, phonetic_key  # noqa: E402
from services.persons.alias_index import alias_tokens  # noqa: E402
from services.platform.config import get_settings  # noqa: E402
from services.platform.crypto import FieldCipher  # noqa: E402
from services.platform.db import make_engine, unit_of_work, upgrade_to_head  # noqa: E402

FIRST_NAMES = [
    "Hélène",
    "Blessing",
    "Joy",
    "Precious",
    "Aminata",
    "Fatou",
    "Awa",
    "Mariama",
    "Oumou",
    "Ana",
    "Maria",
    "Ioana",
    "Elena",
    "Svetlana",
    "Olga",
    "Mei",
    "Lin",
    "Esther",
    "Grace",
    "Faith",
    "Mercy",
    "Gift",
    "Favour",
    "Juliet",
    "Rita",
    "Stella",
    "Vivian",
    "Chioma",
    "Ngozi",
    "Adaeze",
    "Aïcha",
    "Khadija",
    "Nadia",
    "Sofia",
    "Jessica",
    "Gessica",
    "Marie",
    "Anne",
    "Claire",
    "Sarah",
    "Fatima",
    "Mariam",
    "Rose",
    "Irina",
    "Natalia",
    "Daniela",
    "Gabriela",
    "Lucia",
]
TODAY = date(2026, 11, 18)
TERMS = ("helene", "Elène", "bles", "prec", "LYO-2026-0042")
INTAKE_ALIASES = ("Hélène", "Jessika", "Blessing")  # typed at intake, with birth year 1994


def _alias(rng: random.Random) -> str:
    first = rng.choice(FIRST_NAMES)
    return f"{first}-{rng.choice(FIRST_NAMES)}" if rng.random() < 0.15 else first


def build(engine, files: int, cipher: FieldCipher) -> None:
    rng = random.Random(15)
    upgrade_to_head(engine)
    with unit_of_work(engine) as session:
        site = Site(code="LYO", name="Lyon", city="Lyon")
        session.add(site)
        session.flush()
        user = User(username="ts.lyon", display_name="TS Lyon", password_hash="x", role=Role.INTERVENANT)
        session.add(user)
        session.flush()
        session.add(UserSite(user_id=user.id, site_id=site.id))
        persons, tokens = [], []
        for number in range(1, files + 1):
            day = date(2024, 1, 1) + timedelta(days=number % 900)
            alias = _alias(rng)
            persons.append(
                {
                    "id": number,
                    "code": f"LYO-2026-{number:05d}",
                    "site_id": site.id,
                    "code_year": 2026,
                    "code_number": number,
                    "status": PersonStatus.ACTIVE if number % 5 else PersonStatus.CLOSED,
                    "first_contact_on": day,
                    "intake_on": day,
                    "origin": IntakeOrigin.SELF,
                    "alias_encrypted": cipher.encrypt(alias),
                    "birth_year": 1980 + number % 25,
                    "consent_on": day,
                    "referent_id": user.id,
                    "last_contact_on": day,
                }
            )
            tokens += [{"token": token, "person_id": number} for token in alias_tokens(alias, cipher)]
        session.execute(sa.insert(Person), persons)
        session.execute(sa.insert(PersonAliasToken), tokens)
        session.commit()


def _former_search_condition(session, principal, query, cipher):
    """The search before the blind index: every alias of the filtered scope decrypted and compared."""
    conditions = person_files._filter_conditions(principal, person_files.CaseloadFilter(query=query), TODAY)
    matches = [
        Person.code.contains(query.upper(), autoescape=True),
        Person.id.in_(
            sa.select(person_files.PersonTransfer.person_id).where(
                person_files.PersonTransfer.old_code.contains(query.upper(), autoescape=True)
            )
        ),
    ]
    if principal.can(person_files.Capability.VIEW_IDENTITY) and len(fold(query)) >= 2:
        candidates = session.exec(
            sa.select(Person.id, Person.alias_encrypted).where(*conditions, Person.alias_encrypted.is_not(None))
        ).all()
        folded_query, key = fold(query), phonetic_key(query)
        ids = []
        for row in candidates:
            alias = cipher.decrypt(row.alias_encrypted)
            if folded_query in fold(alias) or key == phonetic_key(alias):
                ids.append(row.id)
        if ids:
            matches.append(Person.id.in_(ids))
    person_files.audit.record(
        session, actor=principal, action=person_files.AuditAction.PERSON_SEARCH, entity_type="person"
    )
    session.commit()
    return sa.or_(*matches)


def _timed(engine, runs: int, call) -> tuple[float, int]:
    """Median ms of `runs` warm runs of `call(session, principal)` for the Lyon intervenant (one more run warms
    up first), with the count the last run returned."""
    timings, count = [], 0
    for _run in range(runs + 1):
        with unit_of_work(engine) as session:
            user = session.exec(sa.select(User).where(User.username == "ts.lyon")).scalar_one()
            principal = principal_of(session, user)
            started = time.perf_counter()
            count = call(session, principal)
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings[1:]), count


def time_search(engine, cipher: FieldCipher, term: str, runs: int) -> tuple[float, int]:
    def search(session, principal) -> int:
        query = person_files.CaseloadFilter(query=term)
        return person_files.list_caseload(session, principal, query, cipher=cipher, today=TODAY).total

    return _timed(engine, runs, search)


def time_duplicates(engine, cipher: FieldCipher, alias: str, runs: int) -> tuple[float, int]:
    def check(session, principal) -> int:
        return len(
            person_files.find_possible_duplicates(session, principal, alias=alias, birth_year=1994, cipher=cipher)
        )

    return _timed(engine, runs, check)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.alias_search", description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--database-url", help="an empty database to fill (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    settings = get_settings()
    cipher = FieldCipher(settings.encryption_keys())
    engine = make_engine(args.database_url or settings.database_url)
    started = time.perf_counter()
    build(engine, args.files, cipher)
    where = engine.url.render_as_string(hide_password=True)
    print(f"{args.files} files built in {time.perf_counter() - started:.1f} s ({where}); median of {args.runs} runs")
    current = person_files._search_condition
    print(f"{'term':16} {'before ms':>10} {'after ms':>10} {'found before':>13} {'found after':>12}")
    for term in TERMS:
        person_files._search_condition = _former_search_condition
        try:
            before, found_before = time_search(engine, cipher, term, args.runs)
        finally:
            person_files._search_condition = current
        after, found_after = time_search(engine, cipher, term, args.runs)
        print(f"{term:16} {before:10.1f} {after:10.1f} {found_before:13} {found_after:12}")
    print(f"\n{'intake alias':16} {'before ms':>10} {'after ms':>10} {'found before':>13} {'found after':>12}")
    narrowing = person_files.same_sound_condition
    for alias in INTAKE_ALIASES:
        person_files.same_sound_condition = lambda _alias, _cipher: None
        try:
            before, found_before = time_duplicates(engine, cipher, alias, args.runs)
        finally:
            person_files.same_sound_condition = narrowing
        after, found_after = time_duplicates(engine, cipher, alias, args.runs)
        print(f"{alias:16} {before:10.1f} {after:10.1f} {found_before:13} {found_after:12}")
    engine.dispose()
    shutil.rmtree(_TMP, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
