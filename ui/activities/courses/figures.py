"""Per-site figures of the French courses, kept for the session (aggregates only: no person, no code).

The site figures read every assessment and attendance of the scope (about a second for all sites at
the benchmark scale, SQLite), so a session keeps them for FIGURES_TTL_S, keyed by scope and day: the
reruns of the page (a tab, a selectbox) do not recompute them. They live in the user's own session
state, not in a process-wide cache (tests/architecture/test_layering.py keeps st.cache_* in ui/platform/runtime.py).
Writes made on the course pages call `forget_figures()`; a roll call saved by someone else shows up
at the latest after the TTL.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st

from services.activities.courses import assessments as language_assessments
from services.activities.courses import progress as language_progress
from services.activities.courses.progress import SiteProgress
from services.platform.db import unit_of_work
from services.platform.principal import Capability, Principal
from ui.platform.runtime import runtime

FIGURES_TTL_S = 15 * 60
MEMO_KEY = "course_site_figures"
TRANSITION_DAYS = 365


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


def _compute(principal: Principal, today: date) -> SiteFigures:
    since = today - timedelta(days=TRANSITION_DAYS)
    with unit_of_work(runtime().engine) as session:
        sites = language_progress.site_progress(session, principal)
        transitions = {}
        if principal.can(Capability.VIEW_COURSE_FIGURES):
            transitions = language_assessments.transitions_by_site(session, principal, start=since, end=today)
    return SiteFigures(sites, transitions, since, today)


def site_figures(principal: Principal, today: date) -> SiteFigures:
    key = (scope_key(principal), today)
    memo = st.session_state.get(MEMO_KEY)
    if memo is not None and memo[0] == key and time.monotonic() - memo[1] < FIGURES_TTL_S:
        return memo[2]
    figures = _compute(principal, today)
    st.session_state[MEMO_KEY] = (key, time.monotonic(), figures)
    return figures


def forget_figures() -> None:
    """After a write that changes levels, groups or learners: recompute on the next view."""
    st.session_state.pop(MEMO_KEY, None)
