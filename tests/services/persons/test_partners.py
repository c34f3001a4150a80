"""Partner directory per site, referrals to a partner of the person's site, outcomes that close a file."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from models.audit import AuditEvent
from models.organisation import Role, Site
from models.partners import OutcomeCategory, OutcomeType, PartnerKind, ReferralResult
from models.persons import PersonStatus
from services.persons import partners
from services.platform.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from services.platform.principal import Principal
from tests import factories

TODAY = date(2026, 5, 15)


def who(session: Session, role: Role, *sites: Site) -> Principal:
    return factories.principal(session, factories.a_user(session, role, *sites))


@pytest.fixture
def sites(session: Session) -> tuple[Site, Site]:
    return factories.lyon_and_grenoble(session)


def actions(session: Session) -> list[str]:
    return list(session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all())


# --- directory ----------------------------------------------------------------------------------


def test_chef_de_service_manages_the_directory_of_own_sites_only(session, sites):
    lyon, grenoble = sites
    chef = who(session, Role.CHEF_SERVICE, lyon)
    partner_id = partners.create_partner(
        session,
        chef,
        data={
            "site_id": lyon.id,
            "name": "  CIDFF   du Rhône ",
            "kind": PartnerKind.CIDFF,
            "contact": "Permanence emploi",
        },
    )
    [row] = partners.list_partners(session, chef)
    assert (row.name, row.site_code, row.kind, row.is_active, row.version) == (
        "CIDFF du Rhône",
        "LYO",
        PartnerKind.CIDFF,
        True,
        1,
    )
    with pytest.raises(ValidationFailed) as caught:
        partners.create_partner(
            session, chef, data={"site_id": grenoble.id, "name": "CIDFF Isère", "kind": PartnerKind.CIDFF}
        )
    assert caught.value.errors == {"site_id": "Choisissez un de vos sites."}
    cidff = {"name": "CIDFF du Rhône", "kind": PartnerKind.CIDFF, "contact": "Permanence emploi"}
    partners.update_partner(session, chef, partner_id, expected_version=1, data=cidff | {"is_active": False})
    assert partners.list_partners(session, chef) == []
    assert [r.is_active for r in partners.list_partners(session, chef, include_inactive=True)] == [False]
    assert actions(session) == ["partner.create", "partner.update"]


def test_admin_manages_every_site_and_others_cannot(session, sites):
    lyon, grenoble = sites
    admin = who(session, Role.ADMIN)
    partners.create_partner(
        session,
        admin,
        data={"site_id": grenoble.id, "name": "France Travail Grenoble", "kind": PartnerKind.FRANCE_TRAVAIL},
    )
    partners.create_partner(
        session, admin, data={"site_id": lyon.id, "name": "SIAO du Rhône", "kind": PartnerKind.HOUSING}
    )
    assert [r.site_code for r in partners.list_partners(session, admin)] == ["GRE", "LYO"]
    assert [s.code for s in partners.manageable_sites(session, admin)] == ["GRE", "LYO"]
    for role in (Role.INTERVENANT, Role.DIRECTION, Role.FORMATEUR, Role.GESTION):
        with pytest.raises(PermissionDenied):
            partners.create_partner(
                session, who(session, role, lyon), data={"site_id": lyon.id, "name": "X", "kind": PartnerKind.OTHER}
            )


def test_intervenant_lists_active_partners_of_own_sites_read_only(session, sites):
    lyon, grenoble = sites
    admin = who(session, Role.ADMIN)
    partners.create_partner(
        session, admin, data={"site_id": lyon.id, "name": "GRETA Lyon", "kind": PartnerKind.TRAINING}
    )
    old = partners.create_partner(
        session, admin, data={"site_id": lyon.id, "name": "Ancien partenaire", "kind": PartnerKind.OTHER}
    )
    partners.update_partner(
        session,
        admin,
        old,
        expected_version=1,
        data={"name": "Ancien partenaire", "kind": PartnerKind.OTHER, "is_active": False},
    )
    partners.create_partner(
        session, admin, data={"site_id": grenoble.id, "name": "GRETA Grenoble", "kind": PartnerKind.TRAINING}
    )
    ts = who(session, Role.INTERVENANT, lyon)
    assert [r.name for r in partners.list_partners(session, ts, include_inactive=True)] == ["GRETA Lyon"]
    with pytest.raises(PermissionDenied):
        partners.list_partners(session, who(session, Role.FINANCEUR))


def test_partner_input_errors_are_french_and_by_field(session, sites):
    lyon, _ = sites
    chef = who(session, Role.CHEF_SERVICE, lyon)
    partners.create_partner(
        session, chef, data={"site_id": lyon.id, "name": "Mission locale de Lyon", "kind": PartnerKind.MISSION_LOCALE}
    )
    with pytest.raises(ValidationFailed) as caught:
        partners.create_partner(
            session, chef, data={"site_id": lyon.id, "name": "", "kind": PartnerKind.OTHER, "contact": "x" * 201}
        )
    assert caught.value.errors == {
        "name": "Le nom du partenaire est obligatoire.",
        "contact": "Le contact ne peut dépasser 200 caractères.",
    }
    with pytest.raises(ValidationFailed) as caught:
        partners.create_partner(
            session, chef, data={"site_id": lyon.id, "name": "mission locale de lyon", "kind": PartnerKind.OTHER}
        )
    assert caught.value.errors == {"name": "Ce partenaire existe déjà sur ce site."}


def test_partner_names_are_checked_once_their_spaces_are_collapsed(session, sites):
    lyon, _ = sites
    chef = who(session, Role.CHEF_SERVICE, lyon)
    partners.create_partner(session, chef, data={"site_id": lyon.id, "name": "PASS Lyon", "kind": PartnerKind.HEALTH})
    other = partners.create_partner(
        session, chef, data={"site_id": lyon.id, "name": "GRETA Lyon", "kind": PartnerKind.TRAINING}
    )
    with pytest.raises(ValidationFailed) as caught:
        partners.create_partner(session, chef, data={"site_id": None, "name": " x" * 100, "kind": None, "contact": ""})
    assert caught.value.errors == {
        "site_id": "Choisissez un de vos sites.",
        "name": "Le nom ne peut dépasser 160 caractères.",
        "kind": "Choisissez un type de partenaire.",
    }
    with pytest.raises(ValidationFailed) as caught:
        partners.update_partner(
            session,
            chef,
            other,
            expected_version=1,
            data={"name": "  pass   LYON ", "kind": PartnerKind.TRAINING, "is_active": True},
        )
    assert caught.value.errors == {"name": "Ce partenaire existe déjà sur ce site."}


def test_partner_edit_conflict_and_scope(session, sites):
    lyon, grenoble = sites
    chef_lyon = who(session, Role.CHEF_SERVICE, lyon)
    partner_id = partners.create_partner(
        session, chef_lyon, data={"site_id": lyon.id, "name": "PASS Lyon", "kind": PartnerKind.HEALTH}
    )
    pass_lyon = {"name": "PASS Lyon", "kind": PartnerKind.HEALTH, "is_active": True}
    partners.update_partner(
        session, chef_lyon, partner_id, expected_version=1, data=pass_lyon | {"contact": "Bureau 2"}
    )
    with pytest.raises(StaleRecord):
        partners.update_partner(
            session, chef_lyon, partner_id, expected_version=1, data=pass_lyon | {"contact": "Bureau 3"}
        )
    with pytest.raises(NotFound):
        partners.update_partner(
            session,
            who(session, Role.CHEF_SERVICE, grenoble),
            partner_id,
            expected_version=2,
            data=pass_lyon | {"name": "Piraté"},
        )


# --- referrals ----------------------------------------------------------------------------------


def test_referral_to_a_partner_of_the_persons_site_and_its_result(session, sites):
    lyon, grenoble = sites
    admin = who(session, Role.ADMIN)
    ft_lyon = partners.create_partner(
        session, admin, data={"site_id": lyon.id, "name": "France Travail Lyon", "kind": PartnerKind.FRANCE_TRAVAIL}
    )
    ft_grenoble = partners.create_partner(
        session,
        admin,
        data={"site_id": grenoble.id, "name": "France Travail Grenoble", "kind": PartnerKind.FRANCE_TRAVAIL},
    )
    person = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 3, 3))
    person.consent_partner_sharing = True  # agreed at intake to sharing with partners
    ts = who(session, Role.INTERVENANT, lyon, grenoble)  # works on both sites
    with pytest.raises(ValidationFailed) as caught:
        partners.create_referral(
            session, ts, person.id, today=TODAY, data={"partner_id": ft_grenoble, "referred_on": TODAY}
        )
    assert set(caught.value.errors) == {"partner_id"}
    referral_id = partners.create_referral(
        session,
        ts,
        person.id,
        today=TODAY,
        data={"partner_id": ft_lyon, "referred_on": date(2026, 4, 2), "reason": "Inscription et atelier CV"},
    )
    with pytest.raises(ValidationFailed) as caught:
        partners.update_referral_result(
            session,
            ts,
            referral_id,
            expected_version=1,
            today=TODAY,
            data={"result": ReferralResult.COMPLETED, "result_on": None},
        )
    assert set(caught.value.errors) == {"result_on"}
    partners.update_referral_result(
        session,
        ts,
        referral_id,
        expected_version=1,
        today=TODAY,
        data={"result": ReferralResult.COMPLETED, "result_on": date(2026, 4, 20)},
    )
    [row] = partners.list_referrals(session, who(session, Role.DIRECTION), person.id)
    assert (row.partner_name, row.result, row.result_on, row.version) == (
        "France Travail Lyon",
        ReferralResult.COMPLETED,
        date(2026, 4, 20),
        2,
    )
    assert person.last_contact_on == date(2026, 4, 20)
    with pytest.raises(StaleRecord):
        partners.update_referral_result(
            session,
            ts,
            referral_id,
            expected_version=1,
            today=TODAY,
            data={"result": ReferralResult.REFUSED, "result_on": date(2026, 4, 21)},
        )
    with pytest.raises(NotFound):
        partners.update_referral_result(
            session,
            who(session, Role.INTERVENANT, grenoble),
            referral_id,
            expected_version=2,
            today=TODAY,
            data={"result": ReferralResult.REFUSED, "result_on": TODAY},
        )
    with pytest.raises(NotFound):
        partners.list_referrals(session, who(session, Role.INTERVENANT, grenoble), person.id)


def test_a_referral_result_is_dated_unless_pending(session, sites):
    lyon, _ = sites
    admin = who(session, Role.ADMIN)
    partner_id = partners.create_partner(
        session, admin, data={"site_id": lyon.id, "name": "GRETA Lyon", "kind": PartnerKind.TRAINING}
    )
    person = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 3, 3))
    person.consent_partner_sharing = True  # agreed at intake to sharing with partners
    ts = who(session, Role.INTERVENANT, lyon)
    with pytest.raises(ValidationFailed) as caught:
        partners.create_referral(
            session,
            ts,
            person.id,
            today=TODAY,
            data={"partner_id": None, "referred_on": date(2026, 6, 1), "reason": "x" * 201},
        )
    assert caught.value.errors == {
        "partner_id": "Choisissez un partenaire actif du site de la personne.",
        "referred_on": "La date ne peut pas être dans le futur.",
        "reason": "Le motif ne peut dépasser 200 caractères.",
    }
    referral_id = partners.create_referral(
        session, ts, person.id, today=TODAY, data={"partner_id": partner_id, "referred_on": None, "reason": " "}
    )
    [row] = partners.list_referrals(session, ts, person.id)
    assert (row.referred_on, row.reason) == (TODAY, None)  # an empty day is the day of reference
    for result_on, message in (
        (date(2026, 5, 1), "Le résultat ne peut précéder l'orientation."),
        (date(2026, 6, 1), "La date ne peut pas être dans le futur."),
    ):
        with pytest.raises(ValidationFailed) as caught:
            partners.update_referral_result(
                session,
                ts,
                referral_id,
                expected_version=1,
                today=date(2026, 5, 20),
                data={"result": ReferralResult.COMPLETED, "result_on": result_on},
            )
        assert caught.value.errors == {"result_on": message}
    partners.update_referral_result(
        session,
        ts,
        referral_id,
        expected_version=1,
        today=TODAY,
        data={"result": ReferralResult.PENDING, "result_on": TODAY},
    )
    [row] = partners.list_referrals(session, ts, person.id)
    assert (row.result, row.result_on, row.version) == (ReferralResult.PENDING, None, 2)


def test_outcome_inputs_get_their_messages(session, sites):
    lyon, _ = sites
    person = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 3, 3), status=PersonStatus.CLOSED)
    ts = who(session, Role.INTERVENANT, lyon)
    with pytest.raises(ValidationFailed) as caught:
        partners.record_outcome(
            session,
            ts,
            person.id,
            today=TODAY,
            data={"outcome_type": "lottery", "employer_sector": "x" * 121, "closes_file": True},
        )
    assert caught.value.errors == {
        "outcome_type": "Choisissez un type de sortie.",
        "employer_sector": "Le secteur ne peut dépasser 120 caractères.",
        "closes_file": "Le dossier est déjà clôturé.",
    }
    assert actions(session) == []


# --- outcomes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome_type", "category"),
    [
        (OutcomeType.CDI, OutcomeCategory.DURABLE_EMPLOYMENT),
        (OutcomeType.FIXED_TERM_UNDER_6_MONTHS, OutcomeCategory.TRANSITION_EMPLOYMENT),
        (OutcomeType.SIAE_HIRING, OutcomeCategory.POSITIVE_EXIT),
        (OutcomeType.OTHER, OutcomeCategory.OTHER),
    ],
)
def test_outcome_category_follows_from_its_type(session, sites, outcome_type, category):
    lyon, _ = sites
    person = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 3, 3))
    person.consent_partner_sharing = True  # agreed at intake to sharing with partners
    ts = who(session, Role.INTERVENANT, lyon)
    partners.record_outcome(
        session,
        ts,
        person.id,
        today=TODAY,
        data={"outcome_on": date(2026, 5, 4), "outcome_type": outcome_type, "employer_sector": "Restauration"},
    )
    [row] = partners.list_outcomes(session, ts, person.id)
    assert (row.category, row.closes_file) == (category, False)
    assert person.status == PersonStatus.ACTIVE


def test_outcome_that_closes_the_file_closes_the_person(session, sites):
    lyon, grenoble = sites
    person = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 3, 3))
    person.consent_partner_sharing = True  # agreed at intake to sharing with partners
    version = person.version
    ts = who(session, Role.INTERVENANT, lyon)
    with pytest.raises(NotFound):
        partners.record_outcome(
            session,
            who(session, Role.INTERVENANT, grenoble),
            person.id,
            today=TODAY,
            data={"outcome_on": TODAY, "outcome_type": OutcomeType.CDI, "closes_file": True},
        )
    partners.record_outcome(
        session,
        ts,
        person.id,
        today=TODAY,
        data={
            "outcome_on": date(2026, 5, 4),
            "outcome_type": OutcomeType.CDI,
            "employer_sector": "Aide à domicile",
            "closes_file": True,
        },
    )
    session.refresh(person)
    assert (person.status, person.closed_on, person.closed_reason) == (
        PersonStatus.CLOSED,
        date(2026, 5, 4),
        "Sortie : CDI",
    )
    assert person.version == version + 1
    assert actions(session) == ["person.close", "outcome.create"]
    with pytest.raises(ValidationFailed) as caught:
        partners.record_outcome(
            session,
            ts,
            person.id,
            today=TODAY,
            data={"outcome_on": TODAY, "outcome_type": OutcomeType.CDI, "closes_file": True},
        )
    assert caught.value.errors == {"closes_file": "Le dossier est déjà clôturé."}
    with pytest.raises(PermissionDenied):
        partners.record_outcome(
            session,
            who(session, Role.DIRECTION),
            person.id,
            today=TODAY,
            data={"outcome_on": TODAY, "outcome_type": OutcomeType.CDI},
        )


def test_no_referral_without_consent_to_sharing_unless_given_now(session, sites):
    lyon, _grenoble = sites
    partner = partners.create_partner(
        session,
        who(session, Role.ADMIN),
        data={"site_id": lyon.id, "name": "CIDFF du Rhône", "kind": PartnerKind.CIDFF},
    )
    person = factories.a_person_in_file_active(session, lyon, intake_on=date(2025, 3, 3))
    assert person.consent_partner_sharing is False  # refused at intake
    ts = who(session, Role.INTERVENANT, lyon)
    referral = {"partner_id": partner, "referred_on": date(2026, 4, 2), "reason": "Accompagnement juridique"}
    with pytest.raises(ValidationFailed) as caught:
        partners.create_referral(session, ts, person.id, today=TODAY, data=referral)
    assert set(caught.value.errors) == {"consent_given"}
    assert "n'a pas consenti au partage" in caught.value.errors["consent_given"]
    assert partners.list_referrals(session, ts, person.id) == []

    partners.create_referral(session, ts, person.id, today=TODAY, data=referral | {"consent_given": True})
    session.refresh(person)
    assert (person.consent_partner_sharing, person.version) == (True, 2)
    assert [r.partner_name for r in partners.list_referrals(session, ts, person.id)] == ["CIDFF du Rhône"]
    acts = session.exec(select(AuditEvent.action, AuditEvent.detail).order_by(AuditEvent.id)).all()
    assert [tuple(a) for a in acts][-2:] == [("person.update", "consent_partner_sharing"), ("referral.create", None)]
