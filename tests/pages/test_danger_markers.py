"""The danger marker on the lists of persons shown to a file's team, through AppTest on the demo database:
the worklist's line, the workshop cycle list, a French group's learners — and never for the formateur,
direction, nor in the file's export (PDF and JSON). And a file moved away in its old site's past roll."""

from __future__ import annotations

import io
import itertools
import re
from datetime import date, timedelta

from pypdf import PdfReader
from sqlmodel import select

import clock
from models.organisation import Role, Site, User
from models.persons import IntakeOrigin, Person
from services.persons import safety, transfer
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from tests import factories
from tests.pages.conftest import (
    COURSES_TAB_KEY,
    all_text,
    every_page_tab_text,
    open_page,
    principal_of,
    signed_in_app,
    unique,
)
from tests.pages.test_person_rights_page import JSON_LABEL, PDF_LABEL, _open_file, deferred_files  # noqa: F401
from tests.pages.test_safety_pages import INSTRUCTIONS, _new_lyon_file
from tests.pages.test_worklist_pages import CIPHER, links

MARKER = "⚠ Danger"
NUMBERS = itertools.count(9501)  # above the demo's numbers and test_worklist_pages' own (9001…)


def a_permit_ending(app_engine, days: int) -> str:
    """A new open Lyon file, seen today, whose residence permit ends in `days` days; its code."""
    today = clock.today()
    number = next(NUMBERS)
    with unit_of_work(app_engine) as session:
        lyon = session.exec(select(Site).where(Site.code == "LYO")).one()
        session.add(
            Person(
                code=f"LYO-{today.year}-{number}",
                site_id=lyon.id,
                code_year=today.year,
                code_number=number,
                first_contact_on=today - timedelta(days=30),
                intake_on=today - timedelta(days=30),
                origin=IntakeOrigin.SELF,
                consent_on=today - timedelta(days=30),
                last_contact_on=today,
                alias_encrypted=CIPHER.encrypt("Awa"),
                permit_ends_on=today + timedelta(days=days),
            )
        )
        session.commit()
    return f"LYO-{today.year}-{number}"


def _flag(app_engine, code: str) -> Person:
    with unit_of_work(app_engine) as session:
        person = session.exec(select(Person).where(Person.code == code)).one()
        safety.set_safety(
            session,
            principal_of(app_engine, "ts.lyon"),
            person.id,
            data={"flagged": True, "instructions": INSTRUCTIONS},
        )
        return person


def test_the_worklist_line_of_a_flagged_file_carries_the_marker(app_engine, demo_database):
    flagged = a_permit_ending(app_engine, 3)
    _flag(app_engine, flagged)
    plain = a_permit_ending(app_engine, 3)

    at = open_page(signed_in_app("ts.lyon"), PageKey.WORKLIST)
    at.pills(key="worklist_kinds").set_value(["residence_permit"]).run()
    assert not at.exception, at.exception

    labels = {code: [link.proto.label for link in links(at) if code in link.proto.label] for code in (flagged, plain)}
    assert len(labels[flagged]) == 1 and f"{MARKER} · {flagged}" in labels[flagged][0], labels
    assert len(labels[plain]) == 1 and MARKER not in labels[plain][0], labels
    assert INSTRUCTIONS not in all_text(at)  # the instructions are in the file only


def test_the_workshop_cycle_list_marks_the_flagged_file_for_the_team_only(app_engine, demo_database):
    code = _new_lyon_file(app_engine, flagged=True)
    with unit_of_work(app_engine) as session:
        person = session.exec(select(Person).where(Person.code == code)).one()
        factories.a_workshop_cycle(session, person, starts_on=date(2026, 1, 12))
        session.commit()

    at = open_page(signed_in_app("ts.lyon"), PageKey.WORKSHOPS)
    at.session_state["workshops_tab"] = "Inscriptions"
    at = at.run()
    assert not at.exception, at.exception
    [cycles] = [frame.value for frame in at.dataframe if "Début du cycle" in frame.value.columns]
    line = cycles[cycles["Code"] == code].iloc[0]
    assert line["Sécurité"] == MARKER
    assert set(cycles[cycles["Code"] != code]["Sécurité"]) <= {"", MARKER}

    at = open_page(signed_in_app("direction"), PageKey.WORKSHOPS)
    at.session_state["workshops_tab"] = "Suivi"
    at = at.run()
    assert not at.exception, at.exception
    assert MARKER not in all_text(at) and INSTRUCTIONS not in all_text(at)
    assert all("Sécurité" not in frame.value.columns for frame in at.dataframe)


