"""Posts: creation and edits, filling and vacating (with their history), funding split across grants.

Writes: EDIT_BUDGET (gestion). Reads: VIEW_STAFFING — direction and gestion all sites, chef_service
its own sites (the scope is in every query: principal.site_filter(Post.site_id)).
A national post (site_id NULL, « National »: the national project officers) is created by gestion only
(access.may_write_national) and read only by association-wide roles: `site_id IN (…)` never matches NULL.
Its cost goes to the grants' national 64 lines (no site).
Figures (FTE, vacancies, cost by grant, series) live in services.finance.staffing.figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from pydantic import Field, ValidationInfo, field_validator
from sqlmodel import Session, select

from clock import today as paris_today
from i18n import N_, _, formats
from models.audit import AuditAction
from models.finance import BudgetCategory, BudgetLine, Grant, GrantSite, Strand
from models.organisation import Site
from models.staffing import Post, PostFunding, PostStatusChange, PostType
from services.finance.access import may_write_national
from services.finance.fields import DAY, spaces_or_none
from services.platform import audit
from services.platform.errors import NotFound, ValidationFailed
from services.platform.inputs import (
    FORM_ERROR,
    FUTURE_DATE,
    FormInput,
    checked,
    field_error,
    messages,
    raw,
    raw_id,
    refuse_if,
)
from services.platform.money import BASIS_POINTS, hundredths, typed_cents
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update
from services.platform.sites import NATIONAL_SITE, SiteChoice, site_code_or_national, sites_of

HOLDER_MAX = 120
MAX_MONTHLY_COST_CENTS = 5_000_000  # 50 000 € loaded per month: beyond is a typing error
# Marked French ids of the rules declared on the input models (translated when a check fails).
CHOOSE_SITE = N_("Choisissez un site actif.")
CHOOSE_POST_TYPE = N_("Choisissez un type de poste.")
FTE_RANGE = N_("Le temps de travail doit être compris entre 0,01 et 1,00 ETP.")
COST_REQUIRED = N_("Indiquez le coût mensuel chargé du poste (supérieur à 0 €).")
COST_TOO_HIGH = N_("Ce coût mensuel dépasse 50 000 € : vérifiez la saisie.")
START_REQUIRED = N_("Indiquez la date de début du poste.")
END_AFTER_START = N_("La date de fin doit suivre la date de début.")
HOLDER_TOO_LONG = N_("Le nom du titulaire ne peut dépasser {count} caractères.")
HOLDER_REQUIRED = N_("Indiquez le nom du ou de la titulaire.")
DATE_REQUIRED = N_("Indiquez la date.")
SHARE_UNREADABLE = N_("Ligne {row} : part illisible (attendu par exemple 50 ou 33,34).")
SHARE_RANGE = N_("Ligne {row} : la part doit être comprise entre 0,01 % et 100 %.")
NOT_A_STAFF_LINE = N_(
    "Ligne {row} : cette convention ne finance pas de ligne "
    "« 64 – Charges de personnel » pour ce volet sur le site du poste."
)


@dataclass(frozen=True)
class FundingRow:
    grant_id: int
    grant_name: str
    strand_id: int | None
    strand_name: str | None
    share_bp: int


@dataclass(frozen=True)
class PostRow:
    id: int
    site_id: int | None  # None: a national post
    site_code: str  # « National » for a national post
    post_type: PostType
    fte_hundredths: int
    monthly_cost_cents: int
    starts_on: date
    ends_on: date | None
    is_filled: bool
    status_since: date
    holder_name: str | None
    version: int
    funding: tuple[FundingRow, ...]

    @property
    def funded_bp(self) -> int:
        return sum(f.share_bp for f in self.funding)


@dataclass(frozen=True)
class FundingOption:
    """A (grant, strand) whose "64 – Charges de personnel" line on the post's site may receive its cost."""

    grant_id: int
    grant_name: str
    strand_id: int
    strand_name: str
    budget_line_id: int


# --- reads ----------------------------------------------------------------------------------------


