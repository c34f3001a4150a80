"""Partenaires and Conservation des données: who may open them, French errors by field, typed confirmation."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from models.audit import AuditEvent
from models.organisation import Site
from models.partners import Partner
from models.persons import IntakeOrigin, Person, PersonStatus
from services.platform.crypto import FieldCipher
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.pages.conftest import NO_ACCESS, error_after, open_page, signed_in_app, text_input, texts, unique
from ui.platform.navigation import PAGE_SPECS

CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])


def _form_button(at, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, [b.label for b in at.button]
    return found[0]


@pytest.mark.parametrize(
    ("username", "page"),
    [
        ("chef.lyon", PageKey.PARTNERS),
        ("admin", PageKey.PARTNERS),
        ("chef.lyon", PageKey.RETENTION),
        ("admin", PageKey.RETENTION),
    ],
)
def test_allowed_roles_open_the_pages(username, page, demo_database):
    at = open_page(signed_in_app(username), page)
    assert not at.exception, at.exception
    assert NO_ACCESS not in texts(at.error)
    assert texts(at.title) == [{PageKey.PARTNERS: "Partenaires", PageKey.RETENTION: "Conservation des données"}[page]]


@pytest.mark.parametrize("username", ["ts.lyon", "direction"])
@pytest.mark.parametrize("page", [PageKey.PARTNERS, PageKey.RETENTION])
def test_other_roles_do_not_get_the_pages(username, page, demo_database):
    at = signed_in_app(username).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE_SPECS[page].script)


def test_partner_list_of_chef_de_service_is_its_own_site(demo_database):
    at = open_page(signed_in_app("chef.lyon"), PageKey.PARTNERS)
    sites = set(at.dataframe[0].value["Site"])
    assert sites == {"LYO"}


def test_creating_a_partner_with_a_bad_input_shows_the_french_error_by_the_field(app_engine, demo_database):
    at = open_page(signed_in_app("chef.lyon"), PageKey.PARTNERS)
    contact = text_input(at, "Contact (accueil, service)")
    contact.input("Accueil du matin")
    at = _form_button(at, "Ajouter le partenaire").click().run()
    assert not at.exception, at.exception
    name = text_input(at, "Nom")
    assert error_after(at, name) == "Le nom du partenaire est obligatoire."
    assert text_input(at, "Contact (accueil, service)").value == "Accueil du matin"  # input kept

    name = unique("Ressourcerie test ")
    text_input(at, "Nom").input(name)
    at = _form_button(at, "Ajouter le partenaire").click().run()
    assert not at.exception, at.exception
    assert error_after(at, text_input(at, "Nom")) is None
    assert text_input(at, "Nom").value == ""  # a fresh form after the success
    with unit_of_work(app_engine) as session:
        partner = session.exec(select(Partner).where(Partner.name == name)).one()
        found = (session.get(Site, partner.site_id).code, partner.contact)
    assert found == ("LYO", "Accueil du matin")


def _an_old_lyon_file(app_engine) -> tuple[int, str]:
    """A file of Lyon without contact since 2019, made for this test (demo files are left alone)."""
    with unit_of_work(app_engine) as session:
        lyon = session.exec(select(Site).where(Site.code == "LYO")).one()
        number = 5000 + int(unique(""))
        person = Person(
            code=f"LYO-2018-{number}",
            site_id=lyon.id,
            code_year=2018,
            code_number=number,
            first_contact_on=date(2018, 3, 1),
            intake_on=date(2018, 3, 1),
            origin=IntakeOrigin.SELF,
            consent_on=date(2018, 3, 1),
            last_contact_on=date(2019, 1, 15),
            alias_encrypted=CIPHER.encrypt("Joy"),
        )
        session.add(person)
        session.commit()
        return person.id, person.code


def test_anonymising_requires_the_typed_code(app_engine, demo_database):
    person_id, code = _an_old_lyon_file(app_engine)
    at = open_page(signed_in_app("chef.lyon"), PageKey.RETENTION)
    assert not at.exception, at.exception
    assert code in at.dataframe[0].value["Code"].tolist()
    assert "Dossier" in [s.label for s in at.selectbox]
    at.selectbox(key=next(s for s in at.selectbox if s.label == "Dossier").key).set_value(person_id)
    confirm = text_input(at, "Retapez le code du dossier pour confirmer")
    confirm.input("LYO-0000-0000")
    at = _form_button(at, "Anonymiser définitivement").click().run()
    assert not at.exception, at.exception
    confirm = text_input(at, "Retapez le code du dossier pour confirmer")
    assert error_after(at, confirm) == "Le code saisi ne correspond pas au dossier : rien n'a été modifié."
    with unit_of_work(app_engine) as session:
        assert session.get(Person, person_id).status != PersonStatus.ANONYMISED

    confirm.input(code)
    at = _form_button(at, "Anonymiser définitivement").click().run()
    assert not at.exception, at.exception
    with unit_of_work(app_engine) as session:
        person = session.get(Person, person_id)
        assert (person.status, person.alias_encrypted) == (PersonStatus.ANONYMISED, None)
        audit = session.exec(
            select(AuditEvent).where(AuditEvent.action == "person.anonymise", AuditEvent.entity_id == str(person_id))
        ).one()
        assert audit.actor_username == "chef.lyon"
    assert at.dataframe == [] or code not in at.dataframe[0].value["Code"].tolist()


def test_the_page_explains_what_is_destroyed_and_kept(demo_database):
    at = open_page(signed_in_app("admin"), PageKey.RETENTION)
    text = " ".join(texts(at.markdown))
    assert "Détruit, sans retour possible" in text and "Gardé, pour les statistiques anonymes" in text
