"""The home page's money-in block: the payments and reports due (gestion, direction) and the funded posts
late to fill (direction), each read only by the roles that may open their page."""

from __future__ import annotations

from sqlalchemy.engine import Engine

import clock
from services.finance import money_in
from services.finance.staffing import recruitment
from services.platform.db import unit_of_work
from services.platform.pages import PageKey, may_open
from services.platform.principal import Capability, Principal
from ui.finance import recruitment as recruitment_ui
from ui.finance.money_in import due_block


def block(engine: Engine, principal: Principal) -> None:
    shows_due = may_open(principal, PageKey.PAYMENTS)
    # the director's view of recruitment; gestion reads it on the Postes page, where it records the stages
    shows_late = (
        principal.can(Capability.VIEW_STAFFING) and principal.all_sites and not principal.can(Capability.EDIT_BUDGET)
    )
    if not (shows_due or shows_late):
        return
    today = clock.today()
    with unit_of_work(engine) as uow:
        due = money_in.due_soon(uow, principal, today=today) if shows_due else None
        late = recruitment.funded_posts(uow, principal, today=today) if shows_late else None
    if due is not None:
        due_block(due)
    if late is not None:
        recruitment_ui.late_list(late, link=True)
