"""each learner's minutes present in French classes per day, kept by the database as marks and classes change

Revision ID: 0029
Create Date: 2026-12-07 13:50:00

Upgrade: `course_presence_day`, one row per person × day with a class where the person was marked present: the
minutes of those classes (every group). Triggers on `course_attendance` (insert, update of who, which class or
the status, delete) and on `course_session` (update of its day or length) compute the rows of the persons and
days concerned again in the transaction of the write, whatever wrote it. The rows of the marks already recorded
are computed at the upgrade.

Why: the hours to gain a level (services.activities.courses.progress) sum, for each learner's interval between
two assessments, the classes attended: for every site, 3,900 intervals read each of their learner's marks and
its class (320,000 lookups: 0.1 s on SQLite, 0.3 s on PostgreSQL at the large size). A scope that sees every
group (direction) now sums a few rows per interval from this table.

As for 0028: on SQLite a migration that recreates `course_attendance` or `course_session` drops these triggers
and must create them again (`create_triggers`); tests/migrations checks them at head. PostgreSQL also gets
`course_presence_day_rebuild()`, every row at once, for a bulk load that disables the triggers for its time.

Downgrade: the triggers, PostgreSQL's functions and the table are dropped.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "course_presence_day"
COLUMNS = "person_id, day, minutes"


def summary_select(persons: str, days: str) -> str:
    """The rows of the persons `persons` (SQL condition on `ca.person_id`) on the days `days` (on `cs.session_on`)."""
    return f"""
SELECT ca.person_id, cs.session_on, SUM(cs.duration_minutes)
FROM course_attendance ca JOIN course_session cs ON cs.id = ca.session_id
WHERE ({persons}) AND ({days}) AND ca.status = 'present'
GROUP BY ca.person_id, cs.session_on"""


def refresh(persons: str, days: str) -> list[str]:
    """The statements that compute the rows of `persons` on `days` again (conditions on `ca.person_id` and
    `cs.session_on`); the insert updates a row another transaction inserted meanwhile (PostgreSQL)."""
    return [
        f"DELETE FROM {TABLE} WHERE ({persons.replace('ca.person_id', 'person_id')}) "
        f"AND ({days.replace('cs.session_on', 'day')})",
        f"INSERT INTO {TABLE} ({COLUMNS}) {summary_select(persons, days)}\n"
        "ON CONFLICT (person_id, day) DO UPDATE SET minutes = excluded.minutes",
    ]


def _day_of(session: str) -> str:
    return f"(SELECT session_on FROM course_session WHERE id = {session})"


# What each trigger reads of its table: another update (the version, a site) computes nothing again.
MARK_COLUMNS = "person_id, session_id, status"
CLASS_COLUMNS = "session_on, duration_minutes"
MARKED_AT_NEW = "(SELECT person_id FROM course_attendance WHERE session_id = NEW.id)"


def create_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name, event, table, persons, days in (
            ("mark_insert", "INSERT", "course_attendance", "ca.person_id = NEW.person_id",
             f"cs.session_on = {_day_of('NEW.session_id')}"),
            ("mark_update", f"UPDATE OF {MARK_COLUMNS}", "course_attendance",
             "ca.person_id IN (OLD.person_id, NEW.person_id)",
             f"cs.session_on IN ({_day_of('OLD.session_id')}, {_day_of('NEW.session_id')})"),
            ("mark_delete", "DELETE", "course_attendance", "ca.person_id = OLD.person_id",
             f"cs.session_on = {_day_of('OLD.session_id')}"),
            ("class_update", f"UPDATE OF {CLASS_COLUMNS}", "course_session", f"ca.person_id IN {MARKED_AT_NEW}",
             "cs.session_on IN (OLD.session_on, NEW.session_on)"),
        ):  # fmt: skip
            body = ";\n".join(refresh(persons, days))
            op.execute(f"CREATE TRIGGER {TABLE}_on_{name} AFTER {event} ON {table} FOR EACH ROW BEGIN\n{body};\nEND")
        return
    # PostgreSQL: one function computes the rows of some persons on some days.
    body = ";\n".join(refresh("ca.person_id = ANY(persons)", "cs.session_on = ANY(days)"))
    op.execute(
        f"CREATE FUNCTION {TABLE}_refresh(persons integer[], days date[]) RETURNS void LANGUAGE sql AS $$\n{body}\n$$"
    )
    op.execute(
        f"""CREATE FUNCTION {TABLE}_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'course_session' THEN
        PERFORM {TABLE}_refresh(ARRAY{MARKED_AT_NEW}, ARRAY[OLD.session_on, NEW.session_on]);
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM {TABLE}_refresh(ARRAY[NEW.person_id], ARRAY{_day_of("NEW.session_id")});
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM {TABLE}_refresh(
            ARRAY[OLD.person_id, NEW.person_id],
            ARRAY(SELECT session_on FROM course_session WHERE id IN (OLD.session_id, NEW.session_id)));
    ELSE
        PERFORM {TABLE}_refresh(ARRAY[OLD.person_id], ARRAY{_day_of("OLD.session_id")});
    END IF;
    RETURN NULL;
END
$$"""
    )
    op.execute(
        f"CREATE TRIGGER {TABLE}_on_course_attendance AFTER INSERT OR UPDATE OF {MARK_COLUMNS} OR DELETE "
        f"ON course_attendance FOR EACH ROW EXECUTE FUNCTION {TABLE}_follow()"
    )
    op.execute(
        f"CREATE TRIGGER {TABLE}_on_course_session AFTER UPDATE OF {CLASS_COLUMNS} "
        f"ON course_session FOR EACH ROW EXECUTE FUNCTION {TABLE}_follow()"
    )
    # Every row at once: a bulk load that disabled the triggers (seed.writer's COPY) calls it at its end.
    op.execute(
        f"CREATE FUNCTION {TABLE}_rebuild() RETURNS void LANGUAGE sql AS $$\n"
        f"DELETE FROM {TABLE};\nINSERT INTO {TABLE} ({COLUMNS}) {summary_select('TRUE', 'TRUE')}\n$$"
    )


def drop_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("mark_insert", "mark_update", "mark_delete", "class_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_on_{name}")
        return
    for table in ("course_attendance", "course_session"):
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_on_{table} ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {TABLE}_rebuild()")
    op.execute(f"DROP FUNCTION IF EXISTS {TABLE}_follow()")
    op.execute(f"DROP FUNCTION IF EXISTS {TABLE}_refresh(integer[], date[])")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("minutes", sa.Integer(), nullable=False),
    )
    op.execute(f"INSERT INTO {TABLE} ({COLUMNS}) {summary_select('TRUE', 'TRUE')}")
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_table(TABLE)
