"""Every service that takes a principal, called as every role: it refuses, or it returns only what that
role may see, whichever page calls it (defence in depth below the pages).

The functions are found by reading the `services` package (public modules, public functions with a
`session` and a `principal` or `actor` parameter: a function without a session returns only what it is
given); each parameter is filled by the provider of its name below. A new
service function is walked the day it is written; one whose parameter has no provider fails until one
is added. Each function is called as each role three times: on the principal's own objects (its site,
its funder, the group it teaches), on a neighbour's (same site, a group it does not teach) and on a
foreign site's. Writes receive values that cannot succeed (an empty form, version -1): the walk reads.

What a role may receive is written here, literally, from the roles of docs/design.md §2, never from
services.platform.principal: widening a capability in the code makes this test fail. The world is the
demo data set plus a few rows made unmistakable (notes, goals, reasons naming their person), and what
counts as a leak is read from the database by SQL written here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import importlib
import inspect
import io
import pkgutil
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pydantic
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import clock
import models
import services
from models.audit import AuditAction
from models.courses import CefrLevel, LanguageSkill
from models.organisation import Role, Site, User
from models.partners import OutcomeType
from models.pathway import ActionGoal, GoalAxis, GoalStatus
from models.persons import Person, PersonNote
from services.accounts.auth import principal_of
from services.activities.attendance import SessionKind
from services.activities.workshops.sessions import Period
from services.persons.files import CaseloadFilter
from services.platform import audit
from services.platform.config import load_settings
from services.platform.crypto import FieldCipher
from services.platform.errors import ServiceError
from services.reporting.practice_figures import Citation
from services.reporting.publication import Output
from tests import factories
from tests.conftest import TEST_ENCRYPTION_KEY, backends, demo_data_engine

# --- what each role may receive (docs/design.md §2), written independently of the code -----------------

CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])  # the services' default keys: they decrypt what the seed wrote
OWN_SITE = "LYO"  # the site of the site-limited principals; GRE is the foreign site of the walk
FOREIGN_SITE = "GRE"
OWN_FUNDER = "AGRASC"  # the financeur's funder; its grant covers Lyon and Grenoble


class Reach(enum.Enum):
    """Whose persons a role may read something of."""

    NOBODY = "nobody"
    DUE_FOR_RETENTION = "files two years without contact, to anonymise"
    LEARNERS = "learners of the groups it teaches"
    OWN_SITES = "persons of its sites"
    EVERYBODY = "persons of every site"


@dataclasses.dataclass(frozen=True)
class Policy:
    codes: Reach  # person codes (pseudonyms)
    identity: Reach  # aliases and phone numbers
    free_text: Reach  # notes, goals and actions, reasons, assessment comments
    budget_details: bool  # accounting codes, expense wording and suppliers, post holders' names
    other_funders_grants: bool  # names of grants the principal's funder does not pay for
    domains: frozenset[str]  # kinds of objects it may receive (see DOMAIN_OF_MODULE)
    site_limited: bool  # nothing of a site other than its own (site ids and names)


COMMON = frozenset({"common"})
POLICIES: dict[Role, Policy] = {
    Role.ADMIN: Policy(
        Reach.DUE_FOR_RETENTION,
        Reach.NOBODY,
        Reach.NOBODY,
        False,
        True,
        COMMON | {"partners", "audit", "retention"},
        site_limited=False,
    ),
    Role.DIRECTION: Policy(
        Reach.EVERYBODY,
        Reach.NOBODY,
        Reach.NOBODY,
        True,
        True,
        COMMON
        | {
            "persons",
            "partners",
            "field",
            "rolls",
            "courses",
            "budget",
            "grant figures",
            "funded",
            "published",
            "dashboard",
            "account changes",
        },
        site_limited=False,
    ),
    Role.CHEF_SERVICE: Policy(
        Reach.OWN_SITES,
        Reach.OWN_SITES,
        Reach.OWN_SITES,
        True,
        True,
        COMMON
        | {
            "persons",
            "partners",
            "retention",
            "field",
            "rolls",
            "courses",
            "budget",
            "grant figures",
            "dashboard",
            "published",
            "capitalisation",
        },
        site_limited=True,
    ),
    Role.INTERVENANT: Policy(
        Reach.OWN_SITES,
        Reach.OWN_SITES,
        Reach.OWN_SITES,
        False,
        True,
        COMMON | {"persons", "partners", "field", "rolls", "capitalisation"},
        site_limited=True,
    ),
    Role.FORMATEUR: Policy(
        Reach.LEARNERS,
        Reach.LEARNERS,
        Reach.LEARNERS,
        False,
        True,
        COMMON | {"courses", "rolls", "capitalisation"},
        site_limited=True,
    ),
    Role.GESTION: Policy(
        Reach.NOBODY,
        Reach.NOBODY,
        Reach.NOBODY,
        True,
        True,
        COMMON | {"budget", "grant figures", "funded", "published"},
        site_limited=False,
    ),
    Role.FINANCEUR: Policy(
        Reach.NOBODY,
        Reach.NOBODY,
        Reach.NOBODY,
        False,
        False,
        COMMON | {"grant figures", "funded", "published"},
        site_limited=False,
    ),
    # national project officer (issue 18): practice notes and guides of every site, their published figures;
    # never a person, a code, an identity or a free text about someone
    Role.CHARGE_MISSION: Policy(
        Reach.NOBODY, Reach.NOBODY, Reach.NOBODY, False, True, COMMON | {"capitalisation"}, site_limited=False
    ),
}

# The kind of an object returned: by its type's full name, else by the module that defines it (longest prefix).
DOMAIN_OF_MODULE = {
    "services.platform": "common",
    "services.accounts": "common",
    # who created, re-enabled or reset an account that sees identities: direction watches the admin (issue 13)
    "services.accounts.changes": "account changes",
    "services.home": "common",
    "models.organisation": "common",
    "models.labels": "common",
    "services.platform.audit": "audit",
    "models.audit": "audit",
    "services.persons": "persons",
    "models.persons": "persons",
    "models.pathway": "persons",
    "services.persons.partners": "partners",
    "services.persons.retention": "retention",
    "models.partners": "partners",
    "services.activities.outreach": "field",
    "models.outreach": "field",
    "services.activities.workshops": "field",
    "models.workshops": "field",
    "services.activities.attendance": "rolls",
    "models.attendance": "rolls",
    "services.activities.courses": "courses",
    "models.courses": "courses",
    "services.finance": "budget",
    "models.finance": "budget",
    "models.staffing": "budget",
    "models.money_in": "budget",
    "services.finance.funded": "funded",
    "services.reporting.funder_space": "funded",
    "services.reporting.report_pack": "funded",
    # Figures after disclosure control (« < 11 », « masqué »): what is published, to a funder or in the activity
    # report a chef_service prepares for its sites.
    "services.reporting.disclosure": "published",
    "services.reporting.dashboard": "dashboard",
    "services.reporting.director_answers": "dashboard",
    "services.reporting.activity_report": "dashboard",
    # practice notes, guides and the published figures a note cites (issue 18)
    "services.capitalisation": "capitalisation",
    "models.capitalisation": "capitalisation",
    "services.reporting.practice_figures": "capitalisation",
    # A grant's totals, by strand and category, month by month and projected, and the financial report by
    # category (the Cerfa sent to the funder): the budget staff's figures and the funder's alike.
    "services.finance.consumption.GrantSummary": "grant figures",
    "services.finance.consumption.GrantConsumptionReport": "grant figures",
    "services.finance.consumption.Subtotal": "grant figures",
    "services.finance.consumption.MonthlyActual": "grant figures",
    "services.finance.forecast.GrantForecast": "grant figures",
    "services.finance.forecast.GrantTerms": "grant figures",
    "services.finance.financial_report.FinancialReport": "grant figures",
    "services.finance.financial_report.CategoryRow": "grant figures",
    "services.finance.financial_report.PostCost": "grant figures",
    "services.finance.financial_report.ProductRow": "grant figures",
    "services.finance.financial_report.Balance": "grant figures",
}

REFUSALS = (ServiceError,)  # PermissionDenied, NotFound, StaleRecord, ValidationFailed
SCOPES = ("own", "neighbour", "foreign")
PERSON_CODE = re.compile(r"\b[A-Z]{3}-\d{4}-\d{4}\b")
# The texts _mark_persons writes, found even inside a longer text (a timeline line, a file): "… confidentiel
# <scope> <person id>".
MARKED_TEXT = re.compile(r"\w+ confidentiel(?:le)?s? (?:own|neighbour|foreign) (\d+)")


# --- the services, as found in the package ------------------------------------------------------------


def principal_parameter(function: Callable) -> str | None:
    parameters = inspect.signature(function).parameters
    return next((name for name in ("principal", "actor") if name in parameters), None)


def walked_functions() -> list[tuple[str, Callable]]:
    found = []
    for module_info in pkgutil.walk_packages(services.__path__, "services."):
        if any(part.startswith("_") for part in module_info.name.split(".")):
            continue
        module = importlib.import_module(module_info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            parameters = inspect.signature(function).parameters
            if principal_parameter(function) and "session" in parameters:
                found.append((f"{module.__name__.removeprefix('services.')}.{name}", function))
    return sorted(found, key=lambda item: item[0])


WALKED = walked_functions()


# --- the world: demo data plus unmistakable rows -------------------------------------------------------


@dataclasses.dataclass
class Target:
    """The ids a call receives in one scope."""

    site_id: int
    person_id: int
    values: dict[str, Any]


@dataclasses.dataclass
class WalkWorld:
    engine: Engine
    cipher: FieldCipher
    sites: dict[str, int]  # code → id
    site_names: dict[int, str]
    users: dict[Role, int]
    funder_id: int
    targets: dict[str, Target]
    person_site: dict[int, int]  # person id → site id
    learners: set[int]  # persons enrolled in the group the formateur teaches
    due_for_retention: set[int]  # files with no contact for two years, not anonymised
    codes: dict[str, set[int]]  # person code → person ids
    identities: dict[str, set[int]]  # alias or phone → person ids
    free_texts: dict[str, set[int]]  # free text → person ids it was written about
    budget_details: set[str]
    other_funders_grants: set[str]


def _rows(connection: sa.Connection, sql: str, **params: Any) -> list[sa.Row]:
    return list(connection.execute(sa.text(sql), params))


def _first(connection: sa.Connection, sql: str, **params: Any) -> int:
    row = connection.execute(sa.text(sql), params).first()
    assert row is not None, f"the demo data has no row for: {sql}"
    return row[0]


def _mark_persons(session: Session, cipher: FieldCipher, people: dict[str, int], author_id: int) -> None:
    """A note, a goal, an outcome, a move to droit commun and an assessment whose texts name their person."""
    today = clock.today()
    for scope, person_id in people.items():
        person = session.get_one(Person, person_id)
        session.add(
            PersonNote(
                person_id=person_id,
                site_id=person.site_id,
                noted_on=today,
                author_id=author_id,
                body_encrypted=cipher.encrypt(f"Note confidentielle {scope} {person_id} : dépôt de plainte"),
            )
        )
        session.add(
            ActionGoal(
                person_id=person_id,
                site_id=person.site_id,
                axis=GoalAxis.HOUSING,
                goal=f"Objectif confidentiel {scope} {person_id}",
                actions=f"Démarches confidentielles {scope} {person_id}",
                due_on=today + timedelta(days=10),
                status=GoalStatus.OPEN,
            )
        )
        day = today - timedelta(days=7)
        outcome = factories.an_outcome_of(session, person, OutcomeType.FIXED_TERM_OVER_6_MONTHS, on=day)
        outcome.employer_sector = f"Secteur confidentiel {scope} {person_id}"
        factories.a_move_to_mainstream(
            session, person, on=day
        ).destination = f"Suite confidentielle {scope} {person_id}"
        assessment = factories.an_assessment(session, person, LanguageSkill.SPEAKING, CefrLevel.A1, on=day)
        assessment.comment = f"Commentaire confidentiel {scope} {person_id}"
    session.flush()


def two_years_before(day: date) -> date:
    """The CNIL retention limit: the same day two years earlier, 28 February for a 29th."""
    return date(day.year - 2, day.month, 28 if (day.month, day.day) == (2, 29) else day.day)


def _choice_labels() -> set[str]:
    """Every label of a choice set (models.*: enums declaring labels()), in French as stored."""
    found = set()
    for module_info in pkgutil.iter_modules(models.__path__, "models."):
        for _name, kind in inspect.getmembers(importlib.import_module(module_info.name), inspect.isclass):
            if issubclass(kind, enum.Enum) and callable(getattr(kind, "labels", None)):
                found |= {str(text) for text in kind.labels().values()}
    return found


CHOICE_LABELS = _choice_labels()

HELD_COURSE_SESSION = (
    "SELECT id FROM course_session WHERE group_id = :g AND session_on <= :day ORDER BY session_on DESC"
)


def _build(engine: Engine) -> WalkWorld:
    cipher = CIPHER
    with engine.connect() as c:
        sites = {code: id_ for id_, code in _rows(c, "SELECT id, code FROM site")}
        site_names = dict(_rows(c, "SELECT id, name FROM site"))
        lyo, gre = sites[OWN_SITE], sites[FOREIGN_SITE]
        funder_id = _first(c, "SELECT id FROM funder WHERE name = :n", n=OWN_FUNDER)
        taught, untaught, foreign_group = (
            _first(c, "SELECT id FROM course_group WHERE site_id = :s ORDER BY id", s=lyo),
            _first(c, "SELECT id FROM course_group WHERE site_id = :s ORDER BY id DESC", s=lyo),
            _first(c, "SELECT id FROM course_group WHERE site_id = :s ORDER BY id", s=gre),
        )
        learner = _first(c, "SELECT person_id FROM course_enrolment WHERE group_id = :g ORDER BY id", g=taught)
        neighbour = _first(
            c,
            "SELECT id FROM person WHERE site_id = :s AND id NOT IN"
            " (SELECT person_id FROM course_enrolment WHERE group_id = :g) ORDER BY id",
            s=lyo,
            g=taught,
        )
        foreign = _first(c, "SELECT id FROM person WHERE site_id = :s ORDER BY id", s=gre)

    with Session(engine) as session:
        users = {}
        lyon = session.get_one(Site, lyo)
        for role in Role:
            funder = funder_id if role == Role.FINANCEUR else None
            limited = role in (Role.CHEF_SERVICE, Role.INTERVENANT, Role.FORMATEUR)
            user = factories.a_user(
                session, role, *([lyon] if limited else []), username=f"walk.{role.value}", funder_id=funder
            )
            users[role] = user.id
        session.connection().execute(
            sa.text("INSERT INTO course_teacher (group_id, user_id) VALUES (:g, :u)"),
            {"g": taught, "u": users[Role.FORMATEUR]},
        )
        _mark_persons(
            session, cipher, {"own": learner, "neighbour": neighbour, "foreign": foreign}, users[Role.CHEF_SERVICE]
        )
        chef = principal_of(session, session.get_one(User, users[Role.CHEF_SERVICE]))
        audit.record(session, actor=chef, action=AuditAction.PERSON_VIEW, entity_type="person", entity_id=learner)
        audit.record(session, actor="?compte-inconnu", action=AuditAction.LOGIN_FAILURE, success=False)
        # an account that sees identities, created by the admin: what direction's home page lists
        audit.record(
            session,
            actor=f"walk.{Role.ADMIN.value}",
            action=AuditAction.USER_CREATE,
            entity_type="user",
            entity_id=users[Role.CHEF_SERVICE],
        )
        session.commit()

    with engine.connect() as c:
        person_site = dict(_rows(c, "SELECT id, site_id FROM person"))
        learners = {row[0] for row in _rows(c, "SELECT person_id FROM course_enrolment WHERE group_id = :g", g=taught)}
        due_for_retention = {
            row[0]
            for row in _rows(
                c,
                "SELECT id FROM person WHERE status <> 'anonymised'"
                " AND COALESCE(last_contact_on, intake_on) <= :cutoff",
                cutoff=two_years_before(clock.today()),
            )
        }
        codes: dict[str, set[int]] = defaultdict(set)
        identities: dict[str, set[int]] = defaultdict(set)
        for person_id, code, alias, phone in _rows(c, "SELECT id, code, alias_encrypted, phone_encrypted FROM person"):
            codes[code].add(person_id)
            for token in (alias, phone):
                if token:
                    identities[cipher.decrypt(token)].add(person_id)
        free_texts: dict[str, set[int]] = defaultdict(set)
        for person_id, body in _rows(c, "SELECT person_id, body_encrypted FROM person_note"):
            free_texts[cipher.decrypt(body)].add(person_id)
        for sql in (
            "SELECT person_id, goal FROM action_goal",
            "SELECT person_id, actions FROM action_goal",
            "SELECT person_id, reason FROM referral",
            "SELECT id, closed_reason FROM person",
            "SELECT person_id, reason FROM person_status_change",
            "SELECT person_id, comment FROM language_assessment",
            "SELECT person_id, destination FROM mainstream_transition",
            "SELECT person_id, employer_sector FROM outcome",
        ):
            for person_id, text in _rows(c, sql):
                # Shorter texts, and those that are also a choice's label ("Formation qualifiante"), are
                # words any screen may hold.
                if text and len(text) >= 12 and text not in CHOICE_LABELS:
                    free_texts[text].add(person_id)
        budget_details = {
            text
            for sql in (
                "SELECT accounting_code FROM budget_line",
                "SELECT label FROM expense",
                "SELECT supplier FROM expense",
                "SELECT voucher_ref FROM expense",
                "SELECT filename FROM expense_import",
            )
            for (text,) in _rows(c, sql)
            if text
        }
        other_funders_grants = {
            name for (name,) in _rows(c, 'SELECT name FROM "grant" WHERE funder_id <> :f', f=funder_id)
        }

        def own_and_foreign(sql: str, **params: Any) -> tuple[int, int, int]:
            own = _first(c, sql, site=lyo, **params)
            return own, own, _first(c, sql, site=gre, **params)

        ids: dict[str, tuple[int, int, int]] = {
            "site_id": (lyo, lyo, gre),
            "person_id": (learner, neighbour, foreign),
            "group_id": (taught, untaught, foreign_group),
            "round_id": own_and_foreign("SELECT id FROM outreach_round WHERE site_id = :site ORDER BY id DESC"),
            "module_id": own_and_foreign("SELECT id FROM workshop_module WHERE site_id = :site ORDER BY id"),
            "workshop_session_id": own_and_foreign(
                "SELECT id FROM workshop_session WHERE site_id = :site AND session_on <= :day ORDER BY session_on DESC",
                day=clock.today(),
            ),
            "course_session_id": (
                _first(c, HELD_COURSE_SESSION, g=taught, day=clock.today()),
                _first(c, HELD_COURSE_SESSION, g=untaught, day=clock.today()),
                _first(c, HELD_COURSE_SESSION, g=foreign_group, day=clock.today()),
            ),
            "course_enrolment_id": (
                _first(c, "SELECT id FROM course_enrolment WHERE group_id = :g ORDER BY id", g=taught),
                _first(c, "SELECT id FROM course_enrolment WHERE group_id = :g ORDER BY id", g=untaught),
                _first(c, "SELECT id FROM course_enrolment WHERE group_id = :g ORDER BY id", g=foreign_group),
            ),
            "workshop_enrolment_id": own_and_foreign("SELECT id FROM workshop_enrolment WHERE site_id = :site"),
            "attempt_id": own_and_foreign("SELECT id FROM certification_attempt WHERE site_id = :site"),
            "appointment_id": own_and_foreign("SELECT id FROM appointment WHERE site_id = :site ORDER BY id"),
            "goal_id": (
                _first(c, "SELECT id FROM action_goal WHERE person_id = :p", p=learner),
                _first(c, "SELECT id FROM action_goal WHERE person_id = :p", p=neighbour),
                _first(c, "SELECT id FROM action_goal WHERE person_id = :p", p=foreign),
            ),
            "episode_id": own_and_foreign("SELECT id FROM psp_episode WHERE site_id = :site"),
            "assessment_id": (
                _first(c, "SELECT id FROM barrier_assessment WHERE person_id = :p", p=learner),
                _first(c, "SELECT id FROM barrier_assessment WHERE person_id = :p", p=neighbour),
                _first(c, "SELECT id FROM barrier_assessment WHERE person_id = :p", p=foreign),
            ),
            "partner_id": own_and_foreign("SELECT id FROM partner WHERE site_id = :site"),
            "referral_id": own_and_foreign("SELECT id FROM referral WHERE site_id = :site"),
            "post_id": own_and_foreign("SELECT id FROM post WHERE site_id = :site"),
            "expense_id": own_and_foreign("SELECT id FROM expense WHERE site_id = :site"),
            "grant_id": (
                _first(c, 'SELECT id FROM "grant" WHERE funder_id = :f', f=funder_id),
                _first(c, 'SELECT id FROM "grant" WHERE funder_id <> :f ORDER BY id', f=funder_id),
                _first(
                    c,
                    'SELECT id FROM "grant" WHERE id NOT IN (SELECT grant_id FROM grant_site WHERE site_id = :s)',
                    s=lyo,
                ),
            ),
            # a produit of the compte rendu: of the funder's grant (own, neighbour), of a grant without Lyon
            "resource_id": (
                *[
                    _first(
                        c,
                        'SELECT r.id FROM grant_resource r JOIN "grant" g ON g.id = r.grant_id '
                        "WHERE g.funder_id = :f ORDER BY r.id",
                        f=funder_id,
                    )
                ]
                * 2,
                _first(
                    c,
                    "SELECT id FROM grant_resource WHERE grant_id NOT IN "
                    "(SELECT grant_id FROM grant_site WHERE site_id = :s) ORDER BY id",
                    s=lyo,
                ),
            ),
        }
        guide_id = _first(c, "SELECT id FROM practice_guide ORDER BY id")
        chapter_id = _first(c, "SELECT id FROM guide_chapter WHERE guide_id = :g ORDER BY position", g=guide_id)
        ids["note_id"] = own_and_foreign(
            "SELECT id FROM practice_note n WHERE site_id = :site"
            " AND EXISTS (SELECT 1 FROM practice_note_figure f WHERE f.note_id = n.id) ORDER BY id"
        )
        ids["figure_id"] = own_and_foreign(
            "SELECT f.id FROM practice_note_figure f JOIN practice_note n ON n.id = f.note_id WHERE n.site_id = :site"
        )
        ids["guide_id"] = (guide_id, guide_id, guide_id)  # guides belong to no site
        ids["chapter_id"] = (chapter_id, chapter_id, chapter_id)
        codes_of = {person_id: code for code, owners in codes.items() for person_id in owners}
        targets = {}
        for index, scope in enumerate(SCOPES):
            values = {name: triple[index] for name, triple in ids.items()}
            person = values["person_id"]
            values["code"] = codes_of[person]
            values["alias"] = next((text for text, owners in identities.items() if person in owners), "x")
            grant_period = c.execute(
                sa.text('SELECT starts_on, ends_on FROM "grant" WHERE id = :g'), {"g": values["grant_id"]}
            ).one()
            values["grant_period"] = tuple(date.fromisoformat(str(day)[:10]) for day in grant_period)
            # The grant's schedule: its first tranche, report and co-funder (0: none, refused).
            for name, table in (
                ("tranche_id", "grant_tranche"),
                ("report_id", "grant_report"),
                ("cofunding_id", "grant_cofunding"),
            ):
                values[name] = c.execute(
                    sa.text(f"SELECT coalesce(min(id), 0) FROM {table} WHERE grant_id = :g"), {"g": values["grant_id"]}
                ).scalar()
            # The association's strands belong to no site: the same one in every scope (0: none, refused).
            values["strand_id"] = c.execute(sa.text("SELECT coalesce(min(id), 0) FROM organisation_strand")).scalar()
            values["citations"] = [
                Citation(*row)
                for row in _rows(
                    c,
                    "SELECT f.grant_id, f.period_key, f.indicator_key FROM practice_note_figure f"
                    " JOIN practice_note n ON n.id = f.note_id WHERE n.id = :n",
                    n=values["note_id"],
                )
            ]
            targets[scope] = Target(values["site_id"], person, values)
    return WalkWorld(
        engine,
        cipher,
        sites,
        site_names,
        users,
        funder_id,
        targets,
        person_site,
        learners,
        due_for_retention,
        dict(codes),
        dict(identities),
        dict(free_texts),
        budget_details,
        other_funders_grants,
    )


@pytest.fixture(scope="module", params=backends())
def world(request: pytest.FixtureRequest) -> Iterator[WalkWorld]:
    """The demo data set and the walk's principals, once per backend, committed."""
    with demo_data_engine(request.param, "service-walk", as_of=clock.today(), cipher=CIPHER) as engine:
        yield _build(engine)