def _post_in_scope(session: Session, principal: Principal, post_id: int) -> Post:
    post = session.exec(select(Post).where(Post.id == post_id, principal.site_filter(Post.site_id))).first()
    if post is None:
        raise NotFound(_("Poste introuvable."))
    return post


def list_posts(session: Session, principal: Principal, *, site_id: int | str | None = None) -> list[PostRow]:
    """Posts of the principal's sites (one site if asked; NATIONAL_SITE: the national posts), with their
    funding split."""
    principal.require(Capability.VIEW_STAFFING)
    query = (
        select(Post, Site.code)
        .outerjoin(Site, Site.id == Post.site_id)  # a national post has no site
        .where(principal.site_filter(Post.site_id))
        .order_by(Site.code, Post.post_type, Post.id)
    )
    if site_id == NATIONAL_SITE:
        query = query.where(Post.site_id.is_(None))
    elif site_id is not None:
        query = query.where(Post.site_id == site_id)
    rows = sorted(session.exec(query).all(), key=lambda row: row[1] is None)  # national posts last
    funding: dict[int, list[FundingRow]] = {}
    if rows:
        shares = session.exec(
            select(PostFunding.post_id, Grant.id, Grant.name, PostFunding.strand_id, Strand.name, PostFunding.share_bp)
            .join(Grant, Grant.id == PostFunding.grant_id)
            .outerjoin(Strand, Strand.id == PostFunding.strand_id)
            .join(Post, Post.id == PostFunding.post_id)
            .where(principal.site_filter(Post.site_id))
            .order_by(PostFunding.post_id, Grant.id)
        ).all()
        for post_id, grant_id, grant_name, strand_id, strand_name, share_bp in shares:
            funding.setdefault(post_id, []).append(FundingRow(grant_id, grant_name, strand_id, strand_name, share_bp))
    return [
        PostRow(
            p.id,
            p.site_id,
            site_code_or_national(code),
            PostType(p.post_type),
            p.fte_hundredths,
            p.monthly_cost_cents,
            p.starts_on,
            p.ends_on,
            p.is_filled,
            p.status_since,
            p.holder_name,
            p.version,
            tuple(funding.get(p.id, [])),
        )
        for p, code in rows
    ]


def sites_in_scope(session: Session, principal: Principal) -> list[SiteChoice]:
    """The active sites whose posts the principal may see."""
    principal.require(Capability.VIEW_STAFFING)
    return sites_of(session, principal)


def offers_national(principal: Principal) -> bool:
    """The post form offers « National (aucun site) »: to an association-wide budget writer (gestion) only."""
    return may_write_national(principal)


def funding_options(session: Session, principal: Principal, post_id: int) -> list[FundingOption]:
    """The (grant, strand) pairs that may fund a post: grants covering its site with a 64 line there."""
    principal.require(Capability.VIEW_STAFFING)
    post = _post_in_scope(session, principal, post_id)
    return _site_options(session, post.site_id)


def _site_options(session: Session, site_id: int | None) -> list[FundingOption]:
    """The 64 lines of the post's site on the grants covering it; for a national post (None), the national
    64 lines (no site) of any grant."""
    query = (
        select(Grant.id, Grant.name, Strand.id, Strand.name, BudgetLine.id)
        .join(BudgetLine, BudgetLine.grant_id == Grant.id)
        .join(Strand, Strand.id == BudgetLine.strand_id)
        .where(BudgetLine.category == BudgetCategory.STAFF)
        .order_by(Grant.starts_on, Grant.id, Strand.id)
    )
    if site_id is None:
        query = query.where(BudgetLine.site_id.is_(None))
    else:
        query = query.join(GrantSite, sa.and_(GrantSite.grant_id == Grant.id, GrantSite.site_id == site_id)).where(
            BudgetLine.site_id == site_id
        )
    rows = session.exec(query).all()
    return [FundingOption(*row) for row in rows]


