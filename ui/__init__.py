"""Shared Streamlit pieces: runtime, session, guards, formatting, charts, layout."""
