"""Every page × every role, from the role matrix written out in tests/access_matrix.py.

The expectation is the hand-written grid, never services.platform.pages.PAGE_ACCESS itself, so that a wrong
edit of PAGE_ACCESS fails here (tests/services/platform/test_principal_and_pages.py compares the two tables).

For every (page, role) pair:
- allowed: the page renders without exception and shows its title (one fresh session per pair);
- refused: the page is absent from the navigation the role gets (AppTest.switch_page raises for a
  page that st.navigation did not register), checked with one run per role that also checks that
  every allowed page is registered;
- refused: a deep link to the page falls back to the home page (one session per page, handed from
  an allowed role to each refused role in turn);
- refused: the page's own guard refuses if its script is ever reached without the navigation (one
  AppTest of the page script, run once per refused role), and refuses anyone not signed in.
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from models.organisation import Role
from services.platform.config import PROJECT_ROOT
from services.platform.pages import PageKey
from services.platform.principal import Principal
from tests.access_matrix import ALLOWED, EXPECTED_ACCESS, REFUSED, refused_roles
from tests.pages.conftest import (
    ACCOUNT_OF_ROLE,
    NO_ACCESS,
    PERSON_CODE,
    TIMEOUT,
    all_text,
    metric_labels,
    open_page,
    principal_of,
    signed_in_app,
    texts,
)
from ui.platform.guards import PRINCIPAL_KEY
from ui.platform.navigation import PAGE_SPECS, SECTION_ORDER

# Pages whose heading differs from their menu title.
HEADING = {PageKey.HOME: "Bonjour "}

# Pages some role may not open (home and account are everyone's).
PAGES_WITH_REFUSALS = [page for page in PageKey if refused_roles(page)]
NOT_REGISTERED = "Could not find a navigation page"


def _case_id(case: tuple[PageKey, Role]) -> str:
    return f"{case[0].value}-{case[1].value}"


def _heading(page: PageKey) -> str:
    return HEADING.get(page, PAGE_SPECS[page].title)


@pytest.fixture(scope="module")
def principals(app_engine, demo_database) -> dict[Role, Principal]:
    """The principal of each role's demo account, read once from the app database."""
    return {role: principal_of(app_engine, username) for role, username in ACCOUNT_OF_ROLE.items()}


def test_every_role_has_a_demo_account_and_every_page_a_script() -> None:
    assert set(ACCOUNT_OF_ROLE) == set(Role)
    assert set(PAGE_SPECS) == set(PageKey)
    assert {spec.section for spec in PAGE_SPECS.values()} <= set(SECTION_ORDER)
    for spec in PAGE_SPECS.values():
        assert (PROJECT_ROOT / spec.script).is_file(), spec.script
        assert spec.script.startswith("app_pages/")  # never pages/ (docs/design.md §3)
    assert not (PROJECT_ROOT / "pages").exists()
    assert REFUSED, "some page should be refused to some role"
    assert len(ALLOWED) + len(REFUSED) == len(PageKey) * len(Role)


@pytest.mark.parametrize("case", ALLOWED, ids=_case_id)
def test_allowed_role_opens_the_page(case: tuple[PageKey, Role], demo_database) -> None:
    page, role = case
    at = open_page(signed_in_app(ACCOUNT_OF_ROLE[role]), page)
    assert not at.exception, at.exception
    titles = texts(at.title)
    assert len(titles) == 1 and titles[0].startswith(_heading(page)), titles
    assert NO_ACCESS not in texts(at.error)
    assert "Se déconnecter" in [b.label for b in at.sidebar.button]


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_the_role_navigation_registers_its_pages_and_no_refused_page(role: Role, demo_database) -> None:
    at = signed_in_app(ACCOUNT_OF_ROLE[role]).run()
    assert not at.exception, at.exception
    wrong = []
    for page in PageKey:
        try:
            at.switch_page(PAGE_SPECS[page].script)  # registered pages only; nothing runs
        except ValueError as error:
            assert NOT_REGISTERED in str(error), error
            registered = False
        else:
            registered = True
        if registered and role not in EXPECTED_ACCESS[page]:
            wrong.append(f"refused page {page.value} is in the navigation")
        if not registered and role in EXPECTED_ACCESS[page]:
            wrong.append(f"allowed page {page.value} is missing from the navigation")
    assert wrong == []


