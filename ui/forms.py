"""Showing service errors next to the fields they concern."""

from __future__ import annotations

import streamlit as st

from services.errors import ValidationFailed


def field_error(errors: dict[str, str], field: str) -> None:
    if field in errors:
        st.error(errors[field], icon=":material/error:")


def remember_errors(key: str, exc: ValidationFailed | None) -> dict[str, str]:
    """Keep a form's last errors in the session so they show beside the fields after the rerun."""
    st.session_state[key] = dict(exc.errors) if exc else {}
    return st.session_state[key]
