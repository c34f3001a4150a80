"""A person file holding a marker in every free text about a person, each written through its service.

The texts: closing reason (file and status history), goal wording and actions, referral reason,
employer sector, course assessment comment, course destination. `FREE_TEXT_COLUMNS` lists where each
lands, written here by hand (not read from the models) so a test fails if one is stored elsewhere.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from models.courses import CefrLevel, LanguageSkill
from models.organisation import Role, Site
from models.partners import OutcomeType, PartnerKind
from models.pathway import GoalAxis
from models.persons import Person
from services.activities.courses import assessments
from services.persons import files, partners, pathway
from tests import factories

# (table, column, the marker's suffix written there)
FREE_TEXT_COLUMNS = (
    ("person", "closed_reason", "closing"),
    ("person_status_change", "reason", "closing"),
    ("action_goal", "goal", "goal"),
    ("action_goal", "actions", "actions"),
    ("referral", "reason", "referral"),
    ("outcome", "employer_sector", "sector"),
    ("language_assessment", "comment", "comment"),
    ("mainstream_transition", "destination", "destination"),
)


def a_file_with_free_texts(session: Session, site: Site, marker: str, *, on: date, partner_name: str) -> Person:
    """An active file of `site` whose every free text is `{marker}-{suffix}`, closed on `on` at the end.

    `partner_name` names the partner of the referral: an organisation, stored in clear (a control)."""
    chef = factories.principal(session, factories.a_user(session, Role.CHEF_SERVICE, site))
    admin = factories.principal(session, factories.a_user(session, Role.ADMIN))
    person = factories.a_person_in_file_active(session, site, intake_on=date(on.year - 1, 1, 10))
    pathway.create_goal(
        session,
        chef,
        person.id,
        today=on,
        data={"axis": GoalAxis.HOUSING, "goal": f"{marker}-goal", "actions": f"{marker}-actions"},
    )
    partner_id = partners.create_partner(
        session, admin, data={"site_id": site.id, "name": partner_name, "kind": PartnerKind.HOUSING}
    )
    partners.create_referral(
        session,
        chef,
        person.id,
        today=on,
        data={"partner_id": partner_id, "referred_on": on, "reason": f"{marker}-referral", "consent_given": True},
    )
    partners.record_outcome(
        session,
        chef,
        person.id,
        today=on,
        data={"outcome_on": on, "outcome_type": OutcomeType.CDI, "employer_sector": f"{marker}-sector"},
    )
    group = factories.a_course_group(session, site, starts_on=date(on.year - 1, 9, 1))
    factories.a_learner(session, group, person)
    assessments.record_assessment(
        session,
        chef,
        group_id=group.id,
        person_id=person.id,
        today=on,
        data={
            "assessed_on": on,
            "skill": LanguageSkill.SPEAKING,
            "level": CefrLevel.A1,
            "comment": f"{marker}-comment",
        },
    )
    assessments.record_transition(
        session, chef, person_id=person.id, today=on, data={"moved_on": on, "destination": f"{marker}-destination"}
    )
    session.refresh(person)
    files.close_file(
        session,
        chef,
        person.id,
        expected_version=person.version,
        today=on,
        data={"closed_on": on, "reason": f"{marker}-closing"},
    )
    session.refresh(person)
    return person
