"""The operators' log of a journey names no one (issue 14).

The server's standard output and error (tests/browser/conftest.py writes both to `log_path`) after a
journey of its own (sign-in, a search of the caseload by a person's alias, that person's file opened by
its link) and whatever journeys ran before in the session: not one person's alias or first name, not one
account's display name, read from the database the server used. (It used to replay the person journey,
whose intake cannot run twice on one app: the second intake meets its own duplicate.)
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from models.organisation import Role, User
from models.persons import Person
from services.platform.crypto import FieldCipher
from services.platform.db import make_engine
from tests.browser.conftest import RunningApp
from tests.browser.journey import WAIT_MS, an_account, expect_, open_page, open_settled, sign_in
from tests.conftest import TEST_ENCRYPTION_KEY

pytestmark = pytest.mark.browser


def names_in(database_url: str) -> set[str]:
    """Every person's alias or first name and every account's display name."""
    cipher = FieldCipher([TEST_ENCRYPTION_KEY])
    engine = make_engine(database_url, create=False)
    try:
        with engine.connect() as connection:
            aliases = connection.execute(sa.select(Person.alias_encrypted)).scalars().all()
            accounts = connection.execute(sa.select(User.display_name)).scalars().all()
    finally:
        engine.dispose()
    return {cipher.decrypt(token) for token in aliases if token} | set(accounts)


def a_lyon_person(database_url: str) -> tuple[str, str]:
    """(code, alias) of an open Lyon file of the demo data."""
    cipher = FieldCipher([TEST_ENCRYPTION_KEY])
    engine = make_engine(database_url, create=False)
    try:
        with engine.connect() as connection:
            code, token = connection.execute(
                sa.select(Person.code, Person.alias_encrypted)
                .where(Person.code.startswith("LYO"), Person.alias_encrypted.is_not(None))
                .order_by(Person.id)
                .limit(1)
            ).one()
    finally:
        engine.dispose()
    return code, cipher.decrypt(token)


def test_the_log_of_a_caseload_journey_holds_no_name(page, running_app: RunningApp) -> None:
    worker = an_account(running_app, "ts.lyon.journal", "Ophélie Marchand", Role.INTERVENANT, site_codes=("LYO",))
    code, alias = a_lyon_person(running_app.database_url)
    sign_in(page, running_app, worker)
    open_page(page, "File active", "File active")
    box = page.get_by_role("textbox", name="Rechercher")
    box.fill(alias)
    box.press("Enter")
    expect_()(page.get_by_test_id("stMain").get_by_text(code)).to_have_count(1, timeout=WAIT_MS)
    open_settled(page, f"{running_app.url}/person_file?code={code}")
    heading = page.get_by_role("heading", name=f"Fiche personne · {code}", level=1)
    expect_()(heading).to_have_count(1, timeout=WAIT_MS)

    log = running_app.log_path.read_text(encoding="utf-8")
    assert re.search(r"INFO parcours log-start pid=\d+", log)  # the app's own log lines are in it
    names = names_in(running_app.database_url)
    assert len(names) > 50  # the demo people and accounts, and the journey's
    found = sorted(name for name in names if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", log))
    assert found == []
