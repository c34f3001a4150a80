"""`make deploy-check`: the deployment kit of deploy/ run on this machine, as an operator would run it.

PostgreSQL (a fresh database with the demo data), two app processes (`streamlit run server.py`, the
command of deploy/systemd/parcours@.service) and nginx with deploy/nginx/parcours.conf itself, only its
ports and paths substituted (a self-signed certificate, logs and temporary files in a temporary folder,
a high port: no root needed but for installing nginx). Then, in chromium through the proxy over HTTPS:
a social worker signs in on one process, a colleague on the other; the first logs an outreach round
and the second sees the month's count go up, on the home page (a figure its process caches) and on
Aller-vers. The systemd units pass `systemd-analyze verify`.

Not collected by `make test` (its name is not test_*.py): it installs nginx when missing and takes a
few minutes. Environment: PARCOURS_DEPLOY_CHECK_POSTGRES (the server, default the local one),
PARCOURS_DEPLOY_CHECK_DB (the database it creates and drops, default parcours_deploy_check).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

import clock
from models.organisation import Role
from services.platform.config import PROJECT_ROOT, Settings
from tests.browser.conftest import BIN, VIEWPORT, WAIT_MS, RunningApp, _free_port, _wait_healthy
from tests.browser.journey import an_account, choose, expect_, open_page, sign_in
from tests.browser.script_runs import watch

pytestmark = pytest.mark.browser

DEPLOY = PROJECT_ROOT / "deploy"
SITE_CONF = DEPLOY / "nginx" / "parcours.conf"
UNITS = DEPLOY / "systemd"
NGINX = Path("/usr/sbin/nginx")
POSTGRES = os.environ.get("PARCOURS_DEPLOY_CHECK_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DATABASE = os.environ.get("PARCOURS_DEPLOY_CHECK_DB", "parcours_deploy_check")
ROUTE_COOKIE = "parcours_route"
HOME_ROUNDS = "Maraudes ce mois-ci"  # a figure of a social worker's home page
# What the check logs of every request nginx proxies: which browser (its sticky key), to which process.
LOG_FORMAT = "log_format upstreams '$parcours_route $upstream_addr \"$request\" $status';"


@dataclass(frozen=True)
class Deployment:
    proxy: RunningApp  # https://127.0.0.1:<port>, through nginx
    http_url: str  # nginx's plain HTTP port
    backends: tuple[str, str]  # 127.0.0.1:<port> of the two app processes
    access_log: Path

    def routes(self) -> list[tuple[str, str, str]]:
        """(sticky key, process, "GET /path") of every request nginx has proxied so far."""
        rows = []
        for line in self.access_log.read_text().splitlines():
            key, upstream, request = line.split(" ", 2)  # request: "GET /path HTTP/1.1" 200
            rows.append((key, upstream, request.rsplit(" ", 1)[0].strip('"').rsplit(" ", 1)[0]))
        return rows


# --- the machine -----------------------------------------------------------------------------------


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(command[:3])}… failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def _nginx() -> Path:
    """Debian's nginx, installed if missing (what the README's first step does)."""
    if not NGINX.exists():
        if os.geteuid() != 0:
            pytest.fail("nginx is missing: sudo apt-get install -y nginx-light")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        _run(["apt-get", "install", "-y", "-qq", "nginx-light"], env=env, timeout=600)
    return NGINX


def _database() -> Iterator[str]:
    admin_url = make_url(Settings(database_url=POSTGRES).database_url)
    if subprocess.run(
        ["pg_isready", "-q", "-h", admin_url.host or "127.0.0.1", "-p", str(admin_url.port or 5432)]
    ).returncode:
        clusters = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
        if not clusters:
            pytest.fail(f"PostgreSQL does not answer at {admin_url.host} and none is installed here")
        _run(["pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1], "main", "start"], timeout=60)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{DATABASE}"'))
    try:
        yield admin_url.set(database=DATABASE).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        admin.dispose()


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    _run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        timeout=60,
    )
    return cert, key


def _substitute(text: str, old: str, new: str, count: int = 1) -> str:
    """Replace `old`, found exactly `count` times: a shipped file that changed shape fails here, loudly."""
    found = text.count(old)
    if found != count:
        pytest.fail(f"deploy/nginx/parcours.conf: expected {count}× {old!r}, found {found}")
    return text.replace(old, new)


def render_site(folder: Path, *, backends: tuple[int, int], https: int, http: int) -> Path:
    """deploy/nginx/parcours.conf with this machine's ports, certificate and log paths."""
    cert, key = _certificate(folder)
    site = SITE_CONF.read_text()
    for shipped, port in zip(("127.0.0.1:8501 ", "127.0.0.1:8502 "), backends, strict=True):
        site = _substitute(site, shipped, f"127.0.0.1:{port} ")
    site = _substitute(site, "    listen [::]:80;\n", "")
    site = _substitute(site, "    listen [::]:443 ssl http2;\n", "")
    site = _substitute(site, "listen 80;", f"listen 127.0.0.1:{http};")
    site = _substitute(site, "listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;")
    site = _substitute(site, "return 301 https://$host$request_uri;", f"return 301 https://$host:{https}$request_uri;")
    site = _substitute(site, "/etc/ssl/parcours/fullchain.pem", str(cert))
    site = _substitute(site, "/etc/ssl/parcours/privkey.pem", str(key))
    site = _substitute(site, "/var/log/nginx/parcours.access.log;", f"{folder / 'access.log'} upstreams;")
    site = _substitute(site, "/var/log/nginx/parcours.error.log", str(folder / "site-error.log"))
    (folder / "parcours.conf").write_text(site)
    main = folder / "nginx.conf"
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main.write_text(
        ("user root root;\n" if os.geteuid() == 0 else "")  # workers may then use the temporary folder
        + f"daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} warn;\n"
        + f"events {{ worker_connections 256; }}\nhttp {{\n{temp}\n    {LOG_FORMAT}\n"
        + f"    include {folder / 'parcours.conf'};\n}}\n"
    )
    return main


