"""Posts: creation and edits, filling and vacating (with their history), funding split across grants.

Writes: EDIT_BUDGET (gestion). Reads: VIEW_STAFFING — direction and gestion all sites, chef_service
its own sites (the scope is in every query: principal.site_filter(Post.site_id)).
Figures (FTE, vacancies, cost by grant, series) live in services.finance.staffing.figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlmodel import Session, select

from clock import today as paris_today
from i18n import N_, _, formats
from models.finance import BudgetCategory, BudgetLine, Grant, GrantSite, Strand
from models.organisation import Site
from models.staffing import Post, PostFunding, PostStatusChange, PostType
from services.platform import audit
from services.platform.errors import NotFound, ValidationFailed
from services.platform.money import BASIS_POINTS
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update

HOLDER_MAX = 120
MAX_MONTHLY_COST_CENTS = 5_000_000  # 50 000 € loaded per month: beyond is a typing error
FUTURE_DATE = N_("La date ne peut pas être dans le futur.")


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
    site_id: int
    site_code: str
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


@dataclass(frozen=True)
class ShareInput:
    grant_id: int
    strand_id: int
    percent: Decimal | int | float | str  # 50 or "33,34"


# --- reads ----------------------------------------------------------------------------------------


def _post_in_scope(session: Session, principal: Principal, post_id: int) -> Post:
    post = session.exec(select(Post).where(Post.id == post_id, principal.site_filter(Post.site_id))).first()
    if post is None:
        raise NotFound(_("Poste introuvable."))
    return post


def list_posts(session: Session, principal: Principal, *, site_id: int | None = None) -> list[PostRow]:
    """Posts of the principal's sites (one site if asked), with their funding split."""
    principal.require(Capability.VIEW_STAFFING)
    query = (
        select(Post, Site.code)
        .join(Site, Site.id == Post.site_id)
        .where(principal.site_filter(Post.site_id))
        .order_by(Site.code, Post.post_type, Post.id)
    )
    if site_id is not None:
        query = query.where(Post.site_id == site_id)
    rows = session.exec(query).all()
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
            code,
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


def sites_in_scope(session: Session, principal: Principal) -> list[tuple[int, str, str]]:
    """(id, code, name) of the active sites whose posts the principal may see."""
    principal.require(Capability.VIEW_STAFFING)
    return [
        tuple(r)
        for r in session.exec(
            select(Site.id, Site.code, Site.name)
            .where(Site.is_active.is_(True), principal.site_filter(Site.id))
            .order_by(Site.code)
        ).all()
    ]


def funding_options(session: Session, principal: Principal, post_id: int) -> list[FundingOption]:
    """The (grant, strand) pairs that may fund a post: grants covering its site with a 64 line there."""
    principal.require(Capability.VIEW_STAFFING)
    post = _post_in_scope(session, principal, post_id)
    return _site_options(session, post.site_id)


def _site_options(session: Session, site_id: int) -> list[FundingOption]:
    rows = session.exec(
        select(Grant.id, Grant.name, Strand.id, Strand.name, BudgetLine.id)
        .join(BudgetLine, BudgetLine.grant_id == Grant.id)
        .join(Strand, Strand.id == BudgetLine.strand_id)
        .join(GrantSite, sa.and_(GrantSite.grant_id == Grant.id, GrantSite.site_id == site_id))
        .where(BudgetLine.site_id == site_id, BudgetLine.category == BudgetCategory.STAFF)
        .order_by(Grant.starts_on, Grant.id, Strand.id)
    ).all()
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


# --- posts: create, edit, fill, vacate --------------------------------------------------------------


def _validated(session: Session, principal: Principal, values: dict) -> dict:
    errors: dict[str, str] = {}
    clean = dict(values)
    if "site_id" in values:
        site = session.exec(select(Site).where(Site.id == values["site_id"], principal.site_filter(Site.id))).first()
        if site is None or not site.is_active:
            errors["site_id"] = _("Choisissez un site actif.")
    if "post_type" in values:
        try:
            clean["post_type"] = PostType(values["post_type"])
        except ValueError:
            errors["post_type"] = _("Choisissez un type de poste.")
    if "fte_hundredths" in values:
        fte = values["fte_hundredths"]
        if not isinstance(fte, int) or not 1 <= fte <= 100:
            errors["fte_hundredths"] = _("Le temps de travail doit être compris entre 0,01 et 1,00 ETP.")
    if "monthly_cost_cents" in values:
        cost = values["monthly_cost_cents"]
        if not isinstance(cost, int) or cost <= 0:
            errors["monthly_cost_cents"] = _("Indiquez le coût mensuel chargé du poste (supérieur à 0 €).")
        elif cost > MAX_MONTHLY_COST_CENTS:
            errors["monthly_cost_cents"] = _("Ce coût mensuel dépasse 50 000 € : vérifiez la saisie.")
    if "holder_name" in values:
        holder = " ".join((values["holder_name"] or "").split()) or None
        if holder is not None and len(holder) > HOLDER_MAX:
            errors["holder_name"] = _("Le nom du titulaire ne peut dépasser {count} caractères.").format(
                count=HOLDER_MAX
            )
        clean["holder_name"] = holder
    starts_on, ends_on = values.get("starts_on"), values.get("ends_on")
    if "starts_on" in values and starts_on is None:
        errors["starts_on"] = _("Indiquez la date de début du poste.")
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("La date de fin doit suivre la date de début.")
    if errors:
        raise ValidationFailed(errors)
    return clean