def _sign_in_as(at: AppTest, username: str) -> AppTest:
    """The same browser session (and so the same page URL) becomes someone else's, then runs."""
    at.session_state["username"] = username
    at.session_state["name"] = username
    return at.run()


@pytest.mark.parametrize("page", PAGES_WITH_REFUSALS, ids=lambda p: p.value)
def test_refused_page_reached_by_its_url_shows_the_home_page(
    page: PageKey, principals: dict[Role, Principal], demo_database
) -> None:
    allowed_role = sorted(EXPECTED_ACCESS[page])[0]
    # A tab left on the page (its URL), then the same browser session is someone else's.
    at = open_page(signed_in_app(ACCOUNT_OF_ROLE[allowed_role]), page)
    assert texts(at.title)[0].startswith(_heading(page))
    wrong = []
    for role in refused_roles(page):
        _sign_in_as(at, ACCOUNT_OF_ROLE[role])
        titles = texts(at.title)
        home = f"{_heading(PageKey.HOME)}{principals[role].display_name}"
        if at.exception or titles != [home]:
            wrong.append(f"{role.value}: {titles} {at.exception or ''}")
    assert wrong == []
    # Back to a role that may open it: the URL asked for the page all along.
    _sign_in_as(at, ACCOUNT_OF_ROLE[allowed_role])
    assert not at.exception, at.exception
    assert texts(at.title)[0].startswith(_heading(page)), texts(at.title)


def _refusal_problems(at: AppTest) -> list[str]:
    """What a run of a page script shows beyond the guard's refusal (nothing, if it refused)."""
    problems = []
    if at.exception:
        problems.append(f"exception {at.exception}")
    if texts(at.error) != [NO_ACCESS]:
        problems.append(f"errors {texts(at.error)}")
    if len(at.main.children) != 1:  # the error and nothing of the page
        problems.append(f"{len(at.main.children)} elements drawn")
    if at.title or at.dataframe or at.text_input or at.metric:
        problems.append("page content drawn")
    return problems


@pytest.mark.parametrize("page", list(PageKey), ids=lambda p: p.value)
def test_page_guard_refuses_the_script_reached_without_login_or_by_a_refused_role(
    page: PageKey, principals: dict[Role, Principal], demo_database
) -> None:
    at = AppTest.from_file(str(PROJECT_ROOT / PAGE_SPECS[page].script), default_timeout=TIMEOUT)
    wrong = {"without login": _refusal_problems(at.run())}
    for role in refused_roles(page):  # the same session, handed to each refused role in turn
        at.session_state[PRINCIPAL_KEY] = principals[role]
        wrong[role.value] = _refusal_problems(at.run())
    assert {who: problems for who, problems in wrong.items() if problems} == {}


# --- home: the figures of each role -----------------------------------------------------------


def _home(username: str) -> AppTest:
    at = signed_in_app(username).run()
    assert not at.exception, at.exception
    return at


def _charts(at: AppTest) -> list:
    return list(at.get("vega_lite_chart"))


def _chart_titles(at: AppTest) -> list[str]:
    """The titles of the charts that have one (a monthly series is a chart of its own, titled with it)."""
    titles = [json.loads(chart.proto.spec).get("title") for chart in _charts(at)]
    return [title["text"] if isinstance(title, dict) else title for title in titles if title]


def _subheaders(at: AppTest) -> list[str]:
    return texts(at.header)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_home_never_shows_a_person_code(role: Role, demo_database) -> None:
    at = _home(ACCOUNT_OF_ROLE[role])
    assert not PERSON_CODE.search(all_text(at))


