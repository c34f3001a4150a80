"""How a person appears in a list of an activity of a site shown to its staff: a roll call, a course
group's learners, a workshop cycle list, the workshop persons to call.

Two rules, each a column of the list's own query (no statement more):
- the danger marker (services.persons.safety): the file's team (VIEW_IDENTITY) sees whether the file
  carries a danger flag now, so that no one calls a person who must never be called; every other role
  (formateur, direction…) gets false, and no export calls this;
- a file moved to another site (services.persons.transfer) is « Dossier transféré » in the lists of its
  old site: the activity rows stay there for the site's statistics (a past roll still counts the
  attendance), but its code, its first name and its flag are hidden, since the current code names the
  destination and the old site must not follow a person relocated for safety.

A row is "moved away" when the person's current site is not the activity's site. The query must have
`person` in its FROM clause.
"""

from __future__ import annotations

import sqlalchemy as sa

from i18n import N_
from models.persons import Person
from services.persons.safety import flag_expression
from services.platform.principal import Principal

TRANSFERRED = N_("Dossier transféré")


def moved_away(activity_site: sa.ColumnElement[int] | int) -> sa.ColumnElement[bool]:
    """Whether the person of the row now belongs to another site than the activity's."""
    return Person.site_id != activity_site


def listed_code(activity_site: sa.ColumnElement[int] | int) -> sa.ColumnElement[str]:
    """The person's code, or an empty text for a file moved away (the UI writes « Dossier transféré »)."""
    return sa.case((moved_away(activity_site), sa.literal("")), else_=Person.code)


def listed_alias(activity_site: sa.ColumnElement[int] | int) -> sa.ColumnElement:
    """The encrypted first name, or NULL for a file moved away."""
    return sa.case((moved_away(activity_site), sa.null()), else_=Person.alias_encrypted)


def listed_flag(principal: Principal, activity_site: sa.ColumnElement[int] | int) -> sa.ColumnElement[bool]:
    """Whether to show the danger marker on the row: the team only, never for a file moved away."""
    return sa.and_(~moved_away(activity_site), flag_expression(principal))
