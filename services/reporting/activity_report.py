"""The annual activity report (rapport d'activité): the figures of one finished calendar year, for one site or
the whole association, each beside the previous year's, as published figures.

Who may call: direction (the association or any site) and chef_service (its own sites only): the roles holding
both VIEW_FIELD_FIGURES and VIEW_COURSE_FIGURES; everyone else is refused. The documents (Word, PDF) are built
by services.reporting.activity_documents; every export is audited there.

Everything here is published (threshold: the export one, 11 by default), through the one disclosure control
(services.reporting.disclosure). How the report stays safe when every report is put together — every site's
and the association's, this year's and the previous ones:
- A year is a fixed period of the grid (whole finished quarters): never free dates. The previous year's column
  is that year's own protection, the same figures its own report publishes (given the same data).
- Each figure is protected ONCE, over all the sites of the association (rows) with its totals: a site's report
  publishes its row of that protection, the association's report its totals row. So the association's total
  minus the sites' figures is the protected table itself: no small count comes back by difference.
- Files of the year: a table sites × (files continuing from before, new files), whose row totals are the file
  active. The profile of the new files (origin, age band, nationality group, housing, resources, barriers) adds up
  to the new files of each site, which the first table publishes: these breakdowns are protected with their row
  totals KNOWN (`protect_table(known_row_totals=True)`), so a cell cannot be recovered as « new files minus the
  published parts ». A site whose count of new files is hidden is pooled with the other such sites in one row
  that no report prints (its total is known: total minus the published sites); its own report says « non
  publié » for the profile. When the association's total of new files is hidden, no profile is published.
- Lists of persons (workshop participants, learners, learners progressing, moves to mainstream courses, persons
  met in outreach): `protect_counts` over the sites with the total. Hours and rates: `protect_measures` (hidden
  when fewer persons than the threshold are behind them). Sessions and rounds are activity, not persons: not
  masked. No breakdown crosses more than two of site, nationality, age band, month (`check_breakdown`).
- Residual, stated in the document: housing and resources are the situation recorded in the file (Parcours keeps
  no history of these two fields), so a figure of a past year may move when files are updated.
  The funder space publishes quarters of the grants' sites to their funders at the screen threshold: the report is
  checked on its own and across its scopes and years, not against those quarters.

Definitions (year = 1 January – 31 December, both included; persons who refused statistics are counted as their
consent stood, services.persons.consent):
- file active: files taken in on or before 31 December and not closed before 1 January (an anonymised file
  without a closing day is out), as consent stood on 31 December; new files: those taken in during the year;
  continuing: the others. The profile tables are about the new files.
- age band: the age reached in the year of intake (the anonymised files' kept band when the birth year is gone);
- barriers: the first rating of each barrier of a new file, counted when partial or major;
- workshops, French, referrals, outcomes, outreach: as services.reporting._indicators defines them, over the year;
- PSP: episodes requested during the year, with the prefect's decision as it stood on 31 December.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from i18n import N_, _, formats
from models.labels import label
from models.organisation import Site
from models.outreach import OutreachMode, OutreachRound
from models.partners import OutcomeCategory, PartnerKind
from models.pathway import Barrier, BarrierAssessment, BarrierSeverity, PrefectDecision, PspEpisode
from models.persons import HousingSituation, IntakeOrigin, Person
from services.persons.consent import counted
from services.persons.files import INCOME_SOURCES, income_source_label
from services.persons.generalisation import region_of
from services.platform.config import get_settings
from services.platform.errors import PermissionDenied, ValidationFailed
from services.platform.principal import Capability, Principal
from services.platform.sites import SiteChoice
from services.reporting import _indicators as indicators
from services.reporting.disclosure import (
    TOTAL,
    ProtectedCounts,
    ProtectedTable,
    Shown,
    Suppression,
    check_breakdown,
    protect_counts,
    protect_measures,
    protect_table,
    withheld_label,
)

REQUIRED = (Capability.VIEW_FIELD_FIGURES, Capability.VIEW_COURSE_FIGURES)
POOLED = "__pooled__"  # the row of the sites whose new files are hidden (never printed)
UNKNOWN = "unknown"

CONTINUING, NEW = "continuing", "new"
AGE_BANDS = ("under_25", "25_34", "35_44", "45_plus", UNKNOWN)
AGE_BAND_LABELS = {
    "under_25": N_("Moins de 25 ans"),
    "25_34": N_("25 à 34 ans"),
    "35_44": N_("35 à 44 ans"),
    "45_plus": N_("45 ans et plus"),
    UNKNOWN: N_("Non renseigné"),
}
# Nationality groups from the ISO code, or from the M49 sub-region an anonymised file keeps.
NATIONALITY_GROUPS = ("france", "europe", "west_africa", "other_africa", "americas", "asia_oceania", UNKNOWN)
NATIONALITY_LABELS = {
    "france": N_("France"),
    "europe": N_("Autres pays d'Europe"),
    "west_africa": N_("Afrique de l'Ouest"),
    "other_africa": N_("Autres pays d'Afrique"),
    "americas": N_("Amériques"),
    "asia_oceania": N_("Asie et Océanie"),
    UNKNOWN: N_("Non renseignée"),
}
_REGION_GROUP = {
    **dict.fromkeys(("151", "154", "039", "155"), "europe"),
    "011": "west_africa",
    **dict.fromkeys(("015", "017", "014", "018"), "other_africa"),
    **dict.fromkeys(("029", "013", "005", "021"), "americas"),
    **dict.fromkeys(("143", "030", "035", "034", "145", "053", "054", "057", "061"), "asia_oceania"),
}
PSP_RESULTS = ("granted", "refused", "pending")
PSP_LABELS = {"granted": N_("Accordé"), "refused": N_("Refusé"), "pending": N_("En attente au 31 décembre")}


def nationality_group(nationality: str | None, region: str | None) -> str:
    if nationality and nationality.upper() == "FR":
        return "france"
    return _REGION_GROUP.get(region_of(nationality) or region or "", UNKNOWN)


def age_band_key(birth_year: int | None, kept_band: int | None, intake_on: date) -> str:
    if birth_year is not None and birth_year <= intake_on.year:
        age = intake_on.year - birth_year
    elif kept_band is not None:
        age = kept_band  # the first age of the kept 5-year band: bands here are unions of 5-year bands
    else:
        return UNKNOWN
    if age < 25:
        return "under_25"
    if age < 35:
        return "25_34"
    if age < 45:
        return "35_44"
    return "45_plus"


# --- what a report holds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One figure of the report: this year's and the previous year's, as published."""

    label: str
    current: Shown
    previous: Shown
    unit: str = "count"  # "count" (persons, masked) | "activity" (not masked) | "hours" | "rate"

    @property
    def change(self) -> str:
        """The change from the previous year, only between two published figures (else « — »)."""
        now, before = self.current, self.previous
        if now.hidden or before.hidden or now.value is None or before.value is None:
            return formats.NO_VALUE
        if self.unit == "rate":
            points = (Decimal(now.value) - Decimal(before.value)) * 100
            return _("{sign}{points} pt").format(sign="+" if points > 0 else "", points=formats.decimal(float(points)))
        difference = now.value - before.value
        text = formats.decimal(float(difference)) if self.unit == "hours" else formats.number(int(difference))
        return f"+{text}" if difference > 0 else text


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    definition: str
    lines: tuple[Line, ...]
    total: Line | None = None
    chart: bool = False  # drawn as a bar chart (each line, previous year beside this year)