def create_post(
    session: Session,
    principal: Principal,
    *,
    site_id: int,
    post_type: PostType,
    fte_hundredths: int,
    monthly_cost_cents: int,
    starts_on: date,
    ends_on: date | None = None,
    holder_name: str | None = None,
    shares: Sequence[ShareInput | tuple] | None = None,
) -> int:
    """A new post, filled from its start when a holder is named, else vacant from its start (gestion);
    with `shares`, its funding split is validated (see save_funding) and saved in the same transaction."""
    principal.require(Capability.EDIT_BUDGET)
    errors: dict[str, str] = {}
    try:
        clean = _validated(
            session,
            principal,
            {
                "site_id": site_id,
                "post_type": post_type,
                "fte_hundredths": fte_hundredths,
                "monthly_cost_cents": monthly_cost_cents,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "holder_name": holder_name,
            },
        )
    except ValidationFailed as exc:
        errors.update(exc.errors)
    split: list[tuple[ShareInput, int]] = []
    if shares is not None:
        try:
            split = _validated_shares(session, site_id, shares)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    filled = clean["holder_name"] is not None
    post = Post(**clean, is_filled=filled, status_since=starts_on)
    session.add(post)
    session.flush()
    session.add(
        PostStatusChange(post_id=post.id, changed_on=starts_on, is_filled=filled, holder_name=clean["holder_name"])
    )
    for item, bp in split:
        session.add(PostFunding(post_id=post.id, grant_id=item.grant_id, strand_id=item.strand_id, share_bp=bp))
    audit.record(
        session, actor=principal, action="post.create", entity_type="post", entity_id=post.id, site_id=post.site_id
    )
    session.commit()
    return post.id


EDITABLE = ("site_id", "post_type", "fte_hundredths", "monthly_cost_cents", "starts_on", "ends_on", "holder_name")


def update_post(session: Session, principal: Principal, post_id: int, *, expected_version: int, changes: dict) -> None:
    """Edit a post (type, site, FTE, cost, dates, holder's name of the current filling) — versioned."""
    principal.require(Capability.EDIT_BUDGET)
    post = _post_in_scope(session, principal, post_id)
    values = {k: v for k, v in changes.items() if k in EDITABLE}
    merged = {"starts_on": post.starts_on, "ends_on": post.ends_on} | values
    clean = _validated(session, principal, merged)
    clean = {k: clean[k] for k in values}
    history = session.exec(
        select(PostStatusChange)
        .where(PostStatusChange.post_id == post.id)
        .order_by(PostStatusChange.changed_on, PostStatusChange.id)
    ).all()
    history_changes: dict[int, dict] = {}
    if "holder_name" in clean:
        if not post.is_filled:
            clean.pop("holder_name")
        elif clean["holder_name"] is None:
            raise ValidationFailed(
                {"holder_name": _("Un poste pourvu a un titulaire : pour le libérer, utilisez « Déclarer vacant ».")}
            )
        elif history and history[-1].is_filled:
            history_changes.setdefault(history[-1].id, {})["holder_name"] = clean["holder_name"]
    new_start = clean.get("starts_on")
    if new_start is not None and new_start != post.starts_on and history and history[0].changed_on == post.starts_on:
        if len(history) > 1 and new_start >= history[1].changed_on:
            raise ValidationFailed(
                {"starts_on": _("Le poste a changé de situation avant cette date : la date de début doit la précéder.")}
            )
        history_changes.setdefault(history[0].id, {})["changed_on"] = new_start
        if len(history) == 1:
            clean["status_since"] = new_start
    versioned_update(session, Post, post.id, int(expected_version), clean)
    for change_id, values_of_change in history_changes.items():
        session.execute(sa.update(PostStatusChange).where(PostStatusChange.id == change_id).values(**values_of_change))
    session.expire(post)
    audit.record(
        session, actor=principal, action="post.update", entity_type="post", entity_id=post.id, site_id=post.site_id
    )
    session.commit()


