"""Domain exceptions raised by services; the UI turns them into French messages."""

from __future__ import annotations

from i18n import _


class ServiceError(Exception):
    """Base class: the message is French and safe to show to the user."""


class PermissionDenied(ServiceError):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(_("Vous n'avez pas accès à cette fonction.") if message is None else message)


class NotFound(ServiceError):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(_("Élément introuvable.") if message is None else message)


class StaleRecord(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Cet enregistrement a été modifié par quelqu'un d'autre entre-temps : "
                "rechargez la page, vos saisies sont conservées dans le formulaire."
            )
        )


class ValidationFailed(ServiceError):
    """Bad input: one French message per field, nothing was written."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ; ".join(errors.values()))