@dataclass(frozen=True)
class ActivityReport:
    year: int
    site: SiteChoice | None  # None: the whole association
    association: str
    threshold: int
    sections: tuple[Section, ...]

    @property
    def scope_label(self) -> str:
        return self.site.name if self.site else _("Ensemble de l'association")

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


# --- permission and choices ------------------------------------------------------------------------


def require_activity_report(principal: Principal) -> None:
    if not all(principal.can(capability) for capability in REQUIRED):
        raise PermissionDenied()


def report_scopes(session: Session, principal: Principal) -> list[SiteChoice | None]:
    """What the principal may report on: None (the whole association) for direction, then its sites (closed
    ones too: a past year may have had activity there)."""
    require_activity_report(principal)
    statement = select(Site.id, Site.code, Site.name).where(principal.site_filter(Site.id)).order_by(Site.code)
    sites = [SiteChoice(int(i), code, name) for i, code, name in session.exec(statement).all()]
    return ([None] if principal.all_sites else []) + sites


def report_years(session: Session, principal: Principal, *, today: date) -> list[int]:
    """Finished calendar years with files, the latest first (at least last year)."""
    require_activity_report(principal)
    first = session.exec(select(sa.func.min(Person.intake_on))).one()
    last = today.year - 1
    start = min(first.year, last) if first else last
    return list(range(last, start - 1, -1))


