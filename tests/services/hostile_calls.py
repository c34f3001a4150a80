"""A small world where every form service can be called, and how each is called with a form's values.

CALLS maps a service function ("module.function" under services/) to a call taking the session, the
world and the form's values; `form` says which input model shapes those values and `many` that the call
takes a list of them (the budget lines of a grant, the shares of a post). Every public service taking a
form must be here (tests/services/test_forms_hostile.py enforces it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from models.appointments import Appointment, AppointmentKind
from models.capitalisation import NoteStatus, PracticeGuide, PracticeNote, PracticeStrand, PracticeTheme
from models.courses import Certification, CertificationAttempt, CertificationResult
from models.finance import BudgetCategory, FunderKind
from models.money_in import GrantCofunding, GrantReport, GrantTranche, ReportKind, TrancheCondition
from models.organisation import Role, Site
from models.partners import PartnerKind
from models.pathway import ActionGoal, Barrier, BarrierAssessment, BarrierSeverity, GoalAxis, GoalStatus
from models.persons import Person
from models.staffing import PostFunding
from services.accounts import auth, enrolment, preferences, sso, users
from services.activities import attendance, outreach
from services.activities.courses import assessments, groups
from services.activities.courses import sessions as course_sessions
from services.activities.workshops import figures, modules, people
from services.activities.workshops import sessions as workshop_sessions
from services.capitalisation import guides, notes
from services.finance import (
    deviation_notes,
    expense_import,
    expenses,
    financial_report,
    grants,
    lines,
    money_in,
    resources,
    revision,
)
from services.finance.staffing import charges, posts, recruitment
from services.persons import (
    access,
    alias_index,
    appointments,
    consent,
    corrections,
    erasure,
    files,
    legal,
    partners,
    pathway,
    retention,
    safety,
    transfer,
)
from services.platform import organisation
from services.platform.config import load_settings
from services.platform.crypto import FieldCipher
from services.platform.inputs import FormInput, PeriodInput
from services.platform.principal import Principal
from services.reporting import dashboard, director_answers
from tests import factories
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.services.hostile import TODAY

CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])
NOW = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
SETTINGS = load_settings()


@dataclass
class World:
    lyon: Site
    chef: Principal
    gestion: Principal
    formateur: Principal
    admin: Principal
    mission: Principal  # the national project officer (capitalisation)
    person: Person
    ids: dict[str, int]

    def version(self, session: Session, model: type, row_id: int) -> int:
        return session.get_one(model, row_id).version

    @property
    def all_ids(self) -> list[int]:
        return sorted(set(self.ids.values()))


def make_world(session: Session) -> World:
    """Lyon with one account per role, a person followed there (in a French group, a workshop cycle, with a
    goal, a PSP request, a referral to a partner, a certification attempt), a grant with its lines and a
    post, a workshop module and session, an outreach round."""
    lyon = factories.a_site(session, "LYO", "Lyon")
    chef_user = factories.a_user(session, Role.CHEF_SERVICE, lyon)
    teacher = factories.a_user(session, Role.FORMATEUR, lyon)
    p = factories.principal
    person = factories.a_person_in_file_active(session, lyon, intake_on=date(2026, 3, 2), referent=chef_user)
    person.consent_partner_sharing = True
    group = factories.a_course_group(session, lyon, teacher=teacher, starts_on=date(2026, 9, 1))
    learner = factories.a_learner(session, group, person, enrolled_on=date(2026, 9, 1))
    module = factories.a_workshop_module(session, lyon, name="Estime de soi")
    workshop = factories.a_workshop_session(session, lyon, session_on=date(2026, 11, 10), module=module)
    cycle = factories.a_workshop_cycle(session, person, starts_on=date(2026, 10, 1))
    partner = factories.a_partner_of_kind(session, lyon, PartnerKind.CIDFF)
    referral = factories.a_referral_to(session, person, partner, on=date(2026, 10, 5))
    episode = factories.a_psp_requested(session, person, on=date(2026, 6, 1))
    goal = ActionGoal(
        person_id=person.id,
        site_id=lyon.id,
        axis=GoalAxis.HOUSING,
        goal="Trouver un logement",
        actions="Dossier SIAO",
        due_on=date(2026, 12, 31),
        status=GoalStatus.OPEN,
    )
    attempt = CertificationAttempt(
        person_id=person.id,
        site_id=lyon.id,
        certification=Certification.DILF_A1_1,
        attempted_on=date(2026, 10, 20),
        result=CertificationResult.PENDING,
    )
    barrier = BarrierAssessment(
        person_id=person.id,
        site_id=lyon.id,
        assessed_on=date(2026, 10, 20),
        barrier=Barrier.SAFETY,
        severity=BarrierSeverity.MAJOR,
    )
    appointment = Appointment(
        person_id=person.id,
        site_id=lyon.id,
        appointment_on=date(2026, 10, 20),
        kind=AppointmentKind.INTERVIEW,
        worker_id=chef_user.id,
        duration_minutes=60,
    )
    session.add_all([goal, attempt, barrier, appointment])
    funder = factories.a_funder(session)
    budgeted = factories.a_budgeted_grant(
        session,
        funder,
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 6, 30),
        planned=[
            ("Aller-vers", lyon, BudgetCategory.STAFF, 30_000_00),
            ("Aller-vers", lyon, BudgetCategory.PURCHASES, 5_000_00),
        ],
    )
    line_ids = sorted(line.id for line in budgeted.lines.values())
    post = factories.a_post(session, lyon)
    session.add(PostFunding(post_id=post.id, grant_id=budgeted.grant.id, share_bp=10_000))
    tranche = GrantTranche(
        grant_id=budgeted.grant.id,
        expected_on=date(2026, 2, 1),
        expected_cents=10_000_00,
        condition=TrancheCondition.SIGNATURE,
    )
    report = GrantReport(grant_id=budgeted.grant.id, kind=ReportKind.INTERIM, due_on=date(2026, 12, 31))
    cofunding = GrantCofunding(
        grant_id=budgeted.grant.id,
        funder_id=factories.a_funder(session, "Région", FunderKind.REGION).id,
        amount_cents=5_000_00,
    )
    session.add_all([tranche, report, cofunding])
    expense = factories.an_expense(
        session,
        budgeted.lines[("Aller-vers", "LYO", BudgetCategory.PURCHASES)],
        spent_on=date(2026, 10, 2),
        amount_cents=12_50,
    )
    factories.a_user(session, Role.GESTION, username="gestion.hostile")
    round_ = factories.an_outreach_round(session, lyon, round_on=date(2026, 11, 12))
    mission = factories.a_user(session, Role.CHARGE_MISSION)
    note = PracticeNote(
        site_id=lyon.id,
        strand=PracticeStrand.OUTREACH,
        theme=next(iter(PracticeTheme)),
        title="Maraude numérique",
        body="Ce qui marche en ligne.",
        status=NoteStatus.DRAFT,
        author_id=mission.id,
    )
    guide = PracticeGuide(title="Guide de l'aller-vers", strand=PracticeStrand.OUTREACH, author_id=mission.id)
    session.add_all([note, guide])
    session.flush()
    return World(
        lyon=lyon,
        chef=p(session, chef_user),
        gestion=p(session, factories.a_user(session, Role.GESTION)),
        formateur=p(session, teacher),
        admin=p(session, factories.a_user(session, Role.ADMIN)),
        mission=p(session, mission),
        person=person,
        ids={
            "site": lyon.id,
            "person": person.id,
            "group": group.id,
            "learner": learner.id,
            "module": module.id,
            "workshop": workshop.id,
            "cycle": cycle.id,
            "partner": partner.id,
            "referral": referral.id,
            "episode": episode.id,
            "goal": goal.id,
            "barrier": barrier.id,
            "attempt": attempt.id,
            "appointment": appointment.id,
            "grant": budgeted.grant.id,
            "line": line_ids[0],
            "other_line": line_ids[1],
            "post": post.id,
            "expense": expense.id,
            "round": round_.id,
            "chef_user": chef_user.id,
            "teacher": teacher.id,
            "funder": funder.id,
            "tranche": tranche.id,
            "report": report.id,
            "cofunding": cofunding.id,
            "note": note.id,
            "guide": guide.id,
        },
    )


@dataclass(frozen=True)
class Call:
    form: type[FormInput]
    run: Callable[[Session, World, Any], object]
    many: bool = False  # the call takes a list of forms
    # what a refusal writes on purpose: a failed sign-in or code is counted (lockout) and audited
    refusal_writes: frozenset[str] = frozenset()


SIGN_IN_FAILURES = frozenset({"login_throttle", "audit_event"})


def _transfer_versions(s: Session, w: World) -> dict[int, int]:
    from models.finance import BudgetLine

    return {line: w.version(s, BudgetLine, w.ids[name]) for name in ("line", "other_line") for line in [w.ids[name]]}


def _models() -> dict[str, type]:
    from models.courses import CourseEnrolment, CourseGroup
    from models.finance import Grant
    from models.outreach import OutreachRound
    from models.partners import Partner, Referral
    from models.pathway import PspEpisode
    from models.staffing import Post
    from models.workshops import WorkshopModule, WorkshopSession

    return {
        "group": CourseGroup,
        "learner": CourseEnrolment,
        "grant": Grant,
        "round": OutreachRound,
        "partner": Partner,
        "referral": Referral,
        "episode": PspEpisode,
        "goal": ActionGoal,
        "barrier": BarrierAssessment,
        "post": Post,
        "tranche": GrantTranche,
        "report": GrantReport,
        "cofunding": GrantCofunding,
        "module": WorkshopModule,
        "workshop": WorkshopSession,
        "person": Person,
        "appointment": Appointment,
        "note": PracticeNote,
    }


def current(s: Session, w: World, name: str) -> int:
    """The version of the world's row `name` as the form read it."""
    return w.version(s, _models()[name], w.ids[name])


