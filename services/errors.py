"""Domain exceptions raised by services; the UI turns them into French messages."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: the message is French and safe to show to the user."""


class PermissionDenied(ServiceError):
    def __init__(self, message: str = "Vous n'avez pas accès à cette fonction.") -> None:
        super().__init__(message)


class NotFound(ServiceError):
    def __init__(self, message: str = "Élément introuvable.") -> None:
        super().__init__(message)


class StaleRecord(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            "Cet enregistrement a été modifié par quelqu'un d'autre entre-temps : "
            "rechargez la page, vos saisies sont conservées dans le formulaire."
        )


class ValidationFailed(ServiceError):
    """Bad input: one French message per field, nothing was written."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ; ".join(errors.values()))