def _check_scope(
    session: Session, principal: Principal, *, year: int, site_id: int | None, today: date
) -> SiteChoice | None:
    require_activity_report(principal)
    if year >= today.year:
        raise ValidationFailed({"year": _("Seule une année terminée peut être publiée.")})
    if site_id is None:
        if not principal.all_sites:
            raise PermissionDenied()
        return None
    if not principal.may_see_site(site_id):
        raise PermissionDenied()
    site = session.get(Site, site_id)
    if site is None:
        raise ValidationFailed({"site": _("Site inconnu.")})
    return SiteChoice(int(site.id), site.code, site.name)


# --- one year's figures, protected over every site ------------------------------------------------


Cells = dict[tuple[Hashable, Hashable], int]


@dataclass(frozen=True)
class _Year:
    sites: tuple[int, ...]
    threshold: int
    tables: Mapping[str, ProtectedTable]
    lists: Mapping[str, ProtectedCounts]
    activity: Mapping[str, Mapping[int, int]]


def _period(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _file_rows(session: Session, sites: Sequence[int], year: int) -> list:
    start, end = _period(year)
    return session.exec(
        select(
            Person.id,
            Person.site_id,
            Person.intake_on,
            Person.origin,
            Person.birth_year,
            Person.age_band,
            Person.nationality,
            Person.nationality_region,
            Person.housing,
            Person.income_sources,
        ).where(Person.site_id.in_(sites), _in_file_active(start, end))
    ).all()


def _in_file_active(start: date, end: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        Person.intake_on <= end,
        sa.or_(
            Person.closed_on >= start,
            sa.and_(Person.closed_on.is_(None), Person.status.in_(indicators.OPEN_STATUSES)),
        ),
        counted(Person.id, end),  # as consent stood on the year's last day
    )


def _first_barriers(session: Session, sites: Sequence[int], year: int) -> list[tuple[int, str]]:
    """(site, barrier) of every new file of the year whose first rating of that barrier is partial or major."""
    start, end = _period(year)
    rows = session.exec(
        select(Person.site_id, BarrierAssessment.person_id, BarrierAssessment.barrier, BarrierAssessment.severity)
        .join(Person, Person.id == BarrierAssessment.person_id)
        .where(Person.site_id.in_(sites), Person.intake_on >= start, _in_file_active(start, end))
        .order_by(BarrierAssessment.person_id, BarrierAssessment.assessed_on, BarrierAssessment.id)
    ).all()
    first: dict[tuple[int, str], tuple[int, str]] = {}
    for site, person, barrier, severity in rows:
        first.setdefault((int(person), Barrier(barrier).value), (int(site), BarrierSeverity(severity).value))
    return [
        (site, barrier)
        for (_person, barrier), (site, severity) in first.items()
        if severity != BarrierSeverity.NONE.value
    ]


def _outreach(session: Session, sites: Sequence[int], year: int) -> dict[str, dict[int, int]]:
    rows = session.exec(
        select(
            OutreachRound.site_id,
            OutreachRound.mode,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(OutreachRound.persons_met), 0),
            sa.func.coalesce(sa.func.sum(OutreachRound.referred_to_intake), 0),
        )
        .where(OutreachRound.site_id.in_(sites), indicators.within(OutreachRound.round_on, _period(year)))
        .group_by(OutreachRound.site_id, OutreachRound.mode)
    ).all()
    figures: dict[str, dict[int, int]] = defaultdict(lambda: dict.fromkeys(sites, 0))
    for site, mode, rounds, met, referred in rows:
        mode = OutreachMode(mode).value
        figures[f"rounds_{mode}"][int(site)] += int(rounds)
        figures[f"met_{mode}"][int(site)] += int(met)
        figures["referred_to_intake"][int(site)] += int(referred)
    return figures