# --- what a call returned --------------------------------------------------------------------------


@dataclasses.dataclass
class Received:
    """Everything a caller could read in a returned value."""

    strings: set[str] = dataclasses.field(default_factory=set)
    texts: list[str] = dataclasses.field(default_factory=list)  # files' contents, searched inside
    site_ids: set[int] = dataclasses.field(default_factory=set)
    domains: dict[str, str] = dataclasses.field(default_factory=dict)  # domain → a type name of it


def domain_of(kind: type) -> str | None:
    module = kind.__module__
    if f"{module}.{kind.__qualname__}" in DOMAIN_OF_MODULE:
        return DOMAIN_OF_MODULE[f"{module}.{kind.__qualname__}"]
    best = max(
        (prefix for prefix in DOMAIN_OF_MODULE if module == prefix or module.startswith(prefix + ".")),
        key=len,
        default=None,
    )
    return DOMAIN_OF_MODULE[best] if best else None


def _file_texts(content: bytes) -> list[str]:
    if content.startswith(b"PK"):  # an XLSX or a DOCX: its XML parts
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
    if content.startswith(b"%PDF"):
        # Without its compressed streams: their bytes, read as text, hold any two letters between non-letters
        # (« Li », a first name of the demo data, was once « found » there when the demo data changed).
        return [re.sub(rb"stream\r?\n.*?endstream", b"", content, flags=re.DOTALL).decode("latin-1")]
    return [content.decode("latin-1")]


