"""The director's three questions, answered at the top of the dashboard (issue 18):

1. How many persons did we accompany over the period? Distinct persons with any activity in the period
   (appointment, workshop or course presence, referral, intake of a new file), per site and in total,
   with the previous period of the same length — not the files open on the last day.
2. Are we on budget? For each grant whose convention runs on `as_of`: the share of the sites' budget
   spent against the share of the convention period elapsed; a gap of more than GAP_TOLERANCE (10
   points) marks it as lagging (under-spent) or overspending.
3. Which site lags? The sites ranked on four measures normalised by their size: acts per FTE filled,
   attendance rate, CECRL level gains per learner, persons with an outcome per 100 persons accompanied.
   Each measure is compared with the median of the compared sites: a site below LAG_SHARE (75 %) of the
   median is marked on that measure, and a site marked on at least LAGGING_MARKS (2) measures is « en
   retrait ». The rank follows the site's index: the mean of its measures as a share of their medians,
   each capped at SHARE_CAP (200 %) so that one measure far ahead cannot hide the others (100 = the median
   site).

Who may call: the dashboard's audience (services.reporting.dashboard.REQUIRED): direction (every site or a
chosen subset), chef_service (its own sites). Figures on screen are exact (the screen is not an export).

The workbook (« Préparer l'export Excel ») is an export: it goes through the one disclosure control
(services.reporting.disclosure) at the export threshold (settings.export_disclosure_threshold, 11 by default),
as the activity report does (`export_protection`):
- persons accompanied per site, with their total: `protect_counts` (below the threshold « < 11 », and secondary
  suppression « masqué » so that no hidden site comes back as total minus the others). The protection is computed
  on the sum of the sites; the workbook prints the distinct-person total (a person active at two sites counts on
  each, once in the total) only when it IS that sum and the sum is published, else its label (« < 11 » or
  « masqué »): a reader who sees the distinct total then knows no more than the protection assumed. The previous
  period's total is a single figure (`protect_value`); no change per site is exported, so the change against the
  previous period gives no hidden count back;
- the other person counts of the site comparison (learners, level gains, persons with an outcome): per site,
  below the threshold « < 11 » (no total is exported for them);
- rates and ratios per site (acts per FTE, attendance rate, level gains per learner, outcomes per 100):
  `protect_measures`, « non publié » when fewer persons than the threshold are behind them (persons accompanied;
  persons marked at workshops or courses, the larger family as a lower bound of the distinct persons; learners),
  and also when the rate and a published count would give a hidden count back (outcomes per 100 with the persons
  accompanied or the persons with an outcome hidden; gains per learner with the learners or the gains hidden);
  a site's index is « non publié » when one of its measures is;
- money (grants), FTE, acts, ranks and verdicts are not counts of persons: exact. Ranks, marks and verdicts are
  comparisons with medians the workbook does not print.
SQL in services.reporting._director_answers; results cached per data version (aggregates only).
"""

from __future__ import annotations

import io
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from sqlmodel import Session

import clock
from i18n import N_, _
from models.audit import AuditAction
from services.finance.consumption import elapsed_share
from services.platform import audit, data_version, spreadsheet
from services.platform.config import get_settings
from services.platform.inputs import PeriodInput
from services.platform.principal import Principal
from services.platform.sites import SiteChoice
from services.reporting import _director_answers as sql
from services.reporting.dashboard import MAX_DAYS, _resolve_sites, _whole_association, previous_period
from services.reporting.disclosure import (
    Shown,
    Suppression,
    below_label,
    hidden_label,
    protect_counts,
    protect_measures,
    protect_value,
    shown,
    withheld_label,
)

GAP_TOLERANCE = Decimal("0.10")  # consumed vs elapsed: more than 10 points apart is flagged
LAG_SHARE = Decimal("0.75")  # below 75 % of the sites' median: marked
LAGGING_MARKS = 2  # marked on at least two measures: the site lags
SHARE_CAP = Decimal(2)  # in the index, a measure counts for at most twice its median

