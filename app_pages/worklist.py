"""À faire: what is due in the user's files, groups and sessions, overdue first; each line opens the file
and tab (or the session's roll call) where the work is done, and doing it clears the line."""

import streamlit as st

from i18n import _, formats, ngettext
from models.labels import label
from services import worklist
from services.platform.db import unit_of_work
from services.platform.pages import PageKey, may_open
from services.platform.principal import Principal
from services.worklist import KindCount, WorkItem
from ui.persons import markers
from ui.platform import pager
from ui.platform.guards import require_page
from ui.platform.navigation import link_target
from ui.platform.runtime import runtime
from ui.platform.text import md

PAGE_SIZE = 50
PAGER = "worklist_page"
FILTER = "worklist_kinds"

principal = require_page(PageKey.WORKLIST)


def overdue_text(count: int) -> str:
    return ngettext("{count} en retard", "{count} en retard", count).format(count=formats.number(count))


def counts_row(counts: list[KindCount]) -> None:
    """One figure per kind, with the overdue part in red."""
    columns = st.columns(4)
    for index, count in enumerate(counts):
        columns[index % 4].metric(
            label(count.kind),
            formats.number(count.total),
            delta=overdue_text(count.overdue) if count.overdue else None,
            delta_color="inverse",
            delta_arrow="off",
            border=True,
        )


def kind_filter(counts: list[KindCount]) -> None:
    """The kinds to show (none chosen: all of them), kept under FILTER."""
    totals = {c.kind: c.total for c in counts}
    st.pills(
        _("Filtrer par type"),
        list(totals),
        selection_mode="multi",
        format_func=lambda kind: f"{label(kind)} ({formats.number(totals[kind])})",
        key=FILTER,
    )


def who(item: WorkItem) -> str:
    """The person's code and the group, module or partner concerned (as stored: escape before Markdown)."""
    marker = markers.danger(item.safety_flag)  # the file's team only (services.persons.safety)
    return " · ".join(part for part in (marker, item.code, item.subject) if part)


def line(principal: Principal, item: WorkItem) -> None:
    """The item as a link to where it is cleared (plain text if the role may not open that page)."""
    if not may_open(principal, item.link.page):
        st.text(f"{formats.day(item.due_on)} · {label(item.kind)} · {who(item)}")
        return
    st.page_link(
        link_target(item.link.page),
        label=_("{late}{day} · {kind} · {who}").format(
            late=_("**En retard** · ") if item.overdue else "",
            day=formats.day(item.due_on),
            kind=label(item.kind),
            who=md(who(item)),
        ),
        icon=":material/error:" if item.overdue else ":material/schedule:",
        query_params=item.link.query_params,
    )


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    st.title(_("À faire"))
    st.caption(
        _(
            "Ce qui arrive à échéance dans vos dossiers, groupes et séances, les retards d'abord. Chaque ligne "
            "ouvre l'endroit où le faire ; une fois fait, la ligne disparaît."
        )
    )
    # One computation per run: the filter's value is read from its key before the filter is drawn.
    kinds = list(st.session_state.get(FILTER) or [])
    number = pager.current(PAGER, tuple(sorted(kinds)))
    with unit_of_work(runtime().engine) as uow:
        found = worklist.worklist_page(uow, principal, kinds=kinds, page=number, page_size=PAGE_SIZE)
    if not found.counts:
        st.info(_("Rien ne vous est attribué ici."))
        return
    counts_row(found.counts)
    kind_filter(found.counts)
    if not found.items:
        st.success(_("Rien à faire pour l'instant."), icon=":material/task_alt:")
        return
    st.caption(
        ngettext(
            "{count} échéance · page {page} sur {pages}", "{count} échéances · page {page} sur {pages}", found.total
        ).format(
            count=formats.number(found.total), page=formats.number(found.page), pages=formats.number(found.page_count)
        )
    )
    for item in found.items:
        line(principal, item)
    pager.buttons(PAGER, found.page, found.page_count)


page(principal)