def receive(value: Any, into: Received, seen: set[int]) -> None:
    if value is None or isinstance(value, (bool, int, float, Decimal, date, datetime, time, timedelta)):
        return
    if isinstance(value, str):
        into.strings.add(value)
        return
    if isinstance(value, (bytes, bytearray)):
        into.texts.extend(_file_texts(bytes(value)))
        return
    if isinstance(value, sa.sql.ClauseElement):  # a query handed to another service, not data
        return
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "site_id" and isinstance(item, int):
                into.site_ids.add(item)
            receive(key, into, seen)
            receive(item, into, seen)
        return
    if isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            receive(item, into, seen)
        return
    domain = domain_of(type(value))
    if domain:
        into.domains.setdefault(domain, type(value).__qualname__)
    if isinstance(value, SQLModel) and hasattr(value, "__table__"):
        fields = {column.key: getattr(value, column.key) for column in sa.inspect(type(value)).column_attrs}
    elif isinstance(value, pydantic.BaseModel):
        fields = dict(value)
    elif dataclasses.is_dataclass(value):
        fields = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    elif isinstance(value, sa.Row):  # a row of a query (persons.access.rows_in_scope)
        fields = dict(value._mapping)
    elif hasattr(value, "to_dict") and hasattr(value, "columns"):  # a DataFrame
        fields = {"columns": list(value.columns), "values": value.to_dict("list")}
    elif hasattr(value, "__dict__"):
        fields = {name: item for name, item in vars(value).items() if not name.startswith("_")}
    else:
        raise AssertionError(f"the walk cannot read a {type(value).__qualname__}: teach receive() to")
    for name, item in fields.items():
        if name == "site_id" and isinstance(item, int):
            into.site_ids.add(item)
        receive(item, into, seen)