CALLS: dict[str, Call] = {
    # accounts
    "accounts.auth.change_password": Call(
        auth.PasswordChangeInput,
        lambda s, w, d: auth.change_password(s, SETTINGS, w.chef, data=d, now=NOW),
        refusal_writes=SIGN_IN_FAILURES,
    ),
    "accounts.enrolment.redeemable_code": Call(
        enrolment.CodeInput,
        lambda s, w, d: enrolment.redeemable_code(s, SETTINGS, enrolment.CodeInput.validated(d), NOW),
        refusal_writes=SIGN_IN_FAILURES,
    ),
    "accounts.enrolment.set_password_with_code": Call(
        enrolment.EnrolmentInput,
        lambda s, w, d: enrolment.set_password_with_code(s, SETTINGS, data=d, now=NOW),
        refusal_writes=SIGN_IN_FAILURES,
    ),
    "accounts.sso.link_identity": Call(
        enrolment.CodeInput,
        lambda s, w, d: sso.link_identity(s, SETTINGS, issuer="https://idp.example", subject="abc", data=d, now=NOW),
        refusal_writes=SIGN_IN_FAILURES,
    ),
    "accounts.users.create_user": Call(users.NewUserInput, lambda s, w, d: users.create_user(s, SETTINGS, w.admin, d)),
    "accounts.users.enrol_user": Call(users.AccountInput, lambda s, w, d: users.enrol_user(s, SETTINGS, w.admin, d)),
    # activities
    "activities.courses.assessments.record_assessment": Call(
        assessments.AssessmentInput,
        lambda s, w, d: assessments.record_assessment(
            s, w.formateur, group_id=w.ids["group"], person_id=w.ids["person"], data=d, today=TODAY
        ),
    ),
    "activities.courses.assessments.record_certification": Call(
        assessments.CertificationInput,
        lambda s, w, d: assessments.record_certification(
            s, w.formateur, person_id=w.ids["person"], data=d, today=TODAY
        ),
    ),
    "activities.courses.assessments.record_transition": Call(
        assessments.TransitionInput,
        lambda s, w, d: assessments.record_transition(s, w.formateur, person_id=w.ids["person"], data=d, today=TODAY),
    ),
    "activities.courses.assessments.set_certification_result": Call(
        assessments.ResultInput,
        lambda s, w, d: assessments.set_certification_result(
            s, w.formateur, attempt_id=w.ids["attempt"], data=d, today=TODAY
        ),
    ),
    "activities.courses.groups.create_group": Call(
        groups.GroupInput, lambda s, w, d: groups.create_group(s, w.chef, data=d)
    ),
    "activities.courses.groups.enrol_learner": Call(
        groups.EnrolmentInput,
        lambda s, w, d: groups.enrol_learner(s, w.chef, group_id=w.ids["group"], data=d, today=TODAY),
    ),
    "activities.courses.groups.record_leaving": Call(
        groups.LeavingInput,
        lambda s, w, d: groups.record_leaving(s, w.chef, enrolment_id=w.ids["learner"], data=d, today=TODAY),
    ),
    "activities.courses.groups.update_group": Call(
        groups.GroupInput,
        lambda s, w, d: groups.update_group(
            s, w.chef, group_id=w.ids["group"], expected_version=current(s, w, "group"), data=d
        ),
    ),
    "activities.courses.sessions.create_session": Call(
        course_sessions.CourseSessionInput,
        lambda s, w, d: course_sessions.create_session(s, w.formateur, group_id=w.ids["group"], data=d),
    ),
    "activities.outreach.log_round": Call(
        outreach.RoundInput, lambda s, w, d: outreach.log_round(s, w.chef, data=d, today=TODAY)
    ),
    "activities.outreach.update_round": Call(
        outreach.RoundInput,
        lambda s, w, d: outreach.update_round(
            s, w.chef, round_id=w.ids["round"], expected_version=current(s, w, "round"), data=d, today=TODAY
        ),
    ),
    "activities.workshops.modules.create_module": Call(
        modules.ModuleInput, lambda s, w, d: modules.create_module(s, w.chef, data=d)
    ),
    "activities.workshops.modules.update_module": Call(
        modules.ModuleInput,
        lambda s, w, d: modules.update_module(
            s, w.chef, module_id=w.ids["module"], expected_version=current(s, w, "module"), data=d
        ),
    ),
    "activities.workshops.people.end_cycle": Call(
        people.CycleEndInput,
        lambda s, w, d: people.end_cycle(s, w.chef, enrolment_id=w.ids["cycle"], data=d, today=TODAY),
    ),
    "activities.workshops.people.enrol_person": Call(
        people.CycleInput, lambda s, w, d: people.enrol_person(s, w.chef, data=d, today=TODAY)
    ),
    "activities.workshops.people.mark_completed": Call(
        people.CompletionInput,
        lambda s, w, d: people.mark_completed(s, w.chef, person_id=w.ids["person"], data=d, today=TODAY),
    ),
    "activities.workshops.sessions.create_session": Call(
        workshop_sessions.SessionInput,
        lambda s, w, d: workshop_sessions.create_session(s, w.chef, data=d, today=TODAY),
    ),
    "activities.workshops.sessions.update_session": Call(
        workshop_sessions.SessionInput,
        lambda s, w, d: workshop_sessions.update_session(
            s, w.chef, session_id=w.ids["workshop"], expected_version=current(s, w, "workshop"), data=d, today=TODAY
        ),
    ),
    # finance
    "finance.deviation_notes.save_note": Call(
        deviation_notes.NoteInput,
        lambda s, w, d: deviation_notes.save_note(s, w.gestion, grant_id=w.ids["grant"], data=d, expected_version=None),
    ),
    "finance.expense_import.import_expenses": Call(
        expense_import.UploadInput,
        lambda s, w, d: expense_import.import_expenses(
            s, w.gestion, filename=d.get("filename"), content=d.get("content"), today=TODAY
        ),
    ),
    "finance.expenses.record_expense": Call(
        expenses.ExpenseInput, lambda s, w, d: expenses.record_expense(s, w.gestion, data=d, today=TODAY)
    ),
    "finance.grants.create_funder": Call(
        grants.FunderInput, lambda s, w, d: grants.create_funder(s, w.gestion, data=d)
    ),
    "finance.grants.create_grant": Call(grants.GrantInput, lambda s, w, d: grants.create_grant(s, w.gestion, data=d)),
    "finance.grants.update_grant": Call(
        grants.GrantInput,
        lambda s, w, d: grants.update_grant(
            s, w.gestion, grant_id=w.ids["grant"], expected_version=current(s, w, "grant"), data=d
        ),
    ),
    "finance.resources.add_resource": Call(
        resources.ResourceInput,
        lambda s, w, d: resources.add_resource(s, w.gestion, grant_id=w.ids["grant"], data=d),
    ),
    "finance.lines.save_budget_lines": Call(
        lines.LineInput,
        lambda s, w, d: lines.save_budget_lines(
            s, w.gestion, grant_id=w.ids["grant"], lines=d, expected_version=current(s, w, "grant")
        ),
        many=True,
    ),
    "finance.revision.save_transfer": Call(
        revision.TransferInput,
        lambda s, w, d: revision.save_transfer(
            s, w.gestion, grant_id=w.ids["grant"], data=d, expected_versions=_transfer_versions(s, w), today=TODAY
        ),
    ),
    "finance.revision.simulate_transfer": Call(
        revision.TransferInput,
        lambda s, w, d: revision.simulate_transfer(s, w.gestion, grant_id=w.ids["grant"], data=d, today=TODAY),
    ),
    "finance.revision.try_transfer": Call(
        revision.TransferInput,
        lambda s, w, d: revision.try_transfer(s, w.gestion, grant_id=w.ids["grant"], data=d, today=TODAY),
    ),
    "finance.staffing.posts.create_post": Call(
        posts.PostInput, lambda s, w, d: posts.create_post(s, w.gestion, data=d)
    ),
    "finance.staffing.posts.fill_post": Call(
        posts.StatusInput,
        lambda s, w, d: posts.fill_post(
            s, w.gestion, post_id=w.ids["post"], expected_version=current(s, w, "post"), data=d, today=TODAY
        ),
    ),
    "finance.staffing.posts.save_funding": Call(
        posts.ShareInput, lambda s, w, d: posts.save_funding(s, w.gestion, w.ids["post"], d), many=True
    ),
    "finance.money_in.create_tranche": Call(
        money_in.TrancheInput,
        lambda s, w, d: money_in.create_tranche(s, w.gestion, grant_id=w.ids["grant"], data=d, today=TODAY),
    ),
    "finance.money_in.update_tranche": Call(
        money_in.TrancheInput,
        lambda s, w, d: money_in.update_tranche(
            s, w.gestion, w.ids["tranche"], expected_version=current(s, w, "tranche"), data=d, today=TODAY
        ),
    ),
    "finance.money_in.record_receipt": Call(
        money_in.ReceiptInput,
        lambda s, w, d: money_in.record_receipt(
            s, w.gestion, w.ids["tranche"], expected_version=current(s, w, "tranche"), data=d, today=TODAY
        ),
    ),
    "finance.money_in.create_report": Call(
        money_in.ReportInput,
        lambda s, w, d: money_in.create_report(s, w.gestion, grant_id=w.ids["grant"], data=d, today=TODAY),
    ),
    "finance.money_in.update_report": Call(
        money_in.ReportInput,
        lambda s, w, d: money_in.update_report(
            s, w.gestion, w.ids["report"], expected_version=current(s, w, "report"), data=d, today=TODAY
        ),
    ),
    "finance.money_in.create_cofunding": Call(
        money_in.CofundingInput,
        lambda s, w, d: money_in.create_cofunding(s, w.gestion, grant_id=w.ids["grant"], data=d),
    ),
    "finance.money_in.update_cofunding": Call(
        money_in.CofundingInput,
        lambda s, w, d: money_in.update_cofunding(
            s, w.gestion, w.ids["cofunding"], expected_version=current(s, w, "cofunding"), data=d
        ),
    ),
    "finance.staffing.recruitment.save_recruitment": Call(
        recruitment.RecruitmentInput,
        lambda s, w, d: recruitment.save_recruitment(
            s, w.gestion, w.ids["post"], expected_version=None, data=d, today=TODAY
        ),
    ),
    "finance.staffing.posts.update_post": Call(
        posts.PostInput,
        lambda s, w, d: posts.update_post(
            s, w.gestion, post_id=w.ids["post"], expected_version=current(s, w, "post"), data=d
        ),
    ),
    "finance.staffing.posts.vacate_post": Call(
        posts.StatusInput,
        lambda s, w, d: posts.vacate_post(
            s, w.gestion, post_id=w.ids["post"], expected_version=current(s, w, "post"), data=d, today=TODAY
        ),
    ),
    # persons
    "persons.appointments.record_appointment": Call(
        appointments.AppointmentInput,
        lambda s, w, d: appointments.record_appointment(s, w.chef, person_id=w.ids["person"], data=d, today=TODAY),
    ),
    "persons.appointments.update_appointment": Call(
        appointments.AppointmentInput,
        lambda s, w, d: appointments.update_appointment(
            s, w.chef, w.ids["appointment"], expected_version=current(s, w, "appointment"), data=d, today=TODAY
        ),
    ),
    "persons.corrections.correct_consent_date": Call(
        corrections.ConsentDateInput,
        lambda s, w, d: corrections.correct_consent_date(
            s, w.chef, w.ids["person"], expected_version=w.version(s, Person, w.ids["person"]), data=d, today=TODAY
        ),
    ),
    "persons.corrections.correct_file": Call(
        corrections.CorrectionInput,
        lambda s, w, d: corrections.correct_file(
            s, w.chef, w.ids["person"], expected_version=w.version(s, Person, w.ids["person"]), data=d, today=TODAY
        ),
    ),
    "persons.erasure.erase_on_request": Call(
        erasure.ErasureInput,
        lambda s, w, d: erasure.erase_on_request(
            s, w.chef, w.ids["person"], data=d, confirm_code=w.person.code, today=TODAY, now=NOW
        ),
    ),
    "persons.consent.record_consent_change": Call(
        consent.ConsentChangeInput,
        lambda s, w, d: consent.record_consent_change(s, w.chef, w.ids["person"], data=d, today=TODAY),
    ),
    "persons.files.close_file": Call(
        files.ClosingInput,
        lambda s, w, d: files.close_file(
            s, w.chef, person_id=w.ids["person"], expected_version=current(s, w, "person"), data=d, today=TODAY
        ),
    ),
    "persons.files.create_intake": Call(
        files.IntakeInput, lambda s, w, d: files.create_intake(s, w.chef, data=d, cipher=CIPHER, today=TODAY)
    ),
    "persons.files.intake_duplicates": Call(
        files.IntakeInput, lambda s, w, d: files.intake_duplicates(s, w.chef, data=d, cipher=CIPHER, today=TODAY)
    ),
    "persons.files.reopen_file": Call(
        files.ReopeningInput,
        lambda s, w, d: files.reopen_file(
            s, w.chef, person_id=w.ids["person"], expected_version=current(s, w, "person"), data=d, today=TODAY
        ),
    ),
    "persons.files.update_situation": Call(
        files.SituationInput,
        lambda s, w, d: files.update_situation(
            s,
            w.chef,
            person_id=w.ids["person"],
            expected_version=current(s, w, "person"),
            data=d,
            cipher=CIPHER,
            today=TODAY,
        ),
    ),
    "persons.legal.add_legal_event": Call(
        legal.LegalEventInput,
        lambda s, w, d: legal.add_legal_event(s, w.chef, person_id=w.ids["person"], data=d, today=TODAY),
    ),
    "persons.safety.set_safety": Call(
        safety.SafetyInput, lambda s, w, d: safety.set_safety(s, w.chef, person_id=w.ids["person"], data=d)
    ),
    "persons.transfer.transfer_file": Call(
        transfer.TransferInput,
        lambda s, w, d: transfer.transfer_file(
            s, w.chef, person_id=w.ids["person"], expected_version=current(s, w, "person"), data=d, today=TODAY
        ),
    ),
    "persons.partners.create_partner": Call(
        partners.NewPartnerInput, lambda s, w, d: partners.create_partner(s, w.chef, data=d)
    ),
    "persons.partners.create_referral": Call(
        partners.ReferralInput,
        lambda s, w, d: partners.create_referral(s, w.chef, person_id=w.ids["person"], data=d, today=TODAY),
    ),
    "persons.partners.record_outcome": Call(
        partners.OutcomeInput,
        lambda s, w, d: partners.record_outcome(s, w.chef, person_id=w.ids["person"], data=d, today=TODAY),
    ),
    "persons.partners.update_partner": Call(
        partners.PartnerEditInput,
        lambda s, w, d: partners.update_partner(
            s, w.chef, partner_id=w.ids["partner"], expected_version=current(s, w, "partner"), data=d
        ),
    ),
    "persons.partners.update_referral_result": Call(
        partners.ReferralResultInput,
        lambda s, w, d: partners.update_referral_result(
            s, w.chef, referral_id=w.ids["referral"], expected_version=current(s, w, "referral"), data=d, today=TODAY
        ),
    ),
    "persons.pathway.correct_barrier_rating": Call(
        pathway.BarrierCorrectionInput,
        lambda s, w, d: pathway.correct_barrier_rating(
            s, w.chef, assessment_id=w.ids["barrier"], expected_version=current(s, w, "barrier"), data=d
        ),
    ),
    "persons.pathway.add_note": Call(
        pathway.NoteInput,
        lambda s, w, d: pathway.add_note(s, w.chef, person_id=w.ids["person"], data=d, cipher=CIPHER, today=TODAY),
    ),
    "persons.pathway.add_psp_period": Call(
        pathway.PspPeriodInput,
        lambda s, w, d: pathway.add_psp_period(s, w.chef, episode_id=w.ids["episode"], data=d, today=TODAY),
    ),
    "persons.pathway.close_goal": Call(
        pathway.GoalClosingInput,
        lambda s, w, d: pathway.close_goal(
            s, w.chef, goal_id=w.ids["goal"], expected_version=current(s, w, "goal"), data=d, today=TODAY
        ),
    ),
    "persons.pathway.create_goal": Call(
        pathway.GoalInput,
        lambda s, w, d: pathway.create_goal(s, w.chef, person_id=w.ids["person"], data=d, today=TODAY),
    ),
    "persons.pathway.create_psp_episode": Call(
        pathway.PspRequestInput,
        lambda s, w, d: pathway.create_psp_episode(s, w.chef, person_id=w.ids["person"], data=d, today=TODAY),
    ),
    "persons.pathway.record_barriers": Call(
        pathway.BarriersInput,
        lambda s, w, d: pathway.record_barriers(s, w.chef, person_id=w.ids["person"], data=d, today=TODAY),
    ),
    "persons.pathway.update_goal": Call(
        pathway.GoalEditInput,
        lambda s, w, d: pathway.update_goal(
            s, w.chef, goal_id=w.ids["goal"], expected_version=current(s, w, "goal"), data=d, today=TODAY
        ),
    ),
    "persons.pathway.update_psp_episode": Call(
        pathway.PspEpisodeInput,
        lambda s, w, d: pathway.update_psp_episode(
            s, w.chef, episode_id=w.ids["episode"], expected_version=current(s, w, "episode"), data=d, today=TODAY
        ),
    ),
    # platform
    "platform.organisation.add_strand": Call(
        organisation.StrandInput, lambda s, w, d: organisation.add_strand(s, w.admin, data=d)
    ),
    "platform.organisation.create_site": Call(
        organisation.NewSiteInput, lambda s, w, d: organisation.create_site(s, w.admin, data=d)
    ),
    "platform.organisation.set_association_name": Call(
        organisation.AssociationInput, lambda s, w, d: organisation.set_association_name(s, w.admin, data=d)
    ),
    "platform.organisation.update_site": Call(
        organisation.SiteEditInput, lambda s, w, d: organisation.update_site(s, w.admin, "LYO", data=d)
    ),
    "accounts.users.reset_password": Call(
        users.ResetInput,
        lambda s, w, d: users.reset_password(s, SETTINGS, w.admin, "gestion.hostile", new_password=d.get("password")),
    ),
    "finance.expenses.delete_expense": Call(
        expenses.DeletionInput,
        lambda s, w, d: expenses.delete_expense(s, w.gestion, w.ids["expense"], confirmed=d.get("confirmed")),
    ),
    "finance.staffing.charges.plan_month": Call(
        charges.ChargeInput, lambda s, w, d: charges.plan_month(s, w.gestion, month=d.get("month"), today=TODAY)
    ),
    "finance.staffing.charges.charge_summary": Call(
        charges.ChargeInput, lambda s, w, d: charges.charge_summary(s, w.gestion, month=d.get("month"), today=TODAY)
    ),
    # the periods picked in a filter (PeriodInput)
    "activities.workshops.figures.attendance_rates": Call(
        PeriodInput, lambda s, w, d: figures.attendance_rates(s, w.chef, start=d.get("start"), end=d.get("end"))
    ),
    "finance.financial_report.report_data": Call(
        PeriodInput,
        lambda s, w, d: financial_report.report_data(
            s, w.gestion, grant_id=w.ids["grant"], period_start=d.get("start"), period_end=d.get("end")
        ),
    ),
    "finance.financial_report.funder_report_data": Call(
        PeriodInput,
        lambda s, w, d: financial_report.funder_report_data(
            s, w.gestion, grant_id=w.ids["grant"], period_start=d.get("start"), period_end=d.get("end")
        ),
    ),
    "reporting.dashboard.director_dashboard": Call(
        PeriodInput,
        lambda s, w, d: dashboard.director_dashboard(s, w.chef, start=d.get("start"), end=d.get("end"), today=TODAY),
    ),
    "reporting.dashboard.site_comparison": Call(
        PeriodInput, lambda s, w, d: dashboard.site_comparison(s, w.chef, start=d.get("start"), end=d.get("end"))
    ),
    # capitalisation (the national project officer)
    "capitalisation.notes.create_note": Call(
        notes.NoteInput, lambda s, w, d: notes.create_note(s, w.mission, data={"site_id": w.ids["site"]} | d)
    ),
    "capitalisation.notes.update_note": Call(
        notes.NoteInput,
        lambda s, w, d: notes.update_note(
            s, w.mission, w.ids["note"], expected_version=current(s, w, "note"), data={"site_id": w.ids["site"]} | d
        ),
    ),
    "capitalisation.notes.cite_figures": Call(
        notes.FiguresInput, lambda s, w, d: notes.cite_figures(s, w.mission, w.ids["note"], data=d, today=TODAY)
    ),
    "capitalisation.guides.create_guide": Call(
        guides.GuideInput, lambda s, w, d: guides.create_guide(s, w.mission, data=d)
    ),
    "capitalisation.guides.add_chapter": Call(
        guides.ChapterInput, lambda s, w, d: guides.add_chapter(s, w.mission, w.ids["guide"], data=d)
    ),
    "reporting.director_answers.director_answers": Call(
        PeriodInput,
        lambda s, w, d: director_answers.director_answers(
            s, w.chef, start=d.get("start"), end=d.get("end"), today=TODAY
        ),
    ),
    # the roll call: {person id: status} as the roll sends it (RollInput checks it)
    "activities.attendance.save_roll_call": Call(
        attendance.RollInput,
        lambda s, w, d: attendance.save_roll_call(
            s,
            w.chef,
            kind=attendance.SessionKind.WORKSHOP,
            session_id=w.ids["workshop"],
            statuses=d.get("statuses", d),
            today=TODAY,
        ),
    ),
}


