"""Single sign-on in a real browser (issue 13, finding 8): `streamlit run app.py` with an [auth] section
pointing at a real OpenID Connect provider started here (oidc-provider-mock), st.login's whole round
trip. An identity opens nothing until its holder links it to their account with the admin's code; then
it opens that account, with its role; logging out revokes it on the server."""

from __future__ import annotations

import importlib.util
import os
import secrets
import subprocess
from collections.abc import Iterator

import pytest

import clock
from models.organisation import Role
from services.accounts import users
from services.platform.config import PROJECT_ROOT, load_settings
from services.platform.db import make_engine, unit_of_work
from services.platform.principal import SYSTEM_ACTOR
from tests.browser.conftest import BIN, WAIT_MS, RunningApp, _free_port, _wait_healthy
from tests.browser.journey import a_lyon_file, expect_
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """A real OpenID Connect provider on a free port: any client, any subject typed on its form."""
    if importlib.util.find_spec("oidc_provider_mock") is None:
        skip_or_fail("oidc-provider-mock is not installed (requirements-dev.lock)")
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def sso_app(running_app: RunningApp, provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """A second server on the browser tests' demo database, with single sign-on configured."""
    workdir = tmp_path_factory.mktemp("sso-app")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    secrets_file = workdir / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "{url}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        'client_id = "parcours"\n'
        f'client_secret = "{secrets.token_urlsafe(16)}"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    secrets_file.chmod(0o600)
    env = os.environ.copy()
    env.pop("DATABASE_URL", None)
    clock_at_start = clock.now()
    env.update(
        {
            "PARCOURS_MODE": "demo",
            "PARCOURS_DATABASE_URL": running_app.database_url,
            "PARCOURS_LOGIN_SLEEP_TIME": "0",
            "PARCOURS_CLOCK": clock_at_start.isoformat(),
        }
    )
    log_path = workdir / "streamlit.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(BIN / "streamlit"),
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
                "--secrets.files",
                str(secrets_file),
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(url, process, log_path)
        yield RunningApp(
            url, running_app.database_url, running_app.demo_password, running_app.cookie_name, log_path, clock_at_start
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _enrolled(app: RunningApp, username: str, display_name: str) -> str:
    engine = make_engine(app.database_url)
    try:
        with clock.pinned(app.clock_at_start), unit_of_work(engine) as session:
            issued = users.enrol_user(
                session,
                load_settings(database_url=app.database_url),
                SYSTEM_ACTOR,
                username=username,
                display_name=display_name,
                role=Role.CHEF_SERVICE,
                site_codes=["LYO"],
            )
    finally:
        engine.dispose()
    return issued.code


def _sign_in_at_the_provider(page, subject: str) -> None:
    expect = expect_()
    button = page.get_by_role("button", name="Se connecter avec l'authentification unique")
    expect(button).to_have_count(1, timeout=WAIT_MS)
    button.click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible(timeout=WAIT_MS)
    page.get_by_placeholder("sub").fill(subject)
    page.get_by_role("button", name="Authorize", exact=True).click()


# The provider runs in this process, where DeprecationWarning is an error (pyproject.toml): oidc-provider-mock
# 0.3.4 (the last release for Python 3.11) still calls an Authlib hook Authlib 1.9 deprecates, which turned
# every token request into a 500. Only that warning is let through.
@pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")
def test_an_identity_opens_the_account_its_holder_linked_with_the_code(page, sso_app: RunningApp) -> None:
    expect = expect_()
    code = _enrolled(sso_app, "chef.sso.navigateur", "Inès Fournisseur")

    page.goto(sso_app.url)
    _sign_in_at_the_provider(page, "ines@asso.example")

    # Back in Parcours: the identity opens no account yet.
    expect(page.get_by_text("L'identité « ines@asso.example » n'ouvre aucun compte Parcours.")).to_be_visible(
        timeout=WAIT_MS
    )
    expect(page.get_by_role("heading", name="Bonjour Inès Fournisseur")).to_have_count(0)
    assert sso_app.audit_count("?compte-inconnu", "login.failure") >= 1

    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Lier cette identité à mon compte"))
    expect(form).to_have_count(1, timeout=WAIT_MS)
    form.get_by_role("textbox", name="Votre identifiant").fill("chef.sso.navigateur")
    form.get_by_role("textbox", name="Code reçu").fill(code)
    form.get_by_role("button", name="Lier cette identité à mon compte").click()

    greeting = page.get_by_role("heading", name="Bonjour Inès Fournisseur", level=1)
    expect(greeting.first).to_be_visible(timeout=WAIT_MS)
    assert sso_app.audit_count("chef.sso.navigateur", "user.sso_linked") == 1
    assert sso_app.audit_count("chef.sso.navigateur", "login.success") == 1
    # Its role's pages, and no password anywhere: the account is the holder's through the provider.
    expect(page.get_by_role("navigation").get_by_role("link", name="File active", exact=True)).to_be_visible()

    # A reload is a new Streamlit session: the provider's cookie signs the holder back in.
    page.reload()
    expect(greeting.first).to_be_visible(timeout=WAIT_MS)

    page.get_by_role("button", name="Se déconnecter").click()
    end_session = page.get_by_role("button", name="End session")
    expect(end_session).to_be_visible(timeout=WAIT_MS)  # the provider offers to end its own session too
    end_session.click()
    expect(page.get_by_role("button", name="Se connecter avec l'authentification unique")).to_be_visible(
        timeout=WAIT_MS
    )
    expect(greeting).to_have_count(0)
    assert sso_app.audit_count("chef.sso.navigateur", "logout") == 1

    # A bookmarked file followed by single sign-on: the provider's round trip comes back to the main page
    # in a new session, and the file the bookmark named opens (not Accueil).
    code = a_lyon_file(sso_app)
    page.goto(f"{sso_app.url}/person_file?code={code}")
    _sign_in_at_the_provider(page, "ines@asso.example")
    heading = page.get_by_role("heading", name=f"Fiche personne · {code}", level=1)
    expect(heading).to_have_count(1, timeout=WAIT_MS)
    expect(greeting).to_have_count(0)
    assert page.url.endswith(f"/person_file?code={code}")

    # Read once: the signed-in runs delete the cookie that carried the link across the round trip.
    def link_cookie_kept() -> bool:
        return "parcours_link" in {cookie["name"] for cookie in page.context.cookies()}

    for _wait in range(WAIT_MS // 500):
        if not link_cookie_kept():
            break
        page.wait_for_timeout(500)
    assert not link_cookie_kept()