# --- what it may not have received -----------------------------------------------------------------


def reached(world: WalkWorld, role: Role, reach: Reach) -> Callable[[set[int]], bool]:
    """Whether a value about these persons is one the role may read."""
    own = world.sites[OWN_SITE]
    if reach is Reach.EVERYBODY:
        return lambda owners: True
    if reach is Reach.OWN_SITES:
        return lambda owners: any(world.person_site[p] == own for p in owners)
    if reach is Reach.LEARNERS:
        return lambda owners: bool(owners & world.learners)
    if reach is Reach.DUE_FOR_RETENTION:
        return lambda owners: bool(owners & world.due_for_retention)
    return lambda owners: False


def _appears(text: str, blob: str) -> bool:
    """Whether a value shows in a file's text: anywhere, or as a whole word for a value of three letters or
    fewer (a real first name such as « Na » or « Li » is inside « National », « Ligne »)."""
    if len(text) > 3:
        return text in blob
    return re.search(rf"(?<!\w){re.escape(text)}(?!\w)", blob) is not None


def leaks(world: WalkWorld, role: Role, received: Received) -> list[str]:
    policy = POLICIES[role]
    found: list[str] = []
    blob = "\x00".join(received.texts)
    codes = set(PERSON_CODE.findall("\x00".join(received.strings) + "\x00" + blob))
    may_code = reached(world, role, policy.codes)
    found += [
        f"person code {code}" for code in sorted(codes) if code in world.codes and not may_code(world.codes[code])
    ]
    may_read_text = reached(world, role, policy.free_text)
    everything = "\x00".join(received.strings) + "\x00" + blob
    found += [
        f"free text {marked.group(0)!r}"
        for marked in MARKED_TEXT.finditer(everything)
        if not may_read_text({int(marked.group(1))})
    ]
    for label, table, reach in (
        ("identity", world.identities, policy.identity),
        ("free text", world.free_texts, policy.free_text),
    ):
        may = reached(world, role, reach)
        found += [f"{label} {text!r}" for text in sorted(received.strings & table.keys()) if not may(table[text])]
        if blob:
            found += [
                f"{label} {text!r} in a file"
                for text, owners in table.items()
                if _appears(text, blob) and not may(owners)
            ]
    if not policy.budget_details:
        found += [f"budget detail {text!r}" for text in sorted(received.strings & world.budget_details)]
    if not policy.other_funders_grants:
        found += [f"grant of another funder {text!r}" for text in sorted(received.strings & world.other_funders_grants)]
    if policy.site_limited:
        own = world.sites[OWN_SITE]
        found += [f"site id {site}" for site in sorted(received.site_ids - {own})]
        others = {name for site, name in world.site_names.items() if site != own}
        found += [f"site name {name!r}" for name in sorted(received.strings & others)]
    found += [
        f"{domain} object ({kind})" for domain, kind in sorted(received.domains.items()) if domain not in policy.domains
    ]
    return list(dict.fromkeys(found))


