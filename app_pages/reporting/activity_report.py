"""Rapport d'activité: the annual activity report of a finished year, for the association or one site, as a Word
document to edit and a PDF (services.reporting.activity_report, .activity_documents).

direction: the association or any site; chef_service: its own sites. Nothing of the report is shown on the page:
its figures are published ones (export threshold), read in the documents. Downloads go through
ui.platform.downloads (a ticket for the signed-in user); each preparation is audited.
"""

import streamlit as st

from clock import today
from i18n import _, language
from services.platform.db import unit_of_work
from services.platform.errors import ServiceError
from services.platform.pages import PageKey
from services.platform.principal import Principal
from services.reporting import activity_documents, activity_report
from ui.platform import widgets
from ui.platform.downloads import offer_download
from ui.platform.guards import require_page
from ui.platform.runtime import runtime
from ui.platform.text import md
from ui.reporting import activity_report_charts

principal = require_page(PageKey.ACTIVITY_REPORT)

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def page(principal: Principal) -> None:
    """The page's body, in a function so that every text is translated when the page is drawn."""
    current = runtime()
    now = today()
    st.title(_("Rapport d'activité"))
    st.caption(
        _(
            "Les chiffres d'une année terminée, comparés à l'année précédente, pour l'association ou un site : un "
            "document Word à relire et compléter avant publication, et un PDF. Les effectifs inférieurs à "
            "{threshold} y sont masqués, y compris quand on pourrait les retrouver par différence (entre sites, "
            "entre un total et ses parties). Chaque préparation est inscrite au journal d'audit."
        ).format(threshold=md(current.settings.export_disclosure_threshold))
    )
    with unit_of_work(current.engine) as uow:
        scopes = activity_report.report_scopes(uow, principal)
        years = activity_report.report_years(uow, principal, today=now)
    if not scopes:
        st.info(_("Aucun site à votre nom : demandez à l'administration de vous rattacher à un site."))
        st.stop()
    left, right = st.columns(2)
    scope = widgets.on(left).selectbox(
        _("Périmètre"),
        scopes,
        key="activity_report_scope",
        format_func=lambda s: _("Ensemble de l'association") if s is None else f"{s.code} – {s.name}",
    )
    year = widgets.on(right).selectbox(
        _("Année"),
        years,
        key="activity_report_year",
        help=_("Seules les années terminées sont proposées : un rapport ne publie jamais une année en cours."),
    )
    site_id = None if scope is None else scope.id
    # Documents are written in the active language: one prepared in another language is not offered.
    files_key = f"activity_report_{year}_{site_id}_{language()}"
    if st.button(_("Préparer le rapport"), icon=":material/description:", key="activity_report_prepare"):
        bar = st.progress(0.0, text=_("Préparation du rapport…"))

        def progress(share: float, text: str) -> None:
            bar.progress(share, text=text)

        try:
            with unit_of_work(current.engine) as uow:
                st.session_state[files_key] = activity_documents.export_activity_report(
                    uow,
                    principal,
                    year=year,
                    site_id=site_id,
                    today=now,
                    charts=activity_report_charts.images,
                    progress=progress,
                    association_name=current.settings.association_name,
                )
        except ServiceError as exc:
            bar.empty()
            st.error(md(exc))
    files = st.session_state.get(files_key)
    if files is None:
        return
    st.success(_("Rapport {year} prêt : téléchargez-le ci-dessous.").format(year=md(year)))
    left, right = st.columns(2)
    word, pdf = files.docx, files.pdf
    offer_download(
        principal,
        _("Télécharger le document Word (DOCX)"),
        lambda: word,
        file_name=f"{files.filename_stem}.docx",
        mime=DOCX_MIME,
        icon=":material/article:",
        key="activity_report_docx",
        container=left,
    )
    offer_download(
        principal,
        _("Télécharger le PDF"),
        lambda: pdf,
        file_name=f"{files.filename_stem}.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        key="activity_report_pdf",
        container=right,
    )


page(principal)
