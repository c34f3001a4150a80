"""A person file from intake to timeline in a real browser, and invisible from another site (issue 3).

`ts.lyon` records an intake, sees the new code, opens the file, adds a barrier assessment, a goal,
a referral and an outcome, and finds them all on the "Parcours" timeline (and the person in the
caseload search). Then `cip.grenoble`, in a fresh browser context, cannot find that person by alias
or code, and opening the file's URL with that code shows a refusal and none of its content.
"""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

import pytest

from services import clock, users
from services.db import make_engine, unit_of_work
from services.principal import SYSTEM_ACTOR
from tests.browser.conftest import RunningApp
from ui.format import day as french_day

pytestmark = pytest.mark.browser

WAIT_MS = 30_000
ALIAS = "Ysaline"  # made up, distinctive: no demo person has a close first name
BIRTH_YEAR = 1994
PHONE = "06 47 21 58 93"
GOAL = "S'inscrire au DELF A2 et au FLE professionnel"
PARTNER = re.compile(r"^GRETA Lyon")  # a demo partner of the Lyon site
REFERRAL_REASON = "Remise à niveau en français avant une formation qualifiante"
SECTOR = "Restauration collective"


try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the browser fixtures skip these tests without Playwright
    PlaywrightTimeout = TimeoutError


def _expect():  # noqa: ANN202
    from playwright.sync_api import expect

    return expect


# --- session and navigation ---------------------------------------------------------------------


def _unlock(app: RunningApp, username: str) -> None:
    """As an admin would (test_login_journey locks cip.grenoble in the same app when run first)."""
    engine = make_engine(app.database_url)
    try:
        with unit_of_work(engine) as session:
            users.unlock(session, SYSTEM_ACTOR, username)
    finally:
        engine.dispose()


