"""What a user sees when the database fails, and when a page breaks (issue 14).

Saving a round on a read-only database or after the SQLite file vanished: a French message under the
form, no confirmation, the typed values still there, nothing saved and no file created. A page that
raises: a French message with a reference, never a traceback, and the operators' log line carries the
same reference (and not the exception's text, which may quote personal data).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from models.organisation import Role
from models.outreach import OutreachRound
from services.activities import outreach
from services.platform.db import make_engine, unit_of_work, upgrade_to_head
from services.platform.pages import PageKey
from tests import factories
from tests.conftest import APP_DB_URL, _private_postgres_database
from tests.pages.conftest import all_text, open_page, signed_in_app
from tests.pages.test_outreach_pages import SAVE_NEW, _button, _in_new_form
from tests.services.platform.test_database_faults import terminate_app_connections
from ui.platform import runtime as runtime_module
from ui.platform.runtime import Runtime, runtime

APP_DB = Path(APP_DB_URL.split("///", 1)[1])
UNAVAILABLE_FOR_GOOD = (
    "La base de données n'accepte plus d'enregistrement : rien n'a été enregistré. Vos saisies sont conservées ; "
    "prévenez l'administrateur ou l'administratrice de Parcours avant de réessayer."
)
REFERENCE = re.compile(r"\(référence ([0-9a-f]{8})\)")
TYPED = {"Personnes rencontrées": 23, "Dont nouveaux contacts": 6, "Kits d'hygiène": 317}


def rounds_with_317_kits(app_engine) -> int:
    with app_engine.connect() as connection:
        return connection.execute(
            select(sa.func.count()).select_from(OutreachRound).where(OutreachRound.hygiene_kits_given == 317)
        ).scalar_one()


def fill_a_round(at):
    _in_new_form(at.time_input, "Heure de début").set_value(time(5, 45))
    for label, value in TYPED.items():
        _in_new_form(at.number_input, label).set_value(value)
    return _button(at, SAVE_NEW).click().run()


def assert_refused_with_input_kept(at, message: str) -> str:
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith(message), errors
    assert not at.toast  # never « Maraude … enregistrée »
    assert [_in_new_form(at.number_input, label).value for label in TYPED] == list(TYPED.values())
    return REFERENCE.search(errors[0]).group(1)


@contextmanager
def read_only_app_database() -> Iterator[None]:
    """The app's connections answer as a read-only SQLite database does (as root, chmod stops nothing)."""
    engine = runtime().engine

    def read_only(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA query_only=ON")

    sa.event.listen(engine, "connect", read_only)
    engine.dispose()
    try:
        yield
    finally:
        sa.event.remove(engine, "connect", read_only)
        engine.dispose()


@contextmanager
def app_database_moved_away() -> Iterator[None]:
    """The SQLite file disappears while the app runs (then comes back, for the other tests)."""
    aside = APP_DB.with_name(APP_DB.name + ".aside")
    APP_DB.rename(aside)
    try:
        yield
    finally:
        aside.rename(APP_DB)


def test_saving_a_round_on_a_read_only_database_is_refused_under_the_form(app_engine, demo_database, request_errors):
    at = open_page(signed_in_app("ts.lyon"), PageKey.OUTREACH)
    before = rounds_with_317_kits(app_engine)
    with read_only_app_database():
        at = fill_a_round(at)
    reference = assert_refused_with_input_kept(at, UNAVAILABLE_FOR_GOOD)
    assert rounds_with_317_kits(app_engine) == before
    assert [record.getMessage() for record in request_errors] == [
        f"save-refused ref={reference} form=outreach_new error=DatabaseUnavailable retry=no"
    ]

    at = _button(at, SAVE_NEW).click().run()  # the administrator fixed it: the same input saves
    [toast] = [t.value for t in at.toast]
    assert toast.startswith("Maraude du ") and toast.endswith(" enregistrée.")
    assert rounds_with_317_kits(app_engine) == before + 1


def test_saving_a_round_after_the_database_file_vanished_saves_nothing_and_keeps_the_input(
    app_engine, demo_database, request_errors
):
    """The run of the click fails before the page is drawn (its first read): the message says so; once
    the file is back, the form still holds what was typed, and saving it then works."""
    at = open_page(signed_in_app("ts.lyon"), PageKey.OUTREACH)
    before = rounds_with_317_kits(app_engine)
    with app_database_moved_away():
        at = fill_a_round(at)
        assert not APP_DB.exists()  # not created again in its place
        assert not at.exception, at.exception
        [message] = [e.value for e in at.error]
        assert message.startswith("La base de données est inaccessible (référence ")
        assert "Ce que vous venez de saisir reste dans le formulaire" in message
        assert not at.toast
    assert [record.getMessage().split()[1] for record in request_errors] == [
        f"ref={REFERENCE.search(message).group(1)}"
    ]
    assert rounds_with_317_kits(app_engine) == before

    at = at.run()
    assert [_in_new_form(at.number_input, label).value for label in TYPED] == list(TYPED.values())
    assert not at.toast and rounds_with_317_kits(app_engine) == before
    at = _button(at, SAVE_NEW).click().run()
    assert len(at.toast) == 1 and rounds_with_317_kits(app_engine) == before + 1


def test_a_page_opened_while_the_database_file_is_missing_says_so_with_a_reference(demo_database, request_errors):
    at = signed_in_app("ts.lyon").run()
    with app_database_moved_away():
        at = at.switch_page("app_pages/activities/outreach.py").run()
    assert not at.exception, at.exception
    [message] = [e.value for e in at.error]
    assert message.startswith("La base de données est inaccessible (référence ")
    reference = REFERENCE.search(message).group(1)
    assert any(f"ref={reference}" in record.getMessage() for record in request_errors)


def test_a_page_that_breaks_shows_a_french_message_with_the_reference_of_its_log_line(
    demo_database, monkeypatch, request_errors
):
    def broken(*_args, **_kwargs):
        raise RuntimeError("Fatou, LYO-2026-0042, rue des Lilas")  # what an exception's text may quote

    monkeypatch.setattr(outreach, "outreach_sites", broken)
    at = open_page(signed_in_app("ts.lyon"), PageKey.OUTREACH)

    assert not at.exception, at.exception
    [message] = [e.value for e in at.error]
    assert message.startswith("Une erreur inattendue est survenue (référence ")
    assert "Vos données enregistrées ne sont pas touchées" in message
    reference = REFERENCE.search(message).group(1)
    shown = all_text(at)
    assert "Traceback" not in shown and "RuntimeError" not in shown and "Fatou" not in shown
    [line] = [record.getMessage() for record in request_errors]
    assert line.startswith(f"request-error ref={reference} page=outreach role=intervenant error=RuntimeError at=")
    assert "\n" not in line
    assert "app_pages/activities/outreach.py:" in line  # the traceback's frames, to find the line
    assert "Fatou" not in line and "LYO-2026-0042" not in line and "ts.lyon" not in line


@pytest.fixture
def app_on_postgres(monkeypatch, demo_database):
    """The app on a PostgreSQL database of its own holding a Lyon social worker: (username, admin engine)."""
    with _private_postgres_database(f"parcours_page_faults_{os.getpid()}") as url:
        engine = make_engine(url, create=False)
        upgrade_to_head(engine)
        with unit_of_work(engine) as session:
            site = factories.a_site(session, "LYO", "Lyon")
            username = factories.a_user(session, Role.INTERVENANT, site).username
            session.commit()
        monkeypatch.setattr(runtime_module, "runtime", lambda: Runtime(demo_database, engine))
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            yield username, admin
        finally:
            admin.dispose()
            engine.dispose()


@pytest.mark.postgres
def test_after_a_postgresql_restart_the_next_page_run_and_save_work(app_on_postgres):
    username, admin = app_on_postgres
    at = open_page(signed_in_app(username), PageKey.OUTREACH)
    assert not at.exception and not at.error, at.error
    assert terminate_app_connections(admin) >= 1  # what a restart does to the app's pooled connections

    at = at.run()
    assert not at.exception and not at.error, at.error
    at = fill_a_round(at)
    assert not at.error, at.error
    [toast] = [t.value for t in at.toast]
    assert toast.startswith("Maraude du ") and toast.endswith(" enregistrée.")
