"""Showing service errors next to the fields they concern."""

from __future__ import annotations

import streamlit as st


def field_error(errors: dict[str, str], field: str) -> None:
    if field in errors:
        st.error(errors[field], icon=":material/error:")
