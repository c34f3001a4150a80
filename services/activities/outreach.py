"""Outreach rounds (maraudes): logging and editing a round, listing the rounds of one's sites, monthly figures.

A round holds counts only: nobody is identified in it. Who may call:
- writers (log_round, update_round, staff_choices): RUN_FIELD_ACTIVITIES, on a site of their own;
- readers (list_rounds, round_detail, monthly_outreach, outreach_sites): VIEW_FIELD_FIGURES, every query
  filtered by the principal's sites (direction reads all sites and writes nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import Field, ValidationInfo, field_validator
from sqlmodel import Session, select

import clock
import i18n
from i18n import N_, _
from models.audit import AuditAction
from models.organisation import Role, Site, User, UserSite
from models.outreach import OutreachArea, OutreachMode, OutreachRound, OutreachRoundStaff
from models.persons import IntakeOrigin, Person
from services.persons.consent import counted
from services.platform import audit, data_version, paging
from services.platform.errors import NotFound, ValidationFailed
from services.platform.inputs import FormInput, field_error, messages
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update
from services.platform.sites import SiteChoice, sites_of
from services.platform.sql_days import year_month

# Who goes on a round: social workers, CIP, health staff and their heads of service.
STAFF_ROLES = (Role.INTERVENANT, Role.CHEF_SERVICE)
MAX_AGE_DAYS = 365  # a round older than a year can no longer be entered (edits of its counts stay possible)
MIN_DURATION, MAX_DURATION = 15, 12 * 60
MAX_PERSONS = 500  # above this a count is a typing slip, not a round
MAX_MATERIAL = 5000
STREET_AREAS = frozenset(
    {
        OutreachArea.CITY_CENTRE,
        OutreachArea.OUTSKIRTS,
        OutreachArea.ROADSIDE_VANS,
        OutreachArea.SALONS,
        OutreachArea.OTHER,
    }
)
ONLINE_AREAS = frozenset(
    {OutreachArea.CLASSIFIED_ADS, OutreachArea.ESCORT_SITES, OutreachArea.SOCIAL_NETWORKS, OutreachArea.OTHER}
)
AREAS_OF_MODE = {OutreachMode.STREET: STREET_AREAS, OutreachMode.ONLINE: ONLINE_AREAS}
PERSON_COUNTS = ("persons_met", "new_contacts", "conversations", "referred_to_intake")
MATERIAL_COUNTS = ("condoms_given", "leaflets_given", "hygiene_kits_given")

# Marked French ids, translated when a check fails (`message`); {names} are filled from MESSAGE_VALUES.
MESSAGE_IDS = {
    "site": N_("Choisissez un de vos sites."),
    "site_change": N_("Une maraude ne peut pas changer de site."),
    "round_on": N_("La date de la maraude est obligatoire."),
    "round_future": N_("La date de la maraude ne peut pas être dans le futur."),
    "round_old": N_("Cette maraude date de plus d'un an : elle ne peut plus être saisie."),
    "start_time": N_("Indiquez l'heure de début."),
    "duration": N_("La durée doit être comprise entre {minimum} minutes et {maximum} heures."),
    "mode": N_("Choisissez le type de maraude (présentielle ou dématérialisée)."),
    "area": N_("Choisissez le secteur ou la plateforme."),
    "area_street": N_("Ce secteur correspond à une maraude dématérialisée, pas présentielle."),
    "area_online": N_("Ce secteur correspond à une maraude présentielle, pas dématérialisée."),
    "negative": N_("Le nombre ne peut pas être négatif."),
    "too_many_persons": N_("Ce nombre paraît trop élevé (au plus {maximum}) : vérifiez la saisie."),
    "too_much_material": N_("Ce nombre paraît trop élevé (au plus {maximum}) : vérifiez la saisie."),
    "new_contacts": N_("Les nouveaux contacts ne peuvent pas dépasser le nombre de personnes rencontrées."),
    "conversations": N_(
        "Les entretiens ne peuvent pas dépasser le nombre de personnes rencontrées (un entretien par personne au plus)."
    ),
    "referred_to_intake": N_(
        "Les orientations vers un accueil ne peuvent pas dépasser le nombre de personnes rencontrées."
    ),
    "staff_missing": N_("Indiquez au moins une personne de l'équipe présente."),
    "staff_site": N_("Les personnes présentes doivent être des membres actifs de l'équipe de ce site."),
}
MESSAGE_VALUES = {
    "duration": {"minimum": MIN_DURATION, "maximum": MAX_DURATION // 60},
    "too_many_persons": {"maximum": MAX_PERSONS},
    "too_much_material": {"maximum": MAX_MATERIAL},
}
# The messages in French (the source text), as the checks return them in a French session.
MESSAGES = {key: text.format(**MESSAGE_VALUES.get(key, {})) for key, text in MESSAGE_IDS.items()}


def message(key: str) -> str:
    """The message `key` of MESSAGE_IDS in the active language."""
    return i18n.message(MESSAGE_IDS, key, **MESSAGE_VALUES.get(key, {}))


def _count(maximum: int, too_many: str) -> Any:
    """A count field: empty is 0, negative or above `maximum` refused with its message."""
    limits = {"greater_than_equal": MESSAGE_IDS["negative"], "less_than_equal": MESSAGE_IDS[too_many]}
    return Field(0, ge=0, le=maximum, json_schema_extra=messages(by_type=limits, maximum=maximum))


class RoundInput(FormInput):
    """What the round form sends; counts are whole numbers (empty counts as 0). Rules that need no
    database, each with its message; context: `as_of` (today), and for a correction `kept_date` (the date
    recorded, which may stay even when older than a year)."""

    site_id: int | None = None
    round_on: date = Field(json_schema_extra=messages(MESSAGE_IDS["round_on"]))
    start_time: time = Field(json_schema_extra=messages(MESSAGE_IDS["start_time"]))
    duration_minutes: int = Field(
        ge=MIN_DURATION,
        le=MAX_DURATION,
        json_schema_extra=messages(MESSAGE_IDS["duration"], **MESSAGE_VALUES["duration"]),
    )
    mode: OutreachMode = Field(json_schema_extra=messages(MESSAGE_IDS["mode"]))
    area: OutreachArea = Field(json_schema_extra=messages(MESSAGE_IDS["area"]))
    staff_ids: list[int] = Field(min_length=1, json_schema_extra=messages(MESSAGE_IDS["staff_missing"]))
    persons_met: int = _count(MAX_PERSONS, "too_many_persons")
    new_contacts: int = _count(MAX_PERSONS, "too_many_persons")
    conversations: int = _count(MAX_PERSONS, "too_many_persons")
    referred_to_intake: int = _count(MAX_PERSONS, "too_many_persons")
    condoms_given: int = _count(MAX_MATERIAL, "too_much_material")
    leaflets_given: int = _count(MAX_MATERIAL, "too_much_material")
    hygiene_kits_given: int = _count(MAX_MATERIAL, "too_much_material")

    @field_validator(*PERSON_COUNTS, *MATERIAL_COUNTS, mode="before")
    @classmethod
    def _empty_count_is_zero(cls, value: object) -> object:
        return 0 if value is None or value == "" else value

    @field_validator("staff_ids", mode="before")
    @classmethod
    def _no_staff(cls, value: object) -> object:
        return [] if value is None else value

    @field_validator("round_on")
    @classmethod
    def _recent_and_not_future(cls, value: date, info: ValidationInfo) -> date:
        context = info.context or {}
        today = context.get("as_of") or clock.today()
        if value > today:
            raise field_error(MESSAGE_IDS["round_future"])
        if value < today - timedelta(days=MAX_AGE_DAYS) and value != context.get("kept_date"):
            raise field_error(MESSAGE_IDS["round_old"])
        return value

    @field_validator("area")
    @classmethod
    def _area_of_the_mode(cls, value: OutreachArea, info: ValidationInfo) -> OutreachArea:
        mode = info.data.get("mode")
        if mode is not None and value not in AREAS_OF_MODE[mode]:
            raise field_error(MESSAGE_IDS["area_street" if mode == OutreachMode.STREET else "area_online"])
        return value

    @field_validator("new_contacts", "conversations", "referred_to_intake")
    @classmethod
    def _at_most_the_persons_met(cls, value: int, info: ValidationInfo) -> int:
        met = info.data.get("persons_met")
        if met is not None and value > met:
            raise field_error(MESSAGE_IDS[info.field_name])
        return value

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in PERSON_COUNTS + MATERIAL_COUNTS}


@dataclass(frozen=True)
class RoundRow:
    id: int
    site_id: int
    site_code: str
    round_on: date
    start_time: time | None
    duration_minutes: int
    mode: OutreachMode
    area: OutreachArea
    persons_met: int
    new_contacts: int
    conversations: int
    referred_to_intake: int
    condoms_given: int
    leaflets_given: int
    hygiene_kits_given: int
    staff_names: tuple[str, ...]
    version: int


@dataclass(frozen=True)
class RoundPage:
    rows: list[RoundRow]
    total: int
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return paging.page_count(self.total, self.page_size)


@dataclass(frozen=True)
class RoundDetail:
    row: RoundRow
    staff: tuple[tuple[int, str], ...]  # (user_id, display name) of the staff present


@dataclass(frozen=True)
class MonthlyOutreach:
    month: date  # first day of the month
    mode: OutreachMode
    site_id: int | None  # set when asked by site
    site_code: str | None
    rounds: int
    persons_met: int
    new_contacts: int
    referred_to_intake: int
    intakes_from_outreach: int  # files opened with origin « aller-vers » pointing to a round of this month


# --- validation ---------------------------------------------------------------------------------


def _site_staff(session: Session, site_id: int, user_ids: set[int]) -> set[int]:
    """Those of `user_ids` who are active team members (STAFF_ROLES) of the site."""
    if not user_ids:
        return set()
    return set(
        session.exec(
            select(User.id)
            .join(UserSite, UserSite.user_id == User.id)
            .where(
                User.id.in_(sorted(user_ids)),
                UserSite.site_id == site_id,
                User.is_active == sa.true(),
                User.role.in_(STAFF_ROLES),
            )
        ).all()
    )


def _validated(
    session: Session,
    data: RoundInput | Mapping[str, object],
    site_id: int,
    today: date,
    *,
    kept_date: date | None = None,
    kept_staff: frozenset[int] = frozenset(),
) -> tuple[dict, list[int]]:
    """The column values and staff ids of a round, or ValidationFailed with every field's message.

    Staff already recorded on the round (`kept_staff`) stay accepted even if they have left since."""
    errors: dict[str, str] = {}
    try:
        checked = RoundInput.validated(data, as_of=today, kept_date=kept_date)
    except ValidationFailed as exc:
        errors, checked = dict(exc.errors), None
    staff_ids = sorted({int(user_id) for user_id in (checked.staff_ids if checked else _raw_staff(data))})
    newcomers = set(staff_ids) - kept_staff
    if "staff_ids" not in errors and newcomers and _site_staff(session, site_id, newcomers) != newcomers:
        errors["staff_ids"] = message("staff_site")
    if errors or checked is None:
        raise ValidationFailed(errors)
    values = dict(
        round_on=checked.round_on,
        start_time=checked.start_time,
        duration_minutes=checked.duration_minutes,
        mode=checked.mode,
        area=checked.area,
        **checked.counts(),
    )
    return values, staff_ids


def _raw_staff(data: RoundInput | Mapping[str, object]) -> list[int]:
    """The staff ids of an input that failed its checks (to check the team as well, in the same answer)."""
    raw = data.staff_ids if isinstance(data, RoundInput) else data.get("staff_ids")
    try:
        return [int(user_id) for user_id in raw or []]
    except (TypeError, ValueError):
        return []


def _site_of(data: RoundInput | Mapping[str, object]) -> int | None:
    site_id = data.site_id if isinstance(data, RoundInput) else data.get("site_id")
    try:
        return None if site_id is None else int(site_id)
    except (TypeError, ValueError):
        return -1  # no such site: refused as « choose one of your sites »


def _writable_site(session: Session, principal: Principal, site_id: int | None) -> int:
    site = session.get(Site, site_id) if site_id is not None else None
    if site is None or not site.is_active or site.id not in principal.site_ids:
        raise ValidationFailed({"site_id": message("site")})
    return site.id


def _save_staff(session: Session, round_id: int, staff_ids: list[int]) -> None:
    session.execute(sa.delete(OutreachRoundStaff).where(OutreachRoundStaff.round_id == round_id))
    session.add_all([OutreachRoundStaff(round_id=round_id, user_id=user_id) for user_id in staff_ids])


# --- writes -------------------------------------------------------------------------------------


def log_round(
    session: Session, principal: Principal, *, data: RoundInput | Mapping[str, object], today: date | None = None
) -> int:
    """Record a round of one of the principal's sites (dated within the last year). Returns its id."""
    principal.require(Capability.RUN_FIELD_ACTIVITIES)
    today = today or clock.today()
    site_id = _writable_site(session, principal, _site_of(data))
    values, staff_ids = _validated(session, data, site_id, today)
    outreach = OutreachRound(site_id=site_id, created_by_id=principal.user_id, **values)
    session.add(outreach)
    session.flush()
    _save_staff(session, outreach.id, staff_ids)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.OUTREACH_ROUND_LOGGED,
        entity_type="outreach_round",
        entity_id=outreach.id,
        site_id=site_id,
    )
    session.commit()
    return outreach.id