BEHIND, ON_TRACK, OVERSPENDING = "behind", "on_track", "overspending"
PACE_LABELS = {
    BEHIND: N_("En retard (sous-consommation)"),
    ON_TRACK: N_("Au rythme"),
    OVERSPENDING: N_("Surconsommation"),
}
MEASURES = ("acts_per_fte", "attendance_rate", "gains_per_learner", "outcomes_per_100")
MEASURE_LABELS = {
    "acts_per_fte": N_("Actes par ETP"),
    "attendance_rate": N_("Taux de présence"),
    "gains_per_learner": N_("Niveaux gagnés par apprenant·e"),
    "outcomes_per_100": N_("Sorties pour 100 personnes"),
}
MEASURE_HELP = {
    "acts_per_fte": N_(
        "Entretiens et accompagnements, présences aux ateliers et aux cours, orientations et maraudes de la "
        "période, divisés par les ETP pourvus du site (postes pourvus à la date de lecture, hors chargé·es de "
        "mission national·es)."
    ),
    "attendance_rate": N_(
        "Présences ÷ toutes les marques d'émargement (présent, excusé, absent) des séances d'atelier et de "
        "cours de français de la période."
    ),
    "gains_per_learner": N_(
        "Évaluations de la période supérieures à la précédente de la même personne dans la même compétence "
        "(échelle CECRL), divisées par les apprenant·es présent·es à au moins un cours de la période."
    ),
    "outcomes_per_100": N_(
        "Personnes ayant une sortie datée de la période (hors perte de contact et « autre »), pour 100 "
        "personnes accompagnées sur la période."
    ),
}


@dataclass(frozen=True)
class Accompanied:
    total: int
    previous_total: int
    by_site: tuple[tuple[SiteChoice, int], ...]


@dataclass(frozen=True)
class GrantPace:
    grant_id: int
    name: str
    funder: str
    starts_on: date
    ends_on: date
    planned_cents: int
    spent_cents: int
    consumed_share: Decimal | None  # None: nothing planned on these sites
    elapsed_share: Decimal
    status: str | None  # BEHIND, ON_TRACK, OVERSPENDING; None when nothing is planned

    @property
    def gap(self) -> Decimal | None:
        """Consumed minus elapsed (shares: 0.12 = 12 points)."""
        return None if self.consumed_share is None else self.consumed_share - self.elapsed_share


@dataclass(frozen=True)
class SiteMeasures:
    site: SiteChoice
    counts: sql.SiteCounts
    values: tuple[tuple[str, Decimal | None], ...]  # (measure key, value) in MEASURES order
    index: Decimal | None  # mean of the measures as a share of the medians, ×100; None without comparison
    marked: tuple[str, ...]  # measures below LAG_SHARE of the median
    rank: int

    def value(self, key: str) -> Decimal | None:
        return dict(self.values)[key]

    @property
    def lagging(self) -> bool:
        return len(self.marked) >= LAGGING_MARKS


@dataclass(frozen=True)
class DirectorAnswers:
    start: date
    end: date
    previous_start: date
    previous_end: date
    as_of: date
    accompanied: Accompanied
    grants: tuple[GrantPace, ...]
    sites: tuple[SiteMeasures, ...]  # ranked, best first
    medians: tuple[tuple[str, Decimal | None], ...]

    @property
    def compared(self) -> bool:
        """Whether the sites are compared (two sites at least)."""
        return len(self.sites) >= 2


def director_answers(
    session: Session,
    principal: Principal,
    *,
    start: date,
    end: date,
    site_ids: Sequence[int] | None = None,
    today: date | None = None,
) -> DirectorAnswers:
    """The three answers for [start, end] and the chosen sites (None: every site of the principal's
    scope); budget and FTE read on the earlier of `end` and today."""
    PeriodInput.validated({"start": start, "end": end}, longest_days=MAX_DAYS)
    sites = _resolve_sites(session, principal, site_ids)
    as_of = min(end, today or clock.today())
    key = (tuple(site.id for site in sites), start, end, as_of, principal.scope)
    return data_version.cached_aggregate(
        session, "director_answers", key, lambda: _answers(session, principal, sites, start, end, as_of)
    )