def _status_change(
    session: Session,
    principal: Principal,
    post_id: int,
    *,
    expected_version: int,
    on: date,
    filled: bool,
    holder_name: str | None,
    today: date | None,
) -> None:
    principal.require(Capability.EDIT_BUDGET)
    post = _post_in_scope(session, principal, post_id)
    today = today or paris_today()
    errors: dict[str, str] = {}
    if post.is_filled == filled:
        raise ValidationFailed({"_form": _("Le poste est déjà pourvu.") if filled else _("Le poste est déjà vacant.")})
    holder = " ".join((holder_name or "").split()) or None
    if filled and holder is None:
        errors["holder_name"] = _("Indiquez le nom du ou de la titulaire.")
    elif holder is not None and len(holder) > HOLDER_MAX:
        errors["holder_name"] = _("Le nom du titulaire ne peut dépasser {count} caractères.").format(count=HOLDER_MAX)
    if on is None:
        errors["on"] = _("Indiquez la date.")
    elif on > today:
        errors["on"] = _(FUTURE_DATE)
    elif on < max(post.status_since, post.starts_on):
        errors["on"] = _("La date ne peut précéder le {day} (dernier changement de situation du poste).").format(
            day=f"{max(post.status_since, post.starts_on):%d/%m/%Y}"
        )
    elif post.ends_on is not None and on > post.ends_on:
        errors["on"] = _("Le poste est fermé à cette date.")
    if errors:
        raise ValidationFailed(errors)
    versioned_update(
        session,
        Post,
        post.id,
        int(expected_version),
        {"is_filled": filled, "status_since": on, "holder_name": holder if filled else None},
    )
    session.add(PostStatusChange(post_id=post.id, changed_on=on, is_filled=filled, holder_name=holder))
    session.expire(post)
    audit.record(
        session,
        actor=principal,
        action="post.fill" if filled else "post.vacate",
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
    on: date,
    holder_name: str,
    today: date | None = None,
) -> None:
    """The post is filled from `on` (included) by `holder_name` (a staff member)."""
    _status_change(
        session,
        principal,
        post_id,
        expected_version=expected_version,
        on=on,
        filled=True,
        holder_name=holder_name,
        today=today,
    )


def vacate_post(
    session: Session, principal: Principal, post_id: int, *, expected_version: int, on: date, today: date | None = None
) -> None:
    """The post is vacant from `on` (included): the holder left the day before."""
    _status_change(
        session,
        principal,
        post_id,
        expected_version=expected_version,
        on=on,
        filled=False,
        holder_name=None,
        today=today,
    )


# --- funding split ------------------------------------------------------------------------------------


def percent_to_bp(value: Decimal | int | float | str) -> int:
    """'33,34' / 33.34 / 50 → basis points; more than 2 decimals or not a number → ValueError."""
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


def save_funding(session: Session, principal: Principal, post_id: int, shares: Sequence[ShareInput | tuple]) -> None:
    """Replace a post's funding split. Shares are percentages (two decimals at most) that must sum to
    exactly 100 %; each grant must cover the post's site and have a 64 line for (strand, site); a grant
    appears once. gestion only."""
    principal.require(Capability.EDIT_BUDGET)
    post = _post_in_scope(session, principal, post_id)
    split = _validated_shares(session, post.site_id, shares)
    session.execute(sa.delete(PostFunding).where(PostFunding.post_id == post.id))
    session.flush()
    for item, bp in split:
        session.add(PostFunding(post_id=post.id, grant_id=item.grant_id, strand_id=item.strand_id, share_bp=bp))
    audit.record(
        session, actor=principal, action="post.funding", entity_type="post", entity_id=post.id, site_id=post.site_id
    )
    session.commit()


def _validated_shares(
    session: Session, site_id: int, shares: Sequence[ShareInput | tuple]
) -> list[tuple[ShareInput, int]]:
    items = [s if isinstance(s, ShareInput) else ShareInput(*s) for s in shares]
    options = {(o.grant_id, o.strand_id): o for o in _site_options(session, site_id)}
    errors: dict[str, str] = {}
    bps: list[int] = []
    seen: set[int] = set()
    for index, item in enumerate(items, start=1):
        try:
            bp = percent_to_bp(item.percent)
        except ValueError:
            errors[f"share_{index}"] = _("Ligne {row} : part illisible (attendu par exemple 50 ou 33,34).").format(
                row=index
            )
            bp = 0
        else:
            if bp <= 0 or bp > BASIS_POINTS:
                errors[f"share_{index}"] = _("Ligne {row} : la part doit être comprise entre 0,01 % et 100 %.").format(
                    row=index
                )
        if (item.grant_id, item.strand_id) not in options:
            errors[f"grant_{index}"] = _(
                "Ligne {row} : cette convention ne finance pas de ligne "
                "« 64 – Charges de personnel » pour ce volet sur le site du poste."
            ).format(row=index)
        if item.grant_id in seen:
            errors[f"grant_{index}"] = _("Ligne {row} : une convention ne peut apparaître qu'une fois.").format(
                row=index
            )
        seen.add(item.grant_id)
        bps.append(bp)
    if not items:
        errors["shares"] = _("Indiquez au moins une convention qui finance le poste.")
    elif sum(bps) != BASIS_POINTS and not any(k.startswith("share_") for k in errors):
        errors["shares"] = _("Les parts doivent totaliser exactement 100 % (total actuel : {total} %).").format(
            total=_percent_number(sum(bps))
        )
    if errors:
        raise ValidationFailed(errors)
    return list(zip(items, bps, strict=True))
