"""Per-site figures of the French courses (aggregates only: no person, no code).

The site figures read every assessment and attendance of the scope (about a second for all sites at
the benchmark scale, SQLite): they are cached per data version (services.platform.data_version), keyed by
scope, day and language, so the reruns of the page do not recompute them and a roll call or an
assessment saved by anyone, in any process, shows at the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from i18n import language
from services.activities.courses import assessments as language_assessments
from services.activities.courses import progress as language_progress
from services.activities.courses.progress import SiteProgress
from services.platform import data_version
from services.platform.db import unit_of_work
from services.platform.principal import Capability, Principal
from ui.platform.runtime import runtime

TRANSITION_DAYS = 365
T = TypeVar("T")


@dataclass(frozen=True)
class SiteFigures:
    sites: list[SiteProgress]
    transitions: dict[int, int]  # site id → moves to a mainstream course over the last 12 months
    since: date
    until: date


def scope_key(principal: Principal) -> tuple:
    """What the figures depend on: the role and sites, and for a teacher-scoped role, who it is."""
    teacher_scoped = not principal.can(Capability.VIEW_PERSON_FILES)
    return (
        principal.role.value,
        principal.all_sites,
        tuple(sorted(principal.site_ids)),
        principal.user_id if teacher_scoped else None,
    )


def _compute(session, principal: Principal, today: date) -> SiteFigures:
    """Its parts are cached on their own too, per site of the learners' files: a roll call at Lyon recomputes
    the level gains (the hours between two assessments) of Lyon's learners and the transitions, not the
    levels reached nor the other sites' gains."""
    since = today - timedelta(days=TRANSITION_DAYS)

    def part(
        name: str, sites: list[int], compute: Callable[[list[int]], dict[int, T]], scoped: Collection[str]
    ) -> dict[int, T]:
        return data_version.cached_by_site(
            session, f"courses.{name}", scope_key(principal), sites, compute, scoped=scoped
        )

    sites = language_progress.site_progress(session, principal, part=part)
    transitions = {}
    if principal.can(Capability.VIEW_COURSE_FIGURES):
        transitions = language_assessments.transitions_by_site(session, principal, start=since, end=today)
    return SiteFigures(sites, transitions, since, today)


def site_figures(principal: Principal, today: date) -> SiteFigures:
    with unit_of_work(runtime().engine) as session:
        return data_version.cached_aggregate(
            session,
            "courses.site_figures",
            (scope_key(principal), today, language()),
            lambda: _compute(session, principal, today),
        )
