"""The sites a principal may use, in one place: every service that offers a site list asks here.

A role limited to its sites (chef_service, intervenant, formateur) gets its own sites; an
association-wide role (admin, direction, gestion) every site, unless `own_only` (a write that must
happen on one's own site: logging an outreach round). Closed sites are left out unless asked for
(a dashboard still reads their history). The caller checks the capability first: this says where,
not what.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from i18n import N_, _
from models.organisation import Site
from services.platform.principal import Principal

# A post, budget line or expense of no site belongs to the association as a whole (site_id NULL):
# association-wide principals see it under this name; a form sends NATIONAL_SITE as its site.
NATIONAL = N_("National")
NATIONAL_CHOICE = N_("National (aucun site)")
NATIONAL_SITE = "national"


def site_code_or_national(code: str | None) -> str:
    """A site's code, or « National » for a record of no site (shown only to association-wide roles)."""
    return _(NATIONAL) if code is None else code


@dataclass(frozen=True)
class SiteChoice:
    id: int
    code: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.code} — {self.name}"


def sites_of(
    session: Session, principal: Principal, *, own_only: bool = False, include_closed: bool = False
) -> list[SiteChoice]:
    """The sites `principal` may use, by code (see the module docstring)."""
    scope = Site.id.in_(sorted(principal.site_ids)) if own_only else principal.site_filter(Site.id)
    statement = select(Site.id, Site.code, Site.name).where(scope)
    if not include_closed:
        statement = statement.where(Site.is_active == sa.true())
    return [SiteChoice(int(i), code, name) for i, code, name in session.exec(statement.order_by(Site.code)).all()]