def all_funding_options(session: Session, principal: Principal) -> list[tuple[int, str, int, str]]:
    """(grant id, grant name, strand id, strand name) having a 64 line on a site of the principal (forms)."""
    principal.require(Capability.VIEW_STAFFING)
    rows = session.exec(
        select(Grant.id, Grant.name, Strand.id, Strand.name)
        .distinct()
        .join(BudgetLine, BudgetLine.grant_id == Grant.id)
        .join(Strand, Strand.id == BudgetLine.strand_id)
        .where(BudgetLine.category == BudgetCategory.STAFF, principal.site_filter(BudgetLine.site_id))
        .order_by(Grant.id, Strand.id)
    ).all()
    return [tuple(r) for r in rows]


# --- inputs ---------------------------------------------------------------------------------------------


class PostInput(FormInput):
    """What the post form sends: `fte` is the working time typed (1,00 = full time), `monthly_cost` the
    loaded monthly cost (a number of euros or typed text, services.finance.fields), held in hundredths and in
    cents once checked. For a new post, `shares` is its funding split (rows of ShareInput)."""

    site_id: int | None = Field(json_schema_extra=messages(CHOOSE_SITE))  # None once checked: national
    post_type: PostType = Field(json_schema_extra=messages(CHOOSE_POST_TYPE))
    fte: int = Field(ge=1, le=100, json_schema_extra=messages(FTE_RANGE))
    monthly_cost: int = Field(
        gt=0,
        le=MAX_MONTHLY_COST_CENTS,
        json_schema_extra=messages(COST_REQUIRED, by_type={"less_than_equal": COST_TOO_HIGH}),
    )
    starts_on: date = Field(json_schema_extra=messages(START_REQUIRED))
    ends_on: date | None = None
    holder_name: str | None = Field(
        None, max_length=HOLDER_MAX, json_schema_extra=messages(HOLDER_TOO_LONG, count=HOLDER_MAX)
    )
    shares: list[dict] | None = None  # checked by the service (they need the post's site)

    @field_validator("site_id", mode="before")
    @classmethod
    def _site_or_national(cls, value: object) -> object:
        if value is None:
            raise field_error(CHOOSE_SITE)
        return None if value == NATIONAL_SITE else value  # who may write a national post: _active_site

    @field_validator("fte", mode="before")
    @classmethod
    def _hundredths(cls, value: object) -> object:
        try:
            return hundredths(value)
        except ValueError:
            return value  # not a number: refused with the field's message

    @field_validator("monthly_cost", mode="before")
    @classmethod
    def _cents(cls, value: object) -> object:
        try:
            return typed_cents(value)
        except ValueError:
            return value  # unreadable: refused with the field's message

    @field_validator("ends_on")
    @classmethod
    def _after_the_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        starts_on = info.data.get("starts_on")
        if value is not None and starts_on is not None and value < starts_on:
            raise field_error(END_AFTER_START)
        return value

    @field_validator("holder_name", mode="before")
    @classmethod
    def _one_space(cls, value: object) -> str | None:
        return spaces_or_none(value)

    @field_validator("shares", mode="before")
    @classmethod
    def _rows(cls, value: object) -> object:
        return None if value is None else [_share_row(item) for item in value]


class ShareInput(FormInput):
    """A row of a funding split: the (grant, strand) chosen and its share in percent (50 or '33,34', two decimals
    at most), held in basis points once checked. A row without a grant is a blank row of the form (ignored).
    Context: `row`, the row's number in the form (its messages start « Ligne 2 : »)."""

    grant_id: int | None = None
    strand_id: int | None = None
    percent: int = Field(None, validate_default=True)

    @field_validator("percent", mode="before")
    @classmethod
    def _basis_points(cls, value: object, info: ValidationInfo) -> int:
        row = (info.context or {}).get("row", 0)
        try:
            bp = percent_to_bp(value)
        except ValueError:
            raise field_error(SHARE_UNREADABLE, row=row) from None
        if not 0 < bp <= BASIS_POINTS:
            raise field_error(SHARE_RANGE, row=row)
        return bp


def _share_row(item: object) -> object:
    """A share as sent: a ShareInput, a mapping, or a (grant id, strand id, percent) tuple."""
    if isinstance(item, ShareInput):
        return item.model_dump()
    if isinstance(item, tuple | list):
        return dict(zip(("grant_id", "strand_id", "percent"), item, strict=True))
    return item


