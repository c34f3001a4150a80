"""Every page, for one account of each role, in French and in English, checked by axe-core (issue 19).

axe-core comes from npm, pinned in tests/browser/a11y/package-lock.json and installed by `make install-dev`
(`npm ci`); Playwright injects it into the page (no other download). A page list of its own would miss the
pages added later: the pages of each role come from the app's own table (services/platform/pages.py, in
menu order) and are opened through their menu entry, then once more after switching to English. The login
page is checked in both languages too.

Zero serious or critical violations: a new one fails the test with its rule, impact, target and help URL.
Every page also declares the interface's language on <html> (`lang="fr"`, then `lang="en"`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from models.organisation import Role
from services.platform.pages import PageKey, pages_for
from tests.browser.conftest import WAIT_MS, RunningApp
from tests.browser.journey import an_account, expect_, open_settled, sign_in
from tests.browser.script_runs import poll, wait_settled
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
# Moderate for axe, required here (issue 19): headings in order, no h1 → h3 jump.
ALWAYS_BLOCKING = {"heading-order"}
PAGE_WAIT_MS = 120_000  # the heaviest pages (dashboard, funder space) on a loaded 2-core machine

# One account of each kind, made for this test (tests/browser/journey.py): what another journey does to
# the demo accounts cannot touch it. Sites as the demo's own accounts have them (seed/accounts.py).
ACCOUNTS: dict[Role, dict] = {
    Role.ADMIN: {"site_codes": ()},
    Role.DIRECTION: {"site_codes": ("*",)},
    Role.CHEF_SERVICE: {"site_codes": ("LYO",)},
    Role.INTERVENANT: {"site_codes": ("LYO",)},
    Role.FORMATEUR: {"site_codes": ("LYO",)},
    Role.GESTION: {"site_codes": ()},
    Role.FINANCEUR: {"funder_name": "AGRASC"},
    Role.CHARGE_MISSION: {"site_codes": ("*",)},
}

# Violations the app cannot fix, by (rule, CSS selector axe reports), each with why. Keep it short: every
# entry is also listed in the README (« Accessibilité »).
KNOWN_STREAMLIT_VIOLATIONS: dict[tuple[str, str], str] = {
    # Streamlit's page menu (st.navigation) is a <ul> whose <li> sit inside <div> wrappers: a list with
    # children it may not have, items outside a list. Its markup is Streamlit's React, no option changes it.
    ("list", '[data-testid="stSidebarNav"]'): "Streamlit's menu: <div> between <ul> and <li>",
    ("listitem", '[data-testid="stSidebarNav"]'): "Streamlit's menu: <li> inside a <div>, not its <ul>",
}

# A chart's text alternative: Vega writes its description as the aria-label of the chart's element (role
# graphics-document: the .vega-embed container in Streamlit 1.67, the SVG or canvas in other versions).
_UNNAMED_CHARTS = """() => [...document.querySelectorAll('.vega-embed')]
  .filter(e => !(e.getAttribute('aria-label') || e.querySelector('svg[aria-label], canvas[aria-label]'))).length"""
# Charts draw asynchronously after the run (vega-embed): wait until each has its SVG or canvas.
_CHARTS_DRAWN = "() => [...document.querySelectorAll('.vega-embed')].every(e => e.querySelector('canvas, svg'))"


# axe's violations, each node marked `known` when it is one of KNOWN_STREAMLIT_VIOLATIONS (its rule, inside
# that container). iframes: false — the only frames are the cookie manager's empty components.
_RUN_AXE = """async (known) => {
  const results = await axe.run(document, {resultTypes: ['violations'], iframes: false, elementRef: true});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({
      target: n.target, impact: n.impact, failureSummary: n.failureSummary,
      known: known.some(([rule, container]) => rule === v.id && n.element && n.element.closest(container) !== null),
    })),
  }));
}"""


@dataclass(frozen=True)
class Violation:
    where: str
    rule: str
    impact: str
    target: str
    help_url: str
    summary: str

    def __str__(self) -> str:
        return f"{self.where}: [{self.impact}] {self.rule} on {self.target}\n    {self.summary}\n    {self.help_url}"


@pytest.fixture(scope="module", autouse=True)
def axe_installed() -> None:
    if not AXE.exists():
        skip_or_fail(f"{AXE} is missing (make install-dev runs npm ci in tests/browser/a11y)")


def _axe(page, where: str) -> list[Violation]:
    """Run axe-core on the page as it stands; its serious and critical violations not known to be Streamlit's."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    known = [[rule, container] for rule, container in KNOWN_STREAMLIT_VIOLATIONS]
    results = page.evaluate(_RUN_AXE, known)
    found = []
    for violation in results:
        if violation["impact"] not in BLOCKING and violation["id"] not in ALWAYS_BLOCKING:
            continue
        for node in violation["nodes"]:
            if node["known"]:
                continue
            target = " ".join(json.dumps(part) if not isinstance(part, str) else part for part in node["target"])
            found.append(
                Violation(
                    where,
                    violation["id"],
                    node.get("impact") or violation["impact"],
                    target,
                    violation["helpUrl"],
                    (node.get("failureSummary") or violation["help"]).replace("\n", " "),
                )
            )
    return found


