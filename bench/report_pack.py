"""Time the funder report pack (Excel + PDF with its charts) on the bench database, as « Préparer le dossier »
builds it.

    python -m bench.report_pack [--runs 5] [--database-url URL]

Uses the database `python -m bench` seeded (run that first: by default data/bench.db, the large dataset).
For each reader of the Espace financeur (direction, gestion, the AGRASC financeur) and its grant with the
most sites, builds the pack of the grant to date and of the last finished quarter: once after the cached
figures were forgotten (the first build after a write), then `--runs` times; prints the median of those
(warm) and the first build, in milliseconds. Each build is audited and committed, like the page's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from bench import config
from bench.harness import BENCH_USERS


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.report_pack", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="warm builds per pack (default 5)")
    parser.add_argument("--database-url", metavar="URL", help="bench database (default: as python -m bench)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = config.resolve_database_url(args.database_url)
    key, _created = config.load_or_create_key(config.side_files(url).key)
    config.configure_environment(url, key)

    import clock
    from models.organisation import Role
    from services.accounts.auth import load_principal
    from services.platform import data_version
    from services.platform.db import make_engine, unit_of_work
    from services.reporting import funder_space, report_pack
    from services.reporting.publication import Grain
    from ui.reporting.funder_charts import pack_images

    engine = make_engine(url, create=False)
    today = clock.today()
    readers = [user for user in BENCH_USERS if user.role in {Role.DIRECTION, Role.GESTION, Role.FINANCEUR}]
    print(f"Funder pack on {url} ({today}); median of {args.runs} warm builds and the first, in ms:")
    for user in readers:
        with unit_of_work(engine) as session:
            principal = load_principal(session, user.username)
            if principal is None:
                print(f"  {user.username}: no such account (seed the bench database with python -m bench)")
                return 2
            grants = funder_space.funder_grants(session, principal)
            if not grants:
                print(f"  {user.username}: no grant to open")
                continue
            grant = max(grants, key=lambda g: (len(funder_space.grant_sites(session, g.id)), g.id))
            sites = funder_space.grant_sites(session, grant.id)
            options = funder_space.grant_publication(session, grant, sites, today).options()
        # The grant to date, and the latest finished quarter (options are newest first).
        quarter = next((option.key for option in options if option.grain == Grain.QUARTER), None)
        for period_key in [None, *([quarter] if quarter else [])]:

            def build(period_key: str | None = period_key, principal=principal, grant_id: int = grant.id) -> float:
                started = time.perf_counter()
                with unit_of_work(engine) as session:
                    report_pack.build_report_pack(
                        session, principal, grant_id=grant_id, period_key=period_key, today=today, charts=pack_images
                    )
                return (time.perf_counter() - started) * 1000

            data_version.clear_cache()
            first = build()
            warm = [build() for _ in range(args.runs)]
            print(
                f"  {user.role.value:<10} grant {grant.id} ({len(sites)} sites), {period_key or 'to date':<28} "
                f"warm {statistics.median(warm):7.0f}   first {first:7.0f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