# --- the arguments of a call, by parameter name ------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Call:
    world: WalkWorld
    scope: str
    module: str
    variant: dict[str, Any]

    def id_of(self, name: str) -> int:
        return self.world.targets[self.scope].values[name]


def _three_years() -> tuple[date, date]:
    today = clock.today()
    return clock.add_months(clock.month_start(today), -36), today


def _session_id(call: Call) -> int:
    if call.module.startswith("activities.workshops") or call.variant.get("kind") == SessionKind.WORKSHOP:
        return call.id_of("workshop_session_id")
    return call.id_of("course_session_id")


def _enrolment_id(call: Call) -> int:
    if call.module.startswith("activities.workshops"):
        return call.id_of("workshop_enrolment_id")
    return call.id_of("course_enrolment_id")


# Ids: the principal's own object, a neighbour's, a foreign site's (Call.scope).
PROVIDERS: dict[str, Callable[[Call], Any]] = {
    name: (lambda key: lambda call: call.id_of(key))(name)
    for name in (
        "site_id",
        "person_id",
        "group_id",
        "round_id",
        "module_id",
        "attempt_id",
        "appointment_id",
        "goal_id",
        "assessment_id",
        "episode_id",
        "partner_id",
        "strand_id",
        "referral_id",
        "post_id",
        "expense_id",
        "grant_id",
        "resource_id",
        "tranche_id",
        "report_id",
        "cofunding_id",
        "code",
        "alias",
        "note_id",
        "figure_id",
        "guide_id",
        "chapter_id",
        "citations",
    )
}
PROVIDERS |= {
    "session_id": _session_id,
    "enrolment_id": _enrolment_id,
    "site_ids": lambda call: [call.id_of("site_id")],
    "person_ids": lambda call: [call.id_of("person_id")],
    "codes": lambda call: [call.id_of("code")],
    "filter": lambda call: CaseloadFilter(site_id=call.id_of("site_id")),
    # persons.access.rows_in_scope: a reader's query of the target's records (its code and its notes)
    "statement": lambda call: (
        sa.select(Person.code, PersonNote.id)
        .join(PersonNote, PersonNote.person_id == Person.id)
        .where(Person.id == call.id_of("person_id"))
    ),
    "birth_year": lambda call: None,
    "cipher": lambda call: call.world.cipher,
    "settings": lambda call: load_settings(),
    # Days: the pinned today, three years back (the demo data's span).
    "today": lambda call: clock.today(),
    "as_of": lambda call: clock.today(),
    "month": lambda call: clock.month_start(clock.today()),
    "year": lambda call: clock.today().year - 1,  # the last finished year (the activity report's)
    "start": lambda call: _three_years()[0],
    "end": lambda call: _three_years()[1],
    "period_start": lambda call: _three_years()[0],
    "period_end": lambda call: _three_years()[1],
    "threshold": lambda call: load_settings().screen_disclosure_threshold,
    "association": lambda call: "Association",
    "page": lambda call: 1,
    # The widest reading a caller can ask for.
    "include_closed": lambda call: True,
    "include_inactive": lambda call: True,
    "include_left": lambda call: True,
    # Writes: values that cannot be saved (the walk reads; the write tests write).
    "data": lambda call: {},
    "expected_version": lambda call: -1,
    "expected_versions": lambda call: {},
    "lines": lambda call: [],
    "shares": lambda call: [],
    "statuses": lambda call: {},
    "ordered_ids": lambda call: [],
    "confirmed": lambda call: False,
    "confirm_code": lambda call: "",
    "fields": lambda call: {},
    "new_password": lambda call: "",
    "active": lambda call: True,
    "username": lambda call: "walk.chef_service",
    "language": lambda call: "en",
    "entity_type": lambda call: "person",
    "entity_id": lambda call: call.id_of("person_id"),
    "actions": lambda call: [AuditAction.PERSON_UPDATE],
    "action": lambda call: AuditAction.PERSON_VIEW,
    "filename": lambda call: None,
    "content": lambda call: None,
    "direction": lambda call: "up",
    "indicator_keys": lambda call: ["new_intakes"],
}
# Parameters whose every value is walked (each is a different reading).
VARIANTS: dict[str, list[Any]] = {"kind": list(SessionKind), "period": list(Period), "output": list(Output)}
# Parameters left at their default: what the page chooses and the walk does not need.
DEFAULTED = {
    "success",
    "period_key",  # the grant to date: the widest period of the publication grid
    "limit",
    "offset",
    "page_size",
    "months",
    "days",
    "by_site",
    "own_only",
    "writable",
    "record_view",
    "kinds",  # every kind of « À faire » item: the widest reading
    "horizon_days",  # the payments and reports due within the home page's horizon (overdue ones always)
    "part",  # a cache the caller may pass for parts of a figure; by default each part is computed
}