def test_a_french_groups_learners_show_the_marker_to_the_head_of_service_not_to_the_formateur(
    app_engine, demo_database
):
    code = _new_lyon_file(app_engine, flagged=True)
    with unit_of_work(app_engine) as session:
        lyon = session.exec(select(Site).where(Site.code == "LYO")).one()
        teacher = session.exec(select(User).where(User.username == "fle.lyon")).one()
        person = session.exec(select(Person).where(Person.code == code)).one()
        group = factories.a_course_group(session, lyon, teacher=teacher, starts_on=date(2026, 9, 7))
        factories.a_learner(session, group, person)
        session.commit()
        group_id = group.id

    for username, marked in (("chef.lyon", True), ("fle.lyon", False)):
        at = open_page(signed_in_app(username), PageKey.COURSES)
        at.selectbox(key="courses_group").set_value(group_id).run()
        assert not at.exception, at.exception
        [learners] = [frame.value for frame in at.dataframe if "Inscrit·e le" in frame.value.columns]
        assert list(learners["Code"]) == [code], username
        if marked:
            assert list(learners["Sécurité"]) == [MARKER]
        else:
            assert "Sécurité" not in learners.columns
            assert MARKER not in every_page_tab_text(at, COURSES_TAB_KEY)  # each tab is drawn once opened
        assert INSTRUCTIONS not in every_page_tab_text(at, COURSES_TAB_KEY)


def test_the_files_export_carries_neither_the_marker_nor_the_instructions(
    app_engine,
    demo_database,
    deferred_files,  # noqa: F811
):
    code = _new_lyon_file(app_engine, flagged=True)
    at = _open_file("chef.lyon", code)
    downloads = {d.proto.label for d in at.get("download_button")}
    assert {PDF_LABEL, JSON_LABEL} <= downloads

    document = deferred_files[f"dossier-{code}.json"]()
    document = document.decode("utf-8") if isinstance(document, bytes) else document
    pdf = PdfReader(io.BytesIO(deferred_files[f"dossier-{code}.pdf"]()))
    pdf_text = "\n".join(page.extract_text() for page in pdf.pages)
    assert code in document and code in pdf_text  # the right file
    for text in (document, pdf_text):
        assert INSTRUCTIONS not in text
        assert "Danger" not in text and "danger" not in text


def test_lyons_past_workshop_roll_shows_a_moved_persons_mark_as_transferred(app_engine, demo_database):
    """A file moved to Grenoble after a Lyon workshop: Lyon's roll of that session keeps its mark, without
    its code or first name."""
    code = _new_lyon_file(app_engine, flagged=True)
    with unit_of_work(app_engine) as session:
        lyon = session.exec(select(Site).where(Site.code == "LYO")).one()
        grenoble = session.exec(select(Site).where(Site.code == "GRE")).one()
        person = session.exec(select(Person).where(Person.code == code)).one()
        # Its own first name (unique("Zélie")): other tests' Lyon files may share the roll, under their names.
        alias = CIPHER.decrypt(person.alias_encrypted)
        factories.a_workshop_cycle(session, person, starts_on=date(2026, 1, 12))
        workshop = factories.a_workshop_session(session, lyon, session_on=date(2026, 1, 19))
        factories.a_workshop_roll(session, workshop, present=(person,))
        chef = factories.a_user(session, Role.CHEF_SERVICE, lyon, grenoble, username=unique("chef.deux."))
        session.commit()
        moved = transfer.transfer_file(
            session,
            factories.principal(session, chef),
            person.id,
            expected_version=person.version,
            data={"to_site_id": grenoble.id, "reason": "Mise à l'abri"},
        )
        workshop_id = workshop.id

    at = open_page(signed_in_app("ts.lyon"), PageKey.WORKSHOPS)
    at.query_params["roll"] = str(workshop_id)
    at = at.run()
    assert not at.exception, at.exception
    shown = all_text(at)
    assert "*Dossier transféré*" in [m.value for m in at.markdown]
    assert code not in shown and moved.code not in shown and alias not in shown
    # No marker on the moved person's line (other tests' flagged Lyon files may be expected at this session).
    assert [m.value for m in at.markdown if "Dossier transféré" in m.value] == ["*Dossier transféré*"]
    assert INSTRUCTIONS not in shown
    # The session's only mark is the moved person's: it is still counted (the demo's cycles expect others).
    counted = re.compile(
        r"\d+ personne\(s\) attendue\(s\) ou déjà notée\(s\) · 1 appel\(s\) enregistré\(s\), dont 1 présence\(s\)\."
    )
    assert [c.value for c in at.caption if counted.fullmatch(c.value)], [c.value for c in at.caption]
