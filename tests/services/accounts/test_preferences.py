"""The interface language follows its user from one browser to the next; each user sets only their own."""

from __future__ import annotations

import pytest

from models.organisation import Role
from services.accounts import preferences
from services.platform.errors import PermissionDenied, ValidationFailed
from tests import factories


def test_a_user_who_never_chose_has_no_saved_language(session):
    worker = factories.principal(session, factories.a_user(session, Role.INTERVENANT))
    assert preferences.saved_language(session, worker) is None


def test_the_language_a_user_chooses_is_the_one_found_at_their_next_sign_in(session):
    worker = factories.principal(session, factories.a_user(session, Role.INTERVENANT, username="ts.lyon"))
    preferences.save_language(session, worker, username="ts.lyon", language="en")
    assert preferences.saved_language(session, worker) == "en"
    preferences.save_language(session, worker, username="TS.Lyon", language="fr")
    assert preferences.saved_language(session, worker) == "fr"


def test_nobody_chooses_the_language_of_another_account_not_even_an_admin(session):
    worker = factories.principal(session, factories.a_user(session, Role.INTERVENANT, username="ts.lyon"))
    admin = factories.principal(session, factories.a_user(session, Role.ADMIN, username="admin"))
    with pytest.raises(PermissionDenied):
        preferences.save_language(session, admin, username="ts.lyon", language="en")
    assert preferences.saved_language(session, worker) is None


def test_an_unknown_language_is_refused_and_nothing_is_saved(session):
    worker = factories.principal(session, factories.a_user(session, Role.INTERVENANT, username="ts.lyon"))
    with pytest.raises(ValidationFailed):
        preferences.save_language(session, worker, username="ts.lyon", language="de")
    assert preferences.saved_language(session, worker) is None
