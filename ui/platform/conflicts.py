"""Edits that never overwrite a colleague's: the one way a form saves a record others may edit too.

    edit = conflicts.VersionedEdit(
        form, row.id, version=row.version, values={"phone": row.phone or "", ...},  # as the form shows them
        fields={"phone": conflicts.Field(_("Téléphone")), ...}, save=save, success=_("Enregistré."),
        last_write=conflicts.audited(runtime.engine, principal, "person", row.id, PERSON_WRITES),
    )
    edit.panel()                     # before the form: what was merged, or the choices after a conflict
    with widgets.form(key): ...      # widgets drawn from the record, keyed by form_state.key(form)
    if submitted:
        edit.submit(data)

`save(version, values)` runs the service's versioned update in its own unit of work.

A table (a grant's budget lines) is no set of fixed fields: `sides(base, mine, theirs)` lays the three
versions out as fields for the merge (services.finance.line_merge.merge_sides: a key per line, or per cell
of a line every side has), `fields` names each of those keys, and `save` receives them merged.

The form remembers what the user saw (values and version) when it was first shown. On submit over a
record that moved on since, the three parts are merged field by field (services.platform.merge): what only
one side changed is taken by itself and saved at once against the current version, with a note naming the
colleague's fields that were kept; fields both sides changed differently open a panel where the user
chooses « la mienne » or « la sienne » for each, and nothing is saved before every choice is made. The
typed input stays in the form throughout (same widget keys until a save succeeds). Only the fields the
form shows this user are merged or displayed: a value the user may not see never reaches the panel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time
from enum import Enum

import streamlit as st
from sqlalchemy.engine import Engine

from i18n import _, formats
from models.audit import AuditAction
from models.labels import label
from services.platform.db import unit_of_work
from services.platform.errors import ServiceError, StaleRecord
from services.platform.last_write import LastWrite, last_write
from services.platform.merge import MergeResult, three_way_merge
from services.platform.principal import Principal
from ui.platform import form_state
from ui.platform.text import md

MINE, THEIRS = "mine", "theirs"


def shown(value: object) -> str:
    """A field's value as plain text for the panel (drawn with st.text, never as Markdown)."""
    if value is None or value == "" or value == []:
        return formats.NO_VALUE
    if isinstance(value, bool):
        return _("Oui") if value else _("Non")
    if isinstance(value, Enum):
        return label(value)
    if isinstance(value, date):
        return formats.day(value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(shown(item) for item in value)
    return str(value)


@dataclass(frozen=True)
class Field:
    label: str
    show: Callable[[object], str] = shown


class EditConflict(ServiceError):
    """The record moved on and fields changed on both sides: the user chooses before anything is saved."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Cet enregistrement a été modifié par quelqu'un d'autre pendant votre saisie : rien n'est encore "
                "enregistré. Choisissez plus haut, pour chaque champ modifié des deux côtés, la saisie à garder."
            )
        )


def audited(
    engine: Engine, principal: Principal, entity_type: str, entity_id: int, actions: Iterable[AuditAction]
) -> Callable[[], LastWrite | None]:
    """Who saved the record last and when, read from the audit log only when a conflict is shown."""
    actions = tuple(actions)

    def read() -> LastWrite | None:
        with unit_of_work(engine) as session:
            return last_write(session, principal, entity_type=entity_type, entity_id=entity_id, actions=actions)

    return read


class VersionedEdit:
    """One form editing one record: see the module."""

    def __init__(
        self,
        form: str,
        record_id: int,
        *,
        version: int,
        values: Mapping[str, object],
        fields: Mapping[str, Field],
        save: Callable[[int, dict[str, object]], object],
        success: str,
        last_write: Callable[[], LastWrite | None] = lambda: None,
        sides: Callable[[Mapping, Mapping, Mapping], tuple[dict, dict, dict]] | None = None,
    ) -> None:
        self.form, self.record_id = form, record_id
        self.version, self.values = int(version), dict(values)
        self.fields, self._save, self.success, self._last_write = fields, save, success, last_write
        self._sides = sides or (lambda base, mine, theirs: (dict(base), dict(mine), dict(theirs)))
        # (version, values) when the form was first shown: the base of the merge
        self.seen: tuple[int, dict[str, object]] = st.session_state.setdefault(
            self._key("seen"), (self.version, dict(self.values))
        )

    def _key(self, part: str) -> str:
        return f"{self.form}__{part}_{self.record_id}"

    def rebase(self) -> None:
        """Nothing typed yet: the edit starts from the record as it is now (a table drawn from what was first
        seen, so that its edits by row position stay on their rows, would otherwise show older rows)."""
        if self._key("mine") not in st.session_state:
            self.seen = st.session_state[self._key("seen")] = (self.version, dict(self.values))

    @property
    def moved_on(self) -> bool:
        """Someone saved the record since the form was first shown."""
        return self.seen[0] != self.version

    def _merge(self, sent: Mapping[str, object]) -> tuple[dict[str, object], MergeResult]:
        """(the user's side as merged, the merge) of what the form sent."""
        base, mine, theirs = self._sides(self.seen[1], sent, self.values)
        return mine, three_way_merge(base, mine, theirs)

    def submit(self, data: Mapping[str, object]) -> None:
        """Save what the form sent, merged with a colleague's changes (see the module); never returns."""
        sent = dict(data)
        st.session_state[self._key("mine")] = sent  # kept until a save succeeds: the panel reads it
        form_state.submit(self.form, lambda: self._save_merged(*self._merge(sent), None), self.success)

    def _save_merged(self, mine: dict[str, object], result: MergeResult, choices: dict[str, str] | None) -> None:
        if result.conflicts and choices is None:
            raise EditConflict()
        values = result.resolved(choices, mine) if result.conflicts else result.merged
        found = self._last_write() if self.moved_on else None  # before this save makes the user the last one
        try:
            self._save(self.version, values)
        except StaleRecord:
            raise EditConflict() from None  # saved again meanwhile: the next run merges with that version
        kept = [name for name in result.kept_theirs if name in self.fields]
        kept += [name for name in result.conflicts if choices and choices[name] == THEIRS]
        self._forget()
        if kept:
            fields = ", ".join(f"« {self.fields[name].label} »" for name in kept)
            st.session_state[self._key("kept")] = (
                _("Les modifications de {who} dans {fields} ont été conservées.").format(
                    who=found.author, fields=fields
                )
                if found and found.author
                else _("Les modifications d'un·e collègue dans {fields} ont été conservées.").format(fields=fields)
            )

    def _forget(self) -> None:
        """The edit is over: the next form starts from the record as it is then."""
        for part in ("seen", "mine"):
            st.session_state.pop(self._key(part), None)

    @staticmethod
    def _texts(found: LastWrite | None) -> tuple[str, str]:
        """(who saved the other version, the caption of its values): the colleague named only when the
        principal may know them (services.platform.last_write), else « un·e collègue »."""
        who, when = (found.author, formats.timestamp(found.at)) if found else (None, None)
        if who:
            headline = _("{who} a enregistré une autre version pendant votre saisie.").format(who=who)
            caption = _("Saisie de {who} le {when}").format(who=who, when=when)
        else:
            headline = _("Un·e collègue a enregistré une autre version pendant votre saisie.")
            caption = _("Saisie d'un·e collègue le {when}").format(when=when) if when else _("Saisie d'un·e collègue")
        return headline, caption

    def panel(self) -> None:
        """Before the form: the note of a merged save, or, after a conflict, the choices to make."""
        note = st.session_state.pop(self._key("kept"), None)
        if note:
            st.info(md(note), icon=":material/merge:")
        sent = st.session_state.get(self._key("mine"))
        if sent is None or not self.moved_on:
            return
        mine, result = self._merge(sent)
        headline, theirs_caption = self._texts(self._last_write())
        with st.container(border=True, key=f"{self._key('conflict')}_panel"):
            st.warning(md(headline), icon=":material/merge:")
            choices = {
                name: self._choice(name, mine[name], result.merged[name], theirs_caption) for name in result.conflicts
            }
            self._merged_fields(result, theirs_caption)
            ready = all(choice is not None for choice in choices.values())
            if result.conflicts and not ready:
                st.caption(_("Choisissez une saisie pour chaque champ pour pouvoir enregistrer."))
            save, drop = st.columns(2)
            if save.button(
                _("Enregistrer avec ces choix") if result.conflicts else _("Enregistrer la fusion"),
                type="primary",
                icon=":material/save:",
                disabled=not ready,
                key=f"{self._key('conflict')}_{self.version}_save",
            ):
                form_state.submit(self.form, lambda: self._save_merged(mine, result, choices), self.success)
            if drop.button(
                _("Abandonner mes saisies"), icon=":material/undo:", key=f"{self._key('conflict')}_{self.version}_drop"
            ):
                self._forget()
                form_state.succeed(
                    self.form, _("Vos saisies sont abandonnées : le formulaire montre la version actuelle.")
                )

    def _choice(self, name: str, mine: object, theirs: object, theirs_caption: str) -> str | None:
        field = self.fields[name]
        st.markdown(f"**{md(field.label)}**")
        left, right = st.columns(2)
        left.caption(_("Votre saisie"))
        left.text(field.show(mine))
        right.caption(md(theirs_caption))
        right.text(field.show(theirs))
        return st.radio(
            _("{field} : quelle saisie garder ?").format(field=md(field.label)),
            [MINE, THEIRS],
            index=None,
            format_func=lambda side: _("la mienne") if side == MINE else _("la sienne"),
            horizontal=True,
            key=f"{self._key('conflict')}_{self.version}_{name}",
        )

    def _merged_fields(self, result: MergeResult, theirs_caption: str) -> None:
        if not result.kept_theirs:
            return
        st.caption(md(_("Repris tels quels de la version actuelle ({saved}) :").format(saved=theirs_caption)))
        for name in result.kept_theirs:
            field = self.fields[name]
            st.text(f"{field.label} : {field.show(result.merged[name])}")