def _ratio(numerator: int, denominator: Decimal | int) -> Decimal | None:
    """Exact: rounded once where it is written (rounding 0.79946 to 0.7995 here would show 80,0 %, not 79,9 %)."""
    return Decimal(numerator) / Decimal(denominator) if denominator else None


def _measures(counts: sql.SiteCounts) -> dict[str, Decimal | None]:
    return {
        "acts_per_fte": _ratio(counts.acts, Decimal(counts.fte_hundredths) / 100),
        "attendance_rate": _ratio(
            counts.workshop_present + counts.course_present, counts.workshop_marks + counts.course_marks
        ),
        "gains_per_learner": _ratio(counts.level_gains, counts.learners),
        "outcomes_per_100": _ratio(counts.persons_with_outcome * 100, counts.accompanied),
    }


def rank_sites(counts: dict[SiteChoice, sql.SiteCounts]) -> tuple[list[SiteMeasures], dict[str, Decimal | None]]:
    """The sites ranked by their index (pure), and the median of each measure (None below two sites with a
    value)."""
    values = {site: _measures(c) for site, c in counts.items()}
    medians: dict[str, Decimal | None] = {}
    for key in MEASURES:
        known = [v[key] for v in values.values() if v[key] is not None]
        medians[key] = Decimal(statistics.median(known)) if len(known) >= 2 else None
    scored = []
    for site, own in values.items():
        shares = [min(own[k] / medians[k], SHARE_CAP) for k in MEASURES if own[k] is not None and medians[k]]
        index = (sum(shares) / len(shares) * 100).quantize(Decimal("1")) if shares else None
        marked = tuple(k for k in MEASURES if own[k] is not None and medians[k] and own[k] < LAG_SHARE * medians[k])
        scored.append((site, own, index, marked))
    scored.sort(key=lambda s: (s[2] is None, -(s[2] or 0), s[0].name))
    ranked = [
        SiteMeasures(site, counts[site], tuple((k, own[k]) for k in MEASURES), index, marked, rank)
        for rank, (site, own, index, marked) in enumerate(scored, start=1)
    ]
    return ranked, medians


def pace(row: sql.GrantRow, as_of: date) -> GrantPace:
    elapsed = elapsed_share(row.starts_on, row.ends_on, as_of)
    consumed = _ratio(row.spent_cents, row.planned_cents)
    status = None
    if consumed is not None:
        gap = consumed - elapsed
        status = BEHIND if gap < -GAP_TOLERANCE else OVERSPENDING if gap > GAP_TOLERANCE else ON_TRACK
    return GrantPace(
        row.grant_id,
        row.name,
        row.funder,
        row.starts_on,
        row.ends_on,
        row.planned_cents,
        row.spent_cents,
        consumed,
        elapsed,
        status,
    )


def _answers(
    session: Session, principal: Principal, sites: list[SiteChoice], start: date, end: date, as_of: date
) -> DirectorAnswers:
    ids = [site.id for site in sites]
    previous = previous_period(start, end)
    periods = [(start, end), previous]
    by_site = sql.accompanied_by_site(session, site_ids=ids, periods=periods)
    totals = sql.accompanied_total(session, site_ids=ids, periods=periods)
    counts = sql.site_counts(
        session, site_ids=ids, period=(start, end), as_of=as_of, accompanied={site: by_site[site][0] for site in ids}
    )
    ranked, medians = rank_sites({site: counts[site.id] for site in sites})
    grants = data_version.cached_aggregate(  # on its own: a save of an expense leaves the activity counts cached
        session,
        "director_answers.grants",
        (tuple(ids), as_of, principal.scope),
        lambda: sql.grants_running(
            session, principal, site_ids=ids, as_of=as_of, national=_whole_association(session, principal, sites)
        ),
    )
    return DirectorAnswers(
        start=start,
        end=end,
        previous_start=previous[0],
        previous_end=previous[1],
        as_of=as_of,
        accompanied=Accompanied(totals[0], totals[1], tuple((site, by_site[site.id][0]) for site in sites)),
        grants=tuple(pace(row, as_of) for row in grants),
        sites=tuple(ranked),
        medians=tuple(medians.items()),
    )