def update_round(
    session: Session,
    principal: Principal,
    *,
    round_id: int,
    expected_version: int,
    data: RoundInput | Mapping[str, object],
    today: date | None = None,
) -> None:
    """Correct a round of one's sites, as last seen (`expected_version`; else StaleRecord). Its site stays."""
    principal.require(Capability.RUN_FIELD_ACTIVITIES)
    today = today or clock.today()
    outreach = session.exec(
        select(OutreachRound).where(OutreachRound.id == round_id, OutreachRound.site_id.in_(sorted(principal.site_ids)))
    ).first()
    if outreach is None:
        raise NotFound(_("Maraude introuvable."))
    if _site_of(data) is not None and _site_of(data) != outreach.site_id:
        raise ValidationFailed({"site_id": message("site_change")})
    kept_staff = frozenset(
        session.exec(select(OutreachRoundStaff.user_id).where(OutreachRoundStaff.round_id == outreach.id)).all()
    )
    values, staff_ids = _validated(
        session, data, outreach.site_id, today, kept_date=outreach.round_on, kept_staff=kept_staff
    )
    versioned_update(session, OutreachRound, outreach.id, int(expected_version), values)
    _save_staff(session, outreach.id, staff_ids)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.OUTREACH_ROUND_UPDATED,
        entity_type="outreach_round",
        entity_id=outreach.id,
        site_id=outreach.site_id,
    )
    session.commit()


