"""The one answer to « which sites may I use? » (services/platform/sites.py)."""

from __future__ import annotations

import pytest

from models.organisation import Role
from services.platform.sites import sites_of
from tests import factories


@pytest.fixture
def sites(session):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    valence = factories.a_site(session, "VAL", "Valence")
    valence.is_active = False
    session.flush()
    return lyon, grenoble, valence


def codes(session, user, **options) -> list[str]:
    return [site.code for site in sites_of(session, factories.principal(session, user), **options)]


def test_a_worker_gets_its_own_active_sites_by_code(session, sites):
    lyon, _grenoble, valence = sites
    worker = factories.a_user(session, Role.INTERVENANT, lyon, valence)
    assert codes(session, worker) == ["LYO"]
    assert codes(session, worker, include_closed=True) == ["LYO", "VAL"]
    assert codes(session, worker, own_only=True) == ["LYO"]


def test_an_association_wide_role_gets_every_site_but_only_its_own_when_asked(session, sites):
    direction = factories.a_user(session, Role.DIRECTION)
    assert codes(session, direction) == ["GRE", "LYO"]
    assert codes(session, direction, include_closed=True) == ["GRE", "LYO", "VAL"]
    assert codes(session, direction, own_only=True) == []


def test_a_funder_gets_no_site(session, sites):
    funder = factories.a_funder(session, "AGRASC")
    financeur = factories.a_user(session, Role.FINANCEUR, funder_id=funder.id)
    assert codes(session, financeur) == []


def test_a_choice_reads_code_and_name(session, sites):
    chef = factories.a_user(session, Role.CHEF_SERVICE, sites[1])
    [grenoble] = sites_of(session, factories.principal(session, chef))
    assert grenoble.label == "GRE — Grenoble"
