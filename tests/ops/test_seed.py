"""The synthetic data set: deterministic, coherent, and its identities encrypted at rest."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine

from models.partners import OUTCOME_CATEGORY_OF_TYPE, OutcomeType
from models.persons import Person
from seed.__main__ import main as seed_main
from seed.generator import database_is_empty, seed_database
from services.accounts.demo import AGRASC_FUNDER_NAME, DEMO_ACCOUNTS, DEMO_USERNAMES
from services.accounts.passwords import hash_password, verify_password
from services.persons import alias_index
from services.platform import config, data_version
from services.platform.crypto import FieldCipher
from services.platform.db import make_engine, unit_of_work, upgrade_to_head

AS_OF = date(2026, 5, 13)
PASSWORD = "mot-de-passe-de-demo"
# Tables whose rows belong to a person and carry that person's site.
PERSON_CHILD_TABLES = [
    "person_note",
    "barrier_assessment",
    "action_goal",
    "psp_episode",
    "referral",
    "outcome",
    "workshop_enrolment",
    "workshop_attendance",
    "workshop_completion",
    "course_enrolment",
    "course_attendance",
    "language_assessment",
    "certification_attempt",
    "mainstream_transition",
]


@dataclass
class Seeded:
    engine: Engine
    path: Path
    cipher: FieldCipher
    counts: dict[str, int]
    empty_before: bool


def _seed(path: Path, *, cipher: FieldCipher, password_hash: str) -> Seeded:
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    empty_before = database_is_empty(engine)
    counts = seed_database(engine, size="demo", as_of=AS_OF, cipher=cipher, demo_password_hash=password_hash)
    return Seeded(engine, path, cipher, counts, empty_before)


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD, rounds=4)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, password_hash: str):
    result = _seed(
        tmp_path_factory.mktemp("seed") / "demo.db",
        cipher=FieldCipher([Fernet.generate_key().decode()]),
        password_hash=password_hash,
    )
    yield result
    result.engine.dispose()


def rows(engine: Engine, sql: str, **params: object) -> list[sa.Row]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text(sql), params))


def scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as connection:
        return connection.execute(sa.text(sql), params).scalar_one()


def test_database_is_empty_before_seeding_and_not_after(seeded: Seeded, tmp_path: Path) -> None:
    assert seeded.empty_before
    assert not database_is_empty(seeded.engine)
    unmigrated = make_engine(f"sqlite:///{tmp_path / 'nothing.db'}")
    assert database_is_empty(unmigrated)
    unmigrated.dispose()


def test_seeding_refuses_a_database_that_holds_data(seeded: Seeded, password_hash: str) -> None:
    with pytest.raises(RuntimeError):
        seed_database(seeded.engine, as_of=AS_OF, cipher=seeded.cipher, demo_password_hash=password_hash)


def test_demo_size_has_four_sites_and_about_300_persons(seeded: Seeded) -> None:
    sites = dict(rows(seeded.engine, "SELECT code, (SELECT COUNT(*) FROM person p WHERE p.site_id = s.id) FROM site s"))
    assert set(sites) == {"LYO", "GRE", "MRS", "PAR"}
    assert sum(sites.values()) == 300 == seeded.counts["person"]
    assert min(sites["LYO"], sites["GRE"]) > max(sites["MRS"], sites["PAR"])
    codes = [code for (code,) in rows(seeded.engine, "SELECT p.code FROM person p")]
    assert all(code.split("-")[0] in sites and len(code.split("-")[2]) == 4 for code in codes)


def test_same_as_of_gives_the_same_data(seeded: Seeded, tmp_path: Path, password_hash: str) -> None:
    cipher = FieldCipher([Fernet.generate_key().decode()])
    other = _seed(tmp_path / "again.db", cipher=cipher, password_hash=password_hash)
    try:
        assert other.counts == seeded.counts
        query = "SELECT code, status, intake_on, last_contact_on FROM person ORDER BY id"
        assert rows(other.engine, query) == rows(seeded.engine, query)
        query = "SELECT session_id, person_id, status FROM course_attendance ORDER BY id"
        assert rows(other.engine, query) == rows(seeded.engine, query)
    finally:
        other.engine.dispose()


def test_the_nine_demo_accounts_exist_with_their_role_sites_and_funder(seeded: Seeded) -> None:
    all_sites = {code for (code,) in rows(seeded.engine, "SELECT code FROM site")}
    assert len(DEMO_ACCOUNTS) == 9
    assert set(DEMO_USERNAMES) == {
        "admin",
        "direction",
        "chef.lyon",
        "ts.lyon",
        "cip.grenoble",
        "fle.lyon",
        "gestion",
        "financeur.agrasc",
        "mission.nationale",
    }
    for account in DEMO_ACCOUNTS:
        user = rows(
            seeded.engine,
            "SELECT u.id, u.role, u.is_demo, u.is_active, u.password_hash, f.name AS funder "
            "FROM app_user u LEFT JOIN funder f ON f.id = u.funder_id WHERE u.username = :name",
            name=account.username,
        )[0]
        assert user.role == account.role.value and user.is_demo and user.is_active
        assert verify_password(PASSWORD, user.password_hash)
        assert user.funder == account.funder_name
        linked = {
            code
            for (code,) in rows(
                seeded.engine,
                "SELECT s.code FROM user_site us JOIN site s ON s.id = us.site_id WHERE us.user_id = :id",
                id=user.id,
            )
        }
        assert linked == (all_sites if account.all_sites else set(account.site_codes)), account.username
    assert rows(
        seeded.engine,
        "SELECT u.username FROM app_user u JOIN funder f ON f.id = u.funder_id "
        "WHERE f.name = :name AND f.kind = 'agrasc'",
        name=AGRASC_FUNDER_NAME,
    ) == [("financeur.agrasc",)]
    assert scalar(seeded.engine, "SELECT COUNT(*) FROM app_user WHERE username <> LOWER(username) OR NOT is_demo") == 0


def test_fle_lyon_teaches_every_lyon_group(seeded: Seeded) -> None:
    groups = rows(
        seeded.engine,
        "SELECT g.id, (SELECT COUNT(*) FROM course_teacher t JOIN app_user u ON u.id = t.user_id "
        "WHERE t.group_id = g.id AND u.username = 'fle.lyon') FROM course_group g JOIN site s ON s.id = g.site_id "
        "WHERE s.code = 'LYO'",
    )
    assert groups and all(teaches == 1 for _, teaches in groups)


def test_budget_lines_sum_exactly_to_each_grant(seeded: Seeded) -> None:
    grants = rows(
        seeded.engine,
        "SELECT g.id, g.amount_cents, f.kind, g.starts_on, g.ends_on, "
        "(SELECT SUM(planned_cents) FROM budget_line b WHERE b.grant_id = g.id) AS planned "
        "FROM grant g JOIN funder f ON f.id = g.funder_id",
    )
    assert len(grants) >= 2
    for grant in grants:
        assert grant.planned == grant.amount_cents
    agrasc = [g for g in grants if g.kind == "agrasc"]
    assert len(agrasc) == 1
    sites = {
        code
        for (code,) in rows(
            seeded.engine,
            "SELECT s.code FROM grant_site gs JOIN site s ON s.id = gs.site_id WHERE gs.grant_id = :id",
            id=agrasc[0].id,
        )
    }
    assert sites == {"LYO", "GRE"}
    strands = {name for (name,) in rows(seeded.engine, "SELECT name FROM strand WHERE grant_id = :id", id=agrasc[0].id)}
    assert strands == {"Aller-vers", "Insertion socio-professionnelle"}
    start, end = date.fromisoformat(str(agrasc[0].starts_on)), date.fromisoformat(str(agrasc[0].ends_on))
    assert (end.year - start.year) * 12 + end.month - start.month + 1 == 18
    assert scalar(seeded.engine, "SELECT COUNT(*) FROM budget_line WHERE accounting_code IS NULL") == 0
    assert scalar(seeded.engine, "SELECT COUNT(*) FROM expense WHERE import_id IS NOT NULL") > 0


def test_post_funding_shares_sum_to_10000(seeded: Seeded) -> None:
    shares = rows(
        seeded.engine, "SELECT p.id, SUM(f.share_bp) FROM post p JOIN post_funding f ON f.post_id = p.id GROUP BY p.id"
    )
    assert shares and all(total == 10_000 for _, total in shares)
    assert len(shares) == seeded.counts["post"]
    # 2–3 posts vacant today for more than 60 days (the alert of the consumption page)
    vacant = rows(seeded.engine, "SELECT status_since FROM post WHERE NOT is_filled")
    assert 2 <= len(vacant) <= 3 and all((AS_OF - date.fromisoformat(str(v))).days > 60 for (v,) in vacant)
    # each post's current state is the last row of its history; every share goes to a 64 line of its site
    assert (
        scalar(
            seeded.engine,
            "SELECT COUNT(*) FROM post p WHERE NOT EXISTS (SELECT 1 FROM post_status_change c "
            "WHERE c.post_id = p.id AND c.changed_on = p.status_since AND c.is_filled = p.is_filled "
            "AND NOT EXISTS (SELECT 1 FROM post_status_change d WHERE d.post_id = p.id "
            "AND d.changed_on > c.changed_on))",
        )
        == 0
    )
    assert (
        scalar(
            seeded.engine,
            "SELECT COUNT(*) FROM post_funding f JOIN post p ON p.id = f.post_id "
            "WHERE NOT EXISTS (SELECT 1 FROM budget_line l WHERE l.grant_id = f.grant_id "
            "AND l.strand_id = f.strand_id AND l.category = '64' "
            "AND (l.site_id = p.site_id OR (l.site_id IS NULL AND p.site_id IS NULL)))",
        )
        == 0
    )


def test_the_national_posts_lines_and_expenses_belong_to_no_site(seeded: Seeded) -> None:
    """The two national project officers hold posts of no site, funded 70 % by the national subsidy and 30 % by
    the AGRASC project's national coordination; the national grant's lines are all national, the AGRASC's
    national lines are its staff and its travel and meetings (62), each with expenses; nothing else has no site."""
    national_posts = rows(seeded.engine, "SELECT post_type, is_filled FROM post WHERE site_id IS NULL ORDER BY id")
    assert [tuple(r) for r in national_posts] == [("national_project_officer", True)] * 2
    assert scalar(seeded.engine, "SELECT COUNT(*) FROM post WHERE post_type = 'national_project_officer'") == 2
    shares = rows(
        seeded.engine,
        'SELECT g.convention_ref, f.share_bp FROM post_funding f JOIN post p ON p.id = f.post_id JOIN "grant" g '
        "ON g.id = f.grant_id WHERE p.site_id IS NULL ORDER BY p.id, g.id",
    )
    assert [(ref.split("-")[0], bp) for ref, bp in shares] == [("AGRASC", 3000), ("SDFE", 7000)] * 2
    by_grant = dict(
        rows(
            seeded.engine,
            'SELECT g.convention_ref, COUNT(*) FROM budget_line l JOIN "grant" g ON g.id = l.grant_id '
            "WHERE l.site_id IS NULL GROUP BY g.convention_ref",
        )
    )
    assert {ref.split("-")[0]: n for ref, n in by_grant.items()} == {"AGRASC": 4, "SDFE": 16}  # 2 × 2, 2 × 8
    assert (
        scalar(
            seeded.engine,
            'SELECT COUNT(*) FROM budget_line l JOIN "grant" g ON g.id = l.grant_id '
            "WHERE g.convention_ref LIKE 'SDFE%' AND l.site_id IS NOT NULL",
        )
        == 0
    )
    # every national line's expenses are national, every site line's are its site's
    assert (
        scalar(
            seeded.engine,
            "SELECT COUNT(*) FROM expense e JOIN budget_line l ON l.id = e.budget_line_id "
            "WHERE NOT (e.site_id = l.site_id OR (e.site_id IS NULL AND l.site_id IS NULL))",
        )
        == 0
    )
    national_spent = dict(
        rows(
            seeded.engine,
            "SELECT l.category, COUNT(*) FROM expense e JOIN budget_line l ON l.id = e.budget_line_id "
            "JOIN \"grant\" g ON g.id = l.grant_id WHERE e.site_id IS NULL AND g.convention_ref LIKE 'AGRASC%' "
            "GROUP BY l.category",
        )
    )
    assert set(national_spent) == {"64", "62"} and min(national_spent.values()) > 0


def test_demo_schedules_receipts_and_recruitments_hold_together(seeded: Seeded) -> None:
    """Each grant's tranches sum to its amount, nothing is received or sent after today, each grant has its
    interim and final report, and each recruitment plan starts inside a grant funding its post; a report is
    overdue (once one is due) and a funded post is late to fill (what the home pages show)."""
    day = {"d": AS_OF.isoformat()}
    assert (
        rows(
            seeded.engine,
            'SELECT g.id FROM "grant" g WHERE g.amount_cents <> (SELECT SUM(t.expected_cents) FROM grant_tranche t '
            "WHERE t.grant_id = g.id)",
        )
        == []
    )
    assert scalar(seeded.engine, "SELECT COUNT(*) FROM grant_tranche WHERE received_on IS NOT NULL") > 0
    assert scalar(seeded.engine, "SELECT COUNT(*) FROM grant_tranche WHERE received_on > :d", **day) == 0
    assert scalar(seeded.engine, "SELECT COUNT(*) FROM grant_report WHERE submitted_on > :d", **day) == 0
    assert scalar(seeded.engine, "SELECT COUNT(*) FROM grant_report") == 2 * seeded.counts["grant"]
    assert (
        scalar(
            seeded.engine, "SELECT COUNT(*) FROM grant_tranche WHERE received_on IS NULL AND expected_on < :d", **day
        )
        > 0
    )
    assert (
        scalar(seeded.engine, "SELECT COUNT(*) FROM grant_report WHERE submitted_on IS NULL AND due_on < :d", **day) > 0
    )
    assert (
        scalar(
            seeded.engine,
            "SELECT COUNT(*) FROM post_recruitment r WHERE NOT EXISTS (SELECT 1 FROM post_funding f "
            'JOIN "grant" g ON g.id = f.grant_id WHERE f.post_id = r.post_id '
            "AND r.planned_start_on BETWEEN g.starts_on AND g.ends_on)",
        )
        == 0
    )
    late = "SELECT COUNT(*) FROM post_recruitment WHERE started_on IS NULL AND planned_start_on < :d"
    assert scalar(seeded.engine, late, **day) >= 1


def test_staff_expenses_are_the_charges_of_the_posts(seeded: Seeded) -> None:
    """Every expense on a 64 line is a post's monthly charge, with the amounts
    services.finance.staffing.charges computes."""
    from sqlmodel import Session, select

    from clock import month_end, month_start
    from models.organisation import User
    from services.accounts.auth import principal_of
    from services.finance.staffing.charges import last_ended_month, plan_month

    assert (
        scalar(
            seeded.engine,
            "SELECT COUNT(*) FROM expense e JOIN budget_line l ON l.id = e.budget_line_id "
            "WHERE l.category = '64' AND e.post_id IS NULL",
        )
        == 0
    )
    with Session(seeded.engine) as session:
        gestion = principal_of(session, session.exec(select(User).where(User.username == "gestion")).one())
        for back in range(12):
            month = month_start(last_ended_month(AS_OF), -back)
            plan = plan_month(session, gestion, month=month, today=AS_OF)
            booked = {
                (r.post_id, r.budget_line_id): r.amount_cents
                for r in rows(
                    seeded.engine,
                    "SELECT post_id, budget_line_id, amount_cents FROM expense "
                    "WHERE post_id IS NOT NULL AND spent_on = :day",
                    day=month_end(month),
                )
            }
            assert booked == {(c.post_id, c.budget_line_id): c.amount_cents for c in plan.charges}, month
            assert all(c.already_charged for c in plan.charges)


def test_attendance_is_by_enrolled_persons_of_the_sessions_site(seeded: Seeded) -> None:
    assert seeded.counts["workshop_attendance"] > 0 and seeded.counts["course_attendance"] > 0
    workshop_strays = scalar(
        seeded.engine,
        "SELECT COUNT(*) FROM workshop_attendance a JOIN workshop_session s ON s.id = a.session_id "
        "JOIN person p ON p.id = a.person_id WHERE a.site_id <> s.site_id OR p.site_id <> s.site_id "
        "OR NOT EXISTS (SELECT 1 FROM workshop_enrolment e WHERE e.person_id = a.person_id "
        "AND e.site_id = s.site_id AND e.cycle_start_on <= s.session_on "
        "AND (e.left_on IS NULL OR e.left_on >= s.session_on))",
    )
    course_strays = scalar(
        seeded.engine,
        "SELECT COUNT(*) FROM course_attendance a JOIN course_session s ON s.id = a.session_id "
        "JOIN person p ON p.id = a.person_id WHERE a.site_id <> s.site_id OR p.site_id <> s.site_id "
        "OR NOT EXISTS (SELECT 1 FROM course_enrolment e WHERE e.person_id = a.person_id "
        "AND e.group_id = s.group_id AND e.enrolled_on <= s.session_on "
        "AND (e.left_on IS NULL OR e.left_on >= s.session_on))",
    )
    assert (workshop_strays, course_strays) == (0, 0)
    statuses = {status for (status,) in rows(seeded.engine, "SELECT DISTINCT status FROM workshop_attendance")}
    assert statuses == {"present", "excused", "absent"}


def test_person_records_share_their_persons_site_and_referent_site(seeded: Seeded) -> None:
    for table in PERSON_CHILD_TABLES:
        mismatched = scalar(
            seeded.engine,
            f"SELECT COUNT(*) FROM {table} c JOIN person p ON p.id = c.person_id WHERE c.site_id <> p.site_id",
        )
        assert mismatched == 0, table
    assert (
        scalar(
            seeded.engine,
            "SELECT COUNT(*) FROM person p WHERE NOT EXISTS (SELECT 1 FROM user_site us "
            "WHERE us.user_id = p.referent_id AND us.site_id = p.site_id)",
        )
        == 0
    )


def test_outcomes_psp_and_contacts_are_consistent(seeded: Seeded) -> None:
    for outcome_type, category in rows(seeded.engine, "SELECT outcome_type, category FROM outcome"):
        assert OUTCOME_CATEGORY_OF_TYPE[OutcomeType(outcome_type)].value == category
    periods = Counter(episode for (episode,) in rows(seeded.engine, "SELECT episode_id FROM psp_period"))
    assert periods and max(periods.values()) <= 4
    assert (
        scalar(
            seeded.engine,
            "SELECT COUNT(*) FROM person WHERE last_contact_on IS NULL "
            "OR last_contact_on < intake_on OR last_contact_on > :as_of",
            as_of=AS_OF,
        )
        == 0
    )
    closing = "SELECT COUNT(*) FROM person WHERE (status = 'closed') <> (closed_on IS NOT NULL)"
    assert scalar(seeded.engine, closing) == 0
    assert scalar(seeded.engine, "SELECT COUNT(*) FROM person WHERE version <> 1") == 0


def test_aliases_are_not_stored_in_clear(seeded: Seeded) -> None:
    tokens = [token for (token,) in rows(seeded.engine, "SELECT alias_encrypted FROM person ORDER BY id")]
    aliases = [seeded.cipher.decrypt(token) for token in tokens]
    alias = next(a for a in aliases if len(a) >= 8 and a.isalpha())  # shorter words turn up in base64 by chance
    seeded.engine.dispose()  # checkpoint the WAL into the file
    stored = b"".join(p.read_bytes() for p in seeded.path.parent.glob(f"{seeded.path.name}*"))
    assert alias.encode("utf-8") not in stored
    assert tokens[0].encode("ascii") in stored  # the file does hold the ciphertext


def test_there_is_activity_in_the_month_of_as_of_and_sessions_ahead(seeded: Seeded) -> None:
    month_start = AS_OF.replace(day=1).isoformat()
    as_of = AS_OF.isoformat()
    rounds = scalar(
        seeded.engine, "SELECT COUNT(*) FROM outreach_round WHERE round_on BETWEEN :a AND :b", a=month_start, b=as_of
    )
    attended = scalar(
        seeded.engine,
        "SELECT COUNT(*) FROM course_attendance a JOIN course_session s ON s.id = a.session_id "
        "WHERE s.session_on BETWEEN :a AND :b AND a.status = 'present'",
        a=month_start,
        b=as_of,
    )
    contacted = scalar(seeded.engine, "SELECT COUNT(*) FROM person WHERE last_contact_on >= :a", a=month_start)
    ahead = (AS_OF + timedelta(days=28)).isoformat()
    planned = scalar(
        seeded.engine,
        "SELECT (SELECT COUNT(*) FROM workshop_session WHERE session_on > :b AND session_on <= :c) "
        "+ (SELECT COUNT(*) FROM course_session WHERE session_on > :b AND session_on <= :c)",
        b=as_of,
        c=ahead,
    )
    assert rounds > 0 and attended > 0 and contacted > 0 and planned > 0
    assert scalar(seeded.engine, "SELECT MIN(round_on) FROM outreach_round") >= str(AS_OF.replace(year=AS_OF.year - 3))


def test_command_line_seeds_then_leaves_a_full_database_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(config, "DATA_DIR", tmp_path)
    monkeypatch.setattr(config, "DEMO_SECRETS_FILE", tmp_path / "secrets.json")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert seed_main(["--database-url", url, "--as-of", AS_OF.isoformat()]) == 0
    assert "lignes insérées" in capsys.readouterr().out
    assert seed_main(["--database-url", url, "--if-empty"]) == 0
    assert "rien à faire" in capsys.readouterr().out
    assert seed_main(["--database-url", url]) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("scratch_database_url", ["postgresql"], indirect=True)
def test_postgresql_gets_the_same_data_and_usable_sequences(
    scratch_database_url: str, seeded: Seeded, password_hash: str
) -> None:
    """PostgreSQL is loaded with COPY: same rows as SQLite, and the app can still insert afterwards; an app
    process that counted the persons before the load counts them again after it (COPY moves no version)."""
    engine = make_engine(scratch_database_url)
    app = make_engine(scratch_database_url)
    try:
        upgrade_to_head(engine)
        assert _persons_counted_by_a_cached_figure(app) == 0
        counts = seed_database(engine, as_of=AS_OF, cipher=seeded.cipher, demo_password_hash=password_hash)
        assert counts == seeded.counts
        assert _persons_counted_by_a_cached_figure(app) == counts["person"] == 300
        query = "SELECT code, status, gender, intake_on, last_contact_on FROM person ORDER BY id"
        as_text = lambda db, sql=query: [tuple(map(str, row)) for row in rows(db, sql)]  # noqa: E731
        assert as_text(engine) == as_text(seeded.engine)
        token = scalar(engine, "SELECT alias_encrypted FROM person ORDER BY id LIMIT 1")
        assert seeded.cipher.decrypt(token)
        assert _found_by_alias(engine, seeded.cipher, seeded.cipher.decrypt(token)) >= {1}  # COPY wrote the tokens
        # The tables the database keeps (learners' levels, minutes present per day, figures per site and day):
        # computed at once after the COPY (their triggers off meanwhile), the same as SQLite's triggers computed
        # them row by row (which leave a row of zeros where a day's facts stopped counting); and the triggers are
        # on again.
        for kept in (
            "language_level_summary ORDER BY person_id, skill",
            "course_presence_day ORDER BY person_id, day",
            "workshop_site_day WHERE recorded > 0 ORDER BY site_id, day",
            "course_site_day WHERE minutes > 0 ORDER BY site_id, day",
            "appointment_site_day WHERE appointments > 0 ORDER BY site_id, day",
        ):
            query = f"SELECT * FROM {kept}"
            assert len(as_text(engine, query)) > 100
            assert as_text(engine, query) == as_text(seeded.engine, query)
        enabled = (
            "SELECT tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal AND (tgname LIKE '%summary%' "
            "OR tgname LIKE '%_day_on_%') ORDER BY tgname"
        )
        assert [tuple(row) for row in rows(engine, enabled)] == [
            ("appointment_site_day_on_appointment", "O"),
            ("appointment_site_day_on_consent_change", "O"),
            ("course_presence_day_on_course_attendance", "O"),
            ("course_presence_day_on_course_session", "O"),
            ("course_site_day_on_consent_change", "O"),
            ("course_site_day_on_course_attendance", "O"),
            ("course_site_day_on_course_session", "O"),
            ("language_level_summary_on_consent_change", "O"),
            ("language_level_summary_on_language_assessment", "O"),
            ("workshop_site_day_on_consent_change", "O"),
            ("workshop_site_day_on_workshop_attendance", "O"),
            ("workshop_site_day_on_workshop_session", "O"),
        ]
        with engine.begin() as connection:
            new_id = connection.execute(
                sa.text(
                    "INSERT INTO site (code, name, city, is_active, created_at, updated_at) "
                    "VALUES ('TST', 'Test', 'Test', true, now(), now()) RETURNING id"
                )
            ).scalar_one()
        assert new_id == seeded.counts["site"] + 1
        # Analyzed: the first pages are planned on the data just loaded, not on empty tables.
        analyzed = rows(
            engine,
            "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = 'public' "
            "AND tablename IN ('person', 'course_attendance', 'outreach_round')",
        )
        assert sorted(name for (name,) in analyzed) == ["course_attendance", "outreach_round", "person"]
    finally:
        engine.dispose()
        app.dispose()
        data_version.clear_cache()


def _persons_counted_by_a_cached_figure(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        return data_version.cached_aggregate(
            session,
            "test_seed.persons",
            None,
            lambda: session.execute(sa.select(sa.func.count()).select_from(Person)).scalar_one(),
        )


def _found_by_alias(engine: Engine, cipher: FieldCipher, alias: str) -> set[int]:
    condition = alias_index.alias_condition(alias, cipher)
    with engine.connect() as connection:
        return set(connection.execute(sa.select(Person.id).where(condition)).scalars())


def test_every_seeded_alias_is_in_the_search_index(seeded: Seeded) -> None:
    aliases = rows(seeded.engine, "SELECT id, alias_encrypted FROM person WHERE alias_encrypted IS NOT NULL")
    tokens = dict(rows(seeded.engine, "SELECT person_id, count(*) FROM person_alias_token GROUP BY person_id"))
    assert aliases and set(tokens) == {person_id for person_id, _alias in aliases}
    assert all(count % alias_index.PADDED_TO == 0 for count in tokens.values())
    person_id, token = aliases[0]
    assert person_id in _found_by_alias(seeded.engine, seeded.cipher, seeded.cipher.decrypt(token))


def test_the_seed_marks_its_database_as_demo_data(seeded: Seeded) -> None:
    assert [tuple(r) for r in rows(seeded.engine, "SELECT id, holds_demo_data FROM association")] == [(1, True)]


@pytest.mark.parametrize(
    "first_write",
    [
        "INSERT INTO app_user (id, username, display_name, password_hash, role, is_active, is_demo, "
        "failed_login_count, created_at, updated_at, version) "
        "VALUES (1, 'admin.nom', 'Prénom Nom', 'x', 'admin', 1, 0, 0, '2026-11-18', '2026-11-18', 1)",
        "INSERT INTO association (id, name, holds_demo_data, created_at, updated_at) "
        "VALUES (1, 'Association', 0, '2026-11-18', '2026-11-18')",
    ],
    ids=["first-admin-only", "association-named-only"],
)
def test_a_production_database_is_never_seeded_even_before_its_first_site(
    tmp_path: Path, password_hash: str, first_write: str
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'production.db'}")
    upgrade_to_head(engine)
    with engine.begin() as connection:
        connection.execute(sa.text(first_write))
    assert not database_is_empty(engine)
    with pytest.raises(RuntimeError):
        seed_database(
            engine, as_of=AS_OF, cipher=FieldCipher([Fernet.generate_key().decode()]), demo_password_hash=password_hash
        )
    assert scalar(engine, "SELECT count(*) FROM site") == 0
    engine.dispose()