def _psp(session: Session, sites: Sequence[int], year: int) -> Cells:
    start, end = _period(year)
    rows = session.exec(
        select(PspEpisode.site_id, PspEpisode.prefect_decision, PspEpisode.decided_on).where(
            PspEpisode.site_id.in_(sites),
            indicators.within(PspEpisode.requested_on, (start, end)),
            counted(PspEpisode.person_id, PspEpisode.requested_on),
        )
    ).all()
    cells: Cells = Counter()
    for site, decision, decided_on in rows:
        decision = PrefectDecision(decision)
        known = decided_on is None or decided_on <= end
        if decision == PrefectDecision.GRANTED and decided_on is not None and decided_on <= end:
            result = "granted"
        elif decision == PrefectDecision.REFUSED and known:
            result = "refused"
        else:
            result = "pending"
        cells[(int(site), result)] += 1
    return cells


def _withheld() -> Shown:
    return Shown(None, Suppression.WITHHELD, withheld_label())


def _profile(
    cells: Mapping[tuple[int, str], int],
    files: ProtectedTable,
    sites: Sequence[int],
    cols: Sequence[str],
    *,
    single: bool,
) -> ProtectedTable | None:
    """A breakdown of the new files: the sites whose new files are published, the others pooled in one row.
    `single`: every file is in exactly one column, so the row totals are the published new files (known).
    None when the association's new files are hidden (nothing of the profile is published)."""
    if files.col_total(NEW).hidden:
        return None
    shown_sites = [s for s in sites if not files.entry(s, NEW).hidden]
    pooled = [s for s in sites if s not in shown_sites]
    rows: list[Hashable] = [*shown_sites, *([POOLED] if pooled else [])]
    grouped: Counter = Counter()
    for (site, col), count in cells.items():
        grouped[(site if site in shown_sites else POOLED, col)] += count
    table = protect_table(grouped, threshold=files.threshold, rows=rows, cols=cols, known_row_totals=single)
    if single:  # the row totals must be the first table's, else they would publish something new
        for site in shown_sites:
            assert table.row_total(site).value == files.entry(site, NEW).value
        assert table.grand_total.value == files.col_total(NEW).value
    return table


