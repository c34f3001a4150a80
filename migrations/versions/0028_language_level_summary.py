"""each learner's levels per skill, kept by the database as assessments and consents are written

Revision ID: 0028
Create Date: 2026-12-07 13:20:00

Upgrade: `language_level_summary`, one row per person × skill assessed, over the assessments that count in
statistics (services.persons.consent.counted): the first assessment (day, rank on the CECRL scale), the first
one above its level on a later day (the first level gain) and the rank of the latest. Triggers on
`language_assessment` and `consent_change` compute a person's rows again in the transaction of every insert,
update (of the columns it reads) and delete of theirs, whatever wrote it (a form, a correction, the
anonymisation's dates made coarser, an operator's SQL). The rows of the persons already recorded are computed
at the upgrade.

Why: Progression en français for every site read the 78,000 assessments of the large dataset through three
windows at each recomputation (about 400 ms on SQLite: the levels reached and the first gains), over the
budget of a page after a save. services.activities.courses.progress reads these 19,000 rows instead when the
scope holds every site's assessments (direction); a scope of some sites only keeps reading the assessments.

A trigger belongs to its table: on SQLite a migration that recreates `language_assessment` or `consent_change`
(batch_alter_table with a change of column) drops them, and must create them again (`create_triggers`);
tests/migrations checks that they are there at head.

PostgreSQL also gets `language_level_summary_rebuild()`, every row at once, for a bulk load that disables the
triggers for its time (seed.writer's COPY: a trigger per row would take a minute and a half for the large
dataset).

Downgrade: the triggers, PostgreSQL's functions and the table are dropped.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "language_level_summary"
# The CECRL scale in order (models.courses.CefrLevel, stored by value): the rank a level is compared by.
RANK = (
    "CASE a.level WHEN 'pre_a1' THEN 0 WHEN 'a1_1' THEN 1 WHEN 'a1' THEN 2 WHEN 'a2' THEN 3 "
    "WHEN 'b1' THEN 4 WHEN 'b2' THEN 5 WHEN 'c1' THEN 6 WHEN 'c2' THEN 7 END"
)
# services.persons.consent.counted: not counted while the latest statistics change in force on the day of the
# assessment is a withdrawal (a refusal at intake: from the first day).
COUNTED = """NOT EXISTS (
    SELECT 1 FROM consent_change w
    WHERE w.person_id = a.person_id AND w.scope = 'statistics' AND w.given = FALSE
      AND (w.at_intake = TRUE OR w.effective_on <= a.assessed_on)
      AND NOT EXISTS (
        SELECT 1 FROM consent_change g
        WHERE g.person_id = w.person_id AND g.scope = w.scope AND g.given = TRUE
          AND g.effective_on <= a.assessed_on AND g.id > w.id))"""
COLUMNS = "person_id, skill, first_on, first_rank, gain_on, gain_rank, latest_rank"


def summary_select(persons: str) -> str:
    """The rows of the persons `persons` (a SQL condition on `a.person_id`): per person × skill, the first counted
    assessment (by day, then id), the first one after its day with a higher rank, and the latest."""
    gain = "rnk > first_rank AND assessed_on > first_on"
    return f"""
SELECT person_id, skill, first_on, first_rank,
       MAX(CASE WHEN gain_order = 1 THEN assessed_on END),
       MAX(CASE WHEN gain_order = 1 THEN rnk END),
       MAX(CASE WHEN latest_order = 1 THEN rnk END)