def _check_language(page, expected: str, where: str) -> None:
    poll(
        page,
        lambda: page.evaluate("() => document.documentElement.lang") == expected,
        f'<html lang="{expected}"> on {where}',
        WAIT_MS,
    )


def _settle(page) -> None:
    wait_settled(page, PAGE_WAIT_MS)
    page.wait_for_function(_CHARTS_DRAWN, timeout=PAGE_WAIT_MS)


def _open_by_menu(page, key: PageKey) -> None:
    """Click the page's menu entry, found by its address (the same in both languages), and wait for its run."""
    link = page.get_by_test_id("stSidebarNav").locator(f'a[href$="/{key.value}"]')
    if key is PageKey.HOME:  # the default page is the app's root
        link = page.get_by_test_id("stSidebarNav").locator("a").first
    expect_()(link).to_have_count(1, timeout=WAIT_MS)
    link.click()
    expect_()(page.get_by_role("heading", level=1)).to_have_count(1, timeout=PAGE_WAIT_MS)
    _settle(page)


def _switch_language(page, name: str, code: str) -> None:
    page.get_by_test_id("stSidebar").get_by_text(name, exact=True).click()
    _check_language(page, code, f"the switch to {name}")
    _settle(page)


@pytest.fixture(scope="module")
def durations() -> Iterator[dict[str, float]]:
    measured: dict[str, float] = {}
    yield measured
    total = sum(measured.values())
    lines = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in measured.items())
    print(f"\naxe-core accessibility check: {total:.0f} s in all ({lines})")


def test_the_login_page_has_no_serious_violation_in_french_and_english(
    page, running_app: RunningApp, durations
) -> None:
    started = time.monotonic()
    open_settled(page, running_app.url)
    expect_()(page.get_by_role("button", name="Se connecter")).to_have_count(1, timeout=WAIT_MS)
    _check_language(page, "fr", "the login page")
    found = _axe(page, "login (fr)")
    _switch_language(page, "English", "en")
    expect_()(page.get_by_role("button", name="Sign in")).to_have_count(1, timeout=WAIT_MS)
    found += _axe(page, "login (en)")
    durations["login"] = time.monotonic() - started
    assert not found, "axe-core: serious or critical violations\n" + "\n".join(map(str, found))


@pytest.mark.parametrize("role", list(ACCOUNTS), ids=lambda role: role.value)
def test_every_page_of_the_role_has_no_serious_violation_in_french_and_english(
    new_page, running_app: RunningApp, role: Role, durations
) -> None:
    started = time.monotonic()
    account = an_account(running_app, f"a11y.{role.value}", f"Accès {role.value}", role, **ACCOUNTS[role])
    page = new_page()
    sign_in(page, running_app, account)
    pages = pages_for(role)
    found: list[Violation] = []
    for language, (name, code) in (("fr", ("Français", "fr")), ("en", ("English", "en"))):
        if language == "en":
            _switch_language(page, name, code)
        for key in pages:
            _open_by_menu(page, key)
            where = f"{role.value} {key.value} ({language})"
            _check_language(page, code, where)
            found += _axe(page, where)
            if unnamed := page.evaluate(_UNNAMED_CHARTS):
                found.append(Violation(where, "chart-text-alternative", "serious", f"{unnamed} chart(s)", "", ""))
    durations[role.value] = time.monotonic() - started
    assert not found, f"axe-core: {len(found)} serious or critical violations\n" + "\n".join(map(str, found))


def test_every_role_is_checked() -> None:
    """A role added later gets its pages checked too: its account kind must be listed above."""
    assert set(ACCOUNTS) == set(Role)


def test_the_known_streamlit_violations_are_documented() -> None:
    """Each exclusion says why and is in the README, so a reader knows what axe is not asked about."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for (rule, selector), why in KNOWN_STREAMLIT_VIOLATIONS.items():
        assert why.strip()
        assert f"`{rule}`" in readme and selector in readme, f"README does not name the exclusion {rule} on {selector}"