class StatusInput(FormInput):
    """What the fill / vacate form sends: the day of the change and, to fill the post, its holder.
    Context: `as_of` (the day of reference), `filling` (the holder is then required)."""

    on: date = Field(json_schema_extra=messages(DATE_REQUIRED))
    holder_name: str | None = Field(
        None,
        max_length=HOLDER_MAX,
        validate_default=True,
        json_schema_extra=messages(HOLDER_TOO_LONG, count=HOLDER_MAX),
    )

    @field_validator("on")
    @classmethod
    def _not_in_the_future(cls, value: date, info: ValidationInfo) -> date:
        if value > ((info.context or {}).get("as_of") or paris_today()):
            raise field_error(FUTURE_DATE)
        return value

    @field_validator("holder_name", mode="before")
    @classmethod
    def _named_to_fill(cls, value: object, info: ValidationInfo) -> str | None:
        holder = spaces_or_none(value)
        if holder is None and (info.context or {}).get("filling"):
            raise field_error(HOLDER_REQUIRED)
        return holder


# --- posts: create, edit, fill, vacate --------------------------------------------------------------


def _active_site(session: Session, principal: Principal, data: PostInput | Mapping[str, object], errors: dict) -> None:
    """The post's site is an active site of the principal's scope, or national (NATIONAL_SITE) for an
    association-wide writer (when the site field passed its checks)."""
    if "site_id" in errors:
        return
    if raw(data)["site_id"] == NATIONAL_SITE:
        if not may_write_national(principal):
            errors["site_id"] = _(CHOOSE_SITE)
        return
    site = session.exec(
        select(Site).where(Site.id == int(raw(data)["site_id"]), principal.site_filter(Site.id))
    ).first()
    if site is None or not site.is_active:
        errors["site_id"] = _(CHOOSE_SITE)


def _columns(post: PostInput) -> dict:
    return {
        "site_id": post.site_id,
        "post_type": post.post_type,
        "fte_hundredths": post.fte,
        "monthly_cost_cents": post.monthly_cost,
        "starts_on": post.starts_on,
        "ends_on": post.ends_on,
        "holder_name": post.holder_name,
    }


def create_post(session: Session, principal: Principal, *, data: PostInput | Mapping[str, object]) -> int:
    """A new post, filled from its start when a holder is named, else vacant from its start (gestion);
    with `shares`, its funding split is checked (see save_funding) and saved in the same transaction."""
    principal.require(Capability.EDIT_BUDGET)
    post, errors = checked(PostInput, data)
    _active_site(session, principal, data, errors)
    split: list[tuple[ShareInput, int]] = []
    shares = raw(data).get("shares")
    if shares is not None and "site_id" not in errors:
        site_id = raw(data)["site_id"]
        split, share_errors = _checked_shares(session, None if site_id == NATIONAL_SITE else int(site_id), shares)
        errors |= share_errors
    refuse_if(errors)
    row = Post(**_columns(post), is_filled=post.holder_name is not None, status_since=post.starts_on)
    session.add(row)
    session.flush()
    session.add(
        PostStatusChange(
            post_id=row.id, changed_on=post.starts_on, is_filled=row.is_filled, holder_name=post.holder_name
        )
    )
    _save_split(session, row.id, split)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.POST_CREATE,
        entity_type="post",
        entity_id=row.id,
        site_id=row.site_id,
    )
    session.commit()
    return row.id


def _history(session: Session, post_id: int) -> list[PostStatusChange]:
    return session.exec(
        select(PostStatusChange)
        .where(PostStatusChange.post_id == post_id)
        .order_by(PostStatusChange.changed_on, PostStatusChange.id)
    ).all()