def _render_units(folder: Path) -> list[Path]:
    """The shipped units with the project's checkout as /opt/parcours, one instance of the template."""
    folder.mkdir()
    (folder / "parcours.env").write_text("PARCOURS_MODE=production\n")
    rendered = []
    for unit in sorted(UNITS.iterdir()):
        text = unit.read_text().replace("/opt/parcours", str(PROJECT_ROOT))
        text = text.replace("/etc/parcours/parcours.env", str(folder / "parcours.env"))
        name = unit.name.replace("@.service", "@8501.service")
        (folder / name).write_text(text)
        rendered.append(folder / name)
    return rendered


def _start_app(port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with log_path.open("w") as log:
        return subprocess.Popen(
            [
                *(str(BIN / "streamlit"), "run", "server.py", "--server.port", str(port)),
                *("--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"),
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _insecure() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the check's own self-signed certificate
    return context


def _get(url: str, cookie: str | None = None) -> tuple[int, Message]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=_insecure()))
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    started = time.monotonic()
    nginx = _nginx()
    folder = tmp_path_factory.mktemp("deploy")
    database = _database()
    database_url = next(database)
    processes: list[subprocess.Popen] = []
    try:
        env = os.environ.copy()
        env.pop("DATABASE_URL", None)
        env.update(
            {
                "PARCOURS_MODE": "demo",  # demo data to sign in with; production is checked by tests/ops
                "PARCOURS_DATABASE_URL": database_url,
                # One pair of keys for every process: a cookie signed by one is read by the other.
                "PARCOURS_COOKIE_KEY": Fernet.generate_key().decode(),
                "PARCOURS_ENCRYPTION_KEY": Fernet.generate_key().decode(),
                "PARCOURS_LOGIN_SLEEP_TIME": "0",
                "PARCOURS_CLOCK": clock.now().isoformat(),
            }
        )
        _run([str(BIN / "python"), "-m", "ops.bootstrap"], cwd=PROJECT_ROOT, env=env, timeout=300)
        print(f"\ndeploy-check: database made and seeded in {time.monotonic() - started:.0f} s")
        clock_at_start = clock.now()
        env["PARCOURS_CLOCK"] = clock_at_start.isoformat()
        ports = (_free_port(), _free_port())
        for index, port in enumerate(ports):
            processes.append(_start_app(port, env, folder / f"app-{index}.log"))

        https, http = _free_port(), _free_port()
        main = render_site(folder, backends=ports, https=https, http=http)
        _run([str(nginx), "-t", "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(main)], timeout=30)
        with (folder / "nginx.out").open("w") as out:
            processes.append(
                subprocess.Popen(
                    [str(nginx), "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(main)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        for index, port in enumerate(ports):
            _wait_healthy(f"http://127.0.0.1:{port}", processes[index], folder / f"app-{index}.log")
        print(f"deploy-check: database, two processes and nginx up in {time.monotonic() - started:.0f} s")
        settings = Settings(database_url=database_url, cookie_key=env["PARCOURS_COOKIE_KEY"])
        proxy = RunningApp(
            f"https://127.0.0.1:{https}",
            database_url,
            settings.demo_password,
            settings.cookie_name,
            folder / "app-0.log",
            clock_at_start,
        )
        yield Deployment(
            proxy, f"http://127.0.0.1:{http}", tuple(f"127.0.0.1:{p}" for p in ports), folder / "access.log"
        )
    finally:
        for process in reversed(processes):
            _stop(process, signal.SIGQUIT if process.args[0] == str(nginx) else signal.SIGTERM)
        database.close()
        shutil.rmtree(folder, ignore_errors=True)


# --- the checks ------------------------------------------------------------------------------------


def test_the_systemd_units_pass_systemd_analyze(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: apt-get install -y systemd")
    units = _render_units(tmp_path / "units")
    done = subprocess.run([analyze, "verify", "--man=no", *map(str, units)], capture_output=True, text=True)
    # An unknown key is only a warning (exit 0): any message fails.
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_plain_http_is_sent_to_https_and_https_answers_with_hsts(deployment: Deployment) -> None:
    status, headers = _get(f"{deployment.http_url}/some/page?x=1")
    assert status == 301
    assert headers["Location"] == f"{deployment.proxy.url}/some/page?x=1"
    status, headers = _get(f"{deployment.proxy.url}/_stcore/health")
    assert status == 200
    assert headers["Strict-Transport-Security"].startswith("max-age=63072000")
    route = [cookie for cookie in headers.get_all("Set-Cookie") if cookie.startswith(f"{ROUTE_COOKIE}=")]
    assert len(route) == 1 and "; Secure" in route[0] and "; HttpOnly" in route[0]


def _key_for(deployment: Deployment, backend: str) -> str:
    """A sticky key that nginx's hash sends to `backend` (found by asking, as a browser would)."""
    for attempt in range(64):
        key = f"check-{attempt}"
        _get(f"{deployment.proxy.url}/_stcore/health", cookie=f"{ROUTE_COOKIE}={key}")
        time.sleep(0.05)  # the log line is written once the answer is sent
        if (key, backend, "GET /_stcore/health") in deployment.routes():
            return key
    pytest.fail(f"no sticky key out of 64 reaches {backend}: is the upstream hashing on {ROUTE_COOKIE}?")


def _browser_tab(browser, deployment: Deployment, key: str | None = None):
    context = browser.new_context(locale="fr-FR", viewport=VIEWPORT, ignore_https_errors=True)
    if key is not None:
        context.add_cookies([{"name": ROUTE_COOKIE, "value": key, "url": deployment.proxy.url, "secure": True}])
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)
    watch(tab)
    return tab


def _sticky_key(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == ROUTE_COOKIE)


def _process_of(deployment: Deployment, key: str, *, streams: bool = False) -> str:
    """The one process every request of the browser holding `key` went to (nginx logs a request when it
    ends: a WebSocket once closed, so `streams` only after the tab is)."""
    routes = [(upstream, request) for k, upstream, request in deployment.routes() if k == key]
    upstreams = {upstream for upstream, _ in routes}
    assert len(upstreams) == 1, f"the requests of the browser {key} went to {upstreams or 'no process'}"
    if streams:
        assert any("/_stcore/stream" in request for _, request in routes), f"no WebSocket of {key} through nginx"
    return upstreams.pop()


def _rounds(page, label: str = "Maraudes") -> int:
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    expect_()(metric).to_have_count(1, timeout=WAIT_MS)
    return int(re.sub(r"\D", "", metric.get_by_test_id("stMetricValue").inner_text()))


def _wait_rounds(page, expected: int, label: str = "Maraudes") -> None:
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    digits = re.compile(rf"^{expected // 1000}\D?{expected % 1000:03d}$" if expected >= 1000 else rf"^{expected}$")
    expect_()(metric.get_by_test_id("stMetricValue")).to_have_text(digits, timeout=WAIT_MS)


def _log_a_round(page) -> None:
    expect = expect_()
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Enregistrer la maraude"))
    expect(form).to_have_count(1, timeout=WAIT_MS)
    hour = form.get_by_role("spinbutton", name="heure, Heure de début", exact=True)
    hour.click()
    page.keyboard.type("2130")  # st.time_input is an hour / minute segmented field
    expect(hour).to_have_text("21")
    form.get_by_role("spinbutton", name="Durée (minutes)").fill("90")
    choose(form, "Secteur ou plateforme", "Périphérie")
    form.get_by_role("spinbutton", name="Personnes rencontrées").fill("7")
    form.get_by_role("button", name="Enregistrer la maraude").click()
    expect(page.get_by_text(re.compile(r"^Maraude du .+ enregistrée\.$")).first).to_be_visible(timeout=WAIT_MS)


def test_a_round_logged_on_one_process_is_seen_on_the_other(browser, deployment: Deployment) -> None:
    app = deployment.proxy
    first = an_account(app, "ts.lyon.deploy.a", "Inès Royer", Role.INTERVENANT, site_codes=("LYO",))
    second = an_account(app, "ts.lyon.deploy.b", "Malik Benali", Role.INTERVENANT, site_codes=("LYO",))

    # A browser with no sticky key yet: nginx gives it one and a process, over HTTPS and a WebSocket.
    writer = _browser_tab(browser, deployment)
    sign_in(writer, app, first)
    writer_key = _sticky_key(writer)
    writer_process = _process_of(deployment, writer_key)
    other_process = next(backend for backend in deployment.backends if backend != writer_process)
    # A colleague whose browser nginx sends to the other process.
    reader_key = _key_for(deployment, other_process)
    reader = _browser_tab(browser, deployment, reader_key)
    sign_in(reader, app, second)
    # The home figures are cached by each process, keyed by the data version (services/platform/data_version.py).
    home_before = _rounds(reader, HOME_ROUNDS)

    open_page(reader, "Aller-vers")
    rounds_before = _rounds(reader)  # whatever the reader's process keeps, it has now drawn the figures
    open_page(writer, "Aller-vers")
    assert _rounds(writer) == rounds_before
    _log_a_round(writer)
    _wait_rounds(writer, rounds_before + 1)

    open_page(reader, "Accueil", re.compile("^Bonjour"))
    _wait_rounds(reader, home_before + 1, HOME_ROUNDS)  # the other process's cache follows the write
    open_page(reader, "Aller-vers")
    _wait_rounds(reader, rounds_before + 1)  # not the figure of before the write
    writer.context.close()
    reader.context.close()
    time.sleep(0.5)  # nginx logs the closed WebSockets
    assert _process_of(deployment, writer_key, streams=True) == writer_process
    assert _process_of(deployment, reader_key, streams=True) == other_process
