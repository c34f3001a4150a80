"""Anonymisation that anonymises: no text left (not even its encrypted bytes on disk), dates made months,
and the age band × gender × nationality kept only where 5 anonymised files of the site share them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

import clock
from models.organisation import Role, Site
from models.persons import Gender, Person
from services.persons import pathway, retention
from services.platform.crypto import FieldCipher
from services.platform.db import make_engine, unit_of_work, upgrade_to_head
from services.reporting._indicators import compute_indicators
from tests import factories
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.services.persons.free_text_world import FREE_TEXT_COLUMNS, a_file_with_free_texts

TODAY = date(2026, 11, 18)
WRITTEN_ON = date(2023, 3, 14)
MARKER = "Zqwx-Chiamaka"
IDENTITY = FieldCipher([TEST_ENCRYPTION_KEY])


def sqlite_bytes(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def encrypted_values(connection, person_id: int) -> list[str]:
    """Every encrypted value of the file, read with SQL written here."""
    found = list(
        connection.execute(
            text("SELECT alias_encrypted, phone_encrypted FROM person WHERE id = :id"), {"id": person_id}
        ).one()
    )
    found += connection.execute(
        text("SELECT body_encrypted FROM person_note WHERE person_id = :id"), {"id": person_id}
    ).scalars()
    for table, column, _suffix in FREE_TEXT_COLUMNS:
        where = "id" if table == "person" else "person_id"
        found += connection.execute(
            text(f"SELECT {column} FROM {table} WHERE {where} = :id"), {"id": person_id}
        ).scalars()
    return [value for value in found if value]


def test_anonymisation_leaves_no_text_nor_its_encrypted_bytes_in_the_sqlite_files(tmp_path):
    path = tmp_path / "retention.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade_to_head(engine)
        with unit_of_work(engine) as session:
            lyon, _ = factories.lyon_and_grenoble(session)
            person = a_file_with_free_texts(session, lyon, MARKER, on=WRITTEN_ON, partner_name="Foyer")
            person.alias_encrypted = IDENTITY.encrypt(f"{MARKER}-alias")
            person.phone_encrypted = IDENTITY.encrypt("06 99 88 77 66")
            session.add(person)
            session.commit()
            chef = factories.principal(session, factories.a_user(session, Role.CHEF_SERVICE, lyon))
            pathway.add_note(
                session,
                chef,
                person.id,
                cipher=IDENTITY,
                today=WRITTEN_ON,
                data={"noted_on": WRITTEN_ON, "body": f"{MARKER}-note"},
            )
            tokens = encrypted_values(session.connection(), person.id)
            session.commit()
        assert len(tokens) == 11  # alias, phone, note and the 8 free texts
        before = sqlite_bytes(path)
        assert sum(token.encode() in before for token in tokens) == 11  # the scan finds them before

        with unit_of_work(engine) as session:
            retention.anonymise_file(session, chef, person.id, confirm_code=person.code, today=TODAY)

        after = sqlite_bytes(path)
        assert [token[:12] for token in tokens if token.encode() in after] == []
        assert MARKER.encode() not in after
        assert path.with_name(path.name + "-wal").stat().st_size == 0  # the log was checkpointed and truncated
    finally:
        engine.dispose()


def test_anonymisation_destroys_every_free_text_and_makes_dates_months(session):
    lyon, _ = factories.lyon_and_grenoble(session)
    person = a_file_with_free_texts(session, lyon, MARKER, on=WRITTEN_ON, partner_name="Foyer")
    person.languages = ["en", "ig"]
    session.add(person)
    session.flush()
    admin = factories.principal(session, factories.a_user(session, Role.ADMIN))

    retention.anonymise_file(session, admin, person.id, confirm_code=person.code, today=TODAY)

    connection = session.connection()
    for table, column, _suffix in FREE_TEXT_COLUMNS:
        where = "id" if table == "person" else "person_id"
        for value in connection.execute(
            text(f"SELECT {column} FROM {table} WHERE {where} = :id"), {"id": person.id}
        ).scalars():
            readable = IDENTITY.decrypt(value) if value else None
            assert readable in (None, retention.ANONYMISED_GOAL), (table, column, readable)
    dates = connection.execute(
        text(
            "SELECT p.intake_on, p.first_contact_on, p.last_contact_on, p.closed_on, r.referred_on, o.outcome_on,"
            " a.assessed_on, m.moved_on, s.changed_on FROM person p"
            " JOIN referral r ON r.person_id = p.id JOIN outcome o ON o.person_id = p.id"
            " JOIN language_assessment a ON a.person_id = p.id JOIN mainstream_transition m ON m.person_id = p.id"
            " JOIN person_status_change s ON s.person_id = p.id WHERE p.id = :id"
        ),
        {"id": person.id},
    ).one()
    created = connection.execute(
        text(
            "SELECT p.created_at, r.created_at, o.created_at FROM person p JOIN referral r ON r.person_id = p.id"
            " JOIN outcome o ON o.person_id = p.id WHERE p.id = :id"
        ),
        {"id": person.id},
    ).one()
    written = clock.month_start(clock.today())  # the rows were written today (the pinned day)
    assert [str(moment)[:19] for moment in created] == [f"{written:%Y-%m-%d} 00:00:00"] * 3
    as_text = [str(day)[:10] for day in dates]
    assert as_text == ["2022-01-01", "2022-01-01", "2023-03-01", "2023-03-01", "2023-03-01"] + ["2023-03-01"] * 4
    languages = connection.execute(text("SELECT languages FROM person WHERE id = :id"), {"id": person.id}).scalar_one()
    assert languages in ("[]", [])


def a_due_file(session: Session, site: Site, *, born: int | None, gender: Gender, nationality: str | None) -> Person:
    person = factories.a_person_in_file_active(session, site, intake_on=date(2023, 1, 10))
    person.birth_year, person.gender, person.nationality = born, gender, nationality
    person.languages = ["fr"]
    session.add(person)
    session.flush()
    return person


def kept(session: Session, person: Person) -> tuple:
    row = session.connection().execute(
        text(
            "SELECT birth_year, age_band, gender, nationality, nationality_region, languages FROM person WHERE id = :id"
        ),
        {"id": person.id},
    )
    birth_year, band, gender, country, region, languages = row.one()
    return birth_year, band, gender, country, region, languages in ("[]", [])


def test_what_is_kept_is_shared_by_five_anonymised_files_of_the_site(session):
    lyon, grenoble = factories.lyon_and_grenoble(session)
    woman, man = Gender.WOMAN, Gender.MAN
    # Ages at intake (2023): 1994 → 29, 1998 → 25: one band, 25–29.
    nigerians = [a_due_file(session, lyon, born=year, gender=woman, nationality="NG") for year in range(1994, 1999)]
    # Four Romanians and a Bulgarian, 30–34: no country is shared by 5, their region (Eastern Europe) is.
    easterners = [a_due_file(session, lyon, born=1990, gender=woman, nationality="RO") for _ in range(4)]
    easterners.append(a_due_file(session, lyon, born=1992, gender=woman, nationality="BG"))
    alone = a_due_file(session, lyon, born=1980, gender=man, nationality="CN")
    elsewhere = a_due_file(session, grenoble, born=1996, gender=woman, nationality="NG")  # another site
    recent = a_due_file(session, lyon, born=1996, gender=woman, nationality="NG")
    recent.last_contact_on = date(2026, 1, 5)
    session.add(recent)
    session.flush()

    done = retention.anonymise_due_files(session, "system", today=TODAY)

    assert len(done) == 12
    assert {kept(session, p) for p in nigerians} == {(None, 25, "woman", "NG", "011", True)}
    assert {kept(session, p) for p in easterners} == {(None, 30, "woman", None, "151", True)}
    assert kept(session, alone) == (None, None, "undisclosed", None, None, True)
    assert kept(session, elsewhere) == (None, None, "undisclosed", None, None, True)
    assert kept(session, recent)[:5] == (1996, None, "woman", "NG", None)  # not due: untouched

    # Later, one at a time: a sixth Nigerian woman of 25–29 joins a combination 5 files share already;
    # a Malian woman of that band is alone at her country, at her region and at her band × gender as
    # stored (the Nigerians are stored with their country): unknown.
    sixth = a_due_file(session, lyon, born=1997, gender=woman, nationality="NG")
    malian = a_due_file(session, lyon, born=1997, gender=woman, nationality="ML")
    admin = factories.principal(session, factories.a_user(session, Role.ADMIN))
    retention.anonymise_file(session, admin, sixth.id, confirm_code=sixth.code, today=TODAY)
    retention.anonymise_file(session, admin, malian.id, confirm_code=malian.code, today=TODAY)
    assert kept(session, sixth) == (None, 25, "woman", "NG", "011", True)
    assert kept(session, malian) == (None, None, "undisclosed", None, None, True)


def test_no_kept_combination_is_shared_by_fewer_than_five_anonymised_files(session):
    """Over the whole table, with SQL written here."""
    lyon, _ = factories.lyon_and_grenoble(session)
    for year, country in [(1990, "NG")] * 6 + [(1991, "GH")] * 3 + [(1970, "FR")] * 2:
        a_due_file(session, lyon, born=year, gender=Gender.WOMAN, nationality=country)
    retention.anonymise_due_files(session, "system", today=TODAY)
    rare = (
        session.connection()
        .execute(
            text(
                "SELECT site_id, age_band, gender, nationality, nationality_region, COUNT(*) FROM person"
                " WHERE status = 'anonymised' AND NOT (age_band IS NULL AND gender = 'undisclosed'"
                " AND nationality IS NULL AND nationality_region IS NULL)"
                " GROUP BY site_id, age_band, gender, nationality, nationality_region HAVING COUNT(*) < 5"
            )
        )
        .all()
    )
    assert rare == []
    counts = dict(
        session.connection()
        .execute(
            text(
                "SELECT COALESCE(nationality, nationality_region, '?'), COUNT(*) FROM person"
                " WHERE status = 'anonymised' GROUP BY COALESCE(nationality, nationality_region, '?')"
            )
        )
        .all()
    )
    # 6 Nigerians keep their country; 3 Ghanaians cannot (3 < 5) nor their region (with no other West
    # African of 30–34 stored as a region, 3 < 5), nor their band alone (3): unknown, with the 2 French.
    assert counts == {"NG": 6, "?": 5}


def test_whole_month_statistics_count_an_anonymised_file_as_before(session):
    lyon, _ = factories.lyon_and_grenoble(session)
    person = a_file_with_free_texts(session, lyon, MARKER, on=WRITTEN_ON, partner_name="Foyer")  # intake 10/01/2022
    keys = ("new_intakes", "active_files", "referrals", "mainstream_transitions")

    def figures(start: date, end: date) -> tuple:
        computed = compute_indicators(session, site_ids=[lyon.id], start=start, end=end)
        return tuple(computed.get(key).value for key in keys)

    months = [(date(2022, 1, 1), date(2022, 1, 31)), (date(2023, 2, 1), date(2023, 2, 28))]
    months.append((date(2023, 3, 1), date(2023, 3, 31)))
    expected = [(1, 1, 0, 0), (0, 1, 0, 0), (0, 0, 1, 1)]  # closed on 14/03/2023, referred and moved on too
    assert [figures(*month) for month in months] == expected

    retention.anonymise_file(session, "system", person.id, confirm_code=person.code, today=TODAY)

    assert [figures(*month) for month in months] == expected
