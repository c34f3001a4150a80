"""« À faire » through AppTest on the seeded demo database: who opens it, what a line links to, the home
page's counts, and the settings it reads (a permit's end on the file, a site's days without contact)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

import clock
from models.courses import CourseEnrolment, CourseGroup, CourseSession, CourseTeacher
from models.organisation import Site, User
from models.persons import IntakeOrigin, Person
from services.platform.config import PROJECT_ROOT
from services.platform.crypto import FieldCipher
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.pages.conftest import (
    NO_ACCESS,
    TIMEOUT,
    all_text,
    open_page,
    principal_of,
    signed_in_app,
    texts,
)
from ui.platform.guards import PRINCIPAL_KEY
from ui.platform.navigation import PAGE_SPECS

CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])
WORKLIST_SCRIPT = PAGE_SPECS[PageKey.WORKLIST].script
NUMBERS = itertools.count(1)


def a_permit_ending(app_engine, site_code: str, days: int) -> str:
    """A new open file of the site, seen today, whose residence permit ends in `days` days; its code."""
    today = clock.today()
    with unit_of_work(app_engine) as session:
        site = session.exec(select(Site).where(Site.code == site_code)).one()
        number = 9000 + next(NUMBERS)  # far above the demo's own numbers
        session.add(
            Person(
                code=f"{site_code}-{today.year}-{number}",
                site_id=site.id,
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
    code = f"{site_code}-{today.year}-{number}"
    return code


def opened_tab(at: AppTest) -> str:
    """The label of the tab the file's tabs (« Parcours », …) open on."""

    def containers(node) -> list:
        found = [node] if getattr(node, "type", None) == "tab_container" else []
        for child in (getattr(node, "children", None) or {}).values():
            found += containers(child)
        return found

    for tabs in containers(at.main):
        labels = [tab.label for _index, tab in sorted(tabs.children.items())]
        if labels[0] == "Parcours":
            return labels[tabs.proto.tab_container.default_tab_index]
    raise AssertionError("no tabs of a file")


def links(at: AppTest) -> list:
    return list(at.main.get("page_link"))


@pytest.mark.parametrize("username", ["ts.lyon", "chef.lyon", "fle.lyon"])
def test_the_teams_open_their_worklist(app_engine, demo_database, username):
    at = open_page(signed_in_app(username), PageKey.WORKLIST)
    assert not at.exception, at.exception
    assert texts(at.title) == ["À faire"]
    assert at.metric, "the counts per kind head the page"


@pytest.mark.parametrize("username", ["admin", "direction", "gestion", "financeur.agrasc"])
def test_other_roles_are_refused_even_by_the_script(app_engine, demo_database, username):
    at = AppTest.from_file(str(PROJECT_ROOT / WORKLIST_SCRIPT), default_timeout=TIMEOUT)
    at.session_state[PRINCIPAL_KEY] = principal_of(app_engine, username)
    at.run()
    assert not at.exception
    assert texts(at.error) == [NO_ACCESS]
    assert not at.metric


def test_a_permit_ending_soon_links_to_the_situation_of_the_file_of_its_site_only(app_engine, demo_database):
    lyon_code = a_permit_ending(app_engine, "LYO", 10)
    grenoble_code = a_permit_ending(app_engine, "GRE", 10)
    at = open_page(signed_in_app("ts.lyon"), PageKey.WORKLIST)
    at.pills(key="worklist_kinds").set_value(["residence_permit"]).run()
    assert not at.exception, at.exception

    found = [link for link in links(at) if lyon_code in link.proto.label]
    assert len(found) == 1, [link.proto.label for link in links(at)]
    assert "Fin du titre de séjour" in found[0].proto.label
    assert found[0].proto.page == "person_file"  # the url path of the page the link opens
    assert f"code={lyon_code}" in found[0].proto.query_string and "tab=situation" in found[0].proto.query_string
    assert grenoble_code not in all_text(at)


def test_a_formateur_is_given_no_file_item(app_engine, demo_database):
    code = a_permit_ending(app_engine, "LYO", 5)
    at = open_page(signed_in_app("fle.lyon"), PageKey.WORKLIST)
    assert not at.exception, at.exception
    assert code not in all_text(at)
    assert "Fin du titre de séjour" not in [metric.label for metric in at.metric]


def test_the_file_opens_on_the_tab_a_line_names(app_engine, demo_database):
    code = a_permit_ending(app_engine, "LYO", 20)
    at = signed_in_app("ts.lyon")
    at.run()
    at.switch_page(PAGE_SPECS[PageKey.PERSON_FILE].script)
    at.query_params["code"] = code
    at.query_params["tab"] = "notes"
    at.run()
    assert not at.exception, at.exception
    assert opened_tab(at) == "Notes"
    situation = next(e for e in at.expander if "Modifier l'identité" in e.label)
    assert not situation.proto.expanded

    at.query_params["tab"] = "situation"
    at.run()
    situation = next(e for e in at.expander if "Modifier l'identité" in e.label)
    assert situation.proto.expanded
    permit = next(d for d in at.date_input if d.label == "Fin du titre de séjour ou du récépissé")
    assert permit.value == clock.today() + timedelta(days=20)