# --- the workbook: the figures of the page, protected at the export threshold ----------------------------

PERSON_COUNTS = ("learners", "level_gains", "persons_with_outcome")  # per site in the comparison sheet


@dataclass(frozen=True)
class ExportFigures:
    """What the workbook publishes of the person counts and the measures (module docstring)."""

    threshold: int
    accompanied: Mapping[int, Shown]  # site id -> persons accompanied
    total: Shown  # distinct persons accompanied, the sites together
    previous_total: Shown
    counts: Mapping[str, Mapping[int, Shown]]  # PERSON_COUNTS key -> site id -> count
    measures: Mapping[str, Mapping[int, Shown]]  # MEASURES key -> site id -> rate
    index: Mapping[int, Shown]


def _headcounts(c: sql.SiteCounts) -> dict[str, int]:
    """The persons each measure of a site rests on."""
    return {
        "acts_per_fte": c.accompanied,
        "attendance_rate": max(c.workshop_persons, c.course_persons),
        "gains_per_learner": c.learners,
        "outcomes_per_100": c.accompanied,
    }


def export_protection(answers: DirectorAnswers, threshold: int) -> ExportFigures:
    """The person counts and measures of `answers` as the workbook may publish them (pure)."""
    by_site = {site.id: n for site, n in answers.accompanied.by_site}
    persons = protect_counts(by_site, threshold=threshold)
    distinct = answers.accompanied.total
    if persons.total.hidden or distinct != persons.total.value or distinct < threshold:
        kind = Suppression.PRIMARY if distinct < threshold else Suppression.SECONDARY
        total = shown(distinct, kind, threshold)
    else:
        total = persons.total
    counts = {
        key: protect_counts(
            {row.site.id: getattr(row.counts, key) for row in answers.sites}, threshold=threshold, publish_total=False
        ).items
        for key in PERSON_COUNTS
    }
    linked = {  # a rate that would give back a hidden count with a published one rests on nobody here
        "outcomes_per_100": lambda site: persons.items[site].hidden or counts["persons_with_outcome"][site].hidden,
        "gains_per_learner": lambda site: counts["learners"][site].hidden or counts["level_gains"][site].hidden,
    }
    measures = {}
    for key in MEASURES:
        heads = {
            row.site.id: 0 if key in linked and linked[key](row.site.id) else _headcounts(row.counts)[key]
            for row in answers.sites
        }
        measures[key] = protect_measures(
            {row.site.id: row.value(key) for row in answers.sites},
            heads,
            total=None,
            headcount_total=0,
            threshold=threshold,
        ).items
    index = {}
    for row in answers.sites:
        hidden = any(measures[key][row.site.id].hidden for key in MEASURES)
        index[row.site.id] = (
            Shown(None, Suppression.WITHHELD, withheld_label())
            if hidden and row.index is not None
            else Shown(row.index, Suppression.NONE, "—" if row.index is None else str(row.index))
        )
    return ExportFigures(
        threshold,
        persons.items,
        total,
        protect_value(answers.accompanied.previous_total, threshold=threshold),
        counts,
        measures,
        index,
    )


def _cell(item: Shown) -> object:
    """A protected figure in a cell: its number, or the label saying why it is hidden."""
    return item.text if item.hidden else item.value


