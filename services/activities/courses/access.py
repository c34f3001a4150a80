"""Which French-course groups a principal may see: the one scope rule courses, roll calls and progress share.

A role that reads course figures and the person files of its sites (chef_service, direction) sees every
group of those sites; a role that only sees learners (formateur) sees the groups it teaches, never the
rest of the site (docs/design.md §2: code + first name of its own learners). Everyone else, intervenant
included (person files, but no course page): nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import select

from models.courses import CourseGroup, CourseTeacher
from services.platform.principal import Capability, Principal


def visible_groups(principal: Principal) -> ColumnElement[bool]:
    """WHERE clause on CourseGroup for the groups `principal` may see (deny by default)."""
    in_sites = principal.site_filter(CourseGroup.site_id)
    if principal.can(Capability.VIEW_PERSON_FILES) and principal.can(Capability.VIEW_COURSE_FIGURES):
        return in_sites
    if principal.can(Capability.VIEW_LEARNERS):
        taught = select(CourseTeacher.group_id).where(CourseTeacher.user_id == principal.user_id)
        return sa.and_(in_sites, CourseGroup.id.in_(taught))
    return sa.false()


def sees_every_group(principal: Principal) -> bool:
    """Whether `visible_groups` is every group of the association (direction)."""
    return (
        principal.all_sites
        and principal.can(Capability.VIEW_PERSON_FILES)
        and principal.can(Capability.VIEW_COURSE_FIGURES)
    )
