"""Espace financeur page: what financeur, direction and gestion see; nothing person-level for a funder."""

from __future__ import annotations

from sqlmodel import select

import clock
from i18n import formats
from models.audit import AuditEvent
from models.finance import Funder, Grant
from models.organisation import Role
from services.platform.db import unit_of_work
from services.platform.pages import PageKey, pages_for
from tests.pages.conftest import PERSON_CODE, all_text, button, open_page, signed_in_app

FINANCEUR = "financeur.agrasc"


def _person_codes(engine, text: str) -> list[str]:
    """Person codes in a page's text; grant references (e.g. AGRASC-FDC-2026-018) look alike, so they are
    removed first (they are the funder's own convention numbers, not persons)."""
    with unit_of_work(engine) as uow:
        for reference in uow.exec(select(Grant.convention_ref)).all():
            text = text.replace(reference, "")
    return PERSON_CODE.findall(text)


def _grant_selector(at):
    return next(s for s in at.selectbox if s.label == "Convention")


def test_financeur_sees_only_its_funders_grants(app_engine, demo_database):
    at = open_page(signed_in_app(FINANCEUR), PageKey.FUNDER_SPACE)
    assert not at.exception, at.exception
    with unit_of_work(app_engine) as uow:
        user_funder = uow.exec(select(Funder.id).where(Funder.name.contains("AGRASC"))).first()
        own = set(uow.exec(select(Grant.name).where(Grant.funder_id == user_funder)).all())
        others = set(uow.exec(select(Grant.name).where(Grant.funder_id != user_funder)).all())
    options = set(_grant_selector(at).options)
    assert options and all(any(name in option for name in own) for option in options)
    assert not any(name in option for option in options for name in others)


def test_the_code_scan_finds_codes(app_engine, demo_database):
    assert _person_codes(app_engine, "dossier LYO-2026-0042 ouvert") == ["LYO-2026-0042"]


def test_financeur_sees_protected_figures_and_no_person_code(app_engine, demo_database):
    at = open_page(signed_in_app(FINANCEUR), PageKey.FUNDER_SPACE)
    text = all_text(at)
    assert "< 5" in text  # small counts (zeros included) are shown as such, never as the number
    assert [h.value for h in at.header][:3] == ["Activité", "Par site", "Dans le temps"]
    assert "fictives" in text  # demo mode says the data is synthetic
    assert _person_codes(app_engine, text) == []


def test_the_period_is_chosen_on_the_grid_never_with_free_dates(app_engine, demo_database):
    """The demo convention of the AGRASC runs over the pinned day: finished quarters are offered, newest
    first, after the grant to date; the quarter of the pinned day and its months never are."""
    at = open_page(signed_in_app(FINANCEUR), PageKey.FUNDER_SPACE)
    assert not at.date_input  # no free start or end day
    period = next(s for s in at.selectbox if s.label == "Période")
    labels = list(period.options)  # as the reader sees them
    today = clock.today()
    current = f"T{(today.month - 1) // 3 + 1} {today.year}"
    last = clock.month_start(today, -((today.month - 1) % 3) - 3)  # first day of the last finished quarter
    assert labels[0].startswith("Depuis le début de la convention (au ")
    assert labels[1] == f"T{(last.month - 1) // 3 + 1} {last.year}"
    assert current not in labels and formats.month(today) not in labels
    to_date = all_text(at)
    at = period.select_index(1).run()
    assert not at.exception, at.exception
    assert all_text(at) != to_date
    assert labels[1] in all_text(at)


def test_financeur_never_sees_a_person_code_on_any_page_it_can_open(app_engine, demo_database):
    for page in pages_for(Role.FINANCEUR):
        at = open_page(signed_in_app(FINANCEUR), page)
        assert not at.exception, (page, at.exception)
        assert _person_codes(app_engine, all_text(at)) == [], page


def test_preparing_the_pack_offers_two_downloads_and_is_audited(app_engine, demo_database):
    at = open_page(signed_in_app(FINANCEUR), PageKey.FUNDER_SPACE)
    with unit_of_work(app_engine) as uow:
        before = len(
            uow.exec(
                select(AuditEvent.id).where(
                    AuditEvent.action == "report.pack_exported", AuditEvent.actor_username == FINANCEUR
                )
            ).all()
        )
    at = button(at, "Préparer le dossier").click().run()
    assert not at.exception, at.exception
    downloads = at.get("download_button")
    labels = [d.proto.label for d in downloads]
    assert labels == ["Télécharger le classeur (XLSX)", "Télécharger le PDF"]
    with unit_of_work(app_engine) as uow:
        after = len(
            uow.exec(
                select(AuditEvent.id).where(
                    AuditEvent.action == "report.pack_exported", AuditEvent.actor_username == FINANCEUR
                )
            ).all()
        )
    assert after == before + 1


def test_direction_and_gestion_open_it_for_every_grant(app_engine, demo_database):
    with unit_of_work(app_engine) as uow:
        count = len(uow.exec(select(Grant.id)).all())
    for username in ("direction", "gestion"):
        at = open_page(signed_in_app(username), PageKey.FUNDER_SPACE)
        assert not at.exception, at.exception
        assert at.title[0].value == "Espace financeur"
        assert len(_grant_selector(at).options) == count


def test_financeur_navigation_holds_only_the_funder_pages():
    assert set(pages_for(Role.FINANCEUR)) <= {PageKey.HOME, PageKey.FUNDER_SPACE, PageKey.ACCOUNT, PageKey.BUDGET}
