"""The caseload's search by alias reads a blind index (services/persons/alias_index.py), never the text.

The rule: a file is found when the term sounds like its alias or one of its words, or begins its alias
or one of its words (3 letters or more; accents, case and separators ignored). A piece inside a word
(« lène ») no longer finds it."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import event, text
from sqlmodel import select

from models.persons import Person, PersonStatus
from services.persons import alias_index, erasure
from services.persons import files as person_files
from services.persons.files import CaseloadFilter, list_caseload
from services.platform.crypto import FieldCipher
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.services.person_world import CIPHER, TODAY, an_intake, create
from tests.services.persons import safety_world
from tests.services.persons.test_transfer import move

OTHER_KEY = "Zm9yLXRoZS10ZXN0cy1vbmx5LWEtc2Vjb25kLWtleSE="  # 32 bytes, urlsafe base64


def _found(session, principal, query, **filters) -> set[str]:
    page = list_caseload(session, principal, CaseloadFilter(query=query, **filters), cipher=CIPHER, today=TODAY)
    return {row.code for row in page.rows}


def _tokens(session, person_id: int) -> list[bytes]:
    rows = session.connection().execute(
        text("SELECT token FROM person_alias_token WHERE person_id = :id"), {"id": person_id}
    )
    return [bytes(token) for (token,) in rows]


@pytest.fixture
def lyon_files(session, person_world):
    helene = create(session, person_world.ts_lyon, person_world.lyon, alias="Hélène")
    marie_helene = create(session, person_world.ts_lyon, person_world.lyon, alias="Marie-Hélène")
    blessing = create(session, person_world.ts_lyon, person_world.lyon, alias="Blessing")
    grenoble = create(session, person_world.cip_grenoble, person_world.grenoble, alias="Hélène")
    return helene.code, marie_helene.code, blessing.code, grenoble.code


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("helene", {"Hélène", "Marie-Hélène"}),  # accents and case ignored; the second word of Marie-Hélène
        ("HÉLÈNE", {"Hélène", "Marie-Hélène"}),
        ("Elène", {"Hélène", "Marie-Hélène"}),  # same sound
        ("hel", {"Hélène", "Marie-Hélène"}),  # a beginning of 3 letters
        ("helen", {"Hélène", "Marie-Hélène"}),
        ("Marie Hél", {"Marie-Hélène"}),  # the beginning of the alias, its words run together
        ("mari", {"Marie-Hélène"}),
        ("Blésing", {"Blessing"}),  # same sound
        ("bles", {"Blessing"}),
        ("lène", set()),  # a piece inside a word: no longer found
        ("essing", set()),
        ("he", set()),  # 2 letters: by sound only, and nobody sounds « e »
    ],
)
def test_an_alias_is_found_by_its_sound_or_a_beginning(session, person_world, lyon_files, query, expected):
    helene, marie_helene, blessing, _grenoble = lyon_files
    codes = {"Hélène": helene, "Marie-Hélène": marie_helene, "Blessing": blessing}
    assert _found(session, person_world.ts_lyon, query) == {codes[name] for name in expected}


def test_another_sites_file_is_never_found(session, person_world, lyon_files):
    helene, marie_helene, _blessing, grenoble = lyon_files
    assert _found(session, person_world.ts_lyon, "helene") == {helene, marie_helene}
    assert _found(session, person_world.ts_lyon, "helene", site_id=person_world.grenoble.id) == set()
    assert _found(session, person_world.cip_grenoble, "helene") == {grenoble}
    assert _found(session, person_world.direction, "helene") == set()  # no identity: by code only


def test_the_search_decrypts_no_alias_of_the_scope(session, person_world, lyon_files, engine, monkeypatch):
    decrypted: list[str] = []
    real = FieldCipher.decrypt
    monkeypatch.setattr(FieldCipher, "decrypt", lambda self, token: decrypted.append(token) or real(self, token))
    statements: list[str] = []
    listener = lambda _c, _cur, statement, *_a: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        page = list_caseload(session, person_world.ts_lyon, CaseloadFilter(query="bles"), cipher=CIPHER, today=TODAY)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert [row.alias for row in page.rows] == ["Blessing"]
    assert len(decrypted) == 1  # the page's one row, for its display
    assert any("person_alias_token" in statement for statement in statements)


def test_a_corrected_alias_is_found_by_its_new_name_not_the_old(session, person_world, lyon_files):
    helene, marie_helene, _blessing, _grenoble = lyon_files
    header = person_files.get_person_file(session, person_world.ts_lyon, _id(session, helene), cipher=CIPHER)
    person_files.update_situation(
        session,
        person_world.ts_lyon,
        header.person_id,
        expected_version=header.version,
        data={"alias": "Joy"},
        cipher=CIPHER,
        today=TODAY,
    )
    assert _found(session, person_world.ts_lyon, "joy") == {helene}
    assert _found(session, person_world.ts_lyon, "Joie") == {helene}  # same sound
    assert _found(session, person_world.ts_lyon, "helene") == {marie_helene}


def test_an_erased_file_is_not_found_and_keeps_no_token(session, person_world, lyon_files):
    helene, marie_helene, _blessing, _grenoble = lyon_files
    person_id = _id(session, helene)
    erasure.erase_on_request(
        session,
        person_world.chef_lyon,
        person_id,
        data={"reason": "person_request", "details": "Demande écrite"},
        confirm_code=helene,
        today=TODAY,
    )
    assert _tokens(session, person_id) == []
    assert _found(session, person_world.ts_lyon, "helene") == {marie_helene}
    assert _found(session, person_world.ts_lyon, "helene", statuses=[PersonStatus.ANONYMISED]) == set()


def test_a_transferred_file_is_found_by_its_new_sites_team_only(session):
    world = safety_world.two_sites(session)
    person = safety_world.a_file(session, world.lyon, 42)
    person.alias_encrypted = CIPHER.encrypt("Oriane")
    alias_index.index_alias(session, person.id, "Oriane", CIPHER)
    session.flush()
    assert _found(session, world.worker_a, "ori") == {"LYO-2026-0042"}

    moved = move(session, world.chef_both, person, world)

    assert _found(session, world.worker_a, "ori") == set()
    assert _found(session, world.worker_b, "ori") == {moved.code}


def test_the_tokens_hold_no_text_and_need_the_key(session, person_world, lyon_files):
    _helene, marie_helene, _blessing, _grenoble = lyon_files
    tokens = _tokens(session, _id(session, marie_helene))
    # 16 sound keys and beginnings (alias_values), padded to a multiple of 16: here exactly 16.
    assert len(alias_index.alias_values("Marie-Hélène")) == 16
    assert len(tokens) == 16 and len(set(tokens)) == 16
    assert all(len(token) == 32 for token in tokens)
    for token in tokens:
        for piece in (b"mariehelene", b"marie", b"helene", b"hel", b"mar", b"elan", "Hélène".encode()):
            assert piece not in token
    # Not an unkeyed hash a dictionary would reverse; another key gives other tokens.
    assert hashlib.sha256(b"start:helene").digest() not in tokens
    assert CIPHER.blind_tokens(["start:helene"])[0] in tokens
    assert FieldCipher([OTHER_KEY]).blind_tokens(["start:helene"])[0] not in tokens


def test_an_alias_with_more_values_is_padded_to_the_next_multiple_of_16(session, person_world):
    alias = "Marie-Hélène Joséphine"
    created = create(session, person_world.ts_lyon, person_world.lyon, alias=alias)
    # 18 beginnings of the 20 letters run together, 4 of Hélène, 7 of Joséphine, 4 sound keys
    assert len(alias_index.alias_values(alias)) == 33
    assert len(_tokens(session, _id(session, created.code))) == 48
    blessing = create(session, person_world.ts_lyon, person_world.lyon, alias="Blessing")
    assert len(alias_index.alias_values("Blessing")) == 7
    assert len(_tokens(session, _id(session, blessing.code))) == 16


def test_during_a_key_rotation_the_old_keys_tokens_are_still_found(session, person_world):
    old = FieldCipher([OTHER_KEY])
    created = person_files.create_intake(
        session,
        person_world.ts_lyon,
        data=an_intake(person_world.lyon, alias="Precious"),
        cipher=old,
        today=TODAY,
    )
    rotating = FieldCipher([TEST_ENCRYPTION_KEY, OTHER_KEY])  # new key first, old one still there
    found = list_caseload(session, person_world.ts_lyon, CaseloadFilter(query="prec"), cipher=rotating, today=TODAY)
    assert [(row.code, row.alias) for row in found.rows] == [(created.code, "Precious")]
    # Once re-indexed with the new key (ops.cli rotate-keys), the new key alone finds it.
    assert _matching(session, "prec", CIPHER) == set()
    alias_index.index_alias(session, created.id, "Precious", rotating)
    assert _matching(session, "prec", CIPHER) == {created.id}
    assert _matching(session, "prec", old) == set()


def _matching(session, query: str, cipher: FieldCipher) -> set[int]:
    return set(session.exec(select(Person.id).where(alias_index.alias_condition(query, cipher))).all())


def _id(session, code: str) -> int:
    return session.connection().execute(text("SELECT id FROM person WHERE code = :c"), {"c": code}).scalar_one()
