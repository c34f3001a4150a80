"""Cours de français and Progression en français through AppTest, on the seeded demo database.

fle.lyon (formateur, teacher of every Lyon group) sees its groups only and records an assessment;
chef.lyon creates a group; direction reads the aggregates and gets no form. Tests that write use
data they create (a new group, a new assessment) and assert relative changes.
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from models.audit import AuditEvent
from models.courses import CourseGroup, CourseTeacher, LanguageAssessment
from models.organisation import Site, User
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from tests.pages.conftest import (
    COURSES_TAB_KEY,
    PERSON_CODE,
    PROGRESS_TAB_KEY,
    all_text,
    button,
    error_after,
    open_page,
    open_page_tab,
    open_sections,
    page_tab,
    principal_of,
    signed_in_app,
    texts,
    unique,
)
from ui.activities.courses.groups import NEW_GROUP_SECTION


def _courses(username: str) -> AppTest:
    at = open_page(signed_in_app(username), PageKey.COURSES)
    assert not at.exception, at.exception
    assert texts(at.title) == ["Cours de français"]
    return at


def _progress(username: str) -> AppTest:
    at = open_page(signed_in_app(username), PageKey.LANGUAGE_PROGRESS)
    assert not at.exception, at.exception
    assert texts(at.title) == ["Progression en français"]
    return at


def _widget(elements, key_part: str):
    found = [w for w in elements if w.key and key_part in w.key]
    assert found, (key_part, [w.key for w in elements])
    return found[0]


def _group_names(app_engine, **where) -> set[str]:
    with unit_of_work(app_engine) as session:
        statement = select(CourseGroup.name, Site.code).join(Site, Site.id == CourseGroup.site_id)
        if "site_code" in where:
            statement = statement.where(Site.code == where["site_code"])
        if "teacher" in where:
            statement = (
                statement.join(CourseTeacher, CourseTeacher.group_id == CourseGroup.id)
                .join(User, User.id == CourseTeacher.user_id)
                .where(User.username == where["teacher"])
            )
        return {row.name for row in session.exec(statement).all()}


def test_formateur_sees_its_groups_only(app_engine, demo_database) -> None:
    at = _courses("fle.lyon")
    [table] = [df for df in at.dataframe if "Groupe" in df.value.columns]
    assert set(table.value["Site"]) == {"LYO"}
    assert set(table.value["Groupe"]) == _group_names(app_engine, teacher="fle.lyon")
    assert _group_names(app_engine, site_code="GRE")  # Grenoble has groups, none of them shown
    group_box = _widget(at.selectbox, "courses_group")
    assert len(group_box.options) == len(table.value)
    # No group management for a formateur; first names of its learners are shown.
    assert "Créer un groupe" not in [e.label for e in at.expander]
    assert "Paramètres du groupe" not in [t.label for t in at.tabs]
    learners = [df for df in at.dataframe if "Prénom" in df.value.columns]
    assert learners and all(PERSON_CODE.fullmatch(code) for code in learners[0].value["Code"])


def test_formateur_records_an_assessment(app_engine, demo_database) -> None:
    at = open_page_tab(_courses("fle.lyon"), COURSES_TAB_KEY, "Suivi d'un·e apprenant·e")
    learner_box = _widget(at.selectbox, "course_follow_up_learner")
    person_id = learner_box.value
    with unit_of_work(app_engine) as session:
        before = session.exec(
            select(sa.func.count()).select_from(LanguageAssessment).where(LanguageAssessment.person_id == person_id)
        ).one()
    comment = unique("Test AppTest ")
    _widget(at.text_area, "_comment").input(comment)
    at = button(at, "Enregistrer l'évaluation").click().run()
    assert not at.exception, at.exception
    with unit_of_work(app_engine) as session:
        comments = session.exec(
            select(LanguageAssessment.comment).where(LanguageAssessment.person_id == person_id)
        ).all()
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.actor_username == "fle.lyon")).all()
    assert len(comments) == before + 1
    assert comment in comments
    assert "language_assessment.create" in actions
    assert comment not in " ".join(actions)


def test_chef_creates_a_group(app_engine, demo_database) -> None:
    at = _courses("chef.lyon")
    assert not [w for w in at.text_input if w.key == "course_group_new__0_name"]  # folded: drawn once opened
    at = open_sections(at, NEW_GROUP_SECTION)
    name = unique("FLE test ")
    _widget(at.text_input, "course_group_new__0_name").input(name)
    _widget(at.multiselect, "course_group_new__0_teachers").select(
        _widget(at.multiselect, "course_group_new__0_teachers").options[0]
    )
    at = button(at, "Créer le groupe").click().run()
    assert not at.exception, at.exception
    assert name in _group_names(app_engine, site_code="LYO")
    [table] = [df for df in at.dataframe if "Groupe" in df.value.columns]
    assert name in set(table.value["Groupe"])


def test_chef_sees_a_validation_message_beside_the_field(demo_database) -> None:
    at = open_sections(_courses("chef.lyon"), NEW_GROUP_SECTION)
    at = button(at, "Créer le groupe").click().run()
    name_box = _widget(at.text_input, "course_group_new__0_name")
    assert error_after(at, name_box) == "Le nom du groupe est obligatoire."


def test_direction_reads_aggregates_and_has_no_form(app_engine, demo_database) -> None:
    at = _progress("direction")  # opens on the site view
    assert not at.get("form"), "direction must not get any form"
    [sites] = [df for df in at.dataframe if "Heures pour gagner un niveau (médiane)" in df.value.columns]
    assert set(sites.value["Site"]) == {"LYO", "GRE", "MRS", "PAR"}
    assert len(at.get("vega_lite_chart")) == 2  # median hours per level, share reaching A1 / A2
    at = open_page_tab(at, PROGRESS_TAB_KEY, "Par groupe")
    # Entry vs latest, one chart per skill assessed in the group (the demo group's four).
    charts = page_tab(at, "Par groupe").get("vega_lite_chart")
    titles = [json.loads(chart.proto.spec)["title"]["text"] for chart in charts]
    assert titles == ["Compréhension orale", "Compréhension écrite", "Expression orale", "Expression écrite"]
    assert not at.get("form")
    at = open_page_tab(at, PROGRESS_TAB_KEY, "Par apprenant·e")
    learner_box = _widget(at.selectbox, "progress_learner_person")
    assert learner_box.options and all(PERSON_CODE.fullmatch(option) for option in learner_box.options)
    assert "Prénom" not in all_text(at) and not at.get("form")
    assert principal_of(app_engine, "direction").all_sites


def test_a_learner_chosen_is_still_chosen_after_a_look_at_another_view(demo_database) -> None:
    """The views are drawn once opened: a look at the group or site figures does not send the formateur
    back to the first learner of the list."""
    at = _progress("fle.lyon")
    assert not page_tab(at, "Par site").get("vega_lite_chart") and not page_tab(at, "Par site").dataframe  # not opened
    learner_box = _widget(at.selectbox, "progress_learner_person")
    assert len(learner_box.options) > 1, learner_box.options
    chosen = learner_box.options[-1]
    at = learner_box.select(chosen).run()
    assert not at.exception, at.exception
    at = open_page_tab(at, PROGRESS_TAB_KEY, "Par site")
    at = open_page_tab(at, PROGRESS_TAB_KEY, "Par apprenant·e")
    kept = _widget(at.selectbox, "progress_learner_person")
    assert kept.options[kept.index] == chosen
    code = chosen.split(" — ")[0]
    assert [m for m in texts(at.markdown) if m.startswith(f"**Heures de présence de {code} :")]


def test_formateur_sees_first_names_and_its_learners_progress(demo_database) -> None:
    at = _progress("fle.lyon")  # opens on its learners
    learner_box = _widget(at.selectbox, "progress_learner_person")
    assert all(re.fullmatch(r"LYO-\d{4}-\d{4} — \S.*", option) for option in learner_box.options)
    assert [m for m in texts(at.markdown) if m.startswith("**Heures de présence de LYO-")]
    assert len(at.get("vega_lite_chart")) == 1
    [levels] = [df for df in at.dataframe if "Dernier niveau" in df.value.columns]
    assert set(levels.value["Compétence"]) <= {
        "Compréhension orale",
        "Compréhension écrite",
        "Expression orale",
        "Expression écrite",
    }
    at = open_page_tab(at, PROGRESS_TAB_KEY, "Par site")
    [sites] = [df for df in page_tab(at, "Par site").dataframe if "Site" in df.value.columns]
    assert list(sites.value["Site"]) == ["LYO"]


def test_a_groups_tab_is_drawn_once_opened_and_keeps_its_forms_while_another_is_open(demo_database) -> None:
    """The learner follow-up is not drawn before its tab is opened; once opened, it stays drawn while the
    learners' tab is open (what is typed in it stays in the browser); another group starts afresh."""
    at = _courses("fle.lyon")
    follow_up = lambda: [w for w in at.selectbox if w.key and w.key.startswith("course_follow_up_learner")]  # noqa: E731
    assert follow_up() == []
    at = open_page_tab(at, COURSES_TAB_KEY, "Suivi d'un·e apprenant·e")
    assert len(follow_up()) == 1
    at = open_page_tab(at, COURSES_TAB_KEY, "Apprenant·es")
    assert [frame for frame in at.dataframe if "Inscrit·e le" in frame.value.columns]  # the open tab's list
    assert len(follow_up()) == 1  # the hidden tab opened before keeps its form

    groups = at.selectbox(key="courses_group")
    assert len(groups.options) > 1, groups.options
    before = groups.value
    at = groups.select_index(1 if groups.index == 0 else 0).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="courses_group").value != before
    assert follow_up() == []
