"""Postes and Compte rendu financier pages: what each role sees and may do."""

from __future__ import annotations

import uuid

from sqlmodel import select

from models.staffing import Post
from services.db import unit_of_work
from services.pages import PageKey
from tests.app.conftest import NO_ACCESS, open_page, signed_in_app, texts


def _button(at, label: str):  # noqa: ANN001, ANN202
    found = [b for b in at.button if b.label == label]
    assert found, [b.label for b in at.button]
    return found[0]


def test_direction_sees_figures_and_no_forms(demo_database):
    at = open_page(signed_in_app("direction"), PageKey.STAFFING)
    assert not at.exception, at.exception
    assert NO_ACCESS not in texts(at.error)
    assert [m.label for m in at.metric][:3] == ["ETP financés", "ETP pourvus", "ETP vacants"]
    assert at.get("vega_lite_chart") or at.get("arrow_vega_lite_chart")
    sites = set(at.dataframe[0].value["Site"])
    assert sites == {"LYO", "GRE", "MRS", "PAR"}
    assert not at.get("form")
    assert not [b for b in at.button if b.label.startswith("Imputer les salaires")]
    vacancies = at.dataframe[1].value
    assert (vacancies["Jours"] > 60).sum() >= 2


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
    assert [b for b in at.button if b.label.startswith("Imputer les salaires du mois de")]
    holder = f"Salariée {uuid.uuid4().hex[:8]}"
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


def test_financial_report_download_for_gestion_and_direction(demo_database):
    for username in ("gestion", "direction"):
        at = open_page(signed_in_app(username), PageKey.FINANCIAL_REPORT)
        assert not at.exception, at.exception
        assert at.get("download_button"), username
        frame = at.dataframe[0].value
        assert list(frame["Charges"])[-1] == "Total des charges"
        at = _button(at, "Préparer le classeur Excel").click().run()
        assert not at.exception, at.exception
    assert at.get("download_button")