def test_home_of_direction_shows_files_staffing_and_grant_consumption(demo_database) -> None:
    at = _home("direction")
    labels = metric_labels(at)
    for label in ("Dossiers en file active", "Maraudes ce mois-ci", "ETP financés", "Postes vacants"):
        assert label in labels
    assert "Consommation des subventions" in _subheaders(at)
    assert len(at.dataframe[0].value) >= 1
    # Monthly activity, one chart per series, and grant consumption.
    assert _chart_titles(at) == ["Nouveaux accueils", "Personnes rencontrées en maraude"]
    assert len(_charts(at)) == 3


def test_home_of_financeur_shows_its_grants_and_no_person_figure(demo_database) -> None:
    at = _home("financeur.agrasc")
    assert "Consommation des subventions" in _subheaders(at)
    grants = at.dataframe[0].value["Subvention"].tolist()
    assert grants and all("AGRASC" in name for name in grants), grants
    assert not any("Dossier" in label for label in metric_labels(at))
    assert not any("Dossier" in label or "accueil" in label.lower() for label in metric_labels(at))
    assert len(_charts(at)) >= 1
    text = all_text(at)
    assert "Dossiers en file active" not in text and not PERSON_CODE.search(text)


def test_home_of_admin_shows_accounts_and_no_person_figure(demo_database) -> None:
    at = _home("admin")
    labels = metric_labels(at)
    assert "Comptes actifs" in labels and "Échecs de connexion (24 h)" in labels
    assert not any("Dossier" in label or "accueil" in label.lower() or "Maraude" in label for label in labels)
    assert "Consommation des subventions" not in _subheaders(at)
    assert not _charts(at)


def test_home_of_intervenant_shows_own_files_and_activity(demo_database) -> None:
    at = _home("ts.lyon")
    labels = metric_labels(at)
    for label in ("Dossiers en file active", "Dont je suis référent·e", "Maraudes ce mois-ci"):
        assert label in labels
    assert not any("ETP" in label for label in labels)
    assert "Consommation des subventions" not in _subheaders(at)
    assert _chart_titles(at) == ["Nouveaux accueils", "Personnes rencontrées en maraude"]
    assert len(_charts(at)) == 2


def test_home_of_chef_de_service_shows_files_staffing_and_budget(demo_database) -> None:
    at = _home("chef.lyon")
    labels = metric_labels(at)
    assert "Dossiers en file active" in labels and "ETP financés" in labels
    assert "Consommation des subventions" in _subheaders(at)
    assert _chart_titles(at) == ["Nouveaux accueils", "Personnes rencontrées en maraude"]
    assert len(_charts(at)) == 3


def test_home_of_formateur_shows_its_groups(demo_database) -> None:
    at = _home("fle.lyon")
    labels = metric_labels(at)
    assert "Mes groupes en cours" in labels and "Apprenant·es inscrit·es" in labels
    assert "Dossiers en file active" not in labels
    assert "Heures de présence dans mes groupes" in _subheaders(at)
    assert _chart_titles(at) == ["Heures de présence"]
    assert len(_charts(at)) == 1


def test_home_of_gestion_shows_budget_and_no_person_figure(demo_database) -> None:
    at = _home("gestion")
    labels = metric_labels(at)
    assert "ETP financés" in labels and "Dépenses saisies ce mois-ci" in labels
    assert not any("Dossier" in label for label in labels)
    assert "Consommation des subventions" in _subheaders(at)
    assert _chart_titles(at) == ["Dépenses (€)"]
    assert len(_charts(at)) == 2


def test_home_figures_are_drawn_from_the_seeded_data(demo_database) -> None:
    """The demo data is not empty: the figures a demo shows first are not all zero."""
    at = _home("direction")
    values = {metric.label: metric.value for metric in at.metric}
    assert values["Dossiers en file active"] not in ("0", "")
    chart = _charts(at)[0]
    assert chart.proto.spec  # Altair spec as JSON