def _history_changes(post: Post, checked_post: PostInput, history: list[PostStatusChange]) -> dict[int, dict]:
    """What an edit changes in the post's history: the holder's name of the current filling, the first row's
    day when the post's start moves; ValidationFailed when the edit contradicts the history."""
    changes: dict[int, dict] = {}
    if post.is_filled and checked_post.holder_name is None:
        raise ValidationFailed(
            {"holder_name": _("Un poste pourvu a un titulaire : pour le libérer, utilisez « Déclarer vacant ».")}
        )
    if post.is_filled and history and history[-1].is_filled:
        changes.setdefault(history[-1].id, {})["holder_name"] = checked_post.holder_name
    new_start = checked_post.starts_on
    if new_start != post.starts_on and history and history[0].changed_on == post.starts_on:
        if len(history) > 1 and new_start >= history[1].changed_on:
            raise ValidationFailed(
                {"starts_on": _("Le poste a changé de situation avant cette date : la date de début doit la précéder.")}
            )
        changes.setdefault(history[0].id, {})["changed_on"] = new_start
    return changes


def update_post(
    session: Session,
    principal: Principal,
    post_id: int,
    *,
    expected_version: int,
    data: PostInput | Mapping[str, object],
) -> None:
    """Edit a post (type, site, FTE, cost, dates, holder's name of the current filling) — versioned. The form
    of a vacant post sends no holder (a vacant post has none)."""
    principal.require(Capability.EDIT_BUDGET)
    post = _post_in_scope(session, principal, post_id)
    checked_post, errors = checked(PostInput, data)
    _active_site(session, principal, data, errors)
    refuse_if(errors)
    history = _history(session, post.id)
    history_changes = _history_changes(post, checked_post, history)
    values = _columns(checked_post)
    if not post.is_filled:
        values.pop("holder_name")
    if len(history) == 1 and any("changed_on" in change for change in history_changes.values()):
        values["status_since"] = checked_post.starts_on
    versioned_update(session, Post, post.id, int(expected_version), values)
    for change_id, values_of_change in history_changes.items():
        session.execute(sa.update(PostStatusChange).where(PostStatusChange.id == change_id).values(**values_of_change))
    session.expire(post)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.POST_UPDATE,
        entity_type="post",
        entity_id=post.id,
        site_id=post.site_id,
    )
    session.commit()


def _day_of_the_change(post: Post, on: date) -> str | None:
    """Why the post's situation cannot change on `on` (its history and end), or None."""
    last = max(post.status_since, post.starts_on)
    if on < last:
        return _("La date ne peut précéder le {day} (dernier changement de situation du poste).").format(
            day=f"{last:%d/%m/%Y}"
        )
    if post.ends_on is not None and on > post.ends_on:
        return _("Le poste est fermé à cette date.")
    return None


def _status_change(
    session: Session,
    principal: Principal,
    post_id: int,
    *,
    expected_version: int,
    data: StatusInput | Mapping[str, object],
    filled: bool,
    today: date | None,
) -> None:
    principal.require(Capability.EDIT_BUDGET)
    post = _post_in_scope(session, principal, post_id)
    if post.is_filled == filled:
        raise ValidationFailed(
            {FORM_ERROR: _("Le poste est déjà pourvu.") if filled else _("Le poste est déjà vacant.")}
        )
    change, errors = checked(StatusInput, data, as_of=today or paris_today(), filling=filled)
    if "on" not in errors:
        problem = _day_of_the_change(post, DAY.validate_python(raw(data)["on"]))
        if problem:
            errors["on"] = problem
    refuse_if(errors)
    holder = change.holder_name if filled else None
    versioned_update(
        session,
        Post,
        post.id,
        int(expected_version),
        {"is_filled": filled, "status_since": change.on, "holder_name": holder},
    )
    session.add(PostStatusChange(post_id=post.id, changed_on=change.on, is_filled=filled, holder_name=holder))
    session.expire(post)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.POST_FILL if filled else AuditAction.POST_VACATE,
        entity_type="post",
        entity_id=post.id,
        site_id=post.site_id,
    )
    session.commit()


def fill_post(
    session: Session,
    principal: Principal,
    post_id: int,
    *,
    expected_version: int,
    data: StatusInput | Mapping[str, object],
    today: date | None = None,
) -> None:
    """The post is filled from `on` (included) by `holder_name` (a staff member)."""
    _status_change(session, principal, post_id, expected_version=expected_version, data=data, filled=True, today=today)