# --- texts typed outside a form: a search box, a code to confirm, a sign-in ----------------------------


@dataclass(frozen=True)
class TypedCall:
    run: Callable[[Session, World, str], object]
    # what a call writes on purpose, even when it refuses: a sign-in's lockout count and its audit entry
    writes: frozenset[str] = frozenset()


def _caseload(s: Session, w: World, text: str) -> object:
    return files.list_caseload(s, w.chef, filter=files.CaseloadFilter(query=text), cipher=CIPHER, today=TODAY)


TYPED_CALLS: dict[str, TypedCall] = {
    "accounts.auth.authenticate": TypedCall(
        lambda s, w, t: auth.authenticate(s, SETTINGS, t, t, now=NOW), writes=SIGN_IN_FAILURES
    ),
    "accounts.auth.check_session": TypedCall(
        lambda s, w, t: auth.check_session(s, SETTINGS, t, started_at=NOW, last_activity_at=NOW, now=NOW)
    ),
    "accounts.auth.load_principal": TypedCall(lambda s, w, t: auth.load_principal(s, t)),
    "accounts.auth.logout": TypedCall(lambda s, w, t: auth.logout(s, t, now=NOW), writes=frozenset({"audit_event"})),
    "accounts.auth.resume_from_cookie": TypedCall(
        lambda s, w, t: auth.resume_from_cookie(s, SETTINGS, t, NOW, now=NOW)
    ),
    "accounts.preferences.save_language": TypedCall(
        lambda s, w, t: preferences.save_language(s, w.chef, username=t, language=t)
    ),
    "accounts.users.get_account": TypedCall(lambda s, w, t: users.get_account(s, t)),
    "accounts.users.issue_enrolment_code": TypedCall(lambda s, w, t: users.issue_enrolment_code(s, w.admin, t)),
    "accounts.users.reset_password": TypedCall(
        lambda s, w, t: users.reset_password(s, SETTINGS, w.admin, t, new_password=t)
    ),
    "accounts.users.set_active": TypedCall(lambda s, w, t: users.set_active(s, SETTINGS, w.admin, t, active=False)),
    "accounts.users.unlock": TypedCall(lambda s, w, t: users.unlock(s, w.admin, t)),
    "activities.workshops.people.find_progress": TypedCall(
        lambda s, w, t: people.find_progress(s, w.chef, code=t, cipher=CIPHER)
    ),
    "activities.workshops.people.person_progress": TypedCall(
        lambda s, w, t: people.person_progress(s, w.chef, code=t, cipher=CIPHER)
    ),
    "persons.access.person_by_code": TypedCall(lambda s, w, t: access.person_by_code(s, w.chef, t)),
    # Called by intake and the situation form with an alias they checked: any text gives its tokens.
    "persons.alias_index.index_alias": TypedCall(
        lambda s, w, t: alias_index.index_alias(s, w.ids["person"], t, CIPHER)
    ),
    "persons.access.transferred_away": TypedCall(lambda s, w, t: access.transferred_away(s, w.chef, t)),
    "persons.erasure.erase_on_request": TypedCall(
        lambda s, w, t: erasure.erase_on_request(
            s, w.chef, w.ids["person"], data={"reason": "person_request"}, confirm_code=t, today=TODAY, now=NOW
        )
    ),
    "persons.files.find_possible_duplicates": TypedCall(
        lambda s, w, t: files.find_possible_duplicates(s, w.chef, alias=t, birth_year=1994, cipher=CIPHER)
    ),
    "persons.files.list_caseload": TypedCall(_caseload),
    "persons.retention.anonymise_file": TypedCall(
        lambda s, w, t: retention.anonymise_file(s, w.chef, w.ids["person"], confirm_code=t, today=TODAY, now=NOW)
    ),
    "platform.organisation.set_site_active": TypedCall(
        lambda s, w, t: organisation.set_site_active(s, w.admin, t, active=False)
    ),
    "platform.organisation.update_site": TypedCall(
        lambda s, w, t: organisation.update_site(s, w.admin, t, data={"name": "Lyon", "city": "Lyon"})
    ),
}
