"""Everything held on one person, for the person (GDPR art. 15, right of access) or for a transfer.

The export walks a DECLARED registry: SECTIONS says, for each table that holds rows about a person, which
columns it shows and how; EXCLUDED says which such tables are left out, and why. A test
(tests/services/persons/test_subject_access.py) finds every table with a `person_id` column or a foreign
key to `person` in SQLAlchemy's metadata and fails when one is in neither: a table added later is never
forgotten silently. The file itself (`person`) and the PSP periods (linked through their episode) have
their own sections; the audit entries about the file (who opened, changed or exported it, and when) come
last, with the staff's account names and roles, never another person's data.

Two forms: a PDF in plain French for the person (sections, one block per record, labels and values as the
file shows them), and JSON for a transfer to another structure (stable keys: table and column names,
values as stored: ISO days, codes). Identity and free texts are decrypted: the export is for roles that
read them.

Who may call: SERVE_PERSON_RIGHTS (chef_service) on a file of its sites, anonymised or not (an anonymised
file exports what is left: nothing identifying). Never intervenant (an export is a whole file leaving the
association: the head of service answers the request), direction, gestion, financeur, formateur, admin.
Each export is audited: person.export with its format.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from functools import cache

import sqlalchemy as sa
from babel import Locale
from fpdf import FPDF, TextStyle, XPos, YPos
from sqlmodel import Session, SQLModel, select

from i18n import N_, _, babel_locale, formats, language
from models.appointments import Appointment
from models.audit import AuditAction, AuditEvent
from models.courses import (
    CertificationAttempt,
    CourseAttendance,
    CourseEnrolment,
    CourseGroup,
    CourseSession,
    LanguageAssessment,
    MainstreamTransition,
)
from models.labels import label
from models.legal import LegalEvent
from models.organisation import Role, Site, User
from models.outreach import OutreachRound
from models.partners import Outcome, Partner, Referral
from models.pathway import ActionGoal, BarrierAssessment, PspEpisode, PspPeriod
from models.persons import ConsentChange, Person, PersonCorrection, PersonNote, PersonStatusChange
from models.workshops import (
    WorkshopAttendance,
    WorkshopCompletion,
    WorkshopEnrolment,
    WorkshopModule,
    WorkshopSession,
)
from services.persons.access import person_in_scope, readable_text
from services.persons.corrections import field_label, shown_value
from services.persons.files import income_source_label
from services.platform import audit
from services.platform.config import PROJECT_ROOT
from services.platform.crypto import FieldCipher
from services.platform.principal import Capability, Principal

FONT_DIR = PROJECT_ROOT / "assets" / "fonts"
EXPORT_FORMAT = "parcours.person_file"
EXPORT_VERSION = 1


# --- the registry --------------------------------------------------------------------------------------


def _name_of(model: type, column: str) -> Callable[[Session, object], str]:
    """A resolver: the `column` of the `model` row whose id is the value (a partner's name…)."""

    def resolve(session: Session, value: object) -> str:
        found = session.exec(select(getattr(model, column)).where(model.id == value)).first()
        return "—" if found is None else str(found)

    return resolve


def _session_day(model: type) -> Callable[[Session, object], str]:
    def resolve(session: Session, value: object) -> str:
        found = session.exec(select(model.session_on).where(model.id == value)).first()
        return formats.day(found)

    return resolve


@dataclass(frozen=True)
class Column:
    name: str
    title: str  # marked French text
    resolve: Callable[[Session, object], str] | None = None  # an id shown by what it names
    free_text: bool = False  # read with VIEW_IDENTITY only (services.persons.access.readable_text)
    token: bool = False  # a Fernet token of the field cipher (note bodies), exported decrypted
    key: str | None = None  # the JSON key, when the column's name says how it is stored

    @property
    def exported_as(self) -> str:
        return self.key or self.name


@dataclass(frozen=True)
class Section:
    model: type[SQLModel]
    title: str  # marked French text
    columns: tuple[Column, ...]
    order_by: str

    @property
    def table(self) -> str:
        return self.model.__tablename__


C = Column
SECTIONS: tuple[Section, ...] = (
    Section(
        ConsentChange,
        N_("Consentements : historique"),
        (
            C("scope", N_("Consentement")),
            C("given", N_("Donné")),
            C("effective_on", N_("À partir du")),
            C("at_intake", N_("Dès l'accueil")),
        ),
        "effective_on",
    ),
    Section(
        PersonStatusChange,
        N_("Ouvertures et clôtures du dossier"),
        (
            C("changed_on", N_("Date")),
            C("from_status", N_("Avant")),
            C("to_status", N_("Après")),
            C("reason", N_("Motif"), free_text=True),
        ),
        "changed_on",
    ),
    Section(
        PersonCorrection,
        N_("Corrections de vos informations"),
        (
            C("created_at", N_("Corrigé le")),
            C("field_name", N_("Information")),
            C("old_value", N_("Ancienne valeur"), free_text=True),
            C("new_value", N_("Nouvelle valeur"), free_text=True),
            C("reason", N_("Motif"), free_text=True),
        ),
        "id",
    ),
    Section(
        PersonNote,
        N_("Notes de suivi"),
        (C("noted_on", N_("Date")), C("body_encrypted", N_("Note"), free_text=True, token=True, key="body")),
        "noted_on",
    ),
    Section(
        BarrierAssessment,
        N_("Freins (difficultés repérées)"),
        (C("assessed_on", N_("Date")), C("barrier", N_("Frein")), C("severity", N_("Importance"))),
        "assessed_on",
    ),
    Section(
        ActionGoal,
        N_("Objectifs du plan d'action"),
        (
            C("axis", N_("Domaine")),
            C("goal", N_("Objectif"), free_text=True),
            C("actions", N_("Actions"), free_text=True),
            C("due_on", N_("Échéance")),
            C("status", N_("État")),
            C("closed_on", N_("Terminé le")),
        ),
        "id",
    ),
    Section(
        PspEpisode,
        N_("Parcours de sortie de la prostitution (PSP)"),
        (
            C("requested_on", N_("Demandé le")),
            C("commission_on", N_("Commission le")),
            C("commission_opinion", N_("Avis de la commission")),
            C("prefect_decision", N_("Décision du préfet")),
            C("decided_on", N_("Décidé le")),
            C("aps_start_on", N_("APS du")),
            C("aps_end_on", N_("APS jusqu'au")),
            C("afis_start_on", N_("AFIS du")),
            C("afis_end_on", N_("AFIS jusqu'au")),
            C("afis_monthly_cents", N_("AFIS par mois (centimes)")),
            C("ended_on", N_("Fin du parcours")),
        ),
        "requested_on",
    ),
    Section(
        Referral,
        N_("Orientations vers des partenaires"),
        (
            C("referred_on", N_("Date")),
            C("partner_id", N_("Partenaire"), _name_of(Partner, "name")),
            C("reason", N_("Motif"), free_text=True),
            C("result", N_("Résultat")),
            C("result_on", N_("Résultat le")),
        ),
        "referred_on",
    ),
    Section(
        Outcome,
        N_("Sorties (emploi, formation…)"),
        (
            C("outcome_on", N_("Date")),
            C("category", N_("Catégorie")),
            C("outcome_type", N_("Type")),
            C("employer_sector", N_("Secteur"), free_text=True),
            C("closes_file", N_("Clôture le dossier")),
        ),
        "outcome_on",
    ),
    Section(
        WorkshopEnrolment,
        N_("Ateliers : inscriptions"),
        (C("cycle_start_on", N_("Cycle commencé le")), C("left_on", N_("Parti·e le"))),
        "cycle_start_on",
    ),
    Section(
        WorkshopAttendance,
        N_("Ateliers : présences"),
        (
            C("session_id", N_("Séance du"), _session_day(WorkshopSession)),
            C("status", N_("Présence")),
        ),
        "id",
    ),
    Section(
        WorkshopCompletion,
        N_("Ateliers : modules terminés"),
        (
            C("module_id", N_("Module"), _name_of(WorkshopModule, "name")),
            C("completed_on", N_("Terminé le")),
        ),
        "completed_on",
    ),
    Section(
        CourseEnrolment,
        N_("Cours de français : inscriptions"),
        (
            C("group_id", N_("Groupe"), _name_of(CourseGroup, "name")),
            C("enrolled_on", N_("Inscrit·e le")),
            C("left_on", N_("Parti·e le")),
        ),
        "enrolled_on",
    ),
    Section(
        CourseAttendance,
        N_("Cours de français : présences"),
        (C("session_id", N_("Séance du"), _session_day(CourseSession)), C("status", N_("Présence"))),
        "id",
    ),
    Section(
        LanguageAssessment,
        N_("Cours de français : évaluations"),
        (
            C("assessed_on", N_("Date")),
            C("skill", N_("Compétence")),
            C("level", N_("Niveau")),
            C("is_positioning", N_("Positionnement")),
            C("comment", N_("Commentaire"), free_text=True),
        ),
        "assessed_on",
    ),
    Section(
        CertificationAttempt,
        N_("Diplômes de français (DILF, DELF)"),
        (C("certification", N_("Diplôme")), C("attempted_on", N_("Passé le")), C("result", N_("Résultat"))),
        "attempted_on",
    ),
    Section(
        Appointment,
        N_("Rendez-vous et accompagnements"),
        (
            C("appointment_on", N_("Date")),
            C("kind", N_("Type")),
            C("worker_id", N_("Avec"), _name_of(User, "display_name")),
            C("duration_minutes", N_("Durée (minutes)")),
            C("interpreter_language", N_("Langue de l'interprète")),
            C("note", N_("Note"), free_text=True),
        ),
        "appointment_on",
    ),
    Section(
        LegalEvent,
        N_("Suivi juridique et statut de victime"),
        (
            C("kind", N_("Démarche")),
            C("event_on", N_("Date")),
            C("place", N_("Lieu"), free_text=True),
            C("stage", N_("Étape de la procédure")),
            C("decision", N_("Décision")),
            C("decided_on", N_("Décidé le")),
            C("valid_until", N_("Valable jusqu'au")),
            C("amount_cents", N_("Montant accordé"), lambda _session, cents: formats.euros(cents)),
            C("notes", N_("Notes"), free_text=True),
        ),
        "event_on",
    ),
    Section(
        MainstreamTransition,
        N_("Passage vers un cours de droit commun"),
        (C("moved_on", N_("Date")), C("destination", N_("Destination"), free_text=True)),
        "moved_on",
    ),
)

# Tables with rows about a person that the export leaves out, each with its reason. A table added later
# must be put in SECTIONS or here (the registry test fails).
EXCLUDED: dict[str, str] = {
    # Issue 17: the danger flag and its safe-contact instructions are never exported. A copy handed to the
    # person can be found by the person they are protected from; the team tells the person what it holds.
    "person_safety_change": "le signalement de danger et ses consignes ne sortent jamais de l'application",
    # The route of a relocation for safety (former sites, reasons): the file's current site is exported.
    "person_transfer": "les transferts entre sites révèlent le trajet d'une mise à l'abri",
    # Keyed tokens of the alias for the caseload's search (services/persons/alias_index.py): no text, and
    # nothing the person could read; the alias itself is in the file's section.
    "person_alias_token": "jetons de recherche du prénom (empreintes à clé, sans texte ; le prénom est exporté)",
    # Computed by the database from the assessments (models.courses.LanguageLevelSummary), which are exported.
    "language_level_summary": "niveaux calculés à partir des évaluations de français, elles-mêmes exportées",
    # Computed by the database from the course marks (models.courses.CoursePresenceDay), which are exported.
    "course_presence_day": "minutes de présence par jour calculées à partir des présences aux cours, exportées",
}


def exported_tables() -> set[str]:
    """Every table the export reads rows of a person from (`person`, its sections, the PSP periods)."""
    return {"person", "psp_period", *(section.table for section in SECTIONS)}


# --- the file itself ----------------------------------------------------------------------------------

PERSON_FIELDS: tuple[tuple[str, str], ...] = (
    ("code", N_("Code du dossier")),
    ("site", N_("Site")),
    ("status", N_("Statut")),
    ("alias", N_("Prénom ou pseudonyme")),
    ("phone", N_("Téléphone")),
    ("first_contact_on", N_("Date du premier contact")),
    ("intake_on", N_("Date d'accueil")),
    ("origin", N_("Origine de l'accueil")),
    ("outreach_round", N_("Maraude de la rencontre")),
    ("referring_partner", N_("Partenaire qui oriente")),
    ("referent", N_("Référent·e")),
    ("birth_year", N_("Année de naissance")),
    ("age_band", N_("Tranche d'âge (dossier anonymisé)")),
    ("gender", N_("Genre")),
    ("nationality", N_("Nationalité")),
    ("nationality_region", N_("Région de nationalité (dossier anonymisé)")),
    ("languages", N_("Langues parlées")),
    ("administrative_status", N_("Situation administrative")),
    ("permit_ends_on", N_("Fin du titre de séjour ou du récépissé")),
    ("housing", N_("Hébergement")),
    ("income_sources", N_("Ressources")),
    ("consent_on", N_("Date du consentement")),
    ("consent_processing", N_("Consentement au suivi du dossier")),
    ("consent_partner_sharing", N_("Partage avec les partenaires")),
    ("consent_statistics", N_("Statistiques anonymes")),
    ("last_contact_on", N_("Dernier contact")),
    ("closed_on", N_("Clôturé le")),
    ("closed_reason", N_("Motif de clôture")),
    ("retention_flagged_on", N_("Signalé pour la durée de conservation le")),
    ("anonymised_at", N_("Anonymisé le")),
)


@cache
def _territories(locale: str) -> dict:
    return dict(Locale.parse(locale).territories)


@cache
def _languages(locale: str) -> dict:
    return dict(Locale.parse(locale).languages)


def _person_values(session: Session, principal: Principal, person: Person, cipher: FieldCipher) -> dict[str, tuple]:
    """Each field of the file: (raw value for JSON, text for the PDF)."""
    identity = principal.can(Capability.VIEW_IDENTITY)
    alias = cipher.decrypt(person.alias_encrypted) if identity else None
    phone = cipher.decrypt(person.phone_encrypted) if identity else None
    site = session.exec(select(Site.code, Site.name).where(Site.id == person.site_id)).one()
    round_ = None
    if person.outreach_round_id is not None:
        round_ = session.exec(
            select(OutreachRound.round_on, OutreachRound.mode).where(OutreachRound.id == person.outreach_round_id)
        ).first()
    partner = _name_of(Partner, "name")(session, person.referring_partner_id) if person.referring_partner_id else None
    referent = _name_of(User, "display_name")(session, person.referent_id) if person.referent_id else None
    locale = babel_locale()
    values: dict[str, tuple] = {
        "code": (person.code, person.code),
        "site": (site.code, f"{site.name} ({site.code})"),
        "alias": (alias, alias),
        "phone": (phone, phone),
        "outreach_round": (
            None if round_ is None else {"round_on": round_.round_on.isoformat(), "mode": str(round_.mode)},
            None if round_ is None else f"{formats.day(round_.round_on)} · {label(round_.mode)}",
        ),
        "referring_partner": (partner, partner),
        "referent": (referent, referent),
        "nationality": (person.nationality, _territories(locale).get(person.nationality or "", person.nationality)),
        "languages": (
            list(person.languages or []),
            ", ".join(_languages(locale).get(code, code) for code in person.languages or []),
        ),
        "income_sources": (
            list(person.income_sources or []),
            ", ".join(income_source_label(code) for code in person.income_sources or []),
        ),
        "closed_reason": (
            readable_text(principal, person.closed_reason),
            readable_text(principal, person.closed_reason),
        ),
    }
    for name, _title in PERSON_FIELDS:
        if name not in values:
            value = getattr(person, name)
            values[name] = (_raw(value), _shown(value))
    return values


# --- values --------------------------------------------------------------------------------------------


def _raw(value: object) -> object:
    """A value for JSON: days and instants as ISO text, a choice as its stored code."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _shown(value: object) -> str | None:
    """A value for the person: a day in words, a choice's label, yes or no."""
    if value is None:
        return None
    if isinstance(value, bool):
        return _("Oui") if value else _("Non")
    if isinstance(value, datetime):
        return formats.timestamp(value)
    if isinstance(value, date):
        return formats.day(value)
    if isinstance(value, Enum):
        return label(value)
    return str(value)


@dataclass(frozen=True)
class Field:
    key: str
    title: str  # translated
    raw: object
    shown: str | None


@dataclass(frozen=True)
class ExportSection:
    key: str
    title: str  # translated
    rows: list[list[Field]]


@dataclass(frozen=True)
class PersonExport:
    code: str
    produced_on: date
    association: str
    person: list[Field]
    sections: list[ExportSection]


def _section_rows(
    session: Session, principal: Principal, section: Section, person_id: int, cipher: FieldCipher
) -> tuple[list, list]:
    rows = session.exec(
        select(section.model)
        .where(section.model.person_id == person_id)
        .order_by(getattr(section.model, section.order_by), section.model.id)
    ).all()
    fields = []
    for row in rows:
        fields.append([_field(session, principal, section, column, row, cipher) for column in section.columns])
    return rows, fields


def _field(session: Session, principal: Principal, section: Section, column: Column, row, cipher: FieldCipher) -> Field:
    value = getattr(row, column.name)
    if column.token:
        value = cipher.decrypt(value)
    if column.free_text:
        value = readable_text(principal, value)
    if section.model is PersonCorrection and column.name in ("old_value", "new_value"):
        shown = shown_value(session, row.field_name, value)
    elif section.model is PersonCorrection and column.name == "field_name":
        shown = field_label(value)
    elif column.resolve is not None and value is not None:
        shown = column.resolve(session, value)
    else:
        shown = _shown(value)
    return Field(column.exported_as, _(column.title), _raw(value), shown)


def _psp_periods(session: Session, person_id: int) -> list[list[Field]]:
    periods = session.exec(
        select(PspPeriod)
        .join(PspEpisode, PspEpisode.id == PspPeriod.episode_id)
        .where(PspEpisode.person_id == person_id)
        .order_by(PspPeriod.start_on, PspPeriod.id)
    ).all()
    return [
        [
            Field("start_on", _("Du"), _raw(period.start_on), _shown(period.start_on)),
            Field("end_on", _("Au"), _raw(period.end_on), _shown(period.end_on)),
            Field("is_renewal", _("Renouvellement"), period.is_renewal, _shown(period.is_renewal)),
        ]
        for period in periods
    ]


AUDIT_ACTIONS: dict[str, str] = {
    AuditAction.PERSON_VIEW: N_("Consultation du dossier"),
    AuditAction.PERSON_CREATE: N_("Ouverture du dossier"),
    AuditAction.PERSON_UPDATE: N_("Modification de la situation"),
    AuditAction.PERSON_CORRECT: N_("Correction d'une information"),
    AuditAction.PERSON_CLOSE: N_("Clôture du dossier"),
    AuditAction.PERSON_REOPEN: N_("Réouverture du dossier"),
    AuditAction.PERSON_EXPORT: N_("Export du dossier"),
    AuditAction.PERSON_ERASE: N_("Effacement à votre demande"),
    AuditAction.PERSON_ANONYMISE: N_("Anonymisation du dossier"),
    AuditAction.CONSENT_CHANGE: N_("Changement d'un consentement"),
    AuditAction.NOTE_CREATE: N_("Ajout d'une note"),
}


def _audit_rows(session: Session, person_id: int, records: dict[str, list[int]]) -> list[list[Field]]:
    """The audit entries about the file and its records: when, what, which account and role; never the
    detail (it may concern other files: a search) nor other persons."""
    about = [sa.and_(AuditEvent.entity_type == "person", AuditEvent.entity_id == str(person_id))]
    for table, ids in records.items():
        if ids:
            about.append(sa.and_(AuditEvent.entity_type == table, AuditEvent.entity_id.in_([str(i) for i in ids])))
    events = session.exec(
        select(AuditEvent).where(sa.or_(*about)).order_by(AuditEvent.occurred_at, AuditEvent.id)
    ).all()
    rows = []
    for event in events:
        action = AUDIT_ACTIONS.get(event.action)
        role = label(Role(event.actor_role)) if event.actor_role in set(Role) else event.actor_role
        rows.append(
            [
                Field("occurred_at", _("Quand"), _raw(event.occurred_at), formats.timestamp(event.occurred_at)),
                Field("action", _("Quoi"), event.action, _(action) if action else event.action),
                Field("actor", _("Compte"), event.actor_username, event.actor_username),
                Field("actor_role", _("Rôle"), event.actor_role, role or "—"),
            ]
        )
    return rows


def collect(
    session: Session, principal: Principal, person_id: int, *, cipher: FieldCipher, today: date, association: str
) -> PersonExport:
    """Everything held on the file, section by section (no audit entry: `export_pdf` / `export_json`)."""
    principal.require(Capability.SERVE_PERSON_RIGHTS)
    person = person_in_scope(session, principal, person_id)
    values = _person_values(session, principal, person, cipher)
    fields = [Field(name, _(title), *values[name]) for name, title in PERSON_FIELDS]
    sections: list[ExportSection] = []
    records: dict[str, list[int]] = {}
    for section in SECTIONS:
        rows, shown = _section_rows(session, principal, section, person.id, cipher)
        records[section.table] = [row.id for row in rows]
        sections.append(ExportSection(section.table, _(section.title), shown))
        if section.model is PspEpisode:
            sections.append(
                ExportSection("psp_period", _("PSP : périodes d'autorisation"), _psp_periods(session, person.id))
            )
    sections.append(
        ExportSection(
            "audit_event", _("Qui a consulté ou modifié le dossier"), _audit_rows(session, person.id, records)
        )
    )
    return PersonExport(person.code, today, association, fields, sections)


def _audited(session: Session, principal: Principal, person_id: int, kind: str) -> None:
    person = person_in_scope(session, principal, person_id)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.PERSON_EXPORT,
        entity_type="person",
        entity_id=person.id,
        site_id=person.site_id,
        detail=f"format={kind}",
    )
    session.commit()


