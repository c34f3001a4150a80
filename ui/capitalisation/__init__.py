"""Streamlit pieces of capitalisation: practice notes and guides."""
