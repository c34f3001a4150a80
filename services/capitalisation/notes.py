"""Practice notes: how a team works (outreach online, a self-esteem workshop, French as a first step…), written
to be capitalised into the national guides.

Who may do what (deny by default, permissions in the query):
- the national project officers (CAPITALISE_PRACTICE, role charge_mission, every site) list and read every
  note, write one on any open site in any status, edit and validate any note, and cite published figures;
- the teams of a site (PROPOSE_PRACTICE_NOTES: chef_service, intervenant, formateur) list and read the notes
  of their own sites and propose a note from one of them (saved as « proposée »); nothing else;
- every other role: nothing.

A note describes a practice, never a person: the form says so, and a text holding a person code (such as
LYO-2026-0042) is refused. The text is therefore not personal data and is stored in clear. A note holds no
person id, and nothing here reads a person table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from pydantic import Field, ValidationInfo, field_validator
from sqlmodel import Session, select

from i18n import N_, _
from models.audit import AuditAction
from models.capitalisation import NoteStatus, PracticeNote, PracticeNoteFigure, PracticeStrand, PracticeTheme
from models.organisation import Site, User
from services.platform import audit
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.inputs import (
    FormInput,
    checked,
    context,
    field_error,
    messages,
    raw,
    raw_id,
    raw_value,
    required_text,
)
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update
from services.platform.sites import SiteChoice, sites_of
from services.reporting import practice_figures
from services.reporting.practice_figures import Citation, CitedFigure

TITLE_MAX = 160
BODY_MAX = 20_000
# A pseudonymous person code (docs/design.md §4): a site code, a year, a number — LYO-2026-0042. With the sites'
# codes known, only theirs (a convention reference such as AGR-2026-018 is not a person).
PERSON_CODE = re.compile(r"\b[A-Za-z]{2,8}-\d{4}-\d{3,}\b")


def person_code_pattern(site_codes: list[str] | None = None) -> re.Pattern[str]:
    if not site_codes:
        return PERSON_CODE
    alternatives = "|".join(re.escape(code) for code in sorted(site_codes, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})-\d{{4}}-\d{{3,}}\b", re.IGNORECASE)


PERSON_CODE_FOUND = N_(
    "Ce texte contient un code de personne ({code}) : une note de pratique ne parle d'aucune personne. "
    "Retirez-le, ainsi que tout nom ou prénom."
)
NOT_YOUR_SITE = N_("Choisissez un de vos sites.")
WRITTEN_BY_OFFICERS = N_("Seuls les chargé·es de mission peuvent modifier ou valider une note.")


def person_code_in(text: str | None, site_codes: list[str] | None = None) -> str | None:
    """The first person code written in `text`, if any (of one of `site_codes` when given)."""
    found = person_code_pattern(site_codes).search(text or "")
    return found.group(0) if found else None


def _no_person_code(value: str, info: ValidationInfo) -> str:
    code = person_code_in(value, context(info, "site_codes"))
    if code is not None:
        raise field_error(PERSON_CODE_FOUND, code=code)
    return value


class NoteInput(FormInput):
    """What the note forms send: a practice, on a site, never a person."""

    site_id: int | None = None
    strand: PracticeStrand = Field(json_schema_extra=messages(N_("Choisissez un volet.")))
    theme: PracticeTheme = Field(json_schema_extra=messages(N_("Choisissez un thème.")))
    title: required_text(
        TITLE_MAX,
        N_("Le titre est obligatoire."),
        N_("Le titre ne peut dépasser {max} caractères."),
        on_one_line=True,
    )
    body: required_text(BODY_MAX, N_("Décrivez la pratique."), N_("Le texte ne peut dépasser {max} caractères."))
    status: NoteStatus = NoteStatus.PROPOSED

    @field_validator("title", "body")
    @classmethod
    def _no_person(cls, value: str, info: ValidationInfo) -> str:
        return _no_person_code(value, info)


class FiguresInput(FormInput):
    """What the « chiffres publiés » form sends: one grant, one period of its grid, some indicators."""

    grant_id: int | None = None
    period_key: str | None = None
    indicator_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoteRow:
    id: int
    site_id: int
    site_code: str
    strand: PracticeStrand
    theme: PracticeTheme
    title: str
    body: str
    status: NoteStatus
    author: str  # the staff member's display name (never a person accompanied)
    updated_at: datetime
    version: int
    figure_count: int


def _require_any(principal: Principal) -> None:
    if not (principal.can(Capability.CAPITALISE_PRACTICE) or principal.can(Capability.PROPOSE_PRACTICE_NOTES)):
        raise PermissionDenied()


def _scope(principal: Principal) -> sa.ColumnElement[bool]:
    """Notes the principal may read: every note for the officers, the notes of its sites for a team."""
    if principal.can(Capability.CAPITALISE_PRACTICE):
        return sa.true()
    if principal.can(Capability.PROPOSE_PRACTICE_NOTES):
        if not principal.site_ids:
            return sa.false()
        return PracticeNote.site_id.in_(sorted(principal.site_ids))
    return sa.false()


def note_sites(session: Session, principal: Principal) -> list[SiteChoice]:
    """The open sites a note may be written on: every site for the officers, one's own for a team."""
    _require_any(principal)
    return sites_of(session, principal, own_only=not principal.can(Capability.CAPITALISE_PRACTICE))


