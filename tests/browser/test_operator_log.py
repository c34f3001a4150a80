"""The operators' log of a whole journey names no one (issue 14).

The server's standard output and error (tests/browser/conftest.py writes both to `log_path`) after the
person-file journey (an intake typed in, a file opened, searched by alias, refused to another site) and
whatever journey ran before in the session: not one person's alias or first name, not one account's
display name, read from the database the server used.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from models.organisation import User
from models.persons import Person
from services.platform.crypto import FieldCipher
from services.platform.db import make_engine
from tests.browser.conftest import RunningApp
from tests.browser.test_person_journey import test_intake_to_timeline_then_refused_to_other_site as person_journey
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


def test_the_log_of_a_person_file_journey_holds_no_name(page, new_page, running_app: RunningApp) -> None:
    person_journey(page, new_page, running_app)

    log = running_app.log_path.read_text(encoding="utf-8")
    assert re.search(r"INFO parcours log-start pid=\d+", log)  # the app's own log lines are in it
    names = names_in(running_app.database_url)
    assert len(names) > 50  # the demo people and accounts, and the journey's
    found = sorted(name for name in names if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", log))
    assert found == []
