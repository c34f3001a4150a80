"""The export of one whole file (GDPR art. 15): everything held on the person, nothing on anyone else,
for the head of service of its site only, audited; and no table about persons forgotten by the registry."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlmodel import Session, SQLModel

import models  # noqa: F401  (every table registered in the metadata)
from models.organisation import Role
from services.persons import subject_access
from services.platform.errors import NotFound, PermissionDenied
from tests.services.persons.rights_world import CIPHER, MARKER, OTHER, TODAY, make_rights_world

ASSOCIATION = "Association Les Amarres"


@pytest.fixture
def world(session: Session):
    return make_rights_world(session)


def _json(session, world, principal=None) -> dict:
    content = subject_access.export_json(
        session, principal or world.chef, world.person.id, cipher=CIPHER, today=TODAY, association=ASSOCIATION
    )
    return json.loads(content.decode("utf-8"))


def _pdf_text(session, world) -> str:
    content = subject_access.export_pdf(
        session, world.chef, world.person.id, cipher=CIPHER, today=TODAY, association=ASSOCIATION
    )
    assert content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(content))
    found = " ".join(page.extract_text() for page in reader.pages).replace("\u202f", " ").replace("\u00a0", " ")
    return " ".join(found.split())


def test_the_json_holds_the_literal_values_of_the_file(session, world):
    document = _json(session, world)

    assert document["format"] == "parcours.person_file"
    person = document["person"]
    assert person["code"] == world.person.code
    assert person["alias"] == f"{MARKER}-alias"
    assert person["phone"] == "06 12 34 56 78"
    assert person["birth_year"] == 1994
    assert person["nationality"] == "NG"
    assert person["languages"] == ["en", "yo"]
    assert person["intake_on"] == "2025-01-10"
    assert person["closed_reason"] == f"{MARKER}-closing"
    assert person["referent"] == "Agent intervenant"
    sections = document["sections"]
    assert [note["body"] for note in sections["person_note"]] == [f"{MARKER}-note"]
    assert [goal["goal"] for goal in sections["action_goal"]] == [f"{MARKER}-goal"]
    assert [goal["actions"] for goal in sections["action_goal"]] == [f"{MARKER}-actions"]
    assert [r["reason"] for r in sections["referral"]] == [f"{MARKER}-referral"]
    assert [o["employer_sector"] for o in sections["outcome"]] == [f"{MARKER}-sector"]
    assert [a["comment"] for a in sections["language_assessment"]] == [f"{MARKER}-comment"]
    assert [m["destination"] for m in sections["mainstream_transition"]] == [f"{MARKER}-destination"]
    assert [s["reason"] for s in sections["person_status_change"]] == [f"{MARKER}-closing"]
    assert [a["status"] for a in sections["workshop_attendance"]] == ["present"]
    assert len(sections["course_enrolment"]) == 1
    assert {"note.create", "person.close"} <= {event["action"] for event in sections["audit_event"]}


def test_nothing_of_another_person_is_exported(session, world):
    content = subject_access.export_json(
        session, world.chef, world.person.id, cipher=CIPHER, today=TODAY, association=ASSOCIATION
    )
    assert OTHER.encode() not in content
    assert world.other.code.encode() not in content
    assert b"Foyer Saint-Paul" not in content  # the other file's partner
    text_of_pdf = _pdf_text(session, world)
    assert OTHER not in text_of_pdf
    assert world.other.code not in text_of_pdf


def test_the_pdf_speaks_to_the_person_in_plain_french(session, world):
    found = _pdf_text(session, world)

    assert f"Vos informations — dossier {world.person.code}" in found
    assert "droit d'accès (article 15 du RGPD)" in found
    assert f"Prénom ou pseudonyme : {MARKER}-alias" in found
    assert "Date d'accueil : 10 janv. 2025" in found
    assert "Nationalité : Nigeria" in found
    assert f"Note : {MARKER}-note" in found
    assert "Partenaire : Foyer Notre-Dame" in found
    assert "Séance du : 20 mars 2026" in found
    assert "Quoi : Ajout d'une note Compte : chef.lyon Rôle : Chef·fe de service" in found


def test_every_export_is_audited_with_its_format(session, world):
    _json(session, world)
    _pdf_text(session, world)

    rows = (
        session.connection()
        .execute(
            text("SELECT actor_username, detail FROM audit_event WHERE action = 'person.export' AND entity_id = :id"),
            {"id": str(world.person.id)},
        )
        .all()
    )
    assert sorted(rows) == [("chef.lyon", "format=json"), ("chef.lyon", "format=pdf")]


@pytest.mark.parametrize("role", [Role.DIRECTION, Role.GESTION, Role.FINANCEUR, Role.FORMATEUR, Role.ADMIN])
def test_other_roles_may_not_export(session, world, role):
    with pytest.raises(PermissionDenied):
        _json(session, world, world.roles[role])


def test_an_intervenant_may_not_export_even_its_own_file(session, world):
    with pytest.raises(PermissionDenied):
        _json(session, world, world.worker)


def test_a_file_of_another_site_is_not_found(session, world):
    with pytest.raises(NotFound):
        _json(session, world, world.grenoble_chef)
    audited = session.connection().execute(text("SELECT count(*) FROM audit_event WHERE action = 'person.export'"))
    assert audited.scalar_one() == 0


def _person_tables() -> set[str]:
    """Every table holding rows about a person: a person_id column or a foreign key to person."""
    return {
        table.name
        for table in SQLModel.metadata.sorted_tables
        if "person_id" in table.c or any(key.column.table.name == "person" for key in table.foreign_keys)
    }


def test_every_table_about_a_person_is_exported_or_excluded_with_a_reason():
    tables = _person_tables()
    assert {"person_note", "referral", "course_attendance", "person_correction"} <= tables  # the scan finds them
    declared = subject_access.exported_tables() | set(subject_access.EXCLUDED)
    assert sorted(tables - declared) == []
    assert all(reason.strip() for reason in subject_access.EXCLUDED.values())
    assert not subject_access.exported_tables() & set(subject_access.EXCLUDED)
