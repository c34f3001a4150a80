"""The published figures a practice note may cite: the funder publication of a grant, for the note's site.

A practice note (services/capitalisation) is about one site; it cites figures of that site on one period.
Nothing new is computed here: a cited figure is a grant's published series (services.reporting.funder_space's
`grant_publication`, the publication grid of services.reporting.publication), read on one grid period of that
grant (a month, a finished quarter or pool of quarters, the grant to date — never free dates) with the
EXPORT protection (threshold 11 by default; small counts shown « < 11 », secondary suppression, hours and rates
over few persons « non publié »), and only the note's site's entry of it: exactly what the funder's report pack
publishes for that site. So a guide made of notes reveals nothing the pack does not, and the guides and the
packs together reveal no hidden cell (the pack's own argument, services.reporting.disclosure).

Who may call: the national project officers (CAPITALISE_PRACTICE) choose and read citations of any site; the
teams of a site (PROPOSE_PRACTICE_NOTES) read the cited figures of notes of their own sites.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

import clock
from i18n import N_, _
from models.finance import Funder, Grant
from services.finance.consumption import GrantSummary
from services.platform.errors import PermissionDenied
from services.platform.principal import Capability, Principal
from services.reporting import _indicators as indicators
from services.reporting.funder_space import FUNDER_KEYS, _unpublished_note, grant_publication, grant_sites, thresholds
from services.reporting.publication import GridPeriod, Output, Publication

# The indicators a note may cite: the funder's (persons, activity, outcomes), in the funder space's order.
CITABLE_KEYS: tuple[str, ...] = FUNDER_KEYS
GRANT_NOT_OF_SITE = N_("Choisissez une convention qui finance le site de la note.")
PERIOD_NOT_PUBLISHED = N_("Choisissez une période publiée de cette convention.")
INDICATOR_UNKNOWN = N_("Choisissez des indicateurs de la liste.")


@dataclass(frozen=True)
class Citation:
    """What a note stores about a figure it cites."""

    grant_id: int
    period_key: str
    indicator_key: str


@dataclass(frozen=True)
class FigureSource:
    """A grant that funds the site, and the periods of its publication grid a note may cite."""

    grant_id: int
    title: str
    periods: tuple[GridPeriod, ...]


@dataclass(frozen=True)
class CitedFigure:
    citation: Citation
    grant_title: str
    period_label: str  # in the active language; « période non publiée » when the key is no longer a grid period
    label: str  # the indicator's label
    text: str  # the published value (« 42 », « < 11 », « masqué », « non publié », « cumul en cours »…)
    hidden: bool  # True when the value is not published (suppressed, withheld or not on the grid)


def require_reader(principal: Principal, site_id: int) -> None:
    if principal.can(Capability.CAPITALISE_PRACTICE):
        return
    if principal.can(Capability.PROPOSE_PRACTICE_NOTES) and site_id in principal.site_ids:
        return
    raise PermissionDenied()


def export_threshold() -> int:
    return thresholds()[1]


def _summary(grant: Grant, funder_name: str) -> GrantSummary:
    return GrantSummary(
        id=grant.id,
        name=grant.name,
        funder_name=funder_name,
        convention_ref=grant.convention_ref,
        amount_cents=grant.amount_cents,
        starts_on=grant.starts_on,
        ends_on=grant.ends_on,
        tolerance_bp=grant.tolerance_bp,
    )


def _grants_of_site(session: Session, site_id: int) -> list[GrantSummary]:
    """Grants whose publication covers the site: named in the convention or on its budget lines."""
    rows = session.exec(
        select(Grant, Funder.name)
        .join(Funder, Funder.id == Grant.funder_id)
        .order_by(Grant.starts_on.desc(), Grant.name)
    ).all()
    result = []
    for grant, funder_name in rows:
        if any(site.id == site_id for site in grant_sites(session, grant.id)):
            result.append(_summary(grant, funder_name))
    return result


def _publication(session: Session, grant: GrantSummary, today: date) -> Publication:
    return grant_publication(session, grant, grant_sites(session, grant.id), today)


def figure_sources(
    session: Session, principal: Principal, *, site_id: int, today: date | None = None
) -> list[FigureSource]:
    """The grants funding the site whose publication has at least one period, newest first (officers only)."""
    principal.require(Capability.CAPITALISE_PRACTICE)
    today = today or clock.today()
    sources = []
    for grant in _grants_of_site(session, site_id):
        options = tuple(_publication(session, grant, today).options())
        if options:
            sources.append(FigureSource(grant.id, grant.title, options))
    return sources


def citation_errors(
    session: Session,
    principal: Principal,
    *,
    site_id: int,
    grant_id: int | None,
    period_key: str | None = None,
    indicator_keys: Sequence[str] = (),
    today: date | None = None,
) -> dict[str, str]:
    """{field: message} for a citation the grid does not offer for this site (empty: it may be cited)."""
    principal.require(Capability.CAPITALISE_PRACTICE)
    errors: dict[str, str] = {}
    if not indicator_keys or any(key not in CITABLE_KEYS for key in indicator_keys):
        errors["indicator_keys"] = _(INDICATOR_UNKNOWN)
    source = next(
        (s for s in figure_sources(session, principal, site_id=site_id, today=today) if s.grant_id == grant_id), None
    )
    if source is None:
        errors["grant_id"] = _(GRANT_NOT_OF_SITE)
    elif period_key not in {period.key for period in source.periods}:
        errors["period_key"] = _(PERIOD_NOT_PUBLISHED)
    return errors


def cited_figures(
    session: Session,
    principal: Principal,
    *,
    site_id: int,
    citations: Sequence[Citation],
    today: date | None = None,
) -> list[CitedFigure]:
    """The published value of each citation for the site, export protection, in the order given."""
    require_reader(principal, site_id)
    today = today or clock.today()
    grants = {
        grant.id: grant
        for grant in (
            _summary(grant, funder_name)
            for grant, funder_name in session.exec(
                select(Grant, Funder.name)
                .join(Funder, Funder.id == Grant.funder_id)
                .where(Grant.id.in_(sorted({c.grant_id for c in citations})))
            ).all()
        )
    }
    publications: dict[int, Publication] = {}
    covered: dict[int, bool] = {}
    result = []
    for citation in citations:
        grant = grants.get(citation.grant_id)
        spec = indicators.SPECS.get(citation.indicator_key)
        label = spec.label if spec is not None else citation.indicator_key
        if grant is None or spec is None:
            result.append(CitedFigure(citation, "—", "—", label, _("non publié"), True))
            continue
        if grant.id not in publications:
            publications[grant.id] = _publication(session, grant, today)
            covered[grant.id] = any(site.id == site_id for site in grant_sites(session, grant.id))
        published = publications[grant.id]
        period = next((p for p in published.options() if p.key == citation.period_key), None)
        series = published.series.get(citation.indicator_key)
        if period is None or series is None or not covered[grant.id]:
            result.append(CitedFigure(citation, grant.title, _("période non publiée"), label, _("non publié"), True))
            continue
        figure = series.figure(period, Output.EXPORT)
        if figure is None:
            note = _unpublished_note(series, period)
            result.append(CitedFigure(citation, grant.title, period.label(), label, note, True))
            continue
        shown = figure.by_site[site_id]
        result.append(CitedFigure(citation, grant.title, figure.period.label(), label, shown.text, shown.hidden))
    return result


def citable_indicators() -> list[tuple[str, str]]:
    """(key, label in the active language) of each indicator a note may cite, in the funder space's order."""
    return [(key, indicators.SPECS[key].label) for key in CITABLE_KEYS]