def calls_of(function: Callable, world: WalkWorld, scope: str, module: str) -> Iterator[dict[str, Any]]:
    parameters = inspect.signature(function).parameters
    varied = [name for name in parameters if name in VARIANTS]
    combos: list[dict[str, Any]] = [{}]
    for name in varied:
        combos = [combo | {name: value} for combo in combos for value in VARIANTS[name]]
    for combo in combos:
        call = Call(world, scope, module, combo)
        arguments = dict(combo)
        for name, parameter in parameters.items():
            if name in ("session", "principal", "actor") or name in combo:
                continue
            if name in PROVIDERS:
                arguments[name] = PROVIDERS[name](call)
            elif parameter.default is inspect.Parameter.empty:
                raise AssertionError(f"no provider for the parameter {name!r}: add one to PROVIDERS")
            elif name not in DEFAULTED and parameter.default is not None:
                raise AssertionError(f"say whether {name!r} is walked (PROVIDERS) or left at its default (DEFAULTED)")
        yield arguments


# --- the walk --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "function"), WALKED, ids=[name for name, _ in WALKED])
def test_a_service_refuses_or_returns_only_what_the_role_may_see(
    world: WalkWorld, name: str, function: Callable
) -> None:
    problems: list[str] = []
    module = name.rsplit(".", 1)[0]
    who = principal_parameter(function)
    parameters = inspect.signature(function).parameters
    for role in Role:
        for scope in SCOPES:
            for arguments in calls_of(function, world, scope, module):
                with world.engine.connect() as connection:
                    transaction = connection.begin()
                    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
                    try:
                        principal = principal_of(session, session.get_one(User, world.users[role]))
                        context = {"session": session} if "session" in parameters else {}
                        try:
                            result = function(**context, **{who: principal}, **arguments)
                        except REFUSALS:
                            continue
                        received = Received()
                        receive(result, received, set())
                        problems += [
                            f"{role.value} ({scope}, {arguments_label(arguments)}): {leak}"
                            for leak in leaks(world, role, received)
                        ]
                    finally:
                        session.close()
                        transaction.rollback()
    assert not problems, "\n".join(problems[:40])


