"""Practice notes, their published figures and the guides (issue 18): who reads and writes what, in the query;
no person data reachable; the figures are the funder publication's, small counts suppressed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models.capitalisation import NoteStatus, PracticeStrand, PracticeTheme
from services.capitalisation import guides, notes
from services.persons import files
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.reporting import practice_figures
from tests.services.capitalisation import practice_world
from tests.services.capitalisation.practice_world import Q1, TODAY, PracticeWorld
from tests.services.person_world import CIPHER


@pytest.fixture
def world(session: Session) -> PracticeWorld:
    return practice_world.build(session)


def note_form(site_id: int | None, **changes: object) -> dict[str, object]:
    return {
        "site_id": site_id,
        "strand": PracticeStrand.INTEGRATION,
        "theme": PracticeTheme.FRENCH_FIRST_STEP,
        "title": "Le français avant le CV",
        "body": "Trois séances de français oral avant le premier rendez-vous emploi.",
        "status": NoteStatus.VALIDATED,
        **changes,
    }


def titles(rows) -> set[str]:
    return {row.title for row in rows}


# --- who reads which notes --------------------------------------------------------------------------------


def test_the_officer_reads_every_note_and_a_team_only_its_sites_notes(session, world):
    assert titles(notes.list_notes(session, world.officer)) == {"Répondre aux annonces le soir", "L'atelier miroir"}
    assert titles(notes.list_notes(session, world.chef_lyon)) == {"Répondre aux annonces le soir"}
    assert titles(notes.list_notes(session, world.teacher_lyon)) == {"Répondre aux annonces le soir"}
    assert titles(notes.list_notes(session, world.worker_grenoble)) == {"L'atelier miroir"}
    # even asked for the other site, the query answers nothing
    assert notes.list_notes(session, world.chef_lyon, site_id=world.grenoble.id) == []
    with pytest.raises(NotFound):
        notes.get_note(session, world.chef_lyon, world.grenoble_note)


@pytest.mark.parametrize("role", ["direction", "gestion", "admin"])
def test_other_roles_read_no_note(session, world, role):
    with pytest.raises(PermissionDenied):
        notes.list_notes(session, getattr(world, role))
    with pytest.raises(PermissionDenied):
        guides.list_guides(session, getattr(world, role))


def test_a_team_member_proposes_from_its_site_only_and_its_note_is_proposed(session, world):
    note_id = notes.create_note(session, world.chef_lyon, data=note_form(world.lyon.id))
    status, author = session.execute(
        sa.text("SELECT status, author_id FROM practice_note WHERE id = :id"), {"id": note_id}
    ).one()
    assert (status, author) == ("proposed", world.chef_lyon.user_id)  # « validée » asked, « proposée » saved
    with pytest.raises(ValidationFailed) as refused:
        notes.create_note(session, world.chef_lyon, data=note_form(world.grenoble.id))
    assert refused.value.errors == {"site_id": "Choisissez un de vos sites."}
    # a team member neither edits, validates nor cites figures
    row = notes.get_note(session, world.chef_lyon, note_id)
    with pytest.raises(PermissionDenied):
        notes.update_note(session, world.chef_lyon, note_id, expected_version=row.version, data={"status": "validated"})
    with pytest.raises(PermissionDenied):
        notes.cite_figures(session, world.chef_lyon, note_id, data={}, today=TODAY)


def test_the_officer_writes_on_any_site_and_validates_a_proposed_note(session, world):
    note_id = notes.create_note(session, world.officer, data=note_form(world.grenoble.id))
    assert session.execute(sa.text("SELECT status FROM practice_note WHERE id = :id"), {"id": note_id}).scalar() == (
        "validated"
    )
    proposed = notes.get_note(session, world.officer, world.grenoble_note)
    notes.update_note(
        session, world.officer, world.grenoble_note, expected_version=proposed.version, data={"status": "validated"}
    )
    assert notes.get_note(session, world.officer, world.grenoble_note).status == NoteStatus.VALIDATED
    actions = session.execute(
        sa.text("SELECT action FROM audit_event WHERE entity_type = 'practice_note' ORDER BY id")
    ).scalars()
    assert list(actions) == ["practice_note.create", "practice_note.update"]


@pytest.mark.parametrize(
    "field, text",
    [
        ("body", "Mme LYO-2026-0042 est venue deux fois à l'atelier."),
        ("title", "Le parcours de gre-2025-117"),
    ],
)
def test_a_person_code_in_a_note_is_refused(session, world, field, text):
    with pytest.raises(ValidationFailed) as refused:
        notes.create_note(session, world.worker_grenoble, data=note_form(world.grenoble.id, **{field: text}))
    assert list(refused.value.errors) == [field]
    assert "code de personne" in refused.value.errors[field]
    assert session.execute(sa.text("SELECT count(*) FROM practice_note")).scalar() == 2


def test_the_officer_reaches_no_person_data(session, world):
    """No person file, no caseload, no person in any note service answer."""
    person_id = session.execute(
        sa.text("SELECT id FROM person WHERE code = :code"), {"code": world.person_codes[0]}
    ).scalar_one()
    with pytest.raises(PermissionDenied):
        files.list_caseload(session, world.officer, files.CaseloadFilter(), cipher=CIPHER)
    with pytest.raises(PermissionDenied):
        files.get_person_file(session, world.officer, person_id, cipher=CIPHER)
    answers = repr(notes.list_notes(session, world.officer)) + repr(
        notes.note_figures(session, world.officer, world.lyon_note, today=TODAY)
    )
    assert not any(code in answers for code in world.person_codes)


# --- cited figures: the funder publication, for the note's site -------------------------------------------


def test_the_officer_cites_published_figures_of_the_notes_site(session, world):
    sources = practice_figures.figure_sources(session, world.officer, site_id=world.grenoble.id, today=TODAY)
    assert [s.grant_id for s in sources] == [world.shared_grant]  # « Lyon seul » does not fund Grenoble
    assert Q1 in {p.key for p in sources[0].periods}

    added = notes.cite_figures(
        session,
        world.officer,
        world.grenoble_note,
        data={"grant_id": world.shared_grant, "period_key": Q1, "indicator_keys": ["new_intakes", "outreach_rounds"]},
        today=TODAY,
    )
    assert added == 2
    shown = [
        (f.label, f.text, f.hidden)
        for _id, f in notes.note_figures(session, world.officer, world.grenoble_note, today=TODAY)
    ]
    # 2 intakes in Grenoble: suppressed; 3 rounds: activity, never hidden
    assert shown == [("Nouveaux accueils", "< 11", True), ("Maraudes", "3", False)]
    # the team of Grenoble reads the same published figures; Lyon's team cannot open the note
    assert [
        f.text for _id, f in notes.note_figures(session, world.worker_grenoble, world.grenoble_note, today=TODAY)
    ] == [
        "< 11",
        "3",
    ]
    with pytest.raises(NotFound):
        notes.note_figures(session, world.chef_lyon, world.grenoble_note, today=TODAY)


def test_a_published_site_figure_shows_its_value(session, world):
    notes.cite_figures(
        session,
        world.officer,
        world.lyon_note,
        data={"grant_id": world.lyon_only_grant, "period_key": Q1, "indicator_keys": ["new_intakes"]},
        today=TODAY,
    )
    [(_id, figure)] = notes.note_figures(session, world.officer, world.lyon_note, today=TODAY)
    assert (figure.label, figure.text, figure.hidden) == ("Nouveaux accueils", "21", False)
    assert figure.period_label == "T1 2026"


def test_a_citation_off_the_grid_or_of_another_site_is_refused(session, world):
    def cite(**data):
        form = {"grant_id": world.shared_grant, "period_key": Q1, "indicator_keys": ["new_intakes"]} | data
        with pytest.raises(ValidationFailed) as refused:
            notes.cite_figures(session, world.officer, world.grenoble_note, data=form, today=TODAY)
        return refused.value.errors

    assert list(cite(grant_id=world.lyon_only_grant)) == ["grant_id"]
    assert list(cite(period_key="day:2026-02-01:2026-02-14")) == ["period_key"]
    assert list(cite(period_key="quarter:2026-04-01:2026-06-30")) == ["period_key"]  # not over on TODAY
    assert list(cite(indicator_keys=["person_codes"])) == ["indicator_keys"]
    assert session.execute(sa.text("SELECT count(*) FROM practice_note_figure")).scalar() == 0


# --- guides -------------------------------------------------------------------------------------------------


def test_a_guide_orders_its_chapters_and_notes_and_takes_validated_notes_only(session, world):
    guide_id = guides.create_guide(
        session, world.officer, data={"title": "Guide de l'aller-vers", "strand": PracticeStrand.OUTREACH}
    )
    first = guides.add_chapter(session, world.officer, guide_id, data={"title": "Aller vers en ligne"})
    second = guides.add_chapter(session, world.officer, guide_id, data={"title": "Accueillir"})
    other = notes.create_note(session, world.officer, data=note_form(world.lyon.id, title="Le café du jeudi"))
    guides.place_note(session, world.officer, first, world.lyon_note)
    guides.place_note(session, world.officer, first, other)
    with pytest.raises(ValidationFailed):
        guides.place_note(session, world.officer, first, world.grenoble_note)  # only proposed
    guides.move_note(session, world.officer, first, other, "up")
    guides.move_chapter(session, world.officer, second, "up")
    outline = guides.guide_outline(session, world.officer, guide_id)
    assert [(c.title, [n.title for n in c.notes]) for c in outline.chapters] == [
        ("Accueillir", []),
        ("Aller vers en ligne", ["Le café du jeudi", "Répondre aux annonces le soir"]),
    ]
    with pytest.raises(PermissionDenied):
        guides.guide_outline(session, world.chef_lyon, guide_id)


def test_a_convention_reference_is_not_taken_for_a_person_code(session, world):
    body = "Financé par la convention AGR-2026-018 ; code du dossier jamais écrit ici."
    note_id = notes.create_note(session, world.officer, data=note_form(world.lyon.id, body=body))
    assert notes.get_note(session, world.officer, note_id).body == body
