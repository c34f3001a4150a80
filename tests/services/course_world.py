"""A hand-built French-course world shared by the course and progress service tests.

Lyon: two groups, "A" taught by `fle` (a formateur, like fle.lyon) and "B" taught by another
formateur; Grenoble: group "G". Learners carry an encrypted first name. Dates are fixed (TODAY).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from models.courses import CourseGroup
from models.organisation import Role, Site
from models.persons import Person
from services.platform.crypto import FieldCipher
from services.platform.principal import Principal
from tests import factories
from tests.conftest import TEST_ENCRYPTION_KEY

TODAY = date(2026, 5, 15)
CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])


@dataclass
class CourseWorld:
    lyon: Site
    grenoble: Site
    fle: Principal  # formateur of group A only
    fle_b: Principal  # formateur of group B
    chef_lyon: Principal
    chef_grenoble: Principal
    direction: Principal
    ts_lyon: Principal
    fle_user_id: int
    fle_b_user_id: int
    group_a: CourseGroup
    group_b: CourseGroup
    group_g: CourseGroup
    amina: Person  # learner of A
    bintou: Person  # learner of A
    chloe: Person  # learner of B only
    grace: Person  # learner of G (Grenoble)
    not_enrolled: Person  # an active Lyon file in no group


def make_course_world(session: Session) -> CourseWorld:
    lyon, grenoble = factories.lyon_and_grenoble(session)
    fle_user = factories.a_user(session, Role.FORMATEUR, lyon, username="fle.lyon.t")
    fle_b_user = factories.a_user(session, Role.FORMATEUR, lyon, username="fle2.lyon.t")
    p = factories.principal
    group_a = factories.a_course_group(session, lyon, teacher=fle_user, starts_on=date(2026, 1, 5))
    group_b = factories.a_course_group(session, lyon, teacher=fle_b_user, starts_on=date(2026, 1, 5))
    group_g = factories.a_course_group(session, grenoble, starts_on=date(2026, 1, 5))

    def learner(site: Site, name: str, *groups: CourseGroup) -> Person:
        person = factories.a_person_called(session, site, name, cipher=CIPHER, intake_on=date(2025, 12, 1))
        for group in groups:
            factories.a_learner(session, group, person, enrolled_on=date(2026, 1, 5))
        return person

    return CourseWorld(
        lyon=lyon,
        grenoble=grenoble,
        fle=p(session, fle_user),
        fle_b=p(session, fle_b_user),
        chef_lyon=p(session, factories.a_user(session, Role.CHEF_SERVICE, lyon)),
        chef_grenoble=p(session, factories.a_user(session, Role.CHEF_SERVICE, grenoble)),
        direction=p(session, factories.a_user(session, Role.DIRECTION)),
        ts_lyon=p(session, factories.a_user(session, Role.INTERVENANT, lyon)),
        fle_user_id=fle_user.id,
        fle_b_user_id=fle_b_user.id,
        group_a=group_a,
        group_b=group_b,
        group_g=group_g,
        amina=learner(lyon, "Amina", group_a),
        bintou=learner(lyon, "Bintou", group_a),
        chloe=learner(lyon, "Chloé", group_b),
        grace=learner(grenoble, "Grace", group_g),
        not_enrolled=learner(lyon, "Nadège"),
    )
