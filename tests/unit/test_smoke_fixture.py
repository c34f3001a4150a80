from models.organisation import Role
from services import home
from tests import factories


def test_grenoble_worker_does_not_count_lyon_files(session):
    from datetime import date

    lyon, grenoble = factories.lyon_and_grenoble(session)
    worker = factories.a_user(session, Role.INTERVENANT, grenoble)
    factories.a_person_in_file_active(session, lyon, intake_on=date(2026, 11, 2))
    factories.a_person_in_file_active(session, grenoble, intake_on=date(2026, 11, 3))
    overview = home.overview_for(session, factories.principal(session, worker), today=date(2026, 11, 29))
    figures = {f.label: f.value for f in overview.figures}
    assert figures["Dossiers en file active"] == 1
    assert figures["Nouveaux accueils ce mois-ci"] == 1