def list_notes(
    session: Session,
    principal: Principal,
    *,
    site_id: int | None = None,
    strand: PracticeStrand | None = None,
    status: NoteStatus | None = None,
) -> list[NoteRow]:
    """The notes the principal may read, newest first."""
    _require_any(principal)
    figures = (
        select(sa.func.count())
        .select_from(PracticeNoteFigure)
        .where(PracticeNoteFigure.note_id == PracticeNote.id)
        .scalar_subquery()
    )
    statement = (
        select(PracticeNote, Site.code, User.display_name, figures)
        .join(Site, Site.id == PracticeNote.site_id)
        .outerjoin(User, User.id == PracticeNote.author_id)
        .where(_scope(principal))
    )
    if site_id is not None:
        statement = statement.where(PracticeNote.site_id == site_id)
    if strand is not None:
        statement = statement.where(PracticeNote.strand == strand)
    if status is not None:
        statement = statement.where(PracticeNote.status == status)
    rows = session.exec(statement.order_by(PracticeNote.updated_at.desc(), PracticeNote.id.desc())).all()
    return [_row(note, code, author, count) for note, code, author, count in rows]


def _row(note: PracticeNote, code: str, author: str | None, count: int) -> NoteRow:
    return NoteRow(
        note.id,
        note.site_id,
        code,
        note.strand,
        note.theme,
        note.title,
        note.body,
        note.status,
        author or "—",
        note.updated_at,
        note.version,
        int(count or 0),
    )


def get_note(session: Session, principal: Principal, note_id: int) -> NoteRow:
    """One note the principal may read, else NotFound (a note out of scope is indistinguishable from none)."""
    _require_any(principal)
    found = [row for row in list_notes(session, principal) if row.id == note_id]
    if not found:
        raise NotFound()
    return found[0]


def _site_codes(session: Session) -> list[str]:
    """Every site's code, closed ones included: a person code of any of them is refused in a note."""
    return list(session.exec(select(Site.code)).all())


def _writable_site(session: Session, principal: Principal, site_id: int | None) -> Site | None:
    site = session.get(Site, site_id) if site_id is not None else None
    if site is None or not site.is_active:
        return None
    if principal.can(Capability.CAPITALISE_PRACTICE) or site.id in principal.site_ids:
        return site
    return None


def create_note(session: Session, principal: Principal, *, data: NoteInput | Mapping[str, object]) -> int:
    """A new note: an officer's in the status it chose, a team's always « proposée ». Returns its id."""
    _require_any(principal)
    note, errors = checked(NoteInput, data, site_codes=_site_codes(session))
    site = _writable_site(session, principal, raw_id(data, "site_id"))
    if site is None:
        errors = {"site_id": _(NOT_YOUR_SITE)} | errors
    if errors or note is None:
        raise ValidationFailed(errors)
    status = note.status if principal.can(Capability.CAPITALISE_PRACTICE) else NoteStatus.PROPOSED
    row = PracticeNote(
        site_id=site.id,
        strand=note.strand,
        theme=note.theme,
        title=note.title,
        body=note.body,
        status=status,
        author_id=principal.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=principal,
        action=AuditAction.PRACTICE_NOTE_CREATE,
        entity_type="practice_note",
        entity_id=row.id,
        site_id=site.id,
        detail=status.value,
    )
    session.commit()
    return row.id