def rules_text() -> list[str]:
    """The definitions the page and the workbook state (active language)."""
    return [
        _(
            "Personnes accompagnées : personnes distinctes ayant eu dans la période au moins un entretien ou "
            "accompagnement, une présence à un atelier ou à un cours de français, une orientation vers un "
            "partenaire, ou l'ouverture de leur dossier (accueil). Une personne active sur deux sites compte sur "
            "chacun, et une fois dans le total."
        ),
        _(
            "Financements : conventions en cours à la date de lecture ; part du budget des sites dépensée face à "
            "la part de la durée de la convention écoulée. Un écart de plus de {points} points est signalé : en "
            "retard (sous-consommation) ou surconsommation."
        ).format(points=int(GAP_TOLERANCE * 100)),
        _(
            "Comparaison des sites : chaque mesure est comparée à la médiane des sites comparés ; une mesure "
            "inférieure à {share} % de la médiane est marquée ▼, et un site marqué sur au moins {marks} mesures "
            "est « en retrait ». Indice : moyenne des mesures rapportées à leur médiane, chacune comptée au plus "
            "{cap} % (100 = site médian) ; le classement suit l'indice."
        ).format(share=int(LAG_SHARE * 100), marks=LAGGING_MARKS, cap=int(SHARE_CAP * 100)),
    ]


def build_workbook(
    session: Session,
    principal: Principal,
    *,
    start: date,
    end: date,
    site_ids: Sequence[int] | None = None,
    today: date | None = None,
    threshold: int | None = None,
) -> bytes:
    """The three answers as an XLSX workbook, person counts and rates protected at the export threshold
    (`export_protection`); the export is audited."""
    answers = director_answers(session, principal, start=start, end=end, site_ids=site_ids, today=today)
    figures = export_protection(answers, threshold or get_settings().export_disclosure_threshold)
    book = Workbook()
    _accompanied_sheet(book.active, answers, figures)
    _grants_sheet(book.create_sheet(spreadsheet.sheet_name(book, _("Financements"), _("Feuille"))), answers)
    sites_sheet = book.create_sheet(spreadsheet.sheet_name(book, _("Comparaison des sites"), _("Feuille")))
    _sites_sheet(sites_sheet, answers, figures)
    buffer = io.BytesIO()
    book.save(buffer)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.REPORT_DASHBOARD_EXPORTED,
        entity_type="dashboard",
        detail=f"period={start.isoformat()}/{end.isoformat()};sites={','.join(s.site.code for s in answers.sites)}",
    )
    session.commit()
    return buffer.getvalue()


def _accompanied_sheet(ws, answers: DirectorAnswers, figures: ExportFigures) -> None:
    ws.title = spreadsheet.sheet_name(ws.parent, _("Personnes accompagnées"), _("Feuille"))
    spreadsheet.set_widths(ws, [34, 18, 18])
    spreadsheet.write_row(ws, [_("Tableau de bord : les trois questions de la direction")], bold=True)
    spreadsheet.write_row(ws, [_("Période"), answers.start, answers.end])
    spreadsheet.write_row(ws, [_("Période précédente"), answers.previous_start, answers.previous_end])
    spreadsheet.write_row(ws, [_("Budget et ETP lus le"), answers.as_of])
    spreadsheet.write_note(
        ws,
        _(
            "Secret statistique (export) : les nombres de personnes inférieurs à {threshold} sont affichés "
            "« {below} », et d'autres sont « {hidden} » pour qu'aucun ne se retrouve par différence avec le total ; "
            "un taux qui repose sur moins de {threshold} personnes, ou qui redonnerait un nombre masqué, est "
            "« {withheld} ». Les montants, ETP et actes sont exacts. Les chiffres exacts restent à l'écran du "
            "tableau de bord."
        ).format(
            threshold=figures.threshold,
            below=below_label(figures.threshold),
            hidden=hidden_label(),
            withheld=withheld_label(),
        ),
        columns=3,
    )
    ws.append([])
    spreadsheet.write_row(ws, [_("Site"), _("Personnes accompagnées")], bold=True)
    for site, _count in answers.accompanied.by_site:
        spreadsheet.write_row(ws, [site.name, _cell(figures.accompanied[site.id])])
    spreadsheet.write_row(ws, [_("Total (personnes distinctes)"), _cell(figures.total)], bold=True)
    spreadsheet.write_row(ws, [_("Période précédente"), _cell(figures.previous_total)])
    ws.append([])
    for text in rules_text():
        spreadsheet.write_note(ws, text, columns=3)


