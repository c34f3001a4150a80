"""A person file from intake to timeline in a real browser, and invisible from another site (issue 3).

A social worker of Lyon records an intake, sees the new code, opens the file, adds a barrier
assessment, a goal, a referral and an outcome, and finds them all on the "Parcours" timeline (and the
person in the caseload search). Then a social worker of Grenoble, in a fresh browser context, cannot
find that person by alias or code, and opening the file's URL with that code shows a refusal and none
of its content. Both accounts are this journey's own.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

import clock
from i18n.formats import day as french_day
from models.organisation import Role
from tests.browser.conftest import RunningApp
from tests.browser.journey import (
    WAIT_MS,
    an_account,
    choose,
    close_dropdown,
    expect_,
    has_row,
    open_page,
    open_settled,
    open_tab,
    sign_in,
    tick,
    type_date,
    wait_rows,
)

pytestmark = pytest.mark.browser

ALIAS = "Ysaline"  # made up, distinctive: no demo person has a close first name
BIRTH_YEAR = 1994
PHONE = "06 47 21 58 93"
GOAL = "S'inscrire au DELF A2 et au FLE professionnel"
PARTNER = re.compile(r"^GRETA Lyon")  # a demo partner of the Lyon site
REFERRAL_REASON = "Remise à niveau en français avant une formation qualifiante"
SECTOR = "Restauration collective"


# --- the journey --------------------------------------------------------------------------------


def _record_intake(page, today: date, referent: str) -> str:
    """Fill Nouvel accueil and save; return the new code shown by the page."""
    expect = expect_()
    first_contact_on = today - timedelta(days=12)
    intake_on = today - timedelta(days=5)
    open_page(page, "Nouvel accueil", "Nouvel accueil")
    form = page.get_by_test_id("stForm")
    choose(form, "Site *", re.compile(r"^LYO — Lyon"))
    type_date(form, "Date du premier contact *", first_contact_on)
    type_date(form, "Date de l'accueil *", intake_on)
    choose(form, "Comment la personne est arrivée *", "Démarche personnelle")
    form.get_by_role("textbox", name="Prénom ou pseudonyme *").fill(ALIAS)
    form.get_by_role("spinbutton", name="Année de naissance").fill(str(BIRTH_YEAR))
    choose(form, "Genre", "Femme")
    form.get_by_role("textbox", name="Téléphone").fill(PHONE)
    choose(form, "Nationalité", "Roumanie", typed="Roum")
    choose(form, "Langues parlées", "roumain", typed="roum")
    close_dropdown(page)
    choose(form, "Situation administrative", "Demande d'asile")
    choose(form, "Hébergement", "Hébergement d'urgence")
    choose(form, "Ressources", "Aucune ressource")
    close_dropdown(page)
    type_date(form, "Date du consentement *", intake_on)
    tick(form, "Accepte le traitement de son dossier *")
    tick(form, "Accepte le partage avec les partenaires nommés")
    expect(form.get_by_role("checkbox", name="Accepte de figurer dans les statistiques anonymes")).to_be_checked()
    choose(form, "Référent·e", referent)
    form.get_by_role("button", name="Enregistrer le dossier").click()

    created = page.get_by_text(re.compile(r"^Dossier LYO-\d{4}-\d{4} créé\.$"))
    duplicates = page.get_by_role("button", name="Créer quand même")
    expect(created.or_(duplicates).first).to_be_visible(timeout=WAIT_MS)
    if duplicates.is_visible():  # another journey of this session may have made a look-alike file
        duplicates.click()
    expect(created.first).to_be_visible(timeout=WAIT_MS)
    code = re.search(r"LYO-\d{4}-\d{4}", created.first.inner_text()).group(0)
    assert re.fullmatch(rf"LYO-{intake_on.year}-\d{{4}}", code), code
    # Saved: the form is empty again, ready for the next person.
    expect(form.get_by_role("textbox", name="Prénom ou pseudonyme *")).to_have_value("")
    return code


def _open_created_file(page, code: str) -> None:
    expect = expect_()
    page.get_by_role("link", name=f"Ouvrir le dossier {code}").click()
    expect(page.get_by_role("heading", name=f"Fiche personne · {code}", level=1)).to_be_visible(timeout=WAIT_MS)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(ALIAS, exact=True)).to_be_visible()
    expect(main.get_by_text(PHONE, exact=True)).to_be_visible()
    expect(main.get_by_text(f"{BIRTH_YEAR} · Femme", exact=True)).to_be_visible()
    expect(main.get_by_text(re.compile(r"traitement, partage partenaires, statistiques$"))).to_be_visible()


def _add_barriers(page, on: date) -> None:
    panel = open_tab(page, "Freins")
    type_date(panel, "Date de l'évaluation", on)
    panel.get_by_role("radiogroup", name="Logement").get_by_role("radio", name="Majeur").check(force=True)
    panel.get_by_role("radiogroup", name="Français").get_by_role("radio", name="Partiel").check(force=True)
    panel.get_by_role("button", name="Enregistrer l'évaluation").click()
    panel = open_tab(page, "Freins")
    expect_()(panel.get_by_role("heading", name="Freins actuels")).to_be_visible(timeout=WAIT_MS)
    wait_rows(panel, has_row(lambda row: row[:2] == ("Logement", "Majeur")), "Logement: Majeur")


def _add_goal(page, due_on: date) -> None:
    panel = open_tab(page, "Plan d'action")
    new_goal = panel.get_by_role("tabpanel", name="Nouvel objectif")
    choose(new_goal, "Axe", "Formation")
    new_goal.get_by_role("textbox", name="Objectif").fill(GOAL)
    new_goal.get_by_role("textbox", name="Actions prévues").fill("Test de positionnement, dossier d'inscription")
    type_date(new_goal, "Échéance", due_on)
    new_goal.get_by_role("button", name="Ajouter l'objectif").click()
    panel = open_tab(page, "Plan d'action")
    wait_rows(panel, has_row(lambda row: GOAL in row), "the new goal")


def _add_referral(page, on: date) -> str:
    """Refer to the Lyon GRETA; return the partner's name as listed."""
    panel = open_tab(page, "Orientations")
    choose(panel, "Partenaire", PARTNER, typed="GRETA")
    type_date(panel, "Date de l'orientation", on)
    panel.get_by_role("textbox", name="Motif").fill(REFERRAL_REASON)
    panel.get_by_role("button", name="Enregistrer l'orientation").click()
    panel = open_tab(page, "Orientations")
    rows = wait_rows(panel, has_row(lambda row: REFERRAL_REASON in row), "the new referral")
    return next(row[1] for row in rows if REFERRAL_REASON in row)


