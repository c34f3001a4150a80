"""Postes' figures are cached (services.platform.data_version) and never stale: a post vacated through another
engine (another app process) shows at the next read, in the FTE series and the monthly cost per grant.

Real commits on a database of its own, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from models.organisation import Role, User
from models.staffing import Post
from services.finance.staffing import figures as staffing_figures
from services.finance.staffing import posts as staffing
from services.platform.db import unit_of_work
from tests import factories
from tests.conftest import backends, two_engines

TODAY = date(2026, 3, 15)


@pytest.fixture(params=backends())
def engines(request) -> Iterator[tuple[Engine, Engine]]:
    with two_engines(request.param, "parcours_staffing_cache") as both:
        yield both


def principal(uow, username: str):
    return factories.principal(uow, uow.exec(select(User).where(User.username == username)).one())


def figures(engine: Engine) -> tuple:
    """(funded, filled) of March 2026 and the monthly cost per grant, as direction reads them."""
    with unit_of_work(engine) as uow:
        direction = principal(uow, "direction")
        series = staffing_figures.fte_series(uow, direction, today=TODAY)
        costs = staffing_figures.monthly_cost_by_grant(uow, direction, today=TODAY)
    march = series[-1]
    return (march.funded_hundredths, march.filled_hundredths), [(c.funder_name, c.monthly_cents) for c in costs]


def test_a_post_vacated_in_another_process_shows_at_the_next_read(engines):
    first, second = engines
    with unit_of_work(first) as uow:
        lyon, _grenoble = factories.lyon_and_grenoble(uow)
        factories.a_user(uow, Role.DIRECTION, username="direction")
        factories.a_user(uow, Role.GESTION, username="gestion")
        agrasc = factories.a_staff_grant(uow, factories.a_funder(uow, "AGRASC"), lyon)
        region = factories.a_staff_grant(uow, factories.a_funder(uow, "Région"), lyon)
        kept = factories.a_funded_post(
            uow, lyon, monthly_cost_cents=300_000, funding=[(agrasc, 10_000)], history=[(date(2025, 1, 1), True)]
        )
        factories.a_funded_post(
            uow,
            lyon,
            monthly_cost_cents=200_000,
            fte_hundredths=50,
            funding=[(agrasc, 5_000), (region, 5_000)],
            history=[(date(2025, 1, 1), True)],
        )
        uow.commit()
        kept_id = kept.id
    before = ((150, 150), [("AGRASC", 400_000), ("Région", 100_000)])
    assert figures(first) == before
    assert figures(first) == before  # served from the cache: nothing was written
    with unit_of_work(second) as uow:
        version = uow.exec(select(Post.version).where(Post.id == kept_id)).one()
        staffing.vacate_post(
            uow,
            principal(uow, "gestion"),
            kept_id,
            expected_version=version,
            data={"on": date(2026, 3, 1)},
            today=TODAY,
        )
        uow.commit()
    assert figures(first) == ((150, 50), [("AGRASC", 100_000), ("Région", 100_000)])