FROM (
    SELECT person_id, skill, assessed_on, rnk, first_on, first_rank,
           CASE WHEN {gain} THEN ROW_NUMBER() OVER (
               PARTITION BY person_id, skill, CASE WHEN {gain} THEN 1 ELSE 0 END ORDER BY assessed_on, id) END
               AS gain_order,
           ROW_NUMBER() OVER (PARTITION BY person_id, skill ORDER BY assessed_on DESC, id DESC) AS latest_order
    FROM (
        SELECT a.id, a.person_id, a.skill, a.assessed_on, {RANK} AS rnk,
               FIRST_VALUE(a.assessed_on) OVER first_w AS first_on,
               FIRST_VALUE({RANK}) OVER first_w AS first_rank
        FROM language_assessment a
        WHERE ({persons}) AND {COUNTED}
        WINDOW first_w AS (PARTITION BY a.person_id, a.skill ORDER BY a.assessed_on, a.id)
    ) ranked
) ordered
GROUP BY person_id, skill, first_on, first_rank"""


def refresh(persons: str) -> list[str]:
    """The statements that compute the rows of `persons` (SQL condition on `a.person_id`) again. The insert
    updates a row that is there: on PostgreSQL, a transaction writing the same person's assessments may have
    inserted it after this one's delete looked (both see the other's assessments once committed)."""
    update = ", ".join(f"{column} = excluded.{column}" for column in COLUMNS.split(", ")[2:])
    return [
        f"DELETE FROM {TABLE} WHERE {persons.replace('a.person_id', 'person_id')}",
        f"INSERT INTO {TABLE} ({COLUMNS}) {summary_select(persons)}\n"
        f"ON CONFLICT (person_id, skill) DO UPDATE SET {update}",
    ]


# What each trigger reads of its table: an update of another column (a comment cleared, the positioning flag,
# updated_at) computes nothing again.
WATCHED = {
    "language_assessment": "person_id, skill, level, assessed_on",
    "consent_change": "person_id, scope, given, effective_on, at_intake",
}


def create_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table, columns in WATCHED.items():
            for event, persons in (
                ("INSERT", "a.person_id = NEW.person_id"),
                (f"UPDATE OF {columns}", "a.person_id IN (OLD.person_id, NEW.person_id)"),
                ("DELETE", "a.person_id = OLD.person_id"),
            ):
                body = ";\n".join(refresh(persons))
                name = f"{TABLE}_on_{table}_{event.split()[0].lower()}"
                op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN\n{body};\nEND")
        return
    # PostgreSQL: one function computes the rows of two persons (the old and new person of an update).
    body = ";\n".join(refresh("a.person_id IN (old_person, new_person)"))
    op.execute(
        f"CREATE FUNCTION {TABLE}_refresh(old_person integer, new_person integer) RETURNS void "
        f"LANGUAGE sql AS $$\n{body}\n$$"
    )
    op.execute(
        f"""CREATE FUNCTION {TABLE}_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM {TABLE}_refresh(NEW.person_id, NEW.person_id);
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM {TABLE}_refresh(OLD.person_id, NEW.person_id);
    ELSE
        PERFORM {TABLE}_refresh(OLD.person_id, OLD.person_id);
    END IF;
    RETURN NULL;
END
$$"""
    )
    for table, columns in WATCHED.items():
        op.execute(
            f"CREATE TRIGGER {TABLE}_on_{table} AFTER INSERT OR UPDATE OF {columns} OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_follow()"
        )
    # Every row at once: a bulk load that disabled the triggers (seed.writer's COPY) calls it at its end.
    op.execute(
        f"CREATE FUNCTION {TABLE}_rebuild() RETURNS void LANGUAGE sql AS $$\n"
        f"DELETE FROM {TABLE};\nINSERT INTO {TABLE} ({COLUMNS}) {summary_select('TRUE')}\n$$"
    )


def drop_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_on_{table}_{event}")
        return
    for table in WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_on_{table} ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {TABLE}_rebuild()")
    op.execute(f"DROP FUNCTION IF EXISTS {TABLE}_follow()")
    op.execute(f"DROP FUNCTION IF EXISTS {TABLE}_refresh(integer, integer)")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), primary_key=True),
        sa.Column("skill", sa.String(length=32), primary_key=True),
        sa.Column("first_on", sa.Date(), nullable=False),
        sa.Column("first_rank", sa.Integer(), nullable=False),
        sa.Column("gain_on", sa.Date(), nullable=True),
        sa.Column("gain_rank", sa.Integer(), nullable=True),
        sa.Column("latest_rank", sa.Integer(), nullable=False),
    )
    op.execute(f"INSERT INTO {TABLE} ({COLUMNS}) {summary_select('TRUE')}")
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_table(TABLE)
