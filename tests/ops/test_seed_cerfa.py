"""The demo conventions' compte rendu (Cerfa 15059): the AGRASC convention's workbook balances (charges = produits,
in every column) and its contributions volontaires 86 and 87 agree; the migration's old 65-68 is gone."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from openpyxl import load_workbook
from sqlmodel import Session, select

from models.organisation import User
from services.accounts.auth import principal_of
from services.finance import financial_report
from services.platform.crypto import FieldCipher
from tests.ops.test_seed import AS_OF, _seed, rows


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    from services.accounts.passwords import hash_password

    result = _seed(
        tmp_path_factory.mktemp("seed") / "demo.db",
        cipher=FieldCipher([Fernet.generate_key().decode()]),
        password_hash=hash_password("mot-de-passe-de-demo", rounds=4),
    )
    yield result
    result.engine.dispose()


def test_the_demo_agrasc_report_balances(demo) -> None:
    ((grant_id, starts_on, ends_on),) = rows(
        demo.engine,
        "SELECT g.id, g.starts_on, g.ends_on FROM grant g JOIN funder f ON f.id = g.funder_id WHERE f.kind = 'agrasc'",
    )
    contributions = rows(
        demo.engine,
        "SELECT account, planned_cents, actual_cents FROM grant_resource WHERE grant_id = :g ORDER BY account",
        g=grant_id,
    )
    by_account = {account: (planned, actual) for account, planned, actual in contributions}
    assert set(by_account) == {"861", "864", "870", "871"}
    assert by_account["864"] == by_account["870"] and by_account["861"] == by_account["871"]
    assert all(planned > actual > 0 for planned, actual in by_account.values())  # the convention runs on
    assert rows(demo.engine, "SELECT COUNT(*) FROM budget_line WHERE category = '65-68'")[0][0] == 0
    assert rows(demo.engine, "SELECT COUNT(*) FROM budget_line WHERE category = '68'")[0][0] > 0
    with Session(demo.engine) as session:
        gestion = principal_of(session, session.exec(select(User).where(User.username == "gestion")).one())
        data = financial_report.build_financial_report(
            session,
            gestion,
            grant_id=grant_id,
            period_start=date.fromisoformat(str(starts_on)),
            period_end=min(AS_OF, date.fromisoformat(str(ends_on))),
            today=AS_OF,
        )
    sheet = [tuple(c.value for c in row) for row in load_workbook(io.BytesIO(data))["Compte rendu"].iter_rows()]
    charges = next(r for r in sheet if r[1] == "Total général des charges")
    products = next(r for r in sheet if r[1] == "Total général des produits")
    assert charges[2:5] == products[2:5] and Decimal(str(charges[4])) > 0
    uses = next(r for r in sheet if r[0] == "86")
    given = next(r for r in sheet if r[0] == "87")
    assert uses[2:5] == given[2:5] and Decimal(str(uses[4])) > 0
