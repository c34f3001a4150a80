"""Configuration safety, field encryption, password policy and the production start-up check."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest
from cryptography.fernet import Fernet

import clock
from models.organisation import Role, User
from services.accounts import passwords
from services.platform import config
from services.platform.config import ConfigurationError, Mode, Settings, load_settings
from services.platform.crypto import FieldCipher
from services.platform.db import make_engine, unit_of_work
from services.platform.errors import ValidationFailed
from services.platform.startup import prepare
from tests.sealed import assert_sealed

GOOD_COOKIE_KEY = "k3Yq1b8zP0cW7rT2mN5vX9sD4fH6jL0a"  # 32 characters
GOOD_KEY = Fernet.generate_key().decode()


@pytest.fixture
def demo_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "DATA_DIR", tmp_path / "data")
    monkeypatch.setattr(config, "DEMO_SECRETS_FILE", tmp_path / "data" / "secrets.json")
    return tmp_path / "data"


@pytest.fixture(autouse=True)
def real_clock_configuration(monkeypatch):
    """The suite pins the clock through PARCOURS_CLOCK (tests/conftest.py); production refuses that
    variable, so these tests configure without it (the process keeps its pinned clock)."""
    monkeypatch.delenv(clock.CLOCK_VARIABLE, raising=False)


def production(**overrides) -> Settings:
    values = {"mode": "production", "cookie_key": GOOD_COOKIE_KEY, "encryption_key": GOOD_KEY}
    values.update(overrides)
    return load_settings(**values)


# --- production refuses unsafe secrets ---------------------------------------------------------------


def test_production_refuses_a_pinned_clock(monkeypatch):
    monkeypatch.setenv(clock.CLOCK_VARIABLE, "2026-06-15")
    with pytest.raises(ConfigurationError, match="PARCOURS_CLOCK"):
        production()
    monkeypatch.setenv(clock.CLOCK_VARIABLE, "")  # an empty value pins nothing
    assert production().mode == Mode.PRODUCTION


def test_production_accepts_real_secrets(demo_dir):
    settings = production()
    assert settings.mode == Mode.PRODUCTION and not settings.is_demo
    assert settings.cookie_key == GOOD_COOKIE_KEY
    assert not demo_dir.exists()  # production never writes generated secrets


@pytest.mark.parametrize("cookie_key", ["", "   ", "some_key", "change-me", "Parcours-Demo", "x" * 31])
def test_production_refuses_a_missing_placeholder_or_short_cookie_key(cookie_key):
    with pytest.raises(ConfigurationError, match="PARCOURS_COOKIE_KEY"):
        production(cookie_key=cookie_key)


@pytest.mark.parametrize(
    "cookie_key",
    ["a" * 32, "ab" * 40, "abcd" * 16, "0123456789" * 4],
    ids=["one-letter", "two-letters", "four-letters", "ten-digits"],
)
def test_production_refuses_a_cookie_key_that_is_long_but_not_random(cookie_key):
    with pytest.raises(ConfigurationError, match=r"trop prévisible.*token_urlsafe"):
        production(cookie_key=cookie_key)


ZERO_KEY = base64.urlsafe_b64encode(bytes(32)).decode()  # a valid Fernet key, of 32 zero bytes


@pytest.mark.parametrize(
    "encryption_key",
    ["", " , ", "not-a-fernet-key", GOOD_KEY[:-4], f"{GOOD_KEY},clé-invalide", ZERO_KEY, f"{GOOD_KEY},{ZERO_KEY}"],
    ids=["empty", "commas", "not-fernet", "truncated", "good-then-invalid", "zeros", "good-then-zeros"],
)
def test_production_refuses_a_missing_or_invalid_encryption_key(encryption_key):
    with pytest.raises(ConfigurationError, match="PARCOURS_ENCRYPTION_KEY"):
        production(encryption_key=encryption_key)


def test_production_accepts_two_keys_during_a_rotation():
    new_key = Fernet.generate_key().decode()
    assert production(encryption_key=f"{new_key}, {GOOD_KEY}").encryption_keys() == [new_key, GOOD_KEY]


# --- demo generates its secrets once -----------------------------------------------------------------


def test_demo_generates_secrets_once_and_reuses_them(demo_dir):
    first = load_settings(mode="demo", cookie_key="", encryption_key="")
    secrets_file = demo_dir / "secrets.json"

    assert secrets_file.exists()
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert len(first.cookie_key) >= 32
    Fernet(first.encryption_key)  # a valid key
    config.validate_production_secrets(first)  # good enough for production too

    second = load_settings(mode="demo", cookie_key="", encryption_key="")
    assert (second.cookie_key, second.encryption_key) == (first.cookie_key, first.encryption_key)
    assert json.loads(secrets_file.read_text()) == {
        "cookie_key": first.cookie_key,
        "encryption_key": first.encryption_key,
    }


def test_demo_secrets_are_created_owner_only_even_under_a_permissive_umask(demo_dir, monkeypatch):
    monkeypatch.setattr(os, "chmod", None)  # no chmod afterwards: the file is created with its mode
    previous = os.umask(0)
    try:
        load_settings(mode="demo", cookie_key="", encryption_key="")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((demo_dir / "secrets.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(demo_dir.stat().st_mode) == 0o700


def test_start_up_makes_the_sqlite_database_and_every_new_file_owner_only(tmp_path):
    path = tmp_path / "parcours.db"
    path.write_bytes(b"")
    os.chmod(path, 0o644)
    (tmp_path / "parcours.db-wal").write_bytes(b"")
    os.chmod(tmp_path / "parcours.db-wal", 0o644)
    previous = os.umask(0o022)
    try:
        prepare(load_settings(mode="demo"), make_engine(f"sqlite:///{path}"))
        (tmp_path / "export.xlsx").write_bytes(b"PK")
    finally:
        os.umask(previous)
    for name in ("parcours.db", "parcours.db-wal", "export.xlsx"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name


def test_demo_keeps_configured_secrets(demo_dir):
    settings = load_settings(mode="demo", cookie_key=GOOD_COOKIE_KEY, encryption_key=GOOD_KEY)
    assert (settings.cookie_key, settings.encryption_key) == (GOOD_COOKIE_KEY, GOOD_KEY)


# --- database URL ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["postgresql://u:p@db:5432/parcours", "postgres://u:p@db:5432/parcours"])
def test_a_plain_postgresql_url_uses_the_psycopg_driver(url):
    settings = Settings(database_url=url)
    assert settings.database_url == "postgresql+psycopg://u:p@db:5432/parcours"
    assert not settings.is_sqlite


def test_database_url_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/parcours")
    assert Settings().database_url == "postgresql+psycopg://u@db/parcours"
    monkeypatch.delenv("DATABASE_URL")
    assert Settings().is_sqlite  # PARCOURS_DATABASE_URL of the tests
    assert Settings(database_url="postgresql+psycopg://u@db/x").database_url == "postgresql+psycopg://u@db/x"


# --- encryption of identity fields -------------------------------------------------------------------


def test_field_cipher_round_trip_without_plaintext_in_the_token():
    cipher = FieldCipher([GOOD_KEY])
    token = cipher.encrypt("Amina, 06 12 34 56 78")
    assert_sealed(token, cipher, "Amina, 06 12 34 56 78")
    assert cipher.encrypt("Amina") != cipher.encrypt("Amina")  # random IV: equal values do not show
    assert cipher.encrypt("") is None and cipher.encrypt(None) is None and cipher.decrypt(None) is None


def test_key_rotation_old_tokens_still_read_then_rewritten_under_the_new_key():
    old_key, new_key = GOOD_KEY, Fernet.generate_key().decode()
    old_token = FieldCipher([old_key]).encrypt("Joy")

    during = FieldCipher([new_key, old_key])
    assert during.decrypt(old_token) == "Joy"
    rotated = during.rotate(old_token)

    after = FieldCipher([new_key])
    assert after.decrypt(rotated) == "Joy"
    with pytest.raises(ValueError):
        after.decrypt(old_token)
    with pytest.raises(ValueError):
        FieldCipher([old_key]).decrypt(rotated)
    assert during.rotate(None) is None


def test_a_wrong_key_raises_instead_of_showing_ciphertext():
    token = FieldCipher([GOOD_KEY]).encrypt("Blessing")
    with pytest.raises(ValueError, match="cannot be decrypted"):
        FieldCipher([Fernet.generate_key().decode()]).decrypt(token)


def test_a_cipher_needs_a_key():
    with pytest.raises(ValueError):
        FieldCipher([])


# --- password policy ---------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["douze carac.", "correct horse battery staple", "é" * 36, "x" * 72])
def test_passwords_of_12_characters_up_to_72_bytes_are_accepted(password):
    passwords.check_policy(password)
    assert passwords.verify_password(password, passwords.hash_password(password, rounds=4))


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("onze caract", "au moins 12 caractères"),
        ("é" * 37, "72 octets"),  # 37 characters but 74 bytes
        ("x" * 73, "72 octets"),
        (" espace devant", "espace"),
        ("espace derrière ", "espace"),
    ],
)
def test_passwords_outside_the_policy_are_refused_with_a_french_message(password, message):
    with pytest.raises(ValidationFailed) as failure:
        passwords.check_policy(password, field="new")
    assert list(failure.value.errors) == ["new"]
    assert message in failure.value.errors["new"]


def test_hashes_are_salted_bcrypt_and_a_broken_hash_never_matches():
    first, second = (passwords.hash_password("correct horse battery", rounds=4) for _ in range(2))
    assert first != second and first.startswith("$2b$04$")
    assert not passwords.verify_password("wrong password!", first)
    assert not passwords.verify_password("correct horse battery", "not a bcrypt hash")


# --- start-up check ----------------------------------------------------------------------------------


@pytest.fixture
def scratch_engine(scratch_database_url):
    engine = make_engine(scratch_database_url)
    yield engine
    engine.dispose()


def add_user(engine, *, is_demo: bool) -> None:
    with unit_of_work(engine) as session:
        session.add(
            User(
                username="direction" if is_demo else "dir.nat",
                display_name="Direction",
                password_hash=passwords.hash_password("parcours-demo", rounds=4),
                role=Role.DIRECTION,
                is_demo=is_demo,
            )
        )
        session.commit()


def test_production_refuses_to_start_with_a_demo_account(scratch_engine):
    prepare(production(), scratch_engine)  # empty database: migrated, accepted
    add_user(scratch_engine, is_demo=False)
    prepare(production(), scratch_engine)
    add_user(scratch_engine, is_demo=True)
    with pytest.raises(ConfigurationError, match="comptes de démonstration"):
        prepare(production(), scratch_engine)
    with pytest.raises(ConfigurationError, match="Mode démonstration refusé"):
        prepare(Settings(mode="demo"), scratch_engine)  # these accounts were not made by the demo seed
