"""The README's « Production install », followed literally on a fresh PostgreSQL database, ends with the
worker of a site signed in on that site.

Each command of the section's shell blocks runs as a subprocess, as written (the exports through bash), in
order; the only substitution is the database address (`…` in the README). `make install` is skipped: it
builds the virtualenv these tests already run in. Then `python -m ops.bootstrap` (step 4) and the app itself,
in production mode on that database, where the worker signs in through the login form.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

import clock
from services.platform import config
from services.platform.config import PROJECT_ROOT
from tests.conftest import _private_postgres_database
from tests.pages.conftest import APP_SCRIPT, TIMEOUT, button, submit_login, text_input
from ui.platform.runtime import field_cipher, runtime

README = (PROJECT_ROOT / "README.md").read_text()
# Typed at each `create-user` prompt (twice: password, confirmation); a production password must not be guessable.
PASSWORD = "trombone lagune parapluie 1987"
EXPORT = re.compile(r"^export (\w+)=(.*)$")
COMMAND_TIMEOUT = 120


def production_section_commands() -> list[str]:
    section = README.split("## Production install", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_section_has_the_commands_this_test_follows():
    commands = production_section_commands()
    assert commands[0] == "export PARCOURS_MODE=production"
    assert "make install" in commands
    assert any(c.startswith(".venv/bin/python -m ops.cli create-user") and "--role admin" in c for c in commands)
    assert any("create-site --code LYO" in c for c in commands)
    assert any("--role intervenant --site LYO" in c for c in commands)


def _export_value(expression: str, env: dict[str, str]) -> str:
    """The value bash gives `NAME=expression` (quotes, $(...) commands) in the repository."""
    done = subprocess.run(
        ["bash", "-c", f"printf %s {expression}"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=True,
    )
    return done.stdout


def follow_the_readme(database_url: str) -> tuple[dict[str, str], list[str]]:
    """Run the section's commands in order; return the environment they built and each command's output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARCOURS_") and k != "DATABASE_URL"}
    env["PATH"] = f"{PROJECT_ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}"
    outputs = []
    for command in production_section_commands():
        if command == "make install":
            continue
        exported = EXPORT.match(command)
        if exported:
            name, expression = exported.groups()
            env[name] = database_url if name == "DATABASE_URL" else _export_value(expression, env)
            continue
        argv = shlex.split(command)
        assert argv[0] == ".venv/bin/python", command  # every other line runs one of our commands
        done = subprocess.run(
            [sys.executable, *argv[1:]],
            cwd=PROJECT_ROOT,
            env=env,
            input=f"{PASSWORD}\n{PASSWORD}\n",
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            start_new_session=True,  # no terminal: the password prompt reads the standard input
        )
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        outputs.append(done.stdout)
    return env, outputs


@pytest.fixture
def fresh_database():
    """A new PostgreSQL database (the README's production install uses one). The same walk passes on SQLite
    (a `sqlite:///` address here): it is left out to keep the suite short, each command being a new process."""
    with _private_postgres_database(f"parcours_install_{os.getpid()}") as url:
        yield url


@pytest.fixture
def app_in_production():
    """The app's own settings and engine are rebuilt from the environment the test sets, then forgotten once
    the environment is restored (in that order: settings cached with the production keys would break every
    later page test)."""
    patch = pytest.MonkeyPatch()

    def start(env: dict[str, str]) -> None:
        for name in ("PARCOURS_MODE", "PARCOURS_COOKIE_KEY", "PARCOURS_ENCRYPTION_KEY", "DATABASE_URL"):
            patch.setenv(name, env[name])
        # Production refuses a pinned day: the app runs on the real clock, like the commands that created the
        # accounts (a session opened "before" the password was set would be refused as revoked).
        patch.delenv("PARCOURS_CLOCK")
        patch.setattr(clock, "_offset", timedelta(0))
        config.get_settings.cache_clear()
        runtime.clear()
        field_cipher.clear()

    yield start
    patch.undo()
    config.get_settings.cache_clear()
    runtime.clear()
    field_cipher.clear()  # cached apart from the runtime: it held the production key


@pytest.mark.postgres
def test_the_readme_production_install_ends_with_a_worker_signed_in_on_its_site(fresh_database, app_in_production):
    env, outputs = follow_the_readme(fresh_database)
    assert env["PARCOURS_MODE"] == "production"
    assert "Installation complète." in outputs[-1]

    bootstrap = subprocess.run(
        [sys.executable, "-m", "ops.bootstrap"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert bootstrap.returncode == 0, bootstrap.stderr
    assert "démonstration" not in bootstrap.stdout  # a production database is never seeded

    app_in_production(env)
    at = AppTest.from_file(APP_SCRIPT, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    shown = " ".join(element.value for element in at.warning) + " ".join(e.label for e in at.expander)
    assert "aucune personne réelle" not in shown and "Comptes de démonstration" not in shown

    # The worker's account sees identities: the command printed a single-use code, with which its holder
    # chooses the password on the login page (the admin never knows it).
    code = re.search(r"Code d'activation de « ts\.lyon » : (\S+)", "".join(outputs)).group(1)
    for label, value in (
        ("Votre identifiant", "ts.lyon"),
        ("Code reçu", code),
        ("Nouveau mot de passe", PASSWORD),
        ("Nouveau mot de passe (confirmation)", PASSWORD),
    ):
        text_input(at, label).input(value)
    at = button(at, "Enregistrer mon mot de passe").click().run()
    assert not at.exception, at.exception
    assert any("Mot de passe enregistré" in s.value for s in at.success), [e.value for e in at.error]

    at = submit_login(at, "ts.lyon", PASSWORD)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert [title.value for title in at.title] == ["Bonjour Prénom Nom"]
    assert "Intervenant·e" in [caption.value for caption in at.sidebar.caption]

    at.switch_page("app_pages/persons/intake.py").run()  # the worker's own page, on its own site
    assert not at.exception, at.exception
    site = next(box for box in at.selectbox if box.label == "Site *")
    assert site.options == ["LYO — Lyon Guillotière"]
