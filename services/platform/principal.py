"""Who is acting, and what they may see: the principal every service receives."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from models.organisation import Role
from services.platform.errors import PermissionDenied


class Capability(StrEnum):
    """What a role may do; services check these, never the role name directly."""

    VIEW_PERSON_FILES = "view_person_files"
    VIEW_IDENTITY = "view_identity"
    EDIT_PERSON_FILES = "edit_person_files"
    VIEW_LEARNERS = "view_learners"  # formateur: learners of own groups, code + first name
    RUN_FIELD_ACTIVITIES = "run_field_activities"  # outreach rounds, workshop sessions, enrolments, rolls
    TEACH_COURSES = "teach_courses"  # French-course sessions, rolls, assessments of the groups one sees
    CONFIGURE_ACTIVITIES = "configure_activities"  # a site's workshop modules, French-course groups
    # Figures of group work, as narrow as the pages that show them: a formateur reads its courses' figures,
    # never the outreach rounds or the workshops of its site.
    VIEW_FIELD_FIGURES = "view_field_figures"  # outreach rounds and workshops: lists, monthly figures, rates
    VIEW_COURSE_FIGURES = "view_course_figures"  # French courses: levels, hours, moves to droit commun
    VIEW_BUDGET = "view_budget"
    EDIT_BUDGET = "edit_budget"
    VIEW_STAFFING = "view_staffing"
    VIEW_FUNDED_GRANTS = "view_funded_grants"  # financeur: aggregates of its own grants
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    MANAGE_PARTNERS = "manage_partners"  # partner directory of own sites (admin: all sites)
    MANAGE_RETENTION = "manage_retention"  # files past 2 years without contact: list, anonymise
    # direction: who created, re-enabled or reset an account that sees identities, and when
    REVIEW_ACCOUNT_CHANGES = "review_account_changes"
    MANAGE_ORGANISATION = "manage_organisation"  # the association's name, sites and strands
    # The person's rights over a whole file of own sites (GDPR art. 15-17): export it, correct any field,
    # erase it on request before the retention period (services.persons.subject_access, corrections, erasure)
    SERVE_PERSON_RIGHTS = "serve_person_rights"
    # chef_service: move a file between two sites it is staff of (services.persons.transfer)
    TRANSFER_PERSON_FILES = "transfer_person_files"
    # Capitalisation (services/capitalisation): the national project officers write, validate and link to
    # published figures the practice notes of every site, and assemble them into guides exported to Word;
    # the teams of a site propose notes from their site and read their site's notes. No person data.
    CAPITALISE_PRACTICE = "capitalise_practice"
    PROPOSE_PRACTICE_NOTES = "propose_practice_notes"


ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.ADMIN: frozenset(
        {
            Capability.MANAGE_USERS,
            Capability.VIEW_AUDIT,
            Capability.MANAGE_PARTNERS,
            Capability.MANAGE_RETENTION,
            Capability.MANAGE_ORGANISATION,
        }
    ),
    Role.DIRECTION: frozenset(
        {
            Capability.VIEW_PERSON_FILES,
            Capability.VIEW_FIELD_FIGURES,
            Capability.VIEW_COURSE_FIGURES,
            Capability.VIEW_BUDGET,
            Capability.VIEW_STAFFING,
            Capability.REVIEW_ACCOUNT_CHANGES,
        }
    ),
    Role.CHEF_SERVICE: frozenset(
        {
            Capability.VIEW_PERSON_FILES,
            Capability.VIEW_IDENTITY,
            Capability.EDIT_PERSON_FILES,
            Capability.VIEW_LEARNERS,
            Capability.RUN_FIELD_ACTIVITIES,
            Capability.TEACH_COURSES,
            Capability.CONFIGURE_ACTIVITIES,
            Capability.VIEW_FIELD_FIGURES,
            Capability.VIEW_COURSE_FIGURES,
            Capability.VIEW_BUDGET,
            Capability.VIEW_STAFFING,
            Capability.MANAGE_PARTNERS,
            Capability.MANAGE_RETENTION,
            Capability.SERVE_PERSON_RIGHTS,
            Capability.TRANSFER_PERSON_FILES,
            Capability.PROPOSE_PRACTICE_NOTES,
        }
    ),
    Role.INTERVENANT: frozenset(
        {
            Capability.VIEW_PERSON_FILES,
            Capability.VIEW_IDENTITY,
            Capability.EDIT_PERSON_FILES,
            Capability.RUN_FIELD_ACTIVITIES,
            Capability.VIEW_FIELD_FIGURES,
            Capability.PROPOSE_PRACTICE_NOTES,
        }
    ),
    Role.FORMATEUR: frozenset(
        {
            Capability.VIEW_LEARNERS,
            Capability.TEACH_COURSES,
            Capability.VIEW_COURSE_FIGURES,
            Capability.PROPOSE_PRACTICE_NOTES,
        }
    ),
    Role.GESTION: frozenset({Capability.VIEW_BUDGET, Capability.EDIT_BUDGET, Capability.VIEW_STAFFING}),
    Role.FINANCEUR: frozenset({Capability.VIEW_FUNDED_GRANTS}),
    # National, no identity, no person file: practice notes and guides only.
    Role.CHARGE_MISSION: frozenset({Capability.CAPITALISE_PRACTICE}),
}

# Roles whose work spans the whole association; every other role is limited to its sites.
ALL_SITES_ROLES = frozenset({Role.ADMIN, Role.DIRECTION, Role.GESTION, Role.CHARGE_MISSION})


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    role: Role
    site_ids: frozenset[int]
    funder_id: int | None = None

    @property
    def all_sites(self) -> bool:
        return self.role in ALL_SITES_ROLES

    def can(self, capability: Capability) -> bool:
        return capability in ROLE_CAPABILITIES.get(self.role, frozenset())

    def require(self, capability: Capability) -> None:
        if not self.can(capability):
            raise PermissionDenied()

    def site_filter(self, site_column: ColumnElement) -> ColumnElement[bool]:
        """WHERE clause limiting a query to the principal's sites (false when it has none)."""
        if self.all_sites:
            return sa.true()
        if not self.site_ids:
            return sa.false()
        return site_column.in_(sorted(self.site_ids))

    def may_see_site(self, site_id: int) -> bool:
        return self.all_sites or site_id in self.site_ids

    @property
    def scope(self) -> tuple:
        """What scoped queries filter on (role, sites, funder): two principals with the same scope see
        the same aggregates, whoever they are (a key of cached aggregates, never of personal data)."""
        return self.role.value, "*" if self.all_sites else tuple(sorted(self.site_ids)), self.funder_id


SYSTEM_ACTOR = "system"
