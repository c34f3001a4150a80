"""`python -m seed [--size demo|large] [--database-url URL] [--if-empty] [--as-of YYYY-MM-DD]`.

Runs the migrations, then loads the synthetic data set into an empty database.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

import clock
from seed.generator import database_is_empty, seed_database
from seed.sizes import SIZES
from services.accounts.passwords import hash_password
from services.platform.config import load_settings
from services.platform.crypto import FieldCipher
from services.platform.db import make_engine, upgrade_to_head


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m seed", description="Charge les données fictives de Parcours.")
    parser.add_argument(
        "--size", choices=sorted(SIZES), default="demo", help="demo (par défaut) ou large (bancs d'essai)"
    )
    parser.add_argument("--database-url", help="par défaut : DATABASE_URL / configuration")
    parser.add_argument("--if-empty", action="store_true", help="ne rien faire si la base contient déjà des données")
    parser.add_argument(
        "--as-of", type=date.fromisoformat, help="date de fin des données (AAAA-MM-JJ), par défaut aujourd'hui"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    overrides = {"database_url": args.database_url} if args.database_url else {}
    settings = load_settings(**overrides)
    if not settings.is_demo:
        print("Mode production : les comptes et données de démonstration ne sont pas chargés.", file=sys.stderr)
        return 2
    started = time.perf_counter()

    def say(message: str, fraction: float | None = None) -> None:
        share = f" {fraction:4.0%}" if fraction is not None else ""
        print(f"[{time.perf_counter() - started:7.1f} s]{share} {message}", flush=True)

    engine = make_engine(settings.database_url, encryption_keys=settings.encryption_keys())
    try:
        say(f"migrations ({engine.url.render_as_string(hide_password=True)})")
        upgrade_to_head(engine)
        if not database_is_empty(engine):
            if args.if_empty:
                say("la base contient déjà des données : rien à faire")
                return 0
            print("La base contient déjà des données : utilisez une base vide (ou --if-empty).", file=sys.stderr)
            return 1
        as_of = args.as_of or clock.today()
        say(f"jeu « {args.size} » jusqu'au {as_of:%d/%m/%Y}")
        password_hash = hash_password(settings.demo_password, rounds=settings.bcrypt_rounds)
        counts = seed_database(
            engine,
            size=args.size,
            as_of=as_of,
            cipher=FieldCipher(settings.encryption_keys()),
            demo_password_hash=password_hash,
            progress=say,
        )
    finally:
        engine.dispose()
    say(f"{sum(counts.values())} lignes insérées")
    for table, count in counts.items():
        print(f"  {table:<24} {count:>9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
