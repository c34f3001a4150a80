"""SQLModel tables, one module per domain area. Importing this package registers them all."""

from models.appointments import Appointment
from models.audit import AuditEvent
from models.capitalisation import ChapterNote, GuideChapter, PracticeGuide, PracticeNote, PracticeNoteFigure
from models.courses import (
    CertificationAttempt,
    CourseAttendance,
    CourseEnrolment,
    CourseGroup,
    CoursePresenceDay,
    CourseSession,
    CourseTeacher,
    LanguageAssessment,
    LanguageLevelSummary,
    MainstreamTransition,
)
from models.data_version import DataVersion
from models.finance import (
    BudgetLine,
    BudgetRevision,
    DeviationNote,
    Expense,
    ExpenseImport,
    Funder,
    Grant,
    GrantResource,
    GrantSite,
    Strand,
)
from models.legal import LegalEvent
from models.money_in import GrantCofunding, GrantReport, GrantTranche, PostRecruitment
from models.organisation import (
    AccountEnrolment,
    Association,
    LoginThrottle,
    OrganisationStrand,
    Role,
    Site,
    User,
    UserSite,
)
from models.outreach import OutreachRound, OutreachRoundStaff
from models.partners import Outcome, Partner, Referral
from models.pathway import ActionGoal, BarrierAssessment, PspEpisode, PspPeriod
from models.persons import (
    ConsentChange,
    Person,
    PersonAliasToken,
    PersonCorrection,
    PersonNote,
    PersonStatusChange,
)
from models.safety import PersonSafetyChange, PersonTransfer
from models.staffing import Post, PostFunding, PostStatusChange
from models.workshops import (
    WorkshopAttendance,
    WorkshopCompletion,
    WorkshopEnrolment,
    WorkshopFacilitator,
    WorkshopModule,
    WorkshopSession,
)

__all__ = [
    "AccountEnrolment",
    "ActionGoal",
    "Appointment",
    "Association",
    "AuditEvent",
    "BarrierAssessment",
    "BudgetLine",
    "BudgetRevision",
    "CertificationAttempt",
    "ChapterNote",
    "ConsentChange",
    "CourseAttendance",
    "CourseEnrolment",
    "CourseGroup",
    "CoursePresenceDay",
    "CourseSession",
    "CourseTeacher",
    "DataVersion",
    "DeviationNote",
    "Expense",
    "ExpenseImport",
    "Funder",
    "Grant",
    "GrantCofunding",
    "GrantReport",
    "GrantResource",
    "GrantSite",
    "GrantTranche",
    "GuideChapter",
    "LanguageAssessment",
    "LanguageLevelSummary",
    "LegalEvent",
    "LoginThrottle",
    "MainstreamTransition",
    "OrganisationStrand",
    "Outcome",
    "OutreachRound",
    "OutreachRoundStaff",
    "Partner",
    "Person",
    "PersonAliasToken",
    "PersonCorrection",
    "PersonNote",
    "PersonSafetyChange",
    "PersonStatusChange",
    "PersonTransfer",
    "Post",
    "PostFunding",
    "PostRecruitment",
    "PostStatusChange",
    "PracticeGuide",
    "PracticeNote",
    "PracticeNoteFigure",
    "PspEpisode",
    "PspPeriod",
    "Referral",
    "Role",
    "Site",
    "Strand",
    "User",
    "UserSite",
    "WorkshopAttendance",
    "WorkshopCompletion",
    "WorkshopEnrolment",
    "WorkshopFacilitator",
    "WorkshopModule",
    "WorkshopSession",
]
