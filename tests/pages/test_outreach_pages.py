"""Aller-vers: a team logs and corrects rounds of its site; direction reads every site, with no form.

The demo database is shared by the app tests: rounds made here carry a start time no demo round has
(early morning) and distinctive counts, and figures are compared before/after, never as absolutes.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import date, time

import pyarrow as pa
import sqlalchemy as sa
from sqlmodel import select

import clock
from models.audit import AuditEvent
from models.organisation import Site
from models.outreach import OutreachArea, OutreachMode, OutreachRound, OutreachRoundStaff
from services.activities import outreach
from services.activities.outreach import RoundInput
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from tests.pages.conftest import error_after, open_page, principal_of, signed_in_app, texts

NEW_FORM = "outreach_new__"
SAVE_NEW = "Enregistrer la maraude"
SAVE_EDIT = "Enregistrer les corrections"
CONFLICT = "modifié par quelqu'un d'autre pendant votre saisie : rien n'est encore enregistré"
SITES = {"LYO", "GRE", "MRS", "PAR"}
# French abbreviated month names, as the charts label their months ('déc. 25').
MONTHS_FR = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]


def _french(n: int) -> str:
    """A whole number written the French way, by hand: 1 234 (narrow no-break space)."""
    return f"{n:,}".replace(",", "\u202f")


def _first_of_month(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _label(day: date) -> str:
    return f"{MONTHS_FR[day.month - 1]} {day.year % 100:02d}"


def _rounds_shown(app_engine) -> list[dict]:
    """Every round of the 12 months the page covers (this month and the 11 before), one dict per round,
    with the files opened from it (origin « aller-vers »), read straight from the tables."""
    today = clock.today()
    with app_engine.connect() as connection:
        rounds = connection.execute(
            sa.text(
                "SELECT r.id, s.code, r.round_on, r.mode, r.persons_met, r.new_contacts, r.referred_to_intake "
                "FROM outreach_round r JOIN site s ON s.id = r.site_id WHERE r.round_on BETWEEN :first AND :today"
            ),
            {"first": _first_of_month(today, 11).isoformat(), "today": today.isoformat()},
        ).all()
        files = Counter(
            round_id
            for (round_id,) in connection.execute(
                sa.text(
                    "SELECT outreach_round_id FROM person WHERE origin = 'outreach' AND outreach_round_id IS NOT NULL"
                    " AND consent_statistics = TRUE"  # a file whose person refused statistics counts nowhere
                )
            ).all()
        )
    keys = ("id", "site", "day", "mode", "persons_met", "new_contacts", "referred_to_intake")
    found = [dict(zip(keys, row, strict=True)) for row in rounds]
    for row in found:
        row["day"] = date.fromisoformat(str(row["day"]))
        row["intakes"] = files[row["id"]]
    return found


def _in_new_form(widgets, label: str):
    found = [w for w in widgets if w.label == label and str(w.key).startswith(NEW_FORM)]
    assert found, f"no {label!r} in the new-round form: {[(w.label, w.key) for w in widgets]}"
    return found[0]


def _in_edit_form(widgets, label: str):
    found = [w for w in widgets if w.label == label and str(w.key).startswith("outreach_edit_")]
    assert found, f"no {label!r} in the edit form: {[(w.label, w.key) for w in widgets]}"
    return found[0]


def _button(at, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, [b.label for b in at.button]
    return found[0]


def _metric(at, label: str) -> int:
    [value] = [m.value for m in at.metric if m.label == label]
    return int(value.replace("\u202f", "").replace("\u00a0", "").replace(" ", ""))


def _rounds_table(at):
    frames = [df.value for df in at.dataframe if "Préservatifs" in df.value.columns]
    assert len(frames) == 1, [list(df.value.columns) for df in at.dataframe]
    return frames[0]


def _lyon_round(app_engine, *, start: time, condoms: int, persons_met: int = 9) -> int:
    """A round of today in Lyon, logged by ts.lyon through the service."""
    ts = principal_of(app_engine, "ts.lyon")
    with unit_of_work(app_engine) as session:
        lyon = session.exec(select(Site.id).where(Site.code == "LYO")).one()
        return outreach.log_round(
            session,
            ts,
            data=RoundInput(
                site_id=lyon,
                round_on=clock.today(),
                start_time=start,
                duration_minutes=120,
                mode=OutreachMode.STREET,
                area=OutreachArea.SALONS,
                staff_ids=[ts.user_id],
                persons_met=persons_met,
                new_contacts=1,
                conversations=2,
                referred_to_intake=0,
                condoms_given=condoms,
            ),
        )


def test_ts_lyon_logs_a_round_through_the_form_and_sees_it_listed(app_engine, demo_database):
    at = open_page(signed_in_app("ts.lyon"), PageKey.OUTREACH)
    assert not at.exception, at.exception
    rounds_before, met_before = _metric(at, "Maraudes"), _metric(at, "Personnes rencontrées")
    assert _in_new_form(at.multiselect, "Équipe présente").value == [principal_of(app_engine, "ts.lyon").user_id]
    assert "Site de la maraude" not in [s.label for s in at.selectbox]  # one site: not asked
    assert _in_new_form(at.radio, "Type de maraude").options == ["Présentielle", "Dématérialisée"]
    _in_new_form(at.time_input, "Heure de début").set_value(time(6, 15))
    _in_new_form(at.number_input, "Durée (minutes)").set_value(150)
    _in_new_form(at.radio, "Type de maraude").set_value(OutreachMode.ONLINE)
    _in_new_form(at.selectbox, "Secteur ou plateforme").set_value(OutreachArea.ESCORT_SITES)
    for label, value in (
        ("Personnes rencontrées", 17),
        ("Dont nouveaux contacts", 4),
        ("Entretiens menés", 11),
        ("Orientées vers un accueil", 2),
        ("Brochures d'information", 2371),
    ):
        _in_new_form(at.number_input, label).set_value(value)
    at = _button(at, SAVE_NEW).click().run()
    assert not at.exception, at.exception

    with unit_of_work(app_engine) as session:
        stored = session.exec(
            select(OutreachRound).where(OutreachRound.leaflets_given == 2371, OutreachRound.start_time == time(6, 15))
        ).one()
        team = session.exec(select(OutreachRoundStaff.user_id).where(OutreachRoundStaff.round_id == stored.id)).all()
        audited = session.exec(
            select(AuditEvent.actor_username).where(
                AuditEvent.action == "outreach.round_logged", AuditEvent.entity_id == str(stored.id)
            )
        ).all()
        assert (stored.round_on, stored.duration_minutes, stored.mode, stored.area) == (
            clock.today(),
            150,
            OutreachMode.ONLINE,
            OutreachArea.ESCORT_SITES,
        )
        assert (stored.persons_met, stored.new_contacts, stored.conversations, stored.referred_to_intake) == (
            17,
            4,
            11,
            2,
        )
    assert team == [principal_of(app_engine, "ts.lyon").user_id] and audited == ["ts.lyon"]

    assert _metric(at, "Maraudes") == rounds_before + 1
    assert _metric(at, "Personnes rencontrées") == met_before + 17
    table = _rounds_table(at)
    assert 2371 in table["Brochures"].tolist()
    assert _in_new_form(at.number_input, "Personnes rencontrées").value == 0  # a fresh form for the next round


def test_a_validation_error_shows_by_the_field_and_keeps_the_typed_values(app_engine, demo_database):
    with unit_of_work(app_engine) as session:
        count_before = session.exec(select(sa.func.count()).select_from(OutreachRound)).one()
    at = open_page(signed_in_app("ts.lyon"), PageKey.OUTREACH)
    _in_new_form(at.number_input, "Personnes rencontrées").set_value(3)
    _in_new_form(at.number_input, "Dont nouveaux contacts").set_value(5)
    _in_new_form(at.number_input, "Préservatifs distribués").set_value(48)
    at = _button(at, SAVE_NEW).click().run()
    assert not at.exception, at.exception

    assert error_after(at, _in_new_form(at.time_input, "Heure de début")) == "Indiquez l'heure de début."
    assert error_after(at, _in_new_form(at.number_input, "Dont nouveaux contacts")) == (
        "Les nouveaux contacts ne peuvent pas dépasser le nombre de personnes rencontrées."
    )
    assert error_after(at, _in_new_form(at.number_input, "Personnes rencontrées")) is None
    assert [
        _in_new_form(at.number_input, label).value
        for label in ("Personnes rencontrées", "Dont nouveaux contacts", "Préservatifs distribués")
    ] == [3, 5, 48]
    with unit_of_work(app_engine) as session:
        assert session.exec(select(sa.func.count()).select_from(OutreachRound)).one() == count_before


def test_a_round_is_corrected_and_a_conflicting_correction_waits_for_a_choice(app_engine, demo_database):
    round_id = _lyon_round(app_engine, start=time(6, 45), condoms=3917)
    at = open_page(signed_in_app("ts.lyon"), PageKey.OUTREACH)
    choice = next(s for s in at.selectbox if s.label == "Maraude à corriger")
    index = next(i for i, option in enumerate(choice.options) if "06:45" in option and "Salons" in option)
    at = choice.select_index(index).run()
    _in_edit_form(at.number_input, "Personnes rencontrées").set_value(10)
    at = _button(at, SAVE_EDIT).click().run()
    assert not at.exception, at.exception
    with unit_of_work(app_engine) as session:
        stored = session.get(OutreachRound, round_id)
        assert (stored.persons_met, stored.version) == (10, 2)
        round_on = stored.round_on

    # Someone else corrects the same count while the form is open: nothing is saved before the user chooses,
    # the input stays.
    _in_edit_form(at.number_input, "Personnes rencontrées").set_value(13)
    chef = principal_of(app_engine, "chef.lyon")
    with unit_of_work(app_engine) as session:
        outreach.update_round(
            session,
            chef,
            round_id=round_id,
            expected_version=2,
            data=RoundInput(
                site_id=None,
                round_on=round_on,
                start_time=time(6, 45),
                duration_minutes=120,
                mode=OutreachMode.STREET,
                area=OutreachArea.SALONS,
                staff_ids=[chef.user_id],
                persons_met=12,
                new_contacts=1,
                conversations=2,
                condoms_given=3917,
            ),
        )
    at = _button(at, SAVE_EDIT).click().run()
    assert not at.exception, at.exception
    assert any(CONFLICT in e for e in texts(at.error))
    assert _in_edit_form(at.number_input, "Personnes rencontrées").value == 13
    with unit_of_work(app_engine) as session:
        stored = session.get(OutreachRound, round_id)
        assert (stored.persons_met, stored.version) == (12, 3)
    [choice] = [r for r in at.radio if r.label == "Personnes rencontrées : quelle saisie garder ?"]
    assert _button(at, "Enregistrer avec ces choix").disabled
    at = choice.set_value("mine").run()
    at = _button(at, "Enregistrer avec ces choix").click().run()
    assert not at.exception, at.exception
    with unit_of_work(app_engine) as session:
        stored = session.get(OutreachRound, round_id)
        assert (stored.persons_met, stored.condoms_given, stored.version) == (13, 3917, 4)


def test_direction_sees_figures_per_site_and_no_form(app_engine, demo_database):
    at = open_page(signed_in_app("direction"), PageKey.OUTREACH)
    assert not at.exception, at.exception
    assert SAVE_NEW not in [b.label for b in at.button] and SAVE_EDIT not in [b.label for b in at.button]
    assert at.number_input == [] and "Maraude à corriger" not in [s.label for s in at.selectbox]
    assert "Par site" in texts(at.header)
    [per_site] = [df.value for df in at.dataframe if "Accueils / nouveaux contacts" in df.value.columns]
    totals: dict[str, Counter] = defaultdict(Counter)
    for row in _rounds_shown(app_engine):
        totals[row["site"]].update(
            rounds=1,
            persons_met=row["persons_met"],
            new_contacts=row["new_contacts"],
            referred_to_intake=row["referred_to_intake"],
            intakes=row["intakes"],
        )
    assert set(totals) == SITES
    assert list(per_site["Site"]) == sorted(SITES)
    columns = {
        "Maraudes": "rounds",
        "Personnes rencontrées": "persons_met",
        "Nouveaux contacts": "new_contacts",
        "Orientées vers un accueil": "referred_to_intake",
        "Accueils issus des maraudes": "intakes",
    }
    for line in per_site.to_dict("records"):
        expected = totals[line["Site"]]
        assert {column: line[column] for column in columns} == {
            column: _french(expected[key]) for column, key in columns.items()
        }, line["Site"]
        share = re.fullmatch(r"(\d+)\u00a0%", line["Accueils / nouveaux contacts"])
        assert share, line["Accueils / nouveaux contacts"]
        assert abs(int(share[1]) - 100 * expected["intakes"] / expected["new_contacts"]) <= 0.5, line["Site"]
    assert len(at.get("vega_lite_chart")) == 5  # four series by mode, and persons met by site
    assert set(_rounds_table(at)["Site"]) <= {"LYO", "GRE", "MRS", "PAR"}


def test_cip_grenoble_does_not_see_lyon_rounds(app_engine, demo_database):
    _lyon_round(app_engine, start=time(7, 15), condoms=4663)
    at = open_page(signed_in_app("ts.lyon"), PageKey.OUTREACH)
    assert 4663 in _rounds_table(at)["Préservatifs"].tolist()  # the round is on the first page for Lyon…

    at = open_page(signed_in_app("cip.grenoble"), PageKey.OUTREACH)
    assert not at.exception, at.exception
    assert 4663 not in _rounds_table(at)["Préservatifs"].tolist()  # …and nowhere for Grenoble
    choice = next(s for s in at.selectbox if s.label == "Maraude à corriger")
    assert choice.options and all(option.endswith(" · GRE") for option in choice.options)
    assert "Par site" not in texts(at.header)
    with unit_of_work(app_engine) as session:
        grenoble_rounds = session.exec(
            select(sa.func.count())
            .select_from(OutreachRound)
            .join(Site, Site.id == OutreachRound.site_id)
            .where(Site.code == "GRE")
        ).one()
    assert any(caption.startswith(f"{_french(grenoble_rounds)} maraudes ·") for caption in texts(at.caption))


MODE_NAMES = {"street": "Présentielle", "online": "Dématérialisée"}  # as the legend reads


def _chart_sums(at, title: str) -> dict[tuple[str, str], int]:
    """(month label, mode) → value drawn by the chart titled `title` (its bars are stacked by mode)."""
    for chart in at.get("vega_lite_chart"):
        if json.loads(chart.proto.spec).get("title", {}).get("text") == title:
            [dataset] = chart.proto.datasets  # the chart's data frame, sent as Arrow
            frame = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
            return {key: int(value) for key, value in frame.groupby(["Mois", "Mode"])["Valeur"].sum().items()}
    raise AssertionError(f"no chart titled {title!r}")


def test_the_monthly_charts_of_a_site_equal_a_direct_sql_computation(app_engine, demo_database):
    at = open_page(signed_in_app("ts.lyon"), PageKey.OUTREACH)
    assert not at.exception, at.exception
    by_bar: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for row in _rounds_shown(app_engine):
        if row["site"] == "LYO":
            by_bar[(_label(row["day"]), MODE_NAMES[row["mode"]])].update(
                rounds=1, persons_met=row["persons_met"], new_contacts=row["new_contacts"], intakes=row["intakes"]
            )
    today = clock.today()
    months = {month for month, _mode in by_bar}
    assert months <= {_label(_first_of_month(today, back)) for back in range(12)} and len(months) >= 11
    assert {mode for _month, mode in by_bar} == set(MODE_NAMES.values())  # both kinds of round
    for title, key in (
        ("Maraudes", "rounds"),
        ("Personnes rencontrées", "persons_met"),
        ("Nouveaux contacts", "new_contacts"),
        ("Accueils issus des maraudes", "intakes"),  # a bar without an intake is drawn as 0
    ):
        assert _chart_sums(at, title) == {bar: totals[key] for bar, totals in by_bar.items()}, title
    this_month = [totals for (month, _mode), totals in by_bar.items() if month == _label(today)]
    assert _metric(at, "Maraudes") == sum(totals["rounds"] for totals in this_month)
    assert _metric(at, "Personnes rencontrées") == sum(totals["persons_met"] for totals in this_month)


def test_the_list_is_filtered_by_month_and_site_and_paginated(app_engine, demo_database):
    at = open_page(signed_in_app("direction"), PageKey.OUTREACH)
    with app_engine.connect() as connection:
        every = connection.execute(sa.text("SELECT COUNT(*) FROM outreach_round")).scalar_one()
    pages = -(-every // 25)
    assert pages >= 2
    assert f"{_french(every)} maraudes · page 1 sur {pages}" in texts(at.caption)
    at = _button(at, "Page suivante").click().run()
    assert not at.exception, at.exception
    assert f"{_french(every)} maraudes · page 2 sur {pages}" in texts(at.caption)

    today = clock.today()
    with unit_of_work(app_engine) as session:
        lyon_id = session.exec(select(Site.id).where(Site.code == "LYO")).one()
    next(s for s in at.selectbox if s.label == "Mois").set_value(1)  # this month
    at = next(s for s in at.selectbox if s.label == "Site").set_value(lyon_id).run()
    assert not at.exception, at.exception
    with unit_of_work(app_engine) as session:
        expected = session.exec(
            select(sa.func.count())
            .select_from(OutreachRound)
            .join(Site, Site.id == OutreachRound.site_id)
            .where(
                Site.code == "LYO",
                OutreachRound.round_on >= _first_of_month(today),
                OutreachRound.round_on < _first_of_month(today, -1),
            )
        ).one()
    table = _rounds_table(at)
    assert set(table["Site"]) == {"LYO"} and len(table) == min(expected, 25)
    assert any(c.startswith(f"{_french(expected)} maraude") and "page 1 sur" in c for c in texts(at.caption))