def update_note(
    session: Session,
    principal: Principal,
    note_id: int,
    *,
    expected_version: int,
    data: NoteInput | Mapping[str, object],
) -> None:
    """An officer edits a note (its site, text, status): saved over the version it saw, else StaleRecord."""
    if not principal.can(Capability.CAPITALISE_PRACTICE):
        raise PermissionDenied(_(WRITTEN_BY_OFFICERS))
    current = session.get(PracticeNote, note_id)
    if current is None:
        raise NotFound()
    merged = {**_values(current), **dict(raw(data))}
    note, errors = checked(NoteInput, merged, site_codes=_site_codes(session))
    site = _writable_site(session, principal, raw_id(merged, "site_id"))
    if site is None:
        errors = {"site_id": _(NOT_YOUR_SITE)} | errors
    if errors or note is None:
        raise ValidationFailed(errors)
    versioned_update(
        session,
        PracticeNote,
        note_id,
        expected_version,
        {
            "site_id": site.id,
            "strand": note.strand,
            "theme": note.theme,
            "title": note.title,
            "body": note.body,
            "status": note.status,
        },
    )
    audit.record(
        session,
        actor=principal,
        action=AuditAction.PRACTICE_NOTE_UPDATE,
        entity_type="practice_note",
        entity_id=note_id,
        site_id=site.id,
        detail=note.status.value,
    )
    session.commit()


def _values(note: PracticeNote) -> dict[str, object]:
    return {
        "site_id": note.site_id,
        "strand": note.strand,
        "theme": note.theme,
        "title": note.title,
        "body": note.body,
        "status": note.status,
    }


# --- cited figures --------------------------------------------------------------------------------------


def note_citations(session: Session, principal: Principal, note_id: int) -> list[tuple[int, Citation]]:
    """(figure id, citation) of a note the principal may read, in the order they were cited."""
    note = get_note(session, principal, note_id)
    rows = session.exec(
        select(PracticeNoteFigure).where(PracticeNoteFigure.note_id == note.id).order_by(PracticeNoteFigure.id)
    ).all()
    return [(row.id, Citation(row.grant_id, row.period_key, row.indicator_key)) for row in rows]


def note_figures(
    session: Session, principal: Principal, note_id: int, *, today: date | None = None
) -> list[tuple[int, CitedFigure]]:
    """(figure id, published figure) of each citation of a note, disclosure-controlled for publication."""
    note = get_note(session, principal, note_id)
    cited = note_citations(session, principal, note_id)
    figures = practice_figures.cited_figures(
        session, principal, site_id=note.site_id, citations=[c for _id, c in cited], today=today
    )
    return [(figure_id, figure) for (figure_id, _c), figure in zip(cited, figures, strict=True)]


def cite_figures(
    session: Session,
    principal: Principal,
    note_id: int,
    *,
    data: FiguresInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """An officer links a note to published figures of its site (a grant, a grid period, indicators); a figure
    already cited is not added twice. Returns how many were added."""
    principal.require(Capability.CAPITALISE_PRACTICE)
    note = get_note(session, principal, note_id)
    given, errors = checked(FiguresInput, data)
    if given is not None:
        keys = given.indicator_keys
    else:  # the form did not validate: still say what is wrong with the keys it sent, if they are a list
        raw_keys = raw_value(data, "indicator_keys")
        keys = tuple(raw_keys) if isinstance(raw_keys, list | tuple) else ()
    errors = (
        practice_figures.citation_errors(
            session,
            principal,
            site_id=note.site_id,
            grant_id=raw_id(data, "grant_id"),
            period_key=None if given is None else given.period_key,
            indicator_keys=[str(key) for key in keys],
            today=today,
        )
        | errors
    )
    if errors or given is None:
        raise ValidationFailed(errors)
    existing = {c for _id, c in note_citations(session, principal, note_id)}
    added = 0
    for key in given.indicator_keys:
        citation = Citation(int(given.grant_id), str(given.period_key), key)
        if citation in existing:
            continue
        session.add(
            PracticeNoteFigure(
                note_id=note.id,
                grant_id=citation.grant_id,
                period_key=citation.period_key,
                indicator_key=citation.indicator_key,
            )
        )
        existing.add(citation)
        added += 1
    audit.record(
        session,
        actor=principal,
        action=AuditAction.PRACTICE_NOTE_FIGURES,
        entity_type="practice_note",
        entity_id=note.id,
        site_id=note.site_id,
        detail=f"+{added}",
    )
    session.commit()
    return added


def remove_figure(session: Session, principal: Principal, note_id: int, figure_id: int) -> None:
    """An officer removes one cited figure from a note."""
    principal.require(Capability.CAPITALISE_PRACTICE)
    note = get_note(session, principal, note_id)
    row = session.get(PracticeNoteFigure, figure_id)
    if row is None or row.note_id != note.id:
        raise NotFound()
    session.delete(row)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.PRACTICE_NOTE_FIGURES,
        entity_type="practice_note",
        entity_id=note.id,
        site_id=note.site_id,
        detail="-1",
    )
    session.commit()
