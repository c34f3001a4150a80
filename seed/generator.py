"""Deterministic synthetic French data for Parcours, at demo or benchmark size.

Same size and same `as_of` → the same data (identities are encrypted with a
random IV, so only their ciphertexts differ). The data covers the three years
ending on `as_of`, with workshop and course sessions already planned for the
next four weeks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Engine

import clock
from seed.appointments import seed_appointments
from seed.capitalisation import seed_capitalisation
from seed.context import SeedContext
from seed.courses import seed_courses
from seed.finance import seed_finance
from seed.money_in import seed_money_in
from seed.organisation import seed_organisation, staff_names
from seed.outreach import seed_outreach
from seed.pathway import seed_further_psp, seed_pathways
from seed.people import alias_pools, finish_persons, seed_consent_history, seed_persons
from seed.sizes import SIZES
from seed.workshops import seed_workshops
from seed.writer import write_rows
from services.platform.crypto import FieldCipher

Progress = Callable[[str, float], None]
GENERATION_SHARE = 0.4  # of the progress bar; the rest is the insertion


# What any install writes first: the association row (the seed, or the admin naming it), a site, an account.
INSTALL_TABLES = ("association", "site", "app_user")


def database_is_empty(engine: Engine) -> bool:
    """True when no install has written anything yet (or the schema is not there at all): the demo data
    never goes into a database that a production install has started to fill."""
    inspector = sa.inspect(engine)
    with engine.connect() as connection:
        return not any(
            inspector.has_table(table)
            and connection.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None
            for table in INSTALL_TABLES
        )


def seed_database(
    engine: Engine,
    *,
    size: str = "demo",
    as_of: date | None = None,
    cipher: FieldCipher,
    demo_password_hash: str,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Fill an empty, migrated database; return the number of rows inserted per table."""
    if size not in SIZES:
        raise ValueError(f"taille inconnue : {size!r} (attendu : {', '.join(SIZES)})")
    if not database_is_empty(engine):
        raise RuntimeError(
            "la base contient déjà des données : le jeu de démonstration n'est chargé que dans une base vide"
        )
    as_of = as_of or clock.today()
    report = progress or (lambda _message, _fraction: None)
    ctx = SeedContext(SIZES[size], as_of, cipher, demo_password_hash)

    steps: list[tuple[str, Callable[[], None]]] = [
        ("sites, comptes et partenaires", lambda: seed_organisation(ctx)),
        ("maraudes", lambda: seed_outreach(ctx)),
        ("dossiers des personnes", lambda: seed_persons(ctx, alias_pools(ctx, staff_names(ctx)))),
        ("parcours : freins, objectifs, PSP, orientations, sorties", lambda: seed_pathways(ctx)),
        ("ateliers", lambda: seed_workshops(ctx)),
        ("cours de français", lambda: seed_courses(ctx)),
        ("financements et postes", lambda: seed_finance(ctx)),
        ("versements, cofinancements et recrutements", lambda: seed_money_in(ctx)),
        ("rendez-vous et accompagnements", lambda: seed_appointments(ctx)),
        ("demandes de PSP suivantes", lambda: seed_further_psp(ctx)),
        ("derniers contacts", lambda: finish_persons(ctx)),
        ("historique des consentements", lambda: seed_consent_history(ctx)),
        ("notes de pratique et guides", lambda: seed_capitalisation(ctx)),
    ]
    for number, (label, step) in enumerate(steps):
        report(f"génération : {label}", GENERATION_SHARE * number / len(steps))
        step()
    report("insertion en base", GENERATION_SHARE)
    counts = write_rows(
        engine,
        ctx.rows,
        lambda message, fraction: report(message, GENERATION_SHARE + (1 - GENERATION_SHARE) * fraction),
    )
    report("terminé", 1.0)
    return counts