def arguments_label(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in arguments.items() if key in VARIANTS) or "-"


def test_the_walk_finds_the_services_of_every_domain() -> None:
    """Discovery reads the package: each domain's services are there (a broken walk would find nothing)."""
    names = {name for name, _ in WALKED}
    for expected in (
        "persons.files.get_person_file",
        "persons.files.list_caseload",
        "activities.outreach.monthly_outreach",
        "activities.workshops.figures.attendance_rates",
        "activities.courses.progress.group_distribution",
        "finance.consumption.consumption",
        "finance.funded.funded_consumption",
        "finance.staffing.posts.list_posts",
        "reporting.funder_space.funder_overview",
        "reporting.dashboard.director_dashboard",
        "platform.audit.list_events",
        "persons.retention.files_due_for_retention",
    ):
        assert expected in names
    assert len(names) >= 150


# Reads the walk must reach, or it would pass by refusing everything (a provider giving ids nobody may read).
REACHED = [
    ("persons.files.list_caseload", Role.CHEF_SERVICE, "own"),
    ("persons.files.list_caseload", Role.DIRECTION, "foreign"),
    ("persons.pathway.list_notes", Role.INTERVENANT, "own"),
    ("persons.timeline.person_timeline", Role.DIRECTION, "own"),
    ("activities.outreach.list_rounds", Role.INTERVENANT, "own"),
    ("activities.courses.groups.list_learners", Role.FORMATEUR, "own"),
    ("activities.attendance.roll_call", Role.FORMATEUR, "own"),
    ("finance.consumption.consumption", Role.GESTION, "own"),
    ("finance.funded.funded_consumption", Role.FINANCEUR, "own"),
    ("reporting.funder_space.funder_overview", Role.FINANCEUR, "own"),
    ("reporting.report_pack.build_report_pack", Role.FINANCEUR, "own"),
    ("platform.audit.list_events", Role.ADMIN, "own"),
    ("persons.retention.files_due_for_retention", Role.ADMIN, "own"),
    ("accounts.changes.privileged_account_changes", Role.DIRECTION, "own"),
    ("capitalisation.notes.list_notes", Role.CHARGE_MISSION, "foreign"),
    ("capitalisation.notes.note_figures", Role.CHARGE_MISSION, "foreign"),
    ("capitalisation.notes.note_figures", Role.INTERVENANT, "own"),
    ("capitalisation.guides.guide_outline", Role.CHARGE_MISSION, "own"),
    ("capitalisation.word.chapter_document", Role.CHARGE_MISSION, "own"),
]


@pytest.mark.parametrize(("name", "role", "scope"), REACHED, ids=[f"{n}-{r.value}" for n, r, _ in REACHED])
def test_the_walk_reaches_what_a_role_may_read(world: WalkWorld, name: str, role: Role, scope: str) -> None:
    function = dict(WALKED)[name]
    received = Received()
    for arguments in calls_of(function, world, scope, name.rsplit(".", 1)[0]):  # one variant at least
        with world.engine.connect() as connection, connection.begin() as transaction:
            session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
            principal = principal_of(session, session.get_one(User, world.users[role]))
            with contextlib.suppress(*REFUSALS):
                receive(function(session, **{principal_parameter(function): principal}, **arguments), received, set())
            session.close()
            transaction.rollback()
    assert received.strings or received.texts, f"{name} as {role.value} returned nothing readable"
