"""workshop rolls, French-class minutes and appointments per site and day, kept by the database

Revision ID: 0030
Create Date: 2026-12-07 16:00:00

Upgrade: three tables, one row per site × day, over the facts that count in statistics
(services.persons.consent.counted, as it stood on the fact's day):
- `workshop_site_day`: workshop sessions of the day with at least one mark, marks « présent », marks recorded;
- `course_site_day`: minutes of French classes of the marks « présent » (the class's length, once per mark);
- `appointment_site_day`: appointments, accompaniments among them (a kind `accompaniment_…`), their minutes and
  those with an interpreter.
A site is the site of the session or of the appointment (a mark is recorded at its session's site and keeps it
when the file moves: services.persons.transfer). Triggers compute the site-days a write concerns again, in its
transaction, whatever wrote it: a mark (saved, changed, moved to another class or person, deleted), a session
(moved to another day or site, made longer, deleted), an appointment, and a change of consent (every site-day
of that person's facts). A site-day whose facts are gone keeps a row of zeros. The rows of the facts already
recorded are computed at the upgrade.

Why: the dashboard's and the funder space's figures for every site read these families from the facts after a
save: the marks and classes of 13 months (190,000 workshop and 300,000 class marks at the large size), each
with its person's consent: 40–100 ms a family on SQLite, 90–140 ms on PostgreSQL. They read a few thousand
rows of these tables instead.

PostgreSQL runs writers side by side: two roll calls of the same site and day must not each compute the day
without the other's marks (a plain upsert of computed values does: tests/services/reporting/test_site_day_figures).
A trigger first makes the site-day rows exist (an insert that waits for a transaction writing the same rows) and
locks them in the order of the key, then computes them in a statement of its own: a second writer waits for the
first to commit, and its computation then sees the first one's rows (READ COMMITTED, the app's isolation).

As for 0028: on SQLite a migration that recreates a source table drops its triggers and must create them again
(`create_triggers`); tests/migrations checks them at head. PostgreSQL also gets `<table>_rebuild()`, every row
at once, for a bulk load that disables the triggers for its time (seed.writer's COPY).

Downgrade: the triggers, PostgreSQL's functions and the tables are dropped.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def counted(person: str, day: str) -> str:
    """services.persons.consent.counted: not counted while the latest statistics change in force on `day` is a
    withdrawal (a refusal at intake: from the first day)."""
    return f"""NOT EXISTS (
    SELECT 1 FROM consent_change w
    WHERE w.person_id = {person} AND w.scope = 'statistics' AND w.given = FALSE
      AND (w.at_intake = TRUE OR w.effective_on <= {day})
      AND NOT EXISTS (
        SELECT 1 FROM consent_change g
        WHERE g.person_id = w.person_id AND g.scope = w.scope AND g.given = TRUE
          AND g.effective_on <= {day} AND g.id > w.id))"""


@dataclass(frozen=True)
class Kept:
    """A table of figures per site × day: `values` (SQL aggregates, one per column of `columns`) over the rows of
    `facts` that pass `where` and count in statistics, grouped by `site` and `day`."""

    table: str
    columns: tuple[str, ...]
    values: str
    facts: str
    site: str
    day: str
    person: str
    where: str
    # Per source table: the columns its triggers watch, and a SELECT of the (site_id, day) that one of its rows
    # ({row}: OLD or NEW) concerns (a consent change: every site-day of the person's facts).
    sources: dict[str, tuple[str, str]]
    # Sources whose inserted rows concern no site-day yet (a session: no mark is recorded before it exists).
    frames: tuple[str, ...] = ()

    def rows(self, condition: str) -> str:
        """(site_id, day, values…) of the site-days whose facts pass `condition`."""
        return (
            f"SELECT {self.site}, {self.day}, {self.values} FROM {self.facts}\n"
            f"WHERE ({condition}) AND {self.where} AND {counted(self.person, self.day)}\n"
            f"GROUP BY {self.site}, {self.day}"
        )

    def refresh(self, keys: str, *, lock: bool) -> list[str]:
        """The statements that compute the site-days `keys` (a SELECT of (site_id, day)) again: make their rows
        exist, lock them (PostgreSQL, `lock`), then set their values."""
        zeros = ", ".join("0" for _ in self.columns)
        columns = ", ".join(self.columns)
        return [
            f"INSERT INTO {self.table} (site_id, day, {columns})\n"
            f"SELECT DISTINCT k.site_id, k.day, {zeros} FROM ({keys}) k WHERE k.site_id IS NOT NULL\n"
            f"ON CONFLICT (site_id, day) DO NOTHING",
            *(
                [f"PERFORM 1 FROM {self.table} WHERE (site_id, day) IN ({keys}) ORDER BY site_id, day FOR UPDATE"]
                if lock
                else []
            ),
            f"UPDATE {self.table} SET ({columns}) = (\n"
            f"    SELECT {self.values} FROM {self.facts}\n"
            f"    WHERE {self.site} = {self.table}.site_id AND {self.day} = {self.table}.day AND {self.where}\n"
            f"      AND {counted(self.person, self.day)})\n"
            f"WHERE (site_id, day) IN ({keys})",
        ]

    def keys(self, source: str, row: str) -> str:
        return self.sources[source][1].format(row=row)


CONSENT_COLUMNS = "person_id, scope, given, effective_on, at_intake"


KEPT = (
    Kept(
        table="workshop_site_day",
        columns=("sessions", "present", "recorded"),
        values="COUNT(DISTINCT ws.id), COALESCE(SUM(CASE WHEN wa.status = 'present' THEN 1 ELSE 0 END), 0), "
        "COUNT(wa.id)",
        facts="workshop_attendance wa JOIN workshop_session ws ON ws.id = wa.session_id",
        site="ws.site_id",
        day="ws.session_on",
        person="wa.person_id",
        where="TRUE",
        frames=("workshop_session",),
        sources={
            "workshop_attendance": (
                "person_id, session_id, status",
                "SELECT site_id AS site_id, session_on AS day FROM workshop_session WHERE id = {row}.session_id",
            ),
            "workshop_session": ("site_id, session_on", "SELECT {row}.site_id AS site_id, {row}.session_on AS day"),
            "consent_change": (
                CONSENT_COLUMNS,
                "SELECT ws.site_id AS site_id, ws.session_on AS day FROM workshop_attendance wa "
                "JOIN workshop_session ws ON ws.id = wa.session_id WHERE wa.person_id = {row}.person_id",
            ),
        },
    ),
    Kept(
        table="course_site_day",
        columns=("minutes",),
        values="COALESCE(SUM(cs.duration_minutes), 0)",
        facts="course_attendance ca JOIN course_session cs ON cs.id = ca.session_id",
        site="cs.site_id",
        day="cs.session_on",
        person="ca.person_id",
        where="ca.status = 'present'",
        frames=("course_session",),
        sources={
            "course_attendance": (
                "person_id, session_id, status",
                "SELECT site_id AS site_id, session_on AS day FROM course_session WHERE id = {row}.session_id",
            ),
            "course_session": (
                "site_id, session_on, duration_minutes",
                "SELECT {row}.site_id AS site_id, {row}.session_on AS day",
            ),
            "consent_change": (
                CONSENT_COLUMNS,
                "SELECT cs.site_id AS site_id, cs.session_on AS day FROM course_attendance ca "
                "JOIN course_session cs ON cs.id = ca.session_id WHERE ca.person_id = {row}.person_id",
            ),
        },
    ),
    Kept(
        table="appointment_site_day",
        columns=("appointments", "accompaniments", "minutes", "with_interpreter"),
        # models.appointments.ACCOMPANIMENT_KINDS: the kinds whose value starts with "accompaniment_".
        values="COUNT(ap.id), "
        "COALESCE(SUM(CASE WHEN SUBSTR(ap.kind, 1, 14) = 'accompaniment_' THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(ap.duration_minutes), 0), "
        "COALESCE(SUM(CASE WHEN ap.interpreter_language IS NOT NULL THEN 1 ELSE 0 END), 0)",
        facts="appointment ap",
        site="ap.site_id",
        day="ap.appointment_on",
        person="ap.person_id",
        where="TRUE",
        sources={
            "appointment": (
                "person_id, site_id, appointment_on, kind, duration_minutes, interpreter_language",
                "SELECT {row}.site_id AS site_id, {row}.appointment_on AS day",
            ),
            "consent_change": (
                CONSENT_COLUMNS,
                "SELECT ap.site_id AS site_id, ap.appointment_on AS day FROM appointment ap "
                "WHERE ap.person_id = {row}.person_id",
            ),
        },
    ),
)


def _statements(statements: list[str]) -> str:
    return "".join(f"{statement};\n" for statement in statements)


def _trigger_name(kept: Kept, source: str) -> str:
    return f"{kept.table}_on_{source}"


def create_triggers() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for kept in KEPT:
        for source, (columns, _keys) in kept.sources.items():
            old, new = kept.keys(source, "OLD"), kept.keys(source, "NEW")
            events = {"insert": new, "update": f"{old} UNION {new}", "delete": old}
            if source in kept.frames:
                del events["insert"]
            if sqlite:
                for event, keys in events.items():
                    body = _statements(kept.refresh(keys, lock=False))
                    watched = f"UPDATE OF {columns}" if event == "update" else event.upper()
                    op.execute(
                        f"CREATE TRIGGER {_trigger_name(kept, source)}_{event} AFTER {watched} ON {source} "
                        f"FOR EACH ROW BEGIN\n{body}END"
                    )
                continue
            branches = "".join(
                f"    IF TG_OP = '{event.upper()}' THEN\n{_statements(kept.refresh(keys, lock=True))}    END IF;\n"
                for event, keys in events.items()
            )
            op.execute(
                f"CREATE FUNCTION {_trigger_name(kept, source)}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n{branches}    RETURN NULL;\nEND\n$$"
            )
            watched = " OR ".join(f"UPDATE OF {columns}" if event == "update" else event.upper() for event in events)
            op.execute(
                f"CREATE TRIGGER {_trigger_name(kept, source)} AFTER {watched} "
                f"ON {source} FOR EACH ROW EXECUTE FUNCTION {_trigger_name(kept, source)}()"
            )
        if not sqlite:
            # Every row at once: a bulk load that disabled the triggers (seed.writer's COPY) calls it at its end.
            op.execute(
                f"CREATE FUNCTION {kept.table}_rebuild() RETURNS void LANGUAGE sql AS $$\n"
                f"DELETE FROM {kept.table};\n{_fill(kept)}\n$$"
            )


def _fill(kept: Kept) -> str:
    return f"INSERT INTO {kept.table} (site_id, day, {', '.join(kept.columns)})\n{kept.rows('TRUE')}"


def drop_triggers() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for kept in KEPT:
        for source in kept.sources:
            if sqlite:
                for event in ("insert", "update", "delete"):  # IF EXISTS: a frame has no insert trigger
                    op.execute(f"DROP TRIGGER IF EXISTS {_trigger_name(kept, source)}_{event}")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {_trigger_name(kept, source)} ON {source}")
                op.execute(f"DROP FUNCTION IF EXISTS {_trigger_name(kept, source)}()")
        if not sqlite:
            op.execute(f"DROP FUNCTION IF EXISTS {kept.table}_rebuild()")


def upgrade() -> None:
    for kept in KEPT:
        op.create_table(
            kept.table,
            sa.Column("site_id", sa.Integer(), sa.ForeignKey("site.id"), primary_key=True),
            sa.Column("day", sa.Date(), primary_key=True),
            *(sa.Column(column, sa.Integer(), nullable=False, server_default="0") for column in kept.columns),
        )
        op.execute(_fill(kept))
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    for kept in reversed(KEPT):
        op.drop_table(kept.table)
