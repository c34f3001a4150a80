"""Streamlit's widgets with their own texts in the interface's language (issue 19).

Streamlit writes some texts of its widgets itself, in English: « Choose an option » in an empty selectbox,
« Choose options » in a multiselect, « Press Enter to submit form » under a text field of a form, dates as
YYYY/MM/DD. Where it lets an app set them, every page goes through here (tests/architecture/test_widgets.py
refuses a selectbox, multiselect, date input or form created otherwise). What it does not let an app
translate is listed in the README (« Ce que Streamlit ne permet pas de traduire »).

    widgets.selectbox(_("Site"), options, ...)            # in the current container (st, a `with` block)
    widgets.on(left).selectbox(_("Site"), options, ...)   # in a column or another container
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import streamlit as st

from i18n import _

# Day first in both languages (the English interface is British English: i18n.BABEL_LOCALES).
DATE_FORMAT = "DD/MM/YYYY"


@dataclass(frozen=True)
class _On:
    """The widgets below, drawn in one container (a column, the sidebar, a tab)."""

    host: Any

    def selectbox(self, label: str, options, *args, placeholder: str | None = None, **kwargs):
        """An empty choice reads « Choisir une option » instead of Streamlit's English."""
        return self.host.selectbox(label, options, *args, placeholder=placeholder or _("Choisir une option"), **kwargs)

    def multiselect(self, label: str, options, *args, placeholder: str | None = None, **kwargs):
        """An empty selection reads « Choisir des options » instead of Streamlit's English."""
        return self.host.multiselect(
            label, options, *args, placeholder=placeholder or _("Choisir des options"), **kwargs
        )

    def date_input(self, label: str, *args, format: str = DATE_FORMAT, **kwargs):
        """Day, month, year: the order a French reader expects (Streamlit's default is YYYY/MM/DD).

        A saved date outside `min_value`…`max_value` (a round dated after « today » of a server whose clock
        was set back, a record older than a correction window) widens the bounds to include it: Streamlit
        would raise and take the whole page down. The service still refuses such a date when it is saved."""
        return self.host.date_input(label, *args, format=format, **_bounds_including_the_value(kwargs))


def _bounds_including_the_value(kwargs: dict[str, Any]) -> dict[str, Any]:
    value = kwargs.get("value")
    if type(value) is not date:  # a range, "today", None or a datetime: Streamlit's own checks apply
        return kwargs
    widened = dict(kwargs)
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if type(low) is date and value < low:
        widened["min_value"] = value
    if type(high) is date and value > high:
        widened["max_value"] = value
    return widened


def on(host) -> _On:
    return _On(host)


_HERE = _On(st)
selectbox = _HERE.selectbox
multiselect = _HERE.multiselect
date_input = _HERE.date_input


def form(key: str, *, enter_to_submit: bool = False, **options):
    """st.form without Streamlit's English « Press Enter to submit form » under its text fields: a form is
    sent by its button (Tab then Enter or Space from the keyboard), never by an Enter typed in a field
    half-way through. A one-field search box may pass `enter_to_submit=True` (the hint then shows)."""
    return st.form(key, enter_to_submit=enter_to_submit, **options)