def _year(session: Session, sites: Sequence[int], year: int, threshold: int) -> _Year:
    check_breakdown(("site", "age_band"))
    check_breakdown(("site", "nationality"))
    start, end = _period(year)
    files: Cells = Counter()
    origin: Cells = Counter()
    age: Cells = Counter()
    nationality: Cells = Counter()
    housing: Cells = Counter()
    resources: Cells = Counter()
    for _id, site, intake_on, origin_, birth_year, kept_band, nat, region, housing_, income in _file_rows(
        session, sites, year
    ):
        site = int(site)
        is_new = intake_on >= start
        files[(site, NEW if is_new else CONTINUING)] += 1
        if not is_new:
            continue
        origin[(site, IntakeOrigin(origin_).value)] += 1
        age[(site, age_band_key(birth_year, kept_band, intake_on))] += 1
        nationality[(site, nationality_group(nat, region))] += 1
        housing[(site, HousingSituation(housing_).value if housing_ else UNKNOWN)] += 1
        for code in [c for c in (income or []) if c in INCOME_SOURCES] or [UNKNOWN]:
            resources[(site, code)] += 1
    barriers: Cells = Counter(_first_barriers(session, sites, year))

    protected_files = protect_table(files, threshold=threshold, rows=sites, cols=(CONTINUING, NEW))
    tables: dict[str, ProtectedTable | None] = {"files": protected_files}
    for key, cells, cols, single in (
        ("origin", origin, [o.value for o in IntakeOrigin], True),
        ("age", age, AGE_BANDS, True),
        ("nationality", nationality, NATIONALITY_GROUPS, True),
        ("housing", housing, [*(h.value for h in HousingSituation), UNKNOWN], True),
        ("resources", resources, [*INCOME_SOURCES, UNKNOWN], False),
        ("barriers", barriers, [b.value for b in Barrier], False),
    ):
        tables[key] = _profile(cells, protected_files, sites, cols, single=single)

    sums = indicators.gather(
        session,
        site_ids=sites,
        periods=[(start, end)],
        keys=(
            "workshop_sessions",
            "workshop_attendance_rate",
            "course_hours",
            "level_gains",
            "mainstream_transitions",
            "referrals",
            indicators.OUTCOME_KEYS[0],
        ),
    ).sites
    raw = {site: sums[site][0] for site in sites}
    total_raw = indicators.total(sums, 0)
    tables["referrals"] = protect_table(
        {(s, k.value): raw[s][f"referrals_{k.value}"] for s in sites for k in PartnerKind},
        threshold=threshold,
        rows=sites,
        cols=[k.value for k in PartnerKind],
    )
    tables["outcomes"] = protect_table(
        {(s, c.value): raw[s][f"outcomes_{c.value}"] for s in sites for c in OutcomeCategory},
        threshold=threshold,
        rows=sites,
        cols=[c.value for c in OutcomeCategory],
    )
    tables["psp"] = protect_table(_psp(session, sites, year), threshold=threshold, rows=sites, cols=PSP_RESULTS)

    outreach = _outreach(session, sites, year)
    lists: dict[str, ProtectedCounts] = {}
    for key, per_site in (
        ("workshop_persons", {s: raw[s]["workshop_persons"] for s in sites}),
        ("course_learners", {s: raw[s]["course_learners"] for s in sites}),
        ("level_gains", {s: raw[s]["level_gains"] for s in sites}),
        ("mainstream_transitions", {s: raw[s]["mainstream_transitions"] for s in sites}),
        ("met_street", outreach["met_street"]),
        ("met_online", outreach["met_online"]),
        ("referred_to_intake", outreach["referred_to_intake"]),
    ):
        lists[key] = protect_counts(per_site, threshold=threshold)

    def rate(values: Mapping) -> Decimal | None:
        return indicators._value("workshop_attendance_rate", values)

    def hours(values: Mapping) -> Decimal:
        return indicators._value("course_hours", values)

    lists["attendance_rate"] = protect_measures(
        {s: rate(raw[s]) for s in sites},
        {s: raw[s]["workshop_persons"] for s in sites},
        total=rate(total_raw),
        headcount_total=total_raw["workshop_persons"],
        threshold=threshold,
    )
    lists["course_hours"] = protect_measures(
        {s: hours(raw[s]) for s in sites},
        {s: raw[s]["course_learners"] for s in sites},
        total=hours(total_raw),
        headcount_total=total_raw["course_learners"],
        threshold=threshold,
    )
    activity = {
        "workshop_sessions": {s: raw[s]["workshop_sessions"] for s in sites},
        "rounds_street": outreach["rounds_street"],
        "rounds_online": outreach["rounds_online"],
    }
    return _Year(tuple(sites), threshold, tables, lists, activity)


# --- one scope of the protected year -----------------------------------------------------------------


class _Scope:
    """What one report (a site, or None: the association) publishes of a protected year."""

    def __init__(self, figures: _Year, site_id: int | None) -> None:
        self.figures, self.site_id = figures, site_id

    def cell(self, table: str, col: Hashable) -> Shown:
        protected = self.figures.tables[table]
        if protected is None:
            return _withheld()
        row = TOTAL if self.site_id is None else self.site_id
        if row not in protected.rows and row != TOTAL:
            return _withheld()  # a site pooled with the others: its profile is not published
        return protected.entry(row, col)

    def row_total(self, table: str) -> Shown:
        return self.cell(table, TOTAL)

    def listed(self, key: str) -> Shown:
        protected = self.figures.lists[key]
        return protected.total if self.site_id is None else protected.items[self.site_id]

    def activity(self, key: str) -> Shown:
        per_site = self.figures.activity[key]
        value = sum(per_site.values()) if self.site_id is None else per_site.get(self.site_id, 0)
        return Shown(value, Suppression.NONE, formats.number(value))


