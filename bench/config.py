"""Where the benchmark database and its key live, and the environment the app under test reads.

Only `services.platform.config` is imported here (it reads no setting at import time), so
`configure_environment()` can run before anything caches the settings.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from services.platform.config import DATA_DIR, PROJECT_ROOT

DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'bench.db'}"
RESULTS_FILE = PROJECT_ROOT / "bench" / "results.json"
APP_SCRIPT = PROJECT_ROOT / "app.py"
# Signs cookies only; the benchmark never sets one. 48 characters, not a placeholder.
BENCH_COOKIE_KEY = "parcours-bench-cookie-key-not-for-production-use"


def normalise_url(url: str) -> str:
    """Same driver rule as services.platform.config.Settings: plain postgresql:// means psycopg v3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def resolve_database_url(cli_url: str | None, environ: dict[str, str] | None = None) -> str:
    """--database-url, else BENCH_DATABASE_URL, else data/bench.db."""
    environ = os.environ if environ is None else environ
    return normalise_url(cli_url or environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory SQLite)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1] if "///" in url else ""
    if not path or path == ":memory:":
        return None
    return Path(path)


@dataclass(frozen=True)
class SideFiles:
    """Files kept beside the benchmark database: its encryption key and a record of its seeding."""

    key: Path
    seed_record: Path


def side_files(url: str) -> SideFiles:
    """`data/bench.db` → `data/bench.key` and `data/bench.seed.json`; a server database → `data/bench-<host>-<db>.*`."""
    path = sqlite_path(url)
    if path is not None:
        stem = path.with_suffix("")
    else:
        tail = url.split("://", 1)[-1].rsplit("@", 1)[-1]  # never the password
        stem = DATA_DIR / ("bench-" + (re.sub(r"[^A-Za-z0-9]+", "-", tail).strip("-") or "db"))
    return SideFiles(key=Path(f"{stem}.key"), seed_record=Path(f"{stem}.seed.json"))


def load_or_create_key(path: Path) -> tuple[str, bool]:
    """The bench database's Fernet key, made once so a reused database stays decryptable."""
    if path.exists():
        return path.read_text().strip(), False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    path.write_text(key + "\n")
    os.chmod(path, 0o600)
    return key, True


def read_seed_record(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def configure_environment(url: str, key: str) -> None:
    """Settings of the app under test (same process): must run before the settings are first read."""
    os.environ.pop("DATABASE_URL", None)  # its alias would win over PARCOURS_DATABASE_URL
    os.environ.update(
        {
            "PARCOURS_MODE": "demo",
            "PARCOURS_DATABASE_URL": url,
            "PARCOURS_ENCRYPTION_KEY": key,
            "PARCOURS_COOKIE_KEY": BENCH_COOKIE_KEY,
            "PARCOURS_LOGIN_SLEEP_TIME": "0",
            "PARCOURS_BCRYPT_ROUNDS": "4",
        }
    )
    from services.platform.config import get_settings

    get_settings.cache_clear()