# --- reads --------------------------------------------------------------------------------------


def outreach_sites(session: Session, principal: Principal, *, writable: bool = False) -> list[SiteChoice]:
    """The active sites whose rounds the principal reads (or, with `writable`, may log: its own only)."""
    principal.require(Capability.RUN_FIELD_ACTIVITIES if writable else Capability.VIEW_FIELD_FIGURES)
    return sites_of(session, principal, own_only=writable)


def staff_choices(session: Session, principal: Principal, site_id: int) -> list[tuple[int, str]]:
    """Active team members of one of the principal's sites who may be on a round: (user_id, name)."""
    principal.require(Capability.RUN_FIELD_ACTIVITIES)
    if site_id not in principal.site_ids:
        return []
    rows = session.exec(
        select(User.id, User.display_name)
        .join(UserSite, UserSite.user_id == User.id)
        .where(UserSite.site_id == site_id, User.is_active == sa.true(), User.role.in_(STAFF_ROLES))
        .order_by(User.display_name)
    ).all()
    return [(row.id, row.display_name) for row in rows]


def _row_of(outreach: OutreachRound, site_code: str, staff_names: tuple[str, ...]) -> RoundRow:
    return RoundRow(
        outreach.id,
        outreach.site_id,
        site_code,
        outreach.round_on,
        outreach.start_time,
        outreach.duration_minutes,
        outreach.mode,
        outreach.area,
        outreach.persons_met,
        outreach.new_contacts,
        outreach.conversations,
        outreach.referred_to_intake,
        outreach.condoms_given,
        outreach.leaflets_given,
        outreach.hygiene_kits_given,
        staff_names,
        outreach.version,
    )