def _grants_sheet(ws, answers: DirectorAnswers) -> None:
    spreadsheet.set_widths(ws, [36, 20, 12, 12, 16, 16, 14, 14, 14, 28])
    pct = spreadsheet.PERCENT
    spreadsheet.write_row(
        ws,
        [
            _("Convention"),
            _("Financeur"),
            _("Début"),
            _("Fin"),
            _("Budget prévu"),
            _("Dépensé"),
            _("Consommé"),
            _("Durée écoulée"),
            _("Écart (points)"),
            _("Rythme"),
        ],
        bold=True,
    )
    for grant in answers.grants:
        gap = None if grant.gap is None else (grant.gap * 100).quantize(Decimal("0.1"))
        spreadsheet.write_row(
            ws,
            [
                grant.name,
                grant.funder,
                grant.starts_on,
                grant.ends_on,
                spreadsheet.euros(grant.planned_cents),
                spreadsheet.euros(grant.spent_cents),
                grant.consumed_share,
                grant.elapsed_share,
                gap,
                _(PACE_LABELS[grant.status]) if grant.status else _("Rien de prévu sur ces sites"),
            ],
            [None, None, None, None, spreadsheet.EUROS, spreadsheet.EUROS, pct, pct, "0.0", None],
        )


def _sites_sheet(ws, answers: DirectorAnswers, figures: ExportFigures) -> None:
    spreadsheet.set_widths(ws, [8, 20, 10, 14, 10, 14, 14, 12, 12, 16, 12, 16, 10, 34, 16])
    spreadsheet.write_row(
        ws,
        [
            _("Rang"),
            _("Site"),
            _("ETP pourvus"),
            _("Personnes accompagnées"),
            _("Actes"),
            _(MEASURE_LABELS["acts_per_fte"]),
            _(MEASURE_LABELS["attendance_rate"]),
            _("Apprenant·es"),
            _("Niveaux gagnés"),
            _(MEASURE_LABELS["gains_per_learner"]),
            _("Personnes sorties"),
            _(MEASURE_LABELS["outcomes_per_100"]),
            _("Indice"),
            _("Mesures sous le seuil"),
            _("Verdict"),
        ],
        bold=True,
    )
    for row in answers.sites:
        c, site = row.counts, row.site.id
        measure = {key: _cell(figures.measures[key][site]) for key in MEASURES}
        count = {key: _cell(figures.counts[key][site]) for key in PERSON_COUNTS}
        spreadsheet.write_row(
            ws,
            [
                row.rank,
                row.site.name,
                Decimal(c.fte_hundredths) / 100,
                _cell(figures.accompanied[site]),
                c.acts,
                measure["acts_per_fte"],
                measure["attendance_rate"],
                count["learners"],
                count["level_gains"],
                measure["gains_per_learner"],
                count["persons_with_outcome"],
                measure["outcomes_per_100"],
                _cell(figures.index[site]),
                ", ".join(_(MEASURE_LABELS[k]) for k in row.marked),
                verdict(row, answers.compared),
            ],
            [None, None, spreadsheet.FTE, None, None, "0.0", spreadsheet.PERCENT, None, None, "0.00", None, "0.0"],
        )
    ws.append([])
    for key in MEASURES:
        spreadsheet.write_note(ws, f"{_(MEASURE_LABELS[key])} : {_(MEASURE_HELP[key])}", columns=8)


def verdict(row: SiteMeasures, compared: bool) -> str:
    """« En retrait », « Dans la norme » or « Sans comparaison » (a single site)."""
    if not compared:
        return _("Sans comparaison")
    return _("En retrait") if row.lagging else _("Dans la norme")