def _add_outcome(page, on: date) -> None:
    panel = open_tab(page, "Sorties")
    type_date(panel, "Date de la sortie", on)
    choose(panel, "Type de sortie", re.compile(r"^Embauche en SIAE"))
    panel.get_by_role("textbox", name="Secteur de l'employeur").fill(SECTOR)
    expect_()(panel.get_by_role("checkbox", name="Cette sortie clôt le dossier")).not_to_be_checked()
    panel.get_by_role("button", name="Enregistrer la sortie").click()
    panel = open_tab(page, "Sorties")
    wait_rows(panel, has_row(lambda row: SECTOR in row), "the new outcome")


def _caseload_search(page, query: str) -> None:
    box = page.get_by_role("textbox", name="Rechercher")
    box.fill(query)
    box.press("Enter")


def test_intake_to_timeline_then_refused_to_other_site(page, new_page, running_app: RunningApp) -> None:
    expect = expect_()
    today = clock.today()

    # Lyon: intake, then every pathway tab, then the timeline.
    lyon = an_account(running_app, "ts.lyon.intake", "Camille Perrot", Role.INTERVENANT, site_codes=("LYO",))
    grenoble = an_account(running_app, "cip.grenoble.scope", "Yanis Marchal", Role.INTERVENANT, site_codes=("GRE",))
    sign_in(page, running_app, lyon)
    code = _record_intake(page, today, lyon.display_name)
    _open_created_file(page, code)
    assessed_on, referred_on, outcome_on = (today - timedelta(days=n) for n in (4, 3, 2))
    due_on = today + timedelta(days=60)
    _add_barriers(page, assessed_on)
    _add_goal(page, due_on)
    partner_name = _add_referral(page, referred_on)
    assert PARTNER.match(partner_name), partner_name
    _add_outcome(page, outcome_on)

    timeline = open_tab(page, "Parcours")
    expected = [
        (french_day(today - timedelta(days=12)), "Premier contact", "Démarche personnelle"),
        (french_day(today - timedelta(days=5)), "Accueil — ouverture du dossier", "Démarche personnelle"),
        (french_day(assessed_on), "Évaluation des freins", "Logement : majeur, Français : partiel"),
        (french_day(referred_on), f"Orientation vers {partner_name}", REFERRAL_REASON),
        (french_day(outcome_on), "Sortie : Sortie positive", f"Embauche en SIAE · {SECTOR}"),
        (french_day(today), "Objectif fixé — Formation", f"{GOAL} (échéance {due_on:%d/%m/%Y})"),  # dated when set
    ]  # oldest first
    rows = wait_rows(timeline, lambda rows: all(event in rows for event in expected), f"timeline events {expected}")
    positions = [rows.index(event) for event in expected]
    assert positions == sorted(positions, reverse=True), f"the timeline is not newest first: {rows}"

    # The caseload finds the person by alias and by code (so the searches below can fail only by scope).
    open_page(page, "File active", "File active")
    _caseload_search(page, ALIAS)
    wait_rows(page.get_by_test_id("stMain"), has_row(lambda row: row[:2] == (code, ALIAS)), f"{code} by alias")
    _caseload_search(page, code)
    wait_rows(page.get_by_test_id("stMain"), lambda rows: [r[:2] for r in rows] == [(code, ALIAS)], f"{code} alone")

    # Grenoble, another browser: the Lyon person is nowhere to be found.
    other = new_page()
    sign_in(other, running_app, grenoble)
    open_page(other, "File active", "File active")
    main = other.get_by_test_id("stMain")
    nothing = main.get_by_text("Aucun dossier ne correspond à ces critères.")
    for query in (ALIAS, code):
        _caseload_search(other, "")
        wait_rows(main, has_row(lambda row: row[0].startswith("GRE-")), "Grenoble files")  # the caseload works
        expect(nothing).to_have_count(0)
        _caseload_search(other, query)
        expect(nothing).to_be_visible(timeout=WAIT_MS)
        expect(main.get_by_test_id("stDataFrame")).to_have_count(0)

    # The file's address with its code: a refusal, none of the file.
    # The cookie signs in again on this new session once the cookie manager has reported it: the run
    # that follows that report (the last one, nothing else is pending) must not show the file either.
    open_settled(other, f"{running_app.url}/person_file?code={code}")
    expect(main.get_by_text("Dossier introuvable.")).to_be_visible(timeout=WAIT_MS)
    heading = other.get_by_role("heading", name="Fiche personne", exact=True, level=1)
    expect(heading).to_have_count(1, timeout=WAIT_MS)  # a rerun may briefly show the old copy beside it
    expect(heading).to_be_visible()
    for secret in (ALIAS, PHONE, GOAL, REFERRAL_REASON, SECTOR, code):
        expect(main.get_by_text(secret)).to_have_count(0)
    expect(other.get_by_role("tab")).to_have_count(0)
    expect(main.get_by_test_id("stDataFrame")).to_have_count(0)
    assert running_app.audit_count(lyon.username, "person.view") >= 1  # opening a file is audited…
    assert running_app.audit_count(grenoble.username, "person.view") == 0  # …and Grenoble opened none