def _measure_text(item: Shown, unit: str) -> Shown:
    """A published hour count or rate with its text in the active language."""
    if item.hidden or item.value is None:
        return item
    if unit == "rate":
        return Shown(item.value, item.suppression, formats.percent(float(item.value), digits=1))
    return Shown(item.value, item.suppression, formats.decimal(float(item.value)))


def _sections(now: _Scope, before: _Scope) -> tuple[Section, ...]:
    def table_lines(table: str, cols: Sequence[str], name: Callable[[str], str]) -> tuple[Line, ...]:
        return tuple(Line(name(col), now.cell(table, col), before.cell(table, col)) for col in cols)

    def total_line(table: str, text: str) -> Line:
        return Line(text, now.row_total(table), before.row_total(table))

    def listed(key: str, text: str, unit: str = "count") -> Line:
        if unit in ("hours", "rate"):
            return Line(text, _measure_text(now.listed(key), unit), _measure_text(before.listed(key), unit), unit)
        return Line(text, now.listed(key), before.listed(key), unit)

    def activity(key: str, text: str) -> Line:
        return Line(text, now.activity(key), before.activity(key), "activity")

    income = [*INCOME_SOURCES, UNKNOWN]
    return (
        Section(
            "files",
            _("File active et nouveaux dossiers"),
            _(
                "File active : dossiers ouverts à un moment de l'année (accueillis au plus tard le 31 décembre, "
                "non clôturés avant le 1er janvier). Nouveaux dossiers : accueils de l'année."
            ),
            (
                Line(
                    _("Dossiers suivis depuis une année antérieure"),
                    now.cell("files", CONTINUING),
                    before.cell("files", CONTINUING),
                ),
                Line(_("Nouveaux dossiers de l'année"), now.cell("files", NEW), before.cell("files", NEW)),
            ),
            total_line("files", _("File active de l'année")),
            chart=True,
        ),
        Section(
            "origin",
            _("Origine de l'orientation des nouveaux dossiers"),
            _("Comment les personnes accueillies dans l'année sont arrivées à l'association."),
            table_lines("origin", [o.value for o in IntakeOrigin], lambda c: label(IntakeOrigin(c))),
            total_line("origin", _("Nouveaux dossiers")),
            chart=True,
        ),
        Section(
            "age",
            _("Tranches d'âge à l'accueil"),
            _("Âge atteint dans l'année de l'accueil, pour les nouveaux dossiers."),
            table_lines("age", AGE_BANDS, lambda c: _(AGE_BAND_LABELS[c])),
            total_line("age", _("Nouveaux dossiers")),
            chart=True,
        ),
        Section(
            "nationality",
            _("Nationalités (groupes de pays)"),
            _("Nouveaux dossiers par groupe de pays de nationalité."),
            table_lines("nationality", NATIONALITY_GROUPS, lambda c: _(NATIONALITY_LABELS[c])),
            total_line("nationality", _("Nouveaux dossiers")),
            chart=True,
        ),
        Section(
            "housing",
            _("Hébergement des nouveaux dossiers"),
            _(
                "Situation d'hébergement enregistrée dans le dossier (Parcours ne conserve pas l'historique de ce "
                "champ : un chiffre d'une année passée peut bouger quand un dossier est mis à jour)."
            ),
            table_lines(
                "housing",
                [*(h.value for h in HousingSituation), UNKNOWN],
                lambda c: _("Non renseigné") if c == UNKNOWN else label(HousingSituation(c)),
            ),
            total_line("housing", _("Nouveaux dossiers")),
        ),
        Section(
            "resources",
            _("Ressources des nouveaux dossiers"),
            _(
                "Personnes ayant chaque source de revenus enregistrée dans le dossier (une personne peut en avoir "
                "plusieurs ; pas d'historique de ce champ)."
            ),
            table_lines("resources", income, lambda c: _("Non renseigné") if c == UNKNOWN else income_source_label(c)),
        ),
        Section(
            "barriers",
            _("Freins à l'accueil"),
            _(
                "Nouveaux dossiers dont la première évaluation de chaque frein le juge partiel ou majeur (une "
                "personne peut en avoir plusieurs)."
            ),
            table_lines("barriers", [b.value for b in Barrier], lambda c: label(Barrier(c))),
        ),
        Section(
            "workshops",
            _("Ateliers et assiduité"),
            _(
                "Séances dont l'émargement a été saisi ; personnes émargées au moins une fois ; présence : "
                "présent·es ÷ émargements."
            ),
            (
                activity("workshop_sessions", _("Séances d'atelier")),
                listed("workshop_persons", _("Personnes émargées")),
                listed("attendance_rate", _("Taux de présence"), "rate"),
            ),
        ),
        Section(
            "french",
            _("Cours de français"),
            _(
                "Heures-apprenant : durée des séances pour chaque présence. Progrès : une évaluation de l'année "
                "au-dessus de la précédente dans la même compétence (échelle CECRL)."
            ),
            (
                listed("course_learners", _("Apprenant·es présent·es")),
                listed("course_hours", _("Heures-apprenant de français"), "hours"),
                listed("level_gains", _("Apprenant·es ayant gagné un niveau")),
                listed("mainstream_transitions", _("Passages vers un cours de droit commun")),
            ),
        ),
        Section(
            "referrals",
            _("Orientations par type de partenaire"),
            _("Orientations vers un partenaire faites dans l'année."),
            table_lines("referrals", [k.value for k in PartnerKind], lambda c: label(PartnerKind(c))),
            total_line("referrals", _("Orientations")),
            chart=True,
        ),
        Section(
            "outcomes",
            _("Sorties par catégorie"),
            _("Personnes ayant une sortie de la catégorie datée dans l'année (une personne peut en avoir plusieurs)."),
            table_lines("outcomes", [c.value for c in OutcomeCategory], lambda c: label(OutcomeCategory(c))),
            chart=True,
        ),
        Section(
            "psp",
            _("Parcours de sortie de la prostitution (PSP)"),
            _("Demandes de PSP faites dans l'année, selon la décision préfectorale au 31 décembre."),
            table_lines("psp", PSP_RESULTS, lambda c: _(PSP_LABELS[c])),
            total_line("psp", _("Demandes de l'année")),
        ),
        Section(
            "outreach",
            _("Aller-vers"),
            _("Maraudes de l'année et personnes rencontrées (comptages, sans identification)."),
            (
                activity("rounds_street", _("Maraudes présentielles")),
                activity("rounds_online", _("Maraudes en ligne")),
                listed("met_street", _("Rencontres en présentiel")),
                listed("met_online", _("Contacts en ligne")),
                listed("referred_to_intake", _("Orientations vers l'accueil")),
            ),
        ),
    )


def activity_report(
    session: Session,
    principal: Principal,
    *,
    year: int,
    site_id: int | None,
    today: date,
    threshold: int | None = None,
    association_name: str | None = None,
) -> ActivityReport:
    """The figures of the report of `year` for a site (None: the association), with the previous year's, in the
    active language. Read-only; the documents and the audit entry are services.reporting.activity_documents'."""
    site = _check_scope(session, principal, year=year, site_id=site_id, today=today)
    settings = get_settings()
    threshold = threshold or settings.export_disclosure_threshold
    sites = sorted(int(i) for i in session.exec(select(Site.id)).all())
    now = _Scope(_year(session, sites, year, threshold), site_id)
    before = _Scope(_year(session, sites, year - 1, threshold), site_id)
    return ActivityReport(year, site, association_name or settings.association_name, threshold, _sections(now, before))