def _has_auth_cookie(page, app: RunningApp, timeout: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not [c for c in page.context.cookies() if c["name"] == app.cookie_name]:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _sign_in(page, app: RunningApp, username: str) -> None:  # noqa: ANN001
    """Sign in on the home page; the re-login cookie must then be written (ui/session.py writes
    it again until the browser reports it), since it is what opens a URL typed directly."""
    expect = _expect()
    page.goto(app.url)
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("textbox", name="Identifiant").fill(username)
    page.get_by_role("textbox", name="Mot de passe").fill(app.demo_password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Bonjour ")).first).to_be_visible(timeout=WAIT_MS)
    assert _has_auth_cookie(page, app, timeout=10), f"no re-login cookie for {username} 10 s after login"
    # The cookie component reruns the script after writing the cookie: let that settle before
    # navigating, or that rerun may bring the home page back over the page just opened.
    page.wait_for_timeout(1000)


def _open_page(page, link: str, heading: str | re.Pattern) -> None:  # noqa: ANN001
    page.get_by_role("navigation").get_by_role("link", name=link, exact=True).click()
    title = page.get_by_role("heading", name=heading, level=1)
    _expect()(title).to_have_count(1, timeout=WAIT_MS)  # a rerun may briefly show the old copy beside it
    _expect()(title).to_be_visible(timeout=WAIT_MS)


def _tab(page, name: str):  # noqa: ANN001, ANN202
    """The panel of a person-file tab, selected (a rerun after a save may keep it or not)."""
    expect = _expect()
    tab = page.get_by_role("tab", name=name, exact=True)
    # While a rerun replaces the page, the old tab bar may stand beside the new one for a moment.
    expect(tab).to_have_count(1, timeout=WAIT_MS)
    expect(tab).to_be_visible(timeout=WAIT_MS)
    if tab.get_attribute("aria-selected") != "true":
        tab.click()
    expect(tab).to_have_attribute("aria-selected", "true", timeout=WAIT_MS)
    panel = page.get_by_role("tabpanel", name=name, exact=True)
    expect(panel).to_be_visible(timeout=WAIT_MS)
    return panel


# --- widgets ------------------------------------------------------------------------------------


def _type_date(scope, label: str, value: date) -> None:  # noqa: ANN001
    """st.date_input is a day / month / year segmented field: type the digits from the day segment."""
    expect = _expect()
    day_segment = scope.get_by_role("spinbutton", name=f"day, {label}", exact=True)
    day_segment.click()
    day_segment.page.keyboard.type(value.strftime("%d%m%Y"))
    expect(day_segment).to_have_text(f"{value.day:02d}")
    expect(scope.get_by_role("spinbutton", name=f"month, {label}", exact=True)).to_have_text(f"{value.month:02d}")
    expect(scope.get_by_role("spinbutton", name=f"year, {label}", exact=True)).to_have_text(str(value.year))


def _choose(scope, label: str, option: str | re.Pattern, *, typed: str | None = None) -> None:  # noqa: ANN001
    """A selectbox (or multiselect) is a combobox: open it, optionally filter, click the option."""
    page = scope.page
    box = scope.get_by_role("combobox", name=label, exact=True)
    for _ in range(3):
        box.click()
        try:  # right after another selectbox was chosen from, a first click only focuses this one
            page.get_by_role("listbox").first.wait_for(state="visible", timeout=2000)
            break
        except PlaywrightTimeout:
            continue
    if typed:
        page.keyboard.type(typed)
    page.get_by_role("option", name=option).first.click()


def _close_dropdown(page) -> None:  # noqa: ANN001
    page.keyboard.press("Escape")
    _expect()(page.get_by_role("listbox")).to_have_count(0)


def _tick(scope, label: str) -> None:  # noqa: ANN001
    box = scope.get_by_role("checkbox", name=label, exact=True)
    box.check(force=True)  # the input is visually hidden behind its styled label
    _expect()(box).to_be_checked()


def _table(scope):  # noqa: ANN001, ANN202
    """st.dataframe draws on a canvas; glide-data-grid keeps an accessible table of the rows inside it."""
    return scope.get_by_test_id("stDataFrame").locator("table[role=grid]")


def _rows(scope) -> list[tuple[str, ...]]:  # noqa: ANN001
    script = "t => [...t.querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.textContent.trim()))"
    return [tuple(cells) for cells in _table(scope).first.evaluate(script)]


def _wait_rows(scope, predicate, what: str) -> list[tuple[str, ...]]:  # noqa: ANN001
    """Poll the grid until its rows satisfy the predicate: it is redrawn after each rerun, and its
    accessible table may list the rows of a previous run, or part of them, for a moment."""
    expect = _expect()
    expect(_table(scope).first).to_be_attached(timeout=WAIT_MS)
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        rows = _rows(scope)
        if predicate(rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not in {rows}")
        time.sleep(0.25)


def _has_row(predicate):  # noqa: ANN001, ANN202
    return lambda rows: any(predicate(row) for row in rows)


# --- the journey --------------------------------------------------------------------------------


def _record_intake(page, today: date) -> str:  # noqa: ANN001
    """Fill Nouvel accueil and save; return the new code shown by the page."""
    expect = _expect()
    first_contact_on = today - timedelta(days=12)
    intake_on = today - timedelta(days=5)
    _open_page(page, "Nouvel accueil", "Nouvel accueil")
    form = page.get_by_test_id("stForm")
    _choose(form, "Site *", re.compile(r"^LYO — Lyon"))
    _type_date(form, "Date du premier contact *", first_contact_on)
    _type_date(form, "Date de l'accueil *", intake_on)
    _choose(form, "Comment la personne est arrivée *", "Démarche personnelle")
    form.get_by_role("textbox", name="Prénom ou pseudonyme *").fill(ALIAS)
    form.get_by_role("spinbutton", name="Année de naissance").fill(str(BIRTH_YEAR))
    _choose(form, "Genre", "Femme")
    form.get_by_role("textbox", name="Téléphone").fill(PHONE)
    _choose(form, "Nationalité", "Roumanie", typed="Roum")
    _choose(form, "Langues parlées", "roumain", typed="roum")
    _close_dropdown(page)
    _choose(form, "Situation administrative", "Demande d'asile")
    _choose(form, "Hébergement", "Hébergement d'urgence")
    _choose(form, "Ressources", "Aucune ressource")
    _close_dropdown(page)
    _type_date(form, "Date du consentement *", intake_on)
    _tick(form, "Accepte le traitement de son dossier *")
    _tick(form, "Accepte le partage avec les partenaires nommés")
    expect(form.get_by_role("checkbox", name="Accepte de figurer dans les statistiques anonymes")).to_be_checked()
    _choose(form, "Référent·e", "Julien Ferrand")
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


def _open_created_file(page, code: str) -> None:  # noqa: ANN001
    expect = _expect()
    page.get_by_role("link", name=f"Ouvrir le dossier {code}").click()
    expect(page.get_by_role("heading", name=f"Fiche personne · {code}", level=1)).to_be_visible(timeout=WAIT_MS)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(ALIAS, exact=True)).to_be_visible()
    expect(main.get_by_text(PHONE, exact=True)).to_be_visible()
    expect(main.get_by_text(f"{BIRTH_YEAR} · Femme", exact=True)).to_be_visible()
    expect(main.get_by_text(re.compile(r"traitement, partage partenaires, statistiques$"))).to_be_visible()


def _add_barriers(page, on: date) -> None:  # noqa: ANN001
    panel = _tab(page, "Freins")
    _type_date(panel, "Date de l'évaluation", on)
    panel.get_by_role("radiogroup", name="Logement").get_by_role("radio", name="Majeur").check(force=True)
    panel.get_by_role("radiogroup", name="Français").get_by_role("radio", name="Partiel").check(force=True)
    panel.get_by_role("button", name="Enregistrer l'évaluation").click()
    panel = _tab(page, "Freins")
    _expect()(panel.get_by_role("heading", name="Freins actuels")).to_be_visible(timeout=WAIT_MS)
    _wait_rows(panel, _has_row(lambda row: row[:2] == ("Logement", "Majeur")), "Logement: Majeur")


def _add_goal(page, due_on: date) -> None:  # noqa: ANN001
    panel = _tab(page, "Plan d'action")
    new_goal = panel.get_by_role("tabpanel", name="Nouvel objectif")
    _choose(new_goal, "Axe", "Formation")
    new_goal.get_by_role("textbox", name="Objectif").fill(GOAL)
    new_goal.get_by_role("textbox", name="Actions prévues").fill("Test de positionnement, dossier d'inscription")
    _type_date(new_goal, "Échéance", due_on)
    new_goal.get_by_role("button", name="Ajouter l'objectif").click()
    panel = _tab(page, "Plan d'action")
    _wait_rows(panel, _has_row(lambda row: GOAL in row), "the new goal")


def _add_referral(page, on: date) -> str:  # noqa: ANN001
    """Refer to the Lyon GRETA; return the partner's name as listed."""
    panel = _tab(page, "Orientations")
    _choose(panel, "Partenaire", PARTNER, typed="GRETA")
    _type_date(panel, "Date de l'orientation", on)
    panel.get_by_role("textbox", name="Motif").fill(REFERRAL_REASON)
    panel.get_by_role("button", name="Enregistrer l'orientation").click()
    panel = _tab(page, "Orientations")
    rows = _wait_rows(panel, _has_row(lambda row: REFERRAL_REASON in row), "the new referral")
    return next(row[1] for row in rows if REFERRAL_REASON in row)


def _add_outcome(page, on: date) -> None:  # noqa: ANN001
    panel = _tab(page, "Sorties")
    _type_date(panel, "Date de la sortie", on)
    _choose(panel, "Type de sortie", re.compile(r"^Embauche en SIAE"))
    panel.get_by_role("textbox", name="Secteur de l'employeur").fill(SECTOR)
    _expect()(panel.get_by_role("checkbox", name="Cette sortie clôt le dossier")).not_to_be_checked()
    panel.get_by_role("button", name="Enregistrer la sortie").click()
    panel = _tab(page, "Sorties")
    _wait_rows(panel, _has_row(lambda row: SECTOR in row), "the new outcome")


def _caseload_search(page, query: str) -> None:  # noqa: ANN001
    box = page.get_by_role("textbox", name="Rechercher")
    box.fill(query)
    box.press("Enter")


def test_intake_to_timeline_then_refused_to_other_site(page, new_page, running_app: RunningApp) -> None:  # noqa: ANN001
    expect = _expect()
    today = clock.today()

    # ts.lyon: intake, then every pathway tab, then the timeline.
    _sign_in(page, running_app, "ts.lyon")
    code = _record_intake(page, today)
    _open_created_file(page, code)
    assessed_on, referred_on, outcome_on = (today - timedelta(days=n) for n in (4, 3, 2))
    due_on = today + timedelta(days=60)
    _add_barriers(page, assessed_on)
    _add_goal(page, due_on)
    partner_name = _add_referral(page, referred_on)
    assert PARTNER.match(partner_name), partner_name
    _add_outcome(page, outcome_on)

    timeline = _tab(page, "Parcours")
    expected = [
        (french_day(today - timedelta(days=12)), "Premier contact", "Démarche personnelle"),
        (french_day(today - timedelta(days=5)), "Accueil — ouverture du dossier", "Démarche personnelle"),
        (french_day(assessed_on), "Évaluation des freins", "Logement : majeur, Français : partiel"),
        (french_day(referred_on), f"Orientation vers {partner_name}", REFERRAL_REASON),
        (french_day(outcome_on), "Sortie : Sortie positive", f"Embauche en SIAE · {SECTOR}"),
        (french_day(today), "Objectif fixé — Formation", f"{GOAL} (échéance {due_on:%d/%m/%Y})"),  # dated when set
    ]  # oldest first
    rows = _wait_rows(timeline, lambda rows: all(event in rows for event in expected), f"timeline events {expected}")
    positions = [rows.index(event) for event in expected]
    assert positions == sorted(positions, reverse=True), f"the timeline is not newest first: {rows}"

    # The caseload finds the person by alias and by code (so the searches below can fail only by scope).
    _open_page(page, "File active", "File active")
    _caseload_search(page, ALIAS)
    _wait_rows(page.get_by_test_id("stMain"), _has_row(lambda row: row[:2] == (code, ALIAS)), f"{code} by alias")
    _caseload_search(page, code)
    _wait_rows(page.get_by_test_id("stMain"), lambda rows: [r[:2] for r in rows] == [(code, ALIAS)], f"{code} alone")

    # cip.grenoble, another browser: the Lyon person is nowhere to be found.
    other = new_page()
    _unlock(running_app, "cip.grenoble")
    _sign_in(other, running_app, "cip.grenoble")
    _open_page(other, "File active", "File active")
    main = other.get_by_test_id("stMain")
    nothing = main.get_by_text("Aucun dossier ne correspond à ces critères.")
    for query in (ALIAS, code):
        _caseload_search(other, "")
        _wait_rows(main, _has_row(lambda row: row[0].startswith("GRE-")), "Grenoble files")  # the caseload works
        expect(nothing).to_have_count(0)
        _caseload_search(other, query)
        expect(nothing).to_be_visible(timeout=WAIT_MS)
        expect(main.get_by_test_id("stDataFrame")).to_have_count(0)

    # The file's address with its code: a refusal, none of the file.
    other.goto(f"{running_app.url}/person_file?code={code}")
    expect(main.get_by_text("Dossier introuvable.")).to_be_visible(timeout=WAIT_MS)
    heading = other.get_by_role("heading", name="Fiche personne", exact=True, level=1)
    expect(heading).to_have_count(1, timeout=WAIT_MS)  # a rerun may briefly show the old copy beside it
    expect(heading).to_be_visible()
    other.wait_for_timeout(1000)  # a late rerun must not show the file either
    for secret in (ALIAS, PHONE, GOAL, REFERRAL_REASON, SECTOR, code):
        expect(main.get_by_text(secret)).to_have_count(0)
    expect(other.get_by_role("tab")).to_have_count(0)
    expect(main.get_by_test_id("stDataFrame")).to_have_count(0)
    assert running_app.audit_count("ts.lyon", "person.view") >= 1  # opening a file is audited…
    assert running_app.audit_count("cip.grenoble", "person.view") == 0  # …and Grenoble opened none