def _staff_of(session: Session, round_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    staff: dict[int, list[tuple[int, str]]] = {round_id: [] for round_id in round_ids}
    if round_ids:
        rows = session.exec(
            select(OutreachRoundStaff.round_id, User.id, User.display_name)
            .join(User, User.id == OutreachRoundStaff.user_id)
            .where(OutreachRoundStaff.round_id.in_(round_ids))
            .order_by(User.display_name)
        ).all()
        for round_id, user_id, name in rows:
            staff[round_id].append((user_id, name))
    return staff


def list_rounds(
    session: Session,
    principal: Principal,
    *,
    site_id: int | None = None,
    month: date | None = None,
    page: int = 1,
    page_size: int = 25,
) -> RoundPage:
    """One page of the rounds of the principal's sites (or one of them, or one month), latest first.

    Three statements whatever the size: count, page, staff of the page."""
    principal.require(Capability.VIEW_FIELD_FIGURES)
    conditions = [principal.site_filter(OutreachRound.site_id)]
    if site_id is not None:
        conditions.append(OutreachRound.site_id == site_id)
    if month is not None:
        start = clock.month_start(month)
        conditions += [OutreachRound.round_on >= start, OutreachRound.round_on < clock.month_start(start, 1)]
    total = session.exec(select(sa.func.count()).select_from(OutreachRound).where(*conditions)).one()
    shown = paging.window(total, page, page_size)
    found = session.exec(
        select(OutreachRound, Site.code)
        .join(Site, Site.id == OutreachRound.site_id)
        .where(*conditions)
        .order_by(OutreachRound.round_on.desc(), OutreachRound.start_time.desc(), OutreachRound.id.desc())
        .offset(shown.offset)
        .limit(shown.page_size)
    ).all()
    staff = _staff_of(session, [outreach.id for outreach, _unused in found])
    rows = [_row_of(outreach, code, tuple(name for _unused, name in staff[outreach.id])) for outreach, code in found]
    return RoundPage(rows, total, shown.page, shown.page_size)


def round_detail(session: Session, principal: Principal, round_id: int) -> RoundDetail:
    """One round of the principal's sites with its staff, for the edit form (else NotFound)."""
    principal.require(Capability.VIEW_FIELD_FIGURES)
    found = session.exec(
        select(OutreachRound, Site.code)
        .join(Site, Site.id == OutreachRound.site_id)
        .where(OutreachRound.id == round_id, principal.site_filter(OutreachRound.site_id))
    ).first()
    if found is None:
        raise NotFound(_("Maraude introuvable."))
    outreach, code = found
    staff = tuple(_staff_of(session, [outreach.id])[outreach.id])
    return RoundDetail(_row_of(outreach, code, tuple(name for _unused, name in staff)), staff)


def monthly_outreach(
    session: Session,
    principal: Principal,
    *,
    months: int = 12,
    site_id: int | None = None,
    by_site: bool = False,
    today: date | None = None,
) -> list[MonthlyOutreach]:
    """Per month (the last `months`, current one included) and mode — and per site with `by_site` — the
    rounds, persons met, new contacts, referrals to an intake, and intakes from outreach: files opened
    with origin « aller-vers » that point to a round of that month (counted in the round's month and
    mode, whenever the file was opened). Two GROUP BY statements; combinations without a round are absent.
    """
    principal.require(Capability.VIEW_FIELD_FIGURES)
    today = today or clock.today()
    # Cached per data version: every site's twelve months read 62,000 rounds on the large dataset (70-90 ms
    # of SQL on SQLite at each click of Aller-vers for the direction). Rows are counts per month and mode.
    key = (principal.scope, months, site_id, by_site, today)
    return data_version.cached_aggregate(
        session,
        "outreach.monthly_outreach",
        key,
        lambda: _monthly_outreach(session, principal, months=months, site_id=site_id, by_site=by_site, today=today),
    )


def _monthly_outreach(
    session: Session, principal: Principal, *, months: int, site_id: int | None, by_site: bool, today: date
) -> list[MonthlyOutreach]:
    end = clock.month_start(today, 1)
    start = clock.month_start(today, -(months - 1))
    conditions = [
        principal.site_filter(OutreachRound.site_id),
        OutreachRound.round_on >= start,
        OutreachRound.round_on < end,
    ]
    if site_id is not None:
        conditions.append(OutreachRound.site_id == site_id)
    month = year_month(OutreachRound.round_on).label("month")
    keys = [month, OutreachRound.mode] + ([OutreachRound.site_id] if by_site else [])
    rounds = session.exec(
        select(
            *keys,
            sa.func.count(),
            sa.func.sum(OutreachRound.persons_met),
            sa.func.sum(OutreachRound.new_contacts),
            sa.func.sum(OutreachRound.referred_to_intake),
        )
        .where(*conditions)
        .group_by(*keys)
    ).all()
    # Files counted per round first: person.outreach_round_id has no index, and joining person to the
    # rounds of a site made SQLite scan every file once per round (seconds at 62,000 rounds).
    linked = (
        select(Person.outreach_round_id.label("round_id"), sa.func.count().label("files"))
        .where(
            principal.site_filter(Person.site_id),
            Person.origin == IntakeOrigin.OUTREACH,
            Person.outreach_round_id.is_not(None),
            counted(Person.id, Person.intake_on),
        )
        .group_by(Person.outreach_round_id)
        .subquery()
    )
    intakes = session.exec(
        select(*keys, sa.func.sum(linked.c.files))
        .select_from(OutreachRound)
        .join(linked, linked.c.round_id == OutreachRound.id)
        .where(*conditions)
        .group_by(*keys)
    ).all()
    width = len(keys)
    by_key: dict[tuple, list[int]] = {}
    for row in rounds:
        by_key[_key(row[:width])] = [int(v or 0) for v in row[width:]] + [0]
    for row in intakes:
        by_key.setdefault(_key(row[:width]), [0, 0, 0, 0, 0])[4] = int(row[width])
    codes = dict(session.exec(select(Site.id, Site.code)).all()) if by_site else {}
    result = [
        MonthlyOutreach(key[0], key[1], key[2] if by_site else None, codes.get(key[2]) if by_site else None, *values)
        for key, values in by_key.items()
    ]
    return sorted(result, key=lambda r: (r.month, r.site_code or "", r.mode))


def _key(values: tuple) -> tuple:
    month, mode, *rest = values
    return (date.fromisoformat(f"{month}-01"), OutreachMode(mode), *rest)


def across_sites(rows: list[MonthlyOutreach]) -> list[MonthlyOutreach]:
    """Rows by month, mode and site summed over the sites (by month and mode): saves a second pass over
    the rounds when a page shows both views."""
    totals: dict[tuple[date, OutreachMode], list[int]] = {}
    for row in rows:
        sums = totals.setdefault((row.month, row.mode), [0, 0, 0, 0, 0])
        for index, value in enumerate(
            (row.rounds, row.persons_met, row.new_contacts, row.referred_to_intake, row.intakes_from_outreach)
        ):
            sums[index] += value
    return [MonthlyOutreach(month, mode, None, None, *sums) for (month, mode), sums in sorted(totals.items())]
