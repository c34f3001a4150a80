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


class DatabaseUnavailable(ServiceError):
    """The database refused or lost the unit of work: nothing of it was saved.

    Raised by `services.platform.db.unit_of_work` (the database stopped or restarted, the connection
    dropped, the SQLite file went missing or became read-only). `retry` says whether trying again in a
    moment may help (a restart, a lock) or whether an administrator must act first (a read-only or
    missing file, a disk error); the message says the same to the user."""

    def __init__(self, *, retry: bool) -> None:
        self.retry = retry
        super().__init__(
            _(
                "La base de données est indisponible : rien n'a été enregistré. "
                "Vos saisies sont conservées ; réessayez dans un instant."
            )
            if retry
            else _(
                "La base de données n'accepte plus d'enregistrement : rien n'a été enregistré. "
                "Vos saisies sont conservées ; prévenez l'administrateur ou l'administratrice de Parcours "
                "avant de réessayer."
            )
        )