# --- JSON ------------------------------------------------------------------------------------------------


def as_json(export: PersonExport) -> bytes:
    document = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "produced_on": export.produced_on.isoformat(),
        "association": export.association,
        "code": export.code,
        "person": {field.key: field.raw for field in export.person},
        "sections": {
            section.key: [{field.key: field.raw for field in row} for row in section.rows]
            for section in export.sections
        },
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def export_json(
    session: Session, principal: Principal, person_id: int, *, cipher: FieldCipher, today: date, association: str
) -> bytes:
    """The JSON of the file for a transfer to another structure; audited (format=json)."""
    content = as_json(collect(session, principal, person_id, cipher=cipher, today=today, association=association))
    _audited(session, principal, person_id, "json")
    return content


# --- PDF -------------------------------------------------------------------------------------------------

PLUM = (122, 46, 90)


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.set_text_color(110)
        self.cell(0, 8, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")


def _line(pdf: FPDF, title: str, value: str | None) -> None:
    pdf.set_font("DejaVu", size=9)
    pdf.multi_cell(0, 5, f"{title} : {value or '—'}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def as_pdf(export: PersonExport) -> bytes:
    """The PDF for the person: an introduction in plain words, the file, then one section per kind of
    record, each record a block of « label : value » lines."""
    pdf = _Pdf(orientation="P", unit="mm", format="A4")
    pdf.footer_text = _("{association} · dossier {code} · produit le {day}").format(
        association=export.association, code=export.code, day=formats.long_day(export.produced_on)
    )
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_lang(language())
    pdf.set_title(_("Vos informations — dossier {code}").format(code=export.code))
    pdf.set_author(export.association)
    pdf.set_section_title_styles(
        TextStyle(font_family="DejaVu", font_style="B", font_size_pt=12, color=PLUM, t_margin=4, b_margin=1.5)
    )
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(
        0, 8, _("Vos informations — dossier {code}").format(code=export.code), new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_font("DejaVu", size=10)
    pdf.multi_cell(
        0,
        5.5,
        _(
            "Ce document rassemble toutes les informations que {association} conserve sur vous dans son "
            "logiciel de suivi, au {day}. Il répond à votre droit d'accès (article 15 du RGPD). Vous pouvez "
            "demander qu'une information inexacte soit corrigée, ou que votre dossier soit effacé : "
            "adressez-vous à votre référent·e ou au ou à la chef·fe de service."
        ).format(association=export.association, day=formats.long_day(export.produced_on)),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.start_section(_("Votre dossier"))
    pdf.set_text_color(0)
    for field in export.person:
        _line(pdf, field.title, field.shown)
    for section in export.sections:
        pdf.start_section(section.title)
        pdf.set_text_color(0)
        if not section.rows:
            pdf.set_font("DejaVu", size=9)
            pdf.multi_cell(0, 5, _("Aucune information."), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for row in section.rows:
            with pdf.unbreakable() as block:  # a record is never cut by a page break
                for field in row:
                    _line(block, field.title, field.shown)
            pdf.ln(2)
    return bytes(pdf.output())


def export_pdf(
    session: Session, principal: Principal, person_id: int, *, cipher: FieldCipher, today: date, association: str
) -> bytes:
    """The PDF of the file for the person; audited (format=pdf)."""
    content = as_pdf(collect(session, principal, person_id, cipher=cipher, today=today, association=association))
    _audited(session, principal, person_id, "pdf")
    return content
