"""Recruitment follow-up of the posts grants fund: for each funded post, its planned start (inside the
period of a convention that funds it: the 18-month plan) and the date each stage was reached (à ouvrir,
annonce publiée, entretiens, recruté·e, en poste), so that the director sees which funded posts are late
to fill.

Read: VIEW_STAFFING within the principal's sites (direction, gestion: every site; chef_service: its own).
Write: EDIT_BUDGET (gestion), audited, saved over the version the form showed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import Field
from sqlmodel import Session, select

from i18n import N_, _, formats
from models.audit import AuditAction
from models.finance import Grant
from models.labels import label
from models.money_in import PostRecruitment, RecruitmentStage
from models.organisation import Site
from models.staffing import Post, PostFunding, PostType
from services.finance.fields import DAY
from services.platform import audit
from services.platform.errors import NotFound
from services.platform.inputs import FormInput, checked, messages, not_after_as_of, raw, refuse_if
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update
from services.platform.sites import site_code_or_national

AT_RISK_DAYS = 30  # a post not hired yet whose planned start is this close is at risk
PLANNED_START_MISSING = N_("Indiquez la date de prise de poste prévue.")
STAGE_IN_FUTURE = N_("Une étape ne peut pas être datée dans le futur.")
# The stages that have a date, in their order.
DATED_STAGES = (
    ("advertised_on", RecruitmentStage.ADVERTISED),
    ("interviews_on", RecruitmentStage.INTERVIEWS),
    ("hired_on", RecruitmentStage.HIRED),
    ("started_on", RecruitmentStage.STARTED),
)


class RecruitmentStatus(StrEnum):
    STARTED = "started"
    LATE = "late"  # the planned start has passed and nobody started
    AT_RISK = "at_risk"  # the planned start is near and nobody is hired
    ON_TRACK = "on_track"
    NO_PLAN = "no_plan"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.STARTED: N_("En poste"),
            cls.LATE: N_("En retard"),
            cls.AT_RISK: N_("À surveiller"),
            cls.ON_TRACK: N_("Dans les temps"),
            cls.NO_PLAN: N_("Sans plan de recrutement"),
        }


@dataclass(frozen=True)
class RecruitmentRow:
    post_id: int
    site_code: str | None
    post_type: PostType
    fte_hundredths: int
    grant_names: tuple[str, ...]
    recruitment_id: int | None
    planned_start_on: date | None
    advertised_on: date | None
    interviews_on: date | None
    hired_on: date | None
    started_on: date | None
    stage: RecruitmentStage
    status: RecruitmentStatus
    late_days: int  # days past the planned start without anyone in post (0 when not late)
    version: int | None

    @property
    def label(self) -> str:
        return f"{self.site_code or '—'} · {label(self.post_type)} #{self.post_id}"


def _stage(row: PostRecruitment | None) -> RecruitmentStage:
    if row is None:
        return RecruitmentStage.TO_OPEN
    reached = [stage for field, stage in DATED_STAGES if getattr(row, field) is not None]
    return reached[-1] if reached else RecruitmentStage.TO_OPEN


def _status(row: PostRecruitment | None, today: date) -> tuple[RecruitmentStatus, int]:
    if row is None:
        return RecruitmentStatus.NO_PLAN, 0
    if row.started_on is not None:
        return RecruitmentStatus.STARTED, 0
    if row.planned_start_on < today:
        return RecruitmentStatus.LATE, (today - row.planned_start_on).days
    if row.hired_on is None and row.planned_start_on <= today + timedelta(days=AT_RISK_DAYS):
        return RecruitmentStatus.AT_RISK, 0
    return RecruitmentStatus.ON_TRACK, 0


def funded_posts(session: Session, principal: Principal, *, today: date) -> list[RecruitmentRow]:
    """Every post a grant funds within the principal's sites, with its recruitment plan (if any) and status:
    late ones first (the latest first), then at risk, on track, without plan, and in post."""
    principal.require(Capability.VIEW_STAFFING)
    funded = select(PostFunding.post_id).distinct()
    rows = session.exec(
        select(Post, Site.code, PostRecruitment)
        .outerjoin(Site, Site.id == Post.site_id)
        .outerjoin(PostRecruitment, PostRecruitment.post_id == Post.id)
        .where(Post.id.in_(funded), principal.site_filter(Post.site_id))
        .order_by(Site.code, Post.post_type, Post.id)
    ).all()
    grants: dict[int, list[str]] = {}
    if rows:
        for post_id, name in session.exec(
            select(PostFunding.post_id, Grant.name)
            .join(Grant, Grant.id == PostFunding.grant_id)
            .join(Post, Post.id == PostFunding.post_id)
            .where(principal.site_filter(Post.site_id))
            .order_by(PostFunding.post_id, Grant.id)
        ).all():
            grants.setdefault(post_id, []).append(name)
    result = []
    for post, code, plan in rows:
        status, late = _status(plan, today)
        result.append(
            RecruitmentRow(
                post.id,
                site_code_or_national(code),
                PostType(post.post_type),
                post.fte_hundredths,
                tuple(grants.get(post.id, [])),
                plan.id if plan else None,
                plan.planned_start_on if plan else None,
                plan.advertised_on if plan else None,
                plan.interviews_on if plan else None,
                plan.hired_on if plan else None,
                plan.started_on if plan else None,
                _stage(plan),
                status,
                late,
                plan.version if plan else None,
            )
        )
    order = [
        RecruitmentStatus.LATE,
        RecruitmentStatus.AT_RISK,
        RecruitmentStatus.ON_TRACK,
        RecruitmentStatus.NO_PLAN,
        RecruitmentStatus.STARTED,
    ]
    return sorted(result, key=lambda r: (order.index(r.status), -r.late_days))


def late_posts(session: Session, principal: Principal, *, today: date) -> list[RecruitmentRow]:
    """The funded posts whose planned start has passed with nobody in post, the latest first."""
    return [row for row in funded_posts(session, principal, today=today) if row.status == RecruitmentStatus.LATE]


# --- writing --------------------------------------------------------------------------------------------

StageDay = Annotated[date | None, not_after_as_of(STAGE_IN_FUTURE)]


class RecruitmentInput(FormInput):
    """What the recruitment form sends: the planned start and the day each stage was reached (empty: not
    yet). Context: `as_of`."""

    planned_start_on: date = Field(json_schema_extra=messages(PLANNED_START_MISSING))
    advertised_on: StageDay = None
    interviews_on: StageDay = None
    hired_on: StageDay = None
    started_on: StageDay = None


def _stages_in_order(data: object, errors: dict[str, str]) -> None:
    """A stage is never dated before an earlier stage."""
    values = raw(data)
    previous: tuple[date, RecruitmentStage] | None = None
    for field, stage in DATED_STAGES:
        if field in errors or values.get(field) in (None, ""):
            continue
        day = DAY.validate_python(values[field])
        if previous is not None and day < previous[0]:
            errors[field] = _("Cette étape ne peut précéder l'étape « {stage} » du {day}.").format(
                stage=label(previous[1]), day=formats.day(previous[0])
            )
            continue
        previous = (day, stage)


def _plan_rules(session: Session, post_id: int, data: object, errors: dict[str, str]) -> None:
    """The planned start falls inside the period of a convention funding the post."""
    if "planned_start_on" in errors:
        return
    day = DAY.validate_python(raw(data)["planned_start_on"])
    periods = session.exec(
        select(Grant.starts_on, Grant.ends_on)
        .join(PostFunding, PostFunding.grant_id == Grant.id)
        .where(PostFunding.post_id == post_id)
        .order_by(Grant.starts_on)
    ).all()
    if not any(start <= day <= end for start, end in periods):
        spans = ", ".join(f"{formats.day(start)} → {formats.day(end)}" for start, end in periods)
        errors["planned_start_on"] = _(
            "La prise de poste prévue doit tomber dans la période d'une convention qui finance ce poste ({periods})."
        ).format(periods=spans)


def save_recruitment(
    session: Session,
    principal: Principal,
    post_id: int,
    *,
    expected_version: int | None,
    data: RecruitmentInput | Mapping[str, object],
    today: date,
) -> int:
    """Create the recruitment plan of a funded post (expected_version None) or update it over the version the
    form showed (gestion). Returns the plan's id."""
    principal.require(Capability.EDIT_BUDGET)
    post = session.exec(
        select(Post).where(
            Post.id == post_id,
            principal.site_filter(Post.site_id),
            Post.id.in_(select(PostFunding.post_id)),
        )
    ).first()
    if post is None:
        raise NotFound(_("Poste financé introuvable."))
    plan, errors = checked(RecruitmentInput, data, as_of=today)
    _stages_in_order(data, errors)
    _plan_rules(session, post_id, data, errors)
    existing = session.exec(select(PostRecruitment).where(PostRecruitment.post_id == post_id)).first()
    if existing is not None and expected_version is None:
        errors.setdefault("planned_start_on", _("Ce poste a déjà un plan de recrutement : modifiez-le."))
    refuse_if(errors)
    values = plan.model_dump()
    if existing is None:
        row = PostRecruitment(post_id=post_id, **values)
        session.add(row)
        session.flush()
        recruitment_id = row.id
    else:
        recruitment_id = existing.id
        versioned_update(session, PostRecruitment, recruitment_id, int(expected_version), values)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.POST_RECRUITMENT_SAVE,
        entity_type="post_recruitment",
        entity_id=recruitment_id,
        site_id=post.site_id,
    )
    session.commit()
    session.expire_all()
    return recruitment_id


def stage_counts(rows: list[RecruitmentRow]) -> dict[RecruitmentStage, int]:
    """How many planned posts stand at each stage (for a short summary)."""
    counts = dict.fromkeys(RecruitmentStage, 0)
    for row in rows:
        if row.recruitment_id is not None:
            counts[row.stage] += 1
    return counts
