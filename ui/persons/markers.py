"""How a person is written in a list shown to the staff of a site (rolls, learners, workshop cycles,
worklist): the danger marker of the file's team and « Dossier transféré » for a file moved to another site.
The services decide (services.persons.roster, services.persons.safety); this only writes it."""

from __future__ import annotations

from i18n import _
from services.persons.roster import TRANSFERRED


def danger(flagged: bool) -> str:
    """The danger marker of a row (the caseload's): the instructions are in the file."""
    return "⚠ " + _("Danger") if flagged else ""


def listed(code: str, transferred: bool) -> str:
    """The code of a row, or « Dossier transféré » for a file moved to another site."""
    return _(TRANSFERRED) if transferred else code
