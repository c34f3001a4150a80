"""Configuration read from the environment and `.streamlit/secrets.toml`.

Demo mode (the default of `make run`) generates its secrets once and keeps them
in `data/secrets.json`; production mode requires them and refuses placeholders.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import secrets
from collections import Counter
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

import clock

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
SECRETS_TOML = PROJECT_ROOT / ".streamlit" / "secrets.toml"
DEMO_SECRETS_FILE = DATA_DIR / "secrets.json"

# Values that must never protect real data: library defaults and our examples.
PLACEHOLDER_SECRETS = frozenset({"", "some_key", "change-me", "changeme", "secret", "parcours", "parcours-demo"})
# A secret is drawn at random. A cookie key repeats no pattern and carries, estimated by its characters'
# frequencies, at least 100 bits (a random 32-character hex key, 128 bits, is estimated near 115; one
# letter 32 times, 0). A Fernet key's 32 bytes hold at least 16 distinct values (random ones about 30;
# an all-zero key, one).
MIN_COOKIE_KEY_BITS = 100
MIN_DISTINCT_KEY_BYTES = 16
ENCRYPTION_KEY_HELP = "générez-la avec `python -m ops.cli generate-key`"
COOKIE_KEY_HELP = 'générez-la avec `python -c "import secrets; print(secrets.token_urlsafe(48))"`'
OWNER_ONLY = 0o600


class Mode(StrEnum):
    DEMO = "demo"
    PRODUCTION = "production"


class ConfigurationError(RuntimeError):
    """The configuration is not safe to run with; the message says what to fix."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PARCOURS_",
        toml_file=SECRETS_TOML,
        extra="ignore",
        case_sensitive=False,
    )

    mode: Mode = Mode.DEMO
    database_url: str = Field(
        default=f"sqlite:///{DATA_DIR / 'parcours.db'}",
        validation_alias=AliasChoices("DATABASE_URL", "PARCOURS_DATABASE_URL", "database_url"),
    )
    association_name: str = "Parcours — association d'accompagnement"
    # Signs the re-authentication cookie (JWT, HS256).
    cookie_key: str = ""
    cookie_name: str = "parcours_auth"
    # One or more Fernet keys separated by commas; the first encrypts, all decrypt
    # (key rotation: prepend the new key, re-encrypt, then drop the old one).
    encryption_key: str = ""
    # Encrypts the backup archives (ops/archive.py), kept apart from the database and the field key:
    # the key itself, or the path of a file readable by its owner only that holds it.
    backup_key: str = ""
    backup_key_file: str = ""
    demo_password: str = "parcours-demo"
    login_sleep_time: float = 0.7
    bcrypt_rounds: int = 12
    idle_timeout_minutes: int = 30
    session_max_hours: int = 12
    lockout_threshold: int = 5
    lockout_window_minutes: int = 15
    lockout_minutes: int = 15
    audit_retention_days: int = 365
    screen_disclosure_threshold: int = 5
    export_disclosure_threshold: int = 11
    # Check every chart's spec against the Vega-Lite schema when a page draws it (ui/platform/charts.py).
    # The tests do (tests/conftest.py); the app does not: the check took a fifth of the director's dashboard.
    validate_chart_specs: bool = False

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres_driver(cls, url: str) -> str:
        # psycopg v3 is the driver we ship; plain postgresql:// would look for psycopg2.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment wins over secrets.toml, which wins over defaults.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def is_demo(self) -> bool:
        return self.mode == Mode.DEMO

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def encryption_keys(self) -> list[str]:
        return [key.strip() for key in self.encryption_key.split(",") if key.strip()]


def _demo_secrets() -> dict[str, str]:
    """Secrets of a demo install: made once, then reused so cookies and data survive restarts. The file
    is created readable by its owner only (never world-readable, not even for an instant)."""
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    if DEMO_SECRETS_FILE.exists():
        return json.loads(DEMO_SECRETS_FILE.read_text())
    generated = {
        "cookie_key": secrets.token_urlsafe(48),
        "encryption_key": Fernet.generate_key().decode(),
    }
    descriptor = os.open(DEMO_SECRETS_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    with os.fdopen(descriptor, "w") as secrets_file:
        secrets_file.write(json.dumps(generated))
    return generated


def _bits_by_frequency(text: str) -> float:
    """Randomness a text can carry at most, by the frequencies of its characters (Shannon, × length)."""
    counts = Counter(text)
    return -sum(n * math.log2(n / len(text)) for n in counts.values())


def _repeats_a_pattern(text: str) -> bool:
    """`text` is one shorter text over and over ("abcd" × 16), whatever its characters' frequencies."""
    return any(
        text == (text[:period] * (len(text) // period + 1))[: len(text)] for period in range(1, len(text) // 2 + 1)
    )


def _distinct_key_bytes(key: str) -> int:
    return len(set(base64.urlsafe_b64decode(key.encode())))


def validate_production_secrets(settings: Settings) -> None:
    """Raise ConfigurationError unless both secrets are real values, drawn at random."""
    cookie_key = settings.cookie_key.strip()
    if cookie_key.lower() in PLACEHOLDER_SECRETS or len(cookie_key) < 32:
        raise ConfigurationError(
            "PARCOURS_COOKIE_KEY manquante, trop courte (32 caractères minimum) ou valeur par défaut : "
            + COOKIE_KEY_HELP
            + "."
        )
    if _bits_by_frequency(cookie_key) < MIN_COOKIE_KEY_BITS or _repeats_a_pattern(cookie_key):
        raise ConfigurationError(
            "PARCOURS_COOKIE_KEY trop prévisible (caractères ou motif répétés, moins de "
            f"{MIN_COOKIE_KEY_BITS} bits d'aléa estimés) : {COOKIE_KEY_HELP}."
        )
    keys = settings.encryption_keys()
    if not keys:
        raise ConfigurationError(f"PARCOURS_ENCRYPTION_KEY manquante : {ENCRYPTION_KEY_HELP}.")
    for key in keys:
        try:
            Fernet(key)
            distinct = _distinct_key_bytes(key)
        except (ValueError, binascii.Error) as exc:
            raise ConfigurationError(f"PARCOURS_ENCRYPTION_KEY invalide : {ENCRYPTION_KEY_HELP}.") from exc
        if distinct < MIN_DISTINCT_KEY_BYTES:
            raise ConfigurationError(
                "PARCOURS_ENCRYPTION_KEY n'est pas aléatoire (octets répétés, par exemple une clé de zéros) : "
                f"{ENCRYPTION_KEY_HELP}."
            )


def load_settings(**overrides: object) -> Settings:
    """Settings with secrets filled in (demo) or checked (production)."""
    settings = Settings(**overrides)
    if settings.is_demo:
        if not (settings.cookie_key and settings.encryption_key):
            generated = _demo_secrets()
            updates = {k: v for k, v in generated.items() if not getattr(settings, k)}
            settings = settings.model_copy(update=updates)
    else:
        validate_production_secrets(settings)
        if os.environ.get(clock.CLOCK_VARIABLE):
            raise ConfigurationError(
                f"{clock.CLOCK_VARIABLE} fixe la date du jour : réservé aux tests et aux démonstrations, "
                "retirez-le en production."
            )
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (configuration only, never personal data)."""
    return load_settings()
