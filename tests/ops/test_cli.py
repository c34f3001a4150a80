"""The administration command line of a production install, on a scratch SQLite cli_database."""

from __future__ import annotations

import io
import re
import secrets
from datetime import timedelta

from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlmodel import select

import clock
from models.audit import AuditEvent
from models.organisation import Role, Site, User
from models.pathway import ActionGoal, GoalAxis
from models.persons import Person
from models.types import utcnow
from ops import cli
from services.accounts import auth, enrolment, passwords
from services.accounts.auth import LoginOutcome
from services.persons import alias_index
from services.platform import config
from services.platform.crypto import FieldCipher
from services.platform.db import make_engine, unit_of_work
from tests import factories

GOOD_PASSWORD = "une phrase de passe solide"


def run(monkeypatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(list(argv))


def create(monkeypatch, username: str, role: str = "direction", password: str = GOOD_PASSWORD, *extra: str) -> int:
    return run(
        monkeypatch,
        "create-user",
        "--username",
        username,
        "--name",
        "Hélène Marchetti",
        "--role",
        role,
        "--password-stdin",
        *extra,
        stdin=password + "\n",
    )


def user(engine, username: str) -> User | None:
    with unit_of_work(engine) as session:
        found = session.exec(select(User).where(User.username == username)).first()
        if found is not None:
            session.expunge(found)  # keep its loaded values after the unit of work
        return found


def test_create_user_reads_the_password_from_stdin(cli_database, monkeypatch, capsys):
    assert create(monkeypatch, "dir.nat") == 0
    assert "« dir.nat » créé" in capsys.readouterr().out

    created = user(cli_database, "dir.nat")
    assert created.role == Role.DIRECTION and created.is_active and not created.is_demo
    assert passwords.verify_password(GOOD_PASSWORD, created.password_hash)  # without the newline
    with unit_of_work(cli_database) as session:
        trail = session.exec(select(AuditEvent.actor_username, AuditEvent.action)).all()
    assert [tuple(row) for row in trail] == [("system", "user.create")]


def test_a_short_password_exits_with_1_and_a_french_message(cli_database, monkeypatch, capsys):
    assert create(monkeypatch, "dir.nat", password="court") == 1
    assert "Erreur : Le mot de passe doit contenir au moins 12 caractères." in capsys.readouterr().err
    assert user(cli_database, "dir.nat") is None


def test_a_site_role_needs_a_known_site(cli_database, monkeypatch, capsys):
    assert create(monkeypatch, "ts.lyon", "intervenant") == 1
    assert "au moins un" in capsys.readouterr().err
    assert create(monkeypatch, "ts.lyon", "intervenant", GOOD_PASSWORD, "--site", "LYO") == 1
    assert "Site(s) inconnu(s) : LYO." in capsys.readouterr().err

    with unit_of_work(cli_database) as session:
        session.add(Site(code="LYO", name="Lyon", city="Lyon"))
        session.commit()
    assert create(monkeypatch, "ts.lyon", "intervenant", GOOD_PASSWORD, "--site", "lyo") == 0


def test_list_users_then_deactivate(cli_database, monkeypatch, capsys):
    create(monkeypatch, "dir.nat")
    create(monkeypatch, "admin.nat", "admin")
    capsys.readouterr()

    assert run(monkeypatch, "list-users") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [["admin.nat", "admin"], ["dir.nat", "direction"]]
    assert all(line.split()[-1] == "actif" for line in lines)

    started = utcnow() - timedelta(minutes=1)
    assert run(monkeypatch, "deactivate", "--username", "dir.nat") == 0
    assert capsys.readouterr().out.strip() == "Fait."
    assert not user(cli_database, "dir.nat").is_active
    with unit_of_work(cli_database) as session:
        assert (
            auth.check_session(
                session, config.load_settings(), "dir.nat", started_at=started, last_activity_at=utcnow()
            )
            == auth.SessionEnd.REVOKED
        )

    run(monkeypatch, "list-users")
    assert capsys.readouterr().out.splitlines()[1].split()[-1] == "désactivé"
    assert run(monkeypatch, "activate", "--username", "dir.nat") == 0
    assert user(cli_database, "dir.nat").is_active


def test_an_unknown_account_is_an_error(cli_database, monkeypatch, capsys):
    assert run(monkeypatch, "deactivate", "--username", "personne") == 1
    assert capsys.readouterr().err.strip() == "Erreur : Compte introuvable."


def test_set_password_and_unlock(cli_database, monkeypatch, capsys):
    create(monkeypatch, "dir.nat")
    settings = config.load_settings()
    with unit_of_work(cli_database) as session:
        for _ in range(5):
            auth.authenticate(session, settings, "dir.nat", "pas le bon mot de passe")

    assert (
        run(
            monkeypatch,
            "set-password",
            "--username",
            "dir.nat",
            "--password-stdin",
            stdin="un autre mot de passe long\n",
        )
        == 0
    )
    assert run(monkeypatch, "unlock", "--username", "dir.nat") == 0
    with unit_of_work(cli_database) as session:
        result = auth.authenticate(session, settings, "dir.nat", "un autre mot de passe long")
    assert result.outcome == LoginOutcome.SUCCESS


def test_generate_key_prints_a_valid_key(monkeypatch, capsys):
    assert run(monkeypatch, "generate-key") == 0
    Fernet(capsys.readouterr().out.strip())


def test_production_with_a_default_secret_exits_with_2(cli_database, monkeypatch, capsys):
    monkeypatch.setenv("PARCOURS_MODE", "production")
    monkeypatch.setenv("PARCOURS_COOKIE_KEY", "change-me")
    assert run(monkeypatch, "list-users") == 2
    assert "Configuration refusée" in capsys.readouterr().err


def test_rotate_keys_rewrites_identity_fields_and_free_texts_under_the_new_key(cli_database, monkeypatch, capsys):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("PARCOURS_ENCRYPTION_KEY", old_key)
    create(monkeypatch, "dir.nat")
    old_engine = make_engine(str(cli_database.url), encryption_keys=[old_key])
    with unit_of_work(old_engine) as session:
        lyon = factories.a_site(session, "LYO")
        person = factories.a_person_in_file_active(session, lyon, intake_on=clock.today())
        person.alias_encrypted = FieldCipher([old_key]).encrypt("Joy")
        alias_index.index_alias(session, person.id, "Joy", FieldCipher([old_key]))
        session.add(ActionGoal(person_id=person.id, site_id=lyon.id, axis=GoalAxis.HOUSING, goal="Chez Ada"))
        session.commit()
    old_engine.dispose()
    capsys.readouterr()

    monkeypatch.setenv("PARCOURS_ENCRYPTION_KEY", f"{new_key},{old_key}")
    assert run(monkeypatch, "rotate-keys") == 0
    assert "2 enregistrement(s) rechiffré(s)" in capsys.readouterr().out  # the file and its goal
    with cli_database.connect() as connection:
        alias, goal = connection.execute(
            text("SELECT p.alias_encrypted, g.goal FROM person p JOIN action_goal g ON g.person_id = p.id")
        ).one()
    assert FieldCipher([new_key]).decrypt(alias) == "Joy"
    assert FieldCipher([new_key]).decrypt(goal) == "Chez Ada"
    # The blind index is computed again with the new key: the new key alone finds the alias, the old no longer.
    with unit_of_work(cli_database) as session:
        for key, found in ((new_key, [person.id]), (old_key, [])):
            condition = alias_index.alias_condition("joy", FieldCipher([key]))
            assert session.exec(select(Person.id).where(condition)).all() == found


def test_purge_audit_keeps_the_last_year(cli_database, monkeypatch, capsys):
    with unit_of_work(cli_database) as session:
        factories.an_audit_event(session, action="old", occurred_at=utcnow() - timedelta(days=400))
        factories.an_audit_event(session, action="recent", occurred_at=utcnow() - timedelta(days=10))
        session.commit()
    assert run(monkeypatch, "purge-audit") == 0
    assert "1 événement(s) supprimé(s)" in capsys.readouterr().out
    with unit_of_work(cli_database) as session:
        assert session.exec(select(AuditEvent.action)).all() == ["recent"]


def test_in_production_an_account_that_sees_identities_gets_a_code_not_a_password(cli_database, monkeypatch, capsys):
    with unit_of_work(cli_database) as session:
        session.add(Site(code="LYO", name="Lyon", city="Lyon"))
        session.commit()
    monkeypatch.setenv("PARCOURS_MODE", "production")
    monkeypatch.setenv("PARCOURS_COOKIE_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("PARCOURS_ENCRYPTION_KEY", Fernet.generate_key().decode())
    monkeypatch.delenv(clock.CLOCK_VARIABLE, raising=False)  # production refuses a pinned day
    code_line = re.compile(r"Code d'activation de « ts\.lyon » : ([A-Z2-9]{4}(?:-[A-Z2-9]{4}){3})\n")

    # no password asked (nothing on stdin): the holder will choose it
    assert run(monkeypatch, "create-user", "--username", "ts.lyon", "--name", "Léa", "--role", "intervenant",
               "--site", "LYO") == 0  # fmt: skip
    first = code_line.search(capsys.readouterr().out).group(1)
    assert user(cli_database, "ts.lyon").password_hash == "!enrolment-pending"

    assert run(monkeypatch, "set-password", "--username", "ts.lyon", "--password-stdin", stdin=GOOD_PASSWORD) == 1
    assert "seul·e son ou sa titulaire choisit le mot de passe" in capsys.readouterr().err

    assert run(monkeypatch, "enrolment-code", "--username", "ts.lyon") == 0
    second = code_line.search(capsys.readouterr().out).group(1)
    assert second != first
    settings = config.load_settings()
    data = {"username": "ts.lyon", "code": second, "new": GOOD_PASSWORD, "confirmation": GOOD_PASSWORD}
    with unit_of_work(cli_database) as session:
        assert enrolment.set_password_with_code(session, settings, data=data) == "ts.lyon"
        later = utcnow() + timedelta(seconds=1)
        assert auth.authenticate(session, settings, "ts.lyon", GOOD_PASSWORD, now=later).outcome == LoginOutcome.SUCCESS


def test_a_site_created_on_the_command_line_lets_its_first_worker_be_created(cli_database, monkeypatch, capsys):
    """Issue 14: on a fresh database, `create-user --site LYO` failed, nothing created sites."""
    assert run(monkeypatch, "create-site", "--code", "lyo", "--name", "Lyon", "--city", "Lyon") == 0
    assert "Site « LYO » créé." in capsys.readouterr().out
    assert create(monkeypatch, "ts.lyon", "intervenant", GOOD_PASSWORD, "--site", "LYO") == 0
    assert run(monkeypatch, "create-site", "--code", "LYO", "--name", "Lyon 2", "--city", "Lyon") == 1
    assert "Erreur : Ce code de site existe déjà." in capsys.readouterr().err
    assert run(monkeypatch, "close-site", "--code", "LYO") == 0
    with unit_of_work(cli_database) as session:
        assert session.exec(select(Site.code, Site.is_active)).all() == [("LYO", False)]
        trail = session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert trail == ["site.create", "user.create", "site.close"]


def test_setup_status_lists_what_remains(cli_database, monkeypatch, capsys):
    assert run(monkeypatch, "set-association", "--name", "Association du Rhône") == 0
    assert run(monkeypatch, "add-strand", "--name", "Aller-vers") == 0
    capsys.readouterr()
    assert run(monkeypatch, "setup-status") == 0
    assert capsys.readouterr().out.splitlines() == [
        "[x] nom de l'association (set-association)",
        "[ ] au moins un site ouvert (create-site)",
        "[x] au moins un volet (add-strand)",
        "[ ] un compte rattaché à un site (create-user --site)",
        "Installation incomplète.",
    ]