def test_home_counts_the_items_due_for_the_teams(app_engine, demo_database):
    a_permit_ending(app_engine, "LYO", 3)
    at = signed_in_app("ts.lyon").run()
    assert not at.exception, at.exception
    assert "À faire" in texts(at.header)
    assert "Fin du titre de séjour" in [metric.label for metric in at.metric]
    assert any(link.proto.label == "Voir la liste « À faire »" for link in links(at))

    direction = signed_in_app("direction").run()
    assert "À faire" not in texts(direction.header)


def test_a_permit_end_is_saved_from_the_situation_form_and_checked(app_engine, demo_database):
    code = a_permit_ending(app_engine, "LYO", 40)
    at = signed_in_app("ts.lyon")
    at.run()
    at.switch_page(PAGE_SPECS[PageKey.PERSON_FILE].script)
    at.query_params["code"] = code
    at.query_params["tab"] = "situation"
    at.run()
    permit = next(d for d in at.date_input if d.label == "Fin du titre de séjour ou du récépissé")
    far = clock.today().replace(year=clock.today().year - 6, day=1)
    permit.set_value(far)
    next(b for b in at.button if b.label == "Enregistrer les modifications").click().run()
    assert not at.exception, at.exception
    assert "Ce titre de séjour aurait pris fin il y a plus de 5 ans : vérifiez la date." in texts(at.error)
    kept = next(d for d in at.date_input if d.label == "Fin du titre de séjour ou du récépissé")
    assert kept.value == far  # what was typed stays

    renewed = clock.today() + timedelta(days=365)
    kept.set_value(renewed)
    next(b for b in at.button if b.label == "Enregistrer les modifications").click().run()
    assert not at.exception, at.exception
    with unit_of_work(app_engine) as session:
        assert session.exec(select(Person.permit_ends_on).where(Person.code == code)).one() == renewed


def a_session_without_roll_call(app_engine, teacher: str) -> tuple[int, str]:
    """A session held yesterday in a running group `teacher` teaches (learners enrolled), no roll taken."""
    yesterday = clock.today() - timedelta(days=1)
    with unit_of_work(app_engine) as session:
        group_id, group_name = session.exec(
            select(CourseGroup.id, CourseGroup.name)
            .join(CourseTeacher, CourseTeacher.group_id == CourseGroup.id)
            .join(User, User.id == CourseTeacher.user_id)
            .join(CourseEnrolment, CourseEnrolment.group_id == CourseGroup.id)
            .where(User.username == teacher, CourseEnrolment.left_on.is_(None))
            .where(CourseEnrolment.enrolled_on <= yesterday)
            .order_by(CourseGroup.id)
        ).first()
        course = CourseSession(
            group_id=group_id, site_id=session.get(CourseGroup, group_id).site_id, session_on=yesterday
        )
        session.add(course)
        session.commit()
        return course.id, group_name


def test_a_roll_call_line_opens_that_sessions_roll_on_the_course_page(app_engine, demo_database):
    session_id, group_name = a_session_without_roll_call(app_engine, "fle.lyon")
    at = open_page(signed_in_app("fle.lyon"), PageKey.WORKLIST)
    at.pills(key="worklist_kinds").set_value(["roll_call"]).run()
    assert not at.exception, at.exception
    found = [link for link in links(at) if f"roll={session_id}" in link.proto.query_string]
    assert len(found) == 1 and group_name in found[0].proto.label and "Appel non fait" in found[0].proto.label

    courses = signed_in_app("fle.lyon")
    courses.run()
    courses.switch_page(PAGE_SPECS[PageKey.COURSES].script)
    courses.query_params["roll"] = str(session_id)
    courses.run()
    assert not courses.exception, courses.exception
    assert "Appel à faire" in texts(courses.header)
    assert any(group_name in text for text in texts(courses.markdown))
    assert "Fermer cet appel" in [b.label for b in courses.button]


def test_a_link_to_a_session_out_of_reach_says_it_is_not_found(app_engine, demo_database):
    session_id, _name = a_session_without_roll_call(app_engine, "fle.lyon")
    at = signed_in_app("fle.lyon")
    at.run()
    at.switch_page(PAGE_SPECS[PageKey.COURSES].script)
    at.query_params["roll"] = str(session_id + 100_000)  # no such session
    at.run()
    assert not at.exception, at.exception
    assert "Séance introuvable." in texts(at.error)
