"""Postes and Compte rendu financier pages: what each role sees and may do."""

from __future__ import annotations

import io

import openpyxl
from sqlalchemy import text
from sqlmodel import select

import clock
from models.audit import AuditEvent
from models.staffing import Post
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from tests.pages.conftest import NO_ACCESS, open_page, open_page_tab, signed_in_app, texts, unique

MANAGE_TAB_KEY = "staffing_manage_tab"  # app_pages/finance/staffing.py TAB_KEY: gestion's tabs


def _button(at, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, [b.label for b in at.button]
    return found[0]


FUNDED_TODAY = text("""
    SELECT COALESCE(SUM(p.fte_hundredths), 0) FROM post p
    WHERE p.starts_on <= :day AND (p.ends_on IS NULL OR p.ends_on >= :day)""")
FILLED_TODAY = text("""
    SELECT COALESCE(SUM(p.fte_hundredths), 0) FROM post p
    WHERE p.starts_on <= :day AND (p.ends_on IS NULL OR p.ends_on >= :day)
      AND (SELECT c.is_filled FROM post_status_change c WHERE c.post_id = p.id AND c.changed_on <= :day
           ORDER BY c.changed_on DESC, c.id DESC LIMIT 1) = 1""")


def _fte(hundredths: int) -> str:
    """Full-time equivalents written the French way, by hand: 20,9 / 2,5 / 3 / 1 234,75."""
    whole, rest = divmod(hundredths, 100)
    written = f"{whole:,}".replace(",", "\u202f")
    return written + (f",{rest:02d}".rstrip("0") if rest else "")


def test_direction_sees_figures_and_no_forms(app_engine, demo_database):
    at = open_page(signed_in_app("direction"), PageKey.STAFFING)
    assert not at.exception, at.exception
    assert NO_ACCESS not in texts(at.error)
    assert [m.label for m in at.metric][:3] == ["ETP financés", "ETP pourvus", "ETP vacants"]
    with app_engine.connect() as connection:
        day = {"day": clock.today().isoformat()}
        funded, filled = (connection.execute(query, day).scalar_one() for query in (FUNDED_TODAY, FILLED_TODAY))
    assert 0 < filled < funded  # the demo has vacancies: the three figures differ
    assert [m.value for m in at.metric][:3] == [_fte(funded), _fte(filled), _fte(funded - filled)]
    assert at.get("vega_lite_chart") or at.get("arrow_vega_lite_chart")
    sites = set(at.dataframe[0].value["Site"])
    assert sites == {"LYO", "GRE", "MRS", "PAR", "National"}  # the national project officers' posts: no site
    assert not at.get("form")
    assert not [b for b in at.button if b.label.startswith("Imputer les salaires")]
    vacancies = at.dataframe[1].value
    assert (vacancies["Jours"] > 60).sum() >= 2


NATIONAL_POSTS = text("SELECT COUNT(*) FROM post WHERE site_id IS NULL")


def _posts_list(at):
    """The « Liste des postes » table (the one with a Titulaire column)."""
    frames = [frame.value for frame in at.dataframe if "Titulaire" in frame.value]
    assert len(frames) == 1, [list(frame.value) for frame in at.dataframe]
    return frames[0]


def test_direction_sees_the_national_posts_labelled_national(app_engine, demo_database):
    at = open_page(signed_in_app("direction"), PageKey.STAFFING)
    assert not at.exception, at.exception
    with app_engine.connect() as connection:
        national = connection.execute(NATIONAL_POSTS).scalar_one()
    assert national == 2  # the two national project officers (seed/finance.py)
    posts = _posts_list(at)
    assert (posts["Site"] == "National").sum() == national
    assert set(posts.loc[posts["Site"] == "National", "Type de poste"]) == {"Chargé·e de mission national·e"}


def test_chef_lyon_sees_no_national_post(demo_database):
    at = open_page(signed_in_app("chef.lyon"), PageKey.STAFFING)
    assert not at.exception, at.exception
    assert set(_posts_list(at)["Site"]) == {"LYO"}
    assert not any("National" in str(value) for frame in at.dataframe for value in frame.value.to_numpy().ravel())
    assert "Chargé·e de mission national·e" not in set(_posts_list(at)["Type de poste"])


def test_gestion_may_choose_national_for_a_post(demo_database):
    at = open_page(signed_in_app("gestion"), PageKey.STAFFING)
    assert not at.exception, at.exception
    at = open_page_tab(at, MANAGE_TAB_KEY, "Créer un poste")
    assert "National (aucun site)" in at.selectbox(key="post_new__0_site").options


def test_chef_lyon_sees_only_own_sites(demo_database):
    at = open_page(signed_in_app("chef.lyon"), PageKey.STAFFING)
    assert not at.exception, at.exception
    for frame in at.dataframe:
        if "Site" in frame.value:
            assert set(frame.value["Site"]) <= {"LYO"}
    assert not at.get("form")


def test_gestion_creates_a_post_with_a_bad_split_and_sees_the_message(app_engine, demo_database):
    at = open_page(signed_in_app("gestion"), PageKey.STAFFING)
    assert not at.exception, at.exception
    assert [b for b in at.button if b.label.startswith("Imputer les salaires du mois de")]  # the open tab
    assert not [w for w in at.text_input if w.key == "post_new__0_holder"]  # drawn once its tab is opened
    at = open_page_tab(at, MANAGE_TAB_KEY, "Créer un poste")
    holder = unique("Salariée ")
    at.text_input(key="post_new__0_holder").input(holder)
    at.number_input(key="post_new__0_cost").set_value(3_500.0)
    at.selectbox(key="post_new__0_grant_1").select_index(1)
    at.number_input(key="post_new__0_share_1").set_value(60.0)
    at = _button(at, "Créer le poste").click().run()
    assert not at.exception, at.exception
    with unit_of_work(app_engine) as uow:
        assert uow.exec(select(Post).where(Post.holder_name == holder)).first() is None
    assert "Les parts doivent totaliser exactement 100 % (total actuel : 60,00 %)." in texts(at.error)
    # the typed input is kept beside the message
    assert at.text_input(key="post_new__0_holder").value == holder


def _exports(app_engine, username: str) -> list[tuple[str, str]]:
    with unit_of_work(app_engine) as uow:
        rows = uow.exec(
            select(AuditEvent.entity_id, AuditEvent.detail).where(
                AuditEvent.action == "report.financial_exported", AuditEvent.actor_username == username
            )
        ).all()
    return [tuple(row) for row in rows]


def test_financial_report_download_for_gestion_and_direction(app_engine, demo_database):
    for username in ("gestion", "direction"):
        at = open_page(signed_in_app(username), PageKey.FINANCIAL_REPORT)
        assert not at.exception, at.exception
        [download] = at.get("download_button")
        assert download.proto.disabled, username  # nothing to download before the workbook is prepared
        frame = at.dataframe[0].value
        assert list(frame["Charges"])[-1] == "Total des charges"
        grant_id = next(s for s in at.selectbox if s.label == "Convention").value.id
        before = _exports(app_engine, username)
        at = _button(at, "Préparer le classeur Excel").click().run()
        assert not at.exception, at.exception
        [download] = at.get("download_button")
        assert not download.proto.disabled, username
        # Deferred (issue 12): no bytes, no /media URL in the page; the file is made on the click.
        assert download.proto.deferred_file_id and not download.proto.url, username
        workbook = openpyxl.load_workbook(io.BytesIO(at.session_state["report_xlsx"][1]))
        assert workbook.sheetnames, username  # a real workbook, not an empty file
        after = _exports(app_engine, username)
        assert len(after) == len(before) + 1 and after[-1][0] == str(grant_id), username  # the export is traced