def vacate_post(
    session: Session,
    principal: Principal,
    post_id: int,
    *,
    expected_version: int,
    data: StatusInput | Mapping[str, object],
    today: date | None = None,
) -> None:
    """The post is vacant from `on` (included): the holder left the day before."""
    _status_change(session, principal, post_id, expected_version=expected_version, data=data, filled=False, today=today)


# --- funding split ------------------------------------------------------------------------------------


def percent_to_bp(value: object) -> int:
    """'33,34' / 33.34 / 50 → basis points; more than 2 decimals or not a number → ValueError."""
    if value is None or isinstance(value, bool):
        raise ValueError("part illisible")
    try:
        number = Decimal(str(value).strip().replace(",", ".").replace("%", "").strip())
    except InvalidOperation as exc:
        raise ValueError("part illisible") from exc
    bp = number * 100
    if not number.is_finite() or bp != bp.to_integral_value():
        raise ValueError("au plus deux décimales")
    return int(bp)


def _percent_number(bp: int) -> str:
    """Basis points as a percentage with two decimals, without the sign: '33,34' / '33.34'."""
    return formats.amount(bp)


def split_total(percents: Sequence[object]) -> int | None:
    """The total in basis points of the shares typed so far (a form's running total), None if one is unreadable."""
    try:
        return sum(percent_to_bp(percent) for percent in percents)
    except ValueError:
        return None


def save_funding(
    session: Session, principal: Principal, post_id: int, shares: Sequence[ShareInput | Mapping[str, object] | tuple]
) -> None:
    """Replace a post's funding split. Shares are percentages (two decimals at most) that must sum to
    exactly 100 %; each grant must cover the post's site and have a 64 line for (strand, site); a grant
    appears once. gestion only."""
    principal.require(Capability.EDIT_BUDGET)
    post = _post_in_scope(session, principal, post_id)
    split, errors = _checked_shares(session, post.site_id, shares)
    refuse_if(errors)
    session.execute(sa.delete(PostFunding).where(PostFunding.post_id == post.id))
    session.flush()
    _save_split(session, post.id, split)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.POST_FUNDING,
        entity_type="post",
        entity_id=post.id,
        site_id=post.site_id,
    )
    session.commit()


def _save_split(session: Session, post_id: int, split: list[tuple[ShareInput, int]]) -> None:
    for item, bp in split:
        session.add(PostFunding(post_id=post_id, grant_id=item.grant_id, strand_id=item.strand_id, share_bp=bp))


def _checked_shares(
    session: Session, site_id: int | None, shares: Sequence[ShareInput | Mapping[str, object] | tuple]
) -> tuple[list[tuple[ShareInput, int]], dict[str, str]]:
    """The rows with a grant, each checked (keys share_<row>, grant_<row>), then their total ("shares")."""
    options = {(o.grant_id, o.strand_id) for o in _site_options(session, site_id)}
    errors: dict[str, str] = {}
    split: list[tuple[ShareInput, int]] = []
    seen: set[int] = set()
    for row, data in enumerate((_share_row(item) for item in shares), start=1):
        if data.get("grant_id") is None:
            continue  # a blank row of the form
        share, found = checked(ShareInput, data, row=row)
        if found:
            errors[f"share_{row}"] = next(iter(found.values()))
        grant_id = raw_id(data, "grant_id")  # as sent: a grant of the options, else the message
        if (grant_id, raw_id(data, "strand_id")) not in options:
            errors[f"grant_{row}"] = _(NOT_A_STAFF_LINE).format(row=row)
        if grant_id in seen:
            errors[f"grant_{row}"] = _("Ligne {row} : une convention ne peut apparaître qu'une fois.").format(row=row)
        seen.add(grant_id)
        if share is not None:
            split.append((share, share.percent))
    if not seen:
        errors["shares"] = _("Indiquez au moins une convention qui finance le poste.")
    elif not any(key.startswith("share_") for key in errors) and sum(bp for _share, bp in split) != BASIS_POINTS:
        errors["shares"] = _("Les parts doivent totaliser exactement 100 % (total actuel : {total} %).").format(
            total=_percent_number(sum(bp for _share, bp in split))
        )
    return split, errors
